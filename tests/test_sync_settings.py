"""The `database_url` setting of `backpain sync` (issue 23, item 1): a URL, key=value string
or service name, never one holding a password (libpq reads that from ~/.pgpass, a service
file or $PGPASSWORD)."""

from __future__ import annotations

from pathlib import Path

import pytest
from depth import examples
from helpers import invoke
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from backpain_cli.records import settings

REFUSED = ("database_url must not hold a password: keep it in ~/.pgpass, a service file "
           "(~/.pg_service.conf) or $PGPASSWORD, where PostgreSQL looks for it")


@pytest.mark.parametrize("value", [
    "postgresql://anna:s3cret@db.example/backpain",
    "postgres://anna:@db.example/backpain",
    "POSTGRESQL://anna:s3cret@db.example:5433/backpain?sslmode=verify-full",
    "postgresql://anna@db.example/backpain?sslmode=require&password=s3cret",
    "postgresql:///backpain?password=s3cret",
    "host=db.example dbname=backpain password=s3cret",
    "password = s3cret host=db.example",
])
def test_a_password_in_the_url_is_refused_with_one_line(backpain_config: Path,
                                                         value: str) -> None:
    result = invoke("config", "set", "database_url", value)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"backpain: usage error: {REFUSED}\n"
    assert not backpain_config.exists()


def test_a_password_put_in_the_file_by_hand_stops_every_command(backpain_config: Path) -> None:
    backpain_config.parent.mkdir(parents=True, exist_ok=True)
    backpain_config.write_text('database_url = "postgresql://a:b@h/d"\n', encoding="utf-8")
    result = invoke("config", "show")
    assert result.exit_code == 1
    assert result.stderr == f"backpain: error: {backpain_config}: {REFUSED}\n"


# What a URL's user or password may hold without ending that part (RFC 3986 userinfo).
_USERINFO = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                             "-._~!$&'()*+,;=%", min_size=1, max_size=20)


@hypothesis_settings(max_examples=examples(200))
@given(user=_USERINFO, password=st.one_of(st.just(""), _USERINFO),
       scheme=st.sampled_from(["postgresql", "postgres", "PostgreSQL"]),
       rest=st.sampled_from(["db.example/backpain", "db.example:5433/b?sslmode=require",
                             "/backpain", "[::1]/backpain"]))
def test_every_url_with_a_password_is_refused(user: str, password: str, scheme: str,
                                              rest: str) -> None:
    value = f"{scheme}://{user}:{password}@{rest}"
    assert settings_problem(value) == REFUSED.removeprefix("database_url ")


def settings_problem(value: str) -> str | None:
    return settings.value_problem("database_url", value)


@pytest.mark.parametrize("value", [
    "postgresql://anna@db.example/backpain?sslmode=verify-full",
    "postgresql:///backpain?host=/run/postgresql",
    "host=db.example dbname=backpain user=anna sslmode=verify-full",
    "service=physio-nord",
    # A user called "password" is a user name, not a password.
    "postgresql://password@db.example/backpain",
])
def test_a_url_without_a_password_is_kept(backpain_config: Path, value: str) -> None:
    result = invoke("config", "set", "database_url", value)
    assert result.exit_code == 0, result.output
    assert settings.load().get("database_url") == value


# Prints whether psycopg was imported, once the command has ended (whatever its exit).
RECORD = """\
import atexit, sys
atexit.register(lambda: sys.__stderr__.write(f"\\nPSYCOPG={'psycopg' in sys.modules}\\n"))
from backpain_cli.cli import main
sys.argv = ["backpain", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("args", [
    ["review"], ["review", "--json"], ["export", "--all", "--format", "csv"],
    ["questionnaires", "list"], ["config", "show"], ["where"],
])
def test_only_sync_and_db_load_the_database_driver(backpain_config: Path, tmp_path: Path,
                                                   args: list[str]) -> None:
    """With a database set, the other commands neither connect nor load psycopg."""
    import os
    import subprocess
    import sys

    backpain_config.parent.mkdir(parents=True, exist_ok=True)
    # An address nothing answers on: a command that tried to connect would hang or fail.
    backpain_config.write_text('database_url = "postgresql://anna@192.0.2.1/backpain"\n',
                               encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", RECORD, *args], env=os.environ.copy(),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.rstrip().endswith("PSYCOPG=False")


@pytest.mark.parametrize(("text", "status"), [
    ('schema = 3\nid = "x"\nstatus = "completed"\n\n[answers]\nq = 1\n', "completed"),
    ('schema = 3\nstatus = "draft"\n\n[answers]\nq = 1\n', "draft"),
    # Only the top level counts: an answer called status is not the session's status.
    ('schema = 3\nstatus = "draft"\n\n[answers]\nstatus = "completed"\n', "draft"),
    ('schema = 3\n\n[answers]\nstatus = "completed"\n', None),
    # Not as backpain writes it: not told, so not sent.
    ('schema = 3\nstatus="completed"\n', None),
    ('status = "completed"\nstatus = "draft"\n', None),
    ('status = "closed"\n', None),
    ("", None),
])
def test_a_session_is_sent_only_when_its_status_line_says_completed(
        text: str, status: str | None) -> None:
    from backpain_cli.records.replica import status_of

    assert status_of(text.encode()) == status
