"""The public JSON document (PRODUCT.md, "JSON document") and its JSON Schema.

The document itself is `session.to_document`, the same one `assess --json` prints; this
module only serialises it and ships the schema that describes it.
"""

from __future__ import annotations

from importlib import resources

from ..records.session import Session, document_line, to_document
from ..safe_text import to_json

SCHEMA_FILE = "document.schema.json"


def render(session: Session) -> str:
    return to_json(to_document(session))


def line(session: Session) -> str:
    """One JSON Lines record: the same document on a single line."""
    return document_line(session)


def schema_text() -> str:
    return (resources.files(__package__) / SCHEMA_FILE).read_text(encoding="utf-8")
