"""`backpain export` as a command: choosing what to export, where it goes (stdout, or `-o`
atomically with mode 0600 and never over a file without `--force`), usage errors, and bulk
exports that meet unreadable session files.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import command
from typer.testing import CliRunner

import backpain_cli.cli.export
from backpain_cli.cli.app import app
from backpain_cli.output import csv as csv_export
from backpain_cli.output import formats

GOLDEN = Path(__file__).parent / "golden"
CLIENT = "JD-042"
FIRST, SECOND, DRAFT, LATEST = (
    "20260903T091500Z-a1b2c3", "20261001T140000Z-d4e5f6", "20261015T080000Z-777777",
    "20261029T101500Z-0f9e8d")
ALL_IDS = [FIRST, SECOND, DRAFT, LATEST]


@pytest.fixture
def home(backpain_home: Path) -> Path:
    shutil.copytree(GOLDEN / "sessions", backpain_home / "sessions")
    return backpain_home


run = command("export")


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """A folder of its own for outputs, so that listing it shows every stray file."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A permissive umask: 0600 must come from the code, not from the environment."""
    old = os.umask(0o000)
    yield
    os.umask(old)


# --------------------------------------------------------------------------- targets


def test_session_by_unique_prefix(home: Path) -> None:
    result = run(LATEST[:20], "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["session"] == LATEST


def test_client_means_latest_completed_session_even_after_a_draft(home: Path) -> None:
    # The draft is newer than SECOND; the client's latest completed visit is LATEST.
    os.remove(home / "sessions" / CLIENT / f"{LATEST}.toml")
    result = run(CLIENT, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["session"] == SECOND


@pytest.mark.parametrize(("args", "message"), [
    (("XX-999", "--format", "md"),
     "no session or client 'XX-999' (run backpain review to list sessions)"),
    (("2026", "--format", "md"),
     "session id '2026' is ambiguous: " + ", ".join(sorted(ALL_IDS)) + "; give more of the id"),
    (("../etc", "--format", "md"),
     "no session or client '../etc' (run backpain review to list sessions)"),
    (("--client", "XX-999", "--format", "csv"),
     "no client 'XX-999' (run backpain review to list sessions)"),
    (("--client", "../x", "--format", "csv"),
     "invalid client reference '../x': use 1 to 64 ASCII letters, digits, '-', '_' or '.', "
     "not starting with '.' or '-'"),
])
def test_unknown_targets_are_one_line_errors(home: Path, args: tuple[str, ...],
                                             message: str) -> None:
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr == f"backpain: error: {message}\n"


def test_client_with_only_drafts(home: Path) -> None:
    folder = home / "sessions" / "DR-1"
    folder.mkdir()
    draft = (home / "sessions" / CLIENT / f"{DRAFT}.toml").read_text()
    (folder / f"{DRAFT[:-6]}abcdef.toml").write_text(
        draft.replace(DRAFT, f"{DRAFT[:-6]}abcdef").replace(f'client = "{CLIENT}"',
                                                           'client = "DR-1"'))
    result = run("DR-1", "--format", "html")
    assert result.exit_code == 1, result.output
    assert result.stderr == "backpain: error: client DR-1 has no completed session to export\n"


def test_a_clients_exact_name_wins_over_a_session_id_prefix(home: Path) -> None:
    # A numeric practice ID looks like the start of every session id of its year.
    folder = home / "sessions" / "2026"
    folder.mkdir()
    text = (home / "sessions" / CLIENT / f"{FIRST}.toml").read_text()
    other = "20260101T000000Z-abcdef"
    (folder / f"{other}.toml").write_text(
        text.replace(FIRST, other).replace(f'client = "{CLIENT}"', 'client = "2026"'))
    by_client = run("2026", "--format", "json")
    assert by_client.exit_code == 0, by_client.output
    assert json.loads(by_client.stdout)["session"] == other
    by_full_id = run(LATEST, "--format", "json")
    assert json.loads(by_full_id.stdout)["session"] == LATEST


@pytest.mark.parametrize(("args", "message"), [
    ((), "--format is required: md, html, pdf, json, jsonl, fhir, ics or csv"),
    (("--format", "md"), "name a SESSION or CLIENT to export, or use --all or --client REF"),
    (("--all", "--format", "md"),
     "--all and --client export csv or jsonl (JSON Lines), not md; for md, name a session "
     "or a client instead"),
    (("--client", CLIENT, "--format", "fhir"),
     "--all and --client export csv or jsonl (JSON Lines), not fhir; for fhir, name a "
     "session or a client instead"),
    ((LATEST, "--all", "--format", "csv"),
     "give one of: a SESSION or CLIENT, --all, or --client REF"),
    (("--all", "--client", CLIENT, "--format", "csv"),
     "give one of: a SESSION or CLIENT, --all, or --client REF"),
    (("--schema", "--format", "json"),
     "--schema prints the JSON Schema; give it alone (or with -o)"),
])
def test_wrong_usage_exits_2(home: Path, args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == f"backpain: usage error: {message}\n"


def test_unknown_format_is_a_usage_error(home: Path) -> None:
    result = run(LATEST, "--format", "docx")
    assert result.exit_code == 2, result.output
    assert ("'docx' is not one of 'md', 'html', 'pdf', 'json', 'jsonl', 'fhir', 'ics', 'csv'"
            in result.stderr)


def test_draft_exports_as_json_and_fhir(home: Path) -> None:
    doc = run(DRAFT, "--format", "json")
    assert doc.exit_code == 0, doc.output
    assert (json.loads(doc.stdout)["status"], json.loads(doc.stdout)["triage"]) == (
        "draft", None)
    bundle = run(DRAFT, "--format", "fhir")
    assert bundle.exit_code == 0, bundle.output
    assert [e["resource"]["status"] for e in json.loads(bundle.stdout)["entry"]] == [
        "in-progress"]


def test_fhir_falls_back_to_shipped_questionnaires_when_the_users_are_broken(
        home: Path) -> None:
    (home / "questionnaires").mkdir()
    (home / "questionnaires" / "broken.toml").write_text("id = [")
    result = run(LATEST, "--format", "fhir")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "backpain: warning: your questionnaires folder has problems (see `backpain "
        "questionnaires check`); using the shipped questionnaires for question texts\n")
    assert json.loads(result.stdout)["type"] == "collection"


def test_help_documents_the_exit_code_for_skipped_files() -> None:
    result = CliRunner().invoke(app, ["export", "--help"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert ("Exit codes: 0 done 1 an error, or a session file that could not be read was "
            "skipped (each is named on stderr; everything else is still exported) 2 wrong "
            "usage") in text


# --------------------------------------------------------------------------- -o PATH


@pytest.mark.parametrize("args", [
    (LATEST, "--format", "md"),
    (CLIENT, "--format", "html"),
    (LATEST, "--format", "fhir"),
    ("--all", "--format", "csv"),
    ("--all", "--format", "json"),
    ("--all", "--format", "jsonl"),
    ("--schema",),
])
def test_output_file_is_private_and_matches_stdout(home: Path, out_dir: Path,
                                                   open_umask: None,
                                                   args: tuple[str, ...]) -> None:
    target = out_dir / "export.out"
    to_stdout = run(*args)
    to_file = run(*args, "-o", target)
    assert to_file.exit_code == 0, to_file.output
    assert to_file.stdout == ""
    assert to_file.stderr.startswith(f"Wrote {'' if '--all' not in args else '4 sessions to '}"
                                     f"{target}")
    # stdout_bytes: Result.stdout would turn CSV's CRLF line ends into LF.
    assert target.read_bytes() == to_stdout.stdout_bytes
    assert mode(target) == 0o600
    assert files_in(out_dir) == ["export.out"]  # no temporary file left behind


@pytest.mark.parametrize("args", [(LATEST, "--format", "md"), ("--all", "--format", "csv")])
def test_output_refuses_an_existing_file_without_force(home: Path, out_dir: Path,
                                                       args: tuple[str, ...]) -> None:
    target = out_dir / "plan.txt"
    target.write_text("keep me")
    target.chmod(0o644)
    refused = run(*args, "-o", target)
    assert refused.exit_code == 1, refused.output
    assert refused.stderr == (
        f"backpain: error: {target} already exists; add --force to replace it\n")
    assert target.read_text() == "keep me"
    forced = run(*args, "-o", target, "--force")
    assert forced.exit_code == 0, forced.output
    assert target.read_text() != "keep me"
    # Replaced, not rewritten in place: the old, wider mode does not survive.
    assert mode(target) == 0o600
    assert files_in(out_dir) == ["plan.txt"]


def _link(path: Path) -> None:
    target = path.with_name("linked.txt")
    target.write_text("the link's target")
    path.symlink_to(target)


def _dangling(path: Path) -> None:
    path.symlink_to(path.with_name("elsewhere.md"))


def _socket(path: Path) -> None:
    import socket

    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))


def _device(path: Path) -> None:
    # A node of /dev/null's device in a folder of the test's own: /dev is never touched.
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")


NOT_REGULAR = "not a regular file; -o replaces only regular files (with --force)"
TO_STDOUT = "; for standard output use -o -"
# (case, how the thing at -o PATH is made, what the error calls it)
ODD_TARGETS: list[tuple[str, Any, str]] = [
    ("a link to a file", _link, f"a symbolic link, {NOT_REGULAR}{TO_STDOUT}"),
    ("a dangling link", _dangling, f"a symbolic link, {NOT_REGULAR}{TO_STDOUT}"),
    ("a FIFO", os.mkfifo, f"a FIFO, {NOT_REGULAR}"),
    ("a socket", _socket, f"a socket, {NOT_REGULAR}"),
    ("a folder", os.mkdir, f"a folder, {NOT_REGULAR}"),
    ("a device", _device, f"a device, {NOT_REGULAR}{TO_STDOUT}"),
]


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["", "--force"])
@pytest.mark.parametrize(("make", "reason"), [(m, r) for _, m, r in ODD_TARGETS],
                         ids=[c for c, _, _ in ODD_TARGETS])
@pytest.mark.parametrize("args", [(LATEST, "--format", "md"), ("--all", "--format", "csv")],
                         ids=["md", "--all csv"])
def test_output_replaces_only_a_regular_file(home: Path, out_dir: Path, make: Any,
                                             reason: str, force: list[str],
                                             args: tuple[str, ...]) -> None:
    """`-o /dev/stdout --force` replaced /dev/stdout as root (issue 17 item 13): --force
    replaces a regular file, and nothing else, whatever is at PATH."""
    target = out_dir / "plan.md"
    make(target)
    before = {p.name: os.lstat(p) for p in out_dir.iterdir()}
    result = run(*args, "-o", target, *force)
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert result.stderr == f"backpain: error: {target}: {reason}\n"
    after = {p.name: os.lstat(p) for p in out_dir.iterdir()}
    assert {n: (i.st_ino, i.st_mode) for n, i in after.items()} == {
        n: (i.st_ino, i.st_mode) for n, i in before.items()}
    if make is _link:
        assert (out_dir / "linked.txt").read_text() == "the link's target"


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["new file", "--force over a session"])
def test_output_never_goes_into_the_sessions_folder(home: Path, force: list[str]) -> None:
    """A session's own .toml was replaced by its handout with --force (item 13)."""
    folder = home / "sessions" / CLIENT
    session = folder / f"{LATEST}.toml"
    target = session if force else folder / "handout.md"
    before = session.read_bytes()
    result = run(LATEST, "--format", "md", "-o", target, *force)
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert result.stderr == (
        f"backpain: error: {target}: inside the sessions folder {home / 'sessions'}, which "
        "holds only session files; write the export somewhere else\n")
    assert session.read_bytes() == before
    assert not (folder / "handout.md").exists()


@pytest.mark.parametrize("args", [
    (LATEST, "--format", "md"),
    (CLIENT, "--format", "html"),
    (LATEST, "--format", "json"),
    (LATEST, "--format", "fhir"),
    ("--all", "--format", "csv"),
    ("--client", CLIENT, "--format", "jsonl"),
    ("--schema",),
])
def test_output_dash_is_standard_output(home: Path, out_dir: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        args: tuple[str, ...]) -> None:
    """`-o -` wrote a file named "-" (issue 17 item 14); "./-" still names that file."""
    monkeypatch.chdir(out_dir)
    plain = run(*args)
    dash = run(*args, "-o", "-")
    assert (dash.exit_code, dash.stderr) == (0, ""), dash.output
    assert dash.stdout_bytes == plain.stdout_bytes != b""
    assert files_in(out_dir) == []
    named = run(*args, "-o", "./-")
    assert (named.exit_code, named.stdout) == (0, ""), named.output
    assert named.stderr.startswith("Wrote ") and named.stderr.endswith(" ./-\n")
    assert (out_dir / "-").read_bytes() == plain.stdout_bytes


@pytest.mark.parametrize("args", [(LATEST, "--format", "md"), ("--all", "--format", "csv")])
def test_output_into_a_missing_folder_is_one_line(home: Path, tmp_path: Path,
                                                  args: tuple[str, ...]) -> None:
    target = tmp_path / "nope" / "plan.md"
    result = run(*args, "-o", target)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"backpain: error: cannot write {target}")
    assert result.stderr.count("\n") == 1


def test_failed_single_export_leaves_no_file(home: Path, out_dir: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    target = out_dir / "plan.md"
    result = run(LATEST, "--format", "md", "-o", target)
    assert result.exit_code == 1, result.output
    assert result.stderr == f"backpain: error: cannot write {target}: the disk is full\n"
    assert files_in(out_dir) == []


@pytest.mark.parametrize("existing", [False, True])
def test_bulk_export_failing_midway_leaves_the_old_file_or_none(
        home: Path, out_dir: Path, monkeypatch: pytest.MonkeyPatch, existing: bool) -> None:
    target = out_dir / "audit.csv"
    if existing:
        target.write_text("yesterday's audit\n")
    real_row = csv_export.brief_row
    calls = []

    # The third row fails as a write would (a full or failing disk) after two were written.
    def row_then_crash(session: Any) -> list[str]:
        calls.append(session.id)
        if len(calls) == 3:
            raise OSError(5, "Input/output error")
        return real_row(session)

    monkeypatch.setattr(csv_export, "brief_row", row_then_crash)
    result = run("--all", "--format", "csv", "-o", target, *(["--force"] if existing else []))
    assert result.exit_code == 1, result.output
    assert result.stderr == f"backpain: error: cannot write {target}: Input/output error\n"
    assert files_in(out_dir) == (["audit.csv"] if existing else [])
    if existing:
        assert target.read_text() == "yesterday's audit\n"


# --------------------------------------------------------------------------- --all


def test_all_csv_has_a_row_per_session_oldest_first(home: Path) -> None:
    result = run("--all", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert [r["session"] for r in csv_rows(result.stdout)] == ALL_IDS


def test_all_on_an_empty_data_folder(backpain_home: Path) -> None:
    csv_result = run("--all", "--format", "csv")
    assert csv_result.exit_code == 0, csv_result.output
    assert csv_result.stdout_bytes == (",".join(csv_export.COLUMNS) + "\r\n").encode()
    jsonl = run("--all", "--format", "json")
    assert (jsonl.exit_code, jsonl.stdout) == (0, "")


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = text.splitlines()
    assert text == "".join(f"{line}\n" for line in lines)
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize("scope", [("--all",), ("--client", CLIENT)],
                         ids=["--all", "--client"])
def test_jsonl_is_one_session_document_a_line(home: Path, scope: tuple[str, ...]) -> None:
    result = run(*scope, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    docs = json_lines(result.stdout)
    assert [d["session"] for d in docs] == ALL_IDS
    for doc in docs:
        single = run(doc["session"], "--format", "json")
        assert single.exit_code == 0, single.output
        assert doc == json.loads(single.stdout)


@pytest.mark.parametrize("scope", [("--all",), ("--client", CLIENT)],
                         ids=["--all", "--client"])
def test_json_with_all_or_client_is_an_alias_of_jsonl(home: Path,
                                                      scope: tuple[str, ...]) -> None:
    jsonl = run(*scope, "--format", "jsonl")
    alias = run(*scope, "--format", "json")
    assert (alias.exit_code, alias.stderr) == (0, ""), alias.output
    assert alias.stdout_bytes == jsonl.stdout_bytes


def test_jsonl_of_a_session_is_its_document_on_one_line(home: Path) -> None:
    line = run(LATEST, "--format", "jsonl")
    assert line.exit_code == 0, line.output
    document = run(LATEST, "--format", "json")
    assert json_lines(line.stdout) == [json.loads(document.stdout)]


def test_jsonl_of_a_client_is_every_session_of_the_client(home: Path) -> None:
    # As csv: formats of a line a session give all of a client's sessions, not the latest.
    by_name = run(CLIENT, "--format", "jsonl")
    assert by_name.exit_code == 0, by_name.output
    assert by_name.stdout_bytes == run("--client", CLIENT, "--format", "jsonl").stdout_bytes


def test_help_says_json_is_an_alias_of_jsonl_for_bulk_exports(home: Path) -> None:
    result = run("--help")
    assert result.exit_code == 0, result.output
    assert "json: with --all or --client, an alias of jsonl" in " ".join(result.stdout.split())


CORRUPTIONS: list[tuple[str, bytes, str]] = [
    ("garbage", b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text"),
    ("truncated", b"", "the file is empty"),
    ("half", b"__HALF__", "not valid TOML"),
    ("newer schema", b"__NEWER__", "written by a newer backpain (schema 9; this version reads "
                                   "up to 3); upgrade backpain to read it"),
    ("not a session", b'title = "my notes"\n', "missing field 'schema'"),
]


def _corrupt(home: Path, content: bytes) -> Path:
    """Replace SECOND's file with `content` (placeholders filled from the real file)."""
    path = home / "sessions" / CLIENT / f"{SECOND}.toml"
    real = path.read_bytes()
    if content == b"__HALF__":
        content = real[: len(real) // 2]
    elif content == b"__NEWER__":
        content = real.replace(b"schema = 1", b"schema = 9")
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
@pytest.mark.parametrize(("name", "content", "reason"), CORRUPTIONS,
                         ids=[c[0] for c in CORRUPTIONS])
def test_all_skips_and_reports_an_unreadable_file(home: Path, fmt: str, name: str,
                                                  content: bytes, reason: str) -> None:
    bad = _corrupt(home, content)
    result = run("--all", "--format", fmt)
    assert result.exit_code == 1, result.output
    first, last = result.stderr.splitlines()
    assert first.startswith(f"backpain: skipped {bad}: {reason}")
    assert last == ("backpain: error: 1 session file could not be read and was skipped "
                    "(named above)")
    ids = ([r["session"] for r in csv_rows(result.stdout)] if fmt == "csv"
           else [json.loads(line)["session"] for line in result.stdout.splitlines()])
    assert ids == [FIRST, DRAFT, LATEST]


def test_all_to_a_file_still_writes_what_it_could(home: Path, tmp_path: Path) -> None:
    _corrupt(home, b"")
    target = tmp_path / "audit.csv"
    result = run("--all", "--format", "csv", "-o", target)
    assert result.exit_code == 1, result.output
    assert f"Wrote 3 sessions to {target}\n" in result.stderr
    assert [r["session"] for r in csv_rows(target.read_text())] == [FIRST, DRAFT, LATEST]


def test_client_export_skips_an_unreadable_visit_and_says_so(home: Path) -> None:
    bad = _corrupt(home, b"")
    result = run(CLIENT, "--format", "md", "--detail", "full")
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"backpain: skipped {bad}: the file is empty\n"
        "backpain: error: 1 session file could not be read and was skipped (named above)\n")
    visits = result.stdout[result.stdout.index("## Visits"):
                           result.stdout.index("\n## Change since earlier visits")]
    assert [ln.split("|")[2].strip() for ln in visits.splitlines()[4:]] == [
        f"`{FIRST}`", f"`{LATEST}`"]


def test_client_option_limits_the_bulk_export(home: Path) -> None:
    other = home / "sessions" / "ZZ-1"
    other.mkdir()
    text = (home / "sessions" / CLIENT / f"{FIRST}.toml").read_text()
    new_id = "20250101T000000Z-000001"
    (other / f"{new_id}.toml").write_text(
        text.replace(FIRST, new_id).replace(f'client = "{CLIENT}"', 'client = "ZZ-1"'))
    everyone = run("--all", "--format", "json")
    assert [json.loads(x)["session"] for x in everyone.stdout.splitlines()] == [new_id, *ALL_IDS]
    one = run("--client", "ZZ-1", "--format", "json")
    assert one.exit_code == 0, one.output
    assert [json.loads(x)["client"] for x in one.stdout.splitlines()] == ["ZZ-1"]


# --------------------------------------------------------------------------- real processes


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "BACKPAIN_HOME": str(home), "NO_COLOR": "1"}


def test_reader_closing_the_pipe_is_not_a_traceback(home: Path) -> None:
    # Enough rows that the export is still writing when the reader goes away.
    folder = home / "sessions" / CLIENT
    text = (folder / f"{FIRST}.toml").read_text()
    for n in range(3000):
        sid = f"20250101T00{n // 60:02d}{n % 60:02d}Z-{n:06x}"
        (folder / f"{sid}.toml").write_text(text.replace(FIRST, sid))
    proc = subprocess.Popen(
        [sys.executable, "-m", "backpain_cli", "export", "--all", "--format", "csv"],
        env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"session,client,date,")
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 1
    assert stderr == b""


def test_fhir_export_does_not_load_a_fhir_library(home: Path) -> None:
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['backpain', 'export', sys.argv[1], '--format', 'fhir']\n"
        "try:\n"
        "    runpy.run_module('backpain_cli', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'fhir', 'fhir_core', 'pydantic', 'questionary', 'prompt_toolkit', 'jsonschema'})\n"
        "sys.stderr.write(repr(bad))\n")
    proc = subprocess.run([sys.executable, "-c", probe, LATEST], env=_env(home),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "[]"
    assert json.loads(proc.stdout)["resourceType"] == "Bundle"


def test_progress_bar_on_an_interactive_terminal(home: Path, tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    target = tmp_path / "audit.csv"
    child = pexpect.spawn(
        sys.executable, ["-m", "backpain_cli", "export", "--all", "--format", "csv", "-o",
                         str(target)],
        env={**_env(home), "TERM": "xterm", "COLUMNS": "80"}, encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "Exporting" in child.before
    assert "4/4" in child.before
    assert f"Wrote 4 sessions to {target}" in child.before
    assert len(csv_rows(target.read_text())) == 4


def test_no_progress_bar_when_not_interactive(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "audit.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "backpain_cli", "export", "--all", "--format", "csv", "-o",
         str(target)], env=_env(home), capture_output=True, text=True, timeout=60,
        check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"Wrote 4 sessions to {target}\n"



# --------------------------------------------------------------------------- the format table


@pytest.mark.parametrize("fmt", formats.FORMATS, ids=[f.name for f in formats.FORMATS])
def test_every_format_row_names_its_writers(fmt: formats.ExportFormat) -> None:
    assert callable(formats.single(fmt))
    if fmt.rows is not None:
        assert callable(formats.rows(fmt))
    # A format that stands for another with --all does so for one that writes rows.
    assert fmt.all_as is None or formats.BY_NAME[fmt.all_as].rows is not None


def titles(item: formats.ExportItem) -> str:
    """A format made for the test below: the plan's recommendation titles, a line each."""
    plan = item.session.plan
    return "".join(f"{r.title}\n" for r in plan.recommendations) if plan else ""


@pytest.fixture
def with_titles_format(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """One more row in the format table, and nothing else: the command is built anew."""
    row = formats.ExportFormat("titles", f"{__name__}:titles", "the recommendations' titles")
    monkeypatch.setattr(formats, "FORMATS", (*formats.FORMATS, row))
    monkeypatch.setitem(formats.BY_NAME, row.name, row)
    importlib.reload(backpain_cli.cli.export)
    yield
    monkeypatch.undo()
    importlib.reload(backpain_cli.cli.export)


def test_a_format_is_one_module_and_one_row(home: Path, with_titles_format: None) -> None:
    result = run(LATEST, "--format", "titles")
    assert result.exit_code == 0, result.output
    saved = json.loads(run(LATEST, "--format", "json").stdout)
    assert result.stdout == "".join(f"{r['title']}\n" for r in saved["recommendations"])
    # Its choice, its words in the help, and the usage texts that list the formats.
    help_text = " ".join(run("-h").stdout.split())
    assert "titles (the recommendations' titles)" in help_text
    assert run("--all", "-f", "titles").stderr == (
        "backpain: usage error: --all and --client export csv or jsonl (JSON Lines), not "
        "titles; for titles, name a session or a client instead\n")
    assert run().stderr == ("backpain: usage error: --format is required: md, html, pdf, "
                            "json, jsonl, fhir, ics, csv or titles\n")
