"""`backpain review`: the listing, one re-scored session, or one client's history.

Kept thin and lazy: the domain is in review.py and the rich output in render_review.py,
both imported inside the command so that registering it costs nothing at startup, and
nothing here ever imports questionary or prompt_toolkit (`review SESSION` must start fast).
"""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import UsageError


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
        due: Annotated[bool, typer.Option(
            "--due", help="The clients due or overdue for their next check, most overdue "
                          "first.")] = False,
        on: Annotated[str | None, typer.Option(
            "--on", metavar="YYYY-MM-DD",
            help="With --due: who is due on this day instead of today.")] = None,
        as_json: Annotated[bool, typer.Option(
            "--json", help="Print JSON to stdout; problems go to stderr.")] = False,
    ) -> None:
        """List sessions, re-run one through today's rules, or show a client's history."""
        from .review_run import run_due, run_review

        if due:
            if target is not None or client is not None or limit is not None:
                raise UsageError("--due lists every client; it takes no SESSION or CLIENT "
                                 "argument and no --client or --limit")
            run_due(on, as_json=as_json)
            return
        if on is not None:
            raise UsageError("--on only applies to --due")
        if target is not None and (client is not None or limit is not None):
            raise UsageError("--client and --limit only apply to the listing (no SESSION or "
                             "CLIENT argument); for one client use: backpain review CLIENT")
        run_review(target, client=client, limit=limit, as_json=as_json)
