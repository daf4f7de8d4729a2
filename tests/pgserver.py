"""A throwaway PostgreSQL cluster for the sync tests and the sync benchmark (issue 23).

initdb into a temporary folder, listening on the loopback only (a free port) and on a unix
socket in a temporary folder of its own, with TLS on (a CA and a server certificate for
localhost made here with the openssl command). initdb refuses to run as root: as root the
cluster runs as `nobody` (runuser), its folders handed to that user.

The administrator role `admin` may connect from the loopback without a password; every
other role needs its password (SCRAM), as practitioners do on a practice's server.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ADMIN = "admin"
DATABASE = "backpain"


def bin_dir() -> Path | None:
    """Where initdb, pg_ctl and postgres are: $PG_BIN, else the newest of the
    distribution's /usr/lib/postgresql/*/bin, else the PATH's; None without them."""
    chosen = os.environ.get("PG_BIN")
    candidates = [chosen] if chosen else sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]),
        reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path and not chosen:
        candidates.append(str(Path(on_path).parent))
    for folder in candidates:
        if all((Path(folder) / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    return None


def missing() -> str | None:
    """Why the cluster cannot be made here, or None."""
    if bin_dir() is None:
        return ("PostgreSQL's server programs (initdb, pg_ctl) are not installed: apt-get "
                "install postgresql, or set PG_BIN")
    if shutil.which("openssl") is None:
        return "the openssl command is not installed (it makes the test certificates)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed: pip install 'backpain[pg]'"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self) -> None:
        found = bin_dir()
        assert found is not None
        self.bin = found
        self.root = Path(tempfile.mkdtemp(prefix="backpain-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.certs = self.root / "certs"
        self.port = _free_port()
        self.as_user: str | None = "nobody" if os.geteuid() == 0 else None
        for folder in (self.sockets, self.certs):
            folder.mkdir(mode=0o700)
        self._make_certificates()
        if self.as_user is not None:
            entry = pwd.getpwnam(self.as_user)
            os.chmod(self.root, 0o755)
            for path in (self.root, self.sockets, self.certs,
                         *self.certs.iterdir()):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", ADMIN, "-A", "trust", "--no-sync",
                  "-E", "UTF8", "--locale=C.UTF-8")
        (self.data / "pg_hba.conf").write_text(
            f"local all {ADMIN} trust\n"
            "local all all scram-sha-256\n"
            f"host all {ADMIN} 127.0.0.1/32 trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n", encoding="utf-8")
        self.start()
        with self.admin("postgres") as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")

    # ------------------------------------------------------------------ running

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_user is not None:
            command = ["runuser", "-u", self.as_user, "--", *command]
        proc = subprocess.run(command, capture_output=True, text=True, check=False,
                              cwd=self.root, timeout=120)
        if proc.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed ({proc.returncode}): {proc.stderr}\n{tail}")

    def start(self) -> None:
        # fsync off: only a crash of the machine loses what it wrote. Not
        # synchronous_commit=off, which would lose commits when a test stops the server
        # immediately (the roles made just before, too).
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} "
                   f"-c unix_socket_directories={self.sockets} -c fsync=off "
                   "-c full_page_writes=off "
                   f"-c ssl=on -c ssl_cert_file={self.certs / 'server.crt'} "
                   f"-c ssl_key_file={self.certs / 'server.key'} "
                   "-c password_encryption=scram-sha-256")
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-l",
                  str(self.root / "server.log"), "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-m", mode, "stop")

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def _make_certificates(self) -> None:
        def ssl(*args: str) -> None:
            subprocess.run(["openssl", *args], cwd=self.certs, check=True,
                           capture_output=True, timeout=60)

        ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
            "-subj", "/CN=backpain test CA")
        ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
        (self.certs / "san.ext").write_text(
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n", encoding="utf-8")
        ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext")
        # A second CA that signed nothing here: verify-full must refuse the server with it.
        ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", "other.key", "-out", "other.crt", "-days", "2",
            "-subj", "/CN=another CA")
        os.chmod(self.certs / "server.key", 0o600)

    # ------------------------------------------------------------------ using

    def url(self, user: str, *, database: str = DATABASE, sslmode: str = "disable",
            host: str = "127.0.0.1", **extra: str) -> str:
        query = "&".join([f"sslmode={sslmode}", *(f"{k}={v}" for k, v in extra.items())])
        return f"postgresql://{user}@{host}:{self.port}/{database}?{query}"

    @contextlib.contextmanager
    def admin(self, database: str = DATABASE) -> Iterator[Any]:
        import psycopg

        with psycopg.connect(self.url(ADMIN, database=database), autocommit=True) as conn:
            yield conn

    def practitioner(self, name: str, password: str, practices: Sequence[str]) -> None:
        """A login role with a password, a member of `practices` (made if missing)."""
        from psycopg import sql

        with self.admin() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(password)))
            for practice in practices:
                conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(practice),
                                                               sql.Identifier(name)))

    def group(self, name: str) -> None:
        from psycopg import sql

        with self.admin() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))

    def reset(self) -> None:
        """An empty database again (roles other than the administrator dropped)."""
        with self.admin("postgres") as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            roles = [r[0] for r in conn.execute(
                "SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' AND rolname <> %s",
                (ADMIN,))]
            for role in roles:
                conn.execute(f'DROP ROLE "{role}"')
            conn.execute(f"CREATE DATABASE {DATABASE}")


@contextlib.contextmanager
def cluster() -> Iterator[Cluster]:
    made = Cluster()
    try:
        yield made
    finally:
        made.close()
