"""The exercise library (the clinical reference, "Exercise programme (v3)" and Appendix A).

The exercises are data in `exercises.toml` beside this module, so a clinician reviews the
words apart from the selection logic (programme.py). `library()` reads the file once and
checks it: an unknown field or condition name, a missing text or a repeated id is a
`ProblemsError` naming every problem, never a half-read library.

Conditions are the named conditions of the clinical reference ("Named conditions"), asked through a
`Holds` predicate, so this module needs no answers: whoever has them answers by name.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from ..errors import Problem, ProblemsError
from ..files import TomlError, packaged, parse_toml
from ..frozen import frozen
from .model import LEVELS as _LEVELS
from .model import Level as Level

# Answers whether a named condition (the clinical reference "Named conditions") holds for the
# client.
Holds = Callable[[str], bool]

# The levels live with the plan's value types (model.py); named here for the library's
# readers.
LEVELS: tuple[Level, ...] = _LEVELS

HEADLINE = "invalid exercise library (exercises.toml)"

# The named conditions of the clinical reference (v3) that the library may use in `requires`,
# `excluded` and `changed` (worst_pain is a value, not a condition). A name outside this
# list is a typing error in the data: it would never hold, silently.
CONDITION_NAMES: frozenset[str] = frozenset({
    "chronic", "acute", "waking_pain", "leg_below_knee", "onset_under_45",
    "axspa_suspected", "axspa_possible", "co_manage_condition", "bone_risk_condition",
    "awaiting_doctor", "bone_hold", "strain", "stenosis_pattern", "flexion_sensitive_disc",
    "low_activity", "regular_exercise", "no_strength_work", "severe_chronic", "pregnant",
    "postpartum", "late_pregnancy", "early_pregnancy", "after_first_trimester",
    "postnatal_under_6wk", "postnatal_6wk", "postnatal_12wk", "midwife_period",
    "pelvic_girdle_pattern", "pgp_early", "young", "adolescent_scoliosis", "older_adult",
    "bone_caution", "falls_risk", "falls_high_risk", "nerve_root_pain",
    "extension_sensitive", "hypermobile", "vascular_pattern", "night_pain_flag",
    "risk_flag", "hands_on_caution", "post_procedure", "gentle_programme", "work_affected",
    "long_off_work", "massage_ok",
})

# The one condition eligibility reads besides an exercise's own lists.
GENTLE_PROGRAMME = "gentle_programme"

_FIELDS = ("id", "name", "picture", "steps", "dose", "progress", "easier", "gentle",
           "requires", "excluded", "changed", "also", "evidence")
_TEXT_FIELDS = ("name", "picture", "dose", "progress", "easier")
_CONDITION_LISTS = ("requires", "excluded")
_ID = re.compile(r"ex\.[a-z][a-z0-9_]*\Z")


@frozen
class Change:
    """A sentence added to an exercise when a named condition holds."""

    when: str
    text: str


@frozen
class Exercise:
    """One exercise of the library (the clinical reference Appendix A)."""

    id: str
    name: str
    picture: str
    steps: tuple[str, ...]
    dose: str
    progress: str
    easier: str
    gentle: bool
    requires: tuple[str, ...]
    excluded: tuple[str, ...]
    changed: tuple[Change, ...]
    also: tuple[str, ...]
    evidence: str

    def dose_at(self, level: Level) -> str:
        """The library text of a level: `dose` (start), `progress` or `easier`."""
        if level == "start":
            return self.dose
        return self.progress if level == "progressed" else self.easier

    def changes(self, holds: Holds) -> tuple[str, ...]:
        """The conditions of `changed` that hold, in library order (an item's `changes`)."""
        return tuple(change.when for change in self.changed if holds(change.when))

    def change_texts(self, holds: Holds) -> tuple[str, ...]:
        """The sentences of `changed` whose condition holds, in library order."""
        return tuple(change.text for change in self.changed if holds(change.when))

    def conditions(self) -> frozenset[str]:
        """Every named condition this exercise's data reads."""
        return frozenset((*self.requires, *self.excluded, *(c.when for c in self.changed)))


@frozen
class Library:
    """The exercises in file order, and the citation of each evidence key."""

    exercises: tuple[Exercise, ...]
    evidence: Mapping[str, str]

    @functools.cached_property
    def _by_id(self) -> dict[str, Exercise]:
        return {e.id: e for e in self.exercises}

    def __getitem__(self, exercise_id: str) -> Exercise:
        return self._by_id[exercise_id]

    def __contains__(self, exercise_id: object) -> bool:
        return exercise_id in self._by_id

    def __iter__(self) -> Iterator[Exercise]:
        return iter(self.exercises)

    def __len__(self) -> int:
        return len(self.exercises)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(e.id for e in self.exercises)

    def citation(self, exercise: Exercise) -> str:
        """The evidence note of an exercise (the text of its evidence key)."""
        return self.evidence[exercise.evidence]

    def conditions(self) -> frozenset[str]:
        """Every named condition the library's data reads."""
        return frozenset().union(*(e.conditions() for e in self.exercises))


def eligible(exercise: Exercise, holds: Holds) -> bool:
    """the clinical reference "Selection" step 2: every `requires` holds, no `excluded` holds, and
    not (gentle_programme and the exercise is not gentle)."""
    return (all(holds(name) for name in exercise.requires)
            and not any(holds(name) for name in exercise.excluded)
            and (exercise.gentle or not holds(GENTLE_PROGRAMME)))


# --------------------------------------------------------------------------- reading


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_text_list(value: object) -> bool:
    return isinstance(value, list) and all(_is_text(v) for v in value)


def _evidence(raw: object, problems: list[Problem]) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        problems.append(Problem("[evidence]", "must be a table of evidence notes"))
        return {}
    problems.extend(Problem(f"[evidence] {k}", "must be a non-empty text")
                    for k, v in raw.items() if not _is_text(v))
    # A bad note is reported once, here; the exercises citing its key are not.
    return cast("dict[str, str]", raw)


def _conditions(where: str, field: str, value: object, problems: list[Problem]) -> bool:
    if not _is_text_list(value):
        problems.append(Problem(where, f"'{field}' must be a list of condition names"))
        return False
    unknown = [v for v in cast("list[str]", value) if v not in CONDITION_NAMES]
    problems.extend(Problem(where, f"unknown condition '{v}' in '{field}'") for v in unknown)
    return not unknown


def _changes(where: str, value: object, problems: list[Problem]) -> tuple[Change, ...] | None:
    if not isinstance(value, list):
        problems.append(Problem(where, "'changed' must be a list of {when, text} tables"))
        return None
    out: list[Change] = []
    for n, entry in enumerate(value, 1):
        if (not isinstance(entry, dict) or set(entry) != {"when", "text"}
                or not _is_text(entry["when"]) or not _is_text(entry["text"])):
            problems.append(Problem(
                where, f"'changed' entry {n} must have exactly a 'when' and a 'text'"))
            continue
        if entry["when"] not in CONDITION_NAMES:
            problems.append(Problem(where, f"unknown condition '{entry['when']}' in 'changed'"))
            continue
        out.append(Change(entry["when"], entry["text"]))
    whens = [c.when for c in out]
    if len(set(whens)) != len(whens):
        problems.append(Problem(where, "'changed' names a condition twice"))
    return tuple(out) if len(out) == len(value) else None


def _exercise(n: int, raw: object, evidence: Mapping[str, str],
              problems: list[Problem]) -> Exercise | None:
    where = f"exercise {n}"
    if not isinstance(raw, dict):
        problems.append(Problem(where, "must be a table"))
        return None
    if _is_text(raw.get("id")):
        where = str(raw["id"])
    before = len(problems)
    problems.extend(Problem(where, f"unknown field '{k}'") for k in raw if k not in _FIELDS)
    missing = [k for k in _FIELDS if k not in raw]
    problems.extend(Problem(where, f"missing field '{k}'") for k in missing)
    if missing:
        return None
    if not isinstance(raw["id"], str) or not _ID.match(raw["id"]):
        problems.append(Problem(where, "'id' must look like ex.name (lower case, underscores)"))
    problems.extend(Problem(where, f"'{k}' must be a non-empty text")
                    for k in _TEXT_FIELDS if not _is_text(raw[k]))
    if not _is_text_list(raw["steps"]) or not raw["steps"]:
        problems.append(Problem(where, "'steps' must be a non-empty list of texts"))
    if not isinstance(raw["gentle"], bool):
        problems.append(Problem(where, "'gentle' must be true or false"))
    lists_ok = [_conditions(where, k, raw[k], problems) for k in _CONDITION_LISTS]
    if all(lists_ok) and set(raw["requires"]) & set(raw["excluded"]):
        problems.append(Problem(where, "a condition is both required and excluded"))
    changed = _changes(where, raw["changed"], problems)
    if not _is_text_list(raw["also"]):
        problems.append(Problem(where, "'also' must be a list of texts"))
    if not isinstance(raw["evidence"], str) or raw["evidence"] not in evidence:
        problems.append(Problem(where, f"unknown evidence key {raw['evidence']!r}"))
    if len(problems) > before or changed is None:
        return None
    return Exercise(
        id=raw["id"], name=raw["name"], picture=raw["picture"], steps=tuple(raw["steps"]),
        dose=raw["dose"], progress=raw["progress"], easier=raw["easier"],
        gentle=raw["gentle"], requires=tuple(raw["requires"]),
        excluded=tuple(raw["excluded"]), changed=changed, also=tuple(raw["also"]),
        evidence=raw["evidence"])


def parse_library(raw: Mapping[str, Any]) -> Library:
    """The library from the parsed TOML, checked; ProblemsError lists every problem."""
    problems: list[Problem] = [Problem("", f"unknown table '{k}'")
                               for k in raw if k not in ("evidence", "exercise")]
    evidence = _evidence(raw.get("evidence"), problems)
    entries = raw.get("exercise")
    if not isinstance(entries, list) or not entries:
        problems.append(Problem("", "no [[exercise]] entries"))
        entries = []
    exercises: list[Exercise] = []
    seen: dict[str, int] = {}
    for n, entry in enumerate(cast("Sequence[object]", entries), 1):
        exercise = _exercise(n, entry, evidence, problems)
        if exercise is None:
            continue
        if exercise.id in seen:
            problems.append(
                Problem(exercise.id, f"duplicate id (also exercise {seen[exercise.id]})"))
            continue
        seen[exercise.id] = n
        exercises.append(exercise)
    if problems:
        raise ProblemsError(problems, headline=HEADLINE)
    return Library(tuple(exercises), MappingProxyType(evidence))


def parse_library_text(text: str) -> Library:
    """`parse_library` of a TOML text; bad TOML is a ProblemsError too."""
    try:
        raw = parse_toml(text)
    except TomlError as exc:
        raise ProblemsError([Problem("", f"not valid TOML: {exc}")], headline=HEADLINE) from None
    return parse_library(raw)


@functools.cache
def library() -> Library:
    """exercises.toml, read and checked once per process."""
    here = packaged(Path(__file__).parent, __package__)
    return parse_library_text(here.joinpath("exercises.toml").read_text("utf-8"))
