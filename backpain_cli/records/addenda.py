"""Addenda: what is added to a completed session later, each in a file of its own.

A session file is never rewritten. What a practitioner adds afterwards (a clinical note,
the choice of what goes on the client's handout) is an *addendum*: a small TOML file beside
the session, named `<session id>+<addendum id>.toml`, with its own id (the same scheme as
session ids), written once (atomically, 0600, never over an existing file) and never
changed. It is shown wherever its session is, erased by `forget` with it, and travels with
it. Which kinds exist and what each holds is checked here on the way in and on the way out,
so a hand-edited or damaged addendum is one named problem, not a traceback.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import StorageError, UsageError
from ..files import NotReadable, TomlError, loads_toml, read_bytes
from ..frozen import frozen
from ..safe_text import visible
from .atomic import write_bytes_atomic
from .paths import (
    ADDENDUM_SEPARATOR,
    data_dir,
    is_addendum_name,
    new_session_id,
    parse_addendum_name,
    sessions_dir,
)
from .storage import client_folder
from .tree import SessionRef, Unreadable

SCHEMA = 1
# What each kind holds: its keys and their types. Texts are the practitioner's own words.
NOTE = "note"
HANDOUT = "handout"
KINDS: Mapping[str, Mapping[str, type]] = {
    NOTE: {"text": str},
    HANDOUT: {"picks": list, "drops": list, "client_note": str},
}
# A note is a visit's findings and what was done, not a document: a limit keeps a pasted
# file out of every listing, export and letter.
MAX_TEXT = 10_000


@frozen
class Addendum:
    id: str
    session: str
    client: str
    kind: str
    created: dt.datetime
    body: Mapping[str, Any]

    @property
    def text(self) -> str:
        """A note's text ("" for other kinds)."""
        value = self.body.get("text", "")
        return value if isinstance(value, str) else ""


def addendum_name(session_id: str, addendum_id: str) -> str:
    return f"{session_id}{ADDENDUM_SEPARATOR}{addendum_id}.toml"


def text_problem(text: str) -> str | None:
    """Why a note's text cannot be stored, or None."""
    if not text.strip():
        return "the note is empty"
    if len(text) > MAX_TEXT:
        return f"the note is {len(text):,} characters long; at most {MAX_TEXT:,} are kept"
    if "\x00" in text:
        return "the note holds a NUL character"
    return None


def _check_body(kind: str, body: Mapping[str, Any]) -> str | None:
    fields = KINDS.get(kind)
    if fields is None:
        return f"unknown addendum kind {kind!r}"
    extra = sorted(set(body) - set(fields))
    if extra:
        return f"unknown key(s) {', '.join(extra)} in a {kind} addendum"
    for key, kind_of in fields.items():
        if key in body and not isinstance(body[key], kind_of):
            return f"{key} of a {kind} addendum is not a {kind_of.__name__}"
        if kind_of is list and key in body and not all(isinstance(v, str) for v in body[key]):
            return f"{key} of a {kind} addendum is not a list of ids"
    if kind == NOTE:
        text = body.get("text")
        return "a note addendum has no text" if text is None else text_problem(text)
    return None


def save_addendum(ref: SessionRef, kind: str, body: Mapping[str, Any], *,
                  root: Path | None = None, now: dt.datetime | None = None) -> Addendum:
    """Write a new addendum of the session `ref` (never over an existing file)."""
    # The writer: only writing an addendum needs it, not reading one.
    import tomli_w

    problem = _check_body(kind, body)
    if problem is not None:
        raise UsageError(problem)
    created = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    base = root or data_dir()
    # Addenda are read in (created, id) order: one added in the same second as another of
    # the session takes an id after it, so that the order is the order they were written.
    newest = max((name.removeprefix(f"{ref.id}{ADDENDUM_SEPARATOR}").removesuffix(".toml")
                  for name in (p.name for p in addenda_paths(ref))
                  if name.startswith(f"{ref.id}{ADDENDUM_SEPARATOR}{created:%Y%m%dT%H%M%SZ}")),
                 default="")
    with client_folder(base, ref.client, verb="writes") as handles:
        folder = sessions_dir(base) / ref.client
        # Random ids as for sessions; the one right after the newest when the draws keep
        # falling before it (a newest near the top of the range).
        draws = (new_session_id(created) for _ in range(20))
        for addendum_id in itertools.chain(draws, [_after(newest)]):
            if addendum_id is None or addendum_id <= newest:
                continue
            path = folder / addendum_name(ref.id, addendum_id)
            doc = {"schema": SCHEMA, "kind": kind, "session": ref.id, "client": ref.client,
                   "created": created, kind: dict(body)}
            try:
                write_bytes_atomic(path, tomli_w.dumps(doc).encode("utf-8"), overwrite=False,
                                   folder=handles[-1])
            except FileExistsError:
                continue
            return Addendum(addendum_id, ref.id, ref.client, kind, created, dict(body))
    raise StorageError(f"cannot find a free addendum id in {folder}")


def _after(addendum_id: str) -> str | None:
    """The id right after `addendum_id` in its second ("" for none), or None at the top."""
    if not addendum_id:
        return None
    stamp, _, suffix = addendum_id.rpartition("-")
    following = int(suffix, 16) + 1
    return f"{stamp}-{following:06x}" if following <= 0xFFFFFF else None


def read_addendum(path: Path) -> Addendum:
    """One addendum file; StorageError naming the file and the problem."""
    parsed = parse_addendum_name(path.name)
    if parsed is None:
        raise StorageError(f"{path}: not named like an addendum")
    try:
        doc = loads_toml(read_bytes(path, follow_links=False).decode("utf-8"))
    except NotReadable as exc:
        raise StorageError(f"{path}: {exc}") from None
    except UnicodeDecodeError:
        raise StorageError(f"{path}: not UTF-8") from None
    except (TomlError, ValueError, OverflowError) as exc:
        # ValueError: an integer past Python's digit limit (the parser raises it as is).
        raise StorageError(f"{path}: not valid TOML ({exc})") from None
    kind = doc.get("kind")
    created = doc.get("created")
    body = doc.get(kind) if isinstance(kind, str) else None
    problem = None
    if doc.get("schema") != SCHEMA:
        problem = f"unknown addendum schema {doc.get('schema')!r}"
    elif doc.get("session") != parsed[0]:
        problem = "the session it names is not the one in its file name"
    elif not isinstance(created, dt.datetime) or created.tzinfo is None:
        problem = "created is not a date and time with its offset"
    elif not isinstance(body, dict):
        problem = f"no [{kind}] table" if isinstance(kind, str) else "no kind"
    else:
        problem = _check_body(str(kind), body)
    if problem is not None:
        raise StorageError(f"{path}: {problem}")
    assert isinstance(created, dt.datetime) and isinstance(body, dict) and isinstance(kind, str)
    return Addendum(parsed[1], parsed[0], str(doc.get("client", "")), kind,
                    created.astimezone(dt.UTC), body)


def addenda_paths(ref: SessionRef) -> list[Path]:
    """The addendum files of a session, by name, in id order (the order they were added)."""
    prefix = f"{ref.id}{ADDENDUM_SEPARATOR}"
    try:
        names = [p.name for p in ref.path.parent.iterdir()]
    except OSError:
        return []
    return [ref.path.parent / n for n in sorted(names)
            if n.startswith(prefix) and is_addendum_name(n)]


def addenda_of(ref: SessionRef, kind: str | None = None
               ) -> tuple[tuple[Addendum, ...], tuple[Unreadable, ...]]:
    """A session's addenda (of one kind, or all), oldest first, and those that cannot be
    read, each with its reason."""
    found: list[Addendum] = []
    bad: list[Unreadable] = []
    for path in addenda_paths(ref):
        try:
            addendum = read_addendum(path)
        except StorageError as exc:
            bad.append(Unreadable(str(path), visible(str(exc).removeprefix(f"{path}: "))))
            continue
        if kind is None or addendum.kind == kind:
            found.append(addendum)
    # Within one second, ids were given in the order of writing (save_addendum).
    found.sort(key=lambda a: (a.created, a.id))
    return tuple(found), tuple(bad)


def latest(addenda: Sequence[Addendum], kind: str) -> Addendum | None:
    """The newest addendum of a kind (a later handout choice replaces an earlier one)."""
    of_kind = [a for a in addenda if a.kind == kind]
    return of_kind[-1] if of_kind else None
