"""`backpain export`: saved sessions as Markdown, HTML, JSON, FHIR or CSV.

Thin on purpose: it parses what to export and where to, makes one call to flows/export.py,
and writes what comes back to standard output or to `-o` (a file replaced atomically, or
rows streamed with a progress bar). The formats, their choices, help and usage checks come
from the format table (output/formats.py): adding a format changes nothing here.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from ..errors import SkippedSessionsError, UsageError
from ..flows.export import Rows, export_one, export_rows
from ..output.formats import BY_NAME, FORMATS, ExportFormat, listed, of_rows, rows
from ..records.export_files import streamed_output
from ..records.index.listing import BulkResult
from ..records.tree import Unreadable
from . import helptext
from .commands import command_app
from .notices import StderrNotices
from .output_target import (
    ForceOption,
    OutputOption,
    check_name,
    emit,
    refuse_binary_to_terminal,
    shown,
)

app = command_app()
NOTICES = StderrNotices(unreadable_as="skipped")

T = TypeVar("T")

# The choices of --format, from the format table (members by name, so mypy sees none).
Format = StrEnum("Format", [(f.name, f.name) for f in FORMATS])  # type: ignore[misc]


class Detail(StrEnum):
    client = "client"
    full = "full"


class BundleType(StrEnum):
    collection = "collection"
    transaction = "transaction"


def _titled(fmt: ExportFormat) -> str:
    return f"{fmt.name} ({fmt.title})" if fmt.title else fmt.name


# Named in the usage texts in alphabetical order.
ROW_FORMATS = sorted((f for f in FORMATS if f.rows is not None), key=lambda f: f.name)
SINGLE_FORMATS = [f for f in FORMATS if f.rows is None]
HANDOUT_FORMATS = [f for f in FORMATS if f.handout]

EPILOG = helptext.epilog(
    ["backpain export JD-042 --format html -o handout.html",
     "backpain export 20261127T1015 --format pdf --name 'Jo Doe' -o handout.pdf",
     "backpain export JD-042 --format pdf --detail full -o plan.pdf",
     "backpain export JD-042 -f fhir --bundle transaction -o visit.json",
     "backpain export --all --format csv -o audit.csv",
     "backpain export --client JD-042 --format jsonl"],
    [helptext.OK,
     (1, "an error, or a session file that could not be read was skipped (each is named "
         "on stderr; everything else is still exported)"),
     (2, "wrong usage, printed as one line (backpain: usage error: ...), such as a PDF "
         "to a terminal"),
     helptext.INTERRUPTED],
    "Formats: " + ", ".join(f"{f.name} ({f.help})" for f in FORMATS) + ".",
    f"{listed(f.name for f in HANDOUT_FORMATS)} give the client's handout: large print, "
    "plain words, the advice chosen for it (backpain handout SESSION, or the tool's "
    "picks), the exercises with pictures and doses, the diary. --detail full gives the "
    "practitioner's plan instead: every recommendation with its reasons and evidence.",
    *(note for f in FORMATS for note in f.notes),
    "-o - is standard output, as without -o. -o replaces only a regular file, and only "
    "with --force (never a device, a link or a folder), and never writes into the sessions "
    "folder.")


def _tracked(found: Iterator[T], total: int, show: bool) -> Iterator[T]:
    """The rows, with a progress bar on stderr while they are consumed (when `show`)."""
    if not show:
        yield from found
        return
    # rich: only for a bar on a terminal.
    from .progress import bar

    with bar("Exporting", total, redirect_stderr=True) as advance:
        i = 0
        for i, row in enumerate(found, 1):
            yield row
            if i % 100 == 0:
                advance(i)
        advance(i)


def _report(path: str, reason: str) -> None:
    NOTICES.unreadable(Unreadable(path, reason))


def _write_rows(found: Rows, output: Path | None, force: bool) -> None:
    # A bar on the same terminal as the rows themselves would garble both.
    show = sys.stderr.isatty() and (output is not None or not sys.stdout.isatty())
    result = BulkResult(skipped=found.skipped)
    write = rows(found.format)
    sink = (streamed_output(output, force=force, newline=found.format.newline)
            if output is not None else contextlib.nullcontext(sys.stdout))
    with sink as out:
        write(out, _tracked(found.rows, found.total, show), _report, result)
    if output is not None:
        noun = "session" if result.written == 1 else "sessions"
        NOTICES.info(f"Wrote {result.written} {noun} to {shown(output)}")
    else:
        sys.stdout.flush()
    if result.skipped:
        raise SkippedSessionsError(result.skipped)


@app.command(epilog=EPILOG, help=(
    "Export a session, a client's history or every session.\n\nSESSION or CLIENT with "
    f"--format {listed(f.name for f in SINGLE_FORMATS)}; --all or --client REF with "
    f"--format {listed(f.name for f in ROW_FORMATS)}."))
def export(
    target: Annotated[str | None, typer.Argument(
        metavar="[SESSION|CLIENT]",
        help="A session id (or a unique start of one), or a client reference for the "
             "client's latest completed session with their history. A client's exact "
             "name wins over the start of a session id.", show_default=False)] = None,
    fmt: Annotated[Format | None, typer.Option(
        "--format", "-f", help="Output format.", case_sensitive=False,
        show_default=False)] = None,
    output: OutputOption = None,
    force: ForceOption = False,
    all_: Annotated[bool, typer.Option(
        "--all", help="Every session, for audits: --format "
                      f"{listed(_titled(f) for f in ROW_FORMATS)}.")
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
    detail: Annotated[Detail | None, typer.Option(
        "--detail", case_sensitive=False, show_default=False,
        help=f"With --format {listed(f.name for f in HANDOUT_FORMATS)}: client (the "
             "default), the client's handout; or full, the practitioner's plan.")] = None,
    name: Annotated[str | None, typer.Option(
        "--name", metavar="TEXT",
        help="The client's name, printed on this handout only (backpain stores no "
             "names).")] = None,
) -> None:
    # A reader that goes away (`| head`) or a full disk under stdout: cli.main.
    _export(target, None if fmt is None else BY_NAME[fmt.value], output, force, all_,
            client, schema, bundle=bundle, detail=detail, name=name)


def _handout_options(fmt: ExportFormat, detail: Detail | None, name: str | None) -> None:
    """--detail and --name go with a format that has a client's handout."""
    if not fmt.handout:
        given = "--detail" if detail is not None else "--name" if name is not None else None
        if given is not None:
            raise UsageError(f"{given} is only for --format "
                             f"{listed(f.name for f in HANDOUT_FORMATS)}, not {fmt.name}")
    elif name is not None:
        if detail is Detail.full:
            raise UsageError("--name is printed on the client's handout, not with "
                             "--detail full")
        check_name(name)


def _export(target: str | None, fmt: ExportFormat | None, output: Path | None, force: bool,
            all_: bool, client: str | None, schema: bool,
            bundle: BundleType | None = None, detail: Detail | None = None,
            name: str | None = None) -> None:
    if schema:
        if target is not None or fmt is not None or all_ or client is not None \
                or bundle is not None or detail is not None or name is not None:
            raise UsageError("--schema prints the JSON Schema; give it alone (or with -o)")
        # Rare: the schema is a file of its own, read only for --schema.
        from ..output.json_doc import schema_text

        emit(schema_text(), output, force, NOTICES)
        return
    if fmt is None:
        raise UsageError(f"--format is required: {listed(f.name for f in FORMATS)}")
    if fmt.binary:
        refuse_binary_to_terminal(fmt.name, output, "plan")
    if bundle is not None and fmt.name != "fhir":
        raise UsageError(f"--bundle is only for --format fhir, not {fmt.name}")
    _handout_options(fmt, detail, name)
    if all_ or client is not None:
        if target is not None or (all_ and client is not None):
            raise UsageError("give one of: a SESSION or CLIENT, --all, or --client REF")
        if of_rows(fmt) is None:
            raise UsageError(
                f"--all and --client export {listed(_titled(f) for f in ROW_FORMATS)}, not "
                f"{fmt.name}; for {fmt.name}, name a session or a client instead")
        _write_rows(export_rows(fmt.name, client, NOTICES), output, force)
        return
    if target is None:
        raise UsageError("name a SESSION or CLIENT to export, or use --all or --client REF")
    found = export_one(target, fmt.name, bundle=(bundle or BundleType.collection).value,
                       notices=NOTICES, detail=(detail or Detail.client).value, name=name)
    if isinstance(found, Rows):
        _write_rows(found, output, force)
        return
    emit(found.content, output, force, NOTICES)
    if found.skipped:
        raise SkippedSessionsError(found.skipped)
