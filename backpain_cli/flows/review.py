"""`backpain review`: one re-scored session, one client's history, the clients due for a
check, and the listing as JSON.

The command names what it wants; this module finds it (records/targets.py, one rule for
SESSION|CLIENT), reads it (records/), hands it to the follow-up rules (clinical/followup.py)
and returns a finished result (results.py) for output/ to show. The listing on a terminal or
into a pipe is flows/listing.py, which does without the follow-up rules this module loads.

A file that cannot be read never stops a listing or a history: it is collected as an
`Unreadable` (path and reason) beside the sessions that could be read. Nothing here writes
a file, prints or imports rich/typer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

from ..clinical.followup import (
    HandoutShown,
    Note,
    SessionReview,
    build_history,
    due,
    rescore,
)
from ..clinical.questionnaire import load_registry
from ..errors import NotFoundError, UsageError
from ..records.addenda import NOTE, addenda_of
from ..records.index.listing import DEFAULT_LIMIT, latest_completed, list_sessions, refresh_index
from ..records.paths import questionnaires_dir
from ..records.session import Session
from ..records.targets import ClientTarget, load, load_client, resolve
from ..records.tree import SessionRef, Unreadable
from ..results import ClientHistory, DueList, ReviewResult


def client_history(target: ClientTarget, root: Path | None = None) -> ClientHistory:
    found = load_client(target.client, root)
    if not found.sessions and not found.unreadable:
        raise NotFoundError(f"client {found.client} has no sessions (run backpain review to "
                            "list sessions)")
    return ClientHistory(build_history(found.client, found.sessions), found.unreadable,
                         found.notes, target.note)


def review(target: str | None, *, client: str | None = None, limit: int = DEFAULT_LIMIT,
           root: Path | None = None, refresh: bool = False) -> ReviewResult:
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
    review = rescore(session, load_registry(questionnaires_dir(root)))
    return replace(review, notes=notes_of_session(found), handout=handout_of(session, found))


def handout_of(session: Session, ref: SessionRef) -> HandoutShown | None:
    """The client's handout of a completed visit as it would print: the kept choice, else
    the tool's picks (None for an emergency, whose handout is the referral alone)."""
    # The programme and the handout's choice: only for a visit that has a plan.
    from .handout import choice_of, has_choice, programme_of, saved_of

    if session.plan is None or not has_choice(session.plan):
        return None
    saved = saved_of(ref)
    choice = choice_of(session.plan, programme_of(session), saved)
    return HandoutShown(choice.picks, choice.dropped,
                        saved.client_note if saved is not None else None, saved is not None)


def notes_of_session(ref: SessionRef) -> tuple[Note, ...]:
    """The practitioner's notes of a session, oldest first (records/addenda.py). A note
    that cannot be read is shown as such rather than hidden."""
    found, bad = addenda_of(ref, NOTE)
    return (*(Note(a.created, a.text, a.id) for a in found),
            *(Note(dt.datetime.fromtimestamp(0, dt.UTC), f"(a note that cannot be read: "
                                                         f"{b.path}: {b.reason})")
              for b in bad))


def unreadable_of(result: ReviewResult) -> tuple[Unreadable, ...]:
    return () if isinstance(result, SessionReview) else result.unreadable


def notes_of(result: ReviewResult) -> tuple[str, ...]:
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


def parse_day(text: str, option: str = "--on") -> dt.date:
    """A date option's value (--on, report's --from and --to): YYYY-MM-DD only (a usage
    error otherwise)."""
    try:
        # fromisoformat alone would also take 20261201 and week dates like 2026-W49-1.
        if not _DAY_RE.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a date in the form YYYY-MM-DD") from None
