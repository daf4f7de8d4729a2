"""What goes on the client's handout (issue 20, item 4): the tool's picks and the
practitioner's choice.

A plan holds 13 to 25 pieces of advice; a client reads five. Some advice is never left out:
the referral that the plan's triage calls for, "When to get help sooner"
(`medical.safety_net`) and the hold on hands-on treatment (`massage.hold_until_cleared`).
These are *required*: always on the handout, outside the five, and no choice removes
them. Of the rest the tool picks at most five: the first item of each strategy in plan
order, then further items in plan order, so every strategy the plan touches is heard
before any one of them twice. The practitioner may pick others (`--pick`) and drop
exercises of the programme (`--drop`); what they give is checked here.

Pure: a plan and a programme's exercise ids in, ids out; no files, no settings, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..errors import UsageError
from ..frozen import frozen
from .model import Plan

MAX_PICKS = 5
# The note to the client is printed on the handout, whose longest plan with six earlier
# visits must still fit three Letter pages (issue 20, item 3): a few sentences, not a letter.
# Each line break starts a printed line, so lines are counted too.
MAX_NOTE_CHARACTERS = 400
MAX_NOTE_LINES = 4

# Required whatever the triage, whenever the plan holds them (the clinical reference "Guardrails"
# 1-3
# and 14: the referral of the triage, the safety net, the hold until the doctor has seen
# the client).
ALWAYS_ON = frozenset({"medical.safety_net", "massage.hold_until_cleared"})
# The referrals: emergency, same_day and urgent (the triage's own), and a routine one such
# as `medical.axspa_referral`; each sends the client to a doctor, which no handout may hide.
REFERRAL_SUFFIX = "_referral"


class HandoutChoiceError(UsageError):
    """A `--pick` or `--drop` that does not fit the plan (exit 2, as for a bad option)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


def note_problem(text: str) -> str | None:
    """Why a note to the client does not fit the handout, or None."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    length = len(text.strip())
    if length > MAX_NOTE_CHARACTERS:
        return (f"it is {length:,} characters long; at most {MAX_NOTE_CHARACTERS} fit on the "
                "handout")
    if len(lines) > MAX_NOTE_LINES:
        return f"it has {len(lines)} lines; at most {MAX_NOTE_LINES} fit on the handout"
    return None


def is_required(rec_id: str) -> bool:
    """Whether a recommendation is always on the handout (never one of the five)."""
    return rec_id in ALWAYS_ON or rec_id.endswith(REFERRAL_SUFFIX)


def required(plan: Plan) -> tuple[str, ...]:
    """The plan's required recommendation ids, in plan order."""
    return tuple(rec_id for rec_id in plan.ids if is_required(rec_id))


def choosable(plan: Plan) -> tuple[str, ...]:
    """The plan's other recommendation ids, in plan order: what may be picked."""
    return tuple(rec_id for rec_id in plan.ids if not is_required(rec_id))


def default_picks(plan: Plan) -> tuple[str, ...]:
    """The tool's picks: at most five, the first choosable item of each strategy in plan
    order, then further items in plan order; returned in plan order."""
    optional = [r for r in plan.recommendations if not is_required(r.id)]
    firsts: dict[str, str] = {}
    for rec in optional:
        firsts.setdefault(rec.strategy, rec.id)
    chosen = list(firsts.values())[:MAX_PICKS]
    for rec in optional:
        if len(chosen) >= MAX_PICKS:
            break
        if rec.id not in chosen:
            chosen.append(rec.id)
    return _in_order(plan.ids, chosen)


@frozen
class HandoutChoice:
    """What the client's handout shows of a plan and its programme.

    `required` and `picks` are recommendation ids in plan order (disjoint); `exercises`
    the programme's exercise ids that stay, in programme order; `dropped` those left out.
    """

    required: tuple[str, ...]
    picks: tuple[str, ...]
    exercises: tuple[str, ...]
    dropped: tuple[str, ...] = ()

    @property
    def advice(self) -> frozenset[str]:
        """Every recommendation id on the handout."""
        return frozenset((*self.required, *self.picks))


def choose(plan: Plan, programme: Sequence[str], pick: Sequence[str] | None = None,
           drop: Sequence[str] = ()) -> HandoutChoice:
    """The handout's choice: the tool's picks when `pick` is None, else the practitioner's.

    `programme` holds the exercise ids of the plan's programme in order. `pick` names
    advice of the plan (a required id is allowed and changes nothing: it is on the handout
    anyway), at most five besides the required ones; `drop` names exercises of the
    programme. A repeated id counts once. Every problem is reported at once, in a
    HandoutChoiceError.
    """
    problems: list[str] = []
    if pick is None:
        picks = default_picks(plan)
    else:
        problems += _pick_problems(plan, programme, pick)
        picks = _in_order(plan.ids, (i for i in pick if not is_required(i)))
    problems += _drop_problems(plan, programme, drop)
    if problems:
        raise HandoutChoiceError(problems)
    gone = set(drop)
    return HandoutChoice(required(plan), picks,
                         tuple(e for e in programme if e not in gone),
                         tuple(e for e in programme if e in gone))


def _pick_problems(plan: Plan, programme: Sequence[str], pick: Sequence[str]) -> list[str]:
    problems: list[str] = []
    in_plan = set(plan.ids)
    for rec_id in dict.fromkeys(pick):
        if rec_id in in_plan:
            continue
        if rec_id in programme:
            problems.append(f"--pick {rec_id}: this is an exercise, not advice; every "
                            "exercise of the programme is on the handout unless dropped "
                            "with --drop")
        else:
            problems.append(f"--pick {rec_id}: not advice in this plan "
                            f"(it has: {_listed(choosable(plan))})")
    count = len({i for i in pick if i in in_plan and not is_required(i)})
    if count > MAX_PICKS:
        problems.append(f"--pick: at most {MAX_PICKS} pieces of advice, {count} given (the "
                        "referral and the safety advice are always added and not counted)")
    return problems


def _drop_problems(plan: Plan, programme: Sequence[str], drop: Sequence[str]) -> list[str]:
    problems: list[str] = []
    for item in dict.fromkeys(drop):
        if item in programme:
            continue
        if is_required(item) and item in plan.ids:
            problems.append(f"--drop {item}: always on the handout; it cannot be dropped")
        elif item in plan.ids:
            problems.append(f"--drop {item}: this is advice, not an exercise; to leave it "
                            "off, do not name it in --pick")
        elif programme:
            problems.append(f"--drop {item}: not an exercise of this programme "
                            f"(it has: {_listed(programme)})")
        else:
            problems.append(f"--drop {item}: this plan has no exercise programme")
    return problems


def _listed(ids: Sequence[str]) -> str:
    return ", ".join(ids) if ids else "nothing to choose"


def _in_order(order: Sequence[str], ids: Iterable[str]) -> tuple[str, ...]:
    wanted = set(ids)
    return tuple(i for i in order if i in wanted)
