"""Keeping the summary index's rows in step with the session files.

Client folders are stat-ed, and read again only when their stamp changed (a save renames a
file into its folder, which changes the folder's time); a thorough sync (`every_file`) checks
every file's stamp. A changed file is read by the one reader (storage.index_entry) and its
row written; rows of files that are gone are dropped. The rows a command shows are checked
against their files once more as they are fetched (`Indexed.batch`).

After an upgrade (other rules judged the rows: db.Store.judged_by_other_rules) the first sync
checks every file, and judges again what the TOML parser made of each unchanged one, as the index
keeps it (storage.rejudged_entry): only changed files are parsed again, and only rows whose
judgement changed are written. A sync with many files to read or judge (a first build) does
that in a pool of processes, one for each core; a few hundred stay in this process, which
is quicker than starting the pool.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...frozen import frozen
from .. import progress
from ..paths import is_session_id, questionnaires_dir, sessions_dir
from ..storage import index_entry, rejudged_entry
from ..tree import FolderEntry, SessionRef, Unreadable, scan_folder, scan_top
from .codec import (
    Body,
    Entry,
    IndexProblem,
    Stamp,
    Value,
    What,
    brief_of,
    now_ns,
    packed,
    stamp_of,
)
from .db import Store, Stored, entry_of
from .order import Key

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

# A sync with this many client folders to read shows its progress (records/progress.py);
# fewer take a second or so.
PROGRESS_FROM = 200
# A sync with this many files to read or judge does it in a pool of processes (when there is
# more than one core): starting one costs more than a few hundred files take in this one.
POOL_FROM = 300

# Rows read from files are written in one transaction per this many (a commit syncs the disk).
_WRITE_BATCH = 400
_FOLDERS_AT_ONCE = 200  # client folders whose stored stamps are fetched in one query

# A stamp taken this close to the file's own modification time proves nothing: another write
# in the same clock tick (coarse on some file systems) would leave the same stamp. Such a
# row is read again at its next check, as git does with "racily clean" files.
RACY_NS = 3_000_000_000


def trusted(stored: Stamp | None, checked_ns: int, now: Stamp | None) -> bool:
    """Whether a row stamped `stored` at `checked_ns` still describes a file stamped `now`."""
    return stored is not None and stored == now and checked_ns - stored[1] > RACY_NS


@frozen
class Tree:
    """What the sessions tree holds besides session files: entries not read (sorted by
    path), notes (folders differing only in case), and the client folders looked at."""

    skipped: tuple[Unreadable, ...] = ()
    notes: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()


# --------------------------------------------------------------------------- the work

# A file to read, or to judge again from what the TOML parser made of it (in the stored body): its
# client folder, name, path, stamp (taken before it is read), when the stamp was taken, the
# stored body (None: read the file), and the judgement stored (a row judged as it was is
# not written again).
Job = tuple[str, str, str, Stamp | None, int, Body | None, int | None]
Row = tuple[Entry, str | None]


@frozen
class Judge:
    """Makes the rows of jobs, in this process or in a worker of the pool: everything it
    needs travels with it (no state of the process that made it)."""

    questionnaires: Path
    zdict: bytes

    def __call__(self, job: Job) -> Row | None:
        """The row of the job's file, compressed; None when it says what the stored one
        says."""
        folder, name, path, stamp, looked, body, judged = job
        ref = SessionRef(name[:-5], folder, Path(path))
        if body is None:
            entry, doc = index_entry(ref, stamp, looked, questionnaires=self.questionnaires)
        else:
            entry, doc = rejudged_entry(ref, body.part(self.zdict, 2), stamp, looked,
                                        questionnaires=self.questionnaires)
        if judged is not None and entry.judged == judged:
            return None
        return packed(entry, doc, self.zdict)


@frozen
class _Flat:
    """A Judge in a worker of the pool: its entries go back as plain tuples, which cost
    far less to send than the objects."""

    judge: Judge

    def __call__(self, job: Job) -> tuple[tuple[Any, ...], str | None] | None:
        row = self.judge(job)
        return None if row is None else (tuple(vars(row[0]).values()), row[1])


def cores() -> int:
    """The cores this process may run on."""
    count = getattr(os, "process_cpu_count", None)  # Python 3.13
    if count is not None:
        return int(count() or 1)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _start_worker() -> None:
    # Ctrl-C is the command's to handle: it stops the pool (a worker would print a
    # traceback of its own).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A worker parses and judges files, making trees of dicts and lists but no reference
    # cycles: what it inherited is frozen (the collector neither scans it nor, touching its
    # reference counts, copies its pages), and collections are rarer.
    gc.freeze()
    gc.set_threshold(20_000, 50, 50)


class _Work:
    """The jobs of one sync: in this process until there are POOL_FROM of them, then in a
    pool of processes, one for each core. Rows come back in the order of their jobs."""

    def __init__(self, make_judge: Callable[[], Judge]) -> None:
        self.make_judge = make_judge
        self.pool: Pool | None = None
        self.jobs = 0

    def start(self) -> None:
        """Start the pool now (before a progress bar starts a thread: not forked with one)."""
        if self.pool is None and cores() > 1:
            # About 10 ms to import: only a sync with a pool's worth of files starts one.
            import multiprocessing

            self.pool = multiprocessing.get_context().Pool(cores(), _start_worker)

    def run(self, jobs: Sequence[Job]) -> Iterator[Row | None]:
        if not jobs:
            return iter(())
        self.jobs += len(jobs)
        if self.pool is None and self.jobs >= POOL_FROM:
            self.start()
        judge = self.make_judge()
        if self.pool is None or len(jobs) < 2:
            return map(judge, jobs)
        rows = self.pool.imap(_Flat(judge), jobs, chunksize=max(1, min(32, len(jobs) // 8)))
        return (None if flat is None else (Entry(*flat[0]), flat[1]) for flat in rows)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


@dataclass
class _Folder:
    """One client folder of a sync: its stamp, the jobs of its files, its entries that are
    not read, the names gone."""

    name: str
    stamp: Stamp | None
    unchanged: bool
    listed: bool
    jobs: list[Job]
    others: list[Row]
    gone: list[str]


# The client folders of a stretch looked at, and their rows as they come.
Stretch = tuple[list["_Folder"], Iterator[Row | None]]
# A client folder to write: its stamp, its rows (entry and document), the names gone.
Pending = tuple[str, Stamp | None, list[Row], list[str]]


class Indexed:
    """Rows from the index file, kept in step with the files."""

    def __init__(self, root: Path, store: Store) -> None:
        self.root = root
        self.sessions = sessions_dir(root)
        self._base = str(self.sessions)
        self.store = store
        # Rows read from their files by this command: not read a second time to check them.
        self._fresh: set[tuple[str, str]] = set()
        self._judge: Judge | None = None

    # ---- keeping up with the files

    def sync(self, client: str | None, every_file: bool) -> Tree:
        self._check_questionnaires()
        if self.store.judged_by_other_rules():
            # After an upgrade: every row is judged again before any is used.
            tree = self._sync(None, every_file=True, again=True)
            with self.store.writing():
                self.store.judged_again()
            if client is None:
                return tree
        return self._sync(client, every_file, again=False)

    def _sync(self, client: str | None, every_file: bool, again: bool) -> Tree:
        checked = now_ns()
        top = scan_top(self.root, client)
        folders = top.folders
        # A first build (many folders the index does not know yet), or judging every row
        # again, shows its progress.
        draw = progress.bar
        shown = draw is not None and len(folders) >= PROGRESS_FROM + (
            0 if again else self.store.folder_count(client))
        work = _Work(self.judge)
        try:
            if shown:
                work.start()
            bar = draw(len(folders)) if draw is not None and shown \
                else contextlib.nullcontext()
            with bar as advance:
                # A few hundred folders at a time, by name: the stored stamps of one stretch
                # of names are fetched at once, so memory does not grow with the store. The
                # next stretch's files are handed to the pool before this one's rows are
                # written, so that the workers never wait for the writing.
                ahead: tuple[Stretch, int] | None = None
                for start in range(0, max(len(folders), 1), _FOLDERS_AT_ONCE):
                    end = start + _FOLDERS_AT_ONCE
                    chunk = folders[start:end]
                    stretch = self._look_at_stretch(
                        chunk, chunk[0].name if start else None,
                        folders[end].name if end < len(folders) else None, client,
                        every_file, checked, again, work)
                    if ahead is not None:
                        self._finish(ahead[0], checked)
                        if advance is not None:
                            advance(ahead[1])
                    ahead = stretch, min(end, len(folders))
                if ahead is not None:
                    self._finish(ahead[0], checked)
                    if advance is not None:
                        advance(ahead[1])
        finally:
            work.close()
        if every_file:
            self._drop_strays({e.name for e in folders}, client)
        if client is not None and not folders and top.skipped:
            # A linked client folder is still that client, reported rather than unknown.
            return Tree(top.skipped, (), (client,))
        inside = [Unreadable(self._path(e.folder, e.name), e.reason or "")
                  for e in self.store.not_sessions(client)]
        skipped = sorted((*top.skipped, *inside), key=lambda u: u.path)
        return Tree(tuple(skipped), top.notes, tuple(e.name for e in folders))

    def judge(self) -> Judge:
        """The Judge of this index (its dictionary made now if it has none yet)."""
        if self._judge is None:
            with self.store.writing():
                zdict = self.store.dictionary(make=True)
            self._judge = Judge(questionnaires_dir(), zdict)
        return self._judge

    def _drop_strays(self, present: set[str], client: str | None) -> None:
        """Drop the rows of folders that are not in the tree, also those without a folder
        row (left by a version that wrote rows of files erased meanwhile)."""
        stray = self.store.stored_folders(client) - present
        if stray:
            with self.store.writing():
                for name in sorted(stray):
                    self.store.drop_folder(name)

    def _look_at_stretch(self, chunk: Sequence[FolderEntry], low: str | None,
                         high: str | None, client: str | None, every_file: bool,
                         checked: int, again: bool, work: _Work) -> Stretch:
        """The client folders in `chunk`, which are those named from `low` to before `high`
        (None: no bound): the stored ones gone dropped, and the changed ones looked at, their
        files handed to `work` (`_finish` writes their rows)."""
        stored = self.store.folder_range(client, low, high)
        # Stamps that prove a folder unchanged (read long enough after its last change).
        proven = {r[:5] for r in stored
                  if r[1] is not None and r[5] - r[2] > RACY_NS}
        present = {e.name for e in chunk}
        todo: list[tuple[str, Stamp | None, bool]] = []
        for e in chunk:  # 20,000 folders a listing: kept to the stat and one set look-up
            try:
                # Not e.stat(): an os.DirEntry keeps what it stat-ed, and the sync holds
                # every client folder's entry to its end (memory growing with the sessions).
                info = os.lstat(e.path)
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
        if not todo:
            return [], iter(())
        known = self.store.stamps(todo[0][0], todo[-1][0], parsed=again)
        folders = [self._look_at(name, stamp, unchanged, known.get(name, {}), checked, again)
                   for name, stamp, unchanged in todo]
        return folders, work.run([job for f in folders for job in f.jobs])

    def _finish(self, stretch: Stretch, checked: int) -> None:
        """Write the rows of a stretch of folders (`_look_at_stretch`) as they come."""
        folders, rows = stretch
        pending: list[Pending] = []
        size = 0
        for f in folders:
            entries = list(f.others)
            # None: judged again as it was, nothing to write.
            entries += (row for row in _take(rows, len(f.jobs)) if row is not None)
            # Nothing new, and the stored stamp already says so: nothing to write.
            if entries or f.gone or not f.unchanged:
                pending.append((f.name, f.stamp if f.listed else None, entries, f.gone))
                size += len(entries) + 1
            if size >= _WRITE_BATCH:
                self._write(pending, checked)
                pending, size = [], 0
        self._write(pending, checked)

    def _look_at(self, name: str, stamp: Stamp | None, unchanged: bool,
                 known: dict[str, Stored], checked: int, again: bool) -> _Folder:
        """What to do in the folder `name`: the files to read or judge again, the entries
        that are not read, and the stored names to drop."""
        found = scan_folder(self.sessions, name)
        known = dict(known)
        jobs: list[Job] = []
        for file_name in found.names:
            path = self._path(name, file_name)
            # When this file was looked at, not when the sync began: a first build takes
            # minutes, and files older than RACY_NS by then are trusted next time.
            looked = now_ns()
            now = _stamp(path)
            old = known.pop(file_name, None)
            if old is not None and old.session and trusted(old.stamp, old.checked_ns, now):
                if not again:
                    continue
                # Unchanged since it was read: what the TOML parser made of it is judged again, or
                # (when nothing of it is kept) it is read again.
                since = looked if old.body is None else old.checked_ns
                jobs.append((name, file_name, path, now, since, old.body, old.judged))
                continue
            jobs.append((name, file_name, path, now, looked, None, None))
            self._fresh.add((file_name[:-5], name))
        others: list[Row] = []
        for u in found.skipped:
            file_name = Path(u.path).name if found.listed else ""
            old = known.pop(file_name, None)
            if old is None or old.session or old.reason != u.reason:
                others.append((Entry(name, file_name, None, None, checked, u.reason), None))
        return _Folder(name, stamp, unchanged, found.listed, jobs, others, list(known))

    def _write(self, pending: Sequence[Pending], checked: int) -> None:
        if not pending:
            return
        with self.store.writing():
            present: list[tuple[str, Stamp | None]] = []
            for name, stamp, _, gone in pending:
                self.store.drop(name, gone)
                # Only what is still there when the write begins (`forget` waits for it).
                if os.path.lexists(self._path(name, "")):
                    present.append((name, stamp))
                else:
                    self.store.drop_folder(name)
            kept = {name for name, _ in present}
            self.store.put_all_present(
                (self._path(entry.folder, entry.name), entry, doc)
                for name, _, entries, _ in pending if name in kept for entry, doc in entries)
            # After its rows: a folder's row counts them.
            for name, stamp in present:
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

    def _value(self, entry: Entry, doc: str | None, what: What) -> Value:
        if entry.reason is not None:
            return Unreadable(self._path(entry.folder, entry.name), entry.reason)
        if what == "document":
            return self.store.document(entry, doc)
        if what == "brief":
            if entry.brief is None:
                raise IndexProblem(f"no brief for {entry.folder}/{entry.name}")
            try:
                return brief_of(entry.id or "", entry.brief)
            except (ValueError, TypeError, LookupError) as exc:
                raise IndexProblem(f"the brief of {entry.folder}/{entry.name}: {exc}") from None
        return self.store.summary(entry)

    def count(self, client: str | None) -> int:
        return self.store.count(client)

    def batch(self, newest_first: bool, client: str | None, key: Key | None, n: int,
              what: What, check: bool) -> list[tuple[Key, Value | None]]:
        out: list[tuple[Key, Value | None]] = []
        fresh: list[Row] = []
        gone: list[Entry] = []
        for row in self.store.rows(newest_first=newest_first, client=client, limit=n, key=key,
                                   what=what):
            entry = entry_of(row)
            doc: str | None = None
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


def _take(rows: Iterator[Row | None], n: int) -> Iterable[Row | None]:
    return (next(rows) for _ in range(n))


def _stamp(path: str | Path) -> Stamp | None:
    try:
        return stamp_of(os.lstat(path))
    except OSError:
        return None  # gone or unreachable: the reader says why



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
    # The questionnaire model: only when the questionnaires folder changed.
    from ...clinical.questionnaire import modules_by_hash

    return {sha: m.id for sha, m in modules_by_hash(folder).items()}

