"""Consistency checks (the clinical reference v3, "Consistency checks (v3)"): when each holds and
what
it names, the warnings of an answers file (never an exit code), the session and JSON keys,
and the interview asking again."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeAlias

import pytest
from helpers import invoke, list_refs
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput
from strategies import client_answers

from backpain_cli.clinical import checks
from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.model import Check
from backpain_cli.clinical.questionnaire import AnswerValue, Question, Registry, load_registry
from backpain_cli.flows import assess as domain
from backpain_cli.interview import QuestionaryAsker, run_interview
from backpain_cli.records import storage

RawAnswer: TypeAlias = bool | int | str | list[str]
WriteAnswers: TypeAlias = Callable[..., Path]
ENTER = "\r"

# (overrides of the base client, the checks that hold as (id, questions))
CASES: list[tuple[str, dict[str, Any], list[tuple[str, tuple[str, ...]]]]] = [
    ("none", {}, []),
    ("pain now above the week's worst", {"pain_now": 7, "pain_worst_week": 6},
     [("ck_pain_now_above_worst", ("pain_now", "pain_worst_week"))]),
    ("pain now equal to the worst", {"pain_now": 6, "pain_worst_week": 6}, []),
    ("an injury without trauma",
     {"onset": "after_injury", "pain_duration": "under_6_weeks", "rf_trauma": False},
     [("ck_injury_no_trauma", ("onset", "pain_duration", "rf_trauma"))]),
    ("an older injury", {"onset": "after_injury", "pain_duration": "6_to_12_weeks"}, []),
    ("an injury with trauma",
     {"onset": "after_injury", "pain_duration": "under_6_weeks", "rf_trauma": True}, []),
    ("leg pain not located", {"sbst_1": True, "pain_location": ["lower_back", "buttock"]},
     [("ck_leg_pain_not_located", ("sbst_1", "pain_location"))]),
    ("leg pain located", {"sbst_1": True, "pain_location": ["leg_above_knee"]}, []),
    ("no mechanical pattern",
     {"pain_worse_with": ["none"], "pain_eased_by": ["none"], "rf_constant_pain": False},
     [("ck_no_mechanical_pattern", ("pain_worse_with", "pain_eased_by", "rf_constant_pain"))]),
    ("no pattern, and constant",
     {"pain_worse_with": ["none"], "pain_eased_by": ["none"], "rf_constant_pain": True}, []),
    ("worse and eased by sitting",
     {"pain_worse_with": ["sitting", "lifting"], "pain_eased_by": ["sitting"]},
     [("ck_worse_and_eased", ("pain_worse_with", "pain_eased_by"))]),
    # `none` never counts
    ("none in both", {"pain_worse_with": ["none"], "pain_eased_by": ["none"],
                      "rf_constant_pain": True}, []),
    ("a long first episode (before 45)",
     {"first_episode": True, "pain_duration": "over_12_weeks", "age": 50,
      "axspa_features": ["none"], "onset_before_45": True},
     [("ck_first_episode_long", ("first_episode", "pain_duration", "age",
                                 "onset_before_45"))]),
    ("a long first episode (before 35)",
     {"first_episode": True, "pain_duration": "over_12_weeks", "age": 50,
      "axspa_features": ["onset_before_35"]},
     [("ck_first_episode_long", ("first_episode", "pain_duration", "age", "axspa_features"))]),
    ("a first episode that began after 45",
     {"first_episode": True, "pain_duration": "over_12_weeks", "age": 50,
      "axspa_features": ["none"], "onset_before_45": False}, []),
    ("a long episode at 40", {"first_episode": True, "pain_duration": "over_12_weeks",
                              "age": 40, "axspa_features": ["none"]}, []),
    ("osteoporosis not diagnosed", {"rf_osteoporosis": True},
     [("ck_osteoporosis_not_in_diagnoses", ("rf_osteoporosis", "diagnoses"))]),
    ("osteoporosis diagnosed", {"rf_osteoporosis": True, "diagnoses": ["osteoporosis"],
                                "under_medical_care": True}, []),
    ("two at once, in table order",
     {"pain_now": 8, "pain_worst_week": 5, "rf_osteoporosis": True},
     [("ck_pain_now_above_worst", ("pain_now", "pain_worst_week")),
      ("ck_osteoporosis_not_in_diagnoses", ("rf_osteoporosis", "diagnoses"))]),
]


@pytest.mark.parametrize(("overrides", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_checks_of_complete_answers(overrides: dict[str, Any],
                                    expected: list[tuple[str, tuple[str, ...]]]) -> None:
    answers = client_answers(overrides)
    assert build_plan(answers).checks == tuple(Check(i, q) for i, q in expected)


def test_a_check_needs_every_answer_it_reads() -> None:
    assert checks.find({"pain_now": 8}) == ()
    assert checks.find({"sbst_1": True}) == ()
    assert checks.find({"rf_osteoporosis": True}) == ()  # diagnoses not answered yet
    assert checks.find({"onset": "after_injury", "pain_duration": "under_6_weeks"}) == ()
    assert checks.find({"first_episode": True, "pain_duration": "over_12_weeks", "age": 50}) == ()


def test_the_pregnancy_sign_without_a_pregnancy_answer() -> None:
    answers = {"rf_pregnancy_warning": True, "rf_fever": False}
    assert checks.find(answers) == (
        Check("ck_pregnancy_warning_unasked", ("rf_pregnancy_warning", "pregnancy")),)
    # Not counted: no flag and no emergency.
    plan = build_plan(answers)
    assert plan.red_flags == () and plan.triage != "emergency"
    assert checks.find({**answers, "pregnancy": "pregnant"}) == ()


def test_the_lines_name_the_problem() -> None:
    answers = client_answers({"pain_now": 8, "pain_worst_week": 5,
                              "pain_worse_with": ["sitting", "bending_forward"],
                              "pain_eased_by": ["bending_forward", "sitting"]})
    plan = build_plan(answers)
    assert [checks.line(c, answers) for c in plan.checks or ()] == [
        "pain now (8) is above the worst pain of the past week (5); the worst of the week "
        "includes today",
        "the same thing makes the pain worse and eases it: bending forward, sitting"]


def test_pain_now_above_the_worst_feeds_the_rules_through_worst_pain() -> None:
    # The one check that changes the plan: the worst of the week includes today.
    answers = client_answers({"pain_duration": "over_12_weeks", "axspa_features": ["none"],
                              "pain_now": 9, "pain_worst_week": 5})
    plan = build_plan(answers)
    assert plan.scores["nprs_worst_week"] == 5  # scores as answered
    assert plan.triage == "refer_routine"  # severe_chronic by worst_pain 9
    assert plan.checks == (Check("ck_pain_now_above_worst", ("pain_now", "pain_worst_week")),)


# --------------------------------------------------------------------------- answers files


run = invoke


def test_an_answers_file_warns_and_saves_the_checks(
        backpain_home: Path, write_answers: WriteAnswers,
        complete_answers: dict[str, RawAnswer]) -> None:
    path = write_answers({**complete_answers, "pain_now": 7, "pain_worst_week": 4})
    result = run("assess", "--answers", path, "--no-input", "--json")
    assert result.exit_code == 0, result.output
    assert ("backpain: warning: check ck_pain_now_above_worst: pain now (7) is above the "
            "worst pain of the past week (4); the worst of the week includes today\n"
            ) in result.stderr
    doc = json.loads(result.stdout)
    assert doc["checks"] == [{"id": "ck_pain_now_above_worst",
                              "questions": ["pain_now", "pain_worst_week"]}]
    [ref] = list_refs(backpain_home)
    saved = tomllib.loads(ref.path.read_text(encoding="utf-8"))
    assert saved["checks"] == doc["checks"]
    assert storage.read_session(ref.path).plan.checks == (  # type: ignore[union-attr]
        Check("ck_pain_now_above_worst", ("pain_now", "pain_worst_week")),)


def test_the_plan_shows_its_checks(backpain_home: Path, write_answers: WriteAnswers,
                                   complete_answers: dict[str, RawAnswer],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    path = write_answers({**complete_answers, "pain_now": 7, "pain_worst_week": 4})
    result = run("assess", "--answers", path, "--no-input")
    assert result.exit_code == 0, result.output
    assert ("Consistency checks: ck_pain_now_above_worst (pain_now, pain_worst_week)"
            in result.stdout)
    [ref] = list_refs(backpain_home)
    # The practitioner's plan (--detail full); the client's handout names no check.
    markdown = run("export", ref.id, "--format", "md", "--detail", "full").stdout
    assert ("**Consistency checks:** ck_pain_now_above_worst (pain_now, pain_worst_week)"
            in markdown), markdown
    assert "ck_pain_now_above_worst" not in run("export", ref.id, "--format", "md").stdout


def test_a_plan_without_checks_says_so(backpain_home: Path, write_answers: WriteAnswers,
                                       complete_answers: dict[str, RawAnswer]) -> None:
    result = run("assess", "--answers", write_answers(complete_answers), "--no-input",
                 "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["checks"] == []
    assert "check " not in result.stderr


def test_checks_never_change_the_exit_code(backpain_home: Path, write_answers: WriteAnswers,
                                           complete_answers: dict[str, RawAnswer]) -> None:
    # Guardrail 24: with a problem it is still exit 3, nothing saved; without one, 0.
    broken = {**complete_answers, "pain_now": 7, "pain_worst_week": 4, "sitting_hours": 30}
    result = run("assess", "--answers", write_answers(broken), "--no-input")
    assert result.exit_code == 3, result.output
    assert list_refs(backpain_home) == []


def test_the_unasked_pregnancy_sign_opens_the_output(
        backpain_home: Path, write_answers: WriteAnswers,
        complete_answers: dict[str, RawAnswer]) -> None:
    # Neither age nor pregnancy given: whether to ask about pregnancy cannot be decided, so
    # the sign's answer is kept but not counted; the command's first line says what it means.
    given = {k: v for k, v in complete_answers.items() if k not in ("age", "pregnancy")}
    given["rf_pregnancy_warning"] = True
    result = run("assess", "--answers", write_answers(given), "--no-input")
    assert result.exit_code == 3, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == checks.PREGNANCY_WARNING_UNASKED
    assert lines[1].startswith("backpain: error: the answers are incomplete or invalid")


# --------------------------------------------------------------------------- the interview


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with create_pipe_input() as inp:
        yield inp


class Recording(QuestionaryAsker):
    def __init__(self, inp: PipeInput) -> None:
        super().__init__(input=inp, output=DummyOutput(), columns=200)
        self.asked: list[tuple[str, AnswerValue | None]] = []
        self.lines: list[str] = []

    def ask(self, question: Question, default: AnswerValue | None, *,
            last_visit: bool = False) -> Any:
        self.asked.append((question.id, default))
        return super().ask(question, default, last_visit=last_visit)

    def check(self, line: str) -> None:
        self.lines.append(line)
        super().check(line)


@pytest.mark.parametrize(("again", "kept"), [(ENTER, 4), ("8" + ENTER, 8)],
                         ids=["kept", "changed"])
def test_the_interview_asks_again(
        pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys_for: Callable[[Question, RawAnswer], str], again: str, kept: int) -> None:
    registry: Registry = load_registry(None)
    questions = registry.questions()
    given = {**complete_answers, "pain_now": 7, "pain_worst_week": 4}
    order = list(given)
    typed = "".join(keys_for(questions[q], given[q])
                    for q in order[:order.index("pain_worst_week") + 1])
    typed += again + "".join(keys_for(questions[q], given[q])
                             for q in order[order.index("pain_worst_week") + 1:])
    pipe.send_text(typed)
    pipe.close()
    st = domain.start(registry, client="JD-042", answers_file=None, instruments=None)
    answers: dict[str, AnswerValue] = {}
    raised: set[str] = set()
    asker = Recording(pipe)
    run_interview(st.modules, answers, set(), asker, raised=raised)
    at = [q for q, _ in asker.asked].index("pain_worst_week")
    # Asked again right away, with the given answer as the default.
    assert asker.asked[at + 1] == ("pain_worst_week", 4)
    assert asker.lines == ["pain now (7) is above the worst pain of the past week (4); the "
                           "worst of the week includes today"]
    assert answers["pain_worst_week"] == kept
    assert raised == {"ck_pain_now_above_worst"}
    assert [q for q, _ in asker.asked].count("pain_worst_week") == 2


def test_answers_given_before_the_interview_are_not_asked_again(
        pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys_for: Callable[[Question, RawAnswer], str]) -> None:
    # From a file: the caller warns about it instead.
    registry = load_registry(None)
    questions = registry.questions()
    given: Mapping[str, RawAnswer] = {**complete_answers, "pain_now": 7, "pain_worst_week": 4}
    answers: dict[str, AnswerValue] = {k: v for k, v in given.items()
                                       if k in ("age", "sex", "pain_now", "pain_worst_week")
                                       and not isinstance(v, list)}
    rest = [q for q in given if q not in answers]
    pipe.send_text("".join(keys_for(questions[q], given[q]) for q in rest))
    pipe.close()
    st = domain.start(registry, client="JD-042", answers_file=None, instruments=None)
    raised: set[str] = set()
    asker = Recording(pipe)
    run_interview(st.modules, answers, set(), asker, raised=raised)
    assert asker.lines == [] and raised == set()
