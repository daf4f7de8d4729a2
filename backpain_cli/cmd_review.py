"""`backpain review` (to be implemented by the review issue)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    return None
