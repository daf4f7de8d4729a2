"""`backpain note SESSION [TEXT]`: add the practitioner's note to a visit. The work is
flows/note.py; without TEXT the note is written in the practitioner's editor, as `git
commit` does."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from ..errors import NoTerminalError, UsageError
from ..flows.note import add_note
from . import helptext
from .commands import command_app
from .notices import StderrNotices

app = command_app()
NOTICES = StderrNotices()

TEMPLATE = ("\n# Write the note for session {session} above. Lines starting with '#' are "
            "left out;\n# an empty note adds nothing. The note is kept beside the session "
            "and never\n# printed on the client's handout.\n")

EPILOG = helptext.epilog(
    ["backpain note 20261029T1015 'L4/5 tender; soft tissue work, 30 min.'",
     "backpain note 20261029T1015            # opens $VISUAL or $EDITOR"],
    [(0, "the note was added"),
     (1, "an unknown session, a draft, no terminal for the editor, or the note could not "
         "be saved"),
     (2, "wrong usage, or an empty note or one of more than 10,000 characters (one line: "
         "backpain: usage error: ...)"),
     helptext.INTERRUPTED],
    "Each note is dated and kept in a file of its own beside the session; the session "
    "file is never changed. Notes show in `backpain review SESSION` and in the JSON "
    "export, never on the client's handout; `backpain forget` erases them with the "
    "session.")


@app.command(epilog=EPILOG)
def note(
    session: Annotated[str, typer.Argument(
        metavar="SESSION", help="The session id (or a unique start of it).",
        show_default=False)],
    text: Annotated[str | None, typer.Argument(
        metavar="[TEXT]", help="The note. Without it, your editor opens ($VISUAL, "
                               "$EDITOR, else vi).", show_default=False)] = None,
) -> None:
    """Add your own note (findings, what was done, what was agreed) to a visit."""
    if text is None:
        text = _from_editor(session)
    added = add_note(session, text)
    NOTICES.info(f"Added note {added.id} to session {added.session}")


def _from_editor(session: str) -> str:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise NoTerminalError("no TEXT given and no terminal to open an editor on: give "
                              "the note as an argument")
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory(prefix="backpain-note-") as folder:
        # A private folder (0700): the note is health data until it is saved.
        path = Path(folder) / "NOTE.txt"
        path.write_text(TEMPLATE.format(session=session), encoding="utf-8")
        done = subprocess.run([*shlex.split(editor), str(path)], check=False)
        if done.returncode != 0:
            raise UsageError(f"the editor ({editor}) exited with {done.returncode}; no "
                             "note was added")
        written = path.read_text(encoding="utf-8", errors="replace")
    kept = "\n".join(line for line in written.splitlines() if not line.startswith("#"))
    if not kept.strip():
        raise UsageError("the note is empty; nothing was added")
    return kept.strip("\n")
