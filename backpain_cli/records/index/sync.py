"""Keeping the summary index's rows in step with the session files.

Client folders are stat-ed, and read again only when their stamp changed (a save renames a
file into its folder, which changes the folder's time); a thorough sync (`every_file`) checks
every file's stamp. A changed file is read by the one reader (storage.index_entry) and its
row written; rows of files that are gone are dropped. The rows a command shows are checked
against their files once more as they are fetched (`Indexed.batch`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import progress
from ..paths import is_session_id, questionnaires_dir, sessions_dir
from ..storage import index_entry
from ..tree import FolderEntry, SessionRef, Unreadable, scan_folder, scan_top
from .codec import Entry, IndexProblem, Stamp, Value, What, brief_of, now_ns, stamp_of
from .db import Store, doc_of, entry_of
from .order import Key

# A sync with this many client folders to read shows its progress (records/progress.py);
# fewer take a second or so.
PROGRESS_FROM = 200

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


@dataclass(frozen=True)
class Tree:
    """What the sessions tree holds besides session files: entries not read (sorted by
    path), notes (folders differing only in case), and the client folders looked at."""

    skipped: tuple[Unreadable, ...] = ()
    notes: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()


Known = dict[str, tuple[Stamp | None, int, bool, str | None]]


class Indexed:
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
                  if r[1] is not None and r[5] - r[2] > RACY_NS}
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
                return brief_of(entry.id or "", entry.brief)
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
            entry = entry_of(row)
            doc: bytes | str | None = doc_of(row) if what == "document" else None
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
    from ...clinical.questionnaire import modules_by_hash

    return {sha: m.id for sha, m in modules_by_hash(folder).items()}

