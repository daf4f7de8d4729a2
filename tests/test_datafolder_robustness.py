"""Issue 9: nothing in the data folder or on the command line can crash, hang or silently
drop a session.

A session file that is not what backpain writes (a required field missing or of the wrong
type, a value outside what the clinical reference allows, TOML nested past the parser's recursion, a
FIFO, a device, a link, a huge file) is *unreadable* with its path and reason, the same way
in every command that meets it, and never hides the readable sessions beside it. Answers
files and questionnaire files get the same reader. Anything that could block runs in a
subprocess with a timeout, so a regression fails the test instead of hanging the suite.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import invoke

from backpain_cli.records import storage
from backpain_cli.records.paths import new_session_id, sessions_dir

CLIENT = "JD-042"
SKIPPED_ONE = ("backpain: error: 1 session file could not be read and was skipped "
               "(named above)\n")
# About 1 KB that takes tomllib past the interpreter's recursion limit (issue 9 item 3).
DEEP_ARRAY = b"x = " + b"[" * 500 + b"]" * 500 + b"\n"
DEEP_TABLE = b"x = " + b"{a = " * 500 + b"1" + b"}" * 500 + b"\n"
DEEP_REASON = "arrays or tables nested too deeply"
# One more digit than int() converts from text by default (issue 17 item 10): tomllib raised
# a bare ValueError for it.
LONG_INT = b"1" * 4301
LONG_INT_REASON = "an integer of more than 4300 digits"
# Date-times with no UTC equivalent inside years 1 to 9999 (an OverflowError when converted).
LATE = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone(-dt.timedelta(hours=1)))
EARLY = dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
TIMEOUT = 60


run = invoke


def run_process(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The real command in a child process: a hang becomes a TimeoutExpired failure."""
    return subprocess.run([sys.executable, "-m", "backpain_cli", *(str(a) for a in args)],
                          capture_output=True, text=True, timeout=TIMEOUT, env=os.environ,
                          stdin=subprocess.DEVNULL, check=False)


@pytest.fixture
def good(complete_answers: dict[str, Any], write_answers: Callable[..., Path]) -> Path:
    """A session saved by `assess`, the readable neighbour of every bad file below."""
    result = run("assess", "--answers", write_answers(complete_answers), "--no-input",
                 "--json")
    assert result.exit_code == 0, result.output
    return sessions_dir() / CLIENT / f"{json.loads(result.stdout)['session']}.toml"


def plant(good: Path, content: bytes | Callable[[dict[str, Any]], None]) -> Path:
    """A second session file of the client, a day later: raw bytes, or `good` edited."""
    doc = tomllib.loads(good.read_text(encoding="utf-8"))
    sid = new_session_id(doc["created"].replace(day=min(doc["created"].day + 1, 28)))
    path = good.parent / f"{sid}.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        doc["id"] = sid
        content(doc)
        path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    return path


def drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc.pop(key)


def put(key: str, value: object) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc.__setitem__(key, value)


def score(key: str, value: object) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["scores"].__setitem__(key, value)


def answer(key: str, value: object) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["answers"].__setitem__(key, value)


# --------------------------------------------------------------------------- items 1 and 10

# (case, edit of a real session file, reason). Every one of them was read as valid before
# issue 9: listed as completed, exported with blank scores, or a traceback in md/html.
MUTATIONS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("no triage", drop("triage"), "missing field 'triage'"),
    ("triage not text", put("triage", 3), "field 'triage' has the wrong type"),
    ("no scores", drop("scores"), "missing field 'scores'"),
    ("no red flags", drop("red_flags"), "missing field 'red_flags'"),
    ("no recommendations", drop("recommendations"), "missing field 'recommendations'"),
    ("no tool version", drop("tool_version"), "missing field 'tool_version'"),
    ("tool version not text", put("tool_version", 1), "field 'tool_version' has the wrong type"),
    ("triage not in the spec", put("triage", "maybe"), "unknown triage 'maybe'"),
    ("status not in the spec", put("status", "paused"), "unknown status 'paused'"),
    ("tier not in the spec", put("red_flags", [{"id": "rf_trauma", "tier": "severe"}]),
     "red flag 'rf_trauma' has an unknown tier 'severe'"),
    ("NPRS 99 in scores", score("nprs_now", 99), "score 'nprs_now' is 99, outside 0 to 10"),
    ("NPRS as text", score("nprs_now", "6"), "score 'nprs_now' is not a whole number"),
    ("STarT Back total 10", score("startback_total", 10),
     "score 'startback_total' is 10, outside 0 to 9"),
    ("ODI over 100", score("odi_percent", 140.0), "score 'odi_percent' is 140.0, outside 0 to 100"),
    ("risk group not in the spec", score("startback_risk", "extreme"),
     "score 'startback_risk' has an unknown value 'extreme'"),
    ("NPRS 99 in answers", answer("pain_now", 99),
     "answer 'pain_now' does not fit its question: 99 is above the maximum 10"),
    ("a choice not offered", answer("sleep_position", "upside_down"),
     "answer 'sleep_position' does not fit its question: 'upside_down' is not one of: side, "
     "back, stomach, mixed"),
    ("a yes/no answered 1", answer("rf_trauma", 1),
     "answer 'rf_trauma' does not fit its question: expected yes or no (true/false)"),
    ("an answer to no question", answer("pain_nwo", 6),
     "answer 'pain_nwo' is to no question of its questionnaires"),
    ("follows is no session id", put("follows", "=cmd"),
     "field 'follows' is not a session id ('=cmd')"),
]


@pytest.mark.parametrize(("edit", "reason"), [(e, r) for _, e, r in MUTATIONS],
                         ids=[c for c, _, _ in MUTATIONS])
def test_a_file_backpain_would_not_write_is_unreadable_in_both_readers(
        good: Path, edit: Callable[[dict[str, Any]], None], reason: str) -> None:
    bad = plant(good, edit)
    # The listing reads summaries (summary.py), the JSON export the whole file: one verdict.
    listing = run("review", "--json")
    assert listing.exit_code == 0, listing.output
    doc = json.loads(listing.stdout)
    assert [s["session"] for s in doc["sessions"]] == [good.stem]
    assert doc["unreadable"] == [{"path": str(bad), "reason": reason}]
    exported = run("export", bad.stem, "--format", "json")
    assert (exported.exit_code, exported.stdout) == (1, ""), exported.output
    assert exported.stderr == f"backpain: error: {bad}: {reason}\n"


def _warned(path: Path, reason: str) -> tuple[int, str]:
    return 0, f"backpain: warning: {path}: {reason}\n"


def _refused(path: Path, reason: str) -> tuple[int, str]:
    return 1, f"backpain: error: {path}: {reason}\n"


def _skipped(path: Path, reason: str) -> tuple[int, str]:
    return 1, f"backpain: skipped {path}: {reason}\n{SKIPPED_ONE}"


# Every command that can meet the bad file, and how it must say so.
COMMANDS: list[tuple[list[str], Callable[[Path, str], tuple[int, str]]]] = [
    (["review"], _warned),
    (["review", "--limit", "0"], _warned),
    (["review", CLIENT], _warned),
    (["review", CLIENT, "--json"], _warned),
    (["review", "{bad}"], _refused),
    (["review", "{bad}", "--json"], _refused),
    *((["export", "{bad}", "--format", fmt], _refused)
      for fmt in ("md", "html", "json", "fhir", "csv")),
    (["export", CLIENT, "--format", "md"], _skipped),
    (["export", CLIENT, "--format", "html"], _skipped),
    (["export", "--all", "--format", "csv"], _skipped),
    (["export", "--all", "--format", "json"], _skipped),
    (["export", "--client", CLIENT, "--format", "csv"], _skipped),
    (["review", "--due", "--on", "2099-01-01"], _warned),
]
BAD_FILES: list[tuple[str, bytes | Callable[[dict[str, Any]], None], str]] = [
    ("no triage", drop("triage"), "missing field 'triage'"),
    ("triage not in the spec", put("triage", "maybe"), "unknown triage 'maybe'"),
    ("NPRS 99 in answers", answer("pain_now", 99),
     "answer 'pain_now' does not fit its question: 99 is above the maximum 10"),
    ("deeply nested array", DEEP_ARRAY, f"not valid TOML ({DEEP_REASON})"),
    ("deeply nested table", DEEP_TABLE, f"not valid TOML ({DEEP_REASON})"),
    ("over 1 MB", b"# padding\n" * 100_001, "too large (over 1 MB)"),
    ("an integer of 4,301 digits", b"schema = 2\nsize = " + LONG_INT + b"\n",
     f"not valid TOML ({LONG_INT_REASON})"),
    ("created 9999-12-31T23:59:59-01:00", put("created", LATE),
     "not valid TOML (the date-time 9999-12-31T23:59:59-01:00 is out of range in UTC)"),
    ("created 0001-01-01T00:00:00+01:00", put("created", EARLY),
     "not valid TOML (the date-time 0001-01-01T00:00:00+01:00 is out of range in UTC)"),
]


@pytest.mark.parametrize(("content", "reason"), [(c, r) for _, c, r in BAD_FILES],
                         ids=[c for c, _, _ in BAD_FILES])
@pytest.mark.parametrize(("args", "expect"), COMMANDS,
                         ids=[" ".join(a) for a, _ in COMMANDS])
def test_every_command_reports_an_unreadable_file_alike(
        good: Path, content: bytes | Callable[[dict[str, Any]], None], reason: str,
        args: list[str], expect: Callable[[Path, str], tuple[int, str]]) -> None:
    bad = plant(good, content)
    result = run(*(a.replace("{bad}", bad.stem) for a in args))
    assert (result.exit_code, result.stderr) == expect(bad, reason), result.output
    if result.exit_code == 0 or "--all" in args or CLIENT in args:
        # One unreadable file among readable ones: the good session is still there.
        # (The client's handout names no session: its title says it is there.)
        assert any(shown in result.stdout for shown in (
            good.stem, "Back-care plan", "Your back care plan")), result.output
    assert bad.read_bytes() == content if isinstance(content, bytes) else True


@pytest.mark.parametrize(("edit", "reason"), [
    (put("created", dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC)),
     "field 'created' is not in the years 1900 to 9998"),
    (put("created", dt.datetime(1899, 12, 31, 23, tzinfo=dt.UTC)),
     "field 'created' is not in the years 1900 to 9998"),
    (put("reassess_weeks", 53), "field 'reassess_weeks' is over 52 weeks"),
    (put("reassess_weeks", 2**62), "field 'reassess_weeks' is over 52 weeks"),
], ids=["created in 9999", "created in 1899", "53 weeks", "2**62 weeks"])
def test_a_next_check_past_the_year_9999_is_an_unreadable_file(
        good: Path, edit: Callable[[dict[str, Any]], None], reason: str) -> None:
    """A date the next check or the local calendar cannot hold (an OverflowError in --due
    and the handout, issue 17 item 10) makes the file unreadable, with its reason."""
    bad = plant(good, edit)
    for args, expect in ((["review", "--due", "--on", "2099-01-01"], _warned),
                         (["export", CLIENT, "--format", "md"], _skipped),
                         (["export", bad.stem, "--format", "html"], _refused)):
        result = run(*args)
        assert (result.exit_code, result.stderr) == expect(bad, reason), result.output


def test_a_draft_needs_no_plan(good: Path) -> None:
    """The plan fields are required of completed sessions only."""

    def to_draft(doc: dict[str, Any]) -> None:
        doc["status"] = "draft"
        for key in ("triage", "scores", "red_flags", "recommendations", "reassess_weeks"):
            doc.pop(key, None)

    draft = plant(good, to_draft)
    doc = json.loads(run("review", "--json").stdout)
    assert [(s["session"], s["status"]) for s in doc["sessions"]] == [
        (draft.stem, "draft"), (good.stem, "completed")]
    assert doc["unreadable"] == []


def test_an_answer_to_an_older_questionnaire_is_not_judged_by_todays(good: Path) -> None:
    """Only the questionnaire text the answers were given to (by its hash) judges them."""

    def older(doc: dict[str, Any]) -> None:
        doc["questionnaires"]["intake"]["sha256"] = "0" * 64
        doc["answers"]["pain_now"] = 11  # perhaps a scale of 0 to 20 once
        doc["answers"]["retired_question"] = True

    session = plant(good, older)
    doc = json.loads(run("review", "--json").stdout)
    assert session.stem in [s["session"] for s in doc["sessions"]]
    assert doc["unreadable"] == []


# --------------------------------------------------------------------------- item 3


@pytest.mark.parametrize("deep", [DEEP_ARRAY, DEEP_TABLE], ids=["array", "table"])
def test_a_deeply_nested_answers_file_is_one_clear_error(tmp_path: Path, deep: bytes) -> None:
    answers = tmp_path / "deep.toml"
    answers.write_bytes(deep)
    result = run("assess", "--answers", answers, "--no-input", "--client", CLIENT)
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert result.stderr == f"backpain: error: {answers}: not valid TOML: {DEEP_REASON}\n"


# What the one reader makes of a value tomllib parses but Python cannot use (item 10).
OUT_OF_RANGE = [
    (b"size = " + LONG_INT, LONG_INT_REASON),
    (b"when = 9999-12-31T23:59:59-01:00",
     "the date-time 9999-12-31T23:59:59-01:00 is out of range in UTC"),
    (b"when = 0001-01-01T00:00:00+01:00",
     "the date-time 0001-01-01T00:00:00+01:00 is out of range in UTC"),
]
OUT_OF_RANGE_IDS = ["long integer", "late date-time", "early date-time"]


@pytest.mark.parametrize(("line", "reason"), OUT_OF_RANGE, ids=OUT_OF_RANGE_IDS)
def test_a_value_out_of_range_in_an_answers_file_is_one_clear_error(
        tmp_path: Path, line: bytes, reason: str) -> None:
    answers = tmp_path / "answers.toml"
    answers.write_bytes(b"age = 40\n" + line + b"\n")
    result = run("assess", "--answers", answers, "--no-input", "--client", CLIENT)
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert result.stderr == f"backpain: error: {answers}: not valid TOML: {reason}\n"


@pytest.mark.parametrize(("line", "reason"), OUT_OF_RANGE, ids=OUT_OF_RANGE_IDS)
def test_a_value_out_of_range_in_the_settings_is_one_clear_error(
        backpain_config: Path, line: bytes, reason: str) -> None:
    backpain_config.parent.mkdir(parents=True)
    backpain_config.write_bytes(b'practice_name = "Physio"\n' + line + b"\n")
    result = run("config", "show")
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert result.stderr == f"backpain: error: {backpain_config}: not valid TOML ({reason})\n"


@pytest.mark.parametrize(("line", "reason"), OUT_OF_RANGE, ids=OUT_OF_RANGE_IDS)
def test_a_value_out_of_range_in_a_questionnaire_is_one_problem(
        backpain_home: Path, line: bytes, reason: str) -> None:
    user = backpain_home / "questionnaires"
    user.mkdir(parents=True)
    (user / "mine.toml").write_bytes(line + b"\n")
    result = run("questionnaires", "check")
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert result.stderr == (f"backpain: error: invalid questionnaire (1):\n"
                             f"  - {user / 'mine.toml'}: not valid TOML: {reason}\n")


@pytest.mark.parametrize("args", [
    ["questionnaires", "check"], ["questionnaires", "list"],
    ["assess", "--answers", "{answers}", "--no-input", "--no-save"],
])
def test_a_deeply_nested_user_questionnaire_is_one_problem(
        backpain_home: Path, complete_answers: dict[str, Any],
        write_answers: Callable[..., Path], args: list[str]) -> None:
    user = backpain_home / "questionnaires"
    user.mkdir(parents=True)
    (user / "deep.toml").write_bytes(DEEP_ARRAY)
    answers = write_answers(complete_answers)
    result = run(*(str(answers) if a == "{answers}" else a for a in args))
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert result.stderr == (f"backpain: error: invalid questionnaire (1):\n"
                             f"  - {user / 'deep.toml'}: not valid TOML: {DEEP_REASON}\n")


def test_questionnaires_check_of_a_deeply_nested_file_by_path(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_bytes(DEEP_TABLE)
    result = run("questionnaires", "check", deep)
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"backpain: error: invalid questionnaire (1):\n"
                             f"  - {deep}: not valid TOML: {DEEP_REASON}\n")


# --------------------------------------------------------------------------- item 4: special files

NOT_REGULAR = "not a regular file (a FIFO, device or socket)"
LINKED = "a symbolic link (links inside the data folder are not followed)"


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _link_to(target: str) -> Callable[[Path], None]:
    return lambda path: os.symlink(target, path)


def _loop(path: Path) -> None:
    os.symlink(path.name, path)  # a link to itself: ELOOP when followed


def _link_to_good(path: Path) -> None:
    # Even a link to a real session of the same folder is not followed.
    os.symlink(next(path.parent.glob("*.toml")).name, path)


SPECIAL: list[tuple[str, Callable[[Path], None], str]] = [
    ("FIFO", _fifo, NOT_REGULAR),
    ("link to /dev/zero", _link_to("/dev/zero"), LINKED),
    ("link to /dev/urandom", _link_to("/dev/urandom"), LINKED),
    ("link loop", _loop, LINKED),
    ("link to a session", _link_to_good, LINKED),
]


@pytest.mark.parametrize(("make", "reason"), [(m, r) for _, m, r in SPECIAL],
                         ids=[c for c, _, _ in SPECIAL])
@pytest.mark.parametrize(("args", "expect"), [
    (["review"], _warned), (["review", CLIENT], _warned), (["review", "{bad}"], _refused),
    (["export", "--all", "--format", "csv"], _skipped),
    (["export", "--all", "--format", "json"], _skipped),
    (["export", CLIENT, "--format", "md"], _skipped),
], ids=["review", "review CLIENT", "review SESSION", "export --all csv", "export --all json",
        "export CLIENT"])
def test_a_special_file_named_like_a_session_is_reported_never_read(
        good: Path, make: Callable[[Path], None], reason: str, args: list[str],
        expect: Callable[[Path, str], tuple[int, str]]) -> None:
    bad = good.parent / f"{new_session_id()}.toml"
    make(bad)
    result = run_process(*(a.replace("{bad}", bad.stem) for a in args))
    assert (result.returncode, result.stderr) == expect(bad, reason), result.stdout


def _huge(path: Path) -> None:
    path.write_bytes(b"#\n" * 500_001)


SPECIAL_ANSWERS: list[tuple[str, Callable[[Path], None], str]] = [
    ("FIFO", _fifo, NOT_REGULAR),
    ("link to /dev/zero", _link_to("/dev/zero"), NOT_REGULAR),
    ("link loop", _loop, "cannot read (Too many levels of symbolic links)"),
    ("over 1 MB", _huge, "too large (over 1 MB)"),
]


@pytest.mark.parametrize(("make", "reason"), [(m, r) for _, m, r in SPECIAL_ANSWERS],
                         ids=[c for c, _, _ in SPECIAL_ANSWERS])
def test_a_special_answers_file_is_one_clear_error(tmp_path: Path, make: Callable[[Path], None],
                                                    reason: str) -> None:
    answers = tmp_path / "answers.toml"
    make(answers)
    result = run_process("assess", "--answers", answers, "--no-input", "--client", CLIENT)
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert result.stderr == f"backpain: error: {answers}: {reason}\n"


def test_dev_zero_as_answers_is_refused_at_once() -> None:
    result = run_process("assess", "--answers", "/dev/zero", "--no-input", "--client", CLIENT)
    assert (result.returncode, result.stderr) == (
        1, f"backpain: error: /dev/zero: {NOT_REGULAR}\n")


def test_a_linked_answers_file_is_read(tmp_path: Path, complete_answers: dict[str, Any],
                                       write_answers: Callable[..., Path]) -> None:
    """Outside the data folder links are the practitioner's business: they are followed."""
    link = tmp_path / "link.toml"
    link.symlink_to(write_answers(complete_answers))
    result = run("assess", "--answers", link, "--no-input", "--no-save", "--json")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("make", "reason"), [
    (_fifo, NOT_REGULAR), (_link_to("/dev/zero"), NOT_REGULAR),
    (_loop, "cannot read: Too many levels of symbolic links"),
], ids=["FIFO", "link to /dev/zero", "link loop"])
def test_a_special_user_questionnaire_file_is_one_problem(
        backpain_home: Path, make: Callable[[Path], None], reason: str) -> None:
    user = backpain_home / "questionnaires"
    user.mkdir(parents=True)
    make(user / "mine.toml")
    result = run_process("questionnaires", "check")
    assert result.returncode == 1, result.stdout
    assert result.stderr == (f"backpain: error: invalid questionnaire (1):\n"
                             f"  - {user / 'mine.toml'}: {reason}\n")


@pytest.mark.parametrize("folder_is", ["data folder", "sessions folder"])
@pytest.mark.parametrize("args", [
    ["review"], ["review", CLIENT], ["review", "--client", CLIENT],
    ["export", "--all", "--format", "csv"], ["export", CLIENT, "--format", "md"],
    ["assess", "--answers", "{answers}", "--no-input"],
], ids=["review", "review CLIENT", "review --client", "export --all", "export CLIENT",
        "assess"])
def test_a_plain_file_in_place_of_a_folder_is_one_line(
        backpain_home: Path, complete_answers: dict[str, Any],
        write_answers: Callable[..., Path], folder_is: str, args: list[str]) -> None:
    if folder_is == "data folder":
        backpain_home.parent.mkdir(parents=True, exist_ok=True)
        backpain_home.write_text("not a folder\n", encoding="utf-8")
        error = (f"{backpain_home}: not a folder (the data folder must be one; check "
                 "$BACKPAIN_HOME)")
    else:
        backpain_home.mkdir(parents=True)
        (backpain_home / "sessions").write_text("not a folder\n", encoding="utf-8")
        error = f"{backpain_home / 'sessions'}: not a folder (the sessions folder must be one)"
    answers = write_answers(complete_answers)
    result = run(*(str(answers) if a == "{answers}" else a for a in args))
    assert result.exit_code == 1, result.output
    if args[0] == "assess":
        # As on any failed save: the answers are printed so that the interview is not lost.
        assert tomllib.loads(result.stdout)["client"] == CLIENT
        error += (". The answers are printed above as an answers file: save them and run "
                  "`backpain assess --answers FILE` once the data folder is writable")
    assert result.stderr == f"backpain: error: {error}\n"


# --------------------------------------------------------------------------- item 5

NOT_A_SESSION_NAME = ("not read: not named like a session file (<session id>.toml, e.g. "
                      "20261127T101503Z-3f9a1c.toml)")
NOT_IN_A_CLIENT_FOLDER = ("not read: a file directly in the sessions folder (sessions are "
                          "read from sessions/<client>/)")
NOT_A_CLIENT_NAME = "not read: the folder name is not a valid client reference"
A_FOLDER_IN_A_CLIENT = "not read: a folder inside a client folder"


def _copy(good: Path, name: str) -> Path:
    path = good.parent / name.format(id=good.stem, day=good.stem[:-6])
    path.write_bytes(good.read_bytes())
    return path


def _outside(good: Path, name: str) -> Path:
    path = good.parent.parent / name
    if name.endswith(".toml"):
        path.write_bytes(good.read_bytes())
    else:
        path.mkdir()
        (path / good.name).write_bytes(good.read_bytes())
    return path


def _subfolder(good: Path, name: str) -> Path:
    path = good.parent / name
    path.mkdir()
    (path / good.name).write_bytes(good.read_bytes())
    return path


# (case, how the odd entry is made, its name, reason, inside the client's folder)
ODD_ENTRIES: list[tuple[str, Callable[[Path, str], Path], str, str, bool]] = [
    ("a copy", _copy, "copy.toml", NOT_A_SESSION_NAME, True),
    ("a copy by a file manager", _copy, "{id} (1).toml", NOT_A_SESSION_NAME, True),
    ("a suffix that is not hex", _copy, "{day}zzzzzz.toml", NOT_A_SESSION_NAME, True),
    ("an upper-case extension", _copy, "{id}.TOML", NOT_A_SESSION_NAME, True),
    ("a backup", _copy, "{id}.toml.bak", NOT_A_SESSION_NAME, True),
    ("a hidden session", _copy, ".{id}.toml", NOT_A_SESSION_NAME, True),
    ("a folder in a client folder", _subfolder, "old", A_FOLDER_IN_A_CLIENT, True),
    ("a file directly in sessions/", _outside, "loose.toml", NOT_IN_A_CLIENT_FOLDER, False),
    ("a folder that is no client reference", _outside, "J D", NOT_A_CLIENT_NAME, False),
    ("a folder starting with -", _outside, "-JD", NOT_A_CLIENT_NAME, False),
    # Names that are not UTF-8 (issue 17 item 10): a traceback in every listing before, a
    # lone surrogate on its way to SQLite. Shown with the byte as \xNN.
    ("a file name not UTF-8", _copy, os.fsdecode(b"notes\xff.txt"), NOT_A_SESSION_NAME,
     True),
    ("a folder name not UTF-8", _outside, os.fsdecode(b"JD\xfe"), NOT_A_CLIENT_NAME, False),
    ("a folder not UTF-8 in a client folder", _subfolder, os.fsdecode(b"old\xe9"),
     A_FOLDER_IN_A_CLIENT, True),
]


def _shown(path: Path) -> Path:
    """A path as backpain shows it: each byte that is not UTF-8 as \\xNN."""
    return Path(os.fsencode(path).decode("utf-8", "backslashreplace"))


@pytest.mark.parametrize(("make", "name", "reason", "in_client"),
                         [(m, n, r, c) for _, m, n, r, c in ODD_ENTRIES],
                         ids=[c for c, *_ in ODD_ENTRIES])
def test_an_entry_that_is_not_a_session_file_is_reported_not_skipped_in_silence(
        good: Path, make: Callable[[Path, str], Path], name: str, reason: str,
        in_client: bool) -> None:
    odd = _shown(make(good, name))
    listing = run("review")
    assert (listing.exit_code, listing.stderr) == _warned(odd, reason), listing.output
    assert good.stem in listing.stdout
    doc = json.loads(run("review", "--json").stdout)
    assert ([s["session"] for s in doc["sessions"]], doc["unreadable"]) == (
        [good.stem], [{"path": str(odd), "reason": reason}])
    for fmt in ("csv", "json"):
        exported = run("export", "--all", "--format", fmt)
        assert (exported.exit_code, exported.stderr) == _skipped(odd, reason)
        assert good.stem in exported.stdout
    due = run("review", "--due", "--on", "2099-01-01")
    assert (due.exit_code, due.stderr) == _warned(odd, reason), due.output
    history = run("review", CLIENT)
    exported = run("export", CLIENT, "--format", "md")
    if in_client:
        assert (history.exit_code, history.stderr) == _warned(odd, reason)
        assert (exported.exit_code, exported.stderr) == _skipped(odd, reason)
    else:
        assert (history.exit_code, history.stderr) == (0, "")
        assert (exported.exit_code, exported.stderr) == (0, "")


def _temp_file(folder: Path, session_id: str, age_seconds: float) -> Path:
    """What `atomic.atomic_fd` leaves when a save is killed before its rename."""
    path = folder / f".{session_id}.toml.{os.urandom(4).hex()}.tmp"
    path.write_bytes(b'schema = 2\nid = "half a sess')
    moment = path.stat().st_mtime - age_seconds
    os.utime(path, (moment, moment))
    return path


def test_hidden_entries_and_temp_files_are_not_listed(good: Path) -> None:
    _temp_file(good.parent, good.stem, 0)
    _temp_file(good.parent, good.stem, 7200)
    (good.parent / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (good.parent.parent / ".stfolder").mkdir()
    for args in (["review"], ["review", CLIENT], ["export", "--all", "--format", "csv"]):
        result = run(*args)
        assert (result.exit_code, result.stderr) == (0, ""), (args, result.output)


def test_a_save_removes_temp_files_over_an_hour_old_in_its_folder_only(
        good: Path, complete_answers: dict[str, Any], write_answers: Callable[..., Path]
        ) -> None:
    stale = _temp_file(good.parent, good.stem, 3601)
    fresh = _temp_file(good.parent, good.stem, 600)  # perhaps a save still running
    other = good.parent.parent / "AB-1"
    other.mkdir()
    elsewhere = _temp_file(other, good.stem, 7200)
    result = run("assess", "--answers", write_answers(complete_answers), "--no-input")
    assert result.exit_code == 0, result.output
    assert (stale.exists(), fresh.exists(), elsewhere.exists()) == (False, True, True)


def test_a_data_folder_whose_path_is_not_utf8(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, complete_answers: dict[str, Any],
        write_answers: Callable[..., Path]) -> None:
    """Every path is then not UTF-8: the listings, the index and forget still work, and
    show the path with \\xNN (issue 17 item 10; forget and the index failed before)."""
    home = tmp_path / os.fsdecode(b"data\xff")
    monkeypatch.setenv("BACKPAIN_HOME", str(home))
    saved = run("assess", "--answers", write_answers(complete_answers), "--no-input",
                "--json")
    assert saved.exit_code == 0, saved.output
    good = home / "sessions" / CLIENT / f"{json.loads(saved.stdout)['session']}.toml"
    odd = good.parent / "notes.txt"
    odd.write_text("the practitioner's", encoding="utf-8")
    shown = f"{tmp_path}/data\\xff/sessions/{CLIENT}"
    warning = f"{shown}/notes.txt: {NOT_A_SESSION_NAME}"
    for args in (["review"], ["review", CLIENT], ["review", "--due", "--on", "2099-01-01"]):
        result = run(*args)
        assert (result.exit_code, result.stderr) == (0, f"backpain: warning: {warning}\n"), \
            (args, result.output)
        assert good.stem in result.stdout
    doc = json.loads(run("review", "--json").stdout)
    assert doc["unreadable"] == [{"path": f"{shown}/notes.txt", "reason": NOT_A_SESSION_NAME}]
    exported = run("export", "--all", "--format", "csv")
    assert (exported.exit_code, exported.stderr) == (1, f"backpain: skipped {warning}\n"
                                                        f"{SKIPPED_ONE}")
    odd.unlink()
    erased = run("forget", CLIENT, "--yes")
    assert erased.exit_code == 0, erased.output
    assert erased.stderr.startswith(f"Deleted {shown}/{good.name}\nRemoved the folder "
                                    f"{shown}\n")
    assert not good.parent.exists()


# --------------------------------------------------------------------------- item 7

LINK_REFUSED = ("{path}: {what} is a symbolic link; backpain writes nothing through links "
                "inside the data folder. The answers are printed above as an answers file: "
                "save them and run `backpain assess --answers FILE` once the data folder is "
                "writable")


@pytest.mark.parametrize("linked", ["client folder", "sessions folder"])
def test_nothing_is_written_through_a_link_in_the_data_folder(
        backpain_home: Path, tmp_path: Path, complete_answers: dict[str, Any],
        write_answers: Callable[..., Path], linked: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    sessions = backpain_home / "sessions"
    if linked == "client folder":
        sessions.mkdir(parents=True)
        link, what = sessions / CLIENT, "a client folder"
    else:
        backpain_home.mkdir()
        link, what = sessions, "the sessions folder"
    link.symlink_to(outside)
    result = run("assess", "--answers", write_answers(complete_answers), "--no-input")
    assert result.exit_code == 1, result.output
    assert tomllib.loads(result.stdout)["answers"] == complete_answers
    assert result.stderr == f"backpain: error: {LINK_REFUSED.format(path=link, what=what)}\n"
    assert list(outside.rglob("*")) == []


@pytest.mark.parametrize("swapped", ["client folder", "sessions folder"])
def test_a_folder_swapped_for_a_link_after_the_checks_gets_no_write(
        good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        complete_answers: dict[str, Any], write_answers: Callable[..., Path],
        swapped: str) -> None:
    """Issue 17 item 9: a swap after the link checks wrote the session outside the data
    folder (2 of 3 runs). The folders are opened link by link and written in by handle:
    the swap, made once they are open and before anything is written, changes nothing."""
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = good.parent if swapped == "client folder" else good.parent.parent
    moved = folder.with_name(f"{folder.name}.moved")
    real_tidy = storage._tidy

    def swap_then_tidy(handle: int) -> None:
        folder.rename(moved)
        folder.symlink_to(outside)
        real_tidy(handle)

    monkeypatch.setattr(storage, "_tidy", swap_then_tidy)
    result = run("assess", "--answers", write_answers(complete_answers), "--no-input",
                 "--json")
    assert result.exit_code == 0, result.output
    assert list(outside.rglob("*")) == []
    client = moved if swapped == "client folder" else moved / CLIENT
    assert sorted(p.name for p in client.iterdir()) == sorted(
        [good.name, f"{json.loads(result.stdout)['session']}.toml"])


@pytest.mark.parametrize("linked", ["client folder", "sessions folder"])
def test_a_linked_folder_is_reported_not_followed(good: Path, tmp_path: Path,
                                                  linked: str) -> None:
    sessions = good.parent.parent
    elsewhere = tmp_path / "elsewhere"
    if linked == "client folder":
        link = sessions / "AB-1"
        (elsewhere / "AB-1").mkdir(parents=True)
        (elsewhere / "AB-1" / good.name).write_bytes(good.read_bytes())
        link.symlink_to(elsewhere / "AB-1")
        shown = [good.stem]
    else:
        sessions.rename(elsewhere)
        link = sessions
        link.symlink_to(elsewhere)
        shown = []
    doc = json.loads(run("review", "--json").stdout)
    assert [s["session"] for s in doc["sessions"]] == shown
    assert doc["unreadable"] == [{"path": str(link), "reason": LINKED}]
    exported = run("export", "--all", "--format", "json")
    assert (exported.exit_code, exported.stderr) == _skipped(link, LINKED)
    if linked == "client folder":
        named = run("review", "AB-1")
        assert (named.exit_code, named.stderr) == _warned(link, LINKED)
        assert "No readable sessions" in named.stdout


def test_loose_modes_are_tightened_on_save(
        backpain_home: Path, complete_answers: dict[str, Any],
        write_answers: Callable[..., Path]) -> None:
    folder = backpain_home / "sessions" / CLIENT
    folder.mkdir(parents=True)
    for d in (backpain_home, backpain_home / "sessions", folder):
        d.chmod(0o777)
    old = folder / f"{new_session_id()}.toml"
    old.write_text("# copied in by hand\n", encoding="utf-8")
    old.chmod(0o644)
    result = run("assess", "--answers", write_answers(complete_answers), "--no-input")
    assert result.exit_code == 0, result.output
    modes = {p.name: p.stat().st_mode & 0o777
             for p in (backpain_home, backpain_home / "sessions", folder, *folder.iterdir())}
    assert modes == {backpain_home.name: 0o700, "sessions": 0o700, CLIENT: 0o700,
                     **{p.name: 0o600 for p in folder.iterdir()}}


# --------------------------------------------------------------------------- item 9


def test_a_reference_in_another_case_is_the_existing_client(
        good: Path, complete_answers: dict[str, Any], write_answers: Callable[..., Path]
        ) -> None:
    result = run("assess", "--answers", write_answers(complete_answers), "--no-input",
                 "--client", "jd-042", "--json")
    assert result.exit_code == 0, result.output
    saved = json.loads(result.stdout)
    assert saved["client"] == CLIENT
    path = good.parent / f"{saved['session']}.toml"
    assert tomllib.loads(path.read_text(encoding="utf-8"))["client"] == CLIENT
    assert result.stderr == (
        f"backpain: note: client jd-042 is the existing client {CLIENT} (references do not "
        f"depend on case); saved as {CLIENT}\nSaved session {saved['session']} to {path}\n")
    assert sorted(p.name for p in good.parent.parent.iterdir()) == [CLIENT]
    # Every command finds the client whatever the case it is given in.
    history = json.loads(run("review", "jd-042", "--json").stdout)
    assert (history["client"], len(history["sessions"])) == (CLIENT, 2)
    listing = json.loads(run("review", "--client", "Jd-042", "--json").stdout)
    assert listing["total"] == 2
    for args in (["export", "jD-042", "--format", "json"],
                 ["export", "--client", "jd-042", "--format", "csv"]):
        exported = run(*args)
        assert exported.exit_code == 0, exported.output


def test_a_follow_up_may_name_the_client_in_another_case(
        good: Path, complete_answers: dict[str, Any], write_answers: Callable[..., Path]
        ) -> None:
    result = run("assess", "--from", good.stem, "--client", "jd-042", "--answers",
                 write_answers({**complete_answers, "programme_adherence": "most_days"}),
                 "--no-input", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["client"] == CLIENT


def test_client_folders_differing_only_in_case_are_reported_and_read_as_one(
        good: Path) -> None:
    sessions = good.parent.parent
    twin = sessions / "jd-042"
    twin.mkdir()
    doc = tomllib.loads(good.read_text(encoding="utf-8"))
    doc["id"] = sid = new_session_id(doc["created"].replace(day=min(doc["created"].day + 1, 28)))
    doc["client"] = "jd-042"
    (twin / f"{sid}.toml").write_text(tomli_w.dumps(doc), encoding="utf-8")
    note = (f"backpain: warning: {twin}: the same client as {sessions / CLIENT} (client "
            "references do not depend on case); move its sessions into one folder\n")
    listing = run("review")
    assert (listing.exit_code, listing.stderr) == (0, note)
    history = run("review", CLIENT, "--json")
    assert (history.exit_code, history.stderr) == (0, note)
    assert [s["session"] for s in json.loads(history.stdout)["sessions"]] == [good.stem, sid]
    exported = run("export", "--all", "--format", "csv")
    assert (exported.exit_code, exported.stderr) == (0, note)


@pytest.mark.parametrize(("args", "message"), [
    (["review", "JD-42"], "no session or client 'JD-42' (did you mean JD-042?)"),
    (["review", "jd042"], "no session or client 'jd042' (did you mean JD-042?)"),
    (["review", "ZZ-999"], "no session or client 'ZZ-999' (run backpain review to list "
                           "sessions)"),
    (["review", "--client", "JD-42"], "no client 'JD-42' (did you mean JD-042?)"),
    (["export", "JD-42", "--format", "md"],
     "no session or client 'JD-42' (did you mean JD-042?)"),
    (["export", "--client", "JD-42", "--format", "csv"],
     "no client 'JD-42' (did you mean JD-042?)"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_an_unknown_client_suggests_the_nearest(good: Path, args: list[str],
                                                message: str) -> None:
    result = run(*args)
    assert (result.exit_code, result.stderr) == (1, f"backpain: error: {message}\n")


INVALID_DASH = ("invalid client reference '-JD': use 1 to 64 ASCII letters, digits, '-', '_' "
                "or '.', not starting with '.' or '-'")


@pytest.mark.parametrize("where", ["option", "answers file"])
def test_a_reference_starting_with_a_dash_is_refused(
        complete_answers: dict[str, Any], write_answers: Callable[..., Path],
        backpain_home: Path, where: str) -> None:
    args: list[str | Path]
    if where == "option":
        args = ["--answers", write_answers(complete_answers), "--client=-JD"]
    else:
        args = ["--answers", write_answers(complete_answers, client="-JD")]
    result = run("assess", *args, "--no-input")
    assert (result.exit_code, result.stderr) == (1, f"backpain: error: {INVALID_DASH}\n")
    assert not backpain_home.exists()
