"""The client's handout as one self-contained HTML file (and, through pdf.render, a PDF).

Large print for a client who may be 70: body text 12 pt on paper and nothing below 10 pt,
lines of at most about 80 characters, dark ink on white or light tints (WCAG AA), a plain
sans-serif face. Printed it takes at most three pages of A4 or Letter (an emergency one
page); no exercise, box, table or chart is split across pages, and no page holds only the
end. On screen it reads on a phone. Everything is inline (CSS, SVG): nothing is fetched.

`render_client_html(inputs)` is the entry point; what the handout says comes from
client_handout.content(), shared with the Markdown handout.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

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
from .client_page import ACCENT, BASE_CSS, INK, MUTED
from .figures import UnknownPicture, picture

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

# The handout's other inks and tints (its text colours: client_page.py). Every text colour
# meets WCAG AA (4.5:1) on white and on every tint (tests/test_client_handout.py).
LINE = "#8a949e"
CHART_INK = "#1d5e8c"
GRID = "#c9cfd6"
# Every exercise picture's height in print: enough to see the position, small enough that
# the longest plan's cards fit three Letter pages.
PICTURE_MM = 23

CSS = BASE_CSS + f""".page {{ max-width: 46rem; margin: 0 auto; padding: 1rem 1rem 2rem; }}
/* About 75 characters a line at most: long lines are hard to follow back. Where the
   page is wider, advice and the safety net take two columns instead. */
p, li, .run-in {{ max-width: 33em; }}
.columns {{ columns: 2 17em; column-gap: 2rem; }}
.columns p, .columns li {{ max-width: none; }}
h1, h2, h3 {{ line-height: 1.2; margin: 0; color: {ACCENT}; }}
h1 {{ font-size: 1.6rem; color: {INK}; }}
h2 {{ font-size: 1.3rem; margin: 1.4rem 0 .4rem; padding-bottom: .2rem;
  border-bottom: 2px solid {LINE}; }}
h3 {{ font-size: 1.1rem; margin: 0 0 .2rem; }}
p {{ margin: .3rem 0; }}
ul, ol {{ margin: .3rem 0; padding-left: 1.4rem; }}
li {{ margin: .15rem 0; }}
.practice {{ margin: 0 0 .3rem; font-weight: bold; color: {ACCENT}; }}
.title {{ display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 1.2rem; }}
.meta {{ margin: .2rem 0 0; }}
.box {{ margin: .5rem 0; padding: .6rem .9rem; border: 2px solid; border-left-width: .5rem;
  border-radius: .3rem; max-width: 36em; }}
.box .headline {{ font-size: 1.2rem; font-weight: bold; margin: 0 0 .3rem; }}
.triage-emergency {{ background: #fdeceb; border-color: #b3261e; }}
.triage-emergency .headline {{ color: #8c1d18; }}
.triage-same_day, .triage-urgent {{ background: #fff4d6; border-color: #b26a00; }}
.triage-same_day .headline, .triage-urgent .headline {{ color: #6b4100; }}
.triage-refer_routine, .triage-co_manage {{ background: #e9f1fb; border-color: #1d5e8c; }}
.triage-refer_routine .headline, .triage-co_manage .headline {{ color: #174a70; }}
.triage-none {{ background: #eaf6ee; border-color: #2e7d4f; }}
.triage-none .headline {{ color: #1d5434; }}
.step {{ margin: 0 0 .7rem; break-inside: avoid; page-break-inside: avoid; }}
.because {{ font-style: italic; }}
.card, .rest {{ display: grid; grid-template-columns: 11rem 1fr; gap: .4rem 1rem;
  padding: .5rem 0; }}
.card .text, .rest .text {{ max-width: 33em; }}
.card + .card {{ border-top: 1px solid {LINE}; }}
.pic svg {{ display: block; width: 100%; height: 8rem; }}
.card ol, .rest ol {{ margin-top: 0; }}
.for-you {{ font-weight: bold; }}
.table-wrap {{ overflow-x: auto; }}
table {{ border-collapse: collapse; }}
table.diary {{ width: 100%; min-width: 36rem; table-layout: fixed; }}
.diary th, .diary td {{ border: 1px solid {LINE}; padding: .2rem; text-align: center;
  vertical-align: middle; }}
.diary th.row {{ text-align: left; width: 11rem; font-weight: normal; }}
.diary thead th {{ font-size: .8rem; font-weight: normal; line-height: 1.15; }}
.diary td {{ height: 2.2rem; }}
.bring {{ font-weight: bold; }}
.side-by-side {{ display: flex; flex-wrap: wrap; gap: .5rem 2rem; align-items: flex-start; }}
figure {{ margin: .4rem 0; max-width: 330px; }}
figure svg {{ display: block; max-width: 100%; height: auto; }}
table.visits th, table.visits td {{ border-bottom: 1px solid {LINE};
  padding: .2rem .8rem .2rem 0; text-align: left; }}
.help {{ margin-top: 1rem; padding: .1rem .9rem .5rem; border: 2px solid #b3261e;
  border-radius: .3rem; }}
.help h2 {{ border: 0; margin-top: .5rem; }}
.help li {{ break-inside: avoid; page-break-inside: avoid; }}
.last {{ margin-top: .8rem; }}
.run-in {{ margin: .4rem 0; }}
.run-in h2 {{ display: inline; font-size: 1rem; border: 0; margin: 0; padding: 0; }}
.run-in h2::after {{ content: ":"; }}
.run-in p {{ display: inline; }}
.notice {{ font-size: .85rem; color: {MUTED}; margin-top: .8rem; }}
@media (max-width: 32rem) {{
  .card, .rest {{ grid-template-columns: 1fr; }}
  .pic svg {{ height: 9rem; }}
}}
@media print {{
  @page {{ margin: 8mm 11mm; }}
  html {{ font-size: 12pt; }}
  /* Tight enough that the longest plan, six earlier visits and a note fit three Letter
     pages (the shorter paper), open enough to follow a line back at 12 pt. */
  body {{ line-height: 1.1; }}
  .page {{ max-width: none; padding: 0; }}
  h1 {{ font-size: 18pt; }}
  h2 {{ font-size: 14pt; margin: .35rem 0 .15rem; padding-bottom: .1rem; }}
  h3 {{ font-size: 12.5pt; margin: 0 0 .05rem; }}
  p {{ margin: .15rem 0; }}
  .columns {{ columns: 2; column-gap: 8mm; }}
  .box {{ padding: .35rem .8rem; margin: .3rem 0; }}
  .box .headline {{ font-size: 13pt; margin-bottom: .1rem; }}
  /* Alone on its page, read in a hurry: larger still. */
  .box.triage-emergency {{ font-size: 15pt; padding: .6rem 1rem; }}
  .box.triage-emergency .headline {{ font-size: 20pt; }}
  .box.triage-emergency p {{ margin: .3rem 0; }}
  /* The heading of the next step sets it apart; the space under each is small, so that
     the steps with their "Because" lines leave the first exercise room on page 1. */
  .step {{ margin: 0 0 .2rem; }}
  /* The picture's box: wide enough for a figure lying down, tall enough for one
     standing; the text beside it is taller than either. */
  /* Two columns of text beside the picture, the steps and then the dose: a card takes
     about two thirds of the height it would in one column (lines of about 40 characters,
     as in a newspaper). */
  .card, .rest {{ grid-template-columns: 32mm 1fr; gap: 0 .6rem; padding: .1rem 0; }}
  .card .text, .rest .text {{ max-width: none; }}
  .how {{ display: grid; grid-template-columns: 1fr 1fr; gap: 0 6mm; }}
  .pic svg {{ height: {PICTURE_MM}mm; }}
  .card p, .rest p, .step p {{ margin: 0; }}
  ul, ol {{ margin: .1rem 0; }}
  li {{ margin: 0; }}
  table.diary {{ min-width: 0; }}
  .diary thead th {{ font-size: 10pt; }}
  .diary th.row {{ width: 56mm; }}
  .diary th, .diary td {{ padding: .05rem .2rem; }}
  .diary td {{ height: 5mm; }}
  table.visits th, table.visits td {{ padding: .05rem .8rem .05rem 0; }}
  .help {{ margin-top: .4rem; padding: 0 .8rem .3rem; }}
  .help h2 {{ margin-top: .3rem; }}
  .notice {{ font-size: 10pt; margin-top: .4rem; }}
  /* The next check and the note across the page (a note at its longest takes half the
     lines it would in a column), whom to ask beside the notice; and the end goes to a page
     only with the safety net before it, never alone. */
  .last {{ margin-top: .4rem; break-before: avoid; page-break-before: avoid; }}
  .who {{ display: grid; grid-template-columns: 1fr 1fr; gap: 0 8mm; }}
  .who .notice {{ margin-top: .15rem; }}
  .run-in {{ margin: .15rem 0; }}
  .box, .triage-emergency, .triage-same_day, .triage-urgent, .triage-refer_routine,
  .triage-co_manage, .triage-none {{ -webkit-print-color-adjust: exact;
    print-color-adjust: exact; }}
  .box, .step, .card, .rest, table, tr, figure, .help, .keep {{
    break-inside: avoid; page-break-inside: avoid; }}
  h2, h3 {{ break-after: avoid; page-break-after: avoid; }}
  .table-wrap {{ overflow: visible; }}
}}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _p(text: str, klass: str = "") -> str:
    cls = f' class="{klass}"' if klass else ""
    return f"<p{cls}>{_e(text)}</p>"


def _ul(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"


def _labelled(label: str, text: str, klass: str = "") -> str:
    cls = f' class="{klass}"' if klass else ""
    return f"<p{cls}><strong>{_e(label)}</strong> {_e(text)}</p>"


def _picture(exercise_id: str) -> str:
    try:
        return f'<div class="pic">{picture(exercise_id)}</div>'
    except UnknownPicture:
        return '<div class="pic"></div>'


# --------------------------------------------------------------------------- sections


def _header(c: Content) -> str:
    parts = ['<header class="top">']
    if c.practice and not c.emergency:
        parts.append(f'<p class="practice">{_e(" · ".join(c.practice))}</p>')
    meta = f"{w.FOR}: <strong>{_e(c.name)}</strong> · " if c.name else ""
    parts.append(f'<div class="title"><h1>{_e(w.TITLE)}</h1>'
                 f'<p class="meta">{meta}{_e(long_day(c.date))}</p></div>')
    parts.append("</header>")
    return "\n".join(parts)


def _found(f: Found) -> str:
    parts = [f'<section class="found" aria-labelledby="found"><h2 id="found">{_e(w.FOUND)}</h2>',
             f'<div class="box triage-{_e(f.triage)}">',
             _p(f.headline, "headline"), *(_p(t) for t in f.text)]
    if f.where:
        parts += [f"<p><strong>{_e(w.WHERE_TO_GO)}</strong></p>", _ul(f.where)]
    if f.noticed:
        parts += [f"<p><strong>{_e(w.NOTICED)}</strong></p>", _ul(f.noticed)]
    if f.pain:
        parts.append(_p(" ".join(f.pain)))
    parts.append("</div></section>")
    return "\n".join(parts)


def _step_text(text: str, because: str | None) -> str:
    """The advice, its reason run on after it: the same paragraph, so that the reason
    costs no line of its own on a page that is full (the worst case fills three)."""
    reason = f' <span class="because">{_e(because)}</span>' if because else ""
    return f"<p>{_e(text)}{reason}</p>"


def _steps(c: Content) -> str:
    if not c.steps:
        return ""
    items = "\n".join(f'<div class="step" id="{_e(s.id)}"><h3>{_e(s.title)}</h3>'
                      f"{_step_text(s.text, s.because)}</div>" for s in c.steps)
    return (f'<section class="steps"><h2>{_e(w.NEXT_STEPS)}</h2>\n'
            f'<div class="columns">{items}</div></section>')


def _card(card: Card) -> str:
    parts = [f'<article class="card" id="{_e(card.id)}">', _picture(card.id),
             f'<div class="text"><h3>{_e(card.name)}</h3><div class="how">',
             "<ol>" + "".join(f"<li>{_e(s)}</li>" for s in card.steps) + "</ol>",
             '<div class="dose">', _labelled(w.HOW_MUCH, card.dose)]
    if card.easier:
        parts.append(_labelled(w.EASIER, card.easier))
    if card.harder:
        parts.append(_labelled(w.HARDER, card.harder))
    parts += [_labelled(w.FOR_YOU, t, "for-you") for t in card.for_you]
    parts.append("</div></div></div></article>")
    return "".join(parts)


def _exercises(c: Content) -> str:
    if not c.cards:
        return ""
    heading = "".join(_p(t, "for-you") for t in c.programme_heading)
    cards = "\n".join(_card(card) for card in c.cards)
    return (f'<section class="exercises"><h2>{_e(w.EXERCISES)}</h2>{heading}\n{cards}'
            "</section>")


def _bad_day(b: BadDay | None) -> str:
    if b is None:
        return ""
    easier = "".join(_labelled(w.EASIER_VERSION.format(name=name), dose)
                     for name, dose in b.easier)
    parts = [f'<section class="bad-day"><h2>{_e(w.BAD_DAY)}</h2>',
             _p(" ".join(b.text)), easier]
    if b.rest is not None:
        rest = b.rest
        parts += ['<div class="rest">', _picture(rest.id), '<div class="text">',
                  f'<h3>{_e(rest.name)}</h3><div class="how">',
                  "<ol>" + "".join(f"<li>{_e(s)}</li>" for s in rest.steps) + "</ol>",
                  '<div class="dose">', _labelled(w.HOW_MUCH, rest.dose),
                  *(_labelled(w.FOR_YOU, t, "for-you") for t in rest.for_you),
                  "</div></div></div></div>"]
    parts.append("</section>")
    return "\n".join(parts)


def _diary(d: Diary | None) -> str:
    if d is None:
        return ""
    head = "".join(f'<th scope="col">{day:%a}<br>{day.day}</th>' for day in d.days)
    boxes = "<td></td>" * len(d.days)
    rows = "\n".join(f'<tr><th scope="row" class="row">{_e(r)}</th>{boxes}</tr>'
                     for r in d.rows)
    return "\n".join([
        f'<section class="diary-section keep"><h2>{_e(w.DIARY)}</h2>',
        _p(w.DIARY_HOW),
        '<div class="table-wrap"><table class="diary">',
        f'<thead><tr><th scope="col" class="row">{_e(month_span(d.days))}</th>{head}</tr>'
        "</thead>",
        f"<tbody>\n{rows}\n</tbody></table></div>",
        _p(w.DIARY_BRING, "bring"), "</section>"])


def chart(progress: Progress) -> str:
    """The client's pain at each visit as a small line chart; its <title> holds every
    value (WeasyPrint makes it the PDF figure's text alternative). Drawn at its own size,
    one unit a CSS pixel, so its 14-unit labels print at 10.5 pt."""
    visits = progress.visits
    width, height = 330, 140
    left, right, top, bottom = 34, 16, 16, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(visits)

    def x(i: int) -> float:
        return left + 20 + i * (plot_w - 40) / max(n - 1, 1)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / 10)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" font-size="14" '
           'font-family="Arial, Liberation Sans, sans-serif">',
           f"<title>{_e(progress.chart_title)}</title>"]
    for tick in (0, 5, 10):
        ty = y(tick)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" '
                   f'stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{left - 8}" y="{ty + 5:.1f}" text-anchor="end" '
                   f'fill="{MUTED}">{tick}</text>')
    for i, v in enumerate(visits):
        out.append(f'<text x="{x(i):.1f}" y="{height - 10}" text-anchor="middle" '
                   f'fill="{MUTED}">{_e(short_day(v.day))}</text>')
    points = [(x(i), y(v.pain)) for i, v in enumerate(visits) if v.pain is not None]
    if len(points) > 1:
        line = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        out.append(f'<polyline points="{line}" fill="none" stroke="{CHART_INK}" '
                   'stroke-width="3" stroke-linejoin="round"/>')
    for i, v in enumerate(visits):
        if v.pain is None:
            continue
        px, py = x(i), y(v.pain)
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4.5" fill="#fff" '
                   f'stroke="{CHART_INK}" stroke-width="2.5"/>')
        ly = py - 10 if v.pain < 9 else py + 22
        out.append(f'<text x="{px:.1f}" y="{ly:.1f}" text-anchor="middle" fill="{CHART_INK}" '
                   f'font-weight="bold">{v.pain}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _progress(p: Progress | None) -> str:
    if p is None:
        return ""
    parts = [f'<section class="progress keep"><h2>{_e(w.PROGRESS)}</h2>',
             f'<div class="side-by-side"><figure>{chart(p)}'
             f"<figcaption>{_e(w.PROGRESS_TEXT)}</figcaption></figure>"]
    if p.with_exercises:
        rows = "".join(
            f"<tr><td>{_e(short_day(v.day))}</td>"
            f"<td>{_e(w.ADHERENCE.get(v.adherence, '–') if v.adherence else '–')}</td>"
            f"<td>{_e(w.STEP.get(v.step, '–') if v.step else '–')}</td></tr>"
            for v in p.visits)
        parts.append(f'<table class="visits"><thead><tr><th scope="col">{_e(w.VISIT)}</th>'
                     f'<th scope="col">{_e(w.DONE)}</th>'
                     f'<th scope="col">{_e(w.CHANGE)}</th></tr></thead>'
                     f"<tbody>{rows}</tbody></table>")
    parts.append("</div></section>")
    return "\n".join(parts)


def _run_in(heading: str, text: str) -> str:
    return (f'<div class="run-in"><h2>{_e(heading)}</h2> <p>{text}</p></div>')


def _end(c: Content) -> str:
    """The last sections: the safety net in its box, then the next check, the note and
    whom to ask, with their headings run in and kept together, so that no page holds
    only the end."""
    parts = ['<section class="end">']
    if c.help_sooner:
        parts += [f'<div class="help keep"><h2>{_e(w.HELP_SOONER)}</h2>',
                  f'<ul class="columns">{"".join(f"<li>{_e(t)}</li>" for t in c.help_sooner)}'
                  "</ul></div>"]
    parts.append('<div class="keep last"><div class="when">')
    if c.next_check:
        parts.append(_run_in(w.NEXT_CHECK, _e(" ".join(c.next_check))))
    if c.note:
        parts.append(_run_in(w.NOTE, "<br>".join(_e(t) for t in c.note)))
    parts += ['</div><div class="who">', _run_in(w.WHO_TO_ASK, "<br>".join(_e(t) for t in c.who)),
              _p(c.notice, "notice"), "</div></div>", "</section>"]
    return "\n".join(parts)


def _document(title: str, body: Iterable[str]) -> str:
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">', f"<title>{_e(title)}</title>",
        f"<style>{CSS}</style>", "</head>", "<body>", '<main class="page">',
        *(part for part in body if part), "</main>", "</body>", "</html>", ""])


def title_of(c: Content) -> str:
    return " · ".join([w.TITLE, *((c.name,) if c.name else ()), long_day(c.date)])


def render_client_html(inputs: ClientHandout) -> str:
    """The client's handout of `inputs` as a self-contained HTML document."""
    # HTML escaping leaves control characters alone: they are made visible first.
    c = content(visible_in(inputs))
    if c.emergency:
        return _document(title_of(c), [_header(c), _found(c.found),
                                       _p(c.notice, "notice")])
    return _document(title_of(c), [
        _header(c), _found(c.found), _steps(c), _exercises(c), _bad_day(c.bad_day),
        _diary(c.diary), _progress(c.progress), _end(c)])


__all__ = ["ClientHandout", "render_client_html"]
