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
EV_CO_MANAGE = ("IFOMPT framework, Finucane et al., JOSPT 2020. Working with the client's "
                "doctor is also the source article's advice (practitioner experience).")
EV_AXSPA = "Axial spondyloarthritis referral criteria: NICE NG65."
EV_STRATIFIED = ("Risk stratification with STarT Back and matched treatment: Hill et al., "
                 "Lancet 2011; NICE NG59 (2016, updated 2020).")
EV_REVIEW = ("NICE NG59 (2016, updated 2020); a combined physical and psychological "
             "programme for pain that is not settling.")
EV_MATTRESS = ("Medium-firm better than firm for chronic low back pain: Kovacs et al., Lancet "
               "2003 (n=313, 90 days). Medium-firm, self-adjusted surfaces best for comfort "
               "and spinal alignment: Radwan et al., Sleep Health 2015; Caggiari et al., "
               "J Orthop Traumatol 2021.")
EV_PILLOW = ("Comfort and spinal alignment in bed: Radwan et al., Sleep Health 2015; Caggiari "
             "et al., J Orthop Traumatol 2021. Pillow placement: practitioner experience.")
EV_AS = ("NICE NG65 (spondyloarthritis). Gentle stretching, low-impact exercise and medical "
         "care for ankylosing spondylitis is also the source article's advice.")
EV_ACTIVE = "Advice to stay active beats bed rest: Cochrane review, Dahm et al. 2010; NICE NG59."
EV_RELATIVE_REST = ("Advice to stay active: Cochrane review, Dahm et al. 2010. The source "
                    "article's advice to rest a strained back: practitioner experience.")
EV_HEAT = ("Superficial heat for acute and subacute pain: ACP guideline, Qaseem et al., "
           "Ann Intern Med 2017.")
EV_COLD_OR_HEAT = (EV_HEAT + " Icing a strained muscle (the source article): practitioner "
                   "experience.")
EV_MASSAGE_ACUTE = ("Massage for acute and subacute pain: ACP guideline, Qaseem et al., Ann "
                    "Intern Med 2017; only within a package that includes exercise: NICE NG59.")
EV_EXERCISE = ("Exercise first: NICE NG59; exercise for chronic pain: ACP guideline, Qaseem et "
               "al., Ann Intern Med 2017.")
EV_ARTHRITIS_CARE = ("Exercise for chronic pain: ACP guideline, Qaseem et al., Ann Intern Med "
                     "2017. Massage easing arthritis pain for a while while medical care "
                     "addresses the condition: the source article (practitioner experience).")
EV_STRENGTH = (EV_EXERCISE + " Core and leg strength and flexibility: the source article "
               "(practitioner experience).")
EV_ARTICLE = ("The source article's own advice: practitioner experience. Guidelines recommend "
              "exercise in general (NICE NG59).")
EV_MANUAL = ("Manual therapy, massage included, only within a package that includes exercise: "
             "NICE NG59.")
EV_MASSAGE_STYLE = (EV_MANUAL + " Whole-body or focused work: the source article (practitioner "
                    "experience).")
EV_RECONSIDER = (EV_MANUAL + " Changing approach when massage does not help: the source "
                 "article (practitioner experience).")


# --------------------------------------------------------------------------- rule tests


def _flag_ids(f: Facts) -> tuple[str, ...]:
    return tuple(flag.id for flag in f.flags)


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


def _startback(f: Facts, risk: str) -> Finding:
    return is_(f.scores, "startback_risk", risk)


def _psychosocial_support(f: Facts) -> Finding:
    return _worded_by(_startback(f, "high"), f.holds(c.chronic))


def _co_manage(f: Facts) -> Finding:
    # Under urgent triage the wording changes with the warning signs, so they are named too.
    flags = _triage_is("urgent")(f)
    return _worded_by(f.holds(c.co_manage_unconfirmed), flags)


def _medium_firm(f: Facts) -> Finding:
    a = f.answers
    return all_of(
        f.holds(c.waking_pain),
        any_of(
            one_of(a, "mattress_firmness", ("soft", "medium_soft")),
            yes(a, "mattress_sagging"),
            is_(a, "mattress_opinion", "too_soft"),
            compare(a, "mattress_age_years", ">", 10),
        ),
    )


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


def _no_knee_pillow_when(positions: tuple[str, ...]) -> Test:
    def test(f: Facts) -> Finding:
        a = f.answers
        return all_of(one_of(a, "sleep_position", positions), negate(yes(a, "knee_pillow")))
    return test


def _sleeps_on_stomach(f: Facts) -> Finding:
    return is_(f.answers, "sleep_position", "stomach")


# Head pillow heights that do not suit a sleeping position.
UNSUITED_PILLOW = {
    "side": ("none", "low"),
    "back": ("none", "high"),
    "stomach": ("medium", "high"),
    "mixed": ("none", "high"),
}


def _pillow_height(f: Facts) -> Finding:
    a = f.answers
    return any_of(*(
        all_of(is_(a, "sleep_position", position), one_of(a, "pillow_height", heights))
        for position, heights in UNSUITED_PILLOW.items()
    ))


def _ankylosing_spondylitis(f: Facts) -> Finding:
    return any_of(has(f.answers, "diagnoses", "ankylosing_spondylitis"),
                  f.holds(c.axspa_suspected))


def _strain(f: Facts) -> Finding:
    return f.holds(c.strain)


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


def _heat(f: Facts) -> Finding:
    return all_of(negate(f.holds(c.chronic)), negate(f.holds(c.strain)))


def _always_worded_by_duration(f: Facts) -> Finding:
    """Fires for everyone; the wording depends on how long the pain has lasted."""
    seen = ("pain_duration",) if "pain_duration" in f.answers else ()
    return Finding(True, seen, seen)


def _low_activity(f: Facts) -> Finding:
    return f.holds(c.low_activity)


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
    )


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


def _with_exercise(f: Facts) -> Finding:
    return f.holds(c.massage_helped_not_no)


def _focused(f: Facts) -> Finding:
    return all_of(_with_exercise(f), f.holds(c.strain), is_not(f.scores, "startback_risk", "high"),
                  negate(f.holds(c.co_manage_condition)))


def _whole_body(f: Facts) -> Finding:
    return all_of(_with_exercise(f), _startback(f, "high"),
                  negate(f.holds(c.co_manage_condition)))


def _combine_care(f: Facts) -> Finding:
    seen = ("current_care",) if "current_care" in f.answers else ()
    return _worded_by(_with_exercise(f), Finding(True, seen, seen))


# --------------------------------------------------------------------------- wording


def _join(words: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


# Flags that point at pressure on the nerves at the base of the spine (cauda equina).
NERVE_FLAGS = ("rf_saddle_numbness", "rf_bladder_bowel", "rf_both_legs", "rf_leg_weakness")


def _emergency_detail(f: Facts) -> str:
    ids = _flag_ids(f)
    reasons = []
    if any(i in NERVE_FLAGS for i in ids):
        reasons.append("the nerves at the base of the spine may be under pressure")
    if "rf_fever" in ids and "rf_immunosuppressed" in ids:
        reasons.append("there may be an infection, which is more serious when the immune "
                       "system is weakened")
    why = " and that ".join(reasons) if reasons else "a doctor needs to see you today"
    return (
        f"Some of the answers are warning signs that {why}. This needs checking in hospital "
        "today: "
        "please go to an emergency department now, or call emergency services, and do not "
        "wait to see whether it settles. The hospital team may arrange an urgent scan. Do "
        "not start or continue hands-on treatment or exercise today."
    )


URGENT_DETAIL = (
    "Some of the answers are warning signs that a doctor should check before anything else. "
    "Please book an appointment to be seen within the next few days, and at the latest "
    "within two weeks. Go to emergency care the same day if numbness around the genitals or "
    "buttocks, new weakness in the legs, or trouble with the bladder or bowel appear. Until "
    "the doctor has seen you, keep gently active and hold off hands-on treatment and "
    "exercise programmes."
)


def _co_manage_detail(f: Facts) -> str:
    first = ("Because of the back condition a doctor has diagnosed, please check with them "
             "before starting strengthening exercise or firm hands-on work.")
    if f.triage == "urgent":
        # massage.hold_until_cleared rules out all hands-on work until the doctor has seen
        # the client; this must not contradict it.
        return (f"{first} The warning signs above come first: no hands-on work at all until "
                "the doctor has seen you.")
    return (f"{first} Until the doctor's view is in, light massage and gentle everyday "
            "movement are fine (see the massage section).")


def _psychosocial_detail(f: Facts) -> str:
    if f.holds(c.chronic):
        return (
            "Worry, low mood and fear of moving can keep pain going, and they are common when "
            "pain has lasted a long time. We suggest a referral to a physiotherapist or a pain "
            "team that offers a combined physical and psychological approach: exercise "
            "together with support for the thoughts and feelings that come with pain. Hurt "
            "does not always mean harm, and moving more, step by step, usually helps."
        )
    return (
        "Your answers suggest the pain is weighing on you, which is understandable. Back pain "
        "is very common, "
        "it usually settles, and pain does not mean damage. Care that works on body and mind "
        "together helps most: reassurance, gentle steps back into the activities you have "
        "been avoiding, and exercise with someone who can guide you."
    )


def _medium_firm_detail(f: Facts) -> str:
    a = f.answers
    found = []
    if a.get("mattress_firmness") in ("soft", "medium_soft"):
        found.append("soft")
    if a.get("mattress_sagging") is True:
        found.append("sagging")
    if a.get("mattress_opinion") == "too_soft":
        found.append("too soft for you")
    age = a.get("mattress_age_years")
    if isinstance(age, int) and age > 10:
        found.append("more than ten years old")
    return (
        f"You wake with back pain and the mattress is {_join(found)}, so it may not be giving "
        "enough support. A medium-firm mattress (or, while a bed is still sound, a firm topper) is "
        "usually more comfortable and keeps the spine better supported than a soft one. A bed "
        "cannot take back pain away by itself, but a comfortable, supportive one can make "
        "nights and mornings easier."
    )


PILLOW_ADVICE = {
    "side": "a medium to high pillow that fills the gap between shoulder and ear, so the neck "
            "stays level with the rest of the spine",
    "back": "a low to medium pillow, so the head is not pushed forward",
    "stomach": "a thin pillow or none at all, so the neck is not bent back",
    "mixed": "a medium pillow that suits both back and side lying",
}


def _pillow_height_detail(f: Facts) -> str:
    position = f.answers.get("sleep_position")
    advice = PILLOW_ADVICE.get(str(position), PILLOW_ADVICE["mixed"])
    return (
        f"For the way you sleep, {advice}. A pillow that suits you keeps the neck and upper "
        "back comfortable and supported through the night."
    )


def _as_medical_detail(f: Facts) -> str:
    if has(f.answers, "diagnoses", "ankylosing_spondylitis"):
        return (
            "Inflammatory back conditions respond well to medical treatment, and it works best "
            "alongside exercise. Keep up regular reviews with the doctor or rheumatologist, and "
            "tell them about flare-ups, a painful red eye, or any new symptoms."
        )
    return (
        "If a doctor confirms an inflammatory back condition, medical treatment works well "
        "and is best combined with exercise. Until then, the gentle stretching and low-impact "
        "exercise here are a good way to start."
    )


def _stay_active_detail(f: Facts) -> str:
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
         "(axial spondyloarthritis). This is not a diagnosis, but it is worth raising with "
         "a doctor at the next visit, sooner if more of these signs appear.",
         EV_AXSPA, lambda f: f.holds(c.axspa_possible)),
    Rule("medical.routine_review", "Ask a doctor to review the pain",
         "The pain has lasted more than three months and is still strong or limiting daily "
         "life. A routine review with a doctor can look again at the cause, at pain relief "
         "and at whether more support, such as a pain programme, would help. This is not "
         "urgent.",
         EV_REVIEW, lambda f: f.holds(c.severe_chronic)),
    Rule("medical.co_manage", "Get the doctor's view first", _co_manage_detail,
         EV_CO_MANAGE, _co_manage),
    Rule("medical.coordinate_care", "Work alongside the doctor's care",
         "A doctor is already treating the back condition. Share this plan with them, follow "
         "their advice on exercise and hands-on work, and tell them if anything changes.",
         EV_CO_MANAGE,
         lambda f: all_of(f.holds(c.co_manage_condition), f.holds(c.under_medical_care))),
    Rule("medical.psychosocial_support", "Support for worries about the pain",
         _psychosocial_detail, EV_STRATIFIED, _psychosocial_support),
    # sleep
    Rule("sleep.mattress.medium_firm", "A medium-firm, supportive mattress",
         _medium_firm_detail, EV_MATTRESS, _medium_firm),
    Rule("sleep.mattress.softer_surface", "Try a softer topper before a new mattress",
         "The mattress feels too firm but is otherwise in good shape. A softer topper can add "
         "comfort at the hips and shoulders for much less than a new mattress; medium-firm "
         "surfaces are usually the most comfortable for backs. Give any change two to three "
         "weeks before judging it.",
         EV_MATTRESS, _softer_surface),
    Rule("sleep.mattress.review", "Test whether the bed matters",
         "It is not clear whether the mattress plays a part in the morning pain. For a few "
         "nights, sleep on a different surface (a medium-firm guest bed, or a topper on your "
         "own mattress) and notice how the back feels on waking. If nothing changes, the bed "
         "is probably not the main cause, and comfort is the only reason to change it.",
         EV_MATTRESS, _mattress_review),
    Rule("sleep.no_change", "The mattress is probably fine",
         "You wake without back pain and the mattress is comfortable and in good shape, so it "
         "is unlikely to be part of the problem and there is no need to buy a new one. The "
         "other parts of this plan matter more, though the pillow tips may still help.",
         EV_MATTRESS, _no_change),
    Rule("sleep.pillow.between_knees", "A pillow between the knees",
         "When you lie on your side, a pillow between the knees stops the top leg from "
         "pulling the lower back and pelvis into a twist. Many people find side lying more "
         "comfortable this way.",
         EV_PILLOW, _no_knee_pillow_when(("side", "mixed"))),
    Rule("sleep.pillow.under_knees", "A pillow under the knees",
         "When you lie on your back, a pillow or a rolled blanket under the knees lets the "
         "lower back relax and rest comfortably on the mattress.",
         EV_PILLOW, _no_knee_pillow_when(("back",))),
    Rule("sleep.position.stomach", "Easier stomach sleeping",
         "Lying on the stomach arches the lower back and turns the neck. A thin pillow under "
         "the hips and a low head pillow ease both. You could also try lying on your side "
         "with a pillow between the knees and see which feels more comfortable.",
         EV_PILLOW, _sleeps_on_stomach),
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
         "your normal day. Many practitioners advise rest; current guidelines find that "
         "staying active helps a strain settle faster, so rest the strained movement, not "
         "the whole body.",
         EV_RELATIVE_REST, _strain),
    Rule("personalized.strain.cold_or_heat", "Cold or heat, whichever feels better",
         "Ice for a freshly strained muscle is common advice that comes from practitioner "
         "experience rather than research. Studies find that a warm pack or heat wrap helps a "
         "little more with pain and stiffness in the first weeks. Use whichever feels better "
         "for 15 to 20 minutes at a time, wrapped in a cloth so it never touches bare skin.",
         EV_COLD_OR_HEAT, _strain),
    Rule("personalized.strain.massage", "Massage for the strained muscles",
         "Massage can ease a strained back in the first weeks, and it works best together "
         "with staying active and the exercises in this plan.",
         EV_MASSAGE_ACUTE, _strain_massage),
    Rule("personalized.arthritis.keep_moving", "Keep the spine moving",
         "With arthritis or wear and tear in the spine, regular gentle movement such as "
         "walking, swimming or mobility exercises keeps the joints supple and the muscles "
         "around them strong. Stiff joints usually feel better once they are warmed up.",
         EV_EXERCISE, _arthritis),
    Rule("personalized.arthritis.medical_care", "Medical care alongside hands-on work",
         "Massage can ease arthritis pain for a while, but it does not change the condition "
         "itself. Stay in touch with the doctor: medical care can manage the arthritis and, "
         "for some kinds, slow it down. Massage and exercise then work alongside it.",
         EV_ARTHRITIS_CARE, _arthritis),
    Rule("personalized.disc.guided_exercise", "Guided exercise for disc or leg pain",
         "Pain that spreads below the knee, or a disc problem, usually settles with time and "
         "the right exercise. A physiotherapist can guide exercises that ease the leg "
         "symptoms and build up gradually. See a doctor straight away if the leg becomes "
         "weak or numb, or if bladder or bowel control changes.",
         EV_EXERCISE, _disc),
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
    Rule("personalized.low_risk.self_management", "A good outlook: self-care works well",
         "Your answers suggest a low risk of the pain becoming a long-term problem. Back pain "
         "is rarely a sign of anything serious, and staying active with simple self-care is "
         "usually all that is needed; most back pain improves a lot within a few weeks.",
         EV_STRATIFIED, lambda f: _startback(f, "low")),
    Rule("personalized.medium_risk.physio_exercise", "Exercise with a physiotherapist",
         "Your answers suggest the pain is affecting daily life enough that guided, "
         "exercise-based physiotherapy is likely to help more than advice alone. A few "
         "sessions to set up and progress an exercise programme are a good investment.",
         EV_STRATIFIED, lambda f: _startback(f, "medium")),
    Rule("personalized.heat", "Heat for comfort",
         "A warm pack, heat wrap or warm bath can ease pain and muscle tension. Use it for "
         "15 to 20 minutes at a time, never directly on the skin or while falling asleep, "
         "as a comfort measure alongside staying active.",
         EV_HEAT, _heat),
    # prevention
    Rule("prevention.stay_active", "Stay active", _stay_active_detail, EV_ACTIVE,
         _always_worded_by_duration),
    Rule("prevention.core_strength", "Build core strength",
         "Strong trunk muscles with good stamina support the back in everyday tasks. Start "
         "with two or three short sessions a week of simple exercises (bridges, bird-dogs, "
         "side planks from the knees) or a Pilates or yoga class, and build up slowly.",
         EV_STRENGTH, _low_activity),
    Rule("prevention.keep_exercising", "Keep up your exercise",
         "You already exercise regularly, including strength or yoga and Pilates work. Keep "
         "it up: it is one of the best protections against back pain coming back. If "
         "something aggravates the back, scale it down rather than stopping.",
         EV_EXERCISE, _active),
    Rule("prevention.leg_strength_flexibility", "Strong, flexible legs and hips",
         "Strong legs and flexible hips take load off the back when you bend, lift and sit. "
         "Sit-to-stand from a chair, lunges, and stretches for the back of the thighs, the "
         "front of the hips and the buttocks, a few times a week, are a good start.",
         EV_STRENGTH, _legs),
    Rule("prevention.flexion_exercises", "Gentle forward-bending exercises",
         "Your pain pattern suggests that gentle forward-bending exercises may feel good: "
         "hugging the knees to the chest lying on your back, or a child's pose. This advice "
         "comes from practitioner experience rather than strong research; "
         "the guidelines recommend exercise of any kind. Stop any movement that sends pain "
         "down a leg.",
         EV_ARTICLE, _flexion),
    Rule("prevention.avoid_hyperextension", "Go easy on bending backwards",
         "Frequent or forceful backward bending (back bends, lifting overhead, some dance "
         "and gymnastics moves) can irritate the joints at the back of the spine. Keep those "
         "movements smaller and well controlled while the back settles. This advice comes "
         "from practitioner experience rather than firm research, and it is "
         "about comfort, not about avoiding movement for good.",
         EV_ARTICLE, _hyperextension),
    Rule("prevention.safe_lifting", "Lift well and pace the load",
         "Keep loads close to your body, get close before you lift, turn with your feet "
         "rather than twisting, and share or split heavy loads. Varying tasks and taking "
         "short breaks matter as much as technique, and after a flare-up build lifting back "
         "up gradually. This is practitioner experience; the guidelines stress a gradual "
         "return to normal activity.",
         EV_ACTIVE, _lifting),
    Rule("prevention.break_up_sitting", "Break up long spells of sitting",
         "Get up and move for a minute or two every 30 to 45 minutes: stand for phone calls, "
         "walk to fetch water, set a reminder. A chair that supports the lower back, with "
         "your feet flat on the floor, makes the sitting itself more comfortable.",
         EV_ACTIVE, _sitting),
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
    Rule("massage.gentle_only", "Light massage only",
         "With the back condition a doctor has diagnosed, massage should stay light: no deep "
         "pressure, manipulation or forceful stretching until the doctor agrees that firmer "
         "work is safe.",
         EV_CO_MANAGE, lambda f: f.holds(c.co_manage_condition)),
    Rule("massage.with_exercise", "Massage as part of a package", _with_exercise_detail,
         EV_MANUAL, _with_exercise),
    Rule("massage.focused", "Focused work on the strained area",
         "For a strained muscle, massage focused on the strained area and the muscles around "
         "it, at a comfortable pressure, can ease spasm and pain.",
         EV_MASSAGE_STYLE, _focused),
    Rule("massage.whole_body", "Whole-body relaxation massage",
         "When pain comes with a lot of stress and worry, a calm whole-body relaxation "
         "massage can help more than deep work on one spot. Pair it with the support and "
         "exercise advice in this plan.",
         EV_MASSAGE_STYLE, _whole_body),
    Rule("massage.combine_care", "Combine massage with other care", _combine_care_detail,
         EV_MASSAGE_STYLE, _combine_care),
)

RULE_IDS = tuple(r.id for r in RULES)


# --------------------------------------------------------------------------- triage bounds

EXERCISE_IDS = frozenset({
    "prevention.core_strength", "prevention.keep_exercising",
    "prevention.leg_strength_flexibility", "prevention.flexion_exercises",
    "personalized.as.gentle_stretching", "personalized.as.low_impact_exercise",
    "personalized.arthritis.keep_moving", "personalized.disc.guided_exercise",
    "personalized.stenosis.flexion_bias", "personalized.morning_mobility",
    "personalized.medium_risk.physio_exercise",
})
# Hands-on advice that only makes sense inside a package with exercise (guardrail 4).
NEEDS_EXERCISE = frozenset({
    "massage.with_exercise", "massage.focused", "massage.whole_body", "massage.combine_care",
    "personalized.strain.massage",
})
URGENT_ALLOWED = frozenset({"prevention.stay_active", "massage.hold_until_cleared"})
AWAITING_DOCTOR_ALLOWED = frozenset({
    "prevention.stay_active", "massage.gentle_only", "massage.reconsider",
})


def _allowed(rec_id: str, triage: str, awaiting_doctor: bool) -> bool:
    strategy = rec_id.split(".", 1)[0]
    if triage == "emergency":
        return rec_id == "medical.emergency_referral"
    if triage == "urgent":
        return strategy in ("medical", "sleep") or rec_id in URGENT_ALLOWED
    if awaiting_doctor:
        if strategy in ("prevention", "massage"):
            return rec_id in AWAITING_DOCTOR_ALLOWED
        return rec_id != "personalized.strain.massage"
    return True


def apply_bounds(recs: tuple[Recommendation, ...], facts: Facts) -> tuple[Recommendation, ...]:
    """What triage allows (CLINICAL.md, "Triage also bounds the plan"), in one place."""
    awaiting_doctor = facts.holds(c.co_manage_unconfirmed).holds
    kept = tuple(r for r in recs if _allowed(r.id, facts.triage, awaiting_doctor))
    # Massage is only ever advised inside a package with exercise (guardrail 4). With
    # complete answers one of core_strength / keep_exercising always fires where massage
    # may, so this only bites on incomplete answers; it keeps the guarantee unconditional.
    if not any(r.id in EXERCISE_IDS for r in kept):
        kept = tuple(r for r in kept if r.id not in NEEDS_EXERCISE)
    return kept


def candidates(facts: Facts) -> tuple[Recommendation, ...]:
    """Every rule that fires, in plan order, before triage bounds."""
    out: list[Recommendation] = []
    for rule in RULES:
        finding = rule.test(facts)
        # A recommendation nobody could explain is not given: only possible when answers
        # it depends on are missing (a draft), never for a complete interview.
        if finding.holds and finding.because:
            out.append(Recommendation(rule.id, rule.strategy, rule.title, rule.text(facts),
                                      finding.because, rule.evidence))
    return tuple(out)


def recommend(answers: Mapping[str, AnswerValue], scores: Mapping[str, ScoreValue],
              flags: tuple[RedFlag, ...], triage: str) -> tuple[Recommendation, ...]:
    facts = Facts(answers, scores, flags, triage)
    return apply_bounds(candidates(facts), facts)
