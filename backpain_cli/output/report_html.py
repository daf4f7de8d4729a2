"""The outcome report as one self-contained, printable HTML file: the tables of
output/report.py, and charts where people look rather than read (responder rates with their
intervals by group, the follow-up funnel, sessions a month).

Every chart is inline SVG with `role="img"`, a <title> and a <desc> that holds every value
it draws (its text alternative); the table beside it holds them too. Colours meet WCAG AA on
white: text 4.5:1, lines and marks 3:1 (tests check). Nothing is fetched (a
Content-Security-Policy says so); printed, no table or chart is split across pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ..clinical.outcomes import Group, OutcomeReport, Rate, V
from .html import CSP
from .report import (
    DEFINITIONS,
    FUNNEL,
    MEASURES,
    TITLE,
    TOO_FEW,
    Table,
    percent,
    stratum_name,
    tables,
    window,
)

INK = "#1d2125"
MUTED = "#545d66"
GRID = "#d5dae0"
OBSERVED = "#1d5e8c"  # 7.0:1 on white
CONSERVATIVE = "#8a3500"  # 7.5:1 on white
BAR = "#1d5e8c"
COLOURS = (INK, MUTED, OBSERVED, CONSERVATIVE, BAR)

CSS = f"""
:root {{ color-scheme: light; }}
* {{ box-sizing: border-box; }}
body {{ margin: 0; background: #fff; color: {INK}; line-height: 1.4;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }}
.page {{ max-width: 52rem; margin: 0 auto; padding: 1.25rem 1rem 2rem; }}
h1 {{ font-size: 1.6rem; margin: 0 0 .2rem; }}
h2 {{ font-size: 1.15rem; margin: 1.4rem 0 .4rem; padding-bottom: .2rem;
  border-bottom: 2px solid {GRID}; }}
p, li {{ margin: .25rem 0; }}
.meta, .note {{ color: {MUTED}; }}
table {{ width: 100%; border-collapse: collapse; margin: .3rem 0; font-size: .92rem; }}
th, td {{ text-align: left; vertical-align: top; padding: .25rem .4rem;
  border-bottom: 1px solid {GRID}; }}
th {{ color: {MUTED}; font-weight: 600; }}
figure {{ margin: .6rem 0; }}
figure svg {{ max-width: 100%; height: auto; }}
figcaption {{ color: {MUTED}; font-size: .85rem; }}
@media print {{
  @page {{ margin: 12mm; }}
  html {{ font-size: 9.5pt; }}
  .page {{ max-width: none; padding: 0; }}
  table, tr, figure {{ break-inside: avoid; page-break-inside: avoid; }}
  h2 {{ break-after: avoid; page-break-after: avoid; }}
}}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _table(t: Table) -> str:
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in t.headers)
    body = "\n".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>"
                     for row in t.rows)
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in t.notes)
    return (f'<table><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>'
            f"{notes}")


def _svg(width: int, height: int, chart_id: str, title: str, desc: str,
         body: Sequence[str]) -> str:
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" font-size="12" '
        'font-family="system-ui, Arial, sans-serif">',
        f'<title id="{chart_id}-t">{_e(title)}</title>',
        f'<desc id="{chart_id}-d">{_e(desc)}</desc>', *body, "</svg>"])


def _said(rate: Rate) -> str:
    if not rate.shown:
        return TOO_FEW
    low, high = rate.interval
    return f"{percent(rate.share)} % (95 % interval {percent(low)} to {percent(high)} %)"


def responder_chart(title: str, groups: Sequence[tuple[str, Group]], chart_id: str) -> str:
    """Each group's responder rates, a row a measure: the observed rate (a filled dot) and
    the conservative rate (an open square), each with its 95 % interval as a whisker; a
    rate over too few episodes is written out instead."""
    label_w, plot_w, row_h, top = 250, 300, 22, 34
    rows = [(name, m) for name, g in groups for m in g.responders]
    height = top + row_h * len(rows) + 24
    width = label_w + plot_w + 20

    def px(share: float) -> float:
        return label_w + share * plot_w

    body = [f'<text x="{label_w}" y="14" fill="{OBSERVED}" font-weight="600">'
            '● observed</text>',
            f'<text x="{label_w + 110}" y="14" fill="{CONSERVATIVE}" font-weight="600">'
            '□ conservative</text>']
    for tick in (0, 25, 50, 75, 100):
        tx = px(tick / 100)
        body.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{top - 6}" '
                    f'y2="{top + row_h * len(rows)}" stroke="{GRID}" stroke-width="1"/>')
        body.append(f'<text x="{tx:.1f}" y="{height - 6}" text-anchor="middle" '
                    f'fill="{MUTED}">{tick} %</text>')
    said = []
    previous = None
    for n, (name, x) in enumerate(rows):
        y = top + row_h * n + row_h / 2
        label = f"{name} · {MEASURES[x.measure]}" if name != previous else MEASURES[
            x.measure]
        previous = name
        body.append(f'<text x="{label_w - 8}" y="{y + 4:.1f}" text-anchor="end" '
                    f'fill="{INK}">{_e(label)}</text>')
        said.append(f"{name}, {MEASURES[x.measure]}: observed {_said(x.observed)}, "
                    f"conservative {_said(x.conservative)}")
        if not x.observed.shown and not x.conservative.shown:
            body.append(f'<text x="{label_w + 6}" y="{y + 4:.1f}" fill="{MUTED}">'
                        f"{TOO_FEW}</text>")
            continue
        for rate, colour, dy, square in ((x.observed, OBSERVED, -4, False),
                                         (x.conservative, CONSERVATIVE, 4, True)):
            if not rate.shown:
                continue
            low, high = rate.interval
            cy = y + dy
            body.append(f'<line x1="{px(low):.1f}" x2="{px(high):.1f}" y1="{cy:.1f}" '
                        f'y2="{cy:.1f}" stroke="{colour}" stroke-width="2"/>')
            if square:
                body.append(f'<rect x="{px(rate.share) - 3.5:.1f}" y="{cy - 3.5:.1f}" '
                            f'width="7" height="7" fill="#fff" stroke="{colour}" '
                            'stroke-width="2"/>')
            else:
                body.append(f'<circle cx="{px(rate.share):.1f}" cy="{cy:.1f}" r="4" '
                            f'fill="{colour}"/>')
    return _svg(width, height, chart_id, title, "; ".join(said), body)


def bar_chart(title: str, bars: Sequence[tuple[str, int]], chart_id: str, *,
              horizontal: bool) -> str:
    """Counts as bars, each labelled with its value: the funnel (horizontal) or the
    sessions a month (vertical)."""
    desc = "; ".join(f"{name}: {value}" for name, value in bars)
    most = max((v for _, v in bars), default=0) or 1
    body: list[str] = []
    if horizontal:
        label_w, plot_w, row_h = 190, 330, 26
        width, height = label_w + plot_w + 50, row_h * len(bars) + 8
        for n, (name, value) in enumerate(bars):
            y = 4 + n * row_h
            w = plot_w * value / most
            body += [f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" '
                     f'fill="{INK}">{_e(name)}</text>',
                     f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="18" '
                     f'fill="{BAR}"/>',
                     f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" fill="{INK}" '
                     f'font-weight="600">{value}</text>']
        return _svg(width, height, chart_id, title, desc, body)
    col_w, plot_h, top = 36, 140, 18
    width, height = max(col_w * len(bars) + 20, 120), top + plot_h + 40
    step = max(1, -(-len(bars) // 12))  # at most about twelve month labels
    for n, (name, value) in enumerate(bars):
        x = 10.0 + n * col_w
        h = plot_h * value / most
        bar_top = top + plot_h - h
        body += [f'<rect x="{x + 4:.1f}" y="{bar_top:.1f}" width="{col_w - 8}" height="{h:.1f}" '
                 f'fill="{BAR}"/>',
                 f'<text x="{x + col_w / 2:.1f}" y="{bar_top - 4:.1f}" '
                 'text-anchor="middle" '
                 f'fill="{INK}" font-size="11">{value}</text>']
        if n % step == 0 or n == len(bars) - 1:
            body.append(f'<text x="{x + col_w / 2:.1f}" y="{top + plot_h + 16}" '
                        f'text-anchor="middle" fill="{MUTED}" font-size="10">'
                        f"{_e(name)}</text>")
    body.append(f'<line x1="10" x2="{width - 10}" y1="{top + plot_h}" y2="{top + plot_h}" '
                f'stroke="{MUTED}" stroke-width="1"/>')
    return _svg(width, height, chart_id, title, desc, body)


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"


def render(r: OutcomeReport[V]) -> str:
    found = tables(r)
    charts: dict[str, str] = {
        "Episodes": _figure(bar_chart(
            "The follow-up funnel", list(zip(FUNNEL, (r.started, r.rated,
                                                      r.followed_up.count), strict=True)),
            "funnel", horizontal=True), "The follow-up funnel: episodes started, not ended "
            "by a referral, and followed up at least once."),
        "Responder rates, all episodes": _figure(responder_chart(
            "Responder rates, all episodes", [("All episodes", r.overall)], "rates-all"),
            "Observed and conservative responder rates with their 95 % intervals."),
    }
    for s, t in zip(r.strata, found[2:2 + len(r.strata)], strict=True):
        charts[t.title] = _figure(responder_chart(
            t.title, [(stratum_name(s.by, g.key), g) for g in s.groups], f"rates-{s.by}"),
            "Observed and conservative responder rates with their 95 % intervals, by "
            "group.")
    if r.months:
        charts["Sessions a month"] = _figure(bar_chart(
            "Sessions a month", list(r.months), "months", horizontal=False),
            "Completed sessions a month in the window.")
    sections = "\n".join(
        f'<section class="keep"><h2>{_e(t.title)}</h2>{charts.get(t.title, "")}'
        f"{_table(t)}</section>" for t in found)
    definitions = "".join(f"<li>{_e(d)}</li>" for d in DEFINITIONS)
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{_e(TITLE)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
        '<main class="page">', f"<h1>{_e(TITLE)}</h1>", f'<p class="meta">{_e(window(r))}</p>',
        f"<h2>Definitions</h2><ul>{definitions}</ul>", sections, "</main>", "</body>",
        "</html>", ""])
