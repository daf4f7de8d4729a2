"""Export files: a whole export, or one written as it goes, put in place atomically.

Beside the atomic writer (records/atomic.py), which does the writing; here is what an export
may replace: nothing without `--force`, with it only a regular file, and never anything in
the sessions folder.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from ..errors import BackpainError, OutputExistsError, OutputTargetError, StorageError
from .atomic import atomic_fd, describe, open_folder, write_bytes_atomic
from .paths import sessions_dir


def write_text(path: Path, text: str, *, force: bool) -> None:
    """A whole export to `path`: atomic, 0600, never replacing a file without `force`."""
    write_bytes(path, text.encode("utf-8"), force=force)


def write_bytes(path: Path, data: bytes, *, force: bool) -> None:
    """`write_text` for a binary export (PDF)."""
    with _export_folder(path, force=force) as folder:
        try:
            write_bytes_atomic(path, data, overwrite=force, folder=folder)
        except FileExistsError:
            # Created by someone else between the check and the final link.
            raise OutputExistsError(path) from None


@contextlib.contextmanager
def streamed_output(path: Path, *, force: bool, newline: str | None = None) -> Iterator[TextIO]:
    """A text file that appears at `path` whole, or not at all.

    `write_text` needs the content in memory; a bulk export of many thousands of sessions
    is instead written as it goes, through the same atomic writer as session files.
    """
    with _export_folder(path, force=force) as folder:
        try:
            with atomic_fd(path, overwrite=force, folder=folder) as fd, os.fdopen(
                    fd, "w", encoding="utf-8", newline=newline, closefd=False) as out:
                yield out
        except FileExistsError:
            # Created by someone else since the check.
            raise OutputExistsError(path) from None


_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISSOCK, "a socket"))


@contextlib.contextmanager
def _export_folder(path: Path, *, force: bool) -> Iterator[int]:
    """A handle of the folder an export goes to, once `path` is known to be a place an
    export may be written: nothing there, or (with `force`) a regular file.

    `--force` replaces only a regular file: never a device (`-o /dev/stdout --force`
    replaced /dev/stdout for root), a FIFO, a socket, a link or a folder, and nothing in
    the sessions folder (a session's own .toml was replaced by its handout)."""
    if path.name in ("", ".", ".."):
        raise OutputTargetError(f"{path}: a folder; -o takes a file name")
    _refuse_sessions_tree(path)
    try:
        folder = open_folder(path.parent)
    except OSError as exc:
        raise StorageError(describe(exc, path)) from None
    try:
        try:
            info: os.stat_result | None = os.stat(path.name, dir_fd=folder,
                                                  follow_symlinks=False)
        except FileNotFoundError:
            info = None
        except OSError as exc:
            raise StorageError(describe(exc, path)) from None
        if info is not None:
            kind = next((k for test, k in _KINDS if test(info.st_mode)), None)
            if kind is not None:
                hint = ("; for standard output use -o -"
                        if kind in ("a symbolic link", "a device") else "")
                raise OutputTargetError(f"{path}: {kind}, not a regular file; -o replaces "
                                        f"only regular files (with --force){hint}")
            if not force:
                raise OutputExistsError(path)
        yield folder
    finally:
        os.close(folder)


def _refuse_sessions_tree(path: Path) -> None:
    """Exports never go into the sessions folder: only session files are written there."""
    try:
        sessions = os.path.realpath(sessions_dir())
    except BackpainError:
        return  # no data folder can be told (settings that cannot be read): none to guard
    target = os.path.realpath(path.parent)
    if os.path.commonpath([sessions, target]) == sessions:
        raise OutputTargetError(f"{path}: inside the sessions folder {sessions}, which holds "
                                "only session files; write the export somewhere else")
