"""The summary index: listings, histories and bulk exports without reading every file.

Session files are the truth; the index (records/db.py: a SQLite file in the user
cache folder) only remembers what the one reader made of each of them, so that a listing of
100,000 sessions reads a few rows instead of every file. How it keeps up with the files:

- Every save replaces a file by a rename, which changes its client folder's modification
  time (as notmuch relies on for maildir folders). So a listing stats each client folder
  and reads again only the folders whose stamp changed: new, removed and replaced sessions
  are found there, also those saved by another machine into the same folder.
- The rows a command shows (or uses, as `review --due` does) are each checked against their
  file's stamp (size, modification and change time, inode) and read again if it differs,
  so a file edited in place is shown as it is now.
- `export --all` / `--client` and `review --refresh` check every file's stamp, not only the
  changed folders: a file edited in place is caught there even if no listing showed it.
  They are also the remedy for a file system that does not update folder times (some
  network shares), the one case the listing alone would miss.
- A stamp taken too close to the file's own time proves nothing (another write in the same
  clock tick leaves the same stamp): such rows are read again at their next check.
- A change to the practitioner's questionnaires makes the rows they judge be read again.

Whatever goes wrong with the index (a corrupt file, another version's layout, locked by
another command for too long, a disk error) means it is rebuilt, or the files are read
directly: never a wrong answer, never a traceback. Deleting the index changes no output.

Nothing here prints; a first build over many folders reports its progress through
`progress`, which the command line sets when standard error is a terminal.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from ...clinical.order import in_order
from ...errors import SessionFileError
from .. import progress
from ..paths import data_dir, is_session_id, questionnaires_dir, sessions_dir
from ..session import Brief, Session, brief, document_line
from ..storage import index_entry, read_ref
from ..tree import FolderEntry, SessionRef, Unreadable, scan, scan_folder, scan_top
from . import db
from .db import (
    Entry,
    IndexProblem,
    Stamp,
    Store,
    id_second,
    now_ns,
    stamp_of,
    trusted,
)

T = TypeVar("T")
Value = Brief | Session | str | Unreadable
What = Literal["brief", "summary", "document"]

# A sync with this many client folders to read shows its progress (records/progress.py);
# fewer take a second or so.
PROGRESS_FROM = 200

_BATCH = 500  # rows fetched at a time: memory stays flat, no read holds the file for long
# Rows read from files are written in one transaction per this many (a commit syncs the disk).
_WRITE_BATCH = 400
_FOLDERS_AT_ONCE = 200  # client folders whose stored stamps are fetched in one query


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


# --------------------------------------------------------------------------- what a sync finds


@dataclass(frozen=True)
class Tree:
    """What the sessions tree holds besides session files: entries not read (sorted by
    path), notes (folders differing only in case), and the client folders looked at."""

    skipped: tuple[Unreadable, ...] = ()
    notes: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rows:
    """Sessions in order, fetched as they are consumed, with what the tree holds besides.

    Each value is what was asked for: a Brief (a listing or CSV row), a Session (a summary:
    no recommendations), the JSON Lines record of one, or an Unreadable in the place of a
    file that cannot be read.
    """

    total: int
    tree: Tree
    rows: Iterator[Value]


# --------------------------------------------------------------------------- the two sources

# (second, session id, client folder): how rows are fetched, in pages; the sessions of one
# second are then put in their follow-up order (`_in_order`, clinical.order).
Key = tuple[int, str, str]
Known = dict[str, tuple[Stamp | None, int, bool, str | None]]


class _Indexed:
    """Rows from the index file, kept in step with the files."""

    def __init__(self, root: Path, store: Store) -> None:
        self.root = root
        self.sessions = sessions_dir(root)
        self._base = str(self.sessions)
        self.store = store
        # Rows read from their files by this command: not read a second time to check them.
        self._fresh: set[tuple[str, str]] = set()

    # ---- keeping up with the files

    def sync(self, client: str | None, every_file: bool) -> Tree:
        self._check_questionnaires()
        checked = now_ns()
        top = scan_top(self.root, client)
        folders = top.folders
        # A first build (many folders the index does not know yet) shows its progress.
        draw = progress.bar
        first = draw is not None and len(folders) >= PROGRESS_FROM + self.store.folder_count(
            client)
        bar = draw(len(folders)) if draw is not None and first else contextlib.nullcontext()
        with bar as advance:
            # A few hundred folders at a time, by name: the stored stamps of one stretch of
            # names are fetched at once, so memory does not grow with the store.
            for start in range(0, max(len(folders), 1), _FOLDERS_AT_ONCE):
                end = start + _FOLDERS_AT_ONCE
                chunk = folders[start:end]
                self._sync_stretch(chunk, chunk[0].name if start else None,
                                   folders[end].name if end < len(folders) else None,
                                   client, every_file, checked)
                if advance is not None:
                    advance(min(end, len(folders)))
        if every_file:
            self._drop_strays({e.name for e in folders}, client)
        if client is not None and not folders and top.skipped:
            # A linked client folder is still that client, reported rather than unknown.
            return Tree(top.skipped, (), (client,))
        inside = [Unreadable(self._path(e.folder, e.name), e.reason or "")
                  for e in self.store.not_sessions(client)]
        skipped = sorted((*top.skipped, *inside), key=lambda u: u.path)
        return Tree(tuple(skipped), top.notes, tuple(e.name for e in folders))

    def _drop_strays(self, present: set[str], client: str | None) -> None:
        """Drop the rows of folders that are not in the tree, also those without a folder
        row (left by a version that wrote rows of files erased meanwhile)."""
        stray = self.store.stored_folders(client) - present
        if stray:
            with self.store.writing():
                for name in sorted(stray):
                    self.store.drop_folder(name)

    def _sync_stretch(self, chunk: Sequence[FolderEntry], low: str | None,
                      high: str | None, client: str | None, every_file: bool,
                      checked: int) -> None:
        """The client folders in `chunk`, which are those named from `low` to before `high`
        (None: no bound): the changed ones read again, the stored ones gone dropped."""
        stored = self.store.folder_range(client, low, high)
        # Stamps that prove a folder unchanged (read long enough after its last change).
        proven = {r[:5] for r in stored
                  if r[1] is not None and r[5] - r[2] > db.RACY_NS}
        present = {e.name for e in chunk}
        todo: list[tuple[str, Stamp | None, bool]] = []
        for e in chunk:  # 20,000 folders a listing: kept to the stat and one set look-up
            try:
                info = e.stat(follow_symlinks=False)
            except OSError:
                todo.append((e.name, None, False))
                continue
            unchanged = (e.name, info.st_size, info.st_mtime_ns, info.st_ctime_ns,
                         info.st_ino) in proven
            if every_file or not unchanged:
                todo.append((e.name, stamp_of(info), unchanged))
        gone = [r[0] for r in stored if r[0] not in present]
        if gone:
            with self.store.writing():
                for name in gone:
                    self.store.drop_folder(name)
        if todo:
            self._sync_folders(todo, checked)

    def _sync_folders(self, todo: Sequence[tuple[str, Stamp | None, bool]],
                      checked: int) -> None:
        known = self.store.stamps(todo[0][0], todo[-1][0])
        pending: list[tuple[str, Stamp | None, list[tuple[Entry, str | None]], list[str]]] = []
        size = 0
        for name, stamp, unchanged in todo:
            entries, gone = self._read_folder(name, known.get(name, {}), checked)
            listed = not any(e.id is None and e.name == "" for e, _ in entries)
            # Nothing new, and the stored stamp already says so: nothing to write.
            if entries or gone or not unchanged:
                pending.append((name, stamp if listed else None, entries, gone))
                size += len(entries) + 1
            if size >= _WRITE_BATCH:
                self._write(pending, checked)
                pending, size = [], 0
        self._write(pending, checked)

    def _read_folder(self, name: str, known: Known, checked: int
                     ) -> tuple[list[tuple[Entry, str | None]], list[str]]:
        """The rows to write for the folder `name`, and the stored names to drop."""
        found = scan_folder(self.sessions, name)
        known = dict(known)
        entries: list[tuple[Entry, str | None]] = []
        for file_name in found.names:
            path = self._path(name, file_name)
            # When this file was looked at, not when the sync began: a first build takes
            # minutes, and files older than RACY_NS by then are trusted next time.
            looked = now_ns()
            stamp = _stamp(path)
            old = known.pop(file_name, None)
            if old is not None and old[2] and trusted(old[0], old[1], stamp):
                continue
            entries.append(index_entry(SessionRef(file_name[:-5], name, Path(path)), stamp, looked))
            self._fresh.add((file_name[:-5], name))
        for u in found.skipped:
            file_name = Path(u.path).name if found.listed else ""
            old = known.pop(file_name, None)
            if old is None or old[2] or old[3] != u.reason:
                entries.append((Entry(name, file_name, None, None, checked, u.reason), None))
        return entries, list(known)

    def _write(self, pending: Sequence[tuple[str, Stamp | None,
                                             list[tuple[Entry, str | None]], list[str]]],
               checked: int) -> None:
        if not pending:
            return
        with self.store.writing():
            for name, stamp, entries, gone in pending:
                self.store.drop(name, gone)
                # Only what is still there when the write begins (`forget` waits for it).
                if not os.path.lexists(self._path(name, "")):
                    self.store.drop_folder(name)
                    continue
                for entry, doc in entries:
                    self.store.put_present(self._path(entry.folder, entry.name), entry, doc)
                self.store.put_folder(name, stamp, checked)

    def _check_questionnaires(self) -> None:
        """Rows judged by questionnaires that changed are read again at their next check."""
        folder = questionnaires_dir()
        stamp = json.dumps(_folder_listing(folder))
        stored = self.store.meta("questionnaires")
        if stored == stamp:
            return
        known = _known_modules(folder)
        before = json.loads(self.store.meta("known") or "{}")
        with self.store.writing():
            if stored is not None:
                changed = {sha for sha in {*known, *before} if known.get(sha) != before.get(sha)}
                if changed:
                    self.store.distrust(changed)
            self.store.set_meta("known", json.dumps(known, sort_keys=True))
            self.store.set_meta("questionnaires", stamp)

    # ---- reading rows

    def _path(self, folder: str, name: str) -> str:
        return f"{self._base}{os.sep}{folder}{os.sep}{name}" if name \
            else f"{self._base}{os.sep}{folder}"

    def _value(self, entry: Entry, doc: bytes | str | None, what: What) -> Value:
        if entry.reason is not None:
            return Unreadable(self._path(entry.folder, entry.name), entry.reason)
        if what == "document":
            if doc is None:
                raise IndexProblem(f"no document for {entry.folder}/{entry.name}")
            return self.store.text(doc)
        if what == "brief":
            if entry.brief is None:
                raise IndexProblem(f"no brief for {entry.folder}/{entry.name}")
            try:
                return db.brief_of(entry.id or "", entry.brief)
            except (ValueError, TypeError, LookupError) as exc:
                raise IndexProblem(f"the brief of {entry.folder}/{entry.name}: {exc}") from None
        return self.store.summary(entry)

    def count(self, client: str | None) -> int:
        return self.store.count(client)

    def batch(self, newest_first: bool, client: str | None, key: Key | None, n: int,
              what: What, check: bool) -> list[tuple[Key, Value | None]]:
        out: list[tuple[Key, Value | None]] = []
        fresh: list[tuple[Entry, bytes | str | None]] = []
        gone: list[Entry] = []
        for row in self.store.rows(newest_first=newest_first, client=client, limit=n, key=key,
                                   what=what):
            entry = db.entry_of(row)
            doc: bytes | str | None = db.doc_of(row) if what == "document" else None
            row_key = (entry.second, entry.id or "", entry.folder)
            if check and row_key[1:] not in self._fresh:
                path = self._path(entry.folder, entry.name)
                stamp = _stamp(path)
                if stamp is None and not os.path.lexists(path):
                    # Deleted (erased) since the sync: no session any more, and no row.
                    gone.append(entry)
                    out.append((row_key, None))
                    continue
                if not trusted(entry.stamp, entry.checked_ns, stamp):
                    # Changed since it was read (or read too soon after a change): again.
                    entry, doc = index_entry(SessionRef(entry.id or "", entry.folder, Path(path)),
                                       stamp, now_ns())
                    fresh.append((entry, doc))
                    self._fresh.add(row_key[1:])
            out.append((row_key, self._value(entry, doc, what)))
        if fresh or gone:
            with self.store.writing():
                for entry in gone:
                    self.store.drop(entry.folder, [entry.name])
                for entry, doc in fresh:
                    self.store.put_present(self._path(entry.folder, entry.name), entry, doc)
        return out

    def _refs(self, prefix: str) -> list[SessionRef]:
        return [SessionRef(i, folder, Path(self._path(folder, name)))
                for folder, name, i in self.store.ids_starting(prefix)]

    def starting(self, prefix: str) -> list[SessionRef] | None:
        """Sessions by id prefix as the index has them; None if they must be synced first.

        A complete id the index knows, whose file is still there, needs no sync: ids carry
        the second and random digits, so no other folder holds it (`review SESSION` among
        100,000 sessions then reads no folder at all).
        """
        if not is_session_id(prefix):
            return None
        refs = self._refs(prefix)
        if refs and all(os.path.lexists(r.path) for r in refs):
            return refs
        return None

    def synced_starting(self, prefix: str) -> list[SessionRef]:
        return self._refs(prefix)

    def groups(self) -> list[str]:
        return self.store.client_groups()


class _Files:
    """Rows read straight from the files, for when the index cannot be used."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # By the second of their ids (the files are not read to learn their time: a file
        # whose `created` was edited away from its id is placed by its id here), id, client.
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
        refs = self._of(client)
        keys = [k for k, _ in refs]
        if newest_first:
            end = len(refs) if key is None else bisect.bisect_left(keys, key)
            chosen = refs[max(0, end - n):end][::-1]
        else:
            start = 0 if key is None else bisect.bisect_right(keys, key)
            chosen = refs[start:start + n]
        return [(k, _file_value(r, what)) for k, r in chosen]

    def starting(self, prefix: str) -> list[SessionRef] | None:
        return None

    def synced_starting(self, prefix: str) -> list[SessionRef]:
        return sorted((r for _, r in self.refs if r.id.startswith(prefix)),
                      key=lambda r: (r.id, r.client))

    def groups(self) -> list[str]:
        return [refs[0][1].client for _, refs in sorted(self.by_client.items())]


Source = _Indexed | _Files


def _in_order(run: list[tuple[Key, Value]], newest_first: bool) -> list[Value]:
    """The values of one second's rows in visit order (clinical.order)."""
    if len(run) == 1:
        return [run[0][1]]
    ordered = in_order(run, lambda row: (*row[0], _follows(row[1])))
    return [value for _, value in (ordered[::-1] if newest_first else ordered)]


def _follows(value: Value) -> str | None:
    if isinstance(value, Unreadable):
        return None
    if isinstance(value, str):  # a JSON Lines record
        follows = json.loads(value).get("follows")
        return follows if isinstance(follows, str) else None
    return value.follows


def _stamp(path: str | Path) -> Stamp | None:
    try:
        return stamp_of(os.lstat(path))
    except OSError:
        return None  # gone or unreachable: the reader says why


def _file_value(ref: SessionRef, what: What) -> Value:
    try:
        session = read_ref(ref)
    except SessionFileError as exc:
        return Unreadable.of(exc)
    if what == "document":
        return document_line(session)
    return brief(session) if what == "brief" else session


def _folder_listing(folder: Path) -> list[list[object]]:
    """Every entry of the questionnaires folder with its stamp: any change shows here."""
    try:
        entries = list(os.scandir(folder))
    except OSError as exc:
        return [["?", exc.errno]]
    out: list[list[object]] = []
    for e in sorted(entries, key=lambda e: e.name):
        try:
            info = e.stat(follow_symlinks=True)
            out.append([e.name, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino])
        except OSError:
            out.append([e.name])
    return out


def _known_modules(folder: Path) -> dict[str, str]:
    """sha256 -> module id of every questionnaire text that can judge stored answers."""
    from ...clinical.questionnaire import modules_by_hash

    return {sha: m.id for sha, m in modules_by_hash(folder).items()}


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
        self._source = _Indexed(self.root, self._store)
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
                rebuilt = _Indexed(self.root, self._store)
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
                   for value in _in_order(run, newest_first))
        return ordered if limit is None else itertools.islice(ordered, limit)

    def _runs(self, newest_first: bool, client: str | None, limit: int | None, what: What,
              check: bool) -> Iterator[list[tuple[Key, Value]]]:
        """The rows in pages by (second, id, folder), one run of a second at a time: a run
        is given whole, so that `_in_order` sees every session of its second."""
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
