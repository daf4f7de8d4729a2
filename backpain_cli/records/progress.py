"""Where a long summary-index build reports its progress, if anywhere.

records/ never draws: the command line sets `bar` when standard error is a terminal
(cli/progress.py), and records/index/sync.py calls it when a sync has many folders to read. No
imports here, so that setting it costs a command nothing.
"""

from __future__ import annotations

# Not `from typing import ...` at run time: this module is imported at start-up.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    # Called with the number of client folders to read; yields a function to call with
    # the number read so far.
    Bar = Callable[[int], AbstractContextManager[Callable[[int], None]]]

bar: Bar | None = None
