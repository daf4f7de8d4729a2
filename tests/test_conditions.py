"""The named conditions of the clinical reference: whether each holds, and the ids it names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import pytest
from depth import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from backpain_cli.clinical import conditions as c
from backpain_cli.clinical.conditions import Finding

# (condition, answers, scores, holds, because)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool, tuple[str, ...]]] = [
    ("chronic", {"pain_duration": "over_12_weeks"}, {}, True, ("pain_duration",)),
    ("chronic", {"pain_duration": "6_to_12_weeks"}, {}, False, ()),
    ("chronic", {}, {}, False, ()),
    ("acute", {"pain_duration": "under_6_weeks"}, {}, True, ("pain_duration",)),
    ("acute", {"pain_duration": "6_to_12_weeks"}, {}, False, ()),
    ("waking_pain", {"pain_on_waking": "eases_within_30min"}, {}, True, ("pain_on_waking",)),
    ("waking_pain", {"pain_on_waking": "lasts_longer"}, {}, True, ("pain_on_waking",)),
    ("waking_pain", {"pain_on_waking": "no"}, {}, False, ()),
    ("waking_pain", {}, {}, False, ()),
    ("leg_below_knee", {"pain_location": ("lower_back", "leg_below_knee")}, {}, True,
     ("pain_location",)),
    ("leg_below_knee", {"pain_location": ("leg_above_knee",)}, {}, False, ()),
    ("onset_under_45", {"age": 44}, {}, True, ("age",)),
    ("onset_under_45", {"age": 45, "onset_before_45": True}, {}, True, ("onset_before_45",)),
    ("onset_under_45", {"age": 45, "onset_before_45": False}, {}, False, ()),
    ("onset_under_45", {"age": 60}, {}, False, ()),
    ("axspa_suspected", {"pain_duration": "over_12_weeks", "age": 30},
     {"axspa_feature_count": 4}, True, ("pain_duration", "age", "axspa_feature_count")),
    ("axspa_suspected", {"pain_duration": "over_12_weeks", "age": 50, "onset_before_45": True},
     {"axspa_feature_count": 6}, True,
     ("pain_duration", "onset_before_45", "axspa_feature_count")),
    ("axspa_suspected", {"pain_duration": "over_12_weeks", "age": 30},
     {"axspa_feature_count": 3}, False, ()),
    ("axspa_suspected", {"pain_duration": "over_12_weeks", "age": 50, "onset_before_45": False},
     {"axspa_feature_count": 5}, False, ()),
    ("axspa_suspected", {"pain_duration": "6_to_12_weeks", "age": 30}, {}, False, ()),
    ("axspa_possible", {"pain_duration": "over_12_weeks", "age": 30},
     {"axspa_feature_count": 3}, True, ("pain_duration", "age", "axspa_feature_count")),
    ("axspa_possible", {"pain_duration": "over_12_weeks", "age": 30},
     {"axspa_feature_count": 4}, False, ()),
    ("axspa_possible", {"pain_duration": "over_12_weeks", "age": 30},
     {"axspa_feature_count": 2}, False, ()),
    ("co_manage_condition", {"diagnoses": ("scoliosis", "osteoporosis")}, {}, True,
     ("diagnoses",)),
    ("co_manage_condition", {"diagnoses": ("herniated_disc",),
                             "pain_location": ("leg_below_knee",)}, {}, True,
     ("diagnoses", "pain_location")),
    ("co_manage_condition", {"diagnoses": ("herniated_disc",),
                             "pain_location": ("leg_above_knee",)}, {}, False, ()),
    ("co_manage_condition", {"diagnoses": ("scoliosis", "muscle_strain"),
                             "pain_location": ("leg_below_knee",)}, {}, False, ()),
    ("co_manage_condition", {"diagnoses": ("none",)}, {}, False, ()),
    # v3: a diagnosed strain counts only while the pain is not long-standing
    ("strain", {"diagnoses": ("muscle_strain",), "pain_duration": "6_to_12_weeks"}, {}, True,
     ("diagnoses",)),
    ("strain", {"diagnoses": ("muscle_strain",), "pain_duration": "over_12_weeks"}, {}, False,
     ()),
    ("strain", {"recent_overexertion": True, "onset": "gradual",
                "pain_duration": "under_6_weeks"}, {}, True,
     ("recent_overexertion", "pain_duration")),
    ("strain", {"recent_overexertion": False, "onset": "after_exertion",
                "pain_duration": "under_6_weeks"}, {}, True, ("onset", "pain_duration")),
    ("strain", {"recent_overexertion": True, "onset": "after_exertion",
                "pain_duration": "6_to_12_weeks", "diagnoses": ("none",)}, {}, False, ()),
    ("strain", {"recent_overexertion": False, "onset": "after_injury",
                "pain_duration": "under_6_weeks", "diagnoses": ("none",)}, {}, False, ()),
    ("stenosis_pattern", {"diagnoses": ("spinal_stenosis",), "age": 40}, {}, True,
     ("diagnoses",)),
    ("stenosis_pattern", {"age": 61, "pain_worse_with": ("standing_walking",),
                          "pain_eased_by": ("sitting",)}, {}, True,
     ("age", "pain_worse_with", "pain_eased_by")),
    ("stenosis_pattern", {"age": 61, "pain_worse_with": ("standing_walking",),
                          "pain_eased_by": ("bending_forward",)}, {}, True,
     ("age", "pain_worse_with", "pain_eased_by")),
    ("stenosis_pattern", {"age": 60, "pain_worse_with": ("standing_walking",),
                          "pain_eased_by": ("sitting",)}, {}, False, ()),
    ("stenosis_pattern", {"age": 70, "pain_worse_with": ("standing_walking",),
                          "pain_eased_by": ("lying_down",)}, {}, False, ()),
    ("flexion_sensitive_disc", {"pain_worse_with": ("bending_forward",),
                                "pain_location": ("leg_below_knee",)}, {}, True,
     ("pain_worse_with", "pain_location")),
    ("flexion_sensitive_disc", {"pain_worse_with": ("bending_forward",),
                                "pain_location": ("lower_back",),
                                "diagnoses": ("herniated_disc",)}, {}, True,
     ("pain_worse_with", "diagnoses")),
    ("flexion_sensitive_disc", {"pain_worse_with": ("sitting",),
                                "pain_location": ("leg_below_knee",)}, {}, False, ()),
    ("flexion_sensitive_disc", {"pain_worse_with": ("bending_forward",),
                                "pain_location": ("lower_back",), "diagnoses": ("none",)},
     {}, False, ()),
    # v3: fewer than 2 exercise days; the kind of exercise no longer counts
    ("low_activity", {"exercise_days": 1, "exercise_types": ("strength",)}, {}, True,
     ("exercise_days",)),
    ("low_activity", {"exercise_days": 0}, {}, True, ("exercise_days",)),
    ("low_activity", {"exercise_days": 4, "exercise_types": ("walking", "running")}, {}, False,
     ()),
    ("low_activity", {"exercise_days": 2, "exercise_types": ("yoga_pilates",)}, {}, False, ()),
    ("low_activity", {}, {}, False, ()),
    ("regular_exercise", {"exercise_days": 2, "exercise_types": ("walking",)}, {}, True,
     ("exercise_days",)),
    ("regular_exercise", {"exercise_days": 1, "exercise_types": ("walking",)}, {}, False, ()),
    # "and not (strength or yoga)" beside a positive part: only exercise_days is named
    ("no_strength_work", {"exercise_days": 3, "exercise_types": ("walking", "running")}, {},
     True, ("exercise_days",)),
    ("no_strength_work", {"exercise_days": 3, "exercise_types": ("yoga_pilates",)}, {}, False,
     ()),
    ("no_strength_work", {"exercise_days": 1, "exercise_types": ("walking",)}, {}, False, ()),
    # v3: worst_pain, the larger of pain now and the week's worst, names both answers
    ("severe_chronic", {"pain_duration": "over_12_weeks", "pain_now": 3, "pain_worst_week": 8},
     {}, True, ("pain_duration", "pain_now", "pain_worst_week")),
    ("severe_chronic", {"pain_duration": "over_12_weeks", "pain_now": 9, "pain_worst_week": 5},
     {}, True, ("pain_duration", "pain_now", "pain_worst_week")),
    ("severe_chronic", {"pain_duration": "over_12_weeks", "pain_now": 2, "pain_worst_week": 7},
     {"odi_percent": 40.2}, True, ("pain_duration", "odi_percent")),
    ("severe_chronic", {"pain_duration": "over_12_weeks", "pain_now": 2, "pain_worst_week": 9},
     {"odi_percent": 60.0}, True,
     ("pain_duration", "pain_now", "pain_worst_week", "odi_percent")),
    ("severe_chronic", {"pain_duration": "over_12_weeks", "pain_now": 7, "pain_worst_week": 7},
     {"odi_percent": 40.0}, False, ()),
    ("severe_chronic", {"pain_duration": "6_to_12_weeks", "pain_now": 10,
                        "pain_worst_week": 10}, {}, False, ()),
    ("severe_chronic", {"pain_duration": "over_12_weeks"}, {}, False, ()),
    # v2
    ("onset_under_45", {"age": 50, "axspa_features": ("onset_before_35", "psoriasis")}, {},
     True, ("axspa_features",)),
    ("onset_under_45", {"age": 50, "onset_before_45": False,
                        "axspa_features": ("psoriasis",)}, {}, False, ()),
    ("bone_risk_condition", {"diagnoses": ("scoliosis", "spinal_fracture")}, {}, True,
     ("diagnoses",)),
    ("bone_risk_condition", {"diagnoses": ("spinal_stenosis",)}, {}, False, ()),
    # "and not under_medical_care" is a negated part beside a positive one: not named (v3)
    ("awaiting_doctor", {"diagnoses": ("spinal_arthritis",), "under_medical_care": False}, {},
     True, ("diagnoses",)),
    ("awaiting_doctor", {"diagnoses": ("spinal_arthritis",), "under_medical_care": True}, {},
     False, ()),
    # v3: spondylosis alone is no co-manage condition
    ("co_manage_condition", {"diagnoses": ("spondylosis",)}, {}, False, ()),
    ("awaiting_doctor", {"diagnoses": ("spondylosis",), "under_medical_care": False}, {},
     False, ()),
    # an unanswered under_medical_care counts as not under care (the safer side)
    ("awaiting_doctor", {"diagnoses": ("osteoporosis",)}, {}, True, ("diagnoses",)),
    ("awaiting_doctor", {"diagnoses": ("scoliosis",), "under_medical_care": False}, {}, False,
     ()),
    ("pregnant", {"pregnancy": "pregnant"}, {}, True, ("pregnancy",)),
    ("pregnant", {"pregnancy": "postpartum"}, {}, False, ()),
    ("postpartum", {"pregnancy": "postpartum"}, {}, True, ("pregnancy",)),
    ("postpartum", {"pregnancy": "no"}, {}, False, ()),
    ("late_pregnancy", {"pregnancy": "pregnant", "pregnancy_weeks": 28}, {}, True,
     ("pregnancy", "pregnancy_weeks")),
    ("late_pregnancy", {"pregnancy": "pregnant", "pregnancy_weeks": 27}, {}, False, ()),
    ("late_pregnancy", {"pregnancy": "postpartum"}, {}, False, ()),
    ("young", {"age": 15}, {}, True, ("age",)),
    ("young", {"age": 16}, {}, False, ()),
    # v3
    ("bone_hold", {"diagnoses": ("osteoporosis",), "under_medical_care": False}, {}, True,
     ("diagnoses",)),
    ("bone_hold", {"diagnoses": ("osteoporosis",), "under_medical_care": True}, {}, False, ()),
    ("bone_hold", {"diagnoses": ("spinal_stenosis",), "under_medical_care": False}, {}, False,
     ()),
    ("early_pregnancy", {"pregnancy": "pregnant", "pregnancy_weeks": 12}, {}, True,
     ("pregnancy", "pregnancy_weeks")),
    ("early_pregnancy", {"pregnancy": "pregnant", "pregnancy_weeks": 13}, {}, False, ()),
    ("after_first_trimester", {"pregnancy": "pregnant", "pregnancy_weeks": 13}, {}, True,
     ("pregnancy", "pregnancy_weeks")),
    ("after_first_trimester", {"pregnancy": "pregnant", "pregnancy_weeks": 12}, {}, False, ()),
    ("after_first_trimester", {"pregnancy": "postpartum", "postpartum_weeks": 20}, {}, False,
     ()),
    ("postnatal_under_6wk", {"pregnancy": "postpartum", "postpartum_weeks": 5}, {}, True,
     ("pregnancy", "postpartum_weeks")),
    ("postnatal_under_6wk", {"pregnancy": "postpartum", "postpartum_weeks": 6}, {}, False, ()),
    # weeks 0 to 6 inclusive
    ("postnatal_6wk", {"pregnancy": "postpartum", "postpartum_weeks": 6}, {}, True,
     ("pregnancy", "postpartum_weeks")),
    ("postnatal_6wk", {"pregnancy": "postpartum", "postpartum_weeks": 0}, {}, True,
     ("pregnancy", "postpartum_weeks")),
    ("postnatal_6wk", {"pregnancy": "postpartum", "postpartum_weeks": 7}, {}, False, ()),
    ("postnatal_12wk", {"pregnancy": "postpartum", "postpartum_weeks": 11}, {}, True,
     ("pregnancy", "postpartum_weeks")),
    ("postnatal_12wk", {"pregnancy": "postpartum", "postpartum_weeks": 12}, {}, False, ()),
    ("midwife_period", {"pregnancy": "pregnant", "pregnancy_weeks": 30}, {}, True,
     ("pregnancy",)),
    ("midwife_period", {"pregnancy": "postpartum", "postpartum_weeks": 6}, {}, True,
     ("pregnancy", "postpartum_weeks")),
    ("midwife_period", {"pregnancy": "postpartum", "postpartum_weeks": 7}, {}, False, ()),
    ("midwife_period", {"pregnancy": "no"}, {}, False, ()),
    ("pelvic_girdle_pattern", {"pregnancy": "postpartum", "postpartum_weeks": 20,
                               "pain_location": ("lower_back",),
                               "pain_worse_with": ("stairs", "sitting")}, {}, True,
     ("pregnancy", "pain_worse_with")),
    ("pelvic_girdle_pattern", {"pregnancy": "pregnant", "pregnancy_weeks": 20,
                               "pain_location": ("front_of_pelvis",),
                               "pain_worse_with": ("none",)}, {}, True,
     ("pregnancy", "pain_location")),
    ("pelvic_girdle_pattern", {"pregnancy": "no", "pain_location": ("buttock",),
                               "pain_worse_with": ("stairs",)}, {}, False, ()),
    ("pelvic_girdle_pattern", {"pregnancy": "pregnant", "pregnancy_weeks": 20,
                               "pain_location": ("lower_back",),
                               "pain_worse_with": ("sitting",)}, {}, False, ()),
    ("pgp_early", {"pregnancy": "postpartum", "postpartum_weeks": 11,
                   "pain_location": ("buttock",), "pain_worse_with": ("none",)}, {}, True,
     ("pregnancy", "pain_location", "postpartum_weeks")),
    ("pgp_early", {"pregnancy": "postpartum", "postpartum_weeks": 12,
                   "pain_location": ("buttock",), "pain_worse_with": ("none",)}, {}, False, ()),
    ("adolescent_scoliosis", {"diagnoses": ("scoliosis",), "age": 17,
                              "pain_duration": "6_to_12_weeks"}, {}, True, ("diagnoses", "age")),
    ("adolescent_scoliosis", {"diagnoses": ("scoliosis",), "age": 17,
                              "pain_duration": "under_6_weeks"}, {}, False, ()),
    ("adolescent_scoliosis", {"diagnoses": ("scoliosis",), "age": 18,
                              "pain_duration": "over_12_weeks"}, {}, False, ()),
    ("older_adult", {"age": 65}, {}, True, ("age",)),
    ("older_adult", {"age": 64}, {}, False, ()),
    ("bone_caution", {"age": 70, "diagnoses": ("none",), "rf_steroids": False}, {}, True,
     ("age",)),
    ("bone_caution", {"age": 40, "diagnoses": ("none",), "rf_steroids": True}, {}, True,
     ("rf_steroids",)),
    ("bone_caution", {"age": 40, "diagnoses": ("spinal_tumor",), "rf_steroids": True}, {},
     True, ("diagnoses", "rf_steroids")),
    ("bone_caution", {"age": 69, "diagnoses": ("scoliosis",), "rf_steroids": False}, {},
     False, ()),
    ("falls_risk", {"age": 66, "falls_past_year": "one", "unsteady": False}, {}, True,
     ("age", "falls_past_year")),
    ("falls_risk", {"age": 80, "falls_past_year": "none", "unsteady": True}, {}, True,
     ("age", "unsteady")),
    ("falls_risk", {"age": 80, "falls_past_year": "none", "unsteady": False}, {}, False, ()),
    ("falls_risk", {"age": 60}, {}, False, ()),
    ("falls_high_risk", {"age": 66, "falls_past_year": "two_or_more"}, {}, True,
     ("falls_past_year",)),
    ("falls_high_risk", {"age": 66, "falls_past_year": "one"}, {}, False, ()),
    ("nerve_root_pain", {"pain_location": ("leg_below_knee",),
                         "pain_duration": "6_to_12_weeks"}, {}, True, ("pain_location",)),
    ("nerve_root_pain", {"pain_location": ("leg_below_knee",),
                         "pain_duration": "over_12_weeks"}, {}, False, ()),
    ("extension_sensitive", {"pain_worse_with": ("bending_backward",)}, {}, True,
     ("pain_worse_with",)),
    ("extension_sensitive", {"pain_worse_with": ("none",)}, {}, False, ()),
    ("hypermobile", {"diagnoses": ("hypermobility",)}, {}, True, ("diagnoses",)),
    ("hypermobile", {"diagnoses": ("none",)}, {}, False, ()),
    ("vascular_pattern", {"age": 50, "pain_worse_with": ("standing_walking",),
                          "pain_location": ("lower_back", "leg_above_knee"),
                          "pain_eased_by": ("standing_still",)}, {}, True,
     ("age", "pain_worse_with", "pain_location", "pain_eased_by")),
    ("vascular_pattern", {"age": 49, "pain_worse_with": ("standing_walking",),
                          "pain_location": ("leg_below_knee",),
                          "pain_eased_by": ("standing_still",)}, {}, False, ()),
    ("vascular_pattern", {"age": 75, "pain_worse_with": ("standing_walking",),
                          "pain_location": ("leg_below_knee",),
                          "pain_eased_by": ("sitting",)}, {}, False, ()),
    ("night_pain_flag", {"rf_night_pain": False, "rf_constant_pain": True}, {}, True,
     ("rf_constant_pain",)),
    ("night_pain_flag", {"rf_night_pain": True, "rf_constant_pain": True}, {}, True,
     ("rf_night_pain", "rf_constant_pain")),
    ("night_pain_flag", {"rf_night_pain": False, "rf_constant_pain": False}, {}, False, ()),
    ("risk_flag", {"rf_steroids": True, "rf_recent_infection": True,
                   "rf_anticoagulant": False}, {}, True,
     ("rf_recent_infection", "rf_steroids")),
    ("risk_flag", {"rf_cancer_history": False, "rf_fever": True}, {}, False, ()),
    ("hands_on_caution", {"diagnoses": ("none",), "rf_anticoagulant": True}, {}, True,
     ("rf_anticoagulant",)),
    ("hands_on_caution", {"diagnoses": ("spinal_stenosis",), "rf_anticoagulant": False}, {},
     True, ("diagnoses",)),
    ("hands_on_caution", {"diagnoses": ("spondylosis",), "rf_anticoagulant": False}, {},
     False, ()),
    ("post_procedure", {"rf_recent_procedure": True}, {}, True, ("rf_recent_procedure",)),
    ("post_procedure", {"rf_recent_procedure": False, "rf_recent_infection": True}, {}, False,
     ()),
    ("gentle_programme", {"pregnancy": "postpartum", "postpartum_weeks": 5,
                          "rf_recent_procedure": False}, {}, True,
     ("pregnancy", "postpartum_weeks")),
    ("gentle_programme", {"pregnancy": "postpartum", "postpartum_weeks": 6,
                          "rf_recent_procedure": False}, {}, False, ()),
    ("gentle_programme", {"pregnancy": "no", "rf_recent_procedure": True}, {}, True,
     ("rf_recent_procedure",)),
    ("work_affected", {"work_absence": "reduced_duties"}, {}, True, ("work_absence",)),
    ("work_affected", {"work_absence": "no"}, {}, False, ()),
    ("work_affected", {"occupation": "not_working"}, {}, False, ()),
    ("long_off_work", {"work_absence": "off_work", "work_absence_weeks": 4}, {}, True,
     ("work_absence", "work_absence_weeks")),
    ("long_off_work", {"work_absence": "off_work", "work_absence_weeks": 3}, {}, False, ()),
    ("massage_ok", {"current_care": ("massage",), "massage_helped": "somewhat"}, {}, True,
     ("massage_helped",)),
    ("massage_ok", {"current_care": ("massage",), "massage_helped": "no"}, {}, False, ()),
    # absent (no massage yet): massage is offered; current_care, which hid it, is named
    ("massage_ok", {"current_care": ("none",)}, {}, True, ("current_care",)),
]


@pytest.mark.parametrize(("name", "answers", "scores", "holds", "because"), CASES)
def test_named_condition(name: str, answers: dict[str, Any], scores: dict[str, Any],
                         holds: bool, because: tuple[str, ...]) -> None:
    finding = c.NAMED_CONDITIONS[name](answers, scores)
    assert (finding.holds, finding.because) == (holds, because), (name, answers, scores)
    assert bool(finding) is holds


def test_every_named_condition_is_tested() -> None:
    assert {case[0] for case in CASES} == set(c.NAMED_CONDITIONS)
    # the clinical reference v3's table, the pure aliases `waking_pain` etc. included.
    assert set(c.NAMED_CONDITIONS) == {
        "chronic", "acute", "waking_pain", "leg_below_knee", "onset_under_45",
        "axspa_suspected", "axspa_possible", "co_manage_condition", "strain",
        "stenosis_pattern", "flexion_sensitive_disc", "low_activity", "regular_exercise",
        "no_strength_work", "severe_chronic", "bone_risk_condition", "awaiting_doctor",
        "bone_hold", "pregnant", "postpartum", "late_pregnancy", "early_pregnancy",
        "after_first_trimester", "postnatal_under_6wk", "postnatal_6wk", "postnatal_12wk",
        "midwife_period", "pelvic_girdle_pattern", "pgp_early", "young",
        "adolescent_scoliosis", "older_adult", "bone_caution", "falls_risk",
        "falls_high_risk", "nerve_root_pain", "extension_sensitive", "hypermobile",
        "vascular_pattern", "night_pain_flag", "risk_flag", "hands_on_caution",
        "post_procedure", "gentle_programme", "work_affected", "long_off_work", "massage_ok",
    }


# --------------------------------------------------------------------------- negation


@pytest.mark.parametrize(("name", "answers", "scores", "because"), [
    ("chronic", {"pain_duration": "6_to_12_weeks"}, {}, ("pain_duration",)),
    ("co_manage_condition", {"diagnoses": ("herniated_disc",),
                             "pain_location": ("leg_above_knee",)}, {},
     ("diagnoses", "pain_location")),
    ("strain", {"diagnoses": ("none",), "recent_overexertion": False, "onset": "gradual",
                "pain_duration": "over_12_weeks"}, {},
     ("diagnoses", "pain_duration", "recent_overexertion", "onset")),
    ("low_activity", {"exercise_days": 3, "exercise_types": ("strength",)}, {},
     ("exercise_days",)),
    ("waking_pain", {"pain_on_waking": "no"}, {}, ("pain_on_waking",)),
    # an absent answer is never named
    ("severe_chronic", {"pain_duration": "over_12_weeks", "pain_worst_week": 3}, {},
     ("pain_duration", "pain_worst_week")),
])
def test_negation_names_every_answered_id_of_the_definition(
        name: str, answers: dict[str, Any], scores: dict[str, Any],
        because: tuple[str, ...]) -> None:
    negated = c.negate(c.NAMED_CONDITIONS[name](answers, scores))
    assert (negated.holds, negated.because) == (True, because), (name, answers)


def test_negation_of_a_holding_condition_does_not_hold() -> None:
    assert c.negate(c.chronic({"pain_duration": "over_12_weeks"}, {})) == Finding(
        False, (), ("pain_duration",), negated=True)


# --------------------------------------------------------------------------- shared tests


@pytest.mark.parametrize(("answers", "holds", "because"), [
    ({"current_care": ("massage",), "massage_helped": "yes"}, True, ("massage_helped",)),
    ({"current_care": ("massage",), "massage_helped": "somewhat"}, True, ("massage_helped",)),
    ({"current_care": ("massage",), "massage_helped": "no"}, False, ()),
    # hidden (no massage yet): counts as not no, and names the answer that hid it
    ({"current_care": ("none",)}, True, ("current_care",)),
    ({"current_care": ("chiropractic",)}, True, ("current_care",)),
])
def test_massage_helped_not_no(answers: dict[str, Any], holds: bool,
                               because: tuple[str, ...]) -> None:
    finding = c.massage_helped_not_no(answers, {})
    assert (finding.holds, finding.because) == (holds, because), answers


@pytest.mark.parametrize(("answers", "holds", "because"), [
    ({"diagnoses": ("osteoporosis",), "under_medical_care": False}, True, ("diagnoses",)),
    ({"diagnoses": ("osteoporosis",), "under_medical_care": True}, False, ()),
    ({"diagnoses": ("scoliosis",), "under_medical_care": False}, False, ()),
    # not answered yet (a draft): the safer side, restrictions apply
    ({"diagnoses": ("spinal_tumor",)}, True, ("diagnoses",)),
])
def test_co_manage_unconfirmed(answers: dict[str, Any], holds: bool,
                               because: tuple[str, ...]) -> None:
    finding = c.co_manage_unconfirmed(answers, {})
    assert (finding.holds, finding.because) == (holds, because), answers


@pytest.mark.parametrize(("answers", "holds"), [
    ({"age": True}, False),       # a yes/no is never a number
    ({"age": "44"}, False),
    ({"age": 44}, True),
])
def test_numbers_are_strict(answers: dict[str, Any], holds: bool) -> None:
    assert c.onset_under_45(answers, {}).holds is holds, answers


# --------------------------------------------------------------------------- because of "and"
# the clinical reference v3, `because`: "A and B" names what each part that is not a negation
# names; a
# negated part is named only when no part of that `and` is positive, and then names every
# answer its X mentions. Checked on random condition trees over four yes/no answers.

KEYS = ("k1", "k2", "k3", "k4")


@dataclass(frozen=True)
class Leaf:
    key: str


@dataclass(frozen=True)
class Not:
    part: Expr


@dataclass(frozen=True)
class And:
    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Expr, ...]


Expr: TypeAlias = Leaf | Not | And | Or


def evaluate(e: Expr, answers: dict[str, Any]) -> Finding:
    if isinstance(e, Leaf):
        return c.yes(answers, e.key)
    if isinstance(e, Not):
        return c.negate(evaluate(e.part, answers))
    parts = [evaluate(p, answers) for p in e.parts]
    return c.all_of(*parts) if isinstance(e, And) else c.any_of(*parts)


def keys_of(e: Expr) -> set[str]:
    if isinstance(e, Leaf):
        return {e.key}
    if isinstance(e, Not):
        return keys_of(e.part)
    return set().union(*(keys_of(p) for p in e.parts))


def ands(e: Expr) -> list[And]:
    here = [e] if isinstance(e, And) else []
    if isinstance(e, Not):
        return here + ands(e.part)
    if isinstance(e, (And, Or)):
        return here + [a for p in e.parts for a in ands(p)]
    return here


exprs = st.recursive(
    st.builds(Leaf, st.sampled_from(KEYS)),
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(And, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(Or, st.lists(inner, min_size=1, max_size=3).map(tuple))),
    max_leaves=8)
# Each answer absent (hidden), yes or no.
answer_sets = st.fixed_dictionaries(
    {}, optional=dict.fromkeys(KEYS, st.booleans()))


@settings(max_examples=examples(1000), deadline=None)
@given(exprs, answer_sets)
def test_an_and_with_a_positive_part_never_names_what_only_its_negations_test(
        e: Expr, answers: dict[str, Any]) -> None:
    for node in ands(e):
        found = evaluate(node, answers)
        assert set(found.because) <= set(answers), (node, answers, found)
        if not found.holds:
            assert found.because == ()
            continue
        positive = [p for p in node.parts if not isinstance(p, Not)]
        if positive:
            tested_positively = set().union(*(keys_of(p) for p in positive))
            # Issue 17: "and not pregnant" named `pregnancy` in men's plans.
            assert set(found.because) <= tested_positively, (node, answers, found)
        else:
            # Negations alone: every answered id they mention.
            assert set(found.because) == keys_of(node) & set(answers), (node, answers, found)
