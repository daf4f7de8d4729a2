"""The summary index's row codec: what a row holds of a session file, and how it is encoded.

A row is an `Entry`: the file's stamp (what its stat says about its content), and what the
one reader (records/storage.py) made of it: a brief (a listing or CSV row), a summary (the
Session without its recommendations) with its answers, and the JSON document (a JSON Lines
record), or the reason it cannot be read. Texts are compact JSON; answers and documents are
compressed with a preset dictionary that is no one's health data (`made_up_document`).
records/index/db.py stores entries; nothing here knows SQLite.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import os
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from ...clinical.model import Check, FlareItem, Plan, ProgrammeItem, RedFlag
from ...clinical.order import second
from ...frozen import frozen
from ..practice import Practice
from ..session import Brief, ModuleRef, Session, brief, document_line, programme_dict
from ..tree import Unreadable

if TYPE_CHECKING:
    from ...clinical.questionnaire import AnswerValue, Question


# What a row is read as (`What`): a Brief (a listing or CSV row), a Session (a summary: no
# recommendations) or the JSON Lines record of one; an Unreadable for a file that cannot be
# read.
Value = Brief | Session | str | Unreadable
What = Literal["brief", "summary", "document"]


class IndexProblem(Exception):
    """The index cannot be used as it is; the message says why (for tests and debugging).

    `locked`: another command held it for longer than TIMEOUT. Nothing is wrong with the
    file then, so it is not rebuilt; the files are read instead.
    """

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


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


def id_second(session_id: str) -> int:
    """The second a session id names (paths.new_session_id): where a file that cannot be
    read is placed among the sessions (0 for a date no calendar has)."""
    try:
        return calendar.timegm((int(session_id[0:4]), int(session_id[4:6]),
                                int(session_id[6:8]), int(session_id[9:11]),
                                int(session_id[11:13]), int(session_id[13:15])))
    except ValueError:
        return 0


@frozen
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
    # The answers (JSON) of a file just read; a stored row keeps them in its `body`.
    answers: str | None = None
    at: int | None = None
    # What the TOML parser made of a file just read (`parsed_text`); None when it was not parsed,
    # or cannot be kept. After an upgrade it is judged again instead of the file being
    # parsed again.
    parsed: str | None = None
    # What the row says, in 63 bits (`digest`): a row judged again is written only when
    # its judgement changed.
    judged: int | None = None
    # The answers, JSON document and parsed document compressed together (`Body`), as
    # stored or as a worker of a first build made them.
    body: Body | None = None

    @property
    def second(self) -> int:
        return id_second(self.id or "") if self.at is None else self.at


def checksum(*parts: str | bytes | None) -> int:
    # Over what is shown: a damaged stamp only makes a file be read again, but a damaged
    # score would be a wrong answer.
    crc = 0
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogatepass")
        crc = zlib.crc32(data + b"\x00", crc)
    return crc


def digest(*parts: str | None) -> int:
    """Two checksums (crc32 and adler32) of `parts`, as one number below 2**63."""
    data = "".join("-" if p is None else f"{len(p)}:{p}" for p in parts).encode(
        "utf-8", "surrogatepass")
    return (zlib.crc32(data) << 31) | (zlib.adler32(data) >> 1)


def row(folder: str, name: str, session_id: str, stamp: Stamp | None, checked_ns: int,
        reason: str | None = None, session: Session | None = None,
        parsed: str | None = None) -> tuple[Entry, str | None]:
    """The entry and JSON document of a session file: of `session` as the reader made it, or
    of the `reason` it cannot be read. `parsed`: what the TOML parser made of it (parsed_text)."""
    if session is None:
        return Entry(folder, name, session_id, stamp, checked_ns, reason, parsed=parsed,
                     judged=digest(reason)), None
    brief, summary, answers, doc = readable(session)
    at = placed_at(session)
    return Entry(folder, name, session_id, stamp, checked_ns, None, brief, summary, answers,
                 at, parsed, digest(None, brief, summary, answers, doc, str(at))), doc


def packed(entry: Entry, doc: str | None, zdict: bytes) -> tuple[Entry, None]:
    """`entry` and `doc` with their answers, document and parsed document compressed into
    its body (in a worker of a first build, rather than by the store)."""
    return replace(entry, answers=None, parsed=None,
                   body=Body.of(entry.answers, doc, entry.parsed, zdict)), None


class Body(NamedTuple):
    """A row's answers, JSON document and parsed document (each "" when it has none),
    compressed in one stream: the parsed document repeats much of the document, which
    then costs little room and time. The stream is flushed after the document, so that
    `head` alone gives the answers and the document (what listings and exports read)
    and `tail` is needed only for the parsed document (None: not fetched). Each part is
    decompressed only as far as needed."""

    head: bytes
    tail: bytes | None
    # The UTF-8 bytes of each part, in this order.
    answers: int
    doc: int
    parsed: int

    @classmethod
    def of(cls, answers: str | None, doc: str | None, parsed: str | None,
           zdict: bytes) -> Body | None:
        """The body of these texts; None when there are none."""
        parts = [(text or "").encode("utf-8") for text in (answers, doc, parsed)]
        if not any(parts):
            return None
        packer = zlib.compressobj(1, zdict=zdict)
        head = packer.compress(parts[0] + parts[1]) + packer.flush(zlib.Z_SYNC_FLUSH)
        return cls(head, packer.compress(parts[2]) + packer.flush(),
                   *(len(part) for part in parts))

    def part(self, zdict: bytes, n: int) -> str:
        """Part `n`: 0 the answers, 1 the JSON document, 2 the parsed document ("" if none);
        IndexProblem if the body cannot be decompressed."""
        bounds = (0, self.answers, self.answers + self.doc,
                  self.answers + self.doc + self.parsed)
        if bounds[n] == bounds[n + 1]:
            return ""  # nothing to decompress (and a max_length of 0 would mean no limit)
        try:
            if n == 2 and self.tail is None:
                raise ValueError("its parsed document was not fetched")
            blob = self.head if n < 2 else self.head + (self.tail or b"")
            data = zlib.decompressobj(zdict=zdict).decompress(blob, bounds[n + 1])
            if len(data) != bounds[n + 1]:
                raise ValueError(f"{len(data)} bytes, not {bounds[n + 1]}")
            return data[bounds[n]:].decode("utf-8")
        except (zlib.error, UnicodeDecodeError, ValueError) as exc:
            raise IndexProblem(f"a stored body cannot be decompressed ({exc})") from None


def placed_at(session: Session) -> int:
    """The second that places a readable session among the others (clinical.order)."""
    return second(session.created)


def readable(session: Session) -> tuple[str, str, str, str]:
    """The brief, summary, answers and JSON document of a session as the reader made it."""
    answers = _compact({k: list(v) if isinstance(v, tuple) else v
                        for k, v in session.answers.items()})
    return brief_text(session), summary_text(session), answers, document_line(session)


# --------------------------------------------------------------------------- the parsed document

# The TOML parser's dates and times in JSON: an object whose one key is NUL, holding the kind
# and the ISO text. A file of its own can spell that too ("\u0000" is a valid TOML key):
# then the text holds more `"\u0000` than tags were written, and the document is not kept
# (its file is parsed again after an upgrade instead).
_TAG = "\x00"
_KINDS: dict[str, Callable[[str], object]] = {
    "datetime": dt.datetime.fromisoformat, "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat}


def parsed_text(raw: dict[str, Any]) -> tuple[str | None, list[object] | None]:
    """What the TOML parser made of a session file, as JSON text that `parsed_of` reads back equal
    (every type and time offset kept; None when it cannot be kept so), and the dates and
    times found in it on the way (None when they were not all seen)."""
    found: list[object] = []

    def tagged(value: object) -> dict[str, list[str]]:
        # datetime before date: a datetime is a date too.
        for kind, cls in (("datetime", dt.datetime), ("date", dt.date), ("time", dt.time)):
            if isinstance(value, cls):
                found.append(value)
                return {_TAG: [kind, value.isoformat()]}
        raise TypeError(f"{type(value).__name__} is not a TOML value")

    try:
        text = json.dumps(raw, ensure_ascii=False, separators=(",", ":"), default=tagged)
    except (TypeError, ValueError, RecursionError):
        return None, None
    return (text if text.count('"\\u0000') == len(found) else None), found


def parsed_of(text: str) -> tuple[dict[str, Any], list[object]]:
    """The parsed document `parsed_text` wrote, and its dates and times; IndexProblem if it
    is not one."""
    found: list[object] = []

    def untagged(table: dict[str, Any]) -> object:
        if len(table) == 1 and _TAG in table:
            kind, value = table[_TAG]
            found.append(_KINDS[kind](value))
            return found[-1]
        return table

    try:
        raw = json.loads(text, object_hook=untagged)
    except (ValueError, TypeError, LookupError, RecursionError) as exc:
        raise IndexProblem(f"a stored parsed document cannot be read ({exc})") from None
    if not isinstance(raw, dict):
        raise IndexProblem("a stored parsed document is not a table")
    return raw, found


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
    # The rules and questionnaires: only when an index's dictionary is first made.
    from ...clinical.engine import build_plan
    from ...clinical.questionnaire import load_registry

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
                  "extra", "intake", "red_flags_confirmed")
NOT_IN_SUMMARY = ("id", "answers")  # the row's own columns
PLAN_FIELDS = ("scores", "triage", "red_flags", "warnings", "reassess_weeks", "programme",
               "flare_plan", "programme_step", "checks")
# The programme's heading and flare-up sentences are worked out with a new plan and not
# saved in the session either.
NOT_IN_PLAN = ("recommendations", "programme_heading", "flare_text")
PRACTICE_FIELDS = ("name", "contact", "practitioner")


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# A brief's form is the judging code's (db._JUDGES): a change to it, as when the outcome
# report's practitioner, age and pregnancy joined it, has every stored row judged again from
# its parsed document before any is read, not the index reset.
def brief_text(session: Session) -> str:
    b = brief(session)
    return _compact([b.client, b.created.isoformat(), b.status, b.follows, b.triage,
                     list(b.red_flags), dict(b.scores), b.pain_duration, b.reassess_weeks,
                     b.ended_early, list(b.instruments), b.practitioner, b.age, b.pregnancy])


def brief_of(session_id: str, text: str) -> Brief:
    (client, created, status, follows, triage, flags, scores, duration, weeks, ended_early,
     instruments, practitioner, age, pregnancy) = json.loads(text)
    return Brief(session_id, client, dt.datetime.fromisoformat(created), status, follows,
                 triage, tuple(flags), scores, duration, weeks, ended_early,
                 tuple(instruments), practitioner, age, pregnancy)


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
        _intake_json(session.intake), session.red_flags_confirmed,
    ])


def _intake_json(intake: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The client's intake table (issue 21), its time as text."""
    if intake is None:
        return None
    completed = intake.get("completed")
    return {**intake, "completed": completed.isoformat()
            if isinstance(completed, dt.datetime) else completed}


def _intake_of(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    completed = data.get("completed")
    return {**data, "completed": dt.datetime.fromisoformat(completed)
            if isinstance(completed, str) else completed}


def summary_session(session_id: str, text: str, answers: str) -> Session:
    """The Session a summary (and its answers' JSON) stands for: without its
    recommendations (see SUMMARY_FIELDS)."""
    (client, created, status, follows, ended_early, tool_version, schema, practice,
     instruments, skipped, questionnaires, plan, extra, intake,
     red_flags_confirmed) = json.loads(text)
    return Session(
        id=session_id, client=client, created=dt.datetime.fromisoformat(created),
        status=status, answers={k: tuple(v) if isinstance(v, list) else v
                                for k, v in json.loads(answers).items()},
        questionnaires=_modules(questionnaires),
        instruments=tuple(instruments), skipped=tuple(skipped),
        plan=None if plan is None else _summary_plan(plan),
        follows=follows, tool_version=tool_version, schema=schema, extra=extra,
        ended_early=ended_early, practice=Practice(*practice), intake=_intake_of(intake),
        red_flags_confirmed=red_flags_confirmed)


_MODULES: dict[str, tuple[ModuleRef, ...]] = {}


def _modules(text: str) -> tuple[ModuleRef, ...]:
    found = _MODULES.get(text)
    if found is None:
        found = _MODULES[text] = tuple(ModuleRef(*m) for m in json.loads(text))
    return found


def now_ns() -> int:
    return _ns(time.time_ns())


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
