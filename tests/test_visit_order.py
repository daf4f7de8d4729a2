"""One order of a client's sessions everywhere (issue 17, item 1; clinical/order.py).

Sessions are ordered by time, to the second; within one second a session comes after the
one it follows. Answers files entered in a batch save a visit and its follow-up in the same
second, and their ids then differ only in the random suffix: ordered by that suffix, a
follow-up that brought new warning signs showed them as "cleared", pain 4 -> 7 as
"improved 7 -> 4" and the urgent client dropped off the due list. Every place that orders
a client's sessions (history, handout, due list, listing, CSV and JSON Lines, the summary
index's rows, with the index warm, cold or locked) gives the follow-up order.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from depth import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from backpain_cli.cli.app import app
from backpain_cli.clinical.followup import build_history
from backpain_cli.clinical.model import Plan, RedFlag
from backpain_cli.clinical.order import Place, in_order, second
from backpain_cli.records.index import codec, db, reader
from backpain_cli.records.session import Session
from backpain_cli.records.storage import read_session, save_session
from backpain_cli.records.tree import Unreadable

CLIENT = "JD-042"
T = dt.datetime(2026, 3, 2, 9, 30, 15, tzinfo=dt.UTC)
STAMP = f"{T:%Y%m%dT%H%M%SZ}"
# The follow-up's random suffix sorts before its first visit's.
FIRST, FOLLOW_UP = f"{STAMP}-ffffff", f"{STAMP}-000000"
FLAGS = (RedFlag("rf_weight_loss", "urgent"), RedFlag("rf_night_pain", "urgent"))


@pytest.fixture(autouse=True)
def _terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    # Handouts and due dates follow the computer's calendar: pinned for exact dates.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def save(session_id: str, *, client: str = CLIENT, when: dt.datetime = T,
         follows: str | None = None, pain: int = 4, triage: str = "none",
         flags: tuple[RedFlag, ...] = (), weeks: int | None = 6) -> Session:
    """A completed session whose plan holds exactly these facts."""
    saved, _ = save_session(Session(
        id=session_id, client=client, created=when, status="completed", answers={},
        questionnaires=(), plan=Plan({"nprs_now": pain}, triage, flags, (), (), weeks),
        follows=follows), new=True)
    assert saved.id == session_id
    return saved


def same_second_pair() -> None:
    """A first visit, and a follow-up saved in the same second with new warning signs."""
    save(FIRST)
    # Saved half a second later: the file keeps the whole second only.
    save(FOLLOW_UP, when=T.replace(microsecond=500_000), follows=FIRST, pain=7,
         triage="urgent", flags=FLAGS, weeks=1)


def run(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args), prog_name="backpain")
    assert result.exit_code == 0, result.output
    return result


def outputs() -> dict[str, str]:
    """What each command that orders sessions prints for the pair."""
    return {" ".join(args): run(*args).stdout for args in (
        ("review", CLIENT), ("review", CLIENT, "--json"), ("review",), ("review", "--json"),
        ("review", "--limit", "1", "--json"), ("review", "--due", "--on", "2026-03-12"),
        ("review", "--due", "--on", "2026-03-12", "--json"),
        ("export", "--all", "--format", "csv"), ("export", "--all", "--format", "jsonl"),
        ("export", CLIENT, "--format", "csv"),
        ("export", CLIENT, "--format", "md", "--detail", "full"),
        ("export", CLIENT, "--format", "html", "--detail", "full"),
        ("export", CLIENT, "--format", "html"))}


def check_follow_up_order(out: dict[str, str]) -> None:
    history = json.loads(out[f"review {CLIENT} --json"])
    first, follow_up = history["sessions"]
    assert (first["session"], follow_up["session"]) == (FIRST, FOLLOW_UP)
    assert follow_up["triage_change"] == {"before": "none", "after": "urgent"}
    assert follow_up["new_red_flags"] == [{"id": "rf_weight_loss", "tier": "urgent"},
                                          {"id": "rf_night_pain", "tier": "urgent"}]
    assert follow_up["cleared_red_flags"] == []
    assert follow_up["changes"]["nprs_now"]["from_previous"] == {
        "since": FIRST, "before": 4, "after": 7, "change": 3, "percent": 75, "label": "worse"}
    text = out[f"review {CLIENT}"]
    assert f"1  2026-03-02  {FIRST}  none         4" in text
    assert f"2  2026-03-02  {FOLLOW_UP}  urgent ▲     7" in text
    assert "▲ visit 2 (2026-03-02): triage none → urgent; new red flag(s):" in text
    assert "cleared" not in text and "improved" not in text
    # The urgent client is due a week after the follow-up (the first visit: six weeks).
    assert json.loads(out["review --due --on 2026-03-12 --json"]) == [{
        "client": CLIENT, "session": FOLLOW_UP, "created": "2026-03-02T09:30:15Z",
        "due": "2026-03-09", "days_overdue": 3, "triage": "urgent", "reassess_weeks": 1}]
    assert f"{CLIENT}  {FOLLOW_UP}  urgent  1 week  2026-03-09   3 days" in \
        out["review --due --on 2026-03-12"]
    # Listings newest first, exports oldest first.
    assert [r["session"] for r in json.loads(out["review --json"])["sessions"]] == [
        FOLLOW_UP, FIRST]
    assert [r["session"] for r in json.loads(out["review --limit 1 --json"])["sessions"]] \
        == [FOLLOW_UP]
    listed = out["review"]
    assert listed.index(FOLLOW_UP) < listed.index(FIRST)
    for csv_out in (out["export --all --format csv"], out[f"export {CLIENT} --format csv"]):
        assert [row["session"] for row in csv.DictReader(io.StringIO(csv_out))] == [
            FIRST, FOLLOW_UP]
    assert [json.loads(line)["session"] for line in
            out["export --all --format jsonl"].splitlines()] == [FIRST, FOLLOW_UP]
    # The handout is the follow-up's, with the visits in their order.
    md = out[f"export {CLIENT} --format md --detail full"]
    assert f"Session `{FOLLOW_UP}` · 2026-03-02T09:30:15Z · follow-up to `{FIRST}`" in md
    assert md.index(f"| 2026-03-02 | `{FIRST}` | 4") < md.index(
        f"| 2026-03-02 | `{FOLLOW_UP}` | 7")
    assert "| Pain now (0–10) | 7   | worse (4 → 7)" in md
    html = out[f"export {CLIENT} --format html --detail full"]
    assert f'<p class="small">Session {FOLLOW_UP}</p>' in html
    assert "visit 2 of 2" in html
    assert ('<tr><td class="date">2 Mar</td><td class="num">4</td></tr>\n'
            '<tr><td class="date">2 Mar</td><td class="num">7</td></tr>') in html
    assert "<td>worse (4 → 7)</td><td>worse (4 → 7)</td>" in html
    # The client's handout: its progress chart in the same order.
    assert "4 on 2 Mar, 7 on 2 Mar" in out[f"export {CLIENT} --format html"]


@pytest.fixture
def locked(backpain_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The index held by another command for longer than it waits: the files are read."""
    monkeypatch.setattr(db, "TIMEOUT", 0.05)
    holder = sqlite3.connect(db.index_path(backpain_home), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_follow_up_saved_in_the_same_second_comes_after_its_visit(
        backpain_home: Path, request: pytest.FixtureRequest) -> None:
    same_second_pair()
    cold = outputs()  # builds the index
    check_follow_up_order(cold)
    assert outputs() == cold  # warm
    db.discard(backpain_home)
    assert outputs() == cold  # rebuilt
    request.getfixturevalue("locked")
    assert outputs() == cold  # straight from the files


def _id(row: codec.Value) -> str:
    if isinstance(row, str):
        session_id: str = json.loads(row)["session"]
        return session_id
    assert not isinstance(row, Unreadable)
    return row.id


WHATS: tuple[codec.What, ...] = ("brief", "summary", "document")


@pytest.mark.parametrize("what", WHATS)
def test_the_index_gives_its_rows_in_visit_order(backpain_home: Path, what: codec.What) -> None:
    same_second_pair()
    assert [_id(r) for r in reader.bulk(backpain_home, what=what).rows] == [FIRST, FOLLOW_UP]
    assert [_id(r) for r in reader.newest(backpain_home, what=what).rows] == [FOLLOW_UP, FIRST]
    # A window that ends inside a second is given in the order of the whole second.
    assert [_id(r) for r in reader.newest(backpain_home, limit=1, what=what).rows] == [
        FOLLOW_UP]
    assert [s.id for s in reader.latest_completed(backpain_home)[0]] == [FOLLOW_UP]


def test_time_comes_first_then_the_chain_then_the_id(backpain_home: Path) -> None:
    # A chain of three in one second (suffixes against it), another client's session in the
    # same second, and a visit one second later whose suffix is the smallest of all.
    a, b, c = f"{STAMP}-cccccc", f"{STAMP}-bbbbbb", f"{STAMP}-aaaaaa"
    save(a)
    save(b, follows=a, pain=5)
    save(c, follows=b, pain=6)
    save(f"{STAMP}-dddddd", client="AB-7")
    later = T + dt.timedelta(seconds=1)
    d = f"{later:%Y%m%dT%H%M%SZ}-000000"
    save(d, when=later, follows=c, pain=2)
    history = json.loads(run("review", CLIENT, "--json").stdout)
    assert [s["session"] for s in history["sessions"]] == [a, b, c, d]
    rows = csv.DictReader(io.StringIO(run("export", "--all", "--format", "csv").stdout))
    # Within one second the chain's depth, then the id: AB-7's session (depth 0) first.
    assert [r["session"] for r in rows] == [a, f"{STAMP}-dddddd", b, c, d]


def test_a_loop_of_follows_edited_by_hand_still_has_one_order(backpain_home: Path) -> None:
    a, b = f"{STAMP}-aaaaaa", f"{STAMP}-bbbbbb"
    save(a, follows=b)
    save(b, follows=a)
    history = json.loads(run("review", CLIENT, "--json").stdout)
    assert [s["session"] for s in history["sessions"]] == [a, b]


# --------------------------------------------------------------------------- the rule itself

SUFFIXES = st.integers(0, 16**6 - 1).map(lambda n: f"{n:06x}")


@st.composite
def sessions(draw: st.DrawFn) -> list[Place]:
    """A chain of visits of one client with random suffixes, some in the same second, and
    other clients' sessions in the same seconds."""
    seconds = sorted(draw(st.lists(st.integers(0, 3), min_size=1, max_size=8)))
    suffixes = draw(st.lists(SUFFIXES, min_size=len(seconds), max_size=len(seconds),
                             unique=True))
    places: list[Place] = []
    previous: str | None = None
    for moment, suffix in zip(seconds, suffixes, strict=True):
        session_id = f"{moment}-{suffix}"
        places.append((moment, session_id, CLIENT, previous))
        previous = session_id
    others = draw(st.lists(st.tuples(st.integers(0, 3), SUFFIXES), max_size=4))
    places += [(m, f"{m}-{s}", "AB-7", None) for m, s in others]
    return places


@settings(max_examples=examples(200), deadline=None)
@given(places=sessions(), seed=st.integers(0, 2**32 - 1))
def test_a_session_comes_after_the_one_it_follows(places: list[Place], seed: int) -> None:
    shuffled = places[:]
    random.Random(seed).shuffle(shuffled)
    ordered = in_order(shuffled, lambda p: p)
    # The same whatever order they were found in, and by time first.
    assert ordered == in_order(places, lambda p: p)
    assert sorted(ordered) == sorted(places)
    assert [p[0] for p in ordered] == sorted(p[0] for p in places)
    # The client's visits in their chain's order, whatever their suffixes.
    assert [p for p in ordered if p[2] == CLIENT] == [p for p in places if p[2] == CLIENT]
    # Sessions no chain orders: by id within their second.
    for moment in {p[0] for p in places}:
        free = [p[1] for p in ordered if p[0] == moment and p[2] != CLIENT]
        assert free == sorted(free)


@settings(max_examples=examples(25), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffixes=st.lists(SUFFIXES, min_size=2, max_size=4, unique=True))
def test_visits_in_one_second_keep_their_order_whatever_their_suffixes(
        suffixes: list[str], tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("BACKPAIN_HOME", str(home))
    monkeypatch.setenv("BACKPAIN_CACHE", str(tmp_path_factory.mktemp("cache")))
    ids = [f"{STAMP}-{s}" for s in suffixes]
    previous = None
    for n, session_id in enumerate(ids):
        save(session_id, follows=previous, pain=n)
        previous = session_id
    history = json.loads(run("review", CLIENT, "--json").stdout)
    assert [s["session"] for s in history["sessions"]] == ids
    assert [r["session"] for r in json.loads(run("review", "--json").stdout)["sessions"]] \
        == ids[::-1]
    rows = csv.DictReader(io.StringIO(run("export", "--all", "--format", "csv").stdout))
    assert [r["session"] for r in rows] == ids


def test_build_history_orders_what_it_is_given(backpain_home: Path) -> None:
    same_second_pair()
    sessions = [read_session(p) for p in sorted((backpain_home / "sessions" / CLIENT).iterdir())]
    assert [s.id for s in sessions] == [FOLLOW_UP, FIRST]  # by file name: the suffix
    history = build_history(CLIENT, sessions)
    assert [v.session.id for v in history.visits] == [FIRST, FOLLOW_UP]
    assert history.visits[1].new_flags == FLAGS


def test_the_second_is_the_whole_utc_second() -> None:
    assert second(T) == second(T.replace(microsecond=999_999)) == int(T.timestamp())
    zoned = T.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    assert second(zoned) == second(T)
