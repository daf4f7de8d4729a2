"""Version-1 sessions under version-2 rules (the clinical reference, "Version 1 sessions").

The three schema-1 fixtures in tests/data/ were saved by the version-1 code itself (the
code of commit 02e6242, the last before clinical version 2) and are kept forever:

- session_schema1.toml: a desk worker with a recent strain (also used by
  test_schema_evolution.py);
- session_schema1_axspa.toml: a chronic client with four version-1 axSpA features, two of
  which version 2 renamed;
- session_schema1_draft.toml: an interview of that kind interrupted in STarT Back.

They keep loading and keep their saved plan; re-scoring reads the renamed features as their
successors and treats the questions version 2 added as missing answers; a draft resumes
under version 2 with the new questions asked; nothing here ever rewrites one of the files.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import invoke

from backpain_cli.clinical.legacy import current_answers
from backpain_cli.clinical.questionnaire import AnswerValue, load_registry
from backpain_cli.flows import assess
from backpain_cli.records import storage
from backpain_cli.records.session import SCHEMA

DATA = Path(__file__).parent / "data"
DESK = ("EX-DESK", "20261127T101503Z-3f9a1c", DATA / "session_schema1.toml")
AXSPA = ("EX-AXSPA", "20261110T083000Z-5b7e21", DATA / "session_schema1_axspa.toml")
DRAFT = ("EX-DRAFT", "20261118T141500Z-c40d9e", DATA / "session_schema1_draft.toml")

# The content hashes of the version-1 questionnaire files (git show 02e6242:questionnaires/):
# what makes these fixtures version-1 sessions and not imitations of them.
V1_QUESTIONNAIRES = {
    "intake": "694657bc9d31a7810498a3fb1625379f261764cfdffa344f67628f4a58ba21f0",
    "red_flags": "26728b162c7dca2f02607d80dae735b0c46276e541d60f36056439171431a4d4",
    "sleep": "9b55ed37f127d6fc98af6a9ed10a5513d64832cd51f96d7ff0d2cc3fc7f562a4",
    "activity": "e37a6caa1a8c34103a28d6edb2b3a3796b59e7c6c6af5ece6cd62654e8774d99",
    "diagnoses": "98c6a407bf5873365f9e9b00911ac618247fc5e16fdeadff591a67a42d42fd30",
    "startback": "113b0eeac972abb8684586490452b2099c45c8e64a74d74cc814d2887d5a7e8d",
}
# What versions 2 and 3 ask that version 1 did not, for a 31-year-old office worker with no
# warning signs (sex, the new warning signs and risk factors and work absence are version
# 3's; an unknown sex asks about pregnancy).
NEW_QUESTIONS = ["sex", "pregnancy", "rf_sexual_dysfunction", "rf_chest_symptoms",
                 "rf_recent_procedure", "rf_recent_infection", "rf_unwell", "rf_constant_pain",
                 "rf_anticoagulant", "work_absence"]



run = invoke


def install(home: Path, fixture: tuple[str, str, Path], text: str | None = None) -> Path:
    client, sid, source = fixture
    path = home / "sessions" / client / f"{sid}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is None:
        shutil.copyfile(source, path)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def snapshot(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes()
            for p in sorted(home.rglob("*")) if p.is_file()}


def review_json(target: str) -> dict[str, Any]:
    result = run("review", target, "--json")
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


# --------------------------------------------------------------------------- the fixtures


@pytest.mark.parametrize("fixture", [DESK, AXSPA, DRAFT], ids=["desk", "axspa", "draft"])
def test_fixtures_are_version1_sessions(fixture: tuple[str, str, Path]) -> None:
    raw = tomllib.loads(fixture[2].read_text(encoding="utf-8"))
    assert (raw["schema"], raw["tool_version"]) == (1, "0.1.0")
    assert {k: v["sha256"] for k, v in raw["questionnaires"].items()} == V1_QUESTIONNAIRES
    assert "reassess_weeks" not in raw and "ended_early" not in raw
    # Today's modules differ where version 2 changed the questions.
    current = {m.id: m.sha256 for m in load_registry(None).modules}
    changed = {mid for mid, sha in V1_QUESTIONNAIRES.items() if current.get(mid) != sha}
    assert {"intake", "red_flags", "diagnoses"} <= changed


@pytest.mark.parametrize("fixture", [DESK, AXSPA], ids=["desk", "axspa"])
def test_a_version1_session_keeps_its_saved_plan(backpain_home: Path,
                                                 fixture: tuple[str, str, Path]) -> None:
    install(backpain_home, fixture)
    saved = tomllib.loads(fixture[2].read_text(encoding="utf-8"))
    before = snapshot(backpain_home)
    for args in (["export", fixture[1], "--format", "json"], ["review", fixture[1], "--json"]):
        result = run(*args)
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        if "form" in doc:  # review --json wraps the session's document
            doc = doc["session"]
        assert doc["schema"] == SCHEMA
        assert doc["recommendations"] == saved["recommendations"]
        assert (doc["triage"], doc["scores"]) == (saved["triage"], saved["scores"])
        # Guardrail 13 is for plans built by version-2 rules: the saved plan has neither.
        assert "reassess_weeks" not in doc
        assert "medical.safety_net" not in [r["id"] for r in doc["recommendations"]]
    assert snapshot(backpain_home) == before


# --------------------------------------------------------------------------- re-scoring


@pytest.mark.parametrize(("saved", "read_as"), [
    (("buttock_pain_alternating",), ("buttock_pain",)),
    (("psoriasis_or_enthesitis",), ("psoriasis",)),
    (("wakes_second_half_night", "buttock_pain_alternating", "psoriasis_or_enthesitis"),
     ("wakes_second_half_night", "buttock_pain", "psoriasis")),
    # Already a version-2 value, alone or beside its predecessor: kept once, in place.
    (("buttock_pain", "buttock_pain_alternating"), ("buttock_pain",)),
    (("enthesitis", "psoriasis_or_enthesitis"), ("enthesitis", "psoriasis")),
    (("none",), ("none",)),
])
def test_version1_axspa_values_are_read_as_their_successors(
        saved: tuple[str, ...], read_as: tuple[str, ...]) -> None:
    answers: dict[str, AnswerValue] = {"age": 30, "axspa_features": saved}
    assert current_answers(answers) == {"age": 30, "axspa_features": read_as}
    assert answers["axspa_features"] == saved  # a copy: the session's answers stay as saved


def test_rescoring_a_version1_session_reads_its_features_and_is_partial(
        backpain_home: Path) -> None:
    path = install(backpain_home, AXSPA)
    before = path.read_bytes()
    doc = review_json(AXSPA[1])
    assert doc["complete"] is False
    assert doc["missing"] == NEW_QUESTIONS
    # The renamed values fit today's question: none of them is left out.
    assert doc["no_longer_fit"] == []
    recomputed = doc["recomputed"]
    # Four features, and (v3) a client under 35 counts "began before 35" as well.
    assert recomputed["scores"]["axspa_feature_count"] == 5
    assert recomputed["triage"] == "refer_routine"  # still axspa_suspected
    assert recomputed["recommendations"][0]["id"] == "medical.axspa_referral"
    assert "medical.safety_net" in [r["id"] for r in recomputed["recommendations"]]
    assert recomputed["reassess_weeks"] == 6  # chronic
    assert doc["changes"]["recommendations"]["added"][0]["id"] == "medical.safety_net"
    assert path.read_bytes() == before


def test_the_terminal_review_of_a_version1_session_says_the_plan_is_partial(
        backpain_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    install(backpain_home, AXSPA)
    result = run("review", AXSPA[1])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.replace("┃", " ").split())
    assert (f"PARTIAL PLAN — today's questionnaires ask {len(NEW_QUESTIONS)} question(s) this "
            "session has no usable answer to: " + ", ".join(NEW_QUESTIONS)) in text
    assert "buttock_pain_alternating" not in result.stdout


def test_a_partial_rescored_plan_without_pain_duration_has_no_interval(
        backpain_home: Path) -> None:
    text = AXSPA[2].read_text(encoding="utf-8")
    assert text.count('pain_duration = "over_12_weeks"\n') == 1
    install(backpain_home, AXSPA, text.replace('pain_duration = "over_12_weeks"\n', ""))
    doc = review_json(AXSPA[1])
    assert "pain_duration" in doc["missing"]
    assert doc["recomputed"]["triage"] not in ("emergency", "urgent")
    assert "reassess_weeks" not in doc["recomputed"]


def test_a_follow_up_of_a_version1_session_offers_the_successor_values(
        backpain_home: Path) -> None:
    path = install(backpain_home, AXSPA)
    before = path.read_bytes()
    st = assess.start(load_registry(None), client=None, answers_file=None, instruments=None,
                      follow_up=AXSPA[1])
    assert st.follows == AXSPA[1]
    assert st.defaults["axspa_features"] == (
        "wakes_second_half_night", "buttock_pain", "better_with_movement", "psoriasis")
    assert path.read_bytes() == before


# --------------------------------------------------------------------------- a version-1 draft


def test_a_version1_draft_resumes_under_version3_with_the_new_questions_asked(
        backpain_home: Path, tmp_path: Path) -> None:
    path = install(backpain_home, DRAFT)
    client, sid, _ = DRAFT
    unanswered = run("assess", "--resume", sid, "--no-input")
    assert unanswered.exit_code == 3, unanswered.output
    missing = [line.removeprefix("  - ").removesuffix(": missing (required)")
               for line in unanswered.stderr.splitlines()[1:]]
    # In interview order: the STarT Back items the draft stopped at come last.
    assert missing == [*NEW_QUESTIONS, *(f"sbst_{i}" for i in range(3, 10))]
    assert tomllib.loads(path.read_text(encoding="utf-8"))["status"] == "draft"

    new: dict[str, object] = dict.fromkeys(NEW_QUESTIONS, False)
    new.update({"sex": "female", "pregnancy": "no", "work_absence": "no",
                **{f"sbst_{i}": False for i in range(3, 9)}, "sbst_9": "slightly"})
    answers_file = tmp_path / "rest.toml"
    answers_file.write_text(tomli_w.dumps({"answers": new}), encoding="utf-8")
    result = run("assess", "--resume", sid, "--answers", str(answers_file), "--no-input",
                 "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["session"], doc["client"], doc["status"], doc["schema"]) == (
        sid, client, "completed", SCHEMA)
    assert doc["answers"]["axspa_features"] == [
        "wakes_second_half_night", "buttock_pain", "better_with_movement", "psoriasis"]
    assert doc["scores"]["axspa_feature_count"] == 5  # under 35 (v3)
    assert doc["reassess_weeks"] == 6
    saved = tomllib.loads(path.read_text(encoding="utf-8"))
    assert (saved["schema"], saved["status"], saved["reassess_weeks"]) == (SCHEMA, "completed", 6)
    current = {m.id: (m.version, m.sha256) for m in load_registry(None).select(())}
    assert {k: (v["version"], v["sha256"]) for k, v in saved["questionnaires"].items()} == current
    assert storage.read_session(path).answers["pregnancy"] == "no"
