"""Session files on disk: where they live, how they are written, how they are found.

Health data: files are 0600 and folders 0700 whatever the umask, writes are atomic (a temp
file in the same folder, fsync, then a rename), and a client reference can never name a path
outside the data folder. Storage knows sessions as files; it does not know the recommender.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import operator
import os
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from ..errors import (
    InvalidClientError,
    NotFoundError,
    OutputExistsError,
    OutputTargetError,
    SessionFileError,
    StorageError,
)
from ..files import LINKED, NotReadable, loads_toml, read_bytes
from .atomic import (
    DIR_MODE,
    FILE_MODE,
    TMP_RE,
    atomic_fd,
    describe,
    ensure_dir,
    fsync_folder,
    open_folder,
    open_subfolder,
    system_folder,
    write_bytes_atomic,
)
from .session import (
    ModuleRef,
    Session,
    SessionFormatError,
    check_stored_values,
    from_toml_dict,
    to_toml_dict,
)

if TYPE_CHECKING:
    from ..clinical.questionnaire import AnswerValue, Question
    from . import index_store

# ASCII only: str.isalnum() would accept other scripts, which file systems may normalise.
# Not starting with "-": it would be read as an option on the command line (and a CSV cell
# starting with it as a formula).
_CLIENT_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")
# [0-9], not \d: \d takes any script's digits (fullwidth ids were read, completed and
# exported as FHIR ids no server accepts).
_SESSION_ID_RE = re.compile(r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}")


# Where the data folder in use was chosen (`backpain where`).
FROM_HOME = "$BACKPAIN_HOME"
FROM_SETTINGS = "data_dir in the settings"
FROM_DEFAULT = "the default"


def data_dir_and_source() -> tuple[Path, str]:
    """The data folder and where it was chosen: `$BACKPAIN_HOME` when set, else `data_dir`
    in the settings, else the platform's user data folder for backpain."""
    home = os.environ.get("BACKPAIN_HOME")
    if home:
        return Path(home).expanduser(), FROM_HOME
    # Only without BACKPAIN_HOME: `review SESSION` then needs the settings file as well.
    from .settings import load

    configured = load().data_dir
    if configured is not None:
        return configured, FROM_SETTINGS
    import platformdirs  # only needed when no data folder is given

    return platformdirs.user_data_path("backpain", appauthor=False), FROM_DEFAULT


def data_dir() -> Path:
    """`$BACKPAIN_HOME` when set, else `data_dir` in the settings, else the platform's."""
    return data_dir_and_source()[0]


def sessions_dir(root: Path | None = None) -> Path:
    return (root or data_dir()) / "sessions"


def questionnaires_dir(root: Path | None = None) -> Path:
    return (root or data_dir()) / "questionnaires"


def validate_client(ref: object) -> str:
    if not isinstance(ref, str):
        raise InvalidClientError("invalid client reference: it must be text, e.g. \"JD-042\"")
    if not _CLIENT_RE.fullmatch(ref):
        raise InvalidClientError(
            f"invalid client reference {ref!r}: use 1 to 64 ASCII letters, digits, '-', '_' "
            "or '.', not starting with '.' or '-'")
    return ref


def new_session_id(now: dt.datetime | None = None) -> str:
    """Sortable by time (UTC, to the second) with a random suffix so ids never collide."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{os.urandom(3).hex()}"


def is_session_id(text: str) -> bool:
    return bool(_SESSION_ID_RE.fullmatch(text))


# --------------------------------------------------------------------------- export files


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
    from ..errors import BackpainError

    try:
        sessions = os.path.realpath(sessions_dir())
    except BackpainError:
        return  # no data folder can be told (settings that cannot be read): none to guard
    target = os.path.realpath(path.parent)
    if os.path.commonpath([sessions, target]) == sessions:
        raise OutputTargetError(f"{path}: inside the sessions folder {sessions}, which holds "
                                "only session files; write the export somewhere else")


def session_path(session: Session, root: Path | None = None) -> Path:
    client = validate_client(session.client)
    return sessions_dir(root) / client / f"{session.id}.toml"


def save_session(session: Session, *, root: Path | None = None, new: bool) -> tuple[Session, Path]:
    """Save a session; a new one gets a fresh id if (very rarely) its id is already taken.

    A client whose folder exists in another case is that client: the session goes to that
    folder and is saved with its spelling. Returns the session as saved (its id and client
    may have changed: the caller tells the practitioner) and the path.
    """
    from dataclasses import replace

    import tomli_w

    base = root or data_dir()
    _check_data_folder(base)
    client = _existing_client(sessions_dir(base), validate_client(session.client))
    try:
        ensure_dir(base, base)
    except OSError as exc:
        raise StorageError(describe(exc, base)) from None
    if client != session.client:
        session = replace(session, client=client)
    with client_folder(base, client, verb="writes", create=True) as handles:
        folder_fd = handles[-1]
        folder = sessions_dir(base) / client
        try:
            _tighten(handles)
        except OSError as exc:
            raise StorageError(describe(exc, folder)) from None
        _tidy(folder_fd)
        for _ in range(20):
            path = folder / f"{session.id}.toml"
            data = tomli_w.dumps(to_toml_dict(session)).encode("utf-8")
            try:
                write_bytes_atomic(path, data, overwrite=not new, folder=folder_fd)
            except FileExistsError:
                session = replace(session, id=new_session_id(session.created))
                continue
            _index_saved(base, SessionRef(session.id, client, path), folder_fd)
            return session, path
    raise StorageError(f"cannot find a free session id in {folder}")


@contextlib.contextmanager
def client_folder(base: Path, client: str, *, verb: str,
                  create: bool = False) -> Iterator[tuple[int, int, int]]:
    """Open handles of the data folder `base`, its sessions folder and the folder of
    `client` (as spelled on disk), for writing (`verb` "writes") or deleting ("deletes").

    Below the data folder each folder is opened inside the one above it and never through
    a link (O_NOFOLLOW): a folder swapped for a link after it was checked, or while the
    command runs, cannot send a write or a deletion outside the data folder (issue 17 item
    9). The data folder itself may be a link: it is the practitioner's choice. With
    `create`, missing folders are made (0700). A link or a file in the way is one
    StorageError line.
    """
    sessions = sessions_dir(base)
    handles: list[int] = []
    try:
        try:
            handles.append(open_folder(base))
        except OSError as exc:
            raise StorageError(describe(exc, base)) from None
        for path, what in ((sessions, "the sessions folder"),
                           (sessions / client, "a client folder")):
            handles.append(_open_below(handles[-1], path, what, verb, create))
        yield handles[0], handles[1], handles[2]
    finally:
        for fd in handles:
            os.close(fd)


def _open_below(parent: int, path: Path, what: str, verb: str, create: bool) -> int:
    try:
        return open_subfolder(parent, path.name, create=create)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            try:
                info: os.stat_result | None = os.stat(path.name, dir_fd=parent,
                                                      follow_symlinks=False)
            except OSError:
                info = None
            if info is not None and stat.S_ISLNK(info.st_mode):
                raise StorageError(f"{path}: {what} is a symbolic link; backpain {verb} "
                                   "nothing through links inside the data folder") from None
            if info is not None and not stat.S_ISDIR(info.st_mode):
                raise StorageError(f"{path}: not a folder ({what} must be one)") from None
        if exc.errno == errno.ENOENT and not create:
            raise NotFoundError(f"{path}: no such folder (deleted meanwhile?)") from None
        raise StorageError(describe(exc, path)) from None


def _index_saved(base: Path, ref: SessionRef, folder: int) -> None:
    """Write the saved file's row through to the summary index, if there is one (the next
    listing then has nothing to read). Judged by the one reader, as every indexed file."""
    from . import index_store  # sqlite3: only for the commands that save

    if not os.path.exists(index_store.index_path(base)):
        return
    looked = index_store.now_ns()
    try:
        # The file just written, in the folder just written to (its handle).
        stamp = index_store.stamp_of(os.stat(ref.path.name, dir_fd=folder,
                                             follow_symlinks=False))
    except OSError:
        return
    entry, doc = index_entry(ref, stamp, looked)
    index_store.record(base, entry, doc)


def index_entry(ref: SessionRef, stamp: index_store.Stamp | None,
                looked: int) -> tuple[index_store.Entry, str | None]:
    """The summary index's row (and JSON document) of the file of `ref`, made by the one
    reader with its checks: a summary of what it reads, or why it cannot be read.

    `stamp` must have been taken before the file is read (at `looked`): if the file changes
    meanwhile, its new stamp differs from the stored one, and it is read again.
    """
    from . import index_store

    name = ref.path.name
    try:
        session = read_ref(ref)
    except SessionFileError as exc:
        return index_store.Entry(ref.client, name, ref.id, stamp, looked, exc.reason), None
    brief, summary, answers, doc = index_store.readable(session)
    return index_store.Entry(ref.client, name, ref.id, stamp, looked, None, brief, summary,
                             answers, index_store.placed_at(session)), doc


def _home_hint() -> str:
    return "; check $BACKPAIN_HOME" if os.environ.get("BACKPAIN_HOME") else ""


def _check_data_folder(base: Path) -> None:
    """A data folder that exists must be a folder (a link to one is the practitioner's),
    and none is in a system folder (/proc, /sys, /dev)."""
    top = system_folder(base)
    if top is not None:
        raise StorageError(f"{base}: in {top}, a system folder, which cannot be the data "
                           f"folder{_home_hint() or '; check data_dir in the settings'}")
    try:
        info = os.stat(base)
    except FileNotFoundError:
        return
    except NotADirectoryError:
        raise StorageError(f"{base}: not a folder (a file is in the way of the data "
                           f"folder{_home_hint()})") from None
    except OSError as exc:
        raise StorageError(f"{base}: cannot use the data folder ({exc.strerror})") from None
    if not stat.S_ISDIR(info.st_mode):
        raise StorageError(f"{base}: not a folder (the data folder must be one{_home_hint()})")


def _tighten(folders: tuple[int, ...]) -> None:
    """Folders made before this version, by hand or with a loose umask, become 0700."""
    for fd in folders:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, DIR_MODE)


# A save takes milliseconds; a temp file an hour old is left by a crash, never live.
STALE_TMP_SECONDS = 3600


def _tidy(folder: int) -> None:
    """Before a save in the open `folder`: remove what crashed saves left, make session
    files 0600.

    Best effort: a file that cannot be tidied is left as it is (the save itself decides).
    """
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for e in entries:
        with contextlib.suppress(OSError):
            if e.is_symlink() or not e.is_file(follow_symlinks=False):
                continue
            info = e.stat(follow_symlinks=False)
            if TMP_RE.fullmatch(e.name):
                if now - info.st_mtime > STALE_TMP_SECONDS:
                    os.unlink(e.name, dir_fd=folder)
            elif _is_session_name(e.name) and info.st_mode & 0o077:
                try:
                    os.chmod(e.name, FILE_MODE, dir_fd=folder, follow_symlinks=False)
                except NotImplementedError:  # no lchmod: it was a regular file just now
                    os.chmod(e.name, FILE_MODE, dir_fd=folder)


@dataclass(frozen=True)
class SessionRef:
    """What the file name alone tells: enough to sort, filter and find without parsing."""

    id: str
    client: str
    path: Path

    @property
    def created(self) -> dt.datetime:
        return dt.datetime.strptime(self.id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


# --------------------------------------------------------------------------- finding sessions

# Reasons for entries of the sessions tree that are not read (issue 9: nothing is skipped in
# silence). Hidden entries (".DS_Store", our temp files) are not reported.
EXAMPLE_NAME = "20261127T101503Z-3f9a1c.toml"
NOT_A_SESSION_NAME = f"not read: not named like a session file (<session id>.toml, e.g. " \
                     f"{EXAMPLE_NAME})"
NOT_IN_A_CLIENT_FOLDER = "not read: a file directly in the sessions folder (sessions are " \
                         "read from sessions/<client>/)"
NOT_A_CLIENT_NAME = "not read: the folder name is not a valid client reference"
A_FOLDER_IN_A_CLIENT = "not read: a folder inside a client folder"


def _is_session_name(name: str) -> bool:
    return name.endswith(".toml") and is_session_id(name[:-5])


def _reported(name: str) -> bool:
    """Hidden entries are the system's or ours; a hidden .toml may be a session hidden."""
    return not name.startswith(".") or name.lower().endswith(".toml")


@dataclass(frozen=True)
class Scan:
    """The sessions tree (or one client's part of it), read by names alone.

    `refs` are files named like sessions (a FIFO or a link among them is refused when
    read, with its reason); `skipped` every other entry that could hold a session, with
    why it is not read; `notes` what is odd but read (client folders differing only in
    case); `clients` the client folders scanned, as spelled on disk.
    """

    refs: tuple[SessionRef, ...] = ()
    skipped: tuple[Unreadable, ...] = ()
    notes: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()


class FolderEntry(Protocol):
    """An entry of the sessions folder: an os.DirEntry, or a _Named for one client's."""

    @property
    def name(self) -> str: ...
    @property
    def path(self) -> str: ...
    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result: ...
    def is_symlink(self) -> bool: ...
    def is_dir(self, *, follow_symlinks: bool = True) -> bool: ...


class _Named:
    """An entry of the sessions folder looked at by its name (lstat), as an os.DirEntry
    would tell it: one client's folders need no DirEntry for each of 20,000 others."""

    __slots__ = ("_info", "name", "path")

    def __init__(self, sessions: Path, name: str) -> None:
        self.name = name
        self.path = os.path.join(sessions, name)
        self._info = os.lstat(self.path)

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        return os.stat(self.path) if follow_symlinks else self._info

    def is_symlink(self) -> bool:
        return stat.S_ISLNK(self._info.st_mode)

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        if follow_symlinks and self.is_symlink():
            try:
                return stat.S_ISDIR(os.stat(self.path).st_mode)
            except OSError:
                return False
        return stat.S_ISDIR(self._info.st_mode)


def _listable(sessions: Path) -> bool:
    """Whether the sessions folder is there to be listed (False: none yet, or a link,
    which scan() reports); an error when it cannot be one."""
    _check_data_folder(sessions.parent)
    try:
        info = os.lstat(sessions)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StorageError(f"{sessions}: cannot read the sessions folder ({exc.strerror})") \
            from None
    if stat.S_ISLNK(info.st_mode):
        return False
    if not stat.S_ISDIR(info.st_mode):
        raise StorageError(f"{sessions}: not a folder (the sessions folder must be one)")
    return True


def _client_entries(sessions: Path) -> list[os.DirEntry[str]]:
    """The entries of the sessions folder; [] when there is none yet."""
    if not _listable(sessions):
        return []
    try:
        return list(os.scandir(sessions))
    except OSError as exc:
        raise StorageError(f"{sessions}: cannot read the sessions folder ({exc.strerror})") \
            from None


def _entries_named(sessions: Path, client: str) -> list[_Named]:
    """The entries of the sessions folder named `client` in any case. Names alone are
    listed (os.listdir is a third of os.scandir's time among 20,000 client folders) and
    only the few that match are looked at."""
    if not _listable(sessions):
        return []
    wanted = client.lower()
    try:
        names = [n for n in os.listdir(sessions) if n.lower() == wanted]
    except OSError as exc:
        raise StorageError(f"{sessions}: cannot read the sessions folder ({exc.strerror})") \
            from None
    found = []
    for name in names:
        try:
            found.append(_Named(sessions, name))
        except FileNotFoundError:
            continue  # removed since the folder was listed
        except OSError as exc:
            raise StorageError(describe(exc, sessions / name)) from None
    return found


def _existing_client(sessions: Path, client: str) -> str:
    """The spelling on disk of the folder of `client` (any case), else `client` itself."""
    names = [e.name for e in _entries_named(sessions, client)]
    if client in names or not names:
        return client
    return sorted(names)[0]


def same_client(a: str | None, b: str | None) -> bool:
    """Client references name the same client whatever their case (`jd-1` is `JD-1`)."""
    return a is not None and b is not None and a.lower() == b.lower()


def client_names(root: Path | None = None) -> list[str]:
    """Every client folder's name, as spelled on disk (for suggestions and completion)."""
    return sorted(e.name for e in _client_entries(sessions_dir(root))
                  if _CLIENT_RE.fullmatch(e.name) and e.is_dir(follow_symlinks=False))


def find_client(ref: str, root: Path | None = None) -> str | None:
    """The client `ref` names, as its folder is spelled (any case), or None."""
    if not _CLIENT_RE.fullmatch(ref):
        return None
    # Links count here: naming a linked client must lead to it being reported, not to
    # "no such client".
    names = [e.name for e in _entries_named(sessions_dir(root), ref)
             if _CLIENT_RE.fullmatch(e.name) and (e.is_symlink() or e.is_dir())]
    if not names:
        return None
    return ref if ref in names else sorted(names)[0]


def did_you_mean(ref: str, root: Path | None = None) -> str | None:
    """The existing client nearest to the unknown reference `ref`, if one is near."""
    import difflib

    if not _CLIENT_RE.fullmatch(ref):
        return None  # not a reference at all: the message says so, not a guess
    lowered: dict[str, str] = {}
    for name in client_names(root):
        lowered.setdefault(name.lower(), name)
    close = difflib.get_close_matches(ref.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def scan(root: Path | None = None, client: str | None = None) -> Scan:
    """Every session file by name (unsorted), and every entry that is not read and why.

    With `client`, only that client's folders (any case) are looked at. Nothing is read
    but folder listings, so a listing of thousands of sessions stays fast; a FIFO or a
    device is never opened here. (The summary index scans the same way, folder by folder:
    `scan_top` and `scan_folder`.)
    """
    top = scan_top(root, client)
    if client is not None and not top.folders and top.skipped:
        # A linked client folder is still that client, reported rather than unknown.
        return Scan(skipped=top.skipped, clients=(client,))
    sessions = sessions_dir(root)
    refs: list[SessionRef] = []
    skipped = list(top.skipped)
    for entry in top.folders:
        folder = sessions / entry.name
        inside = scan_folder(sessions, entry.name)
        refs.extend(SessionRef(n[:-5], entry.name, folder / n) for n in inside.names)
        skipped.extend(inside.skipped)
    skipped.sort(key=lambda u: u.path)
    return Scan(tuple(refs), tuple(skipped), top.notes, tuple(e.name for e in top.folders))


@dataclass(frozen=True)
class Top:
    """The sessions folder's own entries: client folders (by name) and what is not read."""

    folders: tuple[FolderEntry, ...] = ()
    skipped: tuple[Unreadable, ...] = ()
    notes: tuple[str, ...] = ()


def scan_top(root: Path | None = None, client: str | None = None) -> Top:
    """The client folders of the sessions folder (only `client`'s, in any case, if given),
    sorted by name, and its entries that are not client folders, with why."""
    sessions = sessions_dir(root)
    entries: list[os.DirEntry[str]] | list[_Named] = (
        _client_entries(sessions) if client is None else _entries_named(sessions, client))
    if not entries and os.path.islink(sessions):
        return Top(skipped=(Unreadable(str(sessions), LINKED),))
    skipped: list[Unreadable] = []
    folders: list[FolderEntry] = []
    client_name = _CLIENT_RE.fullmatch
    # 20,000 client folders a listing: the usual entry costs one test of each kind.
    for e in entries:
        name = e.name
        if name[:1] == "." and not _reported(name):
            continue
        if e.is_dir(follow_symlinks=False):
            if client_name(name):
                folders.append(e)
            else:
                skipped.append(Unreadable(e.path, NOT_A_CLIENT_NAME))
        elif e.is_symlink():
            skipped.append(Unreadable(e.path, LINKED))
        else:
            skipped.append(Unreadable(e.path, NOT_IN_A_CLIENT_FOLDER))
    folders.sort(key=_by_name)
    skipped.sort(key=lambda u: u.path)
    return Top(tuple(folders), tuple(skipped),
               _case_notes(sessions, [e.name for e in folders]))


_by_name = operator.attrgetter("name")


@dataclass(frozen=True)
class FolderScan:
    """One client folder by names: its session files' names and its other entries, with why
    those are not read. `listed` is False when the folder itself could not be read (then it
    is the one entry of `skipped`)."""

    names: tuple[str, ...]
    skipped: tuple[Unreadable, ...]
    listed: bool = True


def scan_folder(sessions: Path, name: str) -> FolderScan:
    """The entries of the client folder `name` of the sessions folder `sessions`."""
    folder = sessions / name
    try:
        inside = list(os.scandir(folder))
    except OSError as exc:
        return FolderScan((), (Unreadable(str(folder),
                                          f"cannot read the folder ({exc.strerror})"),), False)
    names: list[str] = []
    skipped: list[Unreadable] = []
    for e in inside:
        if _is_session_name(e.name):
            names.append(e.name)
        elif not _reported(e.name):
            continue
        elif e.is_symlink():
            skipped.append(Unreadable(e.path, LINKED))
        elif e.is_dir(follow_symlinks=False):
            skipped.append(Unreadable(e.path, A_FOLDER_IN_A_CLIENT))
        else:
            skipped.append(Unreadable(e.path, NOT_A_SESSION_NAME))
    return FolderScan(tuple(names), tuple(skipped))


# Up to this many client folders, a complete session id is looked for by name in each of
# them (a few stats), not through the summary index, whose sqlite3 alone costs more.
FEW_CLIENTS = 64


def sessions_named(session_id: str, root: Path | None = None) -> list[SessionRef] | None:
    """The files named after the complete `session_id`, looked for in every client folder
    (as `scan` would find them), by client; None when there are more than FEW_CLIENTS
    folders to look in, or the sessions folder does not say how many it has."""
    sessions = sessions_dir(root)
    try:
        links = os.stat(sessions).st_nlink
    except FileNotFoundError:
        return []
    except OSError:
        return None
    # A folder's link count is 2 plus its subfolders on most file systems; 1 says nothing.
    if not 2 <= links <= FEW_CLIENTS + 2:
        return None
    name = f"{session_id}.toml"
    return [SessionRef(session_id, e.name, Path(e.path) / name)
            for e in scan_top(root).folders if os.path.lexists(os.path.join(e.path, name))]


def _case_notes(sessions: Path, folders: list[str]) -> tuple[str, ...]:
    if len({name.lower() for name in folders}) == len(folders):
        return ()  # the usual case, told at C speed among 20,000 folders
    by_case: dict[str, list[str]] = {}
    for name in folders:
        by_case.setdefault(name.lower(), []).append(name)
    return tuple(
        f"{sessions / later}: the same client as {sessions / names[0]} (client references "
        "do not depend on case); move its sessions into one folder"
        for names in by_case.values() if len(names) > 1 for later in names[1:])


def iter_refs(root: Path | None = None, client: str | None = None) -> Iterator[SessionRef]:
    """Every session file by name, unsorted (what else the tree holds: `scan`)."""
    if client is not None:
        validate_client(client)
    yield from scan(root, client).refs


def delete_session(path: Path) -> None:
    """Remove a session file (a discarded draft), durably: the folder entry is synced.

    `path` is <data folder>/sessions/<client>/<file>: the file is deleted by its name in a
    handle of its client folder, opened link by link (`client_folder`)."""
    root = path.parent.parent.parent
    with client_folder(root, path.parent.name, verb="deletes") as (_, _, folder):
        try:
            if not stat.S_ISREG(os.stat(path.name, dir_fd=folder,
                                        follow_symlinks=False).st_mode):
                raise StorageError(f"cannot delete {path}: not a regular file")
            os.unlink(path.name, dir_fd=folder)
        except FileNotFoundError:
            raise NotFoundError(f"{path}: no such file (already deleted?)") from None
        except OSError as exc:
            denied = exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
            reason = "permission denied (read-only or not yours)" if denied \
                else exc.strerror or str(exc)
            raise StorageError(f"cannot delete {path}: {reason}") from None
        fsync_folder(folder)
    from . import index_store  # its row goes too: a discarded draft leaves no summary

    index_store.forget(root, [path])


def list_refs(root: Path | None = None, client: str | None = None) -> list[SessionRef]:
    """Newest first (ids sort by time)."""
    return sorted(iter_refs(root, client), key=lambda r: r.id, reverse=True)


@dataclass(frozen=True)
class Unreadable:
    """A session file that could not be read, and why: reported, never fatal for a list."""

    path: str
    reason: str

    def __post_init__(self) -> None:
        # What a listing names goes on to JSON, the summary index (SQLite) and the terminal:
        # the name of a file that is not UTF-8, or a data folder's, is shown, never passed
        # on as the lone surrogates Python decodes it to (review, export --all, --due).
        from ..safe_text import valid_text

        object.__setattr__(self, "path", valid_text(self.path))
        object.__setattr__(self, "reason", valid_text(self.reason))

    @classmethod
    def of(cls, exc: SessionFileError) -> Unreadable:
        return cls(exc.path, exc.reason)


def read_session(path: Path) -> Session:
    try:
        # Inside the data folder: a link is reported, never followed (PRODUCT.md).
        data = read_bytes(path, follow_links=False)
    except NotReadable as exc:
        raise SessionFileError(str(path), exc.reason) from None
    if not data.strip():
        raise SessionFileError(str(path), "the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SessionFileError(str(path), "not UTF-8 text") from None
    import tomllib  # loaded by loads_toml anyway; not at start-up (see files.loads_toml)

    try:
        raw = loads_toml(text)
    except tomllib.TOMLDecodeError as exc:
        raise SessionFileError(str(path), f"not valid TOML ({exc})") from None
    try:
        session = from_toml_dict(raw)
    except SessionFormatError as exc:
        raise SessionFileError(str(path), str(exc)) from None
    return check_read(session, path)


def read_ref(ref: SessionRef) -> Session:
    """Read a session found by `scan`, also refusing one whose client is not its folder's.

    A client's sessions are found by folder; a session claiming another client would
    otherwise be shown in the wrong history. (Summaries of many sessions come from the
    summary index, which makes them with this very function: records/index.py.)
    """
    session = read_session(ref.path)
    if not same_client(session.client, ref.client):
        raise SessionFileError(
            str(ref.path),
            f"its client {session.client!r} does not match its folder {ref.client!r}")
    return session


def check_read(session: Session, path: Path) -> Session:
    """What the reader checks once a file has become a Session.

    Its name, values no backpain writes, and its answers against the questionnaires they
    were given to, where those are known: one rule, so that a file is readable or not the
    same way in every command.
    """
    if session.id != path.stem:
        raise SessionFileError(str(path), f"its id {session.id!r} does not match the file name")
    if session.follows is not None and not is_session_id(session.follows):
        raise SessionFileError(str(path), f"field 'follows' is not a session id "
                                          f"({session.follows!r})")
    try:
        check_stored_values(session)
    except SessionFormatError as exc:
        raise SessionFileError(str(path), str(exc)) from None
    problem = _answers_problem(session)
    if problem is not None:
        raise SessionFileError(str(path), problem)
    return session


def _answers_problem(session: Session) -> str | None:
    """The first stored answer its own questionnaire would not accept, if any.

    Only questionnaires known by the hash of their text can judge: a session answered to
    an older version (or to a module since removed) keeps the answers it was given, and
    `review SESSION` says which no longer fit today's questions.
    """
    known = _known_questions(questionnaires_dir(), session.questionnaires)
    for qid, value in session.answers.items():
        if qid not in known.questions:
            if known.complete:
                return f"answer {qid!r} is to no question of its questionnaires"
            continue
        reason = known.verdict(qid, value)
        if reason is not None:
            return f"answer {qid!r} does not fit its question: {reason}"
    return None


@dataclass(frozen=True)
class _KnownQuestions:
    """The questions of the known modules among a session's, with verdicts remembered.

    A bulk export reads thousands of sessions answered to the same few questionnaire
    versions, mostly with the same few values: each (question, value) is judged once.
    """

    questions: dict[str, Question]
    complete: bool  # every module of the session is known
    verdicts: dict[tuple[str, type, AnswerValue], str | None]

    def verdict(self, qid: str, value: AnswerValue) -> str | None:
        key = (qid, type(value), value)  # True == 1, but not as an answer
        if key not in self.verdicts:
            from ..clinical.questionnaire import check_value

            self.verdicts[key] = check_value(self.questions[qid], value)
        return self.verdicts[key]


_KNOWN: dict[tuple[str, tuple[ModuleRef, ...]], _KnownQuestions] = {}


def _known_questions(user_dir: Path, refs: tuple[ModuleRef, ...]) -> _KnownQuestions:
    key = (str(user_dir), refs)
    found = _KNOWN.get(key)
    if found is None:
        from ..clinical.questionnaire import module_by_hash

        questions: dict[str, Question] = {}
        complete = bool(refs)
        for ref in refs:
            module = module_by_hash(user_dir, ref.sha256)
            if module is None or module.id != ref.id:
                complete = False
                continue
            questions.update((q.id, q) for q in module.questions)
        found = _KNOWN[key] = _KnownQuestions(questions, complete, {})
    return found
