"""`backpain where`: where backpain keeps its data, its settings file and its cache."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import SettingsError
from ..records import paths
from ..records.index.db import cache_dir
from ..records.settings import CONFIG_ENV, config_path
from ..safe_text import to_json, visible
from . import helptext
from .commands import command_app

app = command_app()


def _platform_source(path: Path, variable: str) -> str:
    """Where the user folder for backpain came from: the XDG variable when it chose the
    folder (platformdirs follows them on Linux and the BSDs, not on macOS), else the
    platform's own default."""
    chosen = os.environ.get(variable, "").strip()
    if chosen and path.is_relative_to(Path(chosen).expanduser()):
        return f"${variable}"
    return "the default"


@app.command(epilog=helptext.epilog(
    ["backpain where", "backpain where --json"],
    [helptext.OK, (1, "the settings file cannot be read (the paths are still shown, "
                      "the data folder as ?)"), helptext.USAGE,
     helptext.INTERRUPTED]))
def where(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show where backpain keeps its data, its settings file and its cache."""
    config = config_path()
    broken: SettingsError | None = None
    try:
        data, data_source = paths.data_dir_and_source()
    except SettingsError as exc:
        # The settings file is what `where` is asked about: show where it is, then fail.
        broken, data, data_source = exc, None, "the settings file cannot be read"
    # The summary index's own rule for its folder (one index file per data folder in it).
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
