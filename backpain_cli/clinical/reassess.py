"""When the practitioner should see the client again (CLINICAL.md, "Re-assessment (v2)").

One rule, used by the plan and by `review --due` (which applies it to saved sessions, including
version-1 sessions that never stored an interval).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from .questionnaire import AnswerValue

# Weeks by pain duration, below urgent triage.
WEEKS_BY_DURATION = {"under_6_weeks": 2, "6_to_12_weeks": 4, "over_12_weeks": 6}
# Urgent: re-score a week after the doctor's visit.
URGENT_WEEKS = 1


def reassess_weeks(answers: Mapping[str, AnswerValue], triage: str) -> int | None:
    """Weeks until the next check; None for an emergency plan, or when the duration is unknown."""
    if triage == "emergency":
        return None
    if triage == "urgent":
        return URGENT_WEEKS
    duration = answers.get("pain_duration")
    return WEEKS_BY_DURATION.get(duration) if isinstance(duration, str) else None


def local_day(moment: dt.datetime) -> dt.date:
    """The day of `moment` on the practitioner's calendar (the local time zone, $TZ)."""
    return moment.astimezone().date()


def due_date(created: dt.datetime, weeks: int) -> dt.date:
    """When the check is due: the session's local day plus the interval.

    Counted in days on the local calendar, so a session late in the evening is due on the
    same weekday the practitioner saw the client, whatever the UTC date was.
    """
    return local_day(created) + dt.timedelta(weeks=weeks)


def next_check(created: dt.datetime, weeks: int) -> str:
    """The line shown with the plan and in the handout (CLINICAL.md, "Re-assessment")."""
    unit = "week" if weeks == 1 else "weeks"
    return f"Next check: in {weeks} {unit}, on or after {due_date(created, weeks).isoformat()}"
