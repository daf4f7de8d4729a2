"""Reading a session file's summary fast: everything but its recommendations, which
listings and CSV rows do not need.

A saved session is mostly answers and recommendation texts, and parsing them with tomllib
is most of the cost of reading it (about 1 ms a file). `read_summary` parses the file with
regular expressions that accept only a strict subset of TOML, line for line (the shape
tomli_w writes session files in), and checks the recommendations' shape without building
them. Anything else, even harmless, is read by `storage.read_session` instead, and both
end in `storage.check_read`, so a corrupt, hand-edited or out-of-range file is judged
exactly as everywhere else. (The answers are parsed too: `review --due` needs the pain
duration, and a stored answer out of range must make the file unreadable here as well.)
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from ..files import NotReadable, read_bytes
from .session import Session, SessionFormatError, from_toml_dict
from .storage import check_read, read_session

# A strict subset of TOML, as tomli_w writes session files. Every pattern below accepts
# only text that TOML reads the same way; whatever they do not match goes to tomllib.
# Basic strings: no raw control characters, only escapes that JSON decodes identically.
_STR = r'"(?:[^"\\\x00-\x1f\x7f]++|\\[btnfr"\\]|\\u00[0-9A-Fa-f]{2})*+"'
_KEY = r"[A-Za-z0-9_-]+"
_INT = r"-?(?:0|[1-9][0-9]{0,17})"
_FLOAT = r"-?(?:0|[1-9][0-9]{0,17})\.[0-9]{1,17}"
_DATETIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\+00:00"
_STR_ARRAY = rf"(?:\[\]|\[\n(?:    {_STR},\n)++\])"
_FLAG = rf"\{{ id = ({_STR}), tier = ({_STR}) \}}"
_FLAG_ARRAY = rf"(?:\[\n(?:    {_FLAG},\n)++\])"
_ENTRY = re.compile(
    rf"({_KEY}) = (?:(true|false)|({_FLOAT})|({_INT})|({_STR})|({_DATETIME})|({_STR_ARRAY})"
    rf"|({_FLAG_ARRAY}))\n")
_BLANK_OR_COMMENT = re.compile(r"(?:[ \t]*(?:#[^\x00-\x08\x0a-\x1f\x7f]*)?\n)*")
_STR_RE = re.compile(_STR)
_FLAG_RE = re.compile(_FLAG)
_ANSWERS_SECTION = re.compile(
    rf"\[answers\]\n(?:{_KEY} = (?:true|false|{_INT}|{_STR}|{_STR_ARRAY})\n)*+\n*")
# One answer line, for a section `_ANSWERS_SECTION` has matched whole.
_ANSWER = re.compile(
    rf"^({_KEY}) = (?:(true|false)|({_INT})|({_STR})|({_STR_ARRAY}))$", re.MULTILINE)
_QUESTIONNAIRE_SECTION = re.compile(
    rf"\[questionnaires\.({_KEY})\]\nversion = ({_STR})\nsha256 = ({_STR})\n\n*")
# Recommendations with exactly the six keys `from_toml_dict` requires, in tomli_w's order,
# as the file's last sections (where tomli_w puts an array of tables).
_RECOMMENDATIONS_TAIL = re.compile(
    rf"(?:\[\[recommendations\]\]\nid = {_STR}\nstrategy = {_STR}\ntitle = {_STR}\n"
    rf"detail = {_STR}\nbecause = {_STR_ARRAY}\nevidence = {_STR}\n\n*)++")
_RECOMMENDATIONS_AT = "\n[[recommendations]]\n"
_TABLE_NAMES = frozenset(("answers", "questionnaires", "scores", "recommendations"))


class _NotStrict(Exception):
    """The file is outside the strict subset: read it the ordinary way."""


def _value(m: re.Match[str]) -> object:
    kind = m.lastindex
    token = m.group(kind or 0)
    if kind == 2:
        return token == "true"
    if kind == 3:
        return float(token)
    if kind == 4:
        return int(token)
    if kind == 5:
        return json.loads(token)
    if kind == 6:
        try:
            return dt.datetime.fromisoformat(token)
        except ValueError:  # e.g. month 13: let tomllib word the error
            raise _NotStrict from None
    if kind == 7:
        return [json.loads(s) for s in _STR_RE.findall(token)]
    return [{"id": json.loads(i), "tier": json.loads(t)} for i, t in _FLAG_RE.findall(token)]


def _entries(text: str, pos: int, end: int) -> dict[str, object]:
    """`key = value` lines between pos and end (a table's body)."""
    table: dict[str, object] = {}
    while True:
        blank = _BLANK_OR_COMMENT.match(text, pos, end)  # always matches, maybe empty
        pos = blank.end() if blank else pos
        if pos >= end:
            return table
        m = _ENTRY.match(text, pos, end)
        if m is None:
            raise _NotStrict
        key = m.group(1)
        if key in table:
            raise _NotStrict
        # The group numbers of the value alternatives start at 2; lastindex is the one hit.
        table[key] = _value(m)
        pos = m.end()


def _answers(text: str, pos: int, end: int) -> dict[str, object]:
    """The answers of a section that `_ANSWERS_SECTION` matched (faster than `_entries`)."""
    answers: dict[str, object] = {}
    count = 0
    for m in _ANSWER.finditer(text, pos, end):
        count += 1
        kind, token = m.lastindex, m.group(m.lastindex or 0)
        answers[m.group(1)] = (token == "true" if kind == 2 else int(token) if kind == 3
                               else json.loads(token) if kind == 4
                               else [json.loads(v) for v in _STR_RE.findall(token)])
    if count != len(answers):
        raise _NotStrict  # a key given twice: tomllib must judge
    return answers


def _line_starts_with_bracket(text: str) -> list[int]:
    # str.find runs in C; a MULTILINE "^\\[" regex is several times slower here.
    starts = [0] if text.startswith("[") else []
    pos = text.find("\n[")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n[", pos + 2)
    return starts


def _summary(text: str) -> dict[str, object]:
    """What `tomllib.loads(text)` gives, minus the recommendations (validated, then left
    empty). Raises _NotStrict outside the strict subset.
    """
    # Without multi-line strings, a line starting with "[" is a table header or makes the
    # document invalid, so splitting on such lines cannot change what anything means.
    if '"""' in text or "\'\'\'" in text or not text.endswith("\n"):
        raise _NotStrict
    rec_at = text.find(_RECOMMENDATIONS_AT)
    if rec_at != -1:
        if not _RECOMMENDATIONS_TAIL.fullmatch(text, rec_at + 1):
            raise _NotStrict
        text = text[: rec_at + 1]
    starts = _line_starts_with_bracket(text)
    doc = _entries(text, 0, starts[0] if starts else len(text))
    if _TABLE_NAMES & doc.keys():
        raise _NotStrict  # a key and a table of the same name: tomllib must judge
    if rec_at != -1:
        doc["recommendations"] = []  # there and well formed; a summary does not need them
    questionnaires: dict[str, object] = {}
    seen: set[str] = set()
    for i, begin in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        eol = text.find("\n", begin)
        header = text[begin:eol]
        if header in seen:
            raise _NotStrict
        seen.add(header)
        if header == "[scores]":
            doc["scores"] = _entries(text, eol + 1, end)
        elif header == "[answers]":
            if not _ANSWERS_SECTION.fullmatch(text, begin, end):
                raise _NotStrict
            # Parsed, not skipped: an answer its questionnaire would refuse makes the file
            # unreadable in a listing as everywhere else (storage.check_read).
            doc["answers"] = _answers(text, eol + 1, end)
        elif header.startswith("[questionnaires."):
            m = _QUESTIONNAIRE_SECTION.fullmatch(text, begin, end)
            if m is None:
                raise _NotStrict
            questionnaires[m.group(1)] = {"version": json.loads(m.group(2)),
                                          "sha256": json.loads(m.group(3))}
            doc["questionnaires"] = questionnaires
        elif header == "[questionnaires]" and not text[eol:end].strip():
            doc["questionnaires"] = questionnaires
        else:
            raise _NotStrict
    return doc


def read_summary(path: Path) -> Session:
    """The session at `path` with what a CSV row needs; errors exactly as `read_session`.

    The session returned lacks its recommendations.
    """
    try:
        session = from_toml_dict(
            _summary(read_bytes(path, follow_links=False).decode("utf-8")))
    except (NotReadable, UnicodeDecodeError, _NotStrict, SessionFormatError):
        # Anything unusual: let the one real reader decide, with its own message.
        return read_session(path)
    return check_read(session, path)
