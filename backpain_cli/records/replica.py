"""This computer's files as `backpain sync` sees them (issue 23): which sessions and addenda
are here, by name; their bytes and hashes; and the files a sync pulls, written as `assess`
and `note` write theirs (whole or not at all, 0600, in the client's folder, never over an
existing file), so that every command reads them as its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

from ..errors import InvalidClientError, StorageError
from ..files import NotReadable, TomlError, loads_toml, read_bytes
from ..frozen import frozen
from .atomic import describe, ensure_dir
from .atomic import write_bytes_atomic as _write
from .paths import check_data_folder, data_dir, parse_addendum_name, sessions_dir, validate_client
from .storage import client_folder
from .tree import SessionRef, is_session_name, scan_top, spelled_on_disk


@frozen
class Local:
    """The session files and addendum files here, by name alone: each id with its client
    folder (one string a folder, shared), so that 100,000 of them stay small."""

    root: Path
    sessions: dict[str, str]
    addenda: dict[tuple[str, str], str]

    def ref(self, session_id: str) -> SessionRef:
        client = self.sessions[session_id]
        return SessionRef(session_id, client,
                          sessions_dir(self.root) / client / f"{session_id}.toml")

    def addendum_path(self, key: tuple[str, str]) -> Path:
        # addenda imports the writer: only a pulled addendum needs its name.
        from .addenda import addendum_name

        return sessions_dir(self.root) / self.addenda[key] / addendum_name(*key)


def local_files(root: Path | None = None) -> Local:
    """One listing of each client folder (as `tree.scan` finds them): what a listing of
    the whole folder costs, and no file is opened."""
    base = root or data_dir()
    sessions: dict[str, str] = {}
    addenda: dict[tuple[str, str], str] = {}
    for entry in scan_top(base).folders:
        client = entry.name
        try:
            names = os.listdir(sessions_dir(base) / client)
        except OSError:
            continue
        for name in names:
            if is_session_name(name):
                sessions[name[:-5]] = client
            else:
                parsed = parse_addendum_name(name)
                if parsed is not None:
                    addenda[parsed] = client
    return Local(base, sessions, addenda)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content(path: Path) -> bytes | None:
    """The bytes of a file of the data folder (a link is refused), or None."""
    try:
        return read_bytes(path, follow_links=False)
    except NotReadable:
        return None


COMPLETED = b'status = "completed"'
DRAFT = b'status = "draft"'


def status_of(data: bytes) -> str | None:
    """"completed" or "draft" as a session file's one top-level `status` line says it
    (backpain writes its top-level values before its first table), else None. Told from
    the bytes a push reads anyway: parsing 100,000 files would take longer than sending
    them."""
    top = data.split(b"\n[", 1)[0]
    lines = [line.strip() for line in top.splitlines() if line.lstrip().startswith(b"status")]
    if len(lines) != 1:
        return None
    return {COMPLETED: "completed", DRAFT: "draft"}.get(lines[0])


@frozen
class Written:
    path: Path
    same: bool  # False: a different file of that name was already there (a conflict)


def write_session(data: bytes, session_id: str, root: Path | None = None) -> Written:
    """Write a pulled session file into its client's folder (named by the file itself)."""
    base = root or data_dir()
    try:
        doc = loads_toml(data.decode("utf-8"))
    except (UnicodeDecodeError, TomlError, ValueError):
        raise StorageError(f"session {session_id} from the database is not a session "
                           "file (not UTF-8 TOML); it is left on the server") from None
    if doc.get("id") != session_id:
        raise StorageError(f"session {session_id} from the database names another id "
                           f"({doc.get('id')!r}); it is left on the server")
    try:
        client = validate_client(doc.get("client"))
    except InvalidClientError as exc:
        raise StorageError(f"session {session_id} from the database: {exc}") from None
    check_data_folder(base)
    try:
        ensure_dir(base, base)
    except OSError as exc:
        raise StorageError(describe(exc, base)) from None
    client = spelled_on_disk(sessions_dir(base), client)
    return _place(base, client, f"{session_id}.toml", data)


def write_addendum(data: bytes, ref: SessionRef, addendum_id: str) -> Written:
    """Write a pulled addendum beside its session (`ref`, a file of this computer)."""
    # As above.
    from .addenda import addendum_name

    base = ref.path.parent.parent.parent
    return _place(base, ref.client, addendum_name(ref.id, addendum_id), data)


def _place(base: Path, client: str, name: str, data: bytes) -> Written:
    with client_folder(base, client, verb="writes", create=True) as (_, _, folder):
        path = sessions_dir(base) / client / name
        try:
            _write(path, data, overwrite=False, folder=folder)
        except FileExistsError:
            # Pulled by an earlier sync that stopped before it noted it, or a conflict.
            return Written(path, content(path) == data)
    return Written(path, True)


def created_of(session_id: str) -> dt.datetime:
    """A session's time, from its id (the file need not be parsed to push it)."""
    return dt.datetime.strptime(session_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
