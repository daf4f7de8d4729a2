"""`backpain review` without an argument: the newest sessions, from the summary index.

Apart from flows/review.py on purpose: the listing is one of the commands that must start
fast (20x a bare interpreter among 100,000 sessions, the README), and it needs neither the
follow-up rules nor the questionnaires that one session or one client's history loads.
"""

from __future__ import annotations

from pathlib import Path

from ..records.index.listing import Listing, Stream, list_sessions, stream_sessions


def listing(*, client: str | None, limit: int, refresh: bool,
            root: Path | None = None) -> Listing:
    """The newest `limit` sessions (0: all), of one client or of every client, for a table."""
    return list_sessions(client=client, limit=limit, refresh=refresh, root=root)


def streamed(*, client: str | None, limit: int, refresh: bool,
             root: Path | None = None) -> Stream:
    """The same sessions as rows that come as they are read, for a pipe or a file: a table
    would first hold and measure every row."""
    return stream_sessions(client=client, limit=limit, refresh=refresh, root=root)
