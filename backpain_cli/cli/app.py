"""The typer app, its root callback, and the one place typer turns our errors into exit codes.

The commands come from the declared command table (cli/commands.py): the root group lists
them from there and imports a command's module only when that command is run or its help
is asked for, so that no command pays for another's imports.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, MutableMapping
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .. import __version__
from ..errors import BackpainError, UsageError, from_an_interrupt, report
from . import completion, helptext
from .commands import COMMANDS, load

# `-h` is `--help` (the README, "Conventions"); every command and group below inherits it.
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


class _Commands(MutableMapping[str, Any]):
    """The root's commands by name, in the table's order, each built when it is first
    looked up (a command's module is imported then)."""

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in COMMANDS:
                raise KeyError(name)
            self._built[name] = load(name)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (name for name in self._built if name not in COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS) + sum(1 for name in self._built if name not in COMMANDS)


class _Group(TyperGroup):
    """The root group: its commands from the command table, listed without importing them.

    It maps our exceptions to exit codes, the one place that does (the README, Exit codes),
    and prints click's usage errors as our own: `backpain: usage error: <one line>`, exit 2.
    The root group's make_context parses the options before any command (`backpain
    --bogus`); a command's own parsing, and "no such command", happen inside invoke.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _Commands()

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The table's summaries, without importing a single command."""
        rows = [(name, row.summary) for name, row in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: Any = None, **extra: Any) -> Any:
        with _one_style():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        with _one_style():
            return super().invoke(ctx)


def _click_usage_error() -> type[Exception]:
    """click's UsageError, which typer 0.28 vendors in a private module (typer._click): it is
    reached through the one public subclass typer exports, BadParameter."""
    base = typer.BadParameter.__bases__[0]
    if not (issubclass(base, Exception) and base.__name__ == "UsageError"):
        raise TypeError("typer.BadParameter is no longer a click UsageError")
    return base


ClickUsageError = _click_usage_error()


class _UsageLine(typer.BadParameter):
    """A usage error click found, shown the way ours are (errors.report)."""

    def show(self, file: Any = None) -> None:
        report(UsageError(self.message))


def _is_help(exc: Exception) -> bool:
    """click's NoArgsIsHelpError (`backpain` alone shows the help), known by its name as
    typer's own rich_utils knows it: no public name reaches the class."""
    return type(exc).__name__ == "NoArgsIsHelpError"


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
    except RuntimeError as exc:
        # Ctrl-C while a module's classes were being made arrives wrapped in a RuntimeError
        # ("Error calling __set_name__"): it is an interrupt (exit 130), not a bug.
        if from_an_interrupt(exc):
            raise KeyboardInterrupt from None
        raise
    except ClickUsageError as exc:
        if _is_help(exc) or isinstance(exc, _UsageLine):
            raise  # the help itself, for `backpain` alone; or already restyled deeper down
        # Every click exception has format_message; the class is reached untyped (above).
        message: str = exc.format_message()  # type: ignore[attr-defined]
        raise _UsageLine(_one_line(message)) from None


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


def complete(shell: str, words: list[str]) -> int:
    """Answer one completion request on stdout (cli/__init__.py's start-up dispatch)."""
    # A script of an older backpain (typer's, "complete_bash") gets nothing: file names.
    if shell in completion.Shell.__members__:
        sys.stdout.write(completion.answer(shell, words, typer.main.get_command(app)))
    return 0


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
