"""Every recommendation detail a client can be shown, from the plans of the recommender
tests' answer sets and a few more: what the advice-text tests (readability, dropped
exercises) read. A coverage test (test_advice_readability) checks that every text of
advice.toml shows up in one of them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

import answer_sets
import recommender_tables
from strategies import client_answers

from backpain_cli.clinical.engine import build_plan

# Answer sets for the texts the recommender tests' answers do not reach.
EXTRA: tuple[dict[str, Any], ...] = (
    {**answer_sets.CHRONIC, **answer_sets.HIGH_RISK},
    {"pain_on_waking": "eases_within_30min", "mattress_opinion": "too_soft"},
    {"sleep_position": "back", "pillow_height": "high"},
    {"sleep_position": "stomach", "pillow_height": "high"},
    {"sleep_position": "mixed", "pillow_height": "none"},
    {"diagnoses": ["ankylosing_spondylitis"], **answer_sets.UNDER_CARE, "rf_recent_procedure": True,
     "risk_team_aware": True},
    {**answer_sets.STENOSIS, "rf_recent_procedure": True, "risk_team_aware": True},
    {"work_absence": "off_work", "work_absence_weeks": 6},
    {"current_care": ["massage"], "massage_helped": "somewhat", **answer_sets.MEDIUM_RISK},
    {**answer_sets.POSTPARTUM, "postpartum_weeks": 20, "pain_location": ["front_of_pelvis"]},
    {"diagnoses": ["spinal_arthritis"], "under_medical_care": False, "rf_steroids": True,
     "risk_team_aware": True},
)


def _answer_sets() -> Iterator[Mapping[str, Any]]:
    """The answers of the recommender tests (its cases and its parametrised tables)."""
    for fires, does_not in answer_sets.CASES.values():
        yield fires
        yield does_not
    yield from recommender_tables.overrides()
    yield from EXTRA


@functools.cache
def details() -> dict[str, tuple[str, ...]]:
    """Every recommendation detail those answers give, by recommendation id."""
    found: dict[str, set[str]] = {}
    for overrides in _answer_sets():
        for r in build_plan(client_answers(overrides)).recommendations:
            found.setdefault(r.id, set()).add(r.detail)
    return {k: tuple(sorted(v)) for k, v in sorted(found.items())}
