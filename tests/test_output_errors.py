"""What happens to a command from outside, through the installed `backpain` script: standard
output on a full disk, a reader that closes the pipe, and Ctrl-C at any moment.

One line and exit 1 for an output that cannot be written; quietly exit 1 when the reader has
gone (as click and the Python documentation do); exit 130 and never a traceback for Ctrl-C
once the command has started. A Ctrl-C during the interpreter's own start-up, before any of
backpain's code runs, is Python's business (even `python -c pass` prints a traceback then):
such runs are recognised by their traceback and kept few by starting the delays after a
measured interpreter start-up.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers import list_refs

from backpain_cli.records import storage

BACKPAIN = Path(sys.executable).parent / "backpain"
GOLDEN = Path(__file__).parent / "golden"
CLIENT = "JD-042"
LATEST = "20261029T101500Z-0f9e8d"  # a completed session in tests/golden/sessions
NO_SPACE = "backpain: error: cannot write to standard output: No space left on device\n"
SAVED = re.compile(r"Saved session \S+ to \S+\n")

pytestmark = pytest.mark.skipif(not BACKPAIN.exists(),
                                reason=f"the installed command is not at {BACKPAIN}")


@pytest.fixture
def home(backpain_home: Path) -> Path:
    shutil.copytree(GOLDEN / "sessions", backpain_home / "sessions")
    return backpain_home


@pytest.fixture
def answers_file(write_answers: Callable[..., Path],
                 complete_answers: dict[str, Any]) -> Path:
    return write_answers(complete_answers, client="SIG-1")


def env_for(home: Path) -> dict[str, str]:
    return {**os.environ, "BACKPAIN_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "80"}


def commands(answers: Path) -> dict[str, list[str]]:
    return {
        "review": ["review"],
        "review SESSION": ["review", LATEST],
        "review CLIENT": ["review", CLIENT],
        "export html": ["export", LATEST, "--format", "html"],
        "export md": ["export", LATEST, "--format", "md"],
        "export csv": ["export", "--all", "--format", "csv"],
        "assess --json": ["assess", "--answers", str(answers), "--no-input", "--json"],
        "--version": ["--version"],
    }


NAMES = list(commands(Path("x")))


def without_saved(name: str, stderr: str) -> str:
    """stderr without the line of the save that assess makes before its output fails."""
    return SAVED.sub("", stderr, count=1) if name.startswith("assess") else stderr


# --------------------------------------------------------------------------- full disk


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("name", NAMES)
def test_a_full_disk_under_stdout_is_one_line_and_exit_1(home: Path, answers_file: Path,
                                                          name: str) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run([str(BACKPAIN), *commands(answers_file)[name]], env=env_for(home),
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=60,
                              check=False)
    assert proc.returncode == 1, proc.stderr
    assert without_saved(name, proc.stderr) == NO_SPACE


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_a_full_disk_after_a_save_keeps_the_session(home: Path, answers_file: Path) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run([str(BACKPAIN), *commands(answers_file)["assess --json"]],
                              env=env_for(home), stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60, check=False)
    assert proc.returncode == 1, proc.stderr
    saved = SAVED.match(proc.stderr)
    assert saved, proc.stderr
    path = Path(saved.group(0).split(" to ", 1)[1].strip())
    assert storage.read_session(path).status == "completed"


# --------------------------------------------------------------------------- closed pipe


@pytest.mark.parametrize("name", NAMES)
def test_a_reader_that_has_gone_ends_the_command_quietly(home: Path, answers_file: Path,
                                                         name: str) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # before the command writes: every write meets a closed pipe
    try:
        proc = subprocess.run([str(BACKPAIN), *commands(answers_file)[name]],
                              env=env_for(home), stdout=write_end, stderr=subprocess.PIPE,
                              text=True, timeout=60, check=False)
    finally:
        os.close(write_end)
    assert proc.returncode == 1, proc.stderr
    assert without_saved(name, proc.stderr) == ""


# --------------------------------------------------------------------------- Ctrl-C


# A frame of a function of cli/__init__.py (main or below it), not of its import.
IN_MAIN = re.compile(r'backpain_cli/cli/__init__\.py", line \d+, in (?!<module>)')
LOST_IN_IMPORT = "Exception ignored in: <function _get_module_lock.<locals>.cb at "


@dataclass(frozen=True)
class Outcome:
    name: str
    delay: float
    code: int
    stdout: bytes
    stderr: str

    @property
    def in_interpreter_start_up(self) -> bool:
        """Interrupted before backpain's main() was running: Python's own traceback (or
        none, before Python installs its handler) and death by the signal, with no frame
        of ours beyond the imports of the console script; or a Ctrl-C that Python lost in a
        callback of the import system ("Exception ignored"), which main() would have
        delivered again (test_a_lost_interrupt_is_delivered_again), so it came before."""
        if IN_MAIN.search(self.stderr):
            return False
        if self.code == -signal.SIGINT and self.stdout == b"":
            return "Exception ignored" not in self.stderr
        return self.stderr.startswith(LOST_IN_IMPORT) and self.stderr.count("Traceback") == 1

    def problem(self, complete: bytes | None) -> str | None:
        if self.in_interpreter_start_up:
            return None
        if "Traceback" in self.stderr or "Exception ignored" in self.stderr:
            return "a traceback"
        if self.code not in (0, 130):
            return f"exit code {self.code}"
        if self.code == 0 and complete is not None and self.stdout != complete:
            return "exit 0 with an incomplete output"
        return None


def interpreter_start_up() -> float:
    """How long the interpreter takes to reach backpain's main(), as the console script
    does (the slowest of a few runs: a shared machine is noisy)."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import re, sys\n"
                        "from backpain_cli.cli import main"], check=True, timeout=60)
        times.append(time.perf_counter() - started)
    return max(times)


def _ctrl_c_as_usual() -> None:
    """A child started from pytest run with Ctrl-C ignored (`nohup`, a background job, some
    CI) inherits SIG_IGN, and the SIGINT sent to it would test nothing: the default back."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Interrupter:
    """Runs commands and sends SIGINT after a delay, given as a fraction of the span from
    the interpreter's start-up to a little past the command's usual end."""

    def __init__(self, home: Path, answers: Path) -> None:
        self.env = env_for(home)
        # assess saves a session each run: its own data folder keeps the others' output the
        # same from run to run.
        self.assess_env = env_for(home.parent / "assess-home")
        self.commands = commands(answers)
        self.start_up = interpreter_start_up()
        self.complete: dict[str, bytes | None] = {}
        self.duration: dict[str, float] = {}

    def measure(self, name: str) -> None:
        """One uninterrupted run: how long it takes, and its whole output."""
        started = time.perf_counter()
        proc = subprocess.run(self.argv(name), env=self.env_of(name), capture_output=True,
                              timeout=60, check=False)
        self.duration[name] = time.perf_counter() - started
        assert proc.returncode == 0, (name, proc.stderr)
        # assess prints a new session id each time: its output is not compared.
        self.complete[name] = None if name.startswith("assess") else proc.stdout

    def argv(self, name: str) -> list[str]:
        return [str(BACKPAIN), *self.commands[name]]

    def env_of(self, name: str) -> dict[str, str]:
        return self.assess_env if name.startswith("assess") else self.env

    def run(self, name: str, fraction: float) -> Outcome:
        if name not in self.duration:
            self.measure(name)
        span = max(self.duration[name] * 1.2 - self.start_up, 0.0)
        delay = self.start_up + fraction * span
        proc = subprocess.Popen(self.argv(name), env=self.env_of(name),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                preexec_fn=_ctrl_c_as_usual)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
        return Outcome(name, delay, proc.returncode, stdout,
                       stderr.decode("utf-8", "replace"))

    def check(self, runs: Sequence[tuple[str, float]]) -> None:
        outcomes = [self.run(name, fraction) for name, fraction in runs]
        problems = [f"{o.name} at {o.delay * 1000:.0f} ms: {p}\n{o.stderr[-1500:]}"
                    for o in outcomes if (p := o.problem(self.complete[o.name]))]
        assert not problems, "\n\n".join(problems)
        # Most interrupts must land in backpain's own code, or the test tests nothing.
        early = sum(o.in_interpreter_start_up for o in outcomes)
        assert early <= len(outcomes) // 4, (
            f"{early} of {len(outcomes)} interrupts hit the interpreter's start-up")
        # Whatever assess saved before the interrupt is a whole, readable session.
        for ref in list_refs(Path(self.assess_env["BACKPAIN_HOME"])):
            assert storage.read_session(ref.path).status == "completed"


LOSE_AN_INTERRUPT = """
import signal, sys, weakref
from backpain_cli import cli

# Python raises KeyboardInterrupt only if Ctrl-C was not ignored when it started: under
# `nohup`, a background job or `trap '' INT` the handler is SIG_IGN, and interrupt_main
# does nothing. This child puts Python's own handler back itself.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.unraisablehook = cli._unraisable
class Anything: ...
def callback(ref):
    raise KeyboardInterrupt  # what a Ctrl-C in a weakref callback amounts to
try:
    thing = Anything()
    ref = weakref.ref(thing, callback)
    del thing  # the callback runs here, and Python can only report its exception
    for _ in range(10_000_000):
        pass
    print("lost")
except KeyboardInterrupt:
    print("delivered")
"""


def test_a_lost_interrupt_is_delivered_again() -> None:
    proc = subprocess.run([sys.executable, "-c", LOSE_AN_INTERRUPT], capture_output=True,
                          text=True, timeout=60, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "delivered\n", "")


INTERRUPTED = ["review", "review SESSION", "export html", "export csv", "assess --json"]


@pytest.mark.parametrize("name", INTERRUPTED)
def test_ctrl_c_at_a_few_moments_is_never_a_traceback(home: Path, answers_file: Path,
                                                      name: str) -> None:
    Interrupter(home, answers_file).check([(name, f) for f in (0.05, 0.3, 0.6, 0.9, 1.0)])


@pytest.mark.slow
def test_ctrl_c_at_random_moments_is_never_a_traceback(home: Path, answers_file: Path) -> None:
    # Fixed under CI, so that a failure there can be run again exactly (timings aside).
    seed = 20261127 if os.environ.get("CI") else random.randrange(2**32)
    rng = random.Random(seed)
    runs = [(rng.choice(INTERRUPTED), rng.random()) for _ in range(90)]
    try:
        Interrupter(home, answers_file).check(runs)
    except AssertionError as exc:
        raise AssertionError(f"seed {seed}: {exc}") from None


@pytest.mark.parametrize("wrapped", [True, False])
def test_an_interrupt_wrapped_by_class_creation_is_an_interrupt(wrapped: bool) -> None:
    """Found by the random-moment Ctrl-C test (seed 20261127, `export --format html` at
    82 ms): a Ctrl-C while a dataclass was being made reached the command as a RuntimeError
    ("Error calling __set_name__ ...") and was printed as a traceback. It is exit 130."""
    from backpain_cli.errors import from_an_interrupt

    try:
        if not wrapped:
            raise RuntimeError("a bug of ours, which must stay a traceback")
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance") \
                from interrupt
    except RuntimeError as exc:
        assert from_an_interrupt(exc) is wrapped
