"""Erasing a client's health data, or one session of it (`backpain forget`).

A practitioner must be able to honour a client's request to erase their data. `plan_client`
and `plan_session` find what would go, by folder listings alone (an unreadable or corrupt
session file is health data all the same); `erase` deletes it, removes the client folder
when nothing else is left in it, and removes the deleted files' rows from the summary index.

Only what backpain writes is deleted, and only inside the data folder: session files (drafts
among them) and the temp files a crashed save may have left. A symbolic link is never
followed nor deleted, and anything else found in a client folder (a folder, a file of the
practitioner's) is left where it is and named, so that nothing is deleted that backpain did
not write and nothing that remains goes unmentioned.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import NotFoundError, StorageError
from ..files import LINKED
from ..frozen import frozen
from .atomic import TMP_RE, fsync_folder  # one rule for what atomic_fd's temp files look like
from .paths import ADDENDUM_SEPARATOR, data_dir, is_addendum_name, sessions_dir
from .storage import client_folder
from .tree import SessionRef, Unreadable, is_session_name

NOT_OURS = "not a session file (backpain did not write it)"
A_FOLDER = "a folder"
NOT_REGULAR = "not a regular file"
SWAPPED = ("no longer the client's folder: something else was put in its place while it "
           "was erased (nothing in it was deleted)")


@frozen
class Erasure:
    """What `erase` will delete, found before anyone is asked to confirm it."""

    root: Path
    client: str  # as its folder is spelled on disk
    session: str | None  # None: every session of the client
    files: tuple[Path, ...]  # session files and crashed saves' temp files, by path
    folders: tuple[Path, ...]  # the client's folders (several if they differ in case)
    left: tuple[Unreadable, ...] = ()  # what is in them but will not be deleted, and why

    @property
    def session_ids(self) -> tuple[str, ...]:
        return tuple(p.stem for p in self.files if is_session_name(p.name))


@frozen
class Erased:
    """What `erase` did: the files deleted, the folders removed, and what is left.

    `index_kept`: the summary index file that still holds rows of what was erased, because
    it could be neither updated nor deleted (a read-only cache folder); None when nothing of
    it is left in the cache.
    """

    files: tuple[Path, ...]
    folders: tuple[Path, ...]
    left: tuple[Unreadable, ...]
    stopped: bool = False  # interrupted: files of the plan that are not in `files` remain
    index_kept: Path | None = None  # the summary index that could be neither updated nor deleted

    @property
    def session_ids(self) -> tuple[str, ...]:
        return tuple(p.stem for p in self.files if is_session_name(p.name))


def _kind(entry: os.DirEntry[str]) -> str | None:
    """None for a file `forget` deletes, else why the entry stays."""
    if entry.is_symlink():
        return LINKED
    if entry.is_dir(follow_symlinks=False):
        return A_FOLDER
    if not (is_session_name(entry.name) or is_addendum_name(entry.name)
            or TMP_RE.fullmatch(entry.name)):
        return NOT_OURS
    if not entry.is_file(follow_symlinks=False):
        return NOT_REGULAR
    return None


def _client_folders(root: Path, client: str) -> list[Path]:
    """The client's folders (any case), refusing a linked sessions or client folder."""
    sessions = sessions_dir(root)
    try:
        info = os.lstat(sessions)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StorageError(f"{sessions}: cannot read the sessions folder ({exc.strerror})") \
            from None
    if stat.S_ISLNK(info.st_mode):
        raise StorageError(f"{sessions}: the sessions folder is a symbolic link; backpain "
                           "deletes nothing through links inside the data folder")
    folders = []
    try:
        entries = list(os.scandir(sessions))
    except OSError as exc:
        raise StorageError(f"{sessions}: cannot read the sessions folder ({exc.strerror})") \
            from None
    for e in sorted(entries, key=lambda e: e.name):
        if e.name.lower() != client.lower():
            continue
        if e.is_symlink():
            raise StorageError(f"{e.path}: the client folder is a symbolic link; backpain "
                               "deletes nothing through links inside the data folder")
        if e.is_dir(follow_symlinks=False):
            folders.append(Path(e.path))
    return folders


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        return sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise StorageError(f"{folder}: cannot read the client folder ({exc.strerror})") \
            from None


def plan_client(client: str, root: Path | None = None) -> Erasure:
    """Every file of `client` (its folder as spelled on disk) that `erase` would delete."""
    base = root or data_dir()
    folders = _client_folders(base, client)
    if not folders:
        raise NotFoundError(f"no client {client!r}")
    files: list[Path] = []
    left: list[Unreadable] = []
    for folder in folders:
        for e in _entries(folder):
            reason = _kind(e)
            if reason is None:
                files.append(Path(e.path))
            else:
                left.append(Unreadable(e.path, reason))
    return Erasure(base, folders[0].name, None, tuple(files), tuple(folders), tuple(left))


def plan_session(ref: SessionRef, root: Path | None = None) -> Erasure:
    """The session file of `ref` and the temp files a crashed save of it left."""
    base = root or data_dir()
    folder = ref.path.parent
    if folder not in _client_folders(base, ref.client):
        raise NotFoundError(f"no session with id {ref.id!r}")
    files: list[Path] = []
    left: list[Unreadable] = []
    for e in _entries(folder):
        # The session, its addenda (erased with it), and what crashed saves of them left.
        addendum = e.name.startswith(f"{ref.id}{ADDENDUM_SEPARATOR}")
        if not (e.name == ref.path.name or (addendum and is_addendum_name(e.name))
                or (TMP_RE.fullmatch(e.name)
                    and (e.name.startswith(f".{ref.path.name}.")
                         or e.name.startswith(f".{ref.id}{ADDENDUM_SEPARATOR}")))):
            continue
        reason = _kind(e)
        if reason is None:
            files.append(Path(e.path))
        else:
            left.append(Unreadable(e.path, reason))
    if not any(p.name == ref.path.name for p in files) and not left:
        raise NotFoundError(f"{ref.path}: no such file (already deleted?)")
    return Erasure(base, ref.client, ref.id, tuple(files), (folder,), tuple(left))


def erase(plan: Erasure, stop: Callable[[], bool] = lambda: False) -> Erased:
    """Delete the files of `plan`, then the client folders left empty; then forget their
    rows in the summary index (every row of the client's folders, for a whole client), also
    when a deletion fails part way (StorageError).

    Every client folder is opened once, link by link below the data folder (never through
    a link), and each file is deleted by its name in that handle: a folder swapped for a
    link while this runs cannot redirect a deletion (issue 17 item 9). `stop` is asked
    before each file (Ctrl-C in cli/forget): when it says so, the rest is left, no folder
    is removed, and the result says what was erased (`Erased.stopped`).
    """
    deleted: list[Path] = []
    removed: list[Path] = []
    swapped: list[Unreadable] = []
    stopped = False
    failed: StorageError | None = None
    kept: Path | None = None
    with contextlib.ExitStack() as stack:
        handles = {folder: stack.enter_context(
            client_folder(plan.root, folder.name, verb="deletes")) for folder in plan.folders}
        try:
            try:
                for path in plan.files:
                    if stop():
                        stopped = True
                        break
                    _delete(handles[path.parent][2], path, deleted)
            finally:
                for _, _, folder_fd in handles.values():
                    fsync_folder(folder_fd)
            if not stopped:
                _remove_folders(handles, removed, swapped)
        except StorageError as exc:
            failed = exc
        finally:
            # After the folders: a listing writing meanwhile finds them gone, or its rows go
            # now. A whole client's folder rows go with it, unless it was stopped part way.
            whole = plan.session is None and not stopped
            kept = _forget_rows(plan.root, deleted, plan.folders if whole else removed)
        if failed is not None:
            raise StorageError(str(failed) if kept is None
                               else f"{failed}; {still_indexed(kept)}") from None
        # Stopped: the files of the plan not yet deleted are what the caller names.
        waiting = ({str(p) for p in plan.files} - {str(p) for p in deleted} if stopped
                   else set())
        folder_fds = {folder: h[2] for folder, h in handles.items()}
        left = [*plan.left, *swapped, *_left_now(plan, removed, folder_fds, waiting)]
    return Erased(tuple(deleted), tuple(removed), tuple(dict.fromkeys(left)), stopped, kept)


def still_indexed(index: Path) -> str:
    """What to say when the summary index file `index` still holds erased rows."""
    return (f"the summary index {index} still holds rows of what was erased: it could be "
            f"neither updated nor deleted; delete that file yourself (rm {shlex.quote(str(index))}"
            "; it is a cache, rebuilt by the next command)")


def _remove_folders(handles: dict[Path, tuple[int, int, int]], removed: list[Path],
                    swapped: list[Unreadable]) -> None:
    for folder, (_, sessions_fd, _) in handles.items():
        try:
            # rmdir never follows a link, and removes only an empty folder.
            os.rmdir(folder.name, dir_fd=sessions_fd)
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                continue  # not empty: what is left is named; gone: nothing to do
            if exc.errno == errno.ENOTDIR:
                # The folder was swapped for a link (or a file) while it was erased; its
                # own files went, the link and what it points to stay.
                swapped.append(Unreadable(str(folder), SWAPPED))
                continue
            raise StorageError(f"cannot remove the folder {folder}: "
                               f"{exc.strerror or exc}") from None
        removed.append(folder)
        fsync_folder(sessions_fd)


def _delete(folder: int, path: Path, deleted: list[Path]) -> None:
    # Checked again at the moment of deleting, in the folder's handle: a file replaced by
    # a link or a folder since it was listed is left (and named by _left_now).
    try:
        info = os.stat(path.name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return  # already gone (another window): nothing of it is left
    except OSError as exc:
        raise StorageError(f"cannot delete {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        return  # reported by _left_now
    try:
        # unlink removes the name itself: a link put there meanwhile goes, never its target.
        os.unlink(path.name, dir_fd=folder)
    except FileNotFoundError:
        return
    except OSError as exc:
        denied = exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
        reason = "permission denied (read-only or not yours)" if denied \
            else exc.strerror or str(exc)
        raise StorageError(f"cannot delete {path}: {reason}; deleted before it: "
                           f"{len(deleted)} file{'s' if len(deleted) != 1 else ''}") from None
    deleted.append(path)


def _left_now(plan: Erasure, removed: list[Path], handles: dict[Path, int],
              waiting: set[str]) -> list[Unreadable]:
    """Entries of a whole client's folders that are still there (a file that became a link,
    one saved meanwhile), besides those the plan already named and the files of the plan
    `waiting` (not deleted: the erasure was stopped); looked at through the folders'
    handles."""
    if plan.session is not None:
        out = []
        for p in plan.files:
            if str(p) in waiting:
                continue
            with contextlib.suppress(FileNotFoundError):
                os.stat(p.name, dir_fd=handles[p.parent], follow_symlinks=False)
                out.append(Unreadable(str(p), NOT_REGULAR))
        return out
    named = {u.path for u in plan.left} | {Unreadable(p, "").path for p in waiting}
    out = []
    for folder in plan.folders:
        if folder in removed:
            continue
        with contextlib.suppress(OSError):
            for e in sorted(os.scandir(handles[folder]), key=lambda e: e.name):
                path = str(folder / e.name)
                if Unreadable(path, "").path not in named:
                    out.append(Unreadable(path, _kind(e) or "saved while it was erased"))
    return out


def _forget_rows(root: Path, paths: list[Path], folders: Sequence[Path]) -> Path | None:
    # The summary index must not keep a summary of erased health data.
    from .index.reader import forget

    return forget(root, paths, folders)
