"""A session as a FHIR R4 Bundle: a transaction (what a practice sends to its own FHIR
server) or a collection (a file to hand on), one naming for both.

The resources are the QuestionnaireResponses and Observations of backpain_cli.output.fhir,
after the Questionnaire of each module answered (fhir_questionnaire), named so that a server
or any other consumer can recognise them. Both Bundles hold the same entries, with the same
fullUrls, identifiers and canonical URLs; the transaction adds each entry's request, so a
consumer de-duplicates a visit whichever Bundle brought it, and renders a collection's
responses with the Questionnaires beside them:

- Every resource has an identifier under the practice's identifier system, made from the
  session id and the item: `<session>/qr/<module>`, `<session>/obs/<score key>`,
  `<session>/obs/panel-<LOINC>`, `<session>/obs/triage`, `<session>/note/<addendum id>` (a
  practitioner's note, a ClinicalImpression). A Questionnaire is identified by
  its canonical URL and version, `<canonical base>/Questionnaire/<module>` `|<version>`.
- Every entry is a conditional create (`POST` with `ifNoneExist` on that identifier, or on
  url and version), so sending the same Bundle twice stores nothing twice.
- `fullUrl` is `urn:uuid:` + uuid5 of the identifier (stable, different for every practice),
  and the Bundle's references between resources (derivedFrom, hasMember) use those URNs,
  which the server replaces with the ids it stores them under.
- The client stays a logical reference, an identifier only: `client/<client reference>`
  under the practice's system. No Patient resource is sent: the practice's own record of the
  client (with a name) usually exists already and is theirs to link; creating a nameless
  Patient next to it would give the client two records.
- A follow-up visit names the visit it follows: each QuestionnaireResponse carries the
  extension `FOLLOWS_URL` with a reference, by identifier, to the previous visit's response
  to the same questionnaire (`<previous session>/qr/<module>`). R4 has no element for this:
  QuestionnaireResponse.basedOn is for care plans and orders, partOf for observations and
  procedures, and Observation.derivedFrom would claim the scores were computed from it.

The identifier system and canonical base come from the practice's settings; their defaults
(`DEFAULT_PRACTICE_NAMESPACE`) are URNs under the project's own namespace, which name the
practice without pretending to be an address that resolves. `uri_problem` (records.settings)
is the one check of both values.
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..clinical.questionnaire import Module, Question, Registry
from ..errors import BackpainError
from ..records.session import Session, iso_utc

# The rules of the settings' FHIR values live with the settings, which check them on reading.
from ..records.settings import PRACTICE_NAMESPACE_PREFIX, uri_problem
from ..safe_text import to_json
from . import fhir, fhir_questionnaire
from .formats import ExportItem

if TYPE_CHECKING:
    from ..clinical.followup import Note

# Until a practice has its own id (a random one, created once and kept in the settings).
DEFAULT_PRACTICE_NAMESPACE = f"{PRACTICE_NAMESPACE_PREFIX}unconfigured"
FOLLOWS_URL = f"{fhir.BASE}/StructureDefinition/follows"
CLIENT_PREFIX = "client/"

def _checked(key: str, value: str) -> str:
    problem = uri_problem(value)
    if problem is not None:
        raise BackpainError(f"{key} {value!r} {problem}")
    return value


def _token(system: str, value: str) -> str:
    """`system|value` as a search parameter value, percent-encoded for a query string."""
    return f"{urllib.parse.quote(system, safe=':/')}|{urllib.parse.quote(value, safe=':/')}"


def _urn(system: str, value: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{system}|{value}')}"


def _answered_questions(registry: Registry | None,
                        modules: Mapping[str, Module]) -> dict[str, Question]:
    """Item texts and labels from the modules as answered (their Questionnaires say so)."""
    questions = registry.questions() if registry is not None else {}
    for module in modules.values():
        questions.update((q.id, q) for q in module.questions)
    return questions


def _entry(full_url: str, resource: dict[str, Any], if_none_exist: str) -> dict[str, Any]:
    return {"fullUrl": full_url, "resource": resource, "request": {
        "method": "POST", "url": resource["resourceType"], "ifNoneExist": if_none_exist}}


def _with_first(resource: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """`resource` with `key` right after resourceType, where a reader looks for it."""
    head = {"resourceType": resource["resourceType"], key: value}
    return {**head, **{k: v for k, v in resource.items() if k not in head}}


def _questionnaire_entry(module: Module, system: str, base: str) -> dict[str, Any]:
    resource = fhir_questionnaire.questionnaire(module, base)
    url, version = resource["url"], resource["version"]
    resource = _with_first(resource, "identifier", [{
        "system": system, "value": f"questionnaire/{module.id}/{version}"}])
    full_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{url}|{version}')}"
    query = (f"url={urllib.parse.quote(url, safe=':/')}"
             f"&version={urllib.parse.quote(version, safe='')}")
    return _entry(full_url, resource, query)


def names(session: Session, system: str, base: str) -> fhir.Names:
    """The one naming of both Bundles: fullUrls, the client's identifier, canonical URLs."""
    return fhir.Names(
        full_url=lambda item: _urn(system, f"{session.id}/{item}"),
        subject={"type": "Patient", "identifier": {
            "system": system, "value": CLIENT_PREFIX + session.client}},
        canonical_base=base)


def _entries(session: Session, registry: Registry | None, modules: Mapping[str, Module],
             system: str, base: str, notes: Sequence[Note] = ()) -> list[dict[str, Any]]:
    """Every entry of both Bundles, each with the request the transaction sends it by."""

    def value_of(item: str) -> str:
        return f"{session.id}/{item}"

    named = names(session, system, base)
    found = fhir.entries(session, registry, named, _answered_questions(registry, modules),
                         notes)
    out: list[dict[str, Any]] = []
    # The Questionnaires first: what the responses after them answer.
    for item, _ in found:
        module_id = item.removeprefix("qr/")
        if item.startswith("qr/") and module_id in modules:
            out.append(_questionnaire_entry(modules[module_id], system, base))
    for item, resource in found:
        identifier = {"system": system, "value": value_of(item)}
        # QuestionnaireResponse.identifier is one Identifier; Observation's and
        # ClinicalImpression's are lists.
        is_response = resource["resourceType"] == "QuestionnaireResponse"
        resource = _with_first(resource, "identifier", identifier if is_response else [identifier])
        # Answers no module knows have no counterpart to point at in the previous visit, nor
        # has a module asked only at a follow-up (how often the last programme was done).
        module = modules.get(item.removeprefix("qr/"))
        if (is_response and session.follows and item != fhir.response_item("")
                and not (module is not None and module.followup)):
            previous = {"system": system, "value": f"{session.follows}/{item}"}
            resource = _with_first(resource, "extension", [{
                "url": FOLLOWS_URL, "valueReference": {
                    "type": "QuestionnaireResponse", "identifier": previous}}])
        out.append(_entry(named.full_url(item), resource,
                          f"identifier={_token(system, value_of(item))}"))
    return out


TRANSACTION = "transaction"
COLLECTION = "collection"


def bundle(session: Session, registry: Registry | None = None,
           modules: Mapping[str, Module] | None = None, *, kind: str = TRANSACTION,
           identifier_system: str = DEFAULT_PRACTICE_NAMESPACE,
           canonical_base: str = DEFAULT_PRACTICE_NAMESPACE,
           notes: Sequence[Note] = ()) -> dict[str, Any]:
    """The Bundle of `kind` (transaction or collection) as plain data (what `render`
    serialises).

    `modules` are the modules as answered, by id (`fhir_questionnaire.answered_modules`);
    each of them with a response becomes a Questionnaire entry; `notes`, the practitioner's
    notes about the visit, a ClinicalImpression each.
    """
    system = _checked("fhir_identifier_system", identifier_system)
    base = _checked("fhir_canonical_base", canonical_base)
    entries = _entries(session, registry, modules or {}, system, base, notes)
    if kind == COLLECTION:
        entries = [{k: v for k, v in e.items() if k != "request"} for e in entries]
    return {
        "resourceType": "Bundle",
        "identifier": {"system": system, "value": session.id},
        "type": kind,
        "timestamp": iso_utc(session.created),
        "entry": entries,
    }


def render(session: Session, registry: Registry | None = None,
           modules: Mapping[str, Module] | None = None, *, kind: str = TRANSACTION,
           identifier_system: str = DEFAULT_PRACTICE_NAMESPACE,
           canonical_base: str = DEFAULT_PRACTICE_NAMESPACE,
           notes: Sequence[Note] = ()) -> str:
    data = bundle(session, registry, modules, kind=kind, identifier_system=identifier_system,
                  canonical_base=canonical_base, notes=notes)
    return to_json(data)


def export(item: ExportItem) -> str:
    """`export --format fhir` (output/formats.py): the collection or transaction Bundle,
    with the Questionnaires of the modules as answered; both name everything alike
    (`names`), and the practitioner's notes about the visit."""
    # The practice's names from the settings; by default its own namespace, from a
    # practice id created the first time and kept, so every export names things alike.
    system, base = item.sources.fhir_names()
    registry = item.sources.registry()
    modules = fhir_questionnaire.answered_modules(item.session, registry,
                                                  item.sources.modules_by_hash())
    return render(item.session, registry, modules, kind=item.bundle,
                  identifier_system=system, canonical_base=base,
                  notes=item.sources.notes(item.session))
