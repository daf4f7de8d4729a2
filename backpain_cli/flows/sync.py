"""`backpain sync [--dry-run]` and `backpain db init|upgrade|status` (issue 23).

`sync` brings this computer's data folder and the practice's database in step, in an order
that loses nothing wherever it is interrupted, and that two computers can run at once:

1. the erasures made here (`forget`'s tombstones) are sent; the server deletes those rows;
2. the erasures the server holds are applied here (files and index rows, as `forget`);
3. the completed sessions and their addenda the server lacks are pushed (drafts stay);
4. the sessions and addenda the server has and this computer lacks are pulled.

A session id has one content: one that differs between here and the server is a conflict,
reported with both places, and neither copy is changed. Each step is idempotent (a row
already on the server, a file already here, a tombstone already sent are each found and
left), so the next sync completes whatever an interrupted one began.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BackpainError, StorageError
from ..frozen import frozen
from ..records import replica, server, settings, sync_state
from ..records.paths import data_dir, sessions_dir
from ..records.tree import SessionRef
from .notices import Notices

if TYPE_CHECKING:
    import psycopg

class NoDatabaseError(BackpainError):
    def __init__(self) -> None:
        super().__init__("no database is set: backpain config set database_url "
                         "postgresql://USER@HOST/DBNAME (the password goes in ~/.pgpass)")


@frozen
class Conflict:
    """One id with two contents: this computer's file and the server's row."""

    what: str  # "session 2026..." or "addendum 2026...+2026..."
    here: Path
    there: str  # the database, who pushed it and when


@dataclass
class Synced:
    """What a sync did (or, with `dry_run`, would do)."""

    database: str
    practice: str
    dry_run: bool = False
    sent_tombstones: int = 0
    erased_here: list[str] = field(default_factory=list)
    pushed: int = 0
    pushed_addenda: int = 0
    pulled: int = 0
    pulled_addenda: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # ids the server did not take


def database_url() -> str:
    url = settings.load().get("database_url")
    if url is None:
        raise NoDatabaseError
    return url


def forgetter() -> str:
    """Who erases, for a tombstone: the practitioner setting, else the login name."""
    name = settings.load().get("practitioner")
    if name:
        return name
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def record_forgotten(session_ids: Sequence[str], root: Path | None = None) -> None:
    """`forget` on a computer that syncs: the tombstone its next sync sends (before the
    files go, so that an interrupted erasure is still sent and finished by sync)."""
    if session_ids and settings.load().get("database_url") is not None:
        sync_state.add_tombstones(session_ids, forgetter(), root=root)


def sync(*, dry_run: bool, notices: Notices, root: Path | None = None) -> Synced:
    base = root or data_dir()
    with server.connect(database_url()) as conn:
        practice = server.my_practice(conn)
        done = Synced(server.where(conn), practice, dry_run)
        with sync_state.opened(base, create=not dry_run) as state:
            _send_tombstones(conn, state, practice, done)
            held = server.holding(conn)
            forgotten = held.tombstones | sync_state.tombstones(state)
            local = replica.local_files(base)
            _erase_here(base, state, local, held.tombstones, forgotten, done, notices)
            if not done.dry_run:
                state.commit()
            local = replica.local_files(base) if done.erased_here else local
            known = sync_state.in_step(state)
            _check_shared(conn, state, local, held, known, done)
            _push(conn, state, base, local, held, forgotten, done, notices)
            _pull(conn, state, base, local, held, forgotten, done, notices)
    return done


def _send_tombstones(conn: psycopg.Connection[Any], state: Any, practice: str,
                     done: Synced) -> None:
    unsent = sync_state.unsent(state)
    done.sent_tombstones = len(unsent)
    if unsent and not done.dry_run:
        server.send_tombstones(conn, practice, unsent)
        sync_state.mark_sent(state, [sid for sid, _ in unsent])
        state.commit()


def _erase_here(base: Path, state: Any, local: replica.Local, told: frozenset[str],
                forgotten: set[str] | frozenset[str], done: Synced, notices: Notices) -> None:
    """Sessions forgotten on any computer are erased here too, with their addenda."""
    # Only when another computer's tombstone erases a client here.
    from ..records import erasure

    for sid in sorted(sid for sid in forgotten if sid in local.sessions):
        done.erased_here.append(sid)
        if done.dry_run:
            continue
        try:
            erased = erasure.erase(erasure.plan_session(local.ref(sid), base))
        except BackpainError as exc:
            notices.warning(f"session {sid} was forgotten on another computer but cannot be "
                            f"erased here: {exc}")
            continue
        for left in erased.left:
            notices.unreadable(left)
    new = sorted(told - sync_state.tombstones(state))
    if new and not done.dry_run:
        sync_state.add_tombstones(new, "the database", root=base, sent=True)


def _describe(conn: psycopg.Connection[Any], stored: server.Stored | None) -> str:
    if stored is None:
        return f"the database {server.where(conn)}"
    return (f"the database {server.where(conn)}, pushed by {stored.pushed_by} at "
            f"{stored.pushed_at:%Y-%m-%d %H:%M UTC}")


def _check_shared(conn: psycopg.Connection[Any], state: Any, local: replica.Local,
                  held: server.Holding, known: tuple[set[str], set[tuple[str, str]]],
                  done: Synced) -> None:
    """Ids both here and on the server that were never compared: their hashes must match.
    (A row is never changed, so one found in step once stays so.)"""
    agreed: list[tuple[str, str | None, str]] = []
    differ: list[tuple[str, str | None, Path]] = []
    unsure = [sid for sid in local.sessions if sid in held.sessions and sid not in known[0]]
    for sid, there in server.session_hashes(conn, unsure).items():
        path = local.ref(sid).path
        data = replica.content(path)
        if data is not None and replica.sha256(data) == there:
            agreed.append((sid, None, there))
        elif data is not None:
            differ.append((sid, None, path))
    unsure_addenda = [key for key in local.addenda
                      if key in held.addenda and key not in known[1]]
    for (sid, aid), there in server.addendum_hashes(conn, unsure_addenda).items():
        path = local.addendum_path((sid, aid))
        data = replica.content(path)
        if data is not None and replica.sha256(data) == there:
            agreed.append((sid, aid, there))
        elif data is not None:
            differ.append((sid, aid, path))
    if agreed and not done.dry_run:
        sync_state.mark_in_step(state, agreed)
    if differ:
        stored = server.stored_sessions(conn, [s for s, _, _ in differ])
        for one, other, where in differ:
            what = f"session {one}" if other is None else f"addendum {one}+{other}"
            done.conflicts.append(Conflict(what, where, _describe(
                conn, stored.get(one) if other is None else None)))


def _push(conn: psycopg.Connection[Any], state: Any, base: Path, local: replica.Local,
          held: server.Holding, forgotten: set[str] | frozenset[str], done: Synced,
          notices: Notices) -> None:
    """The completed sessions the server lacks, then the addenda it lacks of sessions it
    has or now gets. Drafts stay: a session is sent when its status line says completed
    (`replica.status_of`), from the bytes read to send it."""
    missing = sorted(sid for sid in local.sessions
                     if sid not in held.sessions and sid not in forgotten)
    ready: set[str] = set()

    def completed(sid: str) -> bytes | None:
        path = local.ref(sid).path
        data = replica.content(path)
        status = None if data is None else replica.status_of(data)
        if status is None:
            notices.warning(f"{path}: not sent: not a session file whose status backpain "
                            "can tell (it is read as backpain writes it)")
        return data if status == "completed" else None

    def addenda() -> list[tuple[str, str]]:
        return sorted(key for key in local.addenda
                      if key not in held.addenda and key[0] not in forgotten
                      and (key[0] in held.sessions or key[0] in ready))

    if done.dry_run:
        ready.update(sid for sid in missing if completed(sid) is not None)
        done.pushed = len(ready)
        done.pushed_addenda = len(addenda())
        return

    def outgoing() -> Iterator[server.Outgoing]:
        for sid in missing:
            data = completed(sid)
            if data is not None:
                ready.add(sid)
                yield server.Outgoing(sid, None, data, replica.sha256(data),
                                      replica.created_of(sid))
        for key in addenda():
            data = replica.content(local.addendum_path(key))
            if data is not None:
                yield server.Outgoing(key[0], key[1], data, replica.sha256(data))

    for batch, same in server.push(conn, done.practice, outgoing()):
        sync_state.mark_in_step(state, [(r.session, r.addendum, r.sha256) for r in batch
                                        if (r.session, r.addendum) in same])
        state.commit()
        done.pushed += sum(1 for r in batch if r.addendum is None
                           and (r.session, None) in same)
        done.pushed_addenda += sum(1 for r in batch if r.addendum is not None
                                   and (r.session, r.addendum) in same)
        _not_taken(conn, [r for r in batch if (r.session, r.addendum) not in same],
                   local, done, notices)


def _not_taken(conn: psycopg.Connection[Any], rows: list[server.Sent],
               local: replica.Local, done: Synced, notices: Notices) -> None:
    """Rows the server did not store as sent: a conflict (another computer pushed that id
    with other content meanwhile), or refused (forgotten meanwhile, another practice's)."""
    if not rows:
        return
    stored = server.stored_sessions(conn, [r.session for r in rows])
    for r in rows:
        if r.addendum is None and r.session in stored:
            done.conflicts.append(Conflict(f"session {r.session}", local.ref(r.session).path,
                                           _describe(conn, stored[r.session])))
        elif r.addendum is not None and r.session in stored:
            done.conflicts.append(Conflict(f"addendum {r.session}+{r.addendum}",
                                           local.addendum_path((r.session, r.addendum)),
                                           _describe(conn, None)))
        else:
            done.refused.append(r.session)
            notices.warning(f"session {r.session} was not stored by the database (forgotten "
                            "on another computer meanwhile, or an id it keeps for another "
                            "practice); the next sync says which")


def _pull(conn: psycopg.Connection[Any], state: Any, base: Path, local: replica.Local,
          held: server.Holding, forgotten: set[str] | frozenset[str], done: Synced,
          notices: Notices) -> None:
    wanted = sorted(sid for sid in held.sessions
                    if sid not in local.sessions and sid not in forgotten)
    if done.dry_run:
        done.pulled = len(wanted)
        done.pulled_addenda = sum(1 for key in held.addenda
                                  if key not in local.addenda and key[0] not in forgotten)
        return
    pulled: dict[str, str] = {}  # id -> its client folder
    for sid, data in server.pull_sessions(conn, wanted):
        try:
            written = replica.write_session(data, sid, base)
        except StorageError as exc:
            notices.warning(str(exc))
            continue
        if written.same:
            sync_state.mark_in_step(state, [(sid, None, replica.sha256(data))])
            pulled[sid] = written.path.parent.name
            done.pulled += 1
        else:
            done.conflicts.append(Conflict(f"session {sid}", written.path,
                                           _describe(conn, None)))
    state.commit()
    keys = sorted(key for key in held.addenda
                  if key not in local.addenda and key[0] not in forgotten
                  and (key[0] in local.sessions or key[0] in pulled))
    for sid, aid, data in server.pull_addenda(conn, keys):
        ref = (SessionRef(sid, pulled[sid], sessions_dir(base) / pulled[sid] / f"{sid}.toml")
               if sid in pulled else local.ref(sid))
        written = replica.write_addendum(data, ref, aid)
        if written.same:
            sync_state.mark_in_step(state, [(sid, aid, replica.sha256(data))])
            done.pulled_addenda += 1
        else:
            done.conflicts.append(Conflict(f"addendum {sid}+{aid}", written.path,
                                           _describe(conn, None)))
    state.commit()


# --------------------------------------------------------------------------- db


@frozen
class DbStatus:
    database: str
    version: int | None
    latest: int
    practices: tuple[str, ...]
    practice: str | None  # the connected login role's, when it has exactly one
    sessions: int
    addenda: int
    tombstones: int
    waiting: int | None  # session files here not yet known to be on the server


def db_init(roles: Sequence[str]) -> tuple[str, list[int], list[str]]:
    """Create (or bring up to date) the schema and register practices."""
    with server.connect(database_url()) as conn:
        ran = server.upgrade(conn)
        added = server.register(conn, roles)
        return server.where(conn), ran, added


def db_upgrade() -> tuple[str, int | None, list[int]]:
    with server.connect(database_url()) as conn:
        before = server.version(conn)
        if before is None:
            raise server.DatabaseError(f"the database {server.where(conn)} holds no backpain "
                                       "schema yet: run backpain db init --practice ROLE")
        return server.where(conn), before, server.upgrade(conn)


def db_status(root: Path | None = None) -> DbStatus:
    with server.connect(database_url()) as conn:
        where = server.where(conn)
        exists, usable = server.has_schema(conn)
        if exists and not usable:
            server.my_practice(conn)  # the one line of a role in no registered practice
        current = server.version(conn)
        if current is None:
            return DbStatus(where, None, server.LATEST, (), None, 0, 0, 0,
                            sync_state.waiting(root))
        mine = [str(r[0]) for r in conn.execute("SELECT backpain.my_practices()")] \
            if _may_ask(conn) else []
        registered = tuple(server.practices(conn)) if _is_admin(conn) else tuple(mine)
        sessions, addenda, tombstones = server.counts(conn)
        return DbStatus(where, current, server.LATEST, registered,
                        mine[0] if len(mine) == 1 else None, sessions, addenda, tombstones,
                        sync_state.waiting(root))


def _is_admin(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT has_table_privilege('backpain.practices', 'SELECT')").fetchone()
    return bool(row and row[0])


def _may_ask(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT has_function_privilege('backpain.my_practices()', "
                       "'EXECUTE')").fetchone()
    return bool(row and row[0])
