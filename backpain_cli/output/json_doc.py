"""The public JSON document (the README, "JSON document") and its JSON Schema.

The document itself is `session.to_document`, the same one `assess --json` prints; this
module only serialises it and ships the schema that describes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from typing import TextIO

from ..records.index.listing import BulkResult, Report
from ..records.session import Brief, Session, document_line, iso_utc, to_document
from ..records.tree import Unreadable
from ..safe_text import escape_json, to_json
from .formats import ExportItem

SCHEMA_FILE = "document.schema.json"


def render(session: Session) -> str:
    return to_json(to_document(session))


def line(session: Session) -> str:
    """One JSON Lines record: the same document on a single line."""
    return document_line(session)


def schema_text() -> str:
    return (resources.files(__package__) / SCHEMA_FILE).read_text(encoding="utf-8")


def export(item: ExportItem) -> str:
    """`export --format json` (output/formats.py): the document, with the practitioner's
    notes about the visit when it has any."""
    doc = to_document(item.session)
    notes = item.sources.notes(item.session)
    if notes:
        doc["notes"] = [{"created": iso_utc(n.created), "text": n.text} for n in notes]
    return to_json(doc)


def export_line(item: ExportItem) -> str:
    """`export --format jsonl` of one session (output/formats.py)."""
    return line(item.session)


def write_lines(out: TextIO, rows: Iterable[Brief | Session | str | Unreadable],
                report: Report, result: BulkResult) -> None:
    """`export --all --format jsonl`: the JSON Lines records as the summary index keeps them
    (the one reader's document), written as they come; an unreadable file is reported (and
    counted) instead."""
    for row in rows:
        if isinstance(row, Unreadable):
            report(row.path, row.reason)
            result.skipped += 1
        elif isinstance(row, str):
            # An index written before the escapes holds the record as json.dumps wrote it.
            out.write(escape_json(row))
            result.written += 1
