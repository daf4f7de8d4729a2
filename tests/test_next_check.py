"""The next check (the clinical reference, "Re-assessment"): "Next check: in 4 weeks, on or after
<date>" with the plan in the terminal, in the Markdown and HTML handouts, and
`reassess_weeks` in the JSON document; never for an emergency plan. The date is the
session's day on the practitioner's calendar plus the interval.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
import tomli_w
from helpers import invoke
from reassess_helpers import (
    ACUTE,
    CHRONIC,
    EMERGENCY,
    SUBACUTE,
    URGENT,
    answers_with,
    local_time_zone,
    save_visit,
    utc,
)

from backpain_cli.clinical.questionnaire import AnswerValue
from backpain_cli.clinical.reassess import due_date, next_check
from backpain_cli.output import json_doc
from backpain_cli.records.session import to_toml_dict


@pytest.fixture(autouse=True)
def _terminal(terminal_80: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test of this module on an 80-column terminal (conftest.terminal_80)."""
    monkeypatch.setenv("NO_COLOR", "1")


pytestmark = pytest.mark.usefixtures("utc_zone")


run = invoke


@pytest.mark.parametrize(("created", "weeks", "zone", "text"), [
    ("2026-11-02T10:00:00", 1, "UTC", "Next check: in 1 week, on or after 2026-11-09"),
    ("2026-11-02T10:00:00", 2, "UTC", "Next check: in 2 weeks, on or after 2026-11-16"),
    ("2026-12-01T10:00:00", 4, "UTC", "Next check: in 4 weeks, on or after 2026-12-29"),
    ("2026-11-30T10:00:00", 6, "UTC", "Next check: in 6 weeks, on or after 2027-01-11"),
    # The session's day is the practitioner's: 23:30 UTC is the next day in New Zealand...
    ("2026-11-02T23:30:00", 2, "Pacific/Auckland",
     "Next check: in 2 weeks, on or after 2026-11-17"),
    # ...and 02:00 UTC still the day before in California.
    ("2026-11-03T02:00:00", 2, "America/Los_Angeles",
     "Next check: in 2 weeks, on or after 2026-11-16"),
    # Across a change of summer time the due date stays on the same weekday.
    ("2026-10-20T08:00:00", 2, "Europe/London",
     "Next check: in 2 weeks, on or after 2026-11-03"),
])
def test_next_check_text(created: str, weeks: int, zone: str, text: str) -> None:
    with local_time_zone(zone):
        assert next_check(utc(created), weeks) == text
        assert due_date(utc(created), weeks).isoformat() == text[-10:]


@pytest.mark.parametrize(("chosen", "weeks"), [
    (URGENT, 1), (ACUTE, 2), (SUBACUTE, 4), (CHRONIC, 6), (EMERGENCY, None)])
def test_saved_session_and_json_document_carry_the_interval(
        chosen: dict[str, AnswerValue], weeks: int | None) -> None:
    session, _path = save_visit("JD-042", utc("2026-11-02T10:00:00"), chosen)
    assert session.plan is not None and session.plan.reassess_weeks == weeks
    assert to_toml_dict(session).get("reassess_weeks") == weeks
    result = run("export", session.id, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc.get("reassess_weeks") == weeks
    assert doc["schema"] == 3
    jsonschema.Draft202012Validator(json.loads(json_doc.schema_text())).validate(doc)


def test_the_json_schema_refuses_an_interval_on_an_emergency_plan() -> None:
    session, _ = save_visit("JD-042", utc("2026-11-02T10:00:00"), EMERGENCY)
    doc = json.loads(run("export", session.id, "--format", "json").stdout)
    validator = jsonschema.Draft202012Validator(json.loads(json_doc.schema_text()))
    assert not validator.is_valid({**doc, "reassess_weeks": 2})
    assert not validator.is_valid({**doc, "ended_early": "tired"})
    assert validator.is_valid({**doc, "ended_early": "emergency"})


def handouts(session_id: str) -> dict[str, str]:
    out = {}
    for fmt in ("md", "html"):
        result = run("export", session_id, "--format", fmt, "--detail", "full")
        assert result.exit_code == 0, result.output
        out[fmt] = result.stdout
    return out


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland"])
def test_handouts_show_the_next_check(zone: str) -> None:
    session, _ = save_visit("JD-042", utc("2026-11-02T23:30:00"), SUBACUTE)
    with local_time_zone(zone):
        due = "2026-11-30" if zone == "UTC" else "2026-12-01"
        docs = handouts(session.id)
    line = f"Next check: in 4 weeks, on or after {due}"
    assert f"\n**{line}**\n" in docs["md"]
    assert f'<p class="next-check"><strong>{line}</strong></p>' in docs["html"]
    # Shown once, after the triage banner and before the plan itself.
    md = docs["md"]
    assert md.count("Next check") == 1
    assert md.index("NO WARNING SIGNS FOUND") < md.index(line) < md.index("## Scores")
    html = docs["html"]
    assert html.index('class="banner') < html.index(line) < html.index("<h2>Your plan</h2>")
    # And again on the last page, with whom to ask (issue 13: more than the notice there).
    footer = html[html.index('<footer class="notice">'):]
    assert html.count("Next check") == 2
    assert footer.count(f"<strong>{line}</strong>") == 1


def test_an_emergency_plan_shows_no_next_check() -> None:
    session, _ = save_visit("JD-042", utc("2026-11-02T10:00:00"), EMERGENCY)
    for text in handouts(session.id).values():
        assert "Next check" not in text
    result = run("review", session.id)
    assert result.exit_code == 0, result.output
    assert "Next check" not in result.stdout


def test_assess_shows_the_next_check_with_the_plan(tmp_path: Path) -> None:
    answers = {k: list(v) if isinstance(v, tuple) else v
               for k, v in answers_with(CHRONIC).items()}
    path = tmp_path / "answers.toml"
    path.write_text(tomli_w.dumps({"client": "JD-042", "answers": answers}), encoding="utf-8")
    before = dt.date.today()
    result = run("assess", "--answers", str(path), "--no-input")
    after = dt.date.today()
    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    expected = {f"Next check: in 6 weeks, on or after {d + dt.timedelta(weeks=6)}"
                for d in (before, after)}
    shown = [line for line in lines if line.startswith("Next check")]
    assert len(shown) == 1 and shown[0] in expected
    # Right under the banner (and the warning signs, when there are any).
    assert lines.index(shown[0]) < next(i for i, line in enumerate(lines)
                                        if line.startswith("Scores"))


def test_review_session_shows_the_recomputed_plans_next_check() -> None:
    session, _ = save_visit("JD-042", utc("2026-11-02T10:00:00"), URGENT)
    result = run("review", session.id)
    assert result.exit_code == 0, result.output
    shown = [line.strip() for line in result.stdout.splitlines() if "Next check" in line]
    assert shown == ["Next check: in 1 week, on or after 2026-11-09"]
