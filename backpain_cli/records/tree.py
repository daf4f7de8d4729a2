"""The sessions tree by names: client folders, session files and what else is there.

Nothing is read but folder listings (and a stat where a folder's kind must be told), so that
a listing of thousands of sessions stays fast; a FIFO or a device is never opened here.
Every entry that could hold a session but is not read is reported with why (issue 9:
nothing is skipped in silence). The summary index scans the same way, folder by folder
(`scan_top`, `scan_folder`).
"""

from __future__ import annotations

import datetime as dt
import operator
import os
import stat
from pathlib import Path
from typing import Protocol

from ..errors import SessionFileError, StorageError
from ..files import LINKED
from ..frozen import frozen
from .atomic import describe
from .paths import CLIENT_RE, check_data_folder, is_addendum_name, is_session_id, sessions_dir


@frozen
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


def ref_of(session_id: str, client: str, root: Path | None = None) -> SessionRef:
    """Where the session file of `client` named `session_id` is, as a saved session knows
    it (its client as spelled on disk)."""
    return SessionRef(session_id, client, sessions_dir(root) / client / f"{session_id}.toml")


def is_session_name(name: str) -> bool:
    return name.endswith(".toml") and is_session_id(name[:-5])


def _reported(name: str) -> bool:
    """Hidden entries are the system's or ours; a hidden .toml may be a session hidden."""
    return not name.startswith(".") or name.lower().endswith(".toml")


@frozen
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
    check_data_folder(sessions.parent)
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


def entries_named(sessions: Path, client: str) -> list[_Named]:
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



def spelled_on_disk(sessions: Path, client: str) -> str:
    """The spelling on disk of the folder of `client` (any case), else `client` itself."""
    names = [e.name for e in entries_named(sessions, client)]
    if client in names or not names:
        return client
    return sorted(names)[0]



def client_names(root: Path | None = None) -> list[str]:
    """Every client folder's name, as spelled on disk (for suggestions and completion)."""
    return sorted(e.name for e in _client_entries(sessions_dir(root))
                  if CLIENT_RE.fullmatch(e.name) and e.is_dir(follow_symlinks=False))


def find_client(ref: str, root: Path | None = None) -> str | None:
    """The client `ref` names, as its folder is spelled (any case), or None."""
    if not CLIENT_RE.fullmatch(ref):
        return None
    # Links count here: naming a linked client must lead to it being reported, not to
    # "no such client".
    names = [e.name for e in entries_named(sessions_dir(root), ref)
             if CLIENT_RE.fullmatch(e.name) and (e.is_symlink() or e.is_dir())]
    if not names:
        return None
    return ref if ref in names else sorted(names)[0]


def did_you_mean(ref: str, root: Path | None = None) -> str | None:
    """The existing client nearest to the unknown reference `ref`, if one is near."""
    # Only for a "did you mean" suggestion after a name that was not found.
    import difflib

    if not CLIENT_RE.fullmatch(ref):
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


@frozen
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
        _client_entries(sessions) if client is None else entries_named(sessions, client))
    if not entries and os.path.islink(sessions):
        return Top(skipped=(Unreadable(str(sessions), LINKED),))
    skipped: list[Unreadable] = []
    folders: list[FolderEntry] = []
    client_name = CLIENT_RE.fullmatch
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


@frozen
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
        if is_session_name(e.name):
            names.append(e.name)
        elif is_addendum_name(e.name) or not _reported(e.name):
            # An addendum is read with its session (records/addenda.py), not listed.
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



@frozen
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

