"""The progress bar of a first summary-index build, on standard error when it is a terminal.

A first listing over a large data folder reads every session file once (minutes for
100,000); records/index/sync.py reports how far it is through records/progress.py, and this draws
it with rich. Nothing is drawn when standard error is a file or a pipe. `bar` is also the
bar of a bulk export (cli/export.py).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator


def install() -> None:
    """Draw the index's progress from now on, if standard error is a terminal."""
    if not sys.stderr.isatty():
        return
    # Only on a terminal: a pipe or a file never shows a bar.
    from ..records import progress

    progress.bar = _bar


@contextlib.contextmanager
def _bar(total: int) -> Iterator[Callable[[int], None]]:
    with bar("Indexing session folders", total, redirect_stderr=False) as advance:
        # Called a stretch of folders at a time (records/index/sync.py), not for every one.
        yield advance


@contextlib.contextmanager
def bar(label: str, total: int, *, redirect_stderr: bool) -> Iterator[Callable[[int], None]]:
    """A transient bar on standard error; the callable it gives says how many are done."""
    # rich's progress bar (about 10 ms): only when a bar is drawn.
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    # redirect_stdout=False: the command's own output may be going to stdout meanwhile.
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True,
                  redirect_stdout=False, redirect_stderr=redirect_stderr) as shown:
        task = shown.add_task(label, total=total)
        yield lambda done: shown.update(task, completed=done)
