"""The recommender (placeholder until the clinical issue lands)."""

from __future__ import annotations

from collections.abc import Mapping

from .plan import Recommendation, RedFlag, ScoreValue
from .questionnaire import AnswerValue


def recommend(answers: Mapping[str, AnswerValue], scores: Mapping[str, ScoreValue],
              flags: tuple[RedFlag, ...], triage: str) -> tuple[Recommendation, ...]:
    return ()
