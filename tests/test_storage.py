"""Session files: the write/read round trip, atomic private writes, client references that
could escape the data folder, finding sessions by file name, and unreadable files."""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import tomli_w
from helpers import list_refs

from backpain_cli import __version__
from backpain_cli.clinical.model import Plan, Recommendation, RedFlag
from backpain_cli.errors import (
    InvalidClientError,
    NotFoundError,
    SessionFileError,
    StorageError,
)
from backpain_cli.records import atomic, storage, tree
from backpain_cli.records.paths import data_dir, is_session_id, new_session_id, validate_client
from backpain_cli.records.session import SCHEMA, ModuleRef, Session, to_toml_dict
from backpain_cli.records.storage import read_session, save_session
from backpain_cli.records.targets import resolve

CREATED = dt.datetime(2026, 11, 27, 10, 15, 3, tzinfo=dt.UTC)


def make_session(client: str = "JD-042", sid: str = "20261127T101503Z-abc123",
                 **changes: object) -> Session:
    plan = Plan(
        scores={"nprs_now": 6, "odi_percent": 34.0, "startback_risk": "medium"},
        triage="urgent",
        red_flags=(RedFlag("rf_trauma", "urgent"),),
        recommendations=(Recommendation(
            "medical.urgent_referral", "medical", "See a doctor", "Within days.",
            ("rf_trauma",), "IFOMPT"),),
        warnings=("ODI not scored",),
        reassess_weeks=1,
    )
    session = Session(
        id=sid, client=client, created=CREATED, status="completed",
        answers={"pain_now": 6, "rf_trauma": True, "sleep_position": "side",
                 "pain_location": ("lower_back", "buttock")},
        questionnaires=(ModuleRef("intake", "1", "ab" * 32),),
        instruments=("odi",), plan=plan, follows="20261001T090000Z-000001",
        skipped=("odi_8",),
    )
    return replace(session, **changes)  # type: ignore[arg-type]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_zero() -> Iterator[None]:
    # The most permissive umask: modes must come from our code, not from the umask.
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


# --------------------------------------------------------------------------- round trip


def test_a_saved_session_reads_back_equal(backpain_home: Path) -> None:
    session = make_session()
    saved, path = save_session(session, new=True)
    assert saved == session
    assert path == backpain_home / "sessions" / "JD-042" / "20261127T101503Z-abc123.toml"
    assert read_session(path) == session


def test_an_emergency_session_ended_early_reads_back_equal() -> None:
    plan = Plan({}, "emergency", (RedFlag("rf_both_legs", "emergency"),), (Recommendation(
        "medical.emergency_referral", "medical", "Emergency care today", "Now.",
        ("rf_both_legs",), "NICE"),))
    session = make_session(plan=plan, ended_early="emergency", answers={"rf_both_legs": True})
    _, path = save_session(session, new=True)
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert doc["ended_early"] == "emergency"
    assert "reassess_weeks" not in doc  # an emergency plan has no interval
    assert read_session(path) == session


def test_a_draft_without_plan_reads_back_equal() -> None:
    draft = make_session(status="draft", plan=None, follows=None, instruments=(), skipped=())
    _, path = save_session(draft, new=True)
    back = read_session(path)
    assert back == draft
    assert back.is_draft


def test_the_session_file_holds_what_product_md_lists() -> None:
    _, path = save_session(make_session(), new=True)
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert set(doc) == {"schema", "tool_version", "id", "client", "created", "status",
                        "follows", "instruments", "skipped", "questionnaires", "answers",
                        "triage", "scores", "red_flags", "recommendations", "warnings",
                        "reassess_weeks"}
    assert (doc["schema"], doc["tool_version"], doc["status"]) == (SCHEMA, __version__,
                                                                   "completed")
    assert doc["reassess_weeks"] == 1
    assert doc["created"] == CREATED
    assert doc["questionnaires"] == {"intake": {"version": "1", "sha256": "ab" * 32}}
    assert doc["answers"]["pain_location"] == ["lower_back", "buttock"]
    assert doc["recommendations"] == [{
        "id": "medical.urgent_referral", "strategy": "medical", "title": "See a doctor",
        "detail": "Within days.", "because": ["rf_trauma"], "evidence": "IFOMPT"}]


def test_created_is_written_in_utc_whole_seconds() -> None:
    local = dt.datetime(2026, 11, 27, 12, 15, 3, 999, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    doc = to_toml_dict(make_session(created=local))
    assert doc["created"] == CREATED
    assert doc["created"].utcoffset() == dt.timedelta(0)


def test_optional_fields_are_omitted_not_empty() -> None:
    doc = to_toml_dict(make_session(plan=None, follows=None, instruments=(), skipped=(),
                                    status="draft"))
    assert set(doc) == {"schema", "tool_version", "id", "client", "created", "status",
                        "questionnaires", "answers"}


# --------------------------------------------------------------------------- permissions


def test_files_are_0600_and_folders_0700_even_with_umask_zero(
        backpain_home: Path, umask_zero: None) -> None:
    _, path = save_session(make_session(), new=True)
    assert mode(path) == 0o600
    for folder in (path.parent, backpain_home / "sessions", backpain_home):
        assert mode(folder) == 0o700, folder


def test_an_overwrite_keeps_the_file_private(umask_zero: None) -> None:
    session = make_session(status="draft", plan=None)
    _, path = save_session(session, new=True)
    path.chmod(0o644)
    save_session(replace(session, status="completed", plan=make_session().plan), new=False)
    assert mode(path) == 0o600
    assert read_session(path).status == "completed"


def test_missing_parents_of_the_data_folder_are_created(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh account may not have ~/.local/share yet.
    home = tmp_path / "no" / "such" / "backpain"
    monkeypatch.setenv("BACKPAIN_HOME", str(home))
    _, path = save_session(make_session(), new=True)
    assert path.is_file()
    assert mode(home) == 0o700


def test_backpain_home_is_the_data_folder(backpain_home: Path) -> None:
    assert data_dir() == backpain_home


def test_an_unwritable_data_folder_is_one_clear_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root in CI, so a file in the way stands in for a read-only folder.
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("BACKPAIN_HOME", str(blocker))
    with pytest.raises(StorageError) as info:
        save_session(make_session(), new=True)
    assert str(info.value) == (f"{blocker}: not a folder (the data folder must be one; check "
                               "$BACKPAIN_HOME)")


def test_no_temporary_file_is_left_behind() -> None:
    _, path = save_session(make_session(), new=True)
    save_session(make_session(status="draft"), new=False)
    assert [p.name for p in path.parent.iterdir()] == [path.name]


# --------------------------------------------------------------------------- client references


REFUSED: list[object] = [
    "../x", "..", "a/b", "/etc", "a\\b", ".hidden", "", "x" * 65, "Zoë", "JD 042", " JD",
    "JD\n", "J\x00D", "ＪＤ", 42, None, ["JD"],
    # Issue 9 item 9: read as an option on the command line, and a formula in CSV.
    "-JD", "--help", "-",
]


@pytest.mark.parametrize("ref", REFUSED, ids=[repr(r) for r in REFUSED])
def test_refused_client_references(ref: object) -> None:
    with pytest.raises(InvalidClientError):
        validate_client(ref)


@pytest.mark.parametrize("ref", ["../x", "a/b", ".hidden", "x" * 65, "Zoë"])
def test_a_refused_reference_writes_nothing_anywhere(tmp_path: Path, ref: str) -> None:
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(InvalidClientError) as info:
        save_session(make_session(client=ref), new=True)
    assert str(info.value) == (
        f"invalid client reference {ref!r}: use 1 to 64 ASCII letters, digits, '-', '_' or "
        "'.', not starting with '.' or '-'")
    assert sorted(tmp_path.rglob("*")) == before
    assert sorted(tmp_path.parent.glob("*.toml")) == []


@pytest.mark.parametrize("ref", ["JD-042", "a", "x" * 64, "A.b_c-1", "_x", "1980"])
def test_accepted_client_references(ref: str) -> None:
    assert validate_client(ref) == ref


# --------------------------------------------------------------------------- ids and finding


def test_session_ids_sort_by_time_and_do_not_collide() -> None:
    early = new_session_id(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    late = new_session_id(dt.datetime(2026, 1, 2, 3, 4, 6, tzinfo=dt.UTC))
    assert early.startswith("20260102T030405Z-")
    assert is_session_id(early)
    assert early < late
    # 24 random bits: ten ids of one second collide about once in 300,000 runs.
    same_second = {new_session_id(CREATED) for _ in range(10)}
    assert len(same_second) == 10


def test_session_ids_take_ascii_digits_only(backpain_home: Path) -> None:
    """\\d took any script's digits: a fullwidth id was read, completed and exported as a
    FHIR id no server accepts (issue 17 item 13)."""
    sid = "20261127T101503Z-abc123"
    fullwidth = sid[:16].translate({ord(d): 0xFF10 + int(d) for d in "0123456789"}) + sid[16:]
    assert (is_session_id(sid), is_session_id(fullwidth)) == (True, False)
    _, path = save_session(make_session(sid=sid, follows=None), new=True)
    odd = path.with_name(f"{fullwidth}.toml")
    odd.write_text(tomli_w.dumps(to_toml_dict(make_session(sid=fullwidth))), encoding="utf-8")
    found = tree.scan()
    assert [r.id for r in found.refs] == [sid]
    assert found.skipped == (tree.Unreadable(str(odd), tree.NOT_A_SESSION_NAME),)
    with pytest.raises(NotFoundError, match="no session or client"):
        resolve(fullwidth)
    path.write_text(tomli_w.dumps(to_toml_dict(make_session(sid=sid, follows=fullwidth))),
                    encoding="utf-8")
    with pytest.raises(SessionFileError, match="field 'follows' is not a session id"):
        read_session(path)


def test_a_draft_is_never_deleted_through_a_linked_client_folder(backpain_home: Path,
                                                                 tmp_path: Path) -> None:
    """`assess --discard` deletes by name in a handle of the client folder, opened without
    following links (issue 17 item 9): a folder swapped for a link deletes nothing."""
    _, path = save_session(make_session(status="draft", plan=None), new=True)
    outside = tmp_path / "outside"
    path.parent.rename(outside)
    path.parent.symlink_to(outside)
    with pytest.raises(StorageError) as info:
        storage.delete_session(path)
    assert str(info.value) == (f"{path.parent}: a client folder is a symbolic link; backpain "
                               "deletes nothing through links inside the data folder")
    assert (outside / path.name).exists()


def test_a_folder_that_cannot_be_made_private_is_one_line(
        backpain_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A loose folder that is not ours to chmod (a shared folder): one StorageError line,
    not an OSError taken for a failing standard output."""
    (backpain_home / "sessions" / "JD-042").mkdir(parents=True, mode=0o755)
    real_fchmod = os.fchmod

    def folders_refused(fd: int, mode: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))
        real_fchmod(fd, mode)

    monkeypatch.setattr(os, "fchmod", folders_refused)
    with pytest.raises(StorageError) as info:
        save_session(make_session(), new=True)
    assert str(info.value) == (f"cannot write {backpain_home / 'sessions' / 'JD-042'}: "
                               "permission denied (read-only or not yours)")


def test_a_taken_id_gets_a_fresh_one_instead_of_overwriting() -> None:
    first, first_path = save_session(make_session(), new=True)
    second, second_path = save_session(make_session(status="draft", plan=None), new=True)
    assert second.id != first.id
    assert second.id.startswith("20261127T101503Z-")
    assert read_session(first_path).status == "completed"
    assert read_session(second_path).status == "draft"


def save_several() -> list[str]:
    ids = ["20261101T090000Z-aaaaaa", "20261127T090000Z-bbbbbb", "20261115T090000Z-cccccc"]
    for sid, client in zip(ids, ["AB", "CD", "AB"], strict=True):
        save_session(make_session(client=client, sid=sid), new=True)
    return ids


def test_the_tree_scan_finds_session_files_by_name_and_by_client(backpain_home: Path) -> None:
    save_several()
    # Neither temp files nor stray names are sessions.
    (backpain_home / "sessions" / "AB" / ".20261201T000000Z-dddddd.toml.1234.tmp").touch()
    (backpain_home / "sessions" / "AB" / "notes.toml").touch()
    (backpain_home / "sessions" / ".trash").mkdir()
    refs = list_refs()
    assert [(r.id, r.client) for r in refs] == [
        ("20261127T090000Z-bbbbbb", "CD"), ("20261115T090000Z-cccccc", "AB"),
        ("20261101T090000Z-aaaaaa", "AB")]
    assert refs[0].created == dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
    assert [r.id for r in list_refs(client="AB")] == [
        "20261115T090000Z-cccccc", "20261101T090000Z-aaaaaa"]
    assert list_refs(client="ZZ") == []


def test_an_empty_data_folder_has_no_sessions() -> None:
    assert list_refs() == []


# --------------------------------------------------------------------------- unreadable files


def session_doc(**changes: object) -> dict[str, object]:
    doc = to_toml_dict(make_session())
    for key, value in changes.items():
        if value is None:
            del doc[key]
        else:
            doc[key] = value
    return doc


UNREADABLE: list[tuple[str, bytes, str]] = [
    ("empty", b"\n", "the file is empty"),
    ("not UTF-8", b'id = "\xff"\n', "not UTF-8 text"),
    ("not TOML", b"schema = \n",
     "not valid TOML (Invalid value (at line 1, column 10))"),
    ("newer schema", tomli_w.dumps(session_doc(schema=SCHEMA + 1)).encode(),
     f"written by a newer backpain (schema {SCHEMA + 1}; this version reads up to {SCHEMA}); "
     "upgrade backpain to read it"),
    ("reassess_weeks not a number", tomli_w.dumps(session_doc(reassess_weeks="4")).encode(),
     "field 'reassess_weeks' is not a whole number of weeks"),
    ("reassess_weeks zero", tomli_w.dumps(session_doc(reassess_weeks=0)).encode(),
     "field 'reassess_weeks' is not a whole number of weeks"),
    ("reassess_weeks yes", tomli_w.dumps(session_doc(reassess_weeks=True)).encode(),
     "field 'reassess_weeks' is not a whole number of weeks"),
    ("ended_early unknown", tomli_w.dumps(session_doc(ended_early="tired")).encode(),
     "field 'ended_early' has an unknown value 'tired'"),
    ("schema zero", tomli_w.dumps(session_doc(schema=0)).encode(), "unknown schema 0"),
    ("no answers", tomli_w.dumps(session_doc(answers=None)).encode(),
     "missing field 'answers'"),
    ("client not text", tomli_w.dumps(session_doc(client=7)).encode(),
     "field 'client' has the wrong type"),
    ("unknown status", tomli_w.dumps(session_doc(status="paused")).encode(),
     "unknown status 'paused'"),
    ("created without zone",
     tomli_w.dumps(session_doc(created=dt.datetime(2026, 1, 1))).encode(),
     "field 'created' has no time zone"),
    ("red flags not a list", tomli_w.dumps(session_doc(red_flags=False)).encode(),
     "field 'red_flags' has the wrong type"),
    ("recommendations not a list",
     tomli_w.dumps(session_doc(recommendations="none")).encode(),
     "field 'recommendations' has the wrong type"),
    ("score not finite", tomli_w.dumps(session_doc(scores={"odi_percent": float("nan")})
                                       ).encode(),
     "score 'odi_percent' is not a finite number"),
    ("bad answer", tomli_w.dumps(session_doc(answers={"pain_now": 1.5})).encode(),
     "answer 'pain_now' has an unsupported type"),
    ("another session's id", tomli_w.dumps(session_doc(id="20260101T000000Z-000000")).encode(),
     "its id '20260101T000000Z-000000' does not match the file name"),
]


@pytest.mark.parametrize(("data", "reason"), [(d, r) for _, d, r in UNREADABLE],
                         ids=[c for c, _, _ in UNREADABLE])
def test_an_unreadable_session_names_the_path_and_reason(tmp_path: Path, data: bytes,
                                                         reason: str) -> None:
    path = tmp_path / "20261127T101503Z-abc123.toml"
    path.write_bytes(data)
    with pytest.raises(SessionFileError) as info:
        read_session(path)
    assert str(info.value) == f"{path}: {reason}"
    # Reading never rewrites: the practitioner's file stays as it was.
    assert path.read_bytes() == data


@pytest.mark.parametrize("code", [errno.EPERM, errno.EOPNOTSUPP])
def test_a_file_system_without_hard_links_still_saves_without_overwriting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    # FAT/exFAT sticks refuse link(); os.link is the one call replaced, to play that file
    # system, so the fallback path runs for real on this one.
    def no_links(src: object, dst: object, **dir_fds: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "s.toml"
    atomic.write_bytes_atomic(target, b"first\n", overwrite=False)
    assert target.read_bytes() == b"first\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        atomic.write_bytes_atomic(target, b"second\n", overwrite=False)
    assert target.read_bytes() == b"first\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


# --------------------------------------------------------------------------- one client's folders


@pytest.fixture
def odd_tree(tmp_path: Path) -> Path:
    """A sessions folder with an entry of each kind, all named like client JD-1 in some case."""
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    (sessions / "JD-1").mkdir()
    (sessions / "jd-1").mkdir()  # a case twin
    (sessions / "Jd-1").write_text("a file, not a folder")
    (tmp_path / "elsewhere").mkdir()
    (sessions / "jD-1").symlink_to(tmp_path / "elsewhere")
    (sessions / "JD-1x").mkdir()  # another client
    for n in range(50):
        (sessions / f"C-{n}").mkdir()
    return tmp_path


def _seen(top: tree.Top) -> tuple[list[str], list[tuple[str, str]], tuple[str, ...]]:
    return ([e.name for e in top.folders], [(u.path, u.reason) for u in top.skipped], top.notes)


def test_one_clients_scan_tells_each_entry_as_the_whole_scan_does(odd_tree: Path) -> None:
    whole = tree.scan_top(odd_tree)
    names, skipped, notes = _seen(whole)
    one = _seen(tree.scan_top(odd_tree, "jd-1"))
    assert one[0] == [n for n in names if n.lower() == "jd-1"] == ["JD-1", "jd-1"]
    assert one[1] == [s for s in skipped if Path(s[0]).name.lower() == "jd-1"]
    assert len(one[1]) == 2  # the file and the link
    assert one[2] == notes and len(notes) == 1
    assert {e.name: e.stat(follow_symlinks=False).st_ino
            for e in tree.scan_top(odd_tree, "JD-1").folders} == {
        e.name: e.stat(follow_symlinks=False).st_ino for e in whole.folders
        if e.name.lower() == "jd-1"}


def test_finding_a_client_lists_names_only(odd_tree: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Among 20,000 client folders os.scandir makes an entry for each (3x os.listdir's
    time): naming one client must not."""
    scanned: list[object] = []
    real = os.scandir

    def scandir(path: object = ".") -> object:
        scanned.append(path)
        return real(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", scandir)
    assert tree.find_client("jd-1", odd_tree) == "jd-1"
    assert tree.find_client("JD-1X", odd_tree) == "JD-1x"
    assert tree.find_client("nobody", odd_tree) is None
    assert [e.name for e in tree.scan_top(odd_tree, "JD-1").folders] == ["JD-1", "jd-1"]
    assert odd_tree / "sessions" not in scanned and str(odd_tree / "sessions") not in scanned
