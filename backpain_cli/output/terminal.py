"""Terminal rendering with rich: the plan, the scores, the answers summary.

Only presentation lives here: every word of clinical meaning comes from the plan, and the
words shared with the exports and the interview from output/wording.py. Output must read
well at 80 columns, when piped (no control codes) and with NO_COLOR.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..clinical.model import NOTICE, STRATEGIES, STRATEGY_TITLES, Plan, ScoreValue
from ..clinical.reassess import next_check
from ..frozen import frozen
from ..records.practice import Practice
from ..safe_text import visible, visible_in
from .wording import (
    SCORE_LABELS,
    SIGNS_UNCONFIRMED,
    TRIAGE_HEADLINES,
    checks_text,
    practice_line,
    score_meaning,
    warning_signs,
)

# triage: the banner's style (its words: wording.TRIAGE_HEADLINES).
TRIAGE_STYLES: dict[str, str] = {
    "emergency": "bold white on red",
    "same_day": "bold white on dark_orange3",
    "urgent": "bold black on yellow",
    "refer_routine": "bold white on blue",
    "co_manage": "bold white on blue",
    "none": "bold black on green",
}


# Triage that asks for a doctor before anything else: a heavy frame, shown in bold red.
DOCTOR_FIRST = ("emergency", "same_day", "urgent")


def triage_banner(triage: str) -> Panel:
    style = TRIAGE_STYLES.get(triage, TRIAGE_STYLES["none"])
    headline, todo = TRIAGE_HEADLINES.get(triage, TRIAGE_HEADLINES["none"])
    return Panel(Text(todo), title=Text(f" {headline} ", style=style), title_align="left",
                 border_style=style.split(" on ")[-1] if " on " in style else style,
                 box=box.HEAVY if triage in DOCTOR_FIRST else box.ROUNDED)


def scores_table(scores: Mapping[str, ScoreValue]) -> Table:
    table = Table(title="Scores", box=box.SIMPLE_HEAD, title_justify="left", expand=False)
    table.add_column("Measure")
    table.add_column("Value", justify="right")
    table.add_column("What it means")
    for key, value in scores.items():
        table.add_row(SCORE_LABELS.get(key, key), str(value), score_meaning(key, value))
    return table


@frozen
class AtAGlance:
    """What the client's handout will hold, for the plan's first screen: the titles of the
    advice picked, and the programme's exercises as (name, dose)."""

    picks: tuple[str, ...]
    exercises: tuple[tuple[str, str], ...] = ()


def _one_line(text: str, style: str = "") -> Text:
    # Cut with "…" rather than wrapped: the first screen must hold on 24 lines.
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")


def glance_renderables(glance: AtAGlance) -> list[object]:
    """The picks and the programme, a line each (the rest of the plan follows)."""
    out: list[object] = [Text("On the client's handout:", style="bold")]
    out += [_one_line(f"  • {title}") for title in glance.picks]
    if glance.exercises:
        out.append(Text("Exercises:", style="bold"))
        out += [_one_line(f"  {i}. {name}: {dose}")
                for i, (name, dose) in enumerate(glance.exercises, 1)]
    return out


def plan_renderables(plan: Plan, *, client: str, session_id: str | None,
                     created: dt.datetime | None = None,
                     practice: Practice | None = None,
                     glance: AtAGlance | None = None,
                     signs_unconfirmed: bool = False) -> list[object]:
    """The plan for the terminal; `created` (the session's date) dates the next check, and
    `practice` (the session's) closes it. With `glance`, the first screen (80×24) holds the
    triage, the next check, the picks and the programme; the rest follows."""
    # A saved plan's texts come from its file: no control character reaches the terminal.
    plan, client, practice = visible_in(plan), visible(client), visible_in(practice)
    out: list[object] = []
    header = f"Plan for {client}" + (f" — session {session_id}" if session_id else "")
    out.append(Text(header, style="bold"))
    out.append(triage_banner(plan.triage))
    if signs_unconfirmed:
        out.append(Text(SIGNS_UNCONFIRMED, style="bold yellow"))
    if plan.red_flags:
        # Red flags, not "warning signs": a risk factor under its team's care is no sign.
        out.append(Text(f"Red flags: {warning_signs(plan.red_flags)}", style="bold"))
    if plan.checks:
        out.append(Text(f"Consistency checks: {checks_text(plan)}", style="bold"))
    if plan.reassess_weeks is not None and created is not None:
        out.append(Text(next_check(created, plan.reassess_weeks), style="bold"))
    if glance is not None:
        out.extend(glance_renderables(visible_in(glance)))
        out.append(Text(""))
    if plan.scores:
        out.append(scores_table(plan.scores))
    for strategy in STRATEGIES:
        recs = plan.by_strategy(strategy)
        if not recs:
            continue
        out.append(Text(f"\n{STRATEGY_TITLES[strategy]}", style="bold underline"))
        for i, rec in enumerate(recs, 1):
            out.append(Text.assemble((f"{i}. {rec.title}", "bold"), f"  [{rec.id}]"))
            # Padding, not leading spaces: wrapped lines must keep the indent at 80 columns.
            out.append(Padding(Group(
                Text(rec.detail),
                Text(f"because: {', '.join(rec.because)}", style="dim"),
                Text(f"evidence: {rec.evidence}", style="dim italic"),
            ), (0, 0, 0, 3)))
    out.extend(programme_renderables(plan))
    if not plan.recommendations:
        out.append(Text("\nNo recommendations yet.", style="italic"))
    for warning in plan.warnings:
        out.append(Text(f"Note: {warning}", style="yellow"))
    out.append(Text(""))
    out.append(Panel(Text(NOTICE), box=box.SQUARE))
    if practice:
        out.append(Text(practice_line(practice), style="dim"))
    return out


PROGRAMME_TITLE = "Home exercise programme"
LEVEL_WORDS = {"easier": "easier version", "start": "starting level",
               "progressed": "progressed"}
STEP_WORDS = {"progress": "moved up a level (done on most days)",
              "keep": "kept at the same level (done on some days)",
              "simplify": "made easier (done rarely or not started)"}


def programme_renderables(plan: Plan) -> list[object]:
    """The home programme with its doses, then the flare-up plan (a simple list; the
    client's handout lays it out with pictures)."""
    if not plan.programme:
        return []
    out: list[object] = [Text(f"\n{PROGRAMME_TITLE}", style="bold underline")]
    for sentence in plan.programme_heading:
        out.append(Text(sentence, style="italic"))
    if plan.programme_step is not None:
        out.append(Text(f"Since the last visit: {STEP_WORDS.get(plan.programme_step, '')}",
                        style="dim"))
    for i, item in enumerate(plan.programme, 1):
        out.append(Text.assemble((f"{i}. {item.name}", "bold"), f"  [{item.id}]",
                                 (f" — {LEVEL_WORDS.get(item.level, item.level)}", "dim")))
        lines = [Text(item.dose)]
        lines.extend(Text(f"Note: {c}", style="italic")
                     for c in exercise_change_texts(item.id, item.changes))
        lines.append(Text(f"because: {', '.join(item.because)}", style="dim"))
        out.append(Padding(Group(*lines), (0, 0, 0, 3)))
    if plan.flare_plan:
        out.append(Text("On a bad day (flare-up plan)", style="bold"))
        body = [Text(f"{f.name} ({LEVEL_WORDS['easier']}): {f.dose}") for f in plan.flare_plan]
        body.extend(Text(sentence) for sentence in plan.flare_text)
        out.append(Padding(Group(*body), (0, 0, 0, 3)))
    return out


def exercise_change_texts(exercise_id: str, changes: Sequence[str]) -> list[str]:
    """The sentences of an item's `changes`, from the library (a saved plan keeps only the
    condition names)."""
    # The exercise library: only a plan diff that names an exercise change reads it.
    from ..clinical.exercises import library

    lib = library()
    if exercise_id not in lib:
        return []
    return [change.text for change in lib[exercise_id].changed if change.when in changes]


def print_plan(console: Console, plan: Plan, *, client: str, session_id: str | None,
               created: dt.datetime | None = None, practice: Practice | None = None,
               glance: AtAGlance | None = None, signs_unconfirmed: bool = False) -> None:
    console.print(Group(*plan_renderables(plan, client=client, session_id=session_id,  # type: ignore[arg-type]
                                          created=created, practice=practice,
                                          glance=glance, signs_unconfirmed=signs_unconfirmed)))
