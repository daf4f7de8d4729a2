"""The order of sessions: one rule for every history, listing, due list and export.

Oldest first by time: `created`, to the whole second (what a session file keeps). Within
one second -- a visit and its follow-up entered from answers files in a batch are saved in
the same second -- a session comes after the one it `follows` (of the same client); then by
id and client folder, so that the order never depends on the random part of an id nor on
the order in which files were found. Newest first is the same order reversed.

Kept free of heavy imports: the summary index orders its rows with it on every listing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")

# What places one session: (its second, its id, its client folder, the id it follows).
Place = tuple[int, str, str, str | None]


class Dated(Protocol):
    """What a session offers to be placed (records.session.Session and Brief do)."""

    @property
    def id(self) -> str: ...
    @property
    def client(self) -> str: ...
    @property
    def created(self) -> dt.datetime: ...
    @property
    def follows(self) -> str | None: ...


D = TypeVar("D", bound=Dated)


def second(moment: dt.datetime) -> int:
    """The whole second of a session's time, counted from the epoch (UTC)."""
    return math.floor(moment.timestamp())


def place_of(session: Dated) -> Place:
    return second(session.created), session.id, session.client, session.follows


def in_order(items: Iterable[T], place: Callable[[T], Place]) -> list[T]:
    """`items` oldest first, each placed by `place`."""
    placed = [(place(item), item) for item in items]
    keys = _keys([p for p, _ in placed])
    return [placed[n][1] for n in sorted(range(len(placed)), key=keys.__getitem__)]


def sessions_in_order(sessions: Iterable[D]) -> list[D]:
    """Sessions oldest first."""
    return in_order(sessions, place_of)


def _keys(places: Sequence[Place]) -> list[tuple[int, int, str, str]]:
    """(second, depth, id, folder) of each place; the depth counts the sessions of the same
    second and client that it follows, one after another (a session follows one other)."""
    by_second: dict[int, dict[tuple[str, str], int]] = {}
    for n, (moment, session_id, folder, _) in enumerate(places):
        by_second.setdefault(moment, {}).setdefault((folder.lower(), session_id), n)
    keys = []
    for moment, session_id, folder, follows in places:
        same = by_second[moment]
        client = folder.lower()
        depth = 0
        seen = {session_id}
        parent = follows
        # Up the chain while it stays in this second; a loop (files edited by hand) ends it.
        while parent is not None and parent not in seen and (client, parent) in same:
            seen.add(parent)
            depth += 1
            parent = places[same[(client, parent)]][3]
        keys.append((moment, depth, session_id, folder))
    return keys
