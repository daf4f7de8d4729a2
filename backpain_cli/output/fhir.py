"""The FHIR R4 resources of a session; fhir_transaction puts them into either Bundle.

- One QuestionnaireResponse per questionnaire module the session used: `linkId` is the
  question id, answers are typed (`valueBoolean`, `valueInteger`, `valueCoding` for choices,
  one `valueCoding` per value for multi-choice), and questions that were hidden or skipped
  are absent, exactly as in the session file.
- One Observation per score, coded with LOINC where the clinical reference gives a code and always
with
  the project's own code system as well, so a receiver can rely on the score key. STarT
  Back and Oswestry also get their panel Observation; the triage level and the warning
  signs behind it get one more (a receiving clinician must not miss them).
- One ClinicalImpression per practitioner's note about the visit (an addendum): the note
  as its Annotation (`time`, `text`), the visit's time as `effectiveDateTime`, the note's as
  `date`, and the triage Observation as what it rests on. One resource a note, not one a
  visit: a note is written once and never changed, so a resource sent once never needs
  replacing when a later note is added (the transaction's conditional creates). A note that
  cannot be read is left out (`review SESSION` names it).
- The subject is a logical reference made from the client reference only (no name, no
  literal `Patient/...` reference: the bundle holds no Patient, and a client reference may
  contain `_`, which a FHIR id may not).

`entries` builds the resources for both Bundles, the collection and the transaction; both
name them by the one naming of fhir_transaction (`Names`), so that the same visit is the
same resources whichever Bundle carries it.

Plain dicts and `json` only: validation with a FHIR model library happens in the tests,
never on the command's import path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..clinical.model import Plan, ScoreValue
from ..clinical.questionnaire import AnswerValue, Question, Registry
from ..frozen import frozen
from ..records.session import Session, iso_utc

if TYPE_CHECKING:
    from ..clinical.followup import Note

BASE = "https://backpain.invalid/fhir"
SCORES_SYSTEM = f"{BASE}/CodeSystem/scores"
TRIAGE_SYSTEM = f"{BASE}/CodeSystem/triage"
RED_FLAG_SYSTEM = f"{BASE}/CodeSystem/red-flags"
TIER_SYSTEM = f"{BASE}/CodeSystem/red-flag-tier"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"

# the clinical reference, "Codes for FHIR export". LOINC display names are left out on purpose: a
# wrong display is an error to validators, and `code.text` carries our own label.
LOINC_SCORES: dict[str, str] = {
    "nprs_now": "72514-3",
    "startback_total": "91351-7",
    "startback_psychosocial": "91350-9",
    "startback_risk": "91352-5",
    "odi_percent": "97909-6",
}
STARTBACK_RISK_ANSWERS: dict[str, tuple[str, str]] = {
    "low": ("LA9194-7", "Low"),
    "medium": ("LA8982-6", "Medium"),
    "high": ("LA9193-9", "High"),
}
# Panels: (LOINC code, label, member score keys).
PANELS = (
    ("91349-1", "STarT Back Screening Tool",
     ("startback_total", "startback_psychosocial", "startback_risk")),
    ("97908-8", "Oswestry Disability Index", ("odi_percent", "odi_band")),
)
SCORE_TEXT: dict[str, str] = {
    "nprs_now": "Pain now (NPRS 0-10)",
    "nprs_worst_week": "Worst pain in the past week (NPRS 0-10)",
    "startback_total": "STarT Back total score",
    "startback_psychosocial": "STarT Back psychosocial subscore",
    "startback_risk": "STarT Back risk group",
    "odi_percent": "Oswestry Disability Index (%)",
    "odi_band": "Oswestry Disability Index band",
    "rmdq_score": "Roland-Morris Disability Questionnaire score",
    "axspa_feature_count": "Inflammatory back pain features",
}
# Which answers a score is computed from: its Observation points at their response.
SCORE_SOURCES: dict[str, tuple[str, ...]] = {
    "nprs_now": ("pain_now",),
    "nprs_worst_week": ("pain_worst_week",),
    "startback_total": tuple(f"sbst_{i}" for i in range(1, 10)),
    "startback_psychosocial": tuple(f"sbst_{i}" for i in range(5, 10)),
    "startback_risk": tuple(f"sbst_{i}" for i in range(1, 10)),
    "odi_percent": tuple(f"odi_{i}" for i in range(1, 11)),
    "odi_band": tuple(f"odi_{i}" for i in range(1, 11)),
    "rmdq_score": tuple(f"rmdq_{i}" for i in range(1, 25)),
    "axspa_feature_count": ("axspa_features",),
}


# The item of the response holding answers that no module knows any more: a module id is
# a Python identifier, so it can never be "no-module".
NO_MODULE = "no-module"


@frozen
class Names:
    """How a Bundle names its resources, the client and the questionnaires answered.

    `full_url` turns an item ("qr/<module>", "obs/<score key>", "obs/panel-<LOINC>",
    "obs/triage") into the entry's fullUrl; references between entries use it too.
    """

    full_url: Callable[[str], str]
    subject: Mapping[str, Any]
    canonical_base: str


def response_item(module_id: str) -> str:
    return f"qr/{module_id or NO_MODULE}"


def questionnaire_url(canonical_base: str, module_id: str) -> str:
    return f"{canonical_base}/Questionnaire/{module_id}"


def answer_system(question_id: str) -> str:
    return f"{BASE}/CodeSystem/answer-{question_id.replace('_', '-')}"


def _coding(qid: str, value: str, question: Question | None) -> dict[str, Any]:
    coding = {"system": answer_system(qid), "code": value}
    if question is not None and question.label(value) != value:
        coding["display"] = question.label(value)
    return coding


def answer_values(qid: str, value: AnswerValue, question: Question | None) -> list[dict[str, Any]]:
    """`value[x]` of a QuestionnaireResponse item, typed from the stored answer."""
    if isinstance(value, bool):
        return [{"valueBoolean": value}]
    if isinstance(value, int):
        return [{"valueInteger": value}]
    if isinstance(value, str):
        return [{"valueCoding": _coding(qid, value, question)}]
    return [{"valueCoding": _coding(qid, v, question)} for v in value]


def _group_answers(session: Session, registry: Registry | None
                   ) -> list[tuple[str, str | None, list[str]]]:
    """(module id, version, question ids in questionnaire order) per module with answers.

    Answers whose question no module knows any more (a questionnaire changed since the
    visit) are kept in a response of their own rather than dropped.
    """
    owner: dict[str, str] = {}
    order: dict[str, int] = {}
    if registry is not None:
        for module in registry.modules:
            for i, q in enumerate(module.questions):
                owner[q.id] = module.id
                order[q.id] = i
    versions = {m.id: m.version for m in session.questionnaires}
    module_order = [m.id for m in session.questionnaires]
    groups: dict[str, list[str]] = {}
    for qid in session.answers:
        groups.setdefault(owner.get(qid, ""), []).append(qid)
    for mid in groups:
        if mid not in module_order:
            module_order.append(mid)
    out = []
    for mid in module_order:
        if mid in groups:
            qids = sorted(groups[mid], key=lambda q: order.get(q, len(order)))
            out.append((mid, versions.get(mid), qids))
    return out


def _response(session: Session, names: Names, module_id: str, version: str | None,
              qids: Sequence[str], questions: Mapping[str, Question]) -> dict[str, Any]:
    items = []
    for qid in qids:
        question = questions.get(qid)
        item: dict[str, Any] = {"linkId": qid}
        if question is not None:
            item["text"] = question.full_text
        item["answer"] = answer_values(qid, session.answers[qid], question)
        items.append(item)
    resource: dict[str, Any] = {"resourceType": "QuestionnaireResponse"}
    if module_id:
        canonical = questionnaire_url(names.canonical_base, module_id)
        resource["questionnaire"] = f"{canonical}|{version}" if version else canonical
    resource.update({
        "status": "in-progress" if session.is_draft else "completed",
        "subject": dict(names.subject),
        "authored": iso_utc(session.created),
        "item": items,
    })
    return resource


def _score_value(key: str, value: ScoreValue) -> dict[str, Any]:
    if isinstance(value, bool):  # never a score, but bool is an int to Python
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        if key == "odi_percent":
            return {"valueQuantity": {"value": value, "unit": "%", "system": UCUM, "code": "%"}}
        return {"valueQuantity": {"value": value}}
    codings = []
    if key == "startback_risk" and value in STARTBACK_RISK_ANSWERS:
        code, display = STARTBACK_RISK_ANSWERS[value]
        codings.append({"system": LOINC, "code": code, "display": display})
    codings.append({"system": f"{BASE}/CodeSystem/{key.replace('_', '-')}", "code": value})
    return {"valueCodeableConcept": {"coding": codings, "text": value.replace("_", " ")}}


def _category() -> list[dict[str, Any]]:
    return [{"coding": [{"system": CATEGORY_SYSTEM, "code": "survey", "display": "Survey"}]}]


def _observation(session: Session, names: Names, code: list[dict[str, Any]], text: str,
                 derived_from: Sequence[str]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": _category(),
        "code": {"coding": code, "text": text},
        "subject": dict(names.subject),
        "effectiveDateTime": iso_utc(session.created),
    }
    if derived_from:
        resource["derivedFrom"] = [{"reference": u} for u in derived_from]
    return resource


def _score_code(key: str) -> list[dict[str, Any]]:
    codes = []
    if key in LOINC_SCORES:
        codes.append({"system": LOINC, "code": LOINC_SCORES[key]})
    codes.append({"system": SCORES_SYSTEM, "code": key})
    return codes


Entry = tuple[str, dict[str, Any]]  # (item, resource); the item names it (see `Names`)


def _observations(session: Session, names: Names, plan: Plan,
                  response_of: Mapping[str, str]) -> list[Entry]:
    def sources(key: str) -> list[str]:
        urls = (response_of[q] for q in SCORE_SOURCES.get(key, ()) if q in response_of)
        return list(dict.fromkeys(urls))

    entries: list[Entry] = []
    url_of: dict[str, str] = {}
    for key, value in plan.scores.items():
        url_of[key] = names.full_url(f"obs/{key}")
        resource = _observation(session, names, _score_code(key), SCORE_TEXT.get(key, key),
                                sources(key))
        resource.update(_score_value(key, value))
        entries.append((f"obs/{key}", resource))
    for code, text, members in PANELS:
        present = [url_of[m] for m in members if m in url_of]
        if not present:
            continue
        panel = _observation(session, names, [{"system": LOINC, "code": code}], text,
                             sources(members[0]))
        panel["hasMember"] = [{"reference": u} for u in present]
        # A score key is an identifier, so "panel-..." never names a score.
        entries.append((f"obs/panel-{code}", panel))
    triage = _observation(session, names, [{"system": SCORES_SYSTEM, "code": "triage"}],
                          "Triage: how soon a doctor should see the client",
                          # Triage reads nearly every module: red flags, age, diagnoses...
                          list(dict.fromkeys(response_of.values())))
    triage["valueCodeableConcept"] = {
        "coding": [{"system": TRIAGE_SYSTEM, "code": plan.triage}],
        "text": plan.triage.replace("_", " ")}
    if plan.red_flags:
        triage["component"] = [
            {"code": {"coding": [{"system": RED_FLAG_SYSTEM, "code": f.id}]},
             "valueCodeableConcept": {"coding": [{"system": TIER_SYSTEM, "code": f.tier}]}}
            for f in plan.red_flags]
    entries.append(("obs/triage", triage))
    return entries


def note_item(note_id: str) -> str:
    return f"note/{note_id}"


def _notes(session: Session, names: Names, notes: Sequence[Note]) -> list[Entry]:
    entries: list[Entry] = []
    for note in notes:
        if note.id is None:
            continue
        resource: dict[str, Any] = {
            "resourceType": "ClinicalImpression",
            "status": "completed",
            "description": "The practitioner's note about the visit",
            "subject": dict(names.subject),
            "effectiveDateTime": iso_utc(session.created),
            "date": iso_utc(note.created),
            "supportingInfo": [{"reference": names.full_url("obs/triage")}],
            "note": [{"time": iso_utc(note.created), "text": note.text}],
        }
        entries.append((note_item(note.id), resource))
    return entries


def entries(session: Session, registry: Registry | None, names: Names,
            questions: Mapping[str, Question] | None = None,
            notes: Sequence[Note] = ()) -> list[Entry]:
    """The QuestionnaireResponses, Observations and notes of a session, in Bundle order.

    `questions` (by id) give the item texts and choice labels; by default the registry's.
    `notes` are the practitioner's notes about the visit (its addenda), oldest first.
    """
    if questions is None:
        questions = registry.questions() if registry is not None else {}
    out: list[Entry] = []
    response_of: dict[str, str] = {}
    for module_id, version, qids in _group_answers(session, registry):
        item = response_item(module_id)
        out.append((item, _response(session, names, module_id, version, qids, questions)))
        url = names.full_url(item)
        response_of.update((q, url) for q in qids)
    if session.plan is not None and not session.is_draft:
        out += _observations(session, names, session.plan, response_of)
        # A note is added to a completed visit only (flows/note.py).
        out += _notes(session, names, notes)
    return out
