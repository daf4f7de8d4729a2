"""The named conditions of CLINICAL.md ("Named conditions"), each a small pure function.

Every condition returns a `Finding`: whether it holds, the ids that made it hold (for a
recommendation's `because`), and every answered id its definition mentions (what a negated
test names, CLINICAL.md "Recommendations").

`because` follows CLINICAL.md's rule (version 3, "Recommendations") in `all_of`, so that
every rule gets it without a word of its own: "A and B" names what each part that is not a
negation names; a negated part (`not X`) is named only when no part of that `and` is
positive, and then names every answered id X mentions. A man is not told that a plan for
his back was based on his pregnancy because a rule said "and not pregnant".

Absent answers follow CLINICAL.md: an answer that was not asked (hidden by its condition)
is absent, and any test on it is false, so its negation is true. Two answers have their own
rule, written out in `low_activity` and `massage_helped_not_no`: an absent answer there
counts as a value, and the finding names the answer that hid it instead (an absent answer
is never named).

Triage, the recommender and the tests all read these functions, so "chronic" or "strain"
mean one thing everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeGuard

from .model import ScoreValue
from .questionnaire import AnswerValue

Answers = Mapping[str, AnswerValue]
Scores = Mapping[str, ScoreValue]


@dataclass(frozen=True)
class Finding:
    """Whether a condition holds, and which answer ids and score keys say so."""

    holds: bool
    because: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    # A `not X` (negate): named inside an `and` only when no part of it is positive.
    negated: bool = False

    def __bool__(self) -> bool:
        return self.holds


Condition = Callable[[Answers, Scores], Finding]


def _ids(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """Ids of several groups, first occurrence wins, so `because` reads like the definition."""
    out: list[str] = []
    for group in groups:
        for i in group:
            if i not in out:
                out.append(i)
    return tuple(out)


def _is_number(v: object) -> TypeGuard[int | float]:
    # bool is an int subclass; a yes/no answer must never pass as a number.
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# --------------------------------------------------------------------------- building blocks


def all_of(*parts: Finding) -> Finding:
    holds = all(p.holds for p in parts)
    positive = [p for p in parts if not p.negated]
    return Finding(
        holds,
        _ids(p.because for p in (positive or parts)) if holds else (),
        _ids(p.mentions for p in parts),
    )


def any_of(*parts: Finding) -> Finding:
    holds = any(p.holds for p in parts)
    return Finding(
        holds, _ids(p.because for p in parts if p.holds), _ids(p.mentions for p in parts))


def negate(f: Finding) -> Finding:
    """"Not X": names every answered id X's definition mentions (CLINICAL.md), where it is
    named at all (see `all_of`)."""
    return Finding(not f.holds, () if f.holds else f.mentions, f.mentions, negated=True)


def _present(source: Mapping[str, object], key: str) -> tuple[str, ...]:
    return (key,) if key in source else ()


def _test(source: Mapping[str, object], key: str, predicate: Callable[[object], bool]) -> Finding:
    seen = _present(source, key)
    holds = bool(seen) and predicate(source[key])
    return Finding(holds, seen if holds else (), seen)


def is_(source: Mapping[str, object], key: str, value: str | bool) -> Finding:
    """A choice, yes/no answer or text score equals `value` (types compared strictly)."""
    return _test(source, key, lambda v: type(v) is type(value) and v == value)


def one_of(source: Mapping[str, object], key: str, values: Iterable[str]) -> Finding:
    wanted = tuple(values)
    return _test(source, key, lambda v: isinstance(v, str) and v in wanted)


def is_not(source: Mapping[str, object], key: str, value: str) -> Finding:
    """Answered, and not `value` ("`pain_on_waking` is not no")."""
    return _test(source, key, lambda v: v != value)


def yes(answers: Answers, qid: str) -> Finding:
    return is_(answers, qid, True)


def has(answers: Answers, qid: str, value: str) -> Finding:
    """Membership in a multi answer; false when the answer is absent."""
    return _test(answers, qid, lambda v: isinstance(v, tuple) and value in v)


def has_any(answers: Answers, qid: str, values: Iterable[str]) -> Finding:
    wanted = tuple(values)
    return _test(answers, qid, lambda v: isinstance(v, tuple) and any(w in v for w in wanted))


def compare(source: Mapping[str, object], key: str, op: str, limit: float) -> Finding:
    """A numeric answer or score against `limit`; false when absent or not a number."""
    checks: dict[str, Callable[[float], bool]] = {
        "<": lambda v: v < limit,
        "<=": lambda v: v <= limit,
        ">": lambda v: v > limit,
        ">=": lambda v: v >= limit,
        "==": lambda v: v == limit,
    }
    check = checks[op]
    return _test(source, key, lambda v: _is_number(v) and check(float(v)))


# --------------------------------------------------------------------------- named conditions


CO_MANAGE_DIAGNOSES = (
    "ankylosing_spondylitis", "autoimmune", "spinal_fracture", "spinal_tumor", "osteoporosis",
    "spinal_stenosis", "spinal_arthritis",
)


def chronic(a: Answers, s: Scores) -> Finding:
    return is_(a, "pain_duration", "over_12_weeks")


def acute(a: Answers, s: Scores) -> Finding:
    return is_(a, "pain_duration", "under_6_weeks")


def waking_pain(a: Answers, s: Scores) -> Finding:
    return is_not(a, "pain_on_waking", "no")


def leg_below_knee(a: Answers, s: Scores) -> Finding:
    return has(a, "pain_location", "leg_below_knee")


def onset_under_45(a: Answers, s: Scores) -> Finding:
    return any_of(compare(a, "age", "<", 45), yes(a, "onset_before_45"),
                  has(a, "axspa_features", "onset_before_35"))


def axspa_suspected(a: Answers, s: Scores) -> Finding:
    return all_of(chronic(a, s), onset_under_45(a, s), compare(s, "axspa_feature_count", ">=", 4))


def axspa_possible(a: Answers, s: Scores) -> Finding:
    return all_of(chronic(a, s), onset_under_45(a, s), compare(s, "axspa_feature_count", "==", 3))


def co_manage_condition(a: Answers, s: Scores) -> Finding:
    return any_of(
        has_any(a, "diagnoses", CO_MANAGE_DIAGNOSES),
        all_of(has(a, "diagnoses", "herniated_disc"), leg_below_knee(a, s)),
    )


BONE_RISK_DIAGNOSES = ("spinal_fracture", "spinal_tumor", "osteoporosis")


def bone_risk_condition(a: Answers, s: Scores) -> Finding:
    """Weak or damaged bone: exercise waits for the doctor's view too (v2)."""
    return has_any(a, "diagnoses", BONE_RISK_DIAGNOSES)


def pregnant(a: Answers, s: Scores) -> Finding:
    return is_(a, "pregnancy", "pregnant")


def postpartum(a: Answers, s: Scores) -> Finding:
    return is_(a, "pregnancy", "postpartum")


def pregnant_or_postpartum(a: Answers, s: Scores) -> Finding:
    return one_of(a, "pregnancy", ("pregnant", "postpartum"))


def late_pregnancy(a: Answers, s: Scores) -> Finding:
    """From 28 weeks: go to sleep on the side (NICE NG201)."""
    return all_of(pregnant(a, s), compare(a, "pregnancy_weeks", ">=", 28))


def young(a: Answers, s: Scores) -> Finding:
    return compare(a, "age", "<", 16)


def young_not_acute(a: Answers, s: Scores) -> Finding:
    """Young people (under 16) whose pain is not new go to a doctor (v2)."""
    return all_of(young(a, s), negate(acute(a, s)))


def strain(a: Answers, s: Scores) -> Finding:
    """(v3) A diagnosed strain that is not chronic, or new pain after overexertion."""
    return any_of(
        all_of(has(a, "diagnoses", "muscle_strain"), negate(chronic(a, s))),
        all_of(
            any_of(yes(a, "recent_overexertion"), is_(a, "onset", "after_exertion")),
            acute(a, s),
        ),
    )


def stenosis_pattern(a: Answers, s: Scores) -> Finding:
    return any_of(
        has(a, "diagnoses", "spinal_stenosis"),
        all_of(
            compare(a, "age", ">", 60),
            has(a, "pain_worse_with", "standing_walking"),
            has_any(a, "pain_eased_by", ("bending_forward", "sitting")),
        ),
    )


def flexion_sensitive_disc(a: Answers, s: Scores) -> Finding:
    return all_of(
        has(a, "pain_worse_with", "bending_forward"),
        any_of(leg_below_knee(a, s), has(a, "diagnoses", "herniated_disc")),
    )


def low_activity(a: Answers, s: Scores) -> Finding:
    """(v3) Fewer than 2 days a week of exercise."""
    return compare(a, "exercise_days", "<", 2)


def regular_exercise(a: Answers, s: Scores) -> Finding:
    return compare(a, "exercise_days", ">=", 2)


def no_strength_work(a: Answers, s: Scores) -> Finding:
    return all_of(regular_exercise(a, s),
                  negate(has_any(a, "exercise_types", ("strength", "yoga_pilates"))))


def worst_pain(a: Answers, op: str, limit: float) -> Finding:
    """(v3) A test on the larger of `pain_now` and `pain_worst_week`: a test on both
    answers, so it names both (the worst of the week includes today)."""
    seen = tuple(k for k in ("pain_now", "pain_worst_week") if k in a)
    values = [v for k in seen if _is_number(v := a[k])]
    holds = bool(values) and compare({"v": max(values)}, "v", op, limit).holds
    return Finding(holds, seen if holds else (), seen)


def severe_chronic(a: Answers, s: Scores) -> Finding:
    return all_of(
        chronic(a, s),
        any_of(worst_pain(a, ">=", 8), compare(s, "odi_percent", ">", 40)),
    )


# Answer tests that several rules share; named so that their absent-answer rule lives here.


def massage_helped_no(a: Answers, s: Scores) -> Finding:
    return is_(a, "massage_helped", "no")


def massage_helped_not_no(a: Answers, s: Scores) -> Finding:
    """`massage_helped` is not no; absent (no massage yet) counts as not no.

    Massage is then offered to clients who do not have it yet; the finding names
    `current_care`, the answer that hid the question.
    """
    if "massage_helped" in a:
        return is_not(a, "massage_helped", "no")
    hid = _present(a, "current_care")
    return Finding(True, hid, hid)


def under_medical_care(a: Answers, s: Scores) -> Finding:
    return yes(a, "under_medical_care")


def co_manage_unconfirmed(a: Answers, s: Scores) -> Finding:
    """co_manage_condition and not under_medical_care: the doctor's view is not in yet.

    An unanswered `under_medical_care` counts as "not under care", the safer side: the
    restrictions that wait for the doctor's view then apply.
    """
    return all_of(co_manage_condition(a, s), negate(under_medical_care(a, s)))


# CLINICAL.md (v2) calls it awaiting_doctor.
awaiting_doctor = co_manage_unconfirmed


def awaiting_doctor_bone_risk(a: Answers, s: Scores) -> Finding:
    return all_of(awaiting_doctor(a, s), bone_risk_condition(a, s))


# --------------------------------------------------------------------------- version 3


def bone_hold(a: Answers, s: Scores) -> Finding:
    """awaiting_doctor and bone_risk_condition: exercise waits for the doctor too."""
    return awaiting_doctor_bone_risk(a, s)


def _weeks(a: Answers, key: str, op: str, limit: int) -> Finding:
    return compare(a, key, op, limit)


def early_pregnancy(a: Answers, s: Scores) -> Finding:
    """Under 13 weeks (NICE NG126)."""
    return all_of(pregnant(a, s), _weeks(a, "pregnancy_weeks", "<=", 12))


def after_first_trimester(a: Answers, s: Scores) -> Finding:
    return all_of(pregnant(a, s), _weeks(a, "pregnancy_weeks", ">=", 13))


def postnatal_under_6wk(a: Answers, s: Scores) -> Finding:
    return all_of(postpartum(a, s), _weeks(a, "postpartum_weeks", "<", 6))


def postnatal_6wk(a: Answers, s: Scores) -> Finding:
    """Weeks 0 to 6 inclusive: "the first 6 weeks after the birth"."""
    return all_of(postpartum(a, s), _weeks(a, "postpartum_weeks", "<=", 6))


def postnatal_12wk(a: Answers, s: Scores) -> Finding:
    return all_of(postpartum(a, s), _weeks(a, "postpartum_weeks", "<", 12))


def midwife_period(a: Answers, s: Scores) -> Finding:
    return any_of(pregnant(a, s), postnatal_6wk(a, s))


def pelvic_girdle_pattern(a: Answers, s: Scores) -> Finding:
    return all_of(
        pregnant_or_postpartum(a, s),
        any_of(has_any(a, "pain_location", ("buttock", "front_of_pelvis")),
               has_any(a, "pain_worse_with",
                       ("turning_in_bed", "stairs", "standing_on_one_leg"))),
    )


def pgp_early(a: Answers, s: Scores) -> Finding:
    return all_of(pelvic_girdle_pattern(a, s), any_of(pregnant(a, s), postnatal_12wk(a, s)))


def adolescent_scoliosis(a: Answers, s: Scores) -> Finding:
    return all_of(has(a, "diagnoses", "scoliosis"), compare(a, "age", "<", 18),
                  negate(acute(a, s)))


def older_adult(a: Answers, s: Scores) -> Finding:
    return compare(a, "age", ">=", 65)


def bone_caution(a: Answers, s: Scores) -> Finding:
    """Bone that may be thin: a bone diagnosis, long-term steroids, or 70 and over."""
    return any_of(bone_risk_condition(a, s), yes(a, "rf_steroids"), compare(a, "age", ">=", 70))


def falls_risk(a: Answers, s: Scores) -> Finding:
    return all_of(older_adult(a, s),
                  any_of(one_of(a, "falls_past_year", ("one", "two_or_more")),
                         yes(a, "unsteady")))


def falls_high_risk(a: Answers, s: Scores) -> Finding:
    return is_(a, "falls_past_year", "two_or_more")


def nerve_root_pain(a: Answers, s: Scores) -> Finding:
    return all_of(leg_below_knee(a, s), negate(chronic(a, s)))


def extension_sensitive(a: Answers, s: Scores) -> Finding:
    return has(a, "pain_worse_with", "bending_backward")


def hypermobile(a: Answers, s: Scores) -> Finding:
    return has(a, "diagnoses", "hypermobility")


def vascular_pattern(a: Answers, s: Scores) -> Finding:
    """Leg pain on walking that standing still eases, from 50 (NICE CG147)."""
    return all_of(compare(a, "age", ">=", 50), has(a, "pain_worse_with", "standing_walking"),
                  has_any(a, "pain_location", ("leg_above_knee", "leg_below_knee")),
                  has(a, "pain_eased_by", "standing_still"))


# Flags that count only in pregnancy, or in pregnancy and after a birth (CLINICAL.md
# "Flag tiers"): their questions are hidden otherwise, and an answer kept from elsewhere
# must not count.
_COUNTED_WHEN: dict[str, Condition] = {
    "rf_pregnancy_warning": pregnant,
    "rf_leg_clot": pregnant_or_postpartum,
}
RISK_FACTORS = ("rf_immunosuppressed", "rf_recent_procedure", "rf_recent_infection",
                "rf_cancer_history", "rf_steroids", "rf_anticoagulant")


def counted(a: Answers, flag: str) -> Finding:
    """A red-flag question answered yes that counts ("`f` counted"); names the flag."""
    found = yes(a, flag)
    when = _COUNTED_WHEN.get(flag)
    if when is None or not found:
        return found
    return Finding(when(a, {}).holds, found.because if when(a, {}).holds else (),
                   found.mentions)


def night_pain_flag(a: Answers, s: Scores) -> Finding:
    return any_of(counted(a, "rf_night_pain"), counted(a, "rf_constant_pain"))


def risk_flag(a: Answers, s: Scores) -> Finding:
    return any_of(*(counted(a, f) for f in RISK_FACTORS))


def hands_on_caution(a: Answers, s: Scores) -> Finding:
    return any_of(co_manage_condition(a, s), risk_flag(a, s))


def post_procedure(a: Answers, s: Scores) -> Finding:
    return counted(a, "rf_recent_procedure")


def gentle_programme(a: Answers, s: Scores) -> Finding:
    return any_of(postnatal_under_6wk(a, s), post_procedure(a, s))


def work_affected(a: Answers, s: Scores) -> Finding:
    return one_of(a, "work_absence", ("reduced_duties", "off_work"))


def long_off_work(a: Answers, s: Scores) -> Finding:
    return all_of(is_(a, "work_absence", "off_work"),
                  compare(a, "work_absence_weeks", ">=", 4))


massage_ok = massage_helped_not_no


NAMED_CONDITIONS: dict[str, Condition] = {
    "chronic": chronic,
    "acute": acute,
    "waking_pain": waking_pain,
    "leg_below_knee": leg_below_knee,
    "onset_under_45": onset_under_45,
    "axspa_suspected": axspa_suspected,
    "axspa_possible": axspa_possible,
    "co_manage_condition": co_manage_condition,
    "bone_risk_condition": bone_risk_condition,
    "awaiting_doctor": awaiting_doctor,
    "bone_hold": bone_hold,
    "strain": strain,
    "stenosis_pattern": stenosis_pattern,
    "flexion_sensitive_disc": flexion_sensitive_disc,
    "low_activity": low_activity,
    "regular_exercise": regular_exercise,
    "no_strength_work": no_strength_work,
    "severe_chronic": severe_chronic,
    "pregnant": pregnant,
    "postpartum": postpartum,
    "late_pregnancy": late_pregnancy,
    "early_pregnancy": early_pregnancy,
    "after_first_trimester": after_first_trimester,
    "postnatal_under_6wk": postnatal_under_6wk,
    "postnatal_6wk": postnatal_6wk,
    "postnatal_12wk": postnatal_12wk,
    "midwife_period": midwife_period,
    "pelvic_girdle_pattern": pelvic_girdle_pattern,
    "pgp_early": pgp_early,
    "young": young,
    "adolescent_scoliosis": adolescent_scoliosis,
    "older_adult": older_adult,
    "bone_caution": bone_caution,
    "falls_risk": falls_risk,
    "falls_high_risk": falls_high_risk,
    "nerve_root_pain": nerve_root_pain,
    "extension_sensitive": extension_sensitive,
    "hypermobile": hypermobile,
    "vascular_pattern": vascular_pattern,
    "night_pain_flag": night_pain_flag,
    "risk_flag": risk_flag,
    "hands_on_caution": hands_on_caution,
    "post_procedure": post_procedure,
    "gentle_programme": gentle_programme,
    "work_affected": work_affected,
    "long_off_work": long_off_work,
    "massage_ok": massage_ok,
}
