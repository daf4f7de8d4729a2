"""Exporters: finished sessions (with the plan they were saved with) in other formats.

Exporters never recompute a plan: what the practitioner saw and handed out is what is
exported. This package holds what the formats share: finding what to export (a session,
a client's history, every session), and writing the result safely.

Each format lives in its own module and is imported only when asked for, so that
`backpain export` pays for nothing it does not use.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from .clinical.model import Plan
from .errors import BackpainError, NotFoundError, SessionFileError
from .records.session import Session
from .records.storage import (
    Scan,
    SessionRef,
    Unreadable,
    atomic_fd,
    did_you_mean,
    find_client,
    find_ref,
    is_session_id,
    read_ref,
    scan,
    validate_client,
    write_bytes_atomic,
)


class OutputExistsError(BackpainError):
    """`-o PATH` names an existing file and `--force` was not given."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} already exists; add --force to replace it")


class SkippedSessionsError(BackpainError):
    """Raised after an export finished without some unreadable session files (exit 1).

    The export itself is complete for every other session; this only makes the exit code
    say that something is missing from it.
    """

    def __init__(self, count: int) -> None:
        self.count = count
        what = "session file could not be read and was" if count == 1 else (
            "session files could not be read and were")
        super().__init__(f"{count} {what} skipped (named above)")


def plan_of(session: Session) -> Plan:
    """The plan a handout shows. A draft has none yet: one clear error, not a traceback."""
    if session.is_draft or session.plan is None:
        raise BackpainError(
            f"session {session.id} is a draft (the interview was not finished), so it has no "
            f"plan yet; finish it with: backpain assess --resume {session.id}")
    return session.plan


# --------------------------------------------------------------------------- what to export


def _near(ref: str, root: Path | None) -> str:
    near = did_you_mean(ref, root)
    return f" (did you mean {near}?)" if near else ""


def resolve(text: str, root: Path | None = None) -> SessionRef | str:
    """A session (by id or unique prefix of one), or a client (its folder's name).

    An existing client's exact name wins over a session-id prefix: ids start with the
    year, so a numeric practice ID such as "2026" would otherwise never reach its client.
    A complete session id always means that session. Clients are found in any case.
    """
    if not is_session_id(text):
        client = find_client(text, root)
        if client is not None:
            return client
    try:
        return find_ref(text, root)
    except NotFoundError as exc:
        if "ambiguous" in str(exc):
            raise
    raise NotFoundError(f"no session or client named {text!r}{_near(text, root)}")


@dataclass(frozen=True)
class History:
    """A client's completed sessions, oldest first; the last one is the current plan."""

    client: str
    sessions: tuple[Session, ...]
    unreadable: tuple[Unreadable, ...] = field(default=())

    @property
    def latest(self) -> Session:
        return self.sessions[-1]


def client_history(client: str, root: Path | None = None) -> History:
    """Every completed session of `client`, oldest first. Drafts have no plan to show.

    Files that cannot be read, and entries of the folder that are not read, are in
    `unreadable`; `sessions` may then be empty (the caller reports them first).
    """
    tree = scan(root, client)
    sessions: list[Session] = []
    unreadable: list[Unreadable] = []
    for ref in sorted(tree.refs, key=lambda r: r.id):
        try:
            session = read_ref(ref)
        except SessionFileError as exc:
            unreadable.append(Unreadable.of(exc))
            continue
        if not session.is_draft and session.plan is not None:
            sessions.append(session)
    return History(client, tuple(sessions), (*unreadable, *tree.skipped))


def bulk_refs(root: Path | None = None, client: str | None = None) -> Scan:
    """The sessions of `--all` (or of one client), oldest first, ties by client, with
    the entries of the tree that are not read.

    Only names are listed here (cheap even for tens of thousands of files); each file is
    read when its turn comes, so memory stays flat however many sessions there are.
    """
    if client is not None:
        found = find_client(validate_client(client), root)
        if found is None:
            raise NotFoundError(f"no client named {client!r}{_near(client, root)}")
        client = found
    tree = scan(root, client)
    return replace(tree, refs=tuple(sorted(tree.refs, key=lambda r: (r.id, r.client))))


# --------------------------------------------------------------------------- writing


def write_text(path: Path, text: str, *, force: bool) -> None:
    """A whole export to `path`: atomic, 0600, never replacing a file without `force`."""
    write_bytes(path, text.encode("utf-8"), force=force)


def write_bytes(path: Path, data: bytes, *, force: bool) -> None:
    """`write_text` for a binary export (PDF)."""
    if not force and os.path.lexists(path):
        raise OutputExistsError(path)
    try:
        write_bytes_atomic(path, data, overwrite=force)
    except FileExistsError:
        # Created by someone else between the check above and the final link.
        raise OutputExistsError(path) from None


@contextlib.contextmanager
def streamed_output(path: Path, *, force: bool, newline: str | None = None) -> Iterator[TextIO]:
    """A text file that appears at `path` whole, or not at all.

    `write_text` needs the content in memory; a bulk export of many thousands of sessions
    is instead written as it goes, through the same atomic writer as session files.
    """
    if not force and os.path.lexists(path):
        raise OutputExistsError(path)
    try:
        with atomic_fd(path, overwrite=force) as fd, os.fdopen(
                fd, "w", encoding="utf-8", newline=newline, closefd=False) as out:
            yield out
    except FileExistsError:
        # Created by someone else since the check above.
        raise OutputExistsError(path) from None


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
