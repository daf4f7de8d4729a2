"""`backpain export`: saved sessions as Markdown, HTML, JSON, FHIR or CSV.

Thin on purpose: it picks what to export and where to, and leaves every format to
`backpain_cli.output`. Each exporter is imported only when its format is asked for, so the
command never pays for prompts, FHIR libraries or formats it does not use.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO, TypeVar, cast

import typer

from ..errors import UsageError
from . import helptext

if TYPE_CHECKING:
    from ..clinical.followup import History
    from ..clinical.questionnaire import Registry
    from ..records.index.listing import BulkResult
    from ..records.session import Brief, Session
    from ..records.tree import Unreadable

T = TypeVar("T")


class Format(StrEnum):
    md = "md"
    html = "html"
    pdf = "pdf"
    json = "json"
    jsonl = "jsonl"
    fhir = "fhir"
    csv = "csv"


class BundleType(StrEnum):
    collection = "collection"
    transaction = "transaction"


EPILOG = helptext.epilog(
    ["backpain export JD-042 --format html -o plan.html",
     "backpain export 20261127T1015 --format pdf -o plan.pdf",
     "backpain export JD-042 -f fhir --bundle transaction -o visit.json",
     "backpain export --all --format csv -o audit.csv",
     "backpain export --client JD-042 --format jsonl"],
    [helptext.OK,
     (1, "an error, or a session file that could not be read was skipped (each is named "
         "on stderr; everything else is still exported)"),
     (2, "wrong usage, printed as one line (backpain: usage error: ...), such as a PDF "
         "to a terminal"),
     helptext.INTERRUPTED],
    "Formats: md (plain Markdown plan), html (a self-contained handout to print or send), "
    "pdf (that handout as an A4 PDF, to -o FILE or to a standard output that is not a "
    "terminal; needs: pip install 'backpain[pdf]'), json "
    "(the session document), jsonl (JSON Lines: one document a line; json: with --all or "
    "--client, an alias of jsonl), fhir (FHIR R4 Bundle; --bundle transaction for a FHIR "
    "server), csv (one row per session).",
    "CSV columns: session, client, date (UTC, ISO 8601), status, follows, triage, red_flags "
    "(ids separated by spaces), nprs_now, nprs_worst_week, startback_total, "
    "startback_psychosocial, startback_risk, odi_percent, odi_band, rmdq_score, "
    "axspa_feature_count, pain_duration, reassess_weeks, ended_early, instruments (the "
    "optional questionnaires offered, separated by spaces). A cell starting with = + - @ "
    "gets a leading ' so that a spreadsheet shows it as text.",
    "-o - is standard output, as without -o. -o replaces only a regular file, and only "
    "with --force (never a device, a link or a folder), and never writes into the sessions "
    "folder.")


# A PDF is binary: on a terminal it would be noise. To a pipe or a file it may go (curl's
# rule for binary output).
PDF_TO_TERMINAL = ("--format pdf to a terminal: a PDF is binary; add -o FILE, or redirect "
                   "standard output (> plan.pdf)")


def _shown(output: Path) -> str:
    """The file written, as it is named: a file named "-" is ./- (- is standard output)."""
    return "./-" if str(output) == "-" else str(output)


def _output_path(text: str) -> Path | None:
    """`-o`'s value: `-` is standard output, as for every Unix tool (None, as without -o);
    a file named "-" is `./-`. Parsed from the text, as a Path would lose the difference."""
    return None if text == "-" else Path(text)


def _info(message: str) -> None:
    sys.stderr.write(f"{message}\n")


def _report_unreadable(path: str, reason: str) -> None:
    from ..safe_text import visible

    sys.stderr.write(f"backpain: skipped {visible(f'{path}: {reason}')}\n")


def _emit(text: str | bytes, output: Path | None, force: bool) -> None:
    if output is None:
        if isinstance(text, bytes):
            if sys.stdout.isatty():  # _export refuses this before any work is done
                raise UsageError(PDF_TO_TERMINAL)
            sys.stdout.flush()
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        sys.stdout.flush()
        return
    from ..records.export_files import write_bytes, write_text

    if isinstance(text, bytes):
        write_bytes(output, text, force=force)
    else:
        write_text(output, text, force=force)
    _info(f"Wrote {_shown(output)}")


def _registry() -> Registry:
    """Questionnaire texts and labels for FHIR; the shipped ones if the user's are broken."""
    from ..clinical.questionnaire import load_registry
    from ..errors import QuestionnaireError
    from ..records import paths

    try:
        return load_registry(paths.questionnaires_dir())
    except QuestionnaireError:
        sys.stderr.write("backpain: warning: your questionnaires folder has problems (see "
                         "`backpain questionnaires check`); using the shipped questionnaires "
                         "for question texts\n")
        return load_registry(None)


def _fhir(session: Session, kind: str) -> str:
    """The transaction or collection Bundle, with the Questionnaires of the modules as
    answered; both name everything alike (fhir_transaction.names)."""
    from ..clinical.questionnaire import modules_by_hash
    from ..output import fhir_questionnaire, fhir_transaction
    from ..records import paths
    from ..records.settings import fhir_names

    # The practice's names from the settings; by default its own namespace, from a
    # practice id created the first time and kept, so every export names things alike.
    system, base = fhir_names()
    registry = _registry()
    modules = fhir_questionnaire.answered_modules(
        session, registry, modules_by_hash(paths.questionnaires_dir()))
    return fhir_transaction.render(session, registry, modules, kind=kind,
                                   identifier_system=system, canonical_base=base)


def _single(target: str, fmt: Format, output: Path | None, force: bool,
            bundle: BundleType = BundleType.collection) -> None:
    from ..errors import NotFoundError, SkippedSessionsError
    from ..records.targets import ClientTarget, load, load_client, resolve

    found = resolve(target)
    history: History[Session] | None = None
    skipped = 0
    if isinstance(found, ClientTarget):
        if found.note is not None:
            sys.stderr.write(f"backpain: note: {found.note}\n")
        if fmt in (Format.csv, Format.jsonl):
            # Formats of a row a session: a client's are all of their sessions, as --client.
            _bulk(fmt, output, force, found.client)
            return
        from ..clinical.followup import build_history

        client = load_client(found.client)
        for bad in client.unreadable:
            _report_unreadable(bad.path, bad.reason)
        completed = client.completed
        if not completed:
            raise NotFoundError(f"client {client.client} has no completed session to export")
        skipped = len(client.unreadable)
        # The latest visit's handout, with the client's visits and their change.
        session, history = completed[-1], build_history(client.client, completed)
    else:
        session = load(found)
    # md, html and pdf refuse a draft (session.plan_of): it has no plan to hand out yet.
    text: str | bytes
    if fmt is Format.pdf:
        from ..output import html as html_doc
        from ..output import pdf

        text = pdf.render(html_doc.render(session, history))
    elif fmt is Format.md:
        from ..output import markdown

        text = markdown.render(session, history)
    elif fmt is Format.html:
        from ..output import html as html_doc

        text = html_doc.render(session, history)
    elif fmt is Format.json:
        from ..output import json_doc

        text = json_doc.render(session)
    elif fmt is Format.jsonl:
        from ..output import json_doc

        text = json_doc.line(session)
    elif fmt is Format.fhir:
        text = _fhir(session, bundle.value)
    else:
        from ..output import csv as csv_export

        text = csv_export.render([session])
    _emit(text, output, force)
    if skipped:
        raise SkippedSessionsError(skipped)


def _tracked(rows: Iterator[T], total: int, show: bool) -> Iterator[T]:
    """The rows, with a progress bar on stderr while they are consumed (when `show`)."""
    if not show:
        yield from rows
        return
    from .progress import bar

    with bar("Exporting", total, redirect_stderr=True) as advance:
        i = 0
        for i, row in enumerate(rows, 1):
            yield row
            if i % 100 == 0:
                advance(i)
        advance(i)


def _write_bulk(out: TextIO, fmt: Format, rows: Iterator[Brief | Session | str | Unreadable],
                result: BulkResult) -> None:
    if fmt is Format.csv:
        from ..output import csv as csv_export

        csv_export.write_rows(out, cast("Iterator[Brief | Unreadable]", rows),
                              _report_unreadable, result)
        return
    from ..records.tree import Unreadable
    from ..safe_text import escape_json

    # JSON Lines records as the summary index keeps them: the one reader's document.
    for row in rows:
        if isinstance(row, Unreadable):
            _report_unreadable(row.path, row.reason)
            result.skipped += 1
        elif isinstance(row, str):
            # An index written before the escapes holds the record as json.dumps wrote it.
            out.write(escape_json(row))
            result.written += 1


def _bulk(fmt: Format, output: Path | None, force: bool, client: str | None) -> None:
    from ..errors import SkippedSessionsError
    from ..records.export_files import streamed_output
    from ..records.index.listing import BulkResult, bulk_rows

    found = bulk_rows(client=client, document=fmt is not Format.csv)
    # Reported before the rows; counted with the unreadable files, so the exit code says
    # the export is missing something (issue 9: nothing is skipped in silence).
    for bad in found.tree.skipped:
        _report_unreadable(bad.path, bad.reason)
    from ..safe_text import visible

    for note in found.tree.notes:
        sys.stderr.write(f"backpain: warning: {visible(note)}\n")
    # A bar on the same terminal as the rows themselves would garble both.
    show = sys.stderr.isatty() and (output is not None or not sys.stdout.isatty())
    result = BulkResult(skipped=len(found.tree.skipped))
    newline = "" if fmt is Format.csv else None
    sink = (streamed_output(output, force=force, newline=newline) if output is not None
            else contextlib.nullcontext(sys.stdout))
    with sink as out:
        _write_bulk(out, fmt, _tracked(found.rows, found.total, show), result)
    if output is not None:
        noun = "session" if result.written == 1 else "sessions"
        _info(f"Wrote {result.written} {noun} to {_shown(output)}")
    else:
        sys.stdout.flush()
    if result.skipped:
        raise SkippedSessionsError(result.skipped)


def export(
    target: Annotated[str | None, typer.Argument(
        metavar="[SESSION|CLIENT]",
        help="A session id (or a unique start of one), or a client reference for the "
             "client's latest completed session with their history. A client's exact "
             "name wins over the start of a session id.", show_default=False)] = None,
    fmt: Annotated[Format | None, typer.Option(
        "--format", "-f", help="Output format.", case_sensitive=False,
        show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="PATH", parser=_output_path,
        help="Write to PATH instead of stdout (- is stdout): atomically, readable only by "
             "you (0600), and never over an existing file unless --force.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Let -o replace an existing file.")] = False,
    all_: Annotated[bool, typer.Option(
        "--all", help="Every session, for audits: --format csv or jsonl (JSON Lines).")
    ] = False,
    client: Annotated[str | None, typer.Option(
        "--client", metavar="REF",
        help="Like --all, for one client's sessions.")] = None,
    schema: Annotated[bool, typer.Option(
        "--schema", help="Print the JSON Schema of the json format and exit.")] = False,
    bundle: Annotated[BundleType | None, typer.Option(
        "--bundle", case_sensitive=False, show_default=False,
        help="With --format fhir: collection (the default), or transaction: the same "
             "entries (identifiers, the Questionnaires) as conditional creates, for a FHIR "
             "server.")] = None,
) -> None:
    """Export a session, a client's history or every session.

    SESSION or CLIENT with --format md, html, pdf, json or fhir; --all or --client REF
    with --format csv or jsonl.
    """
    # A reader that goes away (`| head`) or a full disk under stdout: cli.main.
    _export(target, fmt, output, force, all_, client, schema, bundle=bundle)


def _export(target: str | None, fmt: Format | None, output: Path | None, force: bool,
            all_: bool, client: str | None, schema: bool,
            bundle: BundleType | None = None) -> None:
    if schema:
        if target is not None or fmt is not None or all_ or client is not None \
                or bundle is not None:
            raise UsageError("--schema prints the JSON Schema; give it alone (or with -o)")
        from ..output.json_doc import schema_text

        _emit(schema_text(), output, force)
        return
    if fmt is None:
        raise UsageError("--format is required: md, html, pdf, json, jsonl, fhir or csv")
    if fmt is Format.pdf and output is None and sys.stdout.isatty():
        raise UsageError(PDF_TO_TERMINAL)
    if bundle is not None and fmt is not Format.fhir:
        raise UsageError(f"--bundle is only for --format fhir, not {fmt.value}")
    if all_ or client is not None:
        if target is not None or (all_ and client is not None):
            raise UsageError("give one of: a SESSION or CLIENT, --all, or --client REF")
        # json stays an alias of jsonl here: it is what --all --format json always wrote.
        if fmt not in (Format.csv, Format.jsonl, Format.json):
            raise UsageError(
                f"--all and --client export csv or jsonl (JSON Lines), not {fmt.value}; for "
                f"{fmt.value}, name a session or a client instead")
        _bulk(fmt, output, force, client)
        return
    if target is None:
        raise UsageError("name a SESSION or CLIENT to export, or use --all or --client REF")
    _single(target, fmt, output, force, bundle or BundleType.collection)


def register(app: typer.Typer) -> None:
    app.command("export", epilog=EPILOG)(export)
