"""`build_plan(answers)`: the domain's one entry point.

The CLI, `review` and the tests all call it, and the exporters only read what it returns.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import checks, reassess, recommender, scoring, triage
from .model import Plan
from .questionnaire import AnswerValue


def build_plan(answers: Mapping[str, AnswerValue], *, follow_up: bool = False) -> Plan:
    """Scores, then red flags and triage, then the recommendations that triage allows.

    `follow_up`: a visit that follows another derives no flags (CLINICAL.md v3).
    """
    scores, warnings = scoring.compute_scores(answers)
    flags = triage.red_flags(answers, follow_up=follow_up)
    level = triage.triage(answers, scores, flags)
    recs = recommender.recommend(answers, scores, flags, level)
    weeks = reassess.reassess_weeks(answers, level)
    return Plan(scores, level, flags, recs, tuple(warnings), weeks, checks.find(answers))
