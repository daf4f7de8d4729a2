"""The plan: scores, red flags, triage and recommendations computed from one set of answers.

`build_plan(answers)` is the domain's single entry point: the CLI, `review` and the tests all
call it, and exporters only read what it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from .questionnaire import AnswerValue

ScoreValue: TypeAlias = int | float | str

STRATEGIES = ("medical", "sleep", "personalized", "prevention", "massage")
STRATEGY_TITLES = {
    "medical": "Medical checks",
    "sleep": "Sleep setup",
    "personalized": "Personalised treatment",
    "prevention": "Prevention",
    "massage": "Massage and hands-on care",
}
TRIAGE_VALUES = ("emergency", "urgent", "refer_routine", "co_manage", "none")
NOTICE = (
    "This plan supports, and does not replace, a clinician's assessment. If new or worsening "
    "symptoms appear, see a doctor."
)


@dataclass(frozen=True)
class RedFlag:
    id: str
    tier: str  # "emergency" or "urgent"


@dataclass(frozen=True)
class Recommendation:
    id: str
    strategy: str
    title: str
    detail: str
    because: tuple[str, ...]
    evidence: str


@dataclass(frozen=True)
class Plan:
    scores: Mapping[str, ScoreValue]
    triage: str
    red_flags: tuple[RedFlag, ...]
    recommendations: tuple[Recommendation, ...]
    warnings: tuple[str, ...] = field(default=())
    # Weeks until the next check (CLINICAL.md "Re-assessment"); None for an emergency plan,
    # and for a partial plan whose pain duration is unknown.
    reassess_weeks: int | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.recommendations)

    def by_strategy(self, strategy: str) -> tuple[Recommendation, ...]:
        return tuple(r for r in self.recommendations if r.strategy == strategy)


def build_plan(answers: Mapping[str, AnswerValue]) -> Plan:
    """Scores, then red flags and triage, then the recommendations that triage allows."""
    from . import reassess, recommender, scoring, triage

    scores, warnings = scoring.compute_scores(answers)
    flags = triage.red_flags(answers)
    level = triage.triage(answers, scores, flags)
    recs = recommender.recommend(answers, scores, flags, level)
    weeks = reassess.reassess_weeks(answers, level)
    return Plan(scores, level, flags, recs, tuple(warnings), weeks)
