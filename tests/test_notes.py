"""`backpain note SESSION [TEXT]` (issue 22, item 1): the practitioner's own notes about a
visit, each a dated addendum; shown in `review SESSION` and the JSON export, never on the
client's handout, erased by `forget` with the session."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pexpect
import pytest
from typer.testing import CliRunner, Result

from backpain_cli.cli.app import app
from backpain_cli.output.json_doc import schema_text

GOLDEN = Path(__file__).parent / "golden" / "sessions"
CLIENT = "JD-042"
LATEST = "20261029T101500Z-0f9e8d"
DRAFT = "20261015T080000Z-777777"
NOTE = "L4/5 tender on palpation; soft tissue work to the lumbar erectors, 30 min."


@pytest.fixture
def home(backpain_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(GOLDEN, backpain_home / "sessions")
    monkeypatch.setenv("COLUMNS", "100")
    return backpain_home


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), prog_name="backpain")


def notes_in(home: Path) -> list[Path]:
    return sorted(p for p in (home / "sessions" / CLIENT).iterdir() if "+" in p.name)


def test_a_note_is_added_beside_the_session_which_is_not_rewritten(home: Path) -> None:
    session_file = home / "sessions" / CLIENT / f"{LATEST}.toml"
    before = session_file.read_bytes()
    done = run("note", LATEST[:13], NOTE)
    assert done.exit_code == 0, done.output
    [path] = notes_in(home)
    assert done.stderr == f"Added note {path.stem.split('+')[1]} to session {LATEST}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert session_file.read_bytes() == before


def test_notes_show_in_review_and_the_json_export_and_validate(home: Path) -> None:
    assert run("note", LATEST, NOTE).exit_code == 0
    assert run("note", LATEST, "Agreed: walk daily.\nReview in two weeks.").exit_code == 0
    shown = run("review", LATEST)
    assert shown.exit_code == 0, shown.output
    assert "Your notes about this visit:" in shown.stdout
    assert shown.stdout.index(NOTE) < shown.stdout.index("Agreed: walk daily.")
    reviewed = json.loads(run("review", LATEST, "--json").stdout)
    assert [n["text"] for n in reviewed["notes"]] == [
        NOTE, "Agreed: walk daily.\nReview in two weeks."]
    exported = run("export", LATEST, "--format", "json")
    assert exported.exit_code == 0, exported.output
    doc = json.loads(exported.stdout)
    assert [n["text"] for n in doc["notes"]] == [n["text"] for n in reviewed["notes"]]
    jsonschema.Draft202012Validator(json.loads(schema_text())).validate(doc)


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_note_never_reaches_the_client_handout(home: Path, fmt: str) -> None:
    assert run("note", LATEST, NOTE).exit_code == 0
    handout = run("export", LATEST, "--format", fmt)
    assert handout.exit_code == 0, handout.output
    assert "L4/5 tender" not in handout.stdout


def test_a_session_without_notes_has_none_in_its_export(home: Path) -> None:
    doc = json.loads(run("export", LATEST, "--format", "json").stdout)
    assert "notes" not in doc
    assert json.loads(run("review", LATEST, "--json").stdout)["notes"] == []


@pytest.mark.parametrize(("args", "code", "message"), [
    ((LATEST, "  \n "), 2, "backpain: usage error: the note is empty\n"),
    ((LATEST, "x" * 10_001), 2, "backpain: usage error: the note is 10,001 characters "
                                "long; at most 10,000 are kept\n"),
    ((DRAFT, NOTE), 1, f"backpain: error: {DRAFT} is a draft: finish it first (backpain "
                       f"assess --resume {DRAFT}); a note is added to a completed visit\n"),
    (("20200101T000000Z-000000", NOTE), 1,
     "backpain: error: no session with id '20200101T000000Z-000000'\n"),
    ((CLIENT, NOTE), 1, "backpain: error: SESSION takes a session id, not a client: JD-042 "
                        "is a client; list its sessions with: backpain review JD-042\n"),
])
def test_bad_notes_are_one_line_and_an_exit_code_and_nothing_is_written(
        home: Path, args: tuple[str, str], code: int, message: str) -> None:
    done = run("note", *args)
    assert (done.exit_code, done.stderr) == (code, message)
    assert notes_in(home) == []


def test_control_characters_are_shown_as_placeholders(home: Path) -> None:
    assert run("note", LATEST, "bad\x1b[31m red").exit_code == 0
    shown = run("review", LATEST).stdout
    assert "\x1b" not in shown
    assert "bad\\x1b[31m red" in shown


def test_forget_erases_the_notes_with_the_session(home: Path) -> None:
    assert run("note", LATEST, NOTE).exit_code == 0
    assert run("forget", LATEST, "--yes").exit_code == 0
    assert notes_in(home) == []


def test_without_text_and_without_a_terminal_it_says_to_give_the_text(home: Path) -> None:
    done = run("note", LATEST)
    assert done.exit_code == 1
    assert "give the note as an argument" in done.stderr
    assert notes_in(home) == []


@pytest.mark.skipif(sys.platform == "win32", reason="pexpect needs a pty")
def test_without_text_the_editor_writes_the_note_and_comment_lines_are_left_out(
        home: Path, tmp_path: Path) -> None:
    editor = tmp_path / "editor.sh"
    # An "editor" that puts two lines above the template's comment lines.
    editor.write_text('#!/bin/sh\nprintf "Found: tender L4/5.\\nDone: 30 min.\\n" | '
                      'cat - "$1" > "$1.new" && mv "$1.new" "$1"\n', encoding="utf-8")
    editor.chmod(0o700)
    env = {**os.environ, "EDITOR": str(editor), "VISUAL": ""}
    child = pexpect.spawn(sys.executable, ["-m", "backpain_cli", "note", LATEST], env=env,
                          encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    doc = json.loads(run("review", LATEST, "--json").stdout)
    assert [n["text"] for n in doc["notes"]] == ["Found: tender L4/5.\nDone: 30 min."]


def test_assess_note_keeps_the_note_beside_the_new_session(
        backpain_home: Path, write_answers: Any, complete_answers: dict[str, Any]) -> None:
    done = run("assess", "--answers", str(write_answers(complete_answers)), "--no-input",
               "--json", "--note", NOTE)
    assert done.exit_code == 0, done.output
    session = json.loads(done.stdout)["session"]
    assert "Added note " in done.stderr and f"to session {session}" in done.stderr
    doc = json.loads(run("review", session, "--json").stdout)
    assert [n["text"] for n in doc["notes"]] == [NOTE]


@pytest.mark.parametrize(("extra", "message"), [
    (("--note", NOTE, "--no-save"), "backpain: usage error: --note is kept beside the saved "
                                    "session: it cannot go with --no-save\n"),
    (("--note", " "), "backpain: usage error: --note: the note is empty\n"),
])
def test_a_bad_assess_note_is_refused_before_anything_is_asked_or_saved(
        backpain_home: Path, write_answers: Any, complete_answers: dict[str, Any],
        extra: tuple[str, ...], message: str) -> None:
    done = run("assess", "--answers", str(write_answers(complete_answers)), "--no-input",
               *extra)
    assert (done.exit_code, done.stderr) == (2, message)
    assert not (backpain_home / "sessions").exists()
