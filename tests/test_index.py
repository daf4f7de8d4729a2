"""The summary index (records/index/): a cache that never changes
an answer.

Files are the truth: every command gives the same output with the index warm, cold (just
deleted), broken in any way, or locked by another command, also after sessions arrive in
the folder without save_session (copied by another machine), are edited in place, removed
or replaced. Its file is private, two commands saving at once leave it whole, and a
listing reads only the files that changed.

Sessions are copies of the golden sample (tests/golden/sessions), given other ids and
clients; their files and folders are dated an hour back, as a practice's would be, so that
the index trusts what it stored (a stamp taken moments after a write proves nothing).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import multiprocessing
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from depth import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from backpain_cli.cli.app import app
from backpain_cli.clinical import questionnaire
from backpain_cli.clinical.model import Plan
from backpain_cli.clinical.questionnaire import shipped_paths
from backpain_cli.records import progress, storage, tree
from backpain_cli.records.index import codec, db, reader, sync
from backpain_cli.records.practice import Practice
from backpain_cli.records.session import Session
from backpain_cli.records.storage import read_session

GOLDEN = Path(__file__).parent / "golden" / "sessions" / "JD-042"
FIRST, SECOND, DRAFT, LATEST = (
    "20260903T091500Z-a1b2c3", "20261001T140000Z-d4e5f6", "20261015T080000Z-777777",
    "20261029T101500Z-0f9e8d")
CLIENTS = ("JD-042", "AB-7", "mk-19")
HOUR = 3600


@pytest.fixture(autouse=True)
def _terminal(terminal_80: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test of this module on an 80-column terminal (conftest.terminal_80)."""
    monkeypatch.setenv("NO_COLOR", "1")


def sid(n: int, source: str) -> str:
    """Another session id with the day and time of `source` (so the order is known)."""
    return f"{source[:16]}-{n:06x}"


def plant(home: Path, client: str, session_id: str, source: str = LATEST,
          change: Callable[[str], str] = lambda t: t) -> Path:
    """A copy of a golden session as `client`'s `session_id`, written as a plain file."""
    text = (GOLDEN / f"{source}.toml").read_text(encoding="utf-8")
    text = re.sub(r'^id = ".*"$', f'id = "{session_id}"', text, count=1, flags=re.M)
    text = re.sub(r'^client = ".*"$', f'client = "{client}"', text, count=1, flags=re.M)
    path = home / "sessions" / client / f"{session_id}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(change(text), encoding="utf-8")
    return path


def age(home: Path, seconds: int = HOUR) -> None:
    """Date every file and folder of the data folder `seconds` back (folders last)."""
    then = time.time() - seconds
    for p in sorted(home.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        os.utime(p, (then, then), follow_symlinks=False)


def practice(home: Path) -> dict[str, Path]:
    """Four sessions of each client (a draft among them), an unreadable file among the
    newest, and an entry that is not a session file; all dated an hour back."""
    made: dict[str, Path] = {}
    for n, client in enumerate(CLIENTS):
        for k, source in enumerate((FIRST, SECOND, DRAFT, LATEST)):
            session_id = sid(16 * n + k, source)
            made[session_id] = plant(home, client, session_id, source)
    broken = home / "sessions" / "AB-7" / f"{sid(99, LATEST)}.toml"
    broken.write_bytes(b"\x00 not a session")
    (home / "sessions" / "mk-19" / "notes.txt").write_text("not a session\n")
    age(home)
    return made


COMMANDS: list[list[str]] = [
    ["review"], ["review", "--limit", "0"], ["review", "--limit", "3"], ["review", "--json"],
    ["review", "--limit", "0", "--json"], ["review", "--client", "AB-7"],
    ["review", "AB-7"], ["review", "JD-042", "--json"], ["review", sid(3, LATEST)],
    ["review", "20261029"], ["review", "--due", "--on", "2027-06-01"],
    ["export", "--all", "--format", "csv"], ["export", "--all", "--format", "jsonl"],
    ["export", "--client", "mk-19", "--format", "csv"], ["export", "AB-7", "--format", "md"],
]


def outputs(commands: list[list[str]] = COMMANDS) -> list[tuple[int, str, str]]:
    results = []
    for args in commands:
        r = CliRunner().invoke(app, args, prog_name="backpain")
        assert r.exception is None or isinstance(r.exception, SystemExit), (args, r.output)
        results.append((r.exit_code, r.stdout, r.stderr))
    return results


def index_file(home: Path) -> Path:
    return db.index_path(home)


def sql(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(index_file(home), isolation_level=None)


def stored_ids(home: Path) -> set[str]:
    with sql(home) as con:
        return {r[0] for r in con.execute("SELECT id FROM sessions")}


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The session files parsed (through storage.parse_file, the one reader's first half)."""
    read: list[Path] = []
    real = storage.parse_file

    def parse_file(path: Path) -> dict[str, Any]:
        read.append(path)
        return real(path)

    monkeypatch.setattr(storage, "parse_file", parse_file)
    return read


# --------------------------------------------------------------------------- same output


@pytest.mark.usefixtures("listing_as_table")
def test_deleting_the_index_changes_no_output(backpain_home: Path) -> None:
    practice(backpain_home)
    cold = outputs()
    assert index_file(backpain_home).exists()
    warm = outputs()
    db.discard(backpain_home)
    again = outputs()
    assert cold == warm == again
    # The outputs are real ones: rows, the unreadable file and the odd entry reported.
    listing = dict(zip(map(tuple, COMMANDS), cold, strict=True))[("review",)]
    assert listing[0] == 0 and "Sessions, newest first" in listing[1]
    assert f"{sid(99, LATEST)}.toml: not valid TOML" in listing[2]
    assert "notes.txt: not read: not named like a session file" in listing[2]


@pytest.mark.parametrize("stretch", [200, 1, 2])
def test_sessions_copied_in_by_another_machine(backpain_home: Path, stretch: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # Folders are synced a stretch of names at a time: its edges must lose nothing.
    monkeypatch.setattr(sync, "_FOLDERS_AT_ONCE", stretch)
    made = practice(backpain_home)
    outputs()  # the index now knows the folder as it was
    elsewhere = backpain_home.parent / "other-machine"
    # Saved elsewhere and copied in with their times (cp -p, rsync -t): old stamps.
    for n, source in enumerate((SECOND, LATEST)):
        plant(elsewhere, "JD-042", sid(200 + n, source), source)
        plant(elsewhere, "NEW-1", sid(210 + n, source), source)
    age(elsewhere, 2 * HOUR)
    for path in (elsewhere / "sessions" / "JD-042").iterdir():
        shutil.copy2(path, backpain_home / "sessions" / "JD-042" / path.name)
    shutil.copytree(elsewhere / "sessions" / "NEW-1", backpain_home / "sessions" / "NEW-1")
    # And one removed, one replaced by a rename (another machine's save) with a new value,
    # and a whole client's folder gone (the first by name: the edge of the first stretch).
    made[sid(1, SECOND)].unlink()
    shutil.rmtree(backpain_home / "sessions" / "AB-7")
    replaced = made[sid(35, LATEST)]
    tmp = replaced.with_name(".replacement")
    tmp.write_text(replaced.read_text().replace("nprs_now = 4", "nprs_now = 9"))
    os.utime(tmp, (time.time() - 2 * HOUR,) * 2)
    os.replace(tmp, replaced)
    seen = outputs()
    db.discard(backpain_home)
    assert seen == outputs()
    listing = CliRunner().invoke(app, ["review", "--limit", "0"]).stdout
    assert sid(211, LATEST) in listing and sid(201, LATEST) in listing
    assert sid(1, SECOND) not in listing and "AB-7" not in listing
    assert "NEW-1" in listing


@pytest.mark.parametrize("few", [tree.FEW_CLIENTS, 0])
def test_review_session_finds_a_session_copied_in(backpain_home: Path, few: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Among a few clients a complete id is looked for in each folder; among many (here:
    # more than none) through the index, which must see the copy all the same.
    monkeypatch.setattr(tree, "FEW_CLIENTS", few)
    practice(backpain_home)
    outputs()
    copied = plant(backpain_home.parent / "elsewhere", "mk-19", sid(250, SECOND), SECOND)
    shutil.copy2(copied, backpain_home / "sessions" / "mk-19" / copied.name)
    commands = [["review", sid(250, SECOND)], ["review", sid(250, SECOND)[:-1]],
                ["review", sid(3, LATEST)]]
    seen = outputs(commands)
    assert [code for code, _, _ in seen] == [0, 0, 0]
    assert f"Review of session {sid(250, SECOND)}" in seen[0][1]
    db.discard(backpain_home)
    assert outputs(commands) == seen


# --------------------------------------------------------------------------- stale files


def test_a_file_edited_in_place_is_caught(backpain_home: Path) -> None:
    made = practice(backpain_home)
    outputs()
    # An older session (outside `review --limit 1`) edited in place: same inode, same
    # folder time; only the file's own stamp changes.
    edited = made[sid(16, FIRST)]
    with edited.open("r+", encoding="utf-8") as fh:
        text = re.sub(r"^nprs_now = \d+$", "nprs_now = 1", fh.read(), count=1, flags=re.M)
        fh.seek(0)
        fh.write(text)
        fh.truncate()
    assert CliRunner().invoke(app, ["review", "--limit", "1"]).exit_code == 0

    def stored_nprs() -> object:
        with sql(backpain_home) as con:
            (brief,) = con.execute("SELECT brief FROM sessions WHERE id = ?",
                                   (sid(16, FIRST),)).fetchone()
        return json.loads(brief)[6]["nprs_now"]

    assert stored_nprs() == 7  # not shown, not looked at
    # review --refresh checks every file: the index holds the file as it is now.
    refreshed = CliRunner().invoke(app, ["review", "--refresh", "--limit", "1"])
    assert refreshed.exit_code == 0, refreshed.output
    assert stored_nprs() == 1
    with edited.open("r+", encoding="utf-8") as fh:
        text = re.sub(r"^nprs_now = \d+$", "nprs_now = 2", fh.read(), count=1, flags=re.M)
        fh.seek(0)
        fh.write(text)
        fh.truncate()
    # So does a bulk export, which exports it as it is now.
    exported = CliRunner().invoke(app, ["export", "--all", "--format", "csv"])
    row = next(line for line in exported.stdout.splitlines() if sid(16, FIRST) in line)
    assert row.split(",")[7] == "2"
    assert stored_nprs() == 2
    seen = outputs()
    db.discard(backpain_home)
    assert seen == outputs()


def _pretend_folder_time_unchanged(home: Path, folder: str) -> None:
    """What a file system that keeps no folder times (some network shares) does: the index
    finds the folder's stamp as it stored it."""
    info = os.stat(home / "sessions" / folder)
    with sql(home) as con:
        con.execute("UPDATE folders SET size = ?, mtime_ns = ?, ctime_ns = ?, ino = ?, "
                    "checked_ns = ? WHERE name = ?",
                    (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino,
                     info.st_mtime_ns + 10 * sync.RACY_NS, folder))


def test_a_folder_whose_time_did_not_change_is_caught_by_refresh_and_bulk_exports(
        backpain_home: Path) -> None:
    practice(backpain_home)
    outputs()
    new = sid(300, LATEST[:8] + "T235959Z")  # the newest of all
    plant(backpain_home, "JD-042", new)
    _pretend_folder_time_unchanged(backpain_home, "JD-042")
    # The one case the listing misses (README, "Where your data lives"): it trusts the
    # folder's stamp, which says nothing changed.
    assert new not in CliRunner().invoke(app, ["review"]).stdout
    assert new in CliRunner().invoke(app, ["export", "--all", "--format", "csv"]).stdout
    _pretend_folder_time_unchanged(backpain_home, "JD-042")
    assert new in CliRunner().invoke(app, ["review", "--refresh"]).stdout
    assert new in CliRunner().invoke(app, ["review"]).stdout


def test_a_listing_reads_only_what_changed(backpain_home: Path, counting: list[Path]) -> None:
    made = practice(backpain_home)
    assert CliRunner().invoke(app, ["review"]).exit_code == 0
    assert len(counting) == len(made) + 1  # every session file once (the broken one too)
    counting.clear()
    assert CliRunner().invoke(app, ["review"]).exit_code == 0
    assert CliRunner().invoke(app, ["export", "--all", "--format", "csv"]).exit_code == 1
    assert counting == []
    # A save elsewhere changes one folder: only its new file is read.
    added = plant(backpain_home, "mk-19", sid(400, LATEST))
    os.utime(added, (time.time() - HOUR,) * 2)
    assert CliRunner().invoke(app, ["review"]).exit_code == 0
    assert counting == [added]


def test_a_file_written_moments_before_it_was_read_is_read_again(
        backpain_home: Path, counting: list[Path]) -> None:
    practice(backpain_home)
    fresh = plant(backpain_home, "AB-7", sid(500, LATEST))  # dated now: within RACY_NS
    CliRunner().invoke(app, ["review"])
    counting.clear()
    CliRunner().invoke(app, ["review"])
    # Its stamp may not show a second write in the same clock tick, so it is not trusted.
    assert counting == [fresh]


def test_save_session_writes_through(backpain_home: Path) -> None:
    practice(backpain_home)
    outputs()
    session = dataclasses.replace(read_session(GOLDEN / f"{LATEST}.toml"), id=sid(600, LATEST))
    saved, _ = storage.save_session(session, new=True)
    assert saved.id in stored_ids(backpain_home)  # before any listing


# --------------------------------------------------------------------------- removed sessions


def test_removed_sessions_leave_the_index(backpain_home: Path) -> None:
    made = practice(backpain_home)
    outputs()
    gone = made[sid(17, SECOND)]
    gone.unlink()
    CliRunner().invoke(app, ["review"])
    assert sid(17, SECOND) not in stored_ids(backpain_home)
    # A discarded draft (storage.delete_session) and `backpain forget` (reader.forget) take
    # their rows at once, before any listing.
    storage.delete_session(made[sid(2, DRAFT)])
    assert sid(2, DRAFT) not in stored_ids(backpain_home)
    reader.forget(backpain_home, [made[sid(0, FIRST)], made[sid(3, LATEST)]])
    assert stored_ids(backpain_home).isdisjoint({sid(0, FIRST), sid(3, LATEST)})
    # Overwritten, not only unlinked, in the file (secure_delete).
    assert b"20260903T091500Z-000000" not in index_file(backpain_home).read_bytes()
    shutil.rmtree(backpain_home / "sessions" / "mk-19")
    CliRunner().invoke(app, ["review"])
    with sql(backpain_home) as con:
        assert con.execute("SELECT count(*) FROM sessions WHERE folder = 'mk-19'"
                           ).fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM folders WHERE name = 'mk-19'").fetchone() == (0,)


def test_forget_deletes_an_index_it_cannot_update(backpain_home: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    made = practice(backpain_home)
    outputs()
    index_file(backpain_home).write_bytes(b"garbage" * 1000)
    reader.forget(backpain_home, [made[sid(0, FIRST)]])
    assert not index_file(backpain_home).exists()


# --------------------------------------------------------------------------- broken index


def _garbage(home: Path) -> None:
    index_file(home).write_bytes(os.urandom(64 * 1024))


def _truncated(home: Path) -> None:
    path = index_file(home)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _header_damaged(home: Path) -> None:
    path = index_file(home)
    data = bytearray(path.read_bytes())
    data[:16] = b"not a sqlite db!"
    path.write_bytes(bytes(data))


def _a_score_changed(home: Path) -> None:
    # Valid SQLite, a plausible value, the checksum not updated: a damaged page.
    with sql(home) as con:
        (brief,) = con.execute("SELECT brief FROM sessions WHERE id = ?",
                               (sid(3, LATEST),)).fetchone()
        con.execute("UPDATE sessions SET brief = ? WHERE id = ?",
                    (brief.replace('"nprs_now":4', '"nprs_now":0'), sid(3, LATEST)))


def _a_document_changed(home: Path) -> None:
    with sql(home) as con:
        (head,) = con.execute("SELECT head FROM bodies WHERE id = ?",
                              (sid(3, LATEST),)).fetchone()
        con.execute("UPDATE bodies SET head = ? WHERE id = ?",
                    (head[:-3] + b"xyz", sid(3, LATEST)))


def _a_summary_changed(home: Path) -> None:
    with sql(home) as con:
        con.execute("UPDATE summaries SET summary = replace(summary, '\"urgent\"', "
                    "'\"none\"')")


def _another_layout(home: Path) -> None:
    with sql(home) as con:
        con.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")


def _another_data_folder(home: Path) -> None:
    with sql(home) as con:
        con.execute("UPDATE meta SET value = '/elsewhere' WHERE key = 'root'")


def _tables_dropped(home: Path) -> None:
    with sql(home) as con:
        con.execute("DROP TABLE bodies")


def _a_directory(home: Path) -> None:
    index_file(home).unlink()
    index_file(home).mkdir()


DAMAGES = [_garbage, _truncated, _header_damaged, _a_score_changed, _a_document_changed,
           _a_summary_changed, _another_layout, _another_data_folder, _tables_dropped,
           _a_directory]


@pytest.mark.parametrize("damage", DAMAGES, ids=[d.__name__.strip("_") for d in DAMAGES])
def test_a_broken_index_gives_the_same_output(backpain_home: Path,
                                              damage: Callable[[Path], None]) -> None:
    practice(backpain_home)
    expected = outputs()
    damage(backpain_home)
    assert outputs() == expected
    if index_file(backpain_home).is_file():
        # Rebuilt, not merely avoided: whole, and holding every session again.
        with sql(backpain_home) as con:
            assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert len(stored_ids(backpain_home)) == 4 * len(CLIENTS) + 1


def test_a_locked_index_is_waited_for_then_passed_by(backpain_home: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    practice(backpain_home)
    expected = outputs()
    monkeypatch.setattr(db, "TIMEOUT", 0.05)
    holder = sql(backpain_home)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        # Another command writing for longer than TIMEOUT: the files are read instead.
        assert outputs() == expected
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert outputs() == expected


def test_an_unwritable_cache_folder_reads_the_files(backpain_home: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    practice(backpain_home)
    expected = outputs()
    blocked = tmp_path / "a-file"
    blocked.write_text("in the way\n")
    monkeypatch.setenv("BACKPAIN_CACHE", str(blocked / "cache"))
    assert outputs() == expected


# --------------------------------------------------------------------------- two writers


def _save_many(home: str, cache: str, worker: int, count: int) -> None:
    os.environ["BACKPAIN_HOME"], os.environ["BACKPAIN_CACHE"] = home, cache
    template = read_session(GOLDEN / f"{LATEST}.toml")
    for n in range(count):
        session = dataclasses.replace(template, id=sid(1000 + 100 * worker + n, LATEST),
                                      client=("JD-042", "AB-7")[n % 2])
        storage.save_session(session, new=True)


def _list_many(home: str, cache: str, count: int) -> None:
    os.environ["BACKPAIN_HOME"], os.environ["BACKPAIN_CACHE"] = home, cache
    for _ in range(count):
        list(reader.newest(Path(home), limit=5).rows)
        list(reader.bulk(Path(home), what="brief").rows)


def test_concurrent_writers_leave_the_index_whole(backpain_home: Path) -> None:
    practice(backpain_home)
    outputs()
    cache = os.environ["BACKPAIN_CACHE"]
    # Forked: the children need nothing but the module-level functions above.
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_save_many, args=(str(backpain_home), cache, w, 12))
               for w in range(3)]
    workers += [context.Process(target=_list_many, args=(str(backpain_home), cache, 6))
                for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    with sql(backpain_home) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    expected = {sid(1000 + 100 * w + n, LATEST) for w in range(3) for n in range(12)}
    seen = outputs()
    assert expected <= stored_ids(backpain_home)
    db.discard(backpain_home)
    assert seen == outputs()


# --------------------------------------------------------------------------- private file


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_index_is_private_and_in_the_cache_folder(backpain_home: Path) -> None:
    practice(backpain_home)
    outputs()
    path = index_file(backpain_home)
    assert path.parent == Path(os.environ["BACKPAIN_CACHE"])
    assert backpain_home not in path.parents
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    # Its rollback journal, which holds the rows being changed, is as private as the file.
    store = db.open_store(backpain_home)
    try:
        with store.writing():
            store.set_meta("probe", "1")
            journal = Path(f"{path}-journal")
            assert journal.exists()
            assert _mode(journal) == 0o600
        assert store.con.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert store.con.execute("PRAGMA secure_delete").fetchone() == (1,)
    finally:
        store.close()
    assert not Path(f"{path}-journal").exists()
    assert not Path(f"{path}-wal").exists()


def test_a_loose_index_file_is_made_private(backpain_home: Path) -> None:
    practice(backpain_home)
    outputs()
    os.chmod(index_file(backpain_home), 0o644)
    outputs()
    assert _mode(index_file(backpain_home)) == 0o600


def test_one_index_per_data_folder(backpain_home: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other-home"
    link = tmp_path / "link-home"
    link.symlink_to(backpain_home, target_is_directory=True)
    assert db.index_path(backpain_home) != db.index_path(other)
    # The same folder by another path is the same data folder.
    assert db.index_path(backpain_home) == db.index_path(link)
    monkeypatch.delenv("BACKPAIN_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    assert db.index_path(backpain_home).parent == tmp_path / "xdg-cache" / "backpain"


# --------------------------------------------------------------------------- questionnaires


def test_a_changed_questionnaire_folder_judges_the_files_again(backpain_home: Path) -> None:
    source = dict(shipped_paths())["questionnaires/sleep.toml"].decode("utf-8")
    mine = source.replace('version = "1"', 'version = "1-local"', 1)
    assert mine != source
    folder = backpain_home / "questionnaires"
    folder.mkdir(parents=True)
    (folder / "sleep.toml").write_text(mine, encoding="utf-8")
    import hashlib

    sha = hashlib.sha256(mine.encode("utf-8")).hexdigest()

    def answered_to_mine(text: str) -> str:
        # The sleep answers as given to the practitioner's own version, one out of range.
        text = re.sub(r'(\[questionnaires\.sleep\]\nversion = )".*"\nsha256 = ".*"',
                      f'\\1"1-local"\nsha256 = "{sha}"', text)
        return text.replace('sleep_position = "side"', 'sleep_position = "upside_down"')

    practice(backpain_home)
    path = plant(backpain_home, "JD-042", sid(700, LATEST), change=answered_to_mine)
    os.utime(path, (time.time() - HOUR,) * 2)
    os.utime(path.parent, (time.time() - HOUR,) * 2)
    first = CliRunner().invoke(app, ["review"])
    assert "does not fit its question" in first.stderr
    # Its questionnaire gone, its answers can no longer be judged: kept as saved.
    (folder / "sleep.toml").unlink()
    # Questionnaire texts are hashed once per process: the next command is a new one.
    questionnaire._BY_HASH.clear()
    storage._KNOWN.clear()
    second = outputs()
    assert "does not fit its question" not in second[0][2]
    db.discard(backpain_home)
    assert outputs() == second


# --------------------------------------------------------------------------- the rest


def test_the_summary_form_carries_every_field() -> None:
    def names(cls: Any) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)}

    assert {*codec.SUMMARY_FIELDS, *codec.NOT_IN_SUMMARY} == names(Session)
    assert {*codec.PLAN_FIELDS, *codec.NOT_IN_PLAN} == names(Plan)
    assert set(codec.PRACTICE_FIELDS) == names(Practice)
    for source in (FIRST, SECOND, DRAFT, LATEST):
        session = dataclasses.replace(read_session(GOLDEN / f"{source}.toml"),
                                      practice=Practice("P", "C", "Dr X"))
        _, summary, answers, _ = codec.readable(session)
        back = codec.summary_session(session.id, summary, answers)
        plan = session.plan and dataclasses.replace(session.plan, recommendations=())
        assert back == dataclasses.replace(session, plan=plan)


def test_review_limit_0_into_a_pipe_streams_plain_rows(backpain_home: Path) -> None:
    practice(backpain_home)
    result = CliRunner().invoke(app, ["review", "--limit", "0"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "ID\tClient\tDate (UTC)\tStatus\tTriage\tNPRS\tSTarT\tODI %\tRMDQ"
    assert len(lines) == 1 + 4 * len(CLIENTS) + 1
    assert lines[1].split("\t")[:4] == [sid(99, LATEST), "AB-7", "2026-10-29", "unreadable"]
    assert lines[2].split("\t") == [sid(35, LATEST), "mk-19", "2026-10-29", "completed",
                                    "urgent", "4", "low", "11.1", "–"]
    draft = next(line for line in lines if sid(2, DRAFT) in line).split("\t")
    assert draft[3:5] == ["draft", "–"]
    assert "\x1b" not in result.stdout
    assert result.stderr.count("backpain: warning: ") == 2


def test_a_first_build_over_many_folders_reports_progress(
        backpain_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    practice(backpain_home)
    seen: list[int] = []

    import contextlib

    @contextlib.contextmanager
    def bar(total: int) -> Iterator[Callable[[int], None]]:
        seen.append(total)
        yield seen.append

    monkeypatch.setattr(progress, "bar", bar)
    monkeypatch.setattr(sync, "PROGRESS_FROM", 2)
    assert CliRunner().invoke(app, ["review"]).exit_code == 0
    assert seen == [len(CLIENTS), len(CLIENTS)]  # the total, then how far (all, here)
    seen.clear()
    assert CliRunner().invoke(app, ["review"]).exit_code == 0
    assert seen == []  # nothing to read, nothing shown


def test_the_bar_is_drawn_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from backpain_cli.cli import progress as cli_progress

    monkeypatch.setattr(progress, "bar", None)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    cli_progress.install()
    assert progress.bar is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    cli_progress.install()
    assert progress.bar is not None


@pytest.mark.pty
def test_a_first_build_shows_its_bar_on_a_terminal_and_not_in_a_pipe(
        backpain_home: Path, tmp_path: Path) -> None:
    import pexpect

    # Enough folders for a bar (sync.PROGRESS_FROM), one session each.
    for n in range(sync.PROGRESS_FROM + 50):
        plant(backpain_home, f"C-{n:04d}", sid(n, LATEST))
    age(backpain_home)
    backpain = str(Path(sys.executable).parent / "backpain")
    env = {**os.environ, "TERM": "xterm", "NO_COLOR": "1", "COLUMNS": "100"}
    piped = subprocess.run([backpain, "review", "--limit", "1"], env=env, capture_output=True,
                           text=True, check=False)
    assert piped.returncode == 0, piped.stderr
    assert "Indexing" not in piped.stderr
    db.discard(backpain_home)
    child = pexpect.spawn(backpain, ["review", "--limit", "1"], env=env, dimensions=(24, 100),
                          encoding="utf-8", timeout=60)
    child.expect_exact("Indexing session folders")
    child.expect_exact("Sessions, newest first")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


# --------------------------------------------------------------------------- erasure races


def _client_rows(home: Path, client: str) -> tuple[int, int, int]:
    """The index's session, other and folder rows of `client`'s folder."""
    with sql(home) as con:
        counts: tuple[int, int, int] = con.execute(
            "SELECT (SELECT count(*) FROM sessions WHERE folder = ?1), "
            "(SELECT count(*) FROM others WHERE folder = ?1), "
            "(SELECT count(*) FROM folders WHERE name = ?1)", (client,)).fetchone()
        return counts


def _erase(home: Path, client: str) -> None:
    from backpain_cli.records import erasure

    erased = erasure.erase(erasure.plan_client(client, home))
    assert erased.index_kept is None


def _after_a_race_nothing_is_left(home: Path, client: str) -> None:
    assert _client_rows(home, client) == (0, 0, 0)
    after = outputs()
    assert not [out for out in after if client in out[1] or "No such file" in out[2]]
    assert _client_rows(home, client) == (0, 0, 0)
    # The index changed no output: the same with none.
    db.discard(home)
    assert outputs() == after


def test_a_listing_that_read_files_just_before_forget_writes_none_of_them_back(
        backpain_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 17, item 8: the listing reads the changed folder, `forget` erases the client
    # (and its rows), then the listing writes what it read.
    practice(backpain_home)
    outputs()
    plant(backpain_home, "AB-7", sid(800, LATEST))  # AB-7's folder changed: read again
    age(backpain_home)
    real = sync.Indexed._write
    hooked: list[str] = []

    def write(self: Any, pending: Any, checked: int) -> None:
        if pending and not hooked:
            hooked.append("forget")
            _erase(backpain_home, "AB-7")
        real(self, pending, checked)

    with monkeypatch.context() as patched:
        patched.setattr(sync.Indexed, "_write", write)
        racing = CliRunner().invoke(app, ["review", "--limit", "0"])
    assert hooked == ["forget"]
    assert racing.exit_code == 0, racing.output
    _after_a_race_nothing_is_left(backpain_home, "AB-7")


def test_a_listing_that_checks_rows_while_forget_erases_them_writes_none_back(
        backpain_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The rows shown are checked against their files; `forget` erases them between the
    # check's read and its write. Such rows used to stay, unreadable ("No such file"), in
    # every listing after, with `export --all` exiting 1, even after `review --refresh`.
    practice(backpain_home)
    outputs()
    with sql(backpain_home) as con:  # AB-7's rows must be read again at their next check
        con.execute("UPDATE sessions SET checked_ns = 0 WHERE folder = 'AB-7'")
    real = storage.index_entry
    hooked: list[str] = []

    def index_entry(ref: tree.SessionRef, stamp: Any, looked: int) -> Any:
        if ref.client == "AB-7" and not hooked:
            hooked.append("forget")
            _erase(backpain_home, "AB-7")
        return real(ref, stamp, looked)

    with monkeypatch.context() as patched:
        patched.setattr(sync, "index_entry", index_entry)
        racing = CliRunner().invoke(app, ["review", "--limit", "0"])
    assert hooked == ["forget"]
    assert racing.exit_code == 0, racing.output
    _after_a_race_nothing_is_left(backpain_home, "AB-7")


def test_rows_whose_files_are_gone_leave_at_the_next_listing_or_refresh(
        backpain_home: Path) -> None:
    # Rows of a folder the index no longer lists (as an older version left them).
    made = practice(backpain_home)
    outputs()
    with sql(backpain_home) as con:
        con.execute("UPDATE sessions SET folder = 'ZZ-9' WHERE folder = 'mk-19'")
        con.execute("UPDATE others SET folder = 'ZZ-9' WHERE folder = 'mk-19'")
    listing = CliRunner().invoke(app, ["review", "--limit", "0"])
    assert listing.exit_code == 0, listing.output
    assert "ZZ-9" not in listing.stdout and "No such file" not in listing.stderr
    assert _client_rows(backpain_home, "ZZ-9")[0] == 0  # shown rows: checked and dropped
    assert _client_rows(backpain_home, "ZZ-9")[1] == 1  # the odd entry: not a row shown
    assert CliRunner().invoke(app, ["review", "--refresh"]).exit_code == 0
    assert _client_rows(backpain_home, "ZZ-9") == (0, 0, 0)
    # One file deleted by hand behind a folder time that did not change.
    gone = made[sid(0, FIRST)]
    then = gone.parent.stat().st_mtime
    gone.unlink()
    os.utime(gone.parent, (then, then))
    listing = CliRunner().invoke(app, ["review", "--limit", "0"])
    assert sid(0, FIRST) not in listing.stdout and "No such file" not in listing.stderr
    assert sid(0, FIRST) not in stored_ids(backpain_home)

# --------------------------------------------------------------------------- litter


def _cache(home: Path) -> Path:
    return index_file(home).parent


def test_a_rebuild_on_a_full_disk_leaves_no_temp_file(backpain_home: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 17, item 13: each failed rebuild left a `.index-*.sqlite3.*.tmp` for good.
    practice(backpain_home)
    expected = outputs(COMMANDS[:3])
    real = db._connect

    def full(path: Path) -> sqlite3.Connection:
        con = real(path)
        if str(path).endswith(".tmp"):
            con.execute("PRAGMA max_page_count = 1")  # SQLite's "database or disk is full"
        return con

    monkeypatch.setattr(db, "_connect", full)
    for _ in range(3):
        _garbage(backpain_home)
        assert outputs(COMMANDS[:3]) == expected  # read from the files
    assert sorted(p.name for p in _cache(backpain_home).iterdir()) == [
        index_file(backpain_home).name]


def test_temp_files_a_crash_left_are_removed_with_stale_indexes(backpain_home: Path) -> None:
    practice(backpain_home)
    outputs(COMMANDS[:1])
    cache = _cache(backpain_home)
    old = cache / f".{index_file(backpain_home).name}.0123abcd.tmp"
    new = cache / f".{index_file(backpain_home).name}.89abcdef.tmp"
    for p in (old, new):
        p.write_bytes(b"half an index")
    os.utime(old, (time.time() - 2 * HOUR,) * 2)
    db.prune()
    assert not old.exists() and new.exists()


@pytest.mark.usefixtures("listing_as_table")
def test_the_index_of_a_data_folder_that_no_longer_exists_is_removed(
        backpain_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The README's move: the old folder's index would keep its rows (erased clients' too).
    practice(backpain_home)
    outputs(COMMANDS[:1])
    old_index = index_file(backpain_home)
    other = tmp_path / "other-home"  # another practice's data folder, still there
    plant(other, "ZZ-1", sid(1, LATEST))
    list(reader.newest(other).rows)
    mine = _cache(backpain_home) / "index-0123456789abcdef.sqlite3"  # not an index at all
    mine.write_bytes(b"not an index")
    moved = tmp_path / "moved-home"
    backpain_home.rename(moved)
    monkeypatch.setenv("BACKPAIN_HOME", str(moved))
    result = CliRunner().invoke(app, ["review"])
    assert result.exit_code == 0, result.output
    assert "Sessions, newest first" in result.stdout
    assert not old_index.exists()
    assert index_file(moved).exists() and db.index_path(other).exists()
    assert mine.read_bytes() == b"not an index"  # not ours to judge: left


# --------------------------------------------------------------------------- upgrades

# Commands answered from the index alone (review SESSION or CLIENT and a handout read their
# files): after an upgrade they parse no session file whose stamp is unchanged.
INDEXED: list[list[str]] = [
    ["review", "--limit", "0"], ["review", "--limit", "0", "--json"],
    ["review", "--due", "--on", "2027-06-01"], ["export", "--all", "--format", "csv"],
    ["export", "--all", "--format", "jsonl"],
]
REFUSED = "refused by the new rules"


def upgrade(monkeypatch: pytest.MonkeyPatch, refuse: str | None = None) -> None:
    """What the next version of backpain looks like to the index: another code stamp, and,
    to see that the rows are judged again and not kept, rules that refuse `refuse`."""
    monkeypatch.setattr(db, "_code_stamp", lambda: "a later version")
    if refuse is None:
        return
    from backpain_cli.errors import SessionFileError

    real = storage.check_read

    def check_read(session: Session, path: Path, questionnaires: Path | None = None) -> Session:
        if session.id == refuse:
            raise SessionFileError(str(path), REFUSED)
        return real(session, path, questionnaires)

    monkeypatch.setattr(storage, "check_read", check_read)


def judged(home: Path) -> dict[tuple[str, str], tuple[int, int | None]]:
    """(folder, id) -> (checked_ns, judged) of every session row: a row written again has a
    new one."""
    with sql(home) as con:
        return {(f, i): (c, j) for f, i, c, j in
                con.execute("SELECT folder, id, checked_ns, judged FROM sessions")}


@pytest.fixture
def rejudging(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the rows judged again from their parsed documents."""
    seen: list[str] = []
    real = storage.rejudged_entry

    def rejudged_entry(ref: tree.SessionRef, *args: Any, **kwargs: Any) -> Any:
        seen.append(ref.id)
        return real(ref, *args, **kwargs)

    monkeypatch.setattr(sync, "rejudged_entry", rejudged_entry)
    return seen


@pytest.mark.usefixtures("listing_as_table")
def test_after_an_upgrade_the_index_judges_again_what_it_holds_without_parsing(
        backpain_home: Path, counting: list[Path], rejudging: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    made = practice(backpain_home)
    before = outputs(INDEXED)
    rows = judged(backpain_home)
    counting.clear()
    # One file edited in place (its stamp changes) before the upgrade; it must be parsed
    # again. Another is refused by the new rules: its row changes though its file did not.
    edited = made[sid(16, FIRST)]
    edited.write_text(edited.read_text().replace("nprs_now = 7", "nprs_now = 2"))
    os.utime(edited, (time.time() - HOUR,) * 2)
    refused = sid(35, LATEST)
    upgrade(monkeypatch, refuse=refused)
    after = outputs(INDEXED)
    # The file that was never parsed whole (not TOML) is read again too: nothing is kept of
    # it to judge.
    broken = backpain_home / "sessions" / "AB-7" / f"{sid(99, LATEST)}.toml"
    assert sorted(counting) == sorted([edited, broken])
    assert len(rejudging) == len(made) - 1  # every other session file, once
    listing = after[0]
    assert f"{refused}.toml: {REFUSED}" in listing[2] and REFUSED not in before[0][2]
    # Rows judged the same are not written again.
    now = judged(backpain_home)
    assert {k for k in rows if rows[k] != now[k]} == {("mk-19", refused), ("AB-7", sid(16, FIRST))}
    # Judged again once: the next commands neither parse nor judge anything.
    counting.clear()
    rejudging.clear()
    assert outputs(INDEXED) == after
    assert counting == [] and rejudging == []
    # Files are the truth: the same as an index built from them by the new rules.
    db.discard(backpain_home)
    assert outputs(INDEXED) == after


def test_an_upgrade_stopped_part_way_is_finished_by_the_next_command(
        backpain_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    practice(backpain_home)
    outputs(INDEXED)
    refused = sid(19, LATEST)
    upgrade(monkeypatch, refuse=refused)
    real = storage.rejudged_entry
    calls: list[str] = []

    def interrupted(ref: tree.SessionRef, *args: Any, **kwargs: Any) -> Any:
        calls.append(ref.id)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(ref, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(sync, "rejudged_entry", interrupted)
        stopped = CliRunner().invoke(app, ["review"])
    assert stopped.exit_code == 130  # interrupted
    after = outputs(INDEXED)
    assert f"{refused}.toml: {REFUSED}" in after[0][2]
    db.discard(backpain_home)
    assert outputs(INDEXED) == after


def test_a_file_whose_parsed_document_is_not_kept_is_parsed_again_after_an_upgrade(
        backpain_home: Path, counting: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    practice(backpain_home)
    # A key of its own spelled as the index's date tag: what tomllib made of it is not
    # kept, so that it can never be read back as something else.
    odd = plant(backpain_home, "AB-7", sid(90, LATEST),
                change=lambda t: t + '\n[extra]\n"\\u0000" = ["datetime", "2026-01-01"]\n')
    age(backpain_home)
    outputs(INDEXED)
    with sql(backpain_home) as con:
        kept = {i for (i,) in con.execute("SELECT id FROM bodies WHERE parsed > 0")}
    assert sid(90, LATEST) not in kept and sid(91, LATEST) not in kept
    assert len(kept) == len(CLIENTS) * 4  # the unreadable file was never parsed whole
    counting.clear()
    upgrade(monkeypatch)
    after = outputs(INDEXED)
    broken = backpain_home / "sessions" / "AB-7" / f"{sid(99, LATEST)}.toml"
    assert sorted(counting) == sorted([odd, broken])
    db.discard(backpain_home)
    assert outputs(INDEXED) == after


def test_a_damaged_parsed_document_has_the_index_rebuilt(
        backpain_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    practice(backpain_home)
    before = outputs(INDEXED)
    with sql(backpain_home) as con:
        [(text,)] = con.execute("SELECT value FROM meta WHERE key = 'zdict'")
        zdict = text.encode("utf-8")
        [(head, tail, *sizes)] = con.execute(
            "SELECT head, tail, answers, doc, parsed FROM bodies WHERE id = ?", (sid(1, SECOND),))
        stored = codec.Body(head, tail, *sizes)
        # What it says is checked and whole: only its parsed document is no table.
        body = codec.Body.of(stored.part(zdict, 0), stored.part(zdict, 1), "[not a table]",
                             zdict)
        assert body is not None and body.tail is not None
        con.execute("UPDATE bodies SET head = ?, tail = ?, parsed = ?, crc = ?, tail_crc = ? "
                    "WHERE id = ?",
                    (body.head, body.tail, body.parsed,
                     zlib.crc32(body.head, codec.checksum(
                         str(body.answers), str(body.doc), str(body.parsed))),
                     zlib.crc32(body.tail), sid(1, SECOND)))
    upgrade(monkeypatch)
    assert outputs(INDEXED) == before


@settings(max_examples=examples(200), deadline=None)
@given(st.recursive(
    st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats() | st.text()
    | st.dates() | st.times() | st.datetimes()
    | st.datetimes(timezones=st.sampled_from(
        [dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30)),
         dt.timezone(-dt.timedelta(hours=8))])),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20))
def test_a_parsed_document_reads_back_as_tomllib_made_it(value: object) -> None:
    import tomllib

    import tomli_w

    raw = tomllib.loads(tomli_w.dumps({"value": value, "key": [value]}))
    leaves: list[object] = []
    todo: list[object] = [raw]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            leaves += item.keys()
            todo += item.values()
        elif isinstance(item, list):
            todo += item
        else:
            leaves.append(item)
    times = sorted(repr(v) for v in leaves if isinstance(v, dt.date | dt.time))
    text, found = codec.parsed_text(raw)
    assert found is not None and sorted(map(repr, found)) == times
    if text is None:
        # Not kept only when a text of its own could read back as a tag.
        assert any(isinstance(v, str) and "\x00" in v for v in leaves)
        return
    back, found = codec.parsed_of(text)
    assert repr(back) == repr(raw)  # types, offsets and order too (nan == nan here)
    assert sorted(map(repr, found)) == times


# --------------------------------------------------------------------------- many cores


def contents(home: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the index, but when things were looked at."""
    with sql(home) as con:
        out: dict[str, list[tuple[Any, ...]]] = {}
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            columns = [c[1] for c in con.execute(f"PRAGMA table_info({table})")
                       if c[1] != "checked_ns"]
            out[table] = sorted(con.execute(f"SELECT {', '.join(columns)} FROM {table}"))
        return out


def test_a_build_in_a_pool_of_processes_equals_one_in_this_process(
        backpain_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = practice(backpain_home)
    for n in range(12):  # more folders than a stretch holds, and jobs in several chunks
        plant(backpain_home, f"P-{n:02d}", sid(300 + n, SECOND), SECOND)
    age(backpain_home)
    monkeypatch.setattr(sync, "_FOLDERS_AT_ONCE", 5)
    monkeypatch.setattr(sync, "POOL_FROM", 10**9)
    alone = outputs(INDEXED)
    built_alone = contents(backpain_home)
    db.discard(backpain_home)
    pools: list[object] = []
    real_start = sync._Work.start

    def start(work: Any) -> None:
        real_start(work)
        pools.append(work.pool)

    monkeypatch.setattr(sync._Work, "start", start)
    monkeypatch.setattr(sync, "POOL_FROM", 0)
    monkeypatch.setattr(sync, "cores", lambda: 2)
    assert outputs(INDEXED) == alone
    assert pools and all(p is not None for p in pools)
    assert contents(backpain_home) == built_alone
    # After an upgrade, the pool judges again what the index holds, as this process would.
    edited = made[sid(2, DRAFT)]
    edited.write_text(edited.read_text() + "\n")
    os.utime(edited, (time.time() - HOUR,) * 2)
    upgrade(monkeypatch)
    pools.clear()
    upgraded = outputs(INDEXED)
    assert pools
    in_pool = contents(backpain_home)
    db.discard(backpain_home)
    monkeypatch.setattr(sync, "POOL_FROM", 10**9)
    assert outputs(INDEXED) == upgraded
    assert contents(backpain_home) == in_pool


def test_the_pool_is_used_for_many_files_only(monkeypatch: pytest.MonkeyPatch) -> None:
    jobs: list[sync.Job] = [("C", f"{sid(n, LATEST)}.toml", "/nowhere", None, 0, None, None)
                            for n in range(3)]
    work = sync._Work(lambda: sync.Judge(Path("/nowhere"), b""))
    monkeypatch.setattr(sync, "cores", lambda: 4)
    monkeypatch.setattr(work, "start", lambda: setattr(work, "pool", "started"))
    monkeypatch.setattr(sync, "POOL_FROM", 5)
    list(work.run(jobs))  # 3 files: read here
    assert work.pool is None
    with pytest.raises(AttributeError):  # 6 files so far: the pool (a stand-in) takes them
        work.run(jobs)
    assert work.pool == "started"
