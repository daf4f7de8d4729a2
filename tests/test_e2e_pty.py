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

from backpain_cli.questionnaire import Question, Registry, load_registry
from backpain_cli.storage import list_refs

RawAnswer: TypeAlias = bool | int | str | list[str]
KeysFor: TypeAlias = Callable[[Question, RawAnswer], str]

pytestmark = pytest.mark.pty

BACKPAIN = Path(sys.executable).parent / "backpain"
CTRL_C = "\x03"
# Generous for a slow CI machine; a passing run waits far less.
TIMEOUT = 20


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(None)


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
    child = spawn("assess")
    child.expect(re.escape("Client reference (initials or practice ID)?"))
    # A reference that could leave the data folder is refused at the prompt.
    child.send("../x\r")
    child.expect(re.escape("invalid client reference '../x'"))
    child.send("\x7f" * 4 + "JD-042\r")
    child.expect("About the pain")
    # A number that is not one is explained and asked again, in place.
    child.expect(re.escape("How old is the client? (12–110)"))
    child.send("abc\r")
    child.expect(re.escape("Please type a whole number from 12 to 110."))
    child.send("\x7f" * 3 + keys_for(registry.questions()["age"], complete_answers["age"]))
    answer(child, registry, keys_for, {k: v for k, v in complete_answers.items() if k != "age"})
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
    # The first prompt is the interrupted question: nothing answered is asked again.
    answer(child, registry, keys_for, rest)
    output = finished(child)
    assert child.exitstatus == 0, output
    assert "How old is the client?" not in output
    assert [r.id for r in list_refs(backpain_home)] == [ref.id]
    done = tomllib.loads(ref.path.read_text(encoding="utf-8"))
    assert (done["status"], done["answers"], done["created"]) == (
        "completed", complete_answers, draft["created"])
