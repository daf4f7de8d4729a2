"""The questionary layer, driven by keystrokes through prompt_toolkit's pipe input (as
questionary's own tests do), and the Ctrl-C → draft → resume path of the domain."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TypeAlias

import pytest
from askers import ENTER, RecordingAsker, feed
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from backpain_cli.clinical.answers import validate
from backpain_cli.clinical.questionnaire import (
    AnswerValue,
    Question,
    Registry,
    parse_module,
)
from backpain_cli.errors import Interrupted
from backpain_cli.flows import assess
from backpain_cli.interview import (
    SKIP,
    QuestionaryAsker,
    Skip,
    ask_client,
    int_validator,
    multi_validator,
    number_hint,
    run_interview,
)
from backpain_cli.records.storage import read_session, save_session

RawAnswer: TypeAlias = bool | int | str | list[str]
KeysFor: TypeAlias = Callable[[Question, RawAnswer], str]

DOWN = "\x1b[B"
SPACE = " "
CTRL_C = "\x03"
BACKSPACE = "\x7f"


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with create_pipe_input() as inp:
        yield inp


def ask_one(pipe: PipeInput, q: Question, keys: str,
            default: AnswerValue | None = None) -> AnswerValue | Skip:
    feed(pipe, keys)
    return QuestionaryAsker(input=pipe, output=DummyOutput()).ask(q, default)


# --------------------------------------------------------------------------- one prompt


# (question id, keystrokes, answer). Shipped questions, so the prompts are the real ones.
PROMPTS: list[tuple[str, str, AnswerValue]] = [
    ("pain_duration", ENTER, "under_6_weeks"),
    ("pain_duration", DOWN + DOWN + ENTER, "over_12_weeks"),
    ("pain_duration", "3" + ENTER, "over_12_weeks"),  # numbered shortcut
    ("first_episode", "y" + ENTER, True),
    ("first_episode", "n" + ENTER, False),
    ("first_episode", "Yes" + ENTER, True),
    # Enter alone is not an answer to a yes/no question without a remembered answer: a
    # stray Enter must not say "no" to a warning sign. It is asked again.
    ("first_episode", ENTER + "n" + ENTER, False),
    ("rf_saddle_numbness", ENTER + "maybe" + ENTER + BACKSPACE * 5 + "y" + ENTER, True),
    ("pain_location", SPACE + DOWN + DOWN + SPACE + ENTER, ("lower_back", "buttock")),
    ("pain_now", "7" + ENTER, 7),
    ("pain_now", " 0 " + ENTER, 0),
    ("age", "40" + ENTER, 40),
]


@pytest.mark.parametrize(("qid", "keys", "answer"), PROMPTS,
                         ids=[f"{q}-{a!r}" for q, _, a in PROMPTS])
def test_a_prompt_answers_with_keystrokes(registry: Registry, pipe: PipeInput, qid: str,
                                          keys: str, answer: AnswerValue) -> None:
    assert ask_one(pipe, registry.questions()[qid], keys) == answer


# (question id, keystrokes, the answered question as printed at 80 columns). An answer that
# does not fit after its question goes on at a word, indented as the question's own lines;
# the terminal would cut it anywhere ("work" and ")" alone below, seen in tmux).
ECHOES: list[tuple[str, str, str]] = [
    ("age", "52" + ENTER, "? How old is the client? 52"),
    ("onset", ENTER, "? How did the pain start? After heavy or unusual effort (lifting, training,\n"
                     "  work)"),
    ("rf_thoracic_pain", "n" + ENTER,
     "? Pain in the middle or upper back, or around the chest, that does not change?\n  no"),
]


@pytest.mark.parametrize(("qid", "keys", "printed"), ECHOES, ids=[q for q, _, _ in ECHOES])
def test_an_answered_question_is_printed_wrapped_at_words(registry: Registry, pipe: PipeInput,
                                                          qid: str, keys: str,
                                                          printed: str) -> None:
    feed(pipe, keys)
    asker = RecordingAsker(pipe, columns=80)
    asker.ask(registry.questions()[qid], None)
    assert asker.printed[-1] == printed
    assert max(len(line) for line in printed.split("\n")) < 80


# (question id, remembered answer from a previous visit). Enter alone keeps it.
DEFAULTS: list[tuple[str, AnswerValue]] = [
    ("sleep_position", "back"),
    ("first_episode", True),
    ("pain_worse_with", ("sitting", "lifting")),
    ("pain_now", 6),
]


@pytest.mark.parametrize(("qid", "default"), DEFAULTS, ids=[q for q, _ in DEFAULTS])
def test_enter_keeps_the_previous_answer(registry: Registry, pipe: PipeInput, qid: str,
                                         default: AnswerValue) -> None:
    assert ask_one(pipe, registry.questions()[qid], ENTER, default) == default


# (question id, remembered number, keystrokes, answer). Typing replaces the default: the
# default is named in the prompt, never put in the input as text one could type after.
NUMBER_DEFAULTS: list[tuple[str, int, str, int]] = [
    ("mattress_age_years", 1, "2" + ENTER, 2),
    ("mattress_age_years", 1, "12" + ENTER, 12),
    ("sitting_hours", 1, "0" + ENTER, 0),
    ("pain_now", 1, "0" + ENTER, 0),
    ("pain_now", 1, ENTER, 1),
    # Backspace on an empty input does nothing; the typed number still stands alone.
    ("pain_now", 6, BACKSPACE * 2 + "3" + ENTER, 3),
]


@pytest.mark.parametrize(("qid", "default", "keys", "answer"), NUMBER_DEFAULTS,
                         ids=[f"{q}-{d}-{k!r}" for q, d, k, _ in NUMBER_DEFAULTS])
def test_typing_replaces_a_remembered_number(registry: Registry, pipe: PipeInput, qid: str,
                                             default: int, keys: str, answer: int) -> None:
    assert ask_one(pipe, registry.questions()[qid], keys, default) == answer


@pytest.mark.parametrize(("qid", "default", "last_visit", "prompt"), [
    ("pain_now", None, False, " (0–10)"),
    ("mattress_age_years", 1, True, " (0–50; last visit: 1, Enter keeps it)"),
    ("mattress_age_years", 1, False, " (0–50; default: 1, Enter keeps it)"),
    ("odi_3", None, False, " (0–5; empty to skip)"),
    ("odi_3", 2, True, " (0–5; last visit: 2, Enter keeps it; - to skip)"),
], ids=["no default", "last visit", "file default", "optional", "optional with default"])
def test_a_number_prompt_names_its_default(registry: Registry, qid: str, default: int | None,
                                           last_visit: bool, prompt: str) -> None:
    q = registry.questions()[qid]
    assert number_hint(q, default, last_visit=last_visit) == prompt


def test_an_optional_number_with_a_default_can_still_be_skipped(registry: Registry,
                                                                pipe: PipeInput) -> None:
    assert ask_one(pipe, registry.questions()["odi_3"], "-" + ENTER, 2) is SKIP


def test_a_vanished_choice_is_not_offered_as_default(registry: Registry,
                                                     pipe: PipeInput) -> None:
    assert ask_one(pipe, registry.questions()["sleep_position"], ENTER, "hammock") == "side"


@pytest.mark.parametrize("qid", ["rf_saddle_numbness", "rf_trauma", "first_episode"])
def test_enter_alone_never_answers_a_yes_no_question(registry: Registry, pipe: PipeInput,
                                                     qid: str) -> None:
    # Only Enters typed, then the input ends: the prompt is still waiting for y or n.
    with pytest.raises(EOFError):
        ask_one(pipe, registry.questions()[qid], ENTER * 3)


@pytest.mark.parametrize("keys", [
    "abc" + ENTER + BACKSPACE * 3 + "7" + ENTER,
    "11" + ENTER + BACKSPACE * 2 + "7" + ENTER,
    "-1" + ENTER + BACKSPACE * 2 + "7" + ENTER,
    "4.5" + ENTER + BACKSPACE * 3 + "7" + ENTER,
    "1_0" + ENTER + BACKSPACE * 3 + "7" + ENTER,
    ENTER + "7" + ENTER,
], ids=["letters", "above", "below", "decimal", "underscore", "empty"])
def test_an_invalid_number_is_asked_again(registry: Registry, pipe: PipeInput,
                                          keys: str) -> None:
    # Had the first entry been accepted, the answer would not be 7.
    assert ask_one(pipe, registry.questions()["pain_now"], keys) == 7


INT_MESSAGES: list[tuple[str, bool | str]] = [
    ("7", True),
    (" 10 ", True),
    ("+3", True),
    ("", "Please type a whole number."),
    ("seven", "Please type a whole number from 0 to 10."),
    ("4.5", "Please type a whole number from 0 to 10."),
    ("1_0", "Please type a whole number from 0 to 10."),
    ("٣", "Please type a whole number from 0 to 10."),
    ("11", "11 is above the maximum 10."),
    ("-1", "-1 is below the minimum 0."),
]


@pytest.mark.parametrize(("text", "outcome"), INT_MESSAGES, ids=[t for t, _ in INT_MESSAGES])
def test_number_validation_messages(registry: Registry, text: str,
                                    outcome: bool | str) -> None:
    assert int_validator(registry.questions()["pain_now"])(text) == outcome


def test_an_optional_number_may_be_left_empty(registry: Registry, pipe: PipeInput) -> None:
    odi_3 = registry.questions()["odi_3"]
    assert int_validator(odi_3)("") is True
    assert ask_one(pipe, odi_3, ENTER) is SKIP


def test_an_optional_choice_offers_skip(pipe: PipeInput) -> None:
    module = parse_module(
        b'id = "m"\nversion = "1"\ntitle = "M"\n[[questions]]\nid = "c"\ntype = "choice"\n'
        b'text = "C?"\nrequired = false\nchoices = [{ value = "a", label = "A" }]\n',
        "m.toml", shipped=False)
    assert ask_one(pipe, module.questions[0], DOWN + ENTER) is SKIP


@pytest.mark.parametrize(("selected", "outcome"), [
    (["lifting"], True),
    ([], "Choose at least one (space to tick, enter to confirm)."),
    # The label the practitioner sees on screen, not the stored value 'none'.
    (["none", "sitting"], "“Nothing in particular” cannot be combined with other choices "
                          "(space to tick, enter to confirm)."),
], ids=["one", "none ticked", "exclusive"])
def test_checkbox_validation_messages(registry: Registry, selected: list[str],
                                      outcome: bool | str) -> None:
    assert multi_validator(registry.questions()["pain_worse_with"])(selected) == outcome


def test_a_checkbox_refuses_until_the_choice_is_valid(registry: Registry,
                                                      pipe: PipeInput) -> None:
    q = registry.questions()["pain_worse_with"]
    none_at = q.choice_values.index("none")
    keys = (ENTER                                   # nothing ticked: refused
            + SPACE + DOWN * none_at + SPACE + ENTER  # bending_forward and none: refused
            + SPACE + ENTER)                         # untick none: accepted
    assert ask_one(pipe, q, keys) == ("bending_forward",)


@pytest.mark.parametrize("qid", ["sleep_position", "pain_location", "first_episode",
                                 "pain_now"])
def test_ctrl_c_reaches_the_caller(registry: Registry, pipe: PipeInput, qid: str) -> None:
    with pytest.raises(KeyboardInterrupt):
        ask_one(pipe, registry.questions()[qid], CTRL_C)


def test_the_client_reference_is_validated_and_asked_again(pipe: PipeInput) -> None:
    feed(pipe, "../x" + ENTER + BACKSPACE * 4 + "JD-042" + ENTER)
    assert ask_client(QuestionaryAsker(input=pipe, output=DummyOutput())) == "JD-042"


def test_ctrl_c_at_the_client_prompt_is_an_interruption(pipe: PipeInput) -> None:
    feed(pipe, CTRL_C)
    with pytest.raises(Interrupted) as info:
        ask_client(QuestionaryAsker(input=pipe, output=DummyOutput()))
    assert (str(info.value), info.value.exit_code) == (
        "interview interrupted before it started", 130)


# --------------------------------------------------------------------------- whole interviews


@pytest.fixture
def interview_keys(registry: Registry,
                   keys_for: KeysFor) -> Callable[[Mapping[str, RawAnswer]], str]:
    """The keystrokes of a whole interview that gives `answers`, in their order."""
    questions = registry.questions()

    def keys(answers: Mapping[str, RawAnswer]) -> str:
        return "".join(keys_for(questions[qid], value) for qid, value in answers.items())

    return keys


def test_the_full_default_interview_by_keystrokes(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        interview_keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    st = assess.start(registry, client="JD-042", answers_file=None, instruments=None)
    answers: dict[str, AnswerValue] = {}
    skipped: set[str] = set()
    feed(pipe, interview_keys(complete_answers))
    asker = RecordingAsker(pipe)
    run_interview(st.modules, answers, skipped, asker)
    # Asked in the walk's order, each once, with one heading per module.
    assert asker.asked == list(complete_answers)
    assert asker.headings == [m.id for m in st.modules]
    session = assess.finish(st, "JD-042", answers, skipped)
    assert session.status == "completed"
    assert {k: list(v) if isinstance(v, tuple) else v
            for k, v in session.answers.items()} == complete_answers


def test_conditions_apply_as_answers_come_in(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        interview_keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    # A stomach sleeper who does not exercise: knee_pillow and exercise_types are not asked.
    changed = {**complete_answers, "sleep_position": "stomach", "exercise_days": 0}
    del changed["knee_pillow"], changed["exercise_types"]
    st = assess.start(registry, client="JD-042", answers_file=None, instruments=None)
    answers: dict[str, AnswerValue] = {}
    feed(pipe, interview_keys(changed))
    asker = RecordingAsker(pipe)
    run_interview(st.modules, answers, set(), asker)
    assert asker.asked == list(changed)


def test_ctrl_c_leaves_a_draft_and_resume_asks_only_the_rest(
        registry: Registry, complete_answers: dict[str, RawAnswer],
        interview_keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    first = dict(list(complete_answers.items())[:12])
    rest = {k: v for k, v in complete_answers.items() if k not in first}
    st = assess.start(registry, client="JD-042", answers_file=None, instruments=None)
    answers: dict[str, AnswerValue] = {}
    skipped: set[str] = set()
    with create_pipe_input() as pipe:
        feed(pipe, interview_keys(first) + CTRL_C)
        with pytest.raises(Interrupted) as info:
            run_interview(st.modules, answers, skipped, RecordingAsker(pipe))
    assert info.value.exit_code == 130
    # What was answered before Ctrl-C is kept; the interrupted question is not.
    assert list(answers) == list(first)
    draft, path = save_session(assess.draft(st, "JD-042", answers, skipped), new=True)
    assert read_session(path).status == "draft"

    resumed = assess.start(registry, client=None, answers_file=None, instruments=None,
                           resume=draft.id)
    assert resumed.client == "JD-042"
    answers = dict(resumed.answers)
    with create_pipe_input() as pipe:
        feed(pipe, interview_keys(rest))
        asker = RecordingAsker(pipe)
        run_interview(resumed.modules, answers, set(resumed.skipped), asker)
    assert asker.asked == list(rest)
    done = assess.finish(resumed, "JD-042", answers, set())
    assert (done.id, done.status, done.created) == (draft.id, "completed", draft.created)


def test_end_of_input_is_an_interruption_too(registry: Registry, pipe: PipeInput) -> None:
    # A closed terminal must not lose the answers either.
    st = assess.start(registry, client="JD-042", answers_file=None, instruments=None)
    answers: dict[str, AnswerValue] = {}
    feed(pipe, "40" + ENTER)
    with pytest.raises(Interrupted):
        run_interview(st.modules, answers, set(), QuestionaryAsker(input=pipe,
                                                                  output=DummyOutput()))
    assert answers == {"age": 40}


def test_skipped_optional_questions_are_remembered(registry: Registry, pipe: PipeInput,
                                                   complete_answers: dict[str, RawAnswer]
                                                   ) -> None:
    st = assess.start(registry, client="JD-042", answers_file=None, instruments="odi")
    answers = dict(validate(st.modules, complete_answers).answers)
    skipped: set[str] = set()
    # Sections 1-9 scored, section 10 left blank on the client's form.
    feed(pipe, "".join(f"{i % 6}{ENTER}" for i in range(1, 10)) + ENTER)
    run_interview(st.modules, answers, skipped, QuestionaryAsker(input=pipe,
                                                                output=DummyOutput()))
    assert skipped == {"odi_10"}
    assert [answers[f"odi_{i}"] for i in range(1, 10)] == [1, 2, 3, 4, 5, 0, 1, 2, 3]
    session = assess.finish(st, "JD-042", answers, skipped)
    assert session.skipped == ("odi_10",)
    assert "odi_10" not in session.answers
