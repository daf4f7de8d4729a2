"""`backpain export`: what to export (a session, a client's latest visit with their history,
or many sessions as rows) and in which format.

`export_one` and `export_rows` are the use cases: they resolve the target, read it, and hand
it to the format's writer in output/; the command writes what they return to standard
output or to `-o`. Notes and files left out are said through the command's `Notices` as
they are found. Each format's libraries are imported only when that format is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..clinical.followup import History, build_history
from ..errors import NotFoundError
from ..records.index.listing import bulk_rows
from ..records.session import Brief, Session
from ..records.targets import ClientTarget, load, load_client, resolve
from ..records.tree import Unreadable
from .notices import Notices

# Formats of a row a session: naming a client exports all of their sessions, as --client.
ROW_FORMATS = ("csv", "jsonl")


@dataclass(frozen=True)
class Exported:
    """One export: its text (bytes for a PDF), and how many of the client's session files
    could not be read (each already said)."""

    content: str | bytes
    skipped: int = 0


@dataclass(frozen=True)
class Rows:
    """Many sessions, oldest first, as they are read: Briefs for CSV, JSON Lines records
    for jsonl, and unreadable files in their place."""

    format: str
    total: int
    rows: Iterator[Brief | Session | str | Unreadable]
    skipped: int  # entries of the folder that are not session files (each already said)


def export_one(target: str, fmt: str, *, bundle: str, notices: Notices) -> Exported | Rows:
    """The session `target` names, or the client's latest completed visit with its
    history; for a format of rows, every session of the client."""
    found = resolve(target)
    history: History[Session] | None = None
    skipped = 0
    if isinstance(found, ClientTarget):
        if found.note is not None:
            notices.note(found.note)
        if fmt in ROW_FORMATS:
            return export_rows(fmt, found.client, notices)
        client = load_client(found.client)
        for bad in client.unreadable:
            notices.unreadable(bad)
        # The latest visit's handout, with the client's visits and their change: the same
        # visits as `review CLIENT` (a draft is none).
        history = build_history(client.client, client.sessions)
        if not history.visits:
            raise NotFoundError(f"client {client.client} has no completed session to export")
        skipped = len(client.unreadable)
        session = history.visits[-1].session
    else:
        session = load(found)
    return Exported(_render(session, history, fmt, bundle, notices), skipped)


def export_rows(fmt: str, client: str | None, notices: Notices) -> Rows:
    """Every session (`--all`), or one client's (`--client`), for CSV or JSON Lines."""
    found = bulk_rows(client=client, document=fmt != "csv")
    # Said before the rows; counted with the unreadable files, so the exit code says the
    # export is missing something (issue 9: nothing is skipped in silence).
    for bad in found.tree.skipped:
        notices.unreadable(bad)
    for note in found.tree.notes:
        notices.warning(note)
    return Rows(fmt, found.total, found.rows, len(found.tree.skipped))


def _render(session: Session, history: History[Session] | None, fmt: str, bundle: str,
            notices: Notices) -> str | bytes:
    # md, html and pdf refuse a draft (session.plan_of): it has no plan to hand out yet.
    # Each format's module is imported only when it is asked for.
    if fmt == "pdf":
        from ..output import html, pdf

        return pdf.render(html.render(session, history))
    if fmt == "md":
        from ..output import markdown

        return markdown.render(session, history)
    if fmt == "html":
        from ..output import html

        return html.render(session, history)
    if fmt == "json":
        from ..output import json_doc

        return json_doc.render(session)
    if fmt == "jsonl":
        from ..output import json_doc

        return json_doc.line(session)
    if fmt == "fhir":
        return _fhir(session, bundle, notices)
    from ..output import csv

    return csv.render([session])


def _fhir(session: Session, kind: str, notices: Notices) -> str:
    """The transaction or collection Bundle, with the Questionnaires of the modules as
    answered; both name everything alike (fhir_transaction.names)."""
    from ..clinical.questionnaire import load_registry, modules_by_hash
    from ..errors import QuestionnaireError
    from ..output import fhir_questionnaire, fhir_transaction
    from ..records.paths import questionnaires_dir
    from ..records.settings import fhir_names

    # The practice's names from the settings; by default its own namespace, from a
    # practice id created the first time and kept, so every export names things alike.
    system, base = fhir_names()
    try:
        registry = load_registry(questionnaires_dir())
    except QuestionnaireError:
        # Question texts and labels for FHIR: the shipped ones if the user's are broken.
        notices.warning("your questionnaires folder has problems (see `backpain "
                        "questionnaires check`); using the shipped questionnaires for "
                        "question texts")
        registry = load_registry(None)
    modules = fhir_questionnaire.answered_modules(
        session, registry, modules_by_hash(questionnaires_dir()))
    return fhir_transaction.render(session, registry, modules, kind=kind,
                                   identifier_system=system, canonical_base=base)
