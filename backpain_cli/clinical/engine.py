"""`build_plan(answers)`: the domain's one entry point.

The CLI, `review` and the tests all call it, and the exporters only read what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from . import checks, reassess, recommender, scoring, triage
from . import conditions as c
from . import programme as prog
from .exercises import Holds
from .model import Level, Plan, Recommendation, ScoreValue
from .questionnaire import AnswerValue

# No programme under these (the clinical reference "Selection" step 1), nor with bone_hold.
NO_PROGRAMME = ("emergency", "same_day", "urgent")


def holds_for(answers: Mapping[str, AnswerValue],
              scores: Mapping[str, ScoreValue]) -> Holds:
    """The named conditions of these answers, asked by name (what the programme reads)."""
    def holds(name: str) -> bool:
        return c.NAMED_CONDITIONS[name](answers, scores).holds
    return holds


def build_programme(answers: Mapping[str, AnswerValue], scores: Mapping[str, ScoreValue],
                    level: str, recs: Iterable[Recommendation],
                    previous: Mapping[str, Level] | None = None) -> prog.Programme:
    """The plan's home programme, flare-up plan and step (the clinical reference "Exercise
    programme").

    `previous`: exercise id → level of the previous visit's saved programme, at a
    follow-up; the step follows the `programme_adherence` answer.
    """
    holds = holds_for(answers, scores)
    ids = [r.id for r in recs]
    # A partial plan (a draft, an old session re-scored) without stay_active has nothing
    # to explain the fallback exercises by: no programme then.
    allowed = (level not in NO_PROGRAMME and not holds("bone_hold")
               and prog.FALLBACK_BECAUSE in ids)
    adherence = answers.get("programme_adherence")
    return prog.build_programme(ids, holds, allowed=allowed,
                                adherence=adherence if isinstance(adherence, str) else None,
                                previous=previous)


def build_plan(answers: Mapping[str, AnswerValue], *, follow_up: bool = False,
               previous_programme: Mapping[str, Level] | None = None) -> Plan:
    """Scores, then red flags and triage, then the recommendations that triage allows, then
    the programme chosen from them.

    `follow_up`: a visit that follows another derives no flags (the clinical reference v3);
    `previous_programme`: the levels of the previous visit's saved programme.
    """
    scores, warnings = scoring.compute_scores(answers)
    flags = triage.red_flags(answers, follow_up=follow_up)
    level = triage.triage(answers, scores, flags)
    recs = recommender.recommend(answers, scores, flags, level)
    weeks = reassess.reassess_weeks(answers, level)
    programme = build_programme(answers, scores, level, recs, previous_programme)
    return Plan(scores, level, flags, recs, tuple(warnings), weeks,
                programme=programme.items, flare_plan=programme.flare_plan,
                programme_step=programme.step, checks=checks.find(answers),
                programme_heading=programme.heading, flare_text=programme.flare_text)
