"""Rich rendering of the `backpain review` listing, apart from the rest of review's output.

The listing is what a practitioner runs most, among the most sessions (20 times a bare
interpreter start among 100,000): it imports rich and the listing's records only, not the
follow-up rules and plan rendering that one session and a history need (terminal_review.py
imports its table, triage cell and footer from here). Colour is a bonus, never the message,
as in the rest of the terminal output.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from ..frozen import frozen
from ..records.index.listing import Listing
from ..records.session import Session, resume_command
from ..records.tree import Unreadable
from ..safe_text import visible_in
from .wording import NONE, SHORT_NAMES, score_cell, utc_day

URGENT = ("urgent", "same_day", "emergency")  # triage shown in bold red


def triage_text(triage: str | None) -> Text:
    if triage is None:
        return Text(NONE)
    return Text(triage, style="bold red" if triage in URGENT else "")


# --------------------------------------------------------------------------- the listing


def review_table(title: str, *, tight: bool = False) -> Table:
    # No edges, and for the listing one space between columns: it must fit 80 columns with
    # a full session id, which is what the practitioner copies into the next command.
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                 pad_edge=False, padding=(0, 0) if tight else (0, 1), collapse_padding=True)


@frozen
class _Row:
    """One line of the listing, as text, before the layout is chosen."""

    id: str
    client: str
    day: str
    status: Text
    triage: Text
    scores: tuple[str, ...]


@frozen
class _Layout:
    client_under_id: bool = False  # the client on a second line of the ID cell
    no_date: bool = False  # the id starts with the date and time (UTC) already
    status_in_triage: bool = False  # a draft has no triage: "draft" stands in its place


# Tried in order; the first that fits the width is used. Session ids are never cut (they
# are what the practitioner copies into the next command) and the client is never dropped.
_LAYOUTS = (_Layout(), _Layout(client_under_id=True),
            _Layout(client_under_id=True, no_date=True),
            _Layout(client_under_id=True, no_date=True, status_in_triage=True))
_CLIENT_MIN = 8  # a long client reference folds down to this many columns


class _ListingTable:
    """The listing's table, laid out at render time for the width it gets: at 80 columns the
    full table; narrower, the client moves under the id, then the date (which the id
    carries) goes, then a draft's status takes the place of its (absent) triage."""

    def __init__(self, title: str, rows: Sequence[_Row], keys: Sequence[str],
                 show_client: bool) -> None:
        self.title, self.rows, self.keys, self.show_client = title, rows, keys, show_client

    def _columns(self, layout: _Layout) -> list[tuple[str, int]]:
        """(header, width needed) of each column under `layout`."""
        def need(header: str, cells: Sequence[str]) -> int:
            return max([len(header), *(len(c) for c in cells)])

        rows = self.rows
        ids = need("ID", [r.id for r in rows])
        cols = [("ID", ids)]
        if self.show_client and not layout.client_under_id:
            cols.append(("Client", min(_CLIENT_MIN, need("Client", [r.client for r in rows]))))
        if not layout.no_date:
            cols.append(("Date (UTC)", need("Date (UTC)", [r.day for r in rows])))
        if not layout.status_in_triage:
            cols.append(("Status", need("Status", [r.status.plain for r in rows])))
        cols.append(("Triage", need("Triage", [r.triage.plain for r in rows]
                                    + [r.status.plain for r in rows
                                       if layout.status_in_triage and not r.triage.plain])))
        for n, key in enumerate(self.keys):
            cols.append((SHORT_NAMES[key], need(SHORT_NAMES[key],
                                                 [r.scores[n] for r in rows])))
        return cols

    def layout(self, width: int) -> _Layout:
        for layout in _LAYOUTS:
            cols = self._columns(layout)
            # One space between columns.
            if sum(w for _, w in cols) + len(cols) - 1 <= width:
                return layout
        return _LAYOUTS[-1]

    def table(self, layout: _Layout) -> Table:
        table = review_table(self.title, tight=True)
        id_width = max(len(r.id) for r in self.rows)
        if layout.client_under_id and self.show_client:
            # Exactly as wide as an id: the id fits whole, a long client folds under it.
            table.add_column("ID / client" if self.show_client else "ID", overflow="fold",
                             min_width=id_width, max_width=id_width)
        else:
            table.add_column("ID", no_wrap=True)
        if self.show_client and not layout.client_under_id:
            table.add_column("Client", overflow="fold", min_width=6)
        if not layout.no_date:
            table.add_column("Date (UTC)", no_wrap=True)
        if not layout.status_in_triage:
            table.add_column("Status", no_wrap=True)
        table.add_column("Triage", no_wrap=True)
        for key in self.keys:
            table.add_column(SHORT_NAMES[key], no_wrap=True,
                             justify="left" if key == "startback_risk" else "right")
        for r in self.rows:
            cells: list[RenderableType] = []
            if layout.client_under_id and self.show_client:
                cells.append(Text.assemble(r.id, "\n", (r.client, "dim")))
            else:
                cells.append(r.id)
                if self.show_client:
                    cells.append(r.client)
            if not layout.no_date:
                cells.append(r.day)
            if not layout.status_in_triage:
                cells.append(r.status)
            cells.append(r.status if layout.status_in_triage and r.status.plain != "completed"
                         else r.triage)
            cells.extend(r.scores)
            table.add_row(*cells)
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.table(self.layout(options.max_width))


def listing_renderables(listing: Listing) -> list[RenderableType]:
    if not listing.rows:
        whose = f" for client {listing.client}" if listing.client else ""
        if listing.unreadable:
            # Entries that are not read (a linked folder, odd names) are not "no sessions".
            return [Text(f"No readable sessions{whose}."),
                    *drafts_and_unreadable((), len(listing.unreadable), gap="")]
        return [Text(f"No sessions{whose} yet. Start one with: backpain assess")]
    title = f"Sessions of {listing.client}" if listing.client else "Sessions"
    # ODI and RMDQ are optional instruments: their columns appear only when used.
    keys = ["nprs_now", "startback_risk",
            *(k for k in ("odi_percent", "rmdq_score")
              if any(s.plan is not None and k in s.plan.scores for s in listing.sessions))]
    drafts: list[Session] = []
    rows: list[_Row] = []
    for row in listing.rows:
        if isinstance(row, Unreadable):
            path = Path(row.path)
            # The file name is a session id, so the date is known even when the content is not.
            day = f"{path.stem[:4]}-{path.stem[4:6]}-{path.stem[6:8]}"
            rows.append(_Row(path.stem, path.parent.name, day,
                             Text("unreadable", style="bold red"), Text(NONE),
                             tuple(NONE for _ in keys)))
            continue
        scores = dict(row.plan.scores) if row.plan else {}
        if row.is_draft:
            drafts.append(row)
        rows.append(_Row(row.id, row.client, utc_day(row.created),
                         Text(row.status, style="yellow" if row.is_draft else ""),
                         triage_text(row.plan.triage if row.plan else None),
                         tuple(score_cell(scores.get(k)) for k in keys)))
    out: list[RenderableType] = [
        _ListingTable(f"{title}, newest first", rows, keys, listing.client is None)]
    if len(listing.rows) < listing.total:
        out.append(Text(f"Showing the newest {len(listing.rows)} of {listing.total} sessions; "
                        "--limit N shows more, --limit 0 all."))
    out.extend(drafts_and_unreadable(drafts, len(listing.unreadable), gap=""))
    return out


def drafts_and_unreadable(drafts: Sequence[Session], unreadable: int,
                           *, gap: str) -> list[RenderableType]:
    """The footer of the listing and of a history: how to resume drafts, what was skipped."""
    out: list[RenderableType] = []
    if drafts:
        out.append(Text(f"{gap}Drafts (interrupted interviews) — resume with:"))
        out.extend(Text(f"  {resume_command(d.id)}") for d in drafts)
    if unreadable:
        out.append(Text(f"{unreadable} session file(s) could not be read; "
                        "the reasons are on standard error."))
    return out


def print_listing(console: Console, listing: Listing) -> None:
    # Every text in it came from a session file: no control character reaches the terminal.
    console.print(Group(*listing_renderables(visible_in(listing))))
