"""Red flags and triage (the clinical reference v3: "red_flags", "Flag tiers (v3)" and "Triage").

The red-flag table and the tier rules are data. Each flag is a *sign* (its own fixed tier),
a *feature* (urgent alone) or a *risk factor* (history that matters with features): a risk
factor alone is urgent, or co_manage when the team that looks after it knows about the back
pain (or for a blood thinner, always). The rules T1-T7 then raise the flags of the clusters
they name; each flag keeps the highest tier any rule gives it. Triage is the first level
that holds, most urgent first.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..frozen import frozen
from . import conditions as c
from .model import RedFlag, ScoreValue
from .questionnaire import AnswerValue

EMERGENCY = "emergency"
SAME_DAY = "same_day"
URGENT = "urgent"
CO_MANAGE = "co_manage"
# Highest first: a flag keeps the first of these that any rule gives it.
TIERS = (EMERGENCY, SAME_DAY, URGENT, CO_MANAGE)
_RANK = {tier: n for n, tier in enumerate(TIERS)}

SIGN = "sign"
FEATURE = "feature"
RISK_FACTOR = "risk factor"

# (question id, class, tier alone) in the clinical reference's table order: `red_flags` keeps this
# order. A feature is urgent alone; a risk factor's tier depends on the other flags.
RED_FLAG_TABLE: tuple[tuple[str, str, str], ...] = (
    ("rf_saddle_numbness", SIGN, EMERGENCY),
    ("rf_bladder_bowel", SIGN, EMERGENCY),
    ("rf_sexual_dysfunction", SIGN, EMERGENCY),
    ("rf_both_legs", SIGN, EMERGENCY),
    ("rf_leg_weakness", SIGN, EMERGENCY),
    ("rf_chest_symptoms", SIGN, EMERGENCY),
    ("rf_pregnancy_warning", SIGN, EMERGENCY),
    ("rf_leg_clot", SIGN, SAME_DAY),
    ("rf_fever", FEATURE, URGENT),
    ("rf_immunosuppressed", RISK_FACTOR, URGENT),
    ("rf_recent_procedure", RISK_FACTOR, URGENT),
    ("rf_recent_infection", RISK_FACTOR, URGENT),
    ("rf_unwell", FEATURE, URGENT),
    ("rf_cancer_history", RISK_FACTOR, URGENT),
    ("rf_weight_loss", FEATURE, URGENT),
    ("rf_night_pain", FEATURE, URGENT),
    ("rf_constant_pain", FEATURE, URGENT),
    ("rf_trauma", FEATURE, URGENT),
    ("rf_steroids", RISK_FACTOR, URGENT),
    ("rf_anticoagulant", RISK_FACTOR, URGENT),
    ("rf_osteoporosis", FEATURE, URGENT),
    ("rf_thoracic_pain", FEATURE, URGENT),
)
FLAG_CLASS = {qid: kind for qid, kind, _ in RED_FLAG_TABLE}
SIGN_TIER = {qid: tier for qid, kind, tier in RED_FLAG_TABLE if kind == SIGN}
RISK_FACTORS = tuple(qid for qid, kind, _ in RED_FLAG_TABLE if kind == RISK_FACTOR)
# Not a flag: whether every team behind a risk factor knows about this back pain.
TEAM_AWARE = "risk_team_aware"
# A blood thinner alone changes hands-on care and painkillers, not the odds of serious
# disease: co_manage whatever the team knows (the clinical reference, "Decisions (v3)").
ALWAYS_CO_MANAGE = "rf_anticoagulant"

# Signs counted only when they can apply (guardrail 15): asked only then, and an answer
# given anyway (a file, an earlier visit) is not counted.
PREGNANCY_ONLY = "rf_pregnancy_warning"
CLOT = "rf_leg_clot"
_COUNTED_WHEN: dict[str, c.Condition] = {
    PREGNANCY_ONLY: c.pregnant,
    CLOT: c.pregnant_or_postpartum,
}

AGE_FIRST_EPISODE = "rf_age_first_episode"
FRAGILITY_FRACTURE = "rf_fragility_fracture"
DERIVED_FLAG_IDS = (AGE_FIRST_EPISODE, FRAGILITY_FRACTURE)
RED_FLAG_IDS = (*(qid for qid, _, _ in RED_FLAG_TABLE), *DERIVED_FLAG_IDS)
FLAG_CLASS.update(dict.fromkeys(DERIVED_FLAG_IDS, FEATURE))

NERVE_SIGNS = ("rf_saddle_numbness", "rf_bladder_bowel", "rf_sexual_dysfunction",
               "rf_both_legs", "rf_leg_weakness")
# The risk factors of T1 (and of the safety net's infection part).
INFECTION_RISKS = ("rf_immunosuppressed", "rf_recent_procedure", "rf_recent_infection",
                   "rf_steroids")
METASTASIS_FEATURES = ("rf_night_pain", "rf_weight_loss", "rf_unwell", "rf_constant_pain",
                       "rf_thoracic_pain")


@frozen
class TierRule:
    """One row of "Flag tiers (v3)": it holds when, for each group of `needs`, a flag of
    the group is counted (and `condition` holds, when there is one); it then raises the
    counted flags of `raises` to `tier`."""

    id: str
    needs: tuple[tuple[str, ...], ...]
    raises: tuple[str, ...]
    tier: str
    condition: c.Condition | None = None


TIER_RULES: tuple[TierRule, ...] = (
    # Fever with a risk of infection may be a spinal infection.
    TierRule("T1", (("rf_fever",), INFECTION_RISKS), ("rf_fever", *INFECTION_RISKS), EMERGENCY),
    TierRule("T2", (("rf_fever",),), ("rf_fever",), EMERGENCY, c.pregnant),
    # Cancer with a nerve sign: metastatic spinal cord compression (NICE NG234).
    TierRule("T3", (("rf_cancer_history",), NERVE_SIGNS), ("rf_cancer_history",), EMERGENCY),
    # Cancer with a feature of a metastasis: a specialist within 24 hours (NICE NG234).
    TierRule("T4", (("rf_cancer_history",), METASTASIS_FEATURES),
             ("rf_cancer_history", *METASTASIS_FEATURES), SAME_DAY),
    # Fever or feeling ill in the first 6 weeks after a birth (NICE NG51, NG194).
    TierRule("T5", (("rf_fever", "rf_unwell"),), ("rf_fever", "rf_unwell"), SAME_DAY,
             c.postnatal_6wk),
    # Fever and feeling ill together: possible sepsis (NICE NG51).
    TierRule("T6", (("rf_fever",), ("rf_unwell",)), ("rf_fever", "rf_unwell"), SAME_DAY),
    # A fall or blow on a blood thinner: bleeding.
    TierRule("T7", (("rf_anticoagulant",), ("rf_trauma",)), ("rf_anticoagulant", "rf_trauma"),
             SAME_DAY),
)
TIER_RULE_IDS = tuple(r.id for r in TIER_RULES)


def _age(answers: Mapping[str, AnswerValue]) -> int | None:
    age = answers.get("age")
    return age if isinstance(age, int) and not isinstance(age, bool) else None


def age_first_episode(answers: Mapping[str, AnswerValue]) -> bool:
    """A first ever episode of back pain over 60 or under 16 (derived feature)."""
    age = _age(answers)
    return answers.get("first_episode") is True and age is not None and (age > 60 or age < 16)


def fragility_fracture(answers: Mapping[str, AnswerValue]) -> bool:
    """New pain after a strain or injury in bone that may be weak (derived feature, v3).

    A minor strain or fall can break weak bone even when the client answered no to
    `rf_trauma`, so this does not look at `rf_trauma`. A missing `diagnoses` counts as no
    osteoporosis; age alone (70 or over) and long-term steroids (v3) still fire.
    """
    age = _age(answers)
    diagnoses = answers.get("diagnoses")
    osteoporosis = isinstance(diagnoses, tuple) and "osteoporosis" in diagnoses
    return (answers.get("pain_duration") == "under_6_weeks"
            and answers.get("onset") in ("after_injury", "after_exertion")
            and (osteoporosis or (age is not None and age >= 70)
                 or answers.get("rf_steroids") is True))


def counted(answers: Mapping[str, AnswerValue], *, follow_up: bool = False) -> tuple[str, ...]:
    """The counted flags, in table order with the derived flags last.

    The derived flags are derived only at a visit that follows no other (v3): a follow-up's
    red-flag questions ask afresh what is new, and a first episode at 70 or a strain at 75
    would otherwise stay a flag at every visit.
    """
    out = [qid for qid, _, _ in RED_FLAG_TABLE
           if answers.get(qid) is True
           and (qid not in _COUNTED_WHEN or _COUNTED_WHEN[qid](answers, {}).holds)]
    if not follow_up:
        if age_first_episode(answers):
            out.append(AGE_FIRST_EPISODE)
        if fragility_fracture(answers):
            out.append(FRAGILITY_FRACTURE)
    return tuple(out)


def _holds(rule: TierRule, flags: tuple[str, ...], answers: Mapping[str, AnswerValue]) -> bool:
    return (all(any(f in flags for f in group) for group in rule.needs)
            and (rule.condition is None or rule.condition(answers, {}).holds))


def rules_fired(answers: Mapping[str, AnswerValue], *,
                follow_up: bool = False) -> tuple[str, ...]:
    """The ids of the tier rules that hold (T1-T7, in order): the referrals name some."""
    flags = counted(answers, follow_up=follow_up)
    return tuple(r.id for r in TIER_RULES if _holds(r, flags, answers))


def _alone(qid: str, flags: tuple[str, ...], answers: Mapping[str, AnswerValue]) -> str:
    """Rules 1 and 2: a sign's own tier, a feature urgent, a risk factor by the others."""
    kind = FLAG_CLASS[qid]
    if kind == SIGN:
        return SIGN_TIER[qid]
    if kind == FEATURE:
        return URGENT
    others = [f for f in flags if FLAG_CLASS[f] != RISK_FACTOR]
    if others:
        return URGENT
    # An absent team answer counts as no: the safer side.
    if qid == ALWAYS_CO_MANAGE or answers.get(TEAM_AWARE) is True:
        return CO_MANAGE
    return URGENT


def red_flags(answers: Mapping[str, AnswerValue], *,
              follow_up: bool = False) -> tuple[RedFlag, ...]:
    """Every counted flag with its final tier, in table order, the derived flags last."""
    flags = counted(answers, follow_up=follow_up)
    tier = {f: _alone(f, flags, answers) for f in flags}
    for rule in TIER_RULES:
        if _holds(rule, flags, answers):
            for f in rule.raises:
                if f in tier and _RANK[rule.tier] < _RANK[tier[f]]:
                    tier[f] = rule.tier
    return tuple(RedFlag(f, tier[f]) for f in flags)


def is_emergency(answers: Mapping[str, AnswerValue]) -> bool:
    """Any emergency-tier flag among these answers (the interview stops at the first).

    The derived flags never reach emergency, so a follow-up needs no flag of its own here.
    """
    return any(f.tier == EMERGENCY for f in red_flags(answers))


def routine_referral(answers: Mapping[str, AnswerValue],
                     scores: Mapping[str, ScoreValue]) -> c.Finding:
    """axspa_suspected, or chronic with STarT Back high risk, or severe_chronic, or a young
    client whose pain is not acute, or (v3) the vascular pattern, two or more falls in a
    year, or a painful scoliosis in a young person."""
    return c.any_of(
        c.axspa_suspected(answers, scores),
        c.all_of(c.chronic(answers, scores), c.is_(scores, "startback_risk", "high")),
        c.severe_chronic(answers, scores),
        c.young_not_acute(answers, scores),
        c.vascular_pattern(answers, scores),
        c.falls_high_risk(answers, scores),
        c.adolescent_scoliosis(answers, scores),
    )


def triage(answers: Mapping[str, AnswerValue], scores: Mapping[str, ScoreValue],
           flags: tuple[RedFlag, ...]) -> str:
    tiers = {f.tier for f in flags}
    for level in (EMERGENCY, SAME_DAY, URGENT):
        if level in tiers:
            return level
    if routine_referral(answers, scores):
        return "refer_routine"
    if c.co_manage_condition(answers, scores) or CO_MANAGE in tiers:
        return "co_manage"
    return "none"
