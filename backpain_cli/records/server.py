"""The practice's PostgreSQL database (`backpain sync`, `backpain db`; issue 23).

The files stay each computer's offline truth; the database is where computers meet. A
session id has one content: rows are inserted, never updated (no UPDATE is granted, and a
trigger refuses one even to the owner), and deleted only by a tombstone, whose trigger
deletes the session's rows. Every push, pull and erasure is written by the server itself
to an append-only audit table (`session_user`, time, action, session id; no health data).

Access: a practice is a group role registered in `backpain.practices`; a practitioner a
login role that is a member of exactly one of them. Row-level security keyed on
`pg_has_role(session_user, practice, 'MEMBER')` shows and accepts only the rows of the
practitioner's practice. A session's content is read only through `backpain.pull_sessions`
(a SECURITY DEFINER function that writes the audit rows of what it returns): practitioners
are granted its id, hash and dates, never its content column.

psycopg is imported here only, and only by the commands that connect.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import BackpainError
from ..frozen import frozen

if TYPE_CHECKING:
    import psycopg

SCHEMA = "backpain"
# How many rows go to the server in one transaction: each committed batch is kept if the
# sync is interrupted after it, and the memory a batch takes is bounded.
BATCH = 5_000


class DatabaseError(BackpainError):
    """The database cannot be reached, refused a command, or was lost part way (exit 1)."""


class NotAPractitionerError(DatabaseError):
    """The login role is in no registered practice, or in more than one."""


# --------------------------------------------------------------------------- the schema

# One row a version: `db upgrade` runs those the server has not run yet, each in a
# transaction of its own with its version number.
MIGRATIONS: tuple[tuple[int, str], ...] = ((1, """
CREATE SCHEMA backpain;
REVOKE ALL ON SCHEMA backpain FROM PUBLIC;
CREATE TABLE backpain.schema_version (
    version integer NOT NULL,
    applied timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE backpain.practices (
    role name PRIMARY KEY,
    registered timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE backpain.sessions (
    id text PRIMARY KEY CHECK (id ~ '^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$'),
    practice name NOT NULL REFERENCES backpain.practices,
    content bytea NOT NULL,
    sha256 text NOT NULL,
    created timestamptz NOT NULL,
    pushed_by name NOT NULL DEFAULT session_user,
    pushed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE backpain.addenda (
    session_id text NOT NULL REFERENCES backpain.sessions ON DELETE CASCADE,
    id text NOT NULL CHECK (id ~ '^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$'),
    practice name NOT NULL REFERENCES backpain.practices,
    content bytea NOT NULL,
    sha256 text NOT NULL,
    pushed_by name NOT NULL DEFAULT session_user,
    pushed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, id)
);
CREATE TABLE backpain.tombstones (
    session_id text PRIMARY KEY,
    practice name NOT NULL REFERENCES backpain.practices,
    forgotten_at timestamptz NOT NULL,
    forgotten_by name NOT NULL DEFAULT session_user,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE backpain.audit (
    seq bigserial PRIMARY KEY,
    "session_user" name NOT NULL DEFAULT session_user,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    action text NOT NULL CHECK (action IN ('push', 'pull', 'forget')),
    session_id text NOT NULL,
    addendum_id text
);

-- Nobody changes a stored session, an addendum or the audit, not even their owner.
CREATE FUNCTION backpain.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'backpain: rows of %.% are never changed', TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER no_update BEFORE UPDATE ON backpain.sessions
    FOR EACH ROW EXECUTE FUNCTION backpain.refuse_change();
CREATE TRIGGER no_update BEFORE UPDATE ON backpain.addenda
    FOR EACH ROW EXECUTE FUNCTION backpain.refuse_change();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON backpain.audit
    FOR EACH ROW EXECUTE FUNCTION backpain.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON backpain.audit
    FOR EACH STATEMENT EXECUTE FUNCTION backpain.refuse_change();

-- The audit rows are written by the server, as the tables' owner (SECURITY DEFINER),
-- for a whole statement at once: a push of 100,000 rows is one INSERT of its audit.
CREATE FUNCTION backpain.audit_sessions() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO backpain.audit (action, session_id) SELECT 'push', id FROM pushed;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_push AFTER INSERT ON backpain.sessions
    REFERENCING NEW TABLE AS pushed
    FOR EACH STATEMENT EXECUTE FUNCTION backpain.audit_sessions();
CREATE FUNCTION backpain.audit_addenda() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO backpain.audit (action, session_id, addendum_id)
        SELECT 'push', session_id, id FROM pushed;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_push AFTER INSERT ON backpain.addenda
    REFERENCING NEW TABLE AS pushed
    FOR EACH STATEMENT EXECUTE FUNCTION backpain.audit_addenda();

-- A tombstone erases its session's rows (practitioners have no DELETE) and says so.
CREATE FUNCTION backpain.erase_forgotten() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM backpain.sessions s USING forgotten f
        WHERE s.id = f.session_id AND s.practice = f.practice;
    INSERT INTO backpain.audit (action, session_id) SELECT 'forget', session_id FROM forgotten;
    RETURN NULL;
END $$;
CREATE TRIGGER erase AFTER INSERT ON backpain.tombstones
    REFERENCING NEW TABLE AS forgotten
    FOR EACH STATEMENT EXECUTE FUNCTION backpain.erase_forgotten();

-- The practices the connected login role is a member of.
CREATE FUNCTION backpain.my_practices() RETURNS SETOF name LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT p.role FROM backpain.practices p
    JOIN pg_catalog.pg_roles r ON r.rolname = p.role
    WHERE pg_has_role(session_user, r.oid, 'MEMBER') ORDER BY p.role
$$;

-- Content leaves the server only here, and each row that leaves is audited.
CREATE FUNCTION backpain.pull_sessions(wanted text[])
    RETURNS TABLE (session_id text, content bytea) LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO backpain.audit (action, session_id)
        SELECT 'pull', s.id FROM backpain.sessions s
        WHERE s.id = ANY (wanted) AND pg_has_role(session_user, s.practice, 'MEMBER');
    RETURN QUERY SELECT s.id, s.content FROM backpain.sessions s
        WHERE s.id = ANY (wanted) AND pg_has_role(session_user, s.practice, 'MEMBER');
END $$;
CREATE FUNCTION backpain.pull_addenda(sessions text[], ids text[])
    RETURNS TABLE (session_id text, addendum_id text, content bytea) LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO backpain.audit (action, session_id, addendum_id)
        SELECT 'pull', a.session_id, a.id
        FROM backpain.addenda a JOIN unnest(sessions, ids) w (s, i)
            ON a.session_id = w.s AND a.id = w.i
        WHERE pg_has_role(session_user, a.practice, 'MEMBER');
    RETURN QUERY SELECT a.session_id, a.id, a.content
        FROM backpain.addenda a JOIN unnest(sessions, ids) w (s, i)
            ON a.session_id = w.s AND a.id = w.i
        WHERE pg_has_role(session_user, a.practice, 'MEMBER');
END $$;
REVOKE ALL ON FUNCTION backpain.my_practices(), backpain.pull_sessions(text[]),
    backpain.pull_addenda(text[], text[]) FROM PUBLIC;

ALTER TABLE backpain.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE backpain.addenda ENABLE ROW LEVEL SECURITY;
ALTER TABLE backpain.tombstones ENABLE ROW LEVEL SECURITY;
CREATE POLICY member ON backpain.sessions
    USING (pg_has_role(session_user, practice, 'MEMBER'))
    WITH CHECK (pg_has_role(session_user, practice, 'MEMBER') AND pushed_by = session_user);
CREATE POLICY member ON backpain.addenda
    USING (pg_has_role(session_user, practice, 'MEMBER'))
    WITH CHECK (pg_has_role(session_user, practice, 'MEMBER') AND pushed_by = session_user
                AND EXISTS (SELECT 1 FROM backpain.sessions s
                            WHERE s.id = session_id AND s.practice = addenda.practice));
CREATE POLICY member ON backpain.tombstones
    USING (pg_has_role(session_user, practice, 'MEMBER'))
    WITH CHECK (pg_has_role(session_user, practice, 'MEMBER')
                AND forgotten_by = session_user);
"""),)

LATEST = MIGRATIONS[-1][0]

# What a registered practice's members may do: read the rows' ids, hashes and dates, add
# sessions, addenda and tombstones, and pull content through the audited functions.
GRANTS = """
GRANT USAGE ON SCHEMA backpain TO {role};
GRANT SELECT ON backpain.schema_version TO {role};
GRANT SELECT (id, practice, sha256, created, pushed_by, pushed_at),
      INSERT (id, practice, content, sha256, created) ON backpain.sessions TO {role};
GRANT SELECT (session_id, id, practice, sha256, pushed_by, pushed_at),
      INSERT (session_id, id, practice, content, sha256) ON backpain.addenda TO {role};
GRANT SELECT, INSERT (session_id, practice, forgotten_at) ON backpain.tombstones TO {role};
GRANT EXECUTE ON FUNCTION backpain.my_practices(), backpain.pull_sessions(text[]),
      backpain.pull_addenda(text[], text[]) TO {role};
"""


# --------------------------------------------------------------------------- connecting


def _psycopg() -> Any:
    try:
        # The [pg] extra: only `sync` and `db` connect.
        import psycopg
    except ImportError:
        raise DatabaseError("backpain sync and backpain db need PostgreSQL support: pip "
                            "install 'backpain[pg]'") from None
    return psycopg


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@contextlib.contextmanager
def connect(url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection to the database `url` names (libpq finds its password itself); any
    error of the connection or the server, also part way, is one DatabaseError line."""
    psycopg = _psycopg()
    try:
        conn = psycopg.connect(url, autocommit=True, application_name="backpain",
                               connect_timeout=15)
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot connect to the database: {first_line(exc)}") from None
    try:
        with conn:
            yield conn
    except psycopg.errors.InsufficientPrivilege as exc:
        raise DatabaseError(f"the database refused: {first_line(exc)}") from None
    except psycopg.OperationalError as exc:
        raise DatabaseError(f"the connection to the database was lost ({first_line(exc)}); "
                            "nothing is lost: run the command again") from None
    except psycopg.Error as exc:
        raise DatabaseError(f"the database refused: {first_line(exc)}") from None


def where(conn: psycopg.Connection[Any]) -> str:
    """The database as a practitioner names it: user@host:port/dbname."""
    info = conn.info
    return f"{info.user}@{info.host}:{info.port}/{info.dbname}"


# --------------------------------------------------------------------------- the schema's life


def version(conn: psycopg.Connection[Any]) -> int | None:
    """The schema's version on the server, or None when `db init` has not run."""
    row = conn.execute("SELECT to_regclass('backpain.schema_version') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return None
    row = conn.execute("SELECT max(version) FROM backpain.schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def upgrade(conn: psycopg.Connection[Any]) -> list[int]:
    """Run the migrations the server has not run yet; the versions run."""
    done: list[int] = []
    # Two administrators at once: the second waits, then finds nothing left to run.
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('backpain schema'))")
        current = version(conn) or 0
        for number, sql in MIGRATIONS:
            if number <= current:
                continue
            conn.execute(sql)
            conn.execute("INSERT INTO backpain.schema_version (version) VALUES (%s)",
                         (number,))
            done.append(number)
    return done


def register(conn: psycopg.Connection[Any], roles: Sequence[str]) -> list[str]:
    """Register group roles as practices (granting them what members need); the roles that
    were not registered before."""
    # The [pg] extra, as above.
    from psycopg import sql

    added: list[str] = []
    with conn.transaction():
        for role in roles:
            row = conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s",
                               (role,)).fetchone()
            if row is None:
                raise DatabaseError(f"no role {role!r} on the server: create it first "
                                    f"(CREATE ROLE {role}; GRANT {role} TO <practitioner>;)")
            if row[0]:
                raise DatabaseError(f"{role!r} is a login role: a practice is a group role "
                                    "(CREATE ROLE ... NOLOGIN) its practitioners are members of")
            for statement in GRANTS.strip().split(";\n"):
                conn.execute(sql.SQL(statement.strip().rstrip(";")).format(
                    role=sql.Identifier(role)))
            cur = conn.execute("INSERT INTO backpain.practices (role) VALUES (%s) "
                               "ON CONFLICT DO NOTHING", (role,))
            if cur.rowcount:
                added.append(role)
    return added


def practices(conn: psycopg.Connection[Any]) -> list[str]:
    return [r[0] for r in conn.execute("SELECT role FROM backpain.practices ORDER BY role")]


def has_schema(conn: psycopg.Connection[Any]) -> tuple[bool, bool]:
    """Whether the database holds the backpain schema, and whether this role may use it."""
    row = conn.execute(
        "SELECT n IS NOT NULL, n IS NOT NULL AND has_schema_privilege(n, 'USAGE') "
        "FROM to_regnamespace('backpain') AS n").fetchone()
    return (bool(row[0]), bool(row[1])) if row else (False, False)


def my_practice(conn: psycopg.Connection[Any]) -> str:
    """The one registered practice the login role is a member of."""
    exists, usable = has_schema(conn)
    if not exists:
        raise DatabaseError(f"the database {where(conn)} holds no backpain schema: its "
                            "administrator runs backpain db init --practice ROLE")
    # A role granted no registered practice is granted nothing in the schema either.
    mine = [r[0] for r in conn.execute("SELECT backpain.my_practices()")] if usable else []
    user = conn.info.user
    if not mine:
        raise NotAPractitionerError(
            f"the login role {user!r} is a member of no registered practice: the database's "
            "administrator grants it one (GRANT practice_role TO ...)")
    if len(mine) > 1:
        raise NotAPractitionerError(
            f"the login role {user!r} is a member of {len(mine)} practices ({', '.join(mine)})"
            ": sync needs a login role of exactly one, so that each session has one practice")
    return str(mine[0])


# --------------------------------------------------------------------------- what it holds


@frozen
class Holding:
    """What the server holds of the practice, by ids alone (no content, no hashes: a row
    is never changed, so an id once found in step stays so until it is forgotten)."""

    sessions: set[str]
    addenda: set[tuple[str, str]]
    tombstones: frozenset[str]


def holding(conn: psycopg.Connection[Any]) -> Holding:
    sessions = {r[0] for r in conn.execute("SELECT id FROM backpain.sessions")}
    addenda = {(s, a) for s, a in conn.execute("SELECT session_id, id FROM backpain.addenda")}
    tombstones = frozenset(r[0] for r in conn.execute(
        "SELECT session_id FROM backpain.tombstones"))
    return Holding(sessions, addenda, tombstones)


def session_hashes(conn: psycopg.Connection[Any], ids: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(ids), PULL_BATCH):
        found.update(conn.execute("SELECT id, sha256 FROM backpain.sessions "
                                  "WHERE id = ANY(%s)", (list(ids[start:start + PULL_BATCH]),)))
    return found


def addendum_hashes(conn: psycopg.Connection[Any], keys: Sequence[tuple[str, str]]
                    ) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for start in range(0, len(keys), PULL_BATCH):
        part = keys[start:start + PULL_BATCH]
        found.update(((s, a), h) for s, a, h in conn.execute(
            "SELECT a.session_id, a.id, a.sha256 FROM backpain.addenda a "
            "JOIN unnest(%s::text[], %s::text[]) w (s, i) ON a.session_id = w.s AND a.id = w.i",
            ([k[0] for k in part], [k[1] for k in part])))
    return found


@frozen
class Stored:
    """A row the server holds, to name it in a conflict."""

    sha256: str
    pushed_by: str
    pushed_at: dt.datetime


def stored_sessions(conn: psycopg.Connection[Any], ids: Sequence[str]) -> dict[str, Stored]:
    return {i: Stored(h, b, t) for i, h, b, t in conn.execute(
        "SELECT id, sha256, pushed_by, pushed_at FROM backpain.sessions WHERE id = ANY(%s)",
        (list(ids),))}


# --------------------------------------------------------------------------- pushing


@frozen
class Outgoing:
    """A session or an addendum (addendum set) to push: its bytes as on disk."""

    session: str
    addendum: str | None
    content: bytes
    sha256: str
    created: dt.datetime | None = None


class Sent(NamedTuple):
    """What is kept of a row once it is on its way: no content (memory stays flat)."""

    session: str
    addendum: str | None
    sha256: str


def push(conn: psycopg.Connection[Any], practice: str, rows: Iterable[Outgoing]
         ) -> Iterator[tuple[list[Sent], set[tuple[str, str | None]]]]:
    """Push `rows` (sessions first, then addenda) in batches of BATCH, each in one
    transaction: streamed by COPY into a temporary table (no content is held here), then
    one INSERT ... SELECT ... ON CONFLICT DO NOTHING (a row already there, pushed by
    another computer at the same moment, is stored once). Yields each committed batch and
    which of its rows the server now holds with the same hash; the others are conflicts,
    or were refused (a tombstone, another practice's id)."""
    for is_session, run in itertools.groupby(rows, key=lambda r: r.addendum is None):
        while True:
            # Each chunk is sent whole before the next is taken from the same run.
            chunk = itertools.islice(run, BATCH)  # noqa: B031
            first = next(chunk, None)
            if first is None:
                break
            yield _push_batch(conn, practice, is_session, itertools.chain([first], chunk))


def _push_batch(conn: psycopg.Connection[Any], practice: str, sessions: bool,
                rows: Iterator[Outgoing]
                ) -> tuple[list[Sent], set[tuple[str, str | None]]]:
    sent: list[Sent] = []
    same: set[tuple[str, str | None]] = set()
    with conn.transaction(), conn.cursor() as cur:
        if sessions:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS incoming_sessions (id text, "
                        "content bytea, sha256 text, created timestamptz) "
                        "ON COMMIT DELETE ROWS")
            with cur.copy("COPY incoming_sessions FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["text", "bytea", "text", "timestamptz"])
                for r in rows:
                    copy.write_row((r.session, r.content, r.sha256, r.created))
                    sent.append(Sent(r.session, None, r.sha256))
            cur.execute(
                "INSERT INTO backpain.sessions (id, practice, content, sha256, created) "
                "SELECT i.id, %s, i.content, i.sha256, i.created FROM incoming_sessions i "
                "WHERE NOT EXISTS (SELECT 1 FROM backpain.tombstones t "
                "WHERE t.session_id = i.id) ON CONFLICT (id) DO NOTHING", (practice,))
            cur.execute("SELECT i.id FROM incoming_sessions i JOIN backpain.sessions s "
                        "ON s.id = i.id AND s.sha256 = i.sha256")
            same.update((r[0], None) for r in cur)
        else:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS incoming_addenda (session_id text, "
                        "id text, content bytea, sha256 text) ON COMMIT DELETE ROWS")
            with cur.copy("COPY incoming_addenda FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["text", "text", "bytea", "text"])
                for r in rows:
                    copy.write_row((r.session, r.addendum, r.content, r.sha256))
                    sent.append(Sent(r.session, r.addendum, r.sha256))
            cur.execute(
                "INSERT INTO backpain.addenda (session_id, id, practice, content, sha256) "
                "SELECT i.session_id, i.id, %s, i.content, i.sha256 FROM incoming_addenda i "
                "WHERE EXISTS (SELECT 1 FROM backpain.sessions s WHERE s.id = i.session_id) "
                "ON CONFLICT (session_id, id) DO NOTHING", (practice,))
            cur.execute("SELECT i.session_id, i.id FROM incoming_addenda i "
                        "JOIN backpain.addenda a ON a.session_id = i.session_id "
                        "AND a.id = i.id AND a.sha256 = i.sha256")
            same.update((r[0], r[1]) for r in cur)
    return sent, same


def send_tombstones(conn: psycopg.Connection[Any], practice: str,
                    tombstones: Sequence[tuple[str, dt.datetime]]) -> None:
    """Record erasures on the server (its trigger deletes the rows and audits it)."""
    if not tombstones:
        return
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO backpain.tombstones (session_id, practice, forgotten_at) "
            "VALUES (%s, %s, %s) ON CONFLICT (session_id) DO NOTHING",
            [(sid, practice, when) for sid, when in tombstones])


# --------------------------------------------------------------------------- pulling


PULL_BATCH = 500


def pull_sessions(conn: psycopg.Connection[Any], ids: Sequence[str]
                  ) -> Iterator[tuple[str, bytes]]:
    """The content of the sessions `ids`, a few hundred at a time (memory stays flat)."""
    for start in range(0, len(ids), PULL_BATCH):
        part = list(ids[start:start + PULL_BATCH])
        yield from ((sid, bytes(content)) for sid, content in conn.execute(
            "SELECT * FROM backpain.pull_sessions(%s)", (part,)))


def pull_addenda(conn: psycopg.Connection[Any], keys: Sequence[tuple[str, str]]
                 ) -> Iterator[tuple[str, str, bytes]]:
    for start in range(0, len(keys), PULL_BATCH):
        part = keys[start:start + PULL_BATCH]
        yield from ((sid, aid, bytes(content)) for sid, aid, content in conn.execute(
            "SELECT * FROM backpain.pull_addenda(%s, %s)",
            ([k[0] for k in part], [k[1] for k in part])))


def counts(conn: psycopg.Connection[Any]) -> tuple[int, int, int]:
    """Sessions, addenda and tombstones the practice has on the server."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM backpain.sessions), "
        "(SELECT count(*) FROM backpain.addenda), "
        "(SELECT count(*) FROM backpain.tombstones)").fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])
