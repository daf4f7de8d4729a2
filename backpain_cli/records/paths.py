"""Where a data folder's parts are, and what names are valid in it.

The data folder in use (`$BACKPAIN_HOME`, the settings, or the platform's), its sessions and
questionnaires folders, client references and session ids: checked here, so that a client
reference can never name a path outside the data folder. Nothing here reads or writes a
session.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from pathlib import Path

from ..errors import InvalidClientError, StorageError
from .atomic import system_folder

# ASCII only: str.isalnum() would accept other scripts, which file systems may normalise.
# Not starting with "-": it would be read as an option on the command line (and a CSV cell
# starting with it as a formula).
CLIENT_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")
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
    if not CLIENT_RE.fullmatch(ref):
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


# An addendum of a session (records/addenda.py) lives beside it as
# `<session id>+<addendum id>.toml`: the scanner and `forget` know it by name alone.
ADDENDUM_SEPARATOR = "+"


def parse_addendum_name(name: str) -> tuple[str, str] | None:
    """(session id, addendum id) of an addendum's file name, else None."""
    if not name.endswith(".toml"):
        return None
    session, sep, addendum = name[:-5].partition(ADDENDUM_SEPARATOR)
    if not sep or not (is_session_id(session) and is_session_id(addendum)):
        return None
    return session, addendum


def is_addendum_name(name: str) -> bool:
    return parse_addendum_name(name) is not None


def same_client(a: str | None, b: str | None) -> bool:
    """Client references name the same client whatever their case (`jd-1` is `JD-1`)."""
    return a is not None and b is not None and a.lower() == b.lower()



def _home_hint() -> str:
    return "; check $BACKPAIN_HOME" if os.environ.get("BACKPAIN_HOME") else ""


def check_data_folder(base: Path) -> None:
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

