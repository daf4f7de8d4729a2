"""`backpain review`: the listing, one re-scored session, or one client's history.

The command parses its options and hands them to cli/review_run.py, which the start-up
dispatch also calls directly for the common forms (without typer, for their start-up
budget).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ..errors import UsageError
from . import helptext
from .commands import command_app
from .review_run import run_due, run_review

app = command_app()


class DueFormat(StrEnum):
    ics = "ics"


EPILOG = helptext.epilog(
    ["backpain review", "backpain review --client JD-042 --limit 0",
     "backpain review 20261127T1015", "backpain review JD-042 --json",
     "backpain review --due --on 2026-12-01",
     "backpain review --due --format ics > due.ics"],
    [(0, "shown (a session file that cannot be read is named on stderr)"),
     (1, "an unknown or unreadable session, an unknown client, or another error"),
     helptext.USAGE, helptext.INTERRUPTED])


@app.command(epilog=EPILOG)
def review(
    target: Annotated[str | None, typer.Argument(
        metavar="[SESSION|CLIENT]",
        help="A session id (or a unique prefix of it) to re-run through today's rules, "
             "or a client reference for their history. Without it: recent sessions.")
    ] = None,
    client: Annotated[str | None, typer.Option(
        "--client", metavar="REF", help="List only this client's sessions.")] = None,
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
    fmt: Annotated[DueFormat | None, typer.Option(
        "--format", case_sensitive=False, show_default=False,
        help="With --due: ics, an iCalendar file for your calendar, one all-day event per "
             "due client on the day their check is due (the client reference only).")
    ] = None,
    refresh: Annotated[bool, typer.Option(
        "--refresh", help="Check every session file against the summary index first, "
                          "not only the folders that changed (finds a file edited in "
                          "place, or saved where folder times are not kept).")] = False,
) -> None:
    """List sessions, re-run one through today's rules, or show a client's history."""
    if due:
        if target is not None or client is not None or limit is not None:
            raise UsageError("--due lists every client; it takes no SESSION or CLIENT "
                             "argument and no --client or --limit")
        if fmt is not None and as_json:
            raise UsageError("give one of --json and --format ics")
        run_due(on, as_json=as_json, refresh=refresh, ics=fmt is not None)
        return
    if on is not None:
        raise UsageError("--on only applies to --due")
    if fmt is not None:
        raise UsageError("--format ics only applies to --due; for one session's next "
                         "check use: backpain export SESSION --format ics")
    if target is not None and (client is not None or limit is not None):
        raise UsageError("--client and --limit only apply to the listing (no SESSION or "
                         "CLIENT argument); for one client use: backpain review CLIENT")
    run_review(target, client=client, limit=limit, as_json=as_json, refresh=refresh)
