"""The work of `backpain review`, without typer.

cmd_review.py's typer command calls it, and so does __main__ directly for the common
`backpain review SESSION|CLIENT [--json]`, which must start within 12 times a bare
interpreter start (PRODUCT.md, "Performance"): importing typer and building the command
tree would take a third of that budget.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..records.storage import Unreadable


def run_review(target: str | None, *, client: str | None = None, limit: int | None = None,
               as_json: bool = False) -> None:
    from .. import review as domain

    result = domain.review(
        target, client=client, limit=domain.DEFAULT_LIMIT if limit is None else limit)
    if as_json:
        import json

        sys.stdout.write(
            json.dumps(domain.document(result), indent=2, ensure_ascii=False) + "\n")
    else:
        from ..output.terminal import make_console
        from ..output.terminal_review import print_result

        print_result(make_console(), result)
    sys.stdout.flush()
    _report_unreadable(domain.unreadable_of(result), domain.notes_of(result))


def _report_unreadable(unreadable: Sequence[Unreadable], notes: Sequence[str] = ()) -> None:
    from ..safe_text import visible

    # After the output, so a terminal shows the problems below the table they concern.
    for u in unreadable:
        sys.stderr.write(f"backpain: warning: {visible(f'{u.path}: {u.reason}')}\n")
    for note in notes:
        sys.stderr.write(f"backpain: warning: {visible(note)}\n")


def run_due(on: str | None, *, as_json: bool = False) -> None:
    """`backpain review --due [--on DATE]`."""
    from .. import review as domain

    day = domain.parse_day(on) if on is not None else None
    result = domain.due_list(day)
    if as_json:
        import json

        sys.stdout.write(
            json.dumps(domain.due_document(result), indent=2, ensure_ascii=False) + "\n")
    else:
        from ..output.terminal import make_console
        from ..output.terminal_review import print_result

        print_result(make_console(), result)
    sys.stdout.flush()
    _report_unreadable(result.unreadable)
