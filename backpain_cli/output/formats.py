"""The export formats: one row each, naming the output module that writes it.

Adding a format is a module in output/ and a row here: `backpain export --format`, its
choices, its help and its usage checks, and the use case (flows/export.py) all read this
table. A format's module is imported only when that format is asked for, so no export
pays for another format's libraries (WeasyPrint, the FHIR resources).

What a format's functions take and give:

- `single`, "module:function": `function(item: ExportItem) -> str | bytes`, one session
  (with its client's history when a client was named);
- `rows`, for the formats of a row a session (`--all`, `--client`, and a client named):
  `function(out, rows, report, result)` writes the rows as they come, reports each
  unreadable file through `report(path, reason)` and counts what it wrote in `result`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Literal, Protocol, TextIO, cast

from ..frozen import frozen

if TYPE_CHECKING:
    from ..clinical.followup import History, Note
    from ..clinical.questionnaire import Module, Registry
    from ..records.index.listing import BulkResult, Report
    from ..records.session import Brief, Session
    from ..records.tree import Unreadable
    from .client_handout import ClientHandout


class Sources(Protocol):
    """What a format may need besides the session, read from the data folder and the
    settings only when it asks (flows/export.py gives it)."""

    def registry(self) -> Registry:
        """Today's questionnaires, for question texts (the shipped ones if the practice's
        own are broken)."""

    def modules_by_hash(self) -> Mapping[str, Module]:
        """Every questionnaire text there is, by its sha256: the exact text answered."""

    def fhir_names(self) -> tuple[str, str]:
        """The practice's FHIR identifier system and canonical base (the settings)."""

    def notes(self, session: Session) -> tuple[Note, ...]:
        """The practitioner's notes about the session (its addenda), oldest first."""


@frozen
class ExportItem:
    """One session to export, with what a format may ask for."""

    session: Session
    history: History[Session] | None  # a client's visits, when a client was named
    bundle: str  # --bundle: collection or transaction (FHIR)
    sources: Sources
    # The client's handout, for a format that has one (`handout`), unless --detail full
    # asks for the practitioner's plan.
    handout: ClientHandout | None = None
    paper: str = "a4"  # a PDF's paper (the `paper` setting)


Single = Callable[[ExportItem], "str | bytes"]
Rows = Callable[[TextIO, "Iterable[Brief | Session | str | Unreadable]", "Report",
                 "BulkResult"], None]


@frozen
class ExportFormat:
    name: str
    single: str  # "module:function" that writes one session
    help: str  # what it is, in `export --help`
    title: str | None = None  # a longer name, where the option's name needs one
    binary: bool = False  # bytes: never to a terminal
    # A row a session: "module:function" writing many, and which rows it takes from the
    # summary index (Briefs, or the sessions' JSON Lines records).
    rows: str | None = None
    rows_of: Literal["brief", "document"] = "brief"
    newline: str | None = None  # how `-o` opens its file for the rows (csv: its own ends)
    all_as: str | None = None  # with --all or --client, the format of rows it stands for
    notes: tuple[str, ...] = ()  # paragraphs of its own in `export --help`
    # The client's handout by default; the practitioner's plan with --detail full.
    handout: bool = False


FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat("md", "backpain_cli.output.client_handout_md:export",
                 "the client's handout in plain Markdown", handout=True),
    ExportFormat("html", "backpain_cli.output.html:export",
                 "the client's handout, self-contained, to print or send", handout=True),
    ExportFormat("pdf", "backpain_cli.output.pdf:export",
                 "that handout as a PDF, to -o FILE or to a standard output that is not "
                 "a terminal; needs: pip install 'backpain[pdf]'", binary=True,
                 handout=True),
    ExportFormat("json", "backpain_cli.output.json_doc:export", "the session document",
                 all_as="jsonl"),
    ExportFormat("jsonl", "backpain_cli.output.json_doc:export_line",
                 "JSON Lines: one document a line; json: with --all or --client, an alias "
                 "of jsonl", title="JSON Lines", rows="backpain_cli.output.json_doc:write_lines",
                 rows_of="document"),
    ExportFormat("fhir", "backpain_cli.output.fhir_transaction:export",
                 "FHIR R4 Bundle; --bundle transaction for a FHIR server"),
    ExportFormat("ics", "backpain_cli.output.ics:export",
                 "the next check as an all-day event for the client's calendar (iCalendar): "
                 "\"Back check-up with <practice>\", nothing about their health"),
    ExportFormat("csv", "backpain_cli.output.csv:export", "one row per session",
                 rows="backpain_cli.output.csv:write_rows", newline="", notes=(
                     "CSV columns: session, client, date (UTC, ISO 8601), status, follows, "
                     "triage, red_flags (ids separated by spaces), nprs_now, "
                     "nprs_worst_week, startback_total, startback_psychosocial, "
                     "startback_risk, odi_percent, odi_band, rmdq_score, "
                     "axspa_feature_count, pain_duration, reassess_weeks, ended_early, "
                     "instruments (the optional questionnaires offered, separated by "
                     "spaces). A cell starting with = + - @ gets a leading ' so that a "
                     "spreadsheet shows it as text.",)),
)
BY_NAME: dict[str, ExportFormat] = {f.name: f for f in FORMATS}


def _function(path: str) -> object:
    # The format's module, imported now that the format is asked for.
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def single(fmt: ExportFormat) -> Single:
    return cast("Single", _function(fmt.single))


def rows(fmt: ExportFormat) -> Rows:
    if fmt.rows is None:
        raise ValueError(f"{fmt.name} is not a format of rows")
    return cast("Rows", _function(fmt.rows))


def of_rows(fmt: ExportFormat) -> ExportFormat | None:
    """The format of rows `fmt` writes with --all or --client (None: it has none)."""
    if fmt.rows is not None:
        return fmt
    return BY_NAME[fmt.all_as] if fmt.all_as is not None else None


def listed(names: Iterable[str]) -> str:
    """"a, b or c"."""
    *first, last = names
    return f"{', '.join(first)} or {last}" if first else last
