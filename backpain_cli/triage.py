"""Red flags and triage (placeholder until the clinical issue lands)."""

from __future__ import annotations

from collections.abc import Mapping

from .plan import RedFlag, ScoreValue
from .questionnaire import AnswerValue


def red_flags(answers: Mapping[str, AnswerValue]) -> tuple[RedFlag, ...]:
    return ()


def triage(answers: Mapping[str, AnswerValue], scores: Mapping[str, ScoreValue],
           flags: tuple[RedFlag, ...]) -> str:
    return "none"
