"""What goes on the client's handout (issue 20, item 4): the required advice, the tool's
picks, and the practitioner's `--pick` and `--drop` checked against the plan.

Plans here are either made of ids (each case states its plan) or made by the real rules
(the worked examples, and any interview hypothesis draws); programme ids are given as
the programme would hold them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from depth import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import SPEC_ORDER, interviews

from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.handout_choice import (
    MAX_PICKS,
    HandoutChoice,
    HandoutChoiceError,
    choose,
    default_picks,
    is_required,
    required,
)
from backpain_cli.clinical.model import Plan, Recommendation
from backpain_cli.clinical.questionnaire import AnswerValue
from backpain_cli.errors import UsageError

EXAMPLES = Path(__file__).parent / "data" / "examples"
# Every recommendation id of the clinical reference v3: the v2 list with the new ids inside their
# strategy (the picks read only the order and the strategy of the ids).
V3_ORDER = (SPEC_ORDER[0], "medical.same_day_referral", *SPEC_ORDER[1:12],
            "medical.vascular_check", "medical.falls_assessment", "medical.risk_factor_team",
            *SPEC_ORDER[12:37], "personalized.pain_education", *SPEC_ORDER[37:42],
            "prevention.bone_safe_exercise", "prevention.strength_balance",
            "prevention.postnatal_exercise", *SPEC_ORDER[42:])


def plan_of(*ids: str, triage: str = "none") -> Plan:
    recs = tuple(Recommendation(i, i.split(".", 1)[0], f"Title of {i}", "Detail.", ("age",),
                                "Evidence.") for i in ids)
    return Plan({}, triage, (), recs, reassess_weeks=None if triage == "emergency" else 2)


def example_plan(name: str) -> Plan:
    raw = tomllib.loads((EXAMPLES / f"{name}.answers.toml").read_text("utf-8"))["answers"]
    return build_plan({k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})


PROGRAMME = ("ex.walking", "ex.bridge", "ex.sit_to_stand")

# --------------------------------------------------------------------------- required


@pytest.mark.parametrize(("rec_id", "expected"), [
    ("medical.emergency_referral", True),
    ("medical.same_day_referral", True),
    ("medical.urgent_referral", True),
    ("medical.axspa_referral", True),
    ("medical.safety_net", True),
    ("massage.hold_until_cleared", True),
    ("medical.axspa_discuss", False),
    ("medical.co_manage", False),
    ("massage.gentle_only", False),
    ("prevention.stay_active", False),
])
def test_which_advice_is_always_on_the_handout(rec_id: str, expected: bool) -> None:
    assert is_required(rec_id) is expected


# --------------------------------------------------------------------------- the tool's picks

PICK_CASES = [
    # name, triage, plan ids, required, picks
    ("emergency: the referral alone, nothing to pick", "emergency",
     ("medical.emergency_referral",), ("medical.emergency_referral",), ()),
    ("urgent: referral, safety net and the hold required; the rest picked", "urgent",
     ("medical.urgent_referral", "medical.safety_net", "sleep.no_change",
      "sleep.pillow.height", "prevention.stay_active", "massage.hold_until_cleared"),
     ("medical.urgent_referral", "medical.safety_net", "massage.hold_until_cleared"),
     ("sleep.no_change", "sleep.pillow.height", "prevention.stay_active")),
    ("same_day: its referral is required like the urgent one", "same_day",
     ("medical.same_day_referral", "medical.pregnancy_care", "medical.safety_net",
      "massage.hold_until_cleared"),
     ("medical.same_day_referral", "medical.safety_net", "massage.hold_until_cleared"),
     ("medical.pregnancy_care",)),
    ("one of each strategy first, then the plan's next items, in plan order", "none",
     ("medical.safety_net", "sleep.a", "sleep.b", "sleep.c", "personalized.a",
      "prevention.a", "prevention.b", "massage.a"),
     ("medical.safety_net",),
     ("sleep.a", "sleep.b", "personalized.a", "prevention.a", "massage.a")),
    ("five strategies with choosable items: exactly the first of each", "refer_routine",
     ("medical.axspa_referral", "medical.axspa_discuss", "medical.safety_net", "sleep.a",
      "sleep.b", "personalized.a", "personalized.b", "prevention.a", "massage.a",
      "massage.b"),
     ("medical.axspa_referral", "medical.safety_net"),
     ("medical.axspa_discuss", "sleep.a", "personalized.a", "prevention.a", "massage.a")),
    ("one strategy: its first five", "none",
     ("medical.safety_net", "prevention.a", "prevention.b", "prevention.c", "prevention.d",
      "prevention.e", "prevention.f"),
     ("medical.safety_net",),
     ("prevention.a", "prevention.b", "prevention.c", "prevention.d", "prevention.e")),
    ("fewer than five to choose from: all of them", "co_manage",
     ("medical.co_manage", "medical.safety_net", "massage.gentle_only"),
     ("medical.safety_net",), ("medical.co_manage", "massage.gentle_only")),
]


@pytest.mark.parametrize(("triage", "ids", "needed", "picks"),
                         [case[1:] for case in PICK_CASES], ids=[c[0] for c in PICK_CASES])
def test_the_tools_picks(triage: str, ids: tuple[str, ...], needed: tuple[str, ...],
                         picks: tuple[str, ...]) -> None:
    plan = plan_of(*ids, triage=triage)
    assert required(plan) == needed
    assert default_picks(plan) == picks
    assert choose(plan, ()) == HandoutChoice(needed, picks, ())


def test_the_picks_of_a_worked_example() -> None:
    # desk-strain: no medical advice but the safety net, so the first sleep, personalised,
    # prevention and massage items, then the second sleep item, which comes first in the plan.
    plan = example_plan("desk-strain")
    assert default_picks(plan) == (
        "sleep.mattress.medium_firm", "sleep.pillow.between_knees",
        "personalized.strain.relative_rest", "prevention.stay_active",
        "massage.with_exercise")
    assert required(plan) == ("medical.safety_net",)


# --------------------------------------------------------------------------- the practitioner's


DESK = ("medical.safety_net", "sleep.no_change", "personalized.heat",
        "prevention.stay_active", "prevention.keep_exercising", "massage.with_exercise",
        "massage.combine_care")


@pytest.mark.parametrize(("pick", "drop", "picks", "exercises", "dropped"), [
    (None, (), ("sleep.no_change", "personalized.heat", "prevention.stay_active",
                "prevention.keep_exercising", "massage.with_exercise"), PROGRAMME, ()),
    # Plan order, whatever the order given; a repeat counts once.
    (["massage.combine_care", "sleep.no_change", "sleep.no_change"], [],
     ("sleep.no_change", "massage.combine_care"), PROGRAMME, ()),
    # A required id may be named: it is on the handout anyway, and not one of the five.
    (["medical.safety_net", "personalized.heat"], [], ("personalized.heat",), PROGRAMME, ()),
    # Nothing picked: the required advice alone.
    ([], ["ex.bridge"], (), ("ex.walking", "ex.sit_to_stand"), ("ex.bridge",)),
    # Every exercise may go.
    ([], list(PROGRAMME), (), (), PROGRAMME),
])
def test_a_practitioners_choice(pick: list[str] | None, drop: list[str],
                                picks: tuple[str, ...], exercises: tuple[str, ...],
                                dropped: tuple[str, ...]) -> None:
    choice = choose(plan_of(*DESK), PROGRAMME, pick, drop)
    assert choice == HandoutChoice(("medical.safety_net",), picks, exercises, dropped)
    assert "medical.safety_net" in choice.advice


@pytest.mark.parametrize(("pick", "drop", "programme", "message"), [
    (["sleep.mattress.review"], [], PROGRAMME,
     "--pick sleep.mattress.review: not advice in this plan (it has: sleep.no_change, "
     "personalized.heat, prevention.stay_active, prevention.keep_exercising, "
     "massage.with_exercise, massage.combine_care)"),
    (["medical.urgent_referral"], [], PROGRAMME,
     "--pick medical.urgent_referral: not advice in this plan (it has: sleep.no_change, "
     "personalized.heat, prevention.stay_active, prevention.keep_exercising, "
     "massage.with_exercise, massage.combine_care)"),
    (["ex.bridge"], [], PROGRAMME,
     "--pick ex.bridge: this is an exercise, not advice; every exercise of the programme "
     "is on the handout unless dropped with --drop"),
    (list(DESK), [], PROGRAMME,
     "--pick: at most 5 pieces of advice, 6 given (the referral and the safety advice are "
     "always added and not counted)"),
    ([], ["ex.lunge"], PROGRAMME,
     "--drop ex.lunge: not an exercise of this programme (it has: ex.walking, ex.bridge, "
     "ex.sit_to_stand)"),
    ([], ["ex.lunge"], (), "--drop ex.lunge: this plan has no exercise programme"),
    ([], ["medical.safety_net"], PROGRAMME,
     "--drop medical.safety_net: always on the handout; it cannot be dropped"),
    ([], ["personalized.heat"], PROGRAMME,
     "--drop personalized.heat: this is advice, not an exercise; to leave it off, do not "
     "name it in --pick"),
    # Every problem at once, each once.
    (["nope", "nope"], ["ex.nope", "medical.safety_net"], PROGRAMME,
     "--pick nope: not advice in this plan (it has: sleep.no_change, personalized.heat, "
     "prevention.stay_active, prevention.keep_exercising, massage.with_exercise, "
     "massage.combine_care); --drop ex.nope: not an exercise of this programme (it has: "
     "ex.walking, ex.bridge, ex.sit_to_stand); --drop medical.safety_net: always on the "
     "handout; it cannot be dropped"),
])
def test_a_choice_that_does_not_fit_the_plan(pick: list[str], drop: list[str],
                                              programme: tuple[str, ...],
                                              message: str) -> None:
    with pytest.raises(HandoutChoiceError) as caught:
        choose(plan_of(*DESK), programme, pick, drop)
    assert str(caught.value) == message
    # A usage error: exit 2, as for any bad option, and reported as "usage error: ...".
    assert isinstance(caught.value, UsageError)
    assert caught.value.exit_code == 2


def test_a_bad_choice_is_reported_as_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from backpain_cli.errors import report

    with pytest.raises(HandoutChoiceError) as caught:
        choose(plan_of(*DESK), PROGRAMME, [], ["medical.safety_net"])
    report(caught.value)
    assert capsys.readouterr().err == (
        "backpain: usage error: --drop medical.safety_net: always on the handout; it "
        "cannot be dropped\n")


# --------------------------------------------------------------------------- properties


def check_choice(plan: Plan, choice: HandoutChoice) -> None:
    """The guardrails of a handout's choice, for any plan."""
    ids = plan.ids
    # Required always present, never among the five; nothing from outside the plan.
    assert set(choice.required) == {i for i in ids if is_required(i)}
    assert not set(choice.required) & set(choice.picks)
    assert set(choice.picks) <= set(ids)
    assert len(choice.picks) <= MAX_PICKS
    # Plan order.
    assert list(choice.picks) == sorted(choice.picks, key=ids.index)
    assert list(choice.required) == sorted(choice.required, key=ids.index)


@st.composite
def id_plans(draw: st.DrawFn) -> Plan:
    """Any set of v3 recommendation ids in plan order, under any triage."""
    ids = draw(st.lists(st.sampled_from(V3_ORDER), unique=True, max_size=30))
    triage = draw(st.sampled_from(("emergency", "same_day", "urgent", "refer_routine",
                                   "co_manage", "none")))
    return plan_of(*sorted(ids, key=V3_ORDER.index), triage=triage)


def _default_is_full(plan: Plan, choice: HandoutChoice) -> None:
    optional = [r for r in plan.recommendations if not is_required(r.id)]
    # As many as there are, up to five, and every strategy's first when five allow it.
    assert len(choice.picks) == min(MAX_PICKS, len(optional))
    firsts = list(dict.fromkeys(r.strategy for r in optional))
    if len(firsts) <= MAX_PICKS:
        assert {r.strategy for r in optional if r.id in choice.picks} == set(firsts)


@settings(max_examples=examples(300))
@given(plan=id_plans())
def test_the_tools_picks_keep_the_guardrails_for_any_ids(plan: Plan) -> None:
    choice = choose(plan, PROGRAMME)
    check_choice(plan, choice)
    _default_is_full(plan, choice)


@settings(max_examples=examples(150))
@given(answers=interviews())
def test_the_tools_picks_keep_the_guardrails_for_any_interview(
        answers: dict[str, AnswerValue]) -> None:
    plan = build_plan(answers)
    choice = choose(plan, PROGRAMME)
    check_choice(plan, choice)
    _default_is_full(plan, choice)
    if plan.triage != "emergency":
        assert "medical.safety_net" in choice.required


@settings(max_examples=examples(300))
@given(plan=id_plans(), data=st.data())
def test_any_valid_choice_is_taken_as_given(plan: Plan, data: st.DataObject) -> None:
    pool = [i for i in plan.ids if not is_required(i)]
    pick = data.draw(st.lists(st.sampled_from(plan.ids), max_size=MAX_PICKS) if plan.ids
                     else st.just([]))
    pick = pick if len({i for i in pick if not is_required(i)}) <= MAX_PICKS else []
    drop = data.draw(st.lists(st.sampled_from(PROGRAMME), max_size=3))
    choice = choose(plan, PROGRAMME, pick, drop)
    check_choice(plan, choice)
    assert set(choice.picks) == {i for i in pick if i in pool}
    assert set(choice.exercises) | set(choice.dropped) == set(PROGRAMME)
    assert set(choice.dropped) == set(drop)
    assert list(choice.exercises) == [e for e in PROGRAMME if e not in drop]


@settings(max_examples=examples(200))
@given(plan=id_plans(), stranger=st.sampled_from(
    ("medical.nothing", "ex.walking", "sleep.pillow.unknown")))
def test_no_choice_names_advice_outside_the_plan(plan: Plan, stranger: str) -> None:
    with pytest.raises(HandoutChoiceError) as caught:
        choose(plan, PROGRAMME, [stranger])
    assert str(caught.value).startswith(f"--pick {stranger}: ")


@settings(max_examples=examples(200))
@given(plan=id_plans())
def test_no_required_advice_can_be_dropped(plan: Plan) -> None:
    for rec_id in required(plan):
        with pytest.raises(HandoutChoiceError, match="cannot be dropped"):
            choose(plan, PROGRAMME, None, [rec_id])
