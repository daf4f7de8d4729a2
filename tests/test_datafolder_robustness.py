"""Issue 9: nothing in the data folder or on the command line can crash, hang or silently
drop a session.

A session file that is not what backpain writes (a required field missing or of the wrong
type, a value outside what CLINICAL.md allows, TOML nested past the parser's recursion, a
FIFO, a device, a link, a huge file) is *unreadable* with its path and reason, the same way
in every command that meets it, and never hides the readable sessions beside it. Answers
files and questionnaire files get the same reader. Anything that could block runs in a
subprocess with a timeout, so a regression fails the test instead of hanging the suite.
"""

from __future__ import annotations

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
from typer.testing import CliRunner, Result

from backpain_cli.cli import app
from backpain_cli.storage import new_session_id, sessions_dir

CLIENT = "JD-042"
SKIPPED_ONE = ("backpain: error: 1 session file could not be read and was skipped "
               "(named above)\n")
# About 1 KB that takes tomllib past the interpreter's recursion limit (issue 9 item 3).
DEEP_ARRAY = b"x = " + b"[" * 500 + b"]" * 500 + b"\n"
DEEP_TABLE = b"x = " + b"{a = " * 500 + b"1" + b"}" * 500 + b"\n"
DEEP_REASON = "arrays or tables nested too deeply"
TIMEOUT = 60


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], prog_name="backpain")


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
]
BAD_FILES: list[tuple[str, bytes | Callable[[dict[str, Any]], None], str]] = [
    ("no triage", drop("triage"), "missing field 'triage'"),
    ("triage not in the spec", put("triage", "maybe"), "unknown triage 'maybe'"),
    ("NPRS 99 in answers", answer("pain_now", 99),
     "answer 'pain_now' does not fit its question: 99 is above the maximum 10"),
    ("deeply nested array", DEEP_ARRAY, f"not valid TOML ({DEEP_REASON})"),
    ("deeply nested table", DEEP_TABLE, f"not valid TOML ({DEEP_REASON})"),
    ("over 1 MB", b"# padding\n" * 100_001, "too large (over 1 MB)"),
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
        assert good.stem in result.stdout or "Back-care plan" in result.stdout, result.output
    assert bad.read_bytes() == content if isinstance(content, bytes) else True


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
