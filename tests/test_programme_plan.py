"""The home programme in the plan (issue 19, item 9): the `programme`, `flare_plan`,
`programme_step` and `checks` keys in the session file and the JSON document, the levels at
a follow-up, the terminal plan and `review` (the clinical reference "Exercise programme (v3)" and
"JSON and session shape").

Everything goes through the real command (typer's CliRunner), as a practitioner uses it.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import list_refs
from typer.testing import CliRunner, Result

from backpain_cli.cli.app import app
from backpain_cli.clinical.exercises import library
from backpain_cli.output import json_doc
from backpain_cli.records.session import from_toml_dict

WriteAnswers = Callable[..., Path]
GOLDEN = Path(__file__).parent / "golden" / "sessions"
CLIENT = "JD-042"
# A regular exerciser with no other exercise advice, sitting long hours: the keep-exercising
# and leg pools.
SITTER = {"sitting_hours": 8, "exercise_days": 3, "exercise_types": ["walking"]}


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], prog_name="backpain")


def assess_json(answers_file: Path, *extra: str) -> dict[str, Any]:
    result = run("assess", "--answers", answers_file, "--no-input", "--json", *extra)
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def saved(backpain_home: Path, session_id: str) -> dict[str, Any]:
    [ref] = [r for r in list_refs(backpain_home) if r.id == session_id]
    return tomllib.loads(ref.path.read_text(encoding="utf-8"))


def test_a_plan_carries_its_programme_everywhere(
        backpain_home: Path, write_answers: WriteAnswers,
        complete_answers: dict[str, Any]) -> None:
    doc = assess_json(write_answers({**complete_answers, **SITTER}))
    jsonschema.Draft202012Validator(json.loads(json_doc.schema_text())).validate(doc)
    assert doc["schema"] == 3
    ids = [item["id"] for item in doc["programme"]]
    assert 3 <= len(ids) <= 5
    lib = library()
    for item in doc["programme"]:
        exercise = lib[item["id"]]
        # A first programme is all at the starting level, with the library's texts.
        assert (item["name"], item["level"], item["dose"], item["progression"],
                item["easier"]) == (exercise.name, "start", exercise.dose, exercise.progress,
                                    exercise.easier)
        assert len(item["because"]) == 1
        assert item["because"][0] in [r["id"] for r in doc["recommendations"]]
    first = next(i for i in ids if i != "ex.pelvic_floor")
    assert [(f["id"], f["level"]) for f in doc["flare_plan"]] == [
        ("ex.rest_position", "easier"), (first, "easier")]
    assert doc["flare_plan"][1]["dose"] == lib[first].easier
    assert "programme_step" not in doc
    assert doc["checks"] == []
    # The session file holds the same keys at top level, and reads back the same.
    stored = saved(backpain_home, doc["session"])
    for key in ("programme", "flare_plan", "checks"):
        assert stored[key] == doc[key], key
    plan = from_toml_dict(stored).plan
    assert plan is not None and plan.programme_ids == tuple(ids)


def test_no_programme_under_urgent_triage(write_answers: WriteAnswers,
                                          complete_answers: dict[str, Any]) -> None:
    doc = assess_json(write_answers({**complete_answers, "rf_weight_loss": True}))
    assert doc["triage"] == "urgent"
    assert doc["programme"] == [] and "flare_plan" not in doc


@pytest.mark.parametrize(("adherence", "step", "levels"), [
    ("most_days", "progress", "progressed"),
    ("some_days", "keep", "start"),
    ("rarely", "simplify", "easier"),
    ("not_started", "simplify", "easier"),
])
def test_a_follow_up_moves_the_levels_by_the_adherence(
        backpain_home: Path, write_answers: WriteAnswers, complete_answers: dict[str, Any],
        adherence: str, step: str, levels: str) -> None:
    first = assess_json(write_answers({**complete_answers, **SITTER}))
    follow = assess_json(write_answers({**complete_answers, **SITTER,
                                        "programme_adherence": adherence},
                                       name="visit2.toml"), "--from", first["session"])
    assert follow["programme_step"] == step
    assert [i["id"] for i in follow["programme"]] == [i["id"] for i in first["programme"]][:(
        3 if step == "simplify" else 5)]
    assert {i["level"] for i in follow["programme"]} == {levels}
    assert saved(backpain_home, follow["session"])["programme_step"] == step
    # A third visit: progressed stays progressed, easier can go no lower.
    third = assess_json(write_answers({**complete_answers, **SITTER,
                                       "programme_adherence": adherence},
                                      name="visit3.toml"), "--from", follow["session"])
    assert {i["level"] for i in third["programme"]} == {levels}


def test_a_new_exercise_at_a_follow_up_starts_at_the_start(
        write_answers: WriteAnswers, complete_answers: dict[str, Any]) -> None:
    first = assess_json(write_answers({**complete_answers, **SITTER}))
    # Leg pain below the knee brings the disc pool, first in priority: a new exercise.
    follow = assess_json(write_answers({**complete_answers, **SITTER,
                                        "pain_location": ["lower_back", "leg_below_knee"],
                                        "programme_adherence": "most_days"},
                                       name="visit2.toml"), "--from", first["session"])
    before = {i["id"] for i in first["programme"]}
    levels = {i["id"]: i["level"] for i in follow["programme"]}
    assert any(i not in before for i in levels)
    assert all(level == ("progressed" if i in before else "start")
               for i, level in levels.items())


def test_the_terminal_plan_lists_the_programme_with_doses(
        write_answers: WriteAnswers, complete_answers: dict[str, Any]) -> None:
    answers = write_answers({**complete_answers, **SITTER})
    doc = assess_json(answers, "--no-save")
    result = run("assess", "--answers", answers, "--no-input", "--no-save")
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "Home exercise programme" in out
    for n, item in enumerate(doc["programme"], 1):
        assert (f"{n}. {item['name']} [{item['id']}] — starting level {item['dose']} "
                f"because: {item['because'][0]}") in out
    rest, first = doc["flare_plan"]
    assert (f"On a bad day (flare-up plan) Rest position (easier version): {rest['dose']} "
            f"{first['name']} (easier version): {first['dose']}") in out
    assert ("On a bad day: keep moving gently, a little and often; do the easier version of "
            f"{first['name']} and rest in the rest position for a few minutes at a time; heat "
            "may ease it; go back to your usual programme as it settles, usually within a few "
            "days to a week.") in out
    assert "The signs under 'When to get help sooner' apply on bad days too." in out


def test_review_client_shows_each_visits_adherence_step_and_programme(
        write_answers: WriteAnswers, complete_answers: dict[str, Any]) -> None:
    first = assess_json(write_answers({**complete_answers, **SITTER}))
    second = assess_json(write_answers({**complete_answers, **SITTER,
                                        "programme_adherence": "rarely"}, name="visit2.toml"),
                         "--from", first["session"])
    text = run("review", CLIENT)
    assert text.exit_code == 0, text.output
    out = " ".join(text.stdout.split())
    listed = ", ".join(f"{i['id']} (start)" for i in first["programme"])
    assert f"Exercise programme visit 1 ({first['created'][:10]}): {listed}" in out
    again = ", ".join(f"{i['id']} (easier)" for i in second["programme"])
    assert f"visit 2 ({second['created'][:10]}): adherence rarely; step simplify; {again}" in out
    # At 80 columns a visit's line goes on under its own start, never under "visit N".
    lines = text.stdout.splitlines()
    at = lines.index("Exercise programme")
    block = lines[at + 1:lines.index("", at)]
    assert [line[:8] for line in block if "visit" in line] == ["  visit ", "  visit "]
    hang = " " * len(f"  visit 1 ({first['created'][:10]}): ")
    assert len(block) > 2 and all(line.startswith(("  visit ", hang)) for line in block)
    doc = json.loads(run("review", CLIENT, "--json").stdout)
    visits = doc["sessions"]
    assert "programme_adherence" not in visits[0] and "programme_step" not in visits[0]
    assert (visits[1]["programme_adherence"], visits[1]["programme_step"]) == (
        "rarely", "simplify")
    assert visits[1]["programme"] == [{"id": i["id"], "level": "easier"}
                                      for i in second["programme"]]


def test_a_saved_plan_without_a_programme_shows_todays_as_added(backpain_home: Path) -> None:
    # A session of schema 1: its plan had no programme; re-scored, today's is added.
    folder = backpain_home / "sessions" / CLIENT
    folder.mkdir(parents=True)
    source = GOLDEN / CLIENT / "20261001T140000Z-d4e5f6.toml"
    shutil.copy(source, folder / source.name)
    doc = json.loads(run("review", source.stem, "--json").stdout)
    assert "programme" not in doc["session"]
    added = doc["changes"]["programme"]["added"]
    assert added == [i["id"] for i in doc["recomputed"]["programme"]] and added
    text = " ".join(run("review", source.stem).stdout.split())
    assert "Exercise programme: + added " + added[0] in text
