"""How many examples a property test tries: all of them in the deep run, a fifth by default.

The README's `pytest` must stay quick on a shared 2-core machine, so property and fuzz tests
try `examples(n)` examples: a fifth of `n` (at least 25) by default, and all `n` when
`HYPOTHESIS_PROFILE=deep`, which `.ci/run` uses for its second step
(`pytest -m "slow or hypothesis"`: the slow loops, and every property test at full depth).
"""

from __future__ import annotations

import os

DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"


def examples(n: int) -> int:
    return n if DEEP else min(n, max(n // 5, 25))
