"""The client's handout (issue 20, items 1 and 3): what it says, in which order, in plain
words, for the plans the real rules make (tests/client_handouts.py).

The page counts, the printed font sizes and the line lengths on paper are measured in
Chromium and WeasyPrint by tests/test_client_handout_print.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from html import escape
from html.parser import HTMLParser

import pytest
from client_handouts import (
    EXAMPLES,
    LONG_PLAN,
    VISIT_DAY,
    answers_of,
    cases,
    earlier_visits,
    handout,
)
from readability import grade, sentences

from backpain_cli.clinical.exercises import library
from backpain_cli.clinical.handout_choice import is_required
from backpain_cli.output import client_handout_html as html_doc
from backpain_cli.output import client_page
from backpain_cli.output import handout_words as words
from backpain_cli.output.client_handout import (
    TRIAGE_REFERRAL,
    ClientHandout,
    Visit,
    content,
    month_span,
)
from backpain_cli.output.client_handout_html import render_client_html
from backpain_cli.output.client_handout_md import render_client_markdown
from backpain_cli.output.figures import picture_title

CASES = cases()
SECTIONS = [words.FOUND, words.NEXT_STEPS, words.EXERCISES, words.BAD_DAY, words.DIARY,
            words.PROGRESS, words.HELP_SOONER, words.NEXT_CHECK, words.NOTE,
            words.WHO_TO_ASK]


class _Text(HTMLParser):
    """The text a reader sees (not the CSS), and every heading in order."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.headings: list[str] = []
        self._skip = 0
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "title"):
            self._skip += 1
        if tag in ("h1", "h2"):
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self._skip -= 1
        if tag in ("h1", "h2") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)
            if self._heading is not None:
                self._heading.append(data)


def read(html: str) -> tuple[str, list[str]]:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split()), parser.headings


def html_escape(text: str) -> str:
    return escape(text, quote=True)


def rendered(name: str) -> tuple[str, list[str]]:
    return read(render_client_html(CASES[name]))


# --------------------------------------------------------------------------- order


@pytest.mark.parametrize(("name", "expected"), [
    ("desk-strain", [s for s in SECTIONS if s not in (words.PROGRESS, words.NOTE)]),
    ("visits-3", SECTIONS),
    ("long-plan", [s for s in SECTIONS if s != words.PROGRESS]),
    # An emergency handout: the referral, where to go and the signs, nothing else.
    ("emergency", [words.FOUND]),
])
def test_sections_in_the_clients_order(name: str, expected: list[str]) -> None:
    _, headings = rendered(name)
    assert headings == [words.TITLE, *expected]


def test_an_emergency_handout_says_where_to_go_and_the_signs_alone() -> None:
    h = CASES["emergency"]
    text, _ = rendered("emergency")
    [referral] = h.plan.recommendations
    assert " ".join(referral.detail.split()) in text
    assert words.TRIAGE["emergency"][0] in text
    assert f"{words.WHERE_TO_GO} {words.PLACES['emergency_department']}" in text
    assert "New pain, numbness or pins and needles in both legs" in text
    for absent in (words.PAIN_TODAY.format(n=8), words.DIARY_BRING, "How much:",
                   "Physio Nord"):
        assert absent not in text
    assert "<svg" not in render_client_html(h)


# --------------------------------------------------------------------------- advice


def test_required_advice_and_the_picks_are_shown_and_nothing_else() -> None:
    h = CASES["desk-strain"]
    text, _ = rendered("desk-strain")
    shown = {r.id for r in h.plan.recommendations if r.title in text}
    assert shown == set(h.chosen) | {r for r in h.plan.ids if is_required(r)}
    # The safety net is its own section, sentence by sentence, not one of the steps.
    html = render_client_html(h)
    assert 'id="medical.safety_net"' not in html
    safety = next(r for r in h.plan.recommendations if r.id == "medical.safety_net")
    parts = content(h).help_sooner
    assert " ".join(parts) == " ".join(safety.detail.split())
    assert all(f"<li>{html_escape(s)}</li>" in html for s in parts)


def test_a_practitioners_picks_replace_the_tools() -> None:
    answers = answers_of(EXAMPLES / "desk-strain.answers.toml")
    tools = handout(answers)
    [last] = [r for r in tools.plan.recommendations if not is_required(r.id)][-1:]
    assert last.id not in tools.chosen
    h = handout(answers, pick=[last.id])
    text, _ = read(render_client_html(h))
    assert last.title in text
    assert [r.title for r in h.plan.recommendations
            if r.id in tools.chosen and r.title in text] == []


def test_under_urgent_triage_the_referral_is_in_the_box_and_the_hold_is_a_step() -> None:
    from strategies import client_answers

    answers = client_answers({"rf_trauma": True, "age": 75})
    h = handout(answers)
    assert h.plan.triage in ("urgent", "same_day")
    html = render_client_html(h)
    text, _ = read(html)
    referral = next(r for r in h.plan.recommendations
                    if r.id == TRIAGE_REFERRAL[h.plan.triage])
    box = html[html.index(f'class="box triage-{h.plan.triage}"'):html.index("</section>")]
    assert html_escape(referral.detail) in box
    assert f'id="{referral.id}"' not in html
    assert 'id="massage.hold_until_cleared"' in html
    assert words.EXERCISES not in text and words.DIARY not in text
    # No reassurance under urgent triage (the clinical reference Wording 2), in any of our words.
    for word in ("rarely", "common", "settle", "nothing serious"):
        assert word not in " ".join((*words.TRIAGE["urgent"], *words.TRIAGE["same_day"]))


def test_without_exercises_there_is_no_diary() -> None:
    h = CASES["desk-strain"]
    gone = dataclasses.replace(h, dropped=h.programme.ids)
    c = content(gone)
    assert c.cards == () and c.diary is None
    assert words.CHECK_BRING not in c.next_check


# --------------------------------------------------------------------------- exercises


def test_every_exercise_has_its_picture_steps_dose_and_changes() -> None:
    h = CASES["long-plan"]
    html = render_client_html(h)
    lib = library()
    assert len(h.programme.items) == 5
    for item in h.programme.items:
        card = html[html.index(f'<article class="card" id="{item.id}">'):]
        card = card[:card.index("</article>")]
        assert card.count("<svg") == 1
        assert f"<title>{picture_title(item.id)}</title>" in card
        assert all(html_escape(step) in card for step in lib[item.id].steps)
        assert f"<strong>{words.HOW_MUCH}</strong> {item.dose}" in card
        changed = [c.text for c in lib[item.id].changed if c.when in item.changes]
        assert [t for t in changed if html_escape(t) not in card] == []
    # falls_risk holds for this client: the floor exercises say so.
    assert "Do it on the bed if getting down to the floor is hard." in html


def test_pictures_have_a_fixed_height_in_print() -> None:
    assert re.search(r"\.pic svg \{\{? ?display: block; width: 100%; height: 8rem;",
                     html_doc.CSS)
    print_css = html_doc.CSS[html_doc.CSS.index("@media print"):]
    assert f".pic svg {{ height: {html_doc.PICTURE_MM}mm; }}" in print_css
    assert html_doc.PICTURE_MM >= 20


def test_dropped_exercises_leave_the_cards_and_the_diary() -> None:
    answers = answers_of(LONG_PLAN)
    full = handout(answers, extra=("falls_risk",))
    gone = full.programme.ids[1]
    h = handout(answers, extra=("falls_risk",), drop=[gone])
    c = content(h)
    assert [card.id for card in c.cards] == [i for i in full.programme.ids if i != gone]
    assert c.diary is not None
    assert list(c.diary.rows) == [*(card.name for card in c.cards),
                                        words.DIARY_BAD_DAY]
    assert f'id="{gone}"' not in render_client_html(h)


def test_the_diary_has_fourteen_days_from_the_visit() -> None:
    c = content(CASES["desk-strain"])
    assert c.diary is not None
    assert c.diary.days == tuple(VISIT_DAY + dt.timedelta(days=n) for n in range(14))
    html = render_client_html(CASES["desk-strain"])
    table = html[html.index('<table class="diary">'):html.index("</table>")]
    assert table.count('<th scope="col">') == 14
    assert table.count("<tr>") == len(c.diary.rows) + 1
    assert table.count("<td></td>") == 14 * len(c.diary.rows)
    assert "Tue<br>1</th>" in table and "Mon<br>14</th>" in table
    assert words.DIARY_BRING in html


@pytest.mark.parametrize(("first", "expected"), [
    (dt.date(2026, 9, 1), "September 2026"),
    (dt.date(2026, 9, 20), "September to October 2026"),
    (dt.date(2026, 12, 25), "December 2026 to January 2027"),
])
def test_the_diarys_months(first: dt.date, expected: str) -> None:
    assert month_span([first, first + dt.timedelta(days=13)]) == expected


def test_the_flare_up_plan_has_the_rest_position_and_the_easier_exercise() -> None:
    h = CASES["desk-strain"]
    c = content(h)
    assert c.bad_day is not None
    assert c.bad_day.text == h.programme.flare_text
    assert c.bad_day.rest is not None and c.bad_day.rest.id == "ex.rest_position"
    [first] = [f for f in h.programme.flare_plan if f.id != "ex.rest_position"]
    assert c.bad_day.easier == ((first.name, first.dose),)
    html = render_client_html(h)
    assert f"<title>{picture_title('ex.rest_position')}</title>" in html


# --------------------------------------------------------------------------- progress


def test_progress_only_with_earlier_visits_and_at_most_six() -> None:
    assert content(CASES["desk-strain"]).progress is None
    one_earlier = dataclasses.replace(CASES["desk-strain"], visits=earlier_visits(1))
    assert content(one_earlier).progress is not None
    c = content(CASES["long-visits-6"])
    assert c.progress is not None
    assert len(CASES["long-visits-6"].visits) == 7
    assert c.progress.visits == tuple(CASES["long-visits-6"].visits)[-6:]


def test_the_charts_text_alternative_holds_every_value() -> None:
    html = render_client_html(CASES["visits-3"])
    [title] = re.findall(r"<figure><svg[^>]*>\s*<title>([^<]*)</title>", html)
    visits = CASES["visits-3"].visits
    assert title == words.CHART_TITLE.format(values=", ".join(
        f"{v.pain} on {v.day.day} {v.day:%b}" for v in visits))
    assert title == ("Your pain at each visit, 0 to 10: 8 on 30 Jun, 7 on 21 Jul, 6 on 11 Aug, "
                     "5 on 1 Sep.")


def test_each_visit_shows_the_exercises_done_and_the_step() -> None:
    text, _ = rendered("visits-3")
    for visit in CASES["visits-3"].visits[1:]:
        assert visit.adherence is not None and visit.step is not None
        assert (f"{visit.day.day} {visit.day:%b} {words.ADHERENCE[visit.adherence]} "
                f"{words.STEP[visit.step]}") in text


def test_a_visit_without_pain_leaves_a_gap_not_a_zero() -> None:
    visits = (Visit(dt.date(2026, 8, 1), 7), Visit(dt.date(2026, 8, 20), None),
              Visit(VISIT_DAY, 5))
    h = dataclasses.replace(CASES["desk-strain"], visits=visits)
    html = render_client_html(h)
    assert words.CHART_TITLE.format(values="7 on 1 Aug, 5 on 1 Sep") in html


# --------------------------------------------------------------------------- words


def test_plain_words_no_score_names_or_question_ids() -> None:
    for name in CASES:
        text, _ = rendered(name)
        for jargon in ("psychosocial", "STarT", "NPRS", "nprs", "Oswestry", "sbst_",
                       "pain_now", "pain_worst_week", "rf_", "startback", "_referral",
                       "medical.", "ex."):
            assert jargon not in text, (name, jargon)


def test_pain_is_said_out_of_ten() -> None:
    h = CASES["desk-strain"]
    text, _ = rendered("desk-strain")
    assert f"Your pain today: {h.plan.scores['nprs_now']} out of 10." in text
    assert f"Your worst pain in the last week: {h.plan.scores['nprs_worst_week']} out of 10." \
        in text


def test_the_name_is_printed_only_when_given() -> None:
    named = render_client_html(CASES["long-plan"])
    assert f"{words.FOR}: <strong>Margaret Example</strong>" in named
    unnamed = render_client_html(dataclasses.replace(CASES["long-plan"], name=None))
    assert "Margaret" not in unnamed and f"{words.FOR}:" not in unnamed


def test_the_note_the_next_check_and_whom_to_ask() -> None:
    text, _ = rendered("long-plan")
    due = VISIT_DAY + dt.timedelta(weeks=CASES["long-plan"].plan.reassess_weeks or 0)
    assert words.CHECK_ON.format(day=f"{due:%A} {due.day} {due:%B}") in text
    assert "Well done on the walking." in text
    assert "Physio Nord · 12 Harbour Road, Kiel · 0431 123456" in text
    assert words.SEEN_BY.format(who="A. Jensen") in text
    no_practice = dataclasses.replace(CASES["long-plan"], practice_name=None,
                                      practice_contact=None, practitioner=None)
    assert words.ASK_US in read(render_client_html(no_practice))[0]


def test_free_text_is_escaped_and_control_characters_shown() -> None:
    h = dataclasses.replace(CASES["desk-strain"], client_note="<b>hi</b>\x1b[31m",
                            name="A & B")
    html = render_client_html(h)
    assert "&lt;b&gt;hi&lt;/b&gt;\\x1b[31m" in html
    assert "A &amp; B" in html
    assert "\x1b" not in html


def test_the_handout_is_self_contained() -> None:
    for name in CASES:
        html = render_client_html(CASES[name])
        assert set(re.findall(r"https?://[^\"' ]*", html)) <= {"http://www.w3.org/2000/svg"}
        assert "<script" not in html and "url(" not in html
        assert '<html lang="en">' in html


def _contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        def channel(c: int) -> float:
            v = c / 255
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
        r, g, b_ = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b_)
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_text_and_chart_colour_meets_wcag_aa() -> None:
    css = html_doc.CSS
    backgrounds = {"#ffffff", *re.findall(r"background:\s*(#[0-9a-f]{6})", css)}
    inks = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-f]{6})", css))
    inks |= {client_page.INK, client_page.MUTED, client_page.ACCENT, html_doc.CHART_INK}
    assert len(backgrounds) >= 5 and len(inks) >= 6
    weakest = min((_contrast(ink, bg), ink, bg) for ink in inks for bg in backgrounds)
    assert weakest[0] >= 4.5, weakest


# --------------------------------------------------------------------------- readability


def handout_texts() -> list[str]:
    """Every text of handout_words, its placeholders filled as the handout fills them."""
    filled = {"n": "6", "day": "Tuesday 29 September", "name": "Bridge", "who": "A. Jensen",
              "values": "8 on 1 Sep, 7 on 22 Sep"}
    # The chart names a visit by its short date.
    short = {"CHART_VALUE": {"day": "1 Sep"}}
    out: list[str] = []
    for key, value in vars(words).items():
        if key.startswith("_"):
            continue
        found: list[str] = []
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, Mapping):
            for item in value.values():
                found.extend(item if isinstance(item, tuple) else (item,))
        out += [t.format(**{**filled, **short.get(key, {})}) for t in found if t.strip()]
    return out


def test_every_handout_text_reads_at_grade_8_or_below() -> None:
    # A label of one to three words ("Easier:", "Exercises done") is no text to grade: one
    # long word gives a grade of 20.
    texts = [t for t in handout_texts() if len(t.split()) > 3 and t not in words.EXACT]
    assert len(texts) > 25
    hard = {t: round(grade(t), 1) for t in texts if grade(t) > 8}
    assert hard == {}


def test_the_sentences_the_handout_splits_are_whole() -> None:
    # The safety net is shown sentence by sentence: each one a whole sentence.
    h = CASES["long-plan"]
    c = content(h)
    assert c.help_sooner
    assert all(sentences(s) == 1 for s in c.help_sooner)


def test_content_is_frozen_and_explicit() -> None:
    assert dataclasses.is_dataclass(ClientHandout)
    with pytest.raises(dataclasses.FrozenInstanceError):
        CASES["desk-strain"].name = "x"  # type: ignore[misc]


# --------------------------------------------------------------------------- Markdown


@pytest.mark.parametrize("name", sorted(CASES))
def test_markdown_has_the_sections_of_the_html_in_order(name: str) -> None:
    md = render_client_markdown(CASES[name])
    _, headings = rendered(name)
    assert re.findall(r"^#{1,2} (.*)$", md, re.M) == headings


def test_markdown_exercises_have_name_steps_and_dose_without_pictures() -> None:
    h = CASES["long-plan"]
    md = render_client_markdown(h)
    lib = library()
    for item in h.programme.items:
        block = md[md.index(f"### {item.name}\n"):]
        steps = [f"{n}. {s}" for n, s in enumerate(lib[item.id].steps, 1)]
        assert block.index(steps[0]) < block.index(steps[-1])
        assert f"**{words.HOW_MUCH}** {item.dose}" in block
    assert "<svg" not in md and "<" not in md.replace("\\<", "")


def test_markdown_diary_has_fourteen_dated_columns_and_a_box_per_cell() -> None:
    h = CASES["desk-strain"]
    md = render_client_markdown(h)
    table = [line for line in md.splitlines() if line.startswith("|")]
    header, rule, *rows = table
    cells = [c.strip() for c in header.strip("|").split("|")]
    assert cells == ["September 2026", *(f"{d:%a} {d.day}" for d in
                                         (VISIT_DAY + dt.timedelta(days=n) for n in range(14)))]
    c = content(h)
    assert c.diary is not None
    assert [r.strip("|").split("|")[0].strip() for r in rows] == list(c.diary.rows)
    assert all(r.count("[ ]") == 14 for r in rows)
    assert set(rule) <= {"|", "-"}
    assert words.DIARY_BRING in md


def test_markdown_makes_free_text_inert() -> None:
    h = dataclasses.replace(CASES["desk-strain"], client_note="# Big\n*shout* <b>x</b> | y",
                            name="[me](http://x)")
    md = render_client_markdown(h)
    assert "\\# Big  \n\\*shout\\* \\<b\\>x\\</b\\> \\| y" in md
    assert "**\\[me\\](http://x)**" in md


def test_markdown_progress_is_a_table_of_the_visits() -> None:
    md = render_client_markdown(CASES["visits-3"])
    for v in CASES["visits-3"].visits[1:]:
        assert v.adherence is not None and v.step is not None
        assert re.search(rf"^\| {v.day.day} {v.day:%b} +\| {v.pain} +\| "
                         rf"{words.ADHERENCE[v.adherence]} +\| {words.STEP[v.step]} +\|$",
                         md, re.M)
