"""`backpain export`: what to export (a session, a client's latest visit with their history,
or many sessions as rows) and in which format.

`export_one` and `export_rows` are the use cases: they resolve the target, read it, and hand
it to the format's writer (output/formats.py names each); the command writes what they
return to standard output or to `-o`. Notes and files left out are said through the
command's `Notices` as they are found. Each format's libraries are imported only when that
format is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..clinical.followup import History, Note, build_history
from ..clinical.questionnaire import Module, Registry, load_registry, modules_by_hash
from ..errors import NotFoundError, QuestionnaireError
from ..frozen import frozen
from ..output.formats import BY_NAME, ExportFormat, ExportItem, of_rows, single
from ..records import settings
from ..records.index.listing import bulk_rows
from ..records.paths import questionnaires_dir
from ..records.session import Brief, Session
from ..records.targets import ClientTarget, load, load_client, resolve
from ..records.tree import Unreadable, ref_of
from .notices import Notices


@frozen
class Exported:
    """One export: its text (bytes for a PDF), and how many of the client's session files
    could not be read (each already said)."""

    content: str | bytes
    skipped: int = 0


@frozen
class Rows:
    """Many sessions, oldest first, as they are read, in a format of rows (Briefs for CSV,
    JSON Lines records for jsonl), unreadable files in their place."""

    format: ExportFormat
    total: int
    rows: Iterator[Brief | Session | str | Unreadable]
    skipped: int  # entries of the folder that are not session files (each already said)


def export_one(target: str, fmt: str, *, bundle: str, notices: Notices,
               detail: str = "client", name: str | None = None) -> Exported | Rows:
    """The session `target` names, or the client's latest completed visit with its
    history; for a format of rows, every session of the client.

    A format with a client's handout (md, html, pdf) gives the client's handout, with
    `name` printed on it; `detail` "full" gives the practitioner's plan instead."""
    chosen = BY_NAME[fmt]
    found = resolve(target)
    history: History[Session] | None = None
    skipped = 0
    if isinstance(found, ClientTarget):
        if found.note is not None:
            notices.note(found.note)
        if chosen.rows is not None:
            # A row a session: a client's are all of their sessions, as --client.
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
    # md, html and pdf refuse a draft (session.plan_of): it has no plan to hand out yet.
    handout = None
    if chosen.handout and detail == "client":
        # The programme and the handout's choice: only for a client's handout.
        from .handout import for_export

        handout = for_export(session, history, name, notices)
    # The settings are read for a PDF only: no other format depends on them.
    paper = settings.load().paper if chosen.name == "pdf" else "a4"
    item = ExportItem(session, history, bundle, _DataFolder(notices), handout, paper)
    return Exported(single(chosen)(item), skipped)


def export_rows(fmt: str, client: str | None, notices: Notices) -> Rows:
    """Every session (`--all`), or one client's (`--client`), in `fmt`'s format of rows
    (json stands for jsonl)."""
    chosen = of_rows(BY_NAME[fmt])
    if chosen is None:
        raise ValueError(f"{fmt} has no format of rows")
    found = bulk_rows(client=client, document=chosen.rows_of == "document")
    # Said before the rows; counted with the unreadable files, so the exit code says the
    # export is missing something (issue 9: nothing is skipped in silence).
    for bad in found.tree.skipped:
        notices.unreadable(bad)
    for note in found.tree.notes:
        notices.warning(note)
    return Rows(chosen, found.total, found.rows, len(found.tree.skipped))


class _DataFolder:
    """output.formats.Sources: what a format may ask for, read only when it asks."""

    def __init__(self, notices: Notices) -> None:
        self._notices = notices

    def registry(self) -> Registry:
        try:
            return load_registry(questionnaires_dir())
        except QuestionnaireError:
            # Question texts and labels: the shipped ones if the practice's are broken.
            self._notices.warning("your questionnaires folder has problems (see `backpain "
                                  "questionnaires check`); using the shipped questionnaires "
                                  "for question texts")
            return load_registry(None)

    def modules_by_hash(self) -> Mapping[str, Module]:
        return modules_by_hash(questionnaires_dir())

    def notes(self, session: Session) -> tuple[Note, ...]:
        # The review use case: only an export that shows notes needs it.
        from .review import notes_of_session

        return notes_of_session(ref_of(session.id, session.client))

    def fhir_names(self) -> tuple[str, str]:
        # The settings file: only a FHIR export reads it.
        from ..records.settings import fhir_names

        return fhir_names()
