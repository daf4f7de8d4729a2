"""What this computer knows of its syncs (issue 23): `<data folder>/sync/state.sqlite3`.

Two things, neither of them health data:

- tombstones: the session ids `forget` erased here (when, by whom), and whether the server
  has been told; and those the server told this computer of. A tombstoned id is never
  pushed again by this computer.
- in step: the sessions and addenda known to be on the server with the same content (their
  sha256), so that a sync with nothing to do reads no file.

The second is a cache: losing it costs one sync that hashes the files again. The first is
kept in the data folder, beside the sessions it speaks of, so that it travels with them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import StorageError
from .atomic import DIR_MODE, FILE_MODE, describe, ensure_dir
from .paths import data_dir

if TYPE_CHECKING:
    import sqlite3

FOLDER = "sync"
NAME = "state.sqlite3"

_TABLES = """
CREATE TABLE IF NOT EXISTS tombstones (
    session_id TEXT PRIMARY KEY,
    forgotten_at TEXT NOT NULL,
    forgotten_by TEXT NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS in_step (
    session_id TEXT NOT NULL,
    addendum_id TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL,
    PRIMARY KEY (session_id, addendum_id)
) WITHOUT ROWID;
"""


def state_path(root: Path | None = None) -> Path:
    return (root or data_dir()) / FOLDER / NAME


@contextlib.contextmanager
def opened(root: Path | None = None, *, create: bool = True) -> Iterator[sqlite3.Connection]:
    """The state database (made 0600 in a 0700 folder); each `with` a transaction."""
    import sqlite3  # only for the commands that sync or forget on a computer that syncs
    base = root or data_dir()
    path = state_path(base)
    if not create and not path.exists():
        conn = sqlite3.connect(":memory:")
    else:
        try:
            ensure_dir(path.parent, base)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
            os.fchmod(fd, FILE_MODE)
            os.close(fd)
            os.chmod(path.parent, DIR_MODE)
            conn = sqlite3.connect(path, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            if isinstance(exc, OSError):
                raise StorageError(describe(exc, path)) from None
            raise StorageError(f"{path}: {exc}") from None
    try:
        conn.executescript(_TABLES)
        yield conn
        conn.commit()
    except sqlite3.Error as exc:
        raise StorageError(f"{path}: the sync state cannot be used ({exc})") from None
    finally:
        conn.close()


def add_tombstones(session_ids: Iterable[str], by: str, *, root: Path | None = None,
                   sent: bool = False, when: dt.datetime | None = None) -> None:
    """Record that these sessions were erased (by `forget` here, or told by the server)."""
    moment = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat()
    with opened(root) as conn:
        conn.executemany(
            "INSERT INTO tombstones (session_id, forgotten_at, forgotten_by, sent) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET "
            "sent = max(sent, excluded.sent)",
            [(sid, moment, by, int(sent)) for sid in session_ids])
        conn.execute("DELETE FROM in_step WHERE session_id IN "
                     "(SELECT session_id FROM tombstones)")


def tombstones(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT session_id FROM tombstones")}


def unsent(conn: sqlite3.Connection) -> list[tuple[str, dt.datetime]]:
    return [(sid, dt.datetime.fromisoformat(when)) for sid, when in conn.execute(
        "SELECT session_id, forgotten_at FROM tombstones WHERE sent = 0 ORDER BY session_id")]


def mark_sent(conn: sqlite3.Connection, session_ids: Iterable[str]) -> None:
    conn.executemany("UPDATE tombstones SET sent = 1 WHERE session_id = ?",
                     [(sid,) for sid in session_ids])


def in_step(conn: sqlite3.Connection) -> tuple[set[str], set[tuple[str, str]]]:
    """The sessions, and the addenda, known to be on the server with this content."""
    sessions: set[str] = set()
    addenda: set[tuple[str, str]] = set()
    for s, a in conn.execute("SELECT session_id, addendum_id FROM in_step"):
        if a:
            addenda.add((s, a))
        else:
            sessions.add(s)
    return sessions, addenda


def mark_in_step(conn: sqlite3.Connection,
                 rows: Iterable[tuple[str, str | None, str]]) -> None:
    conn.executemany("INSERT OR REPLACE INTO in_step VALUES (?, ?, ?)",
                     [(s, a or "", h) for s, a, h in rows])


def waiting(root: Path | None = None) -> int | None:
    """How many session files this computer holds that are not known to be on the server
    (drafts included), from local state alone; None when this computer never synced."""
    # The tree scanner: only `db status` and `review` count what waits to be sent.
    from .tree import scan

    if not state_path(root).exists():
        return None
    with opened(root, create=False) as conn:
        known = in_step(conn)[0] | tombstones(conn)
    return sum(1 for ref in scan(root).refs if ref.id not in known)
