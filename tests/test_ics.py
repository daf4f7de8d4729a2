"""The next check as a calendar file (issue 22, item 3): `export SESSION --format ics` for
the client's calendar and `review --due --format ics` for the practitioner's.

output/ics.py writes RFC 5545 itself; every file here is read back with the `icalendar`
library, and the raw text is checked for what a parser forgives: CRLF line ends, lines of
at most 75 octets, folding that never splits a character.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import icalendar
import pytest
import tomli_w
from helpers import invoke
from hypothesis import given
from hypothesis import strategies as st
from reassess_helpers import ACUTE, CHRONIC, EMERGENCY, URGENT, save_visit, utc

from backpain_cli.output.ics import escape_text, fold

NAME = "Rückenzentrum Süd, Praxis für Physiotherapie; Manuelle Therapie & Massage — Kiel-Nord"
CONTACT = "Holtenauer Straße 12, 24105 Kiel · 0431 123456 · praxis@sued.example"


pytestmark = pytest.mark.usefixtures("utc_zone")


@pytest.fixture
def practice(backpain_home: Path, backpain_config: Path) -> Path:
    backpain_config.parent.mkdir(parents=True, exist_ok=True)
    backpain_config.write_text(tomli_w.dumps({"practice_name": NAME,
                                              "practice_contact": CONTACT}))
    return backpain_home


class Run:
    """A command's exit code, output as written (CliRunner's `stdout` reads CRLF as LF)
    and standard error."""

    def __init__(self, *args: str | Path) -> None:
        result = invoke(*args)
        self.exit_code = result.exit_code
        self.stdout = result.stdout_bytes.decode("utf-8")
        self.stderr = result.stderr
        self.output = result.output


run = Run


def raw_lines(text: str) -> list[bytes]:
    data = text.encode("utf-8")
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    return data.split(b"\r\n")[:-1]


def parsed(text: str) -> tuple[Any, list[Any]]:
    lines = raw_lines(text)
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")  # no line ends inside a character
    cal = icalendar.Calendar.from_ical(text)
    assert (str(cal["VERSION"]), str(cal["PRODID"])) == ("2.0", "-//backpain//backpain//EN")
    return cal, list(cal.walk("VEVENT"))


def fields(event: Any) -> dict[str, Any]:
    return {
        "summary": str(event["SUMMARY"]),
        "description": str(event["DESCRIPTION"]) if "DESCRIPTION" in event else None,
        "start": event.decoded("DTSTART"),
        "end": event.decoded("DTEND"),
        "stamp": event.decoded("DTSTAMP"),
        "transp": str(event["TRANSP"]),
        "keys": sorted(event.keys()),
    }


KEYS = sorted(["UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "TRANSP"])


@pytest.mark.parametrize(("answers", "weeks"), [(ACUTE, 2), (CHRONIC, 6), (URGENT, 1)])
def test_the_client_event_is_the_next_check_and_nothing_about_health(
        practice: Path, answers: dict[str, Any], weeks: int) -> None:
    when = utc("2026-11-27T10:15:03")
    session, _ = save_visit("JD-042", when, answers)
    done = run("export", session.id, "--format", "ics")
    assert done.exit_code == 0, done.output
    _, [event] = parsed(done.stdout)
    day = dt.date(2026, 11, 27) + dt.timedelta(weeks=weeks)
    assert fields(event) == {
        "summary": f"Back check-up with {NAME}", "description": CONTACT,
        "start": day, "end": day + dt.timedelta(days=1), "stamp": when, "transp": "TRANSPARENT",
        "keys": KEYS}
    # The same day the plan names as its next check.
    assert f"on or after {day.isoformat()}" in run("review", session.id).stdout
    # Nothing of the visit: not the client, the triage or any answer (PRODID alone names
    # the program that wrote the file, as RFC 5545 asks; calendars do not show it).
    shown = done.stdout.replace("PRODID:-//backpain//backpain//EN\r\n", "")
    for word in ("JD-042", "urgent", "pain", "trauma", session.id):
        assert word not in shown


def test_uids_are_stable_and_differ_between_sessions_and_calendars(practice: Path) -> None:
    first, _ = save_visit("JD-042", utc("2026-11-01T09:00:00"), ACUTE)
    second, _ = save_visit("JD-042", utc("2026-11-20T09:00:00"), ACUTE)
    once = run("export", first.id, "--format", "ics").stdout
    assert run("export", first.id, "--format", "ics").stdout == once
    uid_first = str(parsed(once)[1][0]["UID"])
    uid_second = str(parsed(run("export", second.id, "--format", "ics").stdout)[1][0]["UID"])
    due = run("review", "--due", "--on", "2027-01-01", "--format", "ics")
    [uid_due] = [str(e["UID"]) for e in parsed(due.stdout)[1]]
    assert len({uid_first, uid_second, uid_due}) == 3
    assert first.id not in uid_first and re.fullmatch(r"[0-9a-f-]{36}", uid_first)


def test_a_client_reference_gives_their_latest_visit(practice: Path) -> None:
    save_visit("JD-042", utc("2026-11-01T09:00:00"), CHRONIC)
    save_visit("JD-042", utc("2026-11-20T09:00:00"), ACUTE)
    done = run("export", "jd-042", "--format", "ics", "-o", practice.parent / "check.ics")
    assert done.exit_code == 0, done.output
    _, [event] = parsed((practice.parent / "check.ics").read_bytes().decode("utf-8"))
    assert event.decoded("DTSTART") == dt.date(2026, 12, 4)


def test_without_a_practice_name_the_event_is_a_back_check_up(backpain_home: Path) -> None:
    session, _ = save_visit("JD-042", utc("2026-11-27T10:15:03"), ACUTE)
    _, [event] = parsed(run("export", session.id, "--format", "ics").stdout)
    assert (str(event["SUMMARY"]), "DESCRIPTION" in event) == ("Back check-up", False)


@pytest.mark.parametrize(("draft", "answers", "reason"), [
    (False, EMERGENCY, "its plan is an emergency referral"),
    (True, ACUTE, "it is a draft (the interview was not finished)"),
])
def test_no_next_check_is_one_line_and_exit_1(backpain_home: Path, draft: bool,
                                               answers: dict[str, Any], reason: str) -> None:
    session, _ = save_visit("JD-042", utc("2026-11-27T10:15:03"), answers, draft=draft)
    done = run("export", session.id, "--format", "ics")
    assert (done.exit_code, done.stdout) == (1, "")
    assert done.stderr == (f"backpain: error: session {session.id} has no next check to put "
                           f"in a calendar: {reason}\n")


def test_an_unknown_session_is_one_line(backpain_home: Path) -> None:
    save_visit("JD-042", utc("2026-11-27T10:15:03"), ACUTE)
    done = run("export", "20991231T000000Z-000000", "--format", "ics")
    assert done.exit_code == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("backpain: error: ")


def test_the_due_calendar_has_one_event_per_due_client_by_reference_only(
        practice: Path) -> None:
    save_visit("JD-042", utc("2026-11-01T09:00:00"), ACUTE)  # due 2026-11-15
    save_visit("MK-7", utc("2026-11-10T09:00:00"), URGENT)  # due 2026-11-17
    save_visit("AB-1", utc("2026-11-20T09:00:00"), CHRONIC)  # due 2027-01-01: not yet
    done = run("review", "--due", "--on", "2026-12-01", "--format", "ics")
    assert (done.exit_code, done.stderr) == (0, "")
    _, events = parsed(done.stdout)
    assert [(str(e["SUMMARY"]), str(e["DESCRIPTION"]), e.decoded("DTSTART"))
            for e in events] == [
        ("Back check-up due: JD-042", "backpain review JD-042", dt.date(2026, 11, 15)),
        ("Back check-up due: MK-7", "backpain review MK-7", dt.date(2026, 11, 17)),
    ]
    assert NAME not in done.stdout and "urgent" not in done.stdout


def test_an_empty_due_calendar_says_so_on_stderr(backpain_home: Path) -> None:
    save_visit("JD-042", utc("2026-11-01T09:00:00"), ACUTE)
    done = run("review", "--due", "--on", "2026-11-02", "--format", "ics")
    assert done.exit_code == 0
    assert parsed(done.stdout)[1] == []
    assert done.stderr == ("backpain: note: no client is due on 2026-11-02; the calendar has "
                           "no events\n")


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "ics"], "--format ics only applies to --due; for one session's next check "
                          "use: backpain export SESSION --format ics"),
    (["--due", "--format", "ics", "--json"], "give one of --json and --format ics"),
    (["--due", "--on", "2026-13-01", "--format", "ics"],
     "--on: '2026-13-01' is not a date in the form YYYY-MM-DD"),
])
def test_review_ics_bad_usage_is_one_line_and_exit_2(backpain_home: Path, args: list[str],
                                                     message: str) -> None:
    done = run("review", *args)
    assert (done.exit_code, done.stdout) == (2, "")
    assert done.stderr == f"backpain: usage error: {message}\n"


def unfold(text: str) -> str:
    return text.replace("\r\n ", "")


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=300))
def test_folding_keeps_every_character_and_every_line_fits(text: str) -> None:
    line = f"SUMMARY:{escape_text(text)}"
    folded = fold(line)
    assert unfold(folded) == line
    assert all(len(part.encode("utf-8")) <= 75 for part in folded.split("\r\n"))


@given(st.text(max_size=100))
def test_escaped_text_reads_back_as_written(text: str) -> None:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    event = icalendar.Event.from_ical(
        f"BEGIN:VEVENT\r\n{fold('SUMMARY:' + escape_text(text))}\r\nEND:VEVENT\r\n")
    assert str(event["SUMMARY"]) == text
