"""`backpain review CLIENT`: visits in date order, change judged by the minimal clinically
important difference (the clinical reference), triage changes, and the pain/disability chart.

History reads the scores as they were saved, so the sessions here carry hand-made plans:
each case states its scores exactly instead of steering a questionnaire towards them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import pytest
from helpers import invoke
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import Result

from backpain_cli.clinical.followup import Change, build_history
from backpain_cli.clinical.model import Plan, RedFlag, ScoreValue
from backpain_cli.output.terminal_review import bar
from backpain_cli.records import paths
from backpain_cli.records.paths import new_session_id
from backpain_cli.records.session import Session
from backpain_cli.records.storage import save_session

T0 = dt.datetime(2026, 1, 10, 9, 30, tzinfo=dt.UTC)
CLIENT = "JD-042"



@pytest.fixture(autouse=True)
def _terminal(terminal_80: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test of this module on an 80-column terminal (conftest.terminal_80)."""
    monkeypatch.setenv("NO_COLOR", "1")


def visit(day: int, scores: Mapping[str, ScoreValue] | None = None, *,
          status: str = "completed", triage: str = "none", flags: tuple[RedFlag, ...] = (),
          client: str = CLIENT, **named: ScoreValue) -> Session:
    """A saved session `day` days after T0 whose plan holds exactly these scores."""
    when = T0 + dt.timedelta(days=day)
    plan = None if status == "draft" else Plan({**(scores or {}), **named}, triage, flags, ())
    session = Session(id=new_session_id(when), client=client, created=when, status=status,
                      answers={}, questionnaires=(), plan=plan)
    saved, _ = save_session(session, new=True)
    return saved


run = invoke


def history_json() -> dict[str, Any]:
    result = run("review", CLIENT, "--json")
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def lines_of(result: Result) -> list[str]:
    # rich pads table lines to the table's width; the trailing blanks carry no meaning.
    return [line.rstrip() for line in result.stdout.splitlines()]


# --------------------------------------------------------------------------- MCID labels

# (score key, before, after, label). Lower is better for every measure. the clinical reference v2: a
# fall is "improved" only at the points AND 30% of the earlier score (inclusive), a rise is
# "worse" at the points alone, anything else is "no important change". Every outcome
# score, with the spec's own boundary cases.
MCID_CASES: list[tuple[str, int | float, int | float, str]] = [
    ("nprs_now", 6, 4, "improved"),  # 2 points, 33%
    ("nprs_now", 7, 5, "no important change"),  # 2 points, 28.6%
    ("nprs_now", 3, 2, "no important change"),  # 33% but 1 point
    ("nprs_now", 10, 7, "improved"),  # 3 points, exactly 30%
    ("nprs_now", 2, 3, "no important change"),  # 50% up but 1 point
    ("nprs_now", 5, 7, "worse"),  # 2 points up
    ("nprs_now", 0, 1, "no important change"),
    ("nprs_now", 0, 2, "worse"),
    ("nprs_now", 6, 6, "no important change"),
    ("nprs_worst_week", 9, 6, "improved"),
    ("nprs_worst_week", 7, 5, "no important change"),
    ("nprs_worst_week", 4, 6, "worse"),
    ("odi_percent", 10.0, 7.0, "no important change"),  # 30% but 3 points
    ("odi_percent", 40.0, 30.0, "no important change"),  # 10 points, 25%
    ("odi_percent", 50.0, 35.0, "improved"),  # 15 points, exactly 30%
    ("odi_percent", 50.0, 35.2, "no important change"),  # 29.6%, not rounded up to 30
    ("odi_percent", 33.3, 23.3, "improved"),  # 10 points, 30.03%
    ("odi_percent", 34.4, 24.5, "no important change"),  # 9.9 points
    ("odi_percent", 10.0, 13.0, "no important change"),  # 30% up but 3 points
    ("odi_percent", 24.0, 34.0, "worse"),  # 10 points
    ("rmdq_score", 20, 15, "no important change"),  # 5 points, 25%
    ("rmdq_score", 16, 11, "improved"),  # 5 points, 31%
    ("rmdq_score", 10, 7, "no important change"),  # 30% but 3 points
    ("rmdq_score", 10, 15, "worse"),  # 5 points
    ("rmdq_score", 10, 13, "no important change"),  # 30% up but 3 points
]


@pytest.mark.parametrize(("key", "before", "after", "label"), MCID_CASES,
                         ids=[f"{k}-{b}-{a}" for k, b, a, _ in MCID_CASES])
def test_change_is_labelled_by_the_mcid_rule(key: str, before: int | float,
                                             after: int | float, label: str) -> None:
    first = visit(0, {key: before})
    visit(28, {key: after})
    doc = history_json()
    change = doc["sessions"][1]["changes"][key]
    delta = round(after - before, 1) if isinstance(after, float) else after - before
    judged = {"since": first.id, "before": before, "after": after, "change": delta,
              "label": label}
    assert {k: v for k, v in change["from_previous"].items() if k != "percent"} == judged
    assert change["from_first"] == change["from_previous"]
    assert doc["sessions"][0]["changes"][key] == {
        "value": before, "from_first": None, "from_previous": None}


def _shown(key: str, value: int | float) -> str:
    return f"{value:.1f} %" if key == "odi_percent" else str(value)


@pytest.mark.parametrize(("key", "before", "after", "label"), MCID_CASES,
                         ids=[f"{k}-{b}-{a}" for k, b, a, _ in MCID_CASES])
def test_the_handouts_history_judges_change_the_same_way(
        key: str, before: int | float, after: int | float, label: str) -> None:
    # Three visits: from the first (before) and from the previous (the same value again).
    visit(0, {key: before})
    visit(14, {key: before})
    visit(28, {key: after})
    cell = f"{label} ({_shown(key, before)} → {_shown(key, after)})"
    md = run("export", CLIENT, "--format", "md", "--detail", "full")
    assert md.exit_code == 0, md.output
    section = md.stdout[md.stdout.index("## Change since earlier visits"):]
    row = next(line for line in section.splitlines() if line.startswith("| ")
               and "Measure" not in line)
    assert [c.strip() for c in row.strip("|").split("|")][1:] == [
        _shown(key, after), cell, cell]
    html = run("export", CLIENT, "--format", "html", "--detail", "full")
    assert html.exit_code == 0, html.output
    assert (f'<td class="num">{_shown(key, after)}</td><td>{cell}</td><td>{cell}</td></tr>'
            in html.stdout)


def test_the_handout_has_no_change_table_at_a_first_visit() -> None:
    visit(0, nprs_now=6)
    md = run("export", CLIENT, "--format", "md", "--detail", "full")
    assert md.exit_code == 0, md.output
    assert "Change since" not in md.stdout
    # STarT Back is shown per visit and never judged.
    visit(0, startback_risk="high")
    visit(14, startback_risk="low")
    md = run("export", CLIENT, "--format", "md", "--detail", "full")
    assert "Change since" not in md.stdout


@pytest.mark.parametrize(("before", "after", "percent"), [
    # Issue 17: 6 -> 2 was -66 (truncated); rounded half up as every score is, it is -67.
    (6, 2, -67), (7, 5, -29), (10, 7, -30), (27.0, 19.0, -30), (20.0, 14.0, -30), (2, 3, 50),
    (8, 7, -13), (8, 9, 13), (0, 2, None),
    # exact halves round away from zero; 34.4 is 34.4, not the binary float beside it
    (8, 5, -38), (40.0, 39.8, -1), (34.4, 34.4, 0),
])
def test_percent_change_is_rounded_half_up(
        before: int | float, after: int | float, percent: int | None) -> None:
    change = Change("x", before, after, "improved")
    assert change.percent == percent


def test_change_from_the_first_and_from_the_previous_visit() -> None:
    first = visit(0, nprs_now=8)
    second = visit(14, nprs_now=4)
    visit(28, nprs_now=6)
    doc = history_json()
    third = doc["sessions"][2]["changes"]["nprs_now"]
    # 2 points but only 25% of the first score: not enough for "improved" (the clinical reference
    # v2).
    assert third["from_first"] == {"since": first.id, "before": 8, "after": 6, "change": -2,
                                   "percent": -25, "label": "no important change"}
    assert third["from_previous"] == {"since": second.id, "before": 4, "after": 6,
                                      "change": 2, "percent": 50, "label": "worse"}
    lines = lines_of(run("review", CLIENT))
    start = lines.index("Change between visits")
    assert lines[start + 3:start + 5] == [
        "NPRS     2    4  −4 (−50%) improved             −4 (−50%) improved",
        "NPRS     3    6  −2 (−25%) no important change  +2 (+50%) worse",
    ]


def test_first_and_previous_are_per_measure() -> None:
    # ODI was only collected from the second visit on: its "first" is that visit.
    visit(0, nprs_now=8)
    second = visit(14, nprs_now=6, odi_percent=40.0)
    visit(28, nprs_now=5, odi_percent=28.0)
    doc = history_json()
    assert "odi_percent" not in doc["sessions"][0]["changes"]
    assert doc["sessions"][1]["changes"]["odi_percent"]["from_first"] is None
    third = doc["sessions"][2]["changes"]["odi_percent"]
    assert third["from_first"] == third["from_previous"] == {
        "since": second.id, "before": 40.0, "after": 28.0, "change": -12.0, "percent": -30,
        "label": "improved"}


@pytest.mark.parametrize("odd", [float("nan"), float("inf")])
def test_a_hand_edited_score_that_is_not_finite_makes_the_file_unreadable(
        odd: ScoreValue) -> None:
    # TOML allows nan and inf, JSON does not: such a file is reported, never exported.
    bad = visit(0, {"nprs_now": odd})
    visit(14, nprs_now=4)
    result = run("review", CLIENT, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [s["scores"] for s in doc["sessions"]] == [{"nprs_now": 4}]
    [unreadable] = doc["unreadable"]
    assert unreadable["path"].endswith(f"{bad.id}.toml")
    assert unreadable["reason"] == "score 'nprs_now' is not a finite number"


@pytest.mark.parametrize(("odd", "reason"), [
    ("seven", "score 'nprs_now' is not a whole number"),
    (99, "score 'nprs_now' is 99, outside 0 to 10"),
    (6.5, "score 'nprs_now' is not a whole number"),
])
def test_a_hand_edited_score_out_of_its_range_makes_the_file_unreadable(
        odd: ScoreValue, reason: str) -> None:
    # Issue 9 item 10: no backpain writes these, so the file is reported, never shown.
    bad = visit(0, {"nprs_now": odd})
    visit(14, nprs_now=4)
    result = run("review", CLIENT, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [s["scores"] for s in doc["sessions"]] == [{"nprs_now": 4}]
    assert doc["unreadable"] == [
        {"path": str(paths.sessions_dir() / CLIENT / f"{bad.id}.toml"), "reason": reason}]
    assert run("review", CLIENT).exit_code == 0


def test_startback_is_shown_per_visit_but_never_judged() -> None:
    visit(0, nprs_now=5, startback_risk="high")
    visit(14, nprs_now=5, startback_risk="low")
    doc = history_json()
    assert [s["scores"]["startback_risk"] for s in doc["sessions"]] == ["high", "low"]
    assert all(set(s["changes"]) == {"nprs_now"} for s in doc["sessions"])
    rows = [line.split() for line in lines_of(run("review", CLIENT))[3:5]]
    assert [row[-1] for row in rows] == ["high", "low"]


def test_a_draft_is_no_visit_but_is_listed_to_be_resumed() -> None:
    """The one history builder (issue 18): a draft between two visits is neither numbered
    nor compared, in `review CLIENT` as in the handout (which counts the same visits)."""
    first = visit(0, nprs_now=8)
    draft = visit(7, status="draft")
    second = visit(14, nprs_now=5)
    doc = history_json()
    assert [s["session"] for s in doc["sessions"]] == [first.id, second.id]
    assert doc["sessions"][1]["changes"]["nprs_now"]["from_previous"]["since"] == first.id
    assert doc["drafts"] == [{
        "session": draft.id, "client": CLIENT, "created": "2026-01-17T09:30:00Z",
        "status": "draft", "triage": None, "scores": {},
        "resume": f"backpain assess --resume {draft.id}"}]
    lines = lines_of(run("review", CLIENT))
    assert [line.split()[:3] for line in lines[3:5]] == [
        ["1", "2026-01-10", first.id], ["2", "2026-01-24", second.id]]
    assert lines[5] == ""
    assert lines[-2:] == ["Drafts (interrupted interviews) — resume with:",
                          f"  backpain assess --resume {draft.id}"]
    handout = run("export", CLIENT, "--format", "html", "--detail", "full")
    assert handout.exit_code == 0, handout.output
    assert " · visit 2 of 2" in handout.stdout


def test_only_drafts_is_no_visit_yet() -> None:
    draft = visit(0, status="draft")
    result = run("review", CLIENT)
    assert result.exit_code == 0, result.output
    assert lines_of(result) == [f"No completed visit of client {CLIENT} yet.", "",
                                "Drafts (interrupted interviews) — resume with:",
                                f"  backpain assess --resume {draft.id}"]
    assert history_json()["sessions"] == []


# --------------------------------------------------------------------------- triage changes


def test_a_new_red_flag_at_a_later_visit_is_highlighted() -> None:
    night = RedFlag("rf_night_pain", "urgent")
    trauma = RedFlag("rf_trauma", "urgent")
    visit(0, nprs_now=5)
    visit(14, nprs_now=6, triage="urgent", flags=(night,))
    visit(28, nprs_now=6, triage="urgent", flags=(night, trauma))
    visit(42, nprs_now=3, triage="none")
    doc = history_json()
    assert [(s["triage_change"], s["new_red_flags"], s["cleared_red_flags"])
            for s in doc["sessions"]] == [
        (None, [], []),
        ({"before": "none", "after": "urgent"}, [{"id": "rf_night_pain", "tier": "urgent"}],
         []),
        (None, [{"id": "rf_trauma", "tier": "urgent"}], []),
        ({"before": "urgent", "after": "none"}, [],
         [{"id": "rf_night_pain", "tier": "urgent"}, {"id": "rf_trauma", "tier": "urgent"}]),
    ]
    lines = lines_of(run("review", CLIENT))
    assert [line.split()[3:5] for line in lines[3:7]] == [
        ["none", "5"], ["urgent", "▲"], ["urgent", "▲"], ["none", "▼"]]
    text = " ".join(lines)
    assert " ".join(text.split()).split("Triage changes ")[1].startswith(
        "▲ visit 2 (2026-01-24): triage none → urgent; new red flag(s): rf_night_pain "
        "(urgent) ▲ visit 3 (2026-02-07): new red flag(s): rf_trauma (urgent) visit 4 "
        "(2026-02-21): triage urgent → none; no longer found: rf_night_pain, rf_trauma ")


def test_same_day_sits_between_emergency_and_urgent() -> None:
    # v3: emergency > same_day > urgent > refer_routine > co_manage > none.
    fever, unwell = RedFlag("rf_fever", "urgent"), RedFlag("rf_unwell", "same_day")
    visit(0, nprs_now=5, triage="urgent", flags=(fever,))
    visit(7, nprs_now=5, triage="same_day", flags=(RedFlag("rf_fever", "same_day"), unwell))
    visit(14, nprs_now=4, triage="urgent", flags=(fever,))
    visit(21, nprs_now=4, triage="co_manage", flags=(RedFlag("rf_anticoagulant", "co_manage"),))
    lines = lines_of(run("review", CLIENT))
    assert [line.split()[3:5] for line in lines[3:7]] == [
        ["urgent", "5"], ["same_day", "▲"], ["urgent", "▼"], ["co_manage", "▼"]]
    # A risk factor left with its team is listed as new, but it is no escalation.
    text = " ".join(" ".join(lines).split())
    assert ("visit 4 (2026-01-31): triage urgent → co_manage; new red flag(s): "
            "rf_anticoagulant (co_manage); no longer found: rf_fever") in text
    assert "▲ visit 4" not in text


def test_no_triage_section_when_triage_never_changed() -> None:
    visit(0, nprs_now=5, triage="co_manage")
    visit(14, nprs_now=4, triage="co_manage")
    shown = run("review", CLIENT)
    # An absence proves something only of output that was shown.
    assert shown.exit_code == 0, shown.output
    assert "Visits of" in shown.stdout
    assert "Triage changes" not in shown.stdout


# --------------------------------------------------------------------------- the chart


@pytest.mark.parametrize(("value", "maximum", "width", "drawn"), [
    (0, 10, 10, "··········"),
    (10, 10, 10, "██████████"),
    (5, 10, 10, "█████·····"),
    (8, 10, 12, "█████████▌··"),  # 9.6 cells: nine whole and four eighths
    (40.0, 100, 12, "████▊·······"),  # 4.8 cells
    (1, 24, 12, "▌···········"),  # half a cell
    (30, 24, 12, "████████████"),  # beyond the scale: a full bar, never longer
])
def test_bar(value: float, maximum: float, width: int, drawn: str) -> None:
    assert bar(value, maximum, width) == drawn
    assert len(drawn) == width


def test_chart_of_pain_and_disability_reads_without_colour() -> None:
    visit(0, nprs_now=8, odi_percent=40.0)
    visit(7, status="draft")
    visit(14, nprs_now=5)
    visit(28, nprs_now=2, odi_percent=12.0, rmdq_score=6)
    result = run("review", CLIENT)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    lines = lines_of(result)
    start = lines.index("Pain and disability over time (a longer bar is worse)")
    assert lines[start + 1].split() == ["Date", "Pain", "(0–10)", "ODI", "(0–100", "%)",
                                        "RMDQ", "(0–24)"]
    # The draft has no scores and is not on the chart.
    assert lines[start + 5] == ""
    assert lines[start + 2].split() == ["2026-01-10", "█████████▌··", "8", "████▊·······",
                                        "40.0", "–"]
    assert lines[start + 3].split() == ["2026-01-24", "██████······", "5", "–", "–"]
    assert lines[start + 4].split() == ["2026-02-07", "██▍·········", "2", "█▍··········",
                                        "12.0", "███·········", "6"]


def test_no_chart_without_completed_visits() -> None:
    visit(0, status="draft")
    result = run("review", CLIENT)
    assert result.exit_code == 0, result.output
    assert "Pain and disability over time" not in result.stdout


# --------------------------------------------------------------------------- the whole form


def test_history_document_and_table() -> None:
    first = visit(0, nprs_now=7, startback_risk="medium", odi_percent=44.0)
    second = visit(28, nprs_now=4, startback_risk="low", odi_percent=30.0)
    middle = visit(3, nprs_now=1)
    visit(5, nprs_now=9, client="OTHER")  # another client's visit must not appear
    doc = history_json()
    assert (doc["form"], doc["client"], doc["unreadable"]) == ("client", CLIENT, [])
    assert [s["session"] for s in doc["sessions"]] == [first.id, middle.id, second.id]
    assert doc["sessions"][2] == {
        "session": second.id, "client": CLIENT, "created": "2026-02-07T09:30:00Z",
        "status": "completed", "triage": "none",
        "scores": {"nprs_now": 4, "startback_risk": "low", "odi_percent": 30.0},
        "red_flags": [], "triage_change": None, "new_red_flags": [], "cleared_red_flags": [],
        "changes": {
            "nprs_now": {"value": 4, "from_first": {
                "since": first.id, "before": 7, "after": 4, "change": -3, "percent": -43,
                "label": "improved"}, "from_previous": {
                "since": middle.id, "before": 1, "after": 4, "change": 3,
                "percent": 300, "label": "worse"}},
            "odi_percent": {"value": 30.0, "from_first": {
                "since": first.id, "before": 44.0, "after": 30.0, "change": -14.0,
                "percent": -32, "label": "improved"}, "from_previous": {
                "since": first.id, "before": 44.0, "after": 30.0, "change": -14.0,
                "percent": -32, "label": "improved"}},
        },
    }
    lines = lines_of(run("review", CLIENT))
    assert lines[:2] == [
        f"Visits of {CLIENT}, oldest first",
        "#  Date (UTC)  Session                  Triage  NPRS  ODI %  STarT",
    ]
    assert lines[2] == "─" * max(len(line) for line in lines[3:6])
    assert lines[3].split() == ["1", "2026-01-10", first.id, "none", "7", "44.0", "medium"]
    assert lines[5].split() == ["3", "2026-02-07", second.id, "none", "4", "30.0", "low"]


@given(st.lists(st.booleans(), max_size=8))
def test_the_history_numbers_the_completed_visits_and_sets_drafts_aside(
        drafts: list[bool]) -> None:
    """Whatever the mix: every session is a visit or a draft, never both; the visits are the
    completed ones, numbered 1, 2, ... in date order."""
    sessions = [Session(id=new_session_id(T0 + dt.timedelta(days=day)), client=CLIENT,
                        created=T0 + dt.timedelta(days=day),
                        status="draft" if is_draft else "completed", answers={},
                        questionnaires=(),
                        plan=None if is_draft else Plan({"nprs_now": day % 11}, "none", (), ()))
                for day, is_draft in enumerate(drafts)]
    history = build_history(CLIENT, list(reversed(sessions)))
    assert [v.session for v in history.visits] == [s for s in sessions if not s.is_draft]
    assert list(history.drafts) == [s for s in sessions if s.is_draft]
    assert [v.number for v in history.visits] == list(range(1, len(history.visits) + 1))
