"""The worked examples of the clinical reference (version 3) as acceptance tests, through the CLI.

Each `<name>.answers.toml` is run as `backpain assess --answers FILE --no-input --json`, and
the JSON document must give exactly every field `<name>.expected.toml` gives: triage, red
flags with tiers, scores, recommendation ids in plan order, reassess_weeks, programme ids,
check ids and, where given, `because` lists, programme levels, the programme step and the
flare-up plan's ids. A key the expected file leaves out is not checked (the clinical reference).

A follow-up example has `<name>.previous.toml`: that file is assessed and saved first, its
result checked against the expected file's `[previous]` table, and the answers file is then
run with `--from` that session. The examples are copied into the repository
(tests/data/examples): the suite reads nothing outside it.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from strategies import REGISTRY
from typer.testing import CliRunner

from backpain_cli.cli.app import app
from backpain_cli.clinical.answers import validate
from backpain_cli.clinical.engine import build_plan

HERE = Path(__file__).parent
BUNDLED = HERE / "data" / "examples"
DEMO = HERE.parent / "examples" / "demo.answers.toml"
NAMES = sorted(p.name.removesuffix(".answers.toml") for p in BUNDLED.glob("*.answers.toml"))


def _assess(*args: str | Path) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["assess", *map(str, args), "--no-input", "--json"],
                                prog_name="backpain")
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def _got(doc: dict[str, Any]) -> dict[str, Any]:
    """The document's fields in the expected files' form: ids where the document has
    objects, `because` lists by recommendation id."""
    programme = doc.get("programme", [])
    return {
        "triage": doc["triage"],
        "red_flags": doc["red_flags"],
        "scores": doc["scores"],
        "recommendations": [r["id"] for r in doc["recommendations"]],
        "reassess_weeks": doc.get("reassess_weeks"),
        "programme": [item["id"] for item in programme],
        "programme_levels": [item["level"] for item in programme],
        "programme_step": doc.get("programme_step"),
        "flare_plan": [item["id"] for item in doc.get("flare_plan", [])],
        "checks": [check["id"] for check in doc.get("checks", [])],
        "because": {r["id"]: r["because"] for r in doc["recommendations"]},
    }


def _compare(name: str, expected: dict[str, Any], got: dict[str, Any]) -> None:
    for key, want in expected.items():
        if key == "previous":
            continue
        assert key in got, f"{name}: the test does not know the expected key {key!r}"
        if key == "because":
            # Only the recommendations named are checked.
            for rec_id, ids in want.items():
                assert got["because"].get(rec_id) == ids, f"{name}: because of {rec_id}"
            continue
        assert got[key] == want, f"{name}: {key}"


def _expected(name: str) -> dict[str, Any]:
    return tomllib.loads((BUNDLED / f"{name}.expected.toml").read_text("utf-8"))


@pytest.mark.parametrize("name", NAMES)
def test_worked_example(name: str) -> None:
    expected = _expected(name)
    answers = BUNDLED / f"{name}.answers.toml"
    previous = BUNDLED / f"{name}.previous.toml"
    if previous.exists():
        first = _assess("--answers", previous)
        _compare(f"{name} (previous)", expected["previous"], _got(first))
        doc = _assess("--from", first["session"], "--answers", answers)
        assert doc["follows"] == first["session"]
    else:
        assert "previous" not in expected, f"{name}: [previous] without a previous file"
        doc = _assess("--answers", answers)
    _compare(name, expected, _got(doc))


def test_all_thirteen_examples_are_there() -> None:
    assert len(NAMES) == 13, NAMES
    for name in NAMES:
        assert (BUNDLED / f"{name}.expected.toml").is_file(), name


def test_demo_answers_are_complete_and_give_a_rich_plan() -> None:
    raw = tomllib.loads(DEMO.read_text("utf-8"))
    assert set(raw) == {"client", "answers"}
    modules = REGISTRY.select(())
    result = validate(modules, raw["answers"])
    assert result.complete and not result.dropped and not result.unknown, (
        result.all_problems(), result.dropped)
    plan = build_plan(result.answers)
    assert plan.triage == "none"
    assert {r.strategy for r in plan.recommendations} == {
        "medical", "sleep", "personalized", "prevention", "massage"}
    # No warning sign: the medical part is the safety-netting advice alone.
    assert [r.id for r in plan.by_strategy("medical")] == ["medical.safety_net"]
    assert plan.reassess_weeks == 4
    assert len(plan.ids) >= 12, plan.ids
    assert 3 <= len(plan.programme or ()) <= 5, plan.programme
