"""Red flags and triage (CLINICAL.md, "red_flags" and "Triage").

The red-flag table is data: each question is scored on its own and contributes its tier.
Triage is the first level that holds, most urgent first.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import conditions as c
from .model import RedFlag, ScoreValue
from .questionnaire import AnswerValue

EMERGENCY = "emergency"
URGENT = "urgent"

# (question id, tier when yes), in CLINICAL.md's order: `red_flags` keeps this order.
RED_FLAG_TABLE: tuple[tuple[str, str], ...] = (
    ("rf_saddle_numbness", EMERGENCY),
    ("rf_bladder_bowel", EMERGENCY),
    ("rf_sexual_dysfunction", EMERGENCY),
    ("rf_both_legs", EMERGENCY),
    ("rf_leg_weakness", EMERGENCY),
    ("rf_chest_symptoms", EMERGENCY),
    ("rf_pregnancy_warning", EMERGENCY),
    ("rf_fever", URGENT),
    ("rf_immunosuppressed", URGENT),
    ("rf_recent_procedure", URGENT),
    ("rf_unwell", URGENT),
    ("rf_cancer_history", URGENT),
    ("rf_weight_loss", URGENT),
    ("rf_night_pain", URGENT),
    ("rf_trauma", URGENT),
    ("rf_steroids", URGENT),
    ("rf_osteoporosis", URGENT),
    ("rf_thoracic_pain", URGENT),
)
# Fever in a client with a weakened immune system, or after a recent spinal procedure or
# infection, may be a spinal infection: fever and its partner become emergency together.
FEVER = "rf_fever"
FEVER_PARTNERS = ("rf_immunosuppressed", "rf_recent_procedure")
# Asked, required and counted only in pregnancy (guardrail 14).
PREGNANCY_ONLY = "rf_pregnancy_warning"
AGE_FIRST_EPISODE = "rf_age_first_episode"
FRAGILITY_FRACTURE = "rf_fragility_fracture"
DERIVED_FLAG_IDS = (AGE_FIRST_EPISODE, FRAGILITY_FRACTURE)
RED_FLAG_IDS = (*(qid for qid, _ in RED_FLAG_TABLE), *DERIVED_FLAG_IDS)


def _age(answers: Mapping[str, AnswerValue]) -> int | None:
    age = answers.get("age")
    return age if isinstance(age, int) and not isinstance(age, bool) else None


def age_first_episode(answers: Mapping[str, AnswerValue]) -> bool:
    """A first ever episode of back pain over 60 or under 16 (derived, urgent)."""
    age = _age(answers)
    return answers.get("first_episode") is True and age is not None and (age > 60 or age < 16)


def fragility_fracture(answers: Mapping[str, AnswerValue]) -> bool:
    """New pain after a strain or injury in weak bone (derived, urgent; CLINICAL.md v2).

    A minor strain or fall can break weak bone even when the client answered no to
    `rf_trauma`, so this does not look at `rf_trauma`. A missing `diagnoses` counts as no
    osteoporosis; age alone (70 or over) still fires.
    """
    age = _age(answers)
    diagnoses = answers.get("diagnoses")
    osteoporosis = isinstance(diagnoses, tuple) and "osteoporosis" in diagnoses
    return (answers.get("pain_duration") == "under_6_weeks"
            and answers.get("onset") in ("after_injury", "after_exertion")
            and (osteoporosis or (age is not None and age >= 70)))


def _counted(qid: str, answers: Mapping[str, AnswerValue]) -> bool:
    if answers.get(qid) is not True:
        return False
    return qid != PREGNANCY_ONLY or c.pregnant(answers, {}).holds


def _tier(qid: str, tier: str, answers: Mapping[str, AnswerValue]) -> str:
    if qid == FEVER and c.pregnant(answers, {}).holds:
        return EMERGENCY
    fever = _counted(FEVER, answers)
    partners = [p for p in FEVER_PARTNERS if _counted(p, answers)]
    if fever and partners and qid in (FEVER, *partners):
        return EMERGENCY
    return tier


def red_flags(answers: Mapping[str, AnswerValue]) -> tuple[RedFlag, ...]:
    """Every flag that fired, in table order, the derived flags last."""
    flags = [RedFlag(qid, _tier(qid, tier, answers))
             for qid, tier in RED_FLAG_TABLE if _counted(qid, answers)]
    if age_first_episode(answers):
        flags.append(RedFlag(AGE_FIRST_EPISODE, URGENT))
    if fragility_fracture(answers):
        flags.append(RedFlag(FRAGILITY_FRACTURE, URGENT))
    return tuple(flags)


def is_emergency(answers: Mapping[str, AnswerValue]) -> bool:
    """Any emergency-tier flag among these answers (the interview stops at the first)."""
    return any(f.tier == EMERGENCY for f in red_flags(answers))


def routine_referral(answers: Mapping[str, AnswerValue],
                     scores: Mapping[str, ScoreValue]) -> c.Finding:
    """axspa_suspected, or chronic with STarT Back high risk, or severe_chronic, or a young
    client whose pain is not acute."""
    return c.any_of(
        c.axspa_suspected(answers, scores),
        c.all_of(c.chronic(answers, scores), c.is_(scores, "startback_risk", "high")),
        c.severe_chronic(answers, scores),
        c.young_not_acute(answers, scores),
    )


def triage(answers: Mapping[str, AnswerValue], scores: Mapping[str, ScoreValue],
           flags: tuple[RedFlag, ...]) -> str:
    if any(f.tier == EMERGENCY for f in flags):
        return "emergency"
    if any(f.tier == URGENT for f in flags):
        return "urgent"
    if routine_referral(answers, scores):
        return "refer_routine"
    if c.co_manage_condition(answers, scores):
        return "co_manage"
    return "none"
