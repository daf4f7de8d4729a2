"""The client's handout as Markdown: the same sections, in the same order and words, as the
HTML handout (client_handout.content), readable as plain text.

The exercises have their name, steps and dose but no pictures (Markdown has no inline
drawing that every reader shows); the diary is a table of 14 dated columns with an empty
box per cell; progress is a small table of the visits instead of a chart.

`render_client_markdown(inputs)` is the entry point.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..safe_text import visible_in
from . import handout_words as w
from .client_handout import (
    BadDay,
    Card,
    ClientHandout,
    Content,
    Diary,
    Found,
    Progress,
    content,
    long_day,
    month_span,
    short_day,
)
from .formats import ExportItem
from .markdown import escape
from .markdown import export as practitioners_plan

BOX = "[ ]"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A pipe table padded to line up, so that it also reads as plain text."""
    widths = [max(3, *(len(c) for c in col)) for col in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(n) for c, n in zip(cells, widths, strict=True)) + " |"

    return [line(header), "|" + "|".join("-" * (n + 2) for n in widths) + "|",
            *(line(r) for r in rows)]


def _found(f: Found) -> list[str]:
    out = [f"## {w.FOUND}", "", f"**{escape(f.headline)}**", ""]
    out += [escape(t) for t in f.text]
    if f.where:
        out += ["", f"**{w.WHERE_TO_GO}**", "", *(f"- {escape(t)}" for t in f.where)]
    if f.noticed:
        out += ["", f"**{w.NOTICED}**", "", *(f"- {escape(t)}" for t in f.noticed)]
    if f.pain:
        out += ["", " ".join(f.pain)]
    return [*out, ""]


def _steps(c: Content) -> list[str]:
    if not c.steps:
        return []
    out = [f"## {w.NEXT_STEPS}", ""]
    for step in c.steps:
        out += [f"### {escape(step.title)}", "", escape(step.text), ""]
        if step.because:
            out += [f"*{escape(step.because)}*", ""]
    return out


def _card(card: Card) -> list[str]:
    out = [f"### {escape(card.name)}", ""]
    out += [f"{n}. {escape(s)}" for n, s in enumerate(card.steps, 1)]
    out += ["", f"**{w.HOW_MUCH}** {escape(card.dose)}"]
    if card.easier:
        out += ["", f"**{w.EASIER}** {escape(card.easier)}"]
    if card.harder:
        out += ["", f"**{w.HARDER}** {escape(card.harder)}"]
    for text in card.for_you:
        out += ["", f"**{w.FOR_YOU}** {escape(text)}"]
    return [*out, ""]


def _exercises(c: Content) -> list[str]:
    if not c.cards:
        return []
    out = [f"## {w.EXERCISES}", ""]
    for text in c.programme_heading:
        out += [f"**{escape(text)}**", ""]
    for card in c.cards:
        out += _card(card)
    return out


def _bad_day(b: BadDay | None) -> list[str]:
    if b is None:
        return []
    out = [f"## {w.BAD_DAY}", "", escape(" ".join(b.text)), ""]
    for name, dose in b.easier:
        out += [f"**{escape(w.EASIER_VERSION.format(name=name))}** {escape(dose)}", ""]
    if b.rest is not None:
        out += _card(b.rest)
    return out


def _diary(d: Diary | None) -> list[str]:
    if d is None:
        return []
    header = [month_span(d.days), *(f"{day:%a} {day.day}" for day in d.days)]
    rows = [[escape(r), *([BOX] * len(d.days))] for r in d.rows]
    return [f"## {w.DIARY}", "", w.DIARY_HOW, "", *_table(header, rows), "",
            f"**{w.DIARY_BRING}**", ""]


def _progress(p: Progress | None) -> list[str]:
    if p is None:
        return []
    header = [w.VISIT, w.PAIN_COLUMN]
    if p.with_exercises:
        header += [w.DONE, w.CHANGE]
    rows = []
    for v in p.visits:
        row = [short_day(v.day), "–" if v.pain is None else f"{v.pain}"]
        if p.with_exercises:
            row += [w.ADHERENCE.get(v.adherence, "–") if v.adherence else "–",
                    w.STEP.get(v.step, "–") if v.step else "–"]
        rows.append(row)
    return [f"## {w.PROGRESS}", "", w.PROGRESS_TEXT, "", *_table(header, rows), ""]


def _end(c: Content) -> list[str]:
    out: list[str] = []
    if c.help_sooner:
        out += [f"## {w.HELP_SOONER}", "", *(f"- {escape(t)}" for t in c.help_sooner), ""]
    if c.next_check:
        out += [f"## {w.NEXT_CHECK}", "", " ".join(c.next_check), ""]
    if c.note:
        out += [f"## {w.NOTE}", "", *(f"{escape(t)}  " for t in c.note[:-1]),
                escape(c.note[-1]), ""]
    out += [f"## {w.WHO_TO_ASK}", "", *(f"{escape(t)}  " for t in c.who[:-1]),
            escape(c.who[-1]), ""]
    return out


def _header(c: Content) -> list[str]:
    out = [f"# {w.TITLE}", ""]
    if c.practice and not c.emergency:
        out += [f"**{escape(' · '.join(c.practice))}**", ""]
    who = f"{w.FOR}: **{escape(c.name)}** · " if c.name else ""
    return [*out, f"{who}{long_day(c.date)}", ""]


def render_client_markdown(inputs: ClientHandout) -> str:
    """The client's handout of `inputs` as Markdown."""
    c = content(visible_in(inputs))
    parts = [*_header(c), *_found(c.found)]
    if not c.emergency:
        parts += [*_steps(c), *_exercises(c), *_bad_day(c.bad_day), *_diary(c.diary),
                  *_progress(c.progress), *_end(c)]
    parts += [f"*{escape(c.notice)}*", ""]
    return "\n".join(parts)


def export(item: ExportItem) -> str:
    """`export --format md` (output/formats.py): the client's handout, or with --detail
    full the practitioner's plan (output/markdown.py)."""
    if item.handout is None:
        return practitioners_plan(item)
    return render_client_markdown(item.handout)


__all__ = ["ClientHandout", "export", "render_client_markdown"]
