"""Session files on disk: saved, read and deleted.

Health data: files are 0600 and folders 0700 whatever the umask, writes are atomic (a temp
file in the same folder, fsync, then a rename; records/atomic.py), and every folder below
the data folder is opened link by link. Where things are: records/paths.py; what the tree
holds: records/tree.py. The one reader is here (`read_session`, `read_ref`): every command,
and the summary index, judge a file the same way. Storage knows sessions as files; it does
not know the recommender.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError, SessionFileError, StorageError
from ..files import NotReadable, TomlError, check_date_times, parse_toml, read_bytes
from ..frozen import frozen
from .atomic import (
    DIR_MODE,
    FILE_MODE,
    TMP_RE,
    describe,
    ensure_dir,
    fsync_folder,
    open_folder,
    open_subfolder,
    write_bytes_atomic,
)
from .paths import (
    check_data_folder,
    data_dir,
    is_session_id,
    new_session_id,
    questionnaires_dir,
    same_client,
    sessions_dir,
    validate_client,
)
from .session import (
    ModuleRef,
    Session,
    SessionFormatError,
    check_stored_values,
    from_toml_dict,
    to_toml_dict,
)
from .tree import SessionRef, is_session_name, spelled_on_disk

if TYPE_CHECKING:
    from ..clinical.questionnaire import AnswerValue, Question
    from .index import codec


def save_session(session: Session, *, root: Path | None = None, new: bool) -> tuple[Session, Path]:
    """Save a session; a new one gets a fresh id if (very rarely) its id is already taken.

    A client whose folder exists in another case is that client: the session goes to that
    folder and is saved with its spelling. Returns the session as saved (its id and client
    may have changed: the caller tells the practitioner) and the path.
    """
    # The writer: only a save needs it (a listing or a review reads).
    import tomli_w

    base = root or data_dir()
    check_data_folder(base)
    client = spelled_on_disk(sessions_dir(base), validate_client(session.client))
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
    from .index import codec, db  # sqlite3: only for the commands that save

    if not os.path.exists(db.index_path(base)):
        return
    looked = codec.now_ns()
    try:
        # The file just written, in the folder just written to (its handle).
        stamp = codec.stamp_of(os.stat(ref.path.name, dir_fd=folder, follow_symlinks=False))
    except OSError:
        return
    entry, doc = index_entry(ref, stamp, looked)
    db.record(base, entry, doc)


def index_entry(ref: SessionRef, stamp: codec.Stamp | None, looked: int, *,
                questionnaires: Path | None = None) -> tuple[codec.Entry, str | None]:
    """The summary index's row (and JSON document) of the file of `ref`, made by the one
    reader with its checks: a summary of what it reads, or why it cannot be read, with
    what the TOML parser made of the file (judged again after an upgrade: `rejudged_entry`).

    `stamp` must have been taken before the file is read (at `looked`): if the file changes
    meanwhile, its new stamp differs from the stored one, and it is read again.
    `questionnaires`: as for `judge`.
    """
    # records/index imports this module (the one reader): not at the top.
    from .index import codec

    try:
        raw = parse_file(ref.path)
    except SessionFileError as exc:
        return codec.row(ref.client, ref.path.name, ref.id, stamp, looked, exc.reason)
    parsed, date_times = codec.parsed_text(raw)
    return _judged_entry(ref, raw, date_times, parsed, stamp, looked, questionnaires)


def rejudged_entry(ref: SessionRef, parsed: str, stamp: codec.Stamp | None, checked: int, *,
                   questionnaires: Path | None = None) -> tuple[codec.Entry, str | None]:
    """`index_entry` of a file whose stamp is still `stamp`, from what the TOML parser made of it
    (`parsed`, as the index keeps it): judged by today's rules without parsing it again."""
    # records/index imports this module, as above.
    from .index import codec

    raw, date_times = codec.parsed_of(parsed)
    return _judged_entry(ref, raw, date_times, parsed, stamp, checked, questionnaires)


def _judged_entry(ref: SessionRef, raw: dict[str, Any], date_times: list[object] | None,
                  parsed: str | None, stamp: codec.Stamp | None, looked: int,
                  questionnaires: Path | None) -> tuple[codec.Entry, str | None]:
    # records/index imports this module, as above.
    from .index import codec

    try:
        session = judge(raw, ref.path, ref.client, questionnaires=questionnaires,
                        date_times=date_times)
    except SessionFileError as exc:
        return codec.row(ref.client, ref.path.name, ref.id, stamp, looked, exc.reason,
                         parsed=parsed)
    return codec.row(ref.client, ref.path.name, ref.id, stamp, looked, session=session,
                     parsed=parsed)


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
            elif is_session_name(e.name) and info.st_mode & 0o077:
                try:
                    os.chmod(e.name, FILE_MODE, dir_fd=folder, follow_symlinks=False)
                except NotImplementedError:  # no lchmod: it was a regular file just now
                    os.chmod(e.name, FILE_MODE, dir_fd=folder)


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
    from .index import db  # its row goes too: a discarded draft leaves no summary

    db.forget(root, [path])


def read_session(path: Path) -> Session:
    """The session in the file at `path`, or SessionFileError why it cannot be read."""
    return judge(parse_file(path), path)


def read_ref(ref: SessionRef) -> Session:
    """Read a session found by `scan`, also refusing one whose client is not its folder's.

    A client's sessions are found by folder; a session claiming another client would
    otherwise be shown in the wrong history. (Summaries of many sessions come from the
    summary index, which makes them with these very functions: `index_entry`.)
    """
    return judge(parse_file(ref.path), ref.path, ref.client)


def parse_file(path: Path) -> dict[str, Any]:
    """What the TOML parser makes of the session file at `path`, or SessionFileError why it cannot
    be read that far: the first half of the one reader."""
    try:
        # Inside the data folder: a link is reported, never followed (the README).
        data = read_bytes(path, follow_links=False)
    except NotReadable as exc:
        raise SessionFileError(str(path), exc.reason) from None
    if not data.strip():
        raise SessionFileError(str(path), "the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SessionFileError(str(path), "not UTF-8 text") from None
    try:
        return parse_toml(text)
    except TomlError as exc:
        raise SessionFileError(str(path), f"not valid TOML ({exc})") from None


def judge(raw: dict[str, Any], path: Path, client: str | None = None, *,
          questionnaires: Path | None = None,
          date_times: Iterable[object] | None = None) -> Session:
    """The second half of the one reader: the Session a parsed file (`parse_file`) holds,
    or SessionFileError why it cannot be read. With `client`, a session of another client
    than its folder's is refused. `questionnaires`: the practitioner's questionnaires
    folder (default: the data folder's), whose texts judge the answers. `date_times`: the
    dates and times of `raw`, when the caller has found them already.

    Whatever decides from the parsed document is here, so that the summary index can judge
    the documents it holds again after an upgrade, without parsing their files again.
    """
    try:
        check_date_times(raw, date_times)
    except TomlError as exc:
        raise SessionFileError(str(path), f"not valid TOML ({exc})") from None
    try:
        session = from_toml_dict(raw)
    except SessionFormatError as exc:
        raise SessionFileError(str(path), str(exc)) from None
    check_read(session, path, questionnaires)
    if client is not None and not same_client(session.client, client):
        raise SessionFileError(
            str(path), f"its client {session.client!r} does not match its folder {client!r}")
    return session


def check_read(session: Session, path: Path, questionnaires: Path | None = None) -> Session:
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
    problem = _answers_problem(session, questionnaires or questionnaires_dir())
    if problem is not None:
        raise SessionFileError(str(path), problem)
    return session


def _answers_problem(session: Session, questionnaires: Path) -> str | None:
    """The first stored answer its own questionnaire would not accept, if any.

    Only questionnaires known by the hash of their text can judge: a session answered to
    an older version (or to a module since removed) keeps the answers it was given, and
    `review SESSION` says which no longer fit today's questions.
    """
    known = _known_questions(questionnaires, session.questionnaires)
    for qid, value in session.answers.items():
        if qid not in known.questions:
            if known.complete:
                return f"answer {qid!r} is to no question of its questionnaires"
            continue
        reason = known.verdict(qid, value)
        if reason is not None:
            return f"answer {qid!r} does not fit its question: {reason}"
    return None


@frozen
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
            # The questionnaire model, as above.
            from ..clinical.questionnaire import check_value

            self.verdicts[key] = check_value(self.questions[qid], value)
        return self.verdicts[key]


_KNOWN: dict[tuple[str, tuple[ModuleRef, ...]], _KnownQuestions] = {}


def _known_questions(user_dir: Path, refs: tuple[ModuleRef, ...]) -> _KnownQuestions:
    key = (str(user_dir), refs)
    found = _KNOWN.get(key)
    if found is None:
        # The questionnaire model: only a file read needs it (rows from the index do not).
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
