"""The client's handout (issue 20, item 3): what it says, in its order, for any format.

`ClientHandout` holds every input, explicitly: the plan, the advice chosen for the handout
(clinical.handout_choice), the exercise programme, the visit's day, the client's visits so
far, the note for the client, the client's name for this print, and the practice. From
them `content()` builds the handout as plain data, section by section, in the order the
client reads it:

what we found · your next steps · your exercises · on a bad day and the two-week diary ·
your progress · when to get help sooner · your next check · a note for you · who to ask.

An emergency handout holds the first section alone: the referral, where to go and the
signs (the client is going to hospital, not doing exercises). The HTML and Markdown
renderers (client_handout_html, client_handout_md) only lay this out, so both formats
always say the same.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import field

from ..clinical.exercises import Exercise, library
from ..clinical.handout_choice import is_required
from ..clinical.model import NOTICE, Plan, Recommendation
from ..clinical.programme import PELVIC_FLOOR, REST_POSITION, Programme, flare_sentences
from ..clinical.questionnaire import AnswerValue
from ..clinical.recommender import without_dropped
from ..frozen import frozen
from . import handout_words as w
from .handout_because import because_line
from .wording import flag_text

SAFETY_NET = "medical.safety_net"
# The referral each triage puts in the "what we found" box; any other referral (a routine
# one) is the first of the next steps.
TRIAGE_REFERRAL = {"emergency": "medical.emergency_referral",
                   "same_day": "medical.same_day_referral",
                   "urgent": "medical.urgent_referral"}
DIARY_DAYS = 14
MOST_VISITS = 6  # the progress chart shows at most the last six visits


@frozen
class Visit:
    """One visit of the client, for the progress section: its day, the pain that day
    (0 to 10, None when not asked), and at a follow-up the client's own account of the
    exercises (`programme_adherence`) and the step the programme took."""

    day: dt.date
    pain: int | None
    adherence: str | None = None
    step: str | None = None


@frozen
class ClientHandout:
    """Every input of the client's handout.

    `chosen`: the recommendation ids picked for the handout (HandoutChoice.picks); the
    plan's required advice is always added. `dropped`: exercise ids of the programme left
    off. `visits`: the client's visits up to and including this one, oldest first (the
    progress section needs two or more). `next_check`: the day of the next check; None
    counts it from `visit_day` and the plan's interval. `name`: printed only when given.
    """

    plan: Plan
    chosen: Sequence[str]
    programme: Programme
    visit_day: dt.date
    dropped: Sequence[str] = ()
    visits: Sequence[Visit] = ()
    next_check: dt.date | None = None
    client_note: str | None = None
    name: str | None = None
    practice_name: str | None = None
    practice_contact: str | None = None
    practitioner: str | None = None
    # Where the emergency referral sends the client
    # (clinical.recommender.emergency_places); empty outside an emergency.
    places: Sequence[str] = ()
    # The warning signs are the client's answers on the intake form, not yet confirmed.
    signs_unconfirmed: bool = False
    # The session's answers, for the "Because ..." line of each piece of advice (only
    # answers given here are ever named); without them there is no such line.
    answers: Mapping[str, AnswerValue] = field(default_factory=dict)


# --------------------------------------------------------------------------- content


@frozen
class Found:
    triage: str
    headline: str
    text: tuple[str, ...]
    noticed: tuple[str, ...]
    where: tuple[str, ...]
    pain: tuple[str, ...]


@frozen
class Step:
    id: str
    title: str
    text: str
    because: str | None = None  # "Because you sleep on your side."


@frozen
class Card:
    """One exercise as the client reads it."""

    id: str
    name: str
    steps: tuple[str, ...]
    dose: str
    easier: str | None
    harder: str | None
    for_you: tuple[str, ...]


@frozen
class BadDay:
    text: tuple[str, ...]
    rest: Card | None
    easier: tuple[tuple[str, str], ...]  # (name, the easier dose) of the flare plan's exercise


@frozen
class Diary:
    rows: tuple[str, ...]
    days: tuple[dt.date, ...]


@frozen
class Progress:
    visits: tuple[Visit, ...]
    chart_title: str
    with_exercises: bool


@frozen
class Content:
    """The handout as data, section by section (an empty section is not shown)."""

    date: dt.date
    name: str | None
    practice: tuple[str, ...]
    found: Found
    emergency: bool
    steps: tuple[Step, ...] = ()
    programme_heading: tuple[str, ...] = ()
    cards: tuple[Card, ...] = ()
    bad_day: BadDay | None = None
    diary: Diary | None = None
    progress: Progress | None = None
    help_sooner: tuple[str, ...] = ()
    next_check: tuple[str, ...] = ()
    note: tuple[str, ...] = ()
    who: tuple[str, ...] = field(default=())
    notice: str = NOTICE


def long_day(day: dt.date) -> str:
    """A date as a client reads it aloud: "Tuesday 1 September 2026"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def month_span(days: Sequence[dt.date]) -> str:
    """The months of a run of days: "September 2026", "September to October 2026",
    "December 2026 to January 2027"."""
    first, last = days[0], days[-1]
    if (first.year, first.month) == (last.year, last.month):
        return f"{first:%B %Y}"
    if first.year == last.year:
        return f"{first:%B} to {last:%B %Y}"
    return f"{first:%B %Y} to {last:%B %Y}"


def short_day(day: dt.date) -> str:
    """A date in a chart or table: "1 Sep"."""
    return f"{day.day} {day:%b}"


def sentences(text: str) -> tuple[str, ...]:
    """A text's sentences (a full stop, question or exclamation mark, then a capital)."""
    return tuple(s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'‘“])", text.strip()) if s)


def _rec(plan: Plan, rec_id: str) -> Recommendation | None:
    return next((r for r in plan.recommendations if r.id == rec_id), None)


def _flag_words(flag_id: str) -> str:
    text = w.FLAG_WORDS.get(flag_id) or flag_text(flag_id)
    return text[:1].upper() + text[1:]


def _found(h: ClientHandout) -> Found:
    plan = h.plan
    headline, text = w.TRIAGE.get(plan.triage, w.TRIAGE["none"])
    referral = _rec(plan, TRIAGE_REFERRAL.get(plan.triage, ""))
    said: tuple[str, ...] = (referral.detail if referral is not None else text,)
    if h.signs_unconfirmed:
        said = (*said, w.SIGNS_UNCONFIRMED)
    where = tuple(w.PLACES[p] for p in h.places if p in w.PLACES)
    pain = []
    if plan.triage != "emergency":
        for key, template in (("nprs_now", w.PAIN_TODAY), ("nprs_worst_week", w.PAIN_WORST)):
            value = plan.scores.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                pain.append(template.format(n=value))
    return Found(plan.triage, headline, said,
                 tuple(_flag_words(f.id) for f in plan.red_flags), where, tuple(pain))


def _steps(h: ClientHandout) -> tuple[Step, ...]:
    """Required advice and the picks, in plan order, without what other sections show."""
    shown_elsewhere = {SAFETY_NET, TRIAGE_REFERRAL.get(h.plan.triage)}
    wanted = set(h.chosen)
    gone = frozenset(h.dropped)
    return tuple(Step(r.id, r.title, without_dropped(r.id, r.detail, gone),
                      because_line(r, h.answers, h.plan.scores, h.plan.red_flags))
                 for r in h.plan.recommendations
                 if (r.id in wanted or is_required(r.id)) and r.id not in shown_elsewhere)


def _changes(exercise: Exercise, when: Sequence[str]) -> tuple[str, ...]:
    return tuple(c.text for c in exercise.changed if c.when in when)


def _cards(h: ClientHandout) -> tuple[Card, ...]:
    lib = library()
    gone = set(h.dropped)
    out = []
    for item in h.programme.items:
        if item.id in gone:
            continue
        exercise = lib[item.id]
        out.append(Card(item.id, item.name, exercise.steps, item.dose,
                        item.easier if item.easier != item.dose else None,
                        item.progression if item.progression != item.dose else None,
                        _changes(exercise, item.changes)))
    return tuple(out)


def _bad_day(h: ClientHandout) -> BadDay | None:
    """The flare-up plan of the exercises on the handout: when the practitioner dropped
    its exercise, the first kept one that is not pelvic floor takes its place (the rule
    of "Flare-up plan", on the programme as handed out), or the rest position alone; a
    dropped exercise is named nowhere on the handout."""
    flare = h.programme.flare_plan
    if not flare:
        return None
    lib = library()
    gone = set(h.dropped)
    rest = None
    named: list[tuple[str, str, Sequence[str]]] = []  # (id, name, changes)
    for item in flare:
        exercise = lib[item.id]
        if item.id == REST_POSITION:
            rest = Card(item.id, item.name, exercise.steps, item.dose, None, None,
                        _changes(exercise, item.changes))
        else:
            named.append((item.id, item.name, item.changes))
    text = tuple(h.programme.flare_text)
    if named and named[0][0] in gone:
        kept = next((i for i in h.programme.items
                     if i.id not in gone and i.id != PELVIC_FLOOR), None)
        named = [] if kept is None else [(kept.id, kept.name, kept.changes)]
        opening = flare_sentences(kept.name if kept is not None else None, False)[0]
        text = (opening, *text[1:])
    easier = tuple((name, " ".join((lib[ex_id].dose_at("easier"),
                                    *_changes(lib[ex_id], changes))))
                   for ex_id, name, changes in named)
    return BadDay(text, rest, easier)


def _progress(h: ClientHandout) -> Progress | None:
    visits = tuple(h.visits)[-MOST_VISITS:]
    if len(visits) < 2:
        return None
    values = ", ".join(w.CHART_VALUE.format(n=v.pain, day=short_day(v.day))
                       for v in visits if v.pain is not None)
    return Progress(visits, w.CHART_TITLE.format(values=values),
                    any(v.adherence or v.step for v in visits))


def _next_check(h: ClientHandout) -> tuple[str, ...]:
    day = h.next_check
    if day is None and h.plan.reassess_weeks is not None:
        day = h.visit_day + dt.timedelta(weeks=h.plan.reassess_weeks)
    if day is None:
        return ()
    # Without the year: the check is weeks away, and a year read aloud is six syllables.
    return (w.CHECK_ON.format(day=f"{day:%A} {day.day} {day:%B}"),
            *((w.CHECK_BRING,) if _cards(h) else ()))


def _who(h: ClientHandout) -> tuple[str, ...]:
    lines = []
    place = " · ".join(p for p in (h.practice_name, h.practice_contact) if p)
    if place:
        lines.append(place)
    if h.practitioner:
        lines.append(w.SEEN_BY.format(who=h.practitioner))
    return tuple(lines) or (w.ASK_US,)


def content(h: ClientHandout) -> Content:
    """The handout of `h` as data, in reading order."""
    practice = tuple(p for p in (h.practice_name, h.practice_contact) if p)
    found = _found(h)
    if h.plan.triage == "emergency":
        return Content(h.visit_day, h.name, practice, found, emergency=True)
    cards = _cards(h)
    safety = _rec(h.plan, SAFETY_NET)
    note = tuple(line.strip() for line in (h.client_note or "").splitlines() if line.strip())
    return Content(
        date=h.visit_day, name=h.name, practice=practice, found=found, emergency=False,
        steps=_steps(h),
        programme_heading=tuple(h.programme.heading) if cards else (),
        cards=cards, bad_day=_bad_day(h),
        diary=Diary((*(c.name for c in cards), w.DIARY_BAD_DAY),
                    tuple(h.visit_day + dt.timedelta(days=n) for n in range(DIARY_DAYS)))
        if cards else None,
        progress=_progress(h),
        help_sooner=sentences(safety.detail) if safety is not None else (),
        next_check=_next_check(h), note=note, who=_who(h))
