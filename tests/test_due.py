"""`backpain review --due [--on DATE] [--json]`: who is due for their next check.

Every test builds a real data folder: sessions saved as `assess` makes them, with chosen
dates (tests/reassess_helpers.py), plus version-1 fixtures copied in, then runs the command.
Due dates are on the practitioner's local calendar: time zones are set through $TZ.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke
from reassess_helpers import (
    ACUTE,
    CHRONIC,
    EMERGENCY,
    SUBACUTE,
    URGENT,
    local_time_zone,
    save_visit,
    utc,
)

from backpain_cli.clinical.questionnaire import AnswerValue

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _terminal(terminal_80: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test of this module on an 80-column terminal (conftest.terminal_80)."""
    monkeypatch.setenv("NO_COLOR", "1")


pytestmark = pytest.mark.usefixtures("utc_zone")


run = invoke


def due_json(*args: str) -> list[dict[str, Any]]:
    result = run("review", "--due", "--json", *args)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    doc: list[dict[str, Any]] = json.loads(result.stdout)
    return doc


def install_v1(home: Path, client: str, sid: str, name: str) -> Path:
    path = home / "sessions" / client / f"{sid}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DATA / name, path)
    return path


def snapshot(home: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(home.rglob("*")) if p.is_file()}


def practice(home: Path) -> dict[str, str]:
    """A data folder with one client for each case; returns client -> latest session id."""
    ids: dict[str, str] = {}

    def visit(client: str, when: str, chosen: dict[str, AnswerValue], *,
              draft: bool = False) -> None:
        session, _ = save_visit(client, utc(when), chosen, draft=draft)
        ids[client] = session.id

    visit("ACUTE", "2026-11-02T10:00:00", ACUTE)  # due 2026-11-16
    visit("SUBACUTE", "2026-10-20T10:00:00", SUBACUTE)  # due 2026-11-17
    visit("CHRONIC", "2026-11-10T10:00:00", CHRONIC)  # due 2026-12-22: not yet
    visit("URGENT", "2026-11-20T10:00:00", URGENT)  # due 2026-11-27
    visit("EMERGENCY", "2026-11-29T10:00:00", EMERGENCY)  # due from its day
    # An emergency visit followed by a later one: the later one decides.
    visit("SEEN-AGAIN", "2026-11-01T10:00:00", EMERGENCY)
    visit("SEEN-AGAIN", "2026-11-25T10:00:00", ACUTE)  # due 2026-12-09: not yet
    # A draft after a completed visit is no visit: the completed one is overdue.
    visit("DRAFTED", "2026-10-01T10:00:00", ACUTE)  # due 2026-10-15
    completed = ids["DRAFTED"]
    visit("DRAFTED", "2026-11-28T10:00:00", ACUTE, draft=True)
    ids["DRAFTED"] = completed
    visit("ONLY-DRAFT", "2026-10-01T10:00:00", ACUTE, draft=True)
    del ids["ONLY-DRAFT"]
    return ids


def row(ids: dict[str, str], client: str, created: str, due: str, days: int, triage: str,
        weeks: int | None) -> dict[str, Any]:
    return {"client": client, "session": ids[client], "created": created, "due": due,
            "days_overdue": days, "triage": triage, "reassess_weeks": weeks}


def test_due_lists_latest_completed_sessions_most_overdue_first(backpain_home: Path) -> None:
    ids = practice(backpain_home)
    before = snapshot(backpain_home)
    assert due_json("--on", "2026-12-01") == [
        row(ids, "DRAFTED", "2026-10-01T10:00:00Z", "2026-10-15", 47, "none", 2),
        row(ids, "ACUTE", "2026-11-02T10:00:00Z", "2026-11-16", 15, "none", 2),
        row(ids, "SUBACUTE", "2026-10-20T10:00:00Z", "2026-11-17", 14, "none", 4),
        row(ids, "URGENT", "2026-11-20T10:00:00Z", "2026-11-27", 4, "urgent", 1),
        row(ids, "EMERGENCY", "2026-11-29T10:00:00Z", "2026-11-29", 2, "emergency", None),
    ]
    assert snapshot(backpain_home) == before  # reading only


def test_due_in_the_terminal_fits_80_columns(backpain_home: Path) -> None:
    ids = practice(backpain_home)
    result = run("review", "--due", "--on", "2026-12-01")
    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert lines[0] == "Due for a check on 2026-12-01, most overdue first"
    assert lines[1].split() == ["Client", "Latest", "session", "Triage", "Check", "Due",
                                "Overdue"]
    body = [line.split() for line in lines[3:8]]
    assert body == [
        ["DRAFTED", ids["DRAFTED"], "none", "2", "weeks", "2026-10-15", "47", "days"],
        ["ACUTE", ids["ACUTE"], "none", "2", "weeks", "2026-11-16", "15", "days"],
        ["SUBACUTE", ids["SUBACUTE"], "none", "4", "weeks", "2026-11-17", "14", "days"],
        ["URGENT", ids["URGENT"], "urgent", "1", "week", "2026-11-27", "4", "days"],
        ["EMERGENCY", ids["EMERGENCY"], "emergency", "–", "2026-11-29", "2", "days"],
    ]
    assert lines[8:] == ["Due dates are on this computer's calendar. History: backpain "
                         "review CLIENT"]
    assert max(len(line) for line in lines) <= 80


@pytest.mark.parametrize(("on", "listed"), [
    ("2026-11-15", []),  # the day before: not due yet
    ("2026-11-16", [("ACUTE", 0)]),  # the due day itself
    ("2026-11-17", [("ACUTE", 1)]),
])
def test_due_from_the_due_day_on(backpain_home: Path, on: str,
                                 listed: list[tuple[str, int]]) -> None:
    save_visit("ACUTE", utc("2026-11-02T10:00:00"), ACUTE)
    assert [(d["client"], d["days_overdue"]) for d in due_json("--on", on)] == listed


def test_due_today_reads_due_today_in_the_terminal(backpain_home: Path) -> None:
    save_visit("ACUTE", utc("2026-11-02T10:00:00"), ACUTE)
    result = run("review", "--due", "--on", "2026-11-16")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[3].split()[-2:] == ["due", "today"]


@pytest.mark.parametrize(("zone", "due", "listed_on_16th"), [
    # 23:30 UTC on 2 November is already 3 November in New Zealand (UTC+13)...
    ("Pacific/Auckland", "2026-11-17", False),
    # ...and still 2 November in California (UTC-8).
    ("America/Los_Angeles", "2026-11-16", True),
    ("UTC", "2026-11-16", True),
])
def test_due_dates_are_on_the_local_calendar(backpain_home: Path, zone: str, due: str,
                                             listed_on_16th: bool) -> None:
    save_visit("LATE", utc("2026-11-02T23:30:00"), ACUTE)
    with local_time_zone(zone):
        assert [d["due"] for d in due_json("--on", "2026-11-30")] == [due]
        assert bool(due_json("--on", "2026-11-16")) is listed_on_16th


def test_an_emergency_session_is_due_from_its_own_day(backpain_home: Path) -> None:
    session, _ = save_visit("EMERGENCY", utc("2026-11-29T10:00:00"), EMERGENCY)
    assert session.plan is not None and session.plan.reassess_weeks is None
    assert due_json("--on", "2026-11-28") == []
    assert [(d["due"], d["days_overdue"], d["reassess_weeks"])
            for d in due_json("--on", "2026-11-29")] == [("2026-11-29", 0, None)]
    # Until a later session exists.
    save_visit("EMERGENCY", utc("2026-11-30T10:00:00"), ACUTE)
    assert due_json("--on", "2026-12-01") == []


def test_version1_sessions_are_placed_by_the_version2_rule(backpain_home: Path) -> None:
    # Neither stored reassess_weeks: the rule is applied to the saved triage and duration.
    install_v1(backpain_home, "EX-DESK", "20261127T101503Z-3f9a1c", "session_schema1.toml")
    install_v1(backpain_home, "EX-AXSPA", "20261110T083000Z-5b7e21",
               "session_schema1_axspa.toml")
    install_v1(backpain_home, "EX-DRAFT", "20261118T141500Z-c40d9e",
               "session_schema1_draft.toml")
    before = snapshot(backpain_home)
    assert due_json("--on", "2026-12-22") == [
        {"client": "EX-DESK", "session": "20261127T101503Z-3f9a1c",
         "created": "2026-11-27T10:15:03Z", "due": "2026-12-11", "days_overdue": 11,
         "triage": "none", "reassess_weeks": 2},  # acute
        {"client": "EX-AXSPA", "session": "20261110T083000Z-5b7e21",
         "created": "2026-11-10T08:30:00Z", "due": "2026-12-22", "days_overdue": 0,
         "triage": "refer_routine", "reassess_weeks": 6},  # chronic
    ]
    assert snapshot(backpain_home) == before


def test_an_unreadable_file_is_reported_and_the_rest_still_listed(backpain_home: Path) -> None:
    save_visit("ACUTE", utc("2026-11-02T10:00:00"), ACUTE)
    older, _ = save_visit("BROKEN", utc("2026-11-01T10:00:00"), ACUTE)
    # The client's newest file cannot be read: reported, and the visit before it is used
    # (showing an older visit as due is safer than hiding the client).
    bad = backpain_home / "sessions" / "BROKEN" / "20261120T100000Z-0badf0.toml"
    bad.write_bytes(b"schema = \n")
    for args in (["--json"], []):
        result = run("review", "--due", "--on", "2026-12-01", *args)
        assert result.exit_code == 0, result.output
        assert result.stderr == (f"backpain: warning: {bad}: not valid TOML (Invalid value "
                                 "(at line 1, column 10))\n")
    doc = json.loads(run("review", "--due", "--on", "2026-12-01", "--json").stdout)
    assert [(d["client"], d["session"]) for d in doc] == [
        ("BROKEN", older.id), ("ACUTE", doc[1]["session"])]
    assert run("review", "--due", "--on", "2026-12-01").stdout.splitlines()[-1] == (
        "1 session file(s) could not be read; the reasons are on standard error.")


def test_nobody_due(backpain_home: Path) -> None:
    assert due_json("--on", "2026-12-01") == []
    result = run("review", "--due", "--on", "2026-12-01")
    assert result.exit_code == 0, result.output
    assert result.stdout == "No client is due for a check on 2026-12-01.\n"
    save_visit("CHRONIC", utc("2026-11-10T10:00:00"), CHRONIC)
    assert run("review", "--due", "--on", "2026-12-01").stdout == (
        "No client is due for a check on 2026-12-01.\n")


def test_without_on_today_is_used(backpain_home: Path) -> None:
    three_weeks_ago = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=21)
    save_visit("ACUTE", three_weeks_ago, ACUTE)
    due = three_weeks_ago.astimezone().date() + dt.timedelta(weeks=2)
    doc = due_json()
    assert [(d["due"], d["days_overdue"]) for d in doc] == [
        (due.isoformat(), (dt.date.today() - due).days)]


@pytest.mark.parametrize("text", ["2026-13-01", "2026-02-30", "20261201", "2026-W49-1",
                                  "2026-12-1", "tomorrow", "", " 2026-12-01"])
def test_a_bad_on_date_is_a_usage_error(text: str) -> None:
    result = run("review", "--due", "--on", text)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == (f"backpain: usage error: --on: {text!r} is not a date in the "
                             "form YYYY-MM-DD\n")


@pytest.mark.parametrize(("args", "message"), [
    (["review", "--on", "2026-12-01"], "--on only applies to --due"),
    (["review", "JD-042", "--due"],
     "--due lists every client; it takes no SESSION or CLIENT argument and no --client or "
     "--limit"),
    (["review", "--due", "--client", "JD-042"],
     "--due lists every client; it takes no SESSION or CLIENT argument and no --client or "
     "--limit"),
    (["review", "--due", "--limit", "3"],
     "--due lists every client; it takes no SESSION or CLIENT argument and no --client or "
     "--limit"),
])
def test_due_usage_errors(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"backpain: usage error: {message}\n"
