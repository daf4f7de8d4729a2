"""The domain of `backpain review`: finding sessions, re-scoring them, diffing plans, history.

Three forms, one module:

- the listing (`list_sessions`): session file names carry id, client and date, so the
  listing sorts names and parses only the files it shows;
- one session (`rescore`): the stored answers are validated against today's
  questionnaires (the same `answers.validate` as every other path), the plan is rebuilt with
  today's rules and compared with the plan that was saved;
- one client (`client_history`): every visit in date order with its saved scores, change
  judged by the minimal clinically important difference, triage changes and chart data.

A file that cannot be read never stops a listing or a history: it is collected as an
`Unreadable` (path and reason) beside the sessions that could be read. Nothing here writes
a file, prints or imports rich/typer; `*_document` builds the `--json` shapes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .clinical.answers import validate
from .clinical.engine import build_plan
from .clinical.legacy import current_answers
from .clinical.model import Plan, Recommendation, RedFlag, ScoreValue
from .clinical.questionnaire import AnswerValue, Module, Registry
from .clinical.reassess import due_date, local_day, reassess_weeks
from .clinical.scoring import exact, mcid_change
from .errors import NotFoundError, SessionFileError, UsageError
from .records.session import Session, iso_utc, plan_dict, to_document
from .records.storage import (
    SessionRef,
    Unreadable,
    did_you_mean,
    find_client,
    read_ref,
    read_session,
    scan,
    validate_client,
)
from .records.summary import read_summary

DEFAULT_LIMIT = 20

# Outcome measures judged between visits (CLINICAL.md, "Minimal clinically important
# change"). STarT Back is shown per visit but never judged: it predicts, it does not measure.
OUTCOME_KEYS = ("nprs_now", "nprs_worst_week", "odi_percent", "rmdq_score")

# Triage values from least to most urgent, to tell an escalation from an easing.
_TRIAGE_RANK = {"none": 0, "co_manage": 1, "refer_routine": 2, "urgent": 3, "emergency": 4}

# Recommendation fields compared by the plan diff, in the order they are reported.
_REC_FIELDS = ("strategy", "title", "detail", "because", "evidence")


def resume_command(session_id: str) -> str:
    return f"backpain assess --resume {session_id}"


def follow_up_command(session_id: str) -> str:
    return f"backpain assess --from {session_id}"


# --------------------------------------------------------------------------- loading


def load(ref: SessionRef, reader: Callable[[Path], Session] = read_session) -> Session:
    """Read one session, also refusing a file whose client is not the folder it sits in."""
    return read_ref(ref, reader)


def _load_all(refs: Sequence[SessionRef]) -> tuple[list[Session], list[Unreadable]]:
    sessions: list[Session] = []
    unreadable: list[Unreadable] = []
    for ref in refs:
        try:
            sessions.append(load(ref))
        except SessionFileError as exc:
            unreadable.append(Unreadable.of(exc))
    return sessions, unreadable


# --------------------------------------------------------------------------- what an argument names


@dataclass(frozen=True)
class ClientTarget:
    client: str  # as its folder is spelled
    refs: tuple[SessionRef, ...]
    skipped: tuple[Unreadable, ...] = ()  # entries of its folder that are not read
    notes: tuple[str, ...] = ()


def _client_target(target: str, root: Path | None) -> ClientTarget | None:
    """The client `target` names, in any case, if its folder holds anything to show."""
    tree = scan(root, client=target)
    if not tree.refs and not tree.skipped:
        return None
    name = target if target in tree.clients else (tree.clients or (target,))[0]
    return ClientTarget(name, tuple(sorted(tree.refs, key=lambda r: r.id)), tree.skipped,
                        tree.notes)


def not_found_hint(ref: str, root: Path | None = None) -> str:
    """The parenthesis closing a "no such client" message: the nearest client, if any."""
    near = did_you_mean(ref, root)
    return f"did you mean {near}?" if near else "run backpain review to list sessions"


def resolve(target: str, root: Path | None = None) -> SessionRef | ClientTarget:
    """A session (by id or unique id prefix) or else a client (by folder name).

    A prefix matching several sessions names a client when a client of that name exists
    (client references may look like dates); otherwise the candidates are listed.
    """
    if not target:
        raise NotFoundError("no session or client '' (give a session id or a client reference)")
    refs = scan(root).refs
    matches = sorted((r for r in refs if r.id.startswith(target)), key=lambda r: r.id)
    exact = [r for r in matches if r.id == target]
    if exact:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    client = _client_target(target, root)
    if client is not None:
        return client
    if matches:
        shown = ", ".join(r.id for r in matches[:10])
        more = f" and {len(matches) - 10} more" if len(matches) > 10 else ""
        raise NotFoundError(
            f"session id {target!r} is ambiguous: {shown}{more}; give more of the id")
    raise NotFoundError(f"no session or client {target!r} ({not_found_hint(target, root)})")


# --------------------------------------------------------------------------- the listing


@dataclass(frozen=True)
class Listing:
    """Newest first. `rows` holds readable sessions and unreadable files in their place."""

    rows: tuple[Session | Unreadable, ...]
    total: int  # sessions matching the filter, shown or not
    client: str | None
    skipped: tuple[Unreadable, ...] = ()  # entries of the tree not read (storage.scan)
    notes: tuple[str, ...] = ()

    @property
    def unreadable(self) -> tuple[Unreadable, ...]:
        return (*(r for r in self.rows if isinstance(r, Unreadable)), *self.skipped)

    @property
    def sessions(self) -> tuple[Session, ...]:
        return tuple(r for r in self.rows if isinstance(r, Session))


def list_sessions(*, client: str | None = None, limit: int = DEFAULT_LIMIT,
                  root: Path | None = None) -> Listing:
    """The newest `limit` sessions (0: all), parsing only those files.

    Ids sort by time and file names carry them, so sorting names orders the sessions; with
    10,000 files only the shown ones are read. An unreadable file takes its place in the
    window, so problems among the shown sessions are never hidden.
    """
    if client is not None:
        found = find_client(validate_client(client), root)
        if found is None:
            raise NotFoundError(f"no client {client!r} ({not_found_hint(client, root)})")
        client = found
    tree = scan(root, client)
    refs = sorted(tree.refs, key=lambda r: r.id, reverse=True)
    shown = refs if limit == 0 else refs[:limit]
    rows: list[Session | Unreadable] = []
    for ref in shown:
        try:
            # A row needs no answers or advice texts: with --limit 0 over thousands of
            # files the summary reader is several times faster than a full parse.
            rows.append(load(ref, read_summary))
        except SessionFileError as exc:
            rows.append(Unreadable.of(exc))
    return Listing(tuple(rows), len(refs), client, tree.skipped, tree.notes)


# --------------------------------------------------------------------------- one session


@dataclass(frozen=True)
class AnswerIssue:
    """A stored answer that today's questionnaires no longer take, and why."""

    question: str
    value: AnswerValue
    reason: str


@dataclass(frozen=True)
class MissingAnswer:
    """A question today's questionnaires require that the session has no usable answer to."""

    question: str
    text: str


@dataclass(frozen=True)
class ModuleChange:
    """A questionnaire that differs from the one the answers were given to."""

    id: str
    change: str  # "changed", "added" or "removed"
    saved_version: str | None
    current_version: str | None


@dataclass(frozen=True)
class ScoreChange:
    key: str
    before: ScoreValue | None  # None: not scored then
    after: ScoreValue | None  # None: not scored now


@dataclass(frozen=True)
class RecommendationChange:
    before: Recommendation
    after: Recommendation
    fields: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.after.id


@dataclass(frozen=True)
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

    @property
    def triage_changed(self) -> bool:
        return self.triage_before != self.triage_after

    @property
    def empty(self) -> bool:
        return not (self.triage_changed or self.flags_added or self.flags_removed
                    or self.added or self.removed or self.changed or self.scores
                    or self.reordered)


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
        reordered=common_saved != common_current)


@dataclass(frozen=True)
class SessionReview:
    """A session re-run through today's questionnaires and rules.

    For a draft only `session` is set: a draft has no plan to recompute or compare.
    Otherwise `plan` is the recomputed plan, and `diff` compares it with the saved one
    (None when the saved file holds no plan to compare with).
    """

    session: Session
    plan: Plan | None = None
    diff: PlanDiff | None = None
    no_longer_fit: tuple[AnswerIssue, ...] = ()
    missing: tuple[MissingAnswer, ...] = ()
    questionnaires: tuple[ModuleChange, ...] = ()

    @property
    def complete(self) -> bool:
        """False when today's questionnaires require answers this session cannot give."""
        return not self.missing

    @property
    def unchanged(self) -> bool:
        return (self.diff is not None and self.diff.empty and not self.no_longer_fit
                and not self.missing and not self.questionnaires)


def _module_changes(session: Session, modules: Sequence[Module]) -> tuple[ModuleChange, ...]:
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


def rescore(session: Session, registry: Registry) -> SessionReview:
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
    modules = registry.select(instruments)
    selected = {q.id: q for m in modules for q in m.questions}
    known = set(registry.questions()) - set(selected)
    # Version-1 answers are read as today's questionnaires ask (CLINICAL.md).
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
    plan = build_plan(validation.answers)
    diff = diff_plans(session.plan, plan) if session.plan is not None else None
    return SessionReview(session, plan, diff, issues, missing,
                         _module_changes(session, modules))


# --------------------------------------------------------------------------- one client


@dataclass(frozen=True)
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
        """The change in whole percent of the earlier value (None from 0).

        Truncated toward zero and computed exactly, so a change shown as 30% has really
        reached the 30% threshold and a 29.6% one is not shown as 30%.
        """
        if not self.before:
            return None
        share = (exact(self.after) - exact(self.before)) * 100 / exact(self.before)
        return int(share)


@dataclass(frozen=True)
class MeasureChange:
    key: str
    value: int | float
    from_first: Change | None
    from_previous: Change | None


@dataclass(frozen=True)
class Visit:
    session: Session
    number: int  # 1-based position among the client's readable sessions
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
        """Triage more urgent than at the previous visit, or a warning sign not seen then."""
        if self.new_flags:
            return True
        if self.previous_triage is None or self.triage is None:
            return False
        return _TRIAGE_RANK.get(self.triage, 0) > _TRIAGE_RANK.get(self.previous_triage, 0)


@dataclass(frozen=True)
class ChartPoint:
    """One completed visit on the pain and disability chart (None: not measured then)."""

    session: str
    date: dt.date
    pain: int | None
    odi_percent: float | None
    rmdq: int | None


@dataclass(frozen=True)
class History:
    client: str
    visits: tuple[Visit, ...]
    unreadable: tuple[Unreadable, ...]
    notes: tuple[str, ...] = ()

    @property
    def chart(self) -> tuple[ChartPoint, ...]:
        points = []
        for v in self.visits:
            if v.session.is_draft or v.session.plan is None:
                continue
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


def build_history(client: str, sessions: Sequence[Session],
                  unreadable: Sequence[Unreadable] = ()) -> History:
    """Visits in date order with MCID-judged change from the first and the previous visit.

    Only completed visits with a plan are compared; a draft is listed but carries no scores.
    "First" and "previous" are per measure: the earliest and the latest earlier visit at
    which that measure was recorded (ODI may be collected at some visits only).
    """
    ordered = sorted(sessions, key=lambda s: (s.created, s.id))
    first: dict[str, tuple[str, int | float]] = {}
    last: dict[str, tuple[str, int | float]] = {}
    previous_plan: Plan | None = None
    visits: list[Visit] = []
    for number, session in enumerate(ordered, 1):
        plan = session.plan
        if session.is_draft or plan is None:
            visits.append(Visit(session, number))
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
        visits.append(Visit(session, number, tuple(changes), previous_triage, new_flags,
                            cleared))
        previous_plan = plan
    return History(client, tuple(visits), tuple(unreadable))


def client_history(target: ClientTarget) -> History:
    sessions, unreadable = _load_all(target.refs)
    history = build_history(target.client, sessions, [*unreadable, *target.skipped])
    return replace(history, notes=target.notes)


# --------------------------------------------------------------------------- who is due


@dataclass(frozen=True)
class Due:
    """A client whose latest completed session is due (or overdue) for its check."""

    session: Session
    reassess_weeks: int | None  # None: no interval (an emergency plan), due from its day
    due: dt.date
    days_overdue: int


@dataclass(frozen=True)
class DueList:
    """Most overdue first. `on` is the day asked about (today unless --on)."""

    on: dt.date
    rows: tuple[Due, ...]
    unreadable: tuple[Unreadable, ...]


def _latest_completed(refs: Sequence[SessionRef],
                      unreadable: list[Unreadable]) -> Session | None:
    """The newest completed session among `refs` (newest first); drafts are passed over.

    An unreadable file is reported and passed over too: it might have been the latest
    visit, but showing an older visit as due is safer than hiding the client.
    """
    for ref in refs:
        try:
            session = load(ref, read_summary)
        except SessionFileError as exc:
            unreadable.append(Unreadable.of(exc))
            continue
        if not session.is_draft and session.plan is not None:
            return session
    return None


def _interval(session: Session) -> int | None:
    plan = session.plan
    if plan is None:
        return None
    if plan.reassess_weeks is not None:
        return plan.reassess_weeks
    # A version-1 session stored no interval: the version-2 rule places it by its saved
    # triage and pain duration (CLINICAL.md, "Version 1 sessions"). None for an emergency.
    return reassess_weeks(session.answers, plan.triage)


def due_list(on: dt.date | None = None, *, root: Path | None = None) -> DueList:
    """The clients whose latest completed session is due for its check on `on`.

    Due is counted on the local calendar from the session's day: on or after that day plus
    `reassess_weeks`. A session without an interval (an emergency plan, or a file with no
    pain duration to place it by) is due from its own day, until a later session exists.
    """
    day = on or dt.date.today()
    tree = scan(root)
    by_client: dict[str, list[SessionRef]] = {}
    for ref in tree.refs:
        # Folders differing only in case are one client (storage.scan notes them).
        by_client.setdefault(ref.client.lower(), []).append(ref)
    unreadable: list[Unreadable] = list(tree.skipped)
    rows: list[Due] = []
    for client in sorted(by_client):
        refs = sorted(by_client[client], key=lambda r: r.id, reverse=True)
        session = _latest_completed(refs, unreadable)
        if session is None:
            continue
        weeks = _interval(session)
        due = (due_date(session.created, weeks) if weeks is not None
               else local_day(session.created))
        if day >= due:
            rows.append(Due(session, weeks, due, (day - due).days))
    rows.sort(key=lambda d: (-d.days_overdue, d.session.client))
    return DueList(day, tuple(rows), tuple(unreadable))


_DAY_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(text: str) -> dt.date:
    """A --on date: YYYY-MM-DD only (a usage error otherwise)."""
    try:
        # fromisoformat alone would also take 20261201 and week dates like 2026-W49-1.
        if not _DAY_RE.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--on: {text!r} is not a date in the form YYYY-MM-DD") from None


def due_document(due: DueList) -> list[dict[str, Any]]:
    """`review --due --json`: one object per client due, most overdue first."""
    return [{"client": d.session.client, "session": d.session.id,
             "created": iso_utc(d.session.created), "due": d.due.isoformat(),
             "days_overdue": d.days_overdue,
             "triage": d.session.plan.triage if d.session.plan else None,
             "reassess_weeks": d.reassess_weeks} for d in due.rows]


# --------------------------------------------------------------------------- the command's entry


Result = Listing | SessionReview | History


def review(target: str | None, *, client: str | None = None, limit: int = DEFAULT_LIMIT,
           root: Path | None = None) -> Result:
    """The form the arguments ask for: listing, one session, or one client's history."""
    if target is None:
        return list_sessions(client=client, limit=limit, root=root)
    found = resolve(target, root)
    if isinstance(found, ClientTarget):
        return client_history(found)
    session = load(found)
    if session.is_draft:
        # Nothing to recompute: today's questionnaires are not even read.
        return SessionReview(session)
    from .clinical.questionnaire import load_registry
    from .records.storage import questionnaires_dir

    return rescore(session, load_registry(questionnaires_dir(root)))


def unreadable_of(result: Result) -> tuple[Unreadable, ...]:
    return () if isinstance(result, SessionReview) else result.unreadable


def notes_of(result: Result) -> tuple[str, ...]:
    return () if isinstance(result, SessionReview) else result.notes


def document(result: Result) -> dict[str, Any]:
    """The `--json` document of any form; its "form" key says which."""
    if isinstance(result, Listing):
        return listing_document(result)
    if isinstance(result, SessionReview):
        return session_document(result)
    return history_document(result)


# --------------------------------------------------------------------------- --json shapes


def _unreadable_doc(u: Unreadable) -> dict[str, str]:
    return {"path": u.path, "reason": u.reason}


def _flag_doc(f: RedFlag) -> dict[str, str]:
    return {"id": f.id, "tier": f.tier}


def _rec_doc(r: Recommendation) -> dict[str, Any]:
    return {"id": r.id, "strategy": r.strategy, "title": r.title, "detail": r.detail,
            "because": list(r.because), "evidence": r.evidence}


def _answer_doc(value: AnswerValue) -> bool | int | str | list[str]:
    return list(value) if isinstance(value, tuple) else value


def _summary_doc(session: Session) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "session": session.id, "client": session.client, "created": iso_utc(session.created),
        "status": session.status,
    }
    if session.follows:
        doc["follows"] = session.follows
    doc["triage"] = session.plan.triage if session.plan else None
    doc["scores"] = dict(session.plan.scores) if session.plan else {}
    if session.is_draft:
        doc["resume"] = resume_command(session.id)
    return doc


def listing_document(listing: Listing) -> dict[str, Any]:
    return {
        "form": "list",
        "client": listing.client,
        "total": listing.total,
        "sessions": [_summary_doc(s) for s in listing.sessions],
        "unreadable": [_unreadable_doc(u) for u in listing.unreadable],
    }


def _diff_doc(diff: PlanDiff) -> dict[str, Any]:
    return {
        "triage": ({"before": diff.triage_before, "after": diff.triage_after}
                   if diff.triage_changed else None),
        "red_flags": {"added": [_flag_doc(f) for f in diff.flags_added],
                      "removed": [_flag_doc(f) for f in diff.flags_removed]},
        "recommendations": {
            "added": [_rec_doc(r) for r in diff.added],
            "removed": [_rec_doc(r) for r in diff.removed],
            "changed": [{"id": c.id, "fields": list(c.fields), "before": _rec_doc(c.before),
                         "after": _rec_doc(c.after)} for c in diff.changed],
            "reordered": diff.reordered,
        },
        "scores": [{"key": s.key, "before": s.before, "after": s.after} for s in diff.scores],
    }


def session_document(review: SessionReview) -> dict[str, Any]:
    session = review.session
    doc: dict[str, Any] = {"form": "session", "session": to_document(session)}
    if session.is_draft:
        doc["resume"] = resume_command(session.id)
        doc["recomputed"] = None
        doc["changes"] = None
        return doc
    doc["recomputed"] = plan_dict(review.plan) if review.plan else None
    doc["complete"] = review.complete
    doc["missing"] = [m.question for m in review.missing]
    doc["no_longer_fit"] = [{"question": i.question, "value": _answer_doc(i.value),
                             "reason": i.reason} for i in review.no_longer_fit]
    doc["questionnaires"] = [{"id": m.id, "change": m.change, "saved_version": m.saved_version,
                              "current_version": m.current_version}
                             for m in review.questionnaires]
    doc["changes"] = _diff_doc(review.diff) if review.diff else None
    doc["unchanged"] = review.unchanged
    return doc


def _change_doc(c: Change | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"since": c.since, "before": c.before, "after": c.after, "change": c.delta,
            "percent": c.percent, "label": c.label}


def history_document(history: History) -> dict[str, Any]:
    visits = []
    for v in history.visits:
        doc = _summary_doc(v.session)
        doc["red_flags"] = ([_flag_doc(f) for f in v.session.plan.red_flags]
                            if v.session.plan else [])
        doc["triage_change"] = ({"before": v.previous_triage, "after": v.triage}
                                if v.triage_changed else None)
        doc["new_red_flags"] = [_flag_doc(f) for f in v.new_flags]
        doc["cleared_red_flags"] = [_flag_doc(f) for f in v.cleared_flags]
        doc["changes"] = {c.key: {"value": c.value, "from_first": _change_doc(c.from_first),
                                  "from_previous": _change_doc(c.from_previous)}
                          for c in v.changes}
        visits.append(doc)
    return {
        "form": "client",
        "client": history.client,
        "sessions": visits,
        "unreadable": [_unreadable_doc(u) for u in history.unreadable],
    }

