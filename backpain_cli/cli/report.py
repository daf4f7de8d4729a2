"""`backpain report`: how the practice's clients do. The work is flows/report.py, the
figures clinical/outcomes.py, the formats output/report.py and output/report_html.py."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ..errors import SkippedSessionsError
from ..flows.report import outcome_report
from . import helptext
from .commands import command_app
from .notices import StderrNotices
from .output_target import ForceOption, OutputOption, emit

app = command_app()
NOTICES = StderrNotices(unreadable_as="skipped")


class By(StrEnum):
    risk = "risk"
    duration = "duration"
    practitioner = "practitioner"


class Format(StrEnum):
    text = "text"
    md = "md"
    html = "html"
    json = "json"
    csv = "csv"


EPILOG = helptext.epilog(
    ["backpain report",
     "backpain report --from 2026-01-01 --to 2026-06-30 --by practitioner",
     "backpain report --format html -o outcomes.html",
     "backpain report --format csv -o episodes.csv"],
    [helptext.OK,
     (1, "no episode started in the window, a session file that could not be read was "
         "skipped (named on stderr; the report is still written), or another error"),
     helptext.USAGE, helptext.INTERRUPTED],
    "Episodes of care from the sessions' `follows` links; responder rates (observed and "
    "conservative, with Wilson 95 % intervals) by the rule `backpain review` uses; the "
    "same rates by STarT Back risk and pain duration at the start (the default), or by "
    "practitioner. A rate over fewer than 10 episodes is \"too few to report\".",
    "text, md, html and json hold figures only (no client references or session ids); "
    "csv is one row per episode under a running number, for analysts. -o writes as "
    "export -o does (0600, never over a file without --force).")


@app.command(epilog=EPILOG)
def report(
    first: Annotated[str | None, typer.Option(
        "--from", metavar="YYYY-MM-DD",
        help="Episodes started on or after this day (default: the earliest).")] = None,
    last: Annotated[str | None, typer.Option(
        "--to", metavar="YYYY-MM-DD",
        help="Episodes started on or before this day (default: today).")] = None,
    by: Annotated[By | None, typer.Option(
        "--by", case_sensitive=False, show_default=False,
        help="The groups of the case mix: risk, duration (both by default) or "
             "practitioner (alphabetical, never ranked).")] = None,
    fmt: Annotated[Format, typer.Option(
        "--format", "-f", case_sensitive=False, help="Output format.")] = Format.text,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """Report how the practice's clients do: episodes, follow-up and responder rates."""
    found = outcome_report(first, last, None if by is None else by.value, NOTICES)
    # Each format's module only when it is asked for.
    if fmt is Format.html:
        from ..output.report_html import render

        content = render(found.report)
    else:
        from ..output import report as formats

        content = {Format.text: formats.text, Format.md: formats.markdown,
                   Format.json: formats.to_json, Format.csv: formats.to_csv}[fmt](
            found.report)
    emit(content, output, force, NOTICES)
    if found.skipped:
        raise SkippedSessionsError(found.skipped)
