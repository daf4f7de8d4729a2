"""CSV for audits: one row per session, streamed.

Columns, in this order (stable; new ones are only ever added at the end):

    session, client, date, status, follows, triage, red_flags,
    nprs_now, nprs_worst_week, startback_total, startback_psychosocial, startback_risk,
    odi_percent, odi_band, rmdq_score, axspa_feature_count,
    pain_duration, reassess_weeks, ended_early, instruments

`date` is the session's start in UTC (ISO 8601), `red_flags` the ids of the warning signs
that fired and `instruments` the optional questionnaires offered at the visit (odi, rmdq),
each separated by spaces. A score that was not collected, and everything of a draft's plan,
is an empty cell: with `instruments` an analyst tells "Oswestry not offered" from "offered
but not scorable". A cell that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return gets a leading `'`, so a spreadsheet shows it as text instead of running
it as a formula.

Speed: a bulk export takes its rows from the summary index (records/index/) as Briefs,
the few fields a row shows, so 100,000 rows need no session file parsed and no Session built.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import TextIO

from ..records.index.listing import BulkResult, Report
from ..records.session import Brief, Session, brief, iso_utc
from ..records.tree import Unreadable
from ..safe_text import visible
from .formats import ExportItem

SCORE_COLUMNS = (
    "nprs_now", "nprs_worst_week", "startback_total", "startback_psychosocial",
    "startback_risk", "odi_percent", "odi_band", "rmdq_score", "axspa_feature_count",
)
# Added after the first release: at the end, so that readers by position keep working.
ANALYSIS_COLUMNS = ("pain_duration", "reassess_weeks", "ended_early", "instruments")
COLUMNS = ("session", "client", "date", "status", "follows", "triage", "red_flags",
           *SCORE_COLUMNS, *ANALYSIS_COLUMNS)
_FORMULA_START = frozenset("=+-@\t\r")


def neutralise(cell: str) -> str:
    """Spreadsheet formula injection: make a would-be formula plain text."""
    return "'" + cell if cell and cell[0] in _FORMULA_START else cell


def row(session: Session) -> list[str]:
    return brief_row(brief(session))


def brief_row(b: Brief) -> list[str]:
    """The cells of one session's row (None and a draft's plan: empty cells)."""
    scores = b.scores
    cells: list[object] = [b.id, b.client, iso_utc(b.created), b.status, b.follows, b.triage,
                           " ".join(b.red_flags), *map(scores.get, SCORE_COLUMNS),
                           b.pain_duration, b.reassess_weeks, b.ended_early,
                           " ".join(b.instruments)]
    # Inline, not a function a cell: a bulk export makes 20 cells a row, 100,000 rows.
    return ["" if c is None else neutralise(visible(str(c))) for c in cells]


# --------------------------------------------------------------------------- writing


def write_rows(out: TextIO, rows: Iterable[Brief | Unreadable], report: Report,
               result: BulkResult) -> None:
    """Header, then one row per readable session, written as it comes; an unreadable file
    is reported (and counted) instead."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for value in rows:
        if isinstance(value, Unreadable):
            report(value.path, value.reason)
            result.skipped += 1
            continue
        writer.writerow(brief_row(value))
        result.written += 1


def render(sessions: Sequence[Session]) -> str:
    """A small CSV in memory: one session, or one client's few."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(row(s) for s in sessions)
    return buffer.getvalue()


def export(item: ExportItem) -> str:
    """`export SESSION --format csv` (output/formats.py): its one row."""
    return render([item.session])
