"""Helpers shared by the tests."""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from backpain_cli.cli.app import app
from backpain_cli.records.tree import SessionRef, scan


def list_refs(root: Path | None = None, client: str | None = None) -> list[SessionRef]:
    """The session files of the data folder `root` (None: the one in use), or of `client`'s
    folders, by their names alone (tree.scan), newest first: ids sort by time."""
    return sorted(scan(root, client).refs, key=lambda r: r.id, reverse=True)


def invoke(*args: str | Path, env: Mapping[str, str] | None = None,
           input: str | None = None) -> Result:
    """`backpain ARGS` run in this process (typer's CliRunner), stdout and stderr apart."""
    return CliRunner().invoke(app, [str(a) for a in args], prog_name="backpain", env=env,
                              input=input)


def command(*first: str) -> Callable[..., Result]:
    """`invoke` with the first words given, for a test module of one command:
    `run = command("export")` makes `run(SESSION, "--format", "md")`."""

    def run(*args: str | Path, env: Mapping[str, str] | None = None) -> Result:
        return invoke(*first, *args, env=env)

    return run


def keep_the_handout(child: Any) -> None:
    """After the plan of a saved visit, the handout checklist (issue 20): Enter keeps the
    tool's picks, every exercise and no note."""
    child.expect_exact("Advice on the handout (at most 5)")
    child.send("\r")
    while child.expect_exact(["Exercises on the handout (untick",
                              "A note to the client (optional"]) == 0:
        child.send("\r")
    child.send("\r")


def chrome(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The distribution's Chromium, headless, in a profile of its own, with nothing that
    would reach the network; the run must succeed."""
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
         f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, by its full dotted name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found
