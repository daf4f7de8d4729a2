"""`backpain sync` and `backpain db` against a real PostgreSQL server (issue 23).

Two computers are two data folders (each with its own settings file) against one throwaway
cluster (tests/pgserver.py), started once per test process; each test gets an empty
database and its own roles. Without PostgreSQL's programs the tests skip and say why.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pgserver
import pytest
import tomli_w
from helpers import invoke, list_refs
from typer.testing import Result

from backpain_cli.records import paths, storage

WHY = pgserver.missing()
pytestmark = pytest.mark.skipif(WHY is not None, reason=WHY or "")

PASSWORDS = {"anna": "anna-Pw-7f3e1", "ben": "ben-Pw-09c2d", "carla": "carla-Pw-55e1a",
             "dora": "dora-Pw-1b2c3", "eve": "eve-Pw-8d8d8"}


@pytest.fixture(scope="session")
def cluster() -> Iterator[pgserver.Cluster]:
    with pgserver.cluster() as made:
        yield made


@dataclasses.dataclass
class Computer:
    """One practitioner's computer: a data folder and a settings file naming the database."""

    user: str
    home: Path
    config: Path
    url: str

    @property
    def env(self) -> dict[str, str]:
        return {"BACKPAIN_HOME": str(self.home), "BACKPAIN_CONFIG": str(self.config),
                "PGPASSWORD": PASSWORDS.get(self.user, ""),
                # Never the tester's own libpq files.
                "PGPASSFILE": str(self.home.parent / "no-pgpass"),
                "PGSERVICEFILE": str(self.home.parent / "no-service")}

    def run(self, *args: str | Path) -> Result:
        return invoke(*args, env=self.env)

    def files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted((self.home / "sessions").glob("*/*"))}


@pytest.fixture
def server(cluster: pgserver.Cluster) -> pgserver.Cluster:
    """An empty database with practice `physio` (anna and ben), practice `massage` (carla),
    dora in both and eve in none; the schema made by `backpain db init` as the
    administrator."""
    cluster.reset()
    for group in ("physio", "massage"):
        cluster.group(group)
    for user, groups in (("anna", ["physio"]), ("ben", ["physio"]), ("carla", ["massage"]),
                         ("dora", ["physio", "massage"]), ("eve", [])):
        cluster.practitioner(user, PASSWORDS[user], groups)
    return cluster


@pytest.fixture
def admin(server: pgserver.Cluster, tmp_path: Path) -> Computer:
    computer = make_computer(server, tmp_path, "admin", pgserver.ADMIN)
    result = computer.run("db", "init", "--practice", "physio", "--practice", "massage")
    assert result.exit_code == 0, result.output
    return computer


def make_computer(server: pgserver.Cluster, tmp_path: Path, name: str, user: str,
                  url: str | None = None) -> Computer:
    folder = tmp_path / name
    config = folder / "config.toml"
    config.parent.mkdir(parents=True)
    computer = Computer(user, folder / "data", config, url or server.url(user))
    config.write_text(tomli_w.dumps({"database_url": computer.url}), encoding="utf-8")
    return computer


@pytest.fixture
def computers(admin: Computer, server: pgserver.Cluster, tmp_path: Path
              ) -> dict[str, Computer]:
    return {name: make_computer(server, tmp_path, name, user) for name, user in (
        ("laptop", "anna"), ("desk", "ben"), ("other", "carla"), ("both", "dora"),
        ("none", "eve"))}


@pytest.fixture
def visit(write_answers: Any, complete_answers: dict[str, object]) -> Any:
    """`visit(computer, client)`: a completed session saved there by `assess`; its id."""

    def make(computer: Computer, client: str = "JD-042") -> str:
        answers = write_answers(complete_answers, client=client,
                                name=f"answers-{client}.toml")
        result = computer.run("assess", "--answers", answers, "--no-input", "--json")
        assert result.exit_code == 0, result.output
        import json

        return str(json.loads(result.stdout)["session"])

    return make


def draft_of(computer: Computer, session_id: str) -> str:
    """A draft saved beside a completed session (its answers, no plan)."""
    [ref] = [r for r in list_refs(computer.home) if r.id == session_id]
    session = storage.read_ref(ref)
    draft = dataclasses.replace(session, id=paths.new_session_id(), status="draft", plan=None)
    saved, _ = storage.save_session(draft, root=computer.home, new=True)
    return saved.id


def audit(server: pgserver.Cluster) -> list[tuple[str, str, str]]:
    with server.admin() as conn:
        return [(r[0], r[1], r[2]) for r in conn.execute(
            'SELECT "session_user", action, session_id FROM backpain.audit ORDER BY seq')]


# --------------------------------------------------------------------------- push and pull


def test_two_computers_share_sessions_and_notes_but_not_drafts(
        computers: dict[str, Computer], visit: Any, server: pgserver.Cluster) -> None:
    laptop, desk = computers["laptop"], computers["desk"]
    first = visit(laptop)
    draft = draft_of(laptop, first)
    assert laptop.run("note", first, "Sitting tolerance 20 minutes.").exit_code == 0
    second = visit(desk, "AB-7")

    pushed = laptop.run("sync")
    assert pushed.exit_code == 0, pushed.output
    assert "sent: 1 session, 1 addendum" in pushed.stderr
    both = desk.run("sync")
    assert both.exit_code == 0, both.output
    assert "sent: 1 session, 0 addenda" in both.stderr
    assert "fetched: 1 session, 1 addendum" in both.stderr
    assert laptop.run("sync").exit_code == 0

    # The same files byte for byte on both computers, the draft on its own computer only.
    assert laptop.files() == {**desk.files(), f"{draft}.toml": laptop.files()[f"{draft}.toml"]}
    assert {first, second} <= {r.id for r in list_refs(desk.home)}
    # The pulled session is an ordinary session: listed, reviewed, its note with it.
    listing = desk.run("review", "--json", "--limit", "0")
    assert listing.exit_code == 0, listing.output
    assert first in listing.stdout
    shown = desk.run("review", first)
    assert shown.exit_code == 0, shown.output
    assert "Sitting tolerance 20 minutes." in shown.stdout
    mode = os.stat(desk.home / "sessions" / "JD-042" / f"{first}.toml").st_mode & 0o777
    assert mode == 0o600
    # A note added later travels on its own: the session is not sent again.
    assert laptop.run("note", first, "Walked 2 km without pain.").exit_code == 0
    later = laptop.run("sync")
    assert "sent: 0 sessions, 1 addendum" in later.stderr, later.output
    fetched = desk.run("sync")
    assert "fetched: 0 sessions, 1 addendum" in fetched.stderr, fetched.output
    assert "Walked 2 km without pain." in desk.run("review", first).stdout
    # A sync with nothing to do does nothing.
    again = desk.run("sync")
    assert again.exit_code == 0
    assert "sent: 0 sessions, 0 addenda" in again.stderr
    assert "fetched: 0 sessions, 0 addenda" in again.stderr
    with server.admin() as conn:
        assert conn.execute("SELECT count(*) FROM backpain.sessions").fetchone() == (2,)


def test_dry_run_changes_nothing_anywhere(computers: dict[str, Computer], visit: Any) -> None:
    laptop, desk = computers["laptop"], computers["desk"]
    visit(laptop)
    assert laptop.run("sync").exit_code == 0
    visit(desk, "AB-7")
    before = desk.files()
    result = desk.run("sync", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "sent: 1 session, 0 addenda would be" in result.stderr
    assert "fetched: 1 session, 0 addenda would be" in result.stderr
    assert desk.files() == before
    assert not (desk.home / "sync").exists()


def test_a_conflict_names_both_places_and_changes_neither(
        computers: dict[str, Computer], visit: Any) -> None:
    laptop, desk = computers["laptop"], computers["desk"]
    sid = visit(laptop)
    assert laptop.run("sync").exit_code == 0
    assert desk.run("sync").exit_code == 0
    [path] = (desk.home / "sessions").glob(f"*/{sid}.toml")
    changed = path.read_bytes().replace(b'status = "completed"', b'status = "completed" ')
    # Another copy of the same id, with other content (a restored, edited backup).
    desk_copy = make_computer_copy(desk, path, changed)
    result = desk_copy.run("sync")
    assert result.exit_code == 1
    assert (f"  conflict: session {sid}: here {path}; there "
            f"{server_place(desk)}, pushed by anna at ") in result.stderr
    assert result.stderr.endswith("backpain: error: 1 session id has other content on the "
                                  "database than here (named above); neither copy was "
                                  "changed\n")
    assert path.read_bytes() == changed
    assert laptop.run("sync").exit_code == 0
    assert next((laptop.home / "sessions").glob(f"*/{sid}.toml")).read_bytes() != changed


def make_computer_copy(computer: Computer, path: Path, content: bytes) -> Computer:
    """The same computer after its sync state was lost and a file came back changed."""
    import shutil

    shutil.rmtree(computer.home / "sync")
    path.write_bytes(content)
    return computer


def server_place(computer: Computer) -> str:
    port = computer.url.split(":")[2].split("/")[0]
    return f"the database {computer.user}@127.0.0.1:{port}/backpain"


# --------------------------------------------------------------------------- erasure


def test_a_forgotten_session_is_erased_everywhere_and_never_comes_back(
        computers: dict[str, Computer], visit: Any, server: pgserver.Cluster) -> None:
    laptop, desk = computers["laptop"], computers["desk"]
    sid = visit(laptop)
    kept = visit(laptop, "AB-7")
    assert laptop.run("note", sid, "A note that goes with it.").exit_code == 0
    assert laptop.run("sync").exit_code == 0
    assert desk.run("sync").exit_code == 0
    assert (desk.home / "sessions" / "JD-042").exists()

    # Forgotten on the desk computer: its sync sends the tombstone, the server erases.
    assert desk.run("forget", sid, "--yes").exit_code == 0
    sent = desk.run("sync")
    assert sent.exit_code == 0, sent.output
    assert "erasures sent: 1" in sent.stderr
    with server.admin() as conn:
        assert conn.execute("SELECT id FROM backpain.sessions").fetchall() == [(kept,)]
        assert conn.execute("SELECT count(*) FROM backpain.addenda").fetchone() == (0,)
        assert conn.execute("SELECT session_id, forgotten_by FROM backpain.tombstones"
                            ).fetchall() == [(sid, "ben")]
    # The laptop still had it: its next sync erases it (file, note, index row) and does
    # not push it back.
    back = laptop.run("sync")
    assert back.exit_code == 0, back.output
    assert "erased here (forgotten elsewhere): 1" in back.stderr
    assert "sent: 0 sessions" in back.stderr
    assert not list((laptop.home / "sessions").glob(f"*/{sid}*"))
    listing = laptop.run("review", "--json", "--limit", "0")
    assert sid not in listing.stdout and kept in listing.stdout
    with server.admin() as conn:
        assert conn.execute("SELECT count(*) FROM backpain.sessions WHERE id = %s",
                            (sid,)).fetchone() == (0,)
    assert ("ben", "forget", sid) in audit(server)


def test_forget_records_ids_when_and_by_whom_only(computers: dict[str, Computer],
                                                 visit: Any) -> None:
    laptop = computers["laptop"]
    sid = visit(laptop)
    other = visit(laptop, "AB-7")
    laptop.config.write_text(laptop.config.read_text() + 'practitioner = "A. Jensen"\n')
    assert laptop.run("forget", "JD-042", "--yes").exit_code == 0
    import sqlite3

    with contextlib.closing(sqlite3.connect(laptop.home / "sync" / "state.sqlite3")) as db:
        rows = db.execute("SELECT * FROM tombstones").fetchall()
    assert [(r[0], r[2], r[3]) for r in rows] == [(sid, "A. Jensen", 0)]
    assert dt.datetime.fromisoformat(rows[0][1]).tzinfo is not None
    assert os.stat(laptop.home / "sync" / "state.sqlite3").st_mode & 0o777 == 0o600
    assert os.stat(laptop.home / "sync").st_mode & 0o777 == 0o700
    assert other in {r.id for r in list_refs(laptop.home)}


def test_a_session_forgotten_before_it_was_pushed_is_never_pushed(
        computers: dict[str, Computer], visit: Any, server: pgserver.Cluster,
        tmp_path: Path) -> None:
    laptop, desk = computers["laptop"], computers["desk"]
    sid = visit(laptop)
    # A copy of the laptop's folder on the desk computer (the practice copied it over).
    import shutil

    shutil.copytree(laptop.home, desk.home)
    assert laptop.run("forget", sid, "--yes").exit_code == 0
    assert laptop.run("sync").exit_code == 0
    result = desk.run("sync")
    assert result.exit_code == 0, result.output
    assert "sent: 0 sessions" in result.stderr
    assert not list((desk.home / "sessions").glob(f"*/{sid}*"))
    with server.admin() as conn:
        assert conn.execute("SELECT count(*) FROM backpain.sessions").fetchone() == (0,)


# --------------------------------------------------------------------------- access


def test_two_practices_cannot_see_each_others_sessions(
        computers: dict[str, Computer], visit: Any, server: pgserver.Cluster) -> None:
    laptop, other = computers["laptop"], computers["other"]
    mine = visit(laptop)
    theirs = visit(other, "MS-1")
    assert laptop.run("sync").exit_code == 0
    assert other.run("sync").exit_code == 0
    assert laptop.run("sync").exit_code == 0
    assert {r.id for r in list_refs(laptop.home)} == {mine}
    assert {r.id for r in list_refs(other.home)} == {theirs}
    import psycopg

    with psycopg.connect(laptop.url, password=PASSWORDS["anna"]) as conn:
        assert conn.execute("SELECT id FROM backpain.sessions").fetchall() == [(mine,)]
        # Content only through the audited function, and only the practice's.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT content FROM backpain.sessions")
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM backpain.pull_sessions(%s)",
                            ([theirs],)).fetchone() == (0,)
        # A row claimed for the other practice is refused.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO backpain.sessions (id, practice, content, sha256, "
                          "created) VALUES ('20260101T000000Z-000001', 'massage', '', '', "
                          "now())")


@pytest.mark.parametrize(("name", "message"), [
    ("none", "backpain: error: the login role 'eve' is a member of no registered practice: "
             "the database's administrator grants it one (GRANT practice_role TO ...)\n"),
    ("both", "backpain: error: the login role 'dora' is a member of 2 practices (massage, "
             "physio): sync needs a login role of exactly one, so that each session has one "
             "practice\n"),
])
def test_a_login_role_in_no_practice_or_in_two_is_refused(
        computers: dict[str, Computer], visit: Any, name: str, message: str) -> None:
    computer = computers[name]
    visit(computer)
    result = computer.run("sync")
    assert result.exit_code == 1
    assert result.stderr == message


def test_db_status_of_a_login_role_in_no_practice_says_so(computers: dict[str, Computer]
                                                          ) -> None:
    result = computers["none"].run("db", "status")
    assert result.exit_code == 1
    assert result.stderr.startswith("backpain: error: the login role 'eve' is a member of no "
                                    "registered practice")


def test_nobody_changes_a_stored_session_or_the_audit(
        computers: dict[str, Computer], visit: Any, server: pgserver.Cluster) -> None:
    laptop = computers["laptop"]
    sid = visit(laptop)
    assert laptop.run("sync").exit_code == 0
    assert audit(server) == [("anna", "push", sid)]
    import psycopg

    with psycopg.connect(laptop.url, password=PASSWORDS["anna"], autocommit=True) as conn:
        for statement in ("UPDATE backpain.sessions SET sha256 = 'x'",
                          "DELETE FROM backpain.sessions",
                          "UPDATE backpain.audit SET action = 'pull'",
                          "DELETE FROM backpain.audit",
                          "INSERT INTO backpain.audit (action, session_id) VALUES "
                          "('push', 'x')",
                          "TRUNCATE backpain.audit"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    # Not even the owner.
    with server.admin() as conn:
        for statement in ("UPDATE backpain.sessions SET sha256 = 'x'",
                          "UPDATE backpain.audit SET action = 'pull'",
                          "DELETE FROM backpain.audit"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    assert audit(server) == [("anna", "push", sid)]


def test_every_pull_is_audited_without_health_data(
        computers: dict[str, Computer], visit: Any, server: pgserver.Cluster) -> None:
    laptop, desk = computers["laptop"], computers["desk"]
    sid = visit(laptop)
    assert laptop.run("sync").exit_code == 0
    assert desk.run("sync").exit_code == 0
    assert audit(server) == [("anna", "push", sid), ("ben", "pull", sid)]
    with server.admin() as conn:
        columns = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "'backpain' AND table_name = 'audit' ORDER BY ordinal_position")]
    assert columns == ["seq", "session_user", "at", "action", "session_id", "addendum_id"]


# --------------------------------------------------------------------------- secrets, TLS


def test_the_password_is_never_written_to_disk_by_backpain(
        computers: dict[str, Computer], visit: Any, tmp_path: Path) -> None:
    laptop, desk = computers["laptop"], computers["desk"]
    visit(laptop)
    for computer in (laptop, desk):
        assert computer.run("sync").exit_code == 0
        assert computer.run("db", "status").exit_code == 0
    cache = Path(os.environ["BACKPAIN_CACHE"])
    for folder in (tmp_path, cache):
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert all(p.encode() not in data for p in PASSWORDS.values()), path


def test_tls_verify_full_with_the_practice_certificate(
        computers: dict[str, Computer], visit: Any, server: pgserver.Cluster,
        tmp_path: Path) -> None:
    ca = server.certs / "ca.crt"
    url = server.url("anna", sslmode="verify-full", host="localhost", sslrootcert=str(ca))
    laptop = make_computer(server, tmp_path, "tls", "anna", url)
    visit(laptop)
    result = laptop.run("sync")
    assert result.exit_code == 0, result.output
    import psycopg

    with psycopg.connect(url, password=PASSWORDS["anna"]) as conn:
        assert conn.info.pgconn.ssl_in_use
    # A certificate not signed by the practice's CA is refused, nothing sent.
    wrong = server.url("anna", sslmode="verify-full", host="localhost",
                       sslrootcert=str(server.certs / "other.crt"))
    refused = make_computer(server, tmp_path, "tls-wrong", "anna", wrong)
    visit(refused, "AB-7")
    result = refused.run("sync")
    assert result.exit_code == 1
    assert result.stderr.startswith("backpain: error: cannot connect to the database: ")
    assert "certificate verify failed" in result.stderr


def test_db_status_says_what_is_there_and_what_waits(
        computers: dict[str, Computer], visit: Any) -> None:
    laptop = computers["laptop"]
    visit(laptop)
    before = laptop.run("db", "status")
    assert before.exit_code == 0, before.output
    assert "your practice: physio" in before.stdout
    assert "waiting here: never synced" in before.stdout
    assert laptop.run("sync").exit_code == 0
    visit(laptop, "AB-7")
    after = laptop.run("db", "status")
    assert "sessions there: 1, addenda: 0, erasures: 0" in after.stdout
    assert "waiting here: 1 session file(s) not yet sent" in after.stdout


def test_db_init_twice_adds_practices_and_upgrade_has_nothing_to_do(
        admin: Computer, server: pgserver.Cluster) -> None:
    server.group("osteo")
    result = admin.run("db", "init", "--practice", "osteo")
    assert result.exit_code == 0, result.output
    assert result.stderr.endswith("schema version unchanged; practices registered: osteo\n")
    upgrade = admin.run("db", "upgrade")
    assert upgrade.exit_code == 0
    assert upgrade.stderr.endswith("schema version 1 is up to date\n")
    missing = admin.run("db", "init", "--practice", "nosuchrole")
    assert missing.exit_code == 1
    assert missing.stderr == ("backpain: error: no role 'nosuchrole' on the server: create it "
                              "first (CREATE ROLE nosuchrole; GRANT nosuchrole TO "
                              "<practitioner>;)\n")


def test_sync_without_a_database_url_says_how_to_set_one(tmp_path: Path) -> None:
    result = invoke("sync")
    assert result.exit_code == 1
    assert result.stderr == ("backpain: error: no database is set: backpain config set "
                             "database_url postgresql://USER@HOST/DBNAME (the password goes "
                             "in ~/.pgpass)\n")


# --------------------------------------------------------------------------- interruptions


def _sync_process(computer: Computer) -> subprocess.Popen[str]:
    env = {**os.environ, **computer.env}
    return subprocess.Popen([sys.executable, "-m", "backpain_cli", "sync"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _many(computer: Computer, visit: Any, count: int) -> set[str]:
    """`count` completed sessions: one by `assess`, the others copies of it with new ids."""
    first = visit(computer)
    [ref] = [r for r in list_refs(computer.home) if r.id == first]
    session = storage.read_ref(ref)
    ids = {first}
    for n in range(count - 1):
        copy = dataclasses.replace(session, id=paths.new_session_id(), client=f"PX-{n % 7}")
        saved, _ = storage.save_session(copy, root=computer.home, new=True)
        ids.add(saved.id)
    return ids


def _in_step(a: Computer, b: Computer, server: pgserver.Cluster, ids: set[str]) -> None:
    for computer in (a, b, a):
        result = computer.run("sync")
        assert result.exit_code == 0, result.output
    assert {r.id for r in list_refs(a.home)} == ids == {r.id for r in list_refs(b.home)}
    with server.admin() as conn:
        stored = [r[0] for r in conn.execute("SELECT id FROM backpain.sessions")]
    assert sorted(stored) == sorted(ids)


@pytest.mark.slow
def test_two_computers_syncing_at_once_store_each_session_once(
        computers: dict[str, Computer], visit: Any, server: pgserver.Cluster) -> None:
    laptop, desk = computers["laptop"], computers["desk"]
    ids = _many(laptop, visit, 60)
    import shutil

    shutil.copytree(laptop.home / "sessions", desk.home / "sessions")
    ids |= _many(desk, visit, 20)
    runs = [_sync_process(c) for c in (laptop, desk, laptop, desk)]
    for proc in runs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode in (0, 1), err
        # A sync that lost a race for the same file says so and the next one completes.
    _in_step(laptop, desk, server, ids)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3])
def test_a_sync_killed_at_any_moment_loses_nothing(
        computers: dict[str, Computer], visit: Any, server: pgserver.Cluster,
        delay: float) -> None:
    laptop, desk = computers["laptop"], computers["desk"]
    ids = _many(laptop, visit, 80)
    proc = _sync_process(laptop)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    pull = _sync_process(desk)
    time.sleep(delay / 2)
    pull.send_signal(signal.SIGKILL)
    pull.communicate(timeout=60)
    _in_step(laptop, desk, server, ids)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.1, 0.4, 0.8])
def test_the_server_stopped_mid_sync_loses_nothing(
        computers: dict[str, Computer], visit: Any, server: pgserver.Cluster,
        delay: float) -> None:
    laptop, desk = computers["laptop"], computers["desk"]
    ids = _many(laptop, visit, 80)
    proc = _sync_process(laptop)
    time.sleep(delay)
    server.stop("immediate")
    _, err = proc.communicate(timeout=60)
    server.start()
    if proc.returncode != 0:
        assert proc.returncode == 1
        assert err.count("\n") >= 1 and "Traceback" not in err
        assert err.splitlines()[-1].startswith("backpain: error: ")
    _in_step(laptop, desk, server, ids)


def test_many_batches_each_committed_and_every_row_stored_once(
        computers: dict[str, Computer], visit: Any, server: pgserver.Cluster,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from backpain_cli.records import server as database

    monkeypatch.setattr(database, "BATCH", 4)
    laptop, desk = computers["laptop"], computers["desk"]
    ids = _many(laptop, visit, 11)
    for sid in sorted(ids)[:5]:
        assert laptop.run("note", sid, "Seen again.").exit_code == 0
    result = laptop.run("sync")
    assert result.exit_code == 0, result.output
    assert "sent: 11 sessions, 5 addenda" in result.stderr
    pulled = desk.run("sync")
    assert "fetched: 11 sessions, 5 addenda" in pulled.stderr, pulled.output
    assert laptop.files() == desk.files()
    with server.admin() as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT id) FROM backpain.sessions"
                            ).fetchone() == (11, 11)
    assert sorted(r[2] for r in audit(server) if r[1] == "push" and r[0] == "anna") == \
        sorted([*ids, *sorted(ids)[:5]])
