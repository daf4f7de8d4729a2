"""The plan as Markdown: readable as plain text, clean when rendered.

Written for the practitioner's records and for sharing: every recommendation keeps its
id, the answers behind it and its evidence, as on screen.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from ..clinical.followup import History
from ..clinical.model import NOTICE, STRATEGIES, STRATEGY_TITLES, Plan
from ..clinical.reassess import next_check
from ..records.session import Session, iso_utc, plan_of
from ..safe_text import visible_in
from .formats import ExportItem
from .wording import (
    CHANGE_NOTE,
    SCORE_LABELS,
    TIER_WORDS,
    TRIAGE_HEADLINES,
    change_rows,
    checks_text,
    flag_text,
    format_score,
    practice_line,
    score_meaning,
)

_INLINE_SPECIAL = re.compile(r"([\\`*\[\]<>|])")
# An underscore inside a word never starts emphasis; only escape the others.
_LOOSE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_BLOCK_START = re.compile(r"^(\s*)(?:([#>+=-])|(\d+)([.)])(?=\s))")

HISTORY_COLUMNS = (
    ("nprs_now", "Pain now"),
    ("nprs_worst_week", "Worst pain (week)"),
    ("odi_percent", "ODI %"),
    ("rmdq_score", "RMDQ"),
    ("startback_risk", "STarT Back risk"),
)


def escape(text: str) -> str:
    """Text from a session, made inert: no stray emphasis, links, HTML or table breaks."""
    text = " ".join(text.split())
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    text = _LOOSE_UNDERSCORE.sub(r"\\_", text)
    return _BLOCK_START.sub(_escape_block_start, text)


def _escape_block_start(m: re.Match[str]) -> str:
    # Only punctuation can be backslash-escaped: "1\." rather than "\1.".
    if m.group(2):
        return f"{m.group(1)}\\{m.group(2)}"
    return f"{m.group(1)}{m.group(3)}\\{m.group(4)}"


def _code(ids: Sequence[str]) -> str:
    return ", ".join(f"`{i}`" for i in ids)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A pipe table padded to line up, so it also reads well as plain text."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    widths = [max(w, 3) for w in widths]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
            *(line(r) for r in rows)]


def _plan_lines(plan: Plan, created: dt.datetime) -> list[str]:
    out: list[str] = []
    headline, todo = TRIAGE_HEADLINES.get(plan.triage, TRIAGE_HEADLINES["none"])
    out += [f"> **{headline}**", f"> {escape(todo)}", ""]
    if plan.red_flags:
        out += ["**Red flags:**", ""]
        out += [f"- `{f.id}` ({escape(TIER_WORDS.get(f.tier, f.tier))}): "
                f"{escape(flag_text(f.id))}" for f in plan.red_flags]
        out.append("")
    if plan.checks:
        out += [f"**Consistency checks:** {escape(checks_text(plan))}", ""]
    if plan.reassess_weeks is not None:
        out += [f"**{escape(next_check(created, plan.reassess_weeks))}**", ""]
    if plan.scores:
        out += ["## Scores", ""]
        for key, value in plan.scores.items():
            meaning = score_meaning(key, value)
            label = escape(SCORE_LABELS.get(key, key))
            shown = escape(format_score(key, value))
            out.append(f"- **{label}:** {shown}" + (f" — {escape(meaning)}" if meaning else ""))
        out.append("")
    if not plan.recommendations:
        out += ["*No recommendations.*", ""]
    for strategy in (*STRATEGIES, *sorted({r.strategy for r in plan.recommendations}
                                          - set(STRATEGIES))):
        recs = plan.by_strategy(strategy)
        if not recs:
            continue
        out += [f"## {escape(STRATEGY_TITLES.get(strategy, strategy))}", ""]
        for i, rec in enumerate(recs, 1):
            out += [f"### {i}. {escape(rec.title)}", "", escape(rec.detail), ""]
            out.append(f"- Because: {_code(rec.because)}")
            out.append(f"- Evidence: {escape(rec.evidence)}")
            out.append(f"- Id: `{rec.id}`")
            out.append("")
    if plan.warnings:
        out += ["## Notes", ""]
        out += [f"- {escape(w)}" for w in plan.warnings]
        out.append("")
    return out


def _history_lines(sessions: Sequence[Session]) -> list[str]:
    shown = [(k, label) for k, label in HISTORY_COLUMNS
             if any(s.plan and k in s.plan.scores for s in sessions)]
    header = ["Date", "Session", *(label for _, label in shown), "Triage"]
    rows = []
    for s in sessions:
        scores = s.plan.scores if s.plan else {}
        rows.append([
            iso_utc(s.created)[:10], f"`{s.id}`",
            *(escape(format_score(k, scores[k])) if k in scores else "–" for k, _ in shown),
            escape(s.plan.triage if s.plan else ""),
        ])
    return ["## Visits", "", *_table(header, rows), ""]


def _change_lines(session: Session, history: History[Session]) -> list[str]:
    rows = [[escape(SCORE_LABELS.get(k, k)), escape(now), escape(first), escape(previous)]
            for k, now, first, previous in change_rows(session, history)]
    if not rows:
        return []
    header = ["Measure", "Now", "Since the first visit", "Since the previous visit"]
    return ["## Change since earlier visits", "", *_table(header, rows), "",
            escape(CHANGE_NOTE), ""]


def render(session: Session, history: History[Session] | None = None) -> str:
    """The session's plan; with two or more visits in `history`, a table of them too."""
    # Control characters from the file would travel on to whatever shows the Markdown.
    session, history = visible_in(session), visible_in(history)
    plan = plan_of(session)
    lines = [f"# Back-care plan for {escape(session.client)}", ""]
    # The practice as the session recorded it at the visit, not today's settings.
    if session.practice:
        lines += [escape(practice_line(session.practice)), ""]
    meta = f"Session `{session.id}` · {iso_utc(session.created)}"
    if session.follows:
        meta += f" · follow-up to `{session.follows}`"
    lines += [meta, ""]
    lines += _plan_lines(plan, session.created)
    if history is not None and len(history.visits) > 1:
        lines += _history_lines([v.session for v in history.visits])
        lines += _change_lines(session, history)
    lines += ["---", "", f"*{escape(NOTICE)}*", ""]
    return "\n".join(lines)


def export(item: ExportItem) -> str:
    """The practitioner's plan (`export --format md --detail full`; the format's row
    names client_handout_md.export, which hands it here)."""
    return render(item.session, item.history)
