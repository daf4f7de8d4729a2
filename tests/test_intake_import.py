"""`backpain assess --answers FILE` with a file the client's intake form saved (issue 21,
item 3): the [intake] table, several answers files, the session's `intake` and
`red_flags_confirmed`, and the warning signs gone through face to face."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TypeAlias

import pytest
import tomli_w
from askers import ENTER, RecordingAsker, Said, feed
from helpers import command, list_refs
from prompt_toolkit.input import PipeInput, create_pipe_input

from backpain_cli.clinical.questionnaire import Question, Registry, load_registry
from backpain_cli.errors import Interrupted
from backpain_cli.flows.assess import AssessRequest, assess_visit
from backpain_cli.interview import CONFIRM_INTRO
from backpain_cli.output.handout_words import SIGNS_UNCONFIRMED as CLIENT_WORDS
from backpain_cli.output.wording import SIGNS_UNCONFIRMED
from backpain_cli.records.storage import read_session

RawAnswer: TypeAlias = bool | int | str | list[str]
assess = command("assess")
review = command("review")
handout = command("handout")

REGISTRY = load_registry(None)
FORM_IDS = {q.id for m in REGISTRY.form_modules for q in m.questions}
MODULES = {m.id: m.version for m in REGISTRY.form_modules}
COMPLETED = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)
INTAKE = {"filled_by": "client", "completed": COMPLETED, "modules": MODULES}


@pytest.fixture
def files(tmp_path: Path, complete_answers: dict[str, RawAnswer]
          ) -> Callable[..., tuple[Path, Path]]:
    """The client's form file and the practitioner's part (STarT Back) beside it."""

    def write(intake: object = INTAKE, **changes: RawAnswer) -> tuple[Path, Path]:
        answers = {**complete_answers, **changes}
        client = {k: v for k, v in answers.items() if k in FORM_IDS}
        rest = {k: v for k, v in answers.items() if k not in FORM_IDS}
        form = tmp_path / "JD-042-2026-12-07.answers.toml"
        form.write_text(tomli_w.dumps({"client": "JD-042", "answers": client,
                                       "intake": intake}), encoding="utf-8")
        own = tmp_path / "startback.answers.toml"
        own.write_text(tomli_w.dumps({"answers": rest}), encoding="utf-8")
        return form, own

    return write


def test_the_form_and_the_practitioner_s_part_make_a_session(
        files: Callable[..., tuple[Path, Path]], backpain_home: Path) -> None:
    form, own = files()
    result = assess("--answers", form, "--answers", own, "--no-input", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["red_flags_confirmed"] is False
    assert doc["intake"] == {"filled_by": "client", "completed": "2026-12-07T09:30:00Z",
                             "modules": MODULES}
    saved = read_session(list_refs()[0].path)
    assert saved.intake == {"filled_by": "client", "completed": COMPLETED, "modules": MODULES}
    assert saved.red_flags_confirmed is False and saved.signs_unconfirmed
    text = list_refs()[0].path.read_text(encoding="utf-8")
    assert "red_flags_confirmed = false\n" in text and "[intake]\n" in text


def test_the_document_with_an_intake_follows_the_json_schema(
        files: Callable[..., tuple[Path, Path]]) -> None:
    import jsonschema

    from backpain_cli.output import json_doc

    form, own = files()
    result = assess("--answers", form, "--answers", own, "--no-input", "--json")
    assert result.exit_code == 0, result.stderr
    validator = jsonschema.Draft202012Validator(
        json.loads(json_doc.schema_text()),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert [e.message for e in validator.iter_errors(json.loads(result.stdout))] == []


def test_a_resumed_draft_goes_through_every_sign_again(
        pipe: PipeInput, files: Callable[..., tuple[Path, Path]], registry: Registry,
        complete_answers: dict[str, RawAnswer]) -> None:
    form, own = files()
    signs = sign_questions(registry, complete_answers)
    # Interrupted at the third sign: a draft, its signs not confirmed.
    feed(pipe, "n" + ENTER + "n" + ENTER)
    with pytest.raises(Interrupted):
        assess_visit(AssessRequest(answers_file=form, more_answers=(own,)),
                     asker=lambda: RecordingAsker(pipe), notices=Said())
    draft = read_session(list_refs()[0].path)
    assert draft.is_draft and draft.red_flags_confirmed is False
    assert draft.answers["rf_fever"] is False  # the client's answer kept
    with create_pipe_input() as again:
        feed(again, "".join("n" + ENTER for _ in signs))
        asker = RecordingAsker(again)
        done = assess_visit(AssessRequest(resume=draft.id), asker=lambda: asker,
                            notices=Said())
    assert asker.asked == [q.id for q in signs]
    assert done.session.red_flags_confirmed is True


def test_the_plan_the_review_and_the_handout_say_the_signs_are_not_confirmed(
        files: Callable[..., tuple[Path, Path]], backpain_home: Path) -> None:
    form, own = files()
    shown = assess("--answers", form, "--answers", own, "--no-input")
    assert shown.exit_code == 0, shown.stderr
    assert " ".join(SIGNS_UNCONFIRMED.split()) in " ".join(shown.stdout.split())
    sid = list_refs()[0].id
    reviewed = review(sid)
    assert reviewed.exit_code == 0, reviewed.stderr
    assert " ".join(SIGNS_UNCONFIRMED.split()) in " ".join(reviewed.stdout.split())
    page = handout(sid, "--format", "md")
    assert page.exit_code == 0, page.stderr
    assert CLIENT_WORDS in " ".join(page.stdout.split())


def test_a_plain_answers_file_says_nothing_of_an_intake(
        write_answers: Callable[..., Path], complete_answers: dict[str, RawAnswer]) -> None:
    result = assess("--answers", write_answers(complete_answers), "--no-input", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert "intake" not in doc and "red_flags_confirmed" not in doc
    text = list_refs()[0].path.read_text(encoding="utf-8")
    assert "[intake]" not in text and "red_flags_confirmed" not in text


def test_a_question_answered_in_two_files_is_an_answer_problem(
        files: Callable[..., tuple[Path, Path]], tmp_path: Path,
        complete_answers: dict[str, RawAnswer]) -> None:
    form, own = files()
    extra = tmp_path / "again.toml"
    extra.write_text(tomli_w.dumps({"answers": {"age": complete_answers["age"],
                                                "sbst_1": False}}), encoding="utf-8")
    result = assess("--answers", form, "--answers", own, "--answers", extra, "--no-input")
    assert result.exit_code == 3
    assert result.stderr == (
        "backpain: error: the answers are incomplete or invalid (2):\n"
        f"  - age: answered in more than one file ({form}, {extra})\n"
        f"  - sbst_1: answered in more than one file ({own}, {extra})\n")
    assert list_refs() == []


@pytest.mark.parametrize(("intake", "problems"), [
    ({**INTAKE, "filled_by": "practitioner"}, ['intake.filled_by: must be "client"']),
    ({"filled_by": "client", "modules": MODULES},
     ["intake.completed: must be a date and time with its offset, e.g. 2026-12-07T09:30:00Z"]),
    ({**INTAKE, "completed": dt.datetime(2026, 12, 7, 9, 30)},
     ["intake.completed: must be a date and time with its offset, e.g. 2026-12-07T09:30:00Z"]),
    ({**INTAKE, "modules": ["intake"]}, ['intake.modules: must be a table of module id = '
                                         '"version"']),
    ({**INTAKE, "by": "tablet"}, ["intake.by: unknown key (expected filled_by, completed and "
                                  "modules)"]),
    ("client", ["intake: must be a table (filled_by, completed, modules)"]),
])
def test_a_bad_intake_table_is_one_line_per_problem(
        files: Callable[..., tuple[Path, Path]], intake: object, problems: list[str]) -> None:
    form, own = files(intake=intake)
    result = assess("--answers", form, "--answers", own, "--no-input")
    assert result.exit_code == 3
    assert result.stderr == (
        f"backpain: error: the answers are incomplete or invalid ({len(problems)}):\n"
        + "".join(f"  - {p}\n" for p in problems))
    assert list_refs() == []


@pytest.mark.parametrize(("data", "message"), [
    (b'client = "JD-042"\n[answers]\nage = \n', "not valid TOML: Invalid value (at line 3, "
                                                "column 7)"),
    (b'client = "JD-042"\n[answers]\nsex = "\xff"\n', "line 3: not UTF-8 text"),
])
def test_a_form_file_that_cannot_be_read_is_exit_1(tmp_path: Path, data: bytes,
                                                   message: str) -> None:
    path = tmp_path / "form.answers.toml"
    path.write_bytes(data)
    result = assess("--answers", path, "--no-input")
    assert (result.exit_code, result.stderr) == (1, f"backpain: error: {path}: {message}\n")


def test_a_form_of_other_module_versions_is_read_like_older_answers(
        files: Callable[..., tuple[Path, Path]]) -> None:
    form, own = files(intake={**INTAKE, "modules": {**MODULES, "sleep": "0"}},
                      mattress_age_years=80)
    result = assess("--answers", form, "--answers", own, "--no-input")
    assert result.exit_code == 3
    assert result.stderr == (
        "backpain: warning: intake form: the form's module sleep is version 0, today's is 1: "
        "its answers are read like an older session's\n"
        "backpain: error: the answers are incomplete or invalid (1):\n"
        "  - mattress_age_years: 80 is above the maximum 50\n")


# --------------------------------------------------------------------------- face to face


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with create_pipe_input() as inp:
        yield inp


def sign_questions(registry: Registry, answers: Mapping[str, RawAnswer]) -> list[Question]:
    return [q for q in registry.module("red_flags").questions if q.id in answers]


def test_every_warning_sign_is_gone_through_face_to_face(
        pipe: PipeInput, files: Callable[..., tuple[Path, Path]], registry: Registry,
        complete_answers: dict[str, RawAnswer]) -> None:
    form, _ = files()
    signs = sign_questions(registry, complete_answers)
    # STarT Back (not on the form) first, then every sign; Enter alone is refused.
    keys = "".join("n" + ENTER for _ in range(9)) + ENTER
    keys += "".join(("y" if complete_answers[q.id] else "n") + ENTER for q in signs)
    feed(pipe, keys)
    asker = RecordingAsker(pipe)
    done = assess_visit(AssessRequest(answers_file=form, save=False),
                        asker=lambda: asker, notices=Said())
    assert asker.asked == [f"sbst_{i}" for i in range(1, 10)] + [q.id for q in signs]
    shown = asker.shown()
    assert " ".join(CONFIRM_INTRO.split()) in shown
    assert shown.count("On the form: no") == len(signs)
    assert done.session.red_flags_confirmed is True
    assert done.session.intake is not None and not done.session.signs_unconfirmed


def test_a_sign_turned_to_yes_stops_at_the_emergency(
        pipe: PipeInput, files: Callable[..., tuple[Path, Path]], registry: Registry,
        complete_answers: dict[str, RawAnswer]) -> None:
    form, own = files()
    # The first sign turned to yes: the referral, and Enter ends the interview there.
    feed(pipe, "y" + ENTER + ENTER)
    asker = RecordingAsker(pipe)
    done = assess_visit(AssessRequest(answers_file=form, more_answers=(own,), save=False),
                        asker=lambda: asker, notices=Said())
    assert asker.asked == ["rf_saddle_numbness"]
    assert done.session.ended_early == "emergency"
    assert done.session.answers["rf_saddle_numbness"] is True
    # The signs not reached keep the client's answers, and are not confirmed.
    assert done.session.answers["rf_fever"] is False
    assert done.session.red_flags_confirmed is False


def test_without_a_terminal_the_signs_stay_unconfirmed(
        files: Callable[..., tuple[Path, Path]]) -> None:
    form, own = files()
    done = assess_visit(AssessRequest(answers_file=form, more_answers=(own,), save=False),
                        asker=None, notices=Said())
    assert done.session.red_flags_confirmed is False
