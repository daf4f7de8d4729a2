"""The client's intake form in a real browser (issue 21, item 3): headless Chromium from the
distribution driven by Selenium through the distribution's chromedriver (never a downloaded
driver). Every question type filled by clicks and keys, conditions, validation messages,
the emergency box, the saved file imported by `assess` with the same plan as the
interview, the script's rules against the product's over a few hundred answer sets,
axe-core, the paper form, and no request of any kind.

Without Chromium, its driver or Selenium these tests are skipped and say why; under CI
a missing one is a failure (.ci/run installs them).
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import subprocess
import time
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeAlias

import pytest
import tomli_w
from askers import RecordingAsker, Said, feed
from helpers import invoke
from prompt_toolkit.input import create_pipe_input

from backpain_cli.clinical.answers import validate
from backpain_cli.clinical.questionnaire import Question, load_registry
from backpain_cli.flows.assess import AssessRequest, assess_visit
from backpain_cli.output import intake_words as w

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RawAnswer: TypeAlias = bool | int | str | list[str]
HERE = Path(__file__).parent
CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
AXE = HERE / "axe" / "node_modules" / "axe-core" / "axe.min.js"
REGISTRY = load_registry(None)
FORM = REGISTRY.form_modules
QUESTIONS: dict[str, Question] = {q.id: q for m in FORM for q in m.questions}


def missing(what: str, how: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing: .ci/run must install it ({how})")
    pytest.skip(f"{what} is not installed ({how}); CI runs these")


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("intake") / "form.html"
    result = invoke("intake", "form", "--client", "JD-042", "-o", out)
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def driver(page: Path, downloads: Path) -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                                    "(pip install '.[test]')")
    from selenium.webdriver.chrome.service import Service

    if not CHROMIUM.exists():
        missing("chromium", "apt-get install chromium")
    if not DRIVER.exists():
        missing("chromedriver", "apt-get install chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=360,800"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    try:
        browser.execute_cdp_cmd("Browser.setDownloadBehavior",
                                {"behavior": "allow", "downloadPath": str(downloads)})
        browser.get(page.as_uri())
        yield browser
    finally:
        browser.quit()


def by_id(driver: Any, element_id: str) -> Any:
    return driver.find_element("id", element_id)


def option(driver: Any, qid: str, value: str) -> Any:
    return driver.find_element("css selector", f"input[name='{qid}'][value='{value}']")


def shown(driver: Any, qid: str) -> bool:
    return bool(by_id(driver, f"q-{qid}").is_displayed())


def error_of(driver: Any, qid: str) -> str:
    el = by_id(driver, f"e-{qid}")
    return str(el.text) if el.is_displayed() else ""


def answer(driver: Any, q: Question, value: RawAnswer, *, keys: bool) -> None:
    """Answer `q` as a person does: the number typed, a choice clicked, or with `keys` a
    yes/no or choice reached by Tab and ticked with the space bar."""
    from selenium.webdriver.common.keys import Keys

    if q.type == "int":
        box = by_id(driver, f"i-{q.id}")
        box.clear()
        box.send_keys(str(value), Keys.TAB)
        return
    values = value if isinstance(value, list) else [
        ("yes" if value else "no") if isinstance(value, bool) else str(value)]
    for v in values:
        target = option(driver, q.id, v)
        if keys:
            driver.execute_script("arguments[0].focus()", target)
            target.send_keys(Keys.SPACE)
        else:
            target.find_element("xpath", "..").click()


def fill(driver: Any, answers: Mapping[str, RawAnswer]) -> None:
    """Every part of the form in turn: its shown questions answered, then Next."""
    keys = False
    for n in range(1, len(FORM) + 1):
        assert by_id(driver, "progress").text.startswith(f"Part {n} of {len(FORM) + 1}")
        for q in FORM[n - 1].questions:
            if q.id in answers and shown(driver, q.id):
                answer(driver, q, answers[q.id], keys=keys)
                keys = not keys  # half by keys, half by clicks, of every type
        by_id(driver, "next").click()
    assert by_id(driver, "progress").text == w.PART.format(
        n=len(FORM) + 1, total=len(FORM) + 1, title=w.SAVE_TITLE)


def saved_file(downloads: Path) -> Path:
    for _ in range(100):
        found = [p for p in downloads.iterdir() if p.name.endswith(".answers.toml")]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError("no file was downloaded")


def requests_made(driver: Any, page: Path) -> list[str]:
    """Every URL the page asked for, but the page itself."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return [u for u in urls if u != page.as_uri()]


# --------------------------------------------------------------------------- the round trip


def interview_session(answers: Mapping[str, RawAnswer], keys_for: Any) -> Any:
    """The same answers typed into the terminal interview (the real prompts)."""
    questions = REGISTRY.questions()
    with create_pipe_input() as pipe:
        feed(pipe, "".join(keys_for(questions[k], v) for k, v in answers.items()))
        return assess_visit(AssessRequest(client="JD-042", save=False),
                            asker=lambda: RecordingAsker(pipe), notices=Said()).session


def test_the_saved_form_gives_the_interview_s_plan(
        driver: Any, page: Path, downloads: Path, tmp_path: Path,
        complete_answers: dict[str, RawAnswer], keys_for: Any) -> None:
    on_form = {k: v for k, v in complete_answers.items() if k in QUESTIONS}
    own = {k: v for k, v in complete_answers.items() if k not in QUESTIONS}
    assert {QUESTIONS[k].type for k in on_form} == {"yesno", "choice", "multi", "int"}
    fill(driver, on_form)
    by_id(driver, "save").click()
    path = saved_file(downloads)
    assert path.name.startswith("JD-042-") and path.name.endswith(".answers.toml")
    assert w.SAVED.format(file=path.name) == by_id(driver, "saving").text
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["client"] == "JD-042"
    assert data["answers"] == on_form
    assert data["intake"]["filled_by"] == "client"
    assert data["intake"]["modules"] == {m.id: m.version for m in FORM}
    part = tmp_path / "startback.toml"
    part.write_text(tomli_w.dumps({"answers": own}), encoding="utf-8")
    result = invoke("assess", "--answers", path, "--answers", part, "--no-input", "--json",
                    "--no-save")
    assert result.exit_code == 0, result.stderr
    imported = json.loads(result.stdout)
    typed = interview_session(complete_answers, keys_for)
    assert imported["answers"] == {k: list(v) if isinstance(v, tuple) else v
                                   for k, v in typed.answers.items()}
    assert typed.plan is not None
    assert imported["scores"] == dict(typed.plan.scores)
    assert imported["triage"] == typed.plan.triage
    assert [r["id"] for r in imported["recommendations"]] == list(typed.plan.ids)
    assert [p["id"] for p in imported["programme"]] == list(typed.plan.programme_ids)
    assert imported["red_flags_confirmed"] is False
    assert requests_made(driver, page) == []
    assert driver.execute_script(
        "return performance.getEntriesByType('resource').length") == 0


# --------------------------------------------------------------------------- on the page


def test_conditions_show_and_hide_questions(driver: Any) -> None:
    # Undecided until the age is given: not asked yet, as in the interview.
    assert not shown(driver, "pregnancy") and not shown(driver, "pregnancy_weeks")
    answer(driver, QUESTIONS["age"], 60, keys=True)
    assert not shown(driver, "pregnancy")
    answer(driver, QUESTIONS["age"], 30, keys=True)
    answer(driver, QUESTIONS["sex"], "female", keys=False)
    assert shown(driver, "pregnancy") and not shown(driver, "pregnancy_weeks")
    answer(driver, QUESTIONS["pregnancy"], "pregnant", keys=False)
    assert shown(driver, "pregnancy_weeks") and not shown(driver, "postpartum_weeks")
    answer(driver, QUESTIONS["sex"], "male", keys=True)
    assert not shown(driver, "pregnancy") and not shown(driver, "pregnancy_weeks")
    answer(driver, QUESTIONS["sex"], "female", keys=False)
    # A question of a later part, shown by an answer on this one.
    assert by_id(driver, "q-rf_pregnancy_warning").get_attribute("hidden") is None


def test_validation_messages_stand_next_to_the_question(driver: Any) -> None:
    by_id(driver, "next").click()
    assert error_of(driver, "age") == w.MESSAGES["missing"]
    assert by_id(driver, "progress").text.startswith("Part 1 of")
    assert driver.switch_to.active_element == by_id(driver, "i-age")
    for typed, message in (("abc", w.MESSAGES["whole"]),
                           ("200", w.MESSAGES["range"].format(min=12, max=110)),
                           ("7.5", w.MESSAGES["whole"])):
        answer(driver, QUESTIONS["age"], typed, keys=True)
        by_id(driver, "next").click()
        assert error_of(driver, "age") == message
        assert by_id(driver, "i-age").get_attribute("aria-invalid") == "true"
    answer(driver, QUESTIONS["pain_worse_with"], ["sitting", "none"], keys=False)
    by_id(driver, "next").click()
    assert error_of(driver, "pain_worse_with") == w.MESSAGES["exclusive"].format(
        label="Nothing in particular")
    answer(driver, QUESTIONS["age"], 40, keys=True)
    by_id(driver, "next").click()
    assert error_of(driver, "age") == ""


@pytest.mark.parametrize(("before", "sign", "says"), [
    ({"age": 40, "sex": "male"}, "rf_saddle_numbness", "go to an emergency department"),
    ({"age": 40, "sex": "male"}, "rf_chest_symptoms", "call an ambulance"),
    ({"age": 30, "sex": "female", "pregnancy": "pregnant", "pregnancy_weeks": 10},
     "rf_pregnancy_warning", "contact an early pregnancy unit"),
    ({"age": 30, "sex": "female", "pregnancy": "pregnant", "pregnancy_weeks": 30},
     "rf_pregnancy_warning", "contact the maternity unit"),
])
def test_the_first_emergency_yes_shows_the_box(
        driver: Any, before: dict[str, RawAnswer], sign: str, says: str,
        complete_answers: dict[str, RawAnswer]) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    answers = {**complete_answers, **before}
    for q in FORM[0].questions:
        if q.id in answers and shown(driver, q.id):
            answer(driver, q, answers[q.id], keys=False)
    by_id(driver, "next").click()
    assert by_id(driver, "progress").text.startswith("Part 2 of")
    box = by_id(driver, "emergency")
    answer(driver, QUESTIONS["rf_fever"], True, keys=False)  # urgent alone: no box
    assert not box.is_displayed()
    answer(driver, QUESTIONS[sign], True, keys=False)
    assert box.is_displayed() and box.get_attribute("role") == "alert"
    # In view, wherever the client was on the page.
    assert driver.execute_script("var r = arguments[0].getBoundingClientRect();"
                                 "return r.top > -1 && r.top < window.innerHeight;", box)
    assert box.text.split("\n") == [w.EMERGENCY_TITLE, w.EMERGENCY_TEXT.format(places=says),
                                    w.EMERGENCY_TELL, w.EMERGENCY_FINISH]
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - no browser alert(), only the box
    # The client can still finish: the other questions are no longer required.
    by_id(driver, "next").click()
    assert by_id(driver, "progress").text.startswith("Part 3 of")
    by_id(driver, "back").click()
    answer(driver, QUESTIONS[sign], False, keys=False)
    assert not box.is_displayed()


def test_nothing_is_kept_and_start_again_clears(driver: Any, downloads: Path) -> None:
    answer(driver, QUESTIONS["age"], 52, keys=True)
    unload = ("var e = new Event('beforeunload', {cancelable: true});"
              "window.dispatchEvent(e); return e.defaultPrevented;")
    assert driver.execute_script(unload) is True  # unsaved: leaving asks first
    assert driver.execute_script(
        "return [localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]
    by_id(driver, "restart").click()
    alert = driver.switch_to.alert
    assert alert.text == w.START_AGAIN_CONFIRM
    alert.accept()
    assert by_id(driver, "i-age").get_attribute("value") == ""
    assert driver.execute_script(unload) is False


def test_a_phone_fits_and_every_target_is_big_enough(driver: Any) -> None:
    # Headless Chromium keeps its window at least 500 px wide: the phone is emulated.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 360, "height": 800, "deviceScaleFactor": 2, "mobile": True})
    width = driver.execute_script("return document.documentElement.clientWidth")
    assert width <= 360
    driver.execute_script("document.querySelectorAll('section.group')"
                          ".forEach(function (g) { g.hidden = false; });"
                          "document.querySelectorAll('.q')"
                          ".forEach(function (q) { q.hidden = false; });")
    sizes = driver.execute_script("""
        var out = [];
        document.querySelectorAll('label.opt, input[type=text], button').forEach(function (e) {
          var r = e.getBoundingClientRect();
          if (r.width > 0) out.push([e.id || e.textContent.trim().slice(0, 30), r.width, r.height]);
        });
        return [out, document.documentElement.scrollWidth];""")
    targets, scroll_width = sizes
    assert len(targets) > 150
    assert [t for t in targets if t[1] < 24 or t[2] < 24] == []
    assert scroll_width <= width


def test_axe_finds_no_violation_on_any_part(driver: Any) -> None:
    if not AXE.exists():
        missing("axe-core", "npm ci --prefix tests/axe")
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    found: dict[int, list[str]] = {}
    for n in range(len(FORM) + 1):
        driver.execute_script(f"""
            document.querySelectorAll('section.group').forEach(function (g, i) {{
              g.hidden = i !== {n}; }});""")
        result = driver.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "axe.run(document).then(function (r) { done(r.violations.map(function (v) {"
            " return v.id + ': ' + v.nodes.map(function (x) { return x.target; }).join(' ');"
            " })); });")
        if result:
            found[n] = result
    assert found == {}


def test_printed_it_is_a_paper_form(driver: Any, tmp_path: Path) -> None:
    for tool in ("pdftotext",):
        if shutil.which(tool) is None:
            missing(tool, "apt-get install poppler-utils")
    pdf = tmp_path / "form.pdf"
    printed = driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": False})
    pdf.write_bytes(base64.b64decode(printed["data"]))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    # Every question, the hidden ones included, with its condition in words.
    for q in QUESTIONS.values():
        assert " ".join(str(q.client_text).split()[:4]) in flat, q.id
    assert "Only answer this if you answered \u201cOn the side\u201d" in flat
    assert w.LEAD_PAPER in flat
    for screen_only in (w.NEXT + " ", w.SAVE, w.START_AGAIN, w.SAVE_TITLE):
        assert screen_only not in flat


# --------------------------------------------------------------------------- the same rules


def generated(seed: int, count: int) -> list[dict[str, Any]]:
    """Answer sets of every kind, valid and not, as the page's inputs can hold them."""
    rng = random.Random(seed)
    sets = []
    for _ in range(count):
        raw: dict[str, Any] = {}
        for q in QUESTIONS.values():
            if rng.random() < 0.25:
                continue
            if q.type == "yesno":
                raw[q.id] = rng.random() < 0.3
            elif q.type == "int":
                assert q.min is not None and q.max is not None
                raw[q.id] = rng.choice([rng.randint(q.min - 2, q.max + 2), "x"])
            elif q.type == "choice":
                raw[q.id] = rng.choice([*q.choice_values, "other"])
            else:
                raw[q.id] = rng.sample([*q.choice_values], k=rng.randint(0, 3))
        sets.append(raw)
    return sets


def test_the_page_s_rules_agree_with_the_product_s(driver: Any) -> None:
    sets = generated(21, 300)
    got = driver.execute_script("""
        return arguments[0].map(function (raw) {
          var r = window.backpainIntake.walk(raw);
          return [r.answers, Object.keys(r.problems).sort(), Object.keys(r.hidden).sort()];
        });""", sets)
    for raw, (answers, problems, hidden) in zip(sets, got, strict=True):
        expected = validate(FORM, raw)
        assert answers == {k: list(v) if isinstance(v, tuple) else v
                           for k, v in expected.answers.items()}
        assert problems == sorted(p.where for p in expected.problems)
        assert hidden == sorted(expected.hidden)
