"""`backpain forget CLIENT|SESSION` (issue 13, item 7): a client's request to erase their
health data is honoured: their session files (drafts too) and folder are deleted after a
typed confirmation, their rows leave the summary index, and nothing outside the data folder
or behind a symbolic link is touched."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest
from typer.testing import CliRunner, Result

from backpain_cli.cli.app import app
from backpain_cli.records import index, index_store
from backpain_cli.records.storage import list_refs

GOLDEN = Path(__file__).parent / "golden" / "sessions"
CLIENT = "JD-042"
FIRST, SECOND, DRAFT, LATEST = (
    "20260903T091500Z-a1b2c3", "20261001T140000Z-d4e5f6", "20261015T080000Z-777777",
    "20261029T101500Z-0f9e8d")
OTHER = "AB-7"
OTHER_ID = "20261101T090000Z-abcdef"
NOT_TOUCHED = "Exports written with -o and backups are not touched."


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, ["forget", *(str(a) for a in args)], prog_name="backpain")


@pytest.fixture
def home(backpain_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The golden client (three visits and a draft) and one session of another client."""
    monkeypatch.setenv("BACKPAIN_CACHE", str(tmp_path / "cache"))
    shutil.copytree(GOLDEN, backpain_home / "sessions")
    other = backpain_home / "sessions" / OTHER
    other.mkdir(mode=0o700)
    text = (GOLDEN / CLIENT / f"{LATEST}.toml").read_text(encoding="utf-8")
    (other / f"{OTHER_ID}.toml").write_text(
        text.replace(LATEST, OTHER_ID).replace(f'client = "{CLIENT}"', f'client = "{OTHER}"'),
        encoding="utf-8")
    return backpain_home


def client_folder(home: Path, client: str = CLIENT) -> Path:
    return home / "sessions" / client


def index_rows(home: Path, client: str) -> int:
    """The index's rows of `client`'s folder, read from its SQLite file directly."""
    path = index_store.index_path(home)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        [(count,)] = db.execute(
            "SELECT (SELECT count(*) FROM sessions WHERE folder = ?1 COLLATE NOCASE)"
            " + (SELECT count(*) FROM others WHERE folder = ?1 COLLATE NOCASE)", (client,))
    return int(count)


def fill_index(home: Path) -> None:
    rows = index.newest(home)
    list(rows.rows)


def test_forget_client_with_yes(home: Path) -> None:
    fill_index(home)
    assert index_rows(home, CLIENT) == 4
    folder = client_folder(home)
    result = run(CLIENT, "--yes")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == "".join(
        f"Deleted {folder / f'{sid}.toml'}\n" for sid in (FIRST, SECOND, DRAFT, LATEST)) + (
        f"Removed the folder {folder}\n"
        f"Erased client {CLIENT}: 4 sessions; their rows in the summary index are removed. "
        f"{NOT_TOUCHED}\n")
    assert not folder.exists()
    assert index_rows(home, CLIENT) == 0
    # The other client is untouched, in its files and in the index.
    assert [r.id for r in list_refs(home)] == [OTHER_ID]
    assert index_rows(home, OTHER) == 1


def test_forget_client_in_any_case_and_every_folder_of_it(home: Path) -> None:
    # The same client's folder in another case (made by hand): both are the client's.
    twin = home / "sessions" / "jd-042"
    twin.mkdir(mode=0o700)
    shutil.move(client_folder(home) / f"{FIRST}.toml", twin / f"{FIRST}.toml")
    result = run("jd-042", "--yes")
    assert result.exit_code == 0, result.output
    assert f"Erased client {CLIENT}: 4 sessions;" in result.stderr
    assert not client_folder(home).exists() and not twin.exists()
    assert [r.id for r in list_refs(home)] == [OTHER_ID]


def test_forget_one_session(home: Path) -> None:
    fill_index(home)
    path = client_folder(home) / f"{SECOND}.toml"
    # What a crashed save of that session left (a temp file of atomic.atomic_fd).
    crashed = client_folder(home) / f".{SECOND}.toml.0123abcd.tmp"
    crashed.write_text("half a session", encoding="utf-8")
    result = run(SECOND, "--yes")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Deleted {crashed}\nDeleted {path}\n"
        f"Erased session {SECOND} of client {CLIENT}; its row in the summary index is "
        f"removed. {NOT_TOUCHED}\n")
    assert sorted(r.id for r in list_refs(home, CLIENT)) == [FIRST, DRAFT, LATEST]
    assert index_rows(home, CLIENT) == 3


def test_forget_the_last_session_removes_the_folder(home: Path) -> None:
    result = run(OTHER_ID, "--yes")
    assert result.exit_code == 0, result.output
    assert f"Removed the folder {client_folder(home, OTHER)}\n" in result.stderr
    assert not client_folder(home, OTHER).exists()


def test_a_draft_by_its_id(home: Path) -> None:
    result = run(DRAFT, "--yes")
    assert result.exit_code == 0, result.output
    assert not (client_folder(home) / f"{DRAFT}.toml").exists()


def test_an_unreadable_session_file_is_erased_too(home: Path) -> None:
    broken = client_folder(home) / f"{FIRST}.toml"
    broken.write_bytes(b"\xff\xfe not a session")
    result = run(CLIENT, "--yes")
    assert result.exit_code == 0, result.output
    assert f"Deleted {broken}\n" in result.stderr
    assert not client_folder(home).exists()


def test_without_a_terminal_and_without_yes_nothing_is_deleted(home: Path) -> None:
    before = sorted(r.id for r in list_refs(home))
    for target, what in ((CLIENT, "the client's sessions"), (LATEST, "the session")):
        result = run(target)
        assert result.exit_code == 1
        assert result.stderr == (
            f"backpain: error: standard input is not a terminal, so erasing {what} cannot be "
            "confirmed; add --yes to erase without asking\n")
    assert sorted(r.id for r in list_refs(home)) == before


@pytest.mark.parametrize(("target", "message"), [
    ("ZZ-9", "no session or client 'ZZ-9' (run backpain review to list sessions)"),
    ("JD-04", "no session or client 'JD-04' (did you mean JD-042?)"),
    ("2026", "session id '2026' is ambiguous: 20260903T091500Z-a1b2c3, "
             "20261001T140000Z-d4e5f6, 20261015T080000Z-777777, 20261029T101500Z-0f9e8d, "
             "20261101T090000Z-abcdef; give more of the id"),
])
def test_an_unknown_or_ambiguous_target(home: Path, target: str, message: str) -> None:
    result = run(target, "--yes")
    assert result.exit_code == 1
    assert result.stderr == f"backpain: error: {message}\n"
    assert len(list_refs(home)) == 5


def test_a_linked_client_folder_is_not_followed(home: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    shutil.move(client_folder(home), outside)
    client_folder(home).symlink_to(outside)
    result = run(CLIENT, "--yes")
    assert result.exit_code == 1
    assert result.stderr == (
        f"backpain: error: {client_folder(home)}: the client folder is a symbolic link; "
        "backpain deletes nothing through links inside the data folder\n")
    assert len(os.listdir(outside)) == 4


def test_a_link_in_the_client_folder_is_left_and_named(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "not-in-the-data-folder.toml"
    target.write_text("someone else's file", encoding="utf-8")
    link = client_folder(home) / "20261201T090000Z-111111.toml"
    link.symlink_to(target)
    notes = client_folder(home) / "notes.txt"
    notes.write_text("the practitioner's own notes", encoding="utf-8")
    result = run(CLIENT, "--yes")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"backpain: warning: left {link}: a symbolic link (links inside the data folder are "
        "not followed)\n"
        f"backpain: warning: left {notes}: not a session file (backpain did not write it)\n"
        f"Erased client {CLIENT}: 4 sessions; their rows in the summary index are removed. "
        f"{NOT_TOUCHED}\n"
        f"backpain: error: {client_folder(home)} still holds what backpain did not write "
        "(named above); delete it yourself if it is the client's\n")
    assert target.read_text(encoding="utf-8") == "someone else's file"
    assert sorted(os.listdir(client_folder(home))) == [link.name, "notes.txt"]


def test_a_note_when_session_ids_also_start_with_the_client(backpain_home: Path) -> None:
    folder = backpain_home / "sessions" / "2026"
    folder.mkdir(parents=True)
    text = (GOLDEN / CLIENT / f"{LATEST}.toml").read_text(encoding="utf-8")
    (folder / f"{LATEST}.toml").write_text(text.replace(f'client = "{CLIENT}"',
                                                        'client = "2026"'), encoding="utf-8")
    result = run("2026", "--yes")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        f"backpain: note: 2026 is a client; for the session use its full id {LATEST}\n")
    assert not folder.exists()


# --------------------------------------------------------------------------- the confirmation

BACKPAIN = Path(sys.executable).parent / "backpain"


@pytest.fixture
def spawn(home: Path) -> Iterator[Callable[..., Any]]:
    children: list[Any] = []
    env = {**os.environ, "TERM": "xterm", "NO_COLOR": "1", "PROMPT_TOOLKIT_NO_CPR": "1"}

    def start(*args: str) -> Any:
        child = pexpect.spawn(str(BACKPAIN), list(args), env=env, dimensions=(24, 200),
                              encoding="utf-8", codec_errors="replace", timeout=20)
        child.delaybeforesend = None
        child.logfile_read = io.StringIO()
        children.append(child)
        return child

    yield start
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def finished(child: Any) -> str:
    child.expect(pexpect.EOF)
    child.close()
    return str(child.logfile_read.getvalue())


@pytest.mark.pty
def test_forget_client_asks_for_the_client_reference(spawn: Callable[..., Any],
                                                     home: Path) -> None:
    prompt = (f"Erase client {CLIENT} for good: 4 sessions (drafts included) and the client's "
              f"folder? Type the client reference ({CLIENT}) to erase them:")
    child = spawn("forget", CLIENT)
    child.expect_exact(prompt)
    child.send("yes\r")  # not the word asked for: nothing is erased
    output = finished(child)
    assert child.exitstatus == 0, output
    assert "Nothing erased." in output
    assert len(list_refs(home, CLIENT)) == 4

    child = spawn("forget", CLIENT)
    child.expect_exact(prompt)
    child.send("jd-042\r")  # the reference in any case, as everywhere
    output = finished(child)
    assert child.exitstatus == 0, output
    assert f"Erased client {CLIENT}: 4 sessions;" in output
    assert not client_folder(home).exists()


@pytest.mark.pty
def test_forget_session_asks_for_yes(spawn: Callable[..., Any], home: Path) -> None:
    child = spawn("forget", LATEST)
    child.expect_exact(f"Erase session {LATEST} of client {CLIENT} for good? Its file is "
                       "deleted and cannot be restored by backpain. Type yes to erase it:")
    child.send("yes\r")
    output = finished(child)
    assert child.exitstatus == 0, output
    assert f"Erased session {LATEST} of client {CLIENT};" in output
    assert sorted(r.id for r in list_refs(home, CLIENT)) == [FIRST, SECOND, DRAFT]


@pytest.mark.pty
def test_ctrl_c_at_the_confirmation_deletes_nothing(spawn: Callable[..., Any],
                                                    home: Path) -> None:
    child = spawn("forget", CLIENT)
    child.expect_exact("to erase them:")
    child.send("\x03")
    output = finished(child)
    assert child.exitstatus == 130, output
    assert "interrupted; nothing deleted" in output
    assert len(list_refs(home, CLIENT)) == 4


# --------------------------------------------------------------------------- the index (issue 17)


def test_nothing_of_the_client_is_left_in_the_index_file(home: Path) -> None:
    # The compression dictionary was the first session indexed, for good; the folder row
    # stayed until the next listing.
    fill_index(home)
    path = index_store.index_path(home)
    ids = [FIRST, SECOND, DRAFT, LATEST]
    assert all(i.encode() in path.read_bytes() for i in ids)
    result = run(CLIENT, "--yes")
    assert result.exit_code == 0, result.output
    data = path.read_bytes()
    assert CLIENT.encode() not in data
    # (The other client's copy of the latest visit names the one it follows.)
    assert not [i for i in ids if i.encode() in data and i != SECOND]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        assert db.execute("SELECT count(*) FROM folders WHERE name = ?", (CLIENT,)
                          ).fetchone() == (0,)
        [(dictionary,)] = db.execute("SELECT value FROM meta WHERE key = 'zdict'")
    assert dictionary == index_store.made_up_document()
    assert OTHER not in dictionary and OTHER_ID not in dictionary
    # What is left is still the other client's, in full.
    listing = CliRunner().invoke(app, ["review", "--json"])
    assert [s["session"] for s in json.loads(listing.stdout)["sessions"]] == [OTHER_ID]


def test_an_index_with_a_session_as_its_dictionary_is_reset(home: Path) -> None:
    # An index written by the previous layout: its dictionary was a session's document.
    fill_index(home)
    path = index_store.index_path(home)
    marker = "20260903T091500Z-feedee JD-042 old dictionary"
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'zdict'", (marker,))
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    assert marker.encode() in path.read_bytes()
    fill_index(home)
    assert marker.encode() not in path.read_bytes()
    assert index_rows(home, CLIENT) == 4


def make_cache_read_only(monkeypatch: pytest.MonkeyPatch) -> Path:
    """From now on the cache folder can be read but not changed: SQLite opens the index
    read-only, and deleting it is refused (what a 0500 folder does for anyone but root)."""
    cache = index_store.cache_dir()
    real_unlink = os.unlink

    def connect(path: Path) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=index_store.TIMEOUT,
                               isolation_level=None)

    def unlink(path: Any, *args: Any, **kwargs: Any) -> None:
        if Path(path).parent == cache:
            raise PermissionError(13, "Permission denied", str(path))
        real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(index_store, "_connect", connect)
    monkeypatch.setattr(os, "unlink", unlink)
    return cache


def test_forget_says_so_when_the_index_keeps_the_rows(home: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 17, item 7: with a read-only cache folder, `forget` exited 0 and said the rows
    # were gone while they remained.
    fill_index(home)
    path = index_store.index_path(home)
    folder = client_folder(home)
    with monkeypatch.context() as read_only:
        assert path.parent == make_cache_read_only(read_only)
        result = run(CLIENT, "--yes")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"Removed the folder {folder}\n"
        f"Erased client {CLIENT}: 4 sessions. {NOT_TOUCHED}\n"
        f"backpain: error: the summary index {path} still holds rows of what was erased: it "
        f"could be neither updated nor deleted; delete that file yourself (rm {path}; it is "
        "a cache, rebuilt by the next command)\n")
    assert not folder.exists()  # the sessions themselves are erased
    assert index_rows(home, CLIENT) == 4  # as it said


def test_forget_deletes_an_index_it_cannot_update_and_says_the_rows_are_gone(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fill_index(home)
    path = index_store.index_path(home)

    def writing(self: Any) -> Any:
        raise index_store.IndexProblem("OperationalError: attempt to write a readonly database")

    monkeypatch.setattr(index_store.Store, "writing", writing)
    result = run(SECOND, "--yes")
    assert result.exit_code == 0, result.output
    assert "its row in the summary index is removed" in result.stderr
    assert not path.exists()


def test_the_last_session_of_a_client_takes_its_folder_row_along(home: Path) -> None:
    fill_index(home)
    result = run(OTHER_ID, "--yes")
    assert result.exit_code == 0, result.output
    with sqlite3.connect(f"file:{index_store.index_path(home)}?mode=ro", uri=True) as db:
        assert db.execute("SELECT count(*) FROM folders WHERE name = ?", (OTHER,)
                          ).fetchone() == (0,)
    assert index_rows(home, OTHER) == 0
    assert index_rows(home, CLIENT) == 4
