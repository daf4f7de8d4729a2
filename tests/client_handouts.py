"""Client handouts made by the real rules, for the handout's tests (issue 20).

A plan comes from `build_plan` on an answers file (the worked examples, the long plan of
tests/golden); its programme from `build_programme` with the named conditions the answers
give (`clinical.conditions.NAMED_CONDITIONS`, plus any a case names, such as falls_risk
for an older client), allowed as the clinical reference "Selection" step 1 says. The tool's picks
choose the advice, as when the practitioner makes no choice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from backpain_cli.clinical import conditions
from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.exercises import Exercise, library
from backpain_cli.clinical.handout_choice import (
    MAX_NOTE_CHARACTERS,
    MAX_NOTE_LINES,
    MAX_PICKS,
    choose,
    is_required,
)
from backpain_cli.clinical.model import Plan, ProgrammeItem
from backpain_cli.clinical.programme import (
    REST_POSITION,
    Programme,
    build_programme,
    flare_plan,
    flare_sentences,
)
from backpain_cli.clinical.questionnaire import AnswerValue
from backpain_cli.clinical.recommender import emergency_places
from backpain_cli.output.client_handout import ClientHandout, Visit

HERE = Path(__file__).parent
EXAMPLES = HERE / "data" / "examples"
LONG_PLAN = HERE / "golden" / "long-plan.answers.toml"
VISIT_DAY = dt.date(2026, 9, 1)
PRACTICE_NAME = "Physio Nord"
PRACTICE_CONTACT = "12 Harbour Road, Kiel · 0431 123456"
PRACTITIONER = "A. Jensen"
NO_PROGRAMME = ("emergency", "same_day", "urgent")


def answers_of(path: Path) -> dict[str, AnswerValue]:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))["answers"]
    return {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}


def programme_of(plan: Plan, answers: Mapping[str, AnswerValue],
                 extra: Iterable[str] = (), adherence: str | None = None) -> Programme:
    held = frozenset(extra)

    def holds(name: str) -> bool:
        test = conditions.NAMED_CONDITIONS.get(name)
        return name in held or (test is not None and test(answers, plan.scores).holds)

    return build_programme(plan.ids, holds, allowed=plan.triage not in NO_PROGRAMME,
                           adherence=adherence)


def handout(answers: Mapping[str, AnswerValue], *, extra: Iterable[str] = (),
            visits: Iterable[Visit] = (), name: str | None = None,
            note: str | None = None, practice: bool = True,
            pick: list[str] | None = None, drop: Iterable[str] = ()) -> ClientHandout:
    plan = build_plan(answers)
    programme = programme_of(plan, answers, extra)
    choice = choose(plan, programme.ids, pick, list(drop))
    return ClientHandout(
        plan=plan, chosen=choice.picks, programme=programme, visit_day=VISIT_DAY,
        dropped=choice.dropped, visits=tuple(visits), client_note=note, name=name,
        places=emergency_places(answers, plan.red_flags) if plan.triage == "emergency"
        else (),
        practice_name=PRACTICE_NAME if practice else None,
        practice_contact=PRACTICE_CONTACT if practice else None,
        practitioner=PRACTITIONER if practice else None, answers=answers)


def earlier_visits(count: int, adherence: bool = True) -> tuple[Visit, ...]:
    """`count` visits three weeks apart before VISIT_DAY, then this one: pain falling."""
    steps = ("most_days", "some_days", "rarely")
    out = []
    for n in range(count + 1):
        day = VISIT_DAY - dt.timedelta(weeks=3 * (count - n))
        follow_up = n > 0 and adherence
        out.append(Visit(day, max(8 - n, 0), steps[n % 3] if follow_up else None,
                         {"most_days": "progress", "some_days": "keep",
                          "rarely": "simplify"}[steps[n % 3]] if follow_up else None))
    return tuple(out)


# A note to the client at its limit (clinical.handout_choice): as many lines as may be,
# each as long as may be, so that each wraps to a second printed line.
LONGEST_NOTE = "\n".join(
    ("Well done on the walking this month: keep it up, and do the exercises on most days "
     "of the week, as we agreed.")[:MAX_NOTE_CHARACTERS // MAX_NOTE_LINES - 1]
    for _ in range(MAX_NOTE_LINES))


def longest_picks(plan: Plan) -> list[str]:
    """The five longest pieces of advice a practitioner may pick for the plan."""
    optional = sorted((r for r in plan.recommendations if not is_required(r.id)),
                      key=lambda r: (-len(r.detail), r.id))
    return [r.id for r in optional[:MAX_PICKS]]


def cases() -> dict[str, ClientHandout]:
    """The handouts the page and print tests measure, by name."""
    long_answers = answers_of(LONG_PLAN)
    return {
        "emergency": handout(answers_of(EXAMPLES / "both-legs-emergency.answers.toml")),
        "desk-strain": handout(answers_of(EXAMPLES / "desk-strain.answers.toml")),
        "pregnancy-30-weeks": handout(answers_of(EXAMPLES / "pregnancy-30-weeks.answers.toml")),
        "spondylosis-co-manage": handout(
            answers_of(EXAMPLES / "spondylosis-co-manage.answers.toml")),
        "long-plan": handout(long_answers, extra=("falls_risk",), name="Margaret Example",
                             note="Well done on the walking. Keep it up, and bring your "
                                  "diary next time."),
        "visits-3": handout(answers_of(EXAMPLES / "desk-strain.answers.toml"),
                            visits=earlier_visits(3), name="Jo Doe",
                            note="See you in two weeks."),
        "long-visits-6": handout(long_answers, extra=("falls_risk",),
                                 visits=earlier_visits(6), name="Margaret Example",
                                 note="Well done on the walking. Keep it up."),
        # The worst case of the page limits (issue 20, item 3): one of the longest plans
        # with five exercises, its five longest pieces of advice, six earlier visits and a
        # note at its limit.
        "longest": handout(long_answers, extra=("falls_risk",), visits=earlier_visits(6),
                           name="Margaret Example", note=LONGEST_NOTE,
                           pick=longest_picks(build_plan(long_answers))),
    }


# The handout the tests of dropped exercises give programmes of their own (a plan below
# urgent, so that a programme may go with it).
CASES_FOR_DROPS = handout(answers_of(EXAMPLES / "desk-strain.answers.toml"))


# A programme of chosen exercises, for the tests of what a dropped exercise leaves.
def _item(e: Exercise) -> ProgrammeItem:
    return ProgrammeItem(e.id, e.name, "start", e.dose, e.progress, e.easier, (),
                         ("prevention.stay_active",))


def with_programme(base: ClientHandout, ids: list[str], dropped: list[str]) -> ClientHandout:
    """`base` with a programme of `ids` (in this order) and `dropped` left off."""
    lib = library()
    items = tuple(_item(lib[i]) for i in ids)
    flare = flare_plan(items, lambda name: False)
    first = next((f.name for f in flare if f.id != REST_POSITION), None)
    programme = Programme(items, flare, None, (), flare_sentences(first, False))
    return dataclasses.replace(base, programme=programme, dropped=tuple(dropped))
