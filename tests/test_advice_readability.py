"""Every advice text a client reads is at school grade 8 or below (issue 20, item 3).

Each recommendation's detail is graded as a whole, as the plan shows it, with the sentences
the clinical reference gives word for word taken out first (tests/exact_wording.py): those
are not ours to reword. The details come from the plans of every answer set the recommender
tests use, and a few more (tests/advice_details.py); a coverage test checks that every text
of advice.toml shows up in one of them, so no text escapes the grade. Titles are headings,
not texts, and are not graded (a label of a few words gets any grade from one long word).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from importlib import resources
from typing import Any

import client_handouts
import pytest
from advice_details import details
from exact_wording import EXACT_SENTENCES, strip_exact
from readability import grade, words

from backpain_cli.output.client_handout import Content, content
from backpain_cli.output.client_handout_html import render_client_html
from backpain_cli.output.client_handout_md import render_client_markdown


def _cases() -> list[Any]:
    return [pytest.param(rec_id, detail, id=f"{rec_id}-{n}")
            for rec_id, texts in details().items() for n, detail in enumerate(texts)]


@pytest.mark.parametrize(("rec_id", "detail"), _cases())
def test_every_advice_detail_reads_at_grade_8_or_below(rec_id: str, detail: str) -> None:
    ours = strip_exact(detail)
    if words(ours):
        assert grade(ours) <= 8.0, f"{rec_id}: grade {grade(ours):.1f}: {ours}"


def _texts() -> Iterator[tuple[str, str]]:
    advice = tomllib.loads(resources.files("backpain_cli.clinical")
                           .joinpath("advice.toml").read_text("utf-8"))
    for key, text in advice["shared"].items():
        yield f"shared.{key}", text.strip()
    for rule, fields in advice["rules"].items():
        for key, text in fields.items():
            if key not in ("title", "evidence"):
                yield f"{rule}.{key}", text.strip()


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(r".+?".join(re.escape(p) for p in re.split(r"\{[^}]*\}", text)))


# Texts no complete interview of today reaches: the weeks of a pregnancy or since a birth
# left unanswered (a session of an earlier version). Each is graded on its own.
ALONE = ("medical.pregnancy_care.urgent_pregnant_no_weeks",
         "medical.pregnancy_care.urgent_postpartum_no_weeks")


def test_every_advice_text_is_in_a_graded_detail() -> None:
    shown = [d for texts in details().values() for d in texts]
    # A text that is only exact sentences is exempt, wherever it is shown.
    ours = [(key, text) for key, text in _texts()
            if words(strip_exact(re.sub(r"\{[^}]*\}", "", text)))]
    missing = [key for key, text in ours if not any(_pattern(text).search(d) for d in shown)]
    assert missing == list(ALONE)


@pytest.mark.parametrize("key", ALONE)
def test_a_text_no_interview_reaches_reads_at_grade_8_or_below(key: str) -> None:
    text = dict(_texts())[key]
    assert grade(text) <= 8.0, f"{key}: grade {grade(text):.1f}"


def test_the_exact_sentences_are_the_shipped_ones() -> None:
    # Each exempt sentence is one the tool can say: a typo here would exempt nothing.
    shown = " ".join(d for texts in details().values() for d in texts)
    unknown = [s for s in EXACT_SENTENCES if not _pattern(s).search(shown)
               and not _in_other_texts(s)]
    assert unknown == []


def _in_other_texts(sentence: str) -> bool:
    """The exact sentences outside the recommendations: the programme heading, the flare-up
    plan's sentences (tests/test_client_handout.py grades the handout around them)."""
    source = resources.files("backpain_cli.clinical")
    blob = " ".join(source.joinpath(name).read_text("utf-8")
                    for name in ("exercises.toml", "advice.toml", "programme.py"))
    blob = re.sub(r"\s*\\\n\s*|\"\s*\n\s*\"", " ", blob)
    return _pattern(sentence).search(re.sub(r"\s+", " ", blob)) is not None


@pytest.mark.parametrize(("text", "left"), [
    ("Call an ambulance now. Bring this plan.", "Bring this plan."),
    ("Because of a fever, this needs emergency care now. Go.", "Go."),
    ("Some discomfort when moving is normal and is not a sign of harm.", ""),
])
def test_strip_exact_removes_only_the_exact_sentences(text: str, left: str) -> None:
    assert strip_exact(text) == left


# --------------------------------------------------------------------------- the handout


def handout_sections(c: Content) -> Iterator[tuple[str, str]]:
    """Every text of a client's handout, a section or item at a time, as it is printed."""
    yield "found", " ".join(c.found.text)
    for step in c.steps:
        yield f"step {step.id}", step.text
    yield "programme heading", " ".join(c.programme_heading)
    cards = [*c.cards, *((c.bad_day.rest,) if c.bad_day and c.bad_day.rest else ())]
    for card in cards:
        yield f"{card.id} steps", " ".join(card.steps)
        for label, text in (("dose", card.dose), ("easier", card.easier),
                            ("harder", card.harder), ("for you", " ".join(card.for_you))):
            yield f"{card.id} {label}", text or ""
    if c.bad_day:
        yield "bad day", " ".join(c.bad_day.text)
        for name, dose in c.bad_day.easier:
            yield f"bad day {name}", dose
    yield "help sooner", " ".join(c.help_sooner)
    yield "next check", " ".join(c.next_check)
    yield "notice", c.notice


def _handout_cases() -> list[Any]:
    return [pytest.param(name, section, text, id=f"{name}-{section}")
            for name, h in client_handouts.cases().items()
            for section, text in handout_sections(content(h))]


@pytest.mark.parametrize(("name", "section", "text"), _handout_cases())
def test_every_text_of_the_handout_reads_at_grade_8_or_below(name: str, section: str,
                                                              text: str) -> None:
    """The advice, exercises, flare-up plan, safety net and next check as each handout
    prints them, the exact sentences taken out (tests/test_client_handout.py grades the
    handout's own words, and their labels)."""
    ours = strip_exact(text)
    if len(words(ours)) > 3:
        assert grade(ours) <= 8.0, f"{name} {section}: grade {grade(ours):.1f}: {ours}"


def test_the_handouts_graded_hold_every_section() -> None:
    sections = {s for h in client_handouts.cases().values()
                for s, text in handout_sections(content(h)) if text}
    # (The programme heading holds only exact sentences, and none of these plans has one.)
    assert {"found", "bad day", "help sooner", "next check", "notice"} <= sections
    assert any(s.startswith("step ") for s in sections)
    assert any(s.startswith("bad day ") for s in sections)


# --------------------------------------------------------------------------- reasons


@pytest.mark.parametrize("name", sorted(client_handouts.cases()))
def test_the_clients_handout_gives_no_reason_from_the_answers(name: str) -> None:
    """The practitioner's plan says why each piece of advice was given ("Based on: …",
    "Because: …", from the answers); the client's handout gives the advice in words and no
    such line, so it can never name an answer the client did not give (issue 20, item 3)."""
    h = client_handouts.cases()[name]
    for rendered in (render_client_html(h), render_client_markdown(h)):
        assert "Based on" not in rendered and "Because:" not in rendered
        # Ids that are plain words ("age", "pregnancy") may be in any text.
        ids = {i for r in h.plan.recommendations for i in r.because if "_" in i}
        assert ids
        assert [i for i in ids if re.search(rf"\b{re.escape(i)}\b", rendered)] == []
