"""Follow-up: a saved session re-run through today's rules, and a client's visits compared.

- `rescore`: the stored answers are validated against today's questionnaires (the same
  `answers.validate` as every other path), the plan is rebuilt with today's rules and
  compared with the plan that was saved (`diff_plans`);
- `build_history`: the one history builder: every completed visit of a client in date
  order (drafts set aside), change of each outcome measure judged by the minimal clinically
  important difference (`scoring.mcid_change`), triage changes and chart data;
- `due`: whether a visit's next check is due on a given day.

Pure rules over finished sessions: no file is read, nothing is printed, no JSON or screen
shapes. A session is anything shaped like one (`Recorded`; records.session.Session is), so
that this layer never imports records/; the results carry the caller's own session type.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Generic, Protocol, TypeVar

from ..frozen import frozen
from .answers import validate
from .engine import build_plan
from .legacy import current_answers
from .model import TRIAGE_VALUES, Plan, Recommendation, RedFlag, ScoreValue
from .order import Dated, sessions_in_order
from .questionnaire import AnswerValue, Module, Registry
from .reassess import due_date, local_day, reassess_weeks
from .scoring import exact, mcid_change, round_half_up

# The follow-up module's question (the clinical reference v3, "followup").
PROGRAMME_ADHERENCE = "programme_adherence"

# Outcome measures judged between visits (the clinical reference, "Minimal clinically important
# change"). STarT Back is shown per visit but never judged: it predicts, it does not measure.
OUTCOME_KEYS = ("nprs_now", "nprs_worst_week", "odi_percent", "rmdq_score")

# Triage values from least (0) to most urgent, to tell an escalation from an easing: the
# order of model.TRIAGE_VALUES, which lists them most urgent first.
_TRIAGE_RANK = {t: rank for rank, t in enumerate(reversed(TRIAGE_VALUES))}

# Recommendation fields compared by the plan diff, in the order they are reported.
_REC_FIELDS = ("strategy", "title", "detail", "because", "evidence")


class AnsweredModule(Protocol):
    """Which questionnaire, and which exact text of it, a session's answers were given to."""

    @property
    def id(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def sha256(self) -> str: ...


class Recorded(Dated, Protocol):
    """What follow-up reads of a saved session (besides what orders it: clinical.order)."""

    @property
    def is_draft(self) -> bool: ...
    @property
    def plan(self) -> Plan | None: ...
    @property
    def answers(self) -> Mapping[str, AnswerValue]: ...
    @property
    def skipped(self) -> tuple[str, ...]: ...
    @property
    def instruments(self) -> tuple[str, ...]: ...
    @property
    def questionnaires(self) -> Sequence[AnsweredModule]: ...


S = TypeVar("S", bound=Recorded)


# --------------------------------------------------------------------------- one session


@frozen
class AnswerIssue:
    """A stored answer that today's questionnaires no longer take, and why."""

    question: str
    value: AnswerValue
    reason: str


@frozen
class MissingAnswer:
    """A question today's questionnaires require that the session has no usable answer to."""

    question: str
    text: str


@frozen
class ModuleChange:
    """A questionnaire that differs from the one the answers were given to."""

    id: str
    change: str  # "changed", "added" or "removed"
    saved_version: str | None
    current_version: str | None


@frozen
class ScoreChange:
    key: str
    before: ScoreValue | None  # None: not scored then
    after: ScoreValue | None  # None: not scored now


@frozen
class RecommendationChange:
    before: Recommendation
    after: Recommendation
    fields: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.after.id


@frozen
class PlanDiff:
    triage_before: str
    triage_after: str
    flags_added: tuple[RedFlag, ...]
    flags_removed: tuple[RedFlag, ...]
    added: tuple[Recommendation, ...]
    removed: tuple[Recommendation, ...]
    changed: tuple[RecommendationChange, ...]
    scores: tuple[ScoreChange, ...]
    reordered: bool
    # The home programme's exercises today's rules add or leave out (v3); a saved plan
    # without a programme (before version 3) shows today's as added.
    programme_added: tuple[str, ...] = ()
    programme_removed: tuple[str, ...] = ()

    @property
    def triage_changed(self) -> bool:
        return self.triage_before != self.triage_after

    @property
    def empty(self) -> bool:
        return not (self.triage_changed or self.flags_added or self.flags_removed
                    or self.added or self.removed or self.changed or self.scores
                    or self.reordered or self.programme_added or self.programme_removed)


def diff_plans(saved: Plan, current: Plan) -> PlanDiff:
    """What differs between the saved plan and the plan today's rules give."""
    saved_recs = {r.id: r for r in saved.recommendations}
    current_recs = {r.id: r for r in current.recommendations}
    added = tuple(r for r in current.recommendations if r.id not in saved_recs)
    removed = tuple(r for r in saved.recommendations if r.id not in current_recs)
    changed: list[RecommendationChange] = []
    for rec in current.recommendations:
        before = saved_recs.get(rec.id)
        if before is None:
            continue
        fields = tuple(f for f in _REC_FIELDS if getattr(before, f) != getattr(rec, f))
        if fields:
            changed.append(RecommendationChange(before, rec, fields))
    common_saved = [i for i in saved.ids if i in current_recs]
    common_current = [i for i in current.ids if i in saved_recs]
    keys = [*current.scores, *(k for k in saved.scores if k not in current.scores)]
    scores = tuple(
        ScoreChange(k, saved.scores.get(k), current.scores.get(k)) for k in keys
        if saved.scores.get(k) != current.scores.get(k))
    return PlanDiff(
        triage_before=saved.triage, triage_after=current.triage,
        flags_added=tuple(f for f in current.red_flags if f not in saved.red_flags),
        flags_removed=tuple(f for f in saved.red_flags if f not in current.red_flags),
        added=added, removed=removed, changed=tuple(changed), scores=scores,
        reordered=common_saved != common_current,
        # Levels are not compared: they move with the visit before, which a re-score of
        # one session does not read.
        programme_added=tuple(i for i in current.programme_ids if i not in saved.programme_ids),
        programme_removed=tuple(i for i in saved.programme_ids
                                if i not in current.programme_ids))


@frozen
class Note:
    """A practitioner's note about a visit, as `review SESSION` shows it."""

    created: dt.datetime
    text: str
    # The addendum's id; None for a note that cannot be read (its text says so).
    id: str | None = None


@frozen
class HandoutShown:
    """What the client's handout of a visit holds, as `review SESSION` shows it: the advice
    picked (ids, besides what is always on), the exercises left off, the note to the
    client, and whether the practitioner chose them (False: the tool's picks)."""

    picks: tuple[str, ...]
    dropped: tuple[str, ...] = ()
    client_note: str | None = None
    chosen: bool = False


@frozen
class SessionReview(Generic[S]):
    """A session re-run through today's questionnaires and rules.

    For a draft only `session` is set: a draft has no plan to recompute or compare.
    Otherwise `plan` is the recomputed plan, and `diff` compares it with the saved one
    (None when the saved file holds no plan to compare with).
    """

    session: S
    plan: Plan | None = None
    diff: PlanDiff | None = None
    no_longer_fit: tuple[AnswerIssue, ...] = ()
    missing: tuple[MissingAnswer, ...] = ()
    questionnaires: tuple[ModuleChange, ...] = ()
    # The practitioner's notes about the visit (addenda, oldest first): shown with it.
    notes: tuple[Note, ...] = ()
    # The client's handout as chosen (a "handout" addendum) or the tool's picks.
    handout: HandoutShown | None = None

    @property
    def complete(self) -> bool:
        """False when today's questionnaires require answers this session cannot give."""
        return not self.missing

    @property
    def unchanged(self) -> bool:
        return (self.diff is not None and self.diff.empty and not self.no_longer_fit
                and not self.missing and not self.questionnaires)


def _module_changes(session: Recorded, modules: Sequence[Module]) -> tuple[ModuleChange, ...]:
    current = {m.id: m for m in modules}
    saved_ids = {ref.id for ref in session.questionnaires}
    out: list[ModuleChange] = []
    for ref in session.questionnaires:
        module = current.get(ref.id)
        if module is None:
            out.append(ModuleChange(ref.id, "removed", ref.version, None))
        elif module.sha256 != ref.sha256:
            out.append(ModuleChange(ref.id, "changed", ref.version, module.version))
    out.extend(ModuleChange(m.id, "added", None, m.version) for m in modules
               if m.id not in saved_ids)
    return tuple(out)


def rescore(session: S, registry: Registry) -> SessionReview[S]:
    """Validate the stored answers against today's questionnaires and rebuild the plan.

    Answers that no longer fit (an unknown id, a value no longer allowed, a question now
    hidden or outside the session's instruments) are listed and left out. Questions asked
    today that the session has no answer to are listed as missing; the plan is then built
    from the answers that remain, and `complete` is False so the reader is told it is
    partial rather than shown a confident plan.
    """
    if session.is_draft:
        return SessionReview(session)
    # An instrument that no longer exists cannot be selected; its module shows up as
    # removed and its answers as no longer fitting.
    instruments = [i for i in session.instruments if i in registry.optional_ids]
    # A follow-up after a programme answered the follow-up module (v3), which is required
    # there: its answer says that it was asked.
    modules = registry.select(instruments,
                              programme_followup=PROGRAMME_ADHERENCE in session.answers)
    selected = {q.id: q for m in modules for q in m.questions}
    known = set(registry.questions()) - set(selected)
    # Version-1 answers are read as today's questionnaires ask (the clinical reference).
    answers = current_answers(session.answers)
    validation = validate(modules, answers, known_ids=known, skipped=session.skipped)
    reasons: dict[str, str] = {}
    for qid in validation.unknown:
        reasons[qid] = "no question has this id today (removed or renamed)"
    for problem in validation.problems:
        reasons[problem.where] = f"no longer a valid answer: {problem.reason}"
    for qid in validation.dropped:
        reasons[qid] = ("no longer asked: hidden by an earlier answer" if qid in selected
                        else "its questionnaire is not part of this session's interview")
    issues = tuple(AnswerIssue(qid, value, reasons[qid])
                   for qid, value in answers.items() if qid in reasons)
    # A required question whose stored answer is invalid has no usable answer either.
    missing_ids = [*(p.where for p in validation.problems if selected[p.where].required),
                   *validation.missing]
    missing = tuple(MissingAnswer(q.id, q.text) for q in selected.values() if q.id in missing_ids)
    plan = build_plan(validation.answers, follow_up=session.follows is not None)
    diff = diff_plans(session.plan, plan) if session.plan is not None else None
    return SessionReview(session, plan, diff, issues, missing,
                         _module_changes(session, modules))


# --------------------------------------------------------------------------- one client


@frozen
class Change:
    """The change of one outcome measure from an earlier visit, judged by the MCID rule."""

    since: str  # the session id compared with
    before: int | float
    after: int | float
    label: str  # "improved", "no important change" or "worse"

    @property
    def delta(self) -> int | float:
        d = self.after - self.before
        # 34.0 - 24.2 is 9.799999999999997 in binary floats; one decimal is what was scored.
        return round(d, 1) if isinstance(d, float) else d

    @property
    def percent(self) -> int | None:
        """The change in whole percent of the earlier value (None from 0), computed exactly
        and rounded half up as every score is (6 -> 2 is -67, not -66). Whether the 30%
        threshold was reached is the label's to say, from the exact share."""
        if not self.before:
            return None
        share = (exact(self.after) - exact(self.before)) * 100 / exact(self.before)
        return int(round_half_up(share.numerator, share.denominator, places=0))


@frozen
class MeasureChange:
    key: str
    value: int | float
    from_first: Change | None
    from_previous: Change | None


@frozen
class Visit(Generic[S]):
    session: S
    number: int  # 1-based position among the client's completed visits
    changes: tuple[MeasureChange, ...] = ()
    previous_triage: str | None = None  # of the previous completed visit, when it differed
    new_flags: tuple[RedFlag, ...] = ()
    cleared_flags: tuple[RedFlag, ...] = ()

    @property
    def scores(self) -> Mapping[str, ScoreValue]:
        return self.session.plan.scores if self.session.plan else {}

    @property
    def triage(self) -> str | None:
        return self.session.plan.triage if self.session.plan else None

    @property
    def triage_changed(self) -> bool:
        return self.previous_triage is not None

    @property
    def escalated(self) -> bool:
        """Triage more urgent than at the previous visit, or a flag not seen then (a risk
        factor left with its team, co_manage, is new but no escalation)."""
        if any(f.tier != "co_manage" for f in self.new_flags):
            return True
        if self.previous_triage is None or self.triage is None:
            return False
        return _TRIAGE_RANK.get(self.triage, 0) > _TRIAGE_RANK.get(self.previous_triage, 0)


@frozen
class ChartPoint:
    """One completed visit on the pain and disability chart (None: not measured then)."""

    session: str
    date: dt.date
    pain: int | None
    odi_percent: float | None
    rmdq: int | None


@frozen
class History(Generic[S]):
    """A client's visits, the completed sessions in date order, each compared with the
    earlier; the drafts (unfinished interviews) set aside, oldest first: they are listed to
    be resumed, never numbered or compared."""

    client: str
    visits: tuple[Visit[S], ...]
    drafts: tuple[S, ...] = ()

    @property
    def chart(self) -> tuple[ChartPoint, ...]:
        points = []
        for v in self.visits:
            s = v.scores
            points.append(ChartPoint(
                v.session.id, v.session.created.astimezone(dt.UTC).date(),
                _as_int(s.get("nprs_now")), _as_float(s.get("odi_percent")),
                _as_int(s.get("rmdq_score"))))
        return tuple(points)

    @property
    def measures(self) -> tuple[str, ...]:
        """The outcome measures recorded at any visit, in OUTCOME_KEYS order."""
        seen = {c.key for v in self.visits for c in v.changes}
        return tuple(k for k in OUTCOME_KEYS if k in seen)


def _number(v: ScoreValue | None) -> int | float | None:
    # TOML can spell nan and inf; a hand-edited file holding them has no measurable change.
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return v


def _as_int(v: ScoreValue | None) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _as_float(v: ScoreValue | None) -> float | None:
    n = _number(v)
    return None if n is None else float(n)


def _judge(key: str, earlier: tuple[str, int | float] | None,
           value: int | float) -> Change | None:
    """The change from an earlier (session id, value) to `value`; None at a first record."""
    if earlier is None:
        return None
    since, before = earlier
    return Change(since, before, value, mcid_change(key, before, value))


def build_history(client: str, sessions: Sequence[S]) -> History[S]:
    """The one history builder, for every command and output: which sessions a client's
    history holds, in which order and with which numbers.

    Its visits are the completed sessions (a plan each), in date order (clinical.order:
    within one second, a visit after the one it follows), numbered from 1, with MCID-judged
    change from the first and the previous visit. A draft is no visit: it is set aside in
    `drafts`, so `review CLIENT` and the handout count the same visits. "First" and
    "previous" are per measure: the earliest and the latest earlier visit at which that
    measure was recorded (ODI may be collected at some visits only).
    """
    ordered = sessions_in_order(sessions)
    first: dict[str, tuple[str, int | float]] = {}
    last: dict[str, tuple[str, int | float]] = {}
    previous_plan: Plan | None = None
    visits: list[Visit[S]] = []
    drafts: list[S] = []
    for session in ordered:
        plan = session.plan
        if session.is_draft or plan is None:
            drafts.append(session)
            continue
        changes: list[MeasureChange] = []
        for key in OUTCOME_KEYS:
            value = _number(plan.scores.get(key))
            if value is None:
                continue
            changes.append(MeasureChange(key, value, _judge(key, first.get(key), value),
                                         _judge(key, last.get(key), value)))
            first.setdefault(key, (session.id, value))
            last[key] = (session.id, value)
        previous_triage = None
        new_flags: tuple[RedFlag, ...] = ()
        cleared: tuple[RedFlag, ...] = ()
        if previous_plan is not None:
            if previous_plan.triage != plan.triage:
                previous_triage = previous_plan.triage
            before_ids = {f.id for f in previous_plan.red_flags}
            now_ids = {f.id for f in plan.red_flags}
            new_flags = tuple(f for f in plan.red_flags if f.id not in before_ids)
            cleared = tuple(f for f in previous_plan.red_flags if f.id not in now_ids)
        visits.append(Visit(session, len(visits) + 1, tuple(changes), previous_triage,
                            new_flags, cleared))
        previous_plan = plan
    return History(client, tuple(visits), tuple(drafts))


# --------------------------------------------------------------------------- the next check


@frozen
class Due(Generic[S]):
    """A client whose latest completed session is due (or overdue) for its check."""

    session: S
    reassess_weeks: int | None  # None: no interval (an emergency plan), due from its day
    due: dt.date
    days_overdue: int


def _interval(session: Recorded) -> int | None:
    plan = session.plan
    if plan is None:
        return None
    if plan.reassess_weeks is not None:
        return plan.reassess_weeks
    # A version-1 session stored no interval: the version-2 rule places it by its saved
    # triage and pain duration (the clinical reference, "Version 1 sessions"). None for an
    # emergency.
    return reassess_weeks(session.answers, plan.triage)


def due(session: S, on: dt.date) -> Due[S] | None:
    """`session`'s check if it is due on `on`, else None.

    Due is counted on the local calendar from the session's day: on or after that day plus
    `reassess_weeks`. A session without an interval (an emergency plan, or a file with no
    pain duration to place it by) is due from its own day, until a later session exists.
    """
    weeks = _interval(session)
    day = due_date(session.created, weeks) if weeks is not None else local_day(session.created)
    return Due(session, weeks, day, (on - day).days) if on >= day else None


def check_day(session: Recorded) -> dt.date | None:
    """The day `session`'s next check is due on the local calendar; None for a draft or a
    plan without an interval (an emergency referral)."""
    if session.is_draft:
        return None
    weeks = _interval(session)
    return due_date(session.created, weeks) if weeks is not None else None
