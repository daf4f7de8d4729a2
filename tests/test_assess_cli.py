"""`backpain assess` and `backpain questionnaires` through typer's CliRunner: exit codes,
what goes to stdout and stderr, and what is (or is not) written to the data folder.

The plan's content belongs to the clinical rules and is not asserted here; only that a plan
is there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeAlias

import pytest
from helpers import invoke, list_refs
from typer.testing import Result

from backpain_cli.clinical.answers import validate
from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.questionnaire import load_registry
from backpain_cli.flows import assess
from backpain_cli.output.wording import flag_text
from backpain_cli.records.storage import read_session, save_session

WriteAnswers: TypeAlias = Callable[..., Path]

NOT_A_TERMINAL = (
    "backpain: error: answers are missing or invalid and standard input is not a terminal; "
    "give them with --answers FILE and --client, and add --no-input to list every problem "
    "instead of asking\n")
DROPPED = ("backpain: warning: ignored answers to questions not asked in this interview "
           "(hidden by an earlier answer or an instrument not included): {}\n")
BAD_REF = ("backpain: error: invalid client reference {!r}: use 1 to 64 ASCII letters, "
           "digits, '-', '_' or '.', not starting with '.' or '-'\n")
NOT_TEXT_REF = "backpain: error: invalid client reference: it must be text, e.g. \"JD-042\"\n"


run = invoke


def saved_line(result: Result) -> str:
    """The one 'Saved session' line on stderr, checked for form; returns the path."""
    [line] = [ln for ln in result.stderr.splitlines() if ln.startswith("Saved session ")]
    _, _, sid, _, path = line.split(" ", 4)
    assert Path(path).name == f"{sid}.toml"
    return path


def only_session(home: Path) -> dict[str, Any]:
    refs = list_refs(home)
    assert len(refs) == 1, refs
    return tomllib.loads(refs[0].path.read_text(encoding="utf-8"))


def assert_nothing_saved(home: Path) -> None:
    assert not (home / "sessions").exists()


# --------------------------------------------------------------------------- success


def test_a_complete_answers_file_saves_a_completed_session(
        backpain_home: Path, write_answers: WriteAnswers,
        complete_answers: dict[str, object]) -> None:
    result = run("assess", "--answers", write_answers(complete_answers), "--no-input")
    assert result.exit_code == 0, result.output
    path = Path(saved_line(result))
    assert path.parent == backpain_home / "sessions" / "JD-042"
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert (doc["client"], doc["status"], doc["schema"]) == ("JD-042", "completed", 3)
    assert "ended_early" not in doc
    assert doc["answers"] == complete_answers
    assert set(doc["questionnaires"]) == {
        "intake", "red_flags", "sleep", "activity", "diagnoses", "startback"}
    assert "triage" in doc
    assert "Plan for JD-042 — session " in result.stdout
    assert result.stderr == f"Saved session {path.stem} to {path}\n"


def test_json_prints_only_the_document_on_stdout(
        write_answers: WriteAnswers, complete_answers: dict[str, object]) -> None:
    result = run("assess", "--answers", write_answers(complete_answers), "--no-input", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    saved = Path(saved_line(result))
    assert doc["session"] == saved.stem
    assert (doc["client"], doc["status"], doc["answers"]) == (
        "JD-042", "completed", complete_answers)
    assert doc["created"].endswith("Z")
    assert {"scores", "triage", "red_flags", "recommendations"} <= set(doc)


@pytest.mark.parametrize("as_json", [False, True], ids=["plan", "json"])
def test_no_save_writes_nothing(backpain_home: Path, write_answers: WriteAnswers,
                                complete_answers: dict[str, object], as_json: bool) -> None:
    args: list[str | Path] = ["assess", "--answers", write_answers(complete_answers),
                              "--no-input", "--no-save"]
    result = run(*args, *(["--json"] if as_json else []))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert not backpain_home.exists()
    if as_json:
        assert json.loads(result.stdout)["client"] == "JD-042"
    else:
        assert "Plan for JD-042\n" in result.stdout


def test_nothing_to_ask_needs_no_terminal(write_answers: WriteAnswers,
                                          complete_answers: dict[str, object]) -> None:
    # Without --no-input, a complete file and a client leave nothing to prompt for.
    result = run("assess", "--answers", write_answers(complete_answers))
    assert result.exit_code == 0, result.output
    saved_line(result)


def test_instruments_add_their_questions(backpain_home: Path, write_answers: WriteAnswers,
                                         complete_answers: dict[str, object]) -> None:
    rmdq = {f"rmdq_{i}": i % 3 == 0 for i in range(1, 25)}
    result = run("assess", "--answers", write_answers({**complete_answers, **rmdq}),
                 "--no-input", "--instruments", " RMDQ ,", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["answers"]["rmdq_3"] is True
    doc = only_session(backpain_home)
    assert doc["instruments"] == ["rmdq"]
    assert "rmdq" in doc["questionnaires"]


# --------------------------------------------------------------------------- dropped answers


def test_answers_to_hidden_questions_are_dropped_with_a_warning(
        backpain_home: Path, write_answers: WriteAnswers,
        complete_answers: dict[str, object]) -> None:
    answers = {**complete_answers, "sleep_position": "stomach", "knee_pillow": "not checked"}
    result = run("assess", "--answers", write_answers(answers), "--no-input")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(DROPPED.format("knee_pillow"))
    assert "knee_pillow" not in only_session(backpain_home)["answers"]


def test_answers_to_instruments_not_included_are_dropped_with_a_warning(
        backpain_home: Path, write_answers: WriteAnswers,
        complete_answers: dict[str, object]) -> None:
    result = run("assess", "--answers",
                 write_answers({**complete_answers, "odi_1": 2, "rmdq_1": True}), "--no-input")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(DROPPED.format("odi_1, rmdq_1"))
    saved = only_session(backpain_home)["answers"]
    assert "odi_1" not in saved
    assert "rmdq_1" not in saved


# --------------------------------------------------------------------------- exit 3


HEAD3 = "backpain: error: the answers are incomplete or invalid ({}):\n"

# (case, change to the complete answers, client, extra top-level keys, listed problems).
# None as a value deletes that answer.
EXIT_3: list[tuple[str, dict[str, object], object, dict[str, object], list[str]]] = [
    ("missing answer", {"age": None}, "JD-042", {}, ["age: missing (required)"]),
    ("shown follow-up missing", {"exercise_types": None}, "JD-042", {},
     ["exercise_types: missing (required)"]),
    ("boolean is not an int", {"pain_now": True}, "JD-042", {},
     ["pain_now: expected a whole number"]),
    ("float is not an int", {"pain_now": 4.0}, "JD-042", {},
     ["pain_now: expected a whole number"]),
    ("out of range", {"pain_now": 11}, "JD-042", {}, ["pain_now: 11 is above the maximum 10"]),
    ("not a choice", {"sleep_position": "hammock"}, "JD-042", {},
     ["sleep_position: 'hammock' is not one of: side, back, stomach, mixed"]),
    ("none with others", {"diagnoses": ["none", "scoliosis"]}, "JD-042", {},
     ["diagnoses: 'none' cannot be combined with other choices"]),
    ("unknown id", {"zzz": 3}, "JD-042", {}, ["zzz: unknown question id"]),
    # A misspelt id: the nearest question id is suggested, and the question it was meant
    # for is not listed as missing as well.
    ("misspelt id", {"pain_now": None, "pain_nwo": 3}, "JD-042", {},
     ["pain_nwo: unknown question id (did you mean pain_now?)"]),
    ("misspelt and present", {"slep_position": "side"}, "JD-042", {},
     ["slep_position: unknown question id (did you mean sleep_position?)"]),
    ("no client", {}, None, {},
     ["client: missing (give --client or client = \"...\" in the answers file)"]),
    ("unknown top-level key", {}, "JD-042", {"pain_now": 3},
     ["pain_now: unknown top-level key (expected client and [answers])"]),
    ("everything at once", {"age": None, "pain_now": 4.0, "zzz": 1}, None, {"note": "x"},
     ["note: unknown top-level key (expected client and [answers])",
      "client: missing (give --client or client = \"...\" in the answers file)",
      "zzz: unknown question id", "pain_now: expected a whole number",
      "age: missing (required)"]),
]


@pytest.mark.parametrize(("change", "client", "top", "problems"), [c[1:] for c in EXIT_3],
                         ids=[c[0] for c in EXIT_3])
def test_no_input_lists_every_problem_and_saves_nothing(
        backpain_home: Path, write_answers: WriteAnswers, complete_answers: dict[str, object],
        change: dict[str, object], client: object, top: dict[str, object],
        problems: list[str]) -> None:
    answers = {**complete_answers, **change}
    answers = {k: v for k, v in answers.items() if v is not None}
    result = run("assess", "--answers", write_answers(answers, client=client, **top),
                 "--no-input")
    assert result.exit_code == 3, result.output
    assert result.stderr == HEAD3.format(len(problems)) + "".join(
        f"  - {p}\n" for p in problems)
    assert result.stdout == ""
    assert_nothing_saved(backpain_home)


@pytest.mark.parametrize(("text", "problem"), [
    ('client = "JD-042"\n', "answers: the [answers] table is missing"),
    ('client = "JD-042"\nanswers = "all"\n', "answers: must be a table of question id = answer"),
], ids=["missing", "not a table"])
def test_a_missing_answers_table_is_one_answer_problem(
        backpain_home: Path, tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "answers.toml"
    path.write_text(text, encoding="utf-8")
    # One problem, not one "missing" line for every question of the interview.
    result = run("assess", "--answers", path, "--no-input")
    assert result.exit_code == 3, result.output
    assert result.stderr == HEAD3.format(1) + f"  - {problem}\n"
    assert_nothing_saved(backpain_home)


def test_no_input_without_any_answers_lists_every_required_question(
        backpain_home: Path, complete_answers: dict[str, object]) -> None:
    result = run("assess", "--no-input")
    assert result.exit_code == 3, result.output
    listed = [line.removeprefix("  - ").split(":")[0] for line in result.stderr.splitlines()[1:]]
    # The follow-up questions are not listed: their conditions cannot be decided yet.
    unconditional = [k for k in complete_answers
                     if k not in ("knee_pillow", "exercise_types", "work_absence")]
    assert listed == ["client", *unconditional]
    assert_nothing_saved(backpain_home)


# --------------------------------------------------------------------------- exit 1 and 2


@pytest.mark.parametrize(("data", "message"), [
    (b'client = "JD"\n[answers]\npain_now = \n',
     "{path}: not valid TOML: Invalid value (at line 3, column 12)"),
    (b'client = "JD"\n[answers]\nonset = "gr\xe4dual"\n', "{path}: line 3: not UTF-8 text"),
], ids=["toml", "utf-8"])
def test_an_unreadable_answers_file_is_exit_1(backpain_home: Path, tmp_path: Path, data: bytes,
                                              message: str) -> None:
    path = tmp_path / "answers.toml"
    path.write_bytes(data)
    result = run("assess", "--answers", path, "--no-input")
    assert result.exit_code == 1, result.output
    assert result.stderr == "backpain: error: " + message.format(path=path) + "\n"
    assert_nothing_saved(backpain_home)


def test_a_missing_answers_file_is_exit_1(tmp_path: Path) -> None:
    result = run("assess", "--answers", tmp_path / "nope.toml", "--no-input")
    assert result.exit_code == 1, result.output
    assert result.stderr == f"backpain: error: {tmp_path / 'nope.toml'}: no such file\n"


# (--client, client in the file, stderr or the folder the session is saved in).
CLIENT_CASES: list[tuple[str | None, object, str]] = [
    (None, "../x", BAD_REF.format("../x")),
    (None, "a/b", BAD_REF.format("a/b")),
    (None, ".hidden", BAD_REF.format(".hidden")),
    (None, "x" * 65, BAD_REF.format("x" * 65)),
    (None, "Zoë", BAD_REF.format("Zoë")),
    (None, 42, NOT_TEXT_REF),
    ("../x", "JD-042", BAD_REF.format("../x")),
    ("CLI-1", "FILE-1", "CLI-1"),
    ("CLI-1", 42, "CLI-1"),
    ("CLI-1", "../x", "CLI-1"),
]


@pytest.mark.parametrize(("flag", "in_file", "outcome"), CLIENT_CASES,
                         ids=[f"{f}-{v!r}" for f, v, _ in CLIENT_CASES])
def test_the_client_reference_in_use_is_checked_first(
        backpain_home: Path, tmp_path: Path, write_answers: WriteAnswers,
        complete_answers: dict[str, object], flag: str | None, in_file: object,
        outcome: str) -> None:
    # An invalid answer too: a bad reference must win (exit 1, not 3).
    answers = {**complete_answers, "pain_now": 99} if outcome.startswith("backpain") \
        else complete_answers
    args: list[str | Path] = ["assess", "--answers", write_answers(answers, client=in_file),
                              "--no-input"]
    result = run(*args, *(["--client", flag] if flag else []))
    if outcome.startswith("backpain"):
        assert result.exit_code == 1, result.output
        assert result.stderr == outcome
        assert_nothing_saved(backpain_home)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.toml"]
    else:
        assert result.exit_code == 0, result.output
        assert Path(saved_line(result)).parent.name == outcome


@pytest.mark.parametrize(("value", "message"), [
    ("nprs", "unknown instrument nprs; choose from odi, rmdq"),
    ("odi,startback", "unknown instrument startback; choose from odi, rmdq"),
], ids=["unknown", "not optional"])
def test_an_unknown_instrument_is_wrong_usage(backpain_home: Path, value: str,
                                              message: str) -> None:
    result = run("assess", "--instruments", value, "--no-input")
    assert result.exit_code == 2, result.output
    assert result.stderr == f"backpain: usage error: --instruments: {message}\n"
    assert_nothing_saved(backpain_home)


def test_an_unknown_option_is_wrong_usage() -> None:
    result = run("assess", "--colour")
    assert result.exit_code == 2, result.output
    # click's own usage errors are restyled as ours (tests/test_shell_conventions.py).
    assert result.stderr == "backpain: usage error: no such option: --colour\n"


# --------------------------------------------------------------------------- no terminal


def test_missing_answers_without_a_terminal_say_what_to_do(
        backpain_home: Path, write_answers: WriteAnswers,
        complete_answers: dict[str, object]) -> None:
    del complete_answers["age"]
    result = run("assess", "--answers", write_answers(complete_answers))
    assert result.exit_code == 1, result.output
    assert result.stderr == NOT_A_TERMINAL
    assert_nothing_saved(backpain_home)


@pytest.mark.parametrize(("change", "client"), [
    ({}, None),
    ({"pain_now": 4.0}, "JD-042"),
    ({"sleep_position": "hammock", "typo": 1}, "JD-042"),
], ids=["no client", "invalid answer", "invalid and unknown"])
def test_anything_to_ask_without_a_terminal_is_the_same_one_line(
        backpain_home: Path, write_answers: WriteAnswers, complete_answers: dict[str, object],
        change: dict[str, object], client: str | None) -> None:
    # Not "it will be asked again": nothing can be asked.
    result = run("assess", "--answers",
                 write_answers({**complete_answers, **change}, client=client))
    assert result.exit_code == 1, result.output
    assert result.stderr == NOT_A_TERMINAL
    assert_nothing_saved(backpain_home)


def test_demo_runs_a_complete_interview_without_typing(backpain_home: Path) -> None:
    result = run("assess", "--demo", "--no-save", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "completed"
    assert not backpain_home.exists()


@pytest.mark.parametrize("extra", [(), ("--json",)], ids=["plan", "json"])
def test_demo_saves_nothing_unless_asked(backpain_home: Path, extra: tuple[str, ...]) -> None:
    # Issue 17: the demo's sample client DEMO-001 went into the real data folder, where
    # review --due, the audit export and the outcome figures counted it.
    result = run("assess", "--demo", *extra)
    assert result.exit_code == 0, result.output
    assert result.stderr == "Demo: nothing saved (add --save to save it to the data folder).\n"
    assert "DEMO-001" in result.stdout
    assert not backpain_home.exists()


def test_the_demo_plan_is_not_based_on_a_pregnancy(backpain_home: Path) -> None:
    # Issue 17: `assess --demo --no-save | grep "because:.*pregnancy"` showed three lines
    # for a client who answered pregnancy = "no".
    result = run("assess", "--demo", "--no-save")
    assert result.exit_code == 0, result.output
    because = [line for line in result.stdout.splitlines() if "because:" in line]
    assert len(because) >= 12 and not [line for line in because if "pregnancy" in line]


def test_demo_with_save_saves_and_says_where(backpain_home: Path) -> None:
    result = run("assess", "--demo", "--save")
    assert result.exit_code == 0, result.output
    [ref] = list_refs()
    assert ref.client == "DEMO-001"
    assert result.stderr == f"Saved session {ref.id} to {ref.path}\n"


def test_save_is_the_default_outside_the_demo(backpain_home: Path,
                                              write_answers: WriteAnswers,
                                              complete_answers: dict[str, Any]) -> None:
    result = run("assess", "--answers", write_answers(complete_answers), "--no-input",
                 "--save")
    assert result.exit_code == 0, result.output
    assert len(list_refs()) == 1
    result = run("assess", "--answers", write_answers(complete_answers), "--no-input",
                 "--no-save")
    assert result.exit_code == 0, result.output
    assert len(list_refs()) == 1


def test_demo_takes_no_answers_of_its_own(write_answers: WriteAnswers) -> None:
    result = run("assess", "--demo", "--answers", write_answers({}))
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "backpain: usage error: --demo cannot be combined with --answers, --resume or --from\n")


def test_the_installed_command_never_hangs_without_a_terminal(backpain_home: Path) -> None:
    # The real process with stdin closed: a prompt would block until the timeout.
    backpain = Path(sys.executable).parent / "backpain"
    proc = subprocess.run([str(backpain), "assess", "--client", "JD"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=30, check=False,
                          env={**os.environ, "BACKPAIN_HOME": str(backpain_home)})
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == NOT_A_TERMINAL
    assert proc.stdout == ""
    assert_nothing_saved(backpain_home)


# --------------------------------------------------------------------------- resume and from


def save_draft(answers: Mapping[str, object], client: str = "JD-042") -> str:
    """A draft as the interview leaves it on Ctrl-C, made by the same domain code."""
    registry = load_registry(None)
    st = assess.start(registry, client=client, answers_file=None, instruments=None)
    kept = validate(st.modules, answers).answers
    session, _ = save_session(assess.draft(st, client, dict(kept), set()), new=True)
    return session.id


def test_resume_completes_the_draft_in_place(backpain_home: Path, write_answers: WriteAnswers,
                                             complete_answers: dict[str, object]) -> None:
    first_half = dict(list(complete_answers.items())[:20])
    sid = save_draft(first_half)
    rest = {k: v for k, v in complete_answers.items() if k not in first_half}
    result = run("assess", "--resume", sid[:17], "--answers", write_answers(rest, client=None),
                 "--no-input", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["session"], doc["status"], doc["answers"]) == (sid, "completed",
                                                               complete_answers)
    # The draft's file became the completed session: no second file.
    assert [r.id for r in list_refs(backpain_home)] == [sid]
    assert only_session(backpain_home)["status"] == "completed"


def test_resume_under_no_input_lists_what_is_still_missing(
        backpain_home: Path, complete_answers: dict[str, object]) -> None:
    answers = dict(complete_answers)
    del answers["sbst_9"]
    sid = save_draft(answers)
    result = run("assess", "--resume", sid, "--no-input")
    assert result.exit_code == 3, result.output
    assert result.stderr == HEAD3.format(1) + "  - sbst_9: missing (required)\n"
    assert only_session(backpain_home)["status"] == "draft"


def test_resume_refuses_a_completed_session(write_answers: WriteAnswers,
                                            complete_answers: dict[str, object]) -> None:
    done = run("assess", "--answers", write_answers(complete_answers), "--no-input")
    sid = Path(saved_line(done)).stem
    result = run("assess", "--resume", sid, "--no-input")
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"backpain: error: session {sid} is already completed; use "
                             f"--from {sid} for a follow-up visit\n")


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--resume", "2099"], 1, "no session with id '2099'"),
    (["--from", "2099"], 1, "no session with id '2099'"),
    (["--resume", "a", "--from", "b"], 2, "--resume and --from cannot be used together"),
], ids=["resume", "from", "both"])
def test_resume_and_from_errors(args: list[str], code: int, message: str) -> None:
    result = run("assess", *args, "--no-input")
    assert result.exit_code == code, result.output
    kind = "usage error" if code == 2 else "error"
    assert result.stderr == f"backpain: {kind}: {message}\n"


# The previous visit's plan gave a programme: a follow-up's file says how often it was done.
ADHERENCE = {"programme_adherence": "some_days"}


def test_from_records_the_previous_session(backpain_home: Path, write_answers: WriteAnswers,
                                           complete_answers: dict[str, object]) -> None:
    first = run("assess", "--answers", write_answers(complete_answers), "--no-input")
    previous = Path(saved_line(first)).stem
    result = run("assess", "--from", previous, "--answers",
                 write_answers({**complete_answers, "pain_now": 2, **ADHERENCE}, client=None,
                               name="visit2.toml"), "--no-input", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["follows"], doc["client"], doc["answers"]["pain_now"]) == (previous, "JD-042", 2)
    [ref] = [r for r in list_refs(backpain_home) if r.id == doc["session"]]
    assert read_session(ref.path).follows == previous


# Issue 19, item 7: a follow-up from an answers file takes the previous visit's answer for
# every question that is not asked afresh (the clinical reference, "The interview and clinical
# safety").


def _fresh_only(answers: Mapping[str, object]) -> dict[str, object]:
    """The answers of the questions a follow-up asks afresh (red flags, pregnancy, NPRS,
    STarT Back, and how often the previous visit's programme was done): what a follow-up's
    answers file must give."""
    questions = load_registry(None).questions()
    return {**{k: v for k, v in answers.items() if questions[k].fresh_each_visit},
            **ADHERENCE}


def _first_visit(write_answers: WriteAnswers, answers: Mapping[str, object]) -> str:
    first = run("assess", "--answers", write_answers(answers, name="visit1.toml"),
                "--no-input")
    assert first.exit_code == 0, first.output
    return Path(saved_line(first)).stem


def test_a_follow_up_from_a_file_takes_the_previous_answers(
        write_answers: WriteAnswers, complete_answers: dict[str, object]) -> None:
    previous = _first_visit(write_answers, {**complete_answers, "exercise_days": 3,
                                            "exercise_types": ["swimming"]})
    fresh = {**_fresh_only(complete_answers), "pain_now": 1}
    result = run("assess", "--from", previous, "--answers",
                 write_answers({**fresh, "sitting_hours": 9}, client=None, name="visit2.toml"),
                 "--no-input", "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Saved session "), result.stderr
    doc = json.loads(result.stdout)
    want = {**complete_answers, "exercise_days": 3, "exercise_types": ["swimming"],
            "pain_now": 1, "sitting_hours": 9, **ADHERENCE}
    assert doc["answers"] == want
    assert doc["follows"] == previous


def test_a_previous_answer_hidden_today_is_not_used_and_not_warned_about(
        write_answers: WriteAnswers, complete_answers: dict[str, object]) -> None:
    previous = _first_visit(write_answers, {**complete_answers, "exercise_days": 3,
                                            "exercise_types": ["swimming"]})
    result = run("assess", "--from", previous, "--answers",
                 write_answers({**_fresh_only(complete_answers), "exercise_days": 0},
                               client=None, name="visit2.toml"), "--no-input", "--json")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr, result.stderr
    answers = json.loads(result.stdout)["answers"]
    assert answers["exercise_days"] == 0 and "exercise_types" not in answers


def test_a_follow_up_file_must_give_the_questions_asked_afresh(
        write_answers: WriteAnswers, complete_answers: dict[str, object]) -> None:
    previous = _first_visit(write_answers, complete_answers)
    fresh = _fresh_only(complete_answers)
    left_out = [k for k in fresh if k in ("pain_now", "sbst_3", "programme_adherence")]
    result = run("assess", "--from", previous, "--answers",
                 write_answers({k: v for k, v in fresh.items() if k not in left_out},
                               client=None, name="visit2.toml"), "--no-input")
    assert result.exit_code == 3, result.output
    listed = "".join(f"  - {k}: missing (required)\n" for k in left_out)
    assert result.stderr == (f"backpain: error: the answers are incomplete or invalid "
                             f"({len(left_out)}):\n{listed}")


def test_a_previous_answer_no_longer_valid_today_is_not_taken(
        complete_answers: dict[str, object]) -> None:
    # As an older or a practitioner's questionnaire could leave it: a value today's
    # question does not allow is not carried over, so the question is missing.
    modules = load_registry(None).select(())
    fresh = _fresh_only(complete_answers)
    previous: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                for k, v in complete_answers.items() if k not in fresh}
    merged = assess.with_previous_answers(
        modules, fresh, {**previous, "mattress_age_years": 99, "sleep_position": "hammock"})
    assert "mattress_age_years" not in merged and "sleep_position" not in merged
    assert merged["pillow_height"] == complete_answers["pillow_height"]
    result = validate(modules, merged)
    assert set(result.missing) == {"mattress_age_years", "sleep_position"}
    # knee_pillow reads sleep_position: with it missing, knee_pillow is not decided, so it
    # is neither taken from the previous visit nor required.
    assert "knee_pillow" not in merged and "knee_pillow" not in result.missing


# --------------------------------------------------------------------------- questionnaires


HABITS = """\
id = "habits"
version = "3"
title = "Habits"
order = 95

[[questions]]
id = "smokes"
type = "yesno"
text = "Does the client smoke?"
"""


def user_folder(home: Path) -> Path:
    folder = home / "questionnaires"
    folder.mkdir(parents=True)
    return folder


def test_a_user_module_joins_the_interview(backpain_home: Path, write_answers: WriteAnswers,
                                           complete_answers: dict[str, object]) -> None:
    (user_folder(backpain_home) / "habits.toml").write_text(HABITS, encoding="utf-8")
    missing = run("assess", "--answers", write_answers(complete_answers), "--no-input")
    assert missing.exit_code == 3, missing.output
    assert missing.stderr == HEAD3.format(1) + "  - smokes: missing (required)\n"
    result = run("assess", "--answers",
                 write_answers({**complete_answers, "smokes": True}), "--no-input")
    assert result.exit_code == 0, result.output
    doc = only_session(backpain_home)
    assert doc["answers"]["smokes"] is True
    assert doc["questionnaires"]["habits"]["version"] == "3"


def test_a_user_module_replaces_the_shipped_one(backpain_home: Path, write_answers: WriteAnswers,
                                                complete_answers: dict[str, object]) -> None:
    # The same id and questions as the shipped sleep module, in the practitioner's words
    # and without the condition on knee_pillow.
    shipped = load_registry(None).module("sleep")
    lines = [f'id = "sleep"\nversion = "mine"\ntitle = "Sleep"\norder = {shipped.order}\n']
    for q in shipped.questions:
        lines.append(f'[[questions]]\nid = "{q.id}"\ntype = "{q.type}"\ntext = "My {q.id}?"\n')
        if q.choices:
            lines.append("choices = [" + ", ".join(
                f'{{ value = "{c.value}", label = "{c.label}" }}' for c in q.choices) + "]\n")
        if q.type == "int":
            lines.append(f"min = {q.min}\nmax = {q.max}\n")
    (user_folder(backpain_home) / "my-sleep.toml").write_text("".join(lines), encoding="utf-8")

    listed = run("questionnaires", "list", "--json")
    assert listed.exit_code == 0, listed.output
    [sleep] = [row for row in json.loads(listed.stdout) if row["id"] == "sleep"]
    assert sleep == {"id": "sleep", "version": "mine", "title": "Sleep",
                     "questions": len(shipped.questions), "optional": False, "followup": False,
                     "source": str(backpain_home / "questionnaires" / "my-sleep.toml"),
                     "description": None}

    # Stomach sleepers are asked about a knee pillow now: the shipped condition is gone.
    answers = {**complete_answers, "sleep_position": "stomach", "knee_pillow": True}
    result = run("assess", "--answers", write_answers(answers), "--no-input")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    doc = only_session(backpain_home)
    assert doc["questionnaires"]["sleep"]["version"] == "mine"
    assert doc["answers"]["knee_pillow"] is True


def test_questionnaires_list_shows_every_module() -> None:
    result = run("questionnaires", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["id"], r["optional"], r["source"]) for r in rows] == [
        ("intake", False, "shipped"), ("red_flags", False, "shipped"),
        ("sleep", False, "shipped"), ("activity", False, "shipped"),
        ("diagnoses", False, "shipped"), ("startback", False, "shipped"),
        ("odi", True, "shipped"), ("rmdq", True, "shipped"), ("followup", False, "shipped")]
    assert [r["id"] for r in rows if r["followup"]] == ["followup"]
    assert all(r["questions"] > 0 and r["version"] for r in rows)
    table = run("questionnaires", "list")
    assert table.exit_code == 0, table.output
    assert "Questionnaire modules (clinical content version 3)" in table.stdout
    assert "at a follow-up after a programme" in table.stdout
    for r in rows:
        assert f"│ {r['id']} " in table.stdout
    # The source and licence notes the interview leaves out are shown here.
    startback = load_registry(None).module("startback")
    assert [r["description"] for r in rows if r["id"] == "startback"] == [
        startback.description]
    assert startback.description is not None and "©" in startback.description
    assert " ".join(f"startback: {startback.description}".split()) in " ".join(
        table.stdout.split())


def test_questionnaires_check_passes_on_the_shipped_modules() -> None:
    registry = load_registry(None)
    result = run("questionnaires", "check")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"ok: {len(registry.modules)} modules, "
        f"{sum(len(m.questions) for m in registry.modules)} questions\n")


BROKEN_A = """\
id = "broken_a"
version = "1"
title = "A"
order = 200

[[questions]]
id = "q1"
type = "int"
text = "Q1?"
min = 5
max = 1

[[questions]]
id = "q2"
type = "choice"
text = "Q2?"
"""

BROKEN_B = """\
id = "broken_b"
version = "1"
title = "B"
order = 210

[[questions]]
id = "age"
type = "yesno"
text = "Again?"

[[questions]]
id = "q3"
type = "yesno"
text = "Q3?"
[questions.when]
all = [{ question = "q9", operator = "=", value = true }]
"""


def test_questionnaires_check_reports_file_question_and_reason(tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(BROKEN_A, encoding="utf-8")
    b.write_text(BROKEN_B, encoding="utf-8")
    result = run("questionnaires", "check", a, b)
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        "backpain: error: invalid questionnaire (4):\n"
        f"  - {a}: q1: min 5 is greater than max 1\n"
        f"  - {a}: q2: choices missing (a non-empty list is required)\n"
        f"  - {b}: age: duplicate question id (also in questionnaires/intake.toml)\n"
        f"  - {b}: q3: when refers to unknown question 'q9'\n")


def test_questionnaires_check_json(tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(BROKEN_A, encoding="utf-8")
    b.write_text(BROKEN_B, encoding="utf-8")
    result = run("questionnaires", "check", a, b, "--json")
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        "backpain: error: invalid questionnaire (4 problems, listed in the JSON)\n")
    assert json.loads(result.stdout) == {
        "valid": False, "modules": None, "questions": None, "problems": [
            {"where": f"{a}: q1", "reason": "min 5 is greater than max 1"},
            {"where": f"{a}: q2", "reason": "choices missing (a non-empty list is required)"},
            {"where": f"{b}: age", "reason": "duplicate question id (also in "
                                             "questionnaires/intake.toml)"},
            {"where": f"{b}: q3", "reason": "when refers to unknown question 'q9'"}]}
    registry = load_registry(None)
    result = run("questionnaires", "check", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {
        "valid": True, "modules": len(registry.modules),
        "questions": sum(len(m.questions) for m in registry.modules), "problems": []}


def test_questionnaires_check_reports_bad_interview_keys(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('id = "m"\nversion = "1"\ntitle = "M"\norder = 300\nintro = 3\n'
                    'fresh_each_visit = "yes"\n[[questions]]\nid = "q"\ntype = "yesno"\n'
                    'text = "Q?"\nfresh_each_visit = 1\n', encoding="utf-8")
    result = run("questionnaires", "check", path)
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        "backpain: error: invalid questionnaire (3):\n"
        f"  - {path}: intro must be a non-empty string\n"
        f"  - {path}: fresh_each_visit must be true or false\n"
        f"  - {path}: q: fresh_each_visit must be true or false\n")


def test_a_valid_extra_file_checks_clean(tmp_path: Path) -> None:
    path = tmp_path / "habits.toml"
    path.write_text(HABITS, encoding="utf-8")
    result = run("questionnaires", "check", path)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"ok: {len(load_registry(None).modules) + 1} modules, ")


def test_a_broken_user_module_stops_assess_with_the_reason(backpain_home: Path) -> None:
    bad = user_folder(backpain_home) / "a.toml"
    bad.write_text(BROKEN_A, encoding="utf-8")
    expected = (
        "backpain: error: invalid questionnaire (2):\n"
        f"  - {bad}: q1: min 5 is greater than max 1\n"
        f"  - {bad}: q2: choices missing (a non-empty list is required)\n")
    for args in (["assess", "--no-input"], ["questionnaires", "check"],
                 ["questionnaires", "list"]):
        result = run(*args)
        assert result.exit_code == 1, result.output
        assert result.stderr == expected


def test_from_refuses_a_draft_and_points_to_resume(complete_answers: dict[str, object]) -> None:
    answers = dict(complete_answers)
    del answers["sbst_9"]
    sid = save_draft(answers)
    result = run("assess", "--from", sid, "--no-input")
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"backpain: error: session {sid} is an unfinished draft; "
                             f"continue it with backpain assess --resume {sid}\n")


def test_from_refuses_another_clients_session(backpain_home: Path, write_answers: WriteAnswers,
                                              complete_answers: dict[str, object]) -> None:
    first = run("assess", "--answers", write_answers(complete_answers), "--no-input")
    previous = Path(saved_line(first)).stem
    result = run("assess", "--from", previous, "--client", "ZZ-1", "--no-input")
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"backpain: usage error: session {previous} belongs to client "
                             "JD-042, not ZZ-1\n")
    assert len(list_refs(backpain_home)) == 1


# --------------------------------------------------------------------------- emergency


REFERRAL_HEAD = "EMERGENCY — SAME-DAY EMERGENCY CARE\n"

# (case, answers given, the flags listed with their tiers). Nothing else is answered: once an
# emergency-tier sign is yes, no other question is required (the clinical reference).
EMERGENCY_FILES: list[tuple[str, dict[str, object], list[tuple[str, str]]]] = [
    ("saddle numbness", {"rf_saddle_numbness": True},
     [("rf_saddle_numbness", "emergency")]),
    ("chest symptoms", {"rf_chest_symptoms": True}, [("rf_chest_symptoms", "emergency")]),
    ("sexual function", {"rf_sexual_dysfunction": True},
     [("rf_sexual_dysfunction", "emergency")]),
    ("fever with a weak immune system", {"rf_fever": True, "rf_immunosuppressed": True},
     [("rf_fever", "emergency"), ("rf_immunosuppressed", "emergency")]),
    ("fever after a spinal procedure", {"rf_fever": True, "rf_recent_procedure": True},
     [("rf_fever", "emergency"), ("rf_recent_procedure", "emergency")]),
    ("fever in pregnancy", {"pregnancy": "pregnant", "pregnancy_weeks": 30, "rf_fever": True},
     [("rf_fever", "emergency")]),
    ("pregnancy warning signs",
     {"pregnancy": "pregnant", "pregnancy_weeks": 30, "rf_pregnancy_warning": True},
     [("rf_pregnancy_warning", "emergency")]),
    # Every sign answered yes is listed, emergency or not, in the table's order.
    ("with urgent signs", {"rf_trauma": True, "rf_bladder_bowel": True},
     [("rf_bladder_bowel", "emergency"), ("rf_trauma", "urgent")]),
    # v3, T3: a past cancer with a nerve sign is itself an emergency.
    ("cancer with a nerve sign", {"rf_cancer_history": True, "rf_bladder_bowel": True},
     [("rf_bladder_bowel", "emergency"), ("rf_cancer_history", "emergency")]),
]


@pytest.mark.parametrize(("given", "flags"), [c[1:] for c in EMERGENCY_FILES],
                         ids=[c[0] for c in EMERGENCY_FILES])
def test_an_emergency_sign_in_an_answers_file_needs_no_other_answer(
        backpain_home: Path, write_answers: WriteAnswers, given: dict[str, object],
        flags: list[tuple[str, str]]) -> None:
    result = run("assess", "--answers", write_answers(given), "--no-input", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["status"], doc["triage"], doc["ended_early"]) == (
        "completed", "emergency", "emergency")
    assert [(f["id"], f["tier"]) for f in doc["red_flags"]] == flags
    assert [r["id"] for r in doc["recommendations"]] == ["medical.emergency_referral"]
    assert "reassess_weeks" not in doc
    saved = only_session(backpain_home)
    assert (saved["answers"], saved["ended_early"]) == (given, "emergency")


@pytest.mark.parametrize("given", [
    {"rf_fever": True},
    {"rf_pregnancy_warning": True},  # not counted unless pregnant (guardrail 14)
    {"pregnancy": "no", "rf_pregnancy_warning": True},
], ids=["urgent only", "pregnancy sign, pregnancy unknown", "pregnancy sign, not pregnant"])
def test_without_an_emergency_sign_every_question_is_required(
        backpain_home: Path, write_answers: WriteAnswers, given: dict[str, object]) -> None:
    result = run("assess", "--answers", write_answers(given), "--no-input")
    assert result.exit_code == 3, result.output
    assert "  - age: missing (required)\n" in result.stderr
    assert "EMERGENCY" not in result.stderr
    assert_nothing_saved(backpain_home)


def test_a_complete_file_with_an_emergency_sign_did_not_end_early(
        backpain_home: Path, write_answers: WriteAnswers,
        complete_answers: dict[str, object]) -> None:
    answers = {**complete_answers, "rf_leg_weakness": True}
    result = run("assess", "--answers", write_answers(answers), "--no-input", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["triage"], "ended_early" in doc) == ("emergency", False)
    assert doc["answers"] == answers


def test_invalid_answers_with_an_emergency_sign_put_the_referral_first(
        backpain_home: Path, write_answers: WriteAnswers) -> None:
    given = {"rf_saddle_numbness": True, "pain_now": 11, "zzz": 1}
    result = run("assess", "--answers", write_answers(given), "--no-input")
    assert result.exit_code == 3, result.output
    referral, problems = result.stderr.split("\n\n")
    # The referral is the emergency plan's own text for the valid answers, the sign named
    # in words.
    [rec] = build_plan({"rf_saddle_numbness": True}).recommendations
    assert referral.startswith(REFERRAL_HEAD)
    assert " ".join(referral.split()) == " ".join(
        f"{REFERRAL_HEAD} Emergency sign: {flag_text('rf_saddle_numbness')}. "
        f"{rec.title}: {rec.detail}".split())
    assert problems == HEAD3.format(2) + ("  - zzz: unknown question id\n"
                                          "  - pain_now: 11 is above the maximum 10\n")
    assert result.stdout == ""
    assert_nothing_saved(backpain_home)


def test_the_emergency_referral_comes_first_without_a_terminal_too(
        backpain_home: Path, write_answers: WriteAnswers) -> None:
    # Not --no-input, but nothing to ask on: an invalid answer would need a prompt.
    result = run("assess", "--answers",
                 write_answers({"rf_both_legs": True, "pain_now": 11}))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(REFERRAL_HEAD)
    assert result.stderr.endswith("\n\n" + NOT_A_TERMINAL)
    assert_nothing_saved(backpain_home)


def test_an_emergency_file_without_a_terminal_is_not_asked_the_rest(
        backpain_home: Path, write_answers: WriteAnswers) -> None:
    result = run("assess", "--answers", write_answers({"rf_both_legs": True}))
    assert result.exit_code == 0, result.output
    assert only_session(backpain_home)["ended_early"] == "emergency"


def test_the_plan_names_warning_signs_in_words(write_answers: WriteAnswers,
                                               complete_answers: dict[str, object]) -> None:
    answers = {**complete_answers, "rf_cancer_history": True, "rf_trauma": True,
               "risk_team_aware": False}
    result = run("assess", "--answers", write_answers(answers), "--no-input", "--no-save")
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert (f"Red flags: {flag_text('rf_cancer_history')} (urgent); "
            f"{flag_text('rf_trauma')} (urgent)") in out
    assert "rf_cancer_history (urgent)" not in out


# --------------------------------------------------------------------------- --discard


def test_discard_with_yes_deletes_a_draft(backpain_home: Path,
                                          complete_answers: dict[str, object]) -> None:
    sid = save_draft(dict(list(complete_answers.items())[:5]))
    [ref] = list_refs(backpain_home)
    result = run("assess", "--discard", sid[:18], "--yes")
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Deleted draft {sid} ({ref.path})\n"
    assert not ref.path.exists()
    assert list_refs(backpain_home) == []


def test_discard_refuses_a_completed_session(backpain_home: Path, write_answers: WriteAnswers,
                                             complete_answers: dict[str, object]) -> None:
    done = run("assess", "--answers", write_answers(complete_answers), "--no-input")
    sid = Path(saved_line(done)).stem
    result = run("assess", "--discard", sid, "--yes")
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"backpain: error: session {sid} is completed, not a draft; "
                             "completed sessions are kept (only drafts can be discarded)\n")
    assert len(list_refs(backpain_home)) == 1


def test_discard_without_a_terminal_needs_yes(backpain_home: Path,
                                              complete_answers: dict[str, object]) -> None:
    sid = save_draft(dict(list(complete_answers.items())[:5]))
    result = run("assess", "--discard", sid)
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        "backpain: error: standard input is not a terminal, so the deletion cannot be "
        "confirmed; add --yes to delete the draft without asking\n")
    assert len(list_refs(backpain_home)) == 1


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--discard", "2099", "--yes"], 1, "no session with id '2099'"),
    (["--discard", "2099", "--client", "JD", "--no-input"], 2,
     "--discard cannot be combined with --client, --no-input"),
    (["--yes"], 2, "--yes goes with --discard only"),
], ids=["unknown", "combined", "yes alone"])
def test_discard_errors(args: list[str], code: int, message: str) -> None:
    result = run("assess", *args)
    assert result.exit_code == code, result.output
    kind = "usage error" if code == 2 else "error"
    assert result.stderr == f"backpain: {kind}: {message}\n"
