"""Scores (placeholder: NPRS only until the clinical issue lands)."""

from __future__ import annotations

from collections.abc import Mapping

from .plan import ScoreValue
from .questionnaire import AnswerValue


def compute_scores(answers: Mapping[str, AnswerValue]) -> tuple[dict[str, ScoreValue], list[str]]:
    scores: dict[str, ScoreValue] = {}
    for key, qid in (("nprs_now", "pain_now"), ("nprs_worst_week", "pain_worst_week")):
        value = answers.get(qid)
        if isinstance(value, int) and not isinstance(value, bool):
            scores[key] = value
    return scores, []
