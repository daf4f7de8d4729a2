"""Every recommendation of the clinical reference v3: one plan where it fires and one where it does
not,
its `because`, the triage bounds, and the sentences the spec fixes word for word.

Each case is the base client of `strategies.BASE_ANSWERS` with a few answers changed,
checked as a complete interview and run through `build_plan`, as the tool would.
"""

from __future__ import annotations

from typing import Any

import pytest
from answer_sets import (
    CASES,
    HIGH_RISK,
    LEG,
    STRAIN,
    UNDER_CARE,
)
from recommender_tables import (
    BECAUSE,
    EMERGENCY_WORDING,
    FLEXION_NAMED,
    NOT_PREGNANT,
    SAFETY_NET_WORDING,
    SAME_DAY_WORDING,
    WORDING,
)
from strategies import BASE_ANSWERS, SPEC_ORDER, client_answers

from backpain_cli.clinical import recommender
from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.model import Plan, Recommendation
from backpain_cli.clinical.scoring import compute_scores
from backpain_cli.clinical.triage import red_flags, triage


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
        "medical.safety_net", "sleep.no_change", "personalized.low_risk.self_management",
        "personalized.heat", "personalized.pain_education", "prevention.stay_active",
        "prevention.keep_exercising", "massage.with_exercise",
    ), plan.ids
    # A regular exerciser with no other exercise advice: the keep-exercising pool, three
    # rounds of one exercise each.
    assert plan.programme_ids == ("ex.curl_up", "ex.side_plank_knees", "ex.hamstring_stretch")


# --------------------------------------------------------------------------- because


@pytest.mark.parametrize(("overrides", "rec_id", "because"), BECAUSE)
def test_because(overrides: dict[str, Any], rec_id: str, because: tuple[str, ...]) -> None:
    assert find(plan_for(overrides), rec_id).because == because, (rec_id, overrides)


# Issue 17: "Based on: … your pregnancy" for clients who are not pregnant. Each of these
# plans holds rules with an "and not pregnant" (or "not late_pregnancy") part.
NOT_PREGNANT_RULES = {"prevention.core_strength", "prevention.flexion_exercises",
                      "massage.focused", "massage.whole_body", "sleep.pillow.between_knees",
                      "sleep.pillow.under_knees", "sleep.position.stomach"}


@pytest.mark.parametrize("overrides", NOT_PREGNANT)
def test_no_because_names_the_pregnancy_of_a_client_who_is_not_pregnant(
        overrides: dict[str, Any]) -> None:
    plan = plan_for(overrides)
    assert len(NOT_PREGNANT_RULES & set(plan.ids)) >= 2, plan.ids
    named = {r.id: r.because for r in plan.recommendations
             if {"pregnancy", "pregnancy_weeks", "postpartum_weeks"} & set(r.because)}
    assert named == {}


# --------------------------------------------------------------------------- bounds


def test_urgent_keeps_only_medical_sleep_stay_active_and_hold() -> None:
    plan = plan_for({**STRAIN, **HIGH_RISK, "rf_trauma": True, "pillow_height": "low",
                     "diagnoses": ["spinal_arthritis"], "under_medical_care": False})
    assert plan.triage == "urgent"
    assert plan.ids == (
        "medical.urgent_referral", "medical.co_manage", "medical.safety_net",
        "sleep.no_change", "sleep.pillow.height", "prevention.stay_active",
        "massage.hold_until_cleared",
    ), plan.ids
    assert plan.programme == () and plan.flare_plan == ()
    assert find(plan, "medical.co_manage").detail == (
        "Tell the doctor who sees you about the back condition you have been diagnosed with.")


def test_same_day_keeps_what_urgent_keeps_and_drops_the_team_note() -> None:
    plan = plan_for({"rf_anticoagulant": True, "rf_trauma": True, "knee_pillow": False,
                     **HIGH_RISK})
    assert plan.triage == "same_day"
    assert plan.ids == (
        "medical.same_day_referral", "medical.safety_net", "sleep.no_change",
        "sleep.pillow.between_knees", "prevention.stay_active", "massage.hold_until_cleared",
    ), plan.ids
    assert plan.reassess_weeks == 1 and plan.programme == ()


def test_bone_hold_keeps_personalised_exercise_advice_waiting_for_the_doctor() -> None:
    plan = plan_for({**STRAIN, "diagnoses": ["muscle_strain", "spinal_tumor"],
                     "under_medical_care": False, "current_care": ["massage"],
                     "massage_helped": "no", "sitting_hours": 9,
                     "morning_stiffness_over_30min": True})
    assert plan.triage == "co_manage"
    assert plan.ids == (
        "medical.co_manage", "medical.safety_net", "sleep.no_change",
        "personalized.strain.relative_rest", "personalized.strain.cold_or_heat",
        "personalized.morning_mobility", "personalized.low_risk.self_management",
        "personalized.pain_education", "prevention.stay_active", "massage.reconsider",
        "massage.gentle_only",
    ), plan.ids
    assert find(plan, "personalized.morning_mobility").detail.startswith(
        "Start this once the doctor agrees; until then, keep to gentle everyday movement "
        "such as short walks. ")
    assert plan.programme == ()
    education = find(plan, "personalized.pain_education").detail
    assert "Gentle everyday movement is safe; new exercises wait until the doctor agrees." in (
        education)
    assert "the right exercise" not in education


def test_awaiting_doctor_without_bone_risk_keeps_exercise_as_guided_care() -> None:
    plan = plan_for({"diagnoses": ["spinal_stenosis"], "under_medical_care": False,
                     "exercise_days": 1, "sitting_hours": 8, **LEG})
    assert plan.triage == "co_manage"
    assert [i for i in plan.ids if i.split(".")[0] in ("prevention", "massage")] == [
        "prevention.stay_active", "prevention.core_strength",
        "prevention.leg_strength_flexibility", "prevention.flexion_exercises",
        "prevention.break_up_sitting", "massage.gentle_only"], plan.ids
    guided = ("Do this with a physiotherapist or with the doctor's agreement; do not start a "
              "hard strengthening programme on your own.")
    core = find(plan, "prevention.core_strength")
    assert core.detail.endswith(guided)
    assert core.because == ("exercise_days",)
    # Last, after the disc text's own closing sentence (v3).
    disc = find(plan, "personalized.disc.guided_exercise").detail
    assert disc.endswith("they say which changes need a doctor, and how soon. " + guided)
    assert plan.programme_heading[0] == guided
    # not worded as guided once the doctor is happy for exercise to go ahead
    cleared = find(plan_for({"diagnoses": ["spinal_stenosis"], **UNDER_CARE,
                             "exercise_days": 1}), "prevention.core_strength")
    assert "doctor's agreement" not in cleared.detail


def test_fragility_fracture_sends_an_osteoporotic_strain_to_the_doctor() -> None:
    plan = plan_for({"age": 68, "pain_duration": "under_6_weeks", "onset": "after_injury",
                     "diagnoses": ["osteoporosis"], "under_medical_care": False,
                     "rf_trauma": False, "falls_past_year": "none", "unsteady": False})
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
        "personalized.pain_education", "prevention.stay_active", "prevention.keep_exercising",
        "prevention.bone_safe_exercise", "massage.gentle_only", "massage.with_exercise",
    ), plan.ids
    assert find(plan, "massage.gentle_only").detail == (
        "Keep massage to light to moderate pressure. Ask the doctor first if you want deep "
        "pressure or manipulation.")


def test_massage_is_withheld_when_no_exercise_advice_survives() -> None:
    # A draft without the activity answers: no exercise recommendation can fire, so the
    # massage items that belong in a package with exercise are withheld (guardrail 5).
    answers = {k: v for k, v in client_answers(STRAIN).items()
               if k not in ("exercise_days", "exercise_types")}
    scores, _ = compute_scores(answers)
    flags = red_flags(answers)
    recs = recommender.recommend(answers, scores, flags, triage(answers, scores, flags))
    ids = tuple(r.id for r in recs)
    assert not set(ids) & recommender.NEEDS_EXERCISE, ids
    assert "personalized.strain.relative_rest" in ids, ids


def test_empty_answers_give_an_empty_plan_not_an_error() -> None:
    plan = build_plan({})
    assert plan.recommendations == () and plan.programme == ()


# --------------------------------------------------------------------------- exact wording


@pytest.mark.parametrize(("overrides", "detail"), SAFETY_NET_WORDING)
def test_safety_net_names_each_sign_once(overrides: dict[str, Any], detail: str) -> None:
    assert find(plan_for(overrides), "medical.safety_net").detail == detail


@pytest.mark.parametrize(("overrides", "detail"), EMERGENCY_WORDING)
def test_emergency_referral_is_worded_exactly(overrides: dict[str, Any], detail: str) -> None:
    (referral,) = plan_for(overrides).recommendations
    assert referral.detail == detail


@pytest.mark.parametrize(("overrides", "detail"), SAME_DAY_WORDING)
def test_same_day_referral_is_worded_exactly(overrides: dict[str, Any], detail: str) -> None:
    assert find(plan_for(overrides), "medical.same_day_referral").detail == detail


@pytest.mark.parametrize(("rec_id", "overrides", "detail"), WORDING)
def test_wording(rec_id: str, overrides: dict[str, Any], detail: str) -> None:
    assert find(plan_for(overrides), rec_id).detail == detail, rec_id


def test_low_risk_title_is_exact() -> None:
    assert find(plan_for({}), "personalized.low_risk.self_management").title == (
        "Looking after your back yourself")


@pytest.mark.parametrize(("overrides", "named"), FLEXION_NAMED)
def test_flexion_exercises_name_only_eligible_exercises(overrides: dict[str, Any],
                                                        named: str) -> None:
    detail = find(plan_for(overrides), "prevention.flexion_exercises").detail
    assert f"may feel good, such as {named}." in detail


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
