"""`backpain db init|upgrade|status`: the practice's PostgreSQL schema (issue 23). The work
is flows/sync.py (records/server.py holds the schema)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ..flows.sync import db_init, db_status, db_upgrade
from ..safe_text import visible
from . import helptext
from .commands import command_app

NEEDS = ("Connects only to the database_url of the settings (its password from ~/.pgpass, "
         "a service file or $PGPASSWORD).")
ERROR = (1, "an error: no database_url set, the database cannot be reached, or it refused "
            "(one line names why)")

app = command_app(
    help="Create, upgrade and inspect the database of backpain sync.\n\nThe practice's "
         "PostgreSQL database. Its administrator runs init once (and again to register "
         "more practices); practitioners run status.",
    no_args_is_help=True,
    epilog=helptext.epilog(
        ["backpain db init --practice physio_nord", "backpain db status"],
        [helptext.OK, ERROR, (2, "wrong usage, or no command given (this help is shown)"),
         helptext.INTERRUPTED], NEEDS))


@app.command("init", epilog=helptext.epilog(
    ["backpain db init --practice physio_nord",
     "backpain db init --practice physio_nord --practice massage_sued"],
    [helptext.OK, ERROR, helptext.USAGE, helptext.INTERRUPTED],
    "A practice is a PostgreSQL group role (CREATE ROLE physio_nord NOLOGIN), each "
    "practitioner a login role that is a member of exactly one (GRANT physio_nord TO anna). "
    "Running init again registers more practices; nothing is removed.", NEEDS))
def init(
    practice: Annotated[list[str] | None, typer.Option(
        "--practice", metavar="ROLE", help="A group role to register as a practice "
                                           "(repeatable).")] = None,
) -> None:
    """Create the schema (or bring it up to date) and register practices."""
    where, ran, added = db_init(practice or [])
    sys.stderr.write(f"{visible(where)}: schema version "
                     f"{ran[-1] if ran else 'unchanged'}"
                     f"{'; practices registered: ' + ', '.join(added) if added else ''}\n")


@app.command("upgrade", epilog=helptext.epilog(
    ["backpain db upgrade"], [helptext.OK, ERROR, helptext.USAGE, helptext.INTERRUPTED],
    NEEDS))
def upgrade() -> None:
    """Bring the database's schema up to this version of backpain."""
    where, before, ran = db_upgrade()
    if ran:
        sys.stderr.write(f"{visible(where)}: schema upgraded from version {before} to "
                         f"{ran[-1]}\n")
    else:
        sys.stderr.write(f"{visible(where)}: schema version {before} is up to date\n")


@app.command("status", epilog=helptext.epilog(
    ["backpain db status"], [helptext.OK, ERROR, helptext.USAGE, helptext.INTERRUPTED],
    NEEDS))
def status() -> None:
    """Say what the database holds and what is waiting here to be sent."""
    s = db_status()
    lines = [f"database: {visible(s.database)}"]
    if s.version is None:
        lines.append("schema: none (the administrator runs backpain db init --practice ROLE)")
    else:
        behind = "" if s.version >= s.latest else f" (backpain db upgrade brings {s.latest})"
        lines += [f"schema: version {s.version}{behind}",
                  f"practices: {', '.join(s.practices) or 'none you can see'}",
                  f"your practice: {s.practice or 'none (sync is refused)'}",
                  f"sessions there: {s.sessions}, addenda: {s.addenda}, "
                  f"erasures: {s.tombstones}"]
    lines.append("waiting here: " + ("never synced" if s.waiting is None
                                     else f"{s.waiting} session file(s) not yet sent"))
    sys.stdout.write("\n".join(lines) + "\n")
