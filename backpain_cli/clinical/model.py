"""The value types of the domain: scores, red flags, recommendations and the plan.

They live apart from the code that computes them (clinical/engine.py), so that every module
can import them without importing the rules, and no import runs in a circle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any, Literal, TypeAlias

from ..frozen import frozen

ScoreValue: TypeAlias = int | float | str

STRATEGIES = ("medical", "sleep", "personalized", "prevention", "massage")
STRATEGY_TITLES = {
    "medical": "Medical checks",
    "sleep": "Sleep setup",
    "personalized": "Personalised treatment",
    "prevention": "Prevention",
    "massage": "Massage and hands-on care",
}
# Most urgent first (the clinical reference v3, "Triage").
TRIAGE_VALUES = ("emergency", "same_day", "urgent", "refer_routine", "co_manage", "none")
# A flag's final tier, highest first ("Flag tiers (v3)").
FLAG_TIERS = ("emergency", "same_day", "urgent", "co_manage")
NOTICE = (
    "This plan supports, and does not replace, a clinician's assessment. If new or worsening "
    "symptoms appear, see a doctor."
)


@frozen
class RedFlag:
    id: str
    tier: str  # "emergency", "same_day", "urgent" or "co_manage" (v3)


Level = Literal["easier", "start", "progressed"]
# In order: a step up or down moves one place along this tuple.
LEVELS: tuple[Level, ...] = ("easier", "start", "progressed")


@frozen
class ProgrammeItem:
    """One exercise of the home programme (the JSON `programme` item, the clinical reference "JSON
    and
    session shape")."""

    id: str
    name: str
    level: Level
    dose: str
    progression: str
    easier: str
    changes: tuple[str, ...]
    because: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "level": self.level, "dose": self.dose,
                "progression": self.progression, "easier": self.easier,
                "changes": list(self.changes), "because": list(self.because)}


@frozen
class FlareItem:
    """One exercise of the flare-up plan (the JSON `flare_plan` item), at level easier."""

    id: str
    name: str
    level: Level
    dose: str
    changes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "level": self.level, "dose": self.dose,
                "changes": list(self.changes)}


@frozen
class Check:
    """A consistency check that holds on the final answers (the clinical reference "Consistency
    checks"): its id and the questions it reads."""

    id: str
    questions: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "questions": list(self.questions)}


@frozen
class Recommendation:
    id: str
    strategy: str
    title: str
    detail: str
    because: tuple[str, ...]
    evidence: str


@frozen
class Plan:
    scores: Mapping[str, ScoreValue]
    triage: str
    red_flags: tuple[RedFlag, ...]
    recommendations: tuple[Recommendation, ...]
    warnings: tuple[str, ...] = field(default=())
    # Weeks until the next check (the clinical reference "Re-assessment"); None for an emergency
    # plan,
    # and for a partial plan whose pain duration is unknown.
    reassess_weeks: int | None = None
    # The home programme (the clinical reference "Exercise programme (v3)"). None in a plan saved
    # before version 3, which had no programme; a v3 plan always has a tuple, maybe empty.
    programme: tuple[ProgrammeItem, ...] | None = None
    flare_plan: tuple[FlareItem, ...] = ()
    # "progress", "keep" or "simplify": only with a programme_adherence answer.
    programme_step: str | None = None
    # Consistency checks that hold; None in a plan saved before version 3.
    checks: tuple[Check, ...] | None = None
    # What the programme heading adds, and the flare-up sentences (texts of the plan,
    # worked out with it; a saved plan keeps only the items, so these are then empty).
    programme_heading: tuple[str, ...] = ()
    flare_text: tuple[str, ...] = ()

    @property
    def programme_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.programme or ())

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.recommendations)

    def by_strategy(self, strategy: str) -> tuple[Recommendation, ...]:
        return tuple(r for r in self.recommendations if r.strategy == strategy)
