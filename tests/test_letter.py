"""`backpain letter SESSION|CLIENT` (issue 22, item 2): a one-page letter to the client's
doctor in the order GPs ask for, or a handover to a colleague.

Every triage level and every flag tier of the clinical reference (version 3), with each
tier rule T1-T7, is written as a letter and checked word for word where it matters: how
soon the client should be seen, each warning sign with its tier, why signs together
matter. The PDF is one page on A4 and on Letter (poppler's pdfinfo).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import invoke
from hypothesis import given, settings
from reassess_helpers import save_visit, utc
from strategies import REGISTRY, interviews

from backpain_cli.cli.notices import StderrNotices
from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.triage import TIER_RULE_IDS, TIERS, rules_fired
from backpain_cli.flows.letter import write_letter
from backpain_cli.output import letter as letter_module
from backpain_cli.output.letter import LetterFacts, build, words
from backpain_cli.output.wording import flag_text
from backpain_cli.records.session import Session

run = invoke
WHEN = utc("2026-11-27T10:15:03")
PRACTICE = {"practice_name": "Physio Nord",
            "practice_contact": "12 Harbour Road, Kiel · 0431 123456",
            "practitioner": "A. Jensen"}
PDFINFO = shutil.which("pdfinfo")


pytestmark = pytest.mark.usefixtures("utc_zone")


@pytest.fixture
def practice(backpain_home: Path, backpain_config: Path) -> Path:
    backpain_config.parent.mkdir(parents=True, exist_ok=True)
    backpain_config.write_text(tomli_w.dumps(PRACTICE))
    return backpain_home


def section(text: str, heading: str) -> list[str]:
    """The non-empty lines of a Markdown section, up to the next heading or the closing."""
    lines = text.splitlines()
    start = lines.index(f"## {heading}") + 1
    out = []
    for line in lines[start:]:
        if line.startswith("## ") or line == "Yours sincerely,":
            break
        if line:
            out.append(line)
    return out


def letter(target: str, *args: str) -> str:
    done = run("letter", target, *args)
    assert done.exit_code == 0, done.output
    assert done.stderr == ""
    return done.stdout


PREGNANT = {"sex": "female", "age": 30, "pregnancy": "pregnant", "pregnancy_weeks": 20}
POSTNATAL = {"sex": "female", "age": 30, "pregnancy": "postpartum", "postpartum_weeks": 3}
SOON = {"emergency": "emergency care now (already advised; see below)",
        "same_day": "today or within 24 hours", "urgent": "within a week",
        "refer_routine": "routinely", "co_manage": "routinely", "none": "routinely"}
TIER = {"emergency": "emergency care now", "same_day": "a doctor today or within 24 hours",
        "urgent": "a doctor within a week", "co_manage": "routinely, with their care team"}


# (case, answers, triage, [(sign, tier)], rule sentences)
CASES: list[tuple[str, dict[str, Any], str, list[tuple[str, str]], list[str]]] = [
    ("emergency sign", {"rf_both_legs": True}, "emergency",
     [("New pain, numbness or pins and needles in both legs", "emergency")], []),
    ("T1", {"rf_fever": True, "rf_immunosuppressed": True}, "emergency",
     [("A fever", "emergency"), ("A weakened immune system", "emergency")],
     ["A fever with a risk of infection (a weakened immune system) may mean a spinal "
      "infection: emergency care."]),
    ("T2", {**PREGNANT, "rf_fever": True}, "emergency",
     [("A fever", "emergency")], ["A fever in pregnancy: emergency care."]),
    ("T3", {"rf_cancer_history": True, "rf_leg_weakness": True}, "emergency",
     [("A leg or foot getting weaker", "emergency"), ("A past cancer", "emergency")],
     ["A past cancer with a nerve sign may mean spinal cord compression (NICE NG234): "
      "emergency care."]),
    ("T4", {"rf_cancer_history": True, "rf_night_pain": True, "rf_weight_loss": True},
     "same_day",
     [("A past cancer", "same_day"), ("Weight loss without trying", "same_day"),
      ("Pain at night that no position eases", "same_day")],
     ["A past cancer with pain at night that no position eases and weight loss without "
      "trying may mean spread to the spine (NICE NG234 asks for assessment within 24 "
      "hours)."]),
    ("T5", {**POSTNATAL, "rf_unwell": True}, "same_day",
     [("Feeling generally unwell", "same_day")],
     ["A fever or feeling ill within 6 weeks of a birth (NICE NG51, NG194): today or "
      "within 24 hours."]),
    ("T6", {"rf_fever": True, "rf_unwell": True}, "same_day",
     [("A fever", "same_day"), ("Feeling generally unwell", "same_day")],
     ["A fever together with feeling unwell may be sepsis (NICE NG51): today or within 24 "
      "hours."]),
    ("T7", {"rf_anticoagulant": True, "rf_trauma": True}, "same_day",
     [("A recent fall, accident or blow", "same_day"), ("A blood thinner", "same_day")],
     ["A fall or blow while taking a blood thinner may mean bleeding: today or within 24 "
      "hours."]),
    ("same-day sign", {**PREGNANT, "rf_leg_clot": True}, "same_day",
     [("A painful, swollen calf", "same_day")], []),
    ("urgent feature", {"rf_trauma": True}, "urgent",
     [("A recent fall, accident or blow", "urgent")], []),
    # Not acute: steroids with an acute strain would also be a fragility fracture.
    ("risk factor alone", {"rf_steroids": True, "pain_duration": "over_12_weeks"}, "urgent",
     [("Long-term steroid tablets", "urgent")], []),
    ("blood thinner alone", {"rf_anticoagulant": True}, "co_manage",
     [("A blood thinner", "co_manage")], []),
    ("routine review", {"age": 14, "pain_duration": "over_12_weeks"}, "refer_routine", [], []),
    ("nothing found", {}, "none", [], []),
]


@pytest.mark.parametrize(("case", "answers", "triage", "signs", "rules"), CASES,
                         ids=[c[0] for c in CASES])
def test_the_doctor_letter_says_how_soon_and_each_sign_with_its_tier(
        practice: Path, case: str, answers: dict[str, Any], triage: str,
        signs: list[tuple[str, str]], rules: list[str]) -> None:
    session, _ = save_visit("JD-042", WHEN, answers)
    assert session.plan is not None and session.plan.triage == triage
    text = letter(session.id)
    why = section(text, "Why I am writing")
    assert why[-1] == f"**How soon: {SOON[triage]}**"
    assert why[0] == words()["why_doctor"][triage].format(visit="27 Nov 2026", time="10:15")
    found = section(text, "Warning signs found")
    # The rules' reasons in one paragraph, then the signs by tier, most urgent first.
    by_tier = [f"- {TIER[tier][0].upper()}{TIER[tier][1:]}: "
               f"{'; '.join(s[0].lower() + s[1:] for s, t in signs if t == tier)}."
               for tier in TIERS if any(t == tier for _, t in signs)]
    expected = [*([" ".join(rules)] if rules else []), *by_tier]
    assert found == (expected or ["No warning signs were found."])
    assert section(text, "My question") == [words()["question"][triage]]


@pytest.mark.parametrize(("case", "answers", "triage", "signs", "rules"), CASES,
                         ids=[c[0] for c in CASES])
def test_the_colleague_handover_has_the_same_facts_and_no_referral_wording(
        practice: Path, case: str, answers: dict[str, Any], triage: str,
        signs: list[tuple[str, str]], rules: list[str]) -> None:
    session, _ = save_visit("JD-042", WHEN, answers)
    doctor, colleague = letter(session.id), letter(session.id, "--to", "colleague")
    for heading in ("Warning signs found", "The problem", "Relevant history", "Scores",
                    "What I advised and did"):
        assert section(colleague, heading) == section(doctor, heading)
    assert "# Handover to a colleague" in colleague and "Dear colleague," in colleague
    for referral in ("How soon", "My question", "Please see them", "Dear Doctor"):
        assert referral not in colleague
    assert section(colleague, "Why I am writing") == [
        words()["why_colleague"][triage].format(visit="27 Nov 2026", time="10:15")]


def test_every_level_tier_and_rule_has_its_words() -> None:
    w = words()
    levels = {"emergency", "same_day", "urgent", "refer_routine", "co_manage", "none"}
    for table in ("soon", "why_doctor", "why_colleague", "question"):
        assert set(w[table]) == levels, table
    assert set(w["tier"]) == set(TIERS)
    assert set(w["rules"]) == set(TIER_RULE_IDS)
    # The words of how soon are the triage's own (the clinical reference, "Triage").
    assert (w["soon"]["same_day"], w["soon"]["urgent"]) == ("today or within 24 hours",
                                                           "within a week")


def test_an_emergency_letter_records_what_was_advised_and_when(practice: Path) -> None:
    session, _ = save_visit("JD-042", WHEN, {"rf_saddle_numbness": True})
    text = letter(session.id)
    assert section(text, "Why I am writing")[0].endswith(
        "This letter is a record of that advice for you; it never replaces the emergency "
        "call.")
    assert session.plan is not None
    [referral] = [r for r in session.plan.recommendations
                  if r.id == "medical.emergency_referral"]
    assert section(text, "What I advised and did") == [
        f"The advice given at 10:15 on 27 Nov 2026: “{referral.detail}”"]


def test_the_problem_is_two_sentences_and_the_history_lists_what_matters(
        practice: Path) -> None:
    session, _ = save_visit("JD-042", WHEN, {
        "pain_duration": "6_to_12_weeks", "pain_location": ("lower_back", "buttock"),
        "pain_worse_with": ("sitting", "lifting"), "pain_eased_by": ("moving_around",),
        "onset": "after_exertion", "first_episode": False, "age": 52,
        "diagnoses": ("herniated_disc", "osteoporosis"), "current_care": ("massage", "medication"),
        "rf_steroids": True, "rf_anticoagulant": False})
    text = letter(session.id)
    assert section(text, "The problem") == [
        "Back pain for 6 to 12 weeks, in the lower back and buttock. It is worse with "
        "sitting and lifting and eased by moving around; it began after heavy or unusual "
        "effort."]
    assert section(text, "Relevant history") == [
        "- Age: 52.", "- They have had back pain before.",
        "- Diagnosed by a doctor: disc bulge or herniation and osteoporosis.",
        "- Current care: massage and pain or anti-inflammatory medicines.",
        "- Risk factors: long-term steroid tablets.", "- Blood thinner: no."]


def test_a_client_gives_the_latest_visit_with_the_change_since_the_first(
        practice: Path) -> None:
    save_visit("JD-042", utc("2026-11-01T09:00:00"), {"pain_now": 8, "pain_worst_week": 9})
    latest, _ = save_visit("JD-042", WHEN, {"pain_now": 3, "pain_worst_week": 9})
    text = letter("jd-042")
    scores = section(text, "Scores")
    assert "- Pain now (0–10): 3 (mild); since the first visit on 1 Nov 2026: improved " \
           "(8 → 3)." in scores
    assert "- Worst pain this week (0–10): 9 (severe); since the first visit on 1 Nov " \
           "2026: no important change (9 → 9)." in scores
    assert "This was the first visit." not in scores
    assert letter(latest.id) == text


def test_notes_are_in_the_letter_dated_and_cut_to_fit_one_page(practice: Path) -> None:
    session, _ = save_visit("JD-042", WHEN, {})
    assert run("note", session.id, "Tender L4-L5.\nAgreed: walk daily.").exit_code == 0
    assert run("note", session.id, "x" * 2000).exit_code == 0
    done = section(letter(session.id), "What I advised and did")
    today = letter_module.people_date(dt.date.today())
    notes = done[done.index("My notes:") + 1:]
    assert notes[:2] == [f"- {today}: Tender L4-L5.  ", "  Agreed: walk daily."]
    assert notes[2].startswith(f"- {today}: xxx") and notes[2].endswith("…")
    assert notes[3] == "- (shortened for this letter; the full notes are in our records)"


def test_no_name_is_stored_blank_lines_unless_given(practice: Path) -> None:
    session, path = save_visit("JD-042", WHEN, {})
    blank = letter(session.id)
    assert f"**Client:** {'_' * 30}  " in blank
    assert f"**Date of birth:** {'_' * 30}  " in blank
    named = letter(session.id, "--name", "Jo Doe", "--born", "1961-03-03")
    assert "**Client:** Jo Doe  " in named and "**Date of birth:** 3 Mar 1961  " in named
    assert "Jo Doe" not in path.read_text() and "1961" not in path.read_text()
    assert not [p for p in path.parent.iterdir() if p != path]


def test_the_practice_header_and_contact_are_the_visits(practice: Path) -> None:
    session, _ = save_visit("JD-042", WHEN, {})
    text = letter(session.id, "--format", "html")
    assert '<p class="practice"><strong>Physio Nord</strong><br>12 Harbour Road, Kiel · ' \
           "0431 123456</p>" in text
    assert "<p>A. Jensen<br>Physio Nord · 12 Harbour Road, Kiel · 0431 123456</p>" in text


def test_stored_text_is_inert_and_control_characters_are_shown(practice: Path) -> None:
    session, _ = save_visit("JD-042", WHEN, {})
    assert run("note", session.id, "<b>bold</b> *x* \x1b[31m").exit_code == 0
    html = letter(session.id, "--format", "html")
    assert "&lt;b&gt;bold&lt;/b&gt; *x* \\x1b[31m" in html and "\x1b" not in html
    md = letter(session.id)
    assert "\\<b\\>bold\\</b\\> \\*x\\* \\\\x1b\\[31m" in md or "\x1b" not in md


def test_the_handout_never_carries_the_letter_or_notes(practice: Path) -> None:
    session, _ = save_visit("JD-042", WHEN, {})
    assert run("note", session.id, "Private finding 7731.").exit_code == 0
    for fmt in ("md", "html"):
        handout = run("export", session.id, "--format", fmt)
        assert handout.exit_code == 0, handout.output
        assert "Private finding 7731" not in handout.stdout
    assert "Private finding 7731" in letter(session.id)


@pytest.mark.parametrize(("args", "code", "message"), [
    (["20991231T000000Z-000000"], 1, None),
    (["JD-042", "--born", "3/3/1961"],
     2, "backpain: usage error: --born: '3/3/1961' is not a date in the form YYYY-MM-DD"),
    (["JD-042", "--born", "1961-02-30"],
     2, "backpain: usage error: --born: '1961-02-30' is not a date in the form YYYY-MM-DD"),
    (["JD-042", "--born", "2999-01-01"],
     2, "backpain: usage error: --born: 2999-01-01 is in the future"),
    (["JD-042", "--to", "nurse"],
     2, "backpain: usage error: invalid value for '--to': 'nurse' is not one of 'doctor', "
        "'colleague'"),
    (["JD-042", "--format", "docx"],
     2, "backpain: usage error: invalid value for '--format' / '-f': 'docx' is not one of "
        "'md', 'html', 'pdf'"),
    (["JD-042", "--name", "Jo\nDoe"],
     2, "backpain: usage error: --name: must be one line (no line breaks or tabs)"),
    (["NO-SUCH"], 1, None),
])
def test_bad_input_is_one_line_and_its_exit_code(practice: Path, args: list[str], code: int,
                                                  message: str | None) -> None:
    save_visit("JD-042", WHEN, {})
    done = run("letter", *args)
    assert (done.exit_code, done.stdout) == (code, "")
    assert done.stderr.count("\n") == 1
    if message is None:
        assert done.stderr.startswith("backpain: error: no session or client ")
    else:
        assert done.stderr == message + "\n"


def test_a_draft_gets_no_letter(practice: Path) -> None:
    session, _ = save_visit("JD-042", WHEN, {}, draft=True)
    done = run("letter", session.id)
    assert (done.exit_code, done.stdout) == (1, "")
    assert done.stderr == (f"backpain: error: session {session.id} is a draft (the interview "
                           f"was not finished); finish it first: backpain assess --resume "
                           f"{session.id}\n")


def test_a_pdf_is_not_written_to_a_terminal(practice: Path) -> None:
    session, _ = save_visit("JD-042", WHEN, {})
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "backpain_cli", "letter", session.id,
                               "--format", "pdf"], stdout=follower, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True, timeout=120, check=False)
    finally:
        os.close(follower)
        os.close(leader)
    assert (done.returncode, done.stderr) == (2, (
        "backpain: usage error: --format pdf to a terminal: a PDF is binary; add -o FILE, or "
        "redirect standard output (> letter.pdf)\n"))


# --------------------------------------------------------------------------- one page


def _pages(pdf: Path) -> int:
    assert PDFINFO is not None
    info = subprocess.run([PDFINFO, str(pdf)], capture_output=True, text=True, check=True)
    found = re.search(r"^Pages:\s+(\d+)$", info.stdout, re.MULTILINE)
    assert found is not None
    return int(found[1])


def _worst_case(home: Path) -> Session:
    """The longest letter: every flag that can be counted together (an emergency with
    its quoted advice, several rules), many diagnoses and the notes at their limit."""
    session, _ = save_visit("JD-042", WHEN, {
        "rf_both_legs": True, "rf_leg_weakness": True, "rf_cancer_history": True,
        "rf_fever": True, "rf_immunosuppressed": True, "rf_unwell": True,
        "rf_anticoagulant": True, "rf_trauma": True, "rf_night_pain": True,
        "pain_location": ("lower_back", "mid_upper_back", "buttock", "leg_above_knee",
                          "leg_below_knee"),
        "diagnoses": ("herniated_disc", "spinal_stenosis", "osteoporosis", "scoliosis",
                      "spinal_arthritis")})
    for _ in range(3):
        assert run("note", session.id, "Findings and treatment. " * 60).exit_code == 0
    return session


# The tightest case (the longest letter on the shorter paper) runs in the quick suite; the
# rest (a second each) with the slow tests.
PAGES = [pytest.param(kind, to, paper, id=f"{kind}-{to}-{paper}",
                      marks=() if (kind, to, paper) == ("worst", "doctor", "Letter")
                      else pytest.mark.slow)
         for kind in ("worst", "routine") for to in ("doctor", "colleague")
         for paper in ("A4", "Letter")]


@pytest.mark.skipif(PDFINFO is None, reason="poppler-utils (pdfinfo) is not installed")
@pytest.mark.parametrize(("kind", "to", "paper"), PAGES)
def test_a_letter_is_one_page_on_a4_and_letter(practice: Path, tmp_path: Path, kind: str,
                                              to: str, paper: str) -> None:
    pytest.importorskip("weasyprint")
    if kind == "worst":
        session = _worst_case(practice)
    else:
        session, _ = save_visit("JD-042", WHEN, {"pain_duration": "over_12_weeks"})
    assert invoke("config", "set", "paper", paper.lower()).exit_code == 0
    made = write_letter(session.id, to=to, fmt="pdf", notices=StderrNotices(), name="Jo Doe",
                        born=dt.date(1961, 3, 3))
    assert isinstance(made, bytes)
    path = tmp_path / "letter.pdf"
    path.write_bytes(made)
    assert _pages(path) == 1
    # The paper setting reached the PDF (a test that printed A4 for both once passed).
    size = {"A4": "595.276 x 841.89 pts (A4)", "Letter": "612 x 792 pts (letter)"}[paper]
    info = subprocess.run([str(PDFINFO), str(path)], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(rf"^Page size: +{re.escape(size)}$", info, re.M), info


def test_the_pdf_command_writes_a_private_file(practice: Path, tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    session, _ = save_visit("JD-042", WHEN, {})
    out = tmp_path / "gp.pdf"
    done = run("letter", session.id, "-f", "pdf", "-o", out)
    assert done.exit_code == 0, done.output
    assert out.read_bytes().startswith(b"%PDF") and out.stat().st_mode & 0o777 == 0o600
    assert done.stderr == f"Wrote {out}\n"
    again = run("letter", session.id, "-f", "pdf", "-o", out)
    assert again.exit_code == 1


# --------------------------------------------------------------------------- property


def _session_of(answers: dict[str, Any]) -> Session:
    return Session(id="20261127T101503Z-abcdef", client="JD-042", created=WHEN,
                   status="completed", answers=answers, questionnaires=(),
                   plan=build_plan(answers))


@settings(deadline=None)
@given(interviews(rare=()))
def test_the_letter_never_says_later_than_the_triage_or_a_sign_asks(
        answers: dict[str, Any]) -> None:
    """Guardrail: whatever was found, the doctor's letter asks for the triage's own
    deadline, names every counted sign under its own tier, and gives each rule that fired
    its reason; the colleague's has no request."""
    session = _session_of(answers)
    assert session.plan is not None
    plan = session.plan
    rules = rules_fired(answers)
    facts = LetterFacts(session=session, to="doctor", written=dt.date(2026, 11, 27),
                        questions=REGISTRY.questions(), rules=rules)
    made = build(facts)
    assert made.soon == words()["soon"][plan.triage]
    [signs] = [s for s in made.sections if s.heading == "Warning signs found"]
    for flag in plan.red_flags:
        label = words()["tier"][flag.tier]
        [line] = [i for i in signs.items if i.lower().startswith(label.lower() + ":")]
        assert flag_text(flag.id) in line
    assert len(signs.items) == len({f.tier for f in plan.red_flags})
    for rule in rules:
        reason = words()["rules"][rule].split("{")[0]
        assert reason in " ".join(signs.paragraphs)
    handover = build(dataclasses.replace(facts, to="colleague"))
    assert handover.soon is None
    assert "My question" not in [s.heading for s in handover.sections]


@pytest.mark.parametrize(("answers", "problem"), [
    ({"age": 50, "rf_saddle_numbness": True},
     "Back pain. What makes it worse or better and how it began were not asked."),
    ({"age": 50, "rf_saddle_numbness": True, "pain_duration": "over_12_weeks",
      "onset": "gradual"},
     "Back pain for more than 12 weeks. It began gradually, without a clear cause."),
    ({"pain_duration": "over_12_weeks", "pain_location": ("lower_back",),
      "pain_worse_with": ("none",), "pain_eased_by": ("sitting",)},
     "Back pain for more than 12 weeks, in the lower back. It is worse with nothing in "
     "particular and eased by sitting."),
], ids=["ended at an emergency sign", "duration and onset", "nothing makes it worse"])
def test_a_part_not_asked_is_left_out_of_the_problem(answers: dict[str, Any],
                                                     problem: str) -> None:
    made = build(LetterFacts(session=_session_of(answers), to="doctor",
                             written=dt.date(2026, 11, 27), questions=REGISTRY.questions()))
    [section] = [s for s in made.sections if s.heading == "The problem"]
    assert section.paragraphs == (problem,)
