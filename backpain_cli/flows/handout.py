"""The client's handout of a saved visit (issue 20): what goes on it, and the practitioner's
choice of it.

`client_handout` gathers every input of `output.client_handout.ClientHandout` from the
session: its plan and programme, the handout choice saved beside it (the newest "handout"
addendum; without one, the tool's picks), the client's visits from the one history
builder (pain, exercises done and the programme's step, at most the last six), the visit's
day, the practice the session recorded, and the client's name for this print only
(backpain stores no names). `make_handout` is `backpain handout`: a choice given as
options or through the checklist is saved as a new addendum when it differs from the
saved one, so that printing again gives the same handout. Nothing here prompts or prints:
the checklist is a callback the command passes in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..clinical import handout_choice
from ..clinical.engine import holds_for
from ..clinical.followup import History, build_history
from ..clinical.handout_choice import HandoutChoice, HandoutChoiceError, choose
from ..clinical.model import Plan
from ..clinical.programme import STEPS, Programme, Step, flare_sentences, heading_sentences
from ..clinical.reassess import due_date, local_day
from ..clinical.recommender import emergency_places
from ..errors import BackpainError, UsageError
from ..frozen import frozen
from ..records import addenda
from ..records.addenda import HANDOUT, Addendum
from ..records.session import Session, plan_of
from ..records.storage import read_session
from ..records.targets import load_client, resolve_session
from ..records.tree import SessionRef, ref_of
from .notices import Notices

if TYPE_CHECKING:
    from ..output.client_handout import ClientHandout, Visit


@frozen
class Chosen:
    """What the practitioner chose for a session's handout: the advice picked (None: the
    tool's picks), the exercises dropped, and the note to the client."""

    picks: tuple[str, ...] | None = None
    drops: tuple[str, ...] = ()
    client_note: str | None = None

    def body(self, choice: HandoutChoice) -> dict[str, Any]:
        """The addendum's body for `choice` (the picks as ids, never None)."""
        body: dict[str, Any] = {"picks": list(choice.picks), "drops": list(choice.dropped)}
        if self.client_note:
            body["client_note"] = self.client_note
        return body


# A checklist: the plan, its programme, the current choice and note in; the new choice out.
Checklist = Callable[[Plan, Programme, HandoutChoice, "str | None"], Chosen]


def programme_of(session: Session) -> Programme:
    """The session's exercise programme as its plan saved it (a plan saved before version
    3 has none). A saved plan keeps the items, not the heading and flare-up sentences:
    those are worked out again from the visit's answers, as the plan worked them out."""
    plan = plan_of(session)
    items = plan.programme or ()
    heading, flare_text = plan.programme_heading, plan.flare_text
    if items and not (heading or flare_text):
        holds = holds_for(session.answers, plan.scores)
        heading = heading_sentences(holds)
        if plan.flare_plan:
            first = plan.flare_plan[1].name if len(plan.flare_plan) > 1 else None
            flare_text = flare_sentences(first, holds("bone_caution"))
    step = plan.programme_step
    return Programme(tuple(items), tuple(plan.flare_plan),
                     cast("Step | None", step if step in STEPS.values() else None),
                     tuple(heading), tuple(flare_text))


def saved_of(ref: SessionRef, notices: Notices | None = None) -> Chosen | None:
    """The newest handout choice saved beside the session, or None. An addendum that
    cannot be read is said (when `notices` is given) and passed over."""
    found, bad = addenda.addenda_of(ref, HANDOUT)
    for problem in bad:
        if notices is not None:
            notices.unreadable(problem)
    newest = addenda.latest(found, HANDOUT)
    if newest is None:
        return None
    note = newest.body.get("client_note")
    return Chosen(tuple(newest.body.get("picks", ())), tuple(newest.body.get("drops", ())),
                  note if isinstance(note, str) and note else None)


def choice_of(plan: Plan, programme: Programme, chosen: Chosen | None,
              notices: Notices | None = None) -> HandoutChoice:
    """The handout's choice: `chosen` checked against the plan, else the tool's picks. A
    saved choice that no longer fits (a hand-edited addendum) is said and replaced by the
    tool's picks, so the client still gets a handout."""
    if chosen is None:
        return choose(plan, programme.ids)
    try:
        return choose(plan, programme.ids, chosen.picks, chosen.drops)
    except HandoutChoiceError as exc:
        if notices is not None:
            notices.warning(f"the saved handout choice does not fit the plan ({exc}); "
                            "using the tool's picks")
        return choose(plan, programme.ids)


def visits_of(session: Session, history: History[Session] | None) -> tuple[Visit, ...]:
    """The client's visits up to and including `session`, at most the last six."""
    # The handout's content: not for `review SESSION`, which only asks for the choice.
    from ..output.client_handout import MOST_VISITS

    sessions = [v.session for v in history.visits] if history is not None else []
    ids = [s.id for s in sessions]
    upto = sessions[:ids.index(session.id) + 1] if session.id in ids else [session]
    return tuple(_visit(s) for s in upto[-MOST_VISITS:])


def _visit(session: Session) -> Visit:
    # The handout's content, as in visits_of.
    from ..output.client_handout import Visit

    pain = session.plan.scores.get("nprs_now") if session.plan is not None else None
    adherence = session.answers.get("programme_adherence")
    said = adherence if isinstance(adherence, str) else None
    return Visit(local_day(session.created),
                 pain if isinstance(pain, int) and not isinstance(pain, bool) else None,
                 said, session.plan.programme_step if session.plan is not None else None)


def history_of(session: Session) -> History[Session]:
    """The client's history as `review CLIENT` counts it, for the handout's progress."""
    found = load_client(session.client)
    return build_history(found.client, found.sessions)


def client_handout(session: Session, *, history: History[Session] | None,
                   chosen: Chosen | None, name: str | None = None,
                   notices: Notices | None = None) -> ClientHandout:
    """Every input of the session's client handout (see the module's docstring)."""
    # The handout's content: not for `review SESSION`, which only asks for the choice.
    from ..output.client_handout import ClientHandout

    plan = plan_of(session)
    programme = programme_of(session)
    choice = choice_of(plan, programme, chosen, notices)
    practice = session.practice
    return ClientHandout(
        plan=plan, chosen=choice.picks, programme=programme,
        visit_day=local_day(session.created), dropped=choice.dropped,
        visits=visits_of(session, history),
        next_check=(due_date(session.created, plan.reassess_weeks)
                    if plan.reassess_weeks is not None else None),
        client_note=chosen.client_note if chosen is not None else None,
        name=name.strip() or None if name is not None else None,
        practice_name=practice.name, practice_contact=practice.contact,
        practitioner=practice.practitioner,
        places=emergency_places(session.answers, plan.red_flags)
        if plan.triage == "emergency" else (),
        signs_unconfirmed=session.signs_unconfirmed, answers=session.answers)


def for_export(session: Session, history: History[Session] | None, name: str | None,
               notices: Notices) -> ClientHandout:
    """`export --format html|pdf|md`: the handout as last chosen (or the tool's picks),
    with the client's visits up to this one."""
    return client_handout(session, history=history or history_of(session),
                          chosen=saved_of(ref_of(session.id, session.client), notices), name=name,
                          notices=notices)


# --------------------------------------------------------------------------- the choice


def merged(saved: Chosen | None, picks: Sequence[str] | None, drops: Sequence[str] | None,
           client_note: str | None) -> Chosen:
    """The options given over the saved choice: what is not given is kept."""
    base = saved or Chosen()
    return Chosen(tuple(picks) if picks is not None else base.picks,
                  tuple(drops) if drops is not None else base.drops,
                  (client_note.strip() or None) if client_note is not None
                  else base.client_note)


def note_problem(client_note: str | None) -> str | None:
    """Why a note to the client cannot be kept, or None."""
    if client_note is None or not client_note.strip():
        return None
    problem = addenda.text_problem(client_note)
    if problem is not None:
        return f"--client-note: {problem.replace('the note', 'it')}"
    problem = handout_choice.note_problem(client_note)
    return None if problem is None else f"--client-note: {problem}"


def save_choice(ref: SessionRef, plan: Plan, programme: Programme, chosen: Chosen,
                saved: Chosen | None) -> tuple[HandoutChoice, Addendum | None]:
    """Check `chosen` against the plan and save it as a new handout addendum, unless it is
    what is saved already (then nothing is written: the same handout prints again)."""
    choice = choose(plan, programme.ids, chosen.picks, chosen.drops)
    if saved is not None:
        before = choice_of(plan, programme, saved)
        if (before.picks, before.dropped, saved.client_note) == \
                (choice.picks, choice.dropped, chosen.client_note):
            return choice, None
    # The newest kept choice is the one that prints: addenda keep their writing order.
    return choice, addenda.save_addendum(ref, HANDOUT, chosen.body(choice))


@frozen
class HandoutRequest:
    """`backpain handout`'s options, parsed (None: not given)."""

    target: str
    picks: tuple[str, ...] | None = None
    drops: tuple[str, ...] | None = None
    client_note: str | None = None
    name: str | None = None

    @property
    def given(self) -> bool:
        return (self.picks is not None or self.drops is not None
                or self.client_note is not None)


@frozen
class Made:
    """A handout to print, and the addendum its choice was saved as (None: unchanged)."""

    session: Session
    handout: ClientHandout
    added: Addendum | None


def make_handout(request: HandoutRequest, *, checklist: Checklist | None,
                 notices: Notices, root: Path | None = None) -> Made:
    """`backpain handout SESSION`: the choice from the options, else from `checklist`
    (None: no terminal), else the saved one or the tool's picks; saved when it changed."""
    problem = note_problem(request.client_note)
    if problem is not None:
        raise UsageError(problem)
    ref = resolve_session(request.target, "SESSION", root)
    session = read_session(ref.path)
    if session.is_draft:
        raise BackpainError(f"{ref.id} is a draft: finish it first (backpain assess --resume "
                            f"{ref.id}); a handout is printed for a completed visit")
    plan = plan_of(session)
    programme = programme_of(session)
    saved = saved_of(ref, notices)
    chosen: Chosen | None = saved
    added = None
    if request.given:
        chosen = merged(saved, request.picks, request.drops, request.client_note)
        _, added = save_choice(ref, plan, programme, chosen, saved)
    elif checklist is not None and has_choice(plan):
        current = choice_of(plan, programme, saved, notices)
        chosen = checklist(plan, programme, current,
                           saved.client_note if saved is not None else None)
        _, added = save_choice(ref, plan, programme, chosen, saved)
    handout = client_handout(session, history=history_of(session), chosen=chosen,
                             name=request.name, notices=notices)
    return Made(session, handout, added)


def choose_after_assess(session: Session, path: Path, checklist: Checklist
                        ) -> Addendum | None:
    """After `assess` shows the plan of a saved visit: the checklist, its answer kept
    beside the session (nothing for an emergency, whose handout is the referral alone)."""
    plan = plan_of(session)
    if not has_choice(plan):
        return None
    ref = SessionRef(session.id, session.client, path)
    programme = programme_of(session)
    chosen = checklist(plan, programme, choose(plan, programme.ids), None)
    return save_choice(ref, plan, programme, chosen, None)[1]


def check_given(session: Session, chosen: Chosen) -> None:
    """A choice given with `assess --pick/--drop` checked against the visit's plan before
    the visit is saved (HandoutChoiceError, exit 2)."""
    choose(plan_of(session), programme_of(session).ids, chosen.picks, chosen.drops)


def save_given(session: Session, path: Path, chosen: Chosen) -> Addendum | None:
    """`assess --pick/--drop/--client-note`: kept beside the saved visit."""
    plan = plan_of(session)
    return save_choice(SessionRef(session.id, session.client, path), plan,
                       programme_of(session), chosen, None)[1]


def at_a_glance(session: Session, ref: SessionRef | None = None
                ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """For the plan's first screen: the titles of the advice on the handout (the kept
    choice of `ref`, else the tool's picks) and the exercises kept, as (name, dose)."""
    # The handout's content: only after `assess`, not for `review SESSION`.
    from ..output.client_handout import SAFETY_NET

    plan = plan_of(session)
    if not has_choice(plan):
        return (), ()
    programme = programme_of(session)
    choice = choice_of(plan, programme, saved_of(ref) if ref is not None else None)
    titles = {r.id: r.title for r in plan.recommendations}
    return (tuple(titles[i] for i in (*choice.required, *choice.picks)
                  if i not in (SAFETY_NET,)),
            tuple((item.name, item.dose) for item in programme.items
                  if item.id in choice.exercises))


def has_choice(plan: Plan) -> bool:
    """Whether a checklist has anything to offer: not for an emergency, whose handout is
    the referral alone."""
    return plan.triage != "emergency"
