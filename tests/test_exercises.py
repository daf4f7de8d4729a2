"""exercises.toml and its loader: the library is Appendix A of the clinical reference, as data.

The table below is the appendix's clinical content (gentle, requires, excluded, the
conditions of `changed` in order, `also`, evidence key): the data file must say exactly
that. The words are checked by rule: school grade 8 or below, no word the Wording rules
forbid, no other exercise named (Wording 7), no "one leg" in a dose an exercise eligible
under pgp_early can show (Guardrail 28).
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
from readability import grade, number_words, sentences, syllables, words

from backpain_cli.clinical.exercises import (
    CONDITION_NAMES,
    HEADLINE,
    LEVELS,
    Exercise,
    eligible,
    library,
    parse_library,
    parse_library_text,
)
from backpain_cli.errors import ProblemsError

RAW: dict[str, Any] = tomllib.loads(
    resources.files("backpain_cli.clinical").joinpath("exercises.toml").read_text("utf-8"))

PP = "post_procedure"
FLOOR_CHANGE = "Do it on the bed if getting down to the floor is hard."
# the clinical reference Appendix A: the floor exercises that end with the falls_risk floor change.
FLOOR = ("ex.pelvic_tilt", "ex.knee_rolls", "ex.knees_to_chest", "ex.prone_prop",
         "ex.back_extension_prone", "ex.hamstring_stretch", "ex.bridge", "ex.dead_bug",
         "ex.curl_up", "ex.rest_position")

# id: (gentle, requires, excluded, changed conditions in order, also, evidence), in the
# appendix's order. The floor change is added to `changed` below, last.
APPENDIX: dict[str, tuple[bool, tuple[str, ...], tuple[str, ...], tuple[str, ...],
                          tuple[str, ...], str]] = {
    "ex.pelvic_tilt": (True, (), (), ("after_first_trimester",), (), "general"),
    "ex.knee_rolls": (True, (), ("after_first_trimester", "bone_caution", PP), (), (),
                      "general"),
    "ex.cat_camel": (True, (), ("bone_caution", "flexion_sensitive_disc", PP),
                     ("hypermobile", "falls_risk"), (), "general"),
    "ex.knees_to_chest": (True, (), ("bone_caution", "flexion_sensitive_disc", "pregnant",
                                     "hypermobile", PP), (), ("knees to the chest",),
                          "general"),
    "ex.childs_pose": (True, (), ("bone_caution", "flexion_sensitive_disc", "pregnant",
                                  "hypermobile", "falls_risk", PP), (), (), "general"),
    "ex.prone_prop": (True, ("flexion_sensitive_disc",),
                      ("pregnant", "stenosis_pattern", "extension_sensitive", PP), (), (),
                      "directional"),
    "ex.back_extension_prone": (False, (), ("pregnant", "stenosis_pattern",
                                            "extension_sensitive"), (), (), "bone"),
    "ex.wall_posture": (True, (), (), ("stenosis_pattern",), (), "bone"),
    "ex.shoulder_squeeze": (True, (), (), (), (), "bone"),
    "ex.hip_flexor_stretch": (True, (), ("pgp_early", "hypermobile", PP), ("falls_risk",), (),
                              "general"),
    "ex.hamstring_stretch": (True, (), ("nerve_root_pain", "hypermobile",
                                        "after_first_trimester", PP), (), (), "general"),
    "ex.glute_stretch": (True, (), ("hypermobile", "after_first_trimester", "pgp_early", PP),
                         ("bone_caution", "falls_risk"), (), "general"),
    "ex.bridge": (False, (), ("after_first_trimester",), ("pgp_early",), (), "general"),
    "ex.bird_dog": (False, (), ("falls_risk",), ("pgp_early",), (), "general"),
    "ex.dead_bug": (False, (), ("after_first_trimester",), (), (), "general"),
    "ex.side_plank_knees": (False, (), ("pregnant", "pgp_early", "bone_caution", "falls_risk"),
                            (), ("side plank",), "general"),
    "ex.curl_up": (False, (), ("bone_caution", "pregnant", "postnatal_12wk",
                               "flexion_sensitive_disc"), (), ("curl-up",), "general"),
    "ex.sit_to_stand": (True, (), (), ("falls_risk",), (), "falls"),
    "ex.lunge": (False, (), ("pgp_early", "falls_risk"), (), ("lunge",), "general"),
    "ex.step_up": (False, (), ("pgp_early", "falls_risk"), (), (), "falls"),
    "ex.heel_raises": (True, (), (), (), (), "falls"),
    "ex.single_leg_stand": (False, (), ("pgp_early", "falls_high_risk"), ("falls_risk",), (),
                            "falls"),
    "ex.heel_toe_walk": (False, (), (), ("falls_risk",), (), "falls"),
    "ex.walking": (True, (), (), ("stenosis_pattern", "falls_risk"), (), "aerobic"),
    "ex.stationary_bike": (False, (), (), (), (), "aerobic"),
    "ex.water_exercise": (True, (), ("postnatal_under_6wk", PP), (),
                          ("swimming", "water walking"), "aerobic"),
    "ex.pelvic_floor": (True, (), (), (), (), "pelvic_floor"),
    "ex.rest_position": (True, (), (), ("after_first_trimester",), (), "general"),
}
NAMES = {
    "ex.pelvic_tilt": "Pelvic tilt", "ex.knee_rolls": "Knee rolls",
    "ex.cat_camel": "Cat and camel", "ex.knees_to_chest": "Knees to chest",
    "ex.childs_pose": "Child's pose", "ex.prone_prop": "Propped on elbows",
    "ex.back_extension_prone": "Back-muscle lift", "ex.wall_posture": "Standing tall",
    "ex.shoulder_squeeze": "Shoulder-blade squeeze",
    "ex.hip_flexor_stretch": "Front-of-hip stretch",
    "ex.hamstring_stretch": "Back-of-thigh stretch", "ex.glute_stretch": "Buttock stretch",
    "ex.bridge": "Bridge", "ex.bird_dog": "Bird dog", "ex.dead_bug": "Dead bug",
    "ex.side_plank_knees": "Side plank from the knees", "ex.curl_up": "Small curl-up",
    "ex.sit_to_stand": "Sit to stand", "ex.lunge": "Split squat", "ex.step_up": "Step-up",
    "ex.heel_raises": "Heel raises", "ex.single_leg_stand": "Standing on one leg",
    "ex.heel_toe_walk": "Heel-to-toe walk", "ex.walking": "Walking",
    "ex.stationary_bike": "Exercise bike", "ex.water_exercise": "Swimming or water walking",
    "ex.pelvic_floor": "Pelvic floor exercises", "ex.rest_position": "Rest position",
}
EVIDENCE_KEYS = {"general", "bone", "falls", "pelvic_floor", "directional", "aerobic"}


def client_texts(e: Exercise) -> dict[str, str]:
    """Every text of an exercise a client reads, each graded as a whole."""
    texts = {"picture": e.picture, "steps": " ".join(e.steps), "dose": e.dose,
             "progress": e.progress, "easier": e.easier}
    texts.update({f"changed {c.when}": c.text for c in e.changed})
    return texts


ALL_TEXTS = [(e.id, field, text) for e in library() for field, text in client_texts(e).items()]


# --------------------------------------------------------------------------- the data


def test_library_has_the_28_exercises_of_the_appendix_in_order() -> None:
    assert library().ids == tuple(APPENDIX)
    assert len(library()) == 28
    assert library() is library()


@pytest.mark.parametrize("exercise_id", APPENDIX)
def test_exercise_matches_the_appendix(exercise_id: str) -> None:
    e = library()[exercise_id]
    gentle, requires, excluded, changed, also, evidence = APPENDIX[exercise_id]
    floor = ("falls_risk",) if exercise_id in FLOOR else ()
    assert (e.name, e.gentle, e.requires, e.excluded) == (
        NAMES[exercise_id], gentle, requires, excluded)
    assert tuple(c.when for c in e.changed) == changed + floor
    assert (e.also, e.evidence) == (also, evidence)


@pytest.mark.parametrize("exercise_id", APPENDIX)
def test_every_field_is_filled(exercise_id: str) -> None:
    e = library()[exercise_id]
    assert all(t.strip() for t in (e.name, e.picture, e.dose, e.progress, e.easier))
    assert e.steps and all(s.strip() for s in e.steps)
    # Full sentences: a capital first, a full stop last.
    for text in (*e.steps, e.dose, e.progress, e.easier, *(c.text for c in e.changed)):
        assert text[0].isupper() or text[0].isdigit(), text
        assert text.endswith("."), text


def test_the_floor_change_is_last_on_the_floor_exercises_only() -> None:
    for e in library():
        floor_texts = [c for c in e.changed if c.text == FLOOR_CHANGE]
        if e.id in FLOOR:
            assert e.changed[-1].when == "falls_risk"
            assert e.changed[-1].text == FLOOR_CHANGE
        else:
            assert floor_texts == []


def test_rest_position_has_one_text_at_every_level() -> None:
    rest = library()["ex.rest_position"]
    assert {rest.dose_at(level) for level in LEVELS} == {rest.dose}


def test_dose_at_gives_the_text_of_each_level() -> None:
    bridge = library()["ex.bridge"]
    assert [bridge.dose_at(level) for level in LEVELS] == [
        bridge.easier, bridge.dose, bridge.progress]


def test_every_evidence_key_has_its_citation() -> None:
    lib = library()
    assert set(lib.evidence) == EVIDENCE_KEYS
    assert lib.citation(lib["ex.walking"]) == lib.evidence["aerobic"]
    assert "NG210" in lib.evidence["pelvic_floor"]


def test_library_uses_only_named_conditions() -> None:
    assert library().conditions() <= CONDITION_NAMES


# --------------------------------------------------------------------------- eligibility


def holding(*names: str) -> Callable[[str], bool]:
    return frozenset(names).__contains__


@pytest.mark.parametrize(("exercise_id", "conditions", "expected"), [
    ("ex.bridge", (), True),
    ("ex.bridge", ("after_first_trimester",), False),
    ("ex.bridge", ("pgp_early",), True),                   # a change, not an exclusion
    ("ex.bridge", ("gentle_programme",), False),           # not gentle
    ("ex.pelvic_tilt", ("gentle_programme", "post_procedure"), True),
    ("ex.prone_prop", (), False),                          # requires flexion_sensitive_disc
    ("ex.prone_prop", ("flexion_sensitive_disc",), True),
    ("ex.prone_prop", ("flexion_sensitive_disc", "extension_sensitive"), False),
    ("ex.prone_prop", ("flexion_sensitive_disc", "gentle_programme"), True),
    ("ex.single_leg_stand", ("falls_risk",), True),
    ("ex.single_leg_stand", ("falls_risk", "falls_high_risk"), False),
    ("ex.knee_rolls", ("bone_caution",), False),
])
def test_eligible(exercise_id: str, conditions: tuple[str, ...], expected: bool) -> None:
    assert eligible(library()[exercise_id], holding(*conditions)) is expected


def test_changes_are_the_conditions_that_hold_in_library_order() -> None:
    walking = library()["ex.walking"]
    both = holding("falls_risk", "stenosis_pattern")
    assert walking.changes(both) == ("stenosis_pattern", "falls_risk")
    assert walking.change_texts(both) == tuple(c.text for c in walking.changed)
    assert walking.changes(holding()) == ()


# --------------------------------------------------------------------------- the words


@pytest.mark.parametrize(("exercise_id", "field", "text"), ALL_TEXTS)
def test_client_text_reads_at_grade_8_or_below(exercise_id: str, field: str, text: str) -> None:
    assert grade(text) <= 8.0, f"{exercise_id} {field}: grade {grade(text):.1f}"


# Wording 1, 2, 3, 5, 6, 8 and 10: words no exercise text needs (some may appear elsewhere
# under conditions; an exercise text shows under all of them).
FORBIDDEN = ("wear and tear", "slipped", "crumbling", "degenerat", "rarely", "common",
             "settle", "not a sign of harm", "nothing serious", "the spine is strong",
             "scan", "x-ray", "mri", "imaging", "warning sign", "midwife", "bed rest",
             "rest in bed", "stay in bed", "belt", "corset", "traction", "orthotic",
             "0 weeks", "1 weeks", "mattress", "topper")


@pytest.mark.parametrize(("exercise_id", "field", "text"), ALL_TEXTS)
def test_client_text_has_no_forbidden_words(exercise_id: str, field: str, text: str) -> None:
    lowered = text.lower()
    assert [w for w in FORBIDDEN if w in lowered] == []
    assert not re.search(r"\bTENS\b", text)


def names(text: str, exercise: Exercise) -> bool:
    """Wording 7: does `text` name `exercise` (its name or an `also` word, whole words, a
    plural s allowed, a hyphen and a space alike)?"""
    for term in (exercise.name, *exercise.also):
        pattern = r"[-\s]".join(re.escape(w) for w in re.split(r"[-\s]", term))
        if re.search(rf"\b{pattern}s?\b", text, re.IGNORECASE):
            return True
    return False


def test_names_matches_whole_words_only() -> None:
    lib = library()
    assert names("Do a few lunges.", lib["ex.lunge"])
    assert names("a side-plank", lib["ex.side_plank_knees"])
    assert not names("Walk back.", lib["ex.walking"])
    assert not names("Squeeze your shoulder blades.", lib["ex.shoulder_squeeze"])


@pytest.mark.parametrize("exercise_id", APPENDIX)
def test_no_exercise_text_names_another_exercise(exercise_id: str) -> None:
    # Walking may always be named (Wording 7): it is eligible for every client.
    others = [o for o in library() if o.id not in (exercise_id, "ex.walking")]
    texts = client_texts(library()[exercise_id]).values()
    assert [(o.id, t) for o in others for t in texts if names(t, o)] == []


ONE_LEG = re.compile(r"\b(one|each|single|a) leg\b", re.IGNORECASE)


def test_no_dose_eligible_under_pgp_early_mentions_one_leg() -> None:
    # Guardrail 28. pgp_early holds only in pregnancy or the first 12 weeks after a birth;
    # an exercise is checked when no condition of that period excludes it.
    excluding = {"pgp_early"}
    checked = [e for e in library() if not excluding & set(e.excluded)]
    assert {"ex.bridge", "ex.bird_dog", "ex.dead_bug", "ex.heel_raises"} <= {
        e.id for e in checked}
    assert [(e.id, t) for e in checked for t in (e.dose, e.progress, e.easier)
            if ONE_LEG.search(t)] == []


# --------------------------------------------------------------------------- validation


def problems_of(mutate: Callable[[dict[str, Any]], None]) -> str:
    raw = copy.deepcopy(RAW)
    mutate(raw)
    with pytest.raises(ProblemsError) as info:
        parse_library(raw)
    assert info.value.headline == HEADLINE
    return str(info.value)


def bridge(raw: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = next(e for e in raw["exercise"] if e["id"] == "ex.bridge")
    return entry


def one(problem: str) -> str:
    return f"{HEADLINE} (1):\n  - {problem}"


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda r: bridge(r).update(doze="x"), one("ex.bridge: unknown field 'doze'")),
    (lambda r: bridge(r).pop("picture"), one("ex.bridge: missing field 'picture'")),
    (lambda r: bridge(r).update(excluded=["pregnent"]),
     one("ex.bridge: unknown condition 'pregnent' in 'excluded'")),
    (lambda r: bridge(r).update(requires="pregnant"),
     one("ex.bridge: 'requires' must be a list of condition names")),
    (lambda r: bridge(r).update(changed=[{"when": "fall_risk", "text": "Hold on."}]),
     one("ex.bridge: unknown condition 'fall_risk' in 'changed'")),
    (lambda r: bridge(r).update(changed=[{"when": "falls_risk"}]),
     one("ex.bridge: 'changed' entry 1 must have exactly a 'when' and a 'text'")),
    (lambda r: bridge(r).update(changed=[{"when": "falls_risk", "text": "A."},
                                         {"when": "falls_risk", "text": "B."}]),
     one("ex.bridge: 'changed' names a condition twice")),
    (lambda r: bridge(r).update(steps=[]),
     one("ex.bridge: 'steps' must be a non-empty list of texts")),
    (lambda r: bridge(r).update(steps=["Lie down.", " "]),
     one("ex.bridge: 'steps' must be a non-empty list of texts")),
    (lambda r: bridge(r).update(name=""), one("ex.bridge: 'name' must be a non-empty text")),
    (lambda r: bridge(r).update(gentle="no"), one("ex.bridge: 'gentle' must be true or false")),
    (lambda r: bridge(r).update(also="lunge"), one("ex.bridge: 'also' must be a list of texts")),
    (lambda r: bridge(r).update(evidence="strong"),
     one("ex.bridge: unknown evidence key 'strong'")),
    (lambda r: bridge(r).update(requires=["pgp_early"], excluded=["pgp_early"]),
     one("ex.bridge: a condition is both required and excluded")),
    (lambda r: bridge(r).update(id="bridge"),
     one("bridge: 'id' must look like ex.name (lower case, underscores)")),
    (lambda r: r["exercise"][1].update(id="ex.pelvic_tilt"),
     one("ex.pelvic_tilt: duplicate id (also exercise 1)")),
    (lambda r: r["exercise"].append("ex.extra"), one("exercise 29: must be a table")),
    (lambda r: r.update(extra={}), one("unknown table 'extra'")),
    (lambda r: r.pop("exercise"), one("no [[exercise]] entries")),
    (lambda r: r["evidence"].update(falls=""), one("[evidence] falls: must be a non-empty text")),
])
def test_invalid_library_is_reported(mutate: Callable[[dict[str, Any]], None],
                                     message: str) -> None:
    assert problems_of(mutate) == message


def test_every_problem_is_reported_at_once() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        bridge(raw).update(doze="x", gentle="no")
        raw["exercise"][0].pop("dose")
    assert problems_of(mutate) == (
        f"{HEADLINE} (3):\n"
        "  - ex.pelvic_tilt: missing field 'dose'\n"
        "  - ex.bridge: unknown field 'doze'\n"
        "  - ex.bridge: 'gentle' must be true or false")


def test_bad_toml_is_a_problem_not_a_traceback() -> None:
    with pytest.raises(ProblemsError) as info:
        parse_library_text("[[exercise]\n")
    assert str(info.value).startswith(f"{HEADLINE} (1):\n  - not valid TOML: ")


def test_the_shipped_text_parses_to_the_library() -> None:
    text = resources.files("backpain_cli.clinical").joinpath("exercises.toml").read_text("utf-8")
    assert parse_library_text(text) == library()


# --------------------------------------------------------------------------- readability


@pytest.mark.parametrize(("word", "count"), [
    ("comfortable", 4), ("the", 1), ("exercise", 3), ("curl-up", 2), ("15", 2), ("45", 3),
    ("100", 3), ("hand's", 1), ("blorptastic", 3), ("flimbe", 1),
])
def test_syllables(word: str, count: int) -> None:
    assert syllables(word) == count


def test_number_words() -> None:
    assert number_words(7) == ["seven"]
    assert number_words(30) == ["thirty"]
    assert number_words(1234) == ["one", "thousand", "two", "hundred", "and", "thirty", "four"]
    with pytest.raises(ValueError, match="number too large to read: 10000"):
        number_words(10000)


def test_sentences_and_words() -> None:
    assert sentences("Lie down. Breathe out! Ready? Then rest") == 4
    assert sentences("Hold for 5 s; then rest.") == 1
    assert words("Don't shrug: hold 5 s.") == ["Don't", "shrug", "hold", "5", "s"]


def test_grade_by_the_formula() -> None:
    # 6 words, 1 sentence, 6 syllables: 0.39 * 6 + 11.8 * 1 - 15.59.
    assert grade("The cat sat on the mat.") == pytest.approx(0.39 * 6 + 11.8 - 15.59)
    # 4 words in 2 sentences, 8 syllables (stand 1, up 1, comfortable 4, slowly 2).
    text = "Stand up. Comfortable slowly."
    assert grade(text) == pytest.approx(0.39 * 2 + 11.8 * 8 / 4 - 15.59)
    with pytest.raises(ValueError, match="no words to grade"):
        grade(" ... ")
