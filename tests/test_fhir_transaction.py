"""`export --format fhir --bundle transaction`: identifiers, conditional creates, the
Questionnaires built from the module files, and the follow-up link, all validated by the
FHIR model library the other FHIR tests use. Posting these Bundles to a real FHIR engine is
tests/test_fhir_server.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from depth import examples

# The FHIR model library validates exports in the tests only; the CLI never imports it.
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from helpers import command
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import REGISTRY, client_answers, interviews
from typer.testing import CliRunner

from backpain_cli.cli.app import app
from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.followup import Note
from backpain_cli.clinical.questionnaire import AnswerValue, Module, modules_by_hash, parse_module
from backpain_cli.errors import BackpainError
from backpain_cli.output import fhir, fhir_questionnaire, fhir_transaction
from backpain_cli.records import settings as settings_file
from backpain_cli.records.session import ModuleRef, Session
from backpain_cli.records.storage import read_session

GOLDEN = Path(__file__).parent / "golden" / "sessions"
SYSTEM = "https://physio.example/fhir/id"
BASE = "https://physio.example/fhir"
FIRST_ID, FOLLOW_UP_ID = "20261127T101503Z-abcdef", "20261211T090000Z-123456"
T0 = dt.datetime(2026, 11, 27, 10, 15, 3, tzinfo=dt.UTC)


def make_session(answers: dict[str, AnswerValue], *, session_id: str = FIRST_ID,
                 follows: str | None = None, draft: bool = False,
                 client: str = "PX-1") -> Session:
    instruments = tuple(i for i in ("odi", "rmdq") if any(k.startswith(f"{i}_") for k in answers))
    modules = REGISTRY.select(instruments)
    return Session(
        id=session_id, client=client, created=T0, status="draft" if draft else "completed",
        answers=answers, questionnaires=tuple(ModuleRef.of(m) for m in modules),
        instruments=instruments, plan=None if draft else build_plan(answers), follows=follows)


def transaction(session: Session, *, system: str = SYSTEM, base: str = BASE) -> dict[str, Any]:
    modules = fhir_questionnaire.answered_modules(session, REGISTRY, modules_by_hash(None))
    data: dict[str, Any] = json.loads(fhir_transaction.render(
        session, REGISTRY, modules, identifier_system=system, canonical_base=base))
    # Every bundle a test looks at has passed the model library.
    Bundle.model_validate(data)
    for entry in data["entry"]:
        if entry["resource"]["resourceType"] == "Questionnaire":
            Questionnaire.model_validate(entry["resource"])
    return data


def collection(session: Session, *, system: str = SYSTEM, base: str = BASE) -> dict[str, Any]:
    modules = fhir_questionnaire.answered_modules(session, REGISTRY, modules_by_hash(None))
    data: dict[str, Any] = json.loads(fhir_transaction.render(
        session, REGISTRY, modules, kind="collection", identifier_system=system,
        canonical_base=base))
    Bundle.model_validate(data)
    return data


def without_requests(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "request"} for e in bundle["entry"]]


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def identifier_value(resource: dict[str, Any]) -> str:
    ident = resource["identifier"]
    value: str = (ident[0] if isinstance(ident, list) else ident)["value"]
    return value


ODI = {f"odi_{i}": 1 for i in range(1, 11)}


@pytest.fixture(scope="module")
def first() -> dict[str, Any]:
    return transaction(make_session(client_answers(ODI)))


# --------------------------------------------------------------------------- shape


def test_bundle_is_a_transaction_of_conditional_creates(first: dict[str, Any]) -> None:
    assert (first["type"], first["timestamp"], first["identifier"]) == (
        "transaction", "2026-11-27T10:15:03Z", {"system": SYSTEM, "value": FIRST_ID})
    for entry in first["entry"]:
        resource = entry["resource"]
        request = entry["request"]
        assert (request["method"], request["url"]) == ("POST", resource["resourceType"])
        if resource["resourceType"] == "Questionnaire":
            assert request["ifNoneExist"] == f"url={resource['url']}&version={resource['version']}"
        else:
            assert request["ifNoneExist"] == (
                f"identifier={SYSTEM}|{identifier_value(resource)}")


def test_every_resource_has_a_stable_identifier_made_of_session_and_item(
        first: dict[str, Any]) -> None:
    values = [identifier_value(e["resource"]) for e in first["entry"]]
    assert values == [
        *(f"questionnaire/{m}/{REGISTRY.module(m).version}" for m in
          ("intake", "red_flags", "sleep", "activity", "diagnoses", "startback", "odi")),
        *(f"{FIRST_ID}/qr/{m}" for m in
          ("intake", "red_flags", "sleep", "activity", "diagnoses", "startback", "odi")),
        *(f"{FIRST_ID}/obs/{k}" for k in (
            "nprs_now", "nprs_worst_week", "startback_total", "startback_psychosocial",
            "startback_risk", "odi_percent", "odi_band")),
        f"{FIRST_ID}/obs/panel-91349-1", f"{FIRST_ID}/obs/panel-97908-8",
        f"{FIRST_ID}/obs/triage",
    ]
    systems = {(i[0] if isinstance(i, list) else i)["system"]
               for i in (e["resource"]["identifier"] for e in first["entry"])}
    assert systems == {SYSTEM}


def test_full_urls_are_uuid5_of_the_identifier(first: dict[str, Any]) -> None:
    for entry in first["entry"]:
        resource = entry["resource"]
        name = (f"{resource['url']}|{resource['version']}"
                if resource["resourceType"] == "Questionnaire"
                else f"{SYSTEM}|{identifier_value(resource)}")
        assert entry["fullUrl"] == f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def test_same_session_same_bundle_and_another_practice_other_names() -> None:
    session = make_session(client_answers(ODI))
    assert transaction(session) == transaction(session)
    other = transaction(session, system="urn:backpain:practice:" + str(uuid.UUID(int=7)))
    mine = transaction(session)
    observations = [e["fullUrl"] for e in mine["entry"]
                    if e["resource"]["resourceType"] != "Questionnaire"]
    assert set(observations).isdisjoint(e["fullUrl"] for e in other["entry"])


def test_internal_references_are_full_urls_of_the_bundle(first: dict[str, Any]) -> None:
    urls = {e["fullUrl"] for e in first["entry"]}
    refs = [r["reference"] for o in resources(first, "Observation")
            for r in (*o.get("derivedFrom", ()), *o.get("hasMember", ()))]
    assert refs
    assert set(refs) <= urls
    by_url = {e["fullUrl"]: e["resource"] for e in first["entry"]}
    [risk] = [o for o in resources(first, "Observation")
              if {"system": fhir.LOINC, "code": "91352-5"} in o["code"]["coding"]]
    [source] = risk["derivedFrom"]
    assert identifier_value(by_url[source["reference"]]) == f"{FIRST_ID}/qr/startback"


def test_client_is_an_identifier_under_the_practice_system_only(first: dict[str, Any]) -> None:
    subjects = [e["resource"]["subject"] for e in first["entry"]
                if e["resource"]["resourceType"] != "Questionnaire"]
    assert subjects and all(s == {"type": "Patient", "identifier": {
        "system": SYSTEM, "value": "client/PX-1"}} for s in subjects)
    assert resources(first, "Patient") == []


def test_responses_name_their_questionnaire_by_canonical_url_and_version(
        first: dict[str, Any]) -> None:
    canonicals = [f"{q['url']}|{q['version']}" for q in resources(first, "Questionnaire")]
    answered = [r["questionnaire"] for r in resources(first, "QuestionnaireResponse")]
    assert answered == canonicals
    assert answered[0] == f"{BASE}/Questionnaire/intake|{REGISTRY.module('intake').version}"


def test_draft_has_responses_and_questionnaires_but_no_observations() -> None:
    bundle = transaction(make_session(client_answers(), draft=True))
    assert {r["status"] for r in resources(bundle, "QuestionnaireResponse")} == {"in-progress"}
    assert resources(bundle, "Observation") == []
    assert len(resources(bundle, "Questionnaire")) == len(
        resources(bundle, "QuestionnaireResponse"))


def test_answers_no_module_knows_get_a_response_of_their_own() -> None:
    session = make_session(client_answers())
    session = dataclasses.replace(session, answers={**session.answers, "retired_q": "yes"})
    bundle = transaction(session)
    [orphan] = [r for r in resources(bundle, "QuestionnaireResponse") if "questionnaire" not in r]
    assert orphan["identifier"] == {"system": SYSTEM, "value": f"{FIRST_ID}/qr/no-module"}


# --------------------------------------------------------------------------- one naming
# Issue 17: the collection and the transaction of one visit named the client, the
# Questionnaires and the entries differently, and the collection carried neither
# identifiers nor Questionnaires: a consumer could not de-duplicate it or render it alone.


@settings(max_examples=examples(30), deadline=None)
@given(answers=interviews(), draft=st.booleans(), follow_up=st.booleans())
def test_the_collection_is_the_transaction_without_its_requests(
        answers: dict[str, AnswerValue], draft: bool, follow_up: bool) -> None:
    session = make_session(answers, draft=draft, session_id=FOLLOW_UP_ID if follow_up else
                           FIRST_ID, follows=FIRST_ID if follow_up else None)
    sent, kept = transaction(session), collection(session)
    assert (kept["type"], kept["identifier"], kept["timestamp"]) == (
        "collection", sent["identifier"], sent["timestamp"])
    assert kept["entry"] == without_requests(sent)
    # It carries what a consumer needs on its own: a Questionnaire for every response and
    # an identifier on every resource.
    assert len(resources(kept, "Questionnaire")) == len(resources(kept, "QuestionnaireResponse"))
    assert all("identifier" in e["resource"] for e in kept["entry"])


# --------------------------------------------------------------------------- follow-up


def test_follow_up_responses_point_at_the_previous_visit_by_identifier() -> None:
    bundle = transaction(make_session(client_answers(ODI), session_id=FOLLOW_UP_ID,
                                      follows=FIRST_ID))
    for response in resources(bundle, "QuestionnaireResponse"):
        module = response["questionnaire"].split("/Questionnaire/")[1].split("|")[0]
        assert response["extension"] == [{
            "url": fhir_transaction.FOLLOWS_URL,
            "valueReference": {"type": "QuestionnaireResponse", "identifier": {
                "system": SYSTEM, "value": f"{FIRST_ID}/qr/{module}"}}}]


def test_answers_no_module_knows_point_at_nothing_in_the_previous_visit() -> None:
    session = make_session(client_answers(), session_id=FOLLOW_UP_ID, follows=FIRST_ID)
    session = dataclasses.replace(session, answers={**session.answers, "retired_q": "yes"})
    responses = resources(transaction(session), "QuestionnaireResponse")
    assert [r["identifier"]["value"] for r in responses if "extension" not in r] == [
        f"{FOLLOW_UP_ID}/qr/no-module"]


# --------------------------------------------------------------------------- notes

NOTE_TIME = T0 + dt.timedelta(minutes=40)
NOTES = (
    Note(NOTE_TIME, "Tender L4-L5; soft-tissue work.", "20261127T105503Z-000001"),
    Note(NOTE_TIME + dt.timedelta(days=2), "Phoned: walking daily.", "20261129T105503Z-00aa01"),
    # A note that cannot be read: review SESSION names it; it is no clinical statement.
    Note(dt.datetime.fromtimestamp(0, dt.UTC), "(a note that cannot be read: x: y)"),
)


def with_notes(kind: str) -> dict[str, Any]:
    session = make_session(client_answers(ODI))
    modules = fhir_questionnaire.answered_modules(session, REGISTRY, modules_by_hash(None))
    data: dict[str, Any] = json.loads(fhir_transaction.render(
        session, REGISTRY, modules, kind=kind, identifier_system=SYSTEM, canonical_base=BASE,
        notes=NOTES))
    Bundle.model_validate(data)
    return data


@pytest.mark.parametrize("kind", ["transaction", "collection"])
def test_each_readable_note_is_a_clinical_impression_after_the_observations(kind: str) -> None:
    data = with_notes(kind)
    impressions = resources(data, "ClinicalImpression")
    triage = next(e["fullUrl"] for e in data["entry"]
                  if identifier_value(e["resource"]) == f"{FIRST_ID}/obs/triage")
    assert impressions == [{
        "resourceType": "ClinicalImpression",
        "identifier": [{"system": SYSTEM, "value": f"{FIRST_ID}/note/{note.id}"}],
        "status": "completed",
        "description": "The practitioner's note about the visit",
        "subject": {"type": "Patient", "identifier": {"system": SYSTEM, "value": "client/PX-1"}},
        "effectiveDateTime": "2026-11-27T10:15:03Z",
        "date": note.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "supportingInfo": [{"reference": triage}],
        "note": [{"time": note.created.strftime("%Y-%m-%dT%H:%M:%SZ"), "text": note.text}],
    } for note in NOTES[:2]]
    assert [e["resource"]["resourceType"] for e in data["entry"][-3:]] == [
        "Observation", "ClinicalImpression", "ClinicalImpression"]
    if kind == "transaction":
        assert [e["request"]["ifNoneExist"] for e in data["entry"][-2:]] == [
            f"identifier={SYSTEM}|{FIRST_ID}/note/{n.id}" for n in NOTES[:2]]


def test_a_visit_without_notes_has_no_clinical_impression(first: dict[str, Any]) -> None:
    assert resources(first, "ClinicalImpression") == []


def test_export_fhir_carries_the_notes_added_to_the_visit(
        backpain_home: Path, write_answers: Any, complete_answers: dict[str, Any]) -> None:
    run = command()
    doc = json.loads(run("assess", "--answers", write_answers(complete_answers), "--no-input",
                         "--json", "--note", "First note.").stdout)
    assert run("note", doc["session"], "Second note.").exit_code == 0
    exported = run("export", doc["session"], "--format", "fhir")
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.stdout)
    Bundle.model_validate(data)
    assert [r["note"][0]["text"] for r in resources(data, "ClinicalImpression")] == [
        "First note.", "Second note."]


def test_first_visit_has_no_follows_link(first: dict[str, Any]) -> None:
    assert all("extension" not in r for r in resources(first, "QuestionnaireResponse"))


# --------------------------------------------------------------------------- Questionnaire


def questionnaire_of(module_id: str) -> dict[str, Any]:
    return fhir_questionnaire.questionnaire(REGISTRY.module(module_id), BASE)


def items(q: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["linkId"]: i for i in q["item"]}


@pytest.mark.parametrize("module", [m.id for m in REGISTRY.modules])
def test_questionnaire_items_are_the_module_questions(module: str) -> None:
    q = questionnaire_of(module)
    Questionnaire.model_validate(q)
    source = REGISTRY.module(module)
    assert (q["url"], q["version"], q["title"], q["status"]) == (
        f"{BASE}/Questionnaire/{module}", source.version, source.title, "active")
    assert [i["linkId"] for i in q["item"]] == [x.id for x in source.questions]
    for question in source.questions:
        item = items(q)[question.id]
        # The module's own text: the shipped instrument modules hold scorer labels only.
        assert item["text"] == question.full_text
        assert item["type"] == {"yesno": "boolean", "choice": "choice", "multi": "choice",
                                "int": "integer"}[question.type]
        assert item.get("repeats", False) == (question.type == "multi")


def test_startback_items_and_panel_carry_their_loinc_codes() -> None:
    q = questionnaire_of("startback")
    assert q["code"] == [{"system": "http://loinc.org", "code": "91349-1"}]
    codes = [i["code"][0]["code"] for i in q["item"]]
    assert codes == ["91340-0", "91341-8", "91342-6", "91343-4", "91344-2", "91345-9",
                     "91346-7", "91347-5", "91348-3"]
    assert questionnaire_of("odi")["code"] == [{"system": "http://loinc.org", "code": "97908-8"}]


def test_answer_options_are_coded_like_the_answers() -> None:
    q = items(questionnaire_of("sleep"))["sleep_position"]
    question = REGISTRY.questions()["sleep_position"]
    assert q["answerOption"] == [{"valueCoding": {
        "system": fhir.answer_system("sleep_position"), "code": c.value, "display": c.label}}
        for c in question.choices]
    # The response's answer is one of the options, exactly.
    [answer] = fhir.answer_values("sleep_position", "side", question)
    assert {"valueCoding": answer["valueCoding"]} in q["answerOption"]


def test_int_questions_have_their_bounds() -> None:
    item = items(questionnaire_of("intake"))["age"]
    assert item["extension"] == [
        {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 12},
        {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 110}]


def test_help_text_is_a_display_item() -> None:
    item = items(questionnaire_of("intake"))["pregnancy"]
    [help_item] = item["item"]
    assert (help_item["type"], help_item["linkId"]) == ("display", "pregnancy.help")
    assert help_item["text"] == REGISTRY.questions()["pregnancy"].help


EXISTS = {"operator": "exists", "answerBoolean": True}


@pytest.mark.parametrize(("module", "link_id", "enable_when", "behavior"), [
    ("intake", "pregnancy_weeks", [{"question": "pregnancy", "operator": "=", "answerCoding": {
        "system": fhir.answer_system("pregnancy"), "code": "pregnant",
        "display": "Pregnant now"}}], None),
    ("activity", "exercise_types",
     [{"question": "exercise_days", "operator": ">", "answerInteger": 0}], None),
    # "in" alone: one "=" per value, any of them.
    ("sleep", "knee_pillow", [{"question": "sleep_position", "operator": "=", "answerCoding": {
        "system": fhir.answer_system("sleep_position"), "code": v,
        "display": REGISTRY.questions()["sleep_position"].label(v)}}
        for v in ("side", "back", "mixed")], "any"),
    # v3: not male (an unanswered sex asks it) and 12 to 55.
    ("intake", "pregnancy", [
        {"question": "sex", "operator": "!=", "answerCoding": {
            "system": fhir.answer_system("sex"), "code": "male", "display": "Male"}},
        {"question": "age", "operator": ">=", "answerInteger": 12},
        {"question": "age", "operator": "<=", "answerInteger": 55}], "all"),
    # "!=" on a multi answer: does not include, and answered.
    ("diagnoses", "under_medical_care", [
        {"question": "diagnoses", **EXISTS},
        {"question": "diagnoses", "operator": "!=", "answerCoding": {
            "system": fhir.answer_system("diagnoses"), "code": "none",
            "display": REGISTRY.questions()["diagnoses"].label("none")}}], "all"),
])
def test_shipped_conditions_become_enable_when(module: str, link_id: str,
                                               enable_when: list[dict[str, Any]],
                                               behavior: str | None) -> None:
    item = items(questionnaire_of(module))[link_id]
    assert item["enableWhen"] == enable_when
    assert item.get("enableBehavior") == behavior
    assert item["required"] is True
    assert fhir_questionnaire.SHOWN_WHEN_URL not in json.dumps(item)


def test_a_condition_on_another_module_is_kept_as_text() -> None:
    item = items(questionnaire_of("red_flags"))["rf_pregnancy_warning"]
    assert "enableWhen" not in item
    assert item["required"] is False  # it may be hidden, and FHIR cannot say when
    assert item["extension"] == [{"url": fhir_questionnaire.SHOWN_WHEN_URL,
                                  "valueString": 'pregnancy = "pregnant"'}]


def test_an_all_condition_keeps_what_it_can_say() -> None:
    item = items(questionnaire_of("diagnoses"))["onset_before_45"]
    # pain_duration and age are intake's; the diagnoses and axspa_features tests are local.
    assert item["enableWhen"] == [
        {"question": "diagnoses", **EXISTS},
        {"question": "diagnoses", "operator": "!=", "answerCoding": {
            "system": fhir.answer_system("diagnoses"), "code": "ankylosing_spondylitis",
            "display": REGISTRY.questions()["diagnoses"].label("ankylosing_spondylitis")}},
        {"question": "axspa_features", **EXISTS},
        {"question": "axspa_features", "operator": "!=", "answerCoding": {
            "system": fhir.answer_system("axspa_features"), "code": "onset_before_35",
            "display": REGISTRY.questions()["axspa_features"].label("onset_before_35")}}]
    assert item["enableBehavior"] == "all"
    assert item["required"] is False
    assert item["extension"][0] == {"url": fhir_questionnaire.SHOWN_WHEN_URL, "valueString": (
        'pain_duration = "over_12_weeks" and diagnoses != "ankylosing_spondylitis" and '
        'age >= 45 and axspa_features != "onset_before_35"')}


def module_with(when: str) -> Module:
    return parse_module(f"""
id = "t"
version = "3"
title = "T"
[[questions]]
id = "a"
type = "choice"
text = "A?"
choices = [{{ value = "x", label = "X" }}, {{ value = "y", label = "Y" }}]
[[questions]]
id = "n"
type = "int"
text = "N?"
min = 0
max = 9
[[questions]]
id = "q"
type = "yesno"
text = "Q?"
[questions.when]
{when}
""".encode(), "t.toml", shipped=False)


def coding(v: str) -> dict[str, Any]:
    return {"system": fhir.answer_system("a"), "code": v, "display": v.upper()}


@pytest.mark.parametrize(("when", "enable_when", "behavior", "exact"), [
    ('all = [{ question = "a", operator = "=", value = "x" }, '
     '{ question = "n", operator = "<=", value = 3 }]',
     [{"question": "a", "operator": "=", "answerCoding": coding("x")},
      {"question": "n", "operator": "<=", "answerInteger": 3}], "all", True),
    ('any = [{ question = "a", operator = "in", value = ["x", "y"] }, '
     '{ question = "n", operator = ">", value = 5 }]',
     [{"question": "a", "operator": "=", "answerCoding": coding("x")},
      {"question": "a", "operator": "=", "answerCoding": coding("y")},
      {"question": "n", "operator": ">", "answerInteger": 5}], "any", True),
    ('all = [{ question = "a", operator = "in", value = ["y"] }, '
     '{ question = "n", operator = ">=", value = 1 }]',
     [{"question": "a", "operator": "=", "answerCoding": coding("y")},
      {"question": "n", "operator": ">=", "answerInteger": 1}], "all", True),
    # Neither FHIR behaviour can hold "a in [x, y] and n > 1": n > 1 is kept, shown more often.
    ('all = [{ question = "a", operator = "in", value = ["x", "y"] }, '
     '{ question = "n", operator = ">", value = 1 }]',
     [{"question": "n", "operator": ">", "answerInteger": 1}], None, False),
    ('any = [{ question = "a", operator = "!=", value = "x" }]',
     [{"question": "a", **EXISTS},
      {"question": "a", "operator": "!=", "answerCoding": coding("x")}], "all", True),
    # Alternatives cannot be dropped: that would hide the item when it should be shown.
    ('any = [{ question = "a", operator = "!=", value = "x" }, '
     '{ question = "n", operator = "=", value = 2 }]', [], None, False),
    ('any = [{ question = "elsewhere", operator = "=", value = true }, '
     '{ question = "n", operator = "=", value = 2 }]', [], None, False),
])
def test_enable_when_translation(when: str, enable_when: list[dict[str, Any]],
                                 behavior: str | None, exact: bool) -> None:
    q = fhir_questionnaire.questionnaire(module_with(when), BASE)
    Questionnaire.model_validate(q)
    item = items(q)["q"]
    assert item.get("enableWhen", []) == enable_when
    assert item.get("enableBehavior") == behavior
    assert item["required"] is exact
    shown_when = [e for e in item.get("extension", ())
                  if e["url"] == fhir_questionnaire.SHOWN_WHEN_URL]
    assert bool(shown_when) is not exact


@pytest.mark.parametrize(("module_id", "name"), [
    ("red_flags", "RedFlags"), ("odi", "Odi"), ("_x_1", "X1"), ("schlaf_ä", "Schlaf"),
    ("ä", "Q"),
])
def test_questionnaire_name_is_computable(module_id: str, name: str) -> None:
    assert fhir_questionnaire.computable_name(module_id) == name


# --------------------------------------------------------------------------- which text


def test_questionnaire_is_the_module_as_answered_or_none() -> None:
    # The sample visits were answered to intake, red_flags, diagnoses and activity version
    # 1; the shipped ones are newer (activity since clinical content version 3) and their
    # old text is not on this machine.
    session = read_session(GOLDEN / "JD-042" / "20261029T101500Z-0f9e8d.toml")
    modules = fhir_questionnaire.answered_modules(session, REGISTRY, modules_by_hash(None))
    assert sorted(modules) == ["odi", "sleep", "startback"]
    bundle = transaction(session)
    assert [q["url"].rsplit("/", 1)[1] for q in resources(bundle, "Questionnaire")] == [
        "sleep", "startback", "odi"]
    # Its responses still name the version they answered.
    assert f"{BASE}/Questionnaire/intake|1" in [
        r["questionnaire"] for r in resources(bundle, "QuestionnaireResponse")]


def test_a_changed_module_is_found_by_its_hash() -> None:
    changed = parse_module(
        (Path(__file__).parent.parent / "questionnaires" / "sleep.toml").read_bytes()
        .replace(b'version = "1"', b'version = "1-local"'), "mine/sleep.toml", shipped=False)
    session = dataclasses.replace(make_session(client_answers()), questionnaires=(
        ModuleRef.of(changed),))
    found = fhir_questionnaire.answered_modules(session, REGISTRY, {changed.sha256: changed})
    assert found == {"sleep": changed}
    assert fhir_questionnaire.answered_modules(session, REGISTRY, {}) == {}


# --------------------------------------------------------------------------- settings values


@pytest.mark.parametrize(("value", "problem"), [
    ("urn:backpain:practice:" + str(uuid.UUID(int=1)), None),
    ("https://physio.example/fhir", None),
    ("https://physio.example/a+b%20c", None),
    ("physio.example/fhir", "must be an absolute URI such as https://example.org/fhir or urn:..."),
    ("", "must be an absolute URI such as https://example.org/fhir or urn:..."),
    ("https://physio.example/a b", "must not contain spaces or control characters"),
    ("https://physio.example/\x07", "must not contain spaces or control characters"),
    ("https://physio.example/?x=1#y", "must not contain # ?"),
    ("urn:x|y", "must not contain |"),
    ("https://physio.example/fhir/", "must not end with /"),
])
def test_uri_problem(value: str, problem: str | None) -> None:
    assert settings_file.uri_problem(value) == problem


def test_a_bad_identifier_system_is_one_clear_error() -> None:
    session = make_session(client_answers())
    with pytest.raises(BackpainError) as caught:
        fhir_transaction.bundle(session, REGISTRY, identifier_system="urn:x|y")
    assert str(caught.value) == "fhir_identifier_system 'urn:x|y' must not contain |"
    with pytest.raises(BackpainError) as caught:
        fhir_transaction.bundle(session, REGISTRY, canonical_base="https://x.example/")
    assert str(caught.value) == "fhir_canonical_base 'https://x.example/' must not end with /"


def test_if_none_exist_is_percent_encoded_for_a_query_string() -> None:
    bundle = transaction(make_session(client_answers()), system="https://x.example/a+b&c=d")
    request = bundle["entry"][-1]["request"]
    assert request["ifNoneExist"] == (
        f"identifier=https://x.example/a%2Bb%26c%3Dd|{FIRST_ID}/obs/triage")


def test_defaults_are_the_project_namespace() -> None:
    bundle = json.loads(fhir_transaction.render(make_session(client_answers()), REGISTRY))
    assert bundle["identifier"]["system"] == "urn:backpain:practice:unconfigured"
    practice = uuid.UUID("3f2c9a1e-0b4d-4c7e-9f00-0123456789ab")
    assert settings_file.practice_namespace(practice) == (
        "urn:backpain:practice:3f2c9a1e-0b4d-4c7e-9f00-0123456789ab")
    assert settings_file.uri_problem(settings_file.practice_namespace(practice)) is None


@settings(max_examples=examples(30), deadline=None)
@given(answers=interviews(), draft=st.booleans(), follow_up=st.booleans())
def test_transactions_of_real_interviews_validate(answers: dict[str, AnswerValue],
                                                  draft: bool, follow_up: bool) -> None:
    bundle = transaction(make_session(answers, draft=draft,
                                      follows=FIRST_ID if follow_up else None))
    full_urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(full_urls)) == len(full_urls)
    queries = [e["request"]["ifNoneExist"] for e in bundle["entry"]]
    assert len(set(queries)) == len(queries)
    link_ids = [i["linkId"] for r in resources(bundle, "QuestionnaireResponse")
                for i in r["item"]]
    assert sorted(link_ids) == sorted(answers)


# --------------------------------------------------------------------------- the command


@pytest.fixture
def home(backpain_home: Path) -> Path:
    shutil.copytree(GOLDEN, backpain_home / "sessions")
    return backpain_home


run = command("export")


LATEST = "20261029T101500Z-0f9e8d"


def test_export_bundle_transaction(home: Path) -> None:
    result = run(LATEST, "--format", "fhir", "--bundle", "transaction")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    Bundle.model_validate(data)
    assert data["type"] == "transaction"
    # Without settings, the practice's own namespace, from the id the export created.
    practice = settings_file.load().get("practice_id")
    system = f"urn:backpain:practice:{practice}"
    assert data == json.loads(fhir_transaction.render(
        read_session(GOLDEN / "JD-042" / f"{LATEST}.toml"), REGISTRY,
        fhir_questionnaire.answered_modules(
            read_session(GOLDEN / "JD-042" / f"{LATEST}.toml"), REGISTRY,
            modules_by_hash(None)), identifier_system=system, canonical_base=system))


@pytest.mark.parametrize("bundle", [(), ("--bundle", "collection"), ("--bundle", "COLLECTION")])
def test_export_collection_is_the_default(home: Path, bundle: tuple[str, ...]) -> None:
    result = run(LATEST, "--format", "fhir", *bundle)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["type"] == "collection"
    assert result.stdout == run(LATEST, "--format", "fhir").stdout


@pytest.mark.parametrize("configured", [False, True], ids=["default names", "configured"])
def test_both_bundles_of_the_command_name_everything_alike(home: Path,
                                                           configured: bool) -> None:
    if configured:
        for key, value in (("fhir_identifier_system", SYSTEM), ("fhir_canonical_base", BASE)):
            done = CliRunner().invoke(app, ["config", "set", key, value], prog_name="backpain")
            assert done.exit_code == 0, done.output
    kept = json.loads(run(LATEST, "--format", "fhir").stdout)
    sent = json.loads(run(LATEST, "--format", "fhir", "--bundle", "transaction").stdout)
    assert kept["entry"] == without_requests(sent)
    assert kept["identifier"] == sent["identifier"]
    if configured:
        assert kept["identifier"]["system"] == SYSTEM
        assert {q["url"] for q in resources(kept, "Questionnaire")} == {
            f"{BASE}/Questionnaire/{m}" for m in ("sleep", "startback", "odi")}


@pytest.mark.parametrize(("args", "message"), [
    ((LATEST, "--format", "md", "--bundle", "transaction"),
     "--bundle is only for --format fhir, not md"),
    (("--all", "--format", "csv", "--bundle", "collection"),
     "--bundle is only for --format fhir, not csv"),
    (("--schema", "--bundle", "transaction"),
     "--schema prints the JSON Schema; give it alone (or with -o)"),
])
def test_bundle_usage_errors(home: Path, args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"backpain: usage error: {message}\n"
