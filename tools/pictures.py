"""Write docs/pictures.html, the contact sheet of the exercise pictures, after a change to
backpain_cli/output/poses.toml or figures.py (tests/test_figures.py checks that the
committed sheet is up to date).

    python tools/pictures.py [PATH]    (default: docs/pictures.html of this repository)
"""

from __future__ import annotations

import sys
from pathlib import Path

from backpain_cli.output.figures import contact_sheet_html

DEFAULT = Path(__file__).resolve().parent.parent / "docs" / "pictures.html"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else DEFAULT
    # newline="": the same bytes on every platform, so the committed file compares equal.
    with out.open("w", encoding="utf-8", newline="") as f:
        f.write(contact_sheet_html())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
