"""The `database_url` setting of `backpain sync` (issue 23, item 1): a URL, key=value string
or service name, never one holding a password (libpq reads that from ~/.pgpass, a service
file or $PGPASSWORD)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import invoke

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
