"""`backpain letter SESSION|CLIENT`: a one-page letter to the client's doctor, or a handover
to a colleague. The work is flows/letter.py; this module parses the options and writes the
letter to standard output or `-o`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ..flows.letter import parse_born, write_letter
from . import helptext
from .commands import command_app
from .notices import StderrNotices
from .output_target import (
    ForceOption,
    OutputOption,
    check_name,
    emit,
    refuse_binary_to_terminal,
)

app = command_app()
NOTICES = StderrNotices()


class Format(StrEnum):
    md = "md"
    html = "html"
    pdf = "pdf"


class To(StrEnum):
    doctor = "doctor"
    colleague = "colleague"


EPILOG = helptext.epilog(
    ["backpain letter 20261127T1015 --format pdf -o letter.pdf",
     "backpain letter JD-042 --name 'Jo Doe' --born 1961-03-03 -f pdf -o gp.pdf",
     "backpain letter JD-042 --to colleague --format md"],
    [(0, "the letter was written"),
     (1, "an unknown session or client, a draft, or the letter could not be written"),
     (2, "wrong usage, printed as one line (backpain: usage error: ...), such as a date "
         "of birth that is not a date, or a PDF to a terminal"),
     helptext.INTERRUPTED],
    "To the doctor, in the order GPs ask for: why you are writing and how soon the client "
    "should be seen (in the words of the triage: emergency care now, today or within 24 "
    "hours, within a week, routinely); the warning signs, each with how soon it needs a "
    "doctor; the problem in two sentences; relevant history; the scores with what they "
    "mean and the change since the first visit; what you advised and did (the plan's "
    "headline items and your notes); your question; your contact (the practice's "
    "settings, as recorded at the visit). An emergency visit's letter records what was "
    "advised and when: it never replaces the emergency call. --to colleague gives a "
    "handover with the same facts and no referral wording. One page on A4 or Letter. "
    "backpain stores no names: the letter has blank lines for the client's name and date "
    "of birth unless --name and --born fill them in for this letter only.")


@app.command(epilog=EPILOG)
def letter(
    target: Annotated[str, typer.Argument(
        metavar="SESSION|CLIENT",
        help="A session id (or a unique start of one), or a client reference for the "
             "client's latest completed visit.", show_default=False)],
    to: Annotated[To, typer.Option(
        "--to", case_sensitive=False,
        help="doctor (a referral or a letter to keep them informed) or colleague (a "
             "handover).")] = To.doctor,
    fmt: Annotated[Format, typer.Option(
        "--format", "-f", case_sensitive=False, help="md, html or pdf.")] = Format.md,
    output: OutputOption = None,
    force: ForceOption = False,
    name: Annotated[str | None, typer.Option(
        "--name", metavar="TEXT",
        help="The client's name, on this letter only (never stored).")] = None,
    born: Annotated[str | None, typer.Option(
        "--born", metavar="YYYY-MM-DD",
        help="The client's date of birth, on this letter only (never stored).")] = None,
) -> None:
    """Write a one-page letter about a visit to the client's doctor or a colleague."""
    if fmt is Format.pdf:
        refuse_binary_to_terminal(fmt.value, output, "letter")
    check_name(name)
    day = parse_born(born) if born is not None else None
    made = write_letter(target, to=to.value, fmt=fmt.value, notices=NOTICES, name=name,
                        born=day)
    emit(made, output, force, NOTICES)
