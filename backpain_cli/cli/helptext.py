"""One shape for the end of every command's `--help` (the README, "Conventions"): notes,
then examples, then the exit codes the command can end with.

click rewraps the paragraphs of an epilog to the terminal; a paragraph that starts with a
`\\b` line is printed as written, which keeps one example or one exit code a line. Those
lines are kept short enough for an 80-column terminal (tests/test_shell_conventions.py).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

# The codes every command shares (the README, "Exit codes"); a command adds its own.
OK = (0, "done")
ERROR = (1, "an error, printed as one line (backpain: error: ...)")
USAGE = (2, "wrong usage, printed as one line (backpain: usage error: ...)")
INTERRUPTED = (130, "interrupted (Ctrl-C)")


# click indents an epilog by two columns; a code takes seven more.
_MEANING_WIDTH = 80 - 2 - 7 - 1


def epilog(examples: Sequence[str], exit_codes: Sequence[tuple[int, str]],
           *notes: str) -> str:
    """`notes` (rewrapped paragraphs), then `Examples:` one a line and `Exit codes:` one
    a paragraph, its meaning folded under itself."""
    lines_of_examples = "\n".join(f"  {e}" for e in examples)
    lines_of_codes = "\n".join(
        "\n".join(textwrap.wrap(meaning, _MEANING_WIDTH, initial_indent=f"  {code:<4} ",
                                 subsequent_indent=" " * 7))
        for code, meaning in exit_codes)
    return "\n\n".join([*notes, f"\b\nExamples:\n{lines_of_examples}",
                        f"\b\nExit codes:\n{lines_of_codes}"])
