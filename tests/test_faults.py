"""Faults: a killed process, a read-only or full data folder, two saves in the same second.

the README promises that nothing is lost: a crash never leaves a half-written session, a
folder that refuses the session gives one clear error (exit 1) with the answers kept, and
session ids never collide. Each test here provokes the real fault rather than mocking
storage: SIGKILL, a read-only bind mount or a folder the process may not write, a tiny tmpfs
or a file-size limit, and two real processes racing for one file name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import pytest
import tomli_w
from helpers import list_refs
from typer.testing import CliRunner

from backpain_cli.cli.app import app
from backpain_cli.clinical.model import Plan, Recommendation
from backpain_cli.records import atomic, paths, storage
from backpain_cli.records.session import ModuleRef, Session, to_toml_dict

CLIENT = "FT-007"
LINUX = sys.platform.startswith("linux")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
# How often the random-timing kill loops run; raise it for a long soak.
LOOPS = int(os.environ.get("BACKPAIN_FAULT_LOOPS", "40"))


def big_session(sid: str, marker: str, recommendations: int = 400) -> Session:
    """A session of a few hundred KB, so that writing it takes long enough to be hit."""
    recs = tuple(
        Recommendation(f"prevention.item_{i}", "prevention", f"Item {i} ({marker})",
                       "Keep moving, a little more each day. " * 12, ("exercise_days",),
                       "NICE NG59")
        for i in range(recommendations))
    plan = Plan({"nprs_now": 4}, "none", (), recs)
    return Session(
        id=sid, client=CLIENT, created=dt.datetime(2026, 11, 27, 10, 15, 3, tzinfo=dt.UTC),
        status="completed", answers={"pain_now": 4, "sleep_position": "side"},
        questionnaires=(ModuleRef("intake", "1", "0" * 64),), plan=plan)


def toml_bytes(session: Session) -> bytes:
    return tomli_w.dumps(to_toml_dict(session)).encode("utf-8")


def listed_names(root: Path) -> list[str]:
    return sorted(r.path.name for r in list_refs(root))


# --------------------------------------------------------------------------- SIGKILL


def fork_child(body: Callable[[], object]) -> int:
    """Run `body` in a forked child that never returns into pytest."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            body()
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    return pid


def kill_and_reap(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    # Dead by our signal, not by an error of its own: otherwise the test proves nothing.
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status


# Where the writer stops, waiting to be killed. Each stage patches one os function in the
# child only; `expect` is what the target must hold afterwards: the old bytes, the new
# bytes, or no file (a new session killed before it was linked into place).
STAGES: list[tuple[str, bool, str, str, int]] = [
    # (stage, overwrite, function to stop in, expected target, temp files left behind)
    ("temp file created, nothing written", True, "write:0", "old", 1),
    ("half written", True, "write:half", "old", 1),
    ("written, before fsync", True, "fsync:1", "old", 1),
    ("synced, before the rename", True, "replace:1", "old", 1),
    ("renamed, before syncing the folder", True, "fsync:2", "new", 0),
    ("new: half written", False, "write:half", "absent", 1),
    ("new: synced, before the link", False, "link:1", "absent", 1),
    ("new: linked, temp name not yet removed", False, "unlink:1", "new", 1),
]


def _stop_in(spec: str, ready_fd: int) -> None:
    """In the child: make os.<name> stop (after doing half its work for write:half)."""
    name, _, when = spec.partition(":")
    real = getattr(os, name)
    real_write = os.write
    calls = [0]

    def stop() -> NoReturn:
        real_write(ready_fd, b"!")
        while True:
            time.sleep(60)

    def patched(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if when == "half":
            fd, data = args
            real_write(fd, bytes(data[: len(data) // 2]))
            stop()
        if when == "0" or calls[0] == int(when):
            stop()
        return real(*args, **kwargs)

    setattr(os, name, patched)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
@pytest.mark.parametrize(("stage", "overwrite", "where", "expect", "strays"), STAGES,
                         ids=[s[0] for s in STAGES])
def test_sigkill_at_each_step_of_a_write(tmp_path: Path, stage: str, overwrite: bool,
                                         where: str, expect: str, strays: int) -> None:
    folder = tmp_path / "sessions" / CLIENT
    folder.mkdir(parents=True)
    sid = "20261127T101503Z-0a0a0a"
    target = folder / f"{sid}.toml"
    old, new = toml_bytes(big_session(sid, "old")), toml_bytes(big_session(sid, "new"))
    if overwrite:
        target.write_bytes(old)
    ready_r, ready_w = os.pipe()

    def writer() -> None:
        _stop_in(where, ready_w)
        atomic.write_bytes_atomic(target, new, overwrite=overwrite)

    pid = fork_child(writer)
    os.close(ready_w)
    # Wait until the child reports it stopped at the stage, then kill it there.
    assert os.read(ready_r, 1) == b"!", "the writer never reached the stage"
    os.close(ready_r)
    kill_and_reap(pid)

    expected = {"old": old, "new": new, "absent": None}[expect]
    assert (target.read_bytes() if target.exists() else None) == expected
    leftovers = [p.name for p in folder.iterdir() if p.name != target.name]
    assert len(leftovers) == strays
    assert all(n.startswith(f".{target.name}.") and n.endswith(".tmp") for n in leftovers)
    # The stray temp file is never taken for a session, by storage or by the listing.
    assert listed_names(tmp_path) == ([] if expected is None else [target.name])
    listing = CliRunner().invoke(app, ["review", "--limit", "0", "--json"],
                                 env={"BACKPAIN_HOME": str(tmp_path)})
    assert listing.exit_code == 0, listing.output
    assert [s["session"] for s in json.loads(listing.stdout)["sessions"]] == (
        [] if expected is None else [sid])
    assert listing.stderr == ""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_sigkill_at_random_moments_leaves_whole_files(tmp_path: Path) -> None:
    """A writer replacing one session and adding new ones in a loop, killed at random
    moments: every listed file is byte for byte one of the versions written."""
    import random

    rng = random.Random(20261127)  # fixed: a failure must be reproducible
    folder = tmp_path / "sessions" / CLIENT
    folder.mkdir(parents=True)
    sid = "20261127T101503Z-0b0b0b"
    target = folder / f"{sid}.toml"
    versions = [toml_bytes(big_session(sid, m)) for m in ("a", "b")]
    template = big_session("20261127T101503Z-000000", "new")
    target.write_bytes(versions[0])
    for _ in range(LOOPS):
        ready_r, ready_w = os.pipe()

        def writer(ready_w: int = ready_w) -> None:
            os.write(ready_w, b"!")
            for i in range(10_000):
                atomic.write_bytes_atomic(target, versions[i % 2], overwrite=True)
                storage.save_session(replace(template, id=paths.new_session_id()),
                                     root=tmp_path, new=True)

        pid = fork_child(writer)
        os.close(ready_w)
        assert os.read(ready_r, 1) == b"!"
        os.close(ready_r)
        time.sleep(rng.uniform(0.0, 0.03))
        kill_and_reap(pid)

        assert target.read_bytes() in versions
        for ref in list_refs(tmp_path):
            if ref.id != sid:
                assert ref.path.read_bytes() == toml_bytes(replace(template, id=ref.id))
                ref.path.unlink()  # keep the folder small for the next round
        leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
        assert all(p.startswith(".") for p in leftovers)
        for name in leftovers:
            (folder / name).unlink()
    assert listed_names(tmp_path) == [target.name]


@pytest.mark.slow
def test_sigkill_of_the_real_cli_never_lists_a_broken_session(
        tmp_path: Path, write_answers: Callable[..., Path],
        complete_answers: dict[str, Any]) -> None:
    """The installed command, killed at moments spread over its whole run."""
    answers = write_answers(complete_answers, client=CLIENT)
    env = {**os.environ, "BACKPAIN_HOME": str(tmp_path / "data")}
    cmd = [sys.executable, "-m", "backpain_cli", "assess", "--answers", str(answers),
           "--no-input", "--json"]
    started = time.perf_counter()
    subprocess.run(cmd, env=env, capture_output=True, check=True, timeout=60)
    full = time.perf_counter() - started
    runs = max(10, LOOPS // 2)
    for i in range(runs):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        # From just after start to just past the usual end, evenly.
        time.sleep(full * 1.2 * (i + 1) / runs)
        proc.kill()
        proc.wait()
    refs = list_refs(tmp_path / "data")
    assert len(refs) >= 1  # at least the first, unkilled run
    for ref in refs:
        session = storage.read_session(ref.path)
        assert session.status == "completed"
        assert {k: list(v) if isinstance(v, tuple) else v
                for k, v in session.answers.items()} == complete_answers


# --------------------------------------------------------------------------- refusing folders


def recovered_answers(stdout: str, stderr: str, data: Path) -> dict[str, Any] | None:
    """The answers as the CLI kept them: printed (an answers file or the JSON document) or
    saved in a fallback file whose path the error names (outside the refusing folder)."""
    texts = [stdout]
    for found in re.findall(r"(/\S+\.(?:toml|json))\b", stderr):
        path = Path(found)
        if path.is_file() and data not in path.parents:
            texts.append(path.read_text(encoding="utf-8"))
    for text in texts:
        with contextlib.suppress(ValueError):
            doc = json.loads(text)
            if isinstance(doc, dict) and isinstance(doc.get("answers"), dict):
                return dict(doc["answers"])
        with contextlib.suppress(tomllib.TOMLDecodeError):
            toml_doc = tomllib.loads(text)
            if isinstance(toml_doc.get("answers"), dict):
                return dict(toml_doc["answers"])
    return None


def tree_snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` with its content. Folders are left out: an empty client
    folder created before the write failed loses nothing."""
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def assert_refused_and_kept(proc: subprocess.CompletedProcess[str], data: Path,
                            before: Mapping[str, bytes], answers: dict[str, Any],
                            reason: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("backpain: error:")]
    assert len(errors) == 1, proc.stderr
    assert reason in errors[0]
    # One clear line: nothing but that error (and warnings) on stderr.
    assert [line for line in proc.stderr.splitlines()
            if not line.startswith(("backpain: error:", "backpain: warning:"))] == []
    assert recovered_answers(proc.stdout, proc.stderr, data) == answers
    assert tree_snapshot(data) == before


@functools.cache
def can_mount() -> bool:
    """Whether this process may mount (root on Linux, and not forbidden by a sandbox)."""
    if not (LINUX and IS_ROOT and shutil.which("mount")):
        return False
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"backpain-mount-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
                            capture_output=True, check=False).returncode == 0
        if ok:
            subprocess.run(["umount", str(probe)], check=True)
        return ok
    finally:
        probe.rmdir()



@contextlib.contextmanager
def read_only_mount(path: Path) -> Iterator[None]:
    subprocess.run(["mount", "--bind", str(path), str(path)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(path)], check=True)


def chmod_prefix() -> list[str]:
    """A command prefix under which chmod 0500 really stops writes.

    root ignores permission bits (CAP_DAC_OVERRIDE); setpriv drops that capability from the
    child, so root then meets the folder's mode like any user does.
    """
    if not IS_ROOT:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: chmod cannot make a folder read-only")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def run_assess(data: Path, answers_file: Path, *, extra: tuple[str, ...] = (),
               prefix: list[str] | None = None,
               preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "backpain_cli", "assess", "--answers",
         str(answers_file), "--no-input", *extra],
        env={**os.environ, "BACKPAIN_HOME": str(data), "NO_COLOR": "1"},
        capture_output=True, text=True, timeout=60, check=False, preexec_fn=preexec)


def seed_folder(data: Path, answers_file: Path, layout: str) -> None:
    """'fresh': an empty data folder. 'existing': the client already has a session."""
    data.mkdir(mode=0o700)
    if layout == "existing":
        assert run_assess(data, answers_file).returncode == 0


@pytest.mark.parametrize("as_json", [False, True], ids=["plan", "json"])
@pytest.mark.parametrize("layout", ["fresh", "existing"])
@pytest.mark.parametrize("mechanism", ["chmod 0500", "read-only mount"])
def test_read_only_data_folder(tmp_path: Path, write_answers: Callable[..., Path],
                               complete_answers: dict[str, Any], mechanism: str, layout: str,
                               as_json: bool) -> None:
    answers_file = write_answers(complete_answers, client=CLIENT)
    data = tmp_path / "data"
    seed_folder(data, answers_file, layout)
    before = tree_snapshot(data)
    extra = ("--json",) if as_json else ()
    if mechanism == "chmod 0500":
        prefix = chmod_prefix()
        folders = [data, *(p for p in data.rglob("*") if p.is_dir())]
        for folder in folders:
            folder.chmod(0o500)
        try:
            proc = run_assess(data, answers_file, extra=extra, prefix=prefix)
        finally:
            for folder in folders:
                folder.chmod(0o700)
    else:
        if not can_mount():
            pytest.skip("mounting is not permitted here (needs root on Linux)")
        with read_only_mount(data):
            proc = run_assess(data, answers_file, extra=extra)
    assert_refused_and_kept(proc, data, before, complete_answers, "cannot write")


def _limit_file_size() -> None:
    # Writes past the limit then fail with EFBIG, as a full disk fails with ENOSPC; SIGXFSZ
    # would otherwise kill the process before it could report anything.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


@contextlib.contextmanager
def full_tmpfs(path: Path) -> Iterator[None]:
    """A 256 KB tmpfs at `path`, filled to the last byte."""
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(path)],
                   check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", str(path)], check=True)
        path.rmdir()


def _fill(folder: Path) -> None:
    with contextlib.suppress(OSError), (folder / "filler").open("wb") as fh:
        while True:
            fh.write(b"\0" * 4096)
            fh.flush()


@pytest.mark.skipif(not LINUX, reason="RLIMIT_FSIZE and tmpfs are Linux mechanisms here")
@pytest.mark.parametrize("as_json", [False, True], ids=["plan", "json"])
@pytest.mark.parametrize("mechanism", ["tmpfs full", "file size limit"])
def test_full_data_folder(tmp_path: Path, write_answers: Callable[..., Path],
                          complete_answers: dict[str, Any], mechanism: str,
                          as_json: bool) -> None:
    answers_file = write_answers(complete_answers, client=CLIENT)
    extra = ("--json",) if as_json else ()
    data = tmp_path / "data"
    if mechanism == "file size limit":
        data.mkdir(mode=0o700)
        before = tree_snapshot(data)
        proc = run_assess(data, answers_file, extra=extra, preexec=_limit_file_size)
        assert_refused_and_kept(proc, data, before, complete_answers, "cannot write")
        return
    if not can_mount():
        pytest.skip("mounting a tmpfs is not permitted here (needs root on Linux)")
    with full_tmpfs(data):
        # The client's folder exists (an earlier visit), then the disk fills up.
        (data / "sessions" / CLIENT).mkdir(parents=True, mode=0o700)
        _fill(data)
        before = tree_snapshot(data)
        proc = run_assess(data, answers_file, extra=extra)
        assert_refused_and_kept(proc, data, before, complete_answers, "the disk is full")


@pytest.mark.pty
def test_interrupted_interview_in_a_read_only_folder_keeps_the_draft_answers(
        tmp_path: Path, write_answers: Callable[..., Path],
        complete_answers: dict[str, Any]) -> None:
    """Ctrl-C saves a draft; when the folder refuses it, the answers given so far are
    printed instead of being lost."""
    pexpect = pytest.importorskip("pexpect")
    names = list(complete_answers)
    given = {k: complete_answers[k] for k in names[: len(names) // 2]}
    answers_file = write_answers(given, client=CLIENT)
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    prefix = chmod_prefix()
    data.chmod(0o500)
    try:
        argv = [*prefix, sys.executable, "-m", "backpain_cli", "assess", "--answers",
                str(answers_file)]
        child = pexpect.spawn(argv[0], argv[1:], encoding="utf-8", timeout=30,
                              dimensions=(40, 120),
                              env={**os.environ, "BACKPAIN_HOME": str(data), "NO_COLOR": "1"})
        # The first question not in the file is asked; interrupt it.
        child.expect(r"\? ")
        child.sendcontrol("c")
        child.expect(pexpect.EOF)
        child.close()
    finally:
        data.chmod(0o700)
    output = (child.before or "").replace("\r\n", "\n")
    assert child.exitstatus == 1, output
    assert "Traceback" not in output
    assert len(re.findall(r"^backpain: error: cannot write ", output, re.M)) == 1, output
    printed = output[output.index('client = "'):output.index("backpain: error:")]
    assert tomllib.loads(printed) == {"client": CLIENT, "answers": given}
    assert tree_snapshot(data) == {}


# --------------------------------------------------------------------------- same second

# Pins the id of the new session (same second, same random suffix) in both processes, and
# starts them at the same instant, so both try to create the very same file.
SAME_ID = """
import sys, time
from backpain_cli.flows import assess
assert hasattr(assess, "new_session_id"), "assess no longer names session ids this way"
pinned = sys.argv.pop(1)
assess.new_session_id = lambda now=None: pinned
start_at = float(sys.argv.pop(1))
time.sleep(max(0.0, start_at - time.time()))
sys.argv[0] = "backpain"
from backpain_cli.cli import main
main()
"""


def test_two_assess_runs_with_the_same_id_never_overwrite(
        tmp_path: Path, write_answers: Callable[..., Path],
        complete_answers: dict[str, Any]) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "BACKPAIN_HOME": str(data)}
    pinned = "20261127T101503Z-c0ffee"
    start_at = f"{time.time() + 1.0:.3f}"  # both interpreters are up by then
    procs = []
    for n in (1, 2):
        answers = {**complete_answers, "pain_now": n}  # tell the two apart
        answers_file = write_answers(answers, client=CLIENT, name=f"run{n}.toml")
        procs.append(subprocess.Popen(
            [sys.executable, "-c", SAME_ID, pinned, start_at, "assess", "--answers",
             str(answers_file), "--no-input", "--json"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    docs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        docs.append(json.loads(out))
    ids = sorted(d["session"] for d in docs)
    assert pinned in ids and len(set(ids)) == 2
    assert listed_names(data) == [f"{i}.toml" for i in ids]
    saved = {storage.read_session(r.path).answers["pain_now"] for r in list_refs(data)}
    assert saved == {1, 2}


def test_many_concurrent_assess_runs_keep_every_session(
        tmp_path: Path, write_answers: Callable[..., Path],
        complete_answers: dict[str, Any]) -> None:
    answers_file = write_answers(complete_answers, client=CLIENT)
    env = {**os.environ, "BACKPAIN_HOME": str(tmp_path / "data")}
    procs = [subprocess.Popen([sys.executable, "-m", "backpain_cli", "assess", "--answers",
                               str(answers_file), "--no-input", "--json"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(8)]
    ids = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        ids.append(json.loads(out)["session"])
    assert len(set(ids)) == 8
    assert listed_names(tmp_path / "data") == sorted(f"{i}.toml" for i in ids)


def test_save_session_with_a_taken_id_takes_a_new_one(tmp_path: Path) -> None:
    first = big_session("20261127T101503Z-abcdef", "first", recommendations=1)
    second = big_session("20261127T101503Z-abcdef", "second", recommendations=1)
    saved1, path1 = storage.save_session(first, root=tmp_path, new=True)
    saved2, path2 = storage.save_session(second, root=tmp_path, new=True)
    assert saved1.id == "20261127T101503Z-abcdef"
    assert saved2.id != saved1.id and saved2.id.startswith("20261127T101503Z-")
    assert path1.read_bytes() == toml_bytes(first)
    assert path2.read_bytes() == toml_bytes(saved2)
