"""Version-2 sessions under version-3 rules (the clinical reference, "Version 1 and 2 sessions").

The two schema-2 fixtures in tests/data/ were saved by the version-2 code itself (the code
of commit 38f19d8, the last before clinical version 3) and are kept forever:

- session_schema2.toml: a 62-year-old on long-term steroids (urgent under version 2);
- session_schema2_draft.toml: a 34-year-old's interview interrupted after the warning signs.

They keep loading and keep their saved plan; re-scoring treats the questions version 3
added as missing answers (an absent team answer is no, so the steroids stay urgent; an
absent sex does not hide pregnancy); checks run on the stored answers; a draft resumes
under version 3 with the new questions asked; new sessions are schema 3; nothing here ever
rewrites one of the files.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from helpers import invoke

from backpain_cli.clinical.questionnaire import load_registry
from backpain_cli.records import storage
from backpain_cli.records.session import SCHEMA

DATA = Path(__file__).parent / "data"
STEROIDS = ("EX-STEROID", "20261207T130053Z-8794ee", DATA / "session_schema2.toml")
DRAFT = ("EX-V2DRAFT", "20261207T130059Z-acb7bf", DATA / "session_schema2_draft.toml")
# The content hashes of the version-2 questionnaire files (git show 38f19d8:questionnaires/).
V2_CHANGED = {
    "intake": "79add290452b72083f35435474d188365f6986772b2b27fa91ae8afba6b34f8a",
    "red_flags": "5a511d5232b1fb7f9234aca97ea31403f66cd78c9258268f591981be46879524",
    "activity": "e37a6caa1a8c34103a28d6edb2b3a3796b59e7c6c6af5ece6cd62654e8774d99",
    "diagnoses": "2ec0d9cc951fd31e44bc8de48b0a7108ca66251e42f37afeabea1047634d2bb5",
}



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


def review_json(target: str) -> dict[str, Any]:
    result = run("review", target, "--json")
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_the_fixtures_are_version2_sessions() -> None:
    current = {m.id: m.sha256 for m in load_registry(None).modules}
    for _, _, path in (STEROIDS, DRAFT):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        assert (raw["schema"], raw["tool_version"]) == (2, "0.1.0")
        assert {k: v["sha256"] for k, v in raw["questionnaires"].items()
                if k in V2_CHANGED} == V2_CHANGED
        assert "checks" not in raw
    # Version 3 changed these four modules.
    assert all(current[m] != sha for m, sha in V2_CHANGED.items())


def test_a_version2_session_keeps_its_saved_plan(backpain_home: Path) -> None:
    path = install(backpain_home, STEROIDS)
    before = path.read_bytes()
    saved = tomllib.loads(before.decode("utf-8"))
    for args in (["export", STEROIDS[1], "--format", "json"], ["review", STEROIDS[1], "--json"]):
        result = run(*args)
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        if "form" in doc:  # review --json wraps the session's document
            doc = doc["session"]
        assert doc["schema"] == SCHEMA == 3
        assert doc["recommendations"] == saved["recommendations"]
        assert (doc["triage"], doc["red_flags"], doc["reassess_weeks"]) == (
            "urgent", [{"id": "rf_steroids", "tier": "urgent"}], 1)
        # A plan saved before version 3 has no checks: absent, not an empty list.
        assert "checks" not in doc
    assert path.read_bytes() == before


def test_rescoring_a_version2_session_is_partial_and_keeps_the_risk_factor_urgent(
        backpain_home: Path) -> None:
    path = install(backpain_home, STEROIDS)
    before = path.read_bytes()
    doc = review_json(STEROIDS[1])
    assert doc["complete"] is False
    # The team question shows with a risk factor: missing like every question new in v3.
    assert doc["missing"] == ["sex", "rf_recent_infection", "rf_constant_pain",
                              "rf_anticoagulant", "risk_team_aware", "work_absence"]
    # At 62 pregnancy is no longer asked (v3): the stored "no" no longer fits.
    assert [i["question"] for i in doc["no_longer_fit"]] == ["pregnancy"]
    recomputed = doc["recomputed"]
    # An absent team answer counts as no: the saved risk factor stays urgent.
    assert recomputed["red_flags"] == [{"id": "rf_steroids", "tier": "urgent"}]
    assert (recomputed["triage"], recomputed["reassess_weeks"]) == ("urgent", 1)
    assert recomputed["checks"] == []
    assert path.read_bytes() == before


def test_checks_run_on_the_stored_answers(backpain_home: Path) -> None:
    text = STEROIDS[2].read_text(encoding="utf-8").replace("pain_now = 4", "pain_now = 7")
    install(backpain_home, STEROIDS, text)
    doc = review_json(STEROIDS[1])
    assert doc["recomputed"]["checks"] == [
        {"id": "ck_pain_now_above_worst", "questions": ["pain_now", "pain_worst_week"]}]


def test_review_due_places_a_version2_session_by_its_saved_interval(
        backpain_home: Path) -> None:
    install(backpain_home, STEROIDS)
    result = run("review", "--due", "--on", "2026-12-14", "--json")
    assert result.exit_code == 0, result.output
    assert [(d["session"], d["due"], d["reassess_weeks"]) for d in json.loads(result.stdout)] \
        == [(STEROIDS[1], "2026-12-14", 1)]
    early = run("review", "--due", "--on", "2026-12-13", "--json")
    assert json.loads(early.stdout) == []


def test_a_follow_up_of_a_version2_session_asks_no_adherence(
        backpain_home: Path, tmp_path: Path) -> None:
    # Its saved plan has no programme, so the follow-up module is not asked: an answer to
    # it is dropped with a warning.
    install(backpain_home, STEROIDS)
    from backpain_cli.flows import assess as visit

    answers = tmp_path / "today.toml"
    answers.write_text(tomli_w.dumps({"answers": {"programme_adherence": "most_days"}}),
                       encoding="utf-8")
    st = visit.start(load_registry(None), client=None, answers_file=answers,
                     instruments=None, follow_up=STEROIDS[1])
    assert "followup" not in [m.id for m in st.modules]
    assert "programme_adherence" in st.validation.dropped
    assert any("programme_adherence" in w for w in st.warnings)


def test_a_version2_draft_resumes_under_version3_with_the_new_questions_asked(
        backpain_home: Path, tmp_path: Path) -> None:
    path = install(backpain_home, DRAFT)
    client, sid, _ = DRAFT
    unanswered = run("assess", "--resume", sid, "--no-input")
    assert unanswered.exit_code == 3, unanswered.output
    missing = [line.removeprefix("  - ").removesuffix(": missing (required)")
               for line in unanswered.stderr.splitlines()[1:]]
    # In interview order: sex and the new warning signs first, then what the draft had not
    # reached yet (work absence waits for the occupation).
    assert missing[:4] == ["sex", "rf_recent_infection", "rf_constant_pain",
                           "rf_anticoagulant"]
    assert missing[4] == "sleep_position" and "occupation" in missing
    assert tomllib.loads(path.read_text(encoding="utf-8"))["status"] == "draft"

    rest: dict[str, object] = {
        "sex": "female", "rf_recent_infection": False, "rf_constant_pain": False,
        "rf_anticoagulant": False, "sleep_position": "side", "mattress_firmness": "medium_firm",
        "mattress_opinion": "comfortable", "mattress_age_years": 5, "mattress_sagging": False,
        "pain_on_waking": "no", "pillow_height": "medium", "knee_pillow": True,
        "occupation": "mostly_sitting", "work_absence": "no", "sitting_hours": 7,
        "exercise_days": 3, "exercise_types": ["walking"], "recent_overexertion": False,
        "hyperextension_activities": False, "diagnoses": ["none"], "current_care": ["none"],
        "axspa_features": ["none"], **{f"sbst_{i}": False for i in range(1, 9)},
        "sbst_9": "slightly"}
    answers_file = tmp_path / "rest.toml"
    answers_file.write_text(tomli_w.dumps({"answers": rest}), encoding="utf-8")
    result = run("assess", "--resume", sid, "--answers", answers_file, "--no-input", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["session"], doc["client"], doc["status"], doc["schema"]) == (
        sid, client, "completed", 3)
    # Under 35, "began before 35" counts without being ticked (v3).
    assert doc["scores"]["axspa_feature_count"] == 1
    assert doc["checks"] == []
    saved = tomllib.loads(path.read_text(encoding="utf-8"))
    assert (saved["schema"], saved["status"], saved["checks"]) == (3, "completed", [])
    current = {m.id: (m.version, m.sha256) for m in load_registry(None).select(())}
    assert {k: (v["version"], v["sha256"]) for k, v in saved["questionnaires"].items()} == current
    assert storage.read_session(path).answers["pregnancy"] == "no"
    assert dt.datetime.fromisoformat(doc["created"].replace("Z", "+00:00")).year == 2026
