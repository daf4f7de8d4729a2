"""Entry point of the `backpain` command (and `python -m backpain_cli`)."""

from __future__ import annotations

import sys


def main() -> None:
    # `--version` is answered before typer is imported: the import alone costs ~45 ms,
    # about four times a bare interpreter start, and the version needs none of it.
    if sys.argv[1:] == ["--version"]:
        from . import __version__

        sys.stdout.write(f"backpain {__version__}\n")
        return
    from .cli import app

    app(prog_name="backpain")


if __name__ == "__main__":
    main()
