"""The home exercise programme (the clinical reference "Exercise programme (v3)"): selection,
flare-up
plan, follow-up levels and texts.

The selection reads named conditions through a predicate, so each case here is the set of
conditions that hold and the exercise recommendations in the plan. The worked examples of
the spec are written that way (worked out from their answers files), and a small model of a
client (`Client`) derives consistent condition sets and recommendations for the properties
and for the search that finds, for every exercise, a client who is given it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

import pytest
from depth import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from backpain_cli.clinical.exercises import LEVELS, Level, eligible, library
from backpain_cli.clinical.programme import (
    EXERCISE_RECOMMENDATIONS,
    FALLBACK,
    FLARE_BONE_CAUTION,
    FLARE_REASSURANCE,
    FLARE_REST_ONLY,
    FLARE_SAFETY_NET,
    GUIDED_SENTENCE,
    POOLS,
    POST_PROCEDURE_SENTENCE,
    Item,
    Programme,
    Step,
    build_programme,
    conditions_asked,
    flare_plan,
    flare_sentences,
    heading_sentences,
    level_of,
    moved,
    previous_levels,
    select,
    step_for,
)

STAY_ACTIVE = "prevention.stay_active"


def holding(conditions: Iterable[str]) -> Callable[[str], bool]:
    """A predicate for these conditions that refuses a name the programme may not ask."""
    held = frozenset(conditions)
    asked = conditions_asked()

    def holds(name: str) -> bool:
        assert name in asked, f"asked about {name!r}"
        return name in held
    return holds


def build(recs: Iterable[str], conditions: Iterable[str], *, allowed: bool = True,
          adherence: str | None = None,
          previous: Mapping[str, Level] | None = None) -> Programme:
    return build_programme(list(recs), holding(conditions), allowed=allowed,
                           adherence=adherence, previous=previous)


def ex(*names: str) -> tuple[str, ...]:
    return tuple(f"ex.{n}" for n in names)


def p(*names: str) -> tuple[str, ...]:
    return tuple(f"prevention.{n}" for n in names)


# --------------------------------------------------------------------------- the pools


def test_pools_are_the_16_exercise_recommendations() -> None:
    assert len(POOLS) == 16 == len(set(EXERCISE_RECOMMENDATIONS))
    assert EXERCISE_RECOMMENDATIONS[0] == "prevention.pregnancy_exercise"
    assert dict(POOLS)["personalized.medium_risk.physio_exercise"] == ()


@pytest.mark.parametrize(("rec", "pool"), POOLS)
def test_every_pool_member_is_in_the_library(rec: str, pool: tuple[str, ...]) -> None:
    assert [e for e in pool if e not in library()] == []
    assert len(set(pool)) == len(pool)
    assert "ex.rest_position" not in pool


def test_fallback_is_eligible_for_every_client() -> None:
    for exercise_id in FALLBACK:
        e = library()[exercise_id]
        assert (e.requires, e.excluded, e.gentle) == ((), (), True)


# --------------------------------------------------------------------------- selection

# (label, conditions that hold, exercise recommendations in the plan, programme ids)
CASES: list[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = [
    # Worked examples of the spec (examples/*.expected.toml), as conditions.
    ("desk-strain", ("acute", "strain", "low_activity"),
     p("core_strength", "leg_strength_flexibility"), ex("bridge", "sit_to_stand", "bird_dog")),
    ("off-work-high-risk", ("chronic", "low_activity", "work_affected", "long_off_work"),
     p("core_strength", "leg_strength_flexibility"), ex("bridge", "sit_to_stand", "bird_dog")),
    ("older-vascular-falls",
     ("chronic", "leg_below_knee", "stenosis_pattern", "older_adult", "bone_caution",
      "falls_risk", "falls_high_risk", "vascular_pattern", "regular_exercise"),
     ("personalized.disc.guided_exercise", "personalized.stenosis.flexion_bias",
      *p("keep_exercising", "leg_strength_flexibility", "bone_safe_exercise",
         "strength_balance")),
     ex("wall_posture", "heel_toe_walk", "stationary_bike", "pelvic_tilt", "sit_to_stand")),
    ("osteoporotic-fracture-cleared",
     ("bone_risk_condition", "co_manage_condition", "bone_caution", "older_adult",
      "falls_risk", "stenosis_pattern", "regular_exercise"),
     ("personalized.stenosis.flexion_bias",
      *p("keep_exercising", "bone_safe_exercise", "strength_balance")),
     ex("wall_posture", "single_leg_stand", "stationary_bike", "hamstring_stretch")),
    ("pregnancy-30-weeks",
     ("pregnant", "late_pregnancy", "after_first_trimester", "pelvic_girdle_pattern",
      "pgp_early", "midwife_period", "regular_exercise"),
     p("keep_exercising", "pregnancy_exercise"), ex("pelvic_floor", "bird_dog", "walking")),
    ("postpartum-pelvic-girdle-6-weeks",
     ("postpartum", "postnatal_6wk", "postnatal_12wk", "midwife_period",
      "pelvic_girdle_pattern", "pgp_early", "low_activity"),
     p("leg_strength_flexibility", "postnatal_exercise"),
     ex("pelvic_floor", "sit_to_stand", "walking")),
    ("steroids-team-aware", ("bone_caution", "risk_flag", "low_activity"),
     p("core_strength", "leg_strength_flexibility", "bone_safe_exercise"),
     ex("back_extension_prone", "bridge", "sit_to_stand")),
    ("spondylosis", ("chronic", "regular_exercise"),
     ("personalized.arthritis.keep_moving", "personalized.medium_risk.physio_exercise",
      "prevention.keep_exercising"), ex("walking", "curl_up", "knee_rolls")),
    ("followup-adherence, first visit", ("chronic", "co_manage_condition", "awaiting_doctor",
                                         "low_activity"),
     ("personalized.arthritis.keep_moving", *p("core_strength", "leg_strength_flexibility")),
     ex("walking", "bridge", "sit_to_stand")),
    # the clinical reference "Settled" §2.3: exercises the first draft never chose.
    ("step-up: 66, no falls, regular strength exerciser", ("older_adult", "regular_exercise"),
     p("strength_balance", "keep_exercising"), ex("single_leg_stand", "curl_up", "step_up")),
    ("curl-up, side plank, back-of-thigh: a regular exerciser", ("regular_exercise",),
     p("keep_exercising"), ex("curl_up", "side_plank_knees", "hamstring_stretch")),
    ("shoulder squeeze: bone_caution under 65, back-bending pain, regular exercise",
     ("bone_caution", "extension_sensitive", "regular_exercise"),
     p("bone_safe_exercise", "keep_exercising", "avoid_hyperextension"),
     ex("wall_posture", "hamstring_stretch", "shoulder_squeeze")),
    # Round 1 stops at 5 in the middle of the list.
    ("round 1 stops at 5", ("low_activity",),
     ("personalized.stenosis.flexion_bias", "personalized.disc.guided_exercise",
      "personalized.morning_mobility", *p("flexion_exercises", "core_strength",
                                          "leg_strength_flexibility")),
     ex("stationary_bike", "knee_rolls", "glute_stretch", "knees_to_chest", "bridge")),
    # Plan order does not matter: the pools' priority order does.
    ("priority order, not plan order", ("regular_exercise", "hypermobile"),
     ("prevention.keep_exercising", "personalized.hypermobility.control"),
     ex("bird_dog", "curl_up", "bridge")),
    # A flexion-sensitive disc: the one way to propped on elbows.
    ("flexion-sensitive disc", ("flexion_sensitive_disc", "leg_below_knee", "chronic",
                                "low_activity"),
     ("personalized.disc.guided_exercise", *p("core_strength")),
     ex("prone_prop", "bridge", "knee_rolls")),
    # No exercise recommendation, or only the physiotherapist's: the fallback.
    ("no exercise recommendation", (), ("prevention.stay_active", "massage.with_exercise"),
     ex("walking", "pelvic_tilt", "sit_to_stand")),
    ("physiotherapist sets the exercises", (), ("personalized.medium_risk.physio_exercise",),
     ex("walking", "pelvic_tilt", "sit_to_stand")),
    # After a spinal procedure only gentle exercises, none that stretch to the end of range.
    ("post_procedure", ("post_procedure", "gentle_programme", "low_activity"),
     p("core_strength", "leg_strength_flexibility"),
     ex("sit_to_stand", "walking", "pelvic_tilt")),
    # Under 6 weeks after a birth: gentle, no water.
    ("postnatal under 6 weeks", ("postpartum", "postnatal_under_6wk", "postnatal_6wk",
                                 "postnatal_12wk", "gentle_programme", "low_activity"),
     p("postnatal_exercise", "leg_strength_flexibility"),
     ex("pelvic_floor", "sit_to_stand", "walking")),
]


@pytest.mark.parametrize(("label", "conditions", "recs", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_selection(label: str, conditions: tuple[str, ...], recs: tuple[str, ...],
                   expected: tuple[str, ...]) -> None:
    assert build(recs, conditions).ids == expected


def test_because_names_the_pool_or_stay_active() -> None:
    recs = p("core_strength", "leg_strength_flexibility")
    conditions = ("post_procedure", "gentle_programme")
    assert [(i.id, i.because) for i in build(recs, conditions).items] == [
        ("ex.sit_to_stand", ("prevention.leg_strength_flexibility",)),
        ("ex.walking", (STAY_ACTIVE,)),
        ("ex.pelvic_tilt", (STAY_ACTIVE,)),
    ]
    assert select(recs, holding(conditions)) == (
        ("ex.sit_to_stand", "prevention.leg_strength_flexibility"),
        ("ex.walking", STAY_ACTIVE), ("ex.pelvic_tilt", STAY_ACTIVE))


def test_items_carry_the_library_texts_and_the_changes_that_hold() -> None:
    programme = build(p("strength_balance", "core_strength", "leg_strength_flexibility"),
                      ("older_adult", "falls_risk", "low_activity"))
    assert programme.ids == ex("single_leg_stand", "bridge", "sit_to_stand")
    bridge = programme.items[1]
    e = library()["ex.bridge"]
    assert bridge == Item("ex.bridge", "Bridge", "start", e.dose, e.progress, e.easier,
                          ("falls_risk",), ("prevention.core_strength",))
    assert bridge.as_dict() == {
        "id": "ex.bridge", "name": "Bridge", "level": "start", "dose": e.dose,
        "progression": e.progress, "easier": e.easier, "changes": ["falls_risk"],
        "because": ["prevention.core_strength"]}


def test_no_programme_when_not_allowed() -> None:
    programme = build(p("core_strength"), ("low_activity",), allowed=False)
    assert programme == Programme((), (), None, (), ())
    assert programme.as_dict() == {"programme": []}
    # programme_step goes with the adherence answer, programme or not.
    assert build(p("core_strength"), (), allowed=False,
                 adherence="rarely").as_dict() == {"programme": [], "programme_step": "simplify"}


# --------------------------------------------------------------------------- flare-up plan


def test_flare_plan_is_rest_position_and_the_first_exercise_that_is_not_pelvic_floor() -> None:
    programme = build(p("pregnancy_exercise", "keep_exercising"),
                      ("pregnant", "after_first_trimester", "pgp_early", "regular_exercise"))
    assert programme.ids[0] == "ex.pelvic_floor"
    rest, bird = (library()[i] for i in ("ex.rest_position", "ex.bird_dog"))
    assert [f.as_dict() for f in programme.flare_plan] == [
        {"id": "ex.rest_position", "name": "Rest position", "level": "easier",
         "dose": rest.easier, "changes": ["after_first_trimester"]},
        {"id": "ex.bird_dog", "name": "Bird dog", "level": "easier", "dose": bird.easier,
         "changes": ["pgp_early"]},
    ]
    assert programme.flare_text == (
        "On a bad day: keep moving gently, a little and often; do the easier version of "
        "Bird dog and rest in the rest position for a few minutes at a time; heat may ease "
        "it; go back to your usual programme as it settles, usually within a few days to a "
        "week.", FLARE_REASSURANCE, FLARE_SAFETY_NET)


def test_flare_plan_with_falls_risk_carries_the_floor_change() -> None:
    programme = build(p("strength_balance"), ("older_adult", "falls_risk"))
    assert [(f.id, f.changes) for f in programme.flare_plan] == [
        ("ex.rest_position", ("falls_risk",)), ("ex.single_leg_stand", ("falls_risk",))]
    assert programme.flare_text[1] == FLARE_REASSURANCE


def test_flare_plan_alone_when_only_pelvic_floor() -> None:
    only = [Item("ex.pelvic_floor", "Pelvic floor exercises", "start", "", "", "", (), ())]
    assert [f.id for f in flare_plan(only, holding(()))] == ["ex.rest_position"]
    assert flare_plan([], holding(())) == ()


@pytest.mark.parametrize(("first", "bone_caution", "expected"), [
    (None, False, (FLARE_REST_ONLY, FLARE_REASSURANCE, FLARE_SAFETY_NET)),
    (None, True, (FLARE_REST_ONLY, FLARE_BONE_CAUTION, FLARE_SAFETY_NET)),
    ("Walking", True, (
        "On a bad day: keep moving gently, a little and often; do the easier version of "
        "Walking and rest in the rest position for a few minutes at a time; heat may ease "
        "it; go back to your usual programme as it settles, usually within a few days to a "
        "week.", FLARE_BONE_CAUTION, FLARE_SAFETY_NET)),
])
def test_flare_sentences(first: str | None, bone_caution: bool,
                         expected: tuple[str, ...]) -> None:
    assert flare_sentences(first, bone_caution) == expected


def test_flare_texts_are_the_exact_sentences_of_the_spec() -> None:
    assert FLARE_REST_ONLY == (
        "On a bad day: keep moving gently, a little and often; rest in the rest position for "
        "a few minutes at a time; heat may ease it; go back to your usual programme as it "
        "settles, usually within a few days to a week.")
    assert FLARE_REASSURANCE == "A flare-up is common and usually not a sign of new damage."
    assert FLARE_BONE_CAUTION == ("A sudden, new, severe pain after a strain or fall is not a "
                                  "flare-up: see 'When to get help sooner'.")
    assert FLARE_SAFETY_NET == "The signs under 'When to get help sooner' apply on bad days too."


def test_bone_caution_flare_text() -> None:
    programme = build(p("bone_safe_exercise"), ("bone_caution",))
    assert programme.flare_text[1:] == (FLARE_BONE_CAUTION, FLARE_SAFETY_NET)


# --------------------------------------------------------------------------- heading


@pytest.mark.parametrize(("conditions", "expected"), [
    ((), ()),
    (("awaiting_doctor",), (GUIDED_SENTENCE,)),
    (("awaiting_doctor", "bone_risk_condition"), ()),
    (("post_procedure",), (POST_PROCEDURE_SENTENCE,)),
    (("awaiting_doctor", "post_procedure"), (GUIDED_SENTENCE, POST_PROCEDURE_SENTENCE)),
])
def test_heading_sentences(conditions: tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert heading_sentences(holding(conditions)) == expected
    assert build((), conditions).heading == expected


def test_heading_sentences_are_exact() -> None:
    assert GUIDED_SENTENCE == (
        "Do this with a physiotherapist or with the doctor's agreement; do not start a hard "
        "strengthening programme on your own.")
    assert POST_PROCEDURE_SENTENCE == (
        "Agree these exercises with the physiotherapist or team that did the procedure.")


# --------------------------------------------------------------------------- follow-up


@pytest.mark.parametrize(("adherence", "step"), [
    ("most_days", "progress"), ("some_days", "keep"), ("rarely", "simplify"),
    ("not_started", "simplify"),
])
def test_step_for(adherence: str, step: Step) -> None:
    assert step_for(adherence) == step


def test_step_for_unknown_answer() -> None:
    with pytest.raises(ValueError, match="unknown programme_adherence 'often'"):
        step_for("often")


@pytest.mark.parametrize(("level", "step", "expected"), [
    ("easier", "progress", "start"), ("start", "progress", "progressed"),
    ("progressed", "progress", "progressed"),
    ("easier", "keep", "easier"), ("start", "keep", "start"),
    ("progressed", "keep", "progressed"),
    ("easier", "simplify", "easier"), ("start", "simplify", "easier"),
    ("progressed", "simplify", "start"),
])
def test_moved(level: Level, step: Step, expected: Level) -> None:
    assert moved(level, step) == expected
    assert level_of("ex.bridge", step, {"ex.bridge": level}) == expected


@pytest.mark.parametrize(("step", "expected"), [
    (None, "start"), ("progress", "start"), ("keep", "start"), ("simplify", "easier")])
def test_a_new_exercise_starts_at_start_or_easier(step: Step | None, expected: Level) -> None:
    assert level_of("ex.bridge", step, {"ex.walking": "start"}) == expected


def test_followup_adherence_example() -> None:
    # examples/followup-adherence: the doctor has agreed, walking 3 days a week, most days.
    first = build(("personalized.arthritis.keep_moving",
                   *p("core_strength", "leg_strength_flexibility")),
                  ("chronic", "co_manage_condition", "awaiting_doctor", "low_activity"))
    assert first.heading == (GUIDED_SENTENCE,)
    saved = [item.as_dict() for item in first.items]
    follow = build(("personalized.arthritis.keep_moving", "prevention.keep_exercising"),
                   ("chronic", "co_manage_condition", "regular_exercise"),
                   adherence="most_days", previous=previous_levels(saved))
    assert [(i.id, i.level) for i in follow.items] == [
        ("ex.walking", "progressed"), ("ex.curl_up", "start"), ("ex.knee_rolls", "start")]
    assert follow.items[0].dose == library()["ex.walking"].progress
    assert [f.id for f in follow.flare_plan] == ["ex.rest_position", "ex.walking"]
    assert follow.as_dict()["programme_step"] == "progress"
    assert follow.heading == ()


def test_simplify_keeps_the_first_three() -> None:
    recs = ("personalized.stenosis.flexion_bias", "personalized.disc.guided_exercise",
            "personalized.morning_mobility", *p("flexion_exercises", "core_strength"))
    full = build(recs, ("low_activity",))
    assert len(full.ids) == 5
    previous: dict[str, Level] = {full.ids[0]: "progressed", full.ids[1]: "easier"}
    simple = build(recs, ("low_activity",), adherence="not_started", previous=previous)
    assert simple.ids == full.ids[:3]
    assert [i.level for i in simple.items] == ["start", "easier", "easier"]
    assert simple.step == "simplify"


def test_keep_leaves_levels_alone() -> None:
    recs = p("core_strength", "leg_strength_flexibility")
    previous: dict[str, Level] = {"ex.bridge": "progressed", "ex.sit_to_stand": "easier"}
    kept = build(recs, ("low_activity",), adherence="some_days", previous=previous)
    assert [(i.id, i.level) for i in kept.items] == [
        ("ex.bridge", "progressed"), ("ex.sit_to_stand", "easier"), ("ex.bird_dog", "start")]
    assert [i.dose for i in kept.items] == [
        library()["ex.bridge"].progress, library()["ex.sit_to_stand"].easier,
        library()["ex.bird_dog"].dose]


def test_without_adherence_every_level_is_start() -> None:
    previous: dict[str, Level] = {"ex.bridge": "progressed"}
    programme = build(p("core_strength"), ("low_activity",), previous=previous)
    assert {i.level for i in programme.items} == {"start"}
    assert "programme_step" not in programme.as_dict()


def test_previous_levels_reads_saved_items() -> None:
    saved: list[dict[str, object]] = [
        {"id": "ex.bridge", "level": "progressed"}, {"id": "ex.walking", "level": "fast"},
        {"level": "start"}, {"id": 3, "level": "start"}, {"id": "ex.lunge", "level": "easier"}]
    assert previous_levels(saved) == {"ex.bridge": "progressed", "ex.lunge": "easier"}


# --------------------------------------------------------------------------- a client model


@dataclass(frozen=True)
class Client:
    """The facts the programme's conditions and exercise recommendations come from.

    A small model of the clinical reference's definitions, enough to give consistent condition sets
    (no pregnancy after 55, falls questions from 65, pgp_early only in its period) and the
    exercise recommendations that fire with them.
    """

    pregnancy: str
    pelvic_girdle: bool
    age: str
    falls: str
    bone_risk: bool
    steroids: bool
    awaiting_doctor: bool
    post_procedure: bool
    stenosis: bool
    disc: bool
    leg_below_knee: bool
    chronic: bool
    bending_forward_worse: bool
    extension_sensitive: bool
    eased_by_bending_forward: bool
    axspa: bool
    hypermobile: bool
    morning_stiffness: bool
    arthritis: bool
    regular_exercise: bool
    sitting_6_hours: bool
    medium_risk: bool

    def conditions(self) -> frozenset[str]:
        pregnancy, out = self.pregnancy, set[str]()
        pregnant = pregnancy in ("early", "mid", "late")
        postpartum = pregnancy.startswith("postnatal")
        older = self.age != "under_65" and pregnancy == "none"
        flags = {
            "pregnant": pregnant, "postpartum": postpartum,
            "early_pregnancy": pregnancy == "early",
            "after_first_trimester": pregnancy in ("mid", "late"),
            "late_pregnancy": pregnancy == "late",
            "postnatal_under_6wk": pregnancy == "postnatal_0_5",
            "postnatal_6wk": pregnancy in ("postnatal_0_5", "postnatal_6"),
            "postnatal_12wk": pregnancy in ("postnatal_0_5", "postnatal_6", "postnatal_7_11"),
            "older_adult": older,
            "bone_risk_condition": self.bone_risk,
            "awaiting_doctor": self.awaiting_doctor,
            "bone_hold": self.awaiting_doctor and self.bone_risk,
            "bone_caution": self.bone_risk or self.steroids or (older and self.age == "70_plus"),
            "falls_risk": older and self.falls != "none",
            "falls_high_risk": older and self.falls == "two_or_more",
            "post_procedure": self.post_procedure,
            "stenosis_pattern": self.stenosis,
            "leg_below_knee": self.leg_below_knee,
            "chronic": self.chronic,
            "nerve_root_pain": self.leg_below_knee and not self.chronic,
            "flexion_sensitive_disc": self.bending_forward_worse and (
                self.leg_below_knee or self.disc),
            "extension_sensitive": self.extension_sensitive,
            "hypermobile": self.hypermobile,
            "regular_exercise": self.regular_exercise,
            "low_activity": not self.regular_exercise,
        }
        flags["pelvic_girdle_pattern"] = self.pelvic_girdle and (pregnant or postpartum)
        flags["pgp_early"] = flags["pelvic_girdle_pattern"] and (
            pregnant or flags["postnatal_12wk"])
        flags["gentle_programme"] = flags["postnatal_under_6wk"] or self.post_procedure
        out.update(name for name, holds in flags.items() if holds)
        return frozenset(out)

    def recommendations(self) -> tuple[str, ...]:
        c = self.conditions()
        fsd = "flexion_sensitive_disc" in c
        fires = {
            "prevention.pregnancy_exercise": "pregnant" in c,
            "prevention.postnatal_exercise": "postpartum" in c,
            "prevention.bone_safe_exercise": "bone_caution" in c,
            "prevention.strength_balance": "older_adult" in c,
            "personalized.stenosis.flexion_bias": self.stenosis and not fsd,
            "personalized.disc.guided_exercise": self.disc or self.leg_below_knee,
            "personalized.as.gentle_stretching": self.axspa,
            "personalized.as.low_impact_exercise": self.axspa,
            "personalized.hypermobility.control": self.hypermobile,
            "personalized.morning_mobility": self.morning_stiffness,
            "personalized.arthritis.keep_moving": self.arthritis,
            "prevention.flexion_exercises": (
                self.extension_sensitive or self.eased_by_bending_forward or self.stenosis)
            and not fsd and "pregnant" not in c and "bone_caution" not in c,
            "prevention.core_strength": not self.regular_exercise and "pregnant" not in c
            and "postnatal_12wk" not in c,
            "prevention.leg_strength_flexibility": not self.regular_exercise
            or self.sitting_6_hours,
            "prevention.keep_exercising": self.regular_exercise,
            "personalized.medium_risk.physio_exercise": self.medium_risk,
        }
        recs = [r for r in EXERCISE_RECOMMENDATIONS if fires[r]]
        if "bone_hold" in c:   # Bounds: prevention only stay_active
            recs = [r for r in recs if not r.startswith("prevention.")]
        # Plan order: personalized before prevention (the programme must not depend on it).
        return tuple(sorted(recs, key=lambda r: not r.startswith("personalized.")))

    def allowed(self) -> bool:
        return "bone_hold" not in self.conditions()


CHOICES: dict[str, tuple[object, ...]] = {
    "pregnancy": ("none", "early", "mid", "late", "postnatal_0_5", "postnatal_6",
                  "postnatal_7_11", "postnatal_12_plus"),
    "age": ("under_65", "65_to_69", "70_plus"),
    "falls": ("none", "one_or_unsteady", "two_or_more"),
}


def clients() -> st.SearchStrategy[Client]:
    return st.builds(Client, **{
        f.name: st.sampled_from(CHOICES[f.name]) if f.name in CHOICES else st.booleans()
        for f in fields(Client)})


BOOLEANS = tuple(f.name for f in fields(Client) if f.name not in CHOICES)


def small_clients(most_true: int) -> Iterator[Client]:
    """Every client with each choice of CHOICES and at most `most_true` facts true: few
    exercise recommendations, so the later members of each pool are reached too."""
    for values in itertools.product(*CHOICES.values()):
        for n in range(most_true + 1):
            for true in itertools.combinations(BOOLEANS, n):
                facts: dict[str, Any] = dict(zip(CHOICES, values, strict=True))
                facts.update({name: name in true for name in BOOLEANS})
                yield Client(**facts)


def programme_of(client: Client, adherence: str | None = None,
                 previous: Mapping[str, Level] | None = None) -> Programme:
    return build(client.recommendations(), client.conditions(), allowed=client.allowed(),
                 adherence=adherence, previous=previous)


# --------------------------------------------------------------------------- properties

G27 = set(ex("knee_rolls", "cat_camel", "knees_to_chest", "childs_pose", "prone_prop",
             "hip_flexor_stretch", "hamstring_stretch", "glute_stretch", "water_exercise"))
G18 = set(ex("knees_to_chest", "childs_pose", "curl_up", "cat_camel", "side_plank_knees",
             "knee_rolls"))
ONE_LEG = re.compile(r"\bone leg\b", re.IGNORECASE)


@settings(max_examples=examples(500))
@given(clients(), st.sampled_from((None, "most_days", "some_days", "rarely", "not_started")))
def test_programme_guardrails(client: Client, adherence: str | None) -> None:
    conditions = client.conditions()
    holds = holding(conditions)
    programme = programme_of(client, adherence=adherence)
    ids = programme.ids
    if not client.allowed():                                   # Guardrail 17, step 1
        assert (ids, programme.flare_plan) == ((), ())
        return
    size = (3, 3) if adherence in ("rarely", "not_started") else (3, 5)
    assert size[0] <= len(ids) <= size[1]                       # Guardrail 17
    assert len(set(ids)) == len(ids)                            # Guardrail 16
    assert all(eligible(library()[i], holds) for i in ids)      # Guardrail 16
    assert "ex.rest_position" not in ids
    in_plan = set(client.recommendations()) | {STAY_ACTIVE}
    for item in programme.items:                                # Guardrail 10
        assert len(item.because) == 1 and item.because[0] in in_plan
        assert item.dose == library()[item.id].dose_at(item.level)
        assert item.changes == library()[item.id].changes(holds)
    if "post_procedure" in conditions:                          # Guardrail 27
        assert all(library()[i].gentle for i in ids)
        assert not G27 & set(ids)
    if "bone_caution" in conditions:                            # Guardrail 18
        assert not G18 & set(ids)
    if "pgp_early" in conditions:                               # Guardrail 28
        assert not [t for i in programme.items for t in (i.dose, i.progression)
                    if ONE_LEG.search(t)]
    flare = [f.id for f in programme.flare_plan]
    assert flare[0] == "ex.rest_position" and flare[1:] == [
        next(i for i in ids if i != "ex.pelvic_floor")]
    assert all(f.level == "easier" for f in programme.flare_plan)


@settings(max_examples=examples(500))
@given(st.sets(st.sampled_from(sorted(conditions_asked()))),
       st.sets(st.sampled_from(EXERCISE_RECOMMENDATIONS)))
def test_any_conditions_give_3_to_5_eligible_exercises(conditions: set[str],
                                                       recs: set[str]) -> None:
    # Even a condition set no client can have (the fallback is eligible for everyone).
    holds = holding(conditions)
    ids = build(recs, conditions).ids
    assert 3 <= len(ids) <= 5 and len(set(ids)) == len(ids)
    assert all(eligible(library()[i], holds) for i in ids)


@settings(max_examples=examples(200))
@given(clients())
def test_same_answers_same_programme(client: Client) -> None:   # Guardrail 9
    assert programme_of(client) == programme_of(client)
    assert programme_of(client).ids[:3] == programme_of(client, adherence="rarely").ids


@settings(max_examples=examples(200))
@given(clients(), st.permutations(EXERCISE_RECOMMENDATIONS))
def test_plan_order_does_not_matter(client: Client, order: list[str]) -> None:
    recs = set(client.recommendations())
    holds = holding(client.conditions())
    assert select([r for r in order if r in recs], holds) == select(sorted(recs), holds)


@settings(max_examples=examples(200))
@given(clients(), st.sampled_from(("most_days", "some_days", "rarely", "not_started")),
       st.dictionaries(st.sampled_from(library().ids), st.sampled_from(LEVELS)))
def test_levels_move_one_step_at_most(client: Client, adherence: str,
                                      previous: dict[str, Level]) -> None:
    programme = programme_of(client, adherence=adherence, previous=previous)
    step = step_for(adherence)
    for item in programme.items:
        if item.id in previous:
            assert item.level == moved(previous[item.id], step)
            shift = LEVELS.index(item.level) - LEVELS.index(previous[item.id])
            assert shift in {"progress": (0, 1), "keep": (0,), "simplify": (-1, 0)}[step]
        else:
            assert item.level == ("easier" if step == "simplify" else "start")


def test_every_exercise_is_chosen_for_some_client() -> None:
    # the clinical reference "Selection" step 3: every library exercise is chosen for some answers;
    # the rest position only in the flare-up plan. The search stops at the first client
    # that brings the last one.
    wanted = set(library().ids) - {"ex.rest_position"}
    witness: dict[str, Client] = {}
    for client in small_clients(2):
        for exercise_id in programme_of(client).ids:
            witness.setdefault(exercise_id, client)
        if wanted <= set(witness):
            break
    assert sorted(wanted - set(witness)) == []
    assert "ex.rest_position" not in witness
