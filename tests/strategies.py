"""Answers for tests: a hypothesis strategy over whole interviews, and a hand-made base client.

`answers_strategy(modules)` walks the questions in interview order, asks
`questionnaire.evaluate` whether each is shown (so `when` conditions hold exactly as in the
interview) and draws a valid value for every shown question. Optional questions are
sometimes skipped. `client_answers(overrides)` builds one known client and checks the
result through `answers.validate`, so a test can never run on answers the tool would refuse.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

from backpain_cli.clinical.answers import questions_of, validate, walk
from backpain_cli.clinical.questionnaire import (
    UNKNOWN,
    AnswerValue,
    Module,
    Question,
    Registry,
    load_registry,
)

REGISTRY: Registry = load_registry(None)
INSTRUMENT_SETS: tuple[tuple[str, ...], ...] = ((), ("odi",), ("rmdq",), ("odi", "rmdq"))
ALL_MODULES = REGISTRY.select(("odi", "rmdq"))
# The warning signs and risk factors (not `risk_team_aware`, which is no flag).
RED_FLAG_QUESTIONS = tuple(q.id for q in REGISTRY.module("red_flags").questions
                           if q.id.startswith("rf_"))
# Shown only in pregnancy, and after a birth for the clot sign (guardrail 15).
PREGNANCY_ONLY_FLAGS = ("rf_pregnancy_warning", "rf_leg_clot")

# The required recommendation ids of the clinical reference v3 ("Recommendations"), in plan order.
SPEC_ORDER = (
    "medical.emergency_referral", "medical.same_day_referral", "medical.urgent_referral",
    "medical.axspa_referral", "medical.axspa_discuss", "medical.routine_review",
    "medical.young_person", "medical.scoliosis_review", "medical.sciatica_review",
    "medical.vascular_check", "medical.falls_assessment", "medical.pregnancy_care",
    "medical.risk_factor_team", "medical.co_manage", "medical.coordinate_care",
    "medical.psychosocial_support", "medical.safety_net", "sleep.mattress.medium_firm",
    "sleep.mattress.softer_surface", "sleep.mattress.review", "sleep.no_change",
    "sleep.pillow.between_knees", "sleep.pillow.under_knees", "sleep.position.stomach",
    "sleep.position.pregnancy", "sleep.pillow.height", "personalized.as.gentle_stretching",
    "personalized.as.low_impact_exercise", "personalized.as.medical_care",
    "personalized.strain.relative_rest", "personalized.strain.cold_or_heat",
    "personalized.strain.massage", "personalized.arthritis.keep_moving",
    "personalized.arthritis.medical_care", "personalized.disc.guided_exercise",
    "personalized.stenosis.flexion_bias", "personalized.morning_mobility",
    "personalized.pregnancy.pelvic_girdle", "personalized.low_risk.self_management",
    "personalized.medium_risk.physio_exercise", "personalized.heat",
    "personalized.pain_education", "personalized.return_to_work",
    "personalized.hypermobility.control", "prevention.stay_active", "prevention.core_strength",
    "prevention.keep_exercising", "prevention.leg_strength_flexibility",
    "prevention.flexion_exercises", "prevention.pregnancy_exercise",
    "prevention.postnatal_exercise", "prevention.bone_safe_exercise",
    "prevention.strength_balance", "prevention.avoid_hyperextension",
    "prevention.safe_lifting", "prevention.break_up_sitting", "massage.hold_until_cleared",
    "massage.reconsider", "massage.gentle_only", "massage.with_exercise", "massage.focused",
    "massage.whole_body", "massage.prenatal", "massage.combine_care",
)


def value_strategy(q: Question) -> st.SearchStrategy[AnswerValue]:
    """Any valid answer to `q`; multi answers in the questionnaire's order, as stored."""
    if q.type == "yesno":
        return st.booleans()
    if q.type == "int":
        assert q.min is not None and q.max is not None, q.id
        return st.integers(q.min, q.max)
    if q.type == "choice":
        return st.sampled_from(q.choice_values)
    order = q.choice_values
    free = [v for v in order if v not in q.exclusive]
    subsets = st.lists(st.sampled_from(free), min_size=1, unique=True).map(
        lambda chosen: tuple(v for v in order if v in chosen))
    if not q.exclusive:
        return subsets
    return st.one_of(st.sampled_from([(e,) for e in q.exclusive]), subsets)


@st.composite
def answers_strategy(
    draw: st.DrawFn,
    modules: Sequence[Module],
    *,
    fixed: Mapping[str, Any] | None = None,
    rare: Collection[str] = RED_FLAG_QUESTIONS,
) -> dict[str, AnswerValue]:
    """One complete interview over `modules`.

    `fixed` answers are used whenever their question is shown. `rare` yes/no questions (the
    red flags by default) are usually all no, else exactly one yes, else each yes about one
    time in ten: drawn uniformly, 13 flags would leave almost no client without one, and
    everything below triage untested.
    """
    fixed = dict(fixed or {})
    rare_ids = [q.id for q in questions_of(modules) if q.id in rare and q.type == "yesno"]
    profile = draw(st.sampled_from(("none", "none", "none", "one", "some")))
    chosen = draw(st.sampled_from(rare_ids)) if rare_ids and profile == "one" else None
    answers: dict[str, AnswerValue] = {}
    # walk() judges each condition against the answers drawn so far.
    for q, shown in walk(modules, answers):
        if shown is False:
            continue
        if shown is UNKNOWN:
            continue  # its input was a skipped optional question
        if q.id in fixed:
            value = fixed[q.id]
            answers[q.id] = tuple(value) if isinstance(value, list) else value
            continue
        if not q.required and draw(st.sampled_from((False,) * 9 + (True,))):
            continue  # one in ten optional questions left blank
        if q.id in rare_ids:
            answers[q.id] = (q.id == chosen if profile != "some"
                             else draw(st.sampled_from((False,) * 9 + (True,))))
            continue
        answers[q.id] = draw(value_strategy(q))
    return answers


@st.composite
def interviews(draw: st.DrawFn, *, fixed: Mapping[str, Any] | None = None,
               rare: Collection[str] = RED_FLAG_QUESTIONS) -> dict[str, AnswerValue]:
    """A complete interview with the default modules plus, sometimes, ODI and/or RMDQ."""
    instruments = draw(st.sampled_from(INSTRUMENT_SETS))
    return draw(answers_strategy(REGISTRY.select(instruments), fixed=fixed, rare=rare))


# --------------------------------------------------------------------------- a known client

# A plain client: subacute pain, no warning signs, no diagnosis, fit, good bed, low risk.
# Answers to questions that only some clients are asked (the pregnancy signs, the team
# question, falls from 65, weeks since a birth) are there for when an override shows them.
# Its plan: medical.safety_net, sleep.no_change, personalized.low_risk.self_management,
# personalized.heat, prevention.stay_active, prevention.keep_exercising,
# massage.with_exercise, massage.combine_care.
BASE_ANSWERS: dict[str, Any] = {
    "age": 40,
    "sex": "female",
    "pregnancy": "no",
    "pain_duration": "6_to_12_weeks",
    "first_episode": False,
    "onset": "gradual",
    "pain_location": ["lower_back"],
    "pain_worse_with": ["none"],
    "pain_eased_by": ["moving_around"],
    "morning_stiffness_over_30min": False,
    "pain_now": 4,
    "pain_worst_week": 6,
    **dict.fromkeys(RED_FLAG_QUESTIONS, False),
    "risk_team_aware": False,
    "sleep_position": "side",
    "mattress_firmness": "medium_firm",
    "mattress_opinion": "comfortable",
    "mattress_age_years": 5,
    "mattress_sagging": False,
    "pain_on_waking": "no",
    "pillow_height": "medium",
    "knee_pillow": True,
    "occupation": "mostly_standing",
    "work_absence": "no",
    "sitting_hours": 3,
    "exercise_days": 3,
    "exercise_types": ["walking", "strength"],
    "recent_overexertion": False,
    "hyperextension_activities": False,
    "falls_past_year": "none",
    "unsteady": False,
    "diagnoses": ["none"],
    "current_care": ["none"],
    **{f"sbst_{i}": False for i in range(1, 9)},
    "sbst_9": "slightly",
    "postpartum_weeks": 20,
}


def client_answers(overrides: Mapping[str, Any] | None = None, *,
                     base: Mapping[str, Any] = BASE_ANSWERS) -> dict[str, AnswerValue]:
    """`base` with `overrides` (None removes a key), validated as a complete interview.

    Instruments are included when any of their answers is present. Fails the calling test
    when the answers are incomplete, invalid, or when an override answers a hidden question:
    a fixture mistake must not pass silently as a "does not fire" case. Base answers to
    questions this client is not asked are left out.
    """
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    raw = {k: v for k, v in {**base, **(overrides or {})}.items() if v is not None}
    instruments = tuple(i for i in ("odi", "rmdq") if any(k.startswith(f"{i}_") for k in raw))
    result = validate(REGISTRY.select(instruments), raw)
    dropped = [d for d in result.dropped if d in given]
    assert result.complete and not dropped, (
        f"fixture is not a complete interview: {result.all_problems()} dropped={dropped}")
    return dict(result.answers)
