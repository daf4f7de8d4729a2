"""`backpain assess --from SESSION`: a follow-up visit where the previous answers are the
defaults, the practitioner confirms or changes each, and the new session `follows` the old.

The interview is driven through questionary's real prompts with prompt_toolkit's pipe input
(keys are sent just before each question is asked), and once end to end through the
installed command in a pseudo-terminal.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from backpain_cli import assess, interview
from backpain_cli.answers import next_question
from backpain_cli.questionnaire import AnswerValue, Module, Question, load_registry
from backpain_cli.session import Session
from backpain_cli.storage import find_ref, new_session_id, read_session, save_session

T0 = dt.datetime(2026, 1, 10, 9, 30, tzinfo=dt.UTC)
CLIENT = "JD-042"

ENTER = "\r"
DOWN = "\x1b[B"
BACKSPACE = "\x7f"


def save_previous(answers: Mapping[str, object], instruments: str | None = None) -> Session:
    registry = load_registry(None)
    st = assess.start(registry, client=CLIENT, answers_file=None, instruments=instruments)
    session = assess.finish(st, CLIENT, answers, set())  # type: ignore[arg-type]
    saved, _ = save_session(replace(session, id=new_session_id(T0), created=T0), new=True)
    return saved


class PipedAsker(interview.QuestionaryAsker):
    """Real questionary prompts fed from a pipe: `keys[question id]` is typed for that
    question (Enter alone, accepting the default, when not given)."""

    def __init__(self, pipe: PipeInput, keys: Mapping[str, str]) -> None:
        super().__init__(input=pipe, output=DummyOutput())
        self.pipe = pipe
        self.keys = keys
        self.asked: list[str] = []

    def ask(self, question: Question, default: AnswerValue | None) -> AnswerValue | interview.Skip:
        self.asked.append(question.id)
        self.pipe.send_text(self.keys.get(question.id, ENTER))
        return super().ask(question, default)


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with create_pipe_input() as p:
        yield p


def follow_up(previous: Session, pipe: PipeInput, keys: Mapping[str, str]
              ) -> tuple[assess.Start, dict[str, AnswerValue], PipedAsker]:
    st = assess.start(load_registry(None), client=None, answers_file=None, instruments=None,
                      follow_up=previous.id[:10])
    answers: dict[str, AnswerValue] = dict(st.answers)
    skipped: set[str] = set(st.skipped)
    asker = PipedAsker(pipe, keys)
    interview.run_interview(st.modules, answers, skipped, asker, st.defaults)
    return st, answers, asker


def test_start_of_a_follow_up_takes_the_previous_session(complete_answers: dict[str, Any]
                                                         ) -> None:
    odi = {f"odi_{i}": 2 for i in range(1, 11)}
    previous = save_previous({**complete_answers, **odi}, instruments="odi")
    st = assess.start(load_registry(None), client=None, answers_file=None, instruments=None,
                      follow_up=previous.id)
    assert st.defaults == previous.answers
    assert (st.follows, st.client, st.instruments) == (previous.id, CLIENT, ("odi",))
    # Defaults are offered, not taken: every question is still asked.
    assert st.answers == {}
    assert "odi" in [m.id for m in st.modules]


def test_confirming_every_default_repeats_the_previous_answers(
        complete_answers: dict[str, Any], pipe: PipeInput) -> None:
    previous = save_previous(complete_answers)
    st, answers, asker = follow_up(previous, pipe, {})
    assert answers == previous.answers
    assert asker.asked == list(previous.answers)
    session = assess.finish(st, CLIENT, answers, set())
    assert (session.follows, session.client, session.status) == (previous.id, CLIENT,
                                                                 "completed")
    assert session.id != previous.id
    assert session.plan is not None and previous.plan is not None
    assert session.plan.ids == previous.plan.ids


def test_changing_answers_of_every_kind(complete_answers: dict[str, Any],
                                        pipe: PipeInput) -> None:
    previous = save_previous({**complete_answers, "pain_now": 6, "sleep_position": "side",
                              "knee_pillow": False, "pain_location": ["lower_back"]})
    keys = {
        # Typed numbers: the default is in the field; erase it and type the new one.
        "pain_now": BACKSPACE * 2 + "3" + ENTER,
        # A choice: the pointer starts on the previous answer (side); one down is back.
        "sleep_position": DOWN + ENTER,
        # yes/no: the previous answer was no.
        "knee_pillow": "y" + ENTER,
        # Several choices: the previous ones are ticked; tick the next one as well.
        "pain_location": DOWN + " " + ENTER,
    }
    st, answers, _ = follow_up(previous, pipe, keys)
    changed = {k: v for k, v in answers.items() if previous.answers.get(k) != v}
    assert changed == {"pain_now": 3, "sleep_position": "back", "knee_pillow": True,
                       "pain_location": ("lower_back", "mid_upper_back")}
    session = assess.finish(st, CLIENT, answers, set())
    assert session.plan is not None
    assert session.plan.scores["nprs_now"] == 3


def test_a_change_that_hides_a_question_drops_its_old_answer(
        complete_answers: dict[str, Any], pipe: PipeInput) -> None:
    previous = save_previous({**complete_answers, "sleep_position": "side",
                              "knee_pillow": True})
    # side → back → stomach: stomach sleepers are not asked about a knee pillow.
    _, answers, asker = follow_up(previous, pipe, {"sleep_position": DOWN * 2 + ENTER})
    assert answers["sleep_position"] == "stomach"
    assert "knee_pillow" not in answers
    assert "knee_pillow" not in asker.asked


def test_a_default_that_no_longer_fits_is_not_offered(complete_answers: dict[str, Any],
                                                      pipe: PipeInput) -> None:
    previous = save_previous(complete_answers)
    # As if the choice had been removed from today's questionnaire since the last visit.
    stale = replace(previous, answers={**previous.answers, "sleep_position": "hammock"})
    path = find_ref(previous.id).path
    save_session(stale, new=False)
    assert read_session(path).answers["sleep_position"] == "hammock"
    _, answers, _ = follow_up(previous, pipe, {})
    # Enter on a select without a usable default takes the first choice.
    assert answers["sleep_position"] == "side"


# --------------------------------------------------------------------------- end to end


def _question_texts(modules: tuple[Module, ...], answers: Mapping[str, AnswerValue]
                    ) -> list[str]:
    """The questions the interview will ask, in order, when every default is kept."""
    given: dict[str, AnswerValue] = {}
    texts: list[str] = []
    while (q := next_question(modules, given)) is not None:
        texts.append(q.text)
        given[q.id] = answers[q.id]
    return texts


@pytest.mark.pty
def test_assess_from_in_a_terminal(complete_answers: dict[str, Any], backpain_home: Path
                                   ) -> None:
    import pexpect

    previous = save_previous({**complete_answers, "pain_now": 5})
    modules = load_registry(None).select(previous.instruments)
    env = {**os.environ, "BACKPAIN_HOME": str(backpain_home), "TERM": "xterm", "NO_COLOR": "1",
           # No terminal answers prompt_toolkit's cursor-position requests here; without
           # this every prompt waits about a second for the answer.
           "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(str(Path(sys.executable).parent / "backpain"),
                          ["assess", "--from", previous.id[:12]], env=env, encoding="utf-8",
                          dimensions=(40, 200), timeout=20)
    try:
        for text in _question_texts(modules, previous.answers):
            # The start of the question is enough to know which prompt is showing.
            child.expect_exact(text[:40])
            child.send(ENTER)
        child.expect(r"Saved session (\S+) to ")
        new_id = child.match.group(1)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", new_id)
    new = read_session(backpain_home / "sessions" / CLIENT / f"{new_id}.toml")
    assert (new.follows, new.client, new.status) == (previous.id, CLIENT, "completed")
    assert new.answers == previous.answers
    assert new.plan is not None and new.plan.scores["nprs_now"] == 5
