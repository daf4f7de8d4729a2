"""benchmarks/run.py runs end to end in its --quick mode: data generated, every command and
yardstick measured, the table printed with a verdict for every target.

Whether the targets are met is the benchmark's own business (on the reference machine, with
the full sizes); here only that it measures what it says it does, without an error row.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pgserver
import pytest

pytestmark = pytest.mark.slow

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def test_quick_benchmark_measures_every_target(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--sessions", "400", "--runs", "1", "--no-pty",
         "--work", str(tmp_path)],
        capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode in (0, 1), result.stderr
    out = result.stdout
    assert "ERROR" not in out, out
    for row in ("first listing, building the index (400)", "backpain --version",
                "backpain review SESSION (among 400)", "backpain review CLIENT (among 400)",
                "backpain review (newest 20 of 400)", "listing: 400 against 40",
                "export --all --format csv (400)", "export --all --format jsonl (400)",
                "review --limit 0 into a file (400 rows)",
                "yardstick: stat every file + SQLite CSV", "first listing after an upgrade (400)",
                "yardstick: tomllib-parse every file, one process", "backpain report (400)"):
        assert row in out, out
    # Every target has its verdict: eleven without the pty one (assess's first prompt), the
    # report's (issue 22), and the push and the no-op sync where PostgreSQL can be started
    # (issue 23).
    syncs = 2 if pgserver.missing() is None else 0
    assert out.count(" pass\n") + out.count(" FAIL\n") == 11 + 1 + syncs, out
    assert out.rstrip().endswith(("all targets met", "TARGETS MISSED")), out
    # The generated data went where it was told, and was cleaned up.
    assert list(tmp_path.iterdir()) == []
