"""What every page a client reads shares (the handout, the intake form): its ink colours and
the base of its style sheet, so that the two look like one practice's papers.

Every text colour meets WCAG AA (4.5:1) on white and on the handout's tints
(tests/test_client_handout.py); the text is 18 px, in a sans-serif every system has, and a
long word breaks rather than widening the page on a phone.
"""

from __future__ import annotations

INK = "#1d2125"
MUTED = "#454e57"
ACCENT = "#174a70"

# The first rules of each page's style sheet (a newline first, as each sheet begins).
BASE_CSS = f"""
:root {{ color-scheme: light; }}
* {{ box-sizing: border-box; }}
html {{ font-size: 18px; -webkit-text-size-adjust: 100%; }}
body {{ margin: 0; background: #fff; color: {INK}; line-height: 1.45;
  font-family: Arial, "Liberation Sans", "Helvetica Neue", Helvetica, sans-serif;
  overflow-wrap: break-word; }}
"""
