"""`backpain questionnaires list|check`: the questionnaire modules and their validation."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..clinical.questionnaire import check_with_form, load_registry
from ..errors import BackpainError, QuestionnaireError
from ..records.paths import questionnaires_dir
from ..safe_text import to_json, visible
from . import helptext
from .commands import command_app

app = command_app(
    help="List and check questionnaire modules.", no_args_is_help=True,
    epilog=helptext.epilog(
        ["backpain questionnaires list", "backpain questionnaires check my_module.toml"],
        [helptext.OK, helptext.ERROR,
         (2, "wrong usage, or no command given (this help is shown)"),
         helptext.INTERRUPTED]))


@app.command("list", epilog=helptext.epilog(
    ["backpain questionnaires list", "backpain questionnaires list --json"],
    [helptext.OK,
     (1, "your questionnaires folder has a module that does not validate (see check), or "
         "another error"),
     helptext.USAGE, helptext.INTERRUPTED]))
def questionnaires_list(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List the questionnaire modules: id, version, questions, source."""
    registry = load_registry(questionnaires_dir())
    # The descriptions (sources, licences) live here and in the README, not in the interview.
    rows = [{"id": m.id, "version": m.version, "title": m.title, "questions": len(m.questions),
             "optional": m.optional, "followup": m.followup,
             "source": "shipped" if m.shipped else m.source,
             "description": m.description}
            for m in registry.modules]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    # rich: only for the table, not for --json.
    from rich.table import Table

    from ..output.console import make_console

    table = Table(title="Questionnaire modules (clinical content version 3)",
                  title_justify="left")
    for col in ("id", "version", "questions", "included", "source"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), str(r["version"]), str(r["questions"]),
                      "with --instruments" if r["optional"]
                      else "at a follow-up after a programme" if r["followup"] else "always",
                      visible(str(r["source"])))
    console = make_console()
    console.print(table)
    for m in registry.modules:
        if m.description:
            # markup=False: a practitioner's own text may hold [brackets].
            console.print(f"\n{m.id}: {m.description}", markup=False)


@app.command("check", epilog=helptext.epilog(
    ["backpain questionnaires check",
     "backpain questionnaires check ~/my-modules/odi.toml",
     "backpain questionnaires check --json"],
    [(0, "every module is valid"), (1, "problems found (every one is listed), or another error"),
     helptext.USAGE, helptext.INTERRUPTED]))
def questionnaires_check(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Files to check (default: the shipped and your own modules).")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the result as JSON to stdout: the problems as objects "
                       "({where, reason}), or the modules and questions counted.")] = False,
) -> None:
    """Validate questionnaire files; report every problem (exit 1 if any)."""
    registry, problems = check_with_form(questionnaires_dir(), paths or ())
    if as_json:
        valid = registry is not None and not problems
        sys.stdout.write(to_json({
            "valid": valid,
            "modules": len(registry.modules) if valid and registry else None,
            "questions": sum(len(m.questions) for m in registry.modules)
            if valid and registry else None,
            "problems": [{"where": p.where, "reason": p.reason} for p in problems]}))
        if not valid:
            sys.stdout.flush()
            count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
            raise BackpainError(f"invalid questionnaire ({count}, listed in the JSON)")
        return
    if problems or registry is None:
        raise QuestionnaireError(problems)
    sys.stderr.write(f"ok: {len(registry.modules)} modules, "
                     f"{sum(len(m.questions) for m in registry.modules)} questions\n")
