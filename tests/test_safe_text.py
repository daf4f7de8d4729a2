"""Control characters from files are shown, never sent: in the terminal, in Markdown, HTML
and CSV exports, and in messages; questionnaire files may not hold them at all."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from backpain_cli.cli.app import app
from backpain_cli.clinical.model import Recommendation
from backpain_cli.errors import SessionFileError, report
from backpain_cli.output import csv as csv_export
from backpain_cli.records.storage import read_session
from backpain_cli.safe_text import control_character, to_json, valid_text, visible, visible_in

GOLDEN = Path(__file__).parent / "golden"
CLIENT = "JD-042"
SESSION = "20261029T101500Z-0f9e8d"  # completed, in tests/golden/sessions

ESC, BEL = "\x1b", "\x07"
# Every character visible() replaces: C0 but line feed and tab, DEL, C1, bidi controls.
CONTROL = [chr(c) for c in [*range(0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0),
                            0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F),
                            *range(0x2066, 0x206A)]]


def raw_controls(text: str) -> list[str]:
    return sorted({f"{ord(c):#04x}" for c in text if c in CONTROL and c != "\r"})


@pytest.mark.parametrize(("text", "shown"), [
    ("\x1b[31mred", "\\x1b[31mred"),
    ("ring\x07", "ring\\x07"),
    ("\x00", "\\x00"),
    ("over\rwrite", "over\\x0dwrite"),
    ("\x7f", "\\x7f"),
    ("\x9b2J", "\\x9b2J"),
    ("\x85", "\\x85"),
    ("two\nlines\tand a tab", "two\nlines\tand a tab"),
    ("été — ½ \xa0 ü", "été — ½ \xa0 ü"),
    ("", ""),
    ("\\x1b typed by hand", "\\x1b typed by hand"),
    # bidirectional overrides and isolates reorder what is shown ("Trojan Source")
    ("JD-\u202e240", "JD-\\u202e240"),
    ("\u2066x\u2069", "\\u2066x\\u2069"),
    # and so do the invisible marks
    ("JD\u200e-042\u200f", "JD\\u200e-042\\u200f"),
    ("\u061c", "\\u061c"),
    # a file name that is not UTF-8, as Python decodes it (issue 17 item 10)
    ("notes\udcff.txt", "notes\\xff.txt"),
])
def test_visible(text: str, shown: str) -> None:
    assert visible(text) == shown


@given(st.binary(max_size=40))
def test_valid_text_shows_each_byte_that_is_not_utf8(name: bytes) -> None:
    """What a file name that is not UTF-8 becomes: text any UTF-8 output, JSON or SQLite
    takes, with each byte that does not decode as \\xNN, and nothing else changed."""
    shown = valid_text(os.fsdecode(name))
    assert shown == name.decode("utf-8", "backslashreplace")
    shown.encode("utf-8")


def test_valid_text_keeps_text_that_is_valid() -> None:
    text = "JD-042/été \x1b½"
    assert valid_text(text) is text
    assert valid_text("a\ud800b") == "a\\ud800b"  # a lone surrogate of no byte


def test_visible_replaces_exactly_the_control_characters() -> None:
    for code in [*range(0x200), 0x061C, *range(0x2000, 0x2070), 0xFEFF, 0x1F600]:
        c = chr(code)
        assert (visible(c) != c) == (c in CONTROL), hex(code)
        assert (control_character(c) is not None) == (c in CONTROL), hex(code)


def test_every_control_character_and_undecoded_byte_is_unprintable() -> None:
    """`visible` and `control_character` skip a text that `str.isprintable` passes: that is
    only right while Python calls each character they replace unprintable."""
    from backpain_cli.safe_text import _PLACEHOLDERS

    assert [hex(code) for code in _PLACEHOLDERS if chr(code).isprintable()] == []


@given(st.text())
def test_control_character_finds_the_first_one_anywhere(text: str) -> None:
    first = next((c for c in text if c in CONTROL), None)
    assert control_character(text) == (None if first is None else visible(first))


def test_visible_in_rebuilds_what_holds_a_control_character_and_nothing_else() -> None:
    clean = Recommendation("a.b", "sleep", "Title", "Detail", ("q1",), "Evidence")
    dirty = dataclasses.replace(clean, detail=f"De{ESC}[2Jtail", because=("q1", f"q{BEL}"))
    assert visible_in(clean) is clean
    shown = visible_in((clean, dirty, {f"k{ESC}": [f"v{BEL}"]}))
    assert shown == (clean, dataclasses.replace(
        clean, detail="De\\x1b[2Jtail", because=("q1", "q\\x07")), {"k\\x1b": ["v\\x07"]})
    assert shown[0] is clean


# --------------------------------------------------------------------------- session files


@pytest.fixture
def home(backpain_home: Path) -> Path:
    shutil.copytree(GOLDEN / "sessions", backpain_home / "sessions")
    path = backpain_home / "sessions" / CLIENT / f"{SESSION}.toml"
    doc: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    rec = doc["recommendations"][0]
    rec["title"] = f"Title{ESC}[2J{BEL}"
    rec["detail"] = f"Detail{ESC}]0;owned{BEL}"
    rec["evidence"] = f"Evidence{ESC}[8m"
    doc["tool_version"] = f"0.1.0{ESC}[31m"
    doc["answers"]["pain_duration"] = f"over_12_weeks{ESC}[5m"
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    read_session(path)  # still a readable session: only its texts are odd
    return backpain_home


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"NO_COLOR": "1", "COLUMNS": "200"})


TITLE = "Title\\x1b[2J\\x07"
DETAIL = "Detail\\x1b]0;owned\\x07"
EVIDENCE = "Evidence\\x1b[8m"
VERSION = "0.1.0\\x1b[31m"
ANSWER = "over_12_weeks\\x1b[5m"


@pytest.mark.parametrize(("args", "shown"), [
    # review re-runs the session through today's rules: it shows the saved version, the
    # answer today's questionnaire no longer takes, and the saved title that changed.
    (("review", SESSION), [VERSION, ANSWER, TITLE]),
    (("export", SESSION, "--format", "html", "--detail", "full"), [TITLE, DETAIL, EVIDENCE]),
    # Markdown escapes the backslash of the placeholder, so that a viewer shows it.
    (("export", SESSION, "--format", "md", "--detail", "full"),
     [t.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
      for t in (TITLE, DETAIL, EVIDENCE)]),
], ids=["review", "html", "md"])
def test_control_characters_from_a_session_file_are_shown_not_sent(
        home: Path, args: tuple[str, ...], shown: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert raw_controls(result.stdout) == []
    for text in shown:
        assert text in result.stdout, text


def test_json_keeps_the_stored_text_exactly(home: Path) -> None:
    # JSON escapes control characters itself, and a JSON reader gets the real text back.
    result = run("export", SESSION, "--format", "json")
    assert result.exit_code == 0, result.output
    assert raw_controls(result.stdout) == []
    assert '"tool_version": "0.1.0\\u001b[31m"' in result.stdout


# Every character JSON output must not carry raw (json.dumps escapes only C0 itself).
RAW_IN_JSON = [c for c in CONTROL if ord(c) >= 0x20]


def json_raw_controls(text: str) -> list[str]:
    return sorted({f"{ord(c):#06x}" for c in text if c in RAW_IN_JSON})


@pytest.fixture
def json_home(backpain_home: Path) -> Path:
    """A session whose stored texts hold DEL, the C1 CSI (U+009B) and the bidi marks."""
    shutil.copytree(GOLDEN / "sessions", backpain_home / "sessions")
    path = backpain_home / "sessions" / CLIENT / f"{SESSION}.toml"
    doc: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    doc["recommendations"][0]["title"] = JSON_TITLE
    doc["tool_version"] = "0.1.0\u200e\u202e"
    doc["recommendations"][0]["detail"] = JSON_DETAIL
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    read_session(path)
    return backpain_home


JSON_TITLE = "Title\x7f\x9b2J\x85"
JSON_DETAIL = "Detail\u061c\u2066turned\u2069\u200f"


@pytest.mark.parametrize("args", [
    ("export", SESSION, "--format", "json"),
    ("export", SESSION, "--format", "jsonl"),
    ("export", SESSION, "--format", "fhir"),
    ("export", "--client", CLIENT, "--format", "jsonl"),
    ("export", "--all", "--format", "jsonl"),
    ("review", SESSION, "--json"),
    ("review", CLIENT, "--json"),
], ids=lambda a: " ".join(a))
def test_json_escapes_del_c1_and_bidi_controls(json_home: Path, args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert json_raw_controls(result.stdout) == []
    docs = ([json.loads(line) for line in result.stdout.splitlines()]
            if args[-1] == "jsonl" else [json.loads(result.stdout)])
    if args[-1] in ("json", "jsonl"):
        # Escaped, not dropped: a JSON reader gets the stored text back.
        recommendation = next(d for d in docs if d["session"] == SESSION)["recommendations"][0]
        assert (recommendation["title"], recommendation["detail"]) == (JSON_TITLE, JSON_DETAIL)


def test_jsonl_from_an_older_index_is_escaped_as_well(json_home: Path) -> None:
    """An index written before the escapes keeps its records as json.dumps wrote them: the
    bulk export escapes on the way out."""
    from backpain_cli.output.json_doc import write_lines
    from backpain_cli.records.index.listing import BulkResult

    raw = json.dumps({"title": JSON_TITLE}, ensure_ascii=False) + "\n"
    out = io.StringIO()
    write_lines(out, iter([raw]), lambda path, reason: None, BulkResult())
    assert out.getvalue() == '{"title": "Title\\u007f\\u009b2J\\u0085"}\n'
    assert json.loads(out.getvalue()) == {"title": JSON_TITLE}


def test_to_json_escapes_exactly_the_characters_json_leaves_raw() -> None:
    every = "".join(chr(c) for c in [*range(0x200), 0x061C, *range(0x2000, 0x2070), 0xFEFF])
    text = to_json({"t": every})
    assert json.loads(text) == {"t": every}
    assert json_raw_controls(text) == []
    assert "é" in text and "\u2028" in text  # the rest stays as it is
    assert to_json([1, "ü"], indent=None) == '[1,"ü"]'


def test_csv_cells_are_shown_and_still_guarded_against_formulas() -> None:
    session = read_session(GOLDEN / "sessions" / CLIENT / f"{SESSION}.toml")
    odd = dataclasses.replace(session, client=f"={ESC}[31mJD", follows=f"x{BEL}")
    row = csv_export.row(odd)
    assert row[1] == "'=\\x1b[31mJD"
    assert row[4] == "x\\x07"


def test_error_messages_show_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    report(SessionFileError(f"/data/{ESC}[31m.toml", f"bad {BEL}"))
    assert capsys.readouterr().err == "backpain: error: /data/\\x1b[31m.toml: bad \\x07\n"


# --------------------------------------------------------------------------- questionnaires


MODULE = """\
id = "mine"
version = "1"
title = "Mine{title}"

[[questions]]
id = "my_question"
type = "choice"
text = "How{text}"
choices = [{{ value = "a", label = "A{label}" }}, {{ value = "b", label = "B" }}]
"""


# TOML itself refuses raw control characters in a string, but not their escapes.
@pytest.mark.parametrize(("where", "field", "escape", "shown"), [
    ("title", "title", "\\u001b[2J", "\\x1b"),
    ("text", "my_question: text", "\\u0007", "\\x07"),
    ("label", "my_question: choices[1].label", "\\u009b2J", "\\x9b"),
    ("text", "my_question: text", "\\r", "\\x0d"),
])
def test_questionnaires_check_refuses_control_characters(tmp_path: Path, where: str,
                                                          field: str, escape: str,
                                                          shown: str) -> None:
    texts = {"title": "", "text": "?", "label": ""}
    texts[where] += escape
    path = tmp_path / "mine.toml"
    path.write_text(MODULE.format(**texts), encoding="utf-8")
    result = run("questionnaires", "check", str(path))
    assert result.exit_code == 1, result.output
    location, _, what = field.rpartition(": ")
    prefix = f"{path}: {location}" if location else str(path)
    assert result.stderr == (
        "backpain: error: invalid questionnaire (1):\n"
        f"  - {prefix}: {what} contains the control character {shown}; a text may hold "
        "line breaks and tabs, no other control characters\n")


def test_questionnaires_check_takes_line_breaks_and_tabs(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(MODULE.format(title="", text='\\n\\tplease', label=""), encoding="utf-8")
    result = run("questionnaires", "check", str(path))
    assert result.exit_code == 0, result.output
