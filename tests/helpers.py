"""Helpers shared by the tests."""

from __future__ import annotations

from pathlib import Path

from backpain_cli.records.tree import SessionRef, scan


def list_refs(root: Path | None = None, client: str | None = None) -> list[SessionRef]:
    """The session files of the data folder `root` (None: the one in use), or of `client`'s
    folders, by their names alone (tree.scan), newest first: ids sort by time."""
    return sorted(scan(root, client).refs, key=lambda r: r.id, reverse=True)
