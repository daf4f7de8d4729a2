"""Measure backpain's speed and memory against the targets of PRODUCT.md ("Performance").

Run it with the Python of the environment where backpain is installed::

    python benchmarks/run.py             # full run (one to two minutes)
    python benchmarks/run.py --quick     # fewer repetitions, for a quick look
    python benchmarks/run.py --all-rows  # also `review --limit 0` over all 10,000 (slow)

It uses that interpreter (`sys.executable`) and the `backpain` script installed beside it,
builds one real session with `backpain assess --no-input`, copies it into 10,000 sessions
(1,000 clients, 10 visits each) in a temporary BACKPAIN_HOME, and prints one line per
figure: the median wall time, its ratio to a bare `python -c pass` where the target is
stated as one, the target and pass/fail. Peak memory is the largest resident set of the
measured process (from wait4, so no other process counts). The exit code is 1 when any
target is missed or a command fails, so CI can run it.

Measure a normal installation (`pip install .`, as users and CI have it). An editable one
(`pip install -e .`) adds its import hook to every interpreter start, the floor included
(about 14 ms here, more than the floor itself), which makes every ratio look better than
users will see it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backpain_cli.clinical.questionnaire import AnswerValue, Question

PYTHON = sys.executable
# The script pip installed next to this interpreter, not whatever `backpain` is on PATH.
BACKPAIN = str(Path(sys.executable).with_name("backpain"))

MB = 1024 * 1024

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


@dataclass
class Row:
    name: str
    seconds: list[float] = field(default_factory=list)
    peak_rss: int = 0  # bytes
    ratio_limit: float | None = None  # a multiple of the floor
    seconds_limit: float | None = None
    rss_limit: int | None = None  # bytes
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


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
        assert isinstance(value, (bool, int, str, tuple))
        answers[q.id] = value
    return {k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()}


def env_for(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["BACKPAIN_HOME"] = str(home)
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
        env=env_for(home), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"could not build the template session (exit {result.returncode}):\n"
                         f"{result.stderr}")
    files = list((home / "sessions").glob("*/*.toml"))
    if len(files) != 1:
        raise SystemExit(f"expected one saved session in {home}, found {len(files)}")
    return files[0].read_text(encoding="utf-8")


_TOP_ID = re.compile(r'^id = ".*"$', re.M)
_TOP_CLIENT = re.compile(r'^client = ".*"$', re.M)
_TOP_CREATED = re.compile(r"^created = .*$", re.M)


def generate_sessions(home: Path, template: str, count: int, *,
                      clients: int | None = None) -> list[tuple[str, str]]:
    """Write `count` copies of `template` as storage would name them; returns (client, id).

    Written directly (no fsync, no temp file): the data only has to look like a practice's
    folder, and 10,000 atomic writes would make the benchmark slow to start.
    """
    clients = clients or max(1, count // 10)
    start = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
    made: list[tuple[str, str]] = []
    sessions = home / "sessions"
    sessions.mkdir(parents=True, mode=0o700, exist_ok=True)
    for n in range(count):
        client = f"PX-{n % clients:04d}"
        # Visits about a week apart per client, at varied times of day.
        created = start + dt.timedelta(days=7 * (n // clients), minutes=37 * (n % clients))
        sid = f"{created:%Y%m%dT%H%M%SZ}-{n:06x}"
        text = _TOP_ID.sub(f'id = "{sid}"', template, count=1)
        text = _TOP_CLIENT.sub(f'client = "{client}"', text, count=1)
        text = _TOP_CREATED.sub(f"created = {created:%Y-%m-%d %H:%M:%S}+00:00", text, count=1)
        folder = sessions / client
        if n < clients:
            folder.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(folder / f"{sid}.toml", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        made.append((client, sid))
    return made


# --------------------------------------------------------------------------- measuring


def run_once(cmd: Sequence[str], env: dict[str, str], out_dir: Path) -> tuple[float, int]:
    """Wall time and peak RSS (bytes) of one run; raises RuntimeError on a non-zero exit."""
    out_path, err_path = out_dir / "stdout", out_dir / "stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL)
        # wait4 gives this child's own rusage; RUSAGE_CHILDREN would mix in earlier ones.
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = err_path.read_text(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"exit {proc.returncode}: {' | '.join(tail)}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is KiB on Linux
    return elapsed, usage.ru_maxrss * scale


def measure(specs: Sequence[tuple[Row, Sequence[str], dict[str, str]]], runs: int,
            out_dir: Path) -> list[Row]:
    """Run the commands in turn, `runs` rounds, after one warm-up run each.

    Taking turns gives every command, the floor included, the same share of whatever else
    the machine is doing, so the ratios hold even on a busy machine.
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
    assert q is not None
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


# --------------------------------------------------------------------------- report


def _fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def verdict(row: Row, floor: float) -> tuple[str, str, str, bool]:
    """(ratio text, target text, result text, passed) for one row."""
    if row.error:
        return "", "", "ERROR", False
    ratio = row.median / floor if floor else 0.0
    targets: list[str] = []
    ok = True
    if row.ratio_limit is not None:
        targets.append(f"<= {row.ratio_limit:g}x floor")
        ok &= ratio <= row.ratio_limit
    if row.seconds_limit is not None:
        targets.append(f"<= {_fmt_s(row.seconds_limit)}")
        ok &= row.median <= row.seconds_limit
    if row.rss_limit is not None:
        targets.append(f"<= {row.rss_limit // MB} MB")
        ok &= row.peak_rss <= row.rss_limit
    ratio_text = f"{ratio:.1f}x" if row.ratio_limit is not None else ""
    if not targets:
        return ratio_text, "-", "", True
    return ratio_text, ", ".join(targets), "pass" if ok else "FAIL", ok


def print_table(rows: list[Row], floor: float) -> bool:
    header = f"{'measure':<44} {'median':>8} {'peak RSS':>9} {'ratio':>6}  {'target':<26} result"
    print(header)
    print("-" * len(header))
    all_ok = True
    for row in rows:
        ratio, target, result, ok = verdict(row, floor)
        all_ok &= ok
        if row.error:
            print(f"{row.name:<44} {'-':>8} {'-':>9} {'-':>6}  {'-':<26} ERROR: {row.error}")
            continue
        rss = f"{row.peak_rss / MB:.0f} MB" if row.peak_rss else "-"
        print(f"{row.name:<44} {_fmt_s(row.median):>8} {rss:>9} {ratio:>6}  {target:<26} "
              f"{result}")
    return all_ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--runs", type=int, help="repetitions of each fast command")
    parser.add_argument("--sessions", type=int, default=10_000,
                        help="sessions to generate (the targets assume 10,000)")
    parser.add_argument("--all-rows", action="store_true",
                        help="also time `review --limit 0`, which lists every session (slow)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the generated data folder and print where it is")
    args = parser.parse_args(argv)
    fast_runs = args.runs or (5 if args.quick else 15)
    slow_runs = max(1, fast_runs // 3) if args.runs else (2 if args.quick else 5)

    if not Path(BACKPAIN).exists():
        print(f"backpain is not installed beside {PYTHON} (expected {BACKPAIN})",
              file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="backpain-bench-"))
    try:
        print(f"python {platform.python_version()} ({PYTHON}), {platform.platform()}, "
              f"{os.cpu_count()} CPUs")
        template = build_template(work)
        small, big = work / "small-home", work / "big-home"
        # A practice's everyday folder: one client's history, where `review SESSION` runs.
        small_made = generate_sessions(small, template, 10, clients=1)
        started = time.perf_counter()
        big_made = generate_sessions(big, template, args.sessions)
        print(f"generated {len(big_made):,} sessions in {time.perf_counter() - started:.1f} s "
              f"under {big}")
        print()
        out_dir = work / "out"
        out_dir.mkdir()
        n = f"{args.sessions:,}"
        fast = measure([
            (Row("python -c pass (floor)"), [PYTHON, "-c", "pass"], env_for(small)),
            (Row("backpain --version", ratio_limit=5), [BACKPAIN, "--version"], env_for(small)),
            # In a practice's everyday folder: one client's history.
            (Row("backpain review SESSION", ratio_limit=12),
             [BACKPAIN, "review", small_made[-1][1]], env_for(small)),
            (Row(f"backpain review SESSION (among {n})"),
             [BACKPAIN, "review", big_made[-1][1]], env_for(big)),
        ], fast_runs, out_dir)
        prompt = measure_first_prompt(Row("backpain assess: first prompt (pty)",
                                          seconds_limit=0.4), env_for(work / "pty-home"),
                                      max(3, fast_runs // 2))
        slow = measure([
            # The default listing shows the newest 20 but must find them among all.
            (Row(f"backpain review (newest 20 of {n})", seconds_limit=1.5),
             [BACKPAIN, "review"], env_for(big)),
            (Row(f"backpain export --all --format csv ({n})", seconds_limit=2.5,
                 rss_limit=150 * MB),
             [BACKPAIN, "export", "--all", "--format", "csv"], env_for(big)),
        ], slow_runs, out_dir)
        rows = [*fast, prompt, *slow]
        if args.all_rows:
            # Every row parses every file: the spec sets no target; shown to see a regression.
            rows += measure([(Row(f"backpain review --limit 0 (all {n} rows)"),
                              [BACKPAIN, "review", "--limit", "0"], env_for(big))], 1, out_dir)
        floor_row = rows[0]
        if floor_row.error or not floor_row.seconds:
            print(f"cannot measure the floor: {floor_row.error}", file=sys.stderr)
            return 1
        ok = print_table(rows, floor_row.median)
        print()
        print(f"runs: {fast_runs} per fast command, {slow_runs} over {n} sessions "
              f"(after one warm-up run each); times are medians, memory the largest run")
        print("all targets met" if ok else "TARGETS MISSED")
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
