"""Write the two contact sheets after a change to the exercise library or its pictures
(backpain_cli/clinical/exercises.toml, backpain_cli/output/poses.toml or figures.py):
docs/pictures.html (every picture large, with its title) and docs/exercises.html (every
exercise: picture, name, steps, doses, when it is never or only given). tests/test_figures.py
checks that the committed sheets are up to date.

    python tools/pictures.py [FOLDER]    (default: docs/ of this repository)
"""

from __future__ import annotations

import sys
from pathlib import Path

from backpain_cli.output.exercise_sheet import exercise_sheet_html
from backpain_cli.output.figures import contact_sheet_html

DEFAULT = Path(__file__).resolve().parent.parent / "docs"
SHEETS = {"pictures.html": contact_sheet_html, "exercises.html": exercise_sheet_html}


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else DEFAULT
    for name, render in SHEETS.items():
        # newline="": the same bytes on every platform, so the committed file compares equal.
        with (folder / name).open("w", encoding="utf-8", newline="") as f:
            f.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
