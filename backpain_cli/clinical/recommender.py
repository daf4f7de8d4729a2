"""The recommender (CLINICAL.md, "Recommendations"): one short row per recommendation.

`RULES` lists every rule in plan order (strategies medical, sleep, personalized,
prevention, massage; inside each, CLINICAL.md's list order), so the plan's order is the
table's order. A row is the recommendation id, its test and, when its wording depends on
the answers, the function that picks its sentences. A test returns a `Finding` whose
`because` becomes the recommendation's `because`. What a recommendation says (title,
sentences, evidence) is data in `advice.toml`, keyed by the same id, so a clinician can
review the words apart from the logic. Rules know nothing of triage bounds: `apply_bounds`
is the one place that removes what triage (or a diagnosis awaiting the doctor's view) does
not allow.
"""

from __future__ import annotations

import functools
import tomllib
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files import packaged
from . import conditions as c
from .conditions import (
    Finding,
    all_of,
    any_of,
    compare,
    has,
    has_any,
    is_,
    is_not,
    negate,
    one_of,
    yes,
)
from .model import Recommendation, RedFlag, ScoreValue
from .questionnaire import AnswerValue
from .reassess import reassess_weeks


@dataclass(frozen=True)
class Facts:
    """Everything a rule may read about one client."""

    answers: Mapping[str, AnswerValue]
    scores: Mapping[str, ScoreValue]
    flags: tuple[RedFlag, ...]
    triage: str

    def holds(self, condition: c.Condition) -> Finding:
        return condition(self.answers, self.scores)


Test = Callable[[Facts], Finding]
# A rule's named sentences from advice.toml, with the shared ones behind them.
Texts = Mapping[str, str]
Words = Callable[[Facts, Texts], str]


def _text(f: Facts, t: Texts) -> str:
    """The wording of a rule that always says the same: its one `text`."""
    return t["text"]


@dataclass(frozen=True)
class Advice:
    """What one recommendation says, from advice.toml."""

    title: str
    evidence: str
    texts: Texts


@functools.cache
def advice() -> dict[str, Advice]:
    """advice.toml, read once: each rule's title, evidence note and named sentences."""
    here = packaged(Path(__file__).parent, __package__)
    raw: dict[str, Any] = tomllib.loads(here.joinpath("advice.toml").read_text("utf-8"))
    evidence: dict[str, str] = raw["evidence"]
    shared: dict[str, str] = raw["shared"]
    out = {}
    for rule_id, entry in raw["rules"].items():
        texts = {k: v for k, v in entry.items() if k not in ("title", "evidence")}
        out[rule_id] = Advice(entry["title"], evidence[entry["evidence"]],
                              ChainMap(texts, shared))
    return out


@dataclass(frozen=True)
class Rule:
    id: str
    test: Test
    words: Words = _text

    @property
    def strategy(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def advice(self) -> Advice:
        return advice()[self.id]

    def text(self, facts: Facts) -> str:
        return self.words(facts, self.advice.texts)


# --------------------------------------------------------------------------- rule tests


def _flag_ids(f: Facts) -> tuple[str, ...]:
    return tuple(flag.id for flag in f.flags)


def _flags_finding(f: Facts) -> Finding:
    ids = _flag_ids(f)
    return Finding(bool(ids), ids, ids)


def _triage_is(level: str) -> Test:
    """A triage-based rule: names every flag in `red_flags`, in order."""
    def test(f: Facts) -> Finding:
        holds = f.triage == level
        return Finding(holds, _flag_ids(f) if holds else (), _flag_ids(f))
    test.__name__ = f"triage_is_{level}"
    return test


def _worded_by(finding: Finding, wording: Finding) -> Finding:
    """`finding`, also naming the answers that shape the wording (when they hold)."""
    if not finding.holds:
        return finding
    return Finding(True, (*finding.because, *(i for i in wording.because
                                              if i not in finding.because)), finding.mentions)


def _seen(f: Facts, *ids: str) -> Finding:
    """The answered ones of `ids`: what a wording that reads them depends on."""
    present = tuple(i for i in ids if i in f.answers)
    return Finding(True, present, present)


# Same-day triage (v3) is bounded and worded as urgent; only its referral differs.
DOCTOR_FIRST = ("urgent", "same_day")


def _urgent(f: Facts) -> bool:
    return f.triage in DOCTOR_FIRST


def _startback(f: Facts, risk: str) -> Finding:
    return is_(f.scores, "startback_risk", risk)


def _young(f: Facts) -> Finding:
    return _worded_by(f.holds(c.young), _seen(f, "pain_duration"))


def _sciatica(f: Facts) -> Finding:
    return all_of(f.holds(c.leg_below_knee), negate(f.holds(c.acute)))


def _pregnancy_care(f: Facts) -> Finding:
    return f.holds(c.pregnant_or_postpartum)


def _psychosocial_support(f: Facts) -> Finding:
    return _startback(f, "high")


def _co_manage(f: Facts) -> Finding:
    # The wording changes with the warning signs (urgent) and with weak bone, so both are named.
    found = _worded_by(f.holds(c.awaiting_doctor), f.holds(c.bone_risk_condition))
    return _worded_by(found, _triage_is("urgent")(f))


def _safety_net(f: Facts) -> Finding:
    """Every plan but an emergency one (CLINICAL.md v2); names pain_duration and the flags."""
    if f.triage == "emergency":
        return Finding(False)
    found = _seen(f, "pain_duration")
    found = Finding(bool(found.because) or _urgent(f), found.because, found.mentions)
    if _urgent(f):
        found = _worded_by(found, _flags_finding(f))
    return _worded_by(found, f.holds(c.pregnant))


def _inflammation_note(f: Facts) -> Finding:
    """Long morning pain with stiffness over half an hour: more typical of inflammation."""
    return all_of(is_(f.answers, "pain_on_waking", "lasts_longer"),
                  yes(f.answers, "morning_stiffness_over_30min"))


def _mattress(test: Test) -> Test:
    def worded(f: Facts) -> Finding:
        return _worded_by(test(f), _inflammation_note(f))
    worded.__name__ = test.__name__
    return worded


def _medium_firm_reasons(f: Facts) -> Finding:
    a = f.answers
    return any_of(
        one_of(a, "mattress_firmness", ("soft", "medium_soft")),
        yes(a, "mattress_sagging"),
        is_(a, "mattress_opinion", "too_soft"),
        compare(a, "mattress_age_years", ">", 10),
    )


def _medium_firm(f: Facts) -> Finding:
    return all_of(f.holds(c.waking_pain), _medium_firm_reasons(f))


def _softer_surface(f: Facts) -> Finding:
    a = f.answers
    return all_of(
        f.holds(c.waking_pain),
        one_of(a, "mattress_firmness", ("firm", "very_firm")),
        is_(a, "mattress_opinion", "too_firm"),
        negate(yes(a, "mattress_sagging")),
        compare(a, "mattress_age_years", "<=", 10),
    )


def _mattress_review(f: Facts) -> Finding:
    return all_of(f.holds(c.waking_pain), negate(_medium_firm(f)), negate(_softer_surface(f)))


def _no_change(f: Facts) -> Finding:
    a = f.answers
    return all_of(
        negate(f.holds(c.waking_pain)),
        is_(a, "mattress_opinion", "comfortable"),
        negate(yes(a, "mattress_sagging")),
        compare(a, "mattress_age_years", "<=", 10),
    )


def _not_late_pregnancy(test: Test) -> Test:
    """Position advice that late pregnancy replaces with side sleeping (guardrail 12)."""
    def guarded(f: Facts) -> Finding:
        return all_of(test(f), negate(f.holds(c.late_pregnancy)))
    guarded.__name__ = test.__name__
    return guarded


def _no_knee_pillow_when(positions: tuple[str, ...]) -> Test:
    def test(f: Facts) -> Finding:
        a = f.answers
        return all_of(one_of(a, "sleep_position", positions), negate(yes(a, "knee_pillow")))
    return test


def _sleeps_on_stomach(f: Facts) -> Finding:
    return is_(f.answers, "sleep_position", "stomach")


def _late_pregnancy(f: Facts) -> Finding:
    return f.holds(c.late_pregnancy)


# Head pillow heights that do not suit a sleeping position.
UNSUITED_PILLOW = {
    "side": ("none", "low"),
    "back": ("none", "high"),
    "stomach": ("medium", "high"),
    "mixed": ("none", "high"),
}


def _pillow_height(f: Facts) -> Finding:
    a = f.answers
    late = f.holds(c.late_pregnancy)
    if late:
        # In late pregnancy she goes to sleep on her side: judge the pillow as for side lying.
        return all_of(late, one_of(a, "pillow_height", UNSUITED_PILLOW["side"]))
    return any_of(*(
        all_of(is_(a, "sleep_position", position), one_of(a, "pillow_height", heights))
        for position, heights in UNSUITED_PILLOW.items()
    ))


def _ankylosing_spondylitis(f: Facts) -> Finding:
    return any_of(has(f.answers, "diagnoses", "ankylosing_spondylitis"),
                  f.holds(c.axspa_suspected))


def _strain(f: Facts) -> Finding:
    return f.holds(c.strain)


def _strain_cold_or_heat(f: Facts) -> Finding:
    return _worded_by(f.holds(c.strain), f.holds(c.pregnant))


def _strain_massage(f: Facts) -> Finding:
    return all_of(f.holds(c.strain), f.holds(c.massage_helped_not_no))


def _arthritis(f: Facts) -> Finding:
    return has_any(f.answers, "diagnoses", ("spondylosis", "spinal_arthritis"))


def _disc(f: Facts) -> Finding:
    return any_of(has(f.answers, "diagnoses", "herniated_disc"), f.holds(c.leg_below_knee))


def _stenosis(f: Facts) -> Finding:
    return all_of(f.holds(c.stenosis_pattern), negate(f.holds(c.flexion_sensitive_disc)))


def _morning_stiffness(f: Facts) -> Finding:
    return yes(f.answers, "morning_stiffness_over_30min")


def _low_risk(f: Facts) -> Finding:
    return _worded_by(_startback(f, "low"), _seen(f, "pain_duration"))


def _heat(f: Facts) -> Finding:
    return _worded_by(all_of(negate(f.holds(c.chronic)), negate(f.holds(c.strain))),
                      f.holds(c.pregnant))


def _stay_active(f: Facts) -> Finding:
    """Fires for everyone; worded by duration, and by the warning signs under urgent."""
    found = _seen(f, "pain_duration")
    if _urgent(f):
        found = _worded_by(Finding(True, found.because, found.mentions), _flags_finding(f))
    return found


def _low_activity_not_pregnant(f: Facts) -> Finding:
    return all_of(f.holds(c.low_activity), negate(f.holds(c.pregnant)))


def _active(f: Facts) -> Finding:
    # Version 2's test (regular exercise that includes strength work or yoga), written with
    # the v3 conditions until keep_exercising takes its v3 wording.
    return all_of(f.holds(c.regular_exercise),
                  has_any(f.answers, "exercise_types", ("strength", "yoga_pilates")))


def _legs(f: Facts) -> Finding:
    return any_of(f.holds(c.low_activity), compare(f.answers, "sitting_hours", ">=", 6))


def _flexion(f: Facts) -> Finding:
    a = f.answers
    return all_of(
        any_of(
            has(a, "pain_worse_with", "bending_backward"),
            has(a, "pain_eased_by", "bending_forward"),
            f.holds(c.stenosis_pattern),
        ),
        negate(f.holds(c.flexion_sensitive_disc)),
        negate(f.holds(c.pregnant)),
    )


def _pregnant(f: Facts) -> Finding:
    return f.holds(c.pregnant)


def _hyperextension(f: Facts) -> Finding:
    a = f.answers
    return any_of(yes(a, "hyperextension_activities"),
                  has(a, "pain_worse_with", "bending_backward"))


def _lifting(f: Facts) -> Finding:
    a = f.answers
    return any_of(is_(a, "occupation", "manual_lifting"), has(a, "pain_worse_with", "lifting"))


def _sitting(f: Facts) -> Finding:
    a = f.answers
    return any_of(compare(a, "sitting_hours", ">=", 6), has(a, "pain_worse_with", "sitting"))


def _gentle_only(f: Facts) -> Finding:
    return _worded_by(f.holds(c.co_manage_condition), f.holds(c.under_medical_care))


def _with_exercise(f: Facts) -> Finding:
    return f.holds(c.massage_helped_not_no)


def _focused(f: Facts) -> Finding:
    return all_of(_with_exercise(f), f.holds(c.strain), is_not(f.scores, "startback_risk", "high"),
                  negate(f.holds(c.co_manage_condition)), negate(f.holds(c.pregnant)))


def _whole_body(f: Facts) -> Finding:
    return all_of(_with_exercise(f), _startback(f, "high"),
                  negate(f.holds(c.co_manage_condition)), negate(f.holds(c.pregnant)))


def _prenatal(f: Facts) -> Finding:
    return all_of(_with_exercise(f), f.holds(c.pregnant))


def _combine_care(f: Facts) -> Finding:
    return _worded_by(_with_exercise(f), _seen(f, "current_care"))


# --------------------------------------------------------------------------- wording
# Each function picks and joins a rule's sentences from advice.toml; none holds words of
# its own.


def _join(words: list[str], conj: str = "and") -> str:
    """"a", "a and b", "a, b and c"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {conj} " + words[-1]


def _weeks(n: int) -> str:
    return "1 week" if n == 1 else f"{n} weeks"


def _sentences(t: Texts, *keys: str, **values: str) -> str:
    return " ".join(t[k] for k in keys).format(**values)


# Flags that point at pressure on the nerves at the base of the spine (cauda equina) or on
# the spinal cord.
NERVE_FLAGS = ("rf_saddle_numbness", "rf_bladder_bowel", "rf_sexual_dysfunction",
               "rf_both_legs", "rf_leg_weakness")
INFECTION_FLAGS = ("rf_immunosuppressed", "rf_recent_procedure")


def _emergency(f: Facts) -> tuple[bool, bool, bool, bool]:
    """(nerves, heart, infection, pregnancy): what the emergency flags point at."""
    ids = _flag_ids(f)
    emergency = {flag.id for flag in f.flags if flag.tier == "emergency"}
    fever = "rf_fever" in emergency
    return (any(i in NERVE_FLAGS for i in ids),
            "rf_chest_symptoms" in ids,
            fever and any(i in emergency for i in INFECTION_FLAGS),
            "rf_pregnancy_warning" in ids or (fever and f.holds(c.pregnant).holds))


AMBULANCE = "ambulance"
EMERGENCY_DEPARTMENT = "emergency_department"
MATERNITY_UNIT = "maternity_unit"


def _places(f: Facts) -> tuple[str, ...]:
    """Where the emergency referral sends the client, in CLINICAL.md's order: an emergency
    call, the emergency department, the maternity unit. An emergency that names no place
    still goes to hospital."""
    nerves, heart, infection, pregnancy = _emergency(f)
    held = ((AMBULANCE, heart),
            (EMERGENCY_DEPARTMENT, nerves or infection or not (heart or pregnancy)),
            (MATERNITY_UNIT, pregnancy))
    return tuple(place for place, holds in held if holds)


def emergency_places(answers: Mapping[str, AnswerValue],
                     flags: tuple[RedFlag, ...]) -> tuple[str, ...]:
    """The places `medical.emergency_referral` names for these answers and flags, so that a
    handout's banner names those and no other (a man is not sent to the maternity unit)."""
    return _places(Facts(answers, {}, flags, "emergency"))


def _emergency_words(f: Facts, t: Texts) -> str:
    nerves, heart, infection, pregnancy = _emergency(f)
    reasons = [t[key] for key, held in (("reason_nerves", nerves), ("reason_heart", heart),
                                        ("reason_infection", infection),
                                        ("reason_pregnancy", pregnancy)) if held]
    # Every emergency-tier flag points at one of these (a test checks each flag alone).
    why = " and that ".join(reasons)
    places = _places(f)
    call = AMBULANCE in places
    keys = ["call"] if call else []
    if EMERGENCY_DEPARTMENT in places:
        keys.append("department_after_call" if call else "department")
    if MATERNITY_UNIT in places:
        keys.append("maternity_also" if len(places) > 1 else "maternity")
    return _sentences(t, "opening", *keys, "closing", why=why)


def _young_words(f: Facts, t: Texts) -> str:
    return _sentences(t, "parent", "acute" if f.holds(c.acute) else "not_acute")


def _co_manage_words(f: Facts, t: Texts) -> str:
    # Under urgent, massage.hold_until_cleared rules out all hands-on work until the doctor
    # has seen the client; this must not contradict it.
    if _urgent(f):
        return _sentences(t, "first", "urgent")
    return _sentences(t, "first", "bone_risk" if f.holds(c.bone_risk_condition) else "other")


def _safety_net_words(f: Facts, t: Texts) -> str:
    keys = ["emergency_signs", "soon_signs"]
    if f.holds(c.pregnant):
        keys.append("pregnancy")
    weeks = reassess_weeks(f.answers, f.triage)
    if _urgent(f):
        keys.append("check_urgent")
    elif weeks is not None:
        keys.append("check_in")
    return _sentences(t, *keys, weeks=_weeks(weeks or 0))


def _mattress_words(words: Words) -> Words:
    """A mattress text, with the inflammation note where morning pain and stiffness last."""
    def worded(f: Facts, t: Texts) -> str:
        text = words(f, t)
        return f"{text} {t['inflammation_note']}" if _inflammation_note(f) else text
    return worded


def _medium_firm_words(f: Facts, t: Texts) -> str:
    reasons = [t[f"reason_{i}"] for i in _medium_firm_reasons(f).because]
    return _sentences(t, "text", reasons=_join(reasons))


def _pillow_height_words(f: Facts, t: Texts) -> str:
    position = "side" if f.holds(c.late_pregnancy) else f.answers.get("sleep_position")
    advice_key = f"advice_{position}" if f"advice_{position}" in t else "advice_mixed"
    return _sentences(t, "text", advice=t[advice_key])


def _as_medical_words(f: Facts, t: Texts) -> str:
    diagnosed = has(f.answers, "diagnoses", "ankylosing_spondylitis")
    return _sentences(t, "diagnosed" if diagnosed else "suspected", "red_eye")


def _with_heat_cautions(f: Facts, t: Texts) -> str:
    keys = ["text", "heat_caution"]
    if f.holds(c.pregnant):
        keys.append("pregnancy_heat_caution")
    return _sentences(t, *keys)


def _arthritis_keep_moving_words(f: Facts, t: Texts) -> str:
    only_spondylosis = has(f.answers, "diagnoses", "spondylosis") and not has(
        f.answers, "diagnoses", "spinal_arthritis")
    return _sentences(t, "spondylosis" if only_spondylosis else "arthritis", "text")


def _arthritis_medical_words(f: Facts, t: Texts) -> str:
    keys = ["massage"]
    if has(f.answers, "diagnoses", "spinal_arthritis"):
        keys.append("arthritis")
    if has(f.answers, "diagnoses", "spondylosis"):
        keys.append("spondylosis")
    return _sentences(t, *keys)


def _no_change_words(f: Facts, t: Texts) -> str:
    # "The pillow tips may still help" only where the plan holds some: every other sleep
    # rule is a pillow or position tip, and triage removes none of them but under an
    # emergency, which keeps no sleep advice at all.
    tips = any(_fires(rule, f) for rule in RULES
               if rule.strategy == "sleep" and rule.id != "sleep.no_change")
    return t["with_pillow_tips"] if tips else t["text"]


def _keep_exercising_words(f: Facts, t: Texts) -> str:
    # The kinds of the client's exercise that make it more than low activity.
    types = f.answers.get("exercise_types")
    kinds = [t[f"kind_{k}"] for k in ("strength", "yoga_pilates")
             if isinstance(types, tuple) and k in types]
    return _sentences(t, "text", kinds=_join(kinds))


def _low_risk_words(f: Facts, t: Texts) -> str:
    return _sentences(t, "first", "chronic" if f.holds(c.chronic) else "not_chronic")


def _stay_active_words(f: Facts, t: Texts) -> str:
    if _urgent(f):
        return t["urgent"]
    return t["chronic"] if f.holds(c.chronic) else t["other"]


def _gentle_only_words(f: Facts, t: Texts) -> str:
    return t["cleared"] if f.holds(c.under_medical_care) else t["awaiting"]


def _with_exercise_words(f: Facts, t: Texts) -> str:
    helped = {"yes": "helped", "somewhat": "helped_a_little"}.get(
        str(f.answers.get("massage_helped")), "try")
    return _sentences(t, helped, "package")


def _combine_care_words(f: Facts, t: Texts) -> str:
    # The care massage combines with (CLINICAL.md: chiropractic, physical therapy or medical
    # care). Medicines alone are not such care: the client is then pointed to physiotherapy.
    care = f.answers.get("current_care")
    names = [t[f"care_{v}"] for v in care if f"care_{v}" in t] if isinstance(care, tuple) else []
    if names:
        return _sentences(t, "with_care", care=_join(names))
    return t["no_care"]


# --------------------------------------------------------------------------- the rules


RULES: tuple[Rule, ...] = (
    # medical
    Rule("medical.emergency_referral", _triage_is("emergency"), _emergency_words),
    Rule("medical.urgent_referral", _triage_is("urgent")),
    Rule("medical.axspa_referral", lambda f: f.holds(c.axspa_suspected)),
    Rule("medical.axspa_discuss", lambda f: f.holds(c.axspa_possible)),
    Rule("medical.routine_review", lambda f: f.holds(c.severe_chronic)),
    Rule("medical.young_person", _young, _young_words),
    Rule("medical.sciatica_review", _sciatica),
    Rule("medical.pregnancy_care", _pregnancy_care),
    Rule("medical.co_manage", _co_manage, _co_manage_words),
    Rule("medical.coordinate_care",
         lambda f: all_of(f.holds(c.co_manage_condition), f.holds(c.under_medical_care))),
    Rule("medical.psychosocial_support", _psychosocial_support),
    Rule("medical.safety_net", _safety_net, _safety_net_words),
    # sleep
    Rule("sleep.mattress.medium_firm", _mattress(_medium_firm),
         _mattress_words(_medium_firm_words)),
    Rule("sleep.mattress.softer_surface", _mattress(_softer_surface), _mattress_words(_text)),
    Rule("sleep.mattress.review", _mattress(_mattress_review), _mattress_words(_text)),
    Rule("sleep.no_change", _no_change, _no_change_words),
    Rule("sleep.pillow.between_knees",
         _not_late_pregnancy(_no_knee_pillow_when(("side", "mixed")))),
    Rule("sleep.pillow.under_knees", _not_late_pregnancy(_no_knee_pillow_when(("back",)))),
    Rule("sleep.position.stomach", _not_late_pregnancy(_sleeps_on_stomach)),
    Rule("sleep.position.pregnancy", _late_pregnancy),
    Rule("sleep.pillow.height", _pillow_height, _pillow_height_words),
    # personalized
    Rule("personalized.as.gentle_stretching", _ankylosing_spondylitis),
    Rule("personalized.as.low_impact_exercise", _ankylosing_spondylitis),
    Rule("personalized.as.medical_care", _ankylosing_spondylitis, _as_medical_words),
    Rule("personalized.strain.relative_rest", _strain),
    Rule("personalized.strain.cold_or_heat", _strain_cold_or_heat, _with_heat_cautions),
    Rule("personalized.strain.massage", _strain_massage),
    Rule("personalized.arthritis.keep_moving", _arthritis, _arthritis_keep_moving_words),
    Rule("personalized.arthritis.medical_care", _arthritis, _arthritis_medical_words),
    Rule("personalized.disc.guided_exercise", _disc),
    Rule("personalized.stenosis.flexion_bias", _stenosis),
    Rule("personalized.morning_mobility", _morning_stiffness),
    Rule("personalized.pregnancy.pelvic_girdle", _pregnancy_care),
    Rule("personalized.low_risk.self_management", _low_risk, _low_risk_words),
    Rule("personalized.medium_risk.physio_exercise", lambda f: _startback(f, "medium")),
    Rule("personalized.heat", _heat, _with_heat_cautions),
    # prevention
    Rule("prevention.stay_active", _stay_active, _stay_active_words),
    Rule("prevention.core_strength", _low_activity_not_pregnant),
    Rule("prevention.keep_exercising", _active, _keep_exercising_words),
    Rule("prevention.leg_strength_flexibility", _legs),
    Rule("prevention.flexion_exercises", _flexion),
    Rule("prevention.pregnancy_exercise", _pregnant),
    Rule("prevention.avoid_hyperextension", _hyperextension),
    Rule("prevention.safe_lifting", _lifting),
    Rule("prevention.break_up_sitting", _sitting),
    # massage
    Rule("massage.hold_until_cleared",
         lambda f: any_of(_triage_is("urgent")(f), _triage_is("same_day")(f))),
    Rule("massage.reconsider", lambda f: f.holds(c.massage_helped_no)),
    Rule("massage.gentle_only", _gentle_only, _gentle_only_words),
    Rule("massage.with_exercise", _with_exercise, _with_exercise_words),
    Rule("massage.focused", _focused),
    Rule("massage.whole_body", _whole_body),
    Rule("massage.prenatal", _prenatal),
    Rule("massage.combine_care", _combine_care, _combine_care_words),
)

RULE_IDS = tuple(r.id for r in RULES)


# --------------------------------------------------------------------------- triage bounds

EXERCISE_IDS = frozenset({
    "prevention.core_strength", "prevention.keep_exercising",
    "prevention.leg_strength_flexibility", "prevention.flexion_exercises",
    "prevention.pregnancy_exercise",
    "personalized.as.gentle_stretching", "personalized.as.low_impact_exercise",
    "personalized.arthritis.keep_moving", "personalized.disc.guided_exercise",
    "personalized.stenosis.flexion_bias", "personalized.morning_mobility",
    "personalized.medium_risk.physio_exercise",
})
# Hands-on advice that only makes sense inside a package with exercise (guardrail 4).
NEEDS_EXERCISE = frozenset({
    "massage.with_exercise", "massage.focused", "massage.whole_body", "massage.prenatal",
    "massage.combine_care", "personalized.strain.massage",
})
URGENT_ALLOWED = frozenset({"prevention.stay_active", "massage.hold_until_cleared"})
URGENT_REMOVED = frozenset({"medical.psychosocial_support"})
AWAITING_DOCTOR_MASSAGE = frozenset({"massage.gentle_only", "massage.reconsider"})


def _allowed(rec_id: str, f: Facts) -> bool:
    """CLINICAL.md, "Triage also bounds the plan": the one place that says what may stay."""
    strategy = rec_id.split(".", 1)[0]
    if f.triage == "emergency":
        return rec_id == "medical.emergency_referral"
    if f.triage in DOCTOR_FIRST:
        if rec_id in URGENT_REMOVED:
            return False
        return strategy in ("medical", "sleep") or rec_id in URGENT_ALLOWED
    if f.holds(c.awaiting_doctor):
        if rec_id == "personalized.strain.massage":
            return False
        if strategy == "massage":
            return rec_id in AWAITING_DOCTOR_MASSAGE
        if strategy == "prevention" and f.holds(c.bone_risk_condition):
            return rec_id == "prevention.stay_active"
    return True


def apply_bounds(recs: tuple[Recommendation, ...], facts: Facts) -> tuple[Recommendation, ...]:
    """What triage allows (CLINICAL.md, "Triage also bounds the plan"), in one place."""
    kept = tuple(r for r in recs if _allowed(r.id, facts))
    # Massage is only ever advised inside a package with exercise (guardrail 4). With
    # complete answers an exercise recommendation always fires where massage may, so this
    # only bites on incomplete answers; it keeps the guarantee unconditional.
    if not any(r.id in EXERCISE_IDS for r in kept):
        kept = tuple(r for r in kept if r.id not in NEEDS_EXERCISE)
    return kept


def _worded(rule: Rule, facts: Facts, finding: Finding) -> tuple[str, Finding]:
    """The rule's text for these facts, with the guided-exercise wording where it applies."""
    text = rule.text(facts)
    awaiting = facts.holds(c.awaiting_doctor)
    if rule.id in EXERCISE_IDS and awaiting and facts.triage not in ("emergency", *DOCTOR_FIRST):
        return f"{text} {rule.advice.texts['guided_exercise']}", _worded_by(finding, awaiting)
    return text, finding


def _given(finding: Finding) -> bool:
    # A recommendation nobody could explain is not given: only possible when answers it
    # depends on are missing (a draft), never for a complete interview.
    return finding.holds and bool(finding.because)


def _fires(rule: Rule, facts: Facts) -> bool:
    return _given(rule.test(facts))


def candidates(facts: Facts) -> tuple[Recommendation, ...]:
    """Every rule that fires, in plan order, before triage bounds."""
    out: list[Recommendation] = []
    for rule in RULES:
        finding = rule.test(facts)
        if _given(finding):
            text, finding = _worded(rule, facts, finding)
            out.append(Recommendation(rule.id, rule.strategy, rule.advice.title, text,
                                      finding.because, rule.advice.evidence))
    return tuple(out)


def recommend(answers: Mapping[str, AnswerValue], scores: Mapping[str, ScoreValue],
              flags: tuple[RedFlag, ...], triage: str) -> tuple[Recommendation, ...]:
    facts = Facts(answers, scores, flags, triage)
    return apply_bounds(candidates(facts), facts)
