"""Schema evolution: old session files load forever, newer ones are refused clearly.

tests/data/session_schema1.toml is a session file exactly as backpain 0.1.0 (schema 1)
wrote it. It is kept forever: when the format changes, migrate it in memory (session.py's
`_migrate`), never edit the fixture to make a test pass. A file with a schema newer than
the tool knows is refused with its path and a reason, and is never modified.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backpain_cli.cli.app import app
from backpain_cli.errors import SessionFileError
from backpain_cli.records import storage
from backpain_cli.records.session import SCHEMA, from_toml_dict, to_toml_dict

FIXTURE = Path(__file__).parent / "data" / "session_schema1.toml"
SID = "20261127T101503Z-3f9a1c"
CLIENT = "EX-DESK"
ANSWERS_SCHEMA1 = tomllib.loads(FIXTURE.read_text(encoding="utf-8"))["answers"]
PLAN_IDS = [
    "sleep.mattress.medium_firm",
    "sleep.pillow.between_knees",
    "sleep.pillow.height",
    "personalized.strain.relative_rest",
    "personalized.strain.cold_or_heat",
    "personalized.strain.massage",
    "personalized.low_risk.self_management",
    "prevention.stay_active",
    "prevention.core_strength",
    "prevention.leg_strength_flexibility",
    "prevention.break_up_sitting",
    "massage.with_exercise",
    "massage.focused",
    "massage.combine_care",
]

runner = CliRunner()


def install(home: Path, text: str | None = None, sid: str = SID) -> Path:
    """Put the fixture (or `text`) where storage keeps the session `sid`."""
    path = home / "sessions" / CLIENT / f"{sid}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is None:
        shutil.copyfile(FIXTURE, path)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def with_schema(line: str) -> str:
    text = FIXTURE.read_text(encoding="utf-8")
    assert text.count("\nschema = 1\n") == 1
    return text.replace("\nschema = 1\n", f"\n{line}\n" if line else "\n")


# --------------------------------------------------------------------------- schema 1 loads


def test_schema1_fixture_loads_with_every_field(backpain_home: Path) -> None:
    session = storage.read_session(install(backpain_home))
    assert session.schema == SCHEMA  # migrated in memory to what this version works with
    assert (session.id, session.client, session.status) == (SID, CLIENT, "completed")
    assert session.created == dt.datetime(2026, 11, 27, 10, 15, 3, tzinfo=dt.UTC)
    assert session.tool_version == "0.1.0"
    assert session.follows is None
    assert session.ended_early is None  # schema 2's optional keys are simply absent
    assert [m.id for m in session.questionnaires] == [
        "intake", "red_flags", "sleep", "activity", "diagnoses", "startback"]
    assert {k: list(v) if isinstance(v, tuple) else v
            for k, v in session.answers.items()} == ANSWERS_SCHEMA1
    assert session.answers["pain_worse_with"] == ("bending_forward", "sitting")
    plan = session.plan
    assert plan is not None
    assert plan.triage == "none"
    assert plan.red_flags == ()
    assert plan.reassess_weeks is None  # version-1 rules gave no interval; none is invented
    assert dict(plan.scores) == {"nprs_now": 5, "nprs_worst_week": 7, "startback_total": 3,
                                 "startback_psychosocial": 1, "startback_risk": "low"}
    assert list(plan.ids) == PLAN_IDS
    first = plan.recommendations[0]
    assert first.because == ("pain_on_waking", "mattress_firmness", "mattress_sagging")
    assert first.strategy == "sleep"


def test_schema1_session_written_again_is_current_and_loses_nothing(
        backpain_home: Path) -> None:
    """Today's writer writes a loaded schema-1 session in the current schema, and reading
    that back gives the same session (the fixture itself is never rewritten)."""
    session = storage.read_session(install(backpain_home))
    written = to_toml_dict(session)
    assert written["schema"] == SCHEMA == 3
    old = tomllib.loads(FIXTURE.read_text(encoding="utf-8"))
    assert {k: v for k, v in written.items() if k != "schema"} == {
        k: v for k, v in old.items() if k != "schema"}
    assert from_toml_dict(written) == session


@pytest.mark.parametrize(("args", "expected"), [
    (["review", SID, "--json"], SID),
    (["review", CLIENT, "--json"], SID),
    (["review", "--json"], SID),
    (["export", SID, "--format", "json"], SID),
    (["export", SID, "--format", "md", "--detail", "full"], "sleep.mattress.medium_firm"),
    (["export", "--all", "--format", "csv"], SID),
])
def test_schema1_fixture_works_with_every_reader(backpain_home: Path, args: list[str],
                                                 expected: str) -> None:
    path = install(backpain_home)
    before = path.read_bytes()
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert expected in result.stdout
    # Migration happens in memory only: the practitioner's file is never rewritten.
    assert path.read_bytes() == before


def test_schema1_fixture_exports_its_answers_unchanged(backpain_home: Path) -> None:
    install(backpain_home)
    result = runner.invoke(app, ["export", SID, "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["schema"], doc["session"], doc["client"], doc["created"]) == (
        SCHEMA, SID, CLIENT, "2026-11-27T10:15:03Z")
    assert doc["answers"] == ANSWERS_SCHEMA1
    assert [r["id"] for r in doc["recommendations"]] == PLAN_IDS


# --------------------------------------------------------------------------- refused schemas

REFUSED = [
    # (schema line, words the reason must contain)
    (f"schema = {SCHEMA + 1}", ["newer", f"schema {SCHEMA + 1}", "upgrade"]),
    ("schema = 99", ["newer", "schema 99", "upgrade"]),
    ("schema = 0", ["unknown schema 0"]),
    ("schema = -1", ["unknown schema -1"]),
    ('schema = "1"', ["'schema'", "wrong type"]),
    ("schema = 1.0", ["'schema'", "wrong type"]),
    ("", ["missing field 'schema'"]),
]


@pytest.mark.parametrize(("line", "words"), REFUSED, ids=[r[0] or "missing" for r in REFUSED])
def test_unusable_schema_is_refused_by_storage(backpain_home: Path, line: str,
                                               words: list[str]) -> None:
    path = install(backpain_home, with_schema(line))
    with pytest.raises(SessionFileError) as caught:
        storage.read_session(path)
    assert caught.value.path == str(path)
    for word in words:
        assert word in caught.value.reason


@pytest.mark.parametrize(("line", "words"), REFUSED[:2], ids=[r[0] for r in REFUSED[:2]])
def test_newer_schema_is_refused_by_review_and_export(backpain_home: Path, line: str,
                                                      words: list[str]) -> None:
    path = install(backpain_home, with_schema(line))
    before = path.read_bytes()
    for args in (["review", SID], ["export", SID, "--format", "json"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"backpain: error: {path}: ")
        for word in words:
            assert word in lines[0]
    assert path.read_bytes() == before


def test_newer_schema_in_a_listing_is_reported_and_the_rest_still_listed(
        backpain_home: Path) -> None:
    newer = install(backpain_home, with_schema(f"schema = {SCHEMA + 1}"))
    newer_bytes = newer.read_bytes()
    other_id = "20261204T091500Z-00beef"
    fixture = FIXTURE.read_text(encoding="utf-8")
    install(backpain_home, fixture.replace(f'id = "{SID}"', f'id = "{other_id}"', 1),
            sid=other_id)
    result = runner.invoke(app, ["review", "--json"])
    assert result.exit_code == 0, result.output
    assert other_id in result.stdout
    assert f"backpain: warning: {newer}: written by a newer backpain" in result.stderr
    history = runner.invoke(app, ["review", CLIENT, "--json"])
    assert history.exit_code == 0, history.output
    assert other_id in history.stdout
    assert str(newer) in history.stderr
    assert newer.read_bytes() == newer_bytes


@pytest.mark.parametrize("args", [["review", SID], ["review", SID, "--json"],
                                  ["export", SID, "--format", "md"]])
def test_newer_schema_is_refused_by_the_installed_entry_point(tmp_path: Path,
                                                              args: list[str]) -> None:
    """The real entry point, whatever route it takes to the command (typer, or a fast
    path of __main__), reports the newer file the same way."""
    path = install(tmp_path, with_schema(f"schema = {SCHEMA + 1}"))
    proc = subprocess.run([sys.executable, "-m", "backpain_cli", *args],
                          env={**os.environ, "BACKPAIN_HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == (f"backpain: error: {path}: written by a newer backpain (schema "
                           f"{SCHEMA + 1}; this version reads up to {SCHEMA}); upgrade "
                           "backpain to read it\n")
