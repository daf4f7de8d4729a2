"""`backpain assess --from SESSION`: a follow-up visit where the previous answers are the
defaults, the practitioner confirms or changes each, and the new session `follows` the old.
Warning signs, pregnancy, NPRS and the standard instruments are asked afresh, with no
default (the clinical reference, "The interview and clinical safety").

The interview is driven through questionary's real prompts with prompt_toolkit's pipe input
(keys are sent just before each question is asked), and once end to end through the
installed command in a pseudo-terminal.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeAlias

import pytest
from helpers import keep_the_handout
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from backpain_cli import interview
from backpain_cli.clinical.answers import next_question
from backpain_cli.clinical.questionnaire import (
    FRESH_EACH_VISIT_MODULES,
    FRESH_EACH_VISIT_QUESTIONS,
    AnswerValue,
    Module,
    Question,
    load_registry,
)
from backpain_cli.errors import Interrupted
from backpain_cli.flows import assess
from backpain_cli.records.paths import new_session_id
from backpain_cli.records.session import Session
from backpain_cli.records.storage import read_session, save_session

KeysFor: TypeAlias = Callable[[Question, Any], str]

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
        self.defaults: dict[str, AnswerValue | None] = {}

    def ask(self, question: Question, default: AnswerValue | None, *,
            last_visit: bool = False) -> AnswerValue | interview.Skip:
        self.asked.append(question.id)
        self.defaults[question.id] = default
        self.pipe.send_text(self.keys.get(question.id, ENTER))
        return super().ask(question, default, last_visit=last_visit)


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with create_pipe_input() as p:
        yield p


def is_fresh(qid: str) -> bool:
    """the clinical reference's list, written out here on purpose (not read from the code under
    test)."""
    # v3 adds the team question (red_flags), the weeks since a birth, the duration, the
    # weeks off work and the programme's adherence.
    return (qid.startswith(("rf_", "sbst_", "odi_", "rmdq_"))
            or qid in ("risk_team_aware", "pregnancy", "pregnancy_weeks", "postpartum_weeks",
                       "pain_duration", "work_absence_weeks", "pain_now", "pain_worst_week",
                       "programme_adherence"))


def retyped(previous: Session, keys_for: KeysFor) -> dict[str, str]:
    """Keys that give the previous answer again to every question asked afresh."""
    questions = load_registry(None).questions()
    return {qid: keys_for(questions[qid], list(v) if isinstance(v, tuple) else v)
            for qid, v in previous.answers.items() if is_fresh(qid)}


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
    assert st.defaults == {k: v for k, v in previous.answers.items() if not is_fresh(k)}
    for qid in ("rf_saddle_numbness", "rf_cancer_history", "pain_duration", "pain_now",
                "pain_worst_week", "sbst_1", "odi_1"):
        assert qid in previous.answers and qid not in st.defaults
    assert "sleep_position" in st.defaults
    assert (st.follows, st.client, st.instruments) == (previous.id, CLIENT, ("odi",))
    # Defaults are offered, not taken: every question is still asked.
    assert st.answers == {}
    assert "odi" in [m.id for m in st.modules]


def test_the_fresh_list_is_clinicals() -> None:
    registry = load_registry(None)
    assert sorted(FRESH_EACH_VISIT_MODULES) == ["followup", "odi", "red_flags", "rmdq",
                                                "startback"]
    assert sorted(FRESH_EACH_VISIT_QUESTIONS) == [
        "pain_duration", "pain_now", "pain_worst_week", "postpartum_weeks", "pregnancy",
        "pregnancy_weeks", "work_absence_weeks"]
    assert {q.id for q in registry.questions().values() if q.fresh_each_visit} == {
        q for q in registry.questions() if is_fresh(q)}


def test_a_practitioners_own_copy_of_a_module_stays_fresh(backpain_home: Path) -> None:
    # A licensed STarT Back text in the practitioner's folder replaces the shipped scorer;
    # its answers describe today all the same, whatever the file says.
    folder = backpain_home / "questionnaires"
    folder.mkdir(parents=True)
    shipped = load_registry(None).module("startback")
    text = [f'id = "startback"\nversion = "licensed"\ntitle = "STarT Back"\n'
            f"order = {shipped.order}\n"]
    text += [f'[[questions]]\nid = "{q.id}"\ntype = "yesno"\ntext = "Item {q.id}?"\n'
             for q in shipped.questions]
    # And a module of their own can ask for the same care.
    (folder / "sb.toml").write_text("".join(text), encoding="utf-8")
    (folder / "mine.toml").write_text(
        'id = "mine"\nversion = "1"\ntitle = "Mine"\norder = 99\nfresh_each_visit = true\n'
        '[[questions]]\nid = "feels_today"\ntype = "yesno"\ntext = "Today?"\n'
        '[[questions]]\nid = "kept"\ntype = "yesno"\ntext = "Kept?"\n'
        "fresh_each_visit = true\n", encoding="utf-8")
    questions = load_registry(folder).questions()
    assert questions["sbst_1"].fresh_each_visit
    assert questions["feels_today"].fresh_each_visit and questions["kept"].fresh_each_visit


def test_warning_signs_need_a_typed_answer_at_a_follow_up(complete_answers: dict[str, Any],
                                                          pipe: PipeInput) -> None:
    previous = save_previous(complete_answers)
    assert previous.answers["rf_saddle_numbness"] is False
    # Enter alone everywhere: the first question asked afresh (pregnancy is a choice and
    # takes the pointer's first line) ... then pain_now, which has no default, waits.
    st = assess.start(load_registry(None), client=None, answers_file=None, instruments=None,
                      follow_up=previous.id)
    answers: dict[str, AnswerValue] = {}

    class EnterThenEnd(PipedAsker):
        def ask(self, question: Question, default: AnswerValue | None, *,
                last_visit: bool = False) -> AnswerValue | interview.Skip:
            if question.id != "rf_saddle_numbness":
                return super().ask(question, default, last_visit=last_visit)
            self.asked.append(question.id)
            self.defaults[question.id] = default
            # Enter, then the input ends: a prompt that took Enter as an answer would
            # return; one still waiting for y or n gets EOFError.
            self.pipe.send_text(ENTER)
            self.pipe.close()
            return interview.QuestionaryAsker.ask(self, question, default,
                                                  last_visit=last_visit)

    asker = EnterThenEnd(pipe, {"pain_now": "3" + ENTER, "pain_worst_week": "4" + ENTER})
    with pytest.raises(Interrupted):
        interview.run_interview(st.modules, answers, set(), asker, st.defaults)
    # Stopped at the first warning sign: Enter never answered it with last visit's "no".
    assert asker.asked[-1] == "rf_saddle_numbness"
    assert "rf_saddle_numbness" not in answers
    assert asker.defaults["rf_saddle_numbness"] is None
    assert {q: d for q, d in asker.defaults.items() if is_fresh(q)} == {
        q: None for q in asker.asked if is_fresh(q)}


def test_confirming_every_default_repeats_the_previous_answers(
        complete_answers: dict[str, Any], pipe: PipeInput, keys_for: KeysFor) -> None:
    previous = save_previous(complete_answers)
    st, answers, asker = follow_up(previous, pipe, retyped(previous, keys_for))
    # The previous plan gave a programme: how often it was done is asked last (v3), and
    # Enter takes the first choice.
    assert answers == {**previous.answers, "programme_adherence": "most_days"}
    assert asker.asked == [*previous.answers, "programme_adherence"]
    session = assess.finish(st, CLIENT, answers, set())
    assert (session.follows, session.client, session.status) == (previous.id, CLIENT,
                                                                 "completed")
    assert session.id != previous.id
    assert session.plan is not None and previous.plan is not None
    assert session.plan.ids == previous.plan.ids


def test_changing_answers_of_every_kind(complete_answers: dict[str, Any],
                                        pipe: PipeInput, keys_for: KeysFor) -> None:
    previous = save_previous({**complete_answers, "pain_now": 6, "sleep_position": "side",
                              "knee_pillow": False, "pain_location": ["lower_back"],
                              "mattress_age_years": 1, "sitting_hours": 1})
    keys = {
        **retyped(previous, keys_for),
        # Asked afresh: no default, the typed number is the answer.
        "pain_now": "3" + ENTER,
        # A remembered number is named in the prompt; what is typed replaces it (1 then 2
        # is 2, never 12; 1 then 0 is 0, never 10).
        "mattress_age_years": "2" + ENTER,
        "sitting_hours": "0" + ENTER,
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
                       "pain_location": ("lower_back", "mid_upper_back"),
                       "mattress_age_years": 2, "sitting_hours": 0,
                       "programme_adherence": "most_days"}
    session = assess.finish(st, CLIENT, answers, set())
    assert session.plan is not None
    assert session.plan.scores["nprs_now"] == 3


def test_a_change_that_hides_a_question_drops_its_old_answer(
        complete_answers: dict[str, Any], pipe: PipeInput, keys_for: KeysFor) -> None:
    previous = save_previous({**complete_answers, "sleep_position": "side",
                              "knee_pillow": True})
    # side → back → stomach: stomach sleepers are not asked about a knee pillow.
    _, answers, asker = follow_up(previous, pipe, {**retyped(previous, keys_for),
                                                   "sleep_position": DOWN * 2 + ENTER})
    assert answers["sleep_position"] == "stomach"
    assert "knee_pillow" not in answers
    assert "knee_pillow" not in asker.asked


def test_a_default_that_no_longer_fits_is_not_offered(complete_answers: dict[str, Any],
                                                      pipe: PipeInput, keys_for: KeysFor
                                                      ) -> None:
    previous = save_previous(complete_answers)
    # As if the choice had been removed from today's questionnaire since the last visit.
    # (A session file holding it is now refused as unreadable, so the stale default is
    # given to the interview directly.)
    st = assess.start(load_registry(None), client=None, answers_file=None, instruments=None,
                      follow_up=previous.id)
    answers: dict[str, AnswerValue] = {}
    asker = PipedAsker(pipe, retyped(previous, keys_for))
    interview.run_interview(st.modules, answers, set(), asker,
                            {**st.defaults, "sleep_position": "hammock"})
    # Enter on a select without a usable default takes the first choice.
    assert answers["sleep_position"] == "side"


# --------------------------------------------------------------------------- end to end


def _questions(modules: tuple[Module, ...], answers: Mapping[str, AnswerValue]
               ) -> list[Question]:
    """The questions the interview will ask, in order, when every answer is the same."""
    given: dict[str, AnswerValue] = {}
    asked: list[Question] = []
    while (q := next_question(modules, given)) is not None:
        asked.append(q)
        given[q.id] = answers[q.id]
    return asked


@pytest.mark.pty
def test_assess_from_in_a_terminal(complete_answers: dict[str, Any], backpain_home: Path,
                                   keys_for: KeysFor) -> None:
    import pexpect

    previous = save_previous({**complete_answers, "pain_now": 5})
    fresh = retyped(previous, keys_for)
    # The previous plan gave a programme, so its adherence is asked last (v3).
    modules = load_registry(None).select(previous.instruments, programme_followup=True)
    expected = {**previous.answers, "programme_adherence": "most_days"}
    env = {**os.environ, "BACKPAIN_HOME": str(backpain_home), "TERM": "xterm", "NO_COLOR": "1",
           # No terminal answers prompt_toolkit's cursor-position requests here; without
           # this every prompt waits about a second for the answer.
           "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(str(Path(sys.executable).parent / "backpain"),
                          ["assess", "--from", previous.id[:12]], env=env, encoding="utf-8",
                          dimensions=(40, 200), timeout=20)
    try:
        for q in _questions(modules, expected):
            # The start of the question is enough to know which prompt is showing.
            child.expect_exact(q.text[:40])
            # Enter keeps last visit's answer; what is asked afresh is typed again.
            child.send(fresh.get(q.id, ENTER))
        child.expect(r"Saved session (\S+) to ")
        new_id = child.match.group(1)
        keep_the_handout(child)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", new_id)
    new = read_session(backpain_home / "sessions" / CLIENT / f"{new_id}.toml")
    assert (new.follows, new.client, new.status) == (previous.id, CLIENT, "completed")
    assert new.answers == expected
    assert new.plan is not None and new.plan.scores["nprs_now"] == 5
    assert new.plan.programme_step == "progress"


# --------------------------------------------------------------------------- adherence (v3)


def test_adherence_is_asked_only_after_a_programme(
        complete_answers: dict[str, Any], tmp_path: Path) -> None:
    # the clinical reference v3, "followup": asked last, and required, at a follow-up whose previous
    # saved plan holds a programme; otherwise hidden, an answer to it dropped with a warning.
    # An emergency plan never holds one.
    previous = save_previous({**complete_answers, "rf_saddle_numbness": True})
    registry = load_registry(None)
    answers_file = tmp_path / "today.toml"
    answers_file.write_text('[answers]\nprogramme_adherence = "rarely"\n', encoding="utf-8")
    st = assess.start(registry, client=None, answers_file=answers_file, instruments=None,
                      follow_up=previous.id)
    assert "followup" not in [m.id for m in st.modules]
    assert st.validation.dropped == ("programme_adherence",)
    assert "programme_adherence" in st.warnings[0]
    # A plan that gave a programme.
    previous = save_previous(complete_answers)
    assert previous.plan is not None and previous.plan.programme
    st = assess.start(registry, client=None, answers_file=None, instruments=None,
                      follow_up=previous.id)
    assert [m.id for m in st.modules][-1] == "followup"
    assert st.validation.missing[-1] == "programme_adherence"
    st = assess.start(registry, client=None, answers_file=answers_file, instruments=None,
                      follow_up=previous.id)
    assert st.answers["programme_adherence"] == "rarely" and st.validation.dropped == ()


def test_a_plan_gave_a_programme_only_when_it_holds_one(
        complete_answers: dict[str, Any]) -> None:
    # An emergency plan has none, nor has a plan saved before version 3.
    previous = save_previous({**complete_answers, "rf_saddle_numbness": True})
    assert assess.gave_programme(previous) is False
    assert assess.gave_programme(replace(previous, plan=None)) is False
    # A plan saved before version 3 has no programme key.
    assert previous.plan is not None
    assert assess.gave_programme(replace(previous, plan=replace(previous.plan,
                                                               programme=None))) is False
    assert assess.gave_programme(save_previous(complete_answers)) is True
