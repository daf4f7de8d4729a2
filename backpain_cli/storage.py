"""Session files on disk: where they live, how they are written, how they are found.

Health data: files are 0600 and folders 0700 whatever the umask, writes are atomic (a temp
file in the same folder, fsync, then a rename), and a client reference can never name a path
outside the data folder. Storage knows sessions as files; it does not know the recommender.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidClientError, NotFoundError, SessionFileError, StorageError
from .session import Session, SessionFormatError, from_toml_dict, to_toml_dict

FILE_MODE = 0o600
DIR_MODE = 0o700
# ASCII only: str.isalnum() would accept other scripts, which file systems may normalise.
_CLIENT_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")
_SESSION_ID_RE = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}")


def data_dir() -> Path:
    """`$BACKPAIN_HOME` when set, else the platform's user data folder for backpain."""
    home = os.environ.get("BACKPAIN_HOME")
    if home:
        return Path(home).expanduser()
    import platformdirs  # only needed when BACKPAIN_HOME is not set

    return platformdirs.user_data_path("backpain", appauthor=False)


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
            "or '.', not starting with '.'")
    return ref


def new_session_id(now: dt.datetime | None = None) -> str:
    """Sortable by time (UTC, to the second) with a random suffix so ids never collide."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{os.urandom(3).hex()}"


def is_session_id(text: str) -> bool:
    return bool(_SESSION_ID_RE.fullmatch(text))


def _ensure_dir(path: Path, root: Path) -> None:
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


def _fsync_dir(path: Path) -> None:
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


def _describe(exc: OSError, target: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"cannot write {target}: the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {target}: permission denied (read-only or not yours)"
    return f"cannot write {target}: {exc.strerror or exc}"


# File systems without hard links (FAT and exFAT memory sticks, some network shares).
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK}


def _place_new(tmp: Path, target: Path) -> None:
    """Move `tmp` to `target`, which must not exist yet (FileExistsError if it does)."""
    try:
        # link() refuses an existing name atomically, unlike rename().
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        # Claim the name first (O_EXCL is atomic everywhere), then rename over the claim.
        # A crash between the two leaves an empty file, reported as unreadable, never a
        # half-written one.
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        os.replace(tmp, target)
        return
    os.unlink(tmp)


@contextlib.contextmanager
def atomic_fd(target: Path, *, overwrite: bool) -> Iterator[int]:
    """A file descriptor for the new content of `target`, put in place whole or not at all.

    The content goes to a private temp file in the same folder; on a clean exit it is
    fsynced and renamed (or, with `overwrite=False`, linked: FileExistsError if `target`
    exists). On any error the temp file goes and `target` keeps its old content; OS errors
    become one StorageError line.
    """
    folder = target.parent
    tmp = folder / f".{target.name}.{os.urandom(4).hex()}.tmp"
    placed = False
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)
            yield fd
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, target)
        else:
            _place_new(tmp, target)
        placed = True
        _fsync_dir(folder)
    except FileExistsError:
        raise
    except OSError as exc:
        raise StorageError(_describe(exc, target)) from None
    finally:
        if not placed:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def write_bytes_atomic(target: Path, data: bytes, *, overwrite: bool) -> None:
    """Write `data` to `target` so that a crash leaves the old file or the new one, whole.

    With `overwrite=False` an existing target is never replaced (FileExistsError), which is
    how two sessions saved in the same second can never clobber each other.
    """
    with atomic_fd(target, overwrite=overwrite) as fd:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]


def session_path(session: Session, root: Path | None = None) -> Path:
    client = validate_client(session.client)
    return sessions_dir(root) / client / f"{session.id}.toml"


def save_session(session: Session, *, root: Path | None = None, new: bool) -> tuple[Session, Path]:
    """Save a session; a new one gets a fresh id if (very rarely) its id is already taken.

    Returns the session as saved (its id may have changed) and the path.
    """
    import tomli_w

    base = root or data_dir()
    folder = sessions_dir(base) / validate_client(session.client)
    try:
        _ensure_dir(folder, base)
    except OSError as exc:
        raise StorageError(_describe(exc, folder)) from None
    for _ in range(20):
        path = folder / f"{session.id}.toml"
        data = tomli_w.dumps(to_toml_dict(session)).encode("utf-8")
        try:
            write_bytes_atomic(path, data, overwrite=not new)
        except FileExistsError:
            from dataclasses import replace

            session = replace(session, id=new_session_id(session.created))
            continue
        return session, path
    raise StorageError(f"cannot find a free session id in {folder}")


@dataclass(frozen=True)
class SessionRef:
    """What the file name alone tells: enough to sort, filter and find without parsing."""

    id: str
    client: str
    path: Path

    @property
    def created(self) -> dt.datetime:
        return dt.datetime.strptime(self.id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def iter_refs(root: Path | None = None, client: str | None = None) -> Iterator[SessionRef]:
    """Every session file by name, unsorted. Temp files and stray names are not sessions."""
    base = sessions_dir(root)
    if client is not None:
        folders = [base / validate_client(client)]
    else:
        try:
            folders = [Path(e.path) for e in os.scandir(base) if e.is_dir()]
        except FileNotFoundError:
            return
    for folder in folders:
        if not _CLIENT_RE.fullmatch(folder.name):
            continue
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for e in entries:
            name = e.name
            if name.endswith(".toml") and is_session_id(name[:-5]):
                yield SessionRef(name[:-5], folder.name, Path(e.path))


def delete_session(path: Path) -> None:
    """Remove a session file (a discarded draft), durably: the folder entry is synced."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        raise NotFoundError(f"{path}: no such file (already deleted?)") from None
    except OSError as exc:
        denied = exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
        reason = "permission denied (read-only or not yours)" if denied \
            else exc.strerror or str(exc)
        raise StorageError(f"cannot delete {path}: {reason}") from None
    _fsync_dir(path.parent)


def list_refs(root: Path | None = None, client: str | None = None) -> list[SessionRef]:
    """Newest first (ids sort by time)."""
    return sorted(iter_refs(root, client), key=lambda r: r.id, reverse=True)


def find_ref(prefix: str, root: Path | None = None) -> SessionRef:
    """A session by its id or a unique prefix of it."""
    matches = [r for r in iter_refs(root) if r.id.startswith(prefix)]
    if not matches:
        raise NotFoundError(f"no session with id {prefix!r}")
    if len(matches) > 1:
        shown = ", ".join(sorted(r.id for r in matches)[:10])
        more = f" and {len(matches) - 10} more" if len(matches) > 10 else ""
        raise NotFoundError(f"session id {prefix!r} is ambiguous: {shown}{more}")
    return matches[0]


@dataclass(frozen=True)
class Unreadable:
    """A session file that could not be read, and why: reported, never fatal for a list."""

    path: str
    reason: str

    @classmethod
    def of(cls, exc: SessionFileError) -> Unreadable:
        return cls(exc.path, exc.reason)


def read_session(path: Path) -> Session:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SessionFileError(str(path), f"cannot read ({exc.strerror})") from None
    if not data.strip():
        raise SessionFileError(str(path), "the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SessionFileError(str(path), "not UTF-8 text") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SessionFileError(str(path), f"not valid TOML ({exc})") from None
    try:
        session = from_toml_dict(raw)
    except SessionFormatError as exc:
        raise SessionFileError(str(path), str(exc)) from None
    if session.id != path.stem:
        raise SessionFileError(str(path), f"its id {session.id!r} does not match the file name")
    return session
