"""`backpain config show|path|set|unset`: the settings file.

The settings themselves (keys, rules, reading and writing) are records.settings; this module
only parses the command line and words the result. Errors raised here reach the root
group's invoke, the one place that maps them to exit codes.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import tomli_w
import typer

from ..errors import UsageError
from ..records import settings
from ..records.practice import PRACTICE_KEYS
from ..safe_text import to_json, visible
from . import helptext
from .commands import command_app

KEYS_NOTE = (
    "Keys: practice_name, practice_contact (address or phone, one line), practitioner "
    "(shown on handouts and recorded in each new session), instruments (the default of "
    "assess --instruments, e.g. odi or odi,rmdq), data_dir (an absolute folder; "
    "$BACKPAIN_HOME wins over it), fhir_identifier_system and fhir_canonical_base (absolute "
    "URIs for export --format fhir), practice_id (written by backpain "
    "once; copy it to the practice's other computers), database_url (the PostgreSQL "
    "database of backpain sync, without a password), paper (a4, the default, or letter: the "
    "paper of every PDF).")
BROKEN = (1, "the settings file cannot be read, holds an unknown key or a wrong value, or "
             "cannot be written (its path and the reason are named)")
WRONG_KEY = (2, "wrong usage: an unknown key or a value that does not fit (nothing is "
                "written)")

app = command_app(
    help="Show or change the practice's settings (config.toml).\n\nThe practice and "
         "practitioner on handouts, the default instruments, the data folder and the FHIR "
         "names.",
    no_args_is_help=True,
    epilog=helptext.epilog(
        ["backpain config show", 'backpain config set practice_name "Physio Nord"',
         "backpain config path"],
        [helptext.OK, BROKEN, (2, "wrong usage, or no command given (this help is shown)"),
         helptext.INTERRUPTED], KEYS_NOTE))


def _info(message: str) -> None:
    sys.stderr.write(f"{message}\n")


@app.command("show", epilog=helptext.epilog(
    ["backpain config show", "backpain config show --json"],
    [helptext.OK, BROKEN, helptext.USAGE, helptext.INTERRUPTED], KEYS_NOTE))
def show(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print the settings file's values (and which keys are not set)."""
    current = settings.load()
    if as_json:
        doc = {"path": str(current.path), "exists": current.exists,
               "settings": dict(current.values)}
        sys.stdout.write(to_json(doc))
        return
    created = "" if current.exists else " (not created yet)"
    lines = [f"# {visible(str(current.path))}{created}"]
    if current.values:
        lines.append(tomli_w.dumps(dict(current.values)).rstrip("\n"))
    missing = [k for k in settings.KEYS if k not in current.values]
    if missing:
        lines.append(f"# not set: {', '.join(missing)}")
    sys.stdout.write("\n".join(lines) + "\n")


@app.command("path", epilog=helptext.epilog(
    ["backpain config path", '"$EDITOR" "$(backpain config path)"'],
    [helptext.OK, helptext.USAGE, helptext.INTERRUPTED],
    "The file need not exist yet; it is not read."))
def path() -> None:
    """Print the settings file's path ($BACKPAIN_CONFIG, or the user config folder)."""
    sys.stdout.write(f"{visible(str(settings.config_path()))}\n")


@app.command("set", epilog=helptext.epilog(
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
    if key == "instruments":
        value = _instruments(value)
    saved = settings.set_value(key, value)
    _info(f"Set {key} in {saved.path}")
    if key == "data_dir":
        if os.environ.get("BACKPAIN_HOME"):
            _info("backpain: note: $BACKPAIN_HOME is set and wins over data_dir")
    elif key in PRACTICE_KEYS:
        _info("backpain: note: sessions saved from now on record it; earlier sessions and "
              "their handouts keep the practice of their visit")


def _instruments(value: str) -> str:
    """The instruments by the one rule of `--instruments`, as the names it reads."""
    # The questionnaires: only this key is checked against them.
    from ..clinical.instruments import instrument_names
    from ..clinical.questionnaire import load_registry
    from ..records import paths

    # The syntax first: it needs no questionnaires (and says what the value should be).
    problem = settings.value_problem("instruments", value)
    if problem is not None:
        raise UsageError(f"instruments {problem}")
    names, problem = instrument_names(value, load_registry(paths.questionnaires_dir()))
    if problem is not None:
        raise UsageError(f"instruments: {problem}")
    return ",".join(names)


@app.command("unset", epilog=helptext.epilog(
    ["backpain config unset instruments"],
    [helptext.OK, BROKEN, (2, "wrong usage: an unknown key"), helptext.INTERRUPTED]))
def unset(
    key: Annotated[str, typer.Argument(help="The key to remove.", show_default=False)],
) -> None:
    """Remove one key from the settings file (its default applies again)."""
    saved, was_set = settings.unset(key)
    _info(f"Removed {key} from {saved.path}" if was_set else f"{key} was not set")
