"""`backpain sync [--dry-run]`: this computer's sessions and the practice's database in step
(issue 23). The work is flows/sync.py; this module words what it did."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ..errors import BackpainError
from ..flows.sync import Synced, sync
from ..safe_text import visible
from . import helptext
from .commands import command_app
from .notices import StderrNotices

app = command_app()
NOTICES = StderrNotices()


class ConflictsError(BackpainError):
    def __init__(self, count: int) -> None:
        what = "session id has" if count == 1 else "session ids have"
        super().__init__(f"{count} {what} other content on the database than here (named "
                         "above); neither copy was changed")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@app.command(epilog=helptext.epilog(
    ["backpain sync", "backpain sync --dry-run"],
    [(0, "in step (or, with --dry-run, what would be done is said)"),
     (1, "an error: no database_url set, the database cannot be reached or was lost part "
         "way (run sync again: nothing is lost), the login role is in no practice or in "
         "several, or a session id holds other content there than here (a conflict, both "
         "places named; neither is changed)"),
     helptext.USAGE, helptext.INTERRUPTED],
    "Pushes this computer's completed sessions and their addenda that the database lacks "
    "(drafts never leave), pulls those it lacks from the database into the data folder, "
    "and carries erasures (backpain forget) both ways. Connects only to the database_url "
    "of the settings; its password comes from ~/.pgpass, a service file or $PGPASSWORD."))
def main(
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Say what would be sent, fetched and erased; change nothing.")
    ] = False,
) -> None:
    """Share sessions with the practice's PostgreSQL database: send, fetch, erase."""
    done = sync(dry_run=dry_run, notices=NOTICES)
    _report(done)
    if done.conflicts:
        raise ConflictsError(len(done.conflicts))


def _report(done: Synced) -> None:
    would = "would be " if done.dry_run else ""
    lines = [f"{'Dry run: ' if done.dry_run else ''}{visible(done.database)} "
             f"(practice {visible(done.practice)})",
             f"  sent: {_plural(done.pushed, 'session')}, "
             f"{_plural(done.pushed_addenda, 'addendum')} {would}".rstrip()
             .replace("addendums", "addenda"),
             f"  fetched: {_plural(done.pulled, 'session')}, "
             f"{_plural(done.pulled_addenda, 'addendum')} {would}".rstrip()
             .replace("addendums", "addenda"),
             f"  erasures sent: {done.sent_tombstones} {would}".rstrip(),
             f"  erased here (forgotten elsewhere): {len(done.erased_here)} {would}".rstrip()]
    for c in done.conflicts:
        lines.append(f"  conflict: {c.what}: here {visible(str(c.here))}; there "
                     f"{visible(c.there)}")
    sys.stderr.write("\n".join(lines) + "\n")
