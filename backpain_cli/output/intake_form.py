"""The client's intake form as one self-contained HTML file (issue 21).

Everything is inline: the CSS, the script and the questions. The Content-Security-Policy
forbids every request (default-src 'none'); the one script and the one style sheet are
allowed by their hashes, nothing else runs. The questions are rendered here from the
question model; the script reads the same model as JSON (clinical.intake.form_spec) to show
and hide questions and check answers by the interview's rules, and saves an answers file.
Printed, the page is a paper form: every question shown, each condition in words.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from ..clinical.questionnaire import Condition, Module, Question
from ..frozen import frozen
from . import intake_words as w
from .client_page import ACCENT, BASE_CSS, INK, MUTED
from .intake_script import SCRIPT
from .wording import PLACE_WORDS

ALERT = "#8a1c1c"

CSS = BASE_CSS + f"""main {{ max-width: 40rem; margin: 0 auto; padding: 0.75rem 0.75rem 2rem; }}
h1 {{ font-size: 1.5rem; line-height: 1.2; margin: 0.25rem 0 0.5rem; }}
h2 {{ font-size: 1.25rem; line-height: 1.2; color: {ACCENT}; margin: 0.5rem 0; }}
.progress {{ font-weight: bold; color: {ACCENT}; margin: 0.5rem 0; }}
.practice {{ font-weight: bold; color: {ACCENT}; margin: 0 0 0.5rem; }}
.q {{ border: 0; margin: 0 0 1.25rem; padding: 0; min-width: 0; }}
.qtext {{ font-weight: bold; display: block; margin-bottom: 0.25rem; padding: 0; }}
.help, .range {{ color: {MUTED}; margin: 0 0 0.4rem; }}
.parts {{ margin: 0 0 0.4rem; }}
.parts ul {{ margin: 0.2rem 0 0; padding-left: 1.4rem; }}
.opt {{ display: flex; align-items: center; gap: 0.6rem; min-height: 44px;
  padding: 0.35rem 0.5rem; margin: 0.2rem 0; border: 1px solid #8a949e; border-radius: 6px;
  cursor: pointer; }}
.opt input {{ width: 24px; height: 24px; margin: 0; flex: none; }}
.opt:focus-within {{ outline: 3px solid {ACCENT}; outline-offset: 1px; }}
input[type=text] {{ font-size: 1.1rem; width: 7rem; min-height: 44px; padding: 0.3rem 0.5rem;
  border: 2px solid {MUTED}; border-radius: 6px; }}
input[type=text]:focus {{ outline: 3px solid {ACCENT}; }}
.error {{ color: {ALERT}; font-weight: bold; margin: 0.3rem 0 0; }}
[aria-invalid=true] {{ border-color: {ALERT}; }}
.nav {{ display: flex; flex-wrap: wrap; gap: 0.75rem; margin: 1.5rem 0 0; }}
button {{ font-size: 1.05rem; min-height: 44px; min-width: 44px; padding: 0.5rem 1.1rem;
  border-radius: 6px; border: 2px solid {ACCENT}; background: #fff; color: {ACCENT};
  cursor: pointer; }}
button.main {{ background: {ACCENT}; color: #fff; }}
button:focus {{ outline: 3px solid {INK}; outline-offset: 2px; }}
.alert {{ border: 4px solid {ALERT}; background: #fdecec; color: {INK}; padding: 0.75rem 1rem;
  margin: 0.75rem 0; border-radius: 6px; }}
.alert h2 {{ color: {ALERT}; margin-top: 0; }}
.alert p {{ margin: 0.3rem 0; font-weight: bold; }}
.status {{ font-weight: bold; }}
.if {{ display: none; }}
@media print {{
  html {{ font-size: 12pt; }}
  main {{ max-width: none; padding: 0; }}
  section[hidden], .q[hidden] {{ display: block; }}
  .if {{ display: block; font-style: italic; margin: 0 0 0.3rem; }}
  .nav, .progress, .screen-only, section.screen-only[hidden], .error, .alert {{
    display: none; }}
  .q {{ break-inside: avoid; margin-bottom: 0.8rem; }}
  h2 {{ break-after: avoid; }}
  .opt {{ min-height: 0; border: 0; padding: 0.05rem 0; }}
  .opt input {{ width: 14px; height: 14px; }}
  input[type=text] {{ border: 1px solid {INK}; min-height: 0; height: 1.6em; }}
}}
"""


@frozen
class IntakeForm:
    """What the form holds: its modules (interview order), the client's reference if given,
    the model as the script reads it, and the emergency places (clinical.intake)."""

    modules: tuple[Module, ...]
    client: str | None
    spec: Mapping[str, Any]
    places: Mapping[str, Mapping[str, Sequence[str]]]
    signs: tuple[str, ...]
    # Who the form is from (the practice's settings, one line): a client who gets the file
    # by e-mail knows whose it is.
    practice: str = ""


def _sha(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def csp(script: str, style: str) -> str:
    """No request of any kind; only this page's own script and style sheet."""
    return (f"default-src 'none'; script-src '{_sha(script)}'; style-src '{_sha(style)}'; "
            "base-uri 'none'; form-action 'none'")


def _text(q: Question) -> str:
    return q.client_text or q.text


def _label(q: Question, value: str) -> str:
    for c in q.choices:
        if c.value == value:
            return c.client_label or c.label
    return value


def _said(cond: Condition, target: Question) -> str:
    """One condition in the client's words ("you answered “Pregnant now” to “…”")."""
    asked = f"\u201c{_text(target)}\u201d"
    op, value = cond.operator, cond.value
    negate = cond.negate
    if target.type == "int":
        words = {">": "more than {v}", "<": "less than {v}", ">=": "{v} or more",
                 "<=": "{v} or less", "=": "{v}", "!=": "not {v}"}
        said = (" or ".join(str(v) for v in value) if op == "in"
                else words[op].format(v=value))
        return f"your answer to {asked} is {'not ' if negate else ''}{said}"
    if target.type == "yesno":
        yes = (value is True) != (op == "!=") != negate
        return f"you answered {'yes' if yes else 'no'} to {asked}"
    values = value if isinstance(value, tuple) else (value,)
    named = " or ".join(f"\u201c{_label(target, v)}\u201d" for v in values)
    not_ = (op == "!=") != negate
    if target.type == "multi":
        return f"you {'did not tick' if not_ else 'ticked'} {named} for {asked}"
    return f"you {'did not answer' if not_ else 'answered'} {named} to {asked}"


def only_if(q: Question, questions: Mapping[str, Question]) -> str | None:
    """The condition of `q` as the paper form says it, or None when it is always asked."""
    if q.when is None:
        return None
    joiner = " and " if q.when.mode == "all" else " or "
    said = joiner.join(_said(c, questions[c.question]) for c in q.when.conditions
                       if c.question in questions)
    return w.ONLY_IF.format(conditions=said) if said else None


def _options(q: Question) -> list[str]:
    kind = "checkbox" if q.type == "multi" else "radio"
    if q.type == "yesno":
        values = [("yes", w.YES), ("no", w.NO)]
    else:
        values = [(c.value, c.client_label or c.label) for c in q.choices]
    return [f'<label class="opt"><input type="{kind}" name="{q.id}" value="{escape(v)}" '
            f'aria-describedby="e-{q.id}"><span>{escape(label)}</span></label>'
            for v, label in values]


def _question(q: Question, questions: Mapping[str, Question]) -> str:
    out: list[str] = []
    described = []
    if q.client_help:
        described.append(f'<p class="help" id="h-{q.id}">{escape(q.client_help)}</p>')
    parts = q.client_parts or q.parts
    if parts:
        heading = w.PARTS_HEADINGS.get(q.parts_heading or "", q.parts_heading or "")
        items = "".join(f"<li>{escape(p)}</li>" for p in parts)
        described.append(f'<div class="parts" id="p-{q.id}"><p class="help">'
                         f"{escape(heading)}</p><ul>{items}</ul></div>")
    condition = only_if(q, questions)
    if condition:
        described.append(f'<p class="if">{escape(condition)}</p>')
    if q.type == "multi":
        described.append(f'<p class="help">{escape(w.TICK_ALL)}</p>')
    error = f'<p class="error" id="e-{q.id}" hidden></p>'
    if q.type == "int":
        rng = w.RANGE.format(min=q.min, max=q.max)
        ids = " ".join(x for x in (f"h-{q.id}" if q.client_help else "", f"r-{q.id}",
                                   f"e-{q.id}") if x)
        out.append(f'<div class="q" id="q-{q.id}" data-q="{q.id}">'
                   f'<label class="qtext" for="i-{q.id}">{escape(_text(q))}</label>'
                   + "".join(described)
                   + f'<p class="range" id="r-{q.id}">{escape(rng)}</p>'
                   f'<input type="text" id="i-{q.id}" name="{q.id}" inputmode="numeric" '
                   f'autocomplete="off" aria-describedby="{ids}">{error}</div>')
    else:
        ids = " ".join(x for x in (f"h-{q.id}" if q.client_help else "",
                                   f"p-{q.id}" if parts else "") if x)
        describedby = f' aria-describedby="{ids}"' if ids else ""
        role = "radiogroup" if q.type != "multi" else "group"
        out.append(f'<fieldset class="q" id="q-{q.id}" data-q="{q.id}" role="{role}"'
                   f'{describedby}><legend class="qtext">{escape(_text(q))}</legend>'
                   + "".join(described) + "".join(_options(q)) + error + "</fieldset>")
    return "".join(out)


def _data(form: IntakeForm) -> str:
    data = {**form.spec, "client": form.client, "signs": list(form.signs),
            "places": form.places,
            "place_words": dict(PLACE_WORDS),
            "texts": {"part": w.PART, "messages": dict(w.MESSAGES), "saved": w.SAVED,
                      "not_answered": w.NOT_ANSWERED, "confirm": w.START_AGAIN_CONFIRM,
                      "emergency": w.EMERGENCY_TEXT},
            "titles": [m.title for m in form.modules] + [w.SAVE_TITLE]}
    # "</" would end the script element: JSON allows "<\/" for it.
    return json.dumps(data, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")


def render(form: IntakeForm) -> str:
    """The whole page."""
    questions = {q.id: q for m in form.modules for q in m.questions}
    total = len(form.modules) + 1
    sections = []
    for n, m in enumerate(form.modules, 1):
        intro = f"<p>{escape(m.client_intro)}</p>" if m.client_intro else ""
        body = "".join(_question(q, questions) for q in m.questions)
        sections.append(
            f'<section class="group" id="g-{n}" aria-labelledby="t-{n}"'
            f'{" hidden" if n > 1 else ""}><h2 id="t-{n}" tabindex="-1">'
            f"{escape(m.title)}</h2>{intro}{body}</section>")
    sections.append(
        f'<section class="group screen-only" id="g-{total}" aria-labelledby="t-{total}" '
        f'hidden><h2 id="t-{total}" tabindex="-1">{escape(w.SAVE_TITLE)}</h2>'
        f"<p>{escape(w.SAVE_TEXT)}</p>"
        f'<p id="missing" hidden>{escape(w.NOT_ANSWERED)}</p>'
        f'<p><button type="button" class="main" id="save">{escape(w.SAVE)}</button></p>'
        f'<p class="status" id="saving" role="status"></p></section>')
    progress = w.PART.format(n=1, total=total, title=form.modules[0].title)
    emergency = (
        f'<div class="alert" id="emergency" role="alert" hidden>'
        f'<h2>{escape(w.EMERGENCY_TITLE)}</h2><p id="emergency-text"></p>'
        f"<p>{escape(w.EMERGENCY_TELL)}</p><p>{escape(w.EMERGENCY_FINISH)}</p></div>")
    nav = (f'<div class="nav"><button type="button" id="back" hidden>{escape(w.BACK)}</button>'
           f'<button type="button" class="main" id="next">{escape(w.NEXT)}</button>'
           f'<button type="button" id="restart">{escape(w.START_AGAIN)}</button></div>')
    script = SCRIPT
    style = CSS
    return "\n".join((
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp(script, style)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{escape(w.TITLE)}</title>",
        f"<style>{style}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{escape(w.TITLE)}</h1>",
        f'<p class="practice">{escape(form.practice)}</p>' if form.practice else "",
        f'<p class="screen-only">{escape(w.LEAD)}</p>',
        f'<p class="if">{escape(w.LEAD_PAPER)}</p>',
        emergency,
        f'<p class="progress" id="progress" aria-live="polite">{escape(progress)}</p>',
        '<form id="form" autocomplete="off" novalidate>',
        *sections,
        "</form>",
        nav,
        "</main>",
        f'<script type="application/json" id="form-data">{_data(form)}</script>',
        f"<script>{script}</script>",
        "</body>",
        "</html>",
        "",
    ))
