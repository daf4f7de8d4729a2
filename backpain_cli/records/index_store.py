"""The summary index's file: where it lives, its tables, its rows, and what a broken one gets.

A SQLite file in the user cache folder (``$BACKPAIN_CACHE`` when set), one per data folder,
named by a hash of the data folder's resolved path, so that it is never on a shared network
folder with the data and two data folders never share one. It is a cache of what the one
reader (storage.read_session and its checks) made of each session file, keyed by the file's
path and stamp (size, modification and change time, inode), so nothing in it is ever judged
differently from the file itself; records/index.py keeps it in step with the files.

Health data: the file is 0600 in a 0700 folder, SQLite gives its rollback journal the file's
mode, and deleted rows are overwritten (secure_delete), so that erasing a client's sessions
(`forget`) leaves nothing of them in the cache; nothing but rows of session files holds
anything of a client (the compression dictionary is made up, `_dictionary`). The index of a
data folder that no longer exists (moved, deleted) is removed (`prune`). Every problem with
the file -- not a database, a row that fails its checksum, another version's layout, locked
for longer than `TIMEOUT`, a disk error -- is an `IndexProblem`; records/index.py then
rebuilds it or reads the files.

Imported only by the commands that list or save sessions: `sqlite3` costs start-up time.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import json
import os
import re
import sqlite3
import stat
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..clinical.model import Check, FlareItem, Plan, ProgrammeItem, RedFlag
from ..clinical.order import second
from .atomic import FILE_MODE, ensure_dir
from .practice import Practice
from .session import Brief, ModuleRef, Session, brief, document_line, programme_dict

if TYPE_CHECKING:
    from ..clinical.questionnaire import AnswerValue, Question

# Changed whenever the tables or the summary form change: a file of another layout is reset.
# 3: rows in visit order (column `at`); the dictionary no longer the first session stored.
# 4: a plan's consistency checks (clinical content version 3).
SCHEMA = 4
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
    path = os.fsencode(str(root.expanduser().resolve()))
    return cache_dir() / f"index-{zlib.crc32(path):08x}{zlib.adler32(path):08x}.sqlite3"


def _resolved(root: Path) -> str:
    """The data folder's path as the index records it: text SQLite can hold (a path that is
    not UTF-8 is shown with \\xNN, as safe_text.valid_text shows it)."""
    from ..safe_text import valid_text

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


# --------------------------------------------------------------------------- stamps and rows

# What a file's or folder's stat says about its content: size, modification and change
# time, inode (None: it could not be stat-ed). A plain tuple: compared 100,000 times a run.
Stamp = tuple[int, int, int, int]


# SQLite's integers are 64 bits: nanoseconds since 1970 fit from 1677 to 2262. A file dated
# outside (`touch -d 2300-01-01`, a clock set far ahead) is stamped at the limit: its row is
# then never trusted (its stamp cannot be told from a later one) and the file is read each
# time, which is slow for that file but never wrong.
_NS_MIN, _NS_MAX = -(2**63), 2**63 - 1


def _ns(value: int) -> int:
    return value if _NS_MIN <= value <= _NS_MAX else max(_NS_MIN, min(value, _NS_MAX))


def stamp_of(info: os.stat_result) -> Stamp:
    # An inode number is only compared: one past 2**63 (some network and FUSE file
    # systems) is stored as its 64-bit two's complement, which keeps it distinct.
    ino = info.st_ino if info.st_ino <= _NS_MAX else info.st_ino - 2**64
    return info.st_size, _ns(info.st_mtime_ns), _ns(info.st_ctime_ns), ino


def trusted(stored: Stamp | None, checked_ns: int, now: Stamp | None) -> bool:
    """Whether a row stamped `stored` at `checked_ns` still describes a file stamped `now`."""
    return stored is not None and stored == now and checked_ns - stored[1] > RACY_NS


def id_second(session_id: str) -> int:
    """The second a session id names (storage.new_session_id): where a file that cannot be
    read is placed among the sessions (0 for a date no calendar has)."""
    try:
        return calendar.timegm((int(session_id[0:4]), int(session_id[4:6]),
                                int(session_id[6:8]), int(session_id[9:11]),
                                int(session_id[11:13]), int(session_id[13:15])))
    except ValueError:
        return 0


@dataclass(frozen=True)
class Entry:
    """One row: a session file (`id` set) or an entry of a client folder that is not read.

    A readable session has a `brief` and a `summary` with its `answers` (and a document, in
    a table of its own); an unreadable one, and an entry that is not read, a `reason`
    instead. `name` is "" for a client folder that could not be listed. Rows read for one
    purpose carry only the columns it needs (a CSV export fetches no summaries). `at` is
    the second that places the row (clinical.order): the session's time, or for a file that
    cannot be read the time in its id (None: that one).
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
    at: int | None = None

    @property
    def second(self) -> int:
        return id_second(self.id or "") if self.at is None else self.at


def _crc(*parts: str | bytes | None) -> int:
    # Over what is shown: a damaged stamp only makes a file be read again, but a damaged
    # score would be a wrong answer.
    crc = 0
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogatepass")
        crc = zlib.crc32(data + b"\x00", crc)
    return crc


def placed_at(session: Session) -> int:
    """The second that places a readable session among the others (clinical.order)."""
    return second(session.created)


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


def _made_up_answer(question: Question) -> AnswerValue:
    if question.default is not None:
        return question.default
    if question.type == "yesno":
        return False
    if question.type == "int":
        low = question.min or 0
        return (low + (question.max if question.max is not None else low)) // 2
    if question.type == "multi":
        return (question.exclusive or question.choice_values)[:1]
    return question.choice_values[0]


def made_up_document() -> str:
    """The JSON document of a visit nobody had: every question of the shipped questionnaires
    (optional instruments too) answered with its default, else no, the middle of its range,
    "none" or its first choice, with the plan today's rules give for that. What it shares
    with the documents stored is their keys, question ids, choices and recommendation
    texts: none of it is anyone's (the practitioner's own questionnaires are not read)."""
    from ..clinical.engine import build_plan
    from ..clinical.questionnaire import load_registry

    registry = load_registry(None)
    modules = registry.select(registry.optional_ids)
    answers = {q.id: _made_up_answer(q) for m in modules for q in m.questions}
    return document_line(Session(
        id="20000101T000000Z-000000", client="-",
        created=dt.datetime(2000, 1, 1, tzinfo=dt.UTC), status="completed", answers=answers,
        questionnaires=tuple(ModuleRef.of(m) for m in modules),
        instruments=registry.optional_ids, plan=build_plan(answers)))


# --------------------------------------------------------------------------- the summary form

# Every field of Session, Plan and Practice is carried except the recommendations (no
# listing, CSV row or `review --due` shows them). tests/test_index.py checks that these
# lists name every field, so that a new field cannot be forgotten here.
SUMMARY_FIELDS = ("client", "created", "status", "follows", "ended_early", "tool_version",
                  "schema", "practice", "instruments", "skipped", "questionnaires", "plan",
                  "extra")
NOT_IN_SUMMARY = ("id", "answers")  # the row's own columns
PLAN_FIELDS = ("scores", "triage", "red_flags", "warnings", "reassess_weeks", "programme",
               "flare_plan", "programme_step", "checks")
# The programme's heading and flare-up sentences are worked out with a new plan and not
# saved in the session either.
NOT_IN_PLAN = ("recommendations", "programme_heading", "flare_text")
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
                                   list(plan.warnings), plan.reassess_weeks,
                                   programme_dict(plan)],
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
        plan=None if plan is None else _summary_plan(plan),
        follows=follows, tool_version=tool_version, schema=schema, extra=extra,
        ended_early=ended_early, practice=Practice(*practice))


def _summary_plan(plan: list[Any]) -> Plan:
    scores, triage, flags, warnings, weeks, programme = plan
    return Plan(scores, triage, tuple(RedFlag(*f) for f in flags), (), tuple(warnings), weeks,
                programme=(tuple(ProgrammeItem(**{**i, "changes": tuple(i["changes"]),
                                                  "because": tuple(i["because"])})
                                 for i in programme["programme"])
                           if "programme" in programme else None),
                flare_plan=tuple(FlareItem(**{**i, "changes": tuple(i["changes"])})
                                 for i in programme.get("flare_plan", ())),
                programme_step=programme.get("programme_step"),
                checks=(tuple(Check(c["id"], tuple(c["questions"]))
                              for c in programme["checks"])
                        if "checks" in programme else None))


_MODULES: dict[str, tuple[ModuleRef, ...]] = {}


def _modules(text: str) -> tuple[ModuleRef, ...]:
    found = _MODULES.get(text)
    if found is None:
        found = _MODULES[text] = tuple(ModuleRef(*m) for m in json.loads(text))
    return found


# --------------------------------------------------------------------------- the file

# Session rows are read in the order of every listing and export (clinical.order: by `at`,
# the session's second, then id and folder, through sessions_by_time; records/index.py puts
# the sessions of one second in their follow-up order), so a CSV export of 100,000 reads
# them front to back; the summaries (for listings of a few rows) and documents (JSON Lines)
# in tables of their own.
_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE folders (
    name TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, ino INTEGER,
    checked_ns INTEGER NOT NULL, sessions INTEGER NOT NULL);
CREATE TABLE sessions (
    id TEXT NOT NULL, folder TEXT NOT NULL,
    size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, ino INTEGER, checked_ns INTEGER NOT NULL,
    reason TEXT, brief TEXT, crc INTEGER NOT NULL, at INTEGER NOT NULL,
    PRIMARY KEY (id, folder)) WITHOUT ROWID;
-- What a sync compares, folder by folder, read from the index alone.
CREATE INDEX sessions_by_folder
    ON sessions (folder, id, size, mtime_ns, ctime_ns, ino, checked_ns);
CREATE INDEX sessions_by_time ON sessions (at, id, folder);
CREATE INDEX sessions_by_client ON sessions (folder COLLATE NOCASE, at, id);
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
            "s.brief, s.crc, s.at")
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
    folder, entry_id, size, mtime, ctime, ino, checked, reason, brief_, crc, at = row[:11]
    if crc != _crc(entry_id, reason, brief_, str(at)):
        raise IndexProblem(f"the row of {folder}/{entry_id} fails its checksum")
    summary = answers = None
    if len(row) == 14:  # with the summary's columns ("document" rows have 13)
        summary, answers, summary_crc = row[11:]
        if summary is not None and summary_crc != _crc(summary, answers):
            raise IndexProblem(f"the summary of {folder}/{entry_id} fails its checksum")
    return Entry(folder, f"{entry_id}.toml", entry_id,
                 None if size is None else (size, mtime, ctime, ino), checked, reason, brief_,
                 summary, answers, at)


def doc_of(row: Sequence[Any]) -> bytes | None:
    """The document of a row fetched for "document" (checked against its checksum)."""
    doc, crc = row[11], row[12]
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

    def _dictionary(self, *, make: bool = False) -> bytes:
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
        at = entry.second
        self._run(
            "INSERT OR REPLACE INTO sessions (id, folder, size, mtime_ns, ctime_ns, ino, "
            "checked_ns, reason, brief, crc, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*key, *_columns(entry.stamp), entry.checked_ns, entry.reason, entry.brief,
             _crc(entry.id, entry.reason, entry.brief, str(at)), at))
        if entry.summary is None or entry.answers is None:
            self._run("DELETE FROM summaries WHERE id = ? AND folder = ?", key)
        else:
            answers = entry.answers
            if isinstance(answers, str):
                answers = _pack(answers, self._dictionary(make=True))
            self._run("INSERT OR REPLACE INTO summaries VALUES (?, ?, ?, ?, ?)",
                      (*key, entry.summary, answers, _crc(entry.summary, answers)))
        if doc is None:
            self._run("DELETE FROM docs WHERE id = ? AND folder = ?", key)
        else:
            if isinstance(doc, str):
                doc = _pack(doc, self._dictionary(make=True))
            self._run("INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?)",
                      (*key, doc, zlib.crc32(doc)))

    def put_present(self, path: str, entry: Entry, doc: bytes | str | None = None) -> bool:
        """`put` the entry of the file (or folder) at `path`, unless it is gone by now: then
        its row is dropped instead. Inside `writing`, which `forget` waits for: a command
        that read a file just before it was erased never writes it back into the cache.
        An entry whose name is not UTF-8 is stored as shown (\\xNN, safe_text.valid_text),
        which is no path to look at: it is kept while its folder is there (the caller
        checks the folder), as it is not a session and `forget` never deletes it."""
        shown_only = entry.reason is not None and "\\" in entry.name
        if not shown_only and not os.path.lexists(path):
            self.drop(entry.folder, [entry.name])
            return False
        self.put(entry, doc)
        return True

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
             key: tuple[int, str, str] | None, what: str) -> list[Any]:
        """Session rows (of `_COLUMNS` and what `what` needs) by second, id and folder,
        after `key` = (at, id, folder) if given. The sessions of one second are put in
        their follow-up order by the caller (clinical.order)."""
        where: list[str] = []
        args: list[Any] = []
        if client is not None:
            where.append(_FOLDER_CLIENT)
            args.append(client)
        if key is not None:
            op = "<" if newest_first else ">"
            where.append(f"(s.at, s.id, s.folder) {op} (?, ?, ?)")
            args += list(key)
        order = "s.at DESC, s.id DESC, s.folder DESC" if newest_first else "s.at, s.id, s.folder"
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
    except (OSError, sqlite3.Error, IndexProblem) as exc:
        # Also when SQLite failed (a full disk): no temp file is left behind.
        for p in (tmp, Path(f"{tmp}-journal")):
            with contextlib.suppress(OSError):
                os.unlink(p)
        raise IndexProblem(f"cannot replace {path}: {exc}") from None


# --------------------------------------------------------------------------- from storage


def now_ns() -> int:
    return _ns(time.time_ns())


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
