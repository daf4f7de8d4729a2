"""The outcome report (`backpain report`) as text, Markdown, JSON and CSV; HTML is
report_html.py, from the same tables.

Text, Markdown, HTML and JSON hold aggregates only: no client reference, no session id, no
practitioner's figure ranked against another. A rate over fewer than outcomes.MIN_CELL
episodes shows neither its count nor its denominator, only TOO_FEW. The CSV is for
analysts: one row per episode under a running number.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Sequence

from ..clinical.followup import OUTCOME_KEYS
from ..clinical.outcomes import (
    MIN_CELL,
    REFERRAL_TRIAGE,
    Episode,
    Group,
    OutcomeReport,
    Rate,
    Strata,
    V,
)
from ..clinical.reassess import local_day
from ..clinical.scoring import MCID
from ..frozen import frozen
from ..safe_text import visible
from .csv import neutralise
from .wording import TIER_WORDS

TITLE = "Outcome report"
TOO_FEW = "too few to report"
# Texts as data: what the report says its figures mean (printed in every format).
DEFINITIONS = (
    "An episode starts at a completed session that follows no earlier session (or whose "
    "earlier session is gone) and holds the sessions that follow it; its outcome is its "
    "last completed session.",
    "Episodes of clients under 16, and episodes in pregnancy or within a year of a birth, "
    "are left out of every rate, denominator and group, and counted on their own.",
    "An episode whose last session sent the client to a doctor as an emergency, the same "
    "day or urgently ended in a referral: good care, not failure. It is reported apart and "
    "left out of the rates.",
    # The numbers from the rule itself (scoring.MCID), so the words cannot drift from it.
    "Improved: from the first to the last session, a fall of at least the minimal important "
    f"change (NPRS {MCID['nprs'][0]} points, Oswestry {MCID['odi'][0]}, Roland-Morris "
    f"{MCID['rmdq'][0]}) and at least {MCID['nprs'][1] * 100} % of the first score, as "
    "backpain review judges a client's visits.",
    "Observed rate: improved of the episodes followed up with the measure at both ends. "
    "Conservative rate: improved of every episode with the measure at its start, a missing "
    "follow-up counted as not improved. Each with its Wilson 95 % interval.",
    f"A rate over fewer than {MIN_CELL} episodes is shown as \"{TOO_FEW}\", and so is "
    f"the median days to the first follow-up of fewer than {MIN_CELL}.",
)
NO_MODEL = ("No predicted scores: backpain has no reference data to fit a case-mix model "
            "to, so the groups are shown side by side, not adjusted.")
ALPHABETICAL = "Practitioners in alphabetical order, not ranked."
MEASURES = {"nprs_now": "NPRS now", "nprs_worst_week": "NPRS worst week",
            "odi_percent": "Oswestry", "rmdq_score": "Roland-Morris"}
BY_TITLES = {"risk": "By STarT Back risk at the start",
             "duration": "By pain duration at the start",
             "practitioner": "By practitioner"}
STRATUM_WORDS = {"low": "Low risk", "medium": "Medium risk", "high": "High risk",
                 "under_6_weeks": "Under 6 weeks", "6_to_12_weeks": "6 to 12 weeks",
                 "over_12_weeks": "Over 12 weeks"}
NOT_RECORDED = {"risk": "Risk not recorded", "duration": "Duration not recorded",
                "practitioner": "Practitioner not named"}
TRIAGE_WORDS = {"emergency": "Emergency", "same_day": "Same day", "urgent": "Urgent",
                "refer_routine": "Refer (routine)", "co_manage": "Co-manage",
                "none": "No warning signs"}
FUNNEL = ("Episodes started", "Not ended by a referral", "Followed up at least once")


def percent(share: float) -> str:
    """A share in whole percent, halves up (0.125 is 13 %)."""
    return str(int(share * 100 + 0.5))


def rate_cell(rate: Rate) -> str:
    if not rate.shown:
        return TOO_FEW
    low, high = rate.interval
    return (f"{percent(rate.share)} % ({percent(low)}–{percent(high)} %), "
            f"{rate.count} of {rate.total}")


def days(value: float | None) -> str:
    if value is None:
        return TOO_FEW
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def stratum_name(by: str, key: str | None) -> str:
    if key is None:
        return NOT_RECORDED[by]
    return STRATUM_WORDS.get(key, visible(key)) if by != "practitioner" else visible(key)


# --------------------------------------------------------------------------- the tables


@frozen
class Table:
    """One table of the report, as every format shows it."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()


def window(r: OutcomeReport[V]) -> str:
    return f"Episodes started from {r.first.isoformat()} to {r.last.isoformat()}"


def _referred(r: OutcomeReport[V]) -> str:
    parts = ", ".join(f"{TIER_WORDS[t]} {r.referred[t]}" for t in REFERRAL_TRIAGE)
    return f"{sum(r.referred.values())} ({parts})"


def _group_rows(label: str, g: Group) -> list[tuple[str, ...]]:
    episodes = "1 episode" if g.episodes == 1 else f"{g.episodes} episodes"
    head = f"{label} ({episodes}, {g.followed_up} followed up)"
    return [(head if n == 0 else "", MEASURES[x.measure], rate_cell(x.observed),
             rate_cell(x.conservative)) for n, x in enumerate(g.responders)]


def tables(r: OutcomeReport[V]) -> list[Table]:
    """Every table of the report, in order: denominators first."""
    apart = r.set_apart
    out = [
        Table("Episodes", ("Figure", "Value"), (
            ("Episodes started in the window", str(r.started)),
            ("Ended by an emergency, same-day or urgent referral (apart)", _referred(r)),
            ("Episodes for the rates", str(r.rated)),
            ("With at least one follow-up (follow-up rate)", rate_cell(r.followed_up)),
            ("Median days to the first follow-up", days(r.median_days_to_follow_up)),
            ("Set apart: under 16", str(apart["under_16"])),
            ("Set apart: pregnancy or within a year of a birth", str(apart["pregnancy"])),
        )),
        Table("Responder rates, all episodes",
              ("Group", "Measure", "Observed", "Conservative"),
              tuple(_group_rows("All episodes", r.overall))),
    ]
    for s in r.strata:
        out.append(_strata_table(s))
    out += [
        Table("Also", ("Figure", "Value"), (
            ("Clients due or overdue for their next check now",
             f"{r.due_now.due} ({r.due_now.overdue} overdue)"),
            ("Episodes with Oswestry or Roland-Morris at the start",
             rate_cell(r.completeness)),
        )),
        Table("Triage at the start", ("Triage", "Episodes", "Share"),
              tuple((TRIAGE_WORDS[t], str(n),
                     f"{percent(n / r.started)} %" if r.started else "–")
                    for t, n in r.triage_mix)),
        Table("Sessions a month", ("Month", "Sessions"),
              tuple((m, str(n)) for m, n in r.months)),
    ]
    return out


def _strata_table(s: Strata) -> Table:
    rows = [row for g in s.groups for row in _group_rows(stratum_name(s.by, g.key), g)]
    notes = (NO_MODEL, *((ALPHABETICAL,) if s.by == "practitioner" else ()))
    return Table(f"Responder rates {BY_TITLES[s.by][0].lower()}{BY_TITLES[s.by][1:]}",
                 ("Group", "Measure", "Observed", "Conservative"), tuple(rows), notes)


# --------------------------------------------------------------------------- text


def _plain_table(t: Table) -> list[str]:
    widths = [max([len(t.headers[i]), *(len(row[i]) for row in t.rows)])
              for i in range(len(t.headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [t.title, "", line(t.headers), line(["-" * w for w in widths]),
            *(line(row) for row in t.rows),
            *(["", *(textwrap.fill(n, 88) for n in t.notes)] if t.notes else [])]


def text(r: OutcomeReport[V]) -> str:
    """The terminal's report: plain tables, the same as every other format's."""
    lines = [TITLE, window(r), "", "Definitions:",
             *(textwrap.fill(d, 88, initial_indent="- ", subsequent_indent="  ")
               for d in DEFINITIONS)]
    for t in tables(r):
        lines += ["", *_plain_table(t)]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- Markdown


def _md_cell(cell: str) -> str:
    # A practitioner's name is text, never markup: no table cell split, no inline HTML.
    return (cell.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
            or " ")


def markdown(r: OutcomeReport[V]) -> str:
    lines = [f"# {TITLE}", "", window(r), "", "## Definitions", "",
             *(f"- {d}" for d in DEFINITIONS)]
    for t in tables(r):
        lines += ["", f"## {t.title}", "",
                  "| " + " | ".join(t.headers) + " |",
                  "|" + "|".join(" --- " for _ in t.headers) + "|",
                  *("| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows)]
        for note in t.notes:
            lines += ["", note]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- JSON


def _rate(rate: Rate) -> dict[str, object]:
    if not rate.shown:
        return {"reported": False}
    low, high = rate.interval
    return {"reported": True, "count": rate.count, "of": rate.total,
            "rate": round(rate.share, 4), "low": round(low, 4), "high": round(high, 4)}


def _group(g: Group, by: str | None) -> dict[str, object]:
    return {**({} if by is None else {"group": g.key}),
            "episodes": g.episodes, "followed_up": g.followed_up,
            "responders": {x.measure: {"observed": _rate(x.observed),
                                       "conservative": _rate(x.conservative)}
                           for x in g.responders}}


def to_json(r: OutcomeReport[V]) -> str:
    doc = {
        "report": "outcomes",
        "from": r.first.isoformat(), "to": r.last.isoformat(),
        "definitions": list(DEFINITIONS), "too_few_below": MIN_CELL,
        "episodes": {
            "started": r.started,
            "ended_by_referral": {"total": sum(r.referred.values()), **r.referred},
            "rated": r.rated, "followed_up": _rate(r.followed_up),
            "median_days_to_first_follow_up": r.median_days_to_follow_up,
            "set_apart": {**r.set_apart, "total": r.set_apart_total},
        },
        "responders": _group(r.overall, None),
        "strata": {s.by: [_group(g, s.by) for g in s.groups] for s in r.strata},
        "predicted_scores": None, "case_mix_note": NO_MODEL,
        "due_now": {"due": r.due_now.due, "overdue": r.due_now.overdue},
        "completeness": _rate(r.completeness),
        "triage_mix": dict(r.triage_mix),
        "sessions_a_month": dict(r.months),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- CSV

CSV_COLUMNS = ("episode", "start", "practitioner", "startback_risk", "pain_duration",
               "triage_start", "triage_outcome", "sessions", "followed_up",
               "days_to_first_follow_up", "days_first_to_last", "ended_by_referral",
               *(f"{m}_{end}" for m in OUTCOME_KEYS for end in ("first", "last", "change")))


def _episode_row(n: int, e: Episode[V]) -> list[object]:
    first, last = e.start, e.outcome
    cells: list[object] = [
        n, e.day.isoformat(), first.practitioner, first.scores.get("startback_risk"),
        first.pain_duration, first.triage, last.triage, len(e.visits),
        "yes" if e.followed_up else "no", e.days_to_follow_up(),
        (local_day(last.created) - e.day).days if e.followed_up else None,
        "yes" if e.referred else "no"]
    for m in OUTCOME_KEYS:
        cells += [first.scores.get(m), last.scores.get(m) if e.followed_up else None,
                  e.change(m)]
    return cells


def to_csv(r: OutcomeReport[V]) -> str:
    """One row per episode counted (none set apart), numbered from 1 in the order they
    started: no client reference, no session id."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for n, e in enumerate(r.episodes, 1):
        writer.writerow(["" if c is None else neutralise(visible(str(c)))
                         for c in _episode_row(n, e)])
    return buffer.getvalue()
