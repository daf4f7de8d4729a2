"""The summary index's front door: many sessions at once for the commands. The `review`
listing, the latest visit of every client (`review --due`) and the sessions of `export
--all` / `--client`.

All of them come through the summary index (reader.py), which reads only the session files
that changed since it last looked, with the one reader and its checks, and keeps the rest;
so they cost what the rows shown cost, not what the whole folder holds. Imported at the
start of `review`: the index itself (sqlite3) is imported only when rows are asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ...frozen import frozen
from ..session import Brief, Session
from ..targets import existing_client
from ..tree import Unreadable

if TYPE_CHECKING:
    from .sync import Tree

DEFAULT_LIMIT = 20


@frozen
class Listing:
    """Newest first. `rows` holds readable sessions and unreadable files in their place."""

    rows: tuple[Session | Unreadable, ...]
    total: int  # sessions matching the filter, shown or not
    client: str | None
    skipped: tuple[Unreadable, ...] = ()  # entries of the tree not read (tree.scan)
    notes: tuple[str, ...] = ()

    @property
    def unreadable(self) -> tuple[Unreadable, ...]:
        return (*(r for r in self.rows if isinstance(r, Unreadable)), *self.skipped)

    @property
    def sessions(self) -> tuple[Session, ...]:
        return tuple(r for r in self.rows if isinstance(r, Session))


def list_sessions(*, client: str | None = None, limit: int = DEFAULT_LIMIT,
                  root: Path | None = None, refresh: bool = False) -> Listing:
    """The newest `limit` sessions (0: all), as summaries (no recommendations).

    An unreadable file takes its place in the window, so problems among the shown sessions
    are never hidden. `refresh` checks every file of the tree first (README, "Where your
    data lives"); the rows shown are checked against their files in any case.
    """
    from . import reader  # sqlite3: only when sessions are listed

    if client is not None:
        client = existing_client(client, root)
    found = reader.newest(root, client, limit, refresh=refresh)
    rows = cast(Iterator[Session | Unreadable], found.rows)
    return Listing(tuple(rows), found.total, client, found.tree.skipped, found.tree.notes)


@frozen
class Stream:
    """Sessions one at a time, as the index gives them, and what the tree holds besides:
    what a listing of 100,000 rows or a bulk export writes without holding them all."""

    total: int
    tree: Tree
    client: str | None
    rows: Iterator[Brief | Session | str | Unreadable]


def stream_sessions(*, client: str | None = None, limit: int = 0, root: Path | None = None,
                    refresh: bool = False) -> Stream:
    """The newest `limit` sessions (0: all) of everyone or of `client`, as Briefs (the
    listing piped)."""
    from . import reader  # sqlite3: only when sessions are listed

    if client is not None:
        client = existing_client(client, root)
    found = reader.newest(root, client, limit, refresh=refresh, what="brief")
    return Stream(found.total, found.tree, client, found.rows)


def refresh_index(root: Path | None = None) -> None:
    """Check every session file against the summary index (`review --refresh`)."""
    from . import reader  # sqlite3: only when sessions are listed

    reader.refresh(root)


def latest_completed(root: Path | None = None, *, refresh: bool = False
                     ) -> tuple[list[Session], tuple[Unreadable, ...]]:
    """Every client's newest completed session (by client, in any case), and what could not
    be read on the way."""
    from . import reader  # sqlite3: only when sessions are listed

    return reader.latest_completed(root, refresh=refresh)


def bulk_rows(root: Path | None = None, client: str | None = None, *,
              document: bool = False) -> Stream:
    """The sessions of `--all` (or of one client), oldest first, ties by client: Briefs (the
    CSV rows), or with `document` their JSON Lines records. Every file's stamp is checked
    first, so a file edited in place is exported as it is now."""
    from . import reader  # sqlite3: only when sessions are listed

    if client is not None:
        client = existing_client(client, root)
    found = reader.bulk(root, client, what="document" if document else "brief")
    return Stream(found.total, found.tree, client, found.rows)


# --------------------------------------------------------------------------- bulk loop


Report = Callable[[str, str], None]


@dataclass
class BulkResult:
    written: int = 0
    skipped: int = 0
