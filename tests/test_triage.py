"""Red flags and triage (the clinical reference, "red_flags" and "Triage")."""

from __future__ import annotations

from typing import Any

import pytest
from answer_sets import CHRONIC, HIGH_RISK
from strategies import client_answers

from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.model import RedFlag
from backpain_cli.clinical.questionnaire import AnswerValue
from backpain_cli.clinical.triage import RED_FLAG_IDS, red_flags, rules_fired, triage

# the clinical reference v3: each flag alone. Signs have their own tier, features are urgent, risk
# factors alone are urgent while their team does not know about the back pain.
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
    "rf_recent_infection": "urgent",
    "rf_unwell": "urgent",
    "rf_cancer_history": "urgent",
    "rf_weight_loss": "urgent",
    "rf_night_pain": "urgent",
    "rf_constant_pain": "urgent",
    "rf_trauma": "urgent",
    "rf_steroids": "urgent",
    "rf_anticoagulant": "co_manage",
    "rf_osteoporosis": "urgent",
    "rf_thoracic_pain": "urgent",
}
TEAM_QUESTION = ("rf_immunosuppressed", "rf_recent_procedure", "rf_recent_infection",
                 "rf_cancer_history", "rf_steroids")
POSTNATAL_3: dict[str, AnswerValue] = {"pregnancy": "postpartum", "postpartum_weeks": 3}
PREGNANT_30: dict[str, AnswerValue] = {"pregnancy": "pregnant", "pregnancy_weeks": 30}


@pytest.mark.parametrize(("flag", "tier"), TIERS.items())
def test_each_flag_alone(flag: str, tier: str) -> None:
    overrides: dict[str, Any] = {flag: True}
    if flag in TEAM_QUESTION:
        overrides["risk_team_aware"] = False
    plan = build_plan(client_answers(overrides))
    assert plan.red_flags == (RedFlag(flag, tier),), flag
    assert plan.triage == tier, flag
    assert plan.reassess_weeks == (None if tier == "emergency" else 1 if tier == "urgent"
                                   else 4), flag


@pytest.mark.parametrize("flag", TEAM_QUESTION)
def test_a_risk_factor_alone_whose_team_knows_is_co_managed(flag: str) -> None:
    plan = build_plan(client_answers({flag: True, "risk_team_aware": True}))
    assert plan.red_flags == (RedFlag(flag, "co_manage"),)
    assert plan.triage == "co_manage" and plan.reassess_weeks == 4


def test_an_absent_team_answer_counts_as_no() -> None:
    # A version-1 or version-2 session never asked it: the risk factor stays urgent.
    assert red_flags({"rf_steroids": True}) == (RedFlag("rf_steroids", "urgent"),)
    assert red_flags({"rf_anticoagulant": True}) == (RedFlag("rf_anticoagulant", "co_manage"),)


def test_no_flags() -> None:
    plan = build_plan(client_answers())
    assert plan.red_flags == () and plan.triage == "none", plan


def test_every_flag_listed_in_table_order_with_derived_last() -> None:
    # Pregnancy is asked from 12 to 55 (v3): a first episode under 16, and osteoporosis.
    answers = client_answers({
        **dict.fromkeys(TIERS, True), "rf_pregnancy_warning": True, "rf_leg_clot": True,
        "first_episode": True, "age": 14, **PREGNANT_30, "pain_duration": "under_6_weeks",
        "onset": "after_injury", "diagnoses": ["osteoporosis"], "under_medical_care": False})
    flags = red_flags(answers)
    assert tuple(f.id for f in flags) == RED_FLAG_IDS, flags
    assert RED_FLAG_IDS[-2:] == ("rf_age_first_episode", "rf_fragility_fracture")
    tiers = {f.id: f.tier for f in flags}
    # Signs keep their tier; T1 (fever with the four infection risks), T2 (fever in
    # pregnancy) and T3 (cancer with a nerve sign) raise to emergency; T4, T6 and T7 to
    # same_day; the rest (features, and risk factors beside them) stay urgent.
    emergency = {*(f for f, t in TIERS.items() if t == "emergency"), "rf_pregnancy_warning",
                 "rf_fever", "rf_immunosuppressed", "rf_recent_procedure",
                 "rf_recent_infection", "rf_steroids", "rf_cancer_history"}
    same_day = {"rf_leg_clot", "rf_unwell", "rf_weight_loss", "rf_night_pain",
                "rf_constant_pain", "rf_thoracic_pain", "rf_anticoagulant", "rf_trauma"}
    assert {f for f, t in tiers.items() if t == "emergency"} == emergency
    assert {f for f, t in tiers.items() if t == "same_day"} == same_day
    assert {f for f, t in tiers.items() if t == "urgent"} == {
        "rf_osteoporosis", "rf_age_first_episode", "rf_fragility_fracture"}


def flags_of(**given: AnswerValue) -> tuple[tuple[str, str], ...]:
    return tuple((f.id, f.tier) for f in red_flags(given))


@pytest.mark.parametrize(("given", "expected"), [
    # Rule 2: a risk factor beside any other counted flag is urgent, team or not.
    ({"rf_cancer_history": True, "risk_team_aware": True, "rf_trauma": True},
     (("rf_cancer_history", "urgent"), ("rf_trauma", "urgent"))),
    ({"rf_anticoagulant": True, "rf_fever": True},
     (("rf_fever", "urgent"), ("rf_anticoagulant", "urgent"))),
    # Two risk factors and no other flag: each by the team answer.
    ({"rf_steroids": True, "rf_anticoagulant": True, "risk_team_aware": False},
     (("rf_steroids", "urgent"), ("rf_anticoagulant", "co_manage"))),
    ({"rf_steroids": True, "rf_immunosuppressed": True, "risk_team_aware": True},
     (("rf_immunosuppressed", "co_manage"), ("rf_steroids", "co_manage"))),
    # T1: fever with any of the four infection risks; each of those counted is raised.
    ({"rf_fever": True, "rf_recent_infection": True},
     (("rf_fever", "emergency"), ("rf_recent_infection", "emergency"))),
    ({"rf_fever": True, "rf_steroids": True, "rf_immunosuppressed": True,
      "risk_team_aware": True},
     (("rf_fever", "emergency"), ("rf_immunosuppressed", "emergency"),
      ("rf_steroids", "emergency"))),
    # ... but not a blood thinner or a past cancer (urgent beside the fever)
    ({"rf_fever": True, "rf_cancer_history": True, "rf_anticoagulant": True},
     (("rf_fever", "urgent"), ("rf_cancer_history", "urgent"),
      ("rf_anticoagulant", "urgent"))),
    # T2: fever in pregnancy
    ({"rf_fever": True, **PREGNANT_30}, (("rf_fever", "emergency"),)),
    # T3: cancer with a nerve sign
    ({"rf_cancer_history": True, "rf_leg_weakness": True},
     (("rf_leg_weakness", "emergency"), ("rf_cancer_history", "emergency"))),
    # T4: cancer with a feature of a metastasis (NICE NG234)
    ({"rf_cancer_history": True, "rf_weight_loss": True, "rf_night_pain": True},
     (("rf_cancer_history", "same_day"), ("rf_weight_loss", "same_day"),
      ("rf_night_pain", "same_day"))),
    ({"rf_cancer_history": True, "rf_thoracic_pain": True, "rf_trauma": True},
     (("rf_cancer_history", "same_day"), ("rf_trauma", "urgent"),
      ("rf_thoracic_pain", "same_day"))),
    # T5: fever or feeling ill in the first 6 weeks after a birth (weeks 0 to 6)
    ({"rf_fever": True, **POSTNATAL_3}, (("rf_fever", "same_day"),)),
    ({"rf_unwell": True, "pregnancy": "postpartum", "postpartum_weeks": 6},
     (("rf_unwell", "same_day"),)),
    ({"rf_unwell": True, "pregnancy": "postpartum", "postpartum_weeks": 7},
     (("rf_unwell", "urgent"),)),
    # T1 and T5 together: each flag keeps the highest tier (the caesarean example)
    ({"rf_fever": True, "rf_recent_infection": True, **POSTNATAL_3},
     (("rf_fever", "emergency"), ("rf_recent_infection", "emergency"))),
    # T6: fever and feeling ill
    ({"rf_fever": True, "rf_unwell": True},
     (("rf_fever", "same_day"), ("rf_unwell", "same_day"))),
    # T7: a fall on a blood thinner
    ({"rf_anticoagulant": True, "rf_trauma": True},
     (("rf_trauma", "same_day"), ("rf_anticoagulant", "same_day"))),
    # the clot sign: same_day in pregnancy and after a birth, not counted otherwise
    ({"rf_leg_clot": True, **POSTNATAL_3}, (("rf_leg_clot", "same_day"),)),
    ({"rf_leg_clot": True, **PREGNANT_30}, (("rf_leg_clot", "same_day"),)),
    ({"rf_leg_clot": True, "pregnancy": "no"}, ()),
    ({"rf_leg_clot": True}, ()),
    ({"pregnancy": "pregnant", "pregnancy_weeks": 30, "rf_pregnancy_warning": True},
     (("rf_pregnancy_warning", "emergency"),)),
])
def test_tier_rules(given: dict[str, Any], expected: tuple[tuple[str, str], ...]) -> None:
    assert flags_of(**given) == expected


def test_the_rules_that_fire_are_named() -> None:
    assert rules_fired({"rf_fever": True, "rf_recent_infection": True, **POSTNATAL_3}) == (
        "T1", "T5")
    assert rules_fired({"rf_fever": True, "rf_unwell": True, **POSTNATAL_3}) == ("T5", "T6")
    assert rules_fired({"rf_cancer_history": True, "rf_both_legs": True,
                        "rf_constant_pain": True}) == ("T3", "T4")
    assert rules_fired({"rf_anticoagulant": True, "rf_trauma": True}) == ("T7",)
    assert rules_fired({"rf_fever": True}) == ()


def test_a_same_day_plan_is_rechecked_in_a_week() -> None:
    plan = build_plan(client_answers({"rf_fever": True, "rf_unwell": True,
                                      "pain_duration": "over_12_weeks",
                                      "axspa_features": ["none"]}))
    assert plan.triage == "same_day" and plan.reassess_weeks == 1


def test_pregnancy_warning_counts_only_in_pregnancy() -> None:
    # Guardrail 15: an answer to it without pregnancy (kept from a file whose pregnancy answer
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


def test_fragility_fracture_on_long_term_steroids() -> None:
    # v3: steroids join the weak-bone causes, so a strain on steroids stays urgent although
    # steroids alone may be co_manage.
    answers = client_answers({"rf_steroids": True, "risk_team_aware": True,
                              "pain_duration": "under_6_weeks", "onset": "after_exertion"})
    assert red_flags(answers) == (RedFlag("rf_steroids", "urgent"),
                                  RedFlag("rf_fragility_fracture", "urgent"))


@pytest.mark.parametrize("overrides", [
    {"age": 75, "pain_duration": "under_6_weeks", "onset": "after_injury",
     "falls_past_year": "none", "unsteady": False},
    {"age": 65, "first_episode": True, "falls_past_year": "none", "unsteady": False},
])
def test_a_follow_up_derives_no_flags(overrides: dict[str, Any]) -> None:
    # v3: derived only at a visit that follows no other; a follow-up asks afresh what is new.
    answers = client_answers(overrides)
    assert build_plan(answers).triage == "urgent"
    follow = build_plan(answers, follow_up=True)
    assert follow.red_flags == () and follow.triage == "none"


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
    # v3: same_day above urgent; a risk factor known to its team is co_manage
    ({"rf_fever": True, "rf_unwell": True, "rf_trauma": True}, "same_day"),
    ({"rf_fever": True, "rf_unwell": True, "rf_leg_weakness": True}, "emergency"),
    ({"rf_steroids": True, "risk_team_aware": True}, "co_manage"),
    ({**SEVERE, "rf_steroids": True, "risk_team_aware": True}, "refer_routine"),
    # v3 routine referrals: leg pain on walking eased by standing still from 50, two or
    # more falls, a painful scoliosis under 18 that is not acute
    ({"age": 50, "pain_worse_with": ["standing_walking"],
      "pain_location": ["leg_below_knee"], "pain_eased_by": ["standing_still"]},
     "refer_routine"),
    ({"age": 49, "pain_worse_with": ["standing_walking"],
      "pain_location": ["leg_below_knee"], "pain_eased_by": ["standing_still"]}, "none"),
    ({"age": 70, "falls_past_year": "two_or_more", "unsteady": False}, "refer_routine"),
    ({"age": 70, "falls_past_year": "one", "unsteady": True}, "none"),
    ({"age": 16, "diagnoses": ["scoliosis"], "under_medical_care": True}, "refer_routine"),
    ({"age": 16, "diagnoses": ["scoliosis"], "under_medical_care": True,
      "pain_duration": "under_6_weeks"}, "none"),
    ({"age": 18, "diagnoses": ["scoliosis"], "under_medical_care": True}, "none"),
    # v3: spondylosis alone is no co-manage condition
    ({"diagnoses": ["spondylosis"], "under_medical_care": False}, "none"),
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
