"""`backpain config show|path|set|unset` and `backpain where`: the settings file, and where
backpain keeps its data, settings and cache.

The settings themselves (keys, rules, reading and writing) are records.settings; this module
only parses the command line and words the result.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..safe_text import to_json
from . import helptext

KEYS_NOTE = (
    "Keys: practice_name, practice_contact (address or phone, one line), practitioner "
    "(shown on handouts and recorded in each new session), instruments (the default of "
    "assess --instruments, e.g. odi or odi,rmdq), data_dir (an absolute folder; "
    "$BACKPAIN_HOME wins over it), fhir_identifier_system and fhir_canonical_base (absolute "
    "URIs for export --format fhir), practice_id (written by backpain "
    "once; copy it to the practice's other computers).")
BROKEN = (1, "the settings file cannot be read, holds an unknown key or a wrong value, or "
             "cannot be written (its path and the reason are named)")
WRONG_KEY = (2, "wrong usage: an unknown key or a value that does not fit (nothing is "
                "written)")

config_app = typer.Typer(
    help="Show or change the practice's settings (config.toml).\n\nThe practice and "
         "practitioner on handouts, the default instruments, the data folder and the FHIR "
         "names.",
    no_args_is_help=True, rich_markup_mode=None,
    epilog=helptext.epilog(
        ["backpain config show", 'backpain config set practice_name "Physio Nord"',
         "backpain config path"],
        [helptext.OK, BROKEN, (2, "wrong usage, or no command given (this help is shown)"),
         helptext.INTERRUPTED], KEYS_NOTE))


def register(app: typer.Typer) -> None:
    # Errors raised here reach the root group's invoke, the one place that maps them.
    app.add_typer(config_app, name="config")
    app.command("where", epilog=helptext.epilog(
        ["backpain where", "backpain where --json"],
        [helptext.OK, (1, "the settings file cannot be read (the paths are still shown, "
                          "the data folder as ?)"), helptext.USAGE,
         helptext.INTERRUPTED]))(where)


def _info(message: str) -> None:
    sys.stderr.write(f"{message}\n")


@config_app.command("show", epilog=helptext.epilog(
    ["backpain config show", "backpain config show --json"],
    [helptext.OK, BROKEN, helptext.USAGE, helptext.INTERRUPTED], KEYS_NOTE))
def show(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print the settings file's values (and which keys are not set)."""
    from ..records.settings import KEYS, load
    from ..safe_text import visible

    settings = load()
    if as_json:
        doc = {"path": str(settings.path), "exists": settings.exists,
               "settings": dict(settings.values)}
        sys.stdout.write(to_json(doc))
        return
    import tomli_w

    created = "" if settings.exists else " (not created yet)"
    lines = [f"# {visible(str(settings.path))}{created}"]
    if settings.values:
        lines.append(tomli_w.dumps(dict(settings.values)).rstrip("\n"))
    missing = [k for k in KEYS if k not in settings.values]
    if missing:
        lines.append(f"# not set: {', '.join(missing)}")
    sys.stdout.write("\n".join(lines) + "\n")


@config_app.command("path", epilog=helptext.epilog(
    ["backpain config path", '"$EDITOR" "$(backpain config path)"'],
    [helptext.OK, helptext.USAGE, helptext.INTERRUPTED],
    "The file need not exist yet; it is not read."))
def path() -> None:
    """Print the settings file's path ($BACKPAIN_CONFIG, or the user config folder)."""
    from ..records.settings import config_path
    from ..safe_text import visible

    sys.stdout.write(f"{visible(str(config_path()))}\n")


@config_app.command("set", epilog=helptext.epilog(
    ['backpain config set practice_name "Physio Nord"',
     'backpain config set practice_contact "12 Harbour Road · 0431 123456"',
     "backpain config set instruments odi"],
    [helptext.OK, BROKEN, WRONG_KEY, helptext.INTERRUPTED], KEYS_NOTE,
    "The file is rewritten whole (atomically, readable only by you); comments in it are "
    "not kept."))
def set_(
    key: Annotated[str, typer.Argument(help="A key (listed below).", show_default=False)],
    value: Annotated[str, typer.Argument(help="Its new value.", show_default=False)],
) -> None:
    """Set one key of the settings file, after checking it."""
    from ..records import settings as store
    from ..records.practice import PRACTICE_KEYS

    if key == "instruments":
        value = _instruments(value)
    saved = store.set_value(key, value)
    _info(f"Set {key} in {saved.path}")
    if key == "data_dir":
        import os

        if os.environ.get("BACKPAIN_HOME"):
            _info("backpain: note: $BACKPAIN_HOME is set and wins over data_dir")
    elif key in PRACTICE_KEYS:
        _info("backpain: note: sessions saved from now on record it; earlier sessions and "
              "their handouts keep the practice of their visit")


def _instruments(value: str) -> str:
    """The instruments by the one rule of `--instruments`, as the names it reads."""
    from ..clinical.questionnaire import load_registry
    from ..errors import UsageError
    from ..records import paths
    from ..records.settings import value_problem
    from ..visit import instrument_names

    # The syntax first: it needs no questionnaires (and says what the value should be).
    problem = value_problem("instruments", value)
    if problem is not None:
        raise UsageError(f"instruments {problem}")
    names, problem = instrument_names(value, load_registry(paths.questionnaires_dir()))
    if problem is not None:
        raise UsageError(f"instruments: {problem}")
    return ",".join(names)


@config_app.command("unset", epilog=helptext.epilog(
    ["backpain config unset instruments"],
    [helptext.OK, BROKEN, (2, "wrong usage: an unknown key"), helptext.INTERRUPTED]))
def unset(
    key: Annotated[str, typer.Argument(help="The key to remove.", show_default=False)],
) -> None:
    """Remove one key from the settings file (its default applies again)."""
    from ..records import settings as store

    saved, was_set = store.unset(key)
    _info(f"Removed {key} from {saved.path}" if was_set else f"{key} was not set")


def _platform_source(path: Path, variable: str) -> str:
    """Where the user folder for backpain came from: the XDG variable when it chose the
    folder (platformdirs follows them on Linux and the BSDs, not on macOS), else the
    platform's own default."""
    import os

    chosen = os.environ.get(variable, "").strip()
    if chosen and path.is_relative_to(Path(chosen).expanduser()):
        return f"${variable}"
    return "the default"


def where(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show where backpain keeps its data, its settings file and its cache."""
    import os

    from ..errors import SettingsError
    from ..records import paths
    from ..records.settings import CONFIG_ENV, config_path
    from ..safe_text import visible

    config = config_path()
    broken: SettingsError | None = None
    try:
        data, data_source = paths.data_dir_and_source()
    except SettingsError as exc:
        # The settings file is what `where` is asked about: show where it is, then fail.
        broken, data, data_source = exc, None, "the settings file cannot be read"
    # The summary index's own rule for its folder (one index file per data folder in it).
    from ..records.index.db import cache_dir

    cache = cache_dir()
    cache_source = ("$BACKPAIN_CACHE" if os.environ.get("BACKPAIN_CACHE")
                    else _platform_source(cache, "XDG_CACHE_HOME"))
    config_source = (f"${CONFIG_ENV}" if os.environ.get(CONFIG_ENV)
                     else _platform_source(config, "XDG_CONFIG_HOME"))
    if data is not None and data_source == paths.FROM_DEFAULT:
        data_source = _platform_source(data, "XDG_DATA_HOME")
    rows = [("data folder", data, data_source),
            ("settings file", config, config_source
             + ("" if config.exists() else "; not created yet")),
            ("cache folder", cache, cache_source)]
    if as_json:
        doc = {key.replace(" ", "_"): {"path": None if p is None else str(p), "from": src}
               for key, p, src in rows}
        sys.stdout.write(to_json(doc))
    else:
        for label, p, src in rows:
            shown = "?" if p is None else visible(str(p))
            sys.stdout.write(f"{label + ':':<15}{shown}  ({src})\n")
    if broken is not None:
        raise broken

