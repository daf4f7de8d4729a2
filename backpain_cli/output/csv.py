"""CSV for audits: one row per session, streamed.

Columns, in this order (stable; new ones are only ever added at the end):

    session, client, date, status, follows, triage, red_flags,
    nprs_now, nprs_worst_week, startback_total, startback_psychosocial, startback_risk,
    odi_percent, odi_band, rmdq_score, axspa_feature_count

`date` is the session's start in UTC (ISO 8601), `red_flags` the ids of the warning signs
that fired, separated by spaces. A score that was not collected, and everything of a
draft's plan, is an empty cell. A cell that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return gets a leading `'`, so a spreadsheet shows it as text instead of running
it as a formula.

Speed: rows are read with `summary.read_summary`, which skips parsing the answers and
recommendation texts a row does not need (see that module).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import TextIO

from ..records.listing import BulkResult, Report, read_or_report
from ..records.session import Session, iso_utc
from ..records.storage import SessionRef
from ..records.summary import read_summary
from ..safe_text import visible

SCORE_COLUMNS = (
    "nprs_now", "nprs_worst_week", "startback_total", "startback_psychosocial",
    "startback_risk", "odi_percent", "odi_band", "rmdq_score", "axspa_feature_count",
)
COLUMNS = ("session", "client", "date", "status", "follows", "triage", "red_flags",
           *SCORE_COLUMNS)
_FORMULA_START = frozenset("=+-@\t\r")


def neutralise(cell: str) -> str:
    """Spreadsheet formula injection: make a would-be formula plain text."""
    return "'" + cell if cell and cell[0] in _FORMULA_START else cell


def _cell(value: object) -> str:
    if value is None:
        return ""
    return neutralise(visible(str(value)))


def row(session: Session) -> list[str]:
    plan = session.plan
    scores = plan.scores if plan is not None else {}
    cells: list[object] = [
        session.id, session.client, iso_utc(session.created), session.status,
        session.follows, plan.triage if plan is not None else None,
        " ".join(f.id for f in plan.red_flags) if plan is not None else None,
        *(scores.get(k) for k in SCORE_COLUMNS),
    ]
    return [_cell(c) for c in cells]


# --------------------------------------------------------------------------- writing


def write_rows(out: TextIO, refs: Iterable[SessionRef], report: Report,
               result: BulkResult) -> None:
    """Header, then one row per readable session, written as each file is read."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for ref in refs:
        session = read_or_report(ref, read_summary, report, result)
        if session is not None:
            writer.writerow(row(session))


def render(sessions: Sequence[Session]) -> str:
    """A small CSV in memory: one session, or one client's few."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(row(s) for s in sessions)
    return buffer.getvalue()
