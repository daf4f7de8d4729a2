"""End-to-end: the installed `backpain` in a real pseudo-terminal, driven by keystrokes.

These are the only tests that see what a practitioner sees: questionary on a real terminal,
Ctrl-C as a key, the draft message, and a resumed interview in a new process."""

from __future__ import annotations

import io
import os
import re
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeAlias

import pexpect
import pytest
from helpers import keep_the_handout, list_refs

from backpain_cli.clinical.questionnaire import Question, Registry, load_registry

RawAnswer: TypeAlias = bool | int | str | list[str]
KeysFor: TypeAlias = Callable[[Question, RawAnswer], str]

pytestmark = pytest.mark.pty

BACKPAIN = Path(sys.executable).parent / "backpain"
CTRL_C = "\x03"
# Generous for a slow CI machine; a passing run waits far less.
TIMEOUT = 20



@pytest.fixture
def spawn(backpain_home: Path) -> Iterator[Callable[..., Any]]:
    children: list[Any] = []
    env = {
        **os.environ,
        "BACKPAIN_HOME": str(backpain_home),
        "TERM": "xterm",
        "NO_COLOR": "1",
        # pexpect does not answer prompt_toolkit's cursor-position queries; without this
        # every prompt waits for the reply and then prints a warning.
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }

    def start(*args: str) -> Any:
        child = pexpect.spawn(str(BACKPAIN), list(args), env=env, dimensions=(24, 100),
                              encoding="utf-8", codec_errors="replace", timeout=TIMEOUT)
        # Each send waits for its prompt first, so pexpect's default pause is not needed.
        child.delaybeforesend = None
        # The whole transcript, for assertions on what was (not) shown.
        child.logfile_read = io.StringIO()
        children.append(child)
        return child

    yield start
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def answer(child: Any, registry: Registry, keys_for: KeysFor,
           answers: Mapping[str, RawAnswer]) -> None:
    """Wait for each question's prompt, in order, and type its answer."""
    questions = registry.questions()
    for qid, value in answers.items():
        q = questions[qid]
        # A prefix: long questions wrap at 100 columns.
        child.expect(re.escape(q.text[:60]))
        child.send(keys_for(q, value))


def finished(child: Any) -> str:
    """Wait for the process to end; the whole transcript of the terminal."""
    child.expect(pexpect.EOF)
    child.close()
    return str(child.logfile_read.getvalue())


def test_a_full_interactive_interview(
        spawn: Callable[..., Any], registry: Registry, keys_for: KeysFor,
        complete_answers: dict[str, RawAnswer], backpain_home: Path) -> None:
    # 0 typed at a number prompt is saved as 0 (the issue: 10 after a remembered 1).
    complete_answers = {**complete_answers, "pain_now": 0}
    child = spawn("assess")
    child.expect(re.escape("Client reference (initials or practice ID)?"))
    # A reference that could leave the data folder is refused at the prompt.
    child.send("../x\r")
    child.expect(re.escape("invalid client reference '../x'"))
    child.send("\x7f" * 4 + "JD-042\r")
    # Before the first question: how long, and that Ctrl-C keeps a draft.
    child.expect(r"About \d+ questions\. Ctrl-C saves a draft that you can resume later\.")
    child.expect(r"── About the pain — questions 1–\d+ of about \d+ ──")
    # A number that is not one is explained and asked again, in place.
    child.expect(re.escape("How old is the client? (12–110)"))
    child.send("abc\r")
    child.expect(re.escape("Please type a whole number from 12 to 110."))
    child.send("\x7f" * 3 + keys_for(registry.questions()["age"], complete_answers["age"]))
    answer(child, registry, keys_for, {k: v for k, v in complete_answers.items() if k != "age"})
    keep_the_handout(child)
    output = finished(child)
    assert child.exitstatus == 0, output
    [ref] = list_refs(backpain_home)
    assert f"Saved session {ref.id} to {ref.path}" in output
    assert "Plan for JD-042" in output
    doc = tomllib.loads(ref.path.read_text(encoding="utf-8"))
    assert (doc["client"], doc["status"], doc["answers"]) == (
        "JD-042", "completed", complete_answers)


def test_ctrl_c_saves_a_draft_and_resume_asks_the_rest(
        spawn: Callable[..., Any], registry: Registry, keys_for: KeysFor,
        complete_answers: dict[str, RawAnswer], backpain_home: Path) -> None:
    items = list(complete_answers.items())
    first, rest = dict(items[:15]), dict(items[15:])
    child = spawn("assess", "--client", "JD-042")
    answer(child, registry, keys_for, first)
    interrupted_at = registry.questions()[items[15][0]]
    child.expect(re.escape(interrupted_at.text[:60]))
    child.send(CTRL_C)
    output = finished(child)
    assert child.exitstatus == 130, output
    [ref] = list_refs(backpain_home)
    assert f"backpain: interrupted; draft saved to {ref.path}" in output
    assert f"resume with: backpain assess --resume {ref.id}" in output
    draft = tomllib.loads(ref.path.read_text(encoding="utf-8"))
    assert (draft["status"], draft["answers"]) == ("draft", first)

    child = spawn("assess", "--resume", ref.id)
    child.expect_exact(f"Resuming draft {ref.id} for client JD-042: {len(first)} answers kept.")
    # About: questions whose conditions are not decided yet are counted too.
    child.expect(rf"About \d+ questions left \({len(first)} already answered\)\.")
    # The first prompt is the interrupted question: nothing answered is asked again.
    answer(child, registry, keys_for, rest)
    keep_the_handout(child)
    output = finished(child)
    assert child.exitstatus == 0, output
    assert "How old is the client?" not in output
    assert [r.id for r in list_refs(backpain_home)] == [ref.id]
    done = tomllib.loads(ref.path.read_text(encoding="utf-8"))
    assert (done["status"], done["answers"], done["created"]) == (
        "completed", complete_answers, draft["created"])


def expect_words(child: Any, text: str) -> None:
    """Wait for `text`, however the terminal wrapped it (prompts wrap at word boundaries)."""
    child.expect(r"\s+".join(re.escape(w) for w in text.split()))


def upto(answers: Mapping[str, RawAnswer], last: str) -> dict[str, RawAnswer]:
    items = list(answers.items())
    return dict(items[: [k for k, _ in items].index(last) + 1])


def test_an_emergency_sign_stops_the_interview(
        spawn: Callable[..., Any], registry: Registry, keys_for: KeysFor,
        complete_answers: dict[str, RawAnswer], backpain_home: Path) -> None:
    given = {**upto(complete_answers, "rf_saddle_numbness"), "rf_saddle_numbness": True}
    child = spawn("assess", "--client", "JD-042")
    answer(child, registry, keys_for, given)
    # At once, before any other question: the referral, then the question to end.
    child.expect_exact("EMERGENCY — SAME-DAY EMERGENCY CARE")
    child.expect_exact("Emergency care now:")
    child.expect_exact("End the interview now?")
    child.expect_exact("(Y/n)")
    child.send("\r")  # ending is the default
    output = finished(child)
    assert child.exitstatus == 0, output
    [ref] = list_refs(backpain_home)
    doc = tomllib.loads(ref.path.read_text(encoding="utf-8"))
    assert (doc["status"], doc["ended_early"], doc["triage"], doc["answers"]) == (
        "completed", "emergency", "emergency", given)
    assert [r["id"] for r in doc["recommendations"]] == ["medical.emergency_referral"]
    assert "Plan for JD-042" in output
    # Nothing after the sign was asked.
    after = registry.questions()[list(complete_answers)[len(given)]]
    assert after.text[:40] not in output


def test_a_follow_up_replaces_numbers_and_asks_warning_signs_afresh(
        spawn: Callable[..., Any], registry: Registry, keys_for: KeysFor,
        complete_answers: dict[str, RawAnswer], backpain_home: Path,
        write_answers: Callable[..., Path]) -> None:
    from typer.testing import CliRunner

    from backpain_cli.cli.app import app

    previous = {**complete_answers, "pain_now": 1, "mattress_age_years": 1,
                "sitting_hours": 1}
    first = CliRunner().invoke(app, ["assess", "--answers", str(write_answers(previous)),
                                     "--no-input"])
    assert first.exit_code == 0, first.output
    [ref] = list_refs(backpain_home)
    questions = registry.questions()
    # The first plan gave a programme: how often it was done is asked last (v3).
    today = {**previous, "pain_now": 0, "mattress_age_years": 2, "sitting_hours": 0,
             "programme_adherence": "some_days"}

    child = spawn("assess", "--from", ref.id)
    child.expect_exact(f"Follow-up visit for client JD-042 after session {ref.id}.")
    expect_words(child, "warning signs, pregnancy, how long the pain has lasted, pain "
                        "scores, weeks off work and the questionnaires are asked afresh")
    for qid, value in today.items():
        q = questions[qid]
        child.expect(re.escape(q.text[:60]))
        if qid == "pain_now":
            # Asked afresh: no default offered, and 0 typed is 0.
            child.expect_exact("(0–10)")
            child.send("0\r")
        elif qid in ("mattress_age_years", "sitting_hours"):
            # The remembered number is shown as a default; what is typed replaces it.
            child.expect_exact(f"({q.min}–{q.max}; last visit: 1, Enter keeps it)")
            child.send(f"{value}\r")
        elif qid == "rf_saddle_numbness":
            # No remembered "no": Enter alone is not an answer, a typed n is.
            child.expect_exact("(y/n)")
            child.send("\r")
            child.expect_exact("Please answer y (yes) or n (no).")
            child.send("n\r")
        elif q.fresh_each_visit:
            child.send(keys_for(q, value))
        else:
            child.send("\r")  # Enter keeps last visit's answer
    keep_the_handout(child)
    output = finished(child)
    assert child.exitstatus == 0, output
    new = [r for r in list_refs(backpain_home) if r.id != ref.id]
    assert len(new) == 1
    doc = tomllib.loads(new[0].path.read_text(encoding="utf-8"))
    assert (doc["follows"], doc["answers"]) == (ref.id, today)


def test_discard_asks_for_a_typed_yes(spawn: Callable[..., Any], backpain_home: Path,
                                      complete_answers: dict[str, RawAnswer]) -> None:
    from backpain_cli.flows import assess
    from backpain_cli.records.storage import save_session

    st = assess.start(load_registry(None), client="JD-042", answers_file=None,
                      instruments=None)
    given = dict(list(st.validation.answers.items()))
    draft, path = save_session(assess.draft(st, "JD-042", given, set()), new=True)
    prompt = f"Delete draft {draft.id} of client JD-042 (0 answers)? Type yes to delete it:"

    child = spawn("assess", "--discard", draft.id)
    expect_words(child, prompt)
    child.send("y\r")  # not the word asked for: nothing is deleted
    output = finished(child)
    assert child.exitstatus == 0, output
    assert f"Nothing deleted; draft {draft.id} is kept." in output
    assert path.exists()

    child = spawn("assess", "--discard", draft.id)
    expect_words(child, prompt)
    child.send("yes\r")
    output = finished(child)
    assert child.exitstatus == 0, output
    assert f"Deleted draft {draft.id} ({path})" in output
    assert not path.exists()


@pytest.mark.parametrize(("age", "sex", "asked"), [
    (27, "male", False), (68, "male", False), (30, "female", True), (60, "other", False)])
def test_pregnancy_is_asked_only_where_it_is_possible(
        spawn: Callable[..., Any], registry: Registry, keys_for: KeysFor,
        age: int, sex: str, asked: bool) -> None:
    # the clinical reference v3: tried as a practitioner would, the interview had asked men of 27
    # and
    # 68 about pregnancy.
    questions = registry.questions()
    child = spawn("assess", "--client", "JD-042", "--no-save")
    answer(child, registry, keys_for, {"age": age, "sex": sex})
    if asked:
        answer(child, registry, keys_for, {"pregnancy": "no"})
    child.expect(re.escape(questions["pain_duration"].text[:60]))
    child.send(CTRL_C)
    output = finished(child)
    assert (questions["pregnancy"].text[:40] in output) is asked, output
