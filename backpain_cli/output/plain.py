"""The listing as plain rows, for a pipe or a file: `review` (whatever its --limit) when
standard output is not a terminal.

A rich table measures every row before it prints the first (100,000 rows took minutes);
these rows are written as they come, one line a session, the columns separated by tabs
(`cut -f1` gives the ids), under a header line. The cells are the table's own
(output/wording), an unreadable file is a row of its own with the status "unreadable" (its
reason goes to standard error, as with the table), and no colour or control character is
ever written. No rich here: it is not imported for this.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from ..records.session import Brief
from ..records.tree import Unreadable
from ..safe_text import visible
from .wording import NONE, SHORT_NAMES, score_cell, utc_day

SCORES = ("nprs_now", "startback_risk", "odi_percent", "rmdq_score")
HEADER = ("ID", "Client", "Date (UTC)", "Status", "Triage", *(SHORT_NAMES[k] for k in SCORES))


def _line(cells: Iterable[str]) -> str:
    # A tab inside a cell would shift the columns after it; visible() shows it as a
    # placeholder, as every control character.
    return "\t".join(visible(c) for c in cells) + "\n"


def write_rows(out: TextIO, rows: Iterable[Brief | Unreadable]) -> list[Unreadable]:
    """The header and one line a row; returns the unreadable files met, in order."""
    out.write(_line(HEADER))
    unreadable: list[Unreadable] = []
    for row in rows:
        if isinstance(row, Unreadable):
            unreadable.append(row)
            path = Path(row.path)
            # The file name is a session id, so the date is known even when the content is not.
            day = f"{path.stem[:4]}-{path.stem[4:6]}-{path.stem[6:8]}"
            out.write(_line((path.stem, path.parent.name, day, "unreadable", NONE,
                             *(NONE for _ in SCORES))))
            continue
        out.write(_line((row.id, row.client, utc_day(row.created), row.status,
                         row.triage or NONE, *(score_cell(row.scores.get(k)) for k in SCORES))))
    return unreadable
