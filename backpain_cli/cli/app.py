"""The typer app, its root callback, and the one place typer turns our errors into exit codes.

Each command lives in its own module (assess, review, export, questionnaires) and registers
itself at the end of this one. Their imports are kept lazy on purpose: `review` and `export`
must start without paying for questionary/prompt_toolkit, and every command without the
parts it does not use.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any

import typer

# click as typer 0.28 vendors it (the pin in pyproject.toml): its usage errors are restyled.
from typer._click.exceptions import NoArgsIsHelpError
from typer._click.exceptions import UsageError as ClickUsageError
from typer.core import TyperGroup

from .. import __version__
from ..errors import BackpainError, UsageError, report
from . import completion, helptext

# `-h` is `--help` (PRODUCT.md, "Conventions"); every command and group below inherits it.
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


class _Group(TyperGroup):
    """Maps our exceptions to exit codes, the one place that does (PRODUCT.md, Exit codes),
    and prints click's usage errors as our own: `backpain: usage error: <one line>`, exit 2.

    The root group's make_context parses the options before any command (`backpain
    --bogus`); a command's own parsing, and "no such command", happen inside invoke.
    """

    def make_context(self, info_name: str | None, args: list[str],
                     parent: Any = None, **extra: Any) -> Any:
        with _one_style():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        with _one_style():
            return super().invoke(ctx)


class _UsageLine(ClickUsageError):
    """A usage error click found, shown the way ours are (errors.report)."""

    def show(self, file: Any = None) -> None:
        report(UsageError(self.message))


def _one_line(message: str) -> str:
    """click's sentences in our style: one line, lower case first, no final full stop."""
    line = " ".join(message.splitlines()).strip()
    if line[:1].isupper() and line[1:2].islower():
        line = line[0].lower() + line[1:]
    if line.endswith(".") and not line.endswith(".."):
        line = line[:-1]
    return line


@contextlib.contextmanager
def _one_style() -> Iterator[None]:
    try:
        yield
    except BackpainError as exc:
        report(exc)
        raise typer.Exit(exc.exit_code) from None
    except (NoArgsIsHelpError, _UsageLine):
        raise  # the help itself, for `backpain` alone; or already restyled deeper down
    except ClickUsageError as exc:
        raise _UsageLine(_one_line(exc.format_message())) from None


app = typer.Typer(
    cls=_Group,
    help="Back-pain interviews and explainable care plans for practitioners.",
    no_args_is_help=True,
    context_settings=CONTEXT_SETTINGS,
    epilog=helptext.epilog(
        ["backpain assess --client JD-042", "backpain review JD-042",
         "backpain export JD-042 --format pdf -o plan.pdf", "backpain -h"],
        [helptext.OK, helptext.ERROR, helptext.USAGE,
         (3, "invalid or missing answers under assess --no-input"),
         (130, "interrupted (Ctrl-C); an interview keeps a draft")],
        "Every command has -h (--help) with its examples and exit codes. Shell completion: "
        "backpain --install-completion, or backpain --show-completion bash|zsh|fish."),
    # Our own --install-completion and --show-completion SHELL (_root) and scripts
    # (cli/completion.py): typer's complete in one case and show no descriptions in bash.
    add_completion=False,
    # Tracebacks must never show local variables: answers would leak into logs.
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"backpain {__version__}")
        raise typer.Exit()


def _show_completion(ctx: typer.Context, value: completion.Shell | None) -> None:
    if value is None or ctx.resilient_parsing:
        return
    typer.echo(completion.script(value))
    raise typer.Exit()


def _install_completion(ctx: typer.Context, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    # Options are parsed before the group's invoke: our errors are mapped here.
    with _one_style():
        shell = completion.detect_shell()
        path = completion.install(shell)
    typer.echo(f"{shell.value} completion installed in {path}; it works in a new terminal.")
    raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    install_completion: Annotated[bool, typer.Option(
        "--install-completion", callback=_install_completion, is_eager=True,
        expose_value=False,
        help="Install completion for the shell you are using (bash, zsh or fish).")] = False,
    show_completion: Annotated[completion.Shell | None, typer.Option(
        "--show-completion", metavar="SHELL", callback=_show_completion, is_eager=True,
        expose_value=False, case_sensitive=False, show_default=False,
        help="Print the completion script for SHELL (bash, zsh or fish), to load it "
             "yourself.")] = None,
) -> None:
    """Back-pain interviews and explainable care plans for practitioners."""


# One module a command; each registers itself here, in the order `--help` lists them.
from . import assess, config, export, forget, questionnaires, review  # noqa: E402

assess.register(app)
review.register(app)
export.register(app)
questionnaires.register(app)
config.register(app)
forget.register(app)


def _whole_summaries(group: typer.Typer) -> None:
    """A command's summary in its group's help is the first paragraph of its help, which
    click cuts with "..." to what fits beside the names (45 columns by default). Given as
    `short_help` it is wrapped instead, and stays whole at any width."""
    import inspect

    def summary(text: str | None) -> str | None:
        return " ".join(text.split("\n\n", 1)[0].split()) if text else None

    for command in group.registered_commands:
        if command.short_help is None and command.callback is not None:
            command.short_help = summary(command.help or inspect.getdoc(command.callback))
    for sub in group.registered_groups:
        if sub.typer_instance is None:
            continue
        if not isinstance(sub.short_help, str):
            sub.short_help = summary(sub.typer_instance.info.help
                                     if isinstance(sub.typer_instance.info.help, str) else None)
        _whole_summaries(sub.typer_instance)


_whole_summaries(app)
