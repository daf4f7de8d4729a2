"""The commands' `Notices` (flows/notices.py): each message a line on standard error, where
it never mixes with a result on standard output. Quoted paths, answers and names are shown
with their control characters as text (safe_text.visible)."""

from __future__ import annotations

import shutil
import sys
import textwrap
from typing import TYPE_CHECKING

from ..output.wording import emergency_lines
from ..safe_text import visible

if TYPE_CHECKING:
    from ..clinical.model import Plan
    from ..records.tree import Unreadable


class StderrNotices:
    """`unreadable_as`: how a file left out is introduced; an export says "skipped" (its
    output lacks the file), the other commands "warning:"."""

    def __init__(self, *, unreadable_as: str = "warning:") -> None:
        self._unreadable_as = unreadable_as

    def info(self, text: str) -> None:
        sys.stderr.write(f"{text}\n")

    def note(self, text: str) -> None:
        sys.stderr.write(f"backpain: note: {visible(text)}\n")

    def warning(self, text: str) -> None:
        sys.stderr.write(f"backpain: warning: {visible(text)}\n")

    def unreadable(self, bad: Unreadable) -> None:
        where = visible(f"{bad.path}: {bad.reason}")
        sys.stderr.write(f"backpain: {self._unreadable_as} {where}\n")

    def emergency(self, plan: Plan) -> None:
        """The referral as plain lines, wrapped to the terminal (at most 100 columns)."""
        width = min(shutil.get_terminal_size().columns, 100) - 1
        lines = (textwrap.fill(line, width, break_long_words=False)
                 for line in emergency_lines(plan))
        sys.stderr.write("\n".join(lines) + "\n\n")
