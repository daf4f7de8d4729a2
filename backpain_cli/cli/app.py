"""The typer app, its root callback, and the one place typer turns our errors into exit codes.

Each command lives in its own module (assess, review, export, questionnaires) and registers
itself at the end of this one. Their imports are kept lazy on purpose: `review` and `export`
must start without paying for questionary/prompt_toolkit, and every command without the
parts it does not use.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .. import __version__
from ..errors import BackpainError, report


class _Group(TyperGroup):
    """Maps our exceptions to exit codes, the one place that does (PRODUCT.md, Exit codes)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BackpainError as exc:
            report(exc)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_Group,
    help="Back-pain interviews and explainable care plans for practitioners.",
    no_args_is_help=True,
    add_completion=False,
    # Tracebacks must never show local variables: answers would leak into logs.
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"backpain {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Back-pain interviews and explainable care plans for practitioners."""


# One module a command; each registers itself here, in the order `--help` lists them.
from . import assess, export, questionnaires, review  # noqa: E402

assess.register(app)
review.register(app)
export.register(app)
questionnaires.register(app)
