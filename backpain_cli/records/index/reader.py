"""The summary index's rows in the listing order, from the index or from the files.

`Reader` runs every operation on the index first (sync.Indexed); when it meets an
IndexProblem the index is rebuilt once, and after a second problem, or a lock held too long,
the rest of the command reads the files (`_Files`). Either way the rows come in pages in
the listing order (order.py), each second's rows in their follow-up order.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from ...errors import SessionFileError
from ...frozen import frozen
from ..paths import data_dir
from ..session import Session, brief, document_line
from ..storage import read_ref
from ..tree import SessionRef, Unreadable, scan
from . import db
from .codec import IndexProblem, Value, What, id_second
from .db import Store
from .order import Key, in_visit_order, page
from .sync import Indexed, Tree

T = TypeVar("T")

_BATCH = 500  # rows fetched at a time: memory stays flat, no read holds the file for long


def forget(root: Path | None, paths: Iterable[Path],
           folders: Iterable[Path] = ()) -> Path | None:
    """Remove the index rows of session files that were deleted (`backpain forget`), and
    every row of the client folders `folders`.

    `root` is the data folder (None: paths.data_dir()), `paths` the deleted files. If the
    rows cannot be removed, the index file itself is deleted (db.forget); returns
    the index file when even that failed (it still holds the rows), else None. Deleting
    a file without this is safe too: the next listing notices its folder changed.
    """
    return db.forget(root or data_dir(), paths, folders)


@frozen
class Rows:
    """Sessions in order, fetched as they are consumed, with what the tree holds besides.

    Each value is what was asked for: a Brief (a listing or CSV row), a Session (a summary:
    no recommendations), the JSON Lines record of one, or an Unreadable in the place of a
    file that cannot be read.
    """

    total: int
    tree: Tree
    rows: Iterator[Value]


class _Files:
    """Rows read straight from the files, for when the index cannot be used."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # In the listing order's keys, by the second of their ids (the files are not read to
        # learn their time: a file whose `created` was edited away from its id is placed by
        # its id here).
        self.refs: list[tuple[Key, SessionRef]] = []
        self.by_client: dict[str, list[tuple[Key, SessionRef]]] = {}

    def sync(self, client: str | None, every_file: bool) -> Tree:
        tree = scan(self.root, client)
        self.refs = sorted(((id_second(r.id), r.id, r.client), r) for r in tree.refs)
        self.by_client = {}
        for keyed in self.refs:
            self.by_client.setdefault(keyed[1].client.lower(), []).append(keyed)
        return Tree(tree.skipped, tree.notes, tree.clients)

    def count(self, client: str | None) -> int:
        return len(self._of(client))

    def _of(self, client: str | None) -> list[tuple[Key, SessionRef]]:
        return self.refs if client is None else self.by_client.get(client.lower(), [])

    def batch(self, newest_first: bool, client: str | None, key: Key | None, n: int,
              what: What, check: bool) -> list[tuple[Key, Value | None]]:
        chosen = page(self._of(client), key, n, newest_first)
        return [(k, _file_value(r, what)) for k, r in chosen]

    def starting(self, prefix: str) -> list[SessionRef] | None:
        return None

    def synced_starting(self, prefix: str) -> list[SessionRef]:
        return sorted((r for _, r in self.refs if r.id.startswith(prefix)),
                      key=lambda r: (r.id, r.client))

    def groups(self) -> list[str]:
        return [refs[0][1].client for _, refs in sorted(self.by_client.items())]


Source = Indexed | _Files


def _follows(value: Value) -> str | None:
    if isinstance(value, Unreadable):
        return None
    if isinstance(value, str):  # a JSON Lines record
        follows = json.loads(value).get("follows")
        return follows if isinstance(follows, str) else None
    return value.follows


def _file_value(ref: SessionRef, what: What) -> Value:
    try:
        session = read_ref(ref)
    except SessionFileError as exc:
        return Unreadable.of(exc)
    if what == "document":
        return document_line(session)
    return brief(session) if what == "brief" else session


# --------------------------------------------------------------------------- choosing a source


class Reader:
    """Sessions through the index, or through the files when the index cannot be used.

    Every operation runs on the index first; when it meets an IndexProblem the index is
    rebuilt once (an empty file in place of the broken one, then synced again), and after a
    second problem, or a lock held too long, the rest of the command reads the files.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or data_dir()
        self._store: Store | None = None
        self._source: Source | None = None
        self._rebuilt = False
        self._synced: tuple[str | None, bool] | None = None

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _current(self) -> Source:
        if self._source is not None:
            return self._source
        try:
            self._store = db.open_store(self.root)
        except IndexProblem as exc:
            return self._after(exc)
        self._source = Indexed(self.root, self._store)
        return self._source

    def _after(self, problem: IndexProblem) -> Source:
        """The source to go on with after `problem`: a rebuilt index, else the files."""
        self.close()
        self._source = None
        if not problem.locked and not self._rebuilt:
            self._rebuilt = True
            try:
                db.replace_file(self.root)
                self._store = db.open_store(self.root)
                rebuilt = Indexed(self.root, self._store)
                if self._synced is not None:
                    # The new index has not seen the tree yet.
                    rebuilt.sync(*self._synced)
                self._source = rebuilt
                return rebuilt
            except IndexProblem:
                self.close()
        files = _Files(self.root)
        if self._synced is not None:
            files.sync(*self._synced)
        self._source = files
        return files

    def _attempt(self, op: Callable[[Source], T]) -> T:
        while True:
            source = self._current()
            try:
                return op(source)
            except IndexProblem as exc:
                self._after(exc)

    # ---- the operations

    def sync(self, client: str | None = None, *, every_file: bool = False) -> Tree:
        """Bring the index up to date for `client` (None: every client): by folder times, or
        with `every_file`, by every file's stamp."""
        result = self._attempt(lambda s: s.sync(client, every_file))
        self._synced = (client, every_file)
        return result

    def count(self, client: str | None = None) -> int:
        return self._attempt(lambda s: s.count(client))

    def rows(self, *, newest_first: bool, client: str | None = None,
             limit: int | None = None, what: What = "summary",
             check: bool = True) -> Iterator[Value]:
        """Session rows in visit order (clinical.order), fetched as consumed.

        `check`: each row's file stamp is checked first (not needed right after a sync of
        every file). An unreadable file is an Unreadable in its place.
        """
        ordered = (value for run in self._runs(newest_first, client, limit, what, check)
                   for value in in_visit_order(run, newest_first, _follows))
        return ordered if limit is None else itertools.islice(ordered, limit)

    def _runs(self, newest_first: bool, client: str | None, limit: int | None, what: What,
              check: bool) -> Iterator[list[tuple[Key, Value]]]:
        """The rows in pages by (second, id, folder), one run of a second at a time: a run
        is given whole, so that `in_visit_order` sees every session of its second."""
        key: Key | None = None
        fetched = 0
        last: int | None = None  # the second of the last row fetched
        run: list[tuple[Key, Value]] = []
        while True:
            n = _BATCH if limit is None else min(_BATCH, limit - fetched)
            if n <= 0:
                # The window is full. Its last second may go on past it: only then are more
                # rows read (and checked), a few at a time.
                def peek(s: Source, key: Key | None = key) -> list[tuple[Key, Value | None]]:
                    return s.batch(newest_first, client, key, 1, what, False)

                ahead = self._attempt(peek)
                if not ahead or ahead[0][0][0] != last:
                    break
                n = 8

            def fetch(s: Source, key: Key | None = key,
                      n: int = n) -> list[tuple[Key, Value | None]]:
                return s.batch(newest_first, client, key, n, what, check)

            batch = self._attempt(fetch)
            for row_key, value in batch:
                if run and run[0][0][0] != row_key[0]:
                    yield run
                    run = []
                if value is not None:
                    run.append((row_key, value))
                last = row_key[0]
            if len(batch) < n:
                break
            fetched += len(batch)
            key = batch[-1][0]
        if run:
            yield run

    def starting(self, prefix: str) -> list[SessionRef]:
        """The sessions whose id starts with `prefix`, by id."""
        found = self._attempt(lambda s: s.starting(prefix))
        if found is not None:
            return found
        self.sync()
        return self._attempt(lambda s: s.synced_starting(prefix))

    def groups(self) -> list[str]:
        """One client folder name per client, in order of their lower-case names."""
        return self._attempt(lambda s: s.groups())


# --------------------------------------------------------------------------- for listings


def newest(root: Path | None = None, client: str | None = None, limit: int = 0, *,
           refresh: bool = False, what: What = "summary") -> Rows:
    """The newest `limit` sessions (0: all) of everyone or of `client`, each row checked
    against its file; with `refresh`, every file of the tree is checked first."""
    return _rows(root, client, refresh, lambda reader: reader.rows(
        newest_first=True, client=client, limit=limit or None, what=what))


def bulk(root: Path | None = None, client: str | None = None, *,
         what: What = "summary") -> Rows:
    """Every session (or `client`'s), oldest first, ties by client, after checking every
    file's stamp: what `export --all` / `--client` write, as summaries or JSON lines."""
    return _rows(root, client, True, lambda reader: reader.rows(
        newest_first=False, client=client, what=what, check=False))


def _rows(root: Path | None, client: str | None, every_file: bool,
          fetch: Callable[[Reader], Iterator[Value]]) -> Rows:
    """A synced reader's total, tree and `fetch`ed rows; the reader closes with the rows
    (or at once, if the sync fails)."""
    reader = Reader(root)
    try:
        tree = reader.sync(client, every_file=every_file)
        total = reader.count(client)
    except BaseException:
        reader.close()
        raise
    return Rows(total, tree, _closing(reader, fetch(reader)))


def refresh(root: Path | None = None) -> None:
    """Check every session file of the tree against the index (`review --refresh`)."""
    with Reader(root) as reader:
        reader.sync(every_file=True)


def sessions_starting(prefix: str, root: Path | None = None) -> list[SessionRef]:
    """The sessions whose id starts with `prefix`, by id (the resolver's look-up)."""
    with Reader(root) as reader:
        return reader.starting(prefix)


def latest_completed(root: Path | None = None, *,
                     refresh: bool = False) -> tuple[list[Session], tuple[Unreadable, ...]]:
    """Every client's newest completed session (clients in any case are one), and what
    could not be read on the way: entries of the tree, and unreadable files newer than it.

    An unreadable file is passed over: it might have been the latest visit, but showing an
    older visit as due is safer than hiding the client.
    """
    with Reader(root) as reader:
        tree = reader.sync(every_file=refresh)
        unreadable: list[Unreadable] = list(tree.skipped)
        latest: list[Session] = []
        for group in reader.groups():
            for value in reader.rows(newest_first=True, client=group):
                if isinstance(value, Unreadable):
                    unreadable.append(value)
                elif isinstance(value, Session) and not value.is_draft \
                        and value.plan is not None:
                    latest.append(value)
                    break
        return latest, tuple(unreadable)


def _closing(reader: Reader, rows: Iterator[Value]) -> Iterator[Value]:
    try:
        yield from rows
    finally:
        reader.close()
