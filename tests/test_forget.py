"""`backpain forget CLIENT|SESSION` (issue 13, item 7): a client's request to erase their
health data is honoured: their session files (drafts too) and folder are deleted after a
typed confirmation, their rows leave the summary index, and nothing outside the data folder
or behind a symbolic link is touched."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest
from helpers import command, list_refs
from typer.testing import CliRunner

from backpain_cli.cli.app import app
from backpain_cli.records import erasure, storage
from backpain_cli.records.index import codec, db, reader
from backpain_cli.records.tree import SessionRef

GOLDEN = Path(__file__).parent / "golden" / "sessions"
CLIENT = "JD-042"
FIRST, SECOND, DRAFT, LATEST = (
    "20260903T091500Z-a1b2c3", "20261001T140000Z-d4e5f6", "20261015T080000Z-777777",
    "20261029T101500Z-0f9e8d")
OTHER = "AB-7"
OTHER_ID = "20261101T090000Z-abcdef"
NOT_TOUCHED = "Exports written with -o and backups are not touched."


run = command("forget")


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
    path = db.index_path(home)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        [(count,)] = con.execute(
            "SELECT (SELECT count(*) FROM sessions WHERE folder = ?1 COLLATE NOCASE)"
            " + (SELECT count(*) FROM others WHERE folder = ?1 COLLATE NOCASE)", (client,))
    return int(count)


def fill_index(home: Path) -> None:
    rows = reader.newest(home)
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


def test_json_says_what_was_erased(home: Path, tmp_path: Path) -> None:
    notes = client_folder(home) / "notes.txt"
    notes.write_text("the practitioner's own notes", encoding="utf-8")
    result = run(CLIENT, "--yes", "--json")
    # What was left still makes it exit 1, with its warning and error on stderr only.
    assert result.exit_code == 1
    assert result.stderr == (
        f"backpain: warning: left {notes}: not a session file (backpain did not write it)\n"
        f"backpain: error: {client_folder(home)} still holds what backpain did not write "
        "(named above); delete it yourself if it is the client's\n")
    ids = [FIRST, SECOND, DRAFT, LATEST]
    assert json.loads(result.stdout) == {
        "client": CLIENT, "session": None, "erased": True, "stopped": False, "sessions": ids,
        "files": [str(client_folder(home) / f"{i}.toml") for i in ids], "folders": [],
        "left": [{"path": str(notes),
                  "reason": "not a session file (backpain did not write it)"}]}
    result = run(OTHER_ID, "--yes", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {
        "client": OTHER, "session": OTHER_ID, "erased": True, "stopped": False,
        "sessions": [OTHER_ID],
        "files": [str(client_folder(home, OTHER) / f"{OTHER_ID}.toml")],
        "folders": [str(client_folder(home, OTHER))], "left": []}


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


# ----------------------------------------------------------------- races (issue 17 item 9)


def _swap_for_link(folder: Path, outside: Path) -> Path:
    """Move `folder` aside (still in the data folder) and put a link to `outside` in its
    place, as an attacker with write access to the data folder would; the moved folder."""
    moved = folder.with_name(f"{folder.name}.moved")
    folder.rename(moved)
    folder.symlink_to(outside)
    return moved


@pytest.mark.parametrize("swapped", ["client folder", "sessions folder"])
def test_a_folder_swapped_for_a_link_during_forget_deletes_nothing_outside(
        home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, swapped: str) -> None:
    """Before, the same-named files in the link's target were deleted (2,900 of 3,001 files,
    3 of 3 runs). The folders are opened link by link and each file deleted by its name in
    that handle: the swap, made after the first deletion, sends none of them outside."""
    outside = tmp_path / "outside"
    outside.mkdir()
    names = [f"{sid}.toml" for sid in (FIRST, SECOND, DRAFT, LATEST)]
    if swapped == "client folder":
        victims, folder = outside, client_folder(home)
    else:
        victims, folder = outside / CLIENT, home / "sessions"
        victims.mkdir()
    for name in names:
        (victims / name).write_text("someone else's file", encoding="utf-8")
    real_delete = erasure._delete
    moved: list[Path] = []

    def swap_after_the_first(handle: int, path: Path, deleted: list[Path]) -> None:
        real_delete(handle, path, deleted)
        if not moved:
            moved.append(_swap_for_link(folder, outside))

    monkeypatch.setattr(erasure, "_delete", swap_after_the_first)
    result = run(CLIENT, "--yes")
    assert sorted(os.listdir(victims)) == names
    assert all((victims / n).read_text(encoding="utf-8") == "someone else's file"
               for n in names)
    assert result.stderr.startswith("".join(f"Deleted {client_folder(home) / n}\n"
                                            for n in names)), result.output
    # The client's own files went, from the folder that was opened (now moved aside).
    if swapped == "client folder":
        assert os.listdir(moved[0]) == []
        assert (result.exit_code, result.stderr.splitlines()[4]) == (
            1, f"backpain: warning: left {client_folder(home)}: {erasure.SWAPPED}"), \
            result.output
    else:
        # The client folder, opened inside the sessions folder, went with its files.
        assert result.exit_code == 0, result.output
        assert os.listdir(moved[0]) == [OTHER]


def test_a_client_folder_already_a_link_when_the_erasure_begins_is_refused(
        home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Swapped after the plan, before anything is deleted: nothing is deleted anywhere."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / f"{FIRST}.toml").write_text("someone else's file", encoding="utf-8")
    real_plan = erasure.plan_client

    def plan_then_swap(client: str, root: Path | None = None) -> erasure.Erasure:
        plan = real_plan(client, root)
        _swap_for_link(client_folder(home), outside)
        return plan

    monkeypatch.setattr(erasure, "plan_client", plan_then_swap)
    result = run(CLIENT, "--yes")
    assert (result.exit_code, result.stderr) == (1, (
        f"backpain: error: {client_folder(home)}: a client folder is a symbolic link; "
        "backpain deletes nothing through links inside the data folder\n"))
    assert os.listdir(outside) == [f"{FIRST}.toml"]
    assert len(os.listdir(home / "sessions" / f"{CLIENT}.moved")) == 4


@pytest.mark.slow
def test_a_folder_swapped_while_the_real_command_erases(home: Path, tmp_path: Path) -> None:
    """The attack as it was run: 3,000 session files, and the client folder swapped for a
    link to a folder of same-named files once the command has begun deleting (before, 2,900
    of 3,001 of those were deleted, 3 of 3 runs)."""
    import subprocess

    folder = client_folder(home)
    template = (folder / f"{LATEST}.toml").read_text(encoding="utf-8")
    names = [f"20270101T{n // 60:04d}{n % 60:02d}Z-{n:06x}.toml" for n in range(3000)]
    for name in names:
        (folder / name).write_text(template.replace(LATEST, name[:-5]), encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in names:
        (outside / name).write_text("someone else's file", encoding="utf-8")
    child = subprocess.Popen([str(BACKPAIN), "forget", CLIENT, "--yes"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Begun: the first files are gone.
        while child.poll() is None and len(os.listdir(folder)) > len(names):
            pass
        moved = _swap_for_link(folder, outside)
        child.wait(timeout=300)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert sorted(os.listdir(outside)) == sorted(names)
    # Erased in the folder that was opened, wherever it went.
    assert os.listdir(moved) == []


def _ctrl_c_after(monkeypatch: pytest.MonkeyPatch, files: int) -> None:
    """A real SIGINT to this process once `files` files are deleted (CliRunner runs the
    command in this thread, so the command's own handler gets it)."""
    real_delete = erasure._delete

    def delete_then_interrupt(handle: int, path: Path, deleted: list[Path]) -> None:
        real_delete(handle, path, deleted)
        if len(deleted) == files:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(erasure, "_delete", delete_then_interrupt)


def test_ctrl_c_part_way_says_what_was_erased_and_what_was_not(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, Ctrl-C part way exited 130 in silence with thousands of sessions erased."""
    fill_index(home)
    folder = client_folder(home)
    real_delete = erasure._delete
    _ctrl_c_after(monkeypatch, 2)
    result = run(CLIENT, "--yes")
    assert result.exit_code == 130, result.output
    assert result.stderr == (
        f"Deleted {folder / f'{FIRST}.toml'}\nDeleted {folder / f'{SECOND}.toml'}\n"
        f"backpain: interrupted: erased 2 of 4 sessions of client {CLIENT}; their rows in "
        f"the summary index are removed; not erased: 2 ({DRAFT}, {LATEST}), still in "
        f"{folder}; run `backpain forget {CLIENT}` again to erase them\n")
    assert sorted(os.listdir(folder)) == [f"{DRAFT}.toml", f"{LATEST}.toml"]
    assert index_rows(home, CLIENT) == 2
    monkeypatch.setattr(erasure, "_delete", real_delete)
    again = run(CLIENT, "--yes")
    assert again.exit_code == 0, again.output
    assert f"Erased client {CLIENT}: 2 sessions;" in again.stderr
    assert not folder.exists()


def test_ctrl_c_part_way_through_many_names_ten_and_counts_the_rest(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = client_folder(home)
    template = (folder / f"{LATEST}.toml").read_text(encoding="utf-8")
    extra = [f"20270101T0000{n:02d}Z-{n:06x}" for n in range(12)]
    for sid in extra:
        (folder / f"{sid}.toml").write_text(template.replace(LATEST, sid), encoding="utf-8")
    _ctrl_c_after(monkeypatch, 1)
    result = run(CLIENT, "--yes")
    assert result.exit_code == 130, result.output
    waiting = [SECOND, DRAFT, LATEST, *extra]
    assert result.stderr.splitlines()[-1] == (
        f"backpain: interrupted: erased 1 of 16 sessions of client {CLIENT}; their rows in "
        f"the summary index are removed; not erased: 15 ({', '.join(waiting[:10])} and 5 "
        f"more), still in {folder}; run `backpain forget {CLIENT}` again to erase them")
    assert len(os.listdir(folder)) == 15


def test_ctrl_c_before_the_first_file_erases_nothing(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_plan = erasure.plan_session

    def plan_then_interrupt(ref: SessionRef, root: Path | None = None) -> erasure.Erasure:
        plan = real_plan(ref, root)
        # Pressed while the plan is turned into handles: the handler is installed first.
        monkeypatch.setattr(erasure, "client_folder", _interrupting(storage.client_folder))
        return plan

    monkeypatch.setattr(erasure, "plan_session", plan_then_interrupt)
    result = run(LATEST, "--yes")
    assert (result.exit_code, result.stderr) == (130, (
        f"backpain: interrupted: session {LATEST} of client {CLIENT} was not erased; it is "
        f"still in {client_folder(home)}; run `backpain forget {LATEST}` again to erase "
        "it\n")), result.output
    assert len(list_refs(home, CLIENT)) == 4


def _interrupting(opener: Callable[..., Any]) -> Callable[..., Any]:
    def opened(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGINT)
        return opener(*args, **kwargs)

    return opened


def test_forget_help_says_what_130_means() -> None:
    result = CliRunner().invoke(app, ["forget", "--help"], prog_name="backpain",
                                terminal_width=80)
    assert " ".join(result.stdout.split()).endswith(
        "130 interrupted (Ctrl-C): at the confirmation nothing is deleted; while deleting, "
        "the file being deleted is finished, the rest is left, and what was erased and what "
        "was not is said")


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

    child = spawn("forget", CLIENT, "--json")
    child.expect_exact(prompt)
    child.send("no\r")
    output = finished(child)
    assert child.exitstatus == 0, output
    assert '"erased": false' in output and '"files": []' in output
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
    path = db.index_path(home)
    ids = [FIRST, SECOND, DRAFT, LATEST]
    assert all(i.encode() in path.read_bytes() for i in ids)
    result = run(CLIENT, "--yes")
    assert result.exit_code == 0, result.output
    data = path.read_bytes()
    assert CLIENT.encode() not in data
    # (The other client's copy of the latest visit names the one it follows.)
    assert not [i for i in ids if i.encode() in data and i != SECOND]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        assert con.execute("SELECT count(*) FROM folders WHERE name = ?", (CLIENT,)
                          ).fetchone() == (0,)
        [(dictionary,)] = con.execute("SELECT value FROM meta WHERE key = 'zdict'")
    assert dictionary == codec.made_up_document()
    assert OTHER not in dictionary and OTHER_ID not in dictionary
    # What is left is still the other client's, in full.
    listing = CliRunner().invoke(app, ["review", "--json"])
    assert [s["session"] for s in json.loads(listing.stdout)["sessions"]] == [OTHER_ID]


def test_an_index_with_a_session_as_its_dictionary_is_reset(home: Path) -> None:
    # An index written by the previous layout: its dictionary was a session's document.
    fill_index(home)
    path = db.index_path(home)
    marker = "20260903T091500Z-feedee JD-042 old dictionary"
    with sqlite3.connect(path, isolation_level=None) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'zdict'", (marker,))
        con.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    assert marker.encode() in path.read_bytes()
    fill_index(home)
    assert marker.encode() not in path.read_bytes()
    assert index_rows(home, CLIENT) == 4


def make_cache_read_only(monkeypatch: pytest.MonkeyPatch) -> Path:
    """From now on the cache folder can be read but not changed: SQLite opens the index
    read-only, and deleting it is refused (what a 0500 folder does for anyone but root)."""
    cache = db.cache_dir()
    real_unlink = os.unlink

    def connect(path: Path) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=db.TIMEOUT,
                               isolation_level=None)

    def unlink(path: Any, *args: Any, **kwargs: Any) -> None:
        if Path(path).parent == cache:
            raise PermissionError(13, "Permission denied", str(path))
        real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(db, "_connect", connect)
    monkeypatch.setattr(os, "unlink", unlink)
    return cache


def test_forget_says_so_when_the_index_keeps_the_rows(home: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 17, item 7: with a read-only cache folder, `forget` exited 0 and said the rows
    # were gone while they remained.
    fill_index(home)
    path = db.index_path(home)
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
    path = db.index_path(home)

    def writing(self: Any) -> Any:
        raise codec.IndexProblem("OperationalError: attempt to write a readonly database")

    monkeypatch.setattr(db.Store, "writing", writing)
    result = run(SECOND, "--yes")
    assert result.exit_code == 0, result.output
    assert "its row in the summary index is removed" in result.stderr
    assert not path.exists()


def test_the_last_session_of_a_client_takes_its_folder_row_along(home: Path) -> None:
    fill_index(home)
    result = run(OTHER_ID, "--yes")
    assert result.exit_code == 0, result.output
    with sqlite3.connect(f"file:{db.index_path(home)}?mode=ro", uri=True) as con:
        assert con.execute("SELECT count(*) FROM folders WHERE name = ?", (OTHER,)
                          ).fetchone() == (0,)
    assert index_rows(home, OTHER) == 0
    assert index_rows(home, CLIENT) == 4
