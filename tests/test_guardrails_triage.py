"""The guardrails of the clinical reference v3 about flags, triage, pregnancy, the weeks after a
birth
and the consistency checks, as properties over every reachable set of answers.

The tiers are restated here from the spec ("Flag tiers (v3)": signs, features, risk
factors, rules T1-T7), not imported from clinical/triage.py, and compared with what the
tool computes for drawn interviews:

- guardrail 20: each flag of a tier rule that fired is listed with at least that tier, and
  triage is at least the highest listed tier (here: exactly the tiers of the restatement);
- guardrail 15: the pregnancy sign counts only in pregnancy, the clot sign only in
  pregnancy or after a birth, and pregnancy is never asked of a male client or outside ages
  12 to 55 (an answer given anyway is dropped);
- guardrails 1, 3 and 14 as far as triage decides them: an emergency plan has no interval,
  a same-day or urgent one is re-checked in a week and keeps the urgent bounds, every other
  plan has its interval by duration;
- derived flags are derived only at a visit that follows no other;
- guardrail 24: consistency checks never change the exit code (through the command).

Interviews are drawn by tests/strategies.py, which walks the questions as the interview
does; the draws below make flags common (every warning sign and risk factor drawn yes or no
alike) so that the clusters of T1-T7 and the team question are reached often.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from depth import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import REGISTRY, interviews
from typer.testing import CliRunner

from backpain_cli.cli.app import app
from backpain_cli.clinical.answers import validate
from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.model import Plan
from backpain_cli.clinical.questionnaire import AnswerValue

Answers = Mapping[str, AnswerValue]

# --------------------------------------------------------------------------- the spec, restated

SIGN_TIERS = {
    "rf_saddle_numbness": "emergency", "rf_bladder_bowel": "emergency",
    "rf_sexual_dysfunction": "emergency", "rf_both_legs": "emergency",
    "rf_leg_weakness": "emergency", "rf_chest_symptoms": "emergency",
    "rf_pregnancy_warning": "emergency", "rf_leg_clot": "same_day",
}
FEATURES = ("rf_fever", "rf_unwell", "rf_weight_loss", "rf_night_pain", "rf_constant_pain",
            "rf_trauma", "rf_osteoporosis", "rf_thoracic_pain")
RISKS = ("rf_immunosuppressed", "rf_recent_procedure", "rf_recent_infection",
         "rf_cancer_history", "rf_steroids", "rf_anticoagulant")
TABLE_ORDER = (
    "rf_saddle_numbness", "rf_bladder_bowel", "rf_sexual_dysfunction", "rf_both_legs",
    "rf_leg_weakness", "rf_chest_symptoms", "rf_pregnancy_warning", "rf_leg_clot", "rf_fever",
    "rf_immunosuppressed", "rf_recent_procedure", "rf_recent_infection", "rf_unwell",
    "rf_cancer_history", "rf_weight_loss", "rf_night_pain", "rf_constant_pain", "rf_trauma",
    "rf_steroids", "rf_anticoagulant", "rf_osteoporosis", "rf_thoracic_pain")
DERIVED = ("rf_age_first_episode", "rf_fragility_fracture")
NERVE = ("rf_saddle_numbness", "rf_bladder_bowel", "rf_sexual_dysfunction", "rf_both_legs",
         "rf_leg_weakness")
T1_RISKS = ("rf_immunosuppressed", "rf_recent_procedure", "rf_recent_infection",
            "rf_steroids")
T4_FEATURES = ("rf_night_pain", "rf_weight_loss", "rf_unwell", "rf_constant_pain",
               "rf_thoracic_pain")
RANK = {"emergency": 0, "same_day": 1, "urgent": 2, "co_manage": 3}
TRIAGE_ORDER = ("emergency", "same_day", "urgent", "refer_routine", "co_manage", "none")
URGENT_KEEPS = {"prevention.stay_active", "massage.hold_until_cleared"}


def _int(a: Answers, qid: str) -> int | None:
    v = a.get(qid)
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def pregnant(a: Answers) -> bool:
    return a.get("pregnancy") == "pregnant"


def postpartum(a: Answers) -> bool:
    return a.get("pregnancy") == "postpartum"


def postnatal_6wk(a: Answers) -> bool:
    weeks = _int(a, "postpartum_weeks")
    return postpartum(a) and weeks is not None and weeks <= 6


def counted(a: Answers, *, follow_up: bool = False) -> list[str]:
    out = []
    for f in TABLE_ORDER:
        if a.get(f) is not True:
            continue
        if f == "rf_pregnancy_warning" and not pregnant(a):
            continue
        if f == "rf_leg_clot" and not (pregnant(a) or postpartum(a)):
            continue
        out.append(f)
    if follow_up:
        return out
    age = _int(a, "age")
    if a.get("first_episode") is True and age is not None and (age > 60 or age < 16):
        out.append("rf_age_first_episode")
    diagnoses = a.get("diagnoses")
    if (a.get("pain_duration") == "under_6_weeks"
            and a.get("onset") in ("after_injury", "after_exertion")
            and ((isinstance(diagnoses, tuple) and "osteoporosis" in diagnoses)
                 or (age is not None and age >= 70) or a.get("rf_steroids") is True)):
        out.append("rf_fragility_fracture")
    return out


def fired(a: Answers, flags: list[str]) -> list[tuple[str, tuple[str, ...], str]]:
    """The tier rules that hold: (rule, the flags it raises, its tier)."""
    has = set(flags)
    out: list[tuple[str, tuple[str, ...], str]] = []
    if "rf_fever" in has and has & set(T1_RISKS):
        out.append(("T1", ("rf_fever", *T1_RISKS), "emergency"))
    if "rf_fever" in has and pregnant(a):
        out.append(("T2", ("rf_fever",), "emergency"))
    if "rf_cancer_history" in has and has & set(NERVE):
        out.append(("T3", ("rf_cancer_history",), "emergency"))
    if "rf_cancer_history" in has and has & set(T4_FEATURES):
        out.append(("T4", ("rf_cancer_history", *T4_FEATURES), "same_day"))
    if has & {"rf_fever", "rf_unwell"} and postnatal_6wk(a):
        out.append(("T5", ("rf_fever", "rf_unwell"), "same_day"))
    if {"rf_fever", "rf_unwell"} <= has:
        out.append(("T6", ("rf_fever", "rf_unwell"), "same_day"))
    if {"rf_anticoagulant", "rf_trauma"} <= has:
        out.append(("T7", ("rf_anticoagulant", "rf_trauma"), "same_day"))
    return out


def tiers(a: Answers, *, follow_up: bool = False) -> list[tuple[str, str]]:
    flags = counted(a, follow_up=follow_up)
    others = [f for f in flags if f not in RISKS]
    tier: dict[str, str] = {}
    for f in flags:
        if f in SIGN_TIERS:
            tier[f] = SIGN_TIERS[f]
        elif f in RISKS:
            alone = not others and (f == "rf_anticoagulant" or a.get("risk_team_aware") is True)
            tier[f] = "co_manage" if alone else "urgent"
        else:
            tier[f] = "urgent"
    for _, raised, level in fired(a, flags):
        for f in raised:
            if f in tier and RANK[level] < RANK[tier[f]]:
                tier[f] = level
    return [(f, tier[f]) for f in flags]


# --------------------------------------------------------------------------- drawing


def _checked(raw: Mapping[str, AnswerValue]) -> Answers:
    instruments = tuple(i for i in ("odi", "rmdq") if any(k.startswith(f"{i}_") for k in raw))
    result = validate(REGISTRY.select(instruments), raw)
    assert result.complete and not result.dropped, (result.all_problems(), result.dropped)
    return result.answers


EMERGENCY_SIGNS_NO = dict.fromkeys(
    ("rf_saddle_numbness", "rf_bladder_bowel", "rf_sexual_dysfunction", "rf_both_legs",
     "rf_leg_weakness", "rf_chest_symptoms", "rf_pregnancy_warning"), False)
# Every warning sign and risk factor drawn like any yes/no question (about half yes).
MANY_FLAGS = interviews(rare=())
# The same without the emergency signs, so that the clusters below emergency show.
CLUSTERS = interviews(fixed=EMERGENCY_SIGNS_NO, rare=())
# Pregnancy and the weeks after a birth, with flags common.
BIRTH = st.sampled_from(("pregnant", "postpartum")).flatmap(lambda p: interviews(
    fixed={"sex": "female", "pregnancy": p, **EMERGENCY_SIGNS_NO}, rare=()))
# A risk factor alone, the team question answered either way.
RISK_ALONE = st.sampled_from(RISKS).flatmap(lambda risk: interviews(fixed={
    **dict.fromkeys((*SIGN_TIERS, *FEATURES), False), **dict.fromkeys(RISKS, False),
    risk: True, "first_episode": False}))

MAIN = settings(max_examples=examples(1000), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FOCUSED = settings(max_examples=examples(300), deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _tiers_hold(a: Answers, plan: Plan) -> None:
    expected = tiers(a)
    got = [(f.id, f.tier) for f in plan.red_flags]
    assert got == expected, (got, expected, dict(a))
    # Guardrail 20, as the spec words it.
    listed = dict(got)
    for rule, raised, level in fired(a, counted(a)):
        for f in raised:
            if f in listed:
                assert RANK[listed[f]] <= RANK[level], (rule, f, listed[f])
    if got:
        highest = min((t for _, t in got), key=RANK.__getitem__)
        floor = "co_manage" if highest == "co_manage" else highest
        assert TRIAGE_ORDER.index(plan.triage) <= TRIAGE_ORDER.index(floor), (plan.triage, got)
        if highest != "co_manage":
            assert plan.triage == highest, (plan.triage, got)


def _interval_holds(a: Answers, plan: Plan) -> None:
    # Guardrails 1, 3 and 14 as triage decides them (the clinical reference "Re-assessment").
    if plan.triage == "emergency":
        assert plan.reassess_weeks is None
        assert plan.ids == ("medical.emergency_referral",)
        return
    if plan.triage in ("same_day", "urgent"):
        assert plan.reassess_weeks == 1
        assert "massage.hold_until_cleared" in plan.ids
        assert "medical.urgent_referral" not in plan.ids or plan.triage == "urgent"
        outside = [i for i in plan.ids
                   if not i.startswith(("medical.", "sleep.")) and i not in URGENT_KEEPS]
        assert not outside, (plan.triage, outside)
        assert "medical.psychosocial_support" not in plan.ids
        return
    weeks = {"under_6_weeks": 2, "6_to_12_weeks": 4, "over_12_weeks": 6}
    assert plan.reassess_weeks == weeks[str(a["pain_duration"])]
    assert "medical.safety_net" in plan.ids


def _pregnancy_holds(a: Answers, plan: Plan) -> None:
    # Guardrail 15.
    ids = [f.id for f in plan.red_flags]
    if "rf_pregnancy_warning" in ids:
        assert pregnant(a)
    if "rf_leg_clot" in ids:
        assert pregnant(a) or postpartum(a)
    age = _int(a, "age")
    if a.get("sex") == "male" or (age is not None and not 12 <= age <= 55):
        assert "pregnancy" not in a
        # An answer given anyway is dropped, and so are the signs that hang on it.
        extra = validate(REGISTRY.select(()), {**a, "pregnancy": "pregnant",
                                               "pregnancy_weeks": 20,
                                               "rf_pregnancy_warning": True})
        assert {"pregnancy", "pregnancy_weeks", "rf_pregnancy_warning"} <= set(extra.dropped)
        assert build_plan(extra.answers).red_flags == plan.red_flags


def _all_hold(raw: Mapping[str, AnswerValue]) -> None:
    a = _checked(raw)
    plan = build_plan(a)
    _tiers_hold(a, plan)
    _interval_holds(a, plan)
    _pregnancy_holds(a, plan)


@MAIN
@given(interviews())
def test_triage_guardrails_hold_for_any_interview(raw: dict[str, AnswerValue]) -> None:
    _all_hold(raw)


@MAIN
@given(MANY_FLAGS)
def test_triage_guardrails_hold_with_many_flags(raw: dict[str, AnswerValue]) -> None:
    _all_hold(raw)


@FOCUSED
@given(CLUSTERS)
def test_the_clusters_below_emergency(raw: dict[str, AnswerValue]) -> None:
    _all_hold(raw)


@FOCUSED
@given(BIRTH)
def test_in_pregnancy_and_after_a_birth(raw: dict[str, AnswerValue]) -> None:
    _all_hold(raw)
    a = _checked(raw)
    # Fever in pregnancy is an emergency (T2); fever or feeling ill in the first 6 weeks
    # after a birth at least same-day (T5).
    tier = {f.id: f.tier for f in build_plan(a).red_flags}
    if pregnant(a) and "rf_fever" in tier:
        assert tier["rf_fever"] == "emergency"
    if postnatal_6wk(a):
        for f in ("rf_fever", "rf_unwell"):
            if f in tier:
                assert RANK[tier[f]] <= RANK["same_day"], (f, tier)


@FOCUSED
@given(RISK_ALONE)
def test_a_risk_factor_alone(raw: dict[str, AnswerValue]) -> None:
    a = _checked(raw)
    plan = build_plan(a)
    _tiers_hold(a, plan)
    [flag] = [f for f in plan.red_flags if f.id in RISKS]
    if len(plan.red_flags) > 1:
        # A derived flag (a strain at 70, a first episode at 61) beside it: urgent.
        assert flag.tier == "urgent" and plan.triage == "urgent"
    elif flag.id == "rf_anticoagulant" or a.get("risk_team_aware") is True:
        assert flag.tier == "co_manage" and plan.triage in ("refer_routine", "co_manage")
    else:
        assert flag.tier == "urgent" and plan.triage == "urgent"


@FOCUSED
@given(MANY_FLAGS)
def test_a_follow_up_derives_no_flags(raw: dict[str, AnswerValue]) -> None:
    a = _checked(raw)
    plan = build_plan(a, follow_up=True)
    assert not {f.id for f in plan.red_flags} & set(DERIVED)
    assert [(f.id, f.tier) for f in plan.red_flags] == tiers(a, follow_up=True)


# --------------------------------------------------------------------------- guardrail 24

# Pain now above the week's worst, an injury without trauma, leg pain not located: checks
# that hold often, beside whatever else is drawn.
CHECKED = st.booleans().flatmap(lambda often: interviews(fixed={
    "pain_now": 9, "pain_worst_week": 2, "onset": "after_injury", "sbst_1": True,
    "pain_location": ("lower_back",)} if often else {}))


@settings(max_examples=examples(60), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(raw=CHECKED)
def test_checks_never_change_the_exit_code(raw: dict[str, AnswerValue],
                                           tmp_path_factory: pytest.TempPathFactory,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("BACKPAIN_HOME", str(home))
    instruments = [i for i in ("odi", "rmdq") if any(k.startswith(f"{i}_") for k in raw)]
    path = Path(home) / "answers.toml"
    answers: dict[str, Any] = {k: list(v) if isinstance(v, tuple) else v
                               for k, v in raw.items()}
    path.write_text(tomli_w.dumps({"client": "JD-042", "answers": answers}), encoding="utf-8")
    args = ["assess", "--answers", str(path), "--no-input", "--json", "--no-save"]
    if instruments:
        args += ["--instruments", ",".join(instruments)]
    result = CliRunner().invoke(app, args, prog_name="backpain")
    assert result.exit_code == 0, result.output
    held = build_plan(_checked(raw)).checks or ()
    warned = [line for line in result.stderr.splitlines() if ": check ck_" in line]
    assert [line.split("check ", 1)[1].split(":")[0] for line in warned] == [
        c.id for c in held]
