"""`backpain letter SESSION|CLIENT`: a letter to the client's doctor, or a handover to a
colleague, about one completed visit.

A session names that visit; a client their latest completed visit. Either way the client's
history is read (the one history builder, clinical/followup.py), so the scores carry their
change since the first visit. The use case gathers the facts (the session, its notes, the
tier rules that fired, the question texts for labels) and returns the letter in the format
asked for; output/letter.py has the words and the layout, output/pdf.py the PDF.
"""

from __future__ import annotations

import datetime as dt
import re

from ..clinical.followup import History, build_history
from ..clinical.questionnaire import Registry, load_registry
from ..clinical.reassess import local_day
from ..clinical.triage import rules_fired
from ..errors import BackpainError, NotFoundError, QuestionnaireError, UsageError
from ..output.letter import LetterFacts, build, html, markdown
from ..records import settings
from ..records.paths import questionnaires_dir
from ..records.session import Session
from ..records.targets import ClientTarget, load, load_client, resolve
from ..records.tree import ref_of
from .notices import Notices
from .review import notes_of_session

_DAY_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_born(text: str, today: dt.date | None = None) -> dt.date:
    """A --born date: YYYY-MM-DD, not in the future (a usage error otherwise)."""
    try:
        # fromisoformat alone would also take 19610303 and week dates.
        if not _DAY_RE.fullmatch(text):
            raise ValueError
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--born: {text!r} is not a date in the form YYYY-MM-DD") from None
    if day > (today or dt.date.today()):
        raise UsageError(f"--born: {text} is in the future")
    return day


def _registry(notices: Notices) -> Registry:
    try:
        return load_registry(questionnaires_dir())
    except QuestionnaireError:
        # Answer labels only: the shipped ones if the practice's questionnaires are broken.
        notices.warning("your questionnaires folder has problems (see `backpain "
                        "questionnaires check`); using the shipped questionnaires for the "
                        "answers' words")
        return load_registry(None)


def _visit(target: str, notices: Notices) -> tuple[Session, History[Session]]:
    found = resolve(target)
    if isinstance(found, ClientTarget):
        if found.note is not None:
            notices.note(found.note)
        client = load_client(found.client)
        for bad in client.unreadable:
            notices.unreadable(bad)
        history = build_history(client.client, client.sessions)
        if not history.visits:
            raise NotFoundError(f"client {client.client} has no completed session to write "
                                "about")
        return history.visits[-1].session, history
    session = load(found)
    if session.is_draft or session.plan is None:
        raise BackpainError(f"session {session.id} is a draft (the interview was not "
                            f"finished); finish it first: backpain assess --resume "
                            f"{session.id}")
    client = load_client(session.client)
    for bad in client.unreadable:
        notices.unreadable(bad)
    return session, build_history(client.client, client.sessions)


def write_letter(target: str, *, to: str, fmt: str, notices: Notices,
                 name: str | None = None, born: dt.date | None = None) -> str | bytes:
    """The letter about the visit `target` names, to `to` (doctor or colleague), in `fmt`
    (md, html or pdf)."""
    session, history = _visit(target, notices)
    facts = LetterFacts(
        session=session, to=to, written=local_day(dt.datetime.now(dt.UTC)),
        questions=_registry(notices).questions(),
        rules=rules_fired(session.answers, follow_up=session.follows is not None),
        history=history, notes=notes_of_session(ref_of(session.id, session.client)),
        name=name.strip() or None if name is not None else None, born=born)
    letter = build(facts)
    if fmt == "md":
        return markdown(letter)
    page = html(letter)
    if fmt == "html":
        return page
    # WeasyPrint: only for a PDF.
    from ..output.pdf import render

    return render(page, settings.load().paper)
