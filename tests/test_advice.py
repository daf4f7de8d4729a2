"""advice.toml: every rule has its texts, and every text belongs to a rule and is used.

The recommendation texts are data a clinician reviews apart from the rules. These tests
keep the two sides in step: no rule without words, no words that no rule can say.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

import pytest
from answer_sets import (
    CASES,
    CHRONIC,
    HIGH_RISK,
    LEG,
    MEDIUM_RISK,
    OLDER,
    POSTPARTUM,
    PREGNANT_8,
    PREGNANT_20,
    PREGNANT_30,
    STRAIN,
    UNDER_CARE,
    VASCULAR,
)
from strategies import client_answers

from backpain_cli.clinical import recommender
from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.triage import RED_FLAG_TABLE

RAW: dict[str, Any] = tomllib.loads(
    resources.files("backpain_cli.clinical").joinpath("advice.toml").read_text("utf-8"))

# Answers that reach the wording variants the fires-cases of test_recommender do not.
VARIANTS: list[dict[str, Any]] = [
    {"rf_chest_symptoms": True},
    {"rf_chest_symptoms": True, "rf_both_legs": True, **PREGNANT_20,
     "rf_pregnancy_warning": True},
    {**PREGNANT_20, "rf_pregnancy_warning": True},
    {**PREGNANT_8, "rf_pregnancy_warning": True},
    {**PREGNANT_20, "rf_fever": True},
    {"rf_fever": True, "rf_recent_procedure": True},
    {"rf_cancer_history": True, "rf_both_legs": True},
    {"rf_cancer_history": True, "rf_night_pain": True},
    {**POSTPARTUM, "postpartum_weeks": 2, "rf_fever": True},
    {**POSTPARTUM, "postpartum_weeks": 20, "rf_leg_clot": True},
    {"rf_anticoagulant": True, "rf_trauma": True},
    {"rf_anticoagulant": True, "rf_steroids": True, "rf_recent_procedure": True,
     "rf_recent_infection": True, "rf_cancer_history": True, "risk_team_aware": True},
    {"rf_fever": True, "rf_unwell": True},
    {"rf_unwell": True},
    {"rf_fever": True},
    {**OLDER, "rf_steroids": True, "risk_team_aware": True, "falls_past_year": "one"},
    {**OLDER, "rf_anticoagulant": True},
    {"age": 14, "pain_duration": "under_6_weeks"},
    {"age": 14},
    {"age": 16, "diagnoses": ["scoliosis"], **UNDER_CARE, "rf_trauma": True},
    {"diagnoses": ["spinal_arthritis"], "under_medical_care": False, "rf_trauma": True},
    {"diagnoses": ["autoimmune"], **UNDER_CARE, "rf_trauma": True},
    {"diagnoses": ["osteoporosis"], "under_medical_care": False,
     "morning_stiffness_over_30min": True},
    {"diagnoses": ["spinal_stenosis"], "under_medical_care": False},
    {"diagnoses": ["spinal_stenosis"], **UNDER_CARE, "rf_recent_procedure": True,
     "risk_team_aware": True},
    {**PREGNANT_20, "rf_trauma": True},
    {**POSTPARTUM, "postpartum_weeks": 4, "rf_trauma": True},
    {**POSTPARTUM, "postpartum_weeks": 6},
    {**POSTPARTUM, "postpartum_weeks": 8, "pain_location": ["lower_back", "buttock"]},
    {**POSTPARTUM, "postpartum_weeks": 20},
    {**PREGNANT_30, "pillow_height": "low", "sleep_position": "stomach", "knee_pillow": None},
    {"pain_on_waking": "lasts_longer", "morning_stiffness_over_30min": True,
     "mattress_firmness": "soft", "mattress_sagging": True, "mattress_opinion": "too_soft",
     "mattress_age_years": 12},
    {"pain_on_waking": "lasts_longer", "mattress_firmness": "medium_soft"},
    {"pain_on_waking": "eases_within_30min", "mattress_firmness": "firm",
     "mattress_opinion": "too_firm", "morning_stiffness_over_30min": True},
    *({"sleep_position": p, "pillow_height": h, "knee_pillow": None if p == "stomach" else True}
      for p, h in (("side", "low"), ("back", "high"), ("stomach", "high"), ("mixed", "none"))),
    {"diagnoses": ["ankylosing_spondylitis"], **UNDER_CARE},
    {"diagnoses": ["ankylosing_spondylitis"], **UNDER_CARE, **POSTPARTUM,
     "postpartum_weeks": 2},
    {"pain_duration": "over_12_weeks", "age": 30, "axspa_features": [
        "onset_before_35", "wakes_second_half_night", "better_with_movement",
        "family_history"]},
    {**STRAIN, **PREGNANT_20},
    {"diagnoses": ["muscle_strain"], **UNDER_CARE},
    {"diagnoses": ["spondylosis"], "under_medical_care": True},
    {"diagnoses": ["spinal_arthritis", "spondylosis"], "under_medical_care": True},
    {"pain_duration": "over_12_weeks", "axspa_features": ["none"]},
    {"pain_duration": "over_12_weeks", "axspa_features": ["none"], **HIGH_RISK},
    {"diagnoses": ["osteoporosis"], "under_medical_care": True},
    {"current_care": ["massage"], "massage_helped": "yes", **MEDIUM_RISK},
    {"current_care": ["massage"], "massage_helped": "somewhat", **MEDIUM_RISK},
    {**MEDIUM_RISK, "current_care": ["chiropractic", "physical_therapy", "medical"]},
    {**HIGH_RISK, **LEG},
    {"age": 65, "pain_worse_with": ["standing_walking"], "pain_eased_by": ["sitting"],
     "falls_past_year": "none", "unsteady": False, "rf_recent_procedure": True,
     "risk_team_aware": True},
    {"pain_worse_with": ["bending_backward"], "diagnoses": ["hypermobility"], **UNDER_CARE},
    {"age": 15, "hyperextension_activities": True, "pain_duration": "under_6_weeks"},
    {"pain_worse_with": ["lifting"], **OLDER},
    {"work_absence": "off_work", "work_absence_weeks": 6},
    {"work_absence": "reduced_duties"},
    {"pain_duration": "under_6_weeks"},
    {**PREGNANT_8},
    {"exercise_types": ["walking"]},
    {"rf_weight_loss": True},
    {**VASCULAR},
    {"current_care": ["massage", "physical_therapy"], "massage_helped": "yes"},
    {**CHRONIC, "diagnoses": ["spinal_arthritis"], **UNDER_CARE},
    {**PREGNANT_20, "rf_recent_procedure": True, "risk_team_aware": True},
    {**LEG, "pain_worst_week": 8},
    # Pelvic girdle pain months after the birth: its opening without "usually eases".
    {**POSTPARTUM, "postpartum_weeks": 20, "pain_location": ["front_of_pelvis"]},
    # A diagnosis awaiting the doctor's view and a risk factor: one sentence names both.
    {"diagnoses": ["spinal_arthritis"], "under_medical_care": False, "rf_recent_infection": True,
     "risk_team_aware": True},
    {"diagnoses": ["spinal_arthritis"], "under_medical_care": False, "rf_steroids": True,
     "risk_team_aware": True},
]


class Recording(Mapping[str, str]):
    """A rule's texts that remember which of them were read."""

    def __init__(self, rule_id: str, texts: Mapping[str, str], seen: set[tuple[str, str]]):
        self.rule_id, self.texts, self.seen = rule_id, texts, seen

    def __getitem__(self, key: str) -> str:
        value = self.texts[key]
        self.seen.add((self.rule_id, key))
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self.texts)

    def __len__(self) -> int:
        return len(self.texts)


def test_every_rule_has_its_texts_and_every_text_its_rule() -> None:
    assert list(RAW["rules"]) == list(recommender.RULE_IDS)
    for rule_id, entry in RAW["rules"].items():
        assert entry["title"] and entry["evidence"] in RAW["evidence"], rule_id
        assert set(entry) - {"title", "evidence"}, f"{rule_id} has no text"
        assert all(isinstance(v, str) and v.strip() for v in entry.values()), rule_id


def test_every_evidence_note_is_cited() -> None:
    cited = {entry["evidence"] for entry in RAW["rules"].values()}
    assert cited == set(RAW["evidence"])


def test_titles_are_distinct() -> None:
    titles = [entry["title"] for entry in RAW["rules"].values()]
    assert len(set(titles)) == len(titles)


def test_every_sentence_is_said_by_some_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: set[tuple[str, str]] = set()
    real = recommender.advice()
    recorded = {rule_id: recommender.Advice(a.title, a.evidence, Recording(rule_id, a.texts, seen))
                for rule_id, a in real.items()}
    monkeypatch.setattr(recommender, "advice", lambda: recorded)
    for overrides in [fires for fires, _ in CASES.values()] + VARIANTS:
        build_plan(client_answers(overrides))
    # A session of version 2 re-scored: no weeks since the birth were asked then.
    for overrides, left_out in (({**PREGNANT_20, "rf_trauma": True}, "pregnancy_weeks"),
                                ({**POSTPARTUM, "rf_trauma": True}, "postpartum_weeks")):
        answers = client_answers(overrides)
        del answers[left_out]
        build_plan(answers)
    said_shared = {key for _, key in seen if key in RAW["shared"]}
    assert said_shared == set(RAW["shared"])
    unsaid = [(rule_id, key) for rule_id, entry in RAW["rules"].items() for key in entry
              if key not in ("title", "evidence") and (rule_id, key) not in seen]
    assert not unsaid, f"texts no plan says: {unsaid}"


@pytest.mark.parametrize("flag", [f for f, _, tier in RED_FLAG_TABLE if tier == "emergency"])
def test_every_emergency_flag_alone_gives_its_words_and_a_place(flag: str) -> None:
    overrides: dict[str, Any] = {flag: True}
    if flag == "rf_pregnancy_warning":
        overrides.update(PREGNANT_20, rf_pregnancy_warning=True)
    (referral,) = build_plan(client_answers(overrides)).recommendations
    words = RAW["flag_words"][flag]
    assert referral.detail.startswith(f"Because of {words}, this needs emergency care now. ")
    assert any(place in referral.detail for place in (
        "ambulance", "emergency department", "maternity unit")), referral.detail


def test_every_flag_has_plain_words() -> None:
    from backpain_cli.clinical.triage import RED_FLAG_IDS

    assert set(RAW["flag_words"]) == set(RED_FLAG_IDS)


PILLOW_TIPS = "the pillow tips may still help"


@pytest.mark.parametrize(("overrides", "tips"), [
    ({}, False),  # side sleeper with a knee pillow and a medium head pillow: no tips
    ({"knee_pillow": False}, True),
    ({"pillow_height": "low"}, True),
    ({"sleep_position": "back", "pillow_height": "high", "knee_pillow": True}, True),
    ({"sleep_position": "stomach", "pillow_height": "low", "knee_pillow": None}, True),
])
def test_no_change_mentions_pillow_tips_only_when_the_plan_has_some(
        overrides: dict[str, Any], tips: bool) -> None:
    plan = build_plan(client_answers(overrides))
    (rec,) = [r for r in plan.recommendations if r.id == "sleep.no_change"]
    others = [i for i in plan.ids if i.startswith("sleep.") and i != "sleep.no_change"]
    assert (PILLOW_TIPS in rec.detail, bool(others)) == (tips, tips), (rec.detail, plan.ids)
