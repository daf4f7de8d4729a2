"""Red flags and triage (CLINICAL.md, "red_flags" and "Triage").

The red-flag table is data: each question is scored on its own and contributes its tier.
Triage is the first level that holds, most urgent first.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import conditions as c
from .plan import RedFlag, ScoreValue
from .questionnaire import AnswerValue

EMERGENCY = "emergency"
URGENT = "urgent"

# (question id, tier when yes), in CLINICAL.md's order: `red_flags` keeps this order.
RED_FLAG_TABLE: tuple[tuple[str, str], ...] = (
    ("rf_saddle_numbness", EMERGENCY),
    ("rf_bladder_bowel", EMERGENCY),
    ("rf_both_legs", EMERGENCY),
    ("rf_leg_weakness", EMERGENCY),
    ("rf_fever", URGENT),
    ("rf_immunosuppressed", URGENT),
    ("rf_cancer_history", URGENT),
    ("rf_weight_loss", URGENT),
    ("rf_night_pain", URGENT),
    ("rf_trauma", URGENT),
    ("rf_steroids", URGENT),
    ("rf_osteoporosis", URGENT),
    ("rf_thoracic_pain", URGENT),
)
# Fever in a client with a weakened immune system may be a spinal infection: both flags
# become emergency together.
INFECTION_PAIR = ("rf_fever", "rf_immunosuppressed")
AGE_FIRST_EPISODE = "rf_age_first_episode"
RED_FLAG_IDS = (*(qid for qid, _ in RED_FLAG_TABLE), AGE_FIRST_EPISODE)


def age_first_episode(answers: Mapping[str, AnswerValue]) -> bool:
    """A first ever episode of back pain over 60 or under 16 (derived, urgent)."""
    age = answers.get("age")
    if answers.get("first_episode") is not True:
        return False
    return isinstance(age, int) and not isinstance(age, bool) and (age > 60 or age < 16)


def red_flags(answers: Mapping[str, AnswerValue]) -> tuple[RedFlag, ...]:
    """Every flag that fired, in table order, the derived flag last."""
    infection = all(answers.get(qid) is True for qid in INFECTION_PAIR)
    flags = [
        RedFlag(qid, EMERGENCY if infection and qid in INFECTION_PAIR else tier)
        for qid, tier in RED_FLAG_TABLE
        if answers.get(qid) is True
    ]
    if age_first_episode(answers):
        flags.append(RedFlag(AGE_FIRST_EPISODE, URGENT))
    return tuple(flags)


def routine_referral(answers: Mapping[str, AnswerValue],
                     scores: Mapping[str, ScoreValue]) -> c.Finding:
    """axspa_suspected, or chronic with STarT Back high risk, or severe_chronic."""
    return c.any_of(
        c.axspa_suspected(answers, scores),
        c.all_of(c.chronic(answers, scores), c.is_(scores, "startback_risk", "high")),
        c.severe_chronic(answers, scores),
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
