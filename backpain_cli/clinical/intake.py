"""The client's intake form (issue 21): what the form holds, as data made from the question
model, and the `[intake]` table of the answers file it saves.

The form's script evaluates conditions and checks answers from `form_spec`, the same
questions, conditions, types, ranges and multi-answer rules the interview uses, written
out as JSON: nothing about the questions is written twice. The form holds no triage rules
either: `emergency_places` is a table worked out here by the product's own recommender,
for each sign that is an emergency alone (the triage table), of where the emergency
referral sends the client in each state of pregnancy the form can know.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import Problem
from ..frozen import frozen
from .model import RedFlag
from .questionnaire import Condition, Module, Question, Registry, When

FILLED_BY_CLIENT = "client"
# The state of pregnancy a referral's place depends on, as the form keys it: "other", or
# "pregnant:" with the weeks ("pregnant:" alone: weeks not given), or "postpartum".
MOST_WEEKS = 42


def _condition(c: Condition) -> dict[str, Any]:
    value = list(c.value) if isinstance(c.value, tuple) else c.value
    return {"question": c.question, "operator": c.operator, "value": value,
            "negate": c.negate, "missing_is_absent": c.missing_is_absent}


def _when(w: When | None) -> dict[str, Any] | None:
    if w is None:
        return None
    return {"mode": w.mode, "conditions": [_condition(c) for c in w.conditions]}


def _question(q: Question) -> dict[str, Any]:
    return {"id": q.id, "type": q.type, "required": q.required, "min": q.min, "max": q.max,
            "choices": [c.value for c in q.choices],
            "labels": {c.value: c.client_label or c.label for c in q.choices},
            "exclusive": list(q.exclusive), "when": _when(q.when)}


def form_spec(modules: Sequence[Module]) -> dict[str, Any]:
    """The questions of the form in interview order, grouped by module, as the form's
    script reads them (JSON)."""
    return {"modules": [{"id": m.id, "version": m.version,
                         "questions": [_question(q) for q in m.questions]}
                        for m in modules]}


def emergency_signs(modules: Sequence[Module]) -> tuple[str, ...]:
    """The questions of the form whose yes is an emergency alone (the triage table)."""
    # The triage rules: only when the form or an import lists the emergency signs.
    from .triage import EMERGENCY, SIGN_TIER

    on_form = {q.id for m in modules for q in m.questions}
    return tuple(s for s, tier in SIGN_TIER.items() if tier == EMERGENCY and s in on_form)


def pregnancy_states() -> dict[str, dict[str, Any]]:
    """Each state of pregnancy the form keys the referral places by, as answers."""
    states: dict[str, dict[str, Any]] = {"other": {}, "postpartum": {"pregnancy": "postpartum"},
                                         "pregnant:": {"pregnancy": "pregnant"}}
    for weeks in range(1, MOST_WEEKS + 1):
        states[f"pregnant:{weeks}"] = {"pregnancy": "pregnant", "pregnancy_weeks": weeks}
    return states


def emergency_places(modules: Sequence[Module]) -> dict[str, dict[str, list[str]]]:
    """For each emergency sign of the form, and each state of pregnancy, the places the
    emergency referral names when that sign alone is answered yes."""
    # The recommender loads its advice texts: only for the form's emergency box.
    from .recommender import emergency_places as places

    out: dict[str, dict[str, list[str]]] = {}
    for sign in emergency_signs(modules):
        out[sign] = {key: list(places({**answers, sign: True}, (RedFlag(sign, "emergency"),)))
                     for key, answers in pregnancy_states().items()}
    return out


# --------------------------------------------------------------------------- [intake]


@frozen
class Intake:
    """The `[intake]` table of an answers file the client's form saved."""

    filled_by: str
    completed: dt.datetime
    modules: Mapping[str, str]  # module id -> version on the form

    def as_dict(self) -> dict[str, Any]:
        return {"filled_by": self.filled_by, "completed": self.completed,
                "modules": dict(self.modules)}


_INTAKE_KEYS = ("filled_by", "completed", "modules")


def read_intake(raw: object, where: str = "intake") -> tuple[Intake | None, list[Problem]]:
    """The `[intake]` table, or the problems that keep it from being one (each a line)."""
    if not isinstance(raw, dict):
        return None, [Problem(where, "must be a table (filled_by, completed, modules)")]
    problems = [Problem(f"{where}.{key}", "unknown key (expected filled_by, completed and "
                                          "modules)")
                for key in sorted(set(raw) - set(_INTAKE_KEYS))]
    filled_by = raw.get("filled_by")
    if filled_by != FILLED_BY_CLIENT:
        problems.append(Problem(f"{where}.filled_by", 'must be "client"'))
    completed = raw.get("completed")
    if not isinstance(completed, dt.datetime) or completed.tzinfo is None:
        problems.append(Problem(f"{where}.completed", "must be a date and time with its "
                                                      "offset, e.g. 2026-12-07T09:30:00Z"))
    modules = raw.get("modules")
    if not isinstance(modules, dict) or not modules or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in modules.items()):
        problems.append(Problem(f"{where}.modules", "must be a table of module id = "
                                                    "\"version\""))
    if problems:
        return None, problems
    assert isinstance(completed, dt.datetime) and isinstance(modules, dict)
    return Intake(FILLED_BY_CLIENT, completed, dict(modules)), []


def version_notes(intake: Intake, registry: Registry) -> list[str]:
    """What the practitioner is told about a form whose modules are not today's: its answers
    are then read like an older session's (those that no longer fit are named)."""
    today = {m.id: m.version for m in registry.modules}
    notes = []
    for mid, version in sorted(intake.modules.items()):
        if mid not in today:
            notes.append(f"the form's module {mid} (version {version}) is not among today's "
                         "questionnaires")
        elif today[mid] != version:
            notes.append(f"the form's module {mid} is version {version}, today's is "
                         f"{today[mid]}: its answers are read like an older session's")
    return notes
