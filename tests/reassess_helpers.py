"""Sessions with chosen dates and chosen re-assessment intervals, made the way `assess`
makes them (start, finish) and saved by storage: shared by test_due.py and
test_next_check.py.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from backpain_cli.clinical.answers import next_question
from backpain_cli.clinical.questionnaire import AnswerValue, Question, load_registry
from backpain_cli.flows import assess
from backpain_cli.records.paths import new_session_id
from backpain_cli.records.session import Session
from backpain_cli.records.storage import save_session

# Answers that give each interval (the clinical reference, "Re-assessment"); the rest of an
# interview
# is filled in with unremarkable answers.
ACUTE: dict[str, AnswerValue] = {"pain_duration": "under_6_weeks"}  # 2 weeks
SUBACUTE: dict[str, AnswerValue] = {"pain_duration": "6_to_12_weeks"}  # 4 weeks
CHRONIC: dict[str, AnswerValue] = {"pain_duration": "over_12_weeks"}  # 6 weeks
URGENT: dict[str, AnswerValue] = {"pain_duration": "over_12_weeks", "rf_trauma": True}  # 1 week
# No interval.
EMERGENCY: dict[str, AnswerValue] = {"pain_duration": "under_6_weeks", "rf_both_legs": True}


def _plain(q: Question) -> AnswerValue:
    if q.type == "yesno":
        return False
    if q.type == "choice":
        return q.choice_values[0]
    if q.type == "multi":
        return (q.exclusive[0],) if q.exclusive else (q.choice_values[0],)
    if q.id == "age":
        return 40  # an adult below every age threshold of the rules
    assert q.min is not None and q.max is not None
    return (q.min + q.max) // 2


def answers_with(chosen: Mapping[str, AnswerValue]) -> dict[str, AnswerValue]:
    """A complete default interview with `chosen` answers, whatever they show or hide."""
    modules = load_registry(None).select(())
    answers: dict[str, AnswerValue] = dict(chosen)
    while (q := next_question(modules, answers)) is not None:
        answers[q.id] = _plain(q)
    return answers


def save_visit(client: str, when: dt.datetime, chosen: Mapping[str, AnswerValue],
               *, draft: bool = False) -> tuple[Session, Path]:
    """A session of `client` saved as started at `when` (UTC)."""
    st = assess.start(load_registry(None), client=client, answers_file=None, instruments=None)
    answers = answers_with(chosen)
    session = (assess.draft(st, client, answers, set()) if draft
               else assess.finish(st, client, answers, set()))
    return save_session(replace(session, id=new_session_id(when), created=when), new=True)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@contextmanager
def local_time_zone(name: str) -> Iterator[None]:
    """The practitioner's computer in time zone `name` ($TZ), for the code under test."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()
