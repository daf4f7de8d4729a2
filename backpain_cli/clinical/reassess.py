"""When the practitioner should see the client again (the clinical reference, "Re-assessment (v2)").

One rule, used by the plan and by `review --due` (which applies it to saved sessions, including
version-1 sessions that never stored an interval).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..errors import BackpainError

if TYPE_CHECKING:  # the listing's cells take local_day without the questionnaire model
    from .questionnaire import AnswerValue

# Weeks by pain duration, below urgent triage.
WEEKS_BY_DURATION = {"under_6_weeks": 2, "6_to_12_weeks": 4, "over_12_weeks": 6}
# Urgent and same-day (v3): a week, counted from the session's day like every interval.
URGENT_WEEKS = 1
DOCTOR_FIRST = ("urgent", "same_day")


def reassess_weeks(answers: Mapping[str, AnswerValue], triage: str) -> int | None:
    """Weeks until the next check; None for an emergency plan, or when the duration is unknown."""
    if triage == "emergency":
        return None
    if triage in DOCTOR_FIRST:
        return URGENT_WEEKS
    duration = answers.get("pain_duration")
    return WEEKS_BY_DURATION.get(duration) if isinstance(duration, str) else None


def local_day(moment: dt.datetime) -> dt.date:
    """The day of `moment` on the practitioner's calendar (the local time zone, $TZ): the
    one rule for every local date shown (next checks, --due, the dates of handouts).

    Through the C library's localtime, not datetime.astimezone, which refuses an offset of
    24 hours or more that a POSIX TZ may still give (TZ=UTC+24).
    """
    try:
        local = time.localtime(moment.timestamp())
        return dt.date(local.tm_year, local.tm_mon, local.tm_mday)
    except (OverflowError, OSError, ValueError) as exc:
        raise BackpainError(f"{moment.isoformat()} cannot be placed on the local calendar "
                            f"(the time zone, TZ): {exc}") from None


def due_date(created: dt.datetime, weeks: int) -> dt.date:
    """When the check is due: the session's local day plus the interval.

    Counted in days on the local calendar, so a session late in the evening is due on the
    same weekday the practitioner saw the client, whatever the UTC date was.
    """
    return local_day(created) + dt.timedelta(weeks=weeks)


def next_check(created: dt.datetime, weeks: int) -> str:
    """The line shown with the plan and in the handout (the clinical reference, "Re-assessment")."""
    unit = "week" if weeks == 1 else "weeks"
    return f"Next check: in {weeks} {unit}, on or after {due_date(created, weeks).isoformat()}"
