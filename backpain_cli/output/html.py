"""The plan as a handout for the client: one self-contained HTML file.

Everything is inline (CSS, SVG); no fonts, scripts, images or links are fetched, and a
Content-Security-Policy says so to the browser as well. On screen it reads on a phone;
printed, it is a clean one- or two-page handout on A4 or Letter: light backgrounds only,
and no table, chart or recommendation split across pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape
from typing import NamedTuple

from ..clinical.followup import History
from ..clinical.model import NOTICE, STRATEGIES, STRATEGY_TITLES, Plan
from ..clinical.questionnaire import AnswerValue
from ..clinical.reassess import local_day, next_check
from ..clinical.recommender import emergency_places
from ..records.practice import Practice
from ..records.session import Session, plan_of
from ..safe_text import visible_in
from .client_handout_html import render_client_html
from .formats import ExportItem
from .wording import (
    CHANGE_NOTE,
    CLIENT_BANNERS,
    PRACTITIONER,
    SCORE_LABELS,
    change_rows,
    day,
    emergency_banner,
    flag_text,
    format_score,
    score_meaning,
    topics,
)

CSS = """
:root { color-scheme: light; --ink: #1d2125; --muted: #545d66; --line: #d5dae0;
  --accent: #1d5e8c; }
* { box-sizing: border-box; }
html { font-size: 16px; -webkit-text-size-adjust: 100%; }
body { margin: 0; background: #fff; color: var(--ink); line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; overflow-wrap: break-word; }
.page { max-width: 46rem; margin: 0 auto; padding: 1.25rem 1rem 2rem; }
h1, h2, h3, h4 { line-height: 1.2; margin: 0; }
h1 { font-size: 1.65rem; }
h2 { font-size: 1.2rem; margin: 1.6rem 0 .5rem; padding-bottom: .25rem;
  border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.1rem 0 .35rem; color: var(--accent); }
h4 { font-size: 1rem; }
p { margin: .3rem 0; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: .75rem;
  color: var(--muted); margin: 0 0 .2rem; }
.meta { color: var(--muted); }
.practice { margin: 0 0 .7rem; color: var(--accent); }
.practice strong { font-size: 1.1rem; }
.contact { margin-bottom: .8rem; }
.banner { margin: 1rem 0; padding: .8rem 1rem; border: 1px solid; border-left-width: .5rem;
  border-radius: .3rem; }
.banner h2 { border: 0; margin: 0 0 .3rem; padding: 0; font-size: 1.2rem; }
.banner ul { margin: .4rem 0 0; padding-left: 1.2rem; }
.triage-emergency { background: #fdeceb; border-color: #b3261e; }
.triage-emergency h2 { color: #8c1d18; }
.triage-same_day { background: #fde9dc; border-color: #b34a00; }
.triage-same_day h2 { color: #8a3500; }
.triage-urgent { background: #fff4d6; border-color: #b26a00; }
.triage-urgent h2 { color: #7a4a00; }
.triage-refer_routine, .triage-co_manage { background: #e9f1fb; border-color: #1d5e8c; }
.triage-refer_routine h2, .triage-co_manage h2 { color: #174a70; }
.triage-none { background: #eaf6ee; border-color: #2e7d4f; }
.triage-none h2 { color: #21603b; }
table { width: 100%; border-collapse: collapse; margin: .3rem 0; font-size: .95rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .4rem;
  border-bottom: 1px solid var(--line); }
th { font-weight: 600; color: var(--muted); font-size: .85rem; }
td.num, th.num { text-align: right; }
td.num, td.date { white-space: nowrap; }
.table-wrap { overflow-x: auto; }
table.history { font-size: .88rem; }
@media (max-width: 30rem) {
  .page { padding: 1rem .75rem 1.5rem; }
  th, td { padding: .3rem .25rem; }
}
.charts { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; }
figure { margin: .4rem 0; flex: 1 1 15rem; min-width: 0; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { font-size: .85rem; color: var(--muted); }
.key { display: inline-block; width: 1.1em; height: 0; margin: 0 .3em .25em 0;
  border-top: 3px solid; vertical-align: middle; }
.key.dashed { border-top-style: dashed; }
.legend { white-space: nowrap; margin-right: .6em; }
ol.recs { list-style: none; margin: 0; padding: 0; }
.rec { padding: .45rem 0 .5rem .8rem; border-left: 3px solid var(--line); margin: .4rem 0; }
.why { font-size: .85rem; color: var(--muted); }
.cite { white-space: nowrap; }
a { color: var(--accent); }
ol.sources { margin: .2rem 0 0; padding-left: 1.6rem; font-size: .8rem; color: var(--muted); }
ol.sources li { margin: .1rem 0; }
.notice { margin-top: 1.6rem; padding-top: .6rem; border-top: 2px solid var(--line);
  font-size: .9rem; }
.small { font-size: .78rem; color: var(--muted); }
@media print {
  /* At most two pages, on A4 and Letter, in Chromium and WeasyPrint alike, for a full
     plan with a client's history (about 15 recommendations, two charts, the change
     table; the very longest plans, 25 recommendations, take three): run-in titles,
     compact charts, the history table left to the screen when the charts already show
     every value, and the sources in three columns. */
  @page { margin: 10mm 12mm 11mm; }
  html { font-size: 9pt; }
  body { line-height: 1.2; }
  .page { max-width: none; padding: 0; }
  h1 { font-size: 1.5rem; }
  h2 { margin: .65rem 0 .25rem; font-size: 1.1rem; }
  h3 { margin: .4rem 0 .1rem; }
  .banner { margin: .6rem 0; padding: .5rem .8rem; }
  .banner, .triage-none, .triage-urgent, .triage-same_day, .triage-emergency,
  .triage-refer_routine, .triage-co_manage { -webkit-print-color-adjust: exact;
  print-color-adjust: exact; }
  .banner, table, tr, figure, .rec, .notice, ol.sources li, section.sources {
    break-inside: avoid; page-break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  th, td { padding: .08rem .4rem; }
  /* A grid rather than a flex row: WeasyPrint (the PDF export) gives a flex row of charts
     the height of unshrunk ones, a gap that pushed the notice alone onto a page. */
  .charts { display: grid; grid-template-columns: 40% 40%; gap: 2rem; }
  figure { margin: .2rem 0; }
  .has-charts .table-wrap { display: none; }
  .table-wrap { overflow: visible; }
  .rec { padding: .05rem 0 .08rem .6rem; margin: .12rem 0; }
  .rec h4 { display: inline; font-size: 1rem; }
  .rec h4::after { content: " — "; font-weight: normal; }
  .rec p { display: inline; margin: 0; }
  /* A space rather than a margin: a place to break the line before "Based on". */
  .rec p.why::before { content: " "; }
  /* Each column indents its own numbers; under the list's padding, the second column's
     numbers hang into the gap, over the end of the first column's lines. */
  ol.sources { font-size: .75rem; columns: 3; column-gap: 1.2rem; padding-left: 0; }
  ol.sources li { margin-left: 1.4rem; }
  .notice { margin-top: .8rem; }
  /* With section.sources kept whole (above), the sources and the footer move to the next
     page together or not at all: a handout never ends on a page that holds only the
     footer or the last few sources (issue 17: a third page of four lines). */
  .notice { break-before: avoid; page-break-before: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""

# Colours that read on white and stay distinct in greyscale print (with the dash).
_PAIN_NOW = "#b3261e"
# Dark enough for WCAG AA on white (5.8:1; the earlier #e08a3c was 2.7:1): the value labels
# are text in this colour.
_PAIN_WORST = "#a34e00"
_DISABILITY = "#1d5e8c"

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _banner(plan: Plan, answers: Mapping[str, AnswerValue]) -> str:
    if plan.triage == "emergency":
        headline, text = emergency_banner(emergency_places(answers, plan.red_flags))
    else:
        headline, text = CLIENT_BANNERS.get(plan.triage, CLIENT_BANNERS["none"])
    klass = plan.triage if plan.triage in CLIENT_BANNERS else "none"
    parts = [f'<section class="banner triage-{klass}" aria-label="How soon to see a doctor">',
             f"<h2>{_e(headline)}</h2>", f"<p>{_e(text)}</p>"]
    if plan.red_flags:
        parts.append("<p><strong>What we noticed:</strong></p><ul>")
        parts += [f"<li>{_e(flag_text(f.id))}</li>" for f in plan.red_flags]
        parts.append("</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _next_check(plan: Plan, created: dt.datetime) -> str:
    if plan.reassess_weeks is None:
        return ""  # an emergency plan: the client goes to emergency care, not a check-up
    text = next_check(created, plan.reassess_weeks)
    return f'<p class="next-check"><strong>{_e(text)}</strong></p>'


def _letterhead(practice: Practice) -> str:
    """The practice as the session recorded it at the visit (not today's settings)."""
    parts = [f"<strong>{_e(practice.name)}</strong>" if practice.name else "",
             _e(practice.contact) if practice.contact else ""]
    shown = " · ".join(p for p in parts if p)
    return f'<p class="practice">{shown}</p>' if shown else ""


def _contact(plan: Plan, session: Session) -> str:
    """What the last page holds besides the notice: the next check, and whom to ask."""
    lines = []
    if plan.reassess_weeks is not None:
        lines.append(f"<p><strong>{_e(next_check(session.created, plan.reassess_weeks))}"
                     "</strong></p>")
    practice = session.practice
    who = [f"<strong>{_e(practice.name)}</strong>" if practice.name else "",
           _e(practice.contact) if practice.contact else "",
           _e(f"{PRACTITIONER}: {practice.practitioner}") if practice.practitioner else ""]
    shown = " · ".join(w for w in who if w)
    if shown:
        lines.append(f"<p>Questions about this plan: {shown}</p>")
    if not lines:
        return ""
    return '<section class="contact" aria-label="When to come back">' + \
        "".join(lines) + "</section>"


def _scores(plan: Plan) -> str:
    if not plan.scores:
        return ""
    rows = "\n".join(
        f"<tr><td>{_e(SCORE_LABELS.get(k, k))}</td>"
        f'<td class="num">{_e(format_score(k, v))}</td>'
        f"<td>{_e(score_meaning(k, v))}</td></tr>"
        for k, v in plan.scores.items())
    return ('<h2>Your scores</h2>\n<div class="table-wrap"><table class="scores">\n'
            '<thead><tr><th>Measure</th><th class="num">Score</th><th>What it means</th>'
            f"</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table></div>")


def _plan(plan: Plan) -> str:
    """The recommendations by strategy; evidence as numbered sources at the end.

    Several recommendations often rest on the same guideline: listing each source once
    keeps the printed handout short without dropping any of it.
    """
    out = ["<h2>Your plan</h2>"]
    if not plan.recommendations:
        out.append("<p>No recommendations this time.</p>")
    sources: dict[str, int] = {}
    extra = sorted({r.strategy for r in plan.recommendations} - set(STRATEGIES))
    for strategy in (*STRATEGIES, *extra):
        recs = plan.by_strategy(strategy)
        if not recs:
            continue
        out.append(f'<section class="strategy strategy-{_e(strategy)}">')
        out.append(f"<h3>{_e(STRATEGY_TITLES.get(strategy, strategy))}</h3>")
        out.append('<ol class="recs">')
        for rec in recs:
            why = ", ".join(topics(rec.because))
            number = sources.setdefault(rec.evidence, len(sources) + 1)
            note = f"Based on: {_e(why)}. " if why else ""
            out.append(
                f'<li class="rec" id="{_e(rec.id)}"><h4>{_e(rec.title)}</h4>'
                f"<p>{_e(rec.detail)}</p>"
                f'<p class="why">{note}<span class="cite">Evidence '
                f'<a href="#source-{number}">[{number}]</a></span></p></li>')
        out.append("</ol>\n</section>")
    if plan.warnings:
        out.append('<p class="small">' + " ".join(_e(w) for w in plan.warnings) + "</p>")
    if sources:
        out.append('<section class="sources"><h3>Evidence behind this plan</h3>'
                   '<ol class="sources">')
        out += [f'<li id="source-{n}">{_e(text)}</li>' for text, n in sources.items()]
        out.append("</ol></section>")
    return "\n".join(out)


# --------------------------------------------------------------------------- history


def _short_dates(moments: Sequence[dt.datetime]) -> list[str]:
    local = [local_day(m) for m in moments]
    several_years = len({d.year for d in local}) > 1
    return [f"{d.day} {d:%b}" + (f" {d:%y}" if several_years else "") for d in local]


def _num(value: float) -> str:
    return f"{value:g}"


class Series(NamedTuple):
    name: str
    values: Sequence[float | None]
    colour: str
    dashed: bool = False
    labels_below: bool = False  # value labels under the points, clear of a line above


# Between the baseline of a value label under a point and that of the dates: a 10-unit font
# is about 8 units tall above its baseline, and the labels need a little air.
_LABEL_GAP = 12
# The highest baseline a value label may have: its digits (about 8 units) inside the chart.
_TOP_BASELINE = 9


def chart(title: str, labels: Sequence[str], series: Sequence[Series], y_max: float,
          ticks: Sequence[float], chart_id: str) -> str:
    """A small line chart as inline SVG: one polyline per series, gaps where no value."""
    width, height = 320, 176
    left, right, top, bottom = 30, 12, 14, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(labels)

    inset = 14  # keeps the first and last points and their labels off the edges

    def x(i: int) -> float:
        if n == 1:
            return left + plot_w / 2
        return left + inset + i * (plot_w - 2 * inset) / (n - 1)

    def y(v: float) -> float:
        return top + plot_h * (1 - min(max(v, 0.0), y_max) / y_max)

    desc = "; ".join(
        f"{name}: " + ", ".join(f"{_num(v)} on {lab}" for v, lab in zip(vals, labels,
                                                                       strict=True)
                                if v is not None)
        for name, vals, *_ in series)
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" '
           f'aria-labelledby="{chart_id}-t {chart_id}-d" font-size="10" '
           'font-family="system-ui, sans-serif">',
           f'<title id="{chart_id}-t">{_e(title)}</title>',
           f'<desc id="{chart_id}-d">{_e(desc)}</desc>']
    for t in ticks:
        ty = y(t)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" '
                   'stroke="#d5dae0" stroke-width="1"/>')
        out.append(f'<text x="{left - 5}" y="{ty + 3.5:.1f}" text-anchor="end" '
                   f'fill="#545d66">{_num(t)}</text>')
    step = max(1, -(-n // 6))  # at most about six date labels, always the last one
    date_y = height - bottom + 16
    for i, lab in enumerate(labels):
        if i % step == 0 or i == n - 1:
            out.append(f'<text x="{x(i):.1f}" y="{date_y}" '
                       f'text-anchor="middle" fill="#545d66">{_e(lab)}</text>')
    for _name, values, colour, dashed, below in series:
        dash = ' stroke-dasharray="5 4"' if dashed else ""
        run: list[str] = []
        runs: list[list[str]] = [run]
        for i, v in enumerate(values):
            if v is None:
                run = []
                runs.append(run)
                continue
            run.append(f"{x(i):.1f},{y(v):.1f}")
        for r in runs:
            if len(r) > 1:
                out.append(f'<polyline points="{" ".join(r)}" fill="none" '
                           f'stroke="{colour}" stroke-width="2.5"{dash} '
                           'stroke-linejoin="round" stroke-linecap="round"/>')
        for i, v in enumerate(values):
            if v is None:
                continue
            out.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="#fff" '
                       f'stroke="{colour}" stroke-width="2"/>')
            # A label under a point at or near 0 would sit on the dates: put it above.
            ty = y(v) + 15 if below and y(v) + 15 <= date_y - _LABEL_GAP else y(v) - 7
            ty = max(ty, _TOP_BASELINE)  # a label above a point at the top stays in view
            out.append(f'<text x="{x(i):.1f}" y="{ty:.1f}" text-anchor="middle" '
                       f'fill="{colour}" font-weight="600">{_num(v)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _series(sessions: Sequence[Session], key: str) -> list[float | None]:
    out: list[float | None] = []
    for s in sessions:
        v = s.plan.scores.get(key) if s.plan else None
        out.append(float(v) if isinstance(v, (int, float)) and not isinstance(v, bool)
                   else None)
    return out


def _key(colour: str, dashed: bool, text: str) -> str:
    cls = "key dashed" if dashed else "key"
    return (f'<span class="legend"><span class="{cls}" style="border-color:{colour}"></span>'
            f"{_e(text)}</span>")


def _changes(session: Session, history: History[Session]) -> str:
    """The change of each outcome measure since the first and the previous visit."""
    rows = change_rows(session, history)
    if not rows:
        return ""
    body = "\n".join(
        f"<tr><td>{_e(SCORE_LABELS.get(k, k))}</td><td class=\"num\">{_e(now)}</td>"
        f"<td>{_e(first)}</td><td>{_e(previous)}</td></tr>"
        for k, now, first, previous in rows)
    return ("<h3>Change since earlier visits</h3>\n<table class=\"changes\">\n"
            '<thead><tr><th>Measure</th><th class="num">Now</th><th>Since your first visit'
            "</th><th>Since your last visit</th></tr></thead>\n"
            f"<tbody>\n{body}\n</tbody>\n</table>\n"
            f'<p class="small">{_e(CHANGE_NOTE)}</p>')


def _history(session: Session, history: History[Session]) -> str:
    sessions = [v.session for v in history.visits]
    labels = _short_dates([s.created for s in sessions])
    pain_now = _series(sessions, "nprs_now")
    pain_worst = _series(sessions, "nprs_worst_week")
    odi = _series(sessions, "odi_percent")
    rmdq = _series(sessions, "rmdq_score")
    figures = []
    if any(v is not None for v in pain_now + pain_worst):
        svg = chart("Pain over time (0 to 10)", labels,
                    [Series("Worst pain in the week", pain_worst, _PAIN_WORST, dashed=True),
                     Series("Pain now", pain_now, _PAIN_NOW, labels_below=True)],
                    10, (0, 2, 4, 6, 8, 10), "chart-pain")
        figures.append(f"<figure>{svg}<figcaption>Pain, 0 to 10 (lower is better): "
                       f"{_key(_PAIN_NOW, False, 'at the visit')} "
                       f"{_key(_PAIN_WORST, True, 'worst in the week before')}"
                       "</figcaption></figure>")
    if any(v is not None for v in odi):
        svg = chart("Disability over time (Oswestry, %)", labels,
                    [Series("Oswestry disability", odi, _DISABILITY)],
                    100, (0, 20, 40, 60, 80, 100), "chart-disability")
        figures.append(f"<figure>{svg}<figcaption>Everyday activities (Oswestry "
                       "disability %, lower is better)</figcaption></figure>")
    elif any(v is not None for v in rmdq):
        svg = chart("Disability over time (Roland-Morris, 0 to 24)", labels,
                    [Series("Roland-Morris score", rmdq, _DISABILITY)],
                    24, (0, 6, 12, 18, 24), "chart-disability")
        figures.append(f"<figure>{svg}<figcaption>Everyday activities (Roland-Morris, "
                       "0 to 24, lower is better)</figcaption></figure>")
    # Short headings: the table must fit a phone held upright.
    columns = [("nprs_now", "Pain"), ("nprs_worst_week", "Worst"),
               ("odi_percent", "Oswestry"), ("rmdq_score", "RMDQ"),
               ("startback_risk", "Risk")]
    columns = [(k, label) for k, label in columns
               if any(s.plan and k in s.plan.scores for s in sessions)]
    head = "".join(f'<th class="num">{_e(label)}</th>' for _, label in columns)
    rows = []
    for s, label in zip(sessions, labels, strict=True):
        scores = s.plan.scores if s.plan else {}
        cells = "".join(
            f'<td class="num">{_e(format_score(k, scores[k])) if k in scores else "–"}</td>'
            for k, _ in columns)
        rows.append(f'<tr><td class="date">{_e(label)}</td>{cells}</tr>')
    return "\n".join([
        f'<section class="history{" has-charts" if figures else ""}">',
        "<h2>How you are doing</h2>",
        f'<div class="charts">{"".join(figures)}</div>' if figures else "",
        '<div class="table-wrap"><table class="history">',
        f"<thead><tr><th>Visit</th>{head}</tr></thead>\n<tbody>",
        *rows, "</tbody>\n</table></div>", _changes(session, history), "</section>"])


def render(session: Session, history: History[Session] | None = None) -> str:
    """The handout for `session`; with two or more visits in `history`, their progress."""
    # HTML escaping leaves control characters alone: they are made visible first.
    session, history = visible_in(session), visible_in(history)
    plan = plan_of(session)
    when = day(session.created)
    visits = ""
    sessions = [v.session for v in history.visits] if history is not None else []
    if len(sessions) > 1:
        number = next((i for i, s in enumerate(sessions, 1) if s.id == session.id),
                      len(sessions))
        visits = f" · visit {number} of {len(sessions)}"
    seen_by = (f" · {_e(PRACTITIONER)}: {_e(session.practice.practitioner)}"
               if session.practice.practitioner else "")
    body = [
        '<header class="top">',
        _letterhead(session.practice),
        '<p class="eyebrow">Back-care plan</p>',
        "<h1>Your back-care plan</h1>",
        f'<p class="meta">For <strong>{_e(session.client)}</strong> · {_e(when)}'
        f"{visits}{seen_by}</p>",
        "</header>",
        _banner(plan, session.answers),
        _next_check(plan, session.created),
        _scores(plan),
        _history(session, history) if history is not None and len(sessions) > 1 else "",
        _plan(plan),
        '<footer class="notice">',
        _contact(plan, session),
        f"<p>{_e(NOTICE)}</p>",
        f'<p class="small">Session {_e(session.id)}</p>',
        "</footer>",
    ]
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>Back-care plan · {_e(session.client)} · {_e(when)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        '<main class="page">',
        *(part for part in body if part),
        "</main>",
        "</body>",
        "</html>",
        "",
    ])


def export(item: ExportItem) -> str:
    """`export --format html` (output/formats.py): the client's handout, or with --detail
    full this plan."""
    if item.handout is not None:
        return render_client_html(item.handout)
    return render(item.session, item.history)
