"""Every required recommendation: one plan where it fires and one where it does not.

Each case is the base client of `strategies.BASE_ANSWERS` with a few answers changed,
checked as a complete interview and run through `build_plan`, as the tool would.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from strategies import BASE_ANSWERS, SPEC_ORDER, client_answers

from backpain_cli.clinical import recommender
from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.model import Plan, Recommendation
from backpain_cli.clinical.scoring import compute_scores
from backpain_cli.clinical.triage import red_flags, triage

STRAIN = {"pain_duration": "under_6_weeks", "onset": "after_exertion"}
HIGH_RISK = {f"sbst_{i}": True for i in range(5, 9)}
MEDIUM_RISK = {f"sbst_{i}": True for i in range(1, 5)}
CHRONIC: dict[str, Any] = {"pain_duration": "over_12_weeks", "axspa_features": ["none"]}
AXSPA_3 = ["onset_before_35", "wakes_second_half_night", "better_with_movement"]
AXSPA_4 = [*AXSPA_3, "family_history"]
# Three features without an onset before 35: onset_before_45 is then asked (age 45 or over).
AXSPA_3_LATE = ["wakes_second_half_night", "better_with_movement", "buttock_pain"]
NO_MASSAGE_HELP = {"current_care": ["massage"], "massage_helped": "no"}
UNDER_CARE = {"under_medical_care": True}
STENOSIS = {"age": 65, "pain_worse_with": ["standing_walking"], "pain_eased_by": ["sitting"]}
PREGNANT_30 = {"pregnancy": "pregnant", "pregnancy_weeks": 30, "rf_pregnancy_warning": False}
PREGNANT_20 = {"pregnancy": "pregnant", "pregnancy_weeks": 20, "rf_pregnancy_warning": False}
LEG = {"pain_location": ["lower_back", "leg_below_knee"]}
DEMO = Path(__file__).parent.parent / "examples" / "demo.answers.toml"
FLEXION_DISC = {"pain_worse_with": ["bending_forward", "standing_walking"],
                "pain_location": ["lower_back", "leg_below_knee"]}

# id: (answers where it fires, answers where it does not)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "medical.emergency_referral": ({"rf_bladder_bowel": True}, {"rf_night_pain": True}),
    "medical.urgent_referral": ({"rf_trauma": True},
                                {"rf_trauma": True, "rf_saddle_numbness": True}),
    "medical.axspa_referral": ({"pain_duration": "over_12_weeks", "age": 30,
                                "axspa_features": AXSPA_4},
                               {"pain_duration": "over_12_weeks", "age": 30,
                                "axspa_features": AXSPA_3}),
    "medical.axspa_discuss": ({"pain_duration": "over_12_weeks", "age": 50,
                               "onset_before_45": True, "axspa_features": AXSPA_3_LATE},
                              {"pain_duration": "over_12_weeks", "age": 50,
                               "onset_before_45": False, "axspa_features": AXSPA_3_LATE}),
    "medical.routine_review": ({**CHRONIC, "pain_worst_week": 8},
                               {**CHRONIC, "pain_worst_week": 7}),
    "medical.young_person": ({"age": 14, "pain_duration": "under_6_weeks"}, {"age": 16}),
    "medical.sciatica_review": (LEG, {**LEG, "pain_duration": "under_6_weeks"}),
    "medical.pregnancy_care": ({"pregnancy": "postpartum"}, {}),
    # v3: spondylosis alone is no co-manage condition; spinal arthritis is
    "medical.co_manage": ({"diagnoses": ["spinal_arthritis"], "under_medical_care": False},
                          {"diagnoses": ["spinal_arthritis"], **UNDER_CARE}),
    "medical.coordinate_care": ({"diagnoses": ["autoimmune"], **UNDER_CARE},
                                {"diagnoses": ["autoimmune"], "under_medical_care": False}),
    "medical.psychosocial_support": (HIGH_RISK, {**HIGH_RISK, "sbst_8": False}),
    "medical.safety_net": ({}, {"rf_both_legs": True}),
    "sleep.mattress.medium_firm": ({"pain_on_waking": "lasts_longer", "mattress_age_years": 11},
                                   {"pain_on_waking": "lasts_longer",
                                    "mattress_age_years": 10}),
    "sleep.mattress.softer_surface": (
        {"pain_on_waking": "eases_within_30min", "mattress_firmness": "very_firm",
         "mattress_opinion": "too_firm", "mattress_age_years": 10},
        {"pain_on_waking": "eases_within_30min", "mattress_firmness": "very_firm",
         "mattress_opinion": "too_firm", "mattress_age_years": 10, "mattress_sagging": True}),
    "sleep.mattress.review": ({"pain_on_waking": "lasts_longer"},
                              {"pain_on_waking": "lasts_longer", "mattress_firmness": "soft"}),
    "sleep.no_change": ({}, {"mattress_sagging": True}),
    "sleep.pillow.between_knees": ({"knee_pillow": False},
                                   {"sleep_position": "back", "knee_pillow": False}),
    "sleep.pillow.under_knees": ({"sleep_position": "back", "knee_pillow": False},
                                 {"sleep_position": "back", "knee_pillow": True}),
    "sleep.position.stomach": ({"sleep_position": "stomach", "knee_pillow": None,
                                "pillow_height": "low"}, {"sleep_position": "mixed"}),
    "sleep.position.pregnancy": (PREGNANT_30, PREGNANT_20),
    "sleep.pillow.height": ({"pillow_height": "low"}, {"pillow_height": "high"}),
    "personalized.as.gentle_stretching": ({"diagnoses": ["ankylosing_spondylitis"],
                                           **UNDER_CARE}, {"diagnoses": ["spondylosis"],
                                                           **UNDER_CARE}),
    "personalized.as.low_impact_exercise": ({"pain_duration": "over_12_weeks", "age": 30,
                                             "axspa_features": AXSPA_4},
                                            {"pain_duration": "over_12_weeks", "age": 30,
                                             "axspa_features": AXSPA_3}),
    "personalized.as.medical_care": ({"diagnoses": ["ankylosing_spondylitis"],
                                      "under_medical_care": False}, {}),
    "personalized.strain.relative_rest": (STRAIN, {**STRAIN, "pain_duration": "6_to_12_weeks"}),
    "personalized.strain.cold_or_heat": ({"diagnoses": ["muscle_strain"],
                                          "under_medical_care": False},
                                         {"recent_overexertion": True}),
    "personalized.strain.massage": ({**STRAIN, "current_care": ["massage"],
                                     "massage_helped": "somewhat"},
                                    {**STRAIN, **NO_MASSAGE_HELP}),
    "personalized.arthritis.keep_moving": ({"diagnoses": ["spinal_arthritis"], **UNDER_CARE},
                                           {"diagnoses": ["scoliosis"], **UNDER_CARE}),
    "personalized.arthritis.medical_care": ({"diagnoses": ["spondylosis", "scoliosis"],
                                             "under_medical_care": False},
                                            {"diagnoses": ["autoimmune"], **UNDER_CARE}),
    "personalized.disc.guided_exercise": ({"pain_location": ["lower_back", "leg_below_knee"]},
                                          {"pain_location": ["lower_back", "leg_above_knee"]}),
    "personalized.stenosis.flexion_bias": (STENOSIS, {**STENOSIS, **FLEXION_DISC}),
    "personalized.morning_mobility": ({"morning_stiffness_over_30min": True}, {}),
    "personalized.pregnancy.pelvic_girdle": (PREGNANT_20, {"pregnancy": "no"}),
    "personalized.low_risk.self_management": ({**MEDIUM_RISK, "sbst_4": False}, MEDIUM_RISK),
    "personalized.medium_risk.physio_exercise": (MEDIUM_RISK, {**MEDIUM_RISK, **HIGH_RISK}),
    "personalized.heat": ({}, CHRONIC),
    "prevention.stay_active": ({"rf_weight_loss": True}, {"rf_leg_weakness": True}),
    "prevention.core_strength": ({"exercise_days": 1},
                                 {"exercise_types": ["walking", "yoga_pilates"]}),
    "prevention.keep_exercising": ({"exercise_days": 2},
                                   {"exercise_days": 3, "exercise_types": ["walking"]}),
    "prevention.leg_strength_flexibility": ({"sitting_hours": 6}, {"sitting_hours": 5}),
    "prevention.flexion_exercises": ({"pain_worse_with": ["bending_backward"]},
                                     {"pain_worse_with": ["bending_backward", "bending_forward"],
                                      "pain_location": ["leg_below_knee"]}),
    "prevention.pregnancy_exercise": (PREGNANT_20, {"pregnancy": "postpartum"}),
    "prevention.avoid_hyperextension": ({"hyperextension_activities": True},
                                        {"pain_worse_with": ["bending_forward"]}),
    "prevention.safe_lifting": ({"pain_worse_with": ["lifting"]}, {"occupation": "mixed"}),
    "prevention.break_up_sitting": ({"pain_worse_with": ["sitting"]}, {"sitting_hours": 5}),
    "massage.hold_until_cleared": ({"rf_cancer_history": True}, {}),
    "massage.reconsider": (NO_MASSAGE_HELP, {"current_care": ["massage"],
                                             "massage_helped": "yes"}),
    "massage.gentle_only": ({"diagnoses": ["osteoporosis"], **UNDER_CARE},
                            {"diagnoses": ["scoliosis"], **UNDER_CARE}),
    "massage.with_exercise": ({}, NO_MASSAGE_HELP),
    "massage.focused": (STRAIN, {**STRAIN, **HIGH_RISK}),
    "massage.whole_body": (HIGH_RISK, {**HIGH_RISK, "diagnoses": ["spinal_tumor"],
                                       **UNDER_CARE}),
    "massage.prenatal": (PREGNANT_20, {**PREGNANT_20, **NO_MASSAGE_HELP}),
    "massage.combine_care": ({"current_care": ["massage", "chiropractic"],
                              "massage_helped": "yes"},
                             {"current_care": ["massage", "chiropractic"],
                              "massage_helped": "no"}),
}


def plan_for(overrides: dict[str, Any]) -> Plan:
    return build_plan(client_answers(overrides))


def find(plan: Plan, rec_id: str) -> Recommendation:
    for r in plan.recommendations:
        if r.id == rec_id:
            return r
    raise AssertionError(f"{rec_id} not in {plan.ids}")


def test_every_required_id_has_cases_and_a_rule_in_spec_order() -> None:
    assert tuple(CASES) == SPEC_ORDER
    assert recommender.RULE_IDS == SPEC_ORDER


@pytest.mark.parametrize("rec_id", SPEC_ORDER)
def test_fires(rec_id: str) -> None:
    plan = plan_for(CASES[rec_id][0])
    assert rec_id in plan.ids, f"{rec_id} should fire: triage={plan.triage} ids={plan.ids}"


@pytest.mark.parametrize("rec_id", SPEC_ORDER)
def test_does_not_fire(rec_id: str) -> None:
    plan = plan_for(CASES[rec_id][1])
    assert rec_id not in plan.ids, f"{rec_id} should not fire: ids={plan.ids}"


def test_base_client_plan() -> None:
    plan = plan_for({})
    assert plan.triage == "none"
    assert plan.ids == (
        "medical.safety_net",
        "sleep.no_change", "personalized.low_risk.self_management", "personalized.heat",
        "prevention.stay_active", "prevention.keep_exercising", "massage.with_exercise",
        "massage.combine_care",
    ), plan.ids


# --------------------------------------------------------------------------- because


@pytest.mark.parametrize(("overrides", "rec_id", "because"), [
    ({"rf_trauma": True, "rf_steroids": True, "first_episode": True, "age": 70},
     "medical.urgent_referral", ("rf_trauma", "rf_steroids", "rf_age_first_episode")),
    ({"rf_trauma": True, "rf_steroids": True}, "massage.hold_until_cleared",
     ("rf_trauma", "rf_steroids")),
    ({"rf_fever": True, "rf_immunosuppressed": True, "rf_trauma": True},
     "medical.emergency_referral", ("rf_fever", "rf_immunosuppressed", "rf_trauma")),
    ({}, "massage.with_exercise", ("current_care",)),
    ({"current_care": ["massage"], "massage_helped": "yes"}, "massage.with_exercise",
     ("massage_helped",)),
    ({}, "massage.combine_care", ("current_care",)),
    ({"current_care": ["massage"], "massage_helped": "yes"}, "massage.combine_care",
     ("massage_helped", "current_care")),
    # "low_activity and not pregnant": the negated part is not named beside a positive one
    # (CLINICAL.md v3; issue 17: men were told their plan was based on their pregnancy)
    ({"exercise_days": 0, "exercise_types": None}, "prevention.core_strength",
     ("exercise_days",)),
    # a negation alone is named, with every answer it mentions
    ({"exercise_types": ["strength"]}, "prevention.keep_exercising",
     ("exercise_days", "exercise_types")),
    ({}, "prevention.keep_exercising", ("exercise_days", "exercise_types")),
    ({}, "prevention.stay_active", ("pain_duration",)),
    ({}, "personalized.heat",
     ("pain_duration", "diagnoses", "recent_overexertion", "onset")),
    (HIGH_RISK, "medical.psychosocial_support", ("startback_risk",)),
    ({**HIGH_RISK, **CHRONIC}, "medical.psychosocial_support", ("startback_risk",)),
    ({"rf_trauma": True}, "medical.safety_net", ("pain_duration", "rf_trauma")),
    ({"pregnancy": "pregnant", "pregnancy_weeks": 30, "rf_pregnancy_warning": False},
     "sleep.position.pregnancy", ("pregnancy", "pregnancy_weeks")),
    ({"pain_on_waking": "lasts_longer", "morning_stiffness_over_30min": True},
     "sleep.mattress.review", ("pain_on_waking", "morning_stiffness_over_30min")),
    ({"pain_duration": "over_12_weeks", "age": 50,
      "axspa_features": ["onset_before_35", *AXSPA_3_LATE]}, "medical.axspa_referral",
     ("pain_duration", "axspa_features", "axspa_feature_count")),
    ({"diagnoses": ["spinal_arthritis"], "under_medical_care": False}, "medical.co_manage",
     ("diagnoses",)),
    ({"pain_on_waking": "lasts_longer"}, "sleep.mattress.review", ("pain_on_waking",)),
    ({"pain_on_waking": "eases_within_30min", "mattress_sagging": True},
     "sleep.mattress.medium_firm", ("pain_on_waking", "mattress_sagging")),
    ({"pillow_height": "none"}, "sleep.pillow.height", ("sleep_position", "pillow_height")),
    ({"pain_duration": "over_12_weeks", "age": 30, "axspa_features": AXSPA_4},
     "medical.axspa_referral", ("pain_duration", "age", "axspa_features", "axspa_feature_count")),
])
def test_because(overrides: dict[str, Any], rec_id: str, because: tuple[str, ...]) -> None:
    assert find(plan_for(overrides), rec_id).because == because, (rec_id, overrides)


# Issue 17: "Based on: … your pregnancy" for clients who are not pregnant. Each of these
# plans holds rules with an "and not pregnant" (or "not late_pregnancy") part.
NOT_PREGNANT_RULES = {"prevention.core_strength", "prevention.flexion_exercises",
                      "massage.focused", "massage.whole_body", "sleep.pillow.between_knees",
                      "sleep.pillow.under_knees", "sleep.position.stomach"}


@pytest.mark.parametrize("overrides", [
    pytest.param({"age": 27, "exercise_days": 0, "exercise_types": None, "knee_pillow": False,
                  "pain_worse_with": ["bending_backward"], **HIGH_RISK}, id="man of 27"),
    pytest.param({"age": 68, "exercise_days": 1, "exercise_types": ["walking"], **STRAIN,
                  "sleep_position": "back", "knee_pillow": False}, id="man of 68"),
    pytest.param(dict(tomllib.loads(DEMO.read_text("utf-8"))["answers"]), id="demo"),
])
def test_no_because_names_the_pregnancy_of_a_client_who_is_not_pregnant(
        overrides: dict[str, Any]) -> None:
    plan = plan_for(overrides)
    assert len(NOT_PREGNANT_RULES & set(plan.ids)) >= 2, plan.ids
    named = {r.id: r.because for r in plan.recommendations
             if {"pregnancy", "pregnancy_weeks"} & set(r.because)}
    assert named == {}


# --------------------------------------------------------------------------- bounds


def test_urgent_keeps_only_medical_sleep_stay_active_and_hold() -> None:
    plan = plan_for({**STRAIN, **HIGH_RISK, "rf_trauma": True, "pillow_height": "low",
                     "diagnoses": ["spinal_arthritis"], "under_medical_care": False})
    assert plan.triage == "urgent"
    # No psychosocial support under urgent (v2): no reassurance until a doctor has seen them.
    assert plan.ids == (
        "medical.urgent_referral", "medical.co_manage", "medical.safety_net",
        "sleep.no_change", "sleep.pillow.height", "prevention.stay_active",
        "massage.hold_until_cleared",
    ), plan.ids


def test_co_manage_does_not_allow_massage_under_urgent_triage() -> None:
    plan = plan_for({"diagnoses": ["spinal_arthritis"], "under_medical_care": False,
                     "rf_cancer_history": True})
    co_manage = find(plan, "medical.co_manage")
    assert "light massage" not in co_manage.detail, co_manage.detail
    assert "no hands-on work at all" in co_manage.detail, co_manage.detail
    assert co_manage.because == ("diagnoses", "rf_cancer_history")
    calm = find(plan_for({"diagnoses": ["spinal_arthritis"], "under_medical_care": False}),
                "medical.co_manage")
    assert "light massage" in calm.detail and calm.because == ("diagnoses",)


def test_awaiting_doctor_with_bone_risk_bounds_prevention_and_massage() -> None:
    plan = plan_for({**STRAIN, "diagnoses": ["muscle_strain", "spinal_tumor"],
                     "under_medical_care": False, "current_care": ["massage"],
                     "massage_helped": "no", "sitting_hours": 9,
                     "morning_stiffness_over_30min": True})
    assert plan.triage == "co_manage"
    assert plan.ids == (
        "medical.co_manage", "medical.safety_net", "sleep.no_change",
        "personalized.strain.relative_rest", "personalized.strain.cold_or_heat",
        "personalized.morning_mobility", "personalized.low_risk.self_management",
        "prevention.stay_active", "massage.reconsider", "massage.gentle_only",
    ), plan.ids
    # personalized exercise items stay, worded as guided care
    assert "with a physiotherapist or with the doctor's agreement" in find(
        plan, "personalized.morning_mobility").detail


def test_awaiting_doctor_without_bone_risk_keeps_exercise_as_guided_care() -> None:
    plan = plan_for({"diagnoses": ["spinal_stenosis"], "under_medical_care": False,
                     "exercise_days": 1, "sitting_hours": 8})
    assert plan.triage == "co_manage"
    assert [i for i in plan.ids if i.split(".")[0] in ("prevention", "massage")] == [
        "prevention.stay_active", "prevention.core_strength",
        "prevention.leg_strength_flexibility", "prevention.flexion_exercises",
        "prevention.break_up_sitting", "massage.gentle_only"], plan.ids
    core = find(plan, "prevention.core_strength")
    assert core.detail.endswith("do not start a hard strengthening programme on your own.")
    assert core.because == ("exercise_days", "diagnoses")
    # not worded as guided once the doctor is happy for exercise to go ahead
    cleared = find(plan_for({"diagnoses": ["spinal_stenosis"], **UNDER_CARE,
                             "exercise_days": 1}), "prevention.core_strength")
    assert "doctor's agreement" not in cleared.detail


def test_fragility_fracture_sends_an_osteoporotic_strain_to_the_doctor() -> None:
    # v1 gave heat, exercise and massage to a 68-year-old with osteoporosis hurt in a fall
    # who answered no to the trauma question.
    plan = plan_for({"age": 68, "pain_duration": "under_6_weeks", "onset": "after_injury",
                     "diagnoses": ["osteoporosis"], "under_medical_care": False,
                     "rf_trauma": False})
    assert plan.triage == "urgent"
    assert plan.ids[0] == "medical.urgent_referral"
    assert "personalized.heat" not in plan.ids
    assert "rf_fragility_fracture" in find(plan, "medical.urgent_referral").because


def test_under_medical_care_lifts_the_bounds() -> None:
    plan = plan_for({**STRAIN, "diagnoses": ["muscle_strain", "spinal_tumor"], **UNDER_CARE})
    assert plan.ids == (
        "medical.coordinate_care", "medical.safety_net", "sleep.no_change",
        "personalized.strain.relative_rest", "personalized.strain.cold_or_heat",
        "personalized.strain.massage", "personalized.low_risk.self_management",
        "prevention.stay_active", "prevention.keep_exercising", "massage.gentle_only",
        "massage.with_exercise", "massage.combine_care",
    ), plan.ids
    assert "light to moderate pressure" in find(plan, "massage.gentle_only").detail


def test_massage_is_withheld_when_no_exercise_advice_survives() -> None:
    # A draft without the activity answers: no exercise recommendation can fire, so the
    # massage items that belong in a package with exercise are withheld (guardrail 4).
    answers = {k: v for k, v in client_answers(STRAIN).items()
               if k not in ("exercise_days", "exercise_types")}
    scores, _ = compute_scores(answers)
    flags = red_flags(answers)
    recs = recommender.recommend(answers, scores, flags, triage(answers, scores, flags))
    ids = tuple(r.id for r in recs)
    assert not set(ids) & recommender.NEEDS_EXERCISE, ids
    assert "personalized.strain.relative_rest" in ids, ids


def test_empty_answers_give_an_empty_plan_not_an_error() -> None:
    assert build_plan({}).recommendations == ()


# --------------------------------------------------------------------------- wording


@pytest.mark.parametrize("duration", ["under_6_weeks", "6_to_12_weeks", "over_12_weeks"])
def test_psychosocial_support_is_a_referral_at_any_duration(duration: str) -> None:
    overrides: dict[str, Any] = {**HIGH_RISK, "pain_duration": duration}
    if duration == "over_12_weeks":
        overrides["axspa_features"] = ["none"]
    support = find(plan_for(overrides), "medical.psychosocial_support")
    assert "referral to a physiotherapist who uses a psychologically informed approach" in (
        support.detail)


def test_psychosocial_support_is_removed_under_urgent() -> None:
    plan = plan_for({**HIGH_RISK, **CHRONIC, "rf_weight_loss": True})
    assert plan.triage == "urgent"
    assert "medical.psychosocial_support" not in plan.ids


@pytest.mark.parametrize(("care", "words"), [
    (["none"], "exercise-based physiotherapy"),
    (["massage"], "exercise-based physiotherapy"),
    (["massage", "chiropractic", "physical_therapy"],
     "the care you already have (chiropractic and physiotherapy)"),
    (["medical", "medication"], "the care you already have (your doctor's care)"),
    (["medication"], "exercise-based physiotherapy"),
    (["chiropractic", "physical_therapy", "medical"],
     "(chiropractic, physiotherapy and your doctor's care)"),
])
def test_combine_care_depends_on_current_care(care: list[str], words: str) -> None:
    overrides: dict[str, Any] = {"current_care": care}
    if "massage" in care:
        overrides["massage_helped"] = "somewhat"
    assert words in find(plan_for(overrides), "massage.combine_care").detail, care


@pytest.mark.parametrize(("rec_id", "overrides", "words"), [
    ("prevention.flexion_exercises", {"pain_eased_by": ["bending_forward"]},
     "practitioner experience"),
    ("prevention.avoid_hyperextension", {"hyperextension_activities": True},
     "practitioner experience"),
    ("personalized.strain.relative_rest", STRAIN, "Staying active helps a strain settle"),
    ("personalized.strain.cold_or_heat", STRAIN, "too little research on ice to judge"),
    ("personalized.heat", {}, "never on skin that feels numb"),
    ("personalized.heat", PREGNANT_20, "never on the bump, and avoid hot baths and saunas"),
    ("personalized.low_risk.self_management", {}, "most back pain settles within weeks"),
    ("personalized.disc.guided_exercise", LEG, "see a doctor within a day or two. If numbness"),
    ("prevention.safe_lifting", {"pain_worse_with": ["lifting"]},
     "Training in lifting technique on its own does not prevent back pain"),
    ("prevention.stay_active", {"rf_trauma": True},
     "avoid heavy lifting and strenuous exercise until you have been seen"),
    ("medical.urgent_referral", {"rf_trauma": True},
     "avoid heavy lifting and strenuous exercise"),
    ("medical.young_person", {"age": 14}, "please book an appointment with the family doctor"),
    ("medical.young_person", {"age": 14, "pain_duration": "under_6_weeks"},
     "if it has not settled within a few weeks"),
    ("medical.safety_net", {}, "Otherwise we will check this plan together in 4 weeks."),
    ("medical.safety_net", {"rf_trauma": True}, "about a week after the doctor has seen you"),
    ("massage.whole_body", HIGH_RISK, "no study compares"),
    ("medical.emergency_referral", {"rf_chest_symptoms": True},
     "Call the emergency number for an ambulance now"),
    ("medical.emergency_referral", {**PREGNANT_20, "rf_pregnancy_warning": True},
     "Contact the maternity unit now"),
    ("sleep.mattress.review", {"pain_on_waking": "lasts_longer",
                               "morning_stiffness_over_30min": True},
     "more typical of inflammation than of the bed"),
    ("personalized.as.medical_care", {"diagnoses": ["ankylosing_spondylitis"], **UNDER_CARE},
     "A painful red eye needs medical care the same day"),
    ("medical.emergency_referral", {"rf_saddle_numbness": True}, "Do not start or continue"),
    ("medical.emergency_referral", {"rf_fever": True, "rf_immunosuppressed": True},
     "infection"),
    ("sleep.mattress.medium_firm", {"pain_on_waking": "lasts_longer",
                                    "mattress_firmness": "soft", "mattress_age_years": 12},
     "soft and more than ten years old"),
    ("massage.with_exercise", {}, "If you would like to try massage"),
    ("massage.with_exercise", {"current_care": ["massage"], "massage_helped": "somewhat"},
     "Massage has helped a little"),
    ("medical.emergency_referral", {"rf_both_legs": True},
     "warning signs that the nerves at the base of the spine may be under pressure."),
])
def test_wording(rec_id: str, overrides: dict[str, Any], words: str) -> None:
    assert words in find(plan_for(overrides), rec_id).detail, rec_id


def test_every_rule_has_a_title_evidence_and_its_strategy() -> None:
    titles = [r.advice.title for r in recommender.RULES]
    assert len(set(titles)) == len(titles), "titles repeat"
    for rule in recommender.RULES:
        assert rule.advice.title and rule.advice.evidence, rule.id
        assert rule.strategy in ("medical", "sleep", "personalized", "prevention", "massage")


def test_base_answers_are_what_the_cases_start_from() -> None:
    # Every base answer the base client is asked is kept; the rest (pregnancy signs, the
    # team question, falls, weeks since a birth) wait for an override that shows them.
    base = client_answers()
    assert base == client_answers({k: v for k, v in BASE_ANSWERS.items() if k in base})
    assert set(BASE_ANSWERS) - set(base) == {
        "postpartum_weeks", "rf_pregnancy_warning", "rf_leg_clot", "risk_team_aware",
        "falls_past_year", "unsteady"}
