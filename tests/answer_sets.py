"""Answer sets shared by the test modules: the few answers that make a client of
`strategies.BASE_ANSWERS` strained, chronic, pregnant, older, at high risk..., and for
every recommendation of the clinical reference the answers where it fires and where it
does not (`CASES`).

Each is a set of overrides of the base client (`strategies.client_answers` checks that
they make a complete interview), kept here rather than in the test module that first
needed it, so that other modules take them without importing a test module.
"""

from __future__ import annotations

from typing import Any

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
STENOSIS = {"age": 65, "pain_worse_with": ["standing_walking"], "pain_eased_by": ["sitting"],
            "falls_past_year": "none", "unsteady": False}
FEMALE = {"sex": "female"}
PREGNANT_30 = {**FEMALE, "pregnancy": "pregnant", "pregnancy_weeks": 30,
               "rf_pregnancy_warning": False, "rf_leg_clot": False}
PREGNANT_20 = {**PREGNANT_30, "pregnancy_weeks": 20}
PREGNANT_8 = {**PREGNANT_30, "pregnancy_weeks": 8}
POSTPARTUM = {**FEMALE, "pregnancy": "postpartum", "rf_leg_clot": False}
LEG = {"pain_location": ["lower_back", "leg_below_knee"]}
OLDER = {"age": 70, "falls_past_year": "none", "unsteady": False}
FLEXION_DISC = {"pain_worse_with": ["bending_forward", "standing_walking"],
                "pain_location": ["lower_back", "leg_below_knee"]}
VASCULAR = {"age": 60, "pain_worse_with": ["standing_walking"],
            "pain_location": ["lower_back", "leg_below_knee"], "pain_eased_by": ["standing_still"]}

# id: (answers where it fires, answers where it does not)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "medical.emergency_referral": ({"rf_bladder_bowel": True}, {"rf_night_pain": True}),
    "medical.same_day_referral": ({"rf_cancer_history": True, "rf_weight_loss": True,
                                   "risk_team_aware": True},
                                  {"rf_cancer_history": True, "rf_trauma": True,
                                   "risk_team_aware": True}),
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
    "medical.scoliosis_review": ({"age": 16, "diagnoses": ["scoliosis"], **UNDER_CARE},
                                 {"age": 16, "diagnoses": ["scoliosis"], **UNDER_CARE,
                                  "pain_duration": "under_6_weeks"}),
    "medical.sciatica_review": (LEG, {**LEG, "pain_duration": "under_6_weeks"}),
    "medical.vascular_check": (VASCULAR, {**VASCULAR, "age": 49}),
    "medical.falls_assessment": ({**OLDER, "falls_past_year": "two_or_more"},
                                 {**OLDER, "falls_past_year": "one"}),
    "medical.pregnancy_care": ({**POSTPARTUM, "postpartum_weeks": 20}, {}),
    "medical.risk_factor_team": ({"rf_steroids": True, "risk_team_aware": True},
                                 {"rf_steroids": True, "risk_team_aware": False}),
    "medical.co_manage": ({"diagnoses": ["spinal_arthritis"], "under_medical_care": False},
                          {"diagnoses": ["spondylosis"], "under_medical_care": False}),
    "medical.coordinate_care": ({"diagnoses": ["autoimmune"], **UNDER_CARE},
                                {"diagnoses": ["autoimmune"], "under_medical_care": False}),
    "medical.psychosocial_support": (HIGH_RISK, {**HIGH_RISK, "sbst_8": False}),
    "medical.safety_net": ({}, {"rf_both_legs": True}),
    "sleep.mattress.medium_firm": ({"pain_on_waking": "lasts_longer", "mattress_age_years": 11},
                                   {"pain_on_waking": "lasts_longer", "mattress_age_years": 11,
                                    "rf_constant_pain": True}),
    "sleep.mattress.softer_surface": (
        {"pain_on_waking": "eases_within_30min", "mattress_firmness": "very_firm",
         "mattress_opinion": "too_firm", "mattress_age_years": 10},
        {"pain_on_waking": "eases_within_30min", "mattress_firmness": "very_firm",
         "mattress_opinion": "too_firm", "mattress_age_years": 10, "mattress_sagging": True}),
    "sleep.mattress.review": ({"pain_on_waking": "lasts_longer"},
                              {"pain_on_waking": "lasts_longer", "rf_night_pain": True}),
    "sleep.no_change": ({}, {"rf_night_pain": True}),
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
                                         {"diagnoses": ["muscle_strain"], **CHRONIC,
                                          "under_medical_care": False}),
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
    "personalized.pregnancy.pelvic_girdle": (PREGNANT_20, {"sex": "male"}),
    "personalized.low_risk.self_management": ({**MEDIUM_RISK, "sbst_4": False}, MEDIUM_RISK),
    "personalized.medium_risk.physio_exercise": (MEDIUM_RISK, {**MEDIUM_RISK, **HIGH_RISK}),
    "personalized.heat": ({}, CHRONIC),
    "personalized.pain_education": ({"diagnoses": ["spinal_arthritis"], **UNDER_CARE},
                                    {"rf_trauma": True}),
    "personalized.return_to_work": ({"work_absence": "reduced_duties"},
                                    {"work_absence": "no"}),
    "personalized.hypermobility.control": ({"diagnoses": ["hypermobility"], **UNDER_CARE},
                                           {"diagnoses": ["scoliosis"], **UNDER_CARE}),
    "prevention.stay_active": ({"rf_weight_loss": True}, {"rf_leg_weakness": True}),
    "prevention.core_strength": ({"exercise_days": 1},
                                 {"exercise_days": 1, **POSTPARTUM, "postpartum_weeks": 11}),
    "prevention.keep_exercising": ({"exercise_days": 2}, {"exercise_days": 1}),
    "prevention.leg_strength_flexibility": ({"sitting_hours": 6}, {"sitting_hours": 5}),
    "prevention.flexion_exercises": ({"pain_worse_with": ["bending_backward"]},
                                     {"pain_worse_with": ["bending_backward"], **OLDER}),
    "prevention.pregnancy_exercise": (PREGNANT_20, {**POSTPARTUM, "postpartum_weeks": 3}),
    "prevention.postnatal_exercise": ({**POSTPARTUM, "postpartum_weeks": 3}, PREGNANT_20),
    "prevention.bone_safe_exercise": ({"rf_steroids": True, "risk_team_aware": True},
                                      {"age": 69, "falls_past_year": "none",
                                       "unsteady": False}),
    "prevention.strength_balance": ({"age": 65, "falls_past_year": "none", "unsteady": False},
                                    {"age": 64}),
    "prevention.avoid_hyperextension": ({"hyperextension_activities": True},
                                        {"pain_worse_with": ["bending_forward"]}),
    "prevention.safe_lifting": ({"pain_worse_with": ["lifting"]}, {"occupation": "mixed"}),
    "prevention.break_up_sitting": ({"pain_worse_with": ["sitting"]}, {"sitting_hours": 5}),
    "massage.hold_until_cleared": ({"rf_weight_loss": True}, {}),
    "massage.reconsider": (NO_MASSAGE_HELP, {"current_care": ["massage"],
                                             "massage_helped": "yes"}),
    "massage.gentle_only": ({"diagnoses": ["osteoporosis"], **UNDER_CARE},
                            {"diagnoses": ["scoliosis"], **UNDER_CARE}),
    "massage.with_exercise": ({}, NO_MASSAGE_HELP),
    "massage.focused": (STRAIN, {**STRAIN, **HIGH_RISK}),
    "massage.whole_body": (HIGH_RISK, {**HIGH_RISK, "diagnoses": ["spinal_tumor"],
                                       **UNDER_CARE}),
    "massage.prenatal": (PREGNANT_20, {**PREGNANT_20, **NO_MASSAGE_HELP}),
    "massage.combine_care": ({**MEDIUM_RISK, "current_care": ["massage", "chiropractic"],
                              "massage_helped": "yes"},
                             {"current_care": ["massage", "chiropractic"],
                              "massage_helped": "yes"}),
}
