"""Many sessions at once: the `review` listing, the latest visit of every client (`review
--due`) and the sessions of `export --all` / `--client`.

Moved here as they were from review.py and exports.py (issue 12); how the summaries are found
and read is the summary index's business (records/index.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import SessionFileError
from .session import Session
from .storage import Scan, SessionRef, Unreadable, read_ref, scan
from .summary import read_summary
from .targets import existing_client

DEFAULT_LIMIT = 20


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
        client = existing_client(client, root)
    tree = scan(root, client)
    refs = sorted(tree.refs, key=lambda r: r.id, reverse=True)
    shown = refs if limit == 0 else refs[:limit]
    rows: list[Session | Unreadable] = []
    for ref in shown:
        try:
            # A row needs no answers or advice texts: with --limit 0 over thousands of
            # files the summary reader is several times faster than a full parse.
            rows.append(read_ref(ref, read_summary))
        except SessionFileError as exc:
            rows.append(Unreadable.of(exc))
    return Listing(tuple(rows), len(refs), client, tree.skipped, tree.notes)


def _latest_completed(refs: Sequence[SessionRef],
                      unreadable: list[Unreadable]) -> Session | None:
    """The newest completed session among `refs` (newest first); drafts are passed over.

    An unreadable file is reported and passed over too: it might have been the latest
    visit, but showing an older visit as due is safer than hiding the client.
    """
    for ref in refs:
        try:
            session = read_ref(ref, read_summary)
        except SessionFileError as exc:
            unreadable.append(Unreadable.of(exc))
            continue
        if not session.is_draft and session.plan is not None:
            return session
    return None


def latest_completed(root: Path | None = None
                     ) -> tuple[list[Session], tuple[Unreadable, ...]]:
    """Every client's newest completed session (by client, in any case), and what could not
    be read on the way."""
    tree = scan(root)
    by_client: dict[str, list[SessionRef]] = {}
    for ref in tree.refs:
        # Folders differing only in case are one client (storage.scan notes them).
        by_client.setdefault(ref.client.lower(), []).append(ref)
    unreadable: list[Unreadable] = list(tree.skipped)
    latest: list[Session] = []
    for client in sorted(by_client):
        refs = sorted(by_client[client], key=lambda r: r.id, reverse=True)
        session = _latest_completed(refs, unreadable)
        if session is not None:
            latest.append(session)
    return latest, tuple(unreadable)


def bulk_refs(root: Path | None = None, client: str | None = None) -> Scan:
    """The sessions of `--all` (or of one client), oldest first, ties by client, with
    the entries of the tree that are not read.

    Only names are listed here (cheap even for tens of thousands of files); each file is
    read when its turn comes, so memory stays flat however many sessions there are.
    """
    if client is not None:
        client = existing_client(client, root)
    tree = scan(root, client)
    return replace(tree, refs=tuple(sorted(tree.refs, key=lambda r: (r.id, r.client))))


# --------------------------------------------------------------------------- bulk loop


Report = Callable[[str, str], None]


@dataclass
class BulkResult:
    written: int = 0
    skipped: int = 0


def read_or_report(ref: SessionRef, reader: Callable[[Path], Session], report: Report,
                   result: BulkResult) -> Session | None:
    """One session of a bulk export, or None (reported) when its file cannot be read."""
    try:
        session = read_ref(ref, reader)
    except SessionFileError as exc:
        report(exc.path, exc.reason)
        result.skipped += 1
        return None
    result.written += 1
    return session
