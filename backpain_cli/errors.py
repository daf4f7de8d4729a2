"""The one exception hierarchy of backpain.

Domain code raises these; `cli/` turns them into a message and an exit code in one place.
Messages are written for the practitioner: one clear line, no traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .frozen import frozen
from .safe_text import visible

if TYPE_CHECKING:
    from pathlib import Path


class BackpainError(Exception):
    """Any error the user can act on. Exit code 1 unless a subclass says otherwise."""

    exit_code = 1


class UsageError(BackpainError):
    """The command line itself is wrong (an unknown instrument, clashing options)."""

    exit_code = 2


class UnreadableFileError(BackpainError):
    """A file that is not valid UTF-8 or TOML, or is missing."""


class InvalidClientError(BackpainError):
    """A client reference that could point outside the data folder or is malformed."""


class NotFoundError(BackpainError):
    """An unknown session or client."""


@frozen
class Problem:
    """One thing wrong with one question (or the file as a whole when `where` is empty)."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}" if self.where else self.reason


class ProblemsError(BackpainError):
    """Several problems reported together; the message lists every one of them."""

    headline = "problems found"

    def __init__(self, problems: Sequence[Problem], headline: str | None = None) -> None:
        self.problems = tuple(problems)
        if headline is not None:
            self.headline = headline
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"{self.headline} ({len(self.problems)}):"]
        lines.extend(f"  - {p}" for p in self.problems)
        return "\n".join(lines)


class QuestionnaireError(ProblemsError):
    """A questionnaire file that does not validate."""

    headline = "invalid questionnaire"


class AnswersError(ProblemsError):
    """Missing or invalid answers under --no-input (exit 3)."""

    exit_code = 3
    headline = "the answers are incomplete or invalid"


class SessionFileError(BackpainError):
    """A session file that cannot be read: corrupt, truncated, wrong or newer schema."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class SettingsError(BackpainError):
    """The settings file (config.toml) cannot be read, or holds a key or value that does
    not fit: every command that needs the settings stops (exit 1) until it is fixed."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class StorageError(BackpainError):
    """The data folder cannot be written (read-only, full, permissions)."""


class UnsavedSessionError(StorageError):
    """The data folder refused a session: the answers travel with the error as an answers
    file, which the command prints so that the interview is not lost."""

    def __init__(self, message: str, answers_file: str) -> None:
        self.answers_file = answers_file
        super().__init__(message)


class OutputError(BackpainError):
    """Standard output cannot be written (a full disk, a device error)."""


class OutputExistsError(BackpainError):
    """`-o PATH` names an existing file and `--force` was not given."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} already exists; add --force to replace it")


class OutputTargetError(BackpainError):
    """`-o PATH` names what an export never replaces (a device, a link, a folder...) or a
    place inside the sessions folder."""


class SkippedSessionsError(BackpainError):
    """Raised after an export finished without some unreadable session files (exit 1).

    The export itself is complete for every other session; this only makes the exit code
    say that something is missing from it.
    """

    def __init__(self, count: int) -> None:
        self.count = count
        what = "session file could not be read and was" if count == 1 else (
            "session files could not be read and were")
        super().__init__(f"{count} {what} skipped (named above)")


class NoTerminalError(BackpainError):
    """Answers are missing and there is no terminal to ask them on."""


class Interrupted(BackpainError):
    """The practitioner pressed Ctrl-C or closed input during the interview (exit 130)."""

    exit_code = 130


def report(exc: BackpainError) -> None:
    """The one way an error reaches the user: one plain line on stderr (no rich)."""

    # Usage errors read the same whether click or a command found them (cli/app.py _Group).
    kind = ("" if isinstance(exc, Interrupted) else
            "usage error: " if isinstance(exc, UsageError) else "error: ")
    # Messages quote paths and values from files: control characters are shown, not sent.
    sys.stderr.write(f"backpain: {kind}{visible(str(exc))}\n")


def from_an_interrupt(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt is what `exc` was raised from (or while handling): a
    Ctrl-C while a class is being made reaches the caller wrapped in a RuntimeError
    ("Error calling __set_name__ ...")."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False
