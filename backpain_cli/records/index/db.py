"""The summary index's file: where it lives, its tables, its rows, and what a broken one gets.

A SQLite file in the user cache folder (``$BACKPAIN_CACHE`` when set), one per data folder,
named by a hash of the data folder's resolved path, so that it is never on a shared network
folder with the data and two data folders never share one. It is a cache of what the one
reader (storage.read_session and its checks) made of each session file, keyed by the file's
path and stamp (size, modification and change time, inode), so nothing in it is ever judged
differently from the file itself; sync.py keeps it in step with the files, codec.py says what
a row holds.

Health data: the file is 0600 in a 0700 folder, SQLite gives its rollback journal the file's
mode, and deleted rows are overwritten (secure_delete), so that erasing a client's sessions
(`forget`) leaves nothing of them in the cache; nothing but rows of session files holds
anything of a client (the compression dictionary is made up, `Store.dictionary`). The index of a
data folder that no longer exists (moved, deleted) is removed (`prune`). Every problem with
the file -- not a database, a row that fails its checksum, another version's layout, locked
for longer than `TIMEOUT`, a disk error -- is an `IndexProblem`; the reader (reader.py) then
rebuilds it or reads the files.

Imported only by the commands that list or save sessions: `sqlite3` costs start-up time.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ... import __version__
from ...safe_text import valid_text
from ..atomic import FILE_MODE, ensure_dir
from ..session import Session
from .codec import (
    Body,
    Entry,
    IndexProblem,
    Stamp,
    checksum,
    made_up_document,
    summary_session,
)
from .order import ORDER_COLUMNS, Key, sql_after, sql_order

# Changed whenever the tables or the form of the parsed documents change: a file of another
# layout is reset (built again from the files). A change of the rules that judge files (the
# code stamp, `_code_stamp`) keeps the rows: their parsed documents are judged again.
# 3: rows in visit order (column `at`); the dictionary no longer the first session stored.
# 4: what the TOML parser made of each file, with its answers and JSON document in one compressed
# body (table bodies), and what its row says (`judged`).
# 5: a body in two parts, its parsed document (`tail`) after a flush point.
# (A plan's consistency checks, clinical content version 3, joined the summary form: a
# change of the judging code, codec.py, so the stored rows are judged again, not reset.)
SCHEMA = 5
# How long a command waits for another one's write before it reads the files instead.
TIMEOUT = 5.0
# The modules whose rules decide what a file's row says: a change to any of them (an upgrade,
# an edit in a development checkout) has every stored parsed document judged again.
_JUDGES = ("records/session.py", "records/storage.py", "records/paths.py", "records/tree.py",
           "records/practice.py", "records/index/codec.py", "records/index/db.py",
           "records/index/sync.py", "files.py", "clinical/questionnaire.py",
           "clinical/model.py", "clinical/scoring.py", "clinical/triage.py",
           "clinical/intake.py")
_PACKAGE = Path(__file__).resolve().parent.parent.parent
# Meta key: the code stamp whose rules judged every row ("" while they are judged again).
JUDGED = "judged"


class Stored(NamedTuple):
    """What a sync compares of a stored entry: its stamp and when it was taken, whether it is
    a session file's row, the reason an entry is not read, and for judging a row again
    (Store.stamps with `parsed`) its judgement and, when it holds a parsed document, its
    body."""

    stamp: Stamp | None
    checked_ns: int
    session: bool
    reason: str | None
    judged: int | None = None
    body: Body | None = None


# --------------------------------------------------------------------------- where it lives


def cache_dir() -> Path:
    """`$BACKPAIN_CACHE` when set, else the platform's user cache folder for backpain."""
    override = os.environ.get("BACKPAIN_CACHE")
    if override:
        return Path(override).expanduser()
    import platformdirs  # only when the cache is used, and not overridden

    return platformdirs.user_cache_path("backpain", appauthor=False)


def index_path(root: Path) -> Path:
    """The index file of the data folder `root` (which need not exist yet).

    Named by two checksums of the resolved path: hashlib would load OpenSSL for a name,
    and the file records its data folder anyway (meta "root"), so one that two folders
    came to share would be reset, never read as the other's.
    """
    path = os.fsencode(str(root.expanduser().resolve()))
    return cache_dir() / f"index-{zlib.crc32(path):08x}{zlib.adler32(path):08x}.sqlite3"


def _resolved(root: Path) -> str:
    """The data folder's path as the index records it: text SQLite can hold (a path that is
    not UTF-8 is shown with \\xNN, as safe_text.valid_text shows it)."""
    return valid_text(str(root.expanduser().resolve()))


def _code_stamp() -> str:
    parts = [__version__, str(SCHEMA)]
    for name in _JUDGES:
        try:
            info = os.stat(_PACKAGE / name)
        except OSError:
            parts.append(f"{name}:?")
            continue
        parts.append(f"{name}:{info.st_size}:{info.st_mtime_ns}")
    return "|".join(parts)



# --------------------------------------------------------------------------- the file

# Session rows are read in the listing order (order.py: by `at`, the session's second, then
# id and folder, through sessions_by_time; the reader puts the sessions of one second in their
# follow-up order), so a CSV export of 100,000 reads them front to back; the summaries (for
# listings of a few rows) and the bodies (answers, JSON Lines documents, parsed documents) in
# tables of their own.
_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE folders (
    name TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, ino INTEGER,
    checked_ns INTEGER NOT NULL, sessions INTEGER NOT NULL);
CREATE TABLE sessions (
    id TEXT NOT NULL, folder TEXT NOT NULL,
    size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, ino INTEGER, checked_ns INTEGER NOT NULL,
    reason TEXT, brief TEXT, crc INTEGER NOT NULL, at INTEGER NOT NULL, judged INTEGER,
    PRIMARY KEY (id, folder)) WITHOUT ROWID;
-- What a sync compares, folder by folder, read from the index alone.
CREATE INDEX sessions_by_folder
    ON sessions (folder, id, size, mtime_ns, ctime_ns, ino, checked_ns);
CREATE INDEX sessions_by_time ON sessions (""" + ", ".join(ORDER_COLUMNS) + """);
CREATE INDEX sessions_by_client ON sessions (folder COLLATE NOCASE, at, id);
CREATE TABLE others (
    folder TEXT NOT NULL, name TEXT NOT NULL, reason TEXT NOT NULL,
    PRIMARY KEY (folder, name)) WITHOUT ROWID;
CREATE TABLE summaries (
    id TEXT NOT NULL, folder TEXT NOT NULL, summary TEXT NOT NULL, crc INTEGER NOT NULL,
    PRIMARY KEY (id, folder)) WITHOUT ROWID;
-- The answers, the JSON document and what the TOML parser made of the file (codec.Body).
CREATE TABLE bodies (
    id TEXT NOT NULL, folder TEXT NOT NULL, answers INTEGER NOT NULL, doc INTEGER NOT NULL,
    parsed INTEGER NOT NULL, head BLOB NOT NULL, crc INTEGER NOT NULL, tail BLOB NOT NULL,
    tail_crc INTEGER NOT NULL, PRIMARY KEY (id, folder)) WITHOUT ROWID;
"""
_COLUMNS = ("s.folder, s.id, s.size, s.mtime_ns, s.ctime_ns, s.ino, s.checked_ns, s.reason, "
            "s.brief, s.crc, s.at")
# What each purpose fetches besides _COLUMNS (the rows of a bulk export are many).
# A body as listings and exports fetch it: without its tail (the parsed document).
_BODY = ", b.answers, b.doc, b.parsed, b.head, b.crc, NULL, NULL"
_JOIN_BODY = " LEFT JOIN bodies b ON b.id = s.id AND b.folder = s.folder"
_MORE = {
    "brief": ("", ""),
    "summary": (", m.summary, m.crc" + _BODY,
                " LEFT JOIN summaries m ON m.id = s.id AND m.folder = s.folder" + _JOIN_BODY),
    "document": (", NULL, NULL" + _BODY, _JOIN_BODY),
}
_FOLDER_CLIENT = "s.folder = ? COLLATE NOCASE"


def _columns(stamp: Stamp | None) -> tuple[int | None, int | None, int | None, int | None]:
    return (None, None, None, None) if stamp is None else stamp


def entry_of(row: Sequence[Any]) -> Entry:
    """The Entry of a session row of `_COLUMNS` (and the summary's and body's, if fetched),
    checked against its checksums."""
    folder, entry_id, size, mtime, ctime, ino, checked, reason, brief_, crc, at = row[:11]
    if crc != checksum(entry_id, reason, brief_, str(at)):
        raise IndexProblem(f"the row of {folder}/{entry_id} fails its checksum")
    summary = body = None
    if len(row) > 11:
        summary, summary_crc, *stored = row[11:]
        if summary is not None and summary_crc != checksum(summary):
            raise IndexProblem(f"the summary of {folder}/{entry_id} fails its checksum")
        body = _body(folder, entry_id, *stored)
    return Entry(folder, f"{entry_id}.toml", entry_id,
                 None if size is None else (size, mtime, ctime, ino), checked, reason, brief_,
                 summary, at=at, body=body)


def _body(folder: str, entry_id: str, answers: int | None, doc: int | None,
          parsed: int | None, head: bytes | None, crc: int | None, tail: bytes | None,
          tail_crc: int | None) -> Body | None:
    if head is None:
        return None
    sizes = (int(answers or 0), int(doc or 0), int(parsed or 0))
    if crc != zlib.crc32(head, checksum(*map(str, sizes))) or (
            tail is not None and tail_crc != zlib.crc32(tail)):
        raise IndexProblem(f"the body of {folder}/{entry_id} fails its checksum")
    return Body(bytes(head), None if tail is None else bytes(tail), *sizes)


class Store:
    """An open index file. Methods raise IndexProblem for anything wrong with it."""

    def __init__(self, con: sqlite3.Connection, path: Path) -> None:
        self.con = con
        self.path = path
        self._depth = 0
        self._zdict: bytes | None = None

    # ---- compression

    def dictionary(self, *, make: bool = False) -> bytes:
        """The preset dictionary every stored document and answers are compressed with (a
        document is kept in about a kilobyte instead of four): `made_up_document`, never a
        session's, since it stays in the file whatever is erased. Made and kept in the
        file inside the first write that needs it (`make`), so an upgrade that changes the
        questionnaires or the advice does not change what the stored rows need."""
        if self._zdict is None:
            stored = self.meta("zdict")
            if stored is None and make:
                stored = made_up_document()
                self.set_meta("zdict", stored)
            if stored is None:
                raise IndexProblem("a stored document without its dictionary")
            self._zdict = stored.encode("utf-8")
        return self._zdict

    def document(self, entry: Entry, doc: str | None = None) -> str:
        """The JSON document of a readable entry (`doc` when it was just made)."""
        if doc is None and entry.body is not None:
            doc = entry.body.part(self.dictionary(), 1)
        if not doc:
            raise IndexProblem(f"no document for {entry.folder}/{entry.name}")
        return doc

    def summary(self, entry: Entry) -> Session:
        """The summary Session of a readable entry."""
        answers = entry.answers
        if answers is None and entry.body is not None:
            answers = entry.body.part(self.dictionary(), 0)
        if entry.summary is None or not answers:
            raise IndexProblem(f"no summary for {entry.folder}/{entry.name}")
        try:
            return summary_session(entry.id or "", entry.summary, answers)
        except (ValueError, TypeError, LookupError) as exc:
            # A row its checksum passes but that does not decode: written by other rules.
            raise IndexProblem(f"the summary of {entry.folder}/{entry.name}: {exc}") from None

    # ---- transactions

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """One write transaction (nested calls join the outer one)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        with _problems():
            self.con.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            with contextlib.suppress(sqlite3.Error):
                self.con.execute("ROLLBACK")
            raise
        self._depth = 0
        with _problems():
            self.con.execute("COMMIT")

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.con.close()

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with _problems():
            return self.con.execute(sql, args).fetchall()

    def _run(self, sql: str, args: Sequence[Any] = ()) -> None:
        with _problems():
            self.con.execute(sql, args)

    # ---- meta

    def meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._run("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def judged_by_other_rules(self) -> bool:
        """Whether the rows were judged by other rules than today's (before an upgrade), and
        must be judged again before they are used."""
        return self.meta(JUDGED) != self.meta("code")

    def judged_again(self) -> None:
        """Every row has been judged by today's rules (inside `writing`)."""
        code = self.meta("code")
        if code is not None:
            self.set_meta(JUDGED, code)

    # ---- folders

    def folder_range(self, client: str | None, low: str | None, high: str | None
                     ) -> list[tuple[str, int | None, int, int, int, int]]:
        """Stored client folders (of `client` in any case, if given) named from `low` to
        before `high` (None: no bound), by name: (name, size, mtime, ctime, ino, checked)."""
        where, args = [], []
        if client is not None:
            where.append("name = ? COLLATE NOCASE")
            args.append(client)
        if low is not None:
            where.append("name >= ?")
            args.append(low)
        if high is not None:
            where.append("name < ?")
            args.append(high)
        sql = "SELECT name, size, mtime_ns, ctime_ns, ino, checked_ns FROM folders"
        if where:
            sql += f" WHERE {' AND '.join(where)}"
        return self._query(sql + " ORDER BY name", args)

    def folder_count(self, client: str | None = None) -> int:
        sql = "SELECT count(*) FROM folders"
        rows = (self._query(sql) if client is None
                else self._query(sql + " WHERE name = ? COLLATE NOCASE", (client,)))
        return int(rows[0][0])

    def put_folder(self, name: str, stamp: Stamp | None, checked_ns: int) -> None:
        """The folder's stamp, with how many session rows it has now (after its entries
        were written: a save written through since changed its stamp, so the next sync
        counts again before a count is used)."""
        self._run("INSERT OR REPLACE INTO folders VALUES (?, ?, ?, ?, ?, ?, "
                  "(SELECT count(*) FROM sessions WHERE folder = ?))",
                  (name, *_columns(stamp), checked_ns, name))

    def stored_folders(self, client: str | None = None) -> set[str]:
        """The folders any row names, with or without a row of their own in `folders` (a
        thorough sync drops those that are gone)."""
        where = "" if client is None else " WHERE folder = ?1 COLLATE NOCASE"
        args = () if client is None else (client,)
        rows = self._query(f"SELECT DISTINCT folder FROM sessions{where} UNION "
                           f"SELECT folder FROM others{where} UNION "
                           f"SELECT name FROM folders{where.replace('folder', 'name', 1)}",
                           args)
        return {r[0] for r in rows}

    def drop_folder(self, name: str) -> None:
        ids = [r[0] for r in self._query("SELECT id FROM sessions WHERE folder = ?", (name,))]
        self._drop_sessions(name, ids)
        self._run("DELETE FROM others WHERE folder = ?", (name,))
        self._run("DELETE FROM folders WHERE name = ?", (name,))

    # ---- entries

    def stamps(self, first: str, last: str, *, parsed: bool = False
               ) -> dict[str, dict[str, Stored]]:
        """folder -> name -> what is stored of the entries of the folders from `first` to
        `last` (one query for many folders); with `parsed`, also each session row's
        judgement and parsed document (for judging them again)."""
        out: dict[str, dict[str, Stored]] = {}
        if parsed:
            rows = self._query(
                "SELECT s.folder, s.id, s.size, s.mtime_ns, s.ctime_ns, s.ino, s.checked_ns, "
                "s.judged, b.answers, b.doc, b.parsed, b.head, b.crc, b.tail, b.tail_crc "
                f"FROM sessions s{_JOIN_BODY} WHERE s.folder BETWEEN ? AND ?",
                (first, last))
        else:
            rows = self._query(
                "SELECT folder, id, size, mtime_ns, ctime_ns, ino, checked_ns, NULL, NULL, "
                "NULL, NULL, NULL, NULL, NULL, NULL FROM sessions INDEXED BY sessions_by_folder "
                "WHERE folder BETWEEN ? AND ?", (first, last))
        for folder, entry_id, size, mtime, ctime, ino, checked, judged, *body in rows:
            found = _body(folder, entry_id, *body)
            out.setdefault(folder, {})[f"{entry_id}.toml"] = Stored(
                None if size is None else (size, mtime, ctime, ino), checked, True, None,
                judged, found if found is not None and found.parsed else None)
        for folder, name, reason in self._query(
                "SELECT folder, name, reason FROM others WHERE folder BETWEEN ? AND ?",
                (first, last)):
            out.setdefault(folder, {})[name] = Stored(None, 0, False, reason)
        return out

    def put(self, entry: Entry, doc: str | None = None) -> None:
        """Store `entry` and its JSON document (inside `writing`); texts are compressed here
        when the entry has no body yet."""
        self._put_all([(entry, doc)])

    def put_present(self, path: str, entry: Entry, doc: str | None = None) -> bool:
        """`put` the entry of the file (or folder) at `path`, unless it is gone by now: then
        its row is dropped instead. Inside `writing`, which `forget` waits for: a command
        that read a file just before it was erased never writes it back into the cache.
        An entry whose name is not UTF-8 is stored as shown (\\xNN, safe_text.valid_text),
        which is no path to look at: it is kept while its folder is there (the caller
        checks the folder), as it is not a session and `forget` never deletes it."""
        return bool(self.put_all_present([(path, entry, doc)]))

    def put_all_present(self, rows: Iterable[tuple[str, Entry, str | None]]) -> int:
        """`put_present` of many rows (path, entry, document), in a few statements; how many
        were stored."""
        present: list[tuple[Entry, str | None]] = []
        for path, entry, doc in rows:
            shown_only = entry.reason is not None and "\\" in entry.name
            if shown_only or os.path.lexists(path):
                present.append((entry, doc))
            else:
                self.drop(entry.folder, [entry.name])
        self._put_all(present)
        return len(present)

    def _put_all(self, rows: Iterable[tuple[Entry, str | None]]) -> None:
        statements: dict[str, list[tuple[Any, ...]]] = {}

        def run(sql: str, *args: Any) -> None:
            statements.setdefault(sql, []).append(args)

        for entry, doc in rows:
            if entry.id is None:
                run("INSERT OR REPLACE INTO others VALUES (?, ?, ?)",
                    entry.folder, entry.name, entry.reason or "")
                continue
            key = (entry.id, entry.folder)
            at = entry.second
            run("INSERT OR REPLACE INTO sessions (id, folder, size, mtime_ns, ctime_ns, ino, "
                "checked_ns, reason, brief, crc, at, judged) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                *key, *_columns(entry.stamp), entry.checked_ns, entry.reason, entry.brief,
                checksum(entry.id, entry.reason, entry.brief, str(at)), at, entry.judged)
            if entry.summary is None:
                run("DELETE FROM summaries WHERE id = ? AND folder = ?", *key)
            else:
                run("INSERT OR REPLACE INTO summaries VALUES (?, ?, ?, ?)",
                    *key, entry.summary, checksum(entry.summary))
            body = entry.body
            if body is None and (entry.answers or doc or entry.parsed):
                body = Body.of(entry.answers, doc, entry.parsed, self.dictionary(make=True))
            if body is None:
                run("DELETE FROM bodies WHERE id = ? AND folder = ?", *key)
            else:
                sizes = (body.answers, body.doc, body.parsed)
                tail = body.tail or b""
                run("INSERT OR REPLACE INTO bodies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    *key, *sizes, body.head, zlib.crc32(body.head, checksum(*map(str, sizes))),
                    tail, zlib.crc32(tail))
        # Each (id, folder) once per table: the statements may run in any order.
        with _problems():
            for sql, args in statements.items():
                self.con.executemany(sql, args)

    def _drop_sessions(self, folder: str, ids: Iterable[str]) -> None:
        keys = [(i, folder) for i in ids]
        with _problems():
            for table in ("sessions", "summaries", "bodies"):
                self.con.executemany(f"DELETE FROM {table} WHERE id = ? AND folder = ?", keys)

    def drop(self, folder: str, names: Iterable[str]) -> None:
        """Forget the entries `names` of `folder` (files that are gone)."""
        names = list(names)
        self._drop_sessions(folder, [n[:-5] for n in names if n.endswith(".toml")])
        with _problems():
            self.con.executemany("DELETE FROM others WHERE folder = ? AND name = ?",
                                 [(folder, n) for n in names])

    def not_sessions(self, client: str | None = None) -> list[Entry]:
        """The stored entries of client folders that are not session files."""
        sql = "SELECT folder, name, reason FROM others"
        rows = (self._query(sql) if client is None
                else self._query(sql + " WHERE folder = ? COLLATE NOCASE", (client,)))
        return [Entry(folder, name, None, None, 0, reason) for folder, name, reason in rows]

    def count(self, client: str | None = None) -> int:
        """Session files of every client folder (or `client`'s), as of the last sync."""
        sql = "SELECT coalesce(sum(sessions), 0) FROM folders"
        rows = (self._query(sql) if client is None
                else self._query(sql + " WHERE name = ? COLLATE NOCASE", (client,)))
        return int(rows[0][0])

    def rows(self, *, newest_first: bool, client: str | None, limit: int,
             key: Key | None, what: str) -> list[Any]:
        """Session rows (of `_COLUMNS` and what `what` needs) in the listing order (order.py),
        after `key` if given. The sessions of one second are put in their follow-up order by
        the caller (order.in_visit_order)."""
        where: list[str] = []
        args: list[Any] = []
        if client is not None:
            where.append(_FOLDER_CLIENT)
            args.append(client)
        if key is not None:
            where.append(sql_after(newest_first))
            args += list(key)
        order = sql_order(newest_first)
        more, joined = _MORE[what]
        sql = f"SELECT {_COLUMNS}{more} FROM sessions s{joined}"
        if where:
            sql += f" WHERE {' AND '.join(where)}"
        return self._query(f"{sql} ORDER BY {order} LIMIT ?", [*args, limit])

    def ids_starting(self, prefix: str) -> list[tuple[str, str, str]]:
        """(folder, name, id) of the session rows whose id starts with `prefix`, by id."""
        # A range, not LIKE: it uses the key, and "_" in a prefix means itself.
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\U0010ffff"
        rows = self._query("SELECT folder, id FROM sessions WHERE id >= ? AND id < ? "
                           "ORDER BY id, folder", (prefix, upper))
        return [(folder, f"{i}.toml", i) for folder, i in rows]

    def client_groups(self) -> list[str]:
        """One folder name per client (folders differing only in case are one client)."""
        rows = self._query("SELECT min(name) FROM folders GROUP BY lower(name) "
                           "ORDER BY lower(name)")
        return [r[0] for r in rows]

    def distrust(self, patterns: Iterable[str]) -> None:
        """Make rows whose summary mentions any of `patterns`, and every unreadable row, be
        read again at their next check (the questionnaires that judge them changed)."""
        with _problems():
            self.con.execute("UPDATE sessions SET checked_ns = 0 WHERE reason IS NOT NULL")
            self.con.executemany(
                "UPDATE sessions SET checked_ns = 0 WHERE (id, folder) IN "
                "(SELECT id, folder FROM summaries WHERE instr(summary, ?) > 0)",
                [(p,) for p in patterns])


@contextlib.contextmanager
def _problems() -> Iterator[None]:
    """sqlite3's errors as IndexProblem: corrupt, locked too long, disk I/O, full disk."""
    try:
        yield
    except sqlite3.Error as exc:
        raise _problem(exc) from None


def _problem(exc: sqlite3.Error) -> IndexProblem:
    locked = isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)
    return IndexProblem(f"{type(exc).__name__}: {exc}", locked=locked)


# --------------------------------------------------------------------------- opening


def _private_file(path: Path) -> bool:
    """Create `path` empty and 0600 unless it exists; tighten an existing one to 0600.
    Whether it was created."""
    created = False
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE))
        created = True
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise IndexProblem(f"{path} is not a regular file")
    if info.st_mode & 0o077:  # anything for the group or others
        os.chmod(path, FILE_MODE)
    return created


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), timeout=TIMEOUT, isolation_level=None)
    try:
        # Effective only while the file is new and empty: rows of a few kilobytes waste
        # half of each 4 KB page, and packed four or five to a page read faster.
        con.execute("PRAGMA page_size = 16384")
        # A rollback journal (deleted after each write) rather than WAL: no -wal and -shm
        # files beside it, and SQLite gives the journal the database file's 0600.
        con.execute("PRAGMA journal_mode = DELETE")
        con.execute("PRAGMA secure_delete = ON")
    except sqlite3.Error:
        con.close()
        raise
    return con


def open_existing(root: Path) -> Store | None:
    """`open_store`, or None when the data folder has no index yet (nothing to update)."""
    return _open(root, create=False)


def open_store(root: Path) -> Store:
    """The index of the data folder `root`, ready for use (created if there is none).

    A file of another layout, for another data folder or written by other rules is emptied.
    Raises IndexProblem when it cannot be used (not a database, locked for too long, an
    unwritable cache folder): the caller replaces it (`replace_file`) or reads the files.
    """
    store = _open(root, create=True)
    if store is None:  # only without create; keeps the type checker informed
        raise IndexProblem("no index")
    return store


def _open(root: Path, *, create: bool) -> Store | None:
    path = index_path(root)
    try:
        if not create and not os.path.exists(path):
            return None
        ensure_dir(path.parent, path.parent)  # 0700 if backpain creates it
        created = _private_file(path)
    except OSError as exc:
        raise IndexProblem(f"{path}: {exc.strerror or exc}") from None
    try:
        store = Store(_connect(path), path)
    except sqlite3.Error as exc:
        raise _problem(exc) from None
    try:
        _check_layout(store, root)
    except IndexProblem:
        store.close()
        raise
    if created:
        # A new index: perhaps the data folder moved, and the old one's index is left.
        prune(keep=path)
    return store


def _check_layout(store: Store, root: Path) -> None:
    expected = {"schema": str(SCHEMA), "root": _resolved(root), "code": _code_stamp()}
    try:
        found = dict(store.con.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise _problem(exc) from None
        found = {}
    except sqlite3.Error as exc:
        raise _problem(exc) from None
    if all(found.get(k) == v for k, v in expected.items()):
        return
    with store.writing():
        # Looked at again inside the lock: another process may have just set it up.
        current = dict(store._query("SELECT key, value FROM meta")) if _has_meta(store) else {}
        if all(current.get(k) == v for k, v in expected.items()):
            return
        if all(current.get(k) == expected[k] for k in ("schema", "root")):
            # Other rules (an upgrade): the rows stay, and the next sync judges what they
            # hold again (sync.py), reading again only the files that changed.
            store.set_meta("code", expected["code"])
            store.set_meta(JUDGED, "")
            return
        reset(store)
        for key, value in expected.items():
            store.set_meta(key, value)
        store.set_meta(JUDGED, expected["code"])


def _has_meta(store: Store) -> bool:
    return bool(store._query(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"))


def reset(store: Store) -> None:
    """Drop every table and make them again, empty (inside the caller's transaction)."""
    with store.writing():
        for (kind, name) in store._query(
                "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index') "
                "AND name NOT LIKE 'sqlite_%'"):
            if kind == "table":
                store._run(f'DROP TABLE IF EXISTS "{name}"')
        with _problems():
            for statement in _TABLES.split(";"):
                if statement.strip():
                    store.con.execute(statement)


def replace_file(root: Path) -> None:
    """Put an empty index in place of one SQLite cannot read (garbage, a damaged page).

    Written beside it and renamed over it, so no process ever opens half a file. A process
    that still has the old file open keeps reading it, finds it broken too, and does this
    as well; at worst a cache is built twice.
    """
    path = index_path(root)
    tmp = path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")
    try:
        ensure_dir(path.parent, path.parent)  # 0700 if backpain creates it
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE))
        con = _connect(tmp)
        try:
            store = Store(con, tmp)
            reset(store)
            with store.writing():
                code = _code_stamp()
                for key, value in (("schema", str(SCHEMA)), ("root", _resolved(root)),
                                   ("code", code), (JUDGED, code)):
                    store.set_meta(key, value)
        finally:
            con.close()
        # A journal left by the broken file must not be played back into the new one.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}-journal")
        os.replace(tmp, path)
    except (OSError, sqlite3.Error, IndexProblem) as exc:
        # Also when SQLite failed (a full disk): no temp file is left behind.
        for p in (tmp, Path(f"{tmp}-journal")):
            with contextlib.suppress(OSError):
                os.unlink(p)
        raise IndexProblem(f"cannot replace {path}: {exc}") from None


# --------------------------------------------------------------------------- from storage



def record(root: Path, entry: Entry, doc: str | None) -> None:
    """Write one session file's row through (storage.save_session), if there is an index.

    Best effort: a save never fails because of its cache. A row that could not be written
    does no harm: the save changed its folder's time, so the next listing reads the folder.
    """
    with contextlib.suppress(IndexProblem, OSError):
        store = open_existing(root)
        if store is None:
            return
        try:
            with store.writing():
                store.put_present(str(root / "sessions" / entry.folder / entry.name), entry,
                                  doc)
        finally:
            store.close()


def forget(root: Path, paths: Iterable[Path], folders: Iterable[Path] = ()) -> Path | None:
    """Remove the rows of deleted session files (index.forget, storage.delete_session), and
    every row of `folders` (client folders erased as a whole, or removed).

    Both are under the sessions folder of the data folder `root`. Their content is
    overwritten in the file (secure_delete). If the rows cannot be removed (the index is
    broken, locked for too long, or its folder read-only), the whole index file is deleted
    instead: erased health data must not linger in a cache. Returns None when nothing of
    them is left in the cache, else the index file that could be neither updated nor
    deleted. Indexes of data folders that no longer exist go too (`prune`).
    """
    prune()
    sessions = root / "sessions"
    pairs: list[tuple[str, str]] = []
    names: list[str] = []
    for p in [*paths, *folders]:
        try:
            parts = Path(p).relative_to(sessions).parts
        except ValueError:
            continue
        if len(parts) == 2:
            pairs.append((parts[0], parts[1]))
        elif len(parts) == 1:
            names.append(parts[0])
    if not pairs and not names:
        return None
    try:
        store = open_existing(root)
        if store is None:
            return None
        try:
            with store.writing():
                for folder, name in pairs:
                    store.drop(folder, [name])
                for name in names:
                    store.drop_folder(name)
        finally:
            store.close()
    except IndexProblem:
        return discard(root)
    return None


def discard(root: Path) -> Path | None:
    """Delete the index file of `root` (and its journal): the next command rebuilds it.

    Returns None when neither is left, else the one that could not be deleted."""
    path = index_path(root)
    return _remove(path)


def _remove(path: Path) -> Path | None:
    """Delete an index file and its journal; the first that is still there, if any."""
    for p in (path, Path(f"{path}-journal")):
        try:
            os.unlink(p)
        except FileNotFoundError:
            continue
        except OSError:
            # A folder in its place holds no rows; anything else still may.
            if not (os.path.isdir(p) and not os.path.islink(p)):
                return p
    return None


# A temp file of `replace_file` older than this was left by a command that died (or by a
# full disk in a version that did not clean up): removed by `prune`.
STALE_TMP_SECONDS = 3600


def prune(keep: Path | None = None) -> None:
    """Remove, from the cache folder, the index files of data folders that no longer exist
    (moved or deleted: their rows, erased clients' among them, would stay for good), and
    temp files a rebuild left. Called when an index is made and by `forget`: cheap (a few
    files), never on start-up. Best effort: a file that cannot be read as an index of a
    known folder, or cannot be deleted, is left; an index in use is not touched, nor
    `keep` (the caller's own)."""
    folder = cache_dir()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    now = time.time()
    for e in entries:
        with contextlib.suppress(OSError):
            if _TMP_RE.fullmatch(e.name):
                if now - e.stat(follow_symlinks=False).st_mtime > STALE_TMP_SECONDS:
                    os.unlink(e.path)
            elif _INDEX_RE.fullmatch(e.name) and e.is_file(follow_symlinks=False) \
                    and (keep is None or e.name != keep.name):
                root = _root_of(Path(e.path))
                if root is not None and _gone(root):
                    _remove(Path(e.path))


_INDEX_RE = re.compile(r"index-[0-9a-f]{16}\.sqlite3")
_TMP_RE = re.compile(r"\.index-[0-9a-f]{16}\.sqlite3\.[0-9a-f]{8}\.tmp(-journal)?")


def _root_of(path: Path) -> str | None:
    """The data folder an index file records (None: not readable as one, or in use)."""
    try:
        con = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=0)
    except sqlite3.Error:
        return None
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'root'").fetchall()
    except sqlite3.Error:
        return None
    finally:
        con.close()
    return str(rows[0][0]) if rows else None


def _gone(root: str) -> bool:
    try:
        os.stat(root)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False  # unreachable now (a share not mounted, no permission): not gone
    return False
