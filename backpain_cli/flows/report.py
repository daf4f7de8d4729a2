"""`backpain report`: how the practice's clients do, from the summary index.

Reads every session's brief once (records/index: the rows of `export --all --format csv`,
no session file parsed), groups them into episodes and computes the figures
(clinical/outcomes.py). The clients due now are those `review --due` lists, by its own rule
(clinical/followup.due) applied to each client's latest completed visit as the briefs give
it, which spares the report the summaries `review --due` builds.
"""

from __future__ import annotations

import datetime as dt
import gc
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from ..clinical.followup import OUTCOME_KEYS, due
from ..clinical.model import Plan, ScoreValue
from ..clinical.outcomes import BY, DueNow, OutcomeReport, episodes, report
from ..errors import NotFoundError, UsageError
from ..frozen import frozen
from ..records.index.listing import bulk_rows
from ..records.session import Brief, Session
from ..records.tree import Unreadable
from .notices import Notices
from .review import parse_day


@frozen
class ReportResult:
    report: OutcomeReport[Seen]
    skipped: int  # session files that could not be read (named through the notices)


def outcome_report(first: str | None, last: str | None, by: str | None, notices: Notices,
                   *, root: Path | None = None, today: dt.date | None = None
                   ) -> ReportResult:
    """The report of the episodes started from `first` to `last` (YYYY-MM-DD; by default
    from the earliest to today), with the strata `by` names (default: risk and duration)."""
    today = today or dt.date.today()
    start = None if first is None else parse_day(first, "--from")
    end = today if last is None else parse_day(last, "--to")
    if start is not None and start > end:
        raise UsageError(f"--from {start.isoformat()} is after --to {end.isoformat()}")
    if by is not None and by not in BY:
        raise UsageError(f"--by: {by!r} is not one of {', '.join(BY)}")
    with _no_cycle_collection():
        return _report(start, end, by, notices, root, today)


def _report(start: dt.date | None, end: dt.date, by: str | None, notices: Notices,
            root: Path | None, today: dt.date) -> ReportResult:
    found = bulk_rows(root)
    for note in found.tree.notes:
        notices.warning(note)
    skipped = len(found.tree.skipped)
    for bad in found.tree.skipped:
        notices.unreadable(bad)
    seen: list[Seen] = []
    latest: dict[str, Brief] = {}  # each client's latest completed visit, for due_now
    for value in found.rows:
        if isinstance(value, Unreadable):
            notices.unreadable(value)
            skipped += 1
        elif isinstance(value, Brief) and value.status == "completed":
            seen.append(_seen(value))
            if value.triage is not None:
                latest[value.client.casefold()] = _for_due(value)
    result = report(episodes(seen), start, end, ("risk", "duration") if by is None
                    else (by,), due_now(latest.values(), today))
    if not result.started:
        window = (f"from {start.isoformat()} " if start is not None else "") + \
            f"to {end.isoformat()}"
        apart = (f" ({result.set_apart_total} set apart: under 16 or pregnancy)"
                 if result.set_apart_total else "")
        raise NotFoundError(f"no episode of care started {window}{apart}: nothing to "
                            "report")
    return ReportResult(result, skipped)


class Seen(NamedTuple):
    """What the report keeps of a completed session (clinical.outcomes.Visit): its brief
    without what no figure reads, its repeated words shared, so that 100,000 of them
    take a third of the room."""

    id: str
    client: str
    created: dt.datetime
    status: str
    follows: str | None
    triage: str | None
    scores: Mapping[str, ScoreValue]
    pain_duration: str | None
    practitioner: str | None
    age: int | None
    pregnancy: str | None


_KEPT = (*OUTCOME_KEYS, "startback_risk")


def _shared(text: str | None) -> str | None:
    return None if text is None else sys.intern(text)


def _seen(b: Brief) -> Seen:
    scores = b.scores
    kept = {k: scores[k] for k in _KEPT if k in scores}
    risk = kept.get("startback_risk")
    if isinstance(risk, str):
        kept["startback_risk"] = sys.intern(risk)
    return Seen(b.id, sys.intern(b.client), b.created, "completed", b.follows,
                _shared(b.triage), kept, _shared(b.pain_duration), _shared(b.practitioner),
                b.age, _shared(b.pregnancy))


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    # Every brief and episode made is kept to the end, and none is in a cycle: the cyclic
    # collector would walk 100,000 of them again and again for nothing (a quarter of the
    # report's time at that size).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def due_now(latest: Iterable[Brief], today: dt.date) -> DueNow:
    """How many clients `review --due` lists today, and how many of them are overdue:
    `latest`, each client's (in any case) latest completed visit with a plan, judged by
    followup.due."""
    found = [d for d in (due(_as_session(b), today) for b in latest) if d is not None]
    return DueNow(len(found), sum(d.days_overdue > 0 for d in found))


_NO_SCORES: Mapping[str, ScoreValue] = MappingProxyType({})


def _for_due(b: Brief) -> Brief:
    """`b` without its scores, signs and instruments, which followup.due does not read
    (`_as_session`): 20,000 clients' latest briefs with them took about 20 MB at 100,000."""
    return b._replace(red_flags=(), scores=_NO_SCORES, instruments=())


def _as_session(b: Brief) -> Session:
    # What followup.due reads of a visit: its day, triage, interval and pain duration.
    answers = {} if b.pain_duration is None else {"pain_duration": b.pain_duration}
    return Session(b.id, b.client, b.created, b.status, answers, (),
                   plan=Plan(b.scores, b.triage or "none", (), (),
                             reassess_weeks=b.reassess_weeks),
                   follows=b.follows)
