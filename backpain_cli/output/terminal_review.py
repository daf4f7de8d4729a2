"""Rich rendering of `backpain review`: the listing, the re-scored session, a client's history.

Presentation only: every fact comes finished from flows/review.py (as results.py's types).
Colour is a bonus, never the message: changes carry `+`/`-`/`~` marks and words, escalations
an `▲` and the word "new", and the chart is drawn with block characters, so the output reads
the same with NO_COLOR, piped, and at 80 columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..clinical.followup import (
    OUTCOME_KEYS,
    Change,
    ChartPoint,
    History,
    Note,
    PlanDiff,
    SessionReview,
    Visit,
)
from ..records.session import Session, follow_up_command, resume_command
from ..results import ClientHistory, DueList
from ..safe_text import visible, visible_in
from .terminal import plan_renderables
from .terminal_listing import (
    URGENT,
    drafts_and_unreadable,
    review_table,
    triage_text,
)
from .wording import NONE, SCORE_LABELS, SHORT_NAMES, answer_text, score_cell, utc_day

_LABEL_STYLES = {"improved": "green", "worse": "bold red", "no important change": ""}


def _date(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M}"


def _signed(value: int | float) -> str:
    if value == 0:
        return "0.0" if isinstance(value, float) else "0"
    text = f"{value:+.1f}" if isinstance(value, float) else f"{value:+d}"
    return text.replace("-", "−")


# --------------------------------------------------------------------------- one session


def _header(session: Session) -> Text:
    text = Text.assemble(
        ("Review of session ", "bold"), (session.id, "bold"),
        f" — client {session.client} — saved {_date(session.created)} UTC "
        f"by backpain {session.tool_version}")
    if session.follows:
        text.append(f" — follow-up of {session.follows}")
    return text


def _draft_renderables(review: SessionReview[Session]) -> list[RenderableType]:
    s = review.session
    return [
        _header(s),
        Panel(Text.assemble(
            ("DRAFT", "bold yellow"),
            f" — the interview was interrupted after {len(s.answers)} answer(s), so there "
            "is no plan to recompute or compare.\n",
            f"Resume it with: {resume_command(s.id)}"), box=box.SQUARE),
    ]


def _incomplete_panel(review: SessionReview[Session]) -> Panel:
    ids = ", ".join(m.question for m in review.missing)
    return Panel(
        Text.assemble(
            ("PARTIAL PLAN", "bold yellow"),
            f" — today's questionnaires ask {len(review.missing)} question(s) this session "
            f"has no usable answer to: {ids}. The plan below is computed without them, so "
            "advice or warning signs that depend on them may be missing.\n",
            f"Ask them at a follow-up visit: {follow_up_command(review.session.id)}"),
        box=box.HEAVY, border_style="yellow")


def _diff_lines(diff: PlanDiff) -> list[RenderableType]:
    out: list[RenderableType] = []
    if diff.triage_changed:
        out.append(Text.assemble(
            ("Triage: ", "bold"), diff.triage_before, " → ",
            (diff.triage_after, "bold red" if diff.triage_after in URGENT else "bold")))
    for f in diff.flags_added:
        out.append(Text(f"+ warning sign {f.id} ({f.tier})", style="bold red"))
    for f in diff.flags_removed:
        out.append(Text(f"- warning sign {f.id} ({f.tier}) no longer found"))
    if diff.added or diff.removed or diff.changed or diff.reordered:
        out.append(Text("Recommendations:", style="bold"))
    for r in diff.added:
        out.append(Text(f"  + added    {r.id} — {r.title}", style="green"))
    for r in diff.removed:
        out.append(Text(f"  - removed  {r.id} — {r.title}", style="red"))
    for c in diff.changed:
        out.append(Text(f"  ~ changed  {c.id}: {', '.join(c.fields)}", style="yellow"))
        if "title" in c.fields:
            out.append(Text(f"      title: {c.before.title} → {c.after.title}"))
        if "strategy" in c.fields:
            out.append(Text(f"      strategy: {c.before.strategy} → {c.after.strategy}"))
        if "because" in c.fields:
            out.append(Text(f"      because: {', '.join(c.before.because)} → "
                            f"{', '.join(c.after.because)}"))
    if diff.reordered:
        out.append(Text("  ~ the order of the recommendations changed"))
    if diff.programme_added or diff.programme_removed:
        out.append(Text("Exercise programme:", style="bold"))
        out.extend(Text(f"  + added    {i}", style="green") for i in diff.programme_added)
        out.extend(Text(f"  - removed  {i}", style="red") for i in diff.programme_removed)
    if diff.scores:
        out.append(Text("Scores:", style="bold"))
        for s in diff.scores:
            label = SCORE_LABELS.get(s.key, s.key)
            before = "not scored" if s.before is None else score_cell(s.before)
            after = "not scored" if s.after is None else score_cell(s.after)
            out.append(Text(f"  ~ {label} [{s.key}]: {before} → {after}"))
    return out


def changes_renderables(review: SessionReview[Session]) -> list[RenderableType]:
    out: list[RenderableType] = [Text("\nChanges since this session was saved",
                                      style="bold underline")]
    for m in review.questionnaires:
        if m.change == "changed":
            how = (f"version {m.saved_version} → {m.current_version}"
                   if m.saved_version != m.current_version
                   else f"same version {m.current_version}, different content")
            out.append(Text(f"~ questionnaire {m.id} changed ({how})"))
        elif m.change == "added":
            out.append(Text(f"+ questionnaire {m.id} is new since then (not asked)"))
        else:
            out.append(Text(f"- questionnaire {m.id} is no longer used"))
    if review.no_longer_fit:
        table = review_table("Answers that no longer fit today's questionnaires (left out)")
        table.add_column("Question", no_wrap=True)
        table.add_column("Saved answer")
        table.add_column("Why")
        for issue in review.no_longer_fit:
            table.add_row(issue.question, answer_text(issue.value), issue.reason)
        out.append(table)
    if review.diff is None:
        out.append(Text("The saved session holds no plan, so there is nothing to compare "
                        "the recomputed plan with."))
    elif review.diff.empty:
        if review.unchanged:
            out.append(Text("No changes: today's questionnaires and rules give the same plan "
                            "and scores as the ones saved."))
        else:
            out.append(Text("The plan and scores are the same as the ones saved."))
    else:
        out.extend(_diff_lines(review.diff))
    return out


def session_renderables(review: SessionReview[Session]) -> list[RenderableType]:
    session = review.session
    if session.is_draft:
        return _draft_renderables(review)
    out: list[RenderableType] = [_header(session)]
    if not review.complete:
        out.append(_incomplete_panel(review))
    if review.plan is not None:
        out.append(Text("Plan recomputed with today's questionnaires and rules:", style="bold"))
        out.extend(plan_renderables(review.plan, client=session.client,  # type: ignore[arg-type]
                                    session_id=session.id, created=session.created,
                                    practice=session.practice,
                                    signs_unconfirmed=session.signs_unconfirmed))
    out.extend(handout_renderables(review))
    out.extend(changes_renderables(review))
    out.extend(notes_renderables(review.notes))
    return out


def handout_renderables(review: SessionReview[Session]) -> list[RenderableType]:
    """What the client's handout holds, under the plan: the advice picked, the exercises
    left off, the note to the client."""
    shown, plan = review.handout, review.session.plan
    if shown is None or plan is None:
        return []
    titles = {r.id: r.title for r in plan.recommendations}
    whose = "as you chose it" if shown.chosen else "the tool's picks"
    out: list[RenderableType] = [
        Text(f"On the client's handout ({whose}; print it with: backpain handout "
             f"{review.session.id}):", style="bold")]
    picks = "; ".join(visible(titles.get(p, p)) for p in shown.picks) or "none"
    out.append(Padding(Text(f"Advice picked: {picks}"), (0, 0, 0, 2)))
    if shown.dropped:
        out.append(Padding(Text(f"Exercises left off: {', '.join(shown.dropped)}"),
                           (0, 0, 0, 2)))
    if shown.client_note:
        out.append(Padding(Text(f"Note to the client: {visible(shown.client_note)}"),
                           (0, 0, 0, 2)))
    return out


def notes_renderables(notes: Sequence[Note]) -> list[RenderableType]:
    """The practitioner's notes about the visit, oldest first (never on the handout)."""
    if not notes:
        return []
    out: list[RenderableType] = [Text("Your notes about this visit:", style="bold")]
    for n in notes:
        out.append(Text.assemble((f"{n.created:%Y-%m-%d %H:%M} UTC  ", "dim"), n.text))
    return out


# --------------------------------------------------------------------------- a client's history


def _change_text(change: Change | None) -> Text:
    if change is None:
        return Text(NONE)
    pct = "" if change.percent is None else f" ({_signed(change.percent)}%)"
    return Text.assemble(f"{_signed(change.delta)}{pct} ",
                         (change.label, _LABEL_STYLES.get(change.label, "")))


def _visit_triage(visit: Visit[Session]) -> Text:
    text = triage_text(visit.triage)
    if visit.escalated:
        text.append(" ▲", style="bold red")
    elif visit.triage_changed:
        text.append(" ▼")
    return text


def visits_table(history: History[Session]) -> Table:
    table = review_table(f"Visits of {history.client}, oldest first")
    measured = history.measures
    table.add_column("#", justify="right")
    table.add_column("Date (UTC)", no_wrap=True)
    table.add_column("Session", no_wrap=True)
    table.add_column("Triage", no_wrap=True)
    # Eighty columns hold four score columns: with both ODI and RMDQ the worst pain of the
    # week is left to the changes table.
    both = "odi_percent" in measured and "rmdq_score" in measured
    keys = ["nprs_now", *(k for k in ("nprs_worst_week", "odi_percent", "rmdq_score")
                          if k in measured and not (both and k == "nprs_worst_week"))]
    for key in keys:
        table.add_column(SHORT_NAMES[key], justify="right")
    table.add_column("STarT")
    for v in history.visits:
        s = v.session
        scores = v.scores
        table.add_row(str(v.number), utc_day(s.created), s.id, _visit_triage(v),
                      *(score_cell(scores.get(k)) for k in keys),
                      score_cell(scores.get("startback_risk")))
    return table


def changes_table(history: History[Session]) -> Table | None:
    rows = [(v, c) for v in history.visits for c in v.changes if c.from_previous is not None]
    if not rows:
        return None
    table = review_table("Change between visits")
    table.add_column("Measure")
    table.add_column("#", justify="right")
    table.add_column("Now", justify="right")
    table.add_column("From first visit")
    table.add_column("From previous visit")
    for key in OUTCOME_KEYS:
        for v, c in rows:
            if c.key == key:
                table.add_row(SHORT_NAMES[key], str(v.number), score_cell(c.value),
                              _change_text(c.from_first), _change_text(c.from_previous))
    return table


# A line of its own: a table caption would wrap at the (narrow) table's width.
MCID_NOTE = ("Minimal important change: NPRS 2 points, ODI 10 points, RMDQ 5 points. "
             "Improved: a fall of at least that many points and at least 30% of the earlier "
             "value; worse: a rise of at least the points. Lower is better.")


def triage_lines(history: History[Session]) -> list[RenderableType]:
    out: list[RenderableType] = []
    for v in history.visits:
        if not (v.triage_changed or v.new_flags or v.cleared_flags):
            continue
        parts: list[str] = []
        if v.triage_changed:
            parts.append(f"triage {v.previous_triage} → {v.triage}")
        if v.new_flags:
            parts.append("new red flag(s): "
                         + ", ".join(f"{f.id} ({f.tier})" for f in v.new_flags))
        if v.cleared_flags:
            parts.append("no longer found: " + ", ".join(f.id for f in v.cleared_flags))
        mark = "▲ " if v.escalated else "  "
        out.append(Text(f"{mark}visit {v.number} ({_date(v.session.created)[:10]}): "
                        + "; ".join(parts), style="bold red" if v.escalated else ""))
    if out:
        out.insert(0, Text("Triage changes", style="bold underline"))
    return out


def programme_line(session: Session) -> str | None:
    """A visit's programme in one line (the clinical reference, "Flare-up plan, diary, follow-up"):
    the adherence answer and the step, then the exercise ids with their levels. None for
    a draft and for a plan saved before programmes existed."""
    plan = session.plan
    if session.is_draft or plan is None or plan.programme is None:
        return None
    parts: list[str] = []
    adherence = session.answers.get("programme_adherence")
    if isinstance(adherence, str):
        parts.append(f"adherence {adherence.replace('_', ' ')}")
    if plan.programme_step is not None:
        parts.append(f"step {plan.programme_step}")
    exercises = ", ".join(f"{item.id} ({item.level})" for item in plan.programme)
    parts.append(exercises or "no programme")
    return "; ".join(parts)


def programme_lines(history: History[Session]) -> list[RenderableType]:
    lines = [(v, line) for v in history.visits if (line := programme_line(v.session))]
    if not lines:
        return []
    # A grid: a line too long for the terminal goes on under its own start, not under
    # "visit 1", which is what tells the visits apart.
    grid = Table.grid()
    grid.add_column(no_wrap=True)
    grid.add_column()
    for v, line in lines:
        grid.add_row(f"  visit {v.number} ({_date(v.session.created)[:10]}): ", line)
    return [Text("Exercise programme", style="bold underline"), grid]


_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: float, maximum: float, width: int) -> str:
    """A bar of `width` cells for `value` out of `maximum`, in eighths of a cell."""
    filled = max(0.0, min(value / maximum, 1.0)) * width
    whole = int(filled)
    part = int((filled - whole) * 8)
    text = "█" * whole + (_EIGHTHS[part] if whole < width and part else "")
    return text.ljust(width, "·")


def chart(points: Sequence[ChartPoint], *, width: int = 12) -> Table | None:
    """Pain and disability per visit as horizontal bars: no colour is needed to read it."""
    columns: list[tuple[str, str, float]] = [("Pain (0–10)", "pain", 10)]
    if any(p.odi_percent is not None for p in points):
        columns.append(("ODI (0–100 %)", "odi_percent", 100))
    if any(p.rmdq is not None for p in points):
        columns.append(("RMDQ (0–24)", "rmdq", 24))
    if not any(getattr(p, attr) is not None for p in points for _, attr, _ in columns):
        return None
    table = Table(box=None, pad_edge=False, padding=(0, 1))
    table.add_column("Date")
    for name, _, _ in columns:
        table.add_column(name, no_wrap=True)
    for p in points:
        cells = [f"{p.date:%Y-%m-%d}"]
        for _, attr, maximum in columns:
            value = getattr(p, attr)
            cells.append(f"{bar(value, maximum, width)} {score_cell(value):>4}" if value is not None
                         else f"{' ' * width} {NONE:>4}")
        table.add_row(*cells)
    return table


def history_renderables(result: ClientHistory) -> list[RenderableType]:
    history = result.history
    out: list[RenderableType] = []
    if history.visits:
        out.append(visits_table(history))
    elif history.drafts:
        out.append(Text(f"No completed visit of client {history.client} yet."))
    else:
        out.append(Text(f"No readable sessions for client {history.client}."))
    changes = changes_table(history)
    if changes is not None:
        out += [Text(""), changes, Text(MCID_NOTE)]
    triage = triage_lines(history)
    if triage:
        out += [Text(""), *triage]
    programme = programme_lines(history)
    if programme:
        out += [Text(""), *programme]
    points = history.chart
    graph = chart(points) if points else None
    if graph is not None:
        # The title as its own line: a table title wraps at the (narrow) table's width.
        out.append(Text("\nPain and disability over time (a longer bar is worse)",
                        style="bold underline"))
        out.append(graph)
    out.extend(drafts_and_unreadable(history.drafts, len(result.unreadable), gap="\n"))
    return out


# --------------------------------------------------------------------------- who is due


def due_renderables(due: DueList) -> list[RenderableType]:
    out: list[RenderableType] = []
    if not due.rows:
        out.append(Text(f"No client is due for a check on {due.on}."))
    else:
        table = review_table(f"Due for a check on {due.on}, most overdue first")
        table.add_column("Client", overflow="fold", min_width=6)
        # The session id starts with its date: no date column, so that 80 columns hold it.
        table.add_column("Latest session", no_wrap=True)
        table.add_column("Triage", no_wrap=True)
        table.add_column("Check", no_wrap=True)
        table.add_column("Due", no_wrap=True)
        table.add_column("Overdue", justify="right", no_wrap=True)
        for d in due.rows:
            s = d.session
            # An emergency plan has no interval: the client is worth a call from that day.
            check = NONE if d.reassess_weeks is None else (
                f"{d.reassess_weeks} week" + ("" if d.reassess_weeks == 1 else "s"))
            overdue = "due today" if d.days_overdue == 0 else (
                f"{d.days_overdue} day" + ("" if d.days_overdue == 1 else "s"))
            table.add_row(s.client, s.id, triage_text(s.plan.triage if s.plan else None),
                          check, f"{d.due}", overdue)
        out += [table, Text("Due dates are on this computer's calendar. History: "
                            "backpain review CLIENT")]
    if due.unreadable:
        out.append(Text(f"{len(due.unreadable)} session file(s) could not be read; "
                        "the reasons are on standard error."))
    return out


# The listing has its own renderer (terminal_listing.py): `review` on a terminal never
# comes here with one.
Result = SessionReview[Session] | ClientHistory | DueList


def renderables(result: Result) -> list[RenderableType]:
    # Every text in it came from a session file: no control character reaches the terminal.
    result = visible_in(result)
    if isinstance(result, DueList):
        return due_renderables(result)
    if isinstance(result, SessionReview):
        return session_renderables(result)
    return history_renderables(result)


def print_result(console: Console, result: Result) -> None:
    console.print(Group(*renderables(result)))
