"""A questionnaire module as a FHIR R4 Questionnaire resource.

Built from the module file only (clinical/questionnaire.py), so the Questionnaire says what
the interview asked: `linkId` is the question id, yes/no questions are `boolean`, choice and
multi questions `choice` (multi with `repeats`) with an `answerOption` per choice coded
exactly like the answers in the QuestionnaireResponse (`fhir.answer_system`), int questions
`integer` with the standard minValue/maxValue extensions. Item texts are the module's own:
the shipped STarT Back, Oswestry and Roland-Morris modules are scorers whose texts name the
item, never the licensed wording.

`when` becomes `enableWhen` where FHIR can say exactly the same thing. R4's operators read
like ours on an answered question, so the differences are in the details:

- `!=` is true in FHIR when the question has no answer; ours is false (the clinical reference: any
test
  on an absent answer is false), so in an `all` condition it gets an `exists` companion.
- `in` becomes one `=` per value, which only an `any` condition can hold (or an `all` with
  nothing else in it).
- enableWhen may only name an item of the same Questionnaire, and ours may name a question
  of an earlier module (red_flags asks about pregnancy from intake).
- A negated `=` (`not (sex = male)`) is FHIR's `!=`, true on an unanswered question as ours
  is on an absent answer.

What cannot be said exactly is never approximated by something stricter: the item keeps the
conditions that can be said (for `all`, leaving one out only shows the item more often, never
less), is no longer `required` (it may be hidden), and carries the whole condition as text in
the extension `SHOWN_WHEN_URL`, so nothing is lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..clinical.questionnaire import AnswerValue, Module, Question, Registry, When
from ..records.session import Session
from . import fhir

SHOWN_WHEN_URL = f"{fhir.BASE}/StructureDefinition/shown-when"
MIN_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/maxValue"
ITEM_CONTROL_URL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"

# the clinical reference, "Codes for FHIR export": the STarT Back items in Keele's order, and the
# panels.
# The codes belong to the question ids (a contract), so a practitioner's licensed copy of a
# module, with the same ids, gets them too.
ITEM_CODES: dict[str, str] = {
    f"sbst_{i}": code for i, code in enumerate(
        ("91340-0", "91341-8", "91342-6", "91343-4", "91344-2", "91345-9", "91346-7",
         "91347-5", "91348-3"), 1)
}
ITEM_CODES["pain_now"] = fhir.LOINC_SCORES["nprs_now"]
PANEL_CODES: dict[str, str] = {"startback": "91349-1", "odi": "97908-8"}

_ITEM_TYPE = {"yesno": "boolean", "choice": "choice", "multi": "choice", "int": "integer"}


def answered_modules(session: Session, registry: Registry | None,
                     by_hash: Mapping[str, Module]) -> dict[str, Module]:
    """The modules the session's answers were given to, by id, where they can be found.

    The exact text first (the session records its sha256); otherwise today's module when it
    has the same version, since a version names one questionnaire. A module found neither
    way gets no Questionnaire: its responses still name it by canonical URL and version.
    """
    out: dict[str, Module] = {}
    for ref in session.questionnaires:
        module = by_hash.get(ref.sha256)
        if module is None or module.id != ref.id:
            module = None
            if registry is not None:
                module = next((m for m in registry.modules
                               if m.id == ref.id and m.version == ref.version), None)
        if module is not None:
            out[ref.id] = module
    return out


_NOT_NAME = re.compile(r"[^A-Za-z0-9]")


def computable_name(module_id: str) -> str:
    """`Questionnaire.name`, e.g. RedFlags: FHIR's invariant que-0 wants [A-Z][A-Za-z0-9_]*.

    A module id is a Python identifier, which may hold letters outside ASCII.
    """
    name = "".join(part[:1].upper() + part[1:] for part in module_id.split("_"))
    name = _NOT_NAME.sub("", name)
    return name if name[:1].isupper() else f"Q{name}"


def _answer(question: Question, value: AnswerValue) -> dict[str, Any]:
    """`answer[x]` of an enableWhen, typed like the QuestionnaireResponse answer."""
    [typed] = fhir.answer_values(question.id, value, question)
    key, inner = next(iter(typed.items()))
    return {"answer" + key.removeprefix("value"): inner}


def _enable_when(target: Question, op: str, value: Any) -> dict[str, Any]:
    return {"question": target.id, "operator": op, **_answer(target, value)}


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def condition_text(when: When) -> str:
    """The condition as the module file writes it, e.g. `age >= 45 and pain_now > 3`."""
    joiner = " and " if when.mode == "all" else " or "
    return joiner.join(("not " if c.negate else "") + f"{c.question} {c.operator} {_show(c.value)}"
                       for c in when.conditions)


def _translate(when: When, module: Module) -> tuple[list[dict[str, Any]], str, bool]:
    """(enableWhen items, enableBehavior, exact) for one question's `when`."""
    local = {q.id: q for q in module.questions}
    single = len(when.conditions) == 1
    # A single condition means the same under either behaviour; "any" lets `in` expand.
    mode = "any" if single and when.conditions[0].operator == "in" else when.mode
    out: list[dict[str, Any]] = []
    exact = True
    for cond in when.conditions:
        target = local.get(cond.question)
        if target is None:
            exact = False
        elif cond.negate:
            if cond.operator == "=" and target.type != "multi":
                out.append(_enable_when(target, "!=", cond.value))
            else:
                exact = False
        elif cond.operator == "in":
            if mode == "any" or len(cond.value) == 1:
                out.extend(_enable_when(target, "=", v) for v in cond.value)
            else:
                exact = False
        elif cond.operator == "!=":
            if mode == "all" or single:
                # Ours is false on an unanswered question, FHIR's true: require an answer.
                out.append({"question": target.id, "operator": "exists", "answerBoolean": True})
                out.append(_enable_when(target, "!=", cond.value))
                mode = "all"
            else:
                exact = False
        else:
            out.append(_enable_when(target, cond.operator, cond.value))
    if not exact and mode == "any":
        # Leaving out one alternative would hide the item when it should be shown.
        out = []
    return out, mode, exact


def _initial(question: Question) -> list[dict[str, Any]]:
    default = question.default
    if default is None:
        return []
    return fhir.answer_values(question.id, default, question)


def _item(question: Question, module: Module) -> dict[str, Any]:
    item: dict[str, Any] = {"linkId": question.id}
    if question.id in ITEM_CODES:
        item["code"] = [{"system": fhir.LOINC, "code": ITEM_CODES[question.id]}]
    # With its parts: "Yes if any of these:" belongs to the question (the clinical reference v3).
    item["text"] = question.full_text
    item["type"] = _ITEM_TYPE[question.type]
    required = question.required
    extensions: list[dict[str, Any]] = []
    if question.when is not None:
        enable_when, behavior, exact = _translate(question.when, module)
        if enable_when:
            item["enableWhen"] = enable_when
            if len(enable_when) > 1:
                item["enableBehavior"] = behavior
        if not exact:
            required = False
            extensions.append({"url": SHOWN_WHEN_URL,
                               "valueString": condition_text(question.when)})
    if question.type == "int":
        if question.min is not None:
            extensions.append({"url": MIN_VALUE_URL, "valueInteger": question.min})
        if question.max is not None:
            extensions.append({"url": MAX_VALUE_URL, "valueInteger": question.max})
    if extensions:
        item = {"extension": extensions, **item}
    item["required"] = required
    if question.type == "multi":
        item["repeats"] = True
    if question.choices:
        item["answerOption"] = [
            {"valueCoding": fhir.answer_values(question.id, c.value, question)[0]["valueCoding"]}
            for c in question.choices]
    initial = _initial(question)
    if initial:
        item["initial"] = initial
    if question.help:
        item["item"] = [{
            "extension": [{"url": ITEM_CONTROL_URL, "valueCodeableConcept": {"coding": [
                {"system": ITEM_CONTROL_SYSTEM, "code": "help"}]}}],
            "linkId": f"{question.id}.help",
            "text": question.help,
            "type": "display",
        }]
    return item


def questionnaire(module: Module, canonical_base: str) -> dict[str, Any]:
    """The Questionnaire resource of one module."""
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "url": fhir.questionnaire_url(canonical_base, module.id),
        "version": module.version,
        "name": computable_name(module.id),
        "title": module.title,
        "status": "active",
        "subjectType": ["Patient"],
    }
    if module.description:
        resource["description"] = module.description
    if module.id in PANEL_CODES:
        resource["code"] = [{"system": fhir.LOINC, "code": PANEL_CODES[module.id]}]
    resource["item"] = [_item(q, module) for q in module.questions]
    return resource
