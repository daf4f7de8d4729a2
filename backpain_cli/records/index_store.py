"""The summary index's file: where it lives, its tables, its rows, and what a broken one gets.

A SQLite file in the user cache folder (``$BACKPAIN_CACHE`` when set), one per data folder,
named by a hash of the data folder's resolved path, so that it is never on a shared network
folder with the data and two data folders never share one. It is a cache of what the one
reader (storage.read_session and its checks) made of each session file, keyed by the file's
path and stamp (size, modification and change time, inode), so nothing in it is ever judged
differently from the file itself; records/index.py keeps it in step with the files.

Health data: the file is 0600 in a 0700 folder, SQLite gives its rollback journal the file's
mode, and deleted rows are overwritten (secure_delete), so that erasing a client's sessions
(`forget`) leaves nothing of them in the cache. Every problem with the file -- not a database,
a row that fails its checksum, another version's layout, locked for longer than `TIMEOUT`,
a disk error -- is an `IndexProblem`; records/index.py then rebuilds it or reads the files.

Imported only by the commands that list or save sessions: `sqlite3` costs start-up time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import stat
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..clinical.model import Plan, RedFlag
from .atomic import FILE_MODE, ensure_dir
from .practice import Practice
from .session import Brief, ModuleRef, Session, brief, document_line

# Changed whenever the tables or the summary form change: a file of another layout is reset.
SCHEMA = 2
# How long a command waits for another one's write before it reads the files instead.
TIMEOUT = 5.0
# A stamp taken this close to the file's own modification time proves nothing: another write
# in the same clock tick (coarse on some file systems) would leave the same stamp. Such a
# row is read again at its next check, as git does with "racily clean" files.
RACY_NS = 3_000_000_000
# The modules whose rules decide whether a file is readable: a change to any of them (an
# upgrade, an edit in a development checkout) resets the index.
_JUDGES = ("records/session.py", "records/storage.py", "records/practice.py",
           "records/index_store.py", "records/index.py", "files.py",
           "clinical/questionnaire.py", "clinical/model.py", "clinical/scoring.py",
           "clinical/triage.py")
_PACKAGE = Path(__file__).resolve().parent.parent


class IndexProblem(Exception):
    """The index cannot be used as it is; the message says why (for tests and debugging).

    `locked`: another command held it for longer than TIMEOUT. Nothing is wrong with the
    file then, so it is not rebuilt; the files are read instead.
    """

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


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
    path = os.fsencode(_resolved(root))
    return cache_dir() / f"index-{zlib.crc32(path):08x}{zlib.adler32(path):08x}.sqlite3"


def _resolved(root: Path) -> str:
    return str(root.expanduser().resolve())


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


# --------------------------------------------------------------------------- stamps and rows

# What a file's or folder's stat says about its content: size, modification and change
# time, inode (None: it could not be stat-ed). A plain tuple: compared 100,000 times a run.
Stamp = tuple[int, int, int, int]


def stamp_of(info: os.stat_result) -> Stamp:
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


def trusted(stored: Stamp | None, checked_ns: int, now: Stamp | None) -> bool:
    """Whether a row stamped `stored` at `checked_ns` still describes a file stamped `now`."""
    return stored is not None and stored == now and checked_ns - stored[1] > RACY_NS


@dataclass(frozen=True)
class Entry:
    """One row: a session file (`id` set) or an entry of a client folder that is not read.

    A readable session has a `brief` and a `summary` with its `answers` (and a document, in
    a table of its own); an unreadable one, and an entry that is not read, a `reason`
    instead. `name` is "" for a client folder that could not be listed. Rows read for one
    purpose carry only the columns it needs (a CSV export fetches no summaries).
    """

    folder: str
    name: str
    id: str | None
    stamp: Stamp | None
    checked_ns: int
    reason: str | None = None
    brief: str | None = None
    summary: str | None = None
    # JSON: as stored (compressed bytes, decoded only when read), or text just read.
    answers: bytes | str | None = None


def _crc(*parts: str | bytes | None) -> int:
    # Over what is shown: a damaged stamp only makes a file be read again, but a damaged
    # score would be a wrong answer.
    crc = 0
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogatepass")
        crc = zlib.crc32(data + b"\x00", crc)
    return crc


def readable(session: Session) -> tuple[str, str, str, str]:
    """The brief, summary, answers and JSON document of a session as the reader made it."""
    answers = _compact({k: list(v) if isinstance(v, tuple) else v
                        for k, v in session.answers.items()})
    return brief_text(session), summary_text(session), answers, document_line(session)


def _pack(text: str, zdict: bytes) -> bytes:
    packer = zlib.compressobj(1, zdict=zdict)
    return packer.compress(text.encode("utf-8")) + packer.flush()


def _unpack(blob: bytes | str, zdict: bytes) -> str:
    if isinstance(blob, str):
        return blob
    try:
        unpacker = zlib.decompressobj(zdict=zdict)
        return (unpacker.decompress(blob) + unpacker.flush()).decode("utf-8")
    except (zlib.error, UnicodeDecodeError) as exc:
        raise IndexProblem(f"a stored document cannot be decompressed ({exc})") from None


# --------------------------------------------------------------------------- the summary form

# Every field of Session, Plan and Practice is carried except the recommendations (no
# listing, CSV row or `review --due` shows them). tests/test_index.py checks that these
# lists name every field, so that a new field cannot be forgotten here.
SUMMARY_FIELDS = ("client", "created", "status", "follows", "ended_early", "tool_version",
                  "schema", "practice", "instruments", "skipped", "questionnaires", "plan",
                  "extra")
NOT_IN_SUMMARY = ("id", "answers")  # the row's own columns
PLAN_FIELDS = ("scores", "triage", "red_flags", "warnings", "reassess_weeks")
NOT_IN_PLAN = ("recommendations",)
PRACTICE_FIELDS = ("name", "contact", "practitioner")


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def brief_text(session: Session) -> str:
    b = brief(session)
    return _compact([b.client, b.created.isoformat(), b.status, b.follows, b.triage,
                     list(b.red_flags), dict(b.scores), b.pain_duration, b.reassess_weeks,
                     b.ended_early, list(b.instruments)])


def brief_of(session_id: str, text: str) -> Brief:
    (client, created, status, follows, triage, flags, scores, duration, weeks, ended_early,
     instruments) = json.loads(text)
    return Brief(session_id, client, dt.datetime.fromisoformat(created), status, follows,
                 triage, tuple(flags), scores, duration, weeks, ended_early,
                 tuple(instruments))


def summary_text(session: Session) -> str:
    plan = session.plan
    practice = session.practice
    return _compact([
        session.client, session.created.isoformat(), session.status, session.follows,
        session.ended_early, session.tool_version, session.schema,
        [practice.name, practice.contact, practice.practitioner],
        list(session.instruments), list(session.skipped),
        # Nested as text: thousands of sessions share a few sets, decoded once (_modules).
        _compact([[m.id, m.version, m.sha256] for m in session.questionnaires]),
        None if plan is None else [dict(plan.scores), plan.triage,
                                   [[f.id, f.tier] for f in plan.red_flags],
                                   list(plan.warnings), plan.reassess_weeks],
        dict(session.extra),
    ])


def summary_session(session_id: str, text: str, answers: str) -> Session:
    """The Session a summary (and its answers' JSON) stands for: without its
    recommendations (see SUMMARY_FIELDS)."""
    (client, created, status, follows, ended_early, tool_version, schema, practice,
     instruments, skipped, questionnaires, plan, extra) = json.loads(text)
    return Session(
        id=session_id, client=client, created=dt.datetime.fromisoformat(created),
        status=status, answers={k: tuple(v) if isinstance(v, list) else v
                                for k, v in json.loads(answers).items()},
        questionnaires=_modules(questionnaires),
        instruments=tuple(instruments), skipped=tuple(skipped),
        plan=None if plan is None else Plan(
            plan[0], plan[1], tuple(RedFlag(*f) for f in plan[2]), (), tuple(plan[3]),
            plan[4]),
        follows=follows, tool_version=tool_version, schema=schema, extra=extra,
        ended_early=ended_early, practice=Practice(*practice))


_MODULES: dict[str, tuple[ModuleRef, ...]] = {}


def _modules(text: str) -> tuple[ModuleRef, ...]:
    found = _MODULES.get(text)
    if found is None:
        found = _MODULES[text] = tuple(ModuleRef(*m) for m in json.loads(text))
    return found


# --------------------------------------------------------------------------- the file

# Session rows are kept in the order of every listing and export (id, then folder), so a
# CSV export of 100,000 reads one table front to back; the summaries (for listings of a
# few rows) and documents (JSON Lines) in tables of their own, in the same order.
_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE folders (
    name TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, ino INTEGER,
    checked_ns INTEGER NOT NULL, sessions INTEGER NOT NULL);
CREATE TABLE sessions (
    id TEXT NOT NULL, folder TEXT NOT NULL,
    size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, ino INTEGER, checked_ns INTEGER NOT NULL,
    reason TEXT, brief TEXT, crc INTEGER NOT NULL,
    PRIMARY KEY (id, folder)) WITHOUT ROWID;
-- What a sync compares, folder by folder, read from the index alone.
CREATE INDEX sessions_by_folder
    ON sessions (folder, id, size, mtime_ns, ctime_ns, ino, checked_ns);
CREATE INDEX sessions_by_client ON sessions (folder COLLATE NOCASE, id);
CREATE TABLE others (
    folder TEXT NOT NULL, name TEXT NOT NULL, reason TEXT NOT NULL,
    PRIMARY KEY (folder, name)) WITHOUT ROWID;
CREATE TABLE summaries (
    id TEXT NOT NULL, folder TEXT NOT NULL, summary TEXT NOT NULL, answers BLOB NOT NULL,
    crc INTEGER NOT NULL, PRIMARY KEY (id, folder)) WITHOUT ROWID;
CREATE TABLE docs (
    id TEXT NOT NULL, folder TEXT NOT NULL, doc BLOB NOT NULL, crc INTEGER NOT NULL,
    PRIMARY KEY (id, folder)) WITHOUT ROWID;
"""
_COLUMNS = ("s.folder, s.id, s.size, s.mtime_ns, s.ctime_ns, s.ino, s.checked_ns, s.reason, "
            "s.brief, s.crc")
# What each purpose fetches besides _COLUMNS (the rows of a bulk export are many).
_MORE = {
    "brief": ("", ""),
    "summary": (", m.summary, m.answers, m.crc",
                " LEFT JOIN summaries m ON m.id = s.id AND m.folder = s.folder"),
    "document": (", d.doc, d.crc", " LEFT JOIN docs d ON d.id = s.id AND d.folder = s.folder"),
}
_FOLDER_CLIENT = "s.folder = ? COLLATE NOCASE"


def _columns(stamp: Stamp | None) -> tuple[int | None, int | None, int | None, int | None]:
    return (None, None, None, None) if stamp is None else stamp


def entry_of(row: Sequence[Any]) -> Entry:
    """The Entry of a session row of `_COLUMNS` (and the summary's, if fetched), checked
    against its checksums."""
    folder, entry_id, size, mtime, ctime, ino, checked, reason, brief_, crc = row[:10]
    if crc != _crc(entry_id, reason, brief_):
        raise IndexProblem(f"the row of {folder}/{entry_id} fails its checksum")
    summary = answers = None
    if len(row) == 13:  # with the summary's columns ("document" rows have 12)
        summary, answers, summary_crc = row[10:]
        if summary is not None and summary_crc != _crc(summary, answers):
            raise IndexProblem(f"the summary of {folder}/{entry_id} fails its checksum")
    return Entry(folder, f"{entry_id}.toml", entry_id,
                 None if size is None else (size, mtime, ctime, ino), checked, reason, brief_,
                 summary, answers)


def doc_of(row: Sequence[Any]) -> bytes | None:
    """The document of a row fetched for "document" (checked against its checksum)."""
    doc, crc = row[10], row[11]
    if doc is None:
        return None
    if crc != zlib.crc32(doc):
        raise IndexProblem(f"the document of {row[0]}/{row[1]} fails its checksum")
    return bytes(doc)


class Store:
    """An open index file. Methods raise IndexProblem for anything wrong with it."""

    def __init__(self, con: sqlite3.Connection, path: Path) -> None:
        self.con = con
        self.path = path
        self._depth = 0
        self._zdict: bytes | None = None

    # ---- compression

    def _dictionary(self, sample: str | None = None) -> bytes:
        """The preset dictionary every stored document and answers are compressed with: the
        first document stored (sessions share most of their text, so each is kept in a few
        hundred bytes instead of 4 KB). Chosen inside the first write that needs it."""
        if self._zdict is None:
            stored = self.meta("zdict")
            if stored is None and sample is not None:
                self.set_meta("zdict", sample)
                stored = sample
            if stored is None:
                raise IndexProblem("a stored document without its dictionary")
            self._zdict = stored.encode("utf-8")
        return self._zdict

    def text(self, blob: bytes | str) -> str:
        """A stored document or answers as text (a value not yet stored is text already)."""
        return blob if isinstance(blob, str) else _unpack(blob, self._dictionary())

    def summary(self, entry: Entry) -> Session:
        """The summary Session of a readable entry."""
        if entry.summary is None or entry.answers is None:
            raise IndexProblem(f"no summary for {entry.folder}/{entry.name}")
        try:
            return summary_session(entry.id or "", entry.summary, self.text(entry.answers))
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

    def drop_folder(self, name: str) -> None:
        ids = [r[0] for r in self._query("SELECT id FROM sessions WHERE folder = ?", (name,))]
        self._drop_sessions(name, ids)
        self._run("DELETE FROM others WHERE folder = ?", (name,))
        self._run("DELETE FROM folders WHERE name = ?", (name,))

    # ---- entries

    def stamps(self, first: str, last: str
               ) -> dict[str, dict[str, tuple[Stamp | None, int, bool, str | None]]]:
        """folder -> name -> (stamp, checked_ns, is a session file, reason) of the stored
        entries of the folders from `first` to `last` (one query for many folders)."""
        out: dict[str, dict[str, tuple[Stamp | None, int, bool, str | None]]] = {}
        for folder, entry_id, size, mtime, ctime, ino, checked in self._query(
                "SELECT folder, id, size, mtime_ns, ctime_ns, ino, checked_ns "
                "FROM sessions INDEXED BY sessions_by_folder WHERE folder BETWEEN ? AND ?",
                (first, last)):
            out.setdefault(folder, {})[f"{entry_id}.toml"] = (
                None if size is None else (size, mtime, ctime, ino), checked, True, None)
        for folder, name, reason in self._query(
                "SELECT folder, name, reason FROM others WHERE folder BETWEEN ? AND ?",
                (first, last)):
            out.setdefault(folder, {})[name] = (None, 0, False, reason)
        return out

    def put(self, entry: Entry, doc: bytes | str | None = None) -> None:
        """Store `entry` and its document (inside `writing`); text is compressed here."""
        if entry.id is None:
            self._run("INSERT OR REPLACE INTO others VALUES (?, ?, ?)",
                      (entry.folder, entry.name, entry.reason or ""))
            return
        key = (entry.id, entry.folder)
        if isinstance(doc, str):
            # The first document stored becomes the dictionary of them all (not answers:
            # a document holds everything a session has).
            self._dictionary(doc)
        self._run(
            "INSERT OR REPLACE INTO sessions (id, folder, size, mtime_ns, ctime_ns, ino, "
            "checked_ns, reason, brief, crc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*key, *_columns(entry.stamp), entry.checked_ns, entry.reason, entry.brief,
             _crc(entry.id, entry.reason, entry.brief)))
        if entry.summary is None or entry.answers is None:
            self._run("DELETE FROM summaries WHERE id = ? AND folder = ?", key)
        else:
            answers = entry.answers
            if isinstance(answers, str):
                answers = _pack(answers, self._dictionary(answers))
            self._run("INSERT OR REPLACE INTO summaries VALUES (?, ?, ?, ?, ?)",
                      (*key, entry.summary, answers, _crc(entry.summary, answers)))
        if doc is None:
            self._run("DELETE FROM docs WHERE id = ? AND folder = ?", key)
        else:
            if isinstance(doc, str):
                doc = _pack(doc, self._dictionary(doc))
            self._run("INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?)",
                      (*key, doc, zlib.crc32(doc)))

    def _drop_sessions(self, folder: str, ids: Iterable[str]) -> None:
        keys = [(i, folder) for i in ids]
        with _problems():
            for table in ("sessions", "summaries", "docs"):
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
             key: tuple[str, str] | None, what: str) -> list[Any]:
        """Session rows (of `_COLUMNS` and what `what` needs) in id order (ties by folder),
        after `key` = (id, folder) if given."""
        where: list[str] = []
        args: list[Any] = []
        if client is not None:
            where.append(_FOLDER_CLIENT)
            args.append(client)
        if key is not None:
            op = "<" if newest_first else ">"
            where.append(f"(s.id, s.folder) {op} (?, ?)")
            args += list(key)
        order = "s.id DESC, s.folder DESC" if newest_first else "s.id, s.folder"
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


def _private_file(path: Path) -> None:
    """Create `path` empty and 0600 unless it exists; tighten an existing one to 0600."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE))
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise IndexProblem(f"{path} is not a regular file")
    if info.st_mode & 0o077:  # anything for the group or others
        os.chmod(path, FILE_MODE)


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
        _private_file(path)
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
        reset(store)
        for key, value in expected.items():
            store.set_meta(key, value)


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
                for key, value in (("schema", str(SCHEMA)), ("root", _resolved(root)),
                                   ("code", _code_stamp())):
                    store.set_meta(key, value)
        finally:
            con.close()
        # A journal left by the broken file must not be played back into the new one.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}-journal")
        os.replace(tmp, path)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise IndexProblem(f"cannot replace {path}: {exc}") from None


# --------------------------------------------------------------------------- from storage


def now_ns() -> int:
    return time.time_ns()


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
                store.put(entry, doc)
        finally:
            store.close()


def forget(root: Path, paths: Iterable[Path]) -> None:
    """Remove the rows of deleted session files (index.forget, storage.delete_session).

    `paths` are session files under the sessions folder of the data folder `root`. Their
    content is overwritten in the file (secure_delete). If the rows cannot be removed (the
    index is broken or locked for too long), the whole index file is deleted instead: erased
    health data must not linger in a cache.
    """
    sessions = root / "sessions"
    pairs = []
    for p in paths:
        try:
            rel = Path(p).relative_to(sessions)
        except ValueError:
            continue
        if len(rel.parts) == 2:
            pairs.append(rel.parts)
    if not pairs:
        return
    try:
        store = open_existing(root)
        if store is None:
            return
        try:
            with store.writing():
                for folder, name in pairs:
                    store.drop(folder, [name])
        finally:
            store.close()
    except IndexProblem:
        discard(root)


def discard(root: Path) -> None:
    """Delete the index file of `root` (and its journal): the next command rebuilds it."""
    path = index_path(root)
    for p in (path, Path(f"{path}-journal")):
        # Best effort: what cannot be unlinked (a folder in its place) holds no rows.
        with contextlib.suppress(OSError):
            os.unlink(p)
