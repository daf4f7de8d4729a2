"""The home exercise programme (the clinical reference, "Exercise programme (v3)").

Chosen deterministically from the plan's exercise recommendations and the named conditions
that hold: `POOLS` in the priority order of "Selection" step 2, rounds as step 3 says, the
fallback last. Then the flare-up plan and, at a follow-up, the levels moved by the
programme step. The caller decides whether a plan may have a programme at all (step 1:
not under emergency, same_day or urgent, nor with bone_hold) and passes `allowed`.

Pure: conditions come through a `Holds` predicate, the previous programme as a mapping of
exercise id to level; nothing here reads answers, files of the practitioner or the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from ..frozen import frozen
from .exercises import Exercise, Holds, eligible, library
from .model import LEVELS, FlareItem, Level, ProgrammeItem

Step = Literal["progress", "keep", "simplify"]

# the clinical reference "Selection" step 2, in priority order: recommendation id, its pool ("ex."
# written out). A round walks this list, not the plan's order.
POOLS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (rec, tuple(f"ex.{name}" for name in pool.split())) for rec, pool in (
        ("prevention.pregnancy_exercise",
         "pelvic_floor walking cat_camel water_exercise sit_to_stand"),
        ("prevention.postnatal_exercise", "pelvic_floor walking pelvic_tilt bridge bird_dog"),
        ("prevention.bone_safe_exercise",
         "back_extension_prone wall_posture shoulder_squeeze sit_to_stand heel_raises"),
        ("prevention.strength_balance",
         "single_leg_stand step_up heel_toe_walk heel_raises sit_to_stand"),
        ("personalized.stenosis.flexion_bias", "stationary_bike knees_to_chest walking"),
        ("personalized.disc.guided_exercise", "prone_prop knee_rolls pelvic_tilt walking"),
        ("personalized.as.gentle_stretching",
         "back_extension_prone knee_rolls hip_flexor_stretch cat_camel"),
        ("personalized.as.low_impact_exercise", "water_exercise walking stationary_bike"),
        ("personalized.hypermobility.control", "bird_dog bridge dead_bug sit_to_stand"),
        ("personalized.morning_mobility", "knee_rolls glute_stretch pelvic_tilt cat_camel"),
        ("personalized.arthritis.keep_moving", "walking knee_rolls water_exercise cat_camel"),
        ("prevention.flexion_exercises", "knees_to_chest childs_pose pelvic_tilt"),
        ("prevention.core_strength", "bridge bird_dog dead_bug"),
        ("prevention.leg_strength_flexibility",
         "sit_to_stand lunge hip_flexor_stretch glute_stretch hamstring_stretch"),
        ("prevention.keep_exercising",
         "curl_up side_plank_knees hamstring_stretch bird_dog cat_camel hip_flexor_stretch"),
        # The physiotherapist sets the exercises.
        ("personalized.medium_risk.physio_exercise", ""),
    ))
EXERCISE_RECOMMENDATIONS: tuple[str, ...] = tuple(rec for rec, _ in POOLS)

# Step 3: always eligible, so every programme reaches its minimum.
FALLBACK: tuple[str, ...] = ("ex.walking", "ex.pelvic_tilt", "ex.sit_to_stand", "ex.wall_posture")
FALLBACK_BECAUSE = "prevention.stay_active"
MIN_SIZE = 3
MAX_SIZE = 5
SIMPLIFIED_SIZE = 3

REST_POSITION = "ex.rest_position"
PELVIC_FLOOR = "ex.pelvic_floor"

# programme_adherence → the programme step ("Flare-up plan, diary, follow-up").
STEPS: Mapping[str, Step] = {
    "most_days": "progress", "some_days": "keep", "rarely": "simplify",
    "not_started": "simplify",
}
_MOVE = {"progress": 1, "keep": 0, "simplify": -1}

# Programme heading sentences ("Selection" step 4; the guided sentence of "Bounds"), exact.
GUIDED_SENTENCE = (
    "Do this with a physiotherapist or with the doctor's agreement; do not start a hard "
    "strengthening programme on your own.")
POST_PROCEDURE_SENTENCE = (
    "Agree these exercises with the physiotherapist or team that did the procedure.")

# Flare-up plan sentences for the handout ("Flare-up plan, diary, follow-up"), exact.
FLARE_WITH_EXERCISE = (
    "On a bad day: keep moving gently, a little and often; do the easier version of "
    "{first_exercise} and rest in the rest position for a few minutes at a time; heat may "
    "ease it; go back to your usual programme as it settles, usually within a few days to "
    "a week.")
FLARE_REST_ONLY = (
    "On a bad day: keep moving gently, a little and often; rest in the rest position for a "
    "few minutes at a time; heat may ease it; go back to your usual programme as it "
    "settles, usually within a few days to a week.")
FLARE_REASSURANCE = "A flare-up is common and usually not a sign of new damage."
FLARE_BONE_CAUTION = (
    "A sudden, new, severe pain after a strain or fall is not a flare-up: see 'When to get "
    "help sooner'.")
FLARE_SAFETY_NET = "The signs under 'When to get help sooner' apply on bad days too."


# The item types live with the plan's other value types (model.py).
Item = ProgrammeItem


@frozen
class Programme:
    """A plan's programme: its items, flare-up plan, step and the texts that go with them.

    `heading` holds the sentences the programme heading adds; `flare_text` the handout's
    flare-up sentences (empty without a flare-up plan).
    """

    items: tuple[Item, ...]
    flare_plan: tuple[FlareItem, ...]
    step: Step | None
    heading: tuple[str, ...]
    flare_text: tuple[str, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    def as_dict(self) -> dict[str, Any]:
        """The keys of "JSON and session shape": `programme` always, `flare_plan` only with
        a programme, `programme_step` only with an adherence answer."""
        out: dict[str, Any] = {"programme": [item.as_dict() for item in self.items]}
        if self.flare_plan:
            out["flare_plan"] = [item.as_dict() for item in self.flare_plan]
        if self.step is not None:
            out["programme_step"] = self.step
        return out


# --------------------------------------------------------------------------- selection


def select(recommendations: Iterable[str], holds: Holds) -> tuple[tuple[str, str], ...]:
    """The programme's exercise ids, each with the recommendation that supplied it
    (`prevention.stay_active` for the fallback), by "Selection" steps 2 and 3."""
    lib = library()
    in_plan = set(recommendations)
    pools = [(rec, pool) for rec, pool in POOLS if rec in in_plan]
    chosen: dict[str, str] = {}

    def fits(exercise_id: str) -> bool:
        return exercise_id not in chosen and eligible(lib[exercise_id], holds)

    def run_round(stop_at: int) -> bool:
        added = False
        for rec, pool in pools:
            found = next((e for e in pool if fits(e)), None)
            if found is not None:
                chosen[found] = rec
                added = True
                if len(chosen) >= stop_at:
                    break
        return added

    added = run_round(MAX_SIZE)
    while added and len(chosen) < MIN_SIZE:
        added = run_round(MIN_SIZE)
    for exercise_id in FALLBACK:
        if len(chosen) >= MIN_SIZE:
            break
        if fits(exercise_id):
            chosen[exercise_id] = FALLBACK_BECAUSE
    return tuple(chosen.items())


def step_for(adherence: str) -> Step:
    """The programme step for a `programme_adherence` answer."""
    try:
        return STEPS[adherence]
    except KeyError:
        raise ValueError(f"unknown programme_adherence {adherence!r}") from None


def moved(level: Level, step: Step) -> Level:
    """`level` one place up (progress), the same (keep) or one down (simplify), within
    easier…progressed."""
    index = LEVELS.index(level) + _MOVE[step]
    return LEVELS[min(max(index, 0), len(LEVELS) - 1)]


def level_of(exercise_id: str, step: Step | None, previous: Mapping[str, Level]) -> Level:
    """The level of an exercise in a programme taken at `step`: moved from its previous
    level when it was in the previous programme, else `start` (`easier` under simplify)."""
    if step is None:
        return "start"
    if exercise_id in previous:
        return moved(previous[exercise_id], step)
    return "easier" if step == "simplify" else "start"


def previous_levels(saved: Iterable[Mapping[str, object]]) -> dict[str, Level]:
    """Exercise id → level from a saved session's `programme` items.

    An item without a string id or without a known level is left out: that exercise then
    counts as new, which starts it at `start` (or `easier`), never above.
    """
    out: dict[str, Level] = {}
    for item in saved:
        exercise_id, level = item.get("id"), item.get("level")
        if isinstance(exercise_id, str) and level in LEVELS:
            out[exercise_id] = level
    return out


def _item(exercise: Exercise, level: Level, because: str, holds: Holds) -> Item:
    return Item(exercise.id, exercise.name, level, exercise.dose_at(level),
                exercise.progress, exercise.easier, exercise.changes(holds), (because,))


def _flare_item(exercise: Exercise, holds: Holds) -> FlareItem:
    return FlareItem(exercise.id, exercise.name, "easier", exercise.dose_at("easier"),
                     exercise.changes(holds))


def flare_plan(items: Sequence[Item], holds: Holds) -> tuple[FlareItem, ...]:
    """The rest position and the first programme exercise that is not pelvic floor, both
    at level easier; the rest position alone when there is no such exercise; nothing
    without a programme."""
    if not items:
        return ()
    lib = library()
    first = next((item.id for item in items if item.id != PELVIC_FLOOR), None)
    ids = (REST_POSITION,) if first is None else (REST_POSITION, first)
    return tuple(_flare_item(lib[exercise_id], holds) for exercise_id in ids)


def heading_sentences(holds: Holds) -> tuple[str, ...]:
    """What the programme heading adds: the guided sentence under awaiting_doctor without
    bone_risk_condition, then the post_procedure sentence."""
    out: list[str] = []
    if holds("awaiting_doctor") and not holds("bone_risk_condition"):
        out.append(GUIDED_SENTENCE)
    if holds("post_procedure"):
        out.append(POST_PROCEDURE_SENTENCE)
    return tuple(out)


def flare_sentences(first_exercise: str | None, bone_caution: bool) -> tuple[str, ...]:
    """The handout's flare-up sentences. `first_exercise` is the name of the flare plan's
    exercise, None when the plan is the rest position alone."""
    opening = (FLARE_REST_ONLY if first_exercise is None
               else FLARE_WITH_EXERCISE.format(first_exercise=first_exercise))
    middle = FLARE_BONE_CAUTION if bone_caution else FLARE_REASSURANCE
    return (opening, middle, FLARE_SAFETY_NET)


def build_programme(recommendations: Iterable[str], holds: Holds, *, allowed: bool,
                    adherence: str | None = None,
                    previous: Mapping[str, Level] | None = None) -> Programme:
    """The programme of a plan.

    `recommendations`: the plan's recommendation ids (after bounds); `holds`: the named
    conditions; `allowed`: False in the cases of "Selection" step 1 (emergency, same_day,
    urgent, bone_hold), which give an empty programme. `adherence`: the
    `programme_adherence` answer at a follow-up; `previous`: the previous saved
    programme's levels (see `previous_levels`). The step follows the adherence answer even
    when no programme is allowed, since `programme_step` goes with the answer.
    """
    step = None if adherence is None else step_for(adherence)
    if not allowed:
        return Programme((), (), step, (), ())
    lib = library()
    chosen = select(recommendations, holds)
    if step == "simplify":
        chosen = chosen[:SIMPLIFIED_SIZE]
    before = previous or {}
    items = tuple(_item(lib[exercise_id], level_of(exercise_id, step, before), because, holds)
                  for exercise_id, because in chosen)
    flare = flare_plan(items, holds)
    first = flare[1].name if len(flare) > 1 else None
    text = flare_sentences(first, holds("bone_caution")) if flare else ()
    return Programme(items, flare, step, heading_sentences(holds), text)


def conditions_asked() -> frozenset[str]:
    """Every named condition `build_programme` may ask `holds` about."""
    return library().conditions() | {
        "gentle_programme", "awaiting_doctor", "bone_risk_condition", "post_procedure",
        "bone_caution"}

