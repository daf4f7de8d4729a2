"""Terminal rendering with rich: the plan, the scores, the answers summary.

Only presentation lives here; every word of clinical meaning comes from the plan. Output
must read well at 80 columns, when piped (no control codes) and with NO_COLOR.
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

from ..clinical.model import NOTICE, STRATEGIES, STRATEGY_TITLES, Plan, RedFlag, ScoreValue
from ..clinical.reassess import next_check
from ..clinical.scoring import ODI_BAND_LABELS
from ..clinical.triage import EMERGENCY
from ..records.practice import Practice
from ..safe_text import visible, visible_in

# The commands import it from here; it lives in console.py for the listing's sake.
from .console import make_console as make_console
from .wording import flag_text, practice_line

TRIAGE_BANNERS: dict[str, tuple[str, str, str]] = {
    # triage: (style, headline, what to do)
    "emergency": ("bold white on red", "EMERGENCY — SAME-DAY EMERGENCY CARE",
                  "Send the client to emergency care today. No hands-on treatment or "
                  "exercise today."),
    "same_day": ("bold white on dark_orange3", "SAME DAY — A DOCTOR TODAY",
                 "The client should see a doctor today, or at the latest within 24 hours, "
                 "before any hands-on work or exercise programme."),
    "urgent": ("bold black on yellow", "URGENT — SEE A DOCTOR WITHIN DAYS",
               "The client should see a doctor within a few days, at most a week, before "
               "any hands-on work or exercise programme."),
    "refer_routine": ("bold white on blue", "REFER — ROUTINE MEDICAL REVIEW",
                      "Arrange a routine review with the client's doctor; care can continue "
                      "as planned below."),
    "co_manage": ("bold white on blue", "CO-MANAGE WITH THE CLIENT'S DOCTOR",
                  "A diagnosed condition calls for working alongside the client's doctor."),
    "none": ("bold black on green", "NO WARNING SIGNS FOUND",
             "Nothing in the answers calls for a doctor first."),
}

SCORE_LABELS: dict[str, str] = {
    "nprs_now": "Pain now (0–10)",
    "nprs_worst_week": "Worst pain this week (0–10)",
    "startback_total": "STarT Back total (0–9)",
    "startback_psychosocial": "STarT Back psychosocial (0–5)",
    "startback_risk": "STarT Back risk",
    "odi_percent": "Oswestry disability (%)",
    "odi_band": "Oswestry band",
    "rmdq_score": "Roland-Morris (0–24)",
    "axspa_feature_count": "Inflammatory back pain features",
}

_RISK_MEANING = {
    "low": "low risk of persistent disability",
    "medium": "medium risk of persistent disability",
    "high": "high risk of persistent disability",
}


def score_meaning(key: str, value: ScoreValue) -> str:
    """A plain-language reading of a score, for the client and the practitioner."""
    if key in ("nprs_now", "nprs_worst_week") and isinstance(value, int):
        if value == 0:
            return "no pain"
        return "mild" if value <= 3 else "moderate" if value <= 6 else "severe"
    if key == "startback_risk":
        return _RISK_MEANING.get(str(value), str(value))
    if key == "odi_band":
        return ODI_BAND_LABELS.get(str(value), str(value))
    # STarT Back's risk follows from these two (CLINICAL.md "Scores"): high when the
    # psychosocial score is 4 or more, else low when the total is 3 or less, else medium.
    if key == "startback_total" and isinstance(value, int):
        return "3 or less is low risk, unless the psychosocial score is 4 or more"
    if key == "startback_psychosocial" and isinstance(value, int):
        return "4 or more is high risk"
    if key == "odi_percent" and isinstance(value, (int, float)):
        return "higher means more disability; 20 or less is minimal"
    if key == "rmdq_score" and isinstance(value, int):
        return "higher means more disability"
    if key == "axspa_feature_count" and isinstance(value, int):
        return "4 or more suggests inflammatory back pain"
    return ""


# Triage that asks for a doctor before anything else: a heavy frame, shown in bold red.
DOCTOR_FIRST = ("emergency", "same_day", "urgent")
# A flag's tier in words ("same_day" reads "same day").
TIER_WORDS = {"emergency": "emergency", "same_day": "same day", "urgent": "urgent",
              "co_manage": "co-manage"}


def triage_banner(triage: str) -> Panel:
    style, headline, todo = TRIAGE_BANNERS.get(triage, TRIAGE_BANNERS["none"])
    body = Text(todo)
    return Panel(body, title=Text(f" {headline} ", style=style), title_align="left",
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


def warning_signs(flags: Sequence[RedFlag], *, tiers: bool = True) -> str:
    """Flags in words (the one naming of them, shared with the exports), each with its
    tier: "numbness around the genitals, buttocks or inner thighs (emergency)"."""
    return "; ".join(flag_text(f.id) + (f" ({TIER_WORDS.get(f.tier, f.tier)})" if tiers else "")
                     for f in flags)


def checks_text(plan: Plan) -> str:
    """The consistency checks that held, with the answers each read: "ck_pain_now_above_worst
    (pain_now, pain_worst_week)"."""
    return "; ".join(f"{c.id} ({', '.join(c.questions)})" for c in plan.checks or ())


def emergency_lines(plan: Plan) -> list[str]:
    """The emergency referral as plain lines, for where it must come before anything else
    (the interview when the sign is answered, an answers file with other problems)."""
    headline = TRIAGE_BANNERS["emergency"][1]
    signs = [f for f in plan.red_flags if f.tier == EMERGENCY]
    named = "Emergency sign" + ("s" if len(signs) > 1 else "")
    lines = [headline, f"{named}: {warning_signs(signs, tiers=False)}."]
    lines.extend(f"{r.title}: {r.detail}" for r in plan.recommendations)
    return lines


def plan_renderables(plan: Plan, *, client: str, session_id: str | None,
                     created: dt.datetime | None = None,
                     practice: Practice | None = None) -> list[object]:
    """The plan for the terminal; `created` (the session's date) dates the next check, and
    `practice` (the session's) closes it."""
    # A saved plan's texts come from its file: no control character reaches the terminal.
    plan, client, practice = visible_in(plan), visible(client), visible_in(practice)
    out: list[object] = []
    header = f"Plan for {client}" + (f" — session {session_id}" if session_id else "")
    out.append(Text(header, style="bold"))
    out.append(triage_banner(plan.triage))
    if plan.red_flags:
        # Red flags, not "warning signs": a risk factor under its team's care is no sign.
        out.append(Text(f"Red flags: {warning_signs(plan.red_flags)}", style="bold"))
    if plan.checks:
        out.append(Text(f"Consistency checks: {checks_text(plan)}", style="bold"))
    if plan.reassess_weeks is not None and created is not None:
        out.append(Text(next_check(created, plan.reassess_weeks), style="bold"))
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
    from ..clinical.exercises import library

    lib = library()
    if exercise_id not in lib:
        return []
    return [change.text for change in lib[exercise_id].changed if change.when in changes]


def print_plan(console: Console, plan: Plan, *, client: str, session_id: str | None,
               created: dt.datetime | None = None, practice: Practice | None = None) -> None:
    console.print(Group(*plan_renderables(plan, client=client, session_id=session_id,  # type: ignore[arg-type]
                                          created=created, practice=practice)))
