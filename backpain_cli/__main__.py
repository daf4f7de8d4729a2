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
    # `review SESSION|CLIENT [--json]` is the other command that must start fast (12x a bare
    # interpreter start): typer and building its command tree cost ~45 ms of the ~140 ms.
    # Any other shape (options, --help, mistakes) goes through typer as usual.
    args = sys.argv[1:]
    if (len(args) in (2, 3) and args[0] == "review" and not args[1].startswith("-")
            and args[2:] in ([], ["--json"])):
        from .errors import BackpainError, report
        from .review_command import run_review

        try:
            run_review(args[1], as_json=len(args) == 3)
        except BackpainError as exc:
            report(exc)
            sys.exit(exc.exit_code)
        return
    from .cli import app

    app(prog_name="backpain")


if __name__ == "__main__":
    main()
