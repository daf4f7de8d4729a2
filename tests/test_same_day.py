"""The same-day triage of the clinical reference v3 in everything that shows or compares triage: the
terminal plan, the listing, `review --due`, the JSON document and its schema, the CSV, the
FHIR triage observation, and the Markdown and HTML handouts. A client with a fever and
feeling generally unwell (rule T6) is same_day: a doctor today or within 24 hours."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import invoke

from backpain_cli.output import fhir, json_doc

SAME_DAY_FLAGS = [{"id": "rf_fever", "tier": "same_day"}, {"id": "rf_unwell", "tier": "same_day"}]


run = invoke


@pytest.fixture
def same_day(backpain_home: Path, write_answers: Any,
             complete_answers: dict[str, object]) -> dict[str, Any]:
    path = write_answers({**complete_answers, "rf_fever": True, "rf_unwell": True})
    result = run("assess", "--answers", path, "--no-input", "--json")
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_the_document_says_same_day_and_validates(same_day: dict[str, Any]) -> None:
    assert (same_day["triage"], same_day["red_flags"], same_day["reassess_weeks"]) == (
        "same_day", SAME_DAY_FLAGS, 1)
    schema = json.loads(json_doc.schema_text())
    jsonschema.Draft202012Validator(schema).validate(same_day)
    # The bounds of urgent apply (the clinical reference "Triage"): nothing hands-on, no exercise.
    ids = [r["id"] for r in same_day["recommendations"]]
    assert "massage.hold_until_cleared" in ids
    assert all(i.startswith(("medical.", "sleep.")) or i in (
        "prevention.stay_active", "massage.hold_until_cleared") for i in ids), ids


def test_the_terminal_plan_has_its_own_banner(backpain_home: Path, same_day: dict[str, Any],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    result = run("review", same_day["session"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "SAME DAY — A DOCTOR TODAY" in text
    assert "within 24 hours" in text
    assert "Red flags: a fever (same day); feeling generally unwell (same day)" in text


def test_the_listing_and_the_due_list(backpain_home: Path, same_day: dict[str, Any],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    listing = run("review")
    assert listing.exit_code == 0, listing.output
    assert "same_day" in listing.stdout
    created = dt.datetime.fromisoformat(same_day["created"].replace("Z", "+00:00"))
    from backpain_cli.clinical.reassess import due_date

    week = due_date(created, 1)
    before = run("review", "--due", "--on", (week - dt.timedelta(days=1)).isoformat(), "--json")
    on = run("review", "--due", "--on", week.isoformat(), "--json")
    assert before.exit_code == on.exit_code == 0, (before.output, on.output)
    assert json.loads(before.stdout) == []
    [row] = json.loads(on.stdout)
    assert (row["session"], row["reassess_weeks"]) == (same_day["session"], 1)


def test_csv_fhir_and_handouts(backpain_home: Path, same_day: dict[str, Any]) -> None:
    sid = same_day["session"]
    rows = list(csv.DictReader(io.StringIO(run("export", "--all", "--format", "csv").stdout)))
    assert [(r["session"], r["triage"]) for r in rows] == [(sid, "same_day")]
    bundle = json.loads(run("export", sid, "--format", "fhir").stdout)
    [triage] = [e["resource"] for e in bundle["entry"]
                if e["resource"]["resourceType"] == "Observation"
                and e["resource"]["code"]["coding"][0]["code"] == "triage"]
    # Our own code system: LOINC has no code for it (the clinical reference "Codes for FHIR
    # export").
    assert triage["valueCodeableConcept"] == {
        "coding": [{"system": fhir.TRIAGE_SYSTEM, "code": "same_day"}], "text": "same day"}
    assert [c["valueCodeableConcept"]["coding"][0]["code"] for c in triage["component"]] == [
        "same_day", "same_day"]
    markdown = run("export", sid, "--format", "md", "--detail", "full").stdout
    assert "SAME DAY — A DOCTOR TODAY" in markdown
    assert "`rf_fever` (same day)" in markdown
    html = run("export", sid, "--format", "html", "--detail", "full").stdout
    assert 'class="banner triage-same_day"' in html
    assert "Please see a doctor today" in html
