"""Reading the files backpain is given: session files, answers files, questionnaire files.

Whatever sits at a path, reading it must neither hang nor eat memory nor crash: a FIFO
would block an ordinary open, /dev/zero never ends, and deeply nested TOML exhausts the
parser's recursion. So every file is opened without blocking, must be a regular file,
is read only up to a limit far above any real file, and its TOML is parsed by `loads_toml`,
which turns a recursion failure into an ordinary TOML error. Callers add the path and word
the error in their own kind (SessionFileError, UnreadableFileError, a questionnaire Problem).
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from importlib.resources.abc import Traversable

# A session file is a few kilobytes; a questionnaire with full item texts some tens.
MAX_BYTES = 1_000_000
TOO_LARGE = "too large (over 1 MB)"
NOT_REGULAR = "not a regular file (a FIFO, device or socket)"
LINKED = "a symbolic link (links inside the data folder are not followed)"


class NotReadable(Exception):
    """Why the file at a path was not read, in words for the practitioner (no path).

    `strerror` is set when the operating system refused (for callers that word those
    themselves); `reason` is always the whole reason.
    """

    def __init__(self, reason: str, *, err: int | None = None,
                 strerror: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.errno = err
        self.strerror = strerror


def _os_error(exc: OSError) -> NotReadable:
    text = exc.strerror or str(exc)
    return NotReadable(f"cannot read ({text})", err=exc.errno, strerror=text)


def read_bytes(path: Path, *, follow_links: bool = True, limit: int = MAX_BYTES) -> bytes:
    """The content of the regular file at `path`, at most `limit` bytes (NotReadable if not).

    O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer, and the
    fstat that follows refuses it (and devices) before anything is read. With
    `follow_links=False` a symbolic link itself is refused (files inside the data folder).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    if not follow_links:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_links:
            try:
                linked = stat.S_ISLNK(os.lstat(path).st_mode)
            except OSError:
                linked = False
            if linked:
                raise NotReadable(LINKED) from None
        raise _os_error(exc) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _os_error(IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
        if not stat.S_ISREG(info.st_mode):
            raise NotReadable(NOT_REGULAR)
        if info.st_size > limit:
            raise NotReadable(TOO_LARGE)
        chunks: list[bytes] = []
        size = 0
        # Read to the end rather than trust st_size (a file may grow meanwhile), but never
        # more than one byte past the limit.
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise NotReadable(TOO_LARGE)
        return b"".join(chunks)
    except OSError as exc:
        raise _os_error(exc) from None
    finally:
        os.close(fd)


class TomlError(ValueError):
    """Text that is not TOML backpain can use; its message says why, in the parser's words."""


def loads_toml(text: str) -> dict[str, Any]:
    """The one TOML parser's reading of `text` (`parse_toml`), with date-times that have no
    UTC equivalent refused too (`check_date_times`); TomlError if it cannot be used."""
    data = parse_toml(text)
    check_date_times(data)
    return data


def parse_toml(text: str) -> dict[str, Any]:
    """What tomli makes of `text`, or TomlError: every TOML backpain reads (session, answers,
    settings and questionnaire files, and its own data) is parsed here.

    tomli is the standard library's tomllib as its author publishes it, compiled (mypyc):
    it reads a session file about three times faster (0.33 against 1.03 ms on the
    reference machine), which the first build of the summary index and every command
    reading files feel. Pinned below 2.4, it reads TOML 1.0 as tomllib does on Python 3.11
    to 3.14, with tomllib's error messages (tests/test_toml_parser.py compares the two).
    Where no compiled wheel exists it is the same pure Python as tomllib.

    The parser works recursively; about 500 levels of nesting (a 1 KB file) exhaust the
    interpreter's stack and raise RecursionError, which is no TOML error at all, and int()
    refuses a decimal of more digits than sys.get_int_max_str_digits() (a guard against
    quadratic conversions) with a ValueError the parser lets through: both are reported as
    bad TOML. Date-times are not checked yet (`check_date_times`): the summary index keeps
    what the parser made of a session file, and judges it again after an upgrade.
    """
    import tomli  # here: a listing answered from the summary index parses no TOML

    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise TomlError(str(exc)) from None
    except RecursionError:
        raise TomlError("arrays or tables nested too deeply") from None
    except ValueError:
        raise TomlError(
            f"an integer of more than {sys.get_int_max_str_digits()} digits") from None


def check_date_times(data: dict[str, Any], found: Iterable[object] | None = None) -> None:
    """A date-time with an offset that has no UTC equivalent within years 1 to 9999
    (`9999-12-31T23:59:59-01:00`) is refused here (TomlError): every later use of it
    (sorting, showing it in UTC) would raise OverflowError. `found`: the dates and times of
    `data`, when the caller has seen them already (the summary index does, as it encodes
    `data`)."""
    for value in _values(data) if found is None else found:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            try:
                value.astimezone(dt.UTC)
            except OverflowError:
                raise TomlError(
                    f"the date-time {value.isoformat()} is out of range in UTC") from None


def _values(data: dict[str, Any]) -> Iterator[object]:
    """Every value in `data`, however deeply nested."""
    todo: list[Any] = [data]
    while todo:  # not recursive: the nesting may be as deep as the parser allows
        value = todo.pop()
        if isinstance(value, dict):
            todo.extend(value.values())
        elif isinstance(value, list):
            todo.extend(value)
        else:
            yield value


def packaged(folder: Path, package: str, source: Path | None = None) -> Path | Traversable:
    """The folder of a package's own data files: `folder` itself in an installed package,
    else `source` in a source tree, else what importlib.resources finds for `package` (a
    zipped one). importlib.resources, with the tempfile, zipfile and threading modules it
    pulls in, is about 10 ms of review SESSION's start-up: not imported when the folder is
    there.

    `source`: pyproject.toml installs the repository's questionnaires/ and examples/ as
    backpain_cli.questionnaires and backpain_cli.data. Python run from the top of a
    checkout or an unpacked sdist (`python -m backpain_cli`, `python -m pytest`) imports the
    backpain_cli/ there, not the installed copy, and that tree has no such subpackages.
    """
    if folder.is_dir():
        return folder
    if source is not None and source.is_dir():
        return source
    from importlib import resources

    return resources.files(package)
