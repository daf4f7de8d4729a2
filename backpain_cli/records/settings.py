"""The practice's settings: one `config.toml`, read lazily, written with the care of a session.

Where: `$BACKPAIN_CONFIG` when set, else `config.toml` in the platform's user config folder
for backpain. Every key is a top-level string and the names are a contract (the README,
"`backpain config`"):

- `practice_name`, `practice_contact`, `practitioner`: recorded in each new session and shown
  on its handout (one line each, no control characters, at most `MAX_TEXT` characters).
- `instruments`: the default of `assess --instruments` ("odi" or "odi,rmdq"); checked against
  the questionnaires where they are known (`config set`, `assess`).
- `data_dir`: the data folder, an absolute path (`~` allowed); `$BACKPAIN_HOME` wins over it.
- `fhir_identifier_system`, `fhir_canonical_base`: the FHIR Bundles' identifier system
  and canonical base, absolute URIs (`uri_problem`).
- `practice_id`: a random UUID that backpain writes once, the first time a FHIR export
  needs a default identifier system (`practice_namespace`). Practices with several machines
  copy it to each (`backpain config set practice_id ...`), so that their identifiers agree.
- `paper`: `a4` (the default) or `letter`, the paper of every PDF backpain writes.
- `database_url`: the PostgreSQL database `backpain sync` and `backpain db` use, a libpq URL,
  key=value string or service name; never one holding a password (`database_url_problem`).

A missing file means no settings. A file that cannot be read, is not TOML, or holds an
unknown key or a value that does not fit is a `SettingsError` (one line, exit 1) for every
command that needs the settings; `--version` and `review SESSION` with `$BACKPAIN_HOME` set
never read the file. Nothing here imports more than the standard library until it writes.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path

from ..errors import SettingsError, UsageError
from ..files import NotReadable, TomlError, loads_toml, read_bytes
from ..frozen import frozen
from .atomic import system_folder
from .practice import MAX_TEXT, PRACTICE_KEYS, Practice, text_problem

# Practice is the settings' value type as well (`Settings.practice`).
__all__ = ["KEYS", "Practice", "Settings", "load"]

CONFIG_ENV = "BACKPAIN_CONFIG"
CONFIG_NAME = "config.toml"
# The keys in the order `config show` lists and the file is written in.
KEYS = ("practice_name", "practice_contact", "practitioner", "instruments", "data_dir",
        "fhir_identifier_system", "fhir_canonical_base", "practice_id", "database_url",
        "paper")
PAPERS = ("a4", "letter")
PRACTICE_NAMESPACE_PREFIX = "urn:backpain:practice:"

_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_INSTRUMENTS_RE = re.compile(r"\s*[A-Za-z0-9_-]+\s*(?:,\s*[A-Za-z0-9_-]+\s*)*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S")
# `|` `,` `$` `\` are special in a FHIR search value, `#` and `?` end a URL's path.
_UNSAFE = frozenset("|,$\\#?")


@frozen
class Settings:
    """The settings file's values, checked; a key that is not set is absent from `values`."""

    path: Path
    values: Mapping[str, str] = field(default_factory=dict)
    exists: bool = False

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    @property
    def practice(self) -> Practice:
        name, contact, practitioner = (self.get(k) for k in PRACTICE_KEYS)
        return Practice(name, contact, practitioner)

    @property
    def data_dir(self) -> Path | None:
        value = self.get("data_dir")
        return None if value is None else Path(value).expanduser()

    @property
    def instruments(self) -> str | None:
        return self.get("instruments")

    @property
    def paper(self) -> str:
        return self.get("paper") or PAPERS[0]


# --------------------------------------------------------------------------- the rules


def uri_problem(value: str) -> str | None:
    """Why `value` cannot be an identifier system or canonical base, or None if it can."""
    if not _SCHEME.match(value):
        return "must be an absolute URI such as https://example.org/fhir or urn:..."
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        return "must not contain spaces or control characters"
    bad = sorted(set(value) & _UNSAFE)
    if bad:
        return f"must not contain {' '.join(bad)}"
    if value.endswith("/"):
        return "must not end with /"
    return None


def practice_namespace(practice_id: object) -> str:
    """The default identifier system and canonical base of a practice with this id."""
    return f"{PRACTICE_NAMESPACE_PREFIX}{practice_id}"


def value_problem(key: str, value: object) -> str | None:
    """Why `value` cannot be the value of `key` (a known key), or None if it can.

    The one check of a value, whether it comes from the file or from `config set`.
    """
    problem = text_problem(value, limit=4096 if key == "data_dir" else MAX_TEXT)
    if problem is not None or not isinstance(value, str):
        return problem
    if key == "instruments" and not _INSTRUMENTS_RE.fullmatch(value):
        return "must be instrument names separated by commas, such as \"odi\" or \"odi,rmdq\""
    if key == "data_dir" and not Path(value).expanduser().is_absolute():
        return "must be an absolute folder path, such as /srv/backpain or ~/backpain"
    if key in ("fhir_identifier_system", "fhir_canonical_base"):
        return uri_problem(value)
    if key == "database_url":
        return database_url_problem(value)
    if key == "paper" and value not in PAPERS:
        return "must be a4 or letter"
    if key == "practice_id" and not _UUID_RE.fullmatch(value):
        return "must be a UUID in lower case, such as 4f6c1d2e-8a3b-4c5d-9e0f-1a2b3c4d5e6f"
    return None


# A password in the settings file would be a secret in a file that is shown (`config
# show`), copied between computers and backed up: libpq reads it from where it belongs.
_URL_PASSWORD = re.compile(r"^postgres(?:ql)?://[^/?#@]*:[^/?#@]*@", re.IGNORECASE)
_QUERY_PASSWORD = re.compile(r"[?&]password=", re.IGNORECASE)
_KEYWORD_PASSWORD = re.compile(r"(?:^|\s)password\s*=", re.IGNORECASE)
PASSWORD_REFUSED = ("must not hold a password: keep it in ~/.pgpass, a service file "
                    "(~/.pg_service.conf) or $PGPASSWORD, where PostgreSQL looks for it")


def database_url_problem(value: str) -> str | None:
    """Why `value` cannot be the database_url setting (a password in it), or None.

    Read without psycopg: the settings are read by every command, at start-up."""
    if not value.strip():
        return "must not be empty"
    if value.lower().startswith(("postgres://", "postgresql://")):
        if _URL_PASSWORD.match(value) or _QUERY_PASSWORD.search(value):
            return PASSWORD_REFUSED
    elif _KEYWORD_PASSWORD.search(value):
        return PASSWORD_REFUSED
    return None


def data_folder_problem(path: Path) -> str | None:
    """Why `path` cannot be the data folder, as far as can be told before it is used: in a
    system folder, or something other than a folder at it or in the way of it (the nearest
    part of it that exists). None when it is, or can become, a folder of the user's.

    For `config set data_dir` and at use (storage); not when the settings file is read,
    so that a wrong data_dir can still be changed with `config set` or `config unset`."""

    top = system_folder(path)
    if top is not None:
        return f"must not be in {top}, a system folder: choose a folder of your own"
    part = path
    while True:
        try:
            info = os.stat(part)
        except (FileNotFoundError, NotADirectoryError):
            if part.parent == part:
                return None
            part = part.parent
            continue
        except OSError as exc:
            return f"cannot be used: {part}: {exc.strerror or exc}"
        if stat.S_ISDIR(info.st_mode):
            return None
        kind = "a file" if stat.S_ISREG(info.st_mode) else "a device, FIFO or socket"
        return f"must be a folder: {part} is {kind}"


def unknown_key(key: str) -> str:
    return f"unknown key {key!r}; the keys are {', '.join(KEYS)}"


# --------------------------------------------------------------------------- reading


def config_path() -> Path:
    """`$BACKPAIN_CONFIG` when set, else config.toml in the user config folder."""
    configured = os.environ.get(CONFIG_ENV)
    if configured:
        return Path(configured).expanduser()
    import platformdirs  # only when the path is not given

    return platformdirs.user_config_path("backpain", appauthor=False) / CONFIG_NAME


# Read once a process per file version: the data folder is asked for many times a command.
_CACHE: dict[str, tuple[tuple[int, int, int], Settings]] = {}


def load(path: Path | None = None) -> Settings:
    """The settings at `path` (the config file by default); no file, no settings."""
    path = path or config_path()
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return Settings(path)
    except OSError as exc:
        raise SettingsError(str(path), f"cannot read ({exc.strerror or exc})") from None
    stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
    cached = _CACHE.get(str(path))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    settings = _read(path)
    _CACHE[str(path)] = (stamp, settings)
    return settings


def _read(path: Path) -> Settings:
    try:
        # Outside the data folder: a link to the file (a dotfiles manager's) is followed.
        data = read_bytes(path)
    except NotReadable as exc:
        if exc.errno == errno.ENOENT:  # gone between the stat and the open
            return Settings(path)
        raise SettingsError(str(path), exc.reason) from None
    try:
        raw = loads_toml(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(str(path), "not UTF-8 text") from None
    except TomlError as exc:
        raise SettingsError(str(path), f"not valid TOML ({exc})") from None
    values: dict[str, str] = {}
    for key, value in raw.items():
        if key not in KEYS:
            raise SettingsError(str(path), unknown_key(key))
        problem = value_problem(key, value)
        if problem is not None:
            raise SettingsError(str(path), f"{key} {problem}")
        values[key] = value
    return Settings(path, {k: values[k] for k in KEYS if k in values}, exists=True)


# --------------------------------------------------------------------------- writing


def _write(settings: Settings, values: Mapping[str, str]) -> Settings:
    """Replace the file's content with `values`, atomically and readable only by you."""
    # The writer: only `config set|unset` and a first practice id write the file.
    import tomli_w

    from .atomic import ensure_private_dir, write_bytes_atomic

    # The file a link points to is replaced, not the link: the practitioner's dotfiles stay.
    target = Path(os.path.realpath(settings.path))
    ensure_private_dir(target.parent)
    ordered = {k: values[k] for k in KEYS if k in values}
    text = ("# backpain settings: change them with `backpain config set KEY VALUE` "
            "(this file is rewritten then, without comments)\n" + tomli_w.dumps(ordered))
    write_bytes_atomic(target, text.encode("utf-8"), overwrite=True)
    _CACHE.pop(str(settings.path), None)
    return Settings(settings.path, ordered, exists=True)


def set_value(key: str, value: str, path: Path | None = None) -> Settings:
    """`config set KEY VALUE`: a wrong key or value is wrong usage (exit 2), nothing written.

    The file itself must be readable first: a broken one is reported, not overwritten.
    """
    if key not in KEYS:
        raise UsageError(unknown_key(key))
    problem = value_problem(key, value)
    if problem is None and key == "data_dir":
        problem = data_folder_problem(Path(value).expanduser())
    if problem is not None:
        raise UsageError(f"{key} {problem}")
    settings = load(path)
    return _write(settings, {**settings.values, key: value})


def unset(key: str, path: Path | None = None) -> tuple[Settings, bool]:
    """`config unset KEY`: the settings after, and whether the key was set."""
    if key not in KEYS:
        raise UsageError(unknown_key(key))
    settings = load(path)
    if key not in settings.values:
        return settings, False
    return _write(settings, {k: v for k, v in settings.values.items() if k != key}), True


def practice_id(path: Path | None = None) -> str:
    """The practice's id, created (a random UUID) and kept in the file the first time.

    Identifiers that a FHIR server stores must stay the same on every export, so an id
    that cannot be kept is an error rather than a fresh one each time.
    """
    settings = load(path)
    existing = settings.get("practice_id")
    if existing is not None:
        return existing
    # Once per settings file: the practice id is made the first time it is needed.
    import uuid

    new = str(uuid.uuid4())
    _write(settings, {**settings.values, "practice_id": new})
    return new


def fhir_names(path: Path | None = None) -> tuple[str, str]:
    """The identifier system and canonical base of the FHIR transaction: as configured,
    else the practice's namespace (creating the practice id if there is none yet)."""
    settings = load(path)
    system = settings.get("fhir_identifier_system")
    base = settings.get("fhir_canonical_base")
    if system is None or base is None:
        default = practice_namespace(practice_id(path))
        system, base = system or default, base or default
    return system, base
