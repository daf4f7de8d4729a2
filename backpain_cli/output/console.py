"""The one configuration of rich's Console for backpain's terminal output.

Apart from terminal.py so that the listing (output/terminal_listing.py) gets it without the
plan rendering and the clinical modules that terminal.py imports.
"""

from __future__ import annotations

from rich.console import Console


def make_console(*, stderr: bool = False) -> Console:
    # highlight=False: rich would colour numbers and ids in advice text at random.
    # emoji=False: ":name:" in a practitioner's own questionnaire text stays as typed (and
    # rich's emoji table, ~2.5 ms to import, is never loaded).
    return Console(stderr=stderr, highlight=False, emoji=False)
