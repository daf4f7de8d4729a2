"""The next check as an iCalendar file (RFC 5545): `export SESSION --format ics` for the
client's calendar, `review --due --format ics` for the practitioner's.

Written here rather than with the `icalendar` library: backpain only ever writes one shape
(a VCALENDAR of all-day VEVENTs with six properties, no time zones, no recurrence) and never
reads one, and the library would be a dependency of about 9 MB with its own (python-dateutil,
tzdata) for it. The parts of RFC 5545 that matter are all here: CRLF line ends (3.1), lines
folded at 75 octets without splitting a UTF-8 character (3.1), TEXT escaped (3.3.11), a UID
and a DTSTAMP in every event (3.6.1). The tests read every file back with `icalendar`.

- UIDs are stable: made from the session id (a uuid5 under the project's namespace, so
  neither the id nor the program shows), so importing a calendar again updates the event
  rather than adding another.
- DTSTAMP is the session's time in UTC: the event says nothing a later change could alter
  (a session is never rewritten), so the file of a session is the same whenever it is made.
- The client's event says nothing about their health: "Back check-up with <practice>" and
  the practice's contact line. The practitioner's names the client reference only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from ..clinical.followup import check_day
from ..errors import BackpainError
from ..frozen import frozen
from ..records.session import Session
from ..results import DueList
from .formats import ExportItem

PRODID = "-//backpain//backpain//EN"
# uuid5 names: the project's namespace, so a UID reveals no session id or client.
_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://backpain.invalid/ics")
_FOLD_AT = 75  # octets, the line break excluded (RFC 5545 3.1)


@frozen
class Event:
    """An all-day event."""

    uid: str
    stamp: dt.datetime
    day: dt.date
    summary: str
    description: str | None = None


def escape_text(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11)."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """`line` folded to lines of at most 75 octets, CRLF and a space before each
    continuation; never inside a UTF-8 character."""
    out: list[str] = []
    current = ""
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > _FOLD_AT:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _event_lines(event: Event) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{_stamp(event.stamp)}",
        f"DTSTART;VALUE=DATE:{event.day:%Y%m%d}",
        # An all-day event ends (exclusively) the next day.
        f"DTEND;VALUE=DATE:{event.day + dt.timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    # A reminder, not a busy slot: the client books the time itself.
    lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    return lines


def calendar(events: Iterable[Event]) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    for event in events:
        lines += _event_lines(event)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def uid(kind: str, session_id: str) -> str:
    # A bare UUID (RFC 7986 5.3): a domain would name the program on the client's calendar.
    return str(uuid.uuid5(_UID_NAMESPACE, f"{kind}/{session_id}"))


def client_event(session: Session) -> Event:
    """The client's reminder of the check after `session`."""
    day = check_day(session)
    if day is None:
        raise BackpainError(
            f"session {session.id} has no next check to put in a calendar: "
            + ("it is a draft (the interview was not finished)" if session.is_draft
               else "its plan is an emergency referral"))
    practice = session.practice
    summary = f"Back check-up with {practice.name}" if practice.name else "Back check-up"
    return Event(uid("check", session.id), session.created, day, summary,
                 practice.contact)


def export(item: ExportItem) -> str:
    """`export --format ics` (output/formats.py): the client's next check."""
    return calendar([client_event(item.session)])


def due_calendar(result: DueList) -> str:
    """`review --due --format ics`: one event per due client on the day their check is
    due, named by the client reference only."""
    return calendar(
        Event(uid("due", d.session.id), d.session.created, d.due,
              f"Back check-up due: {d.session.client}",
              f"backpain review {d.session.client}")
        for d in result.rows)
