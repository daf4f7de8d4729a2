"""The value types of the domain: scores, red flags, recommendations and the plan.

They live apart from the code that computes them (clinical/engine.py), so that every module
can import them without importing the rules, and no import runs in a circle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

ScoreValue: TypeAlias = int | float | str

STRATEGIES = ("medical", "sleep", "personalized", "prevention", "massage")
STRATEGY_TITLES = {
    "medical": "Medical checks",
    "sleep": "Sleep setup",
    "personalized": "Personalised treatment",
    "prevention": "Prevention",
    "massage": "Massage and hands-on care",
}
# Most urgent first (CLINICAL.md v3, "Triage").
TRIAGE_VALUES = ("emergency", "same_day", "urgent", "refer_routine", "co_manage", "none")
# A flag's final tier, highest first ("Flag tiers (v3)").
FLAG_TIERS = ("emergency", "same_day", "urgent", "co_manage")
NOTICE = (
    "This plan supports, and does not replace, a clinician's assessment. If new or worsening "
    "symptoms appear, see a doctor."
)


@dataclass(frozen=True)
class RedFlag:
    id: str
    tier: str  # one of FLAG_TIERS


@dataclass(frozen=True)
class Check:
    """A consistency check that holds (CLINICAL.md v3): its id and the answers it read."""

    id: str
    questions: tuple[str, ...]


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
    # The consistency checks that hold on the answers, in CLINICAL.md's order; None for a
    # plan saved before version 3, which had none.
    checks: tuple[Check, ...] | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.recommendations)

    def by_strategy(self, strategy: str) -> tuple[Recommendation, ...]:
        return tuple(r for r in self.recommendations if r.strategy == strategy)
