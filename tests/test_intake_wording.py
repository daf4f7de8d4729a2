"""The client's wording of the intake form (issue 21, item 1): every question of a form
module has it, plain enough for school grade 8, and the licensed instruments are never on
the form."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import command
from readability import grade

from backpain_cli.clinical.questionnaire import (
    LICENSED_MODULES,
    Module,
    check_with_form,
    load_registry,
)
from backpain_cli.errors import Problem

questionnaires = command("questionnaires")
intake = command("intake")

# Medicine names are read off the box, not understood: they are graded as a short word.
MEDICINES = ("warfarin", "apixaban", "rivaroxaban", "edoxaban", "dabigatran", "heparin",
             "Aspirin", "clopidogrel", "prednisolone", "spondyloarthritis")


def form_modules() -> tuple[Module, ...]:
    return load_registry(None).form_modules


def client_texts() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for m in form_modules():
        if m.client_intro:
            out.append((m.id, m.client_intro))
        for q in m.questions:
            out += [(q.id, t) for t in (q.client_text, q.client_help, *q.client_parts) if t]
    return out


def test_the_form_holds_the_shipped_modules_a_client_can_answer() -> None:
    assert [m.id for m in form_modules()] == ["intake", "red_flags", "sleep", "activity",
                                              "diagnoses"]
    registry = load_registry(None)
    for licensed in LICENSED_MODULES:
        module = registry.module(licensed)
        assert not module.form
        assert all(q.client_text is None for q in module.questions)


def test_every_form_question_speaks_to_the_client() -> None:
    questions = [q for m in form_modules() for q in m.questions]
    assert len(questions) == 61
    assert [q.id for q in questions if not q.client_text] == []
    # Addressed to the client, never about "the client".
    assert [q.id for q in questions
            if "client" in " ".join((q.client_text or "", q.client_help or "",
                                     *q.client_parts)).lower()] == []


def test_every_client_text_reads_at_grade_8_or_below() -> None:
    texts = client_texts()
    assert len(texts) > 90
    hard = {}
    for qid, text in texts:
        plain = text
        for name in MEDICINES:
            plain = plain.replace(name, "pill")
        # A label of one to three words is no text to grade (see the handout's test).
        if len(plain.split()) > 3 and grade(plain) > 8:
            hard[qid] = (round(grade(plain), 1), text)
    assert hard == {}


HEAD = 'id = "own"\nversion = "1"\ntitle = "Own"\norder = 60\n'


def yesno(qid: str, extra: str = "") -> str:
    return f'\n[[questions]]\nid = "{qid}"\ntype = "yesno"\ntext = "Practitioner words?"\n{extra}'


@pytest.mark.parametrize(("module", "problems"), [
    (HEAD + "form = true\n" + yesno("own_a", 'client_text = "Do you?"\n') + yesno("own_b"),
     [("own.toml: own_b", "client_text missing (every question of a module on the "
                          "client's intake form needs the client's wording)")]),
    (HEAD + yesno("own_a", 'client_help = "Help."\n'),
     [("own.toml: own_a", "client_help and client_parts need client_text")]),
    (HEAD + yesno("own_a", 'client_text = "Do you?"\nclient_parts = ["A", "B"]\n'),
     [("own.toml: own_a", "client_parts needs yes_if_any or yes_if_both")]),
    (HEAD + yesno("own_a", 'client_text = "Do you?"\nyes_if_any = ["A", "B"]\n'
                           'client_parts = ["A"]\n'),
     [("own.toml: own_a", "client_parts must be a list of 2 texts, one for each part")]),
    (HEAD + "form = true\noptional = true\n" + yesno("own_a", 'client_text = "Do you?"\n'),
     [("own.toml", "an optional or followup module cannot be on the client's intake form")]),
    (HEAD + 'form = "yes"\n' + yesno("own_a"),
     [("own.toml", "form must be true or false")]),
    (HEAD.replace('"own"', '"odi"', 1) + "form = true\noptional = true\n"
     + yesno("odi_a", 'client_text = "Do you?"\n'),
     [("own.toml", "odi is a licensed instrument: the practice enters it from the licensed "
                   "form, never on the client's intake form")]),
])
def test_check_reports_a_form_question_without_the_client_s_wording(
        tmp_path: Path, module: str, problems: list[tuple[str, str]]) -> None:
    path = tmp_path / "own.toml"
    path.write_text(module, encoding="utf-8")
    _, found = check_with_form(None, [path])
    assert found == [Problem(f"{tmp_path}/{where}", reason) for where, reason in problems]


def test_questionnaires_check_names_the_question_without_client_wording(
        tmp_path: Path) -> None:
    path = tmp_path / "own.toml"
    path.write_text(HEAD + "form = true\n" + yesno("own_b"), encoding="utf-8")
    result = questionnaires("check", path)
    assert result.exit_code == 1
    assert result.stderr == (
        "backpain: error: invalid questionnaire (1):\n"
        f"  - {path}: own_b: client_text missing (every question of a module on the "
        "client's intake form needs the client's wording)\n")


def test_a_form_question_without_wording_stops_the_form_not_the_interview(
        tmp_path: Path) -> None:
    (tmp_path / "own.toml").write_text(HEAD + "form = true\n" + yesno("own_b"),
                                       encoding="utf-8")
    assert load_registry(tmp_path).module("own").form
    result = intake("form", env={"BACKPAIN_HOME": str(tmp_path.parent / "home")})
    assert result.exit_code == 0  # another data folder: its own modules only
    home = tmp_path.parent / "home2"
    (home / "questionnaires").mkdir(parents=True)
    (home / "questionnaires" / "own.toml").write_text(HEAD + "form = true\n" + yesno("own_b"),
                                                      encoding="utf-8")
    refused = intake("form", env={"BACKPAIN_HOME": str(home)})
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == (
        "backpain: error: invalid questionnaire (1):\n"
        f"  - {home / 'questionnaires' / 'own.toml'}: own_b: client_text missing (every "
        "question of a module on the client's intake form needs the client's wording)\n")


def test_a_practice_module_opts_in_with_its_wording(tmp_path: Path) -> None:
    (tmp_path / "own.toml").write_text(
        HEAD + "form = true\n" + yesno("own_a", 'client_text = "Do you stretch?"\n'),
        encoding="utf-8")
    registry = load_registry(tmp_path)
    assert [m.id for m in registry.form_modules][-1] == "own"
    assert registry.module("own").questions[0].client_text == "Do you stretch?"
