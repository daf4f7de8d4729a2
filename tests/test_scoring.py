"""Scores (the clinical reference, "Scores") and the minimal clinically important change."""

from __future__ import annotations

from typing import Any

import pytest

from backpain_cli.clinical.questionnaire import AnswerValue
from backpain_cli.clinical.scoring import (
    ODI_BAND_LABELS,
    SCORE_KEYS,
    STARTBACK_DOMAINS,
    axspa_feature_count,
    compute_scores,
    mcid_change,
    odi_band,
    odi_percent,
    rmdq_score,
    round_half_up,
    startback_risk_group,
)
from backpain_cli.clinical.scoring import (
    startback_psychosocial as psychosocial,
)
from backpain_cli.clinical.scoring import (
    startback_total as total,
)


def startback(agree: set[int], item9: str = "slightly") -> dict[str, AnswerValue]:
    answers: dict[str, AnswerValue] = {f"sbst_{i}": i in agree for i in range(1, 9)}
    answers["sbst_9"] = item9
    return answers


def odi(*sections: int | None) -> dict[str, AnswerValue]:
    return {f"odi_{i}": v for i, v in enumerate(sections, 1) if v is not None}


# --------------------------------------------------------------------------- NPRS


def test_nprs_as_answered() -> None:
    scores, warnings = compute_scores({"pain_now": 0, "pain_worst_week": 10})
    assert scores == {"nprs_now": 0, "nprs_worst_week": 10}, "0 is a score, not a missing one"
    assert warnings == []


def test_nothing_collected_means_no_scores() -> None:
    assert compute_scores({}) == ({}, []), "a score not collected is absent, never 0"


# --------------------------------------------------------------------------- STarT Back


@pytest.mark.parametrize(("agree", "item9", "expected"), [
    (set(), "not_at_all", (0, 0, "low")),
    ({1, 2, 3}, "moderately", (3, 0, "low")),          # total 3: still low
    ({1, 2, 3, 4}, "slightly", (4, 0, "medium")),      # total 4: medium
    ({1, 2, 3}, "very_much", (4, 1, "medium")),        # item 9 very much counts 1
    ({5, 6, 7}, "moderately", (3, 3, "low")),          # psychosocial 3: not high
    ({5, 6, 7}, "extremely", (4, 4, "high")),          # psychosocial 4: high
    ({5, 6, 7, 8}, "not_at_all", (4, 4, "high")),
    ({1, 2, 5, 6, 7}, "slightly", (5, 3, "medium")),   # psychosocial 3 with total 5
    (set(range(1, 9)), "extremely", (9, 5, "high")),
])
def test_startback(agree: set[int], item9: str, expected: tuple[int, int, str]) -> None:
    scores, _ = compute_scores(startback(agree, item9))
    got = (scores["startback_total"], scores["startback_psychosocial"], scores["startback_risk"])
    assert got == expected, f"agree={sorted(agree)} item9={item9}"


@pytest.mark.parametrize(("total_", "psychosocial_", "risk"), [
    (3, 3, "low"), (4, 3, "medium"), (4, 4, "high"), (3, 4, "high"), (9, 3, "medium"),
])
def test_startback_risk_group_boundaries(total_: int, psychosocial_: int, risk: str) -> None:
    assert startback_risk_group(total_, psychosocial_) == risk, (total_, psychosocial_)


def test_startback_needs_all_nine_items() -> None:
    answers = startback({1, 2, 3, 4})
    del answers["sbst_9"]
    scores, warnings = compute_scores(answers)
    assert not any(k.startswith("startback") for k in scores), scores
    assert total(answers) is None and psychosocial(answers) is None
    assert warnings == ["STarT Back not scored: 8 of 9 items answered (9 are needed)."]


def test_startback_domains_in_keele_order() -> None:
    assert len(STARTBACK_DOMAINS) == 9
    assert STARTBACK_DOMAINS[4] == "fear of physical activity"
    assert STARTBACK_DOMAINS[8] == "overall bothersomeness"


# --------------------------------------------------------------------------- Oswestry


@pytest.mark.parametrize(("sections", "percent", "band"), [
    ((0,) * 10, 0.0, "minimal"),
    ((5,) * 10, 100.0, "bed_bound"),
    ((1,) * 10, 20.0, "minimal"),                     # 20 is still minimal
    ((1,) * 9 + (2,), 22.0, "moderate"),
    ((2,) * 10, 40.0, "moderate"),                    # 40 is still moderate
    ((2,) * 9 + (3,), 42.0, "severe"),
    ((3,) * 10, 60.0, "severe"),
    ((3,) * 9 + (4,), 62.0, "crippling"),
    ((4,) * 10, 80.0, "crippling"),
    ((4,) * 9 + (5,), 82.0, "bed_bound"),
    # one section skipped: divide by 45
    ((1,) * 9 + (None,), 20.0, "minimal"),
    ((2, 1, 1, 1, 1, 1, 1, 1, 1, None), 22.2, "moderate"),   # 10/45 = 22.22
    ((3, 3, 3, 3, 3, 3, 3, 3, 0, None), 53.3, "severe"),     # 24/45 = 53.33
    ((3, 3, 3, 3, 3, 3, 3, 3, 3, None), 60.0, "severe"),
    ((4, 4, 4, 4, 3, 3, 3, 3, 3, None), 68.9, "crippling"),  # 31/45 = 68.888
    ((None, 5, 5, 5, 5, 5, 5, 5, 5, 4), 97.8, "bed_bound"),  # 44/45 = 97.777
])
def test_odi(sections: tuple[int | None, ...], percent: float, band: str) -> None:
    scores, warnings = compute_scores(odi(*sections))
    assert scores.get("odi_percent") == percent, sections
    assert scores.get("odi_band") == band, (sections, percent)
    assert warnings == []


@pytest.mark.parametrize(("percent", "band"), [
    (20.0, "minimal"), (20.1, "moderate"), (40.0, "moderate"), (40.1, "severe"),
    (60.0, "severe"), (60.1, "crippling"), (80.0, "crippling"), (80.1, "bed_bound"),
])
def test_odi_band_boundaries(percent: float, band: str) -> None:
    assert odi_band(percent) == band, percent


def test_odi_two_sections_missing_is_not_scored() -> None:
    answers = odi(1, 1, 1, 1, 1, 1, 1, 1, None, None)
    scores, warnings = compute_scores(answers)
    assert "odi_percent" not in scores and "odi_band" not in scores, scores
    assert odi_percent(answers) is None
    assert warnings == [
        "Oswestry (ODI) not scored: 8 of 10 sections answered (at least 9 are needed)."]


def test_odi_not_included_gives_no_warning() -> None:
    assert compute_scores(startback(set())) == (
        {"startback_total": 0, "startback_psychosocial": 0, "startback_risk": "low"}, [])


@pytest.mark.parametrize(("numerator", "denominator", "expected"), [
    (1225, 100, 12.3),    # a tie rounds up (round() would give 12.2)
    (1235, 100, 12.4),
    (1250, 1000, 1.3),    # 1.25 -> 1.3 (round(1.25, 1) == 1.2)
    (1249, 1000, 1.2),
    (200, 9, 22.2),
    (400, 9, 44.4),
    (600, 9, 66.7),
])
def test_round_half_up(numerator: int, denominator: int, expected: float) -> None:
    assert round_half_up(numerator, denominator) == expected, (numerator, denominator)


def test_odi_band_labels_are_kind() -> None:
    assert set(ODI_BAND_LABELS) == {"minimal", "moderate", "severe", "crippling", "bed_bound"}
    assert not any(w in label for label in ODI_BAND_LABELS.values()
                   for w in ("crippl", "bed"))


# --------------------------------------------------------------------------- Roland-Morris


def test_rmdq_counts_yes() -> None:
    answers: dict[str, AnswerValue] = {f"rmdq_{i}": i % 3 == 0 for i in range(1, 25)}
    assert rmdq_score(answers) == 8
    assert compute_scores(answers)[0] == {"rmdq_score": 8}


def test_rmdq_zero_is_a_score() -> None:
    answers: dict[str, AnswerValue] = {f"rmdq_{i}": False for i in range(1, 25)}
    assert compute_scores(answers)[0] == {"rmdq_score": 0}


def test_rmdq_incomplete_is_not_scored() -> None:
    answers: dict[str, AnswerValue] = {f"rmdq_{i}": True for i in range(1, 24)}
    scores, warnings = compute_scores(answers)
    assert scores == {}, scores
    assert warnings == [
        "Roland-Morris (RMDQ) not scored: 23 of 24 statements answered (24 are needed)."]


# --------------------------------------------------------------------------- axSpA


@pytest.mark.parametrize(("answers", "expected"), [
    ({}, None),                                            # hidden: absent, not 0
    ({"axspa_features": ("none",)}, 0),
    ({"axspa_features": ("onset_before_35",)}, 1),
    ({"axspa_features": ("onset_before_35", "family_history", "better_with_nsaids")}, 3),
])
def test_axspa_feature_count(answers: dict[str, Any], expected: int | None) -> None:
    assert axspa_feature_count(answers) == expected, answers
    assert compute_scores(answers)[0].get("axspa_feature_count") == expected


def test_every_score_key_is_known() -> None:
    full: dict[str, AnswerValue] = {
        "pain_now": 3, "pain_worst_week": 5, **startback({1}), **odi(*(1,) * 10),
        **{f"rmdq_{i}": False for i in range(1, 25)}, "axspa_features": ("none",),
    }
    assert tuple(compute_scores(full)[0]) == SCORE_KEYS


# --------------------------------------------------------------------------- MCID


# the clinical reference v2: a fall is "improved" only when it reaches the points AND 30% of the
# earlier
# score (both inclusive); a rise is "worse" by the points alone; anything else is "no
# important change". The boundary cases of the spec, then each threshold from both sides.
@pytest.mark.parametrize(("measure", "before", "after", "expected"), [
    # NPRS: 2 points
    ("nprs", 6, 4, "improved"),              # the spec: 2 points, 33%
    ("nprs", 7, 5, "no important change"),   # the spec: 2 points but 28.6%
    ("nprs", 3, 2, "no important change"),   # the spec: 33% but 1 point
    ("nprs", 10, 7, "improved"),             # exactly 30%, 3 points
    ("nprs", 10, 8, "no important change"),  # 2 points, 20%
    ("nprs", 8, 6, "no important change"),   # 2 points, 25%
    ("nprs", 2, 0, "improved"),              # 2 points, 100%
    ("nprs", 1, 0, "no important change"),   # 100% but 1 point
    ("nprs", 5, 7, "worse"),                 # 2 points up
    ("nprs", 2, 3, "no important change"),   # 50% up, 1 point: worse needs the points
    ("nprs", 8, 10, "worse"),
    ("nprs", 0, 2, "worse"),
    ("nprs", 0, 1, "no important change"),
    ("nprs", 0, 0, "no important change"),   # from 0 no fall is possible
    ("nprs_now", 6, 4, "improved"),          # score keys work too
    ("nprs_worst_week", 7, 5, "no important change"),
    ("nprs_worst_week", 9, 6, "improved"),
    # ODI: 10 points
    ("odi", 10.0, 7.0, "no important change"),   # the spec: 30% but 3 points
    ("odi", 40.0, 30.0, "no important change"),  # 10 points, 25%
    ("odi", 50.0, 35.0, "improved"),             # 15 points, exactly 30%: exact arithmetic
    ("odi", 50.0, 35.2, "no important change"),  # 14.8 points, 29.6%
    ("odi", 33.3, 23.3, "improved"),             # 10 points, 30.03%
    ("odi", 34.4, 24.5, "no important change"),  # 9.9 points
    ("odi_percent", 20.0, 30.0, "worse"),        # 10 points up
    ("odi_percent", 20.0, 29.9, "no important change"),
    ("odi", 0.0, 10.0, "worse"),
    # RMDQ: 5 points
    ("rmdq", 20, 15, "no important change"),  # 5 points, 25%
    ("rmdq", 16, 11, "improved"),             # 5 points, 31%
    ("rmdq", 10, 5, "improved"),
    ("rmdq_score", 10, 7, "no important change"),  # 30% but 3 points
    ("rmdq", 5, 0, "improved"),
    ("rmdq", 10, 15, "worse"),
    ("rmdq", 10, 14, "no important change"),
])
def test_mcid_change(measure: str, before: float, after: float, expected: str) -> None:
    assert mcid_change(measure, before, after) == expected, (measure, before, after)


@pytest.mark.parametrize("measure", ["startback_total", "startback_risk", "pain"])
def test_mcid_refuses_other_measures(measure: str) -> None:
    with pytest.raises(ValueError, match="no minimal important change"):
        mcid_change(measure, 4, 2)


def test_mcid_refuses_yes_no() -> None:
    with pytest.raises(TypeError):
        mcid_change("nprs", True, 0)
