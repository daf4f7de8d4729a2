"""Measure backpain's speed and memory against the targets of the README ("Performance").

Run it with the Python of the environment where backpain is installed::

    python benchmarks/run.py            # 100,000 and 10,000 sessions (about ten minutes)
    python benchmarks/run.py --quick    # 2,000 and 200 sessions, fewer runs (a minute)

It uses that interpreter (`sys.executable`) and the `backpain` script installed beside it.
One real session is saved by `backpain assess --no-input`; its file is the template of every
generated one (written directly, with other ids, clients and dates: five sessions a client),
into two data folders: the large one (100,000) and the everyday one (10,000). The first
listing of each builds its summary index: at the large size that build, and the first
listing after a simulated upgrade of backpain, have targets of their own (below); every
other target is for a warm index, as a practice has it day to day.

Every figure is a median of several runs, measured side by side with its yardstick in the
same rounds (each round runs every command once, in turn), so that a busy machine slows
both alike; the targets are ratios:

- `--version` at most 5x, `review SESSION` (in a folder of one client) at most 12x a bare
  `python -c pass`;
- at the large size: the listing at most 20x, `review CLIENT` and `review SESSION` at most
  15x that floor, and the listing at most 3x the listing of the everyday folder;
- `export --all --format csv` at most 4x a script that stats every session file and writes
  the same rows as CSV from a SQLite table (yardstick_csv.py, written beside the data);
- `export --all --format jsonl` at most 10x a script that reads every session file's bytes
  (yardstick_read.py);
- `report` (the outcome report of every episode) at most 1.5x `export --all --format csv`;
- peak memory (the measured process's own, from wait4) at most 150 MB, and flat: at the
  large size at most 20 MB above the same command's at the everyday size;
- `review --limit 0` into a file streams plain rows: 100,000 within 5 seconds;
- the summary index at the large size: its first build at most 0.75x a script that parses
  every session file with tomllib in one process (yardstick_parse.py), and the first
  listing after an upgrade at most 0.2x that script. The index is deleted before each build;
  an upgrade is simulated by changing the code stamp the index keeps (what the next version
  of backpain would find), so that it judges again what it holds.

The exit code is 1 when a target is missed or a command fails.

Measure a normal installation (`pip install .`, as users have it). An editable one
(`pip install -e .`) adds its import hook to every interpreter start, the floor included,
which makes every ratio look better than users will see it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backpain_cli.clinical.questionnaire import AnswerValue, Question

PYTHON = sys.executable
# The script pip installed next to this interpreter, not whatever `backpain` is on PATH.
BACKPAIN = str(Path(sys.executable).with_name("backpain"))

MB = 1024 * 1024
PER_CLIENT = 5

# Values a practitioner might plausibly enter; any question not listed here (the
# questionnaires grow) gets a neutral answer from `_fill_answer`.
REALISTIC_ANSWERS: dict[str, object] = {
    "age": 47, "pain_duration": "over_12_weeks", "first_episode": False,
    "onset": "gradual", "pain_location": ["lower_back", "buttock"],
    "pain_worse_with": ["bending_forward", "sitting"], "pain_eased_by": ["moving_around"],
    "morning_stiffness_over_30min": False, "pain_now": 5, "pain_worst_week": 7,
    "sleep_position": "side", "mattress_firmness": "medium_soft",
    "mattress_opinion": "too_soft", "mattress_age_years": 12, "mattress_sagging": True,
    "pain_on_waking": "eases_within_30min", "pillow_height": "low", "knee_pillow": False,
    "occupation": "mostly_sitting", "sitting_hours": 8, "exercise_days": 1,
    "exercise_types": ["walking"], "recent_overexertion": False,
    "hyperextension_activities": False, "diagnoses": ["none"],
    "current_care": ["massage"], "massage_helped": "somewhat",
    "axspa_features": ["none"], "onset_before_45": False,
    "sbst_1": False, "sbst_2": True, "sbst_3": True, "sbst_4": False, "sbst_5": True,
    "sbst_6": True, "sbst_7": False, "sbst_8": False, "sbst_9": "moderately",
}
# ODI sections as a practitioner would copy them from the client's form.
REALISTIC_ANSWERS.update({f"odi_{i}": v for i, v in enumerate([2, 1, 3, 1, 3, 2, 2, 0, 1, 2], 1)})

# Yardsticks: what the targets are ratios of, as scripts of their own (the README).
YARDSTICK_CSV = '''\
"""Stat every session file, then write the same rows as CSV from a SQLite table."""
import csv, os, sqlite3, sys
sessions, table = sys.argv[1], sys.argv[2]
for folder in os.scandir(sessions):
    for entry in os.scandir(folder.path):
        entry.stat(follow_symlinks=False)
writer = csv.writer(sys.stdout)
con = sqlite3.connect(table)
writer.writerow([c[1] for c in con.execute("PRAGMA table_info(rows)")])
writer.writerows(con.execute("SELECT * FROM rows ORDER BY session, client"))
'''
# Runs one command and writes its wall time, peak memory and exit code to a pipe. Peak
# memory as wait4 reports it is inherited by whatever a process execs: a command spawned by
# this script (which holds the generated ids) would show this script's peak as its own. A
# small interpreter (-S -E) that forks the command gives it a fresh count.
LAUNCHER = '''\
import os, sys, time
report, cmd = int(sys.argv[1]), sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - start
os.write(report, f"{elapsed} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}".encode())
'''
YARDSTICK_PARSE = '''\
"""Parse every session file with tomllib, in one process."""
import os, sys, tomllib
for folder in os.scandir(sys.argv[1]):
    for entry in os.scandir(folder.path):
        with open(entry.path, "rb") as f:
            tomllib.load(f)
'''
YARDSTICK_READ = '''\
"""Read every session file's bytes."""
import os, sys
for folder in os.scandir(sys.argv[1]):
    for entry in os.scandir(folder.path):
        with open(entry.path, "rb") as f:
            f.read()
'''


@dataclass
class Row:
    name: str
    seconds: list[float] = field(default_factory=list)
    peak_rss: int = 0  # bytes
    ratio_limit: float | None = None  # a multiple of `against` (the floor by default)
    against: Row | None = None
    seconds_limit: float | None = None
    rss_limit: int | None = None  # bytes
    flat_against: Row | None = None  # its peak memory may exceed this row's by FLAT_MB
    label: str | None = None  # how a target names this row when it is the yardstick
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else 0.0


FLAT_MB = 20


# --------------------------------------------------------------------------- data


def _fill_answer(question: Question) -> AnswerValue:
    """A neutral valid answer for a question the realistic set does not cover."""
    if question.type == "yesno":
        return False
    if question.type == "int":
        return ((question.min or 0) + (question.max or 0)) // 2
    values = question.choice_values
    if question.type == "choice":
        return values[0]
    return (next((v for v in values if v not in question.exclusive), values[0]),)


def complete_answers(instruments: Sequence[str]) -> dict[str, object]:
    """Answers to every question the interview would show, walking it like the CLI does."""
    from backpain_cli.clinical.answers import next_question
    from backpain_cli.clinical.questionnaire import check_value, load_registry

    modules = load_registry(None).select(instruments)
    answers: dict[str, AnswerValue] = {}
    while (q := next_question(modules, answers)) is not None:
        value = REALISTIC_ANSWERS.get(q.id)
        value = tuple(value) if isinstance(value, list) else value
        if value is None or check_value(q, value) is not None:
            value = _fill_answer(q)
        if not isinstance(value, (bool, int, str, tuple)):
            raise SystemExit(f"no answer for {q.id}")
        answers[q.id] = value
    return {k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()}


def env_for(home: Path, work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["BACKPAIN_HOME"] = str(home)
    # The index goes where the platform puts caches (found as users' is, through
    # platformdirs), but under the work folder, never into the user's own cache.
    env.pop("BACKPAIN_CACHE", None)
    env["XDG_CACHE_HOME"] = str(work / "cache")
    env.pop("NO_COLOR", None)
    # Installed packages always have their byte-code cached; without it every run would
    # compile backpain from source and the figures would describe no real installation.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def build_template(work: Path) -> str:
    """One real session, saved by the real CLI; returns its TOML text."""
    import tomli_w

    answers_file = work / "bench.answers.toml"
    answers_file.write_text(tomli_w.dumps({"client": "BENCH-001",
                                           "answers": complete_answers(["odi"])}))
    home = work / "template-home"
    result = subprocess.run(
        [BACKPAIN, "assess", "--answers", str(answers_file), "--no-input",
         "--instruments", "odi", "--json"],
        env=env_for(home, work), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"could not build the template session (exit {result.returncode}):\n"
                         f"{result.stderr}")
    files = list((home / "sessions").glob("*/*.toml"))
    if len(files) != 1:
        raise SystemExit(f"expected one saved session in {home}, found {len(files)}")
    return files[0].read_text(encoding="utf-8")


_FIELDS = {"id": re.compile(r'^id = ".*"$', re.M),
           "client": re.compile(r'^client = ".*"$', re.M),
           "created": re.compile(r"^created = .*$", re.M)}


def _pieces(template: str) -> list[str]:
    """The template cut around its id, client and created lines (each a piece of its own,
    named by its field), so that every copy is one join instead of three regex passes."""
    spans = sorted((m.start(), m.end(), name) for name, pattern in _FIELDS.items()
                   if (m := pattern.search(template)))
    if len(spans) != len(_FIELDS):
        raise SystemExit("the template has no id, client or created line")
    pieces, pos = [], 0
    for start, end, name in spans:
        pieces += [template[pos:start], f"\x00{name}"]
        pos = end
    return [*pieces, template[pos:]]


def generate_sessions(home: Path, template: str, count: int, *,
                      clients: int | None = None) -> list[tuple[str, str]]:
    """Write `count` copies of `template` as storage would name them; returns (client, id).

    Written directly (no fsync, no temp file): the data only has to look like a practice's
    folder, and 100,000 atomic writes would make the benchmark slow to start. Visits of a
    client are about a month apart, clients seen at different times of day.
    """
    clients = clients or max(1, count // PER_CLIENT)
    start = dt.datetime(2020, 1, 6, 8, 0, tzinfo=dt.UTC)
    pieces = _pieces(template)
    made: list[tuple[str, str]] = []
    sessions = home / "sessions"
    sessions.mkdir(parents=True, mode=0o700, exist_ok=True)
    for n in range(count):
        client = f"PX-{n % clients:05d}"
        created = start + dt.timedelta(days=30 * (n // clients), seconds=37 * (n % clients))
        sid = f"{created:%Y%m%dT%H%M%SZ}-{n:06x}"
        values = {"\x00id": f'id = "{sid}"', "\x00client": f'client = "{client}"',
                  "\x00created": f"created = {created:%Y-%m-%d %H:%M:%S}+00:00"}
        text = "".join(values.get(p, p) for p in pieces)
        folder = sessions / client
        if n < clients:
            folder.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(folder / f"{sid}.toml", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        made.append((client, sid))
    return made


def age(home: Path, seconds: int = 3600) -> None:
    """Date the generated files and folders back, as a practice's are: the index does not
    trust a stamp taken moments after a write."""
    then = time.time() - seconds
    sessions = home / "sessions"
    for folder in os.scandir(sessions):
        for entry in os.scandir(folder.path):
            os.utime(entry.path, (then, then), follow_symlinks=False)
        os.utime(folder.path, (then, then))


def csv_table(csv_file: Path, table: Path) -> None:
    """The rows of a CSV export as a SQLite table, for the CSV yardstick."""
    with csv_file.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    con = sqlite3.connect(table)
    con.execute(f"CREATE TABLE rows ({', '.join(rows[0])})")
    con.executemany(f"INSERT INTO rows VALUES ({', '.join('?' * len(rows[0]))})", rows[1:])
    con.commit()
    con.close()


def index_file(cache: Path, home: Path) -> Path | None:
    """The summary index of the data folder `home` among the index files in `cache` (each
    records the data folder it belongs to)."""
    wanted = str(home.resolve())
    for path in sorted(cache.glob("index-*.sqlite3")):
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT value FROM meta WHERE key = 'root'").fetchall()
        finally:
            con.close()
        if rows and rows[0][0] == wanted:
            return path
    return None


def simulate_upgrade(index: Path) -> None:
    """Make the index look as the next version of backpain finds it: kept by other rules."""
    con = sqlite3.connect(index)
    try:
        con.execute("UPDATE meta SET value = 'the version before' WHERE key = 'code'")
        con.commit()
    finally:
        con.close()


def discard_index(index: Path) -> None:
    for path in (index, Path(f"{index}-journal")):
        path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- measuring


def run_once(cmd: Sequence[str], env: dict[str, str], out_dir: Path) -> tuple[float, int]:
    """Wall time and peak RSS (bytes) of one run; raises RuntimeError on a non-zero exit."""
    out_path, err_path = out_dir / "stdout", out_dir / "stderr"
    launcher = out_dir / "launcher.py"
    if not launcher.exists():
        launcher.write_text(LAUNCHER)
    read_end, write_end = os.pipe()
    try:
        with out_path.open("wb") as out, err_path.open("wb") as err:
            subprocess.run([PYTHON, "-S", "-E", str(launcher), str(write_end), *cmd], env=env,
                           stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                           pass_fds=(write_end,), check=False)
        os.close(write_end)
        write_end = -1
        report = os.read(read_end, 200).decode().split()
    finally:
        os.close(read_end)
        if write_end != -1:
            os.close(write_end)
    if len(report) != 3:
        raise RuntimeError(f"the launcher reported {report!r}")
    elapsed, maxrss, code = float(report[0]), int(report[1]), int(report[2])
    if code != 0:
        tail = err_path.read_text(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"exit {code}: {' | '.join(tail)}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is KiB on Linux
    return elapsed, maxrss * scale


Spec = tuple[Row, Sequence[str], dict[str, str]]


def report_spec(export_csv: Row, env: dict[str, str], size: str) -> Spec:
    """`backpain report` (issue 22, item 4): the outcome report of every episode, at most
    1.5x `export --all --format csv` of the same folder, measured in the same rounds: both
    read the same rows of the summary index."""
    return (Row(f"backpain report ({size})", ratio_limit=1.5, against=export_csv),
            [BACKPAIN, "report"], env)


def measure(specs: Sequence[Spec], runs: int, out_dir: Path) -> list[Row]:
    """Run the commands in turn, `runs` rounds, after one warm-up run each.

    Taking turns gives every command, its yardstick included, the same share of whatever
    else the machine is doing, so the ratios hold even on a busy machine.
    """
    rows = [row for row, _, _ in specs]
    for round_ in range(runs + 1):  # round 0 warms byte-code caches and the page cache
        for row, cmd, env in specs:
            if row.error:
                continue
            try:
                seconds, rss = run_once(cmd, env, out_dir)
            except (RuntimeError, OSError) as exc:
                row.error = str(exc)
                continue
            if round_:
                row.seconds.append(seconds)
                row.peak_rss = max(row.peak_rss, rss)
    return rows


def first_question_text() -> str:
    from backpain_cli.clinical.answers import next_question
    from backpain_cli.clinical.questionnaire import load_registry

    q = next_question(load_registry(None).select(()), {})
    if q is None:
        raise SystemExit("the interview has no first question")
    return q.text


def measure_first_prompt(row: Row, env: dict[str, str], runs: int) -> Row:
    """From spawning `backpain assess` in a terminal to its first question on screen."""
    try:
        import pexpect
    except ImportError:
        row.error = "pexpect is not installed (pip install 'backpain[test]')"
        return row
    text = first_question_text()
    try:
        for i in range(runs + 1):
            start = time.perf_counter()
            child = pexpect.spawn(BACKPAIN, ["assess", "--client", f"PTY-{i}"], env=env,
                                  dimensions=(24, 200), encoding="utf-8", timeout=20)
            try:
                child.expect_exact(text)
                elapsed = time.perf_counter() - start
            finally:
                child.close(force=True)
            if i:  # the first run only warms the caches
                row.seconds.append(elapsed)
    except Exception as exc:  # pexpect.TIMEOUT / EOF: report, do not crash the table
        row.error = f"{type(exc).__name__}: no prompt with {text!r}"
    return row


def measure_index(parse: Row, build: Row, upgrade: Row, sessions: str, home: Path,
                  env: dict[str, str], cache: Path, work: Path, runs: int) -> None:
    """`runs` rounds of: the parse yardstick, a first build (the index deleted first), and
    the first listing after a simulated upgrade, each command in turn as `measure` does.
    The index is left built and up to date."""
    out_dir = work / "out"
    for _ in range(runs):
        for row, cmd, prepare in (
                (parse, [PYTHON, str(work / "yardstick_parse.py"), sessions], None),
                (build, [BACKPAIN, "review"], discard_index),
                (upgrade, [BACKPAIN, "review"], simulate_upgrade)):
            if row.error:
                continue
            if prepare is not None:
                index = index_file(cache, home)
                if index is None:
                    row.error = "no index file of the large data folder"
                    continue
                prepare(index)
            try:
                seconds, rss = run_once(cmd, env, out_dir)
            except (RuntimeError, OSError) as exc:
                row.error = str(exc)
                continue
            row.seconds.append(seconds)
            row.peak_rss = max(row.peak_rss, rss)


def timed_once(row: Row, cmd: Sequence[str], env: dict[str, str], out_dir: Path) -> Row:
    try:
        seconds, rss = run_once(cmd, env, out_dir)
    except (RuntimeError, OSError) as exc:
        row.error = str(exc)
        return row
    row.seconds.append(seconds)
    row.peak_rss = rss
    return row


# --------------------------------------------------------------------------- sync (issue 23)

# The yardstick of a push: every session file's bytes in one COPY into a table of the same
# shape as the server's, in one process (what any loader of these documents must do).
YARDSTICK_COPY = '''\
"""Read every session file and COPY it into a table shaped like backpain.sessions."""
import datetime as dt, hashlib, os, sys
import psycopg
sessions, url = sys.argv[1], sys.argv[2]
with psycopg.connect(url, autocommit=True) as conn:
    conn.execute("DROP TABLE IF EXISTS copy_yardstick")
    conn.execute("CREATE TABLE copy_yardstick (id text PRIMARY KEY, practice name NOT NULL, "
                 "content bytea NOT NULL, sha256 text NOT NULL, created timestamptz NOT NULL, "
                 "pushed_by name NOT NULL DEFAULT session_user, "
                 "pushed_at timestamptz NOT NULL DEFAULT now())")
    with conn.cursor() as cur, cur.copy("COPY copy_yardstick (id, practice, content, sha256, "
                                        "created) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["text", "name", "bytea", "text", "timestamptz"])
        for folder in os.scandir(sessions):
            for entry in os.scandir(folder.path):
                with open(entry.path, "rb") as f:
                    data = f.read()
                sid = entry.name[:-5]
                copy.write_row((sid, "bench", data, hashlib.sha256(data).hexdigest(),
                                dt.datetime.strptime(sid[:16], "%Y%m%dT%H%M%SZ")
                                .replace(tzinfo=dt.timezone.utc)))
'''


def _pgserver() -> Any:
    """tests/pgserver.py (the throwaway cluster of the sync tests), loaded by path."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "tests" / "pgserver.py"
    spec = importlib.util.spec_from_file_location("pgserver", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure_sync(home: Path, env: dict[str, str], work: Path, runs: int, n: str) -> list[Row]:
    """A push of every session of `home` into an empty database (in rounds, the server
    emptied and the sync state removed before each) against one COPY of the same files;
    then a sync with nothing to do against the listing of every session. The benchmark
    starts its own PostgreSQL cluster; without PostgreSQL or psycopg it says why and
    measures nothing."""
    copy_row = Row("yardstick: one COPY of every session file", label="COPY")
    push = Row(f"backpain sync: push {n} sessions", ratio_limit=3, against=copy_row,
               rss_limit=150 * MB)
    listing = Row(f"backpain review --limit 0 ({n} rows)", label="listing")
    noop = Row(f"backpain sync with nothing to do ({n})", ratio_limit=3, against=listing,
               rss_limit=150 * MB)
    rows = [copy_row, push, listing, noop]
    pgserver = _pgserver()
    why = pgserver.missing()
    if why is not None:
        print(f"sync not measured: {why}")
        return []
    out_dir = work / "out"
    with pgserver.cluster() as cluster:
        cluster.group("bench")
        cluster.practitioner("bench_user", "bench-Pw-1", ["bench"])
        config = work / "sync-config.toml"
        config.write_text(f'database_url = "{cluster.url(pgserver.ADMIN)}"\n')
        admin_env = {**env, "BACKPAIN_CONFIG": str(config)}
        subprocess.run([BACKPAIN, "db", "init", "--practice", "bench"], env=admin_env,
                       check=True, capture_output=True)
        config.write_text(f'database_url = "{cluster.url("bench_user")}"\n')
        sync_env = {**admin_env, "PGPASSWORD": "bench-Pw-1"}
        (work / "yardstick_copy.py").write_text(YARDSTICK_COPY)
        sessions = str(home / "sessions")
        for _ in range(runs):
            timed = [(copy_row, [PYTHON, str(work / "yardstick_copy.py"), sessions,
                                 cluster.url(pgserver.ADMIN)], None),
                     (push, [BACKPAIN, "sync"], cluster)]
            for row, cmd, server in timed:
                if server is not None:
                    with server.admin() as conn:
                        conn.execute("TRUNCATE backpain.sessions CASCADE")
                    shutil.rmtree(home / "sync", ignore_errors=True)
                try:
                    seconds, rss = run_once(cmd, sync_env, out_dir)
                except (RuntimeError, OSError) as exc:
                    row.error = str(exc)
                    continue
                row.seconds.append(seconds)
                row.peak_rss = max(row.peak_rss, rss)
        measure([(listing, [BACKPAIN, "review", "--limit", "0"], sync_env),
                 (noop, [BACKPAIN, "sync"], sync_env)], runs, out_dir)
    return rows



# --------------------------------------------------------------------------- report


def _fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def verdict(row: Row, floor: Row) -> tuple[str, str, str, bool]:
    """(ratio text, target text, result text, passed) for one row."""
    if row.error:
        return "", "", "ERROR", False
    base = row.against or floor
    ratio = row.median / base.median if base.median else 0.0
    targets: list[str] = []
    ok = True
    if row.ratio_limit is not None:
        targets.append(f"<= {row.ratio_limit:g}x {base.label or base.name}")
        ok &= ratio <= row.ratio_limit
    if row.seconds_limit is not None:
        targets.append(f"<= {_fmt_s(row.seconds_limit)}")
        ok &= row.median <= row.seconds_limit
    if row.rss_limit is not None:
        targets.append(f"<= {row.rss_limit // MB} MB")
        ok &= row.peak_rss <= row.rss_limit
    if row.flat_against is not None and not row.flat_against.error:
        targets.append(f"flat (+{FLAT_MB} MB)")
        ok &= row.peak_rss <= row.flat_against.peak_rss + FLAT_MB * MB
    ratio_text = f"{ratio:.1f}x" if row.ratio_limit is not None else ""
    if not targets:
        return ratio_text, "-", "", True
    return ratio_text, ", ".join(targets), "pass" if ok else "FAIL", ok


def print_table(rows: list[Row], floor: Row) -> bool:
    width = max(len(r.name) for r in rows) + 1
    header = (f"{'measure':<{width}} {'median':>8} {'peak RSS':>9} {'ratio':>6}  "
              f"{'target':<40} result")
    print(header)
    print("-" * len(header))
    all_ok = True
    for row in rows:
        ratio, target, result, ok = verdict(row, floor)
        all_ok &= ok
        if row.error:
            print(f"{row.name:<{width}} {'-':>8} {'-':>9} {'-':>6}  {'-':<40} ERROR: {row.error}")
            continue
        rss = f"{row.peak_rss / MB:.0f} MB" if row.peak_rss else "-"
        print(f"{row.name:<{width}} {_fmt_s(row.median):>8} {rss:>9} {ratio:>6}  "
              f"{target:<40} {result}")
    return all_ok


# --------------------------------------------------------------------------- the run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true",
                        help="2,000 and 200 sessions, fewer runs (for a quick look, a test)")
    parser.add_argument("--runs", type=int, help="rounds of the fast commands")
    parser.add_argument("--sessions", type=int, help="sessions of the large folder")
    parser.add_argument("--work", type=Path,
                        help="where to generate the data (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the generated data and print where it is")
    parser.add_argument("--no-sync", action="store_true",
                        help="skip the PostgreSQL sync measurements (issue 23)")
    parser.add_argument("--no-pty", action="store_true",
                        help="skip the time to the first prompt of assess (needs a pty)")
    args = parser.parse_args(argv)
    large = args.sessions or (2_000 if args.quick else 100_000)
    small = max(PER_CLIENT, large // 10)
    fast_runs = args.runs or (3 if args.quick else 11)
    slow_runs = max(1, fast_runs // 3) if args.runs else (1 if args.quick else 3)

    if not Path(BACKPAIN).exists():
        print(f"backpain is not installed beside {PYTHON} (expected {BACKPAIN})",
              file=sys.stderr)
        return 1
    if args.work is not None:
        Path(args.work).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="backpain-bench-", dir=args.work))
    try:
        print(f"python {platform.python_version()} ({PYTHON}), {platform.platform()}, "
              f"{os.cpu_count()} CPUs")
        template = build_template(work)
        one, every, big = work / "one-client", work / "everyday", work / "large"
        one_made = generate_sessions(one, template, 10, clients=1)
        started = time.perf_counter()
        generate_sessions(every, template, small)
        big_made = generate_sessions(big, template, large)
        print(f"generated {large:,} and {small:,} sessions ({PER_CLIENT} a client) in "
              f"{time.perf_counter() - started:.1f} s under {work}")
        for home in (one, every, big):
            age(home)
        out_dir = work / "out"
        out_dir.mkdir()
        env_one, env_every, env_big = (env_for(h, work) for h in (one, every, big))
        n, m = f"{large:,}", f"{small:,}"

        # The first listing of each folder builds its index: timed once, not a target at the
        # everyday size; at the large size, in rounds with its yardstick (measure_index).
        (work / "yardstick_parse.py").write_text(YARDSTICK_PARSE)
        parse = Row("yardstick: tomllib-parse every file, one process", label="parse")
        build = Row(f"first listing, building the index ({n})", ratio_limit=0.75,
                    against=parse)
        upgrade = Row(f"first listing after an upgrade ({n})", ratio_limit=0.2, against=parse)
        timed_once(Row("index of the large folder, built once before"), [BACKPAIN, "review"],
                   env_big, out_dir)
        measure_index(parse, build, upgrade, str(big / "sessions"), big, env_big,
                      work / "cache" / "backpain", work, slow_runs)
        builds = [timed_once(Row(f"first listing, building the index ({m})"),
                             [BACKPAIN, "review"], env_every, out_dir)]
        timed_once(Row("index of the one-client folder"), [BACKPAIN, "review"], env_one,
                   out_dir)
        # The yardstick table: the rows of the CSV export, in SQLite.
        csv_file, table = work / "rows.csv", work / "rows.sqlite3"
        subprocess.run([BACKPAIN, "export", "--all", "--format", "csv", "-o", str(csv_file)],
                       env=env_big, check=True, capture_output=True)
        csv_table(csv_file, table)
        (work / "yardstick_csv.py").write_text(YARDSTICK_CSV)
        (work / "yardstick_read.py").write_text(YARDSTICK_READ)

        floor = Row("python -c pass (floor)", label="floor")
        client = big_made[-1][0]
        fast = measure([
            (floor, [PYTHON, "-c", "pass"], env_one),
            (Row("backpain --version", ratio_limit=5), [BACKPAIN, "--version"], env_one),
            (Row("backpain review SESSION (one client's folder)", ratio_limit=12),
             [BACKPAIN, "review", one_made[-1][1]], env_one),
            (Row(f"backpain review SESSION (among {n})", ratio_limit=15),
             [BACKPAIN, "review", big_made[len(big_made) // 2][1]], env_big),
            (Row(f"backpain review CLIENT (among {n})", ratio_limit=15),
             [BACKPAIN, "review", client], env_big),
        ], fast_runs, out_dir)
        every_listing = Row(f"backpain review (newest 20 of {m})", label=f"at {m}")
        big_listing = Row(f"backpain review (newest 20 of {n})", ratio_limit=20)
        listings = measure([
            (floor, [PYTHON, "-c", "pass"], env_one),
            (every_listing, [BACKPAIN, "review"], env_every),
            (big_listing, [BACKPAIN, "review"], env_big),
        ], fast_runs, out_dir)
        scaling = Row(f"listing: {n} against {m}", ratio_limit=3, against=every_listing,
                      seconds=big_listing.seconds, peak_rss=big_listing.peak_rss,
                      rss_limit=150 * MB, flat_against=every_listing)
        prompt = measure_first_prompt(Row("backpain assess: first prompt (pty)",
                                          seconds_limit=0.4), env_for(work / "pty-home", work),
                                      max(3, fast_runs // 2)) if not args.no_pty else None

        sessions_dir = str(big / "sessions")
        csv_yardstick = Row("yardstick: stat every file + SQLite CSV", label="yardstick")
        read_yardstick = Row("yardstick: read every file's bytes", label="yardstick")
        every_csv = Row(f"export --all --format csv ({m})")
        every_jsonl = Row(f"export --all --format jsonl ({m})")
        big_csv = Row(f"export --all --format csv ({n})", ratio_limit=4, against=csv_yardstick,
                      rss_limit=150 * MB, flat_against=every_csv, label="export csv")
        bulk = measure([
            (csv_yardstick, [PYTHON, str(work / "yardstick_csv.py"), sessions_dir, str(table)],
             env_big),
            (big_csv, [BACKPAIN, "export", "--all", "--format", "csv"], env_big),
            report_spec(big_csv, env_big, n),
            (read_yardstick, [PYTHON, str(work / "yardstick_read.py"), sessions_dir], env_big),
            (Row(f"export --all --format jsonl ({n})", ratio_limit=10, against=read_yardstick,
                 rss_limit=150 * MB, flat_against=every_jsonl),
             [BACKPAIN, "export", "--all", "--format", "jsonl"], env_big),
            (every_csv, [BACKPAIN, "export", "--all", "--format", "csv"], env_every),
            (every_jsonl, [BACKPAIN, "export", "--all", "--format", "jsonl"], env_every),
            # "A few seconds" for 100,000 rows: 5 (and 1 for a small run, mostly start-up).
            (Row(f"review --limit 0 into a file ({n} rows)",
                 seconds_limit=max(1.0, 5 * large / 100_000), rss_limit=150 * MB),
             [BACKPAIN, "review", "--limit", "0"], env_big),
        ], slow_runs, out_dir)

        synced = [] if args.no_sync else measure_sync(big, env_big, work, slow_runs, n)
        rows = [*fast, *listings[1:], scaling, *([prompt] if prompt else []), *bulk,
                build, upgrade, *synced]
        if floor.error or not floor.seconds:
            print(f"cannot measure the floor: {floor.error}", file=sys.stderr)
            return 1
        print()
        print_table([*builds, parse], floor)
        print()
        ok = print_table(rows, floor)
        size = sum(f.stat().st_size for f in (work / "cache" / "backpain").glob("index-*"))
        print()
        print(f"runs: {fast_runs} of each fast command, {slow_runs} of each export (after one "
              f"warm-up run each, taking turns); times are medians, memory the largest run")
        print(f"index files: {size / MB:.0f} MB for {large + small + 10:,} sessions")
        print("all targets met" if ok else "TARGETS MISSED")
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
