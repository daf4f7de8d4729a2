"""`backpain review`: the listing, one session re-run through today's rules, and the ways a
session file can be unreadable.

Sessions are made through the same domain calls as `assess` (start, finish, draft), then
given fixed dates so that order and ids are predictable. Today's questionnaires are changed
the way a practitioner would: a module file in `$BACKPAIN_HOME/questionnaires/`.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import invoke
from typer.testing import Result

from backpain_cli.clinical import followup
from backpain_cli.clinical.answers import validate
from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.model import Plan, Recommendation, RedFlag
from backpain_cli.clinical.questionnaire import Registry, load_registry, shipped_paths
from backpain_cli.flows import assess
from backpain_cli.records.paths import new_session_id
from backpain_cli.records.session import Session, recommendation_dict, to_document
from backpain_cli.records.storage import read_session, save_session

T0 = dt.datetime(2026, 1, 10, 9, 30, tzinfo=dt.UTC)
CLIENT = "JD-042"



@pytest.fixture(autouse=True)
def _terminal(terminal_80: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test of this module on an 80-column terminal (conftest.terminal_80)."""
    monkeypatch.setenv("NO_COLOR", "1")


run = invoke


def registry() -> Registry:
    return load_registry(None)


def save(answers: Mapping[str, object], *, client: str = CLIENT, when: dt.datetime = T0,
         instruments: str | None = None) -> tuple[Session, Path]:
    """A completed session exactly as `assess --no-input` would make it, dated `when`."""
    st = assess.start(registry(), client=client, answers_file=None, instruments=instruments)
    session = assess.finish(st, client, answers, set())  # type: ignore[arg-type]
    return save_session(replace(session, id=new_session_id(when), created=when), new=True)


def save_draft(answers: Mapping[str, object], *, client: str = CLIENT,
               when: dt.datetime = T0) -> tuple[Session, Path]:
    st = assess.start(registry(), client=client, answers_file=None, instruments=None)
    session = assess.draft(st, client, answers, set())  # type: ignore[arg-type]
    return save_session(replace(session, id=new_session_id(when), created=when), new=True)


def edit_file(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")


def override_module(home: Path, module_id: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Put an edited copy of a shipped module in the practitioner's questionnaires folder."""
    source = dict(shipped_paths())[f"questionnaires/{module_id}.toml"]
    data = tomllib.loads(source.decode("utf-8"))
    change(data)
    folder = home / "questionnaires"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module_id}.toml").write_text(tomli_w.dumps(data), encoding="utf-8")


def question(data: dict[str, Any], qid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(q for q in data["questions"] if q["id"] == qid)
    return found


def snapshot(home: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under the data folder with its bytes and mtime: review must change none."""
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(home.rglob("*")) if p.is_file()}


def lines_of(result: Result) -> list[str]:
    # rich pads table lines to the table's width; the trailing blanks carry no meaning.
    return [line.rstrip() for line in result.stdout.splitlines()]


def words(result: Result) -> str:
    """Standard output with line breaks undone, for prose that rich wraps at 80 columns."""
    return " ".join(result.stdout.split())


def json_of(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


# --------------------------------------------------------------------------- the listing


@pytest.mark.usefixtures("listing_as_table")
def test_listing_without_any_session() -> None:
    result = run("review")
    assert result.exit_code == 0, result.output
    assert result.stdout == "No sessions yet. Start one with: backpain assess\n"
    assert json_of(run("review", "--json")) == {
        "form": "list", "client": None, "total": 0, "sessions": [], "unreadable": []}


@pytest.mark.usefixtures("listing_as_table")
def test_listing_is_newest_first_with_headline_scores(complete_answers: dict[str, Any]
                                                      ) -> None:
    older, _ = save({**complete_answers, "pain_now": 7}, when=T0)
    newer, _ = save({**complete_answers, "pain_now": 4}, client="AB", when=T0 + dt.timedelta(1))
    result = run("review")
    assert result.exit_code == 0, result.output
    lines = lines_of(result)
    assert lines[0] == "Sessions, newest first"
    assert lines[1].split() == ["ID", "Client", "Date", "(UTC)", "Status", "Triage", "NPRS",
                                "STarT"]
    assert older.plan is not None and newer.plan is not None
    assert lines[3].split() == [newer.id, "AB", "2026-01-11", "completed", newer.plan.triage,
                                "4", str(newer.plan.scores["startback_risk"])]
    assert lines[4].split() == [older.id, CLIENT, "2026-01-10", "completed", older.plan.triage,
                                "7", str(older.plan.scores["startback_risk"])]
    assert len(lines) == 5
    assert all(len(line) <= 80 for line in lines)
    doc = json_of(run("review", "--json"))
    assert [s["session"] for s in doc["sessions"]] == [newer.id, older.id]
    assert doc["sessions"][1] == {
        "session": older.id, "client": CLIENT, "created": "2026-01-10T09:30:00Z",
        "status": "completed", "triage": older.plan.triage, "scores": dict(older.plan.scores)}


@pytest.mark.usefixtures("listing_as_table")
def test_listing_shows_odi_and_rmdq_columns_only_when_collected(
        complete_answers: dict[str, Any]) -> None:
    odi = {f"odi_{i}": 2 for i in range(1, 11)}
    rmdq = {f"rmdq_{i}": i <= 6 for i in range(1, 25)}
    save(complete_answers, when=T0)
    with_odi, _ = save({**complete_answers, **odi}, when=T0 + dt.timedelta(1), instruments="odi")
    with_rmdq, _ = save({**complete_answers, **rmdq}, when=T0 + dt.timedelta(2),
                        instruments="rmdq")
    lines = lines_of(run("review"))
    assert lines[1].endswith("ODI % RMDQ")
    assert lines[3].startswith(with_rmdq.id) and lines[3].split()[-2:] == ["–", "6"]
    assert lines[4].startswith(with_odi.id) and lines[4].split()[-2:] == ["40.0", "–"]
    assert lines[5].split()[-2:] == ["–", "–"]


@pytest.mark.usefixtures("listing_as_table")
def test_client_filter_and_limit(complete_answers: dict[str, Any]) -> None:
    mine = [save(complete_answers, when=T0 + dt.timedelta(days=d))[0] for d in range(3)]
    save(complete_answers, client="OTHER", when=T0 + dt.timedelta(days=9))
    result = run("review", "--client", CLIENT, "--limit", "2")
    assert result.exit_code == 0, result.output
    lines = lines_of(result)
    assert lines[0] == f"Sessions of {CLIENT}, newest first"
    assert [line.split()[0] for line in lines[3:5]] == [mine[2].id, mine[1].id]
    assert lines[5] == ("Showing the newest 2 of 3 sessions; --limit N shows more, --limit 0 "
                        "all.")
    doc = json_of(run("review", "--client", CLIENT, "--limit", "0", "--json"))
    assert (doc["client"], doc["total"]) == (CLIENT, 3)
    assert [s["session"] for s in doc["sessions"]] == [s.id for s in reversed(mine)]


LONG_CLIENT = "A-VERY-LONG-CLIENT-REFERENCE-THAT-A-TABLE-WOULD-WRAP-OVER-LINES-01"[:64]
HEADER = "ID\tClient\tDate (UTC)\tStatus\tTriage\tNPRS\tSTarT\tODI %\tRMDQ"


@pytest.mark.parametrize(("args", "rows", "note"), [
    ([], 20, "the newest 20 of 23 sessions; --limit N lists more, --limit 0 all"),
    (["--limit", "2"], 2, "the newest 2 of 23 sessions; --limit N lists more, --limit 0 all"),
    (["--limit", "23"], 23, None),
    (["--limit", "0"], 23, None),
    (["--client", LONG_CLIENT, "--limit", "5"], 5,
     "the newest 5 of 22 sessions; --limit N lists more, --limit 0 all"),
])
def test_the_listing_into_a_pipe_is_rows_whatever_the_limit(
        complete_answers: dict[str, Any], args: list[str], rows: int,
        note: str | None) -> None:
    """Not a terminal (CliRunner's output is not one): one tab-separated line a session,
    even for a client reference longer than a narrow table's column."""
    made = [save(complete_answers, client=LONG_CLIENT, when=T0 + dt.timedelta(hours=h))[0]
            for h in range(22)]
    save(complete_answers, client="B-1", when=T0 - dt.timedelta(days=1))
    result = run("review", *args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == HEADER
    assert [line.split("\t")[:2] for line in lines[1:]] == [
        [s.id, LONG_CLIENT] for s in reversed(made)][:rows] + (
        [[lines[-1].split("\t")[0], "B-1"]] if rows == 23 else [])
    assert all(len(line.split("\t")) == 9 for line in lines)
    assert result.stderr == ("" if note is None else f"backpain: note: {note}\n")


@pytest.mark.parametrize(("args", "message"), [
    (["--client", "NOBODY"], "no client 'NOBODY' (run backpain review to list sessions)"),
    (["--client", "../etc"], "invalid client reference '../etc': use 1 to 64 ASCII letters, "
                             "digits, '-', '_' or '.', not starting with '.' or '-'"),
])
def test_listing_of_an_unknown_or_invalid_client(args: list[str], message: str) -> None:
    result = run("review", *args)
    assert result.exit_code == 1
    assert result.stderr == f"backpain: error: {message}\n"
    assert result.stdout == ""


@pytest.mark.parametrize("args", [["JD-042", "--client", "JD-042"], ["JD-042", "--limit", "3"]])
def test_listing_options_with_a_target_are_wrong_usage(args: list[str]) -> None:
    result = run("review", *args)
    assert result.exit_code == 2
    assert result.stderr == (
        "backpain: usage error: --client and --limit only apply to the listing (no SESSION "
        "or CLIENT argument); for one client use: backpain review CLIENT\n")


def test_negative_limit_is_wrong_usage() -> None:
    result = run("review", "--limit", "-1")
    assert result.exit_code == 2
    assert "-1 is not in the range x>=0" in result.stderr


@pytest.mark.usefixtures("listing_as_table")
def test_drafts_are_marked_with_the_command_to_resume_them(
        complete_answers: dict[str, Any]) -> None:
    draft, _ = save_draft({"age": 40, "pain_duration": "over_12_weeks"}, when=T0)
    result = run("review")
    assert result.exit_code == 0, result.output
    lines = lines_of(result)
    assert lines[3].split() == [draft.id, CLIENT, "2026-01-10", "draft", "–", "–", "–"]
    assert lines[4:] == ["Drafts (interrupted interviews) — resume with:",
                         f"  backpain assess --resume {draft.id}"]
    doc = json_of(run("review", "--json"))
    assert doc["sessions"] == [{
        "session": draft.id, "client": CLIENT, "created": "2026-01-10T09:30:00Z",
        "status": "draft", "triage": None, "scores": {},
        "resume": f"backpain assess --resume {draft.id}"}]


@pytest.mark.usefixtures("listing_as_table")
def test_listing_reports_problems_only_among_the_rows_it_shows(
        complete_answers: dict[str, Any]) -> None:
    saved = [save(complete_answers, when=T0 + dt.timedelta(hours=h)) for h in range(25)]
    # The five oldest are garbage: outside the newest 20, so this listing does not name them
    # (the summary index reads them, and keeps them for a listing that shows them).
    for _, path in saved[:5]:
        path.write_bytes(b"\x00 not a session")
    result = run("review")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "Showing the newest 20 of 25 sessions" in result.stdout
    everything = run("review", "--limit", "0")
    assert everything.exit_code == 0
    assert everything.stderr.count("backpain: warning: ") == 5


# --------------------------------------------------------------------------- unreadable files


def _valid_bytes(complete_answers: dict[str, Any]) -> tuple[Session, bytes]:
    session, path = save(complete_answers, when=T0 + dt.timedelta(days=30))
    data = path.read_bytes()
    path.unlink()
    return session, data


def _toml_with(data: bytes, **changes: object) -> bytes:
    doc = tomllib.loads(data.decode("utf-8"))
    for key, value in changes.items():
        if value is None:
            del doc[key]
        else:
            doc[key] = value
    return tomli_w.dumps(doc).encode("utf-8")


BROKEN: list[tuple[str, Callable[[bytes], bytes], str]] = [
    ("corrupt TOML", lambda d: b'schema = 1\nid = "x', "not valid TOML (Unterminated string "
                                                        "(at end of document))"),
    ("truncated mid-value", lambda d: d[: d.index(b"tool_version") + 18],
     "not valid TOML (Unterminated string (at end of document))"),
    ("truncated before the answers", lambda d: d[: d.index(b"[answers]")],
     "missing field 'answers'"),
    ("empty", lambda d: b"", "the file is empty"),
    ("only blank lines", lambda d: b"\n \n", "the file is empty"),
    ("not UTF-8", lambda d: d.replace(b'"', b"\xff", 1), "not UTF-8 text"),
    ("schema of the wrong type", lambda d: _toml_with(d, schema="1"),
     "field 'schema' has the wrong type"),
    ("missing field", lambda d: _toml_with(d, client=None), "missing field 'client'"),
    ("unknown status", lambda d: _toml_with(d, status="done"), "unknown status 'done'"),
    ("newer schema", lambda d: _toml_with(d, schema=4),
     "written by a newer backpain (schema 4; this version reads up to 3); upgrade backpain "
     "to read it"),
    ("id not the file name", lambda d: _toml_with(d, id="20260101T000000Z-000000"),
     "its id '20260101T000000Z-000000' does not match the file name"),
    ("client not the folder", lambda d: _toml_with(d, client="SOMEONE-ELSE"),
     f"its client 'SOMEONE-ELSE' does not match its folder '{CLIENT}'"),
]


@pytest.mark.parametrize(("make", "reason"), [(m, r) for _, m, r in BROKEN],
                         ids=[n for n, _, _ in BROKEN])
@pytest.mark.usefixtures("listing_as_table")
def test_an_unreadable_session_file(complete_answers: dict[str, Any], backpain_home: Path,
                                    make: Callable[[bytes], bytes], reason: str) -> None:
    good, _ = save(complete_answers, client="AB", when=T0)
    broken, data = _valid_bytes(complete_answers)
    path = backpain_home / "sessions" / CLIENT / f"{broken.id}.toml"
    path.write_bytes(make(data))
    before = snapshot(backpain_home)

    listing = run("review")
    assert listing.exit_code == 0, listing.output
    assert listing.stderr == f"backpain: warning: {path}: {reason}\n"
    rows = [line.split() for line in lines_of(listing)[3:5]]
    assert rows == [[broken.id, CLIENT, "2026-02-09", "unreadable", "–", "–", "–"],
                    [good.id, "AB", "2026-01-10", "completed", *rows[1][4:]]]
    doc = json_of(run("review", "--json"))
    assert [s["session"] for s in doc["sessions"]] == [good.id]
    assert doc["unreadable"] == [{"path": str(path), "reason": reason}]

    one = run("review", broken.id)
    assert one.exit_code == 1
    assert one.stderr == f"backpain: error: {path}: {reason}\n"
    assert one.stdout == ""

    history = run("review", CLIENT, "--json")
    assert history.exit_code == 0, history.output
    assert json.loads(history.stdout)["unreadable"] == [{"path": str(path), "reason": reason}]
    assert history.stderr == f"backpain: warning: {path}: {reason}\n"
    assert snapshot(backpain_home) == before


def test_a_folder_in_place_of_a_session_file(complete_answers: dict[str, Any],
                                             backpain_home: Path) -> None:
    save(complete_answers, when=T0)
    path = backpain_home / "sessions" / CLIENT / "20260301T000000Z-000001.toml"
    path.mkdir()
    result = run("review")
    assert result.exit_code == 0, result.output
    assert result.stderr == f"backpain: warning: {path}: cannot read (Is a directory)\n"


@pytest.mark.usefixtures("listing_as_table")
def test_every_unreadable_file_is_reported_and_the_rest_still_shown(
        complete_answers: dict[str, Any], backpain_home: Path) -> None:
    good, _ = save(complete_answers, when=T0)
    folder = backpain_home / "sessions" / CLIENT
    names = [f"2026020{i}T000000Z-00000{i}.toml" for i in range(1, 4)]
    for name, content in zip(names, [b"", b"\xff", b"schema = 9"], strict=True):
        (folder / name).write_bytes(content)
    result = run("review")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"backpain: warning: {folder / names[2]}: written by a newer backpain "
        "(schema 9; this version reads up to 3); upgrade backpain to read it",
        f"backpain: warning: {folder / names[1]}: not UTF-8 text",
        f"backpain: warning: {folder / names[0]}: the file is empty",
    ]
    assert good.id in result.stdout
    assert lines_of(result)[-1] == (
        "3 session file(s) could not be read; the reasons are on standard error.")


# --------------------------------------------------------------------------- finding a session


def test_a_session_by_id_or_unique_prefix(complete_answers: dict[str, Any]) -> None:
    first, _ = save(complete_answers, when=T0)
    second, _ = save(complete_answers, when=T0 + dt.timedelta(days=1))
    for given in (first.id, first.id[:8], second.id[:9]):
        doc = json_of(run("review", given, "--json"))
        assert doc["form"] == "session"
        assert doc["session"]["session"] == (first.id if given.startswith("20260110")
                                             else second.id)


def test_an_ambiguous_prefix_lists_the_candidates(complete_answers: dict[str, Any]) -> None:
    first, _ = save(complete_answers, when=T0)
    second, _ = save(complete_answers, when=T0 + dt.timedelta(days=1))
    result = run("review", "202601")
    assert result.exit_code == 1
    assert result.stderr == (f"backpain: error: session id '202601' is ambiguous: {first.id}, "
                             f"{second.id}; give more of the id\n")


@pytest.mark.parametrize(("given", "message"), [
    ("NOBODY", "no session or client 'NOBODY' (run backpain review to list sessions)"),
    ("2027", "no session or client '2027' (run backpain review to list sessions)"),
    ("../JD-042", "no session or client '../JD-042' (run backpain review to list sessions)"),
    ("", "no session or client '' (give a session id or a client reference)"),
])
def test_an_unknown_session_or_client(complete_answers: dict[str, Any], given: str,
                                      message: str) -> None:
    save(complete_answers, when=T0)
    result = run("review", given)
    assert result.exit_code == 1
    assert result.stderr == f"backpain: error: {message}\n"
    assert result.stdout == ""


def test_a_client_reference_that_looks_like_a_session_prefix(
        complete_answers: dict[str, Any]) -> None:
    # A prefix naming several sessions names the client of that name instead...
    save(complete_answers, client="2026", when=T0)
    save(complete_answers, client="2026", when=T0 + dt.timedelta(days=1))
    assert json_of(run("review", "2026", "--json"))["form"] == "client"
    # ...but a unique session prefix is a session, even when a client has that name.
    only, _ = save(complete_answers, client="20260110", when=T0 + dt.timedelta(hours=3))
    doc = json_of(run("review", "20260110", "--json"))
    assert (doc["form"], doc["client"]) == ("client", "20260110")
    doc = json_of(run("review", "20260110T12", "--json"))
    assert (doc["form"], doc["session"]["session"]) == ("session", only.id)


# --------------------------------------------------------------------------- re-scoring


def test_rescoring_an_unchanged_session_gives_the_saved_plan(
        complete_answers: dict[str, Any], backpain_home: Path) -> None:
    session, _ = save(complete_answers, when=T0)
    before = snapshot(backpain_home)
    doc = json_of(run("review", session.id, "--json"))
    saved = to_document(read_session(
        backpain_home / "sessions" / CLIENT / f"{session.id}.toml"))
    assert doc["session"] == saved
    assert doc["recomputed"] == {k: saved[k] for k in
                                 ("scores", "triage", "reassess_weeks", "red_flags",
                                  "recommendations", "programme", "flare_plan", "checks")}
    assert (doc["complete"], doc["missing"], doc["no_longer_fit"], doc["questionnaires"]) == (
        True, [], [], [])
    assert doc["changes"] == {
        "triage": None, "red_flags": {"added": [], "removed": []},
        "recommendations": {"added": [], "removed": [], "changed": [], "reordered": False},
        "scores": [], "programme": {"added": [], "removed": []}}
    assert doc["unchanged"] is True
    text = run("review", session.id)
    assert text.exit_code == 0, text.output
    assert words(text).endswith(
        "Changes since this session was saved No changes: today's questionnaires and rules "
        "give the same plan and scores as the ones saved.")
    assert snapshot(backpain_home) == before


def test_the_recomputed_plan_is_shown(complete_answers: dict[str, Any]) -> None:
    session, _ = save(complete_answers, when=T0)
    assert session.plan is not None
    result = run("review", session.id[:12])
    assert result.exit_code == 0, result.output
    out = words(result)
    assert out.startswith(f"Review of session {session.id} — client {CLIENT} — saved "
                          "2026-01-10 09:30 UTC by backpain ")
    assert "Plan recomputed with today's questionnaires and rules:" in out
    for rec in session.plan.recommendations:
        assert f"[{rec.id}]" in out
    assert "This plan supports, and does not replace, a clinician's assessment." in out
    assert out.index("Changes since this session was saved") > out.index("[prevention.stay_active]")


def test_a_changed_rule_shows_in_the_diff(complete_answers: dict[str, Any],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    session, _ = save(complete_answers, when=T0)
    assert session.plan is not None
    saved = session.plan.recommendations
    from backpain_cli.clinical import recommender

    real = recommender.recommend
    added = Recommendation("prevention.new_rule", "prevention", "A new rule", "Detail.",
                           ("pain_now",), "Evidence.")

    def changed_rules(*args: Any) -> tuple[Recommendation, ...]:
        recs = list(real(*args))
        # Today's rules: the first recommendation no longer fires, the second is reworded
        # and has a new reason, and a new one fires.
        return (replace(recs[1], title="Reworded", because=("age",)), *recs[2:], added)

    monkeypatch.setattr(recommender, "recommend", changed_rules)
    doc = json_of(run("review", session.id, "--json"))
    changes = doc["changes"]["recommendations"]
    assert [r["id"] for r in changes["added"]] == ["prevention.new_rule"]
    assert [r["id"] for r in changes["removed"]] == [saved[0].id]
    assert changes["changed"] == [{
        "id": saved[1].id, "fields": ["title", "because"],
        "before": recommendation_dict(saved[1]),
        "after": {**recommendation_dict(saved[1]), "title": "Reworded", "because": ["age"]}}]
    assert changes["reordered"] is False
    assert doc["unchanged"] is False

    lines = lines_of(run("review", session.id))
    tail = lines[lines.index("Changes since this session was saved"):]
    assert tail == [
        "Changes since this session was saved",
        "Recommendations:",
        "  + added    prevention.new_rule — A new rule",
        f"  - removed  {saved[0].id} — {saved[0].title}",
        f"  ~ changed  {saved[1].id}: title, because",
        f"      title: {saved[1].title} → Reworded",
        f"      because: {', '.join(saved[1].because)} → age",
    ]


def test_changed_scores_triage_and_warning_signs_show_in_the_diff(
        complete_answers: dict[str, Any]) -> None:
    session, path = save({**complete_answers, "pain_now": 3}, when=T0)
    assert session.plan is not None

    def as_saved_by_older_rules(data: dict[str, Any]) -> None:
        data["scores"]["nprs_now"] = 9
        data["scores"]["retired_score"] = 1
        data["triage"] = "urgent"
        data["red_flags"] = [{"id": "rf_trauma", "tier": "urgent"}]

    edit_file(path, as_saved_by_older_rules)
    doc = json_of(run("review", session.id, "--json"))
    assert doc["changes"]["triage"] == {"before": "urgent", "after": session.plan.triage}
    assert doc["changes"]["red_flags"] == {
        "added": [], "removed": [{"id": "rf_trauma", "tier": "urgent"}]}
    assert doc["changes"]["scores"] == [{"key": "nprs_now", "before": 9, "after": 3},
                                        {"key": "retired_score", "before": 1, "after": None}]
    lines = lines_of(run("review", session.id))
    tail = lines[lines.index("Changes since this session was saved"):]
    assert tail == [
        "Changes since this session was saved",
        f"Triage: urgent → {session.plan.triage}",
        "- warning sign rf_trauma (urgent) no longer found",
        "Scores:",
        "  ~ Pain now (0–10) [nprs_now]: 9 → 3",
        "  ~ retired_score [retired_score]: 1 → not scored",
    ]


def _sleep_v2(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data["version"] = "2"
        change(data)
    return edit


def test_a_removed_choice_is_listed_and_the_plan_marked_partial(
        complete_answers: dict[str, Any], backpain_home: Path) -> None:
    answers = {**complete_answers, "mattress_opinion": "too_soft"}
    session, _ = save(answers, when=T0)

    def drop_too_soft(data: dict[str, Any]) -> None:
        q = question(data, "mattress_opinion")
        q["choices"] = [c for c in q["choices"] if c["value"] != "too_soft"]

    override_module(backpain_home, "sleep", _sleep_v2(drop_too_soft))
    before = snapshot(backpain_home)
    doc = json_of(run("review", session.id, "--json"))
    assert doc["no_longer_fit"] == [{
        "question": "mattress_opinion", "value": "too_soft",
        "reason": "no longer a valid answer: 'too_soft' is not one of: too_firm, comfortable, "
                  "unsure"}]
    assert (doc["complete"], doc["missing"]) == (False, ["mattress_opinion"])
    assert doc["questionnaires"] == [
        {"id": "sleep", "change": "changed", "saved_version": "1", "current_version": "2"}]
    # Everything else is recomputed from the answers that still fit.
    rest = {k: v for k, v in answers.items() if k != "mattress_opinion"}
    st = assess.start(registry(), client=CLIENT, answers_file=None, instruments=None)
    expected = build_plan(validate(st.modules, rest).answers)
    assert [r["id"] for r in doc["recomputed"]["recommendations"]] == list(expected.ids)

    out = run("review", session.id).stdout
    assert "PARTIAL PLAN — today's questionnaires ask 1 question(s) this session" in out
    assert "Ask them at a follow-up visit: backpain assess --from" in out
    assert "~ questionnaire sleep changed (version 1 → 2)" in out
    assert "Answers that no longer fit today's questionnaires (left out)" in out
    assert snapshot(backpain_home) == before


def test_a_renamed_question_is_listed_not_dropped(complete_answers: dict[str, Any],
                                                  backpain_home: Path) -> None:
    session, _ = save(complete_answers, when=T0)

    def rename(data: dict[str, Any]) -> None:
        question(data, "mattress_age_years")["id"] = "mattress_years"

    override_module(backpain_home, "sleep", _sleep_v2(rename))
    doc = json_of(run("review", session.id, "--json"))
    assert doc["no_longer_fit"] == [{
        "question": "mattress_age_years", "value": complete_answers["mattress_age_years"],
        "reason": "no question has this id today (removed or renamed)"}]
    assert (doc["complete"], doc["missing"]) == (False, ["mattress_years"])
    out = run("review", session.id).stdout
    assert "mattress_age_years" in out.split("Answers that no longer fit")[1]


def test_a_reworded_questionnaire_with_the_same_plan(complete_answers: dict[str, Any],
                                                     backpain_home: Path) -> None:
    session, _ = save(complete_answers, when=T0)

    def reword(data: dict[str, Any]) -> None:
        question(data, "sleep_position")["text"] = "In which position does the client sleep?"

    override_module(backpain_home, "sleep", reword)
    doc = json_of(run("review", session.id, "--json"))
    assert doc["questionnaires"] == [
        {"id": "sleep", "change": "changed", "saved_version": "1", "current_version": "1"}]
    assert (doc["complete"], doc["no_longer_fit"], doc["unchanged"]) == (True, [], False)
    lines = lines_of(run("review", session.id))
    assert lines[lines.index("Changes since this session was saved") + 1:] == [
        "~ questionnaire sleep changed (same version 1, different content)",
        "The plan and scores are the same as the ones saved.",
    ]


def test_a_new_required_question_makes_the_plan_partial(complete_answers: dict[str, Any],
                                                        backpain_home: Path) -> None:
    session, _ = save(complete_answers, when=T0)

    def add(data: dict[str, Any]) -> None:
        data["questions"].append({"id": "bed_shared", "type": "yesno",
                                  "text": "Does the client share the bed?"})

    override_module(backpain_home, "sleep", _sleep_v2(add))
    doc = json_of(run("review", session.id, "--json"))
    assert (doc["complete"], doc["missing"], doc["no_longer_fit"]) == (False, ["bed_shared"], [])
    assert doc["changes"]["recommendations"] == {
        "added": [], "removed": [], "changed": [], "reordered": False}


def test_an_instrument_that_no_longer_exists(complete_answers: dict[str, Any]) -> None:
    odi = {f"odi_{i}": 1 for i in range(1, 11)}
    session, _ = save({**complete_answers, **odi}, when=T0, instruments="odi")
    today = Registry(tuple(m for m in registry().modules if m.id != "odi"))
    result = followup.rescore(session, today)
    assert [(m.id, m.change) for m in result.questionnaires] == [("odi", "removed")]
    assert [(i.question, i.reason) for i in result.no_longer_fit] == [
        (f"odi_{i}", "no question has this id today (removed or renamed)") for i in range(1, 11)]
    assert result.complete
    assert result.diff is not None
    assert [(s.key, s.after) for s in result.diff.scores] == [
        ("odi_percent", None), ("odi_band", None)]


def test_answers_to_an_instrument_not_in_the_session_are_listed(
        complete_answers: dict[str, Any]) -> None:
    session, _ = save(complete_answers, when=T0)
    stray = replace(session, answers={**session.answers, "odi_1": 3})
    result = followup.rescore(stray, registry())
    assert [(i.question, i.value, i.reason) for i in result.no_longer_fit] == [
        ("odi_1", 3, "its questionnaire is not part of this session's interview")]


def test_an_answer_now_hidden_by_its_condition_is_listed(complete_answers: dict[str, Any],
                                                         backpain_home: Path) -> None:
    session, _ = save({**complete_answers, "sleep_position": "side", "knee_pillow": True},
                      when=T0)

    def only_for_back_sleepers(data: dict[str, Any]) -> None:
        question(data, "knee_pillow")["when"] = {
            "all": [{"question": "sleep_position", "operator": "=", "value": "back"}]}

    override_module(backpain_home, "sleep", _sleep_v2(only_for_back_sleepers))
    doc = json_of(run("review", session.id, "--json"))
    assert doc["no_longer_fit"] == [{"question": "knee_pillow", "value": True,
                                     "reason": "no longer asked: hidden by an earlier answer"}]
    assert doc["complete"] is True


def test_a_draft_has_no_plan_to_compare(complete_answers: dict[str, Any]) -> None:
    draft, _ = save_draft({"age": 40}, when=T0)
    result = run("review", draft.id)
    assert result.exit_code == 0, result.output
    assert "DRAFT — the interview was interrupted after 1 answer(s), so there is no plan" \
        in words(result)
    assert f"Resume it with: backpain assess --resume {draft.id}" in result.stdout
    doc = json_of(run("review", draft.id, "--json"))
    assert doc == {"form": "session", "session": to_document(draft),
                   "resume": f"backpain assess --resume {draft.id}", "recomputed": None,
                   "changes": None}


def test_a_completed_session_saved_without_a_plan_is_unreadable(
        complete_answers: dict[str, Any]) -> None:
    # Issue 9 item 1: a completed session's plan is part of what was saved; without it the
    # file is unreadable in every command alike (not re-scored as if nothing were missing).
    session, path = save(complete_answers, when=T0)

    def strip_plan(data: dict[str, Any]) -> None:
        for key in ("triage", "scores", "red_flags", "recommendations"):
            data.pop(key, None)

    edit_file(path, strip_plan)
    result = run("review", session.id, "--json")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"backpain: error: {path}: missing field 'triage'\n"


# --------------------------------------------------------------------------- the plan diff alone


def _rec(rid: str, **changes: Any) -> Recommendation:
    rec = Recommendation(rid, rid.partition(".")[0], f"Title {rid}", "Detail.", ("age",), "Ev.")
    return replace(rec, **changes)


def _plan(*recs: Recommendation, triage: str = "none", flags: tuple[RedFlag, ...] = (),
          **scores: Any) -> Plan:
    return Plan(scores, triage, flags, recs)


DIFFS: list[tuple[str, Plan, Plan, dict[str, Any]]] = [
    ("same", _plan(_rec("sleep.a"), nprs_now=3), _plan(_rec("sleep.a"), nprs_now=3), {}),
    ("int and float score of equal value", _plan(odi_percent=30), _plan(odi_percent=30.0), {}),
    ("added", _plan(_rec("sleep.a")), _plan(_rec("sleep.a"), _rec("sleep.b")),
     {"added": ["sleep.b"]}),
    ("removed", _plan(_rec("sleep.a"), _rec("sleep.b")), _plan(_rec("sleep.b")),
     {"removed": ["sleep.a"]}),
    ("detail and evidence", _plan(_rec("sleep.a")),
     _plan(_rec("sleep.a", detail="New.", evidence="New ev.")),
     {"changed": [("sleep.a", ("detail", "evidence"))]}),
    ("strategy", _plan(_rec("sleep.a")), _plan(_rec("sleep.a", strategy="massage")),
     {"changed": [("sleep.a", ("strategy",))]}),
    ("reordered", _plan(_rec("sleep.a"), _rec("sleep.b")), _plan(_rec("sleep.b"), _rec("sleep.a")),
     {"reordered": True}),
    ("added elsewhere is not a reorder", _plan(_rec("sleep.a"), _rec("sleep.b")),
     _plan(_rec("sleep.c"), _rec("sleep.a"), _rec("sleep.b")), {"added": ["sleep.c"]}),
    ("score appears", _plan(), _plan(rmdq_score=4), {"scores": [("rmdq_score", None, 4)]}),
    ("triage", _plan(triage="none"), _plan(triage="urgent"), {"triage": ("none", "urgent")}),
    ("flag tier", _plan(flags=(RedFlag("rf_fever", "urgent"),)),
     _plan(flags=(RedFlag("rf_fever", "emergency"),)),
     {"flags_added": ["rf_fever"], "flags_removed": ["rf_fever"]}),
]


@pytest.mark.parametrize(("saved", "current", "expected"), [d[1:] for d in DIFFS],
                         ids=[d[0] for d in DIFFS])
def test_diff_plans(saved: Plan, current: Plan, expected: dict[str, Any]) -> None:
    diff = followup.diff_plans(saved, current)
    got = {
        "added": [r.id for r in diff.added], "removed": [r.id for r in diff.removed],
        "changed": [(c.id, c.fields) for c in diff.changed], "reordered": diff.reordered,
        "scores": [(s.key, s.before, s.after) for s in diff.scores],
        "triage": (diff.triage_before, diff.triage_after) if diff.triage_changed else None,
        "flags_added": [f.id for f in diff.flags_added],
        "flags_removed": [f.id for f in diff.flags_removed],
    }
    empty = {"added": [], "removed": [], "changed": [], "reordered": False, "scores": [],
             "triage": None, "flags_added": [], "flags_removed": []}
    assert got == {**empty, **expected}
    assert diff.empty is (not expected)


# --------------------------------------------------------------------------- output conventions


def test_review_output_fits_80_columns_and_has_no_control_codes(
        complete_answers: dict[str, Any]) -> None:
    first, _ = save({**complete_answers, "pain_now": 8}, when=T0)
    save({**complete_answers, "pain_now": 4}, when=T0 + dt.timedelta(days=14))
    for args in (["review"], ["review", first.id], ["review", CLIENT]):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout
        too_wide = [line for line in lines_of(result) if len(line) > 80]
        assert too_wide == [], args


def test_review_does_not_write_anything(complete_answers: dict[str, Any],
                                        backpain_home: Path) -> None:
    session, _ = save(complete_answers, when=T0)
    save_draft({"age": 30}, when=T0 + dt.timedelta(days=1))
    before = snapshot(backpain_home)
    for args in (["review"], ["review", session.id], ["review", CLIENT], ["review", "--json"]):
        assert run(*args).exit_code == 0
    assert snapshot(backpain_home) == before



# --------------------------------------------------------------------------- the fast path


@pytest.mark.parametrize("form", ["session", "prefix", "client", "unknown"])
@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_the_fast_path_of_main_matches_the_typer_command(
        backpain_home: Path, complete_answers: dict[str, object], form: str,
        as_json: bool) -> None:
    # __main__ answers `review SESSION|CLIENT [--json]` without typer (start-up budget);
    # it must say exactly what the typer command says, exit code included.
    import os
    import subprocess
    import sys

    session, _ = save(complete_answers)
    target = {"session": session.id, "prefix": session.id[:12], "client": CLIENT,
              "unknown": "NOBODY"}[form]
    args = ["review", target, *(["--json"] if as_json else [])]
    typer_path = run(*args)
    env = {**os.environ, "BACKPAIN_HOME": str(backpain_home), "COLUMNS": "80",
           "NO_COLOR": "1"}
    fast = subprocess.run([sys.executable, "-m", "backpain_cli", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        typer_path.exit_code, typer_path.stdout, typer_path.stderr)
