"""The command table: each command's name, the module that defines it, and its summary, as
pip's `commands_dict` declares them.

The root group (cli/app.py) lists the commands and prints their summaries from here, and
imports a command's module only when that command runs or its help is asked for: `backpain
export` never loads the interview, nor `backpain assess` the exporters. A command's module
imports at its top what the command always needs; only a format's or a rare path's
libraries are imported where they are used, each with a one-line reason. The start-up
dispatch in cli/__init__.py answers `--version`, the shell's completion requests and the
common `review` forms before even this table is read.

Adding a command: a module with a `command_app()` named `app` (or another attribute), and
a row here; tests/test_shell_conventions.py holds every row to its command's own help.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer

from ..frozen import frozen


@frozen
class Command:
    module: str  # the module that defines it, imported only when it is used
    summary: str  # the first paragraph of its help, for the root's help and completion
    attribute: str = "app"  # its typer app in that module


# In the order `backpain --help` lists them.
COMMANDS: dict[str, Command] = {
    "assess": Command("backpain_cli.cli.assess",
                      "Run the interview with a client and show (and save) their plan."),
    "review": Command("backpain_cli.cli.review",
                      "List sessions, re-run one through today's rules, or show a client's "
                      "history."),
    "export": Command("backpain_cli.cli.export",
                      "Export a session, a client's history or every session."),
    "handout": Command("backpain_cli.cli.handout",
                       "Choose what goes on the client's handout, and print it."),
    "letter": Command("backpain_cli.cli.letter",
                      "Write a one-page letter about a visit to the client's doctor or a "
                      "colleague."),
    "note": Command("backpain_cli.cli.note",
                    "Add your own note (findings, what was done, what was agreed) to a "
                    "visit."),
    "report": Command("backpain_cli.cli.report",
                      "Report how the practice's clients do: episodes, follow-up and "
                      "responder rates."),
    "where": Command("backpain_cli.cli.where",
                     "Show where backpain keeps its data, its settings file and its cache."),
    "forget": Command("backpain_cli.cli.forget",
                      "Erase a client's sessions, or one session, for good (a client's "
                      "request)."),
    "intake": Command("backpain_cli.cli.intake",
                      "The intake form a client fills in before the visit."),
    "questionnaires": Command("backpain_cli.cli.questionnaires",
                              "List and check questionnaire modules."),
    "config": Command("backpain_cli.cli.config",
                      "Show or change the practice's settings (config.toml)."),
    "sync": Command("backpain_cli.cli.sync",
                    "Share sessions with the practice's PostgreSQL database: send, fetch, "
                    "erase.", "app"),
    "db": Command("backpain_cli.cli.db",
                  "Create, upgrade and inspect the database of backpain sync."),
}


def command_app(**options: Any) -> typer.Typer:
    """The typer app of a command (or of a group of commands) in the table, with the
    root's conventions: plain help (no rich markup), and no completion options of typer's
    own (cli/completion.py completes every command)."""
    return typer.Typer(add_completion=False, rich_markup_mode=None, **options)


def load(name: str) -> Any:
    """The click command of `name`, built from its module's typer app."""
    row = COMMANDS[name]
    command = typer.main.get_command(getattr(importlib.import_module(row.module),
                                             row.attribute))
    command.name = name
    _whole_summaries(command)
    return command


def _whole_summaries(group: Any) -> None:
    """A command's summary in its group's help is the first paragraph of its help, which
    click cuts with "..." to what fits beside the names (45 columns by default). Given as
    `short_help` it is wrapped instead, and stays whole at any width."""
    for sub in getattr(group, "commands", {}).values():
        if sub.short_help is None and sub.help:
            sub.short_help = " ".join(sub.help.split("\n\n", 1)[0].split())
        _whole_summaries(sub)
