"""An exercise the practitioner dropped (`--drop`) is named nowhere on the client's handout:
not on a card, not in the diary, not in the flare-up plan (issue 20, item 4).

The flare-up plan names "the first programme exercise that is not pelvic floor"; when the
practitioner drops it, the first kept one takes its place, or the rest position alone.
Each exercise that can be the flare-up plan's is tried first in a programme and dropped.
"""

from __future__ import annotations

import re

import pytest
from client_handouts import CASES_FOR_DROPS, with_programme

from backpain_cli.clinical.exercises import Exercise, library
from backpain_cli.clinical.programme import (
    FLARE_REST_ONLY,
    FLARE_WITH_EXERCISE,
    PELVIC_FLOOR,
    REST_POSITION,
)
from backpain_cli.output.client_handout import ClientHandout, content
from backpain_cli.output.client_handout_html import render_client_html
from backpain_cli.output.client_handout_md import render_client_markdown

# Every exercise that can be the flare-up plan's: any programme exercise but pelvic floor
# (which the flare-up plan skips) and the rest position (which is always in it).
FLARE_CANDIDATES = [e.id for e in library() if e.id not in (PELVIC_FLOOR, REST_POSITION)]
FALLBACK = ("ex.walking", "ex.pelvic_tilt", "ex.sit_to_stand", "ex.wall_posture")


def _named(text: str, e: Exercise) -> list[str]:
    return [m.group(0) for words in (e.name, *e.also)
            for m in re.finditer(rf"\b{re.escape(words)}s?\b", text, re.I)]


def _outside_the_advice(h: ClientHandout, text: str) -> str:
    """`text` without the advice the handout shows (an advice text may name an activity,
    such as walking, in its own words: that is not the programme's exercise)."""
    for step in content(h).steps:
        text = text.replace(step.text, "")
    return text


@pytest.mark.parametrize("exercise_id", FLARE_CANDIDATES)
def test_a_dropped_flare_exercise_is_named_nowhere(exercise_id: str) -> None:
    lib = library()
    others = [i for i in FALLBACK if i != exercise_id][:2]
    base = CASES_FOR_DROPS
    kept = with_programme(base, [exercise_id, *others], [])
    # Kept, it is the flare-up plan's exercise.
    c = content(kept)
    assert c.bad_day is not None
    assert c.bad_day.text[0] == FLARE_WITH_EXERCISE.format(first_exercise=lib[exercise_id].name)
    h = with_programme(base, [exercise_id, *others], [exercise_id])
    c = content(h)
    assert c.bad_day is not None
    # The first kept exercise takes its place, at its easier level.
    assert c.bad_day.text[0] == FLARE_WITH_EXERCISE.format(first_exercise=lib[others[0]].name)
    assert [name for name, _ in c.bad_day.easier] == [lib[others[0]].name]
    assert c.bad_day.easier[0][1].startswith(lib[others[0]].easier)
    assert c.bad_day.text[1:] == kept.programme.flare_text[1:]
    gone = lib[exercise_id]
    sections = [*(card.name for card in c.cards), *c.bad_day.text,
                *(f"{name} {dose}" for name, dose in c.bad_day.easier),
                *(c.diary.rows if c.diary else ())]
    assert [s for s in sections if _named(s, gone)] == []
    for rendered in (render_client_html(h), render_client_markdown(h)):
        assert _named(_outside_the_advice(h, rendered), gone) == []
        assert f'id="{exercise_id}"' not in rendered


def test_with_every_exercise_but_pelvic_floor_dropped_the_plan_is_rest_alone() -> None:
    h = with_programme(CASES_FOR_DROPS, ["ex.bridge", PELVIC_FLOOR, "ex.walking"],
                       ["ex.bridge", "ex.walking"])
    c = content(h)
    assert c.bad_day is not None
    assert c.bad_day.text[0] == FLARE_REST_ONLY
    assert c.bad_day.easier == ()
    assert c.bad_day.rest is not None and c.bad_day.rest.id == REST_POSITION
    assert [card.id for card in c.cards] == [PELVIC_FLOOR]


def test_dropping_an_exercise_after_the_first_leaves_the_flare_up_plan_alone() -> None:
    h = with_programme(CASES_FOR_DROPS, ["ex.bridge", "ex.walking", "ex.sit_to_stand"],
                       ["ex.walking"])
    c = content(h)
    assert c.bad_day is not None
    assert c.bad_day.text == h.programme.flare_text
    assert [name for name, _ in c.bad_day.easier] == [library()["ex.bridge"].name]
