"""`backpain intake form`: the intake form the client fills in before the visit (issue 21).

The work is flows/intake.py; the answers it saves are imported with
`backpain assess --answers FILE`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ..flows.intake import intake_form
from . import helptext
from .commands import command_app
from .notices import StderrNotices
from .output_target import ForceOption, OutputOption, emit

app = command_app(
    help="The intake form a client fills in before the visit.", no_args_is_help=True,
    epilog=helptext.epilog(
        ["backpain intake form --client JD-042 -o JD-042-form.html"],
        [helptext.OK, helptext.ERROR,
         (2, "wrong usage, or no command given (this help is shown)"),
         helptext.INTERRUPTED]))
NOTICES = StderrNotices()


@app.callback()
def intake() -> None:
    """The intake form a client fills in before the visit."""


@app.command("form", epilog=helptext.epilog(
    ["backpain intake form --client JD-042 -o JD-042-form.html",
     "backpain intake form -o intake.html"],
    [(0, "the form was written"),
     (1, "a questionnaire module does not validate, or the file could not be written"),
     helptext.USAGE, helptext.INTERRUPTED],
    "One HTML file that works offline in any browser, on a phone, a tablet or paper: it "
    "fetches nothing and keeps nothing. The client answers the intake, warning signs, "
    "sleep, activity and diagnoses questions (and your own modules with form = true), "
    "and saves the answers as a file, which `backpain assess --client REF --answers FILE` "
    "imports. "
    "The licensed instruments (STarT Back, Oswestry, Roland-Morris) are never on it."))
def form(
    client: Annotated[str | None, typer.Option(
        "--client", metavar="REF",
        help="Client reference, put in the saved answers and their file name.")] = None,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Write the client's intake form: one self-contained HTML file."""
    emit(intake_form(client), output, force, NOTICES)
