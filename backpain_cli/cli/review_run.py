"""What `backpain review` shows, without typer: the listing, one re-scored session, one
client's history, or the clients due for a check.

Two ways in, one behaviour: the typer command (cli/review.py), and the start-up dispatch in
cli/__init__.py, which hands the common `backpain review SESSION|CLIENT [--json]` and the
bare listing straight to `run_review`, because importing typer and building the command
would take a third of its start-up budget (12 times a bare interpreter start, the README,
"Performance"). So this module never imports typer, questionary or prompt_toolkit.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import cast

from ..flows.listing import listing, streamed
from ..records.index.listing import DEFAULT_LIMIT, Listing
from ..records.session import Brief
from ..records.tree import Unreadable
from ..safe_text import to_json, visible


def run_review(target: str | None, *, client: str | None = None, limit: int | None = None,
               as_json: bool = False, refresh: bool = False) -> None:
    rows = DEFAULT_LIMIT if limit is None else limit
    if target is None and not as_json:
        if on_a_terminal():
            _listing(client, rows, refresh)
        else:
            # Into a pipe or a file, whatever the limit: a table would wrap a long client
            # name over lines that `cut`, `grep` and `sort` then read as rows.
            _stream(client, rows, refresh)
        return
    # The follow-up rules and the questionnaires: for one session, one client, the JSON
    # listing; the listing above does without them.
    from ..flows.review import notes_of, review, unreadable_of
    from ..results import ClientHistory

    result = review(target, client=client, limit=rows, refresh=refresh)
    if as_json:
        # Each form's own output: JSON or rich.
        from ..output.review_json import document

        sys.stdout.write(to_json(document(result)))
    else:
        from ..output.console import make_console
        from ..output.terminal_review import print_result

        # The listing on a terminal was printed above (_listing); only --json gets one here.
        assert not isinstance(result, Listing)
        print_result(make_console(), result)
    sys.stdout.flush()
    _report_unreadable(unreadable_of(result), notes_of(result))
    if isinstance(result, ClientHistory) and result.note is not None:
        sys.stderr.write(f"backpain: note: {result.note}\n")


def on_a_terminal() -> bool:
    """Whether the listing is a table for people (a terminal) or rows for programs."""
    return sys.stdout.isatty()


def _listing(client: str | None, limit: int, refresh: bool) -> None:
    """The listing on a terminal: the records and the listing's own renderer only, not the
    follow-up rules flows/review.py brings (20x a bare interpreter start among 100,000)."""
    # rich: only for the table on a terminal.
    from ..output.console import make_console
    from ..output.terminal_listing import print_listing

    found = listing(client=client, limit=limit, refresh=refresh)
    print_listing(make_console(), found)
    sys.stdout.flush()
    _report_unreadable(found.unreadable, found.notes)


def _stream(client: str | None, limit: int, refresh: bool) -> None:
    """The listing into a pipe or a file: plain rows as they come (output/plain.py); a rich
    table would first hold and measure every row."""
    # Plain rows: only into a pipe or a file.
    from ..output import plain

    found = streamed(client=client, limit=limit, refresh=refresh)
    rows = cast("Iterator[Brief | Unreadable]", found.rows)
    unreadable = plain.write_rows(sys.stdout, rows)
    sys.stdout.flush()
    _report_unreadable([*unreadable, *found.tree.skipped], found.tree.notes)
    if limit and found.total > limit:
        # On stderr, as the table says it below its rows: the rows stay rows.
        sys.stderr.write(f"backpain: note: the newest {limit} of {found.total} sessions; "
                         "--limit N lists more, --limit 0 all\n")


def _report_unreadable(unreadable: Sequence[Unreadable], notes: Sequence[str] = ()) -> None:
    # After the output, so a terminal shows the problems below the table they concern.
    for u in unreadable:
        sys.stderr.write(f"backpain: warning: {visible(f'{u.path}: {u.reason}')}\n")
    for note in notes:
        sys.stderr.write(f"backpain: warning: {visible(note)}\n")


def run_due(on: str | None, *, as_json: bool = False, refresh: bool = False,
            ics: bool = False) -> None:
    """`backpain review --due [--on DATE] [--json | --format ics]`."""
    # The follow-up rules (when each check is due), as for one session.
    from ..flows.review import due_list, parse_day

    result = due_list(parse_day(on) if on is not None else None, refresh=refresh)
    if ics:
        from ..output.ics import due_calendar

        sys.stdout.write(due_calendar(result))
        if not result.rows:
            sys.stderr.write(f"backpain: note: no client is due on {result.on.isoformat()}; "
                             "the calendar has no events\n")
    elif as_json:
        from ..output.review_json import due_document

        sys.stdout.write(to_json(due_document(result)))
    else:
        from ..output.console import make_console
        from ..output.terminal_review import print_result

        print_result(make_console(), result)
    sys.stdout.flush()
    _report_unreadable(result.unreadable)
