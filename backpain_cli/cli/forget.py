"""`backpain forget CLIENT|SESSION`: erase a client's health data, or one session of it,
after a typed confirmation. The work is flows/forget.py (records/erasure.py deletes); this
module asks, turns Ctrl-C into a stop between two files, and says what was erased."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from ..errors import BackpainError, Interrupted, NoTerminalError
from ..flows.forget import forget_target
from ..records.erasure import Erased, Erasure, still_indexed
from ..safe_text import to_json, visible
from . import helptext
from .commands import command_app
from .notices import StderrNotices

app = command_app()
NOTICES = StderrNotices()

EPILOG = helptext.epilog(
    ["backpain forget JD-042", "backpain forget 20261029T101500Z-0f9e8d",
     "backpain forget JD-042 --yes", "backpain forget JD-042 --yes --json"],
    [(0, "erased"),
     (1, "an error: an unknown client or session, no terminal to confirm on (and no "
         "--yes), a file that could not be deleted, something backpain did not write "
         "left in the client's folder (named above), or a summary index that could be "
         "neither updated nor deleted (named)"),
     helptext.USAGE,
     (130, "interrupted (Ctrl-C): at the confirmation nothing is deleted; while deleting, "
           "the file being deleted is finished, the rest is left, and what was erased and "
           "what was not is said")],
    "A client's sessions (drafts included) and their folder are deleted, and their rows "
    "are removed from the summary index. Anything else in the client's folder (a file "
    "backpain did not write, a folder, a symbolic link) is left and named. Exports written "
    "with -o, copies and backups are not touched: delete those yourself.")


@app.command(epilog=EPILOG)
def forget(
    target: Annotated[str, typer.Argument(
        metavar="CLIENT|SESSION",
        help="A client reference (every session of the client), or a session id (that "
             "session only). A client's exact name wins over the start of a session id.",
        show_default=False)],
    yes: Annotated[bool, typer.Option(
        "--yes", help="Delete without asking (for scripts).")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print what was erased as JSON to stdout (instead of a line each on "
                       "stderr); warnings and errors stay on stderr.")] = False,
) -> None:
    """Erase a client's sessions, or one session, for good (a client's request)."""
    done = forget_target(target, confirm=None if yes else _confirmed,
                         stoppable=_ctrl_c_stops, notices=NOTICES)
    if done.erased is None:
        if as_json:
            _print_json(done.plan, None)
        return
    if as_json:
        _print_json(done.plan, done.erased)
    _report(done.plan, done.erased, quiet=as_json)


@contextlib.contextmanager
def _ctrl_c_stops() -> Iterator[Callable[[], bool]]:
    """While files are deleted, Ctrl-C stops the erasure between two files instead of
    ending the process at any point: what was erased and what was not can then be said
    (a KeyboardInterrupt part way through used to exit 130 in silence). A Ctrl-C that is
    ignored (nohup, a background job) stays ignored."""
    pressed = [False]

    def handler(signum: int, frame: object) -> None:
        pressed[0] = True

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        yield lambda: False
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: pressed[0]
    finally:
        signal.signal(signal.SIGINT, previous)


def _question(plan: Erasure) -> tuple[str, str]:
    """The confirmation prompt and the word it asks for."""
    if plan.session is not None:
        return (f"Erase session {plan.session} of client {plan.client} for good? Its file is "
                "deleted and cannot be restored by backpain. Type yes to erase it:", "yes")
    count = len(plan.session_ids)
    sessions = f"{count} session{'s' if count != 1 else ''}"
    return (f"Erase client {plan.client} for good: {sessions} (drafts included) and the "
            f"client's folder? Type the client reference ({plan.client}) to erase them:",
            plan.client.lower())


def _confirmed(plan: Erasure) -> bool:
    what = "the session" if plan.session is not None else "the client's sessions"
    if not sys.stdin.isatty():
        raise NoTerminalError(f"standard input is not a terminal, so erasing {what} cannot "
                              "be confirmed; add --yes to erase without asking")
    # questionary and prompt_toolkit (~100 ms): only to ask.
    from ..interview import confirm_typed, terminal_asker

    prompt, word = _question(plan)
    if confirm_typed(terminal_asker(prompts_on_stderr=True), prompt, word):
        return True
    NOTICES.info("Nothing erased.")
    return False


def _print_json(plan: Erasure, erased: Erased | None) -> None:
    """What was erased (None: nothing, the confirmation was declined), for scripts."""
    sys.stdout.write(to_json({
        "client": plan.client, "session": plan.session, "erased": erased is not None,
        "stopped": erased.stopped if erased else False,
        "sessions": list(erased.session_ids) if erased else [],
        "files": [str(p) for p in erased.files] if erased else [],
        "folders": [str(p) for p in erased.folders] if erased else [],
        "left": [{"path": e.path, "reason": e.reason} for e in erased.left] if erased
        else []}))
    sys.stdout.flush()


def _report(plan: Erasure, erased: Erased, *, quiet: bool = False) -> None:
    """Each deletion a line on stderr (none when `quiet`: the JSON said it); what was left
    is a warning and the exit code 1 in any case."""

    if not quiet:
        for path in erased.files:
            NOTICES.info(f"Deleted {visible(str(path))}")
        for folder in erased.folders:
            NOTICES.info(f"Removed the folder {visible(str(folder))}")
    for entry in erased.left:
        sys.stderr.write(f"backpain: warning: left {visible(entry.path)}: "
                         f"{visible(entry.reason)}\n")
    if erased.stopped:
        _stopped(plan, erased)
    count = len(erased.session_ids)
    sessions = f"{count} session{'s' if count != 1 else ''}"
    whom = (f"session {plan.session} of client {plan.client}" if plan.session is not None
            else f"client {plan.client}: {sessions}")
    rows = ("its row in the summary index is" if plan.session is not None
            else "their rows in the summary index are")
    # Rows are said to be gone only when they are: else the error below names the file.
    indexed = f"; {rows} removed" if erased.index_kept is None else ""
    if not quiet:
        NOTICES.info(f"Erased {whom}{indexed}. Exports written with -o and backups are not "
              "touched.")
    problems = []
    if erased.left:
        holder = str(Path(erased.left[0].path).parent)
        problems.append(f"{visible(holder)} still holds what backpain did not write (named "
                        "above); delete it yourself if it is the client's")
    if erased.index_kept is not None:
        problems.append(visible(still_indexed(erased.index_kept)))
    for problem in problems[:-1]:
        sys.stderr.write(f"backpain: error: {problem}\n")
    if problems:
        raise BackpainError(problems[-1])


# Ids named when an erasure is stopped; more are counted.
_NAMED = 10


def _stopped(plan: Erasure, erased: Erased) -> None:
    """Ctrl-C part way: what was erased (each file named above), and what was not."""

    erased_ids = set(erased.session_ids)
    left = [sid for sid in plan.session_ids if sid not in erased_ids]
    folders = ", ".join(visible(str(f)) for f in plan.folders)
    again = f"run `backpain forget {plan.session or plan.client}` again to erase"
    if plan.session is not None:
        # Its file is the last one deleted: stopped, it is still there.
        raise Interrupted(f"interrupted: session {plan.session} of client {plan.client} was "
                          f"not erased; it is still in {folders}; {again} it")
    done, total = len(erased_ids), len(plan.session_ids)
    named = ", ".join(left[:_NAMED]) + (f" and {len(left) - _NAMED} more"
                                        if len(left) > _NAMED else "")
    rows = ("; their rows in the summary index are removed"
            if done and erased.index_kept is None else "")
    message = (f"interrupted: erased {done} of {total} session{'s' if total != 1 else ''} "
               f"of client {plan.client}{rows}")
    if left:
        message += (f"; not erased: {len(left)} ({named}), still in {folders}; {again} "
                    f"{'them' if len(left) != 1 else 'it'}")
    raise Interrupted(message)
