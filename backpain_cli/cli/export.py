"""`backpain export`: saved sessions as Markdown, HTML, JSON, FHIR or CSV.

Thin on purpose: it parses what to export and where to, makes one call to flows/export.py,
and writes what comes back to standard output or to `-o` (a file replaced atomically, or
rows streamed with a progress bar).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO, TypeVar, cast

import typer

from ..errors import SkippedSessionsError, UsageError
from ..flows.export import Rows, export_one, export_rows
from ..records.export_files import streamed_output, write_bytes, write_text
from ..records.index.listing import BulkResult
from ..records.session import Brief, Session
from ..records.tree import Unreadable
from . import helptext
from .commands import command_app
from .notices import StderrNotices

app = command_app()
NOTICES = StderrNotices(unreadable_as="skipped")

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
    if isinstance(text, bytes):
        write_bytes(output, text, force=force)
    else:
        write_text(output, text, force=force)
    NOTICES.info(f"Wrote {_shown(output)}")


def _tracked(rows: Iterator[T], total: int, show: bool) -> Iterator[T]:
    """The rows, with a progress bar on stderr while they are consumed (when `show`)."""
    if not show:
        yield from rows
        return
    # rich: only for a bar on a terminal.
    from .progress import bar

    with bar("Exporting", total, redirect_stderr=True) as advance:
        i = 0
        for i, row in enumerate(rows, 1):
            yield row
            if i % 100 == 0:
                advance(i)
        advance(i)


def _report(path: str, reason: str) -> None:
    NOTICES.unreadable(Unreadable(path, reason))


def _write_bulk(out: TextIO, fmt: Format, rows: Iterator[Brief | Session | str | Unreadable],
                result: BulkResult) -> None:
    if fmt is Format.csv:
        from ..output import csv

        csv.write_rows(out, cast("Iterator[Brief | Unreadable]", rows), _report, result)
        return
    from ..safe_text import escape_json

    # JSON Lines records as the summary index keeps them: the one reader's document.
    for row in rows:
        if isinstance(row, Unreadable):
            _report(row.path, row.reason)
            result.skipped += 1
        elif isinstance(row, str):
            # An index written before the escapes holds the record as json.dumps wrote it.
            out.write(escape_json(row))
            result.written += 1


def _write_rows(found: Rows, output: Path | None, force: bool) -> None:
    # A bar on the same terminal as the rows themselves would garble both.
    show = sys.stderr.isatty() and (output is not None or not sys.stdout.isatty())
    result = BulkResult(skipped=found.skipped)
    fmt = Format(found.format)
    newline = "" if fmt is Format.csv else None
    sink = (streamed_output(output, force=force, newline=newline) if output is not None
            else contextlib.nullcontext(sys.stdout))
    with sink as out:
        _write_bulk(out, fmt, _tracked(found.rows, found.total, show), result)
    if output is not None:
        noun = "session" if result.written == 1 else "sessions"
        NOTICES.info(f"Wrote {result.written} {noun} to {_shown(output)}")
    else:
        sys.stdout.flush()
    if result.skipped:
        raise SkippedSessionsError(result.skipped)


@app.command(epilog=EPILOG)
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
        # Rare: the schema is a file of its own, read only for --schema.
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
        _write_rows(export_rows("csv" if fmt is Format.csv else "jsonl", client, NOTICES),
                    output, force)
        return
    if target is None:
        raise UsageError("name a SESSION or CLIENT to export, or use --all or --client REF")
    found = export_one(target, fmt.value, bundle=(bundle or BundleType.collection).value,
                       notices=NOTICES)
    if isinstance(found, Rows):
        _write_rows(found, output, force)
        return
    _emit(found.content, output, force)
    if found.skipped:
        raise SkippedSessionsError(found.skipped)

