"""`backpain review` (the listing) in a narrow terminal: session ids are never cut, the
client column is never dropped (a long reference wraps), other columns give way instead."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backpain_cli.cli.app import app
from backpain_cli.clinical.answers import validate
from backpain_cli.clinical.questionnaire import load_registry
from backpain_cli.flows import assess
from backpain_cli.records.paths import new_session_id
from backpain_cli.records.storage import save_session

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
LONG = "ABCDEFGHIJ-LONG-REFERENCE-0001"
# The table, as a terminal shows it (into a pipe, the listing is tab-separated rows).
pytestmark = pytest.mark.usefixtures("listing_as_table")


def save(answers: Mapping[str, object], client: str, minutes: int, *,
         instruments: str | None = None, draft: bool = False) -> str:
    registry = load_registry(None)
    st = assess.start(registry, client=client, answers_file=None, instruments=instruments)
    kept = dict(validate(st.modules, answers).answers)
    made = assess.draft(st, client, kept, set()) if draft \
        else assess.finish(st, client, kept, set())
    when = T0 + dt.timedelta(minutes=minutes)
    saved, _ = save_session(replace(made, id=new_session_id(when), created=when), new=True)
    return saved.id


@pytest.fixture
def sessions(complete_answers: dict[str, object], backpain_home: Path) -> dict[str, str]:
    """session id -> client: completed, emergency, draft, with ODI and RMDQ, a long client
    reference, and one unreadable file."""
    odi = {f"odi_{i}": 2 for i in range(1, 11)}
    rmdq = {f"rmdq_{i}": i % 2 == 0 for i in range(1, 25)}
    ids = {
        save(complete_answers, "JD-042", 1): "JD-042",
        save({**complete_answers, **odi, **rmdq}, LONG, 2, instruments="odi,rmdq"): LONG,
        save({"rf_saddle_numbness": True}, "AB", 3): "AB",
        save(dict(list(complete_answers.items())[:4]), LONG, 4, draft=True): LONG,
    }
    broken = backpain_home / "sessions" / "ZZ-9" / f"{new_session_id(T0)}.toml"
    broken.parent.mkdir(mode=0o700)
    broken.write_text("not = [toml", encoding="utf-8")
    ids[broken.stem] = "ZZ-9"
    return ids


def listing(columns: int) -> list[str]:
    result = CliRunner().invoke(app, ["review"], env={"COLUMNS": str(columns),
                                                      "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.stdout.split("\n\n")[0].splitlines()


# (columns, the header row's words): columns give way in this order as the width shrinks.
HEADERS: list[tuple[int, list[str]]] = [
    (100, ["ID", "Client", "Date", "(UTC)", "Status", "Triage", "NPRS", "STarT", "ODI", "%",
           "RMDQ"]),
    (80, ["ID", "/", "client", "Date", "(UTC)", "Status", "Triage", "NPRS", "STarT", "ODI",
          "%", "RMDQ"]),
    (70, ["ID", "/", "client", "Status", "Triage", "NPRS", "STarT", "ODI", "%", "RMDQ"]),
    (60, ["ID", "/", "client", "Triage", "NPRS", "STarT", "ODI", "%", "RMDQ"]),
]


@pytest.mark.parametrize(("columns", "header"), HEADERS, ids=[str(c) for c, _ in HEADERS])
def test_the_listing_keeps_ids_whole_and_every_client(sessions: dict[str, str],
                                                      columns: int, header: list[str]
                                                      ) -> None:
    table = listing(columns)
    assert table[1].split() == header
    assert all(len(line.rstrip()) <= columns for line in table), "\n".join(table)
    assert "…" not in "".join(table)
    rows = [line.split() for line in table[3:]]
    # Every id whole, at the start of its row, newest first.
    assert [r[0] for r in rows if r and r[0] in sessions] == sorted(sessions, reverse=True)
    # A long reference folds: its pieces follow each other down its column.
    column = "Client" if "Client" in header else "ID / client"
    left = table[1].index(column)
    right = table[1].index(header[header.index("client") + 1 if column != "Client"
                                  else header.index("Client") + 1])
    down = "".join(line[left:right].strip() for line in table[3:])
    for client in sessions.values():
        assert client in down


def test_a_draft_keeps_its_status_when_the_status_column_goes(sessions: dict[str, str]
                                                               ) -> None:
    rows = {line.split()[0]: line.split()[1:] for line in listing(60)[3:]
            if line.split() and line.split()[0] in sessions}
    statuses = sorted(cells[0] for cells in rows.values())
    assert statuses == ["draft", "emergency", "none", "none", "unreadable"]


def test_even_narrower_ids_and_clients_stay(sessions: dict[str, str]) -> None:
    table = listing(50)
    joined = "".join("".join(table).split())
    for sid, client in sessions.items():
        assert sid in joined and client in joined
    assert "Triage" in table[1]
