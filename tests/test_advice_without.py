"""Advice that names an exercise of the programme the practitioner dropped (`--drop`) says
it without that exercise on the client's handout (issue 20, item 4).

Every advice text is searched for every library exercise's name: each text naming one is
either rewritten by a [[without]] row of advice.toml when that exercise is dropped, or
stays for a reason this file checks (walking as an everyday activity, a sentence the
clinical reference gives word for word, an exercise named only to be avoided by clients
whose programme never holds it). Then, for every (advice, exercise) row, a handout with the
advice and the exercise dropped names the exercise nowhere, in HTML and in Markdown.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
from advice_details import details
from answer_sets import PREGNANT_20, STENOSIS, UNDER_CARE
from client_handouts import handout, programme_of, with_programme
from exact_wording import EXACT_SENTENCES, strip_exact
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from readability import grade
from strategies import client_answers, interviews

from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.exercises import Exercise, library
from backpain_cli.clinical.handout_choice import choose
from backpain_cli.clinical.recommender import RULE_IDS, without_dropped, withouts
from backpain_cli.output.client_handout import content
from backpain_cli.output.client_handout_html import render_client_html
from backpain_cli.output.client_handout_md import render_client_markdown

RAW: dict[str, Any] = tomllib.loads(
    resources.files("backpain_cli.clinical").joinpath("advice.toml").read_text("utf-8"))

# Texts that name an exercise and stay when it is dropped, each with why.
ACTIVITY = {"ex.walking"}  # "walking", "brisk walking": everyday activity, not the card
EXACT = {  # the clinical reference's own sentence, word for word
    ("prevention.pregnancy_exercise.pelvic_floor", "ex.pelvic_floor"),
    ("prevention.postnatal_exercise.opening", "ex.pelvic_floor"),
    ("prevention.bone_safe_exercise.strengthen", "ex.wall_posture"),
}
AVOID = {  # named to be avoided, while a condition holds that keeps it off the programme
    ("prevention.bone_safe_exercise.avoid", "ex.knees_to_chest"): "bone_caution",
    ("prevention.postnatal_exercise.pgp_early", "ex.lunge"): "pgp_early",
    ("prevention.postnatal_exercise.pgp_early", "ex.side_plank_knees"): "pgp_early",
    ("prevention.postnatal_exercise.pgp_early", "ex.single_leg_stand"): "pgp_early",
}


def named(text: str, e: Exercise) -> list[str]:
    return [m.group(0) for words in (e.name, *e.also)
            for m in re.finditer(rf"\b{re.escape(words)}s?\b", text, re.I)]


def _texts() -> Iterator[tuple[str, str, str]]:
    """(rule id, text key, text) of every rule's title and named sentences."""
    for rule, fields in RAW["rules"].items():
        for key, text in fields.items():
            if key != "evidence":
                yield rule, f"{rule}.{key}", " ".join(text.split())


def _pairs() -> list[tuple[str, str, str]]:
    return sorted({(rule, key, e.id) for rule, key, text in _texts() for e in library()
                   if named(text, e)})


ROWS = {(row.rule, row.exercise) for row in withouts()}


@pytest.mark.parametrize(("rule", "key", "exercise_id"), _pairs())
def test_every_text_naming_an_exercise_has_a_way_without_it(rule: str, key: str,
                                                            exercise_id: str) -> None:
    if (rule, exercise_id) in ROWS:
        return
    if exercise_id in ACTIVITY:
        return
    if (key, exercise_id) in EXACT:
        text = " ".join(RAW["rules"][rule][key.removeprefix(f"{rule}.")].split())
        sentence = next(s for s in re.split(r"(?<=[.])\s+", text)
                        if named(s, library()[exercise_id]))
        assert sentence in EXACT_SENTENCES, (key, sentence)
        return
    assert (key, exercise_id) in AVOID, f"{key} names {exercise_id}: add a [[without]] row"
    assert AVOID[key, exercise_id] in library()[exercise_id].excluded


def test_the_rows_read_well_and_fit_their_texts() -> None:
    for row in withouts():
        assert row.rule in RULE_IDS, row
        exercise = library()[row.exercise]
        assert named(row.says, exercise), row
        assert not named(row.instead, exercise), row
        # `says` is a piece of a detail the plans give, or of what earlier rows of other
        # dropped exercises leave of one: no row is stale.
        shown = details().get(row.rule, ())
        others = {r.exercise for r in withouts() if r.rule == row.rule} - {row.exercise}
        assert any(row.says in d or row.says in without_dropped(row.rule, d, others)
                   for d in shown), row
        # A whole sentence of ours reads at grade 8 (the reference's own are exempt).
        ours = strip_exact(row.instead)
        if ours.endswith(".") and ours[:1].isupper():
            assert grade(ours) <= 8.0, ours


# (rule, exercise) -> answers where the rule says the text that names the exercise.
CASES: dict[tuple[str, str], dict[str, Any]] = {
    ("personalized.morning_mobility", "ex.pelvic_tilt"): {"morning_stiffness_over_30min": True},
    ("prevention.flexion_exercises", "ex.knees_to_chest"): {
        "pain_worse_with": ["bending_backward"]},
    ("prevention.flexion_exercises", "ex.childs_pose"): {"pain_worse_with": ["bending_backward"]},
    # Neither knees to chest nor child's pose is allowed: the text names the pelvic tilt.
    ("prevention.flexion_exercises", "ex.pelvic_tilt"): {
        "pain_worse_with": ["bending_backward"], "diagnoses": ["hypermobility"], **UNDER_CARE},
    ("prevention.leg_strength_flexibility", "ex.sit_to_stand"): {"sitting_hours": 8},
    ("personalized.stenosis.flexion_bias", "ex.stationary_bike"): STENOSIS,
    ("personalized.as.low_impact_exercise", "ex.water_exercise"): {
        "diagnoses": ["ankylosing_spondylitis"], **UNDER_CARE},
    ("prevention.pregnancy_exercise", "ex.water_exercise"): PREGNANT_20,
}
# Other exercises of the test's programme (none of them named by the advice tested).
OTHERS = ["ex.bridge", "ex.bird_dog"]


def test_every_row_has_a_case() -> None:
    assert set(CASES) == ROWS


def _handout_text(rule: str, overrides: dict[str, Any], dropped: list[str]) -> tuple[str, ...]:
    base = handout(client_answers(overrides), pick=[rule])
    h = with_programme(base, [*dropped, *OTHERS], dropped)
    step = next(s for s in content(h).steps if s.id == rule)
    return step.text, render_client_html(h), render_client_markdown(h)


@pytest.mark.parametrize(("rule", "exercise_id"), sorted(CASES))
def test_a_dropped_exercise_is_named_nowhere_not_even_in_the_advice(rule: str,
                                                                    exercise_id: str) -> None:
    overrides = CASES[rule, exercise_id]
    exercise = library()[exercise_id]
    # Kept, the advice names it: the case reaches the text.
    kept = handout(client_answers(overrides), pick=[rule])
    said = next(s.text for s in content(kept).steps if s.id == rule)
    assert named(said, exercise)
    step, html, md = _handout_text(rule, overrides, [exercise_id])
    assert named(step, exercise) == []
    assert named(html, exercise) == []
    assert named(md, exercise) == []
    assert step != said and step.endswith(".")


def test_both_flexion_exercises_dropped_leaves_the_advice_without_examples() -> None:
    overrides = CASES["prevention.flexion_exercises", "ex.knees_to_chest"]
    gone = ["ex.knees_to_chest", "ex.childs_pose"]
    step, html, md = _handout_text("prevention.flexion_exercises", overrides, gone)
    assert "bend you forward may feel good. This comes from experience" in step
    for exercise_id in gone:
        for text in (step, html, md):
            assert named(text, library()[exercise_id]) == []


def _exempt_sentences() -> tuple[str, ...]:
    out = []
    for key, exercise_id in EXACT:
        rule, name = key.rsplit(".", 1)
        text = " ".join(RAW["rules"][rule][name].split())
        out += [x for x in re.split(r"(?<=[.])\s+", text) if named(x, library()[exercise_id])]
    return tuple(out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(interviews(), st.data())
def test_no_advice_on_any_handout_names_an_exercise_dropped_from_it(answers: dict[str, Any],
                                                                    data: st.DataObject,
                                                                    ) -> None:
    plan = build_plan(answers)
    programme = programme_of(plan, answers)
    if not programme.ids:
        return
    dropped = data.draw(st.lists(st.sampled_from(programme.ids), unique=True))
    optional = [r.id for r in plan.recommendations]
    picks = data.draw(st.lists(st.sampled_from(optional), unique=True, max_size=5))
    choice = choose(plan, programme.ids, picks, dropped)
    h = handout(answers, pick=list(choice.picks), drop=choice.dropped)
    exempt = _exempt_sentences()
    for step in content(h).steps:
        text = step.text
        for sentence in exempt:
            text = text.replace(sentence, "")
        for exercise_id in set(choice.dropped) - ACTIVITY:
            assert named(text, library()[exercise_id]) == [], (step.id, exercise_id, text)
