"""Scores (the clinical reference, "Scores"): NPRS, STarT Back, Oswestry, Roland-Morris, axSpA
features.

Each score is a small pure function of the answers that returns None when the score was not
collected; `compute_scores` keeps only the collected ones, because a score that was not
collected is absent, never 0. `mcid_change` judges change between visits.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal, TypeAlias

from .model import ScoreValue
from .questionnaire import AnswerValue

Answers: TypeAlias = Mapping[str, AnswerValue]

SCORE_KEYS = (
    "nprs_now", "nprs_worst_week", "startback_total", "startback_psychosocial",
    "startback_risk", "odi_percent", "odi_band", "rmdq_score", "axspa_feature_count",
)

# Keele's item order; the item wording itself is not ours to ship (the clinical reference,
# Licensing).
STARTBACK_DOMAINS = (
    "leg pain spread", "shoulder or neck pain", "walking only short distances",
    "dressing slower", "fear of physical activity", "worrying thoughts", "catastrophising",
    "low mood", "overall bothersomeness",
)
STARTBACK_ITEMS = tuple(f"sbst_{i}" for i in range(1, 10))
STARTBACK_PSYCHOSOCIAL_ITEMS = STARTBACK_ITEMS[4:]
# Item 9 is a five-point scale; only its top two answers count as a point.
STARTBACK_ITEM9_POINT = ("very_much", "extremely")

ODI_SECTIONS = (
    "pain intensity", "personal care", "lifting", "walking", "sitting", "standing",
    "sleeping", "sex life", "social life", "travelling",
)
ODI_ITEMS = tuple(f"odi_{i}" for i in range(1, 11))
ODI_MIN_SECTIONS = 9
# The published band names are kept as keys (a public contract); these are what people read.
ODI_BAND_LABELS = {
    "minimal": "minimal disability",
    "moderate": "moderate disability",
    "severe": "severe disability",
    "crippling": "very severe disability",
    "bed_bound": "daily life is very heavily limited",
}

RMDQ_ITEMS = tuple(f"rmdq_{i}" for i in range(1, 25))


def _int(answers: Answers, qid: str) -> int | None:
    v = answers.get(qid)
    return v if isinstance(v, int) and not isinstance(v, bool) else None


# --------------------------------------------------------------------------- NPRS


def nprs_now(answers: Answers) -> int | None:
    return _int(answers, "pain_now")


def nprs_worst_week(answers: Answers) -> int | None:
    return _int(answers, "pain_worst_week")


# --------------------------------------------------------------------------- STarT Back


def _startback_points(answers: Answers) -> tuple[int, ...] | None:
    """One point per item (1-9), or None unless every item has a valid answer."""
    points: list[int] = []
    for qid in STARTBACK_ITEMS[:8]:
        v = answers.get(qid)
        if not isinstance(v, bool):
            return None
        points.append(int(v))
    item9 = answers.get(STARTBACK_ITEMS[8])
    if not isinstance(item9, str):
        return None
    points.append(int(item9 in STARTBACK_ITEM9_POINT))
    return tuple(points)


def startback_total(answers: Answers) -> int | None:
    points = _startback_points(answers)
    return None if points is None else sum(points)


def startback_psychosocial(answers: Answers) -> int | None:
    points = _startback_points(answers)
    return None if points is None else sum(points[4:])


def startback_risk_group(total: int, psychosocial: int) -> str:
    if psychosocial >= 4:
        return "high"
    return "low" if total <= 3 else "medium"


def startback_risk(answers: Answers) -> str | None:
    total, psychosocial = startback_total(answers), startback_psychosocial(answers)
    if total is None or psychosocial is None:
        return None
    return startback_risk_group(total, psychosocial)


# --------------------------------------------------------------------------- Oswestry


def round_half_up(numerator: int, denominator: int, places: int = 1) -> float:
    """numerator/denominator rounded half up, as paper scoring does (round() rounds half even).

    The division runs with Decimal's 28 significant digits: a true tie has a short exact
    decimal, and no other quotient of small whole numbers comes within 1e-20 of one.
    """
    quotient = Decimal(numerator) / Decimal(denominator)
    return float(quotient.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _odi_sections(answers: Answers) -> list[int]:
    return [v for v in (_int(answers, q) for q in ODI_ITEMS) if v is not None]


def odi_percent(answers: Answers) -> float | None:
    sections = _odi_sections(answers)
    if len(sections) < ODI_MIN_SECTIONS:
        return None
    return round_half_up(sum(sections) * 100, 5 * len(sections))


def odi_band(percent: float) -> str:
    if percent <= 20:
        return "minimal"
    if percent <= 40:
        return "moderate"
    if percent <= 60:
        return "severe"
    if percent <= 80:
        return "crippling"
    return "bed_bound"


# --------------------------------------------------------------------------- Roland-Morris


def rmdq_score(answers: Answers) -> int | None:
    values = [answers.get(q) for q in RMDQ_ITEMS]
    if not all(isinstance(v, bool) for v in values):
        return None
    return sum(v is True for v in values)


# --------------------------------------------------------------------------- axSpA


# Below this age the back pain began before 35 whatever was ticked (the clinical reference v3).
ONSET_BEFORE_35_AGE = 35


def axspa_feature_count(answers: Answers) -> int | None:
    """The distinct features other than none, counting `onset_before_35` for a client under
    35 even when it was not ticked (the interview shows it ticked); absent when the question
    was not answered."""
    features = answers.get("axspa_features")
    if not isinstance(features, tuple):
        return None
    chosen = {f for f in features if f != "none"}
    age = answers.get("age")
    if isinstance(age, int) and not isinstance(age, bool) and age < ONSET_BEFORE_35_AGE:
        chosen.add("onset_before_35")
    return len(chosen)


# --------------------------------------------------------------------------- all scores


def _partial_warning(answers: Answers, items: tuple[str, ...], name: str, unit: str,
                     needed: int) -> str | None:
    answered = sum(q in answers for q in items)
    if 0 < answered < needed:
        at_least = "" if needed == len(items) else "at least "
        return (f"{name} not scored: {answered} of {len(items)} {unit} answered "
                f"({at_least}{needed} are needed).")
    return None


def compute_scores(answers: Answers) -> tuple[dict[str, ScoreValue], list[str]]:
    """Every collected score, and a warning for each instrument begun but not scorable."""
    found: dict[str, ScoreValue | None] = {
        "nprs_now": nprs_now(answers),
        "nprs_worst_week": nprs_worst_week(answers),
        "startback_total": startback_total(answers),
        "startback_psychosocial": startback_psychosocial(answers),
        "startback_risk": startback_risk(answers),
    }
    percent = odi_percent(answers)
    found["odi_percent"] = percent
    found["odi_band"] = None if percent is None else odi_band(percent)
    found["rmdq_score"] = rmdq_score(answers)
    found["axspa_feature_count"] = axspa_feature_count(answers)
    scores = {k: v for k, v in found.items() if v is not None}
    warnings = [
        w for w in (
            _partial_warning(answers, STARTBACK_ITEMS, "STarT Back", "items", 9),
            _partial_warning(answers, ODI_ITEMS, "Oswestry (ODI)", "sections", ODI_MIN_SECTIONS),
            _partial_warning(answers, RMDQ_ITEMS, "Roland-Morris (RMDQ)", "statements", 24),
        ) if w is not None
    ]
    return scores, warnings


# --------------------------------------------------------------------------- change


Change: TypeAlias = Literal["improved", "no important change", "worse"]

# Minimal clinically important change (Ostelo et al., Spine 2008): (points, share of before).
# the clinical reference v2: a fall is "improved" only when it reaches both; a rise needs the
# points.
MCID: dict[str, tuple[int, Fraction]] = {
    "nprs": (2, Fraction(3, 10)),
    "odi": (10, Fraction(3, 10)),
    "rmdq": (5, Fraction(3, 10)),
}
_MEASURE_OF = {
    "nprs": "nprs", "nprs_now": "nprs", "nprs_worst_week": "nprs",
    "odi": "odi", "odi_percent": "odi",
    "rmdq": "rmdq", "rmdq_score": "rmdq",
}


def exact(v: int | float) -> Fraction:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"expected a number, got {v!r}")
    # Through str so 34.4 means 34.4, not the binary float next to it: 10 -> 7 must be
    # exactly a 30% change.
    return Fraction(v) if isinstance(v, int) else Fraction(Decimal(repr(v)))


def mcid_change(measure: str, before: int | float, after: int | float) -> Change:
    """Judge the change from `before` to `after` (lower is better for every measure).

    `measure` is "nprs", "odi" or "rmdq", or one of their score keys. A fall is "improved"
    only when it is at least the points **and** at least 30% of the earlier value (both
    inclusive: NPRS 6 -> 4 is improved, 7 -> 5 is not, 3 -> 2 is no important change); a
    rise is "worse" when it is at least the points alone. From 0 no fall is possible.
    """
    if measure not in _MEASURE_OF:
        raise ValueError(
            f"no minimal important change for {measure!r}"
            + (" (STarT Back predicts risk; it is not an outcome measure)"
               if measure.startswith("startback") else ""))
    points, share = MCID[_MEASURE_OF[measure]]
    b, a = exact(before), exact(after)
    if b - a >= points and b - a >= share * b:
        return "improved"
    if a - b >= points:
        return "worse"
    return "no important change"
