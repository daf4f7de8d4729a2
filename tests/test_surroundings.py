"""What the process is given from outside, through the installed `backpain` script: a
terminal whose encoding is not UTF-8, standard streams the shell closed, an odd time zone
and a clock or file times Python or SQLite cannot hold (cli/__init__.py `_surroundings`,
clinical/reassess.local_day, records/codec.stamp_of).

Each ends as documented (README, "Environment variables and terminals"): the output degrades
legibly, the work is done, or one clear line and an exit code; never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from helpers import list_refs

from backpain_cli.clinical.reassess import local_day
from backpain_cli.errors import BackpainError
from backpain_cli.records import storage
from backpain_cli.records.index.codec import now_ns, stamp_of
from backpain_cli.records.index.sync import trusted

BACKPAIN = Path(sys.executable).parent / "backpain"
GOLDEN = Path(__file__).parent / "golden"
CLIENT = "JD-042"
LATEST = "20261029T101500Z-0f9e8d"  # completed, urgent (1 week), 2026-10-29 10:15 UTC
BAD_FD = "backpain: error: cannot write to standard output: Bad file descriptor\n"

pytestmark = pytest.mark.skipif(not BACKPAIN.exists(),
                                reason=f"the installed command is not at {BACKPAIN}")


@pytest.fixture
def home(backpain_home: Path) -> Path:
    shutil.copytree(GOLDEN / "sessions", backpain_home / "sessions")
    return backpain_home


@pytest.fixture
def answers_file(write_answers: Callable[..., Path],
                 complete_answers: dict[str, Any]) -> Path:
    return write_answers(complete_answers, client="ENV-1")


def run(*args: str, env: dict[str, str] | None = None,
        close: tuple[int, ...] = ()) -> subprocess.CompletedProcess[bytes]:
    def closing() -> None:
        for fd in close:
            os.close(fd)

    return subprocess.run([str(BACKPAIN), *args], capture_output=True, timeout=60,
                          check=False, env={**os.environ, "NO_COLOR": "1", "COLUMNS": "100",
                                            **(env or {})},
                          preexec_fn=closing if close else None)


# --------------------------------------------------------------------------- encodings


def escaped(text: str, encoding: str) -> str:
    """`text` as backpain writes it where `encoding` lacks a character: JSON's escape."""
    out = []
    for c in text:
        try:
            c.encode(encoding)
            out.append(c)
        except UnicodeEncodeError:
            units = c.encode("utf-16-be")
            out.extend(f"\\u{int.from_bytes(units[i:i + 2]):04x}"
                       for i in range(0, len(units), 2))
    return "".join(out)


# Exports written as they are: the same text, with escapes for what the encoding lacks.
EXACT = [["export", LATEST, "--format", "md"], ["export", CLIENT, "--format", "html"],
         ["export", LATEST, "--format", "json"], ["review", LATEST, "--json"]]
# Through rich, which draws its boxes in ASCII when the encoding is not UTF-8.
SHOWN = [["review", CLIENT], ["review", LATEST], ["review"], ["review", "--due"],
         ["questionnaires", "list"]]


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("args", EXACT, ids=" ".join)
def test_an_encoding_without_a_character_gets_its_escape(home: Path, encoding: str,
                                                         args: list[str]) -> None:
    utf8 = run(*args, env={"PYTHONIOENCODING": "utf-8"})
    other = run(*args, env={"PYTHONIOENCODING": encoding})
    assert (utf8.returncode, other.returncode, other.stderr) == (0, 0, b"")
    text = utf8.stdout.decode("utf-8")
    assert not text.isascii()  # or the test tests nothing
    assert other.stdout.decode(encoding) == escaped(text, encoding)
    if "json" in args or "--json" in args:
        assert json.loads(other.stdout.decode(encoding)) == json.loads(text)


@pytest.mark.parametrize("args", SHOWN, ids=" ".join)
def test_rich_output_on_an_ascii_terminal(home: Path, args: list[str]) -> None:
    proc = run(*args, env={"PYTHONIOENCODING": "ascii"})
    assert (proc.returncode, proc.stderr) == (0, b""), proc.stderr.decode()
    assert proc.stdout.isascii() and proc.stdout.strip()


def test_assess_on_an_ascii_terminal_saves_and_shows_the_plan(answers_file: Path,
                                                               backpain_home: Path) -> None:
    proc = run("assess", "--answers", str(answers_file), "--no-input",
               env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr.decode("ascii").startswith("Saved session ")
    assert proc.stdout.isascii() and b"ENV-1" in proc.stdout
    assert len(list_refs(backpain_home)) == 1


def test_messages_on_an_ascii_terminal(home: Path) -> None:
    proc = run("review", "J\u00d6-1", env={"PYTHONIOENCODING": "ascii"})
    assert (proc.returncode, proc.stdout) == (1, b"")
    assert proc.stderr.startswith(b"backpain: error: ") and b"J\\u00d6-1" in proc.stderr


# --------------------------------------------------------------------------- closed streams


def test_with_stderr_closed_assess_still_saves(answers_file: Path,
                                               backpain_home: Path) -> None:
    proc = run("assess", "--answers", str(answers_file), "--no-input", "--json", close=(2,))
    assert proc.returncode == 0
    [ref] = list_refs(backpain_home)
    assert json.loads(proc.stdout)["session"] == ref.id
    assert storage.read_session(ref.path).status == "completed"


def test_with_stderr_closed_nothing_lands_in_the_files_opened(home: Path) -> None:
    """An unreadable file is named on stderr while the summary index is open: with fd 2
    free, the index would have got it, and the warning would have been written into it."""
    (home / "sessions" / CLIENT / "20261101T080000Z-000000.toml").write_text("not toml")
    normal = run("review")
    closed = run("review", close=(2,))
    again = run("review")
    assert (normal.returncode, closed.returncode, again.returncode) == (0, 0, 0)
    assert normal.stderr.startswith(b"backpain: warning: ")
    assert closed.stdout == normal.stdout
    assert (again.stdout, again.stderr) == (normal.stdout, normal.stderr)


@pytest.mark.parametrize("args", [["review", "--json"], ["review", CLIENT],
                                  ["questionnaires", "list"], ["--version"],
                                  ["export", LATEST, "--format", "md"]], ids=" ".join)
def test_with_stdout_closed_one_line_and_exit_1(home: Path, args: list[str]) -> None:
    proc = run(*args, close=(1,))
    assert (proc.returncode, proc.stderr.decode()) == (1, BAD_FD)


def test_with_stdout_closed_assess_saves_then_says_it_could_not_show(
        answers_file: Path, backpain_home: Path) -> None:
    proc = run("assess", "--answers", str(answers_file), "--no-input", close=(1,))
    assert proc.returncode == 1
    [ref] = list_refs(backpain_home)
    assert proc.stderr.decode() == f"Saved session {ref.id} to {ref.path}\n{BAD_FD}"


@pytest.mark.parametrize(("args", "message"), [
    (["forget", CLIENT], "standard input is not a terminal, so erasing the client's sessions "
                         "cannot be confirmed; add --yes to erase without asking"),
    (["assess", "--client", "NEW-1"],
     "answers are missing or invalid and standard input is not a terminal; give them with "
     "--answers FILE and --client, and add --no-input to list every problem instead of "
     "asking"),
], ids=["forget", "assess"])
def test_with_stdin_closed_one_line_and_exit_1(home: Path, args: list[str],
                                               message: str) -> None:
    proc = run(*args, close=(0,))
    assert (proc.returncode, proc.stdout, proc.stderr.decode()) == (
        1, b"", f"backpain: error: {message}\n")


def test_with_every_stream_closed_the_work_is_still_done(answers_file: Path,
                                                         backpain_home: Path) -> None:
    proc = run("assess", "--answers", str(answers_file), "--no-input", close=(0, 1, 2))
    assert proc.returncode == 1  # the plan could not be shown
    [ref] = list_refs(backpain_home)
    assert storage.read_session(ref.path).status == "completed"


# --------------------------------------------------------------------------- time zones


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    def set_zone(tz: str) -> None:
        monkeypatch.setenv("TZ", tz)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


# POSIX TZ: "UTC+24" is 24 hours *behind* UTC, an offset datetime.timezone cannot hold.
@pytest.mark.parametrize(("tz", "day"), [
    ("UTC", dt.date(2026, 10, 29)), ("UTC+24", dt.date(2026, 10, 28)),
    ("UTC-24", dt.date(2026, 10, 30)), ("UTC+10", dt.date(2026, 10, 29)),
    ("UTC+11", dt.date(2026, 10, 28)), ("UTC-14", dt.date(2026, 10, 30)),
])
def test_local_day_in_any_zone_posix_allows(zone: Callable[[str], None], tz: str,
                                            day: dt.date) -> None:
    zone(tz)
    assert local_day(dt.datetime(2026, 10, 29, 10, 15, tzinfo=dt.UTC)) == day


def test_a_moment_the_calendar_cannot_hold_is_one_error(zone: Callable[[str], None]) -> None:
    zone("UTC-24")
    with pytest.raises(BackpainError) as caught:
        local_day(dt.datetime.max.replace(tzinfo=dt.UTC))
    assert str(caught.value).startswith(
        "9999-12-31T23:59:59.999999+00:00 cannot be placed on the local calendar (the time "
        "zone, TZ): ")


@pytest.mark.parametrize(("tz", "due", "dates"), [
    ("UTC+24", "2026-11-04", [">2 Sep<", ">30 Sep<", ">28 Oct<", " 28 Oct 2026<"]),
    ("UTC-24", "2026-11-06", [">4 Sep<", ">2 Oct<", ">30 Oct<", " 30 Oct 2026<"]),
])
def test_due_and_handouts_under_a_24_hour_offset(home: Path, tz: str, due: str,
                                                 dates: list[str]) -> None:
    listing = run("review", "--due", "--on", "2026-11-12", "--json", env={"TZ": tz})
    assert (listing.returncode, listing.stderr) == (0, b""), listing.stderr.decode()
    [row] = json.loads(listing.stdout)
    assert row["due"] == due
    # The handout's date and its history chart's: the sessions' days in that zone.
    handout = run("export", CLIENT, "--format", "html", "--detail", "full", env={"TZ": tz})
    assert (handout.returncode, handout.stderr) == (0, b""), handout.stderr.decode()
    for date in dates:
        assert date in handout.stdout.decode(), date


# --------------------------------------------------------------------------- clocks


CLOCK = ("backpain: error: the system clock is set outside the years 1678 to 2262, where "
         "Python cannot read it; set the date and time right\n")
PAST_2262 = """
import sys, time
def far(*args, **kwargs):
    raise OverflowError("timestamp too large to convert to C _PyTime_t")
time.time = time.time_ns = far  # what Python raises for a clock past 2262
from backpain_cli.cli import main
sys.argv = ["backpain", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("args", [["review"], ["assess", "--demo"], ["--version"]],
                         ids=" ".join)
def test_a_clock_python_cannot_read_is_one_line(home: Path, args: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-c", PAST_2262, *args], capture_output=True,
                          text=True, timeout=60, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", CLOCK)


@pytest.mark.skipif(shutil.which("faketime") is None, reason="faketime is not installed")
def test_a_clock_past_2262_for_real(home: Path) -> None:
    proc = subprocess.run(["faketime", "2300-01-01 10:00:00", str(BACKPAIN), "review"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", CLOCK)


def test_file_times_past_2262_are_listed(home: Path) -> None:
    """SQLite's 64-bit integers end in 2262: such a stamp is kept at the limit, and the
    file is read again each time rather than trusted."""
    session = home / "sessions" / CLIENT / f"{LATEST}.toml"
    far = (dt.datetime(2300, 1, 1, tzinfo=dt.UTC).timestamp()) * 10**9
    os.utime(session, ns=(int(far), int(far)))
    os.utime(session.parent, ns=(int(far), int(far)))
    first, second = run("review"), run("review")
    assert (first.returncode, first.stderr) == (0, b""), first.stderr.decode()
    assert LATEST.encode() in first.stdout
    assert second.stdout == first.stdout


def test_stamps_fit_sqlite_and_one_at_the_limit_is_never_trusted() -> None:
    far = cast(os.stat_result, SimpleNamespace(st_size=10, st_mtime_ns=3 * 10**19,
                                               st_ctime_ns=-3 * 10**19, st_ino=2**64 - 5))
    stamp = stamp_of(far)
    assert stamp == (10, 2**63 - 1, -(2**63), -5)
    # Its file could have changed within the same (unknown) time: it is read again.
    assert not trusted(stamp, now_ns(), stamp)
