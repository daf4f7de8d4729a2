"""docs/exercises.html: every exercise of the library on one page, for a clinician.

Each card holds the picture as the handouts draw it, the name, the steps as the client
reads them, the dose with its easier and harder versions, when the exercise is never given
or only given, and the changes made for some clients. Reviewing the library means reading
this page, not exercises.toml and poses.toml side by side.
"""

from __future__ import annotations

from html import escape

from ..clinical.exercises import Exercise, library
from .figures import UnknownPicture, picture

_CSS = """
body { margin: 1.5rem; font: 12pt/1.45 system-ui, sans-serif; color: #1d2125; }
h1 { font-size: 1.6rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr));
  gap: 1rem; }
article { padding: .75rem 1rem; border: 1px solid #9aa3ad; border-radius: 6px;
  break-inside: avoid; }
article h2 { font-size: 1.15rem; margin: .2rem 0 .4rem; }
article h2 code { font-size: .85rem; font-weight: 400; color: #39414a; }
.pic { height: 200px; display: flex; align-items: center; justify-content: center; }
.pic svg { width: 100%; height: 200px; }
ol { padding-left: 1.3rem; margin: .4rem 0; }
dl { margin: .4rem 0; display: grid; grid-template-columns: 8.5rem 1fr; gap: .15rem .6rem; }
dt { overflow-wrap: anywhere; }
dt { font-weight: 600; }
dd { margin: 0; }
.missing { color: #8a1c1c; font-weight: 600; }
"""


def _conditions(names: tuple[str, ...]) -> str:
    return ", ".join(f"<code>{escape(n)}</code>" for n in names)


def _card(ex: Exercise) -> str:
    try:
        drawing = picture(ex.id)
    except UnknownPicture:
        drawing = '<p class="missing">No picture yet.</p>'
    steps = "".join(f"<li>{escape(s)}</li>" for s in ex.steps)
    rows = [("Dose", escape(ex.dose)), ("Easier", escape(ex.easier)),
            ("Harder", escape(ex.progress))]
    if ex.requires:
        rows.append(("Only when", _conditions(ex.requires)))
    if ex.excluded:
        rows.append(("Never when", _conditions(ex.excluded)))
    rows += [(f"When <code>{escape(c.when)}</code>", escape(c.text)) for c in ex.changed]
    facts = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return (f'<article id="{escape(ex.id)}"><h2>{escape(ex.name)} <code>{escape(ex.id)}</code>'
            f'</h2><div class="pic">{drawing}</div><ol>{steps}</ol><dl>{facts}</dl>'
            "</article>")


def exercise_sheet_html() -> str:
    """The whole page, the same bytes for the same library and pictures."""
    cards = "\n".join(_card(ex) for ex in library())
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>Exercise library</title>\n"
            f"<style>{_CSS}</style>\n</head>\n<body>\n<h1>Exercise library</h1>\n"
            "<p>Every exercise backpain may give, with the picture the handouts show, the "
            "steps the client reads and the doses (generated from "
            "backpain_cli/clinical/exercises.toml and backpain_cli/output/poses.toml by "
            "<code>python tools/pictures.py</code>).</p>\n"
            "<div class=\"grid\">\n" + cards + "\n</div>\n</body>\n</html>\n")
