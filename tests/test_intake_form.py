"""`backpain intake form` (issue 21, item 2): one self-contained HTML page made from the
question model. The browser tests are in tests/test_intake_browser.py; these read the page
as text, and hold the rules it embeds to the product's with a Python reading of them."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from depth import examples
from helpers import command
from hypothesis import example, given, settings
from hypothesis import strategies as st
from readability import grade

from backpain_cli.clinical.intake import emergency_places, emergency_signs, form_spec
from backpain_cli.clinical.questionnaire import (
    UNKNOWN,
    Question,
    check_value,
    evaluate,
    load_registry,
)
from backpain_cli.output import intake_words
from backpain_cli.output.intake_form import only_if

intake = command("intake")


@pytest.fixture(scope="module")
def page() -> str:
    result = intake("form", "--client", "JD-042")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def embedded(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="form-data">(.*?)</script>', page,
                      re.S)
    assert found
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def sha(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_the_page_allows_no_request_and_only_its_own_script_and_style(page: str) -> None:
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert policy
    script = re.findall(r"<script>(.*?)</script>", page, re.S)
    style = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(script) == len(style) == 1
    assert policy.group(1) == (
        f"default-src 'none'; script-src 'sha256-{sha(script[0])}'; "
        f"style-src 'sha256-{sha(style[0])}'; base-uri 'none'; form-action 'none'")
    # Nothing to fetch: no link, image, frame, font or address of any kind.
    assert re.findall(r"<(?:link|img|iframe|object|embed)\b|\b(?:src|href)=|https?:|url\(",
                      page) == []
    assert "localStorage" not in page and "sessionStorage" not in page
    assert "document.cookie" not in page and "alert(" not in page


def test_the_rules_are_the_question_model_s(page: str) -> None:
    modules = load_registry(None).form_modules
    data = embedded(page)
    assert data["modules"] == form_spec(modules)["modules"]
    # Warning signs right after the intake, before sleep, activity and diagnoses.
    assert [m["id"] for m in data["modules"]] == ["intake", "red_flags", "sleep", "activity",
                                                  "diagnoses"]
    assert data["signs"] == ["rf_saddle_numbness", "rf_bladder_bowel", "rf_sexual_dysfunction",
                             "rf_both_legs", "rf_leg_weakness", "rf_chest_symptoms",
                             "rf_pregnancy_warning"]
    assert data["places"] == emergency_places(modules)
    assert data["client"] == "JD-042"


def test_no_licensed_instrument_is_on_the_form(page: str) -> None:
    registry = load_registry(None)
    for mid in ("startback", "odi", "rmdq"):
        for q in registry.module(mid).questions:
            assert f'data-q="{q.id}"' not in page
            assert q.text not in page


@pytest.mark.parametrize(("state", "sign", "places"), [
    ("other", "rf_chest_symptoms", ["ambulance"]),
    ("other", "rf_saddle_numbness", ["emergency_department"]),
    ("pregnant:12", "rf_pregnancy_warning", ["early_pregnancy_unit"]),
    ("pregnant:13", "rf_pregnancy_warning", ["maternity_unit"]),
    ("pregnant:", "rf_pregnancy_warning", ["emergency_department"]),
    ("postpartum", "rf_both_legs", ["emergency_department"]),
])
def test_the_emergency_places_are_the_referral_s(state: str, sign: str,
                                                 places: list[str]) -> None:
    assert emergency_places(load_registry(None).form_modules)[sign][state] == places


class Controls(HTMLParser):
    """Every input, and the ids of the labels and legends that name it."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.in_label = 0
        self.unlabelled: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.label_for.add(str(a["for"]))
        elif tag == "input":
            self.inputs.append({**a, "wrapped": "yes" if self.in_label else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1


def test_every_control_is_labelled(page: str) -> None:
    parser = Controls()
    parser.feed(page)
    assert len(parser.inputs) > 150
    assert [i for i in parser.inputs
            if not i["wrapped"] and i.get("id") not in parser.label_for] == []
    # Every question's error message is tied to its inputs.
    for i in parser.inputs:
        assert f"e-{i['name']}" in str(i.get("aria-describedby"))


def test_the_paper_form_says_each_condition_in_words() -> None:
    registry = load_registry(None)
    questions = registry.questions()
    assert only_if(questions["knee_pillow"], questions) == (
        "Only answer this if you answered \u201cOn the side\u201d or \u201cOn the back\u201d "
        "or \u201cIt changes through the night\u201d to \u201cHow do you usually sleep?\u201d.")
    assert only_if(questions["pregnancy"], questions) == (
        "Only answer this if you did not answer \u201cMale\u201d to \u201cWhat is your "
        "sex?\u201d and your answer to \u201cHow old are you?\u201d is 12 or more and your "
        "answer to \u201cHow old are you?\u201d is 55 or less.")
    assert only_if(questions["exercise_types"], questions) == (
        "Only answer this if your answer to \u201cOn how many days a week do you exercise "
        "for 20 minutes or more?\u201d is more than 0.")
    assert only_if(questions["massage_helped"], questions) == (
        "Only answer this if you ticked \u201cMassage\u201d for \u201cWhat care are you "
        "getting for your back right now?\u201d.")
    assert only_if(questions["risk_team_aware"], questions) is not None
    assert only_if(questions["age"], questions) is None


def test_the_form_s_own_words_read_at_grade_8_or_below() -> None:
    texts = [v for k, v in vars(intake_words).items()
             if not k.startswith("_") and isinstance(v, str)]
    texts += list(intake_words.MESSAGES.values()) + list(intake_words.PARTS_HEADINGS.values())
    graded = [t for t in texts if len(t.split()) > 3]
    assert len(graded) > 12
    assert {t: round(grade(t), 1) for t in graded if grade(t) > 8} == {}


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--client", "../x"), 1, "backpain: error: invalid client reference '../x': use 1 to 64 "
                              "ASCII letters, digits, '-', '_' or '.', not starting with '.' "
                              "or '-'\n"),
])
def test_a_bad_client_reference_is_one_line(args: tuple[str, ...], code: int,
                                            message: str) -> None:
    result = intake("form", *args)
    assert (result.exit_code, result.stderr, result.stdout) == (code, message, "")


def test_the_form_says_which_practice_it_is_from(backpain_config: Path) -> None:
    backpain_config.parent.mkdir(parents=True, exist_ok=True)
    backpain_config.write_text('practice_name = "Physio Nord & Co"\n'
                               'practice_contact = "12 Harbour Road"\n', encoding="utf-8")
    result = intake("form")
    assert result.exit_code == 0, result.stderr
    assert '<p class="practice">Physio Nord &amp; Co · 12 Harbour Road</p>' in result.stdout


def test_without_settings_the_form_names_no_practice(page: str) -> None:
    assert 'class="practice"' not in page.split("<body>")[1]


def test_o_writes_a_private_file_and_never_over_another(tmp_path: Path) -> None:
    out = tmp_path / "form.html"
    assert intake("form", "-o", out).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    again = intake("form", "-o", out)
    assert again.exit_code == 1
    assert intake("form", "-o", out, "--force").exit_code == 0


# --------------------------------------------------------------------------- the rules
# A Python reading of the embedded data, written from the page's script: it must agree
# with the product's evaluate and check_value for every question and any answers.


def spec_evaluate(when: dict[str, Any] | None, answers: dict[str, Any],
                  hidden: set[str]) -> bool | None:
    if when is None:
        return True
    results: list[bool | None] = []
    for c in when["conditions"]:
        if c["question"] in answers:
            r = spec_compare(answers[c["question"]], c["operator"], c["value"])
        elif c["question"] in hidden or c["missing_is_absent"]:
            r = False
        else:
            results.append(None)
            continue
        results.append(not r if c["negate"] else r)
    if when["mode"] == "all":
        return False if False in results else None if None in results else True
    return True if True in results else None if None in results else False


def is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def spec_compare(answer: Any, op: str, value: Any) -> bool:
    if isinstance(answer, list):
        if op == "=":
            return value in answer
        if op == "!=":
            return value not in answer
        return op == "in" and any(v in answer for v in value)

    def same(v: object) -> bool:
        return bool(answer == v and type(answer) is type(v))

    if op == "=":
        return same(value)
    if op == "!=":
        return not same(value)
    if op == "in":
        return any(same(v) for v in value)
    if not (is_int(answer) and is_int(value)):
        return False
    checks: dict[str, bool] = {">": answer > value, "<": answer < value,
                               ">=": answer >= value, "<=": answer <= value}
    return checks[op]


def spec_valid(q: dict[str, Any], value: Any) -> bool:
    if q["type"] == "yesno":
        return isinstance(value, bool)
    if q["type"] == "int":
        return is_int(value) and q["min"] <= value <= q["max"]
    if q["type"] == "choice":
        return isinstance(value, str) and value in q["choices"]
    return (isinstance(value, list) and bool(value)
            and all(isinstance(v, str) and v in q["choices"] for v in value)
            and len(set(value)) == len(value)
            and not any(e in value and len(value) > 1 for e in q["exclusive"]))


MODULES = load_registry(None).form_modules
SPEC = {q["id"]: q for m in form_spec(MODULES)["modules"] for q in m["questions"]}
QUESTIONS: dict[str, Question] = {q.id: q for m in MODULES for q in m.questions}


def values_for(q: Question) -> st.SearchStrategy[Any]:
    """Answers of every kind, valid or not, for `q`."""
    wrong = st.one_of(st.booleans(), st.integers(-3, 120), st.sampled_from(["", "yes", "x"]))
    if q.type == "yesno":
        return st.one_of(st.booleans(), wrong)
    if q.type == "int":
        assert q.min is not None and q.max is not None
        return st.one_of(st.integers(q.min - 2, q.max + 2), wrong)
    values = st.sampled_from([*q.choice_values, "other_thing"])
    if q.type == "choice":
        return st.one_of(values, wrong)
    return st.one_of(st.lists(values, max_size=4), wrong)


@st.composite
def answer_sets(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for qid, q in QUESTIONS.items():
        if draw(st.booleans()):
            out[qid] = draw(values_for(q))
    return out


@settings(max_examples=examples(500), deadline=None)
@given(answer_sets())
@example({"current_care": ["massage"], "massage_helped": "yes"})
@example({"diagnoses": ["none"], "under_medical_care": True})
def test_the_embedded_rules_agree_with_the_model(raw: dict[str, Any]) -> None:
    hidden: set[str] = set()
    answers: dict[str, Any] = {}  # the model's form: multi answers as tuples
    as_json: dict[str, Any] = {}  # the page's: lists
    for qid, q in QUESTIONS.items():
        expected = evaluate(q.when, answers, hidden)
        got = spec_evaluate(SPEC[qid]["when"], as_json, hidden)
        assert got == (None if expected is UNKNOWN else expected), qid
        if expected is False:
            hidden.add(qid)
            continue
        if qid in raw:
            value = raw[qid]
            model_value = tuple(value) if isinstance(value, list) else value
            valid = check_value(q, model_value) is None
            assert spec_valid(SPEC[qid], value) == valid, (qid, value)
            if valid:
                answers[qid] = model_value
                as_json[qid] = value


def test_the_emergency_signs_are_the_triage_table_s_emergency_signs() -> None:
    from backpain_cli.clinical.triage import EMERGENCY, SIGN_TIER

    assert set(emergency_signs(MODULES)) == {s for s, t in SIGN_TIER.items() if t == EMERGENCY}
