"""The recommender (CLINICAL.md, "Recommendations"): one small named rule per recommendation.

`RULES` lists every rule in plan order (strategies medical, sleep, personalized,
prevention, massage; inside each, CLINICAL.md's list order), so the plan's order is the
table's order. A rule's test returns a `Finding` whose `because` becomes the
recommendation's `because`. Rules know nothing of triage bounds: `apply_bounds` is the one
place that removes what triage (or a diagnosis awaiting the doctor's view) does not allow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

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
from .plan import Recommendation, RedFlag, ScoreValue
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
Detail = str | Callable[[Facts], str]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    detail: Detail
    evidence: str
    test: Test

    @property
    def strategy(self) -> str:
        return self.id.split(".", 1)[0]

    def text(self, facts: Facts) -> str:
        return self.detail if isinstance(self.detail, str) else self.detail(facts)


# --------------------------------------------------------------------------- evidence

EV_RED_FLAGS = ("Red flags: IFOMPT framework, Finucane et al., JOSPT 2020; cauda equina "
                "warning signs.")
EV_SAFETY_NET = (EV_RED_FLAGS + " Safety-netting and planned review: NICE NG59 (2016, "
                 "updated 2020).")
EV_CO_MANAGE = ("NICE NG59: consider alternative diagnoses; IFOMPT framework, Finucane et al., "
                "JOSPT 2020. Working with the client's doctor is also the source article's "
                "advice (practitioner experience).")
EV_AXSPA = "Axial spondyloarthritis referral criteria: NICE NG65."
EV_STRATIFIED = ("Risk stratification with STarT Back and matched treatment: Hill et al., "
                 "Lancet 2011; NICE NG59 (2016, updated 2020).")
EV_REVIEW = ("NICE NG59 (2016, updated 2020); a combined physical and psychological "
             "programme for pain that is not settling.")
EV_YOUNG = ("Low back pain in young people under 16 falls outside NICE NG59; persistent pain "
            "in children needs a doctor's assessment.")
EV_SCIATICA = ("Sciatica: NICE NG59 (2016, updated 2020); nerve warning signs: IFOMPT "
               "framework, Finucane et al., JOSPT 2020.")
EV_PREGNANCY = ("Pregnancy-related pelvic girdle pain: European guidelines, Vleeming et al., "
                "Eur Spine J 2008; antenatal care: NICE NG201 (2021).")
EV_PREGNANCY_SLEEP = ("Going to sleep on the side from 28 weeks: NICE NG201 antenatal care "
                      "(2021). Pillow placement: practitioner experience.")
EV_PREGNANCY_MASSAGE = ("Manual therapy only within a package that includes exercise: NICE "
                        "NG59. Positions and pressure in pregnancy: practitioner experience.")
EV_MATTRESS = ("Medium-firm better than firm for chronic low back pain: Kovacs et al., Lancet "
               "2003 (n=313, 90 days). Medium-firm, self-adjusted surfaces best for comfort "
               "and spinal alignment: Radwan et al., Sleep Health 2015; Caggiari et al., "
               "J Orthop Traumatol 2021.")
EV_PILLOW = ("Comfort and spinal alignment in bed: Radwan et al., Sleep Health 2015; Caggiari "
             "et al., J Orthop Traumatol 2021. Pillow placement: practitioner experience.")
EV_AS = ("NICE NG65 (spondyloarthritis). Gentle stretching, low-impact exercise and medical "
         "care for ankylosing spondylitis is also the source article's advice.")
EV_ACTIVE = ("Advice to stay active beats bed rest: Cochrane review, Dahm et al. 2010; NICE "
             "NG59; Lancet low back pain series, Foster et al. 2018.")
EV_RELATIVE_REST = ("Advice to stay active: Cochrane review, Dahm et al. 2010. The source "
                    "article's advice to rest a strained back: practitioner experience.")
EV_HEAT = ("Superficial heat: moderate evidence that it eases acute and subacute pain a "
           "little (ACP guideline, Qaseem et al., Ann Intern Med 2017).")
EV_COLD_OR_HEAT = (EV_HEAT + " Cold: too little research to judge; icing a strained muscle "
                   "(the source article) is practitioner experience.")
EV_MASSAGE_ACUTE = ("Massage for acute and subacute pain: ACP guideline, Qaseem et al., Ann "
                    "Intern Med 2017; only within a package that includes exercise: NICE NG59.")
EV_EXERCISE = ("Exercise first: NICE NG59; exercise for chronic pain: ACP guideline, Qaseem et "
               "al., Ann Intern Med 2017.")
EV_ARTHRITIS_CARE = ("Exercise for chronic pain: ACP guideline, Qaseem et al., Ann Intern Med "
                     "2017. Massage easing arthritis pain for a while: the source article "
                     "(practitioner experience).")
EV_STRENGTH = (EV_EXERCISE + " Trunk, leg strength and flexibility exercises as one option "
               "among many: the source article (practitioner experience).")
EV_PREGNANCY_EXERCISE = ("Exercise in pregnancy: NICE NG201 antenatal care (2021); pelvic "
                         "girdle pain: Vleeming et al., Eur Spine J 2008.")
EV_ARTICLE = ("The source article's own advice: practitioner experience. Guidelines recommend "
              "exercise in general (NICE NG59).")
EV_LIFTING = ("Lifting-technique training alone does not prevent back pain: Verbeek et al., "
              "Cochrane 2011. Pacing and a gradual return to activity: NICE NG59.")
EV_SITTING = ("Staying active: Cochrane review, Dahm et al. 2010; NICE NG59. Breaking up "
              "sitting: practitioner experience.")
EV_MANUAL = ("Manual therapy, massage included, only within a package that includes exercise: "
             "NICE NG59.")
EV_MASSAGE_STYLE = (EV_MANUAL + " Whole-body or focused work: the source article (practitioner "
                    "experience); no study compares the two.")
EV_RECONSIDER = (EV_MANUAL + " Changing approach when massage does not help: the source "
                 "article (practitioner experience).")


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


def _urgent(f: Facts) -> bool:
    return f.triage == "urgent"


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
    return negate(f.holds(c.low_activity))


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


def _join(words: list[str], conj: str = "and") -> str:
    """"a", "a and b", "a, b and c"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {conj} " + words[-1]


def _weeks(n: int) -> str:
    return "1 week" if n == 1 else f"{n} weeks"


# Flags that point at pressure on the nerves at the base of the spine (cauda equina) or on
# the spinal cord.
NERVE_FLAGS = ("rf_saddle_numbness", "rf_bladder_bowel", "rf_sexual_dysfunction",
               "rf_both_legs", "rf_leg_weakness")
INFECTION_FLAGS = ("rf_immunosuppressed", "rf_recent_procedure")


def _emergency_places(f: Facts) -> tuple[bool, bool, bool]:
    """(emergency call, emergency department, maternity unit): CLINICAL.md's order."""
    ids = _flag_ids(f)
    emergency = {flag.id for flag in f.flags if flag.tier == "emergency"}
    call = "rf_chest_symptoms" in ids
    pregnancy = "rf_pregnancy_warning" in ids or ("rf_fever" in emergency
                                                  and f.holds(c.pregnant).holds)
    infection = "rf_fever" in emergency and any(i in emergency for i in INFECTION_FLAGS)
    department = any(i in NERVE_FLAGS for i in ids) or infection
    if not (call or department or pregnancy):
        department = True  # an emergency with no named place still goes to hospital
    return call, department, pregnancy


def _emergency_detail(f: Facts) -> str:
    ids = _flag_ids(f)
    emergency = {flag.id for flag in f.flags if flag.tier == "emergency"}
    reasons = []
    if any(i in NERVE_FLAGS for i in ids):
        reasons.append("the nerves at the base of the spine may be under pressure")
    if "rf_chest_symptoms" in ids:
        reasons.append("the pain may come from the heart or the main blood vessel")
    if "rf_fever" in emergency and any(i in emergency for i in INFECTION_FLAGS):
        reasons.append("there may be an infection near the spine, which is more serious with "
                       "a weakened immune system or after a recent procedure or infection")
    if "rf_pregnancy_warning" in ids or ("rf_fever" in emergency and f.holds(c.pregnant).holds):
        reasons.append("the pregnancy needs checking")
    why = " and that ".join(reasons) if reasons else "a doctor needs to see you today"
    call, department, maternity = _emergency_places(f)
    steps = []
    if call:
        steps.append("Call the emergency number for an ambulance now; do not drive yourself.")
    if department:
        steps.append("The ambulance team will take you to the emergency department."
                     if call else
                     "Go to an emergency department now, or call emergency services, and do "
                     "not wait to see whether it settles. The hospital team may arrange an "
                     "urgent scan.")
    if maternity:
        steps.append("Contact the maternity unit now as well (the labour ward or maternity "
                     "helpline)." if call or department else
                     "Contact the maternity unit now (the labour ward or maternity helpline) "
                     "and tell them about the back pain; do not wait to see whether it settles.")
    return (f"Some of the answers are warning signs that {why}. This needs checking in "
            f"hospital today. {' '.join(steps)} Do not start or continue hands-on treatment "
            "or exercise today.")


URGENT_DETAIL = (
    "Some of the answers are warning signs that a doctor should check before anything else. "
    "Please book an appointment to be seen within the next few days, and at the latest "
    "within two weeks. Until you have been seen, avoid heavy lifting and strenuous exercise "
    "and hold off hands-on treatment. If numbness around the genitals or buttocks, new "
    "weakness in a leg, or changes in bladder or bowel control appear, go to an emergency "
    "department straight away."
)


def _young_detail(f: Facts) -> str:
    first = ("Because the client is under 16, a parent or carer should be part of this plan "
             "and of any treatment.")
    if f.holds(c.acute):
        return (f"{first} Back pain in a young person that lasts more than a few weeks should "
                "be checked by a doctor: if it has not settled within a few weeks, book an "
                "appointment with the family doctor.")
    return (f"{first} Back pain that has lasted more than a few weeks in a young person should "
            "be checked by a doctor: please book an appointment with the family doctor (a "
            "routine appointment, not an emergency) and bring this plan.")


def _co_manage_detail(f: Facts) -> str:
    first = ("A doctor has diagnosed a back condition but has not yet said that exercise and "
             "hands-on work can go ahead. Please get the doctor's view before starting a new "
             "strengthening programme on your own or any firm hands-on work.")
    if _urgent(f):
        # massage.hold_until_cleared rules out all hands-on work until the doctor has seen
        # the client; this must not contradict it.
        return (f"{first} The warning signs above come first: no hands-on work at all until "
                "the doctor has seen you.")
    if f.holds(c.bone_risk_condition):
        return (f"{first} With a condition that can weaken the bones of the spine, keep to "
                "gentle everyday movement and light massage only until the doctor's view is "
                "in (see the massage section).")
    return (f"{first} Until then, light massage only (see the massage section); exercise is "
            "best started with a physiotherapist or with the doctor's agreement.")


PSYCHOSOCIAL_DETAIL = (
    "Your answers suggest that worry, low mood or fear of moving are weighing on you, which is "
    "understandable and common with back pain. They can keep pain going, so we suggest a "
    "referral to a physiotherapist who uses a psychologically informed approach: exercise "
    "together with help for fear of movement and the thoughts and feelings that come with "
    "pain. Hurt does not always mean harm, and moving more, step by step, usually helps."
)


def _safety_net_detail(f: Facts) -> str:
    parts = [
        "Go to an emergency department straight away if any of these appear: numbness or "
        "tingling around the genitals, back passage, buttocks or inner thighs; changes in "
        "bladder, bowel or sexual function; a leg or foot getting weaker; or pain, numbness "
        "or pins and needles in both legs.",
        "See a doctor within a day or two if you get a fever, feel generally unwell, lose "
        "weight without trying, have constant pain at night, or the pain keeps getting worse.",
    ]
    if f.holds(c.pregnant):
        parts.append("While pregnant, bleeding, leaking fluid or regular tightening with the "
                     "back pain means contacting the maternity unit now.")
    weeks = reassess_weeks(f.answers, f.triage)
    if _urgent(f):
        parts.append("We will go through this plan again about a week after the doctor has "
                     "seen you.")
    elif weeks is not None:
        parts.append(f"Otherwise we will check this plan together in {_weeks(weeks)}.")
    return " ".join(parts)


INFLAMMATION_NOTE = (" Morning stiffness that lasts more than half an hour is more typical of "
                     "inflammation than of the bed, so the mattress may not be the main cause.")


def _mattress_text(base: Callable[[Facts], str]) -> Callable[[Facts], str]:
    def text(f: Facts) -> str:
        return base(f) + (INFLAMMATION_NOTE if _inflammation_note(f) else "")
    return text


# The words for each reason `_medium_firm_reasons` can name.
MEDIUM_FIRM_REASONS = {
    "mattress_firmness": "soft",
    "mattress_sagging": "sagging",
    "mattress_opinion": "too soft for you",
    "mattress_age_years": "more than ten years old",
}


def _medium_firm_detail(f: Facts) -> str:
    found = [MEDIUM_FIRM_REASONS[i] for i in _medium_firm_reasons(f).because]
    return (
        f"You wake with back pain and the mattress is {_join(found)}, so it may not be giving "
        "enough support. A medium-firm mattress (or, while a bed is still sound, a firm topper) "
        "is usually more comfortable and keeps the spine better supported than a soft one. A "
        "bed cannot take back pain away by itself, but a comfortable, supportive one can make "
        "nights and mornings easier."
    )


SOFTER_SURFACE_DETAIL = (
    "The mattress feels too firm but is otherwise in good shape. A softer topper can add "
    "comfort at the hips and shoulders for much less than a new mattress; medium-firm "
    "surfaces are usually the most comfortable for backs. Give any change two to three "
    "weeks before judging it."
)
MATTRESS_REVIEW_DETAIL = (
    "It is not clear whether the mattress plays a part in the morning pain. For a few "
    "nights, sleep on a different surface (a medium-firm guest bed, or a topper on your "
    "own mattress) and notice how the back feels on waking. If nothing changes, the bed "
    "is probably not the main cause, and comfort is the only reason to change it."
)

PILLOW_ADVICE = {
    "side": "a medium to high pillow that fills the gap between shoulder and ear, so the neck "
            "stays level with the rest of the spine",
    "back": "a low to medium pillow, so the head is not pushed forward",
    "stomach": "a thin pillow or none at all, so the neck is not bent back",
    "mixed": "a medium pillow that suits both back and side lying",
}


def _pillow_height_detail(f: Facts) -> str:
    position = "side" if f.holds(c.late_pregnancy) else f.answers.get("sleep_position")
    advice = PILLOW_ADVICE.get(str(position), PILLOW_ADVICE["mixed"])
    return (
        f"For the way you sleep, {advice}. A pillow that suits you keeps the neck and upper "
        "back comfortable and supported through the night."
    )


def _as_medical_detail(f: Facts) -> str:
    red_eye = (" A painful red eye needs medical care the same day: contact the doctor or an "
               "eye emergency service.")
    if has(f.answers, "diagnoses", "ankylosing_spondylitis"):
        return (
            "Inflammatory back conditions respond well to medical treatment, and it works best "
            "alongside exercise. Keep up regular reviews with the doctor or rheumatologist, and "
            "tell them about flare-ups or any new symptoms." + red_eye
        )
    return (
        "If a doctor confirms an inflammatory back condition, medical treatment works well "
        "and is best combined with exercise. Until then, the gentle stretching and low-impact "
        "exercise here are a good way to start." + red_eye
    )


def _arthritis_keep_moving_detail(f: Facts) -> str:
    if has(f.answers, "diagnoses", "spondylosis") and not has(f.answers, "diagnoses",
                                                              "spinal_arthritis"):
        what = ("Age-related changes in the spine are very common, including in people with "
                "no pain at all, and they are not a sign of damage.")
    else:
        what = "With arthritis in the spine, movement keeps the joints working."
    return (f"{what} Regular gentle movement such as walking, swimming or mobility exercises "
            "keeps the joints supple and the muscles around them strong. Stiff joints usually "
            "feel better once they are warmed up.")


def _arthritis_medical_detail(f: Facts) -> str:
    parts = ["Massage may ease the pain for a while, but it does not change the condition "
             "itself."]
    if has(f.answers, "diagnoses", "spinal_arthritis"):
        parts.append("If the arthritis is an inflammatory kind, medical treatment can slow the "
                     "disease: stay in touch with the doctor about it.")
    if has(f.answers, "diagnoses", "spondylosis"):
        parts.append("For age-related changes in the spine, staying active and exercise are "
                     "the main treatment; the doctor can help with pain relief if needed.")
    return " ".join(parts)


DISC_DETAIL = (
    "Pain that spreads below the knee, or a disc bulge, usually settles with time and the "
    "right exercise. A physiotherapist can guide exercises that ease the leg symptoms and "
    "build up gradually. If the leg or foot becomes newly weak or numb, or the weakness or "
    "numbness gets worse, see a doctor within a day or two. If numbness around the genitals "
    "or back passage appears, or bladder or bowel control changes, go to an emergency "
    "department now."
)


def _low_risk_detail(f: Facts) -> str:
    first = "Your answers suggest a low risk of the pain becoming a long-term problem."
    if f.holds(c.chronic):
        return (f"{first} Even though the pain has lasted a while, staying active with simple "
                "self-care that you can keep up is usually the most helpful approach, and "
                "many people find the pain eases and flare-ups become easier to manage.")
    return (f"{first} Back pain is rarely a sign of anything serious, most back pain settles "
            "within weeks, and staying active with simple self-care is usually all that is "
            "needed.")


HEAT_CAUTION = ("Use it for 15 to 20 minutes at a time, wrapped so it never touches bare skin, "
                "never on skin that feels numb, and never to fall asleep on.")
PREGNANCY_HEAT_CAUTION = (" In pregnancy, use heat on the back only, never on the bump, and "
                          "avoid hot baths and saunas.")


def _heat_detail(f: Facts) -> str:
    text = ("A warm pack or heat wrap can ease pain and muscle tension a little in the first "
            f"weeks, as a comfort measure alongside staying active. {HEAT_CAUTION}")
    return text + (PREGNANCY_HEAT_CAUTION if f.holds(c.pregnant) else "")


def _cold_or_heat_detail(f: Facts) -> str:
    text = ("A warm pack or heat wrap has moderate evidence of easing pain a little in the "
            "first weeks; there is too little research on ice to judge it, though icing a "
            "freshly strained muscle is common practice. Neither is harmful used briefly, so "
            f"use whichever feels better. {HEAT_CAUTION}")
    return text + (PREGNANCY_HEAT_CAUTION if f.holds(c.pregnant) else "")


def _stay_active_detail(f: Facts) -> str:
    if _urgent(f):
        return ("Until you have been seen, keep gently active within comfort (short walks, "
                "light everyday jobs), and avoid heavy lifting and strenuous exercise until you "
                "have been seen.")
    if f.holds(c.chronic):
        return (
            "With pain that has lasted a while, everyday movement still helps: it keeps joints "
            "and muscles working and eases pain over time. Pace yourself, a little and often, "
            "rather than pushing through on good days and stopping on bad ones."
        )
    return (
        "Most back pain settles within a few weeks. Keeping up your usual daily activities as "
        "far as the pain allows (walking, light jobs, work where you can) helps it settle "
        "faster than resting for long spells. Some discomfort when moving is normal and is "
        "not a sign of harm."
    )


def _gentle_only_detail(f: Facts) -> str:
    if f.holds(c.under_medical_care):
        return ("The doctor is happy for hands-on work to go ahead. Keep massage to light to "
                "moderate pressure, and ask the doctor before any deep pressure or "
                "manipulation.")
    return ("With the back condition a doctor has diagnosed, massage should stay light: no deep "
            "pressure, manipulation or forceful stretching until the doctor agrees that firmer "
            "work is safe.")


def _with_exercise_detail(f: Facts) -> str:
    helped = f.answers.get("massage_helped")
    if helped in ("yes", "somewhat"):
        how = "helped" if helped == "yes" else "helped a little"
        start = f"Massage has {how}, and it can keep relaxing tight muscles and easing pain."
    else:
        start = ("If you would like to try massage, it can relax tight muscles and ease pain "
                 "for a while.")
    return (f"{start} It works best as part of a package that includes the exercise advice in "
            "this plan, rather than on its own.")


# The care massage combines with (CLINICAL.md: chiropractic, physical therapy or medical
# care). Medicines alone are not such care: the client is then pointed to physiotherapy.
CARE_NAMES = {
    "chiropractic": "chiropractic",
    "physical_therapy": "physiotherapy",
    "medical": "your doctor's care",
}


def _combine_care_detail(f: Facts) -> str:
    care = f.answers.get("current_care")
    names = [CARE_NAMES[v] for v in care if v in CARE_NAMES] if isinstance(care, tuple) else []
    if names:
        return (
            f"Keep massage going alongside the care you already have ({_join(names)}): "
            "each works better together. Let each practitioner know what the others are doing."
        )
    return (
        "Massage works best combined with other care. Consider pairing it with "
        "exercise-based physiotherapy, which has the strongest evidence for back pain."
    )


# Added to every exercise recommendation while a diagnosed condition awaits the doctor's view
# (CLINICAL.md v2, "awaiting_doctor"): exercise is first-line care, but guided.
GUIDED_EXERCISE = (" Until the doctor's view is in, do this with a physiotherapist or with the "
                   "doctor's agreement; do not start a hard strengthening programme on your "
                   "own.")


# --------------------------------------------------------------------------- the rules


RULES: tuple[Rule, ...] = (
    # medical
    Rule("medical.emergency_referral", "Emergency care today", _emergency_detail,
         EV_RED_FLAGS, _triage_is("emergency")),
    Rule("medical.urgent_referral", "See a doctor within days", URGENT_DETAIL,
         EV_RED_FLAGS, _triage_is("urgent")),
    Rule("medical.axspa_referral", "Ask a doctor about inflammatory back pain",
         "Back pain that has lasted more than three months, began before 45 and comes with "
         "several of the signs you described can be caused by axial spondyloarthritis, an "
         "inflammatory condition of the spine. Ask the family doctor for a referral to a "
         "rheumatologist (a specialist in joint inflammation): it is not an emergency, but "
         "early diagnosis and treatment make a real difference.",
         EV_AXSPA, lambda f: f.holds(c.axspa_suspected)),
    Rule("medical.axspa_discuss", "Worth mentioning to a doctor",
         "A few features of the pain can go with an inflammatory condition of the spine "
         "(axial spondyloarthritis). This is not a diagnosis, but it is worth booking a "
         "routine appointment with the family doctor to talk it through; the doctor may "
         "arrange a blood test. Go sooner if more of these signs appear.",
         EV_AXSPA, lambda f: f.holds(c.axspa_possible)),
    Rule("medical.routine_review", "Ask a doctor to review the pain",
         "The pain has lasted more than three months and is still strong or limiting daily "
         "life. A routine review with a doctor can look again at the cause, at pain relief "
         "and at whether more support, such as a pain programme, would help. This is not "
         "urgent.",
         EV_REVIEW, lambda f: f.holds(c.severe_chronic)),
    Rule("medical.young_person", "A parent or carer, and a doctor, for a young person",
         _young_detail, EV_YOUNG, _young),
    Rule("medical.sciatica_review", "Have the nerve checked if the leg pain is not settling",
         "Pain that spreads below the knee often comes from an irritated nerve in the lower "
         "back (sciatica) and usually settles with time. If the leg pain is not settling, ask "
         "a doctor or physiotherapist to assess the nerve: they can check strength, feeling "
         "and reflexes and discuss treatment.",
         EV_SCIATICA, _sciatica),
    Rule("medical.pregnancy_care", "Tell the midwife or doctor",
         "Back and pelvic pain are common in pregnancy and in the months after birth. Tell "
         "the midwife or doctor about it at the next appointment. A pelvic health "
         "physiotherapist (a physiotherapist who specialises in pregnancy and the pelvis) can "
         "help with pregnancy-related back and pelvic girdle pain.",
         EV_PREGNANCY, _pregnancy_care),
    Rule("medical.co_manage", "Get the doctor's view first", _co_manage_detail,
         EV_CO_MANAGE, _co_manage),
    Rule("medical.coordinate_care", "Work alongside the doctor's care",
         "A doctor has seen this back problem and is happy for exercise and hands-on work to "
         "go ahead. Share this plan with them, follow their advice, and tell them if anything "
         "changes.",
         EV_CO_MANAGE,
         lambda f: all_of(f.holds(c.co_manage_condition), f.holds(c.under_medical_care))),
    Rule("medical.psychosocial_support", "Support for worries about the pain",
         PSYCHOSOCIAL_DETAIL, EV_STRATIFIED, _psychosocial_support),
    Rule("medical.safety_net", "When to get help sooner", _safety_net_detail,
         EV_SAFETY_NET, _safety_net),
    # sleep
    Rule("sleep.mattress.medium_firm", "A medium-firm, supportive mattress",
         _mattress_text(_medium_firm_detail), EV_MATTRESS, _mattress(_medium_firm)),
    Rule("sleep.mattress.softer_surface", "Try a softer topper before a new mattress",
         _mattress_text(lambda f: SOFTER_SURFACE_DETAIL), EV_MATTRESS,
         _mattress(_softer_surface)),
    Rule("sleep.mattress.review", "Test whether the bed matters",
         _mattress_text(lambda f: MATTRESS_REVIEW_DETAIL), EV_MATTRESS,
         _mattress(_mattress_review)),
    Rule("sleep.no_change", "The mattress is probably fine",
         "You wake without back pain and the mattress is comfortable and in good shape, so it "
         "is unlikely to be part of the problem and there is no need to buy a new one. The "
         "other parts of this plan matter more, though the pillow tips may still help.",
         EV_MATTRESS, _no_change),
    Rule("sleep.pillow.between_knees", "A pillow between the knees",
         "When you lie on your side, a pillow between the knees stops the top leg from "
         "pulling the lower back and pelvis into a twist. Many people find side lying more "
         "comfortable this way.",
         EV_PILLOW, _not_late_pregnancy(_no_knee_pillow_when(("side", "mixed")))),
    Rule("sleep.pillow.under_knees", "A pillow under the knees",
         "When you lie on your back, a pillow or a rolled blanket under the knees lets the "
         "lower back relax and rest comfortably on the mattress.",
         EV_PILLOW, _not_late_pregnancy(_no_knee_pillow_when(("back",)))),
    Rule("sleep.position.stomach", "Easier stomach sleeping",
         "Lying on the stomach arches the lower back and turns the neck. A thin pillow under "
         "the hips and a low head pillow ease both. You could also try lying on your side "
         "with a pillow between the knees and see which feels more comfortable.",
         EV_PILLOW, _not_late_pregnancy(_sleeps_on_stomach)),
    Rule("sleep.position.pregnancy", "Go to sleep on your side",
         "From 28 weeks of pregnancy, go to sleep on your side (either side is fine), with a "
         "pillow between the knees and one under the bump for support. If you wake up on your "
         "back, simply turn onto your side again.",
         EV_PREGNANCY_SLEEP, _late_pregnancy),
    Rule("sleep.pillow.height", "A head pillow that suits how you sleep",
         _pillow_height_detail, EV_PILLOW, _pillow_height),
    # personalized
    Rule("personalized.as.gentle_stretching", "Gentle stretching every day",
         "With ankylosing spondylitis, or signs of it, a short daily routine of gentle "
         "stretches and posture exercises helps keep the spine, chest and hips flexible. Move "
         "within comfort; a physiotherapist can show you a routine that suits you.",
         EV_AS, _ankylosing_spondylitis),
    Rule("personalized.as.low_impact_exercise", "Regular low-impact exercise",
         "Regular low-impact activity such as swimming, cycling or brisk walking eases "
         "stiffness and tiredness and keeps the back mobile. Build up slowly; feeling a "
         "little stiff at first is normal.",
         EV_AS, _ankylosing_spondylitis),
    Rule("personalized.as.medical_care", "Medical care for an inflammatory back condition",
         _as_medical_detail, EV_AS, _ankylosing_spondylitis),
    Rule("personalized.strain.relative_rest", "Ease off, but keep moving",
         "For a strained back, ease off the movement that set the pain off (the heavy "
         "lifting or the hard training) for a day or two, while staying up and about with "
         "your normal day. Staying active helps a strain settle faster than resting, so rest "
         "the strained movement, not the whole body.",
         EV_RELATIVE_REST, _strain),
    Rule("personalized.strain.cold_or_heat", "Cold or heat, whichever feels better",
         _cold_or_heat_detail, EV_COLD_OR_HEAT, _strain_cold_or_heat),
    Rule("personalized.strain.massage", "Massage for the strained muscles",
         "Massage can ease a strained back in the first weeks, and it works best together "
         "with staying active and the exercises in this plan.",
         EV_MASSAGE_ACUTE, _strain_massage),
    Rule("personalized.arthritis.keep_moving", "Keep the spine moving",
         _arthritis_keep_moving_detail, EV_EXERCISE, _arthritis),
    Rule("personalized.arthritis.medical_care", "Medical care alongside hands-on work",
         _arthritis_medical_detail, EV_ARTHRITIS_CARE, _arthritis),
    Rule("personalized.disc.guided_exercise", "Guided exercise for disc or leg pain",
         DISC_DETAIL, EV_EXERCISE, _disc),
    Rule("personalized.stenosis.flexion_bias", "Exercise with the spine slightly bent forward",
         "When standing and walking bring the pain on and sitting or bending forward ease it, "
         "the nerves usually have more room with the spine slightly bent forward. Exercise "
         "that way, such as a stationary bike or walking with a trolley or walking poles, "
         "often lets you do more with less pain. Favouring this position comes from "
         "practitioner experience; staying active comes from the guidelines.",
         EV_EXERCISE, _stenosis),
    Rule("personalized.morning_mobility", "A gentle routine after getting up",
         "Stiffness that lasts more than half an hour in the morning often eases with a few "
         "minutes of gentle movement: knee rolls and pelvic tilts in bed, then a warm shower "
         "and a short walk.",
         EV_EXERCISE, _morning_stiffness),
    Rule("personalized.pregnancy.pelvic_girdle", "Easing back and pelvic pain in and after "
         "pregnancy",
         "Back and pelvic girdle pain (pain at the back or front of the pelvis) are common in "
         "pregnancy and after birth, and usually ease with time. Pace your day, keep the "
         "knees together when turning in bed or getting in and out of a car, and take the "
         "stairs one step at a time if that is easier. Exercise guided by a pelvic health "
         "physiotherapist helps most.",
         EV_PREGNANCY, _pregnancy_care),
    Rule("personalized.low_risk.self_management", "A good outlook: self-care works well",
         _low_risk_detail, EV_STRATIFIED, _low_risk),
    Rule("personalized.medium_risk.physio_exercise", "Exercise with a physiotherapist",
         "Your answers suggest the pain is affecting daily life enough that guided, "
         "exercise-based physiotherapy is likely to help more than advice alone. A few "
         "sessions to set up and progress an exercise programme are a good investment.",
         EV_STRATIFIED, lambda f: _startback(f, "medium")),
    Rule("personalized.heat", "Heat for comfort", _heat_detail, EV_HEAT, _heat),
    # prevention
    Rule("prevention.stay_active", "Stay active", _stay_active_detail, EV_ACTIVE, _stay_active),
    Rule("prevention.core_strength", "Build strength and stamina",
         "Any regular exercise helps protect the back; the best kind is one you enjoy and "
         "keep up. Trunk exercises (bridges, bird-dogs, side planks from the knees) or a "
         "Pilates or yoga class are one option, not the one right answer. Start with two or "
         "three short sessions a week and build up slowly.",
         EV_STRENGTH, _low_activity_not_pregnant),
    Rule("prevention.keep_exercising", "Keep up your exercise",
         "You already exercise regularly, including strength or yoga and Pilates work. Keep "
         "it up: regular exercise is one of the best protections against back pain coming "
         "back. If something aggravates the back, scale it down rather than stopping.",
         EV_EXERCISE, _active),
    Rule("prevention.leg_strength_flexibility", "Strong, flexible legs and hips",
         "Strong legs and flexible hips make bending, lifting and sitting easier. Sit-to-stand "
         "from a chair, lunges, and stretches for the back of the thighs, the front of the "
         "hips and the buttocks, a few times a week, are a good start.",
         EV_STRENGTH, _legs),
    Rule("prevention.flexion_exercises", "Gentle forward-bending exercises",
         "Your pain pattern suggests that gentle forward-bending exercises may feel good: "
         "hugging the knees to the chest lying on your back, or a child's pose. This advice "
         "comes from practitioner experience rather than strong research; "
         "the guidelines recommend exercise of any kind. Stop any movement that sends pain "
         "down a leg.",
         EV_ARTICLE, _flexion),
    Rule("prevention.pregnancy_exercise", "Exercise that is safe in pregnancy",
         "Regular, pregnancy-safe exercise such as walking, swimming, or a pregnancy yoga or "
         "Pilates class helps with back pain and general health. Agree it with the midwife "
         "first. After the first three months, avoid long spells of exercise lying flat on "
         "your back.",
         EV_PREGNANCY_EXERCISE, _pregnant),
    Rule("prevention.avoid_hyperextension", "Go easy on bending backwards",
         "Frequent or forceful backward bending (back bends, lifting overhead, some dance "
         "and gymnastics moves) can irritate the joints at the back of the spine. Keep those "
         "movements smaller and well controlled while the back settles. This advice comes "
         "from practitioner experience rather than firm research, and it is "
         "about comfort, not about avoiding movement for good.",
         EV_ARTICLE, _hyperextension),
    Rule("prevention.safe_lifting", "Pace the load",
         "Training in lifting technique on its own does not prevent back pain, so think of "
         "load and pacing rather than one right way to lift. Carry loads close to the body "
         "if that feels easier, share or split heavy loads, vary tasks and take short "
         "breaks, and after a flare-up build lifting back up gradually.",
         EV_LIFTING, _lifting),
    Rule("prevention.break_up_sitting", "Break up long spells of sitting",
         "Get up and move for a minute or two every 30 to 45 minutes: stand for phone calls, "
         "walk to fetch water, set a reminder. A chair that supports the lower back, with "
         "your feet flat on the floor, can make the sitting itself more comfortable.",
         EV_SITTING, _sitting),
    # massage
    Rule("massage.hold_until_cleared", "No hands-on treatment until a doctor has seen you",
         "Because of the warning signs, hold off massage and other hands-on work until a "
         "doctor has checked the back. Once they are happy, this plan can be updated.",
         EV_RED_FLAGS, _triage_is("urgent")),
    Rule("massage.reconsider", "Time to try a different approach",
         "Massage has not helped so far, so it is worth changing approach rather than "
         "repeating the same thing: exercise-based physiotherapy, a different kind of "
         "hands-on care, or a review with a doctor are options to talk through.",
         EV_RECONSIDER, lambda f: f.holds(c.massage_helped_no)),
    Rule("massage.gentle_only", "Light massage only", _gentle_only_detail,
         EV_CO_MANAGE, _gentle_only),
    Rule("massage.with_exercise", "Massage as part of a package", _with_exercise_detail,
         EV_MANUAL, _with_exercise),
    Rule("massage.focused", "Focused work on the strained area",
         "For a strained muscle, massage focused on the strained area and the muscles around "
         "it, at a comfortable pressure, can ease spasm and pain.",
         EV_MASSAGE_STYLE, _focused),
    Rule("massage.whole_body", "Whole-body relaxation massage",
         "When pain comes with a lot of stress and worry, a calm whole-body relaxation "
         "massage may feel more relaxing than deep work on one spot; no study compares the "
         "two. Pair it with the support and exercise advice in this plan.",
         EV_MASSAGE_STYLE, _whole_body),
    Rule("massage.prenatal", "Massage adapted to pregnancy",
         "Choose a massage therapist trained in pregnancy massage. Lie on your side or in a "
         "supported, semi-reclined position rather than flat on your front or back, and no "
         "deep pressure on the legs.",
         EV_PREGNANCY_MASSAGE, _prenatal),
    Rule("massage.combine_care", "Combine massage with other care", _combine_care_detail,
         EV_MASSAGE_STYLE, _combine_care),
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
    if f.triage == "urgent":
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
    if rule.id in EXERCISE_IDS and awaiting and facts.triage not in ("emergency", "urgent"):
        return text + GUIDED_EXERCISE, _worded_by(finding, awaiting)
    return text, finding


def candidates(facts: Facts) -> tuple[Recommendation, ...]:
    """Every rule that fires, in plan order, before triage bounds."""
    out: list[Recommendation] = []
    for rule in RULES:
        finding = rule.test(facts)
        # A recommendation nobody could explain is not given: only possible when answers
        # it depends on are missing (a draft), never for a complete interview.
        if finding.holds and finding.because:
            text, finding = _worded(rule, facts, finding)
            out.append(Recommendation(rule.id, rule.strategy, rule.title, text,
                                      finding.because, rule.evidence))
    return tuple(out)


def recommend(answers: Mapping[str, AnswerValue], scores: Mapping[str, ScoreValue],
              flags: tuple[RedFlag, ...], triage: str) -> tuple[Recommendation, ...]:
    facts = Facts(answers, scores, flags, triage)
    return apply_bounds(candidates(facts), facts)
