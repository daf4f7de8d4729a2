"""Addenda (records/addenda.py): what is added to a session later, each a file of its own,
written once and never changed, listed with its session, erased by `forget` with it."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from helpers import list_refs
from typer.testing import CliRunner

from backpain_cli.cli.app import app
from backpain_cli.errors import NotFoundError, UsageError
from backpain_cli.records import addenda
from backpain_cli.records.paths import is_addendum_name, parse_addendum_name
from backpain_cli.records.tree import SessionRef, scan

GOLDEN = Path(__file__).parent / "golden" / "sessions"
CLIENT = "JD-042"
LATEST = "20261029T101500Z-0f9e8d"
FIRST = "20260903T091500Z-a1b2c3"
NOON = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def home(backpain_home: Path) -> Path:
    shutil.copytree(GOLDEN, backpain_home / "sessions")
    return backpain_home


def ref(home: Path, session_id: str = LATEST) -> SessionRef:
    return SessionRef(session_id, CLIENT, home / "sessions" / CLIENT / f"{session_id}.toml")


@pytest.mark.parametrize(("name", "parsed"), [
    (f"{LATEST}+20261207T120000Z-abcdef.toml", (LATEST, "20261207T120000Z-abcdef")),
    (f"{LATEST}.toml", None),
    (f"{LATEST}+.toml", None),
    (f"{LATEST}+20261207T120000Z-abcdef.txt", None),
    (f"{LATEST}+{LATEST}+{LATEST}.toml", None),
    (f"notes+{LATEST}.toml", None),
])
def test_addendum_names(name: str, parsed: tuple[str, str] | None) -> None:
    assert parse_addendum_name(name) == parsed
    assert is_addendum_name(name) is (parsed is not None)


def test_a_note_is_written_once_0600_beside_its_session_which_is_not_touched(
        home: Path) -> None:
    session_file = ref(home).path
    before = session_file.read_bytes(), session_file.stat().st_mtime_ns
    note = addenda.save_addendum(ref(home), "note", {"text": "L4/5 tender; soft tissue."},
                                 now=NOON)
    path = session_file.parent / addenda.addendum_name(LATEST, note.id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (session_file.read_bytes(), session_file.stat().st_mtime_ns) == before
    found, bad = addenda.addenda_of(ref(home))
    assert bad == ()
    assert [(a.kind, a.text, a.created, a.session) for a in found] == [
        ("note", "L4/5 tender; soft tissue.", NOON, LATEST)]


def test_addenda_come_oldest_first_and_by_kind(home: Path) -> None:
    for minute, text in ((5, "second"), (1, "first")):
        addenda.save_addendum(ref(home), "note", {"text": text},
                              now=NOON + dt.timedelta(minutes=minute))
    addenda.save_addendum(ref(home), "handout", {"picks": ["sleep.pillow_height"],
                                                 "drops": [], "client_note": ""}, now=NOON)
    notes, _ = addenda.addenda_of(ref(home), "note")
    assert [a.text for a in notes] == ["first", "second"]
    everything, _ = addenda.addenda_of(ref(home))
    assert [a.kind for a in everything] == ["handout", "note", "note"]
    assert addenda.latest(everything, "handout") is not None
    # Another session's addenda are its own.
    assert addenda.addenda_of(ref(home, FIRST)) == ((), ())


@pytest.mark.parametrize(("kind", "body", "problem"), [
    ("note", {"text": "   "}, "the note is empty"),
    ("note", {"text": "x" * 10_001}, "the note is 10,001 characters long; at most 10,000 "
                                     "are kept"),
    ("note", {"text": "a\x00b"}, "the note holds a NUL character"),
    ("note", {}, "a note addendum has no text"),
    ("note", {"text": "ok", "extra": 1}, "unknown key(s) extra in a note addendum"),
    ("letter", {"text": "ok"}, "unknown addendum kind 'letter'"),
    ("handout", {"picks": "sleep.x"}, "picks of a handout addendum is not a list"),
    ("handout", {"picks": [1]}, "picks of a handout addendum is not a list of ids"),
])
def test_bad_addenda_are_refused_before_anything_is_written(
        home: Path, kind: str, body: dict[str, Any], problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        addenda.save_addendum(ref(home), kind, body)
    assert str(caught.value) == problem
    assert not [p for p in ref(home).path.parent.iterdir() if "+" in p.name]


def test_a_damaged_addendum_is_named_with_its_reason_and_the_others_still_read(
        home: Path) -> None:
    good = addenda.save_addendum(ref(home), "note", {"text": "kept"}, now=NOON)
    folder = ref(home).path.parent
    (folder / f"{LATEST}+20261207T130000Z-000000.toml").write_text("kind = [", "utf-8")
    (folder / f"{LATEST}+20261207T140000Z-000000.toml").write_text(
        f'schema = 1\nkind = "note"\nsession = "{FIRST}"\nclient = "{CLIENT}"\n'
        'created = 2026-12-07T14:00:00Z\n[note]\ntext = "moved"\n', "utf-8")
    found, bad = addenda.addenda_of(ref(home))
    assert [a.id for a in found] == [good.id]
    assert [b.reason.split(" (")[0] for b in bad] == [
        "not valid TOML", "the session it names is not the one in its file name"]


def test_listings_neither_list_nor_report_addenda(home: Path) -> None:
    addenda.save_addendum(ref(home), "note", {"text": "a note"}, now=NOON)
    found = scan(home)
    assert found.skipped == ()
    assert all("+" not in r.path.name for r in found.refs)
    listing = CliRunner().invoke(app, ["review", "--json", "--limit", "0"])
    assert listing.exit_code == 0, listing.output
    doc = json.loads(listing.stdout)
    assert doc["unreadable"] == []
    assert all("+" not in s["session"] for s in doc["sessions"])
    assert listing.stderr == ""


def test_forget_a_session_erases_its_addenda_and_only_its_own(home: Path) -> None:
    addenda.save_addendum(ref(home), "note", {"text": "latest's"}, now=NOON)
    kept = addenda.save_addendum(ref(home, FIRST), "note", {"text": "first's"}, now=NOON)
    done = CliRunner().invoke(app, ["forget", LATEST, "--yes"])
    assert done.exit_code == 0, done.output
    folder = home / "sessions" / CLIENT
    assert sorted(p.name for p in folder.iterdir() if "+" in p.name) == [
        addenda.addendum_name(FIRST, kept.id)]
    assert LATEST not in {r.id for r in list_refs(home)}


def test_forget_a_client_erases_every_addendum_and_the_folder(home: Path) -> None:
    addenda.save_addendum(ref(home), "note", {"text": "a note"}, now=NOON)
    addenda.save_addendum(ref(home, FIRST), "handout", {"picks": []}, now=NOON)
    done = CliRunner().invoke(app, ["forget", CLIENT, "--yes"])
    assert done.exit_code == 0, done.output
    assert not (home / "sessions" / CLIENT).exists()


def test_an_addendum_never_replaces_a_file(home: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    """Two addenda made in the same second with the same random part: the second gets a new
    id; the first file is never replaced."""
    ids = iter(["20261207T120000Z-aaaaaa", "20261207T120000Z-aaaaaa",
                "20261207T120000Z-bbbbbb"])
    monkeypatch.setattr(addenda, "new_session_id", lambda moment: next(ids))
    first = addenda.save_addendum(ref(home), "note", {"text": "one"}, now=NOON)
    second = addenda.save_addendum(ref(home), "note", {"text": "two"}, now=NOON)
    assert (first.id, second.id) == ("20261207T120000Z-aaaaaa", "20261207T120000Z-bbbbbb")
    assert [a.text for a in addenda.addenda_of(ref(home))[0]] == ["one", "two"]


def test_a_missing_client_folder_is_one_error_and_is_not_made(home: Path) -> None:
    gone = SessionRef(LATEST, "NO-ONE", home / "sessions" / "NO-ONE" / f"{LATEST}.toml")
    with pytest.raises(NotFoundError, match="NO-ONE: no such folder"):
        addenda.save_addendum(gone, "note", {"text": "x"})
    assert not os.path.exists(home / "sessions" / "NO-ONE")
