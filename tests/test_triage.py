"""Red flags and triage (CLINICAL.md, "red_flags" and "Triage")."""

from __future__ import annotations

from typing import Any

import pytest
from strategies import client_answers

from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.model import RedFlag
from backpain_cli.clinical.triage import RED_FLAG_IDS, red_flags, triage

TIERS = {
    "rf_saddle_numbness": "emergency",
    "rf_bladder_bowel": "emergency",
    "rf_sexual_dysfunction": "emergency",
    "rf_both_legs": "emergency",
    "rf_leg_weakness": "emergency",
    "rf_chest_symptoms": "emergency",
    "rf_fever": "urgent",
    "rf_immunosuppressed": "urgent",
    "rf_recent_procedure": "urgent",
    "rf_unwell": "urgent",
    "rf_cancer_history": "urgent",
    "rf_weight_loss": "urgent",
    "rf_night_pain": "urgent",
    "rf_trauma": "urgent",
    "rf_steroids": "urgent",
    "rf_osteoporosis": "urgent",
    "rf_thoracic_pain": "urgent",
}


@pytest.mark.parametrize(("flag", "tier"), TIERS.items())
def test_each_flag_alone(flag: str, tier: str) -> None:
    plan = build_plan(client_answers({flag: True}))
    assert plan.red_flags == (RedFlag(flag, tier),), flag
    assert plan.triage == tier, flag


def test_no_flags() -> None:
    plan = build_plan(client_answers())
    assert plan.red_flags == () and plan.triage == "none", plan


def test_fever_with_weakened_immunity_is_an_emergency_for_both() -> None:
    plan = build_plan(client_answers({"rf_fever": True, "rf_immunosuppressed": True}))
    assert plan.red_flags == (RedFlag("rf_fever", "emergency"),
                              RedFlag("rf_immunosuppressed", "emergency")), plan.red_flags
    assert plan.triage == "emergency"
    assert plan.ids == ("medical.emergency_referral",)


def test_every_flag_listed_in_table_order_with_derived_last() -> None:
    answers = client_answers({
        **dict.fromkeys(TIERS, True), "rf_pregnancy_warning": True, "first_episode": True,
        "age": 70, "pregnancy": "pregnant", "pregnancy_weeks": 20,
        "pain_duration": "under_6_weeks", "onset": "after_injury"})
    flags = red_flags(answers)
    assert tuple(f.id for f in flags) == RED_FLAG_IDS, flags
    assert RED_FLAG_IDS[-2:] == ("rf_age_first_episode", "rf_fragility_fracture")
    # Fever with a weakened immune system and a recent procedure, and fever in pregnancy:
    # all three are listed as emergency.
    assert [f.tier for f in flags] == ["emergency"] * 10 + ["urgent"] * 10, flags


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"rf_fever": True, "rf_recent_procedure": True},
     (RedFlag("rf_fever", "emergency"), RedFlag("rf_recent_procedure", "emergency"))),
    ({"rf_fever": True, "rf_immunosuppressed": True, "rf_recent_procedure": True},
     (RedFlag("rf_fever", "emergency"), RedFlag("rf_immunosuppressed", "emergency"),
      RedFlag("rf_recent_procedure", "emergency"))),
    ({"rf_recent_procedure": True, "rf_immunosuppressed": True},
     (RedFlag("rf_immunosuppressed", "urgent"), RedFlag("rf_recent_procedure", "urgent"))),
    ({"rf_fever": True, "pregnancy": "pregnant", "pregnancy_weeks": 12,
      "rf_pregnancy_warning": False}, (RedFlag("rf_fever", "emergency"),)),
    ({"rf_fever": True, "pregnancy": "postpartum"}, (RedFlag("rf_fever", "urgent"),)),
    ({"pregnancy": "pregnant", "pregnancy_weeks": 30, "rf_pregnancy_warning": True},
     (RedFlag("rf_pregnancy_warning", "emergency"),)),
])
def test_v2_emergency_combinations(overrides: dict[str, Any],
                                   expected: tuple[RedFlag, ...]) -> None:
    plan = build_plan(client_answers(overrides))
    assert plan.red_flags == expected
    most_urgent = "emergency" if any(f.tier == "emergency" for f in expected) else "urgent"
    assert plan.triage == most_urgent


def test_pregnancy_warning_counts_only_in_pregnancy() -> None:
    # Guardrail 14: an answer to it without pregnancy (kept from a file whose pregnancy answer
    # is missing) is never counted.
    assert red_flags({"rf_pregnancy_warning": True}) == ()
    assert red_flags({"rf_pregnancy_warning": True, "pregnancy": "postpartum"}) == ()
    assert red_flags({"rf_pregnancy_warning": True, "pregnancy": "pregnant"}) == (
        RedFlag("rf_pregnancy_warning", "emergency"),)


@pytest.mark.parametrize(("overrides", "flagged"), [
    # a minor strain in weak bone, even with "no" to trauma
    ({"diagnoses": ["osteoporosis"], "under_medical_care": True,
      "pain_duration": "under_6_weeks", "onset": "after_exertion"}, True),
    ({"age": 70, "pain_duration": "under_6_weeks", "onset": "after_injury"}, True),
    ({"age": 69, "pain_duration": "under_6_weeks", "onset": "after_injury"}, False),
    ({"age": 75, "pain_duration": "6_to_12_weeks", "onset": "after_injury"}, False),
    ({"age": 75, "pain_duration": "under_6_weeks", "onset": "gradual"}, False),
    ({"diagnoses": ["osteoporosis"], "under_medical_care": True,
      "pain_duration": "under_6_weeks", "onset": "unknown"}, False),
])
def test_derived_fragility_fracture(overrides: dict[str, Any], flagged: bool) -> None:
    plan = build_plan(client_answers(overrides))
    expected = (RedFlag("rf_fragility_fracture", "urgent"),) if flagged else ()
    assert plan.red_flags == expected
    if flagged:
        assert plan.triage == "urgent" and plan.ids[0] == "medical.urgent_referral"


def test_fragility_fracture_before_diagnoses_are_answered() -> None:
    # A missing diagnoses answer counts as no osteoporosis; age alone still fires.
    assert red_flags({"pain_duration": "under_6_weeks", "onset": "after_injury",
                      "age": 68}) == ()
    assert red_flags({"pain_duration": "under_6_weeks", "onset": "after_injury",
                      "age": 80}) == (RedFlag("rf_fragility_fracture", "urgent"),)


@pytest.mark.parametrize(("age", "first_episode", "flagged"), [
    (60, True, False),
    (61, True, True),
    (16, True, False),
    (15, True, True),
    (12, True, True),
    (90, True, True),
    (40, True, False),
    (61, False, False),
    (15, False, False),
])
def test_derived_age_first_episode(age: int, first_episode: bool, flagged: bool) -> None:
    plan = build_plan(client_answers({"age": age, "first_episode": first_episode}))
    expected = (RedFlag("rf_age_first_episode", "urgent"),) if flagged else ()
    assert plan.red_flags == expected, (age, first_episode)
    # Under 16 with pain that is not acute: routed to a doctor (refer_routine, v2).
    unflagged = "refer_routine" if age < 16 else "none"
    assert plan.triage == ("urgent" if flagged else unflagged), (age, first_episode)


CHRONIC: dict[str, Any] = {"pain_duration": "over_12_weeks", "axspa_features": ["none"]}
HIGH_RISK = {f"sbst_{i}": True for i in range(5, 9)}
SEVERE = {**CHRONIC, "pain_worst_week": 8}
AXSPA = {"pain_duration": "over_12_weeks", "age": 30,
         "axspa_features": ["onset_before_35", "wakes_second_half_night",
                            "better_with_movement", "better_with_nsaids"]}
CO_MANAGE = {"diagnoses": ["spinal_fracture"], "under_medical_care": True}


@pytest.mark.parametrize(("overrides", "expected"), [
    ({}, "none"),
    (CO_MANAGE, "co_manage"),
    ({"diagnoses": ["herniated_disc"], "under_medical_care": False,
      "pain_location": ["leg_below_knee"]}, "co_manage"),
    ({"diagnoses": ["scoliosis", "muscle_strain"], "under_medical_care": False}, "none"),
    # refer_routine: each of its three parts, and it outranks co_manage
    (AXSPA, "refer_routine"),
    ({**CHRONIC, **HIGH_RISK}, "refer_routine"),
    (HIGH_RISK, "none"),                            # high risk but not chronic
    (SEVERE, "refer_routine"),
    ({**CHRONIC, "pain_worst_week": 7}, "none"),
    ({**CHRONIC, "pain_worst_week": 7, **{f"odi_{i}": 2 for i in range(1, 10)},
      "odi_10": 3}, "refer_routine"),              # ODI 42 > 40
    ({**CHRONIC, "pain_worst_week": 7, **{f"odi_{i}": 2 for i in range(1, 11)}}, "none"),
    ({**SEVERE, **CO_MANAGE}, "refer_routine"),
    # urgent outranks refer_routine and co_manage; emergency outranks urgent
    ({**SEVERE, **CO_MANAGE, "rf_steroids": True}, "urgent"),
    ({**SEVERE, "rf_steroids": True, "rf_leg_weakness": True}, "emergency"),
    ({"rf_fever": True}, "urgent"),
    ({"rf_immunosuppressed": True}, "urgent"),
    # young (under 16) and not acute: refer_routine (v2); acute: no referral by age alone
    ({"age": 14}, "refer_routine"),
    ({"age": 14, "pain_duration": "over_12_weeks", "axspa_features": ["none"]},
     "refer_routine"),
    ({"age": 14, "pain_duration": "under_6_weeks"}, "none"),
    ({"age": 16}, "none"),
    # onset_before_35 counts as an onset before 45 (v2)
    ({"pain_duration": "over_12_weeks", "age": 50,
      "axspa_features": ["onset_before_35", "wakes_second_half_night", "buttock_pain",
                         "psoriasis"]}, "refer_routine"),
])
def test_triage_order(overrides: dict[str, Any], expected: str) -> None:
    answers = client_answers(overrides)
    plan = build_plan(answers)
    assert plan.triage == expected, (overrides, plan.scores)
    assert triage(answers, plan.scores, plan.red_flags) == expected
