"""`backpain letter`: a one-page letter to the client's doctor, or a handover to a colleague,
on the practice's header, in Markdown, HTML or (through output/pdf.py) PDF.

To the doctor the sections come in the order GPs ask for (Hayward and Willcock 2014): why
I am writing and how soon the client should be seen, in the triage's own words; the warning
signs, each with how soon it needs a doctor, and why signs together matter (the tier rules
T1 to T7); the problem in two sentences; relevant history; the scores with what they mean
and the change since the first visit; what was advised and done (the plan's headline items
and the practitioner's notes); the question for the doctor; the practitioner's contact. An
emergency visit's letter records what was advised and when, and says that it never
replaces the emergency call. To a colleague: the same facts as a handover, without the
referral's request and question.

All words are data (letter.toml beside this module). `build` makes the letter's content
from the facts the use case gathered (`LetterFacts`); `markdown` and `html` only lay it
out, so the formats cannot say different things. The client's name and date of birth are
never stored: blank lines unless given for this letter.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from functools import cache
from html import escape as html_escape
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..clinical.triage import (
    FLAG_CLASS,
    INFECTION_RISKS,
    METASTASIS_FEATURES,
    RISK_FACTOR,
    TIERS,
)
from ..files import parse_toml
from ..frozen import frozen
from ..records.session import Session
from ..safe_text import visible_in
from . import wording
from .markdown import escape as md_escape

if TYPE_CHECKING:
    from ..clinical.followup import History, Note
    from ..clinical.questionnaire import AnswerValue, Question

DOCTOR = "doctor"
COLLEAGUE = "colleague"
RECIPIENTS = (DOCTOR, COLLEAGUE)
# The plan's headline items on one page: the first few recommendations (the plan puts the
# medical ones first), and at most this much of the practitioner's notes.
MAX_ITEMS = 6
MAX_NOTES = 300
EMERGENCY_REFERRAL = "medical.emergency_referral"
SUBSCORES = ("startback_total", "startback_psychosocial")


@cache
def words() -> Mapping[str, Any]:
    text = (resources.files(__package__) / "letter.toml").read_text(encoding="utf-8")
    return parse_toml(text)


@frozen
class LetterFacts:
    """What a letter says, gathered by the use case (flows/letter.py)."""

    session: Session
    to: str  # DOCTOR or COLLEAGUE
    written: dt.date  # the letter's date, on the practitioner's calendar
    questions: Mapping[str, Question]  # for answer labels
    rules: tuple[str, ...] = ()  # the tier rules that fired (T1-T7)
    history: History[Session] | None = None
    notes: tuple[Note, ...] = ()
    name: str | None = None
    born: dt.date | None = None


@frozen
class Section:
    heading: str
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    # The practitioner's notes after the items, under their own label: each note's lines.
    notes_label: str | None = None
    notes: tuple[tuple[str, ...], ...] = ()


@frozen
class Letter:
    title: str
    practice: tuple[str, ...]  # the header: name, contact
    date: str
    client: tuple[tuple[str, str], ...]  # (label, value or a blank line)
    salutation: str
    sections: tuple[Section, ...]
    closing: str
    signature: tuple[str, ...]
    soon: str | None = None  # to the doctor: how soon, in the triage's words


def people_date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def local_time(moment: dt.datetime) -> str:
    """The time of `moment` on the practitioner's clock (the C library's, as local_day)."""
    return time.strftime("%H:%M", time.localtime(moment.timestamp()))


def _joined(parts: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def _labels(facts: LetterFacts, qid: str) -> list[str] | None:
    """An answer's labels in lower case (None: not asked); "none" gives []."""
    value: AnswerValue | None = facts.session.answers.get(qid)
    if value is None:
        return None
    question = facts.questions.get(qid)
    values = value if isinstance(value, tuple) else (value,)
    out = []
    for v in values:
        if v == "none":
            continue
        label = question.label(str(v)) if question is not None else str(v).replace("_", " ")
        # "Osteoporosis (thin, fragile bones)" reads "osteoporosis" in a sentence.
        label = label.split(" (")[0]
        out.append(label[:1].lower() + label[1:])
    return out


def _problem(facts: LetterFacts) -> Section:
    w = words()["problem"]

    def phrase(qid: str, key: str) -> str | None:
        found = _labels(facts, qid)
        if found is None:
            return None
        return str(w[key]).format(**{key: _joined(found) if found else w["nothing"]})

    first = ", ".join(p for p in (
        " ".join(p for p in (w["pain"], phrase("pain_duration", "duration")) if p),
        phrase("pain_location", "where")) if p) + "."
    course = " and ".join(p for p in (phrase("pain_worse_with", "worse"),
                                      phrase("pain_eased_by", "eased")) if p)
    onset = facts.session.answers.get("onset")
    began = (str(w["onset"]).format(onset=words()["onset"].get(str(onset), str(onset)))
             if onset is not None else None)
    if course:
        second = f"It is {course}" + (f"; {began}." if began else ".")
    elif began:
        second = f"{began[:1].upper()}{began[1:]}."
    else:
        second = str(w["course_unknown"])
    return Section(words()["headings"]["problem"], (f"{first} {second}",))


def _signs(facts: LetterFacts, plan_flags: Sequence[Any]) -> Section:
    """The signs grouped by their tier, most urgent first (one line a tier keeps the
    longest letter on one page), then why signs together matter (the rules that fired)."""
    w = words()
    items = []
    for tier in TIERS:
        signs = [wording.flag_text(f.id) for f in plan_flags if f.tier == tier]
        if signs:
            label = str(w["tier"][tier])
            items.append(f"{label[:1].upper()}{label[1:]}: {'; '.join(signs)}.")
    counted = {f.id for f in plan_flags}
    rules = []
    for rule in facts.rules:
        risks = _joined([wording.flag_text(r) for r in INFECTION_RISKS if r in counted])
        features = _joined([wording.flag_text(r) for r in METASTASIS_FEATURES if r in counted])
        rules.append(w["rules"][rule].format(risks=risks, features=features))
    # One paragraph: several rules can fire at once.
    paragraphs = ((" ".join(rules),) if rules else ()) if plan_flags else (w["signs"]["none"],)
    return Section(w["headings"]["signs"], paragraphs=paragraphs, items=tuple(items))


def _history(facts: LetterFacts, plan_flags: Sequence[Any]) -> Section:
    w = words()["history"]
    answers = facts.session.answers

    def listed(qid: str) -> str:
        found = _labels(facts, qid)
        if found is None:
            return str(w["not_asked"])
        return _joined(found) if found else str(w["none"])

    risks = [wording.flag_text(f.id) for f in plan_flags
             if FLAG_CLASS.get(f.id) == RISK_FACTOR and f.id != "rf_anticoagulant"]
    thinner = answers.get("rf_anticoagulant")
    thinner_text = (w["not_asked"] if thinner is None
                    else w["blood_thinner_yes"] if thinner else w["blood_thinner_no"])
    items = []
    if isinstance(answers.get("age"), int):
        items.append(f"{w['age']}: {answers['age']}.")
    episode = answers.get("first_episode")
    if isinstance(episode, bool):
        items.append(str(w["first_episode"] if episode else w["not_first"]))
    items += [
        f"{w['diagnoses']}: {listed('diagnoses')}.",
        f"{w['care']}: {listed('current_care')}.",
        f"{w['risks']}: {_joined(risks) if risks else w['none']}.",
        f"{w['blood_thinner']}: {thinner_text}.",
    ]
    return Section(words()["headings"]["history"], items=tuple(items))


def _scores(facts: LetterFacts) -> Section:
    w = words()["scores"]
    plan = facts.session.plan
    scores = plan.scores if plan is not None else {}
    changes: dict[str, str] = {}
    first_day: str | None = None
    visit_number = 1
    if facts.history is not None:
        changes = {key: since for key, _, since, _ in
                   wording.change_rows(facts.session, facts.history)}
        visit = next((v for v in facts.history.visits if v.session.id == facts.session.id),
                     None)
        if visit is not None:
            visit_number = visit.number
        if facts.history.visits:
            first_day = wording.day(facts.history.visits[0].session.created)
    order = list(wording.SCORE_LABELS)
    items = []
    for key in sorted(scores, key=lambda k: order.index(k) if k in order else len(order)):
        value = scores[key]
        line = f"{wording.SCORE_LABELS.get(key, key)}: {wording.format_score(key, value)}"
        # The subscores' meaning is the risk group's line (how it follows from them).
        meaning = "" if key in SUBSCORES else wording.score_meaning(key, value)
        if meaning:
            line += f" ({meaning})"
        if key in changes and first_day is not None:
            line += f"; {w['since_first'].format(first=first_day)}: {changes[key]}"
        items.append(line + ".")
    paragraphs = (w["first_visit"],) if visit_number == 1 and items else ()
    return Section(words()["headings"]["scores"], paragraphs=paragraphs,
                   items=tuple(items) if items else (w["none"],))


def _notes(notes: Sequence[Note]) -> tuple[tuple[tuple[str, ...], ...], bool]:
    """The readable notes as (date: first line, further lines...), cut to MAX_NOTES."""
    out: list[tuple[str, ...]] = []
    left = MAX_NOTES
    cut = False
    for note in notes:
        if note.id is None:
            continue
        text = note.text.strip()
        if len(text) > left:
            text = text[:max(left, 0)].rstrip() + "…"
            cut = True
        lines = text.splitlines() or [""]
        out.append((f"{wording.day(note.created)}: {lines[0]}", *lines[1:]))
        left -= len(text)
        if left <= 0:
            cut = cut or len(out) < sum(1 for n in notes if n.id is not None)
            break
    return tuple(out), cut


def _done(facts: LetterFacts) -> Section:
    w = words()["done"]
    plan = facts.session.plan
    recommendations = plan.recommendations if plan is not None else ()
    paragraphs: list[str] = []
    emergency = next((r for r in recommendations if r.id == EMERGENCY_REFERRAL), None)
    if emergency is not None:
        when = w["emergency_advice"].format(time=local_time(facts.session.created),
                                            visit=wording.day(facts.session.created))
        paragraphs.append(f"{when}: “{emergency.detail}”")
        items: tuple[str, ...] = ()
    else:
        items = tuple(f"{r.title}." for r in recommendations[:MAX_ITEMS]) or (w["none"],)
    notes, cut = _notes(facts.notes)
    if cut:
        notes = (*notes, (w["notes_cut"],))
    return Section(words()["headings"]["done"], tuple(paragraphs), items,
                   w["notes"] if notes else None, notes)


def _client(facts: LetterFacts) -> tuple[tuple[str, str], ...]:
    w = words()["client"]
    # "" is a line to fill in by hand: each format draws its own.
    return ((w["name"], facts.name or ""),
            (w["born"], people_date(facts.born) if facts.born else ""),
            (w["reference"], facts.session.client))


def build(facts: LetterFacts) -> Letter:
    """The letter's content: every word from letter.toml and the facts."""
    w = words()
    session = facts.session
    plan = session.plan
    if plan is None:
        raise ValueError("a letter needs a completed visit")  # the use case refuses drafts
    triage = plan.triage
    flags = plan.red_flags
    visit = wording.day(session.created)
    why_key = "why_doctor" if facts.to == DOCTOR else "why_colleague"
    why = w[why_key][triage].format(visit=visit, time=local_time(session.created))
    sections = [
        Section(w["headings"]["why"], (why,)),
        _signs(facts, flags),
        _problem(facts),
        _history(facts, flags),
        _scores(facts),
        _done(facts),
    ]
    if facts.to == DOCTOR:
        sections.append(Section(w["headings"]["question"], (w["question"][triage],)))
    practice = session.practice
    header = tuple(p for p in (practice.name, practice.contact) if p)
    contact = w["contact"]
    signature = tuple(p for p in (
        practice.practitioner,
        " · ".join(p for p in (practice.name, practice.contact) if p)) if p
    ) or (contact["none"],)
    letter = Letter(
        title=w["headings"][facts.to],
        practice=header,
        date=people_date(facts.written),
        client=_client(facts),
        salutation=w["salutation"][facts.to],
        sections=tuple(sections),
        closing=w["salutation"]["closing"],
        signature=signature,
        soon=w["soon"][triage] if facts.to == DOCTOR else None,
    )
    # Stored texts (notes, the practice's settings) shown with their control characters
    # as placeholders, as everywhere else.
    return visible_in(letter)


SOON_LABEL = "How soon"
BLANK = "_" * 30  # a line to write on (a run of underscores alone is no emphasis)


def markdown(letter: Letter) -> str:
    e = md_escape
    out = []
    if letter.practice:
        out += [f"**{e(letter.practice[0])}**  ", *(f"{e(p)}  " for p in letter.practice[1:]), ""]
    out += [f"# {e(letter.title)}", "", e(letter.date), ""]
    out += [f"**{e(label)}:** {e(value) if value else BLANK}  " for label, value in letter.client]
    out += ["", e(letter.salutation), ""]
    for n, section in enumerate(letter.sections):
        out += [f"## {e(section.heading)}", ""]
        for paragraph in section.paragraphs:
            out += [e(paragraph), ""]
        if n == 0 and letter.soon is not None:
            out += [f"**{SOON_LABEL}: {e(letter.soon)}**", ""]
        if section.items:
            out += [*(f"- {e(item)}" for item in section.items), ""]
        if section.notes_label is not None:
            out += [e(section.notes_label) + ":", ""]
        for note in section.notes:
            first, *rest = note
            out += [f"- {e(first)}" + ("  " if rest else "")]
            out += [f"  {e(line)}" + ("  " if i < len(rest) - 1 else "")
                    for i, line in enumerate(rest)]
        if section.notes:
            out.append("")
    out += [e(letter.closing), "", *(f"{e(s)}  " for s in letter.signature)]
    return "\n".join(out).rstrip() + "\n"


# One page on A4 and on Letter: the content is sized for the smaller of each side (A4's
# width, Letter's height), and the print margins of both.
CSS = """
@page { margin: 12mm 15mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif;
  font-size: 9pt; line-height: 1.25; color: #000; margin: 0 auto; max-width: 48em; }
header { display: flex; justify-content: space-between; align-items: flex-start; }
.practice { text-align: right; margin: 0; }
.practice strong { font-size: 10.5pt; }
h1 { font-size: 12pt; margin: 0 0 .2em; }
h2 { font-size: 9.5pt; margin: .4em 0 .05em; }
p { margin: .12em 0; }
ul { margin: .05em 0 .05em 1.1em; padding: 0; }
ul.short { columns: 2; column-gap: 2em; }
li { margin: 0; break-inside: avoid; }
.client { margin: .3em 0 .4em; }
.client .field { margin-right: 1.5em; white-space: nowrap; }
.soon { font-weight: bold; }
.blank { display: inline-block; width: 12em; border-bottom: 1px solid #000; height: 1em;
  vertical-align: bottom; }
.note { white-space: pre-line; }
.signature { margin-top: .3em; }
@media screen { body { margin: 2em auto; padding: 0 1em; } }
"""


def html(letter: Letter) -> str:
    def e(text: str) -> str:
        return html_escape(text, quote=True)

    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{e(letter.title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>"]
    out += ["<header>", f"<div><h1>{e(letter.title)}</h1><p>{e(letter.date)}</p></div>"]
    if letter.practice:
        out.append('<p class="practice"><strong>' + e(letter.practice[0]) + "</strong>"
                   + "".join(f"<br>{e(p)}" for p in letter.practice[1:]) + "</p>")
    # The client on one line: a name and a date of birth to fill in, our reference.
    out += ["</header>", '<p class="client">' + "".join(
        f'<span class="field">{e(label)}: '
        + (f"<strong>{e(value)}</strong>" if value else '<span class="blank"></span>')
        + "</span>" for label, value in letter.client) + "</p>",
        f"<p>{e(letter.salutation)}</p>"]
    for n, section in enumerate(letter.sections):
        out.append(f"<h2>{e(section.heading)}</h2>")
        out += [f"<p>{e(p)}</p>" for p in section.paragraphs]
        if n == 0 and letter.soon is not None:
            out.append(f'<p class="soon">{e(SOON_LABEL)}: {e(letter.soon)}</p>')
        if section.items:
            # Short items (the history) in two columns: one page for the longest letter.
            short = all(len(item) <= 60 for item in section.items)
            out += ['<ul class="short">' if short and len(section.items) > 2 else "<ul>",
                    *(f"<li>{e(item)}</li>" for item in section.items), "</ul>"]
        if section.notes_label is not None:
            out += [f"<p>{e(section.notes_label)}:</p>", "<ul>",
                    *(f'<li class="note">{e(chr(10).join(n))}</li>' for n in section.notes),
                    "</ul>"]
    out += [f'<p class="signature">{e(letter.closing)}</p>',
            "<p>" + "<br>".join(e(s) for s in letter.signature) + "</p>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
