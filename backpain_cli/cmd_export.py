"""`backpain export` (to be implemented by the export issue)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    return None
