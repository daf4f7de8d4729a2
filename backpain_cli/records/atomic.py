"""Writing files so that nothing is lost: whole or not at all, and private to the user.

Session files, exports, the settings file and shell completion scripts are all written here:
the new content goes to a private temp file beside the target (`TMP_RE` tells one), is
fsynced and then renamed (or linked, when an existing file must never be replaced), and the
folder entry is synced. Every name is created, renamed and removed inside an open handle of
its folder (dir_fd), never by a path checked first and used later: a folder swapped for a
link meanwhile cannot redirect a write. OS errors become one StorageError line. Below storage
and settings, which both write, so that neither imports the other.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import StorageError

FILE_MODE = 0o600
DIR_MODE = 0o700

# A temp file of `atomic_fd`: "." + the target's name + 8 hex digits + ".tmp".
TMP_RE = re.compile(r"\..+\.[0-9a-f]{8}\.tmp")


# The kernel's and the devices' folders: never a place for health data, though /proc and
# /sys are folders and /dev holds some (issue 17 item 13).
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")


def system_folder(path: Path) -> str | None:
    """The system folder `path` is in (or is), once links are resolved, or None."""
    real = os.path.realpath(path)
    return next((top for top in SYSTEM_FOLDERS
                 if real == top or real.startswith(top + os.sep)), None)


def ensure_dir(path: Path, root: Path) -> None:
    """Create `path` and any missing parents up to and including `root`, each 0700."""
    # Above the data folder the folders are the user's, not ours (a fresh account may not
    # have ~/.local/share yet): create them as `mkdir -p` would, with the usual mode.
    root.parent.mkdir(parents=True, exist_ok=True)
    missing: list[Path] = []
    p = path
    while not p.exists():
        missing.append(p)
        if p == root or p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=DIR_MODE)
        # mkdir's mode is filtered by the umask; health data folders must be private.
        os.chmod(d, DIR_MODE)


def ensure_private_dir(folder: Path) -> None:
    """Create `folder` (0700) if it is missing; an existing folder is left as it is.

    For the settings file's folder, which may be one the practitioner chose and shares
    with other files ($BACKPAIN_CONFIG): only what backpain creates is made private.
    """
    try:
        ensure_dir(folder, folder)
    except OSError as exc:
        raise StorageError(describe(exc, folder)) from None


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def describe(exc: OSError, target: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"cannot write {target}: the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {target}: permission denied (read-only or not yours)"
    return f"cannot write {target}: {exc.strerror or exc}"


# Folder handles: every name is looked up inside an open folder (dir_fd), so a folder
# swapped for a symbolic link after it was opened changes nothing for the writer.
FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def open_folder(path: Path) -> int:
    """A handle of the folder at `path`, following links: the practitioner's own path (an
    export's folder, the data folder itself). Raises OSError."""
    return os.open(path, FOLDER_FLAGS)


def open_subfolder(parent: int, name: str, *, create: bool) -> int:
    """A handle of the folder `name` inside the open folder `parent`, refusing a link
    (O_NOFOLLOW: ELOOP, or ENOTDIR for a link or a file); made 0700 when `create` and
    missing. Raises OSError."""
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, DIR_MODE, dir_fd=parent)
    return os.open(name, FOLDER_FLAGS | os.O_NOFOLLOW, dir_fd=parent)


def fsync_folder(fd: int) -> None:
    """Make the folder's entries durable; best effort (some file systems refuse)."""
    with contextlib.suppress(OSError):
        os.fsync(fd)


# File systems without hard links (FAT and exFAT memory sticks, some network shares).
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK}


def _place_new(tmp: str, name: str, folder: int) -> None:
    """Move `tmp` to `name` in `folder`, which must not hold it yet (FileExistsError)."""
    try:
        # link() refuses an existing name atomically, unlike rename().
        os.link(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        # Claim the name first (O_EXCL is atomic everywhere), then rename over the claim.
        # A crash between the two leaves an empty file, reported as unreadable, never a
        # half-written one.
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                         | os.O_CLOEXEC, FILE_MODE, dir_fd=folder))
        os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
        return
    os.unlink(tmp, dir_fd=folder)


@contextlib.contextmanager
def atomic_fd(target: Path, *, overwrite: bool, folder: int | None = None) -> Iterator[int]:
    """A file descriptor for the new content of `target`, put in place whole or not at all.

    The content goes to a private temp file in the same folder; on a clean exit it is
    fsynced and renamed (or, with `overwrite=False`, linked: FileExistsError if `target`
    exists). On any error the temp file goes and `target` keeps its old content; OS errors
    become one StorageError line. `folder` is an open handle of target's folder (the data
    folder's, opened link by link); without it the folder of `target` is opened here. Each
    name is then created, renamed and removed in that handle, never by its path.
    """
    own = folder is None
    if folder is None:
        try:
            folder = open_folder(target.parent)
        except OSError as exc:
            raise StorageError(describe(exc, target)) from None
    name = target.name
    tmp = f".{name}.{os.urandom(4).hex()}.tmp"
    placed = False
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     FILE_MODE, dir_fd=folder)
        try:
            os.fchmod(fd, FILE_MODE)
            yield fd
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
        else:
            _place_new(tmp, name, folder)
        placed = True
        fsync_folder(folder)
    except FileExistsError:
        raise
    except OSError as exc:
        raise StorageError(describe(exc, target)) from None
    finally:
        if not placed:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=folder)
        if own:
            os.close(folder)


def write_bytes_atomic(target: Path, data: bytes, *, overwrite: bool,
                       folder: int | None = None) -> None:
    """Write `data` to `target` so that a crash leaves the old file or the new one, whole.

    With `overwrite=False` an existing target is never replaced (FileExistsError), which is
    how two sessions saved in the same second can never clobber each other. `folder`: as
    for `atomic_fd`.
    """
    with atomic_fd(target, overwrite=overwrite, folder=folder) as fd:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
