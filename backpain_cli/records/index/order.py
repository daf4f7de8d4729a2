"""The order of listing rows, named once for the SQL back-end and the file back-end.

The rule is clinical.order's: oldest first by the second that places a session, and within
one second a session after the one it `follows`, then by id and client folder. Rows are
fetched in pages by `Key` (second, id, client folder): the SQL back-end through
`sql_order` and `sql_after` (the table's index `sessions_by_time` is over `ORDER_COLUMNS`),
the file back-end through `page` over its sorted keys. Each second's rows are then put in
their follow-up order (`in_visit_order`), which needs every row of that second at once.
Newest first is the same order reversed.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import TypeVar

from ...clinical.order import in_order

T = TypeVar("T")

# (second, session id, client folder): where a row is among the others, and how pages of
# rows are fetched one after another.
Key = tuple[int, str, str]
# The columns of a Key in the index's `sessions` table.
ORDER_COLUMNS = ("at", "id", "folder")


def sql_order(newest_first: bool, table: str = "s") -> str:
    """The ORDER BY list of rows of `table`."""
    direction = " DESC" if newest_first else ""
    return ", ".join(f"{table}.{column}{direction}" for column in ORDER_COLUMNS)


def sql_after(newest_first: bool, table: str = "s") -> str:
    """The condition of the rows of `table` that come after the key given as three
    parameters."""
    columns = ", ".join(f"{table}.{column}" for column in ORDER_COLUMNS)
    return f"({columns}) {'<' if newest_first else '>'} (?, ?, ?)"


def page(keyed: Sequence[tuple[Key, T]], after: Key | None, n: int,
         newest_first: bool) -> list[tuple[Key, T]]:
    """The `n` items of `keyed` (sorted by key, oldest first) that come after the key
    `after` (None: from the start), as the SQL back-end would fetch them."""
    keys = [k for k, _ in keyed]
    if newest_first:
        end = len(keyed) if after is None else bisect.bisect_left(keys, after)
        return list(keyed[max(0, end - n):end][::-1])
    start = 0 if after is None else bisect.bisect_right(keys, after)
    return list(keyed[start:start + n])


def in_visit_order(run: list[tuple[Key, T]], newest_first: bool,
                   follows: Callable[[T], str | None]) -> list[T]:
    """The values of one second's rows in visit order: a session after the one it follows
    (clinical.order), then by id and client folder."""
    if len(run) == 1:
        return [run[0][1]]
    ordered = in_order(run, lambda row: (*row[0], follows(row[1])))
    return [value for _, value in (ordered[::-1] if newest_first else ordered)]
