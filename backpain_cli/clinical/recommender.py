"""The recommender (the clinical reference v3, "Recommendations"): one short row per recommendation.

`RULES` lists every rule in plan order (strategies medical, sleep, personalized,
prevention, massage; inside each, the clinical reference's list order), so the plan's order is the
table's order. A row is the recommendation id, its test and, when its wording depends on
the answers, the function that picks its sentences. A test returns a `Finding` whose
`because` becomes the recommendation's `because` (the clinical reference's `because` rule lives in
conditions.all_of/any_of/negate; the few fixed lists are written out here). What a
recommendation says (title, sentences, evidence) is data in `advice.toml`, keyed by the same
id, so a clinician can review the words apart from the logic. Rules know nothing of triage
bounds: `apply_bounds` is the one place that removes what triage (or a diagnosis awaiting the
doctor's view) does not allow.
"""

from __future__ import annotations

import functools
from collections import ChainMap
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from ..files import packaged, parse_toml
from ..frozen import frozen
from . import conditions as c
from . import safety_net
from .conditions import (
    RISK_FACTORS,
    Finding,
    all_of,
    any_of,
    compare,
    has,
    has_any,
    is_,
    negate,
    one_of,
    yes,
)
from .exercises import eligible, library
from .model import Recommendation, RedFlag, ScoreValue
from .questionnaire import AnswerValue
from .reassess import reassess_weeks

# a doctor first: the plan waits (the clinical reference "Bounds")
HELD_BACK = ("urgent", "same_day")


@frozen
class Facts:
    """Everything a rule may read about one client."""

    answers: Mapping[str, AnswerValue]
    scores: Mapping[str, ScoreValue]
    flags: tuple[RedFlag, ...]
    triage: str

    def holds(self, condition: c.Condition) -> Finding:
        return condition(self.answers, self.scores)

    def is_(self, condition: c.Condition) -> bool:
        return condition(self.answers, self.scores).holds

    @property
    def flag_ids(self) -> tuple[str, ...]:
        return tuple(flag.id for flag in self.flags)

    def counted(self, *flag_ids: str) -> bool:
        """Any of these flags counted."""
        return any(flag.id in flag_ids for flag in self.flags)

    @property
    def held_back(self) -> bool:
        return self.triage in HELD_BACK

    def eligible(self, exercise_id: str) -> bool:
        """The library exercise is eligible for the client (Wording 7: only then may a
        text name it)."""
        return eligible(library()[exercise_id],
                        lambda name: self.is_(c.NAMED_CONDITIONS[name]))


Test = Callable[[Facts], Finding]
# A rule's named sentences from advice.toml, with the shared ones behind them.
Texts = Mapping[str, str]
Words = Callable[[Facts, Texts], str]


def _text(f: Facts, t: Texts) -> str:
    """The wording of a rule that always says the same: its one `text`."""
    return t["text"]


@frozen
class Advice:
    """What one recommendation says, from advice.toml."""

    title: str
    evidence: str
    texts: Texts


@functools.cache
def _raw() -> dict[str, Any]:
    here = packaged(Path(__file__).parent, __package__)
    raw: dict[str, Any] = parse_toml(here.joinpath("advice.toml").read_text("utf-8"))
    return raw


@functools.cache
def advice() -> dict[str, Advice]:
    """advice.toml, read once: each rule's title, evidence note and named sentences."""
    raw = _raw()
    evidence: dict[str, str] = raw["evidence"]
    shared: dict[str, str] = raw["shared"]
    out = {}
    for rule_id, entry in raw["rules"].items():
        texts = {k: v for k, v in entry.items() if k not in ("title", "evidence")}
        out[rule_id] = Advice(entry["title"], evidence[entry["evidence"]],
                              ChainMap(texts, shared))
    return out


@frozen
class Without:
    """A text of `rule` that names `exercise`, said `instead` when the practitioner dropped
    the exercise from the client's handout (advice.toml, [[without]])."""

    rule: str
    exercise: str
    says: str
    instead: str


@functools.cache
def withouts() -> tuple[Without, ...]:
    """advice.toml's [[without]] rows, in their order."""
    return tuple(Without(row["rule"], row["exercise"], row["says"].strip(),
                         row["instead"].strip()) for row in _raw().get("without", ()))


def without_dropped(rec_id: str, text: str, dropped: Collection[str]) -> str:
    """`text` of the recommendation `rec_id` with no exercise of `dropped` named: each
    [[without]] row of a dropped exercise, in order, says its `instead` for its `says`."""
    for row in withouts():
        if row.rule == rec_id and row.exercise in dropped:
            text = text.replace(row.says, row.instead)
    return text


def flag_words() -> Mapping[str, str]:
    """The plain words of each red flag ("Placeholders", exact)."""
    words: dict[str, str] = _raw()["flag_words"]
    return words


@frozen
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


# --------------------------------------------------------------------------- small helpers


def _ids(*groups: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for group in groups:
        out.extend(i for i in group if i not in out)
    return tuple(out)


def _fixed(*groups: Iterable[str]) -> Finding:
    """A rule that always fires, with a fixed `because` list (never empty when given)."""
    ids = _ids(*groups)
    return Finding(bool(ids), ids, ids)


def _seen(f: Facts, *ids: str) -> tuple[str, ...]:
    """The answered ones of `ids` (an absent answer is never named)."""
    return tuple(i for i in ids if i in f.answers)


def _triage_in(*levels: str) -> Test:
    """A test on triage: names every flag in `red_flags`, in that order."""
    def test(f: Facts) -> Finding:
        holds = f.triage in levels
        return Finding(holds, f.flag_ids if holds else (), f.flag_ids)
    test.__name__ = f"triage_in_{'_'.join(levels)}"
    return test


def _bone_caution_names(f: Facts) -> tuple[str, ...]:
    found = f.holds(c.bone_caution)
    return found.because if found.holds else ()


def _join(words: list[str], conj: str = "and") -> str:
    """"a", "a and b", "a, b and c"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {conj} " + words[-1]


def _weeks(n: int) -> str:
    return "1 week" if n == 1 else f"{n} weeks"


def _ago(n: int) -> str:
    return "under a week ago" if n == 0 else "1 week ago" if n == 1 else f"{n} weeks ago"


def _int(f: Facts, key: str) -> int | None:
    value = f.answers.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _say(t: Texts, *keys: str, **values: str) -> str:
    return " ".join(t[k] for k in keys).format(**values)


# --------------------------------------------------------------------------- flag words

NERVE_FLAGS = ("rf_saddle_numbness", "rf_bladder_bowel", "rf_sexual_dysfunction",
               "rf_both_legs", "rf_leg_weakness")
T4_FEATURES = ("rf_night_pain", "rf_weight_loss", "rf_unwell", "rf_constant_pain",
               "rf_thoracic_pain")


def why(flags: Iterable[str]) -> str:
    """`{why}`: the plain words of the counted flags in `red_flags` order, the risk factors
    last after "together with" when other flags are counted too."""
    words = flag_words()
    ids = list(flags)
    others = [words[i] for i in ids if i not in RISK_FACTORS]
    risks = [words[i] for i in ids if i in RISK_FACTORS]
    if others and risks:
        return f"{_join(others)}, together with {_join(risks)}"
    return _join(others or risks) if ids else ""


def _t1(f: Facts) -> bool:
    return f.counted("rf_fever") and f.counted(*safety_net.INFECTION_RISKS)


def _t3(f: Facts) -> bool:
    return f.counted("rf_cancer_history") and f.counted(*NERVE_FLAGS)


# --------------------------------------------------------------------------- medical


AMBULANCE = "ambulance"
EMERGENCY_DEPARTMENT = "emergency_department"
EARLY_PREGNANCY_UNIT = "early_pregnancy_unit"
MATERNITY_UNIT = "maternity_unit"


def _places(f: Facts) -> tuple[str, ...]:
    """Where the emergency referral sends the client, in its sentences' order."""
    early, later = f.is_(c.early_pregnancy), f.is_(c.after_first_trimester)
    warning, fever = f.counted("rf_pregnancy_warning"), f.counted("rf_fever")
    epu = warning and early
    maternity = later and (warning or fever)
    out = []
    if f.counted("rf_chest_symptoms"):
        out.append(AMBULANCE)
    elif (f.counted(*NERVE_FLAGS) or _t1(f) or (fever and early)
          or not (epu or maternity)):
        out.append(EMERGENCY_DEPARTMENT)
    if epu:
        out.append(EARLY_PREGNANCY_UNIT)
    if maternity:
        out.append(MATERNITY_UNIT)
    return tuple(out)


def emergency_places(answers: Mapping[str, AnswerValue],
                     flags: tuple[RedFlag, ...]) -> tuple[str, ...]:
    """The places `medical.emergency_referral` names for these answers and flags, so that a
    handout's banner names those and no other (a man is not sent to the maternity unit)."""
    return _places(Facts(answers, {}, flags, "emergency"))


_PLACE_KEYS = {AMBULANCE: "ambulance", EMERGENCY_DEPARTMENT: "department",
               EARLY_PREGNANCY_UNIT: "early_pregnancy_unit", MATERNITY_UNIT: "maternity"}


def _emergency_words(f: Facts, t: Texts) -> str:
    keys = ["opening", *(_PLACE_KEYS[p] for p in _places(f))]
    if _t3(f):
        keys.append("cancer")
    keys.append("closing")
    return _say(t, *keys, why=why(f.flag_ids))


def _same_day_words(f: Facts, t: Texts) -> str:
    keys = ["text"]
    if f.counted("rf_cancer_history") and f.counted(*T4_FEATURES):
        keys.append("cancer")
    weeks = _int(f, "postpartum_weeks")
    if f.counted("rf_fever", "rf_unwell") and f.is_(c.postnatal_6wk) and weeks is not None:
        keys.append("postnatal")
    if f.counted("rf_anticoagulant") and f.counted("rf_trauma"):
        keys.append("fall_on_blood_thinner")
    if f.counted("rf_leg_clot"):
        keys.append("calf")
    keys.append("closing")
    return _say(t, *keys, why=why(f.flag_ids), ago=_ago(weeks or 0))


def _urgent_words(f: Facts, t: Texts) -> str:
    return _say(t, "text", why=why(f.flag_ids))


def _young_words(f: Facts, t: Texts) -> str:
    return _say(t, "parent", "acute" if f.is_(c.acute) else "not_acute")


def _scoliosis_words(f: Facts, t: Texts) -> str:
    return t["urgent"] if f.held_back else t["text"]


def _sciatica(f: Facts) -> Finding:
    return all_of(f.holds(c.leg_below_knee), negate(f.holds(c.acute)))


def _sciatica_words(f: Facts, t: Texts) -> str:
    strong = c.worst_pain(f.answers, ">=", 7).holds
    return _say(t, "text", *(["strong"] if strong else []))


def _pregnancy_care(f: Facts) -> Finding:
    return f.holds(c.pregnant_or_postpartum)


def _pregnancy_care_words(f: Facts, t: Texts) -> str:
    pregnant = f.is_(c.pregnant)
    if f.held_back:
        if pregnant:
            weeks = _int(f, "pregnancy_weeks")
            return (t["urgent_pregnant_no_weeks"] if weeks is None
                    else _say(t, "urgent_pregnant", weeks=_weeks(weeks)))
        ago = _int(f, "postpartum_weeks")
        return (t["urgent_postpartum_no_weeks"] if ago is None
                else _say(t, "urgent_postpartum", ago=_ago(ago)))
    who = t["who_midwife" if f.is_(c.midwife_period) else "who_gp"]
    tell = ("pregnant" if pregnant else
            "postnatal_6wk" if f.is_(c.postnatal_6wk) else "later")
    return _say(t, "opening", tell, "physiotherapy", who=who)


def _co_manage_flags(f: Facts) -> tuple[str, ...]:
    return tuple(flag.id for flag in f.flags if flag.tier == "co_manage")


def _risk_factor_team(f: Facts) -> Finding:
    return _fixed(_co_manage_flags(f))


def _risk_factor_team_words(f: Facts, t: Texts) -> str:
    co = _co_manage_flags(f)
    words = flag_words()
    keys = ["text", *(["anticoagulant"] if "rf_anticoagulant" in co else [])]
    return _say(t, *keys, co=_join([words[i] for i in co]))


def _co_manage_words(f: Facts, t: Texts) -> str:
    if f.held_back:
        return t["urgent"]
    return t["bone_risk" if f.is_(c.bone_risk_condition) else "other"]


def _coordinate_care(f: Facts) -> Finding:
    return all_of(f.holds(c.co_manage_condition), f.holds(c.under_medical_care))


def _coordinate_care_words(f: Facts, t: Texts) -> str:
    return t["urgent" if f.held_back else "text"]


def _psychosocial_words(f: Facts, t: Texts) -> str:
    return _say(t, "text", *(["chronic"] if f.is_(c.chronic) else []))


def _safety_client(f: Facts) -> safety_net.Client:
    return safety_net.Client(f.answers, f.scores, f.flag_ids)


def _safety_net(f: Facts) -> Finding:
    """Every plan but an emergency one: names `pain_duration`, every flag in `red_flags`,
    then the answers of its parts shown."""
    if f.triage == "emergency":
        return Finding(False)
    client = _safety_client(f)
    return _fixed(_seen(f, "pain_duration"), f.flag_ids,
                  safety_net.because(safety_net.parts(client), client))


def _safety_net_words(f: Facts, t: Texts) -> str:
    client = _safety_client(f)
    weeks = reassess_weeks(f.answers, f.triage)
    out: list[str] = []
    for part in safety_net.parts(client):
        out.extend(safety_net.sentences(part, client, f.triage, weeks, t, flag_words()))
    return " ".join(out)


# --------------------------------------------------------------------------- sleep


def _not_night_pain(f: Facts) -> Finding:
    return negate(f.holds(c.night_pain_flag))


def _inflammation_note(f: Facts) -> bool:
    """Long morning pain with stiffness over half an hour: more typical of inflammation."""
    return bool(all_of(is_(f.answers, "pain_on_waking", "lasts_longer"),
                       yes(f.answers, "morning_stiffness_over_30min")))


def _mattress_words(words: Words) -> Words:
    """A mattress text, with the inflammation note where morning pain and stiffness last."""
    def worded(f: Facts, t: Texts) -> str:
        text = words(f, t)
        return f"{text} {t['inflammation_note']}" if _inflammation_note(f) else text
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
    return all_of(f.holds(c.waking_pain), _medium_firm_reasons(f), _not_night_pain(f))


def _softer_surface(f: Facts) -> Finding:
    a = f.answers
    return all_of(
        f.holds(c.waking_pain),
        one_of(a, "mattress_firmness", ("firm", "very_firm")),
        is_(a, "mattress_opinion", "too_firm"),
        negate(yes(a, "mattress_sagging")),
        compare(a, "mattress_age_years", "<=", 10),
        _not_night_pain(f),
    )


def _mattress_review(f: Facts) -> Finding:
    return all_of(f.holds(c.waking_pain), _not_night_pain(f),
                  negate(_medium_firm(f)), negate(_softer_surface(f)))


def _no_change(f: Facts) -> Finding:
    a = f.answers
    return all_of(
        negate(f.holds(c.waking_pain)),
        is_(a, "mattress_opinion", "comfortable"),
        negate(yes(a, "mattress_sagging")),
        compare(a, "mattress_age_years", "<=", 10),
        _not_night_pain(f),
    )


def _medium_firm_words(f: Facts, t: Texts) -> str:
    reasons = []
    for i in _medium_firm_reasons(f).because:
        key = f"reason_{f.answers[i]}" if i == "mattress_firmness" else f"reason_{i}"
        reasons.append(t[key])
    return _say(t, "text", "reasons", reasons=_join(reasons))


def _not_late_pregnancy(test: Test) -> Test:
    """Position advice that late pregnancy replaces with side sleeping (guardrail 13)."""
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
    """Fixed `because`: sleep_position and pillow_height, and in late pregnancy (judged as
    side lying) also pregnancy and pregnancy_weeks."""
    a = f.answers
    late = f.is_(c.late_pregnancy)
    position = "side" if late else a.get("sleep_position")
    holds = isinstance(position, str) and a.get("pillow_height") in UNSUITED_PILLOW.get(
        position, ())
    if not holds:
        return Finding(False)
    pregnancy = ("pregnancy", "pregnancy_weeks") if late else ()
    return _fixed(_seen(f, "sleep_position", "pillow_height", *pregnancy))


def _pillow_height_words(f: Facts, t: Texts) -> str:
    position = "side" if f.is_(c.late_pregnancy) else f.answers.get("sleep_position")
    advice_key = f"advice_{position}" if f"advice_{position}" in t else "advice_mixed"
    return _say(t, "text", advice=t[advice_key])


def _no_change_words(f: Facts, t: Texts) -> str:
    # "The pillow tips may still help" only where the plan holds another sleep.* item:
    # triage removes none of them but under an emergency, which keeps no sleep advice.
    tips = any(_fires(rule, f) for rule in RULES
               if rule.strategy == "sleep" and rule.id != "sleep.no_change")
    return t["with_pillow_tips"] if tips else t["text"]


# --------------------------------------------------------------------------- personalized


def _ankylosing_spondylitis(f: Facts) -> Finding:
    return any_of(has(f.answers, "diagnoses", "ankylosing_spondylitis"),
                  f.holds(c.axspa_suspected))


def _as_low_impact_words(f: Facts, t: Texts) -> str:
    return t["with_swimming" if f.eligible("ex.water_exercise") else "text"]


def _as_medical_words(f: Facts, t: Texts) -> str:
    diagnosed = has(f.answers, "diagnoses", "ankylosing_spondylitis")
    return _say(t, "diagnosed" if diagnosed else "suspected", "red_eye")


def _strain(f: Facts) -> Finding:
    return f.holds(c.strain)


def _by_acute(f: Facts, t: Texts) -> str:
    """"For a day or two" and "freshly strained" only when acute."""
    return t["acute" if f.is_(c.acute) else "other"]


def _cold_or_heat_words(f: Facts, t: Texts) -> str:
    return " ".join([_by_acute(f, t), *_heat_cautions(f, t)])


def _strain_massage(f: Facts) -> Finding:
    return all_of(f.holds(c.strain), f.holds(c.massage_ok))


def _arthritis(f: Facts) -> Finding:
    return has_any(f.answers, "diagnoses", ("spondylosis", "spinal_arthritis"))


def _arthritis_keep_moving_words(f: Facts, t: Texts) -> str:
    only_spondylosis = has(f.answers, "diagnoses", "spondylosis") and not has(
        f.answers, "diagnoses", "spinal_arthritis")
    return _say(t, "spondylosis" if only_spondylosis else "arthritis", "text")


def _arthritis_medical_words(f: Facts, t: Texts) -> str:
    keys = ["massage"]
    if has(f.answers, "diagnoses", "spinal_arthritis"):
        keys.append("arthritis")
    if has(f.answers, "diagnoses", "spondylosis"):
        keys.append("spondylosis")
    return _say(t, *keys)


def _disc(f: Facts) -> Finding:
    return any_of(has(f.answers, "diagnoses", "herniated_disc"), f.holds(c.leg_below_knee))


def _disc_words(f: Facts, t: Texts) -> str:
    return _say(t, "text", "signs")


def _stenosis(f: Facts) -> Finding:
    return all_of(f.holds(c.stenosis_pattern), negate(f.holds(c.flexion_sensitive_disc)))


def _stenosis_words(f: Facts, t: Texts) -> str:
    bike = "with_bike" if f.eligible("ex.stationary_bike") else "without_bike"
    return _say(t, "opening", bike)


def _morning_stiffness(f: Facts) -> Finding:
    return yes(f.answers, "morning_stiffness_over_30min")


def _pelvic_girdle_words(f: Facts, t: Texts) -> str:
    pattern = f.is_(c.pelvic_girdle_pattern)
    early = f.is_(c.pregnant) or f.is_(c.postnatal_12wk)
    # "Usually eases" is part of the opening sentence, so the handout's item keeps to three
    # sentences (issue 20, item 3); otherwise the exact "lasts" sentence follows it.
    keys = [("pelvic_girdle" if pattern else "back") + ("_eases" if early else "")]
    if not early:
        keys.append("lasts")
    keys.append("pelvic_girdle_tips" if pattern else "back_tips")
    if early:
        keys.append("physiotherapy")
    return _say(t, *keys)


def _startback(f: Facts, risk: str) -> Finding:
    return is_(f.scores, "startback_risk", risk)


HANDS_ON_CARE = ("massage", "chiropractic", "physical_therapy")


def _low_risk_words(f: Facts, t: Texts) -> str:
    keys = []
    if f.triage == "refer_routine":
        keys.append("refer_routine")
    else:
        if f.triage == "none" and not f.is_(c.bone_caution):
            keys.append("nothing_serious")
        if not f.is_(c.chronic):
            keys.append("not_chronic")
    care = f.answers.get("current_care")
    if isinstance(care, tuple) and sum(v in care for v in HANDS_ON_CARE) >= 2:
        keys.append("one_practitioner")
    return _say(t, *(keys or ["steps"]))


def _heat(f: Facts) -> Finding:
    return all_of(negate(f.holds(c.chronic)), negate(f.holds(c.strain)))


def _heat_cautions(f: Facts, t: Texts) -> list[str]:
    return [t["heat_caution"], *([t["pregnancy_heat_caution"]] if f.is_(c.pregnant) else [])]


def _heat_words(f: Facts, t: Texts) -> str:
    return " ".join([t["text"], *_heat_cautions(f, t)])


def _flags_duration_bone(f: Facts) -> Finding:
    """The fixed `because` of pain_education and stay_active: every flag in `red_flags`,
    then pain_duration, then what bone_caution names when it holds."""
    return _fixed(f.flag_ids, _seen(f, "pain_duration"), _bone_caution_names(f))


def _pain_education(f: Facts) -> Finding:
    if f.triage not in ("none", "co_manage", "refer_routine"):
        return Finding(False)
    return _flags_duration_bone(f)


def _pain_education_words(f: Facts, t: Texts) -> str:
    bone, hold = f.is_(c.bone_caution), f.is_(c.bone_hold)
    keys = ["alarm"]
    if not f.flags:
        keys.append("no_flags")
    if f.triage == "none" and not bone:
        keys.append("strong")
    if bone and not hold:
        keys.append("bone_caution")
    if hold:
        keys.append("bone_hold")
    if f.is_(c.chronic):
        keys.append("chronic")
    return _say(t, *keys)


def _return_to_work_words(f: Facts, t: Texts) -> str:
    keys = ["opening"]
    absence = f.answers.get("work_absence")
    keys.append("off_work" if absence == "off_work" else "reduced_duties")
    if f.is_(c.long_off_work):
        keys.append("long_off_work")
    return _say(t, *keys)


# --------------------------------------------------------------------------- prevention


def _stay_active(f: Facts) -> Finding:
    return _flags_duration_bone(f)


def _stay_active_words(f: Facts, t: Texts) -> str:
    if f.held_back:
        return t["urgent"]
    duration = f.answers.get("pain_duration")
    keys = {"under_6_weeks": ["acute"], "6_to_12_weeks": ["subacute"],
            "over_12_weeks": ["chronic"]}.get(str(duration), [])
    if f.triage == "none" and not f.is_(c.bone_caution):
        keys.append("no_harm")
    return _say(t, *keys)


def _core_strength(f: Facts) -> Finding:
    return all_of(f.holds(c.low_activity), negate(f.holds(c.pregnant)),
                  negate(f.holds(c.postnatal_12wk)))


def _keep_exercising_words(f: Facts, t: Texts) -> str:
    # No strength-work suggestion in the first 6 weeks after a birth or a spinal procedure.
    strength = f.is_(c.no_strength_work) and not (
        f.is_(c.postnatal_6wk) or f.is_(c.post_procedure))
    return _say(t, "text", *(["strength"] if strength else []))


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
        negate(f.holds(c.bone_caution)),
    )


def _flexion_words(f: Facts, t: Texts) -> str:
    # Only the exercises eligible for the client are named (Wording 7); the pelvic tilt,
    # eligible for everyone, when neither of the two is.
    named = [t[name] for name in ("knees_to_chest", "childs_pose")
             if f.eligible(f"ex.{name}")] or [t["pelvic_tilt"]]
    return _say(t, "text", exercises=_join(named, "or"))


def _pregnancy_exercise_words(f: Facts, t: Texts) -> str:
    keys = ["with_swimming" if f.eligible("ex.water_exercise") else "without_swimming",
            "pelvic_floor"]
    if f.is_(c.after_first_trimester):
        keys.append("after_first_trimester")
    return _say(t, *keys)


def _postnatal_exercise_words(f: Facts, t: Texts) -> str:
    stage = ("under_6wk" if f.is_(c.postnatal_under_6wk) else
             "under_12wk" if f.is_(c.postnatal_12wk) else "later")
    return _say(t, "opening", stage, *(["pgp_early"] if f.is_(c.pgp_early) else []))


def _bone_safe_words(f: Facts, t: Texts) -> str:
    return _say(t, "strengthen", "avoid", "hips_and_knees")


def _strength_balance_words(f: Facts, t: Texts) -> str:
    return _say(t, "text", *(["falls_risk"] if f.is_(c.falls_risk) else []))


def _hyperextension(f: Facts) -> Finding:
    return any_of(yes(f.answers, "hyperextension_activities"),
                  f.holds(c.extension_sensitive))


def _hyperextension_words(f: Facts, t: Texts) -> str:
    young = compare(f.answers, "age", "<", 18).holds
    return _say(t, "text", *(["young"] if young else []))


def _lifting(f: Facts) -> Finding:
    a = f.answers
    return any_of(is_(a, "occupation", "manual_lifting"), has(a, "pain_worse_with", "lifting"))


def _lifting_words(f: Facts, t: Texts) -> str:
    return _say(t, "text", *(["hips_and_knees"] if f.is_(c.bone_caution) else []))


def _sitting(f: Facts) -> Finding:
    a = f.answers
    return any_of(compare(a, "sitting_hours", ">=", 6), has(a, "pain_worse_with", "sitting"))


# --------------------------------------------------------------------------- massage


def _gentle_only_words(f: Facts, t: Texts) -> str:
    """One pressure, the lightest that applies, then every other note that applies."""
    co_manage = f.is_(c.co_manage_condition)
    cared = f.is_(c.under_medical_care)
    risks = f.counted(*RISK_FACTORS)
    anticoagulant = f.counted("rf_anticoagulant")
    steroids = f.counted("rf_steroids")
    if anticoagulant:
        # With steroids too, one sentence gives both reasons (issue 20, item 3: short items).
        keys = ["pressure_anticoagulant_steroids" if steroids else "pressure_anticoagulant"]
    elif co_manage and not cared:
        keys = ["pressure_awaiting"]
    elif steroids:
        keys = ["pressure_steroids"]
    else:
        keys = ["pressure_light_moderate"]
    if co_manage and cared:
        keys.append("cleared")
    if risks and keys[0] == "pressure_awaiting":
        # One sentence names both who must agree, so the handout's item stays short
        # (issue 20, item 3).
        keys[0] = "pressure_awaiting_team"
    elif risks:
        keys.append("risk_factor")
    if f.counted("rf_recent_procedure"):
        keys.append("recent_procedure")
    if f.counted("rf_recent_infection"):
        keys.append("recent_infection")
    if steroids and keys[0] not in ("pressure_steroids", "pressure_anticoagulant_steroids"):
        keys.append("steroids_skin")
    return _say(t, *keys)


def _with_exercise_words(f: Facts, t: Texts) -> str:
    if _startback(f, "low"):
        return t["optional"]
    helped = {"yes": "helped", "somewhat": "helped_a_little"}.get(
        str(f.answers.get("massage_helped")), "try")
    return _say(t, helped, "package")


def _focused(f: Facts) -> Finding:
    return all_of(f.holds(c.massage_ok), f.holds(c.strain),
                  negate(_startback(f, "high")), negate(f.holds(c.hands_on_caution)),
                  negate(f.holds(c.pregnant)))


def _whole_body(f: Facts) -> Finding:
    return all_of(f.holds(c.massage_ok), _startback(f, "high"),
                  negate(f.holds(c.hands_on_caution)), negate(f.holds(c.pregnant)))


def _prenatal(f: Facts) -> Finding:
    return all_of(f.holds(c.massage_ok), f.holds(c.pregnant))


def _prenatal_words(f: Facts, t: Texts) -> str:
    return _say(t, "text", front=t["front"] if f.is_(c.after_first_trimester) else "")


def _combine_care(f: Facts) -> Finding:
    return all_of(f.holds(c.massage_ok),
                  one_of(f.scores, "startback_risk", ("medium", "high")))


def _combine_care_words(f: Facts, t: Texts) -> str:
    # {care}: chiropractic, physiotherapy and a doctor's care, in this order; massage,
    # medication and none are left out.
    care = f.answers.get("current_care")
    names = [t[f"care_{v}"] for v in ("chiropractic", "physical_therapy", "medical")
             if isinstance(care, tuple) and v in care]
    return _say(t, "with_care", care=_join(names)) if names else t["no_care"]


# --------------------------------------------------------------------------- the rules


def _named(condition: c.Condition) -> Test:
    def test(f: Facts) -> Finding:
        return f.holds(condition)
    test.__name__ = getattr(condition, "__name__", "condition")
    return test


RULES: tuple[Rule, ...] = (
    # medical
    Rule("medical.emergency_referral", _triage_in("emergency"), _emergency_words),
    Rule("medical.same_day_referral", _triage_in("same_day"), _same_day_words),
    Rule("medical.urgent_referral", _triage_in("urgent"), _urgent_words),
    Rule("medical.axspa_referral", _named(c.axspa_suspected)),
    Rule("medical.axspa_discuss", _named(c.axspa_possible)),
    Rule("medical.routine_review", _named(c.severe_chronic)),
    Rule("medical.young_person", _named(c.young), _young_words),
    Rule("medical.scoliosis_review", _named(c.adolescent_scoliosis), _scoliosis_words),
    Rule("medical.sciatica_review", _sciatica, _sciatica_words),
    Rule("medical.vascular_check", _named(c.vascular_pattern)),
    Rule("medical.falls_assessment", _named(c.falls_high_risk)),
    Rule("medical.pregnancy_care", _pregnancy_care, _pregnancy_care_words),
    Rule("medical.risk_factor_team", _risk_factor_team, _risk_factor_team_words),
    Rule("medical.co_manage", _named(c.awaiting_doctor), _co_manage_words),
    Rule("medical.coordinate_care", _coordinate_care, _coordinate_care_words),
    Rule("medical.psychosocial_support", lambda f: _startback(f, "high"), _psychosocial_words),
    Rule("medical.safety_net", _safety_net, _safety_net_words),
    # sleep
    Rule("sleep.mattress.medium_firm", _medium_firm, _mattress_words(_medium_firm_words)),
    Rule("sleep.mattress.softer_surface", _softer_surface, _mattress_words(_text)),
    Rule("sleep.mattress.review", _mattress_review, _mattress_words(_text)),
    Rule("sleep.no_change", _no_change, _no_change_words),
    Rule("sleep.pillow.between_knees",
         _not_late_pregnancy(_no_knee_pillow_when(("side", "mixed")))),
    Rule("sleep.pillow.under_knees", _not_late_pregnancy(_no_knee_pillow_when(("back",)))),
    Rule("sleep.position.stomach", _not_late_pregnancy(_sleeps_on_stomach)),
    Rule("sleep.position.pregnancy", _late_pregnancy),
    Rule("sleep.pillow.height", _pillow_height, _pillow_height_words),
    # personalized
    Rule("personalized.as.gentle_stretching", _ankylosing_spondylitis),
    Rule("personalized.as.low_impact_exercise", _ankylosing_spondylitis, _as_low_impact_words),
    Rule("personalized.as.medical_care", _ankylosing_spondylitis, _as_medical_words),
    Rule("personalized.strain.relative_rest", _strain, _by_acute),
    Rule("personalized.strain.cold_or_heat", _strain, _cold_or_heat_words),
    Rule("personalized.strain.massage", _strain_massage),
    Rule("personalized.arthritis.keep_moving", _arthritis, _arthritis_keep_moving_words),
    Rule("personalized.arthritis.medical_care", _arthritis, _arthritis_medical_words),
    Rule("personalized.disc.guided_exercise", _disc, _disc_words),
    Rule("personalized.stenosis.flexion_bias", _stenosis, _stenosis_words),
    Rule("personalized.morning_mobility", _morning_stiffness),
    Rule("personalized.pregnancy.pelvic_girdle", _pregnancy_care, _pelvic_girdle_words),
    Rule("personalized.low_risk.self_management", lambda f: _startback(f, "low"),
         _low_risk_words),
    Rule("personalized.medium_risk.physio_exercise", lambda f: _startback(f, "medium")),
    Rule("personalized.heat", _heat, _heat_words),
    Rule("personalized.pain_education", _pain_education, _pain_education_words),
    Rule("personalized.return_to_work", _named(c.work_affected), _return_to_work_words),
    Rule("personalized.hypermobility.control", _named(c.hypermobile)),
    # prevention
    Rule("prevention.stay_active", _stay_active, _stay_active_words),
    Rule("prevention.core_strength", _core_strength),
    Rule("prevention.keep_exercising", _named(c.regular_exercise), _keep_exercising_words),
    Rule("prevention.leg_strength_flexibility", _legs),
    Rule("prevention.flexion_exercises", _flexion, _flexion_words),
    Rule("prevention.pregnancy_exercise", _named(c.pregnant), _pregnancy_exercise_words),
    Rule("prevention.postnatal_exercise", _named(c.postpartum), _postnatal_exercise_words),
    Rule("prevention.bone_safe_exercise", _named(c.bone_caution), _bone_safe_words),
    Rule("prevention.strength_balance", _named(c.older_adult), _strength_balance_words),
    Rule("prevention.avoid_hyperextension", _hyperextension, _hyperextension_words),
    Rule("prevention.safe_lifting", _lifting, _lifting_words),
    Rule("prevention.break_up_sitting", _sitting),
    # massage
    Rule("massage.hold_until_cleared", _triage_in(*HELD_BACK)),
    Rule("massage.reconsider", _named(c.massage_helped_no)),
    Rule("massage.gentle_only", _named(c.hands_on_caution), _gentle_only_words),
    Rule("massage.with_exercise", _named(c.massage_ok), _with_exercise_words),
    Rule("massage.focused", _focused),
    Rule("massage.whole_body", _whole_body),
    Rule("massage.prenatal", _prenatal, _prenatal_words),
    Rule("massage.combine_care", _combine_care, _combine_care_words),
)

RULE_IDS = tuple(r.id for r in RULES)


# --------------------------------------------------------------------------- triage bounds

# The exercise recommendations ("Selection" step 2), in the order of their pools.
EXERCISE_IDS: tuple[str, ...] = (
    "prevention.pregnancy_exercise", "prevention.postnatal_exercise",
    "prevention.bone_safe_exercise", "prevention.strength_balance",
    "personalized.stenosis.flexion_bias", "personalized.disc.guided_exercise",
    "personalized.as.gentle_stretching", "personalized.as.low_impact_exercise",
    "personalized.hypermobility.control", "personalized.morning_mobility",
    "personalized.arthritis.keep_moving", "prevention.flexion_exercises",
    "prevention.core_strength", "prevention.leg_strength_flexibility",
    "prevention.keep_exercising", "personalized.medium_risk.physio_exercise",
)
# Hands-on advice (guardrail 5): only ever inside a package with exercise.
NEEDS_EXERCISE = frozenset({
    "massage.with_exercise", "massage.focused", "massage.whole_body", "massage.prenatal",
    "massage.combine_care", "personalized.strain.massage",
})
HELD_BACK_ALLOWED = frozenset({"prevention.stay_active", "massage.hold_until_cleared"})
HELD_BACK_REMOVED = frozenset({"medical.psychosocial_support", "medical.risk_factor_team"})
AWAITING_DOCTOR_MASSAGE = frozenset({"massage.gentle_only", "massage.reconsider"})


def _allowed(rec_id: str, f: Facts) -> bool:
    """the clinical reference, "Triage" bounds: the one place that says what may stay."""
    strategy = rec_id.split(".", 1)[0]
    if f.triage == "emergency":
        return rec_id == "medical.emergency_referral"
    if f.held_back:
        if rec_id in HELD_BACK_REMOVED:
            return False
        return strategy in ("medical", "sleep") or rec_id in HELD_BACK_ALLOWED
    if f.is_(c.awaiting_doctor):
        if rec_id == "personalized.strain.massage":
            return False
        if strategy == "massage":
            return rec_id in AWAITING_DOCTOR_MASSAGE
        if strategy == "prevention" and f.is_(c.bone_risk_condition):
            return rec_id == "prevention.stay_active"
    return True


def apply_bounds(recs: tuple[Recommendation, ...], facts: Facts) -> tuple[Recommendation, ...]:
    """What triage allows (the clinical reference, "Triage"), in one place."""
    kept = tuple(r for r in recs if _allowed(r.id, facts))
    # Hands-on advice only inside a package with exercise (guardrail 5). With complete
    # answers an exercise recommendation always fires where massage may, so this only
    # bites on incomplete answers; it keeps the guarantee unconditional.
    if not any(r.id in EXERCISE_IDS for r in kept):
        kept = tuple(r for r in kept if r.id not in NEEDS_EXERCISE)
    return kept


def _worded(rule: Rule, facts: Facts) -> str:
    """The rule's text, with the guided-exercise wording where the bounds call for it: a
    personalised exercise recommendation under bone_hold opens with the weak-bone
    sentence; every exercise recommendation awaiting the doctor's view (without weak bone)
    ends with the guided sentence, after every other sentence."""
    text = rule.text(facts)
    if rule.id not in EXERCISE_IDS or facts.triage == "emergency" or facts.held_back:
        return text
    if not facts.is_(c.awaiting_doctor):
        return text
    t = rule.advice.texts
    if facts.is_(c.bone_risk_condition):
        if rule.strategy == "personalized":
            return f"{t['bone_hold_exercise']} {text}"
        return text
    return f"{text} {t['guided_exercise']}"


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
            out.append(Recommendation(rule.id, rule.strategy, rule.advice.title,
                                      _worded(rule, facts), finding.because,
                                      rule.advice.evidence))
    return tuple(out)


def recommend(answers: Mapping[str, AnswerValue], scores: Mapping[str, ScoreValue],
              flags: tuple[RedFlag, ...], triage: str) -> tuple[Recommendation, ...]:
    facts = Facts(answers, scores, flags, triage)
    return apply_bounds(candidates(facts), facts)
