"""The work of `backpain review`, between the command line and the output.

The command names what it wants; this module finds it (records/targets.py, one rule for
SESSION|CLIENT), reads it (records/), hands it to the follow-up rules (clinical/followup.py)
and returns a finished result for output/ to show: the listing, one re-scored session, one
client's history, or the clients due for a check.

A file that cannot be read never stops a listing or a history: it is collected as an
`Unreadable` (path and reason) beside the sessions that could be read. Nothing here writes
a file, prints or imports rich/typer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from .clinical.followup import Due, History, SessionReview, build_history, due, rescore
from .errors import NotFoundError, UsageError
from .records.index.listing import (
    DEFAULT_LIMIT,
    Listing,
    latest_completed,
    list_sessions,
    refresh_index,
)
from .records.session import Session
from .records.targets import ClientTarget, load, load_client, resolve
from .records.tree import Unreadable


@dataclass(frozen=True)
class ClientHistory:
    """`review CLIENT`: the history, and what was not read or is odd on the way."""

    history: History[Session]
    unreadable: tuple[Unreadable, ...] = ()
    notes: tuple[str, ...] = ()  # odd but read (tree.scan), shown as warnings
    # How else the argument could have been meant (records.targets.resolve).
    note: str | None = None

    @property
    def client(self) -> str:
        return self.history.client


@dataclass(frozen=True)
class DueList:
    """Most overdue first. `on` is the day asked about (today unless --on)."""

    on: dt.date
    rows: tuple[Due[Session], ...]
    unreadable: tuple[Unreadable, ...]


Result = Listing | SessionReview[Session] | ClientHistory


def client_history(target: ClientTarget, root: Path | None = None) -> ClientHistory:
    found = load_client(target.client, root)
    if not found.sessions and not found.unreadable:
        raise NotFoundError(f"client {found.client} has no sessions (run backpain review to "
                            "list sessions)")
    return ClientHistory(build_history(found.client, found.sessions), found.unreadable,
                         found.notes, target.note)


def review(target: str | None, *, client: str | None = None, limit: int = DEFAULT_LIMIT,
           root: Path | None = None, refresh: bool = False) -> Result:
    """The form the arguments ask for: listing, one session, or one client's history.

    `refresh`: the summary index checks every session file first (records/index/); one
    session or one client is read from its files in any case.
    """
    if target is None:
        return list_sessions(client=client, limit=limit, root=root, refresh=refresh)
    if refresh:
        refresh_index(root)
    found = resolve(target, root)
    if isinstance(found, ClientTarget):
        return client_history(found, root)
    session = load(found)
    if session.is_draft:
        # Nothing to recompute: today's questionnaires are not even read.
        return SessionReview(session)
    from .clinical.questionnaire import load_registry
    from .records.paths import questionnaires_dir

    return rescore(session, load_registry(questionnaires_dir(root)))


def unreadable_of(result: Result) -> tuple[Unreadable, ...]:
    return () if isinstance(result, SessionReview) else result.unreadable


def notes_of(result: Result) -> tuple[str, ...]:
    return () if isinstance(result, SessionReview) else result.notes


def due_list(on: dt.date | None = None, *, root: Path | None = None,
             refresh: bool = False) -> DueList:
    """The clients whose latest completed session is due for its check on `on` (today)."""
    day = on or dt.date.today()
    latest, unreadable = latest_completed(root, refresh=refresh)
    rows = [d for d in (due(s, day) for s in latest) if d is not None]
    rows.sort(key=lambda d: (-d.days_overdue, d.session.client))
    return DueList(day, tuple(rows), unreadable)


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
