"""SESSION|CLIENT: one rule for `review`, `export` and `assess --from/--resume/--discard`
(records/targets.py; README, "Naming a session or a client").

A complete session id names its session; otherwise an existing client's reference (any
case) names that client, with a note when session ids also start with it; otherwise a
unique start of a session id names that session.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import invoke

from backpain_cli.errors import NotFoundError
from backpain_cli.records.targets import (
    ClientTarget,
    could_start_an_id,
    resolve,
    resolve_session,
)
from backpain_cli.records.tree import SessionRef

GOLDEN = Path(__file__).parent / "golden"
CLIENT = "JD-042"
FIRST, SECOND, DRAFT, LATEST = (
    "20260903T091500Z-a1b2c3", "20261001T140000Z-d4e5f6", "20261015T080000Z-777777",
    "20261029T101500Z-0f9e8d")
# Clients whose references look like the start of session ids, each with one visit of its
# own whose id does not start with the reference.
NUMERIC = {"2026": "20250101T000000Z-abcdef", "20261029": "20250202T000000Z-bcdef0"}


def copy_visit(home: Path, client: str, sid: str) -> None:
    """FIRST, as the completed visit `sid` of `client`."""
    folder = home / "sessions" / client
    folder.mkdir(parents=True, exist_ok=True)
    text = (GOLDEN / "sessions" / CLIENT / f"{FIRST}.toml").read_text()
    (folder / f"{sid}.toml").write_text(
        text.replace(FIRST, sid).replace(f'client = "{CLIENT}"', f'client = "{client}"'))


@pytest.fixture
def home(backpain_home: Path) -> Path:
    shutil.copytree(GOLDEN / "sessions", backpain_home / "sessions")
    for client, sid in NUMERIC.items():
        copy_visit(backpain_home, client, sid)
    return backpain_home


run = invoke


def review_names(target: str) -> tuple[str, str]:
    """What `review TARGET` showed: ("client", name) or ("session", id)."""
    result = run("review", target, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    if doc["form"] == "client":
        return "client", doc["client"]
    return "session", doc["session"]["session"]


def export_names(target: str) -> str:
    """The session `export TARGET` exported (for a client: its latest completed visit)."""
    result = run("export", target, "--format", "json")
    assert result.exit_code == 0, result.output
    session: str = json.loads(result.stdout)["session"]
    return session


NOTE_MANY = ("backpain: note: 2026 is a client; 4 session ids also start with 2026 (for one "
             "of them use its full id)\n")
NOTE_ONE = (f"backpain: note: 20261029 is a client; for the session use its full id "
            f"{LATEST}\n")

# (what is typed, what review shows, what export exports, the note on stderr)
NAMED = [
    pytest.param("2026", ("client", "2026"), NUMERIC["2026"], NOTE_MANY,
                 id="client named like a prefix"),
    pytest.param("20261029", ("client", "20261029"), NUMERIC["20261029"], NOTE_ONE,
                 id="client named like one session's prefix"),
    pytest.param(LATEST, ("session", LATEST), LATEST, "", id="full id"),
    pytest.param(LATEST[:12], ("session", LATEST), LATEST, "", id="unique prefix"),
    pytest.param(SECOND[:10], ("session", SECOND), SECOND, "", id="unique prefix of an older"),
    pytest.param("jd-042", ("client", CLIENT), LATEST, "", id="case-insensitive client"),
    pytest.param(CLIENT, ("client", CLIENT), LATEST, "", id="client"),
]


@pytest.mark.parametrize(("target", "reviewed", "exported", "note"), NAMED)
def test_what_an_argument_names(home: Path, target: str, reviewed: tuple[str, str],
                                exported: str, note: str) -> None:
    assert review_names(target) == reviewed
    assert export_names(target) == exported
    # The note comes with both commands, and with the table as with --json.
    assert run("review", target, "--json").stderr == note
    assert run("review", target).stderr == note
    assert run("export", target, "--format", "md").stderr == note


ERRORS = [
    pytest.param("202610", f"session id '202610' is ambiguous: {SECOND}, {DRAFT}, {LATEST}; "
                           "give more of the id", id="ambiguous prefix"),
    pytest.param("JD-42", "no session or client 'JD-42' (did you mean JD-042?)",
                 id="unknown, did you mean"),
    pytest.param("ZZ-999", "no session or client 'ZZ-999' (run backpain review to list "
                           "sessions)", id="unknown"),
    pytest.param("20990101T000000Z-abcdef", "no session or client '20990101T000000Z-abcdef' "
                 "(run backpain review to list sessions)", id="unknown full id"),
    pytest.param("../etc", "no session or client '../etc' (run backpain review to list "
                           "sessions)", id="not a reference"),
]


@pytest.mark.parametrize("command", ["review", "export"])
@pytest.mark.parametrize(("target", "message"), ERRORS)
def test_what_names_nothing_is_one_line(home: Path, command: str, target: str,
                                        message: str) -> None:
    args = ["review", target] if command == "review" else ["export", target, "--format", "md"]
    result = run(*args)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"backpain: error: {message}\n"


@pytest.mark.parametrize(("option", "target", "message"), [
    ("--from", "2026", "--from takes a session id, not a client: 2026 is a client; 4 session "
                       "ids also start with 2026 (for one of them use its full id)"),
    ("--resume", "jd-042", "--resume takes a session id, not a client: JD-042 is a client; "
                           "list its sessions with: backpain review JD-042"),
    ("--from", "202610", f"session id '202610' is ambiguous: {SECOND}, {DRAFT}, {LATEST}; "
                         "give more of the id"),
    ("--resume", "2099", "no session with id '2099'"),
])
def test_assess_takes_sessions_by_the_same_rule(home: Path, option: str, target: str,
                                                message: str) -> None:
    result = run("assess", option, target, "--no-input")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"backpain: error: {message}\n"


def test_discard_takes_a_session_by_the_same_rule(home: Path) -> None:
    result = run("assess", "--discard", "20261029", "--yes")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"backpain: error: --discard takes a session id, not a client: "
                             f"20261029 is a client; for the session use its full id {LATEST}\n")
    draft = run("assess", "--discard", DRAFT[:12], "--yes")
    assert draft.exit_code == 0, draft.output
    assert not (home / "sessions" / CLIENT / f"{DRAFT}.toml").exists()


def test_a_client_stays_the_client_as_sessions_are_added(backpain_home: Path) -> None:
    """The bug of issue 12: with one session id starting with 2026, `review 2026` showed that
    session, and the client's history once a second one was saved."""
    copy_visit(backpain_home, "2026", NUMERIC["2026"])
    shown = []
    for sid in (FIRST, SECOND):
        copy_visit(backpain_home, CLIENT, sid)
        shown.append((review_names("2026"), export_names("2026")))
    assert shown == [(("client", "2026"), NUMERIC["2026"])] * 2


def test_a_client_folder_with_nothing_in_it(backpain_home: Path) -> None:
    (backpain_home / "sessions" / "EMPTY-1").mkdir(parents=True)
    review = run("review", "EMPTY-1")
    assert (review.exit_code, review.stdout) == (1, "")
    assert review.stderr == ("backpain: error: client EMPTY-1 has no sessions (run backpain "
                             "review to list sessions)\n")
    export = run("export", "EMPTY-1", "--format", "md")
    assert export.stderr == "backpain: error: client EMPTY-1 has no completed session to export\n"


# --------------------------------------------------------------------------- the functions


def test_resolve_returns_a_ref_or_a_client(home: Path) -> None:
    found = resolve(LATEST[:12])
    assert isinstance(found, SessionRef)
    assert (found.id, found.client) == (LATEST, CLIENT)
    assert resolve("JD-042") == ClientTarget(CLIENT)
    assert resolve("20261029") == ClientTarget(
        "20261029", f"20261029 is a client; for the session use its full id {LATEST}")
    with pytest.raises(NotFoundError) as empty:
        resolve("")
    assert str(empty.value) == "no session or client '' (give a session id or a client " \
                               "reference)"


def test_a_session_by_its_id_or_a_unique_prefix(home: Path) -> None:
    assert resolve_session(LATEST, "--from").client == CLIENT
    assert resolve_session("2026100", "--from").id == SECOND
    with pytest.raises(NotFoundError) as missing:
        resolve_session("2024", "--from")
    assert str(missing.value) == "no session with id '2024'"
    with pytest.raises(NotFoundError) as nothing:
        resolve_session("", "--from")
    assert str(nothing.value) == "no session with id ''"


@pytest.mark.parametrize(("text", "could"), [
    ("2", True), ("2026", True), ("20261127T", True), ("20261127T101503Z-", True),
    (LATEST, True), (LATEST + "0", False), ("2026T", False), ("20261127T101503Z-3F", False),
    ("JD-042", False), ("", False),
])
def test_what_could_start_a_session_id(text: str, could: bool) -> None:
    assert could_start_an_id(text) is could
