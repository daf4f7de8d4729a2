"""The outcome report's figures (`backpain report`): episodes of care, responder rates with
their Wilson intervals, the same rates by case mix, and the practice's activity.

- An **episode** starts at a completed session that follows no earlier completed session of
  its client (or whose earlier session is gone) and holds the sessions that follow it, one
  after another (`follows`); its outcome is its last completed session.
- **Set apart**: episodes of clients under 16 at the start, and episodes in pregnancy or
  within a year of a birth (at any of its sessions), are left out of every rate, denominator
  and stratum and only counted.
- **Ended by a referral**: the outcome session's triage is an emergency, same-day or urgent
  referral. Counted apart (good care, not failure) and left out of the rates.
- **Responder rates** judge an episode's first against its last session by the product's one
  rule for "improved" (`scoring.mcid_change`): observed over the episodes followed up with
  the measure at both ends; conservative over every episode with the measure at its start,
  a missing follow-up counted as not improved. A rate over fewer than MIN_CELL episodes is
  not shown (`Rate.shown`).

No predicted scores: backpain has no reference data to fit a case-mix model to, so the case
mix is shown as strata, not adjusted away. Pure: sessions in, figures out; nothing is read or
printed, and a session is anything shaped like one (`Visit`; records.session.Brief is).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, Protocol, TypeVar

from ..frozen import frozen
from .followup import OUTCOME_KEYS
from .model import TRIAGE_VALUES, ScoreValue
from .reassess import WEEKS_BY_DURATION, local_day
from .scoring import mcid_change

# A rate over fewer episodes than this is "too few to report".
MIN_CELL = 10
# The 97.5th percentile of the standard normal: a two-sided 95 % interval.
Z95 = 1.959963984540054
# An episode whose outcome session sends the client to a doctor this soon ended in a referral.
REFERRAL_TRIAGE = ("emergency", "same_day", "urgent")
# Set apart from the rates: children and adolescents, pregnancy and the year after a birth.
UNDER_AGE = 16
PREGNANCY_ANSWERS = ("pregnant", "postpartum")
SET_APART = ("under_16", "pregnancy")
# The strata, in the order they are listed (None, "not recorded", last).
RISKS = ("low", "medium", "high")
DURATIONS = tuple(WEEKS_BY_DURATION)
BY = ("risk", "duration", "practitioner")
# Measures with Oswestry or Roland-Morris: the data-completeness figure.
DISABILITY_KEYS = ("odi_percent", "rmdq_score")


class Visit(Protocol):
    """What the report reads of a saved session (records.session.Brief offers it)."""

    @property
    def id(self) -> str: ...
    @property
    def client(self) -> str: ...
    @property
    def created(self) -> dt.datetime: ...
    @property
    def status(self) -> str: ...
    @property
    def follows(self) -> str | None: ...
    @property
    def triage(self) -> str | None: ...
    @property
    def scores(self) -> Mapping[str, ScoreValue]: ...
    @property
    def pain_duration(self) -> str | None: ...
    @property
    def practitioner(self) -> str | None: ...
    @property
    def age(self) -> int | None: ...
    @property
    def pregnancy(self) -> str | None: ...


V = TypeVar("V", bound=Visit)


# --------------------------------------------------------------------------- episodes


@dataclass(eq=False)
class Episode(Generic[V]):
    """A start session and the completed sessions that follow it, oldest first.

    What the report asks of an episode is worked out once (cached): a report groups the
    same episodes several ways, and 100,000 of them must cost little more than their rows
    (hence not frozen either: a frozen dataclass is slower to make).
    """

    visits: tuple[V, ...]

    @property
    def start(self) -> V:
        return self.visits[0]

    @property
    def outcome(self) -> V:
        return self.visits[-1]

    @property
    def followed_up(self) -> bool:
        return len(self.visits) > 1

    @cached_property
    def day(self) -> dt.date:
        return local_day(self.start.created)

    @cached_property
    def set_apart(self) -> tuple[str, ...]:
        """Why the episode is left out of the rates (SET_APART), if it is."""
        age = self.start.age
        return (*(("under_16",) if age is not None and age < UNDER_AGE else ()),
                *(("pregnancy",) if any(v.pregnancy in PREGNANCY_ANSWERS
                                        for v in self.visits) else ()))

    @property
    def referred(self) -> bool:
        return self.outcome.triage in REFERRAL_TRIAGE

    def days_to_follow_up(self) -> int | None:
        if not self.followed_up:
            return None
        return (local_day(self.visits[1].created) - self.day).days

    def change(self, key: str) -> str | None:
        """The product's judgement of `key` from the first to the last session ("improved",
        "no important change", "worse"); None without the measure at both ends."""
        return self.judged[OUTCOME_KEYS.index(key)][1]

    @cached_property
    def judged(self) -> tuple[tuple[bool, str | None], ...]:
        """For each of OUTCOME_KEYS: whether the start has it, and the judgement of first
        against last (None without the measure at both ends)."""
        out = []
        for key in OUTCOME_KEYS:
            before = _number(self.start, key)
            after = _number(self.outcome, key) if self.followed_up else None
            out.append((before is not None,
                        None if before is None or after is None
                        else mcid_change(key, before, after)))
        return tuple(out)

    def stratum(self, by: str) -> str | None:
        """The episode's stratum for `by` (BY): None when its start did not record it."""
        if by == "risk":
            risk = self.start.scores.get("startback_risk")
            return risk if risk in RISKS else None
        if by == "duration":
            duration = self.start.pain_duration
            return duration if duration in DURATIONS else None
        return self.start.practitioner or None


def _number(visit: Visit, key: str) -> int | float | None:
    value = visit.scores.get(key)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def episodes(visits: Iterable[V]) -> list[Episode[V]]:
    """The episodes of `visits`, given oldest first (clinical.order), in the order they
    started. A session follows the one it names of the same client (in any case); drafts
    belong to no episode."""
    groups: list[list[V]] = []
    of: dict[tuple[str, str], list[V]] = {}
    for visit in visits:
        if visit.status != "completed":
            continue
        client = visit.client.casefold()
        group = of.get((client, visit.follows)) if visit.follows is not None else None
        if group is None:
            group = []
            groups.append(group)
        group.append(visit)
        of[(client, visit.id)] = group
    return [Episode(tuple(g)) for g in groups]


# --------------------------------------------------------------------------- rates


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of `k` successes in `n` (Wilson 1927; Newcombe 1998)."""
    if n <= 0:
        raise ValueError("no interval without episodes")
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # At 0 and at n the bound is exactly 0 or 1, which rounding would miss by a hair.
    return (0.0 if k == 0 else max(0.0, centre - half),
            1.0 if k == n else min(1.0, centre + half))


@frozen
class Rate:
    """`count` of `total` episodes; shown only from MIN_CELL episodes."""

    count: int
    total: int

    @property
    def shown(self) -> bool:
        return self.total >= MIN_CELL

    @property
    def share(self) -> float:
        return self.count / self.total

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.count, self.total)


@frozen
class Responders:
    """One measure's responder rates in one group of episodes."""

    measure: str
    observed: Rate
    conservative: Rate


@frozen
class Group:
    """The episodes of one stratum (`key`; None: not recorded), or all of them."""

    key: str | None
    episodes: int
    followed_up: int
    responders: tuple[Responders, ...]


def responders(rated: Sequence[Episode[V]], key: str) -> Responders:
    n = OUTCOME_KEYS.index(key)
    improved = observed = at_start = 0
    for episode in rated:
        has_start, change = episode.judged[n]
        at_start += has_start
        if change is not None:
            observed += 1
            improved += change == "improved"
    # An improvement is both observed and, over every start, conservative.
    return Responders(key, Rate(improved, observed), Rate(improved, at_start))


def group(key: str | None, rated: Sequence[Episode[V]]) -> Group:
    return Group(key, len(rated), sum(e.followed_up for e in rated),
                 tuple(responders(rated, m) for m in OUTCOME_KEYS))


@frozen
class Strata:
    by: str  # BY
    groups: tuple[Group, ...]


def strata(by: str, rated: Sequence[Episode[V]]) -> Strata:
    """The groups of `rated` by `by`: risks and durations in their clinical order,
    practitioners alphabetically (never ranked); "not recorded" last."""
    found: dict[str | None, list[Episode[V]]] = {}
    for episode in rated:
        found.setdefault(episode.stratum(by), []).append(episode)
    named = [k for k in found if k is not None]
    clinical = {"risk": RISKS, "duration": DURATIONS}.get(by)

    def place(key: str) -> tuple[int, str, str]:
        return (clinical.index(key), "", "") if clinical else (0, key.casefold(), key)

    named.sort(key=place)
    keys: list[str | None] = [*named, *([None] if None in found else [])]
    return Strata(by, tuple(group(k, found[k]) for k in keys))


# --------------------------------------------------------------------------- the report


@frozen
class DueNow:
    """Clients due for their next check today, and of them those past their day."""

    due: int
    overdue: int


@frozen
class OutcomeReport(Generic[V]):
    first: dt.date  # the window, on the practitioner's calendar, both days included
    last: dt.date
    by: tuple[str, ...]  # the strata shown (BY)
    started: int  # episodes started in the window, not set apart
    set_apart: Mapping[str, int]  # episodes set apart, by reason (an episode may have both)
    set_apart_total: int
    referred: Mapping[str, int]  # episodes ended by a referral, by its triage
    rated: int  # started - ended by a referral: the rates' episodes
    followed_up: Rate  # of the rated episodes
    median_days_to_follow_up: float | None  # None: fewer than MIN_CELL followed up
    overall: Group
    strata: tuple[Strata, ...]
    completeness: Rate  # episodes with Oswestry or Roland-Morris at the start, of `started`
    triage_mix: tuple[tuple[str, int], ...]  # the start's triage of the episodes started
    months: tuple[tuple[str, int], ...]  # completed sessions a month (YYYY-MM) in the window
    due_now: DueNow
    # The episodes counted, for the analysts' CSV (by a running number, never a client).
    episodes: tuple[Episode[V], ...]


def report(found: Sequence[Episode[V]], first: dt.date | None, last: dt.date,
           by: Sequence[str], due_now: DueNow) -> OutcomeReport[V]:
    """The figures of the episodes of `found` that started from `first` (None: the
    earliest) to `last`; `by` names the strata to show."""
    in_window = [e for e in found if (first is None or e.day >= first) and e.day <= last]
    if first is None:
        first = min((e.day for e in in_window), default=last)
    counted = [e for e in in_window if not e.set_apart]
    apart = [e for e in in_window if e.set_apart]
    rated = [e for e in counted if not e.referred]
    referred = {t: sum(e.outcome.triage == t for e in counted) for t in REFERRAL_TRIAGE}
    days = [d for e in rated if (d := e.days_to_follow_up()) is not None]
    mix = dict.fromkeys(TRIAGE_VALUES, 0)
    for e in counted:
        if e.start.triage in mix:
            mix[e.start.triage] += 1
    return OutcomeReport(
        first, last, tuple(by), len(counted),
        {r: sum(r in e.set_apart for e in apart) for r in SET_APART}, len(apart),
        referred, len(rated), Rate(sum(e.followed_up for e in rated), len(rated)),
        # A median of a few episodes would show one client's days: suppressed as rates are.
        statistics.median(days) if len(days) >= MIN_CELL else None,
        group(None, rated), tuple(strata(b, rated) for b in by),
        Rate(sum(any(_number(e.start, k) is not None for k in DISABILITY_KEYS)
                 for e in counted), len(counted)),
        tuple(mix.items()), sessions_a_month(counted, first, last), due_now, tuple(counted))


def sessions_a_month(counted: Sequence[Episode[V]], first: dt.date,
                     last: dt.date) -> tuple[tuple[str, int], ...]:
    """Completed sessions of `counted` dated in the window, by month, from the first month
    with a session to the last (months without one included, as 0)."""
    months: dict[tuple[int, int], int] = {}
    for episode in counted:
        for n, visit in enumerate(episode.visits):
            day = episode.day if n == 0 else local_day(visit.created)
            if first <= day <= last:
                months[(day.year, day.month)] = months.get((day.year, day.month), 0) + 1
    if not months:
        return ()
    (year, month), end = min(months), max(months)
    out = []
    while (year, month) <= end:
        out.append((f"{year:04d}-{month:02d}", months.get((year, month), 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(out)
