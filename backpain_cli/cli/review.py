"""`backpain review`: the listing, one re-scored session, or one client's history.

Two ways in, one behaviour: the typer command that `register` adds, and the start-up
dispatch in cli/__init__.py, which hands the common `backpain review SESSION|CLIENT
[--json]` straight to `run_review` because importing typer and building the command tree
would take a third of its start-up budget (12 times a bare interpreter start, PRODUCT.md,
"Performance"). So this module imports typer only inside `register`, and nothing here ever
imports questionary or prompt_toolkit.

No `from __future__ import annotations` here: typer reads the command's annotations, which
name `typer` and `Annotated` imported inside `register` and so must be evaluated there.
"""

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import typer

    from ..records.session import Brief
    from ..records.tree import Unreadable


def register(app: "typer.Typer") -> None:
    from typing import Annotated

    import typer

    from . import helptext

    epilog = helptext.epilog(
        ["backpain review", "backpain review --client JD-042 --limit 0",
         "backpain review 20261127T1015", "backpain review JD-042 --json",
         "backpain review --due --on 2026-12-01"],
        [(0, "shown (a session file that cannot be read is named on stderr)"),
         (1, "an unknown or unreadable session, an unknown client, or another error"),
         helptext.USAGE, helptext.INTERRUPTED])

    @app.command(epilog=epilog)
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
            run_due(on, as_json=as_json, refresh=refresh)
            return
        if on is not None:
            raise UsageError("--on only applies to --due")
        if target is not None and (client is not None or limit is not None):
            raise UsageError("--client and --limit only apply to the listing (no SESSION or "
                             "CLIENT argument); for one client use: backpain review CLIENT")
        run_review(target, client=client, limit=limit, as_json=as_json, refresh=refresh)


def run_review(target: str | None, *, client: str | None = None, limit: int | None = None,
               as_json: bool = False, refresh: bool = False) -> None:
    from ..records.index.listing import DEFAULT_LIMIT

    if target is None and not as_json and not on_a_terminal():
        # Into a pipe or a file, whatever the limit: a table would wrap a long client name
        # over lines that `cut`, `grep` and `sort` then read as rows.
        _stream(client, DEFAULT_LIMIT if limit is None else limit, refresh)
        return
    if target is None and not as_json:
        _listing(client, DEFAULT_LIMIT if limit is None else limit, refresh)
        return
    from .. import review_flow as flow

    result = flow.review(target, client=client, limit=DEFAULT_LIMIT if limit is None else limit,
                         refresh=refresh)
    if as_json:
        from ..output.review_json import document
        from ..safe_text import to_json

        sys.stdout.write(to_json(document(result)))
    else:
        from ..output.terminal import make_console
        from ..output.terminal_review import print_result
        from ..records.index.listing import Listing

        # The listing on a terminal was printed above (_listing); only --json gets one here.
        assert not isinstance(result, Listing)
        print_result(make_console(), result)
    sys.stdout.flush()
    _report_unreadable(flow.unreadable_of(result), flow.notes_of(result))
    if isinstance(result, flow.ClientHistory) and result.note is not None:
        sys.stderr.write(f"backpain: note: {result.note}\n")


def on_a_terminal() -> bool:
    """Whether the listing is a table for people (a terminal) or rows for programs."""
    return sys.stdout.isatty()


def _listing(client: str | None, limit: int, refresh: bool) -> None:
    """The listing on a terminal: the records and the listing's own renderer only, not the
    follow-up rules review_flow brings (20x a bare interpreter start among 100,000)."""
    from ..output.console import make_console
    from ..output.terminal_listing import print_listing
    from ..records.index.listing import list_sessions

    listing = list_sessions(client=client, limit=limit, refresh=refresh)
    print_listing(make_console(), listing)
    sys.stdout.flush()
    _report_unreadable(listing.unreadable, listing.notes)


def _stream(client: str | None, limit: int, refresh: bool) -> None:
    """The listing into a pipe or a file: plain rows as they come (output/plain.py); a rich
    table would first hold and measure every row."""
    from typing import cast

    from ..output import plain
    from ..records.index.listing import stream_sessions

    found = stream_sessions(client=client, limit=limit, refresh=refresh)
    rows = cast("Iterator[Brief | Unreadable]", found.rows)
    unreadable = plain.write_rows(sys.stdout, rows)
    sys.stdout.flush()
    _report_unreadable([*unreadable, *found.tree.skipped], found.tree.notes)
    if limit and found.total > limit:
        # On stderr, as the table says it below its rows: the rows stay rows.
        sys.stderr.write(f"backpain: note: the newest {limit} of {found.total} sessions; "
                         "--limit N lists more, --limit 0 all\n")


def _report_unreadable(unreadable: Sequence["Unreadable"], notes: Sequence[str] = ()) -> None:
    from ..safe_text import visible

    # After the output, so a terminal shows the problems below the table they concern.
    for u in unreadable:
        sys.stderr.write(f"backpain: warning: {visible(f'{u.path}: {u.reason}')}\n")
    for note in notes:
        sys.stderr.write(f"backpain: warning: {visible(note)}\n")


def run_due(on: str | None, *, as_json: bool = False, refresh: bool = False) -> None:
    """`backpain review --due [--on DATE]`."""
    from .. import review_flow as flow

    day = flow.parse_day(on) if on is not None else None
    result = flow.due_list(day, refresh=refresh)
    if as_json:
        from ..output.review_json import due_document
        from ..safe_text import to_json

        sys.stdout.write(to_json(due_document(result)))
    else:
        from ..output.terminal import make_console
        from ..output.terminal_review import print_result

        print_result(make_console(), result)
    sys.stdout.flush()
    _report_unreadable(result.unreadable)
