"""The practice on the handout (issue 13, item 2): a session records the practice and
practitioner of its visit from the settings, and every rendering of it shows those, not
whatever the settings say by the time it is exported.

Sessions are made by the real command (`assess --answers FILE --no-input`) with a settings
file; the renderers are then given the session as it was read back from disk.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeAlias

import jsonschema
import pytest
import tomli_w
from helpers import invoke, list_refs
from typer.testing import Result

from backpain_cli.clinical.followup import build_history
from backpain_cli.output import html, markdown
from backpain_cli.records.practice import Practice
from backpain_cli.records.session import Session
from backpain_cli.records.storage import read_session

WriteAnswers: TypeAlias = Callable[..., Path]

NORD = {"practice_name": "Physio Nord",
        "practice_contact": "12 Harbour Road, Kiel · 0431 123456",
        "practitioner": "A. Jensen"}
NORD_LINE = "Physio Nord · 12 Harbour Road, Kiel · 0431 123456 · Practitioner: A. Jensen"
SUED = {"practice_name": "Rückenzentrum Süd", "practice_contact": "praxis@sued.example",
        "practitioner": "B. Larsen"}
SUED_LINE = "Rückenzentrum Süd · praxis@sued.example · Practitioner: B. Larsen"


run = invoke


def configure(path: Path, values: Mapping[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps(dict(values)), encoding="utf-8")


def assess(answers_file: Path, *extra: str) -> tuple[Session, Result]:
    before = {r.id for r in list_refs()}
    result = run("assess", "--answers", answers_file, "--no-input", *extra)
    assert result.exit_code == 0, result.output
    [ref] = [r for r in list_refs() if r.id not in before]
    return read_session(ref.path), result


@pytest.fixture
def answers(write_answers: WriteAnswers, complete_answers: dict[str, Any]) -> Path:
    return write_answers(complete_answers)


def test_the_session_records_the_practice_of_its_visit(backpain_config: Path,
                                                      answers: Path) -> None:
    configure(backpain_config, NORD)
    session, _ = assess(answers)
    assert session.practice == Practice("Physio Nord", "12 Harbour Road, Kiel · 0431 123456",
                                        "A. Jensen")
    [ref] = list_refs()
    saved = tomllib.loads(ref.path.read_text(encoding="utf-8"))
    assert {k: saved[k] for k in NORD} == NORD


def test_the_json_document_carries_the_practice_and_fits_its_schema(backpain_config: Path,
                                                                    answers: Path) -> None:
    configure(backpain_config, NORD)
    result = run("assess", "--answers", answers, "--no-input", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {k: document[k] for k in NORD} == NORD
    schema = json.loads((resources.files("backpain_cli.output") / "document.schema.json")
                        .read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)


def test_without_settings_nothing_is_recorded_or_shown(answers: Path) -> None:
    session, result = assess(answers)
    assert session.practice == Practice()
    [ref] = list_refs()
    saved = tomllib.loads(ref.path.read_text(encoding="utf-8"))
    assert not {"practice_name", "practice_contact", "practitioner"} & saved.keys()
    assert "Practitioner" not in result.stdout
    assert "Practitioner" not in markdown.render(session)
    page = html.render(session)
    assert 'class="practice"' not in page
    assert "Questions about this plan" not in page


def test_the_terminal_plan_ends_with_the_practice(backpain_config: Path,
                                                  answers: Path) -> None:
    configure(backpain_config, NORD)
    _, result = assess(answers)
    assert result.stdout.rstrip().splitlines()[-1] == NORD_LINE


def test_review_session_shows_the_practice_of_the_visit(backpain_config: Path,
                                                        answers: Path) -> None:
    configure(backpain_config, NORD)
    session, _ = assess(answers)
    configure(backpain_config, SUED)
    result = run("review", session.id)
    assert result.exit_code == 0, result.output
    assert NORD_LINE in result.stdout
    assert "Larsen" not in result.stdout


def test_the_handout_shows_the_practice_of_the_visit_not_todays(backpain_config: Path,
                                                               answers: Path) -> None:
    configure(backpain_config, NORD)
    first, _ = assess(answers)
    # The practice moved (or the client saw a colleague): the settings change.
    configure(backpain_config, SUED)
    second, _ = assess(answers)
    assert second.practice.name == "Rückenzentrum Süd"
    again = read_session(next(r.path for r in list_refs() if r.id == first.id))
    text = markdown.render(again)
    assert text.splitlines()[2] == NORD_LINE
    assert "Rückenzentrum" not in text
    page = html.render(again)
    assert ('<p class="practice"><strong>Physio Nord</strong> · 12 Harbour Road, Kiel · '
            "0431 123456</p>") in page
    assert "· Practitioner: A. Jensen</p>" in page
    assert "Rückenzentrum" not in page and "Larsen" not in page


def test_the_export_command_shows_the_recorded_practice(backpain_config: Path,
                                                        answers: Path) -> None:
    configure(backpain_config, NORD)
    session, _ = assess(answers)
    configure(backpain_config, SUED)
    result = run("export", session.id, "--format", "md", "--detail", "full")
    assert result.exit_code == 0, result.output
    assert NORD_LINE in result.stdout
    assert "Larsen" not in result.stdout
    result = run("export", session.id, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["practitioner"] == "A. Jensen"


def test_the_last_page_holds_the_next_check_and_whom_to_ask(backpain_config: Path,
                                                            answers: Path) -> None:
    configure(backpain_config, NORD)
    visits = [assess(answers)[0] for _ in range(2)]
    page = html.render(visits[-1], build_history(visits[-1].client, visits))
    footer = page[page.index('<footer class="notice">'):page.index("</footer>")]
    plan = visits[-1].plan
    assert plan is not None and plan.reassess_weeks is not None
    assert '<section class="contact" aria-label="When to come back">' in footer
    assert "<p><strong>Next check: in " in footer
    assert ("<p>Questions about this plan: <strong>Physio Nord</strong> · 12 Harbour Road, "
            "Kiel · 0431 123456 · Practitioner: A. Jensen</p>") in footer
    assert f"Session {visits[-1].id}" in footer


def test_practice_text_is_inert_in_markdown_and_html(backpain_config: Path,
                                                     answers: Path) -> None:
    configure(backpain_config, {"practice_name": "*Back* <b>[care]</b>",
                                "practitioner": "_A_ & B"})
    session, _ = assess(answers)
    assert markdown.render(session).splitlines()[2] == (
        "\\*Back\\* \\<b\\>\\[care\\]\\</b\\> · Practitioner: \\_A\\_ & B")
    page = html.render(session)
    assert "<strong>*Back* &lt;b&gt;[care]&lt;/b&gt;</strong>" in page
    assert "Practitioner: _A_ &amp; B" in page


# --------------------------------------------------------------------------- reading it back

FIELD_PROBLEMS = [
    ('practice_name = "Physio\\u001b[2J"', "field 'practice_name' must not contain control "
                                            "characters (\\x1b)"),
    ('practitioner = ""', "field 'practitioner' must not be empty"),
    ("practice_contact = 12", "field 'practice_contact' must be text"),
    ('practice_contact = "a\\nb"', "field 'practice_contact' must be one line (no line "
                                    "breaks or tabs)"),
    (f'practice_name = "{"x" * 201}"', "field 'practice_name' must be at most 200 characters "
                                       "(it has 201)"),
]


@pytest.mark.parametrize(("line", "reason"), FIELD_PROBLEMS)
def test_a_practice_no_backpain_writes_makes_the_file_unreadable(
        answers: Path, line: str, reason: str) -> None:
    session, _ = assess(answers)
    [ref] = list_refs()
    text = ref.path.read_text(encoding="utf-8")
    ref.path.write_text(text.replace('status = "completed"\n',
                                     f'status = "completed"\n{line}\n'), encoding="utf-8")
    result = run("review", session.id)
    assert result.exit_code == 1
    assert result.stderr == f"backpain: error: {ref.path}: {reason}\n"
