"""What the use cases (flows/) return and output/ renders: value types only.

They live below both, so that output/ takes finished results without importing the code
that computes them (the layers: cli -> flows -> output -> results -> clinical, records).
Nothing here reads a file, decides a rule or prints.
"""

from __future__ import annotations

import datetime as dt

from .clinical.followup import Due, History, SessionReview
from .frozen import frozen
from .records.index.listing import Listing
from .records.session import Session
from .records.tree import Unreadable


@frozen
class ClientHistory:
    """`review CLIENT`: the history, and what was not read or is odd on the way."""

    history: History[Session]
    unreadable: tuple[Unreadable, ...] = ()
    notes: tuple[str, ...] = ()  # odd but read (tree.scan), shown as warnings
    # How else the argument could have been meant (records.targets.resolve).
    note: str | None = None

    @property
    def client(self) -> str:
        return self.history.client


@frozen
class DueList:
    """Most overdue first. `on` is the day asked about (today unless --on)."""

    on: dt.date
    rows: tuple[Due[Session], ...]
    unreadable: tuple[Unreadable, ...]


# What `review` shows: the listing, one re-scored session, or one client's history.
ReviewResult = Listing | SessionReview[Session] | ClientHistory
