"""`backpain handout SESSION`: choose what goes on the client's handout, and print it.

The work is flows/handout.py; this module parses the options, passes the terminal's
checklist in (made, with its prompt library, only when there is a terminal to ask on and
no choice was given as options), and writes the handout to standard output or `-o`.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from ..flows.handout import HandoutRequest, make_handout
from . import helptext
from .commands import command_app
from .handout_checklist import ids, terminal_checklist
from .notices import StderrNotices
from .output_target import (
    ForceOption,
    OutputOption,
    check_name,
    emit,
    refuse_binary_to_terminal,
)

if TYPE_CHECKING:
    from ..output.client_handout import ClientHandout

app = command_app()
NOTICES = StderrNotices()


class Format(StrEnum):
    html = "html"
    pdf = "pdf"
    md = "md"


EPILOG = helptext.epilog(
    ["backpain handout 20261127T1015 -o handout.html",
     "backpain handout 20261127T1015 --format pdf --name 'Jo Doe' -o handout.pdf",
     "backpain handout 20261127T1015 --pick prevention.stay_active,massage.focused",
     "backpain handout 20261127T1015 --drop ex.lunge --client-note 'Walk daily.'"],
    [(0, "the handout was written"),
     (1, "an unknown session, a draft, or the handout could not be written"),
     (2, "wrong usage, printed as one line (backpain: usage error: ...), such as advice "
         "that is not in the plan, an exercise that is not in the programme, or a PDF to a "
         "terminal"),
     helptext.INTERRUPTED],
    "On a terminal, without --pick, --drop or --client-note, a checklist offers the "
    "plan's advice (the tool's picks ticked; the referral and the safety advice are "
    "always on the handout), the exercises (untick one to leave it off) and a note to the "
    "client; Enter keeps what is offered. The choice is kept beside the session (a new "
    "file; the session file is never changed) when it differs from the one kept, so "
    "printing again gives the same handout; `backpain forget` erases it with the session. "
    "Without a terminal: the options given, else the kept choice, else the tool's picks. "
    "--name is printed on this handout only: backpain stores no names. Your own notes "
    "(backpain note) never appear on it.")


@app.command(epilog=EPILOG)
def handout(
    session: Annotated[str, typer.Argument(
        metavar="SESSION", help="The session id (or a unique start of it).",
        show_default=False)],
    pick: Annotated[str | None, typer.Option(
        "--pick", metavar="ID,...",
        help="The advice on the handout, by recommendation id, at most five (the referral "
             "and the safety advice are always added).")] = None,
    drop: Annotated[str | None, typer.Option(
        "--drop", metavar="EXERCISE_ID,...",
        help="Exercises of the programme to leave off the handout.")] = None,
    client_note: Annotated[str | None, typer.Option(
        "--client-note", metavar="TEXT",
        help="A note to the client, printed on the handout ('' for none).")] = None,
    name: Annotated[str | None, typer.Option(
        "--name", metavar="TEXT",
        help="The client's name, printed on this handout only (never stored).")] = None,
    fmt: Annotated[Format, typer.Option(
        "--format", "-f", case_sensitive=False, help="html, pdf or md.")] = Format.html,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Choose what goes on the client's handout, and print it."""
    if fmt is Format.pdf:
        refuse_binary_to_terminal(fmt.value, output, "handout")
    check_name(name)
    request = HandoutRequest(session, ids(pick, "--pick"), ids(drop, "--drop"),
                             client_note, name)
    # Prompts on stderr when the handout itself goes to standard output.
    checklist = terminal_checklist(prompts_on_stderr=output is None) \
        if sys.stdin.isatty() else None
    made = make_handout(request, checklist=checklist, notices=NOTICES)
    if made.added is not None:
        NOTICES.info(f"Kept the handout choice ({made.added.id}) beside session "
                     f"{made.session.id}")
    emit(render(made.handout, fmt), output, force, NOTICES)


def render(handout: ClientHandout, fmt: Format) -> str | bytes:
    """The handout in `fmt`; each format's module is imported only when asked for."""
    if fmt is Format.md:
        from ..output.client_handout_md import render_client_markdown

        return render_client_markdown(handout)
    from ..output.client_handout_html import render_client_html

    page = render_client_html(handout)
    if fmt is Format.html:
        return page
    # WeasyPrint: only for a PDF.
    from ..output.pdf import render as pdf
    from ..records.settings import load as settings

    return pdf(page, settings().paper)
