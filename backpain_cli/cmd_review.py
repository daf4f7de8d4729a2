"""`backpain review`: the listing, one re-scored session, or one client's history.

Kept thin and lazy: the domain is in review.py and the rich output in render_review.py,
both imported inside the command so that registering it costs nothing at startup, and
nothing here ever imports questionary or prompt_toolkit (`review SESSION` must start fast).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .errors import UsageError


def register(app: typer.Typer) -> None:
    @app.command()
    def review(
        target: Annotated[str | None, typer.Argument(
            metavar="[SESSION|CLIENT]",
            help="A session id (or a unique prefix of it) to re-run through today's rules, "
                 "or a client reference for their history. Without it: recent sessions.")
        ] = None,
        client: Annotated[str | None, typer.Option(
            "--client", help="List only this client's sessions.")] = None,
        limit: Annotated[int | None, typer.Option(
            "--limit", min=0, help="How many sessions to list, newest first (default 20; "
                                   "0 lists all).")] = None,
        as_json: Annotated[bool, typer.Option(
            "--json", help="Print JSON to stdout; problems go to stderr.")] = False,
    ) -> None:
        """List sessions, re-run one through today's rules, or show a client's history."""
        from . import review as domain

        if target is not None and (client is not None or limit is not None):
            raise UsageError("--client and --limit only apply to the listing (no SESSION or "
                             "CLIENT argument); for one client use: backpain review CLIENT")
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
        # After the output, so a terminal shows the problems below the table they concern.
        for u in domain.unreadable_of(result):
            sys.stderr.write(f"backpain: warning: {u.path}: {u.reason}\n")
