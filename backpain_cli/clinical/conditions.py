"""The named conditions of the clinical reference ("Named conditions"), each a small pure function.

Every condition returns a `Finding`: whether it holds, the ids that made it hold (for a
recommendation's `because`), and every answered id its definition mentions (what a negated
test names, the clinical reference "Recommendations").

`because` follows the clinical reference's rule (version 3, "Recommendations") in `all_of`, so that
every rule gets it without a word of its own: "A and B" names what each part that is not a
negation names; a negated part (`not X`) is named only when no part of that `and` is
positive, and then names every answered id X mentions. A man is not told that a plan for
his back was based on his pregnancy because a rule said "and not pregnant".

Absent answers follow the clinical reference: an answer that was not asked (hidden by its condition)
is absent, and any test on it is false, so its negation is true. One answer has its own
rule, written out in `massage_helped_not_no` (massage_ok): an absent answer there counts as
a value, and the finding names the answer that hid it instead (an absent answer is never
named).

A test on a flag ("`f` counted") is a test on its yes answer: every flag a condition reads
is a table flag, counted when answered yes (the two pregnancy-only signs are not read here).

Triage, the recommender and the tests all read these functions, so "chronic" or "strain"
mean one thing everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeGuard

from ..frozen import frozen
from .model import ScoreValue
from .questionnaire import AnswerValue

Answers = Mapping[str, AnswerValue]
Scores = Mapping[str, ScoreValue]


@frozen
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
    """"Not X": names every answered id X's definition mentions (the clinical reference), where it
    is
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


# Version 3: spondylosis alone is no longer one ("very common, often painless").
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


def early_pregnancy(a: Answers, s: Scores) -> Finding:
    """Under 13 weeks (NICE NG126): an early pregnancy unit, not the maternity unit."""
    return all_of(pregnant(a, s), compare(a, "pregnancy_weeks", "<=", 12))


def after_first_trimester(a: Answers, s: Scores) -> Finding:
    return all_of(pregnant(a, s), compare(a, "pregnancy_weeks", ">=", 13))


def postnatal_under_6wk(a: Answers, s: Scores) -> Finding:
    return all_of(postpartum(a, s), compare(a, "postpartum_weeks", "<", 6))


def postnatal_6wk(a: Answers, s: Scores) -> Finding:
    """Weeks 0 to 6 after the birth, inclusive: "the first 6 weeks after the birth"."""
    return all_of(postpartum(a, s), compare(a, "postpartum_weeks", "<=", 6))


def postnatal_12wk(a: Answers, s: Scores) -> Finding:
    return all_of(postpartum(a, s), compare(a, "postpartum_weeks", "<", 12))


def midwife_period(a: Answers, s: Scores) -> Finding:
    """While a midwife is involved: in pregnancy and the first 6 weeks after the birth."""
    return any_of(pregnant(a, s), postnatal_6wk(a, s))


def pelvic_girdle_pattern(a: Answers, s: Scores) -> Finding:
    return all_of(
        any_of(pregnant(a, s), postpartum(a, s)),
        any_of(has(a, "pain_location", "buttock"), has(a, "pain_location", "front_of_pelvis"),
               has(a, "pain_worse_with", "turning_in_bed"),
               has(a, "pain_worse_with", "stairs"),
               has(a, "pain_worse_with", "standing_on_one_leg")),
    )


def pgp_early(a: Answers, s: Scores) -> Finding:
    """Pelvic girdle pain in pregnancy or the first 12 weeks after: no one-leg loading."""
    return all_of(pelvic_girdle_pattern(a, s), any_of(pregnant(a, s), postnatal_12wk(a, s)))


def young(a: Answers, s: Scores) -> Finding:
    return compare(a, "age", "<", 16)


def young_not_acute(a: Answers, s: Scores) -> Finding:
    """Young people (under 16) whose pain is not new go to a doctor (v2)."""
    return all_of(young(a, s), negate(acute(a, s)))


def adolescent_scoliosis(a: Answers, s: Scores) -> Finding:
    """Scoliosis rarely hurts much in young people: pain beyond 6 weeks is looked at."""
    return all_of(has(a, "diagnoses", "scoliosis"), compare(a, "age", "<", 18),
                  negate(acute(a, s)))


def older_adult(a: Answers, s: Scores) -> Finding:
    return compare(a, "age", ">=", 65)


def bone_caution(a: Answers, s: Scores) -> Finding:
    """Bone that may be thin: a diagnosis, long-term steroids, or 70 and over."""
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
    """Leg pain on walking that standing still eases, from 50: maybe the arteries (NICE
    CG147), not only the spine."""
    return all_of(
        compare(a, "age", ">=", 50),
        has(a, "pain_worse_with", "standing_walking"),
        has_any(a, "pain_location", ("leg_above_knee", "leg_below_knee")),
        has(a, "pain_eased_by", "standing_still"),
    )


def night_pain_flag(a: Answers, s: Scores) -> Finding:
    return any_of(yes(a, "rf_night_pain"), yes(a, "rf_constant_pain"))


# The risk factors of the clinical reference's red-flag table (v3), in table order.
RISK_FACTORS = ("rf_immunosuppressed", "rf_recent_procedure", "rf_recent_infection",
                "rf_cancer_history", "rf_steroids", "rf_anticoagulant")


def risk_flag(a: Answers, s: Scores) -> Finding:
    """Any risk factor counted, one test per risk factor (each that holds is named)."""
    return any_of(*(yes(a, rf) for rf in RISK_FACTORS))


def post_procedure(a: Answers, s: Scores) -> Finding:
    return yes(a, "rf_recent_procedure")


def gentle_programme(a: Answers, s: Scores) -> Finding:
    return any_of(postnatal_under_6wk(a, s), post_procedure(a, s))


def work_affected(a: Answers, s: Scores) -> Finding:
    return one_of(a, "work_absence", ("reduced_duties", "off_work"))


def long_off_work(a: Answers, s: Scores) -> Finding:
    return all_of(is_(a, "work_absence", "off_work"), compare(a, "work_absence_weeks", ">=", 4))


def strain(a: Answers, s: Scores) -> Finding:
    """A diagnosed strain that is not long-standing, or new pain after effort (v3)."""
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
    """Fewer than 2 days of exercise a week (v3: the kind of exercise no longer counts)."""
    return compare(a, "exercise_days", "<", 2)


def regular_exercise(a: Answers, s: Scores) -> Finding:
    return compare(a, "exercise_days", ">=", 2)


def no_strength_work(a: Answers, s: Scores) -> Finding:
    """A regular exerciser who does neither strength work nor yoga or Pilates."""
    return all_of(regular_exercise(a, s), negate(has_any(a, "exercise_types",
                                                         ("strength", "yoga_pilates"))))


WORST_PAIN = ("pain_now", "pain_worst_week")


def worst_pain(a: Answers, op: str, limit: float) -> Finding:
    """The larger of `pain_now` and `pain_worst_week` against `limit` (v3): a test on it is
    a test on both answers, so it names both (those present). Pain now above the week's
    worst is a consistency check; the rules take the worst of the two."""
    values = [a[k] for k in WORST_PAIN if k in a and _is_number(a[k])]
    seen = tuple(k for k in WORST_PAIN if k in a)
    if not values:
        return Finding(False, (), seen)
    holds = compare({"worst": max(values)}, "worst", op, limit).holds
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


# the clinical reference (v2) calls it awaiting_doctor.
awaiting_doctor = co_manage_unconfirmed


def awaiting_doctor_bone_risk(a: Answers, s: Scores) -> Finding:
    return all_of(awaiting_doctor(a, s), bone_risk_condition(a, s))


# the clinical reference (v3) names.
bone_hold = awaiting_doctor_bone_risk
massage_ok = massage_helped_not_no


def hands_on_caution(a: Answers, s: Scores) -> Finding:
    """A diagnosis awaiting or under a doctor, or a risk factor: light pressure only."""
    return any_of(co_manage_condition(a, s), risk_flag(a, s))


NAMED_CONDITIONS: dict[str, Condition] = {
    "chronic": chronic,
    "acute": acute,
    "waking_pain": waking_pain,
    "leg_below_knee": leg_below_knee,
    "onset_under_45": onset_under_45,
    "axspa_suspected": axspa_suspected,
    "axspa_possible": axspa_possible,
    "co_manage_condition": co_manage_condition,
    "strain": strain,
    "stenosis_pattern": stenosis_pattern,
    "flexion_sensitive_disc": flexion_sensitive_disc,
    "low_activity": low_activity,
    "regular_exercise": regular_exercise,
    "no_strength_work": no_strength_work,
    "severe_chronic": severe_chronic,
    "bone_risk_condition": bone_risk_condition,
    "awaiting_doctor": awaiting_doctor,
    "bone_hold": bone_hold,
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
