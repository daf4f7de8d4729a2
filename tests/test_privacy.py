"""Privacy: session files are private whatever the umask, and nothing touches the network.

the README: session files are created 0600 and folders 0700 (health data), and health data
never leaves the machine — no network calls of any kind. The network tests make every way
of opening a connection (and of resolving a name, which already leaks it) fail loudly, run a
full assess → review → export session, and require that nothing tried.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import keep_the_handout, list_refs
from typer.testing import CliRunner

from backpain_cli.cli.app import app
from backpain_cli.clinical.questionnaire import load_registry
from backpain_cli.records import storage

CLIENT = "PV-042"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --------------------------------------------------------------------------- file modes


@pytest.mark.parametrize("umask", [0o000, 0o002, 0o022], ids=["000", "002", "022"])
def test_saved_session_is_private_whatever_the_umask(
        tmp_path: Path, write_answers: Callable[..., Path],
        complete_answers: dict[str, Any], umask: int) -> None:
    data = tmp_path / "home" / "backpain"
    answers = write_answers(complete_answers, client=CLIENT)
    proc = subprocess.run(
        [sys.executable, "-m", "backpain_cli", "assess", "--answers", str(answers),
         "--no-input", "--json"],
        env={**os.environ, "BACKPAIN_HOME": str(data)}, capture_output=True, text=True,
        timeout=60, check=False, preexec_fn=lambda: os.umask(umask))
    assert proc.returncode == 0, proc.stderr
    sid = json.loads(proc.stdout)["session"]
    session_file = data / "sessions" / CLIENT / f"{sid}.toml"
    assert {str(p.relative_to(data)): mode(p) for p in [data, *data.rglob("*")]} == {
        ".": 0o700,
        "sessions": 0o700,
        f"sessions/{CLIENT}": 0o700,
        f"sessions/{CLIENT}/{sid}.toml": 0o600,
    }
    assert session_file.is_file()


@pytest.mark.parametrize("status", ["completed", "draft"])
def test_save_session_is_private_under_umask_zero(tmp_path: Path, status: str) -> None:
    import datetime as dt

    from backpain_cli.records.session import Session

    session = Session(id="20261127T101503Z-0c0c0c", client=CLIENT,
                      created=dt.datetime(2026, 11, 27, 10, 15, 3, tzinfo=dt.UTC),
                      status=status, answers={"pain_now": 3}, questionnaires=())
    old = os.umask(0)
    try:
        # new=False replaces a file in place: the replacement must be private too.
        for new in (True, False):
            _, path = storage.save_session(session, root=tmp_path / "data", new=new)
    finally:
        os.umask(old)
    assert (mode(path), mode(path.parent), mode(path.parent.parent),
            mode(tmp_path / "data")) == (0o600, 0o700, 0o700, 0o700)


# --------------------------------------------------------------------------- no network


class NetworkAttempt(AssertionError):
    """Raised by every patched socket entry point."""


_BLOCKED = [
    (socket.socket, "connect"), (socket.socket, "connect_ex"), (socket.socket, "sendto"),
    (socket.socket, "sendmsg"), (socket, "create_connection"), (socket, "getaddrinfo"),
    (socket, "gethostbyname"), (socket, "gethostbyname_ex"),
]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every connection or name lookup raises and is recorded (even if someone catches it)."""
    attempts: list[str] = []

    def blocker(name: str) -> Callable[..., Any]:
        def blocked(*args: Any, **kwargs: Any) -> Any:
            attempts.append(f"{name}{args!r}")
            raise NetworkAttempt(f"network access: {name}")

        return blocked

    for owner, name in _BLOCKED:
        monkeypatch.setattr(owner, name, blocker(name))
    yield attempts


def test_the_guard_catches_a_connection(no_network: list[str]) -> None:
    """Without this, a broken guard would make the test below pass vacuously."""
    with pytest.raises(NetworkAttempt):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)
    with pytest.raises(NetworkAttempt), socket.socket() as s:
        s.connect(("192.0.2.1", 80))
    assert len(no_network) == 2


def full_run(sid: str) -> list[list[str]]:
    """Every reading command over a saved session, in every output format."""
    return [
        ["review"], ["review", "--json"], ["review", sid], ["review", sid, "--json"],
        ["review", CLIENT], ["review", CLIENT, "--json"],
        *(["export", sid, "--format", f] for f in ("md", "html", "json", "fhir")),
        *(["export", CLIENT, "--format", f] for f in ("md", "html")),
        ["export", "--all", "--format", "csv"], ["export", "--all", "--format", "json"],
        ["questionnaires", "list"], ["questionnaires", "check"],
    ]


def test_no_network_in_process(no_network: list[str], write_answers: Callable[..., Path],
                               complete_answers: dict[str, Any]) -> None:
    runner = CliRunner()
    answers = write_answers(complete_answers, client=CLIENT)
    first = runner.invoke(app, ["assess", "--answers", str(answers), "--no-input", "--json"])
    assert first.exit_code == 0, first.output
    sid = json.loads(first.stdout)["session"]
    again = write_answers({**complete_answers, "programme_adherence": "most_days"},
                          client=CLIENT, name="again.toml")
    follow = runner.invoke(app, ["assess", "--answers", str(again), "--no-input",
                                 "--from", sid])
    assert follow.exit_code == 0, follow.output
    for args in full_run(sid):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    assert no_network == []


# Patches the socket module before backpain is imported, then runs the real entry point.
# os._exit: an attempt must end the process even if some library would catch the error.
GUARDED = """
import os, socket, sys
def _blocked(name):
    def blocked(*args, **kwargs):
        sys.stderr.write(f"NETWORK ATTEMPT: {name}{args!r}\\n")
        sys.stderr.flush()
        os._exit(99)
    return blocked
for _owner, _name in [(socket.socket, "connect"), (socket.socket, "connect_ex"),
                      (socket.socket, "sendto"), (socket.socket, "sendmsg"),
                      (socket, "create_connection"), (socket, "getaddrinfo"),
                      (socket, "gethostbyname"), (socket, "gethostbyname_ex")]:
    setattr(_owner, _name, _blocked(_name))
sys.argv[0] = "backpain"
from backpain_cli.cli import main
main()
"""


def guarded(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", GUARDED, *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def test_guarded_subprocess_catches_a_connection() -> None:
    probe = subprocess.run(
        [sys.executable, "-c", GUARDED.replace(
            "from backpain_cli.cli import main\nmain()",
            "import urllib.request\nurllib.request.urlopen('http://192.0.2.1/')")],
        capture_output=True, text=True, timeout=60, check=False)
    assert probe.returncode == 99
    assert "NETWORK ATTEMPT" in probe.stderr


def test_no_network_in_subprocesses(tmp_path: Path, write_answers: Callable[..., Path],
                                    complete_answers: dict[str, Any]) -> None:
    env = {**os.environ, "BACKPAIN_HOME": str(tmp_path / "data"), "NO_COLOR": "1"}
    answers = write_answers(complete_answers, client=CLIENT)
    first = guarded(["assess", "--answers", str(answers), "--no-input", "--json"], env)
    assert first.returncode == 0, first.stderr
    sid = json.loads(first.stdout)["session"]
    commands = [["--version"], *full_run(sid)[::2]]  # every other one: subprocesses are slow
    for args in commands:
        proc = guarded(args, env)
        assert proc.returncode == 0, (args, proc.stderr)
        assert "NETWORK ATTEMPT" not in proc.stderr


@pytest.mark.pty
def test_no_network_in_an_interactive_interview(
        tmp_path: Path, write_answers: Callable[..., Path],
        complete_answers: dict[str, Any]) -> None:
    """The interactive path loads questionary and prompt_toolkit: they must stay offline
    too. One question is left out of the file so that it is asked in the terminal."""
    pexpect = pytest.importorskip("pexpect")
    last = list(complete_answers)[-1]
    question = load_registry(None).questions()[last]
    given = {k: v for k, v in complete_answers.items() if k != last}
    answers = write_answers(given, client=CLIENT)
    env = {**os.environ, "BACKPAIN_HOME": str(tmp_path / "data"), "NO_COLOR": "1"}
    child = pexpect.spawn(sys.executable, ["-c", GUARDED, "assess", "--answers", str(answers)],
                          env=env, encoding="utf-8", timeout=30, dimensions=(40, 120))
    # The start of the question: the prompt wraps long texts at word boundaries.
    child.expect_exact(question.text[:30])
    keys = {"yesno": "\r", "choice": "\r", "multi": " \r", "int": f"{question.min}\r"}
    child.send(keys[question.type])
    keep_the_handout(child)
    child.expect(pexpect.EOF)
    child.close()
    output = child.before or ""
    assert "NETWORK ATTEMPT" not in output
    assert child.exitstatus == 0, output
    [ref] = list_refs(tmp_path / "data")
    assert last in storage.read_session(ref.path).answers
