"""Answers files and answer validation: the rules of the README "Answers file", checked on
the shipped questionnaires (their ids are a public contract) and through `assess.start` /
`assess.require_complete`, the domain side of every exit-3 case."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias

import pytest

from backpain_cli.clinical.answers import (
    emergency_waives,
    next_question,
    questions_open,
    read_answers_file,
    read_toml,
    validate,
    visible_answers,
)
from backpain_cli.clinical.questionnaire import AnswerValue, Module, Registry
from backpain_cli.errors import AnswersError, InvalidClientError, Problem, UnreadableFileError
from backpain_cli.flows import assess

RawAnswer: TypeAlias = bool | int | str | list[str]
WriteAnswers: TypeAlias = Callable[..., Path]



@pytest.fixture(scope="module")
def default_modules(registry: Registry) -> tuple[Module, ...]:
    return registry.select(())


def known_elsewhere(registry: Registry, modules: tuple[Module, ...]) -> set[str]:
    return set(registry.questions()) - {q.id for m in modules for q in m.questions}


# --------------------------------------------------------------------------- the file


def test_an_answers_file_is_read_as_written(write_answers: WriteAnswers) -> None:
    path = write_answers({"pain_now": 6, "pain_location": ["lower_back"]}, client="JD-042")
    af = read_answers_file(path)
    assert (af.path, af.client, af.problems) == (str(path), "JD-042", ())
    assert af.answers == {"pain_now": 6, "pain_location": ["lower_back"]}


FILE_PROBLEMS: list[tuple[str, str, list[Problem]]] = [
    ("unknown top-level key", 'client = "a"\npain_now = 3\n[answers]\n',
     [Problem("pain_now", "unknown top-level key (expected client and [answers])")]),
    ("missing [answers] table", 'client = "a"\n',
     [Problem("answers", "the [answers] table is missing")]),
    ("answers not a table", 'answers = 3\n',
     [Problem("answers", "must be a table of question id = answer")]),
    ("both", 'colour = "red"\n',
     [Problem("colour", "unknown top-level key (expected client and [answers])"),
      Problem("answers", "the [answers] table is missing")]),
]


@pytest.mark.parametrize(("text", "problems"), [(t, p) for _, t, p in FILE_PROBLEMS],
                         ids=[c for c, _, _ in FILE_PROBLEMS])
def test_the_shape_of_the_file_is_an_answer_problem(tmp_path: Path, text: str,
                                                    problems: list[Problem]) -> None:
    path = tmp_path / "a.toml"
    path.write_text(text, encoding="utf-8")
    assert list(read_answers_file(path).problems) == problems


UNREADABLE: list[tuple[str, bytes | None, str]] = [
    ("missing", None, "{path}: no such file"),
    ("not UTF-8", b'client = "a"\n[answers]\nonset = "gr\xe4dual"\n',
     "{path}: line 3: not UTF-8 text"),
    ("not TOML", b'client = "a"\n[answers]\npain_now = \n',
     "{path}: not valid TOML: Invalid value (at line 3, column 12)"),
    ("duplicate key", b'[answers]\npain_now = 1\npain_now = 2\n',
     "{path}: not valid TOML: Cannot overwrite a value (at line 3, column 13)"),
]


@pytest.mark.parametrize(("data", "message"), [(d, m) for _, d, m in UNREADABLE],
                         ids=[c for c, _, _ in UNREADABLE])
def test_an_unreadable_file_names_the_file_and_line(tmp_path: Path, data: bytes | None,
                                                    message: str) -> None:
    path = tmp_path / "answers.toml"
    if data is not None:
        path.write_bytes(data)
    with pytest.raises(UnreadableFileError) as info:
        read_toml(path)
    assert str(info.value) == message.format(path=path)
    assert info.value.exit_code == 1


def test_a_byte_order_mark_is_not_a_toml_error(tmp_path: Path) -> None:
    # Notepad on Windows saves UTF-8 with a BOM; the file is still what the user wrote.
    path = tmp_path / "answers.toml"
    path.write_bytes(b'\xef\xbb\xbfclient = "JD-042"\n[answers]\npain_now = 3\n')
    assert read_toml(path) == {"client": "JD-042", "answers": {"pain_now": 3}}


def test_a_folder_is_not_an_answers_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError) as info:
        read_toml(tmp_path)
    assert str(info.value) == f"{tmp_path}: cannot read (Is a directory)"


# --------------------------------------------------------------------------- validation


def test_complete_answers_are_complete(default_modules: tuple[Module, ...],
                                       complete_answers: dict[str, RawAnswer]) -> None:
    result = validate(default_modules, complete_answers)
    assert result.complete
    assert (result.problems, result.missing, result.dropped, result.unknown) == ((), (), (), ())
    assert set(result.answers) == set(complete_answers)
    # Every shown question was answered: the walk in conftest and validate agree.
    assert next_question(default_modules, result.answers) is None


# (question id, invalid value, reason). Types are strict: a TOML boolean or float is never
# an integer, and a string is never a list.
INVALID: list[tuple[str, object, str]] = [
    ("age", True, "expected a whole number"),
    ("age", 40.0, "expected a whole number"),
    ("age", "40", "expected a whole number"),
    ("age", 11, "11 is below the minimum 12"),
    ("age", 111, "111 is above the maximum 110"),
    ("pain_now", -1, "-1 is below the minimum 0"),
    ("first_episode", 1, "expected yes or no (true/false)"),
    ("first_episode", "yes", "expected yes or no (true/false)"),
    ("pain_duration", "weeks", "'weeks' is not one of: under_6_weeks, 6_to_12_weeks, "
                               "over_12_weeks"),
    ("pain_duration", 3, "expected one of: under_6_weeks, 6_to_12_weeks, over_12_weeks"),
    ("pain_duration", ["under_6_weeks"], "expected one of: under_6_weeks, 6_to_12_weeks, "
                                         "over_12_weeks"),
    ("pain_location", "lower_back", "expected a list of choices"),
    ("pain_location", [1], "expected a list of choices"),
    ("pain_location", [], "choose at least one"),
    ("pain_location", ["knee"], "'knee' not among: lower_back, mid_upper_back, buttock, "
                                "leg_above_knee, leg_below_knee, front_of_pelvis"),
    ("pain_location", ["buttock", "buttock"], "a choice is listed twice"),
    ("pain_worse_with", ["none", "sitting"], "'none' cannot be combined with other choices"),
]


@pytest.mark.parametrize(("qid", "value", "reason"), INVALID,
                         ids=[f"{q}={v!r}" for q, v, _ in INVALID])
def test_invalid_answers_are_reported_with_the_reason(
        default_modules: tuple[Module, ...], complete_answers: dict[str, object],
        qid: str, value: object, reason: str) -> None:
    result = validate(default_modules, {**complete_answers, qid: value})
    assert result.problems == (Problem(qid, reason),)
    assert qid not in result.answers
    assert not result.complete


def test_a_missing_required_answer_is_listed(default_modules: tuple[Module, ...],
                                             complete_answers: dict[str, object]) -> None:
    del complete_answers["rf_trauma"], complete_answers["age"]
    result = validate(default_modules, complete_answers)
    assert result.missing == ("age", "rf_trauma")


def test_a_shown_conditional_question_is_required(default_modules: tuple[Module, ...],
                                                  complete_answers: dict[str, object]) -> None:
    del complete_answers["exercise_types"]
    assert validate(default_modules, {**complete_answers, "exercise_days": 2}).missing == (
        "exercise_types",)


@pytest.mark.parametrize("hidden_value", [True, "maybe"], ids=["valid", "invalid"])
def test_answers_to_hidden_questions_are_dropped_unchecked(
        default_modules: tuple[Module, ...], complete_answers: dict[str, object],
        hidden_value: object) -> None:
    # Stomach sleepers are not asked about a knee pillow.
    raw = {**complete_answers, "sleep_position": "stomach", "knee_pillow": hidden_value}
    result = validate(default_modules, raw)
    assert result.dropped == ("knee_pillow",)
    assert "knee_pillow" in result.hidden
    assert "knee_pillow" not in result.answers
    assert result.complete


def test_a_hidden_conditional_question_is_not_required(
        default_modules: tuple[Module, ...], complete_answers: dict[str, object]) -> None:
    del complete_answers["exercise_types"]
    result = validate(default_modules, {**complete_answers, "exercise_days": 0})
    assert result.complete
    assert "exercise_types" in result.hidden


def test_an_undecidable_condition_is_neither_required_nor_dropped(
        default_modules: tuple[Module, ...], complete_answers: dict[str, object]) -> None:
    # exercise_days is invalid, so whether exercise_types is shown cannot be known: the one
    # problem is exercise_days, and a valid exercise_types answer is kept.
    result = validate(default_modules, {**complete_answers, "exercise_days": "3"})
    assert result.problems == (Problem("exercise_days", "expected a whole number"),)
    assert result.missing == ()
    assert result.dropped == ()
    assert result.answers["exercise_types"] == ("walking",)
    without = dict(complete_answers, exercise_days="3")
    del without["exercise_types"]
    assert validate(default_modules, without).missing == ()


def test_answers_to_instruments_not_included_are_dropped(
        registry: Registry, default_modules: tuple[Module, ...],
        complete_answers: dict[str, object]) -> None:
    raw = {**complete_answers, "odi_1": 3, "rmdq_24": "not even a boolean"}
    result = validate(default_modules, raw,
                      known_ids=known_elsewhere(registry, default_modules))
    assert result.dropped == ("odi_1", "rmdq_24")
    assert result.unknown == ()
    assert result.complete


def test_unknown_question_ids_are_reported(default_modules: tuple[Module, ...],
                                           complete_answers: dict[str, object]) -> None:
    result = validate(default_modules, {**complete_answers, "pain_nwo": 3})
    assert result.unknown == ("pain_nwo",)
    assert not result.complete
    assert result.all_problems() == [Problem("pain_nwo", "unknown question id")]


def test_all_problems_lists_unknown_then_invalid_then_missing(
        default_modules: tuple[Module, ...], complete_answers: dict[str, object]) -> None:
    del complete_answers["pillow_height"]
    raw = {**complete_answers, "zzz": 1, "age": 4.0}
    assert validate(default_modules, raw).all_problems() == [
        Problem("zzz", "unknown question id"),
        Problem("age", "expected a whole number"),
        Problem("pillow_height", "missing (required)"),
    ]


def test_optional_questions_may_stay_unanswered(registry: Registry,
                                                complete_answers: dict[str, object]) -> None:
    # Every ODI section may be skipped on the client's form.
    modules = registry.select(["odi"])
    result = validate(modules, {**complete_answers, "odi_1": 2, "odi_10": 0})
    assert result.complete
    assert (result.answers["odi_1"], result.answers["odi_10"]) == (2, 0)


def test_multi_answers_are_stored_in_questionnaire_order(
        default_modules: tuple[Module, ...], complete_answers: dict[str, object]) -> None:
    raw = {**complete_answers, "pain_location": ["leg_below_knee", "lower_back"]}
    assert validate(default_modules, raw).answers["pain_location"] == (
        "lower_back", "leg_below_knee")


def test_visible_answers_drop_what_a_changed_answer_now_hides(
        default_modules: tuple[Module, ...], complete_answers: dict[str, object]) -> None:
    stored = dict(validate(default_modules, complete_answers).answers)
    assert "knee_pillow" in stored
    stored["sleep_position"] = "stomach"
    assert "knee_pillow" not in visible_answers(default_modules, stored)


# --------------------------------------------------------------------------- next_question


def test_next_question_follows_the_interview_order(
        default_modules: tuple[Module, ...]) -> None:
    answers: dict[str, AnswerValue] = {}
    first = next_question(default_modules, answers)
    assert first is not None
    assert (first.id, first.module) == ("age", "intake")
    answers["age"] = 40
    second = next_question(default_modules, answers)
    assert second is not None
    assert second.id == "sex"
    answers["sex"] = "female"
    assert getattr(next_question(default_modules, answers), "id", None) == "pregnancy"
    answers["pregnancy"] = "pregnant"
    third = next_question(default_modules, answers)
    assert third is not None and third.id == "pregnancy_weeks"
    answers["pregnancy"] = "no"
    third = next_question(default_modules, answers)
    assert third is not None and third.id == "pain_duration"


def test_next_question_skips_what_is_hidden_answered_or_skipped(
        default_modules: tuple[Module, ...], complete_answers: dict[str, RawAnswer]) -> None:
    answers = dict(validate(default_modules, complete_answers).answers)
    del answers["knee_pillow"], answers["sbst_9"]
    shown = next_question(default_modules, answers)
    assert shown is not None
    assert shown.id == "knee_pillow"
    answers["sleep_position"] = "stomach"
    after = next_question(default_modules, answers)
    assert after is not None
    assert after.id == "sbst_9"
    assert next_question(default_modules, answers, skipped={"sbst_9"}) is None


# --------------------------------------------------------------------------- assess.start


def test_start_keeps_valid_answers_and_warns_about_dropped_ones(
        registry: Registry, write_answers: WriteAnswers,
        complete_answers: dict[str, object]) -> None:
    path = write_answers({**complete_answers, "sleep_position": "stomach", "knee_pillow": True,
                          "odi_3": 4})
    st = assess.start(registry, client=None, answers_file=path, instruments=None)
    assert st.client == "JD-042"
    assert "knee_pillow" not in st.answers
    assert st.warnings == [
        "ignored answers to questions not asked in this interview (hidden by an earlier "
        "answer or an instrument not included): knee_pillow, odi_3"]
    assess.require_complete(st)


def test_require_complete_lists_every_problem_at_once(
        registry: Registry, write_answers: WriteAnswers,
        complete_answers: dict[str, object]) -> None:
    del complete_answers["sbst_1"]
    path = write_answers({**complete_answers, "age": True, "typo_id": 1}, client=None,
                         extra_key="x")
    st = assess.start(registry, client=None, answers_file=path, instruments=None)
    with pytest.raises(AnswersError) as info:
        assess.require_complete(st)
    assert info.value.exit_code == 3
    assert str(info.value) == (
        "the answers are incomplete or invalid (5):\n"
        "  - extra_key: unknown top-level key (expected client and [answers])\n"
        "  - client: missing (give --client or client = \"...\" in the answers file)\n"
        "  - typo_id: unknown question id\n"
        "  - age: expected a whole number\n"
        "  - sbst_1: missing (required)")


# (reference given with --client, reference in the file, the one that is used or the error).
CLIENTS: list[tuple[str | None, object, str]] = [
    ("CL-1", "FILE-1", "CL-1"),
    ("CL-1", 42, "CL-1"),
    ("CL-1", "../x", "CL-1"),
    (None, "FILE-1", "FILE-1"),
    (None, 42, "invalid client reference: it must be text, e.g. \"JD-042\""),
    (None, True, "invalid client reference: it must be text, e.g. \"JD-042\""),
    ("a/b", "FILE-1", "invalid client reference 'a/b': use 1 to 64 ASCII letters, digits, "
                      "'-', '_' or '.', not starting with '.' or '-'"),
]


@pytest.mark.parametrize(("flag", "in_file", "outcome"), CLIENTS,
                         ids=[f"{f}-{v!r}" for f, v, _ in CLIENTS])
def test_only_the_client_reference_in_use_is_checked(
        registry: Registry, write_answers: WriteAnswers, flag: str | None, in_file: object,
        outcome: str) -> None:
    # The answers are broken too: the reference must be judged before them.
    path = write_answers({"age": "old"}, client=in_file)
    if outcome.startswith("invalid"):
        with pytest.raises(InvalidClientError) as info:
            assess.start(registry, client=flag, answers_file=path, instruments=None)
        assert str(info.value) == outcome
    else:
        st = assess.start(registry, client=flag, answers_file=path, instruments=None)
        assert st.client == outcome


# (what the answers hold, whether the interview still has a question to put). An emergency
# sign makes every other question optional: the one rule, for validate and for prompting.
QUESTIONS_OPEN: list[tuple[str, str | None, bool, bool]] = [
    # (case, answer removed, emergency sign, still open)
    ("complete", None, False, False),
    ("one missing", "pain_now", False, True),
    ("one missing, emergency sign", "pain_now", True, False),
    ("complete, emergency sign", None, True, False),
]


@pytest.mark.parametrize(("removed", "emergency", "open_"),
                         [c[1:] for c in QUESTIONS_OPEN], ids=[c[0] for c in QUESTIONS_OPEN])
def test_an_emergency_sign_leaves_no_question_open(
        default_modules: tuple[Module, ...], complete_answers: dict[str, RawAnswer],
        removed: str | None, emergency: bool, open_: bool) -> None:
    raw = {**complete_answers, **({"rf_saddle_numbness": True} if emergency else {})}
    if removed is not None:
        del raw[removed]
    answers = validate(default_modules, raw).answers
    assert questions_open(default_modules, answers) is open_
    assert emergency_waives(answers) is emergency
    # validate waives what the interview would not ask, and nothing else.
    assert bool(validate(default_modules, raw).waived) is (emergency and removed is not None)


# --------------------------------------------------------------------------- v3 questions


@pytest.mark.parametrize(("sex", "age", "asked"), [
    ("female", 30, True), ("other", 12, True), ("female", 55, True),
    # the clinical reference v3: the interview had asked men of 27 and 68 about pregnancy
    ("male", 27, False), ("male", 68, False), ("female", 56, False), ("other", 70, False),
])
def test_pregnancy_is_asked_only_when_it_is_possible(
        default_modules: tuple[Module, ...], complete_answers: dict[str, RawAnswer],
        sex: str, age: int, asked: bool) -> None:
    raw = {**complete_answers, "sex": sex, "age": age, "pregnancy": "no"}
    if age >= 65:
        raw.update(falls_past_year="none", unsteady=False)
    result = validate(default_modules, raw)
    assert ("pregnancy" in result.answers) is asked
    assert ("pregnancy" in result.dropped) is not asked
    assert result.complete


def test_a_male_client_without_an_age_is_not_asked_about_pregnancy(
        default_modules: tuple[Module, ...], complete_answers: dict[str, RawAnswer]) -> None:
    raw = {k: v for k, v in complete_answers.items() if k != "age"}
    result = validate(default_modules, {**raw, "sex": "male", "pregnancy": "pregnant",
                                        "pregnancy_weeks": 20})
    assert result.dropped == ("pregnancy", "pregnancy_weeks")
    assert result.missing[0] == "age"
    # A woman without an age: whether to ask cannot be decided; the answer is kept.
    result = validate(default_modules, {**raw, "sex": "female", "pregnancy": "no"})
    assert result.answers["pregnancy"] == "no" and "pregnancy" not in result.dropped


def test_an_unknown_sex_does_not_hide_pregnancy(
        default_modules: tuple[Module, ...], complete_answers: dict[str, RawAnswer]) -> None:
    # As in a version-1 or version-2 session: no sex, so pregnancy is asked (required).
    raw = {k: v for k, v in complete_answers.items() if k != "sex"}
    result = validate(default_modules, {**raw, "age": 30})
    assert result.missing == ("sex", "pregnancy")


@pytest.mark.parametrize(("answers", "shown", "hidden"), [
    ({"pregnancy": "postpartum", "postpartum_weeks": 3}, {"rf_leg_clot", "postpartum_weeks"},
     {"rf_pregnancy_warning", "pregnancy_weeks"}),
    ({"pregnancy": "pregnant", "pregnancy_weeks": 20},
     {"rf_leg_clot", "rf_pregnancy_warning", "pregnancy_weeks"}, {"postpartum_weeks"}),
    ({"pregnancy": "no"}, set(),
     {"rf_leg_clot", "rf_pregnancy_warning", "pregnancy_weeks", "postpartum_weeks"}),
    ({"age": 65, "falls_past_year": "one", "unsteady": False}, {"falls_past_year", "unsteady"},
     {"pregnancy"}),
    ({"age": 64, "pregnancy": "no"}, set(), {"falls_past_year", "unsteady"}),
    ({"occupation": "not_working"}, set(), {"work_absence", "work_absence_weeks"}),
    ({"occupation": "mixed", "work_absence": "off_work", "work_absence_weeks": 6},
     {"work_absence", "work_absence_weeks"}, set()),
    ({"rf_steroids": True, "risk_team_aware": True}, {"risk_team_aware"}, set()),
    ({"rf_anticoagulant": True}, set(), {"risk_team_aware"}),
])
def test_the_v3_questions_follow_their_conditions(
        default_modules: tuple[Module, ...], complete_answers: dict[str, RawAnswer],
        answers: dict[str, RawAnswer], shown: set[str], hidden: set[str]) -> None:
    raw = {**complete_answers, "age": 40, "sex": "female", **answers}
    if "pregnancy" not in raw and raw["age"] == 40:
        raw["pregnancy"] = "no"
    for qid in ("rf_leg_clot", "rf_pregnancy_warning"):
        if qid in shown:
            raw[qid] = False
    result = validate(default_modules, raw)
    assert result.complete, result.all_problems()
    assert shown <= set(result.answers)
    assert not hidden & set(result.answers)
    assert hidden <= result.hidden
