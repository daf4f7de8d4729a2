"""The work of `backpain review`, without typer.

cmd_review.py's typer command calls it, and so does __main__ directly for the common
`backpain review SESSION|CLIENT [--json]`, which must start within 12 times a bare
interpreter start (PRODUCT.md, "Performance"): importing typer and building the command
tree would take a third of that budget.
"""

from __future__ import annotations

import sys


def run_review(target: str | None, *, client: str | None = None, limit: int | None = None,
               as_json: bool = False) -> None:
    from . import review as domain

    result = domain.review(
        target, client=client, limit=domain.DEFAULT_LIMIT if limit is None else limit)
    if as_json:
        import json

        sys.stdout.write(
            json.dumps(domain.document(result), indent=2, ensure_ascii=False) + "\n")
    else:
        from .render import make_console
        from .render_review import print_result

        print_result(make_console(), result)
    sys.stdout.flush()
    from .safe_text import visible

    # After the output, so a terminal shows the problems below the table they concern.
    for u in domain.unreadable_of(result):
        sys.stderr.write(f"backpain: warning: {visible(f'{u.path}: {u.reason}')}\n")
