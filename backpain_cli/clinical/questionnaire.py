"""The question model, its TOML loader and validator, and `when` evaluation.

This is the one module that knows the questionnaire format. The interview, the answers-file
path and `review` all go through it, so a questionnaire means the same thing everywhere.

Format (one file per module)::

    id = "sleep"             # module id
    version = "1"
    title = "Sleep"
    order = 30               # position in the interview (lower first)
    optional = false         # true: only asked when named in --instruments
    followup = false         # true: only asked at a follow-up whose previous plan gave an
                             # exercise programme (the clinical reference v3, "followup")
    description = "..."      # optional; for `questionnaires list` (sources, licences)
    intro = "..."            # optional; one short line under the heading in the interview
    form = true              # optional; on the client's intake form (`backpain intake form`):
                             # every question then needs client_text
    client_intro = "..."     # optional; the intro as the client reads it on the form

    [[questions]]
    id = "knee_pillow"
    type = "yesno"           # yesno | choice | multi | int
    text = "Do you sleep with a pillow between or under your knees?"
    help = "..."             # optional
    client_text = "How do you usually sleep?"  # the question as the client reads it on
    client_help = "..."      # the intake form, and its help (plain words: grade 8 at most)
    client_parts = ["..."]   # yes/no questions with parts: the parts in the client's words
    required = true          # default true
    default = false          # optional; must fit the type and choices
    fresh_each_visit = true  # optional; never offered the last visit's answer (see below)
    yes_if_any = ["...", "..."]  # optional, yes/no only: the parts of a question that asks
                                 # several things, shown as "Yes if any of these:" and a list
                                 # (yes_if_both: two parts, "Yes only if both:")
    [questions.when]         # optional; all = [...] or any = [...]
    any = [{ question = "sleep_position", operator = "in", value = ["side", "back"] }]

A condition may add ``negate = true`` (the clinical reference's `not`: true where the test is false,
an absent answer included) and ``if_missing = "absent"`` (an input that was shown but not
given counts as absent instead of leaving the condition undecided: the clinical reference's one
exception, `sex` for `pregnancy`).

Choice and multi questions have ``choices = [{ value = "...", label = "..." }]`` (and
``client_label`` where the form needs other words than the interview); multi
questions may name ``exclusive`` values that must be chosen alone (e.g. "none"). Int
questions have ``min`` and ``max``.

A follow-up visit offers the previous visit's answers as defaults, except for questions that
describe today and must be asked afresh (the clinical reference, "The interview and clinical
safety"):
every question of the modules in ``FRESH_EACH_VISIT_MODULES`` and the questions in
``FRESH_EACH_VISIT_QUESTIONS``, whatever their file says (a practitioner's own copy of a
module must not lose this), and any question or module marked ``fresh_each_visit = true``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from enum import Enum
from pathlib import Path
from typing import Any, Literal, TypeAlias

from ..errors import Problem, QuestionnaireError, UsageError
from ..files import NotReadable, TomlError, loads_toml, packaged, read_bytes
from ..frozen import frozen
from ..safe_text import control_character

AnswerValue: TypeAlias = bool | int | str | tuple[str, ...]
Answers: TypeAlias = Mapping[str, AnswerValue]

QUESTION_TYPES = ("yesno", "choice", "multi", "int")
OPERATORS = ("=", "!=", ">", "<", ">=", "<=", "in")
ORDERING_OPERATORS = (">", "<", ">=", "<=")

_MODULE_KEYS = {"id", "version", "title", "order", "optional", "followup", "description", "intro",
                "questions", "fresh_each_visit", "form", "client_intro"}
_QUESTION_KEYS = {
    "id", "type", "text", "help", "choices", "min", "max", "required", "default", "when",
    "exclusive", "fresh_each_visit", "yes_if_any", "yes_if_both", "client_text", "client_help",
    "client_parts",
}
# The licensed instruments are entered by the practice from the licensed form: never on the
# client's intake form (their licences cover the published form, not a copy of ours).
LICENSED_MODULES = frozenset({"startback", "odi", "rmdq"})
# Warning signs, pregnancy, NPRS and the standard instruments describe today: a follow-up
# visit asks them afresh instead of offering last visit's answer (the clinical reference v2).
# Version 3 adds the weeks since a birth, the pain's duration and the weeks off work (they
# change with time) and the follow-up module.
FRESH_EACH_VISIT_MODULES = frozenset({"red_flags", "startback", "odi", "rmdq", "followup"})
FRESH_EACH_VISIT_QUESTIONS = frozenset({"pregnancy", "pregnancy_weeks", "postpartum_weeks",
                                        "pain_duration", "work_absence_weeks", "pain_now",
                                        "pain_worst_week"})
_CHOICE_KEYS = {"value", "label", "client_label"}
_CONDITION_KEYS = {"question", "operator", "value", "negate", "if_missing"}
# The headings of a yes/no question's parts (the clinical reference v3, "Modules and questions").
PARTS_HEADINGS = {"yes_if_any": "Yes if any of these:", "yes_if_both": "Yes only if both:"}


@frozen
class Choice:
    value: str
    label: str
    # The label on the client's intake form, where the interview's is worded for the
    # practitioner.
    client_label: str | None = None


@frozen
class Condition:
    question: str
    operator: str
    value: Any
    # `not (question operator value)`: true where the test is false, an absent answer too.
    negate: bool = False
    # A shown but unanswered input counts as absent, not as "cannot be decided yet".
    missing_is_absent: bool = False


@frozen
class When:
    mode: Literal["all", "any"]
    conditions: tuple[Condition, ...]

    def questions(self) -> tuple[str, ...]:
        return tuple(c.question for c in self.conditions)


@frozen
class Question:
    id: str
    type: str
    text: str
    module: str
    help: str | None = None
    choices: tuple[Choice, ...] = ()
    min: int | None = None
    max: int | None = None
    required: bool = True
    default: AnswerValue | None = None
    when: When | None = None
    exclusive: tuple[str, ...] = ()
    # Never offered the previous visit's answer (nor a file default) as a default.
    fresh_each_visit: bool = False
    # The parts of a yes/no question that asks several things, and their heading.
    parts: tuple[str, ...] = ()
    parts_heading: str | None = None
    # The client's wording on the intake form (None: not on the form).
    client_text: str | None = None
    client_help: str | None = None
    client_parts: tuple[str, ...] = ()

    @property
    def full_text(self) -> str:
        """The question with its parts as a list, as a reader needs it in one piece."""
        if not self.parts:
            return self.text
        return "\n".join((self.text, str(self.parts_heading), *(f"- {p}" for p in self.parts)))

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)

    def label(self, value: str) -> str:
        for c in self.choices:
            if c.value == value:
                return c.label
        return value


@frozen
class Module:
    id: str
    version: str
    title: str
    order: int
    questions: tuple[Question, ...]
    source: str
    sha256: str
    optional: bool = False
    description: str | None = None
    # Asked only at a follow-up whose previous saved plan holds a programme.
    followup: bool = False
    shipped: bool = True
    # Shown in the interview; the description (licence and source notes) is not.
    intro: str | None = None
    # On the client's intake form, and the intro there.
    form: bool = False
    client_intro: str | None = None


class Unknown(Enum):
    """A condition whose inputs are missing or invalid: neither shown nor hidden."""

    UNKNOWN = "unknown"


UNKNOWN = Unknown.UNKNOWN
Tristate: TypeAlias = bool | Unknown


# --------------------------------------------------------------------------- loading


def _is_int(v: object) -> bool:
    # bool is an int subclass in Python; in answers and files it never counts as one.
    return isinstance(v, int) and not isinstance(v, bool)


def _check_keys(data: Mapping[str, Any], allowed: set[str], where: str, what: str,
                problems: list[Problem]) -> None:
    for key in sorted(set(data) - allowed):
        problems.append(Problem(where, f"unknown key {key!r} in {what}"))


def _parse_choices(raw: Any, where: str, problems: list[Problem]) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(Problem(where, "choices missing (a non-empty list is required)"))
        return ()
    out: list[Choice] = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            problems.append(Problem(where, f"choice {i} is not a table with value and label"))
            continue
        _check_keys(item, _CHOICE_KEYS, where, f"choice {i}", problems)
        value, label = item.get("value"), item.get("label")
        if not isinstance(value, str) or not value:
            problems.append(Problem(where, f"choice {i} has no string value"))
            continue
        if not isinstance(label, str) or not label:
            problems.append(Problem(where, f"choice {value!r} has no label"))
            continue
        client_label = item.get("client_label")
        if client_label is not None and (not isinstance(client_label, str)
                                         or not client_label.strip()):
            problems.append(Problem(where, f"choice {value!r}: client_label must be a "
                                           "non-empty string"))
            continue
        if any(c.value == value for c in out):
            problems.append(Problem(where, f"choice {value!r} appears twice"))
            continue
        out.append(Choice(value, label,
                          client_label.strip() if isinstance(client_label, str) else None))
    return tuple(out)


def _parse_when(raw: Any, where: str, problems: list[Problem]) -> When | None:
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in ("all", "any"):
        problems.append(Problem(where, "when must be a table with exactly one of 'all' or 'any'"))
        return None
    mode = next(iter(raw))
    items = raw[mode]
    if not isinstance(items, list) or not items:
        problems.append(Problem(where, f"when.{mode} must be a non-empty list of conditions"))
        return None
    conditions: list[Condition] = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            problems.append(Problem(where, f"condition {i} is not a table"))
            continue
        _check_keys(item, _CONDITION_KEYS, where, f"condition {i}", problems)
        missing = [k for k in ("question", "operator", "value") if k not in item]
        if missing:
            problems.append(Problem(where, f"condition {i} lacks {', '.join(missing)}"))
            continue
        if not isinstance(item["question"], str):
            problems.append(Problem(where, f"condition {i}: question must be a string"))
            continue
        if item["operator"] not in OPERATORS:
            problems.append(Problem(
                where, f"condition {i}: operator {item['operator']!r} is not one of "
                f"{' '.join(OPERATORS)}"))
            continue
        value = item["value"]
        if isinstance(value, list):
            value = tuple(value)
        negate = item.get("negate", False)
        if not isinstance(negate, bool):
            problems.append(Problem(where, f"condition {i}: negate must be true or false"))
            continue
        if_missing = item.get("if_missing", "unknown")
        if if_missing not in ("unknown", "absent"):
            problems.append(Problem(where, f"condition {i}: if_missing must be \"absent\" or "
                                           "\"unknown\""))
            continue
        conditions.append(Condition(item["question"], item["operator"], value, negate,
                                    if_missing == "absent"))
    if len(conditions) != len(items):
        return None
    return When(mode, tuple(conditions))


def _check_value(q: Question, value: Any, name: Callable[[str], str] = repr) -> str | None:
    """Why `value` is not a valid answer to `q`, or None when it is.

    Shared by defaults in files and answers from people, so both obey the same rules.
    `name` names a choice in the message: its value for files, its label on screen.
    """
    if q.type == "yesno":
        return None if isinstance(value, bool) else "expected yes or no (true/false)"
    if q.type == "int":
        if not _is_int(value):
            return "expected a whole number"
        if q.min is not None and value < q.min:
            return f"{value} is below the minimum {q.min}"
        if q.max is not None and value > q.max:
            return f"{value} is above the maximum {q.max}"
        return None
    if q.type == "choice":
        if not isinstance(value, str):
            return f"expected one of: {', '.join(q.choice_values)}"
        if value not in q.choice_values:
            return f"{value!r} is not one of: {', '.join(q.choice_values)}"
        return None
    # multi
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        return "expected a list of choices"
    if not value:
        return "choose at least one"
    bad = [v for v in value if v not in q.choice_values]
    if bad:
        return f"{', '.join(repr(b) for b in bad)} not among: {', '.join(q.choice_values)}"
    if len(set(value)) != len(value):
        return "a choice is listed twice"
    for ex in q.exclusive:
        if ex in value and len(value) > 1:
            return f"{name(ex)} cannot be combined with other choices"
    return None


def check_value(q: Question, value: Any, name: Callable[[str], str] = repr) -> str | None:
    return _check_value(q, value, name)


def _check_control_characters(raw: Mapping[str, Any], source: str,
                              problems: list[Problem]) -> None:
    """Texts are shown in the terminal and written into exports, where an ESC or a BEL would
    act instead of showing: line breaks and tabs are the only control characters a text may
    hold. Each question's texts are reported under its id, as its other problems are."""
    def walk(value: Any, where: str, path: str) -> None:
        if isinstance(value, str):
            shown = control_character(value)
            if shown is not None:
                problems.append(Problem(where, f"{path} contains the control character "
                                               f"{shown}; a text may hold line breaks and "
                                               "tabs, no other control characters"))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, where, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for i, item in enumerate(value, 1):
                walk(item, where, f"{path}[{i}]")

    for key, value in raw.items():
        if key != "questions" or not isinstance(value, list):
            walk(value, source, key)
            continue
        for i, question in enumerate(value, 1):
            qid = question.get("id") if isinstance(question, dict) else None
            where = (f"{source}: {qid}" if isinstance(qid, str) and qid.isidentifier()
                     else f"{source}: question {i}")
            walk(question, where, "")


def _parse_parts(raw: Mapping[str, Any], qtype: str, where: str,
                 problems: list[Problem]) -> tuple[tuple[str, ...], str | None]:
    """`yes_if_any` or `yes_if_both`: the parts of a yes/no question that asks several things."""
    given = [key for key in PARTS_HEADINGS if key in raw]
    if not given:
        return (), None
    if len(given) > 1:
        problems.append(Problem(where, "give yes_if_any or yes_if_both, not both"))
        return (), None
    key = given[0]
    if qtype != "yesno":
        problems.append(Problem(where, f"{key} is only for yes/no questions"))
        return (), None
    parts = raw[key]
    if not isinstance(parts, list) or len(parts) < 2 or not all(
            isinstance(p, str) and p.strip() for p in parts):
        problems.append(Problem(where, f"{key} must be a list of two or more texts"))
        return (), None
    if key == "yes_if_both" and len(parts) != 2:
        problems.append(Problem(where, "yes_if_both must list exactly two texts"))
        return (), None
    return tuple(p.strip() for p in parts), PARTS_HEADINGS[key]


def _parse_client_wording(raw: Mapping[str, Any], parts: tuple[str, ...], where: str,
                          problems: list[Problem]
                          ) -> tuple[str | None, str | None, tuple[str, ...]]:
    """`client_text`, `client_help` and `client_parts`: the question on the intake form."""
    texts: list[str | None] = []
    for key in ("client_text", "client_help"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append(Problem(where, f"{key} must be a non-empty string"))
            value = None
        texts.append(value.strip() if isinstance(value, str) else None)
    client_parts: tuple[str, ...] = ()
    if "client_parts" in raw:
        given = raw["client_parts"]
        if not parts:
            problems.append(Problem(where, "client_parts needs yes_if_any or yes_if_both"))
        elif not isinstance(given, list) or len(given) != len(parts) or not all(
                isinstance(p, str) and p.strip() for p in given):
            problems.append(Problem(where, f"client_parts must be a list of {len(parts)} "
                                           "texts, one for each part"))
        else:
            client_parts = tuple(p.strip() for p in given)
    if texts[0] is None and (texts[1] is not None or client_parts):
        problems.append(Problem(where, "client_help and client_parts need client_text"))
    return texts[0], texts[1], client_parts


def _parse_question(raw: Any, index: int, module_id: str, where_file: str,
                    problems: list[Problem], module_fresh: bool = False) -> Question | None:
    if not isinstance(raw, dict):
        problems.append(Problem(f"{where_file}: question {index}", "is not a table"))
        return None
    qid = raw.get("id")
    if not isinstance(qid, str) or not qid.isidentifier():
        problems.append(Problem(f"{where_file}: question {index}",
                                "id missing or not a simple name (letters, digits, _)"))
        return None
    where = f"{where_file}: {qid}"
    before = len(problems)
    _check_keys(raw, _QUESTION_KEYS, where, "question", problems)
    qtype = raw.get("type")
    if qtype not in QUESTION_TYPES:
        problems.append(Problem(where, f"type {qtype!r} is not one of {', '.join(QUESTION_TYPES)}"))
        return None
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append(Problem(where, "text missing"))
    help_ = raw.get("help")
    if help_ is not None and not isinstance(help_, str):
        problems.append(Problem(where, "help must be a string"))
    required = raw.get("required", True)
    if not isinstance(required, bool):
        problems.append(Problem(where, "required must be true or false"))
    choices: tuple[Choice, ...] = ()
    if qtype in ("choice", "multi"):
        choices = _parse_choices(raw.get("choices"), where, problems)
    elif "choices" in raw:
        problems.append(Problem(where, f"choices make no sense for a {qtype} question"))
    lo, hi = raw.get("min"), raw.get("max")
    if qtype == "int":
        for name, v in (("min", lo), ("max", hi)):
            if v is None:
                problems.append(Problem(where, f"{name} missing (int questions need min and max)"))
            elif not _is_int(v):
                problems.append(Problem(where, f"{name} must be a whole number"))
        if isinstance(lo, int) and isinstance(hi, int) and _is_int(lo) and _is_int(hi) \
                and lo > hi:
            problems.append(Problem(where, f"min {lo} is greater than max {hi}"))
    elif lo is not None or hi is not None:
        problems.append(Problem(where, f"min/max make no sense for a {qtype} question"))
    exclusive_raw = raw.get("exclusive", [])
    exclusive: tuple[str, ...] = ()
    if qtype != "multi" and "exclusive" in raw:
        problems.append(Problem(where, "exclusive is only for multi questions"))
    elif not isinstance(exclusive_raw, list) or not all(isinstance(e, str) for e in exclusive_raw):
        problems.append(Problem(where, "exclusive must be a list of choice values"))
    else:
        exclusive = tuple(exclusive_raw)
        for e in exclusive:
            if choices and e not in {c.value for c in choices}:
                problems.append(Problem(where, f"exclusive value {e!r} is not a choice"))
    when = _parse_when(raw["when"], where, problems) if "when" in raw else None
    fresh = raw.get("fresh_each_visit", False)
    if not isinstance(fresh, bool):
        problems.append(Problem(where, "fresh_each_visit must be true or false"))
    parts, parts_heading = _parse_parts(raw, qtype, where, problems)
    client_text, client_help, client_parts = _parse_client_wording(raw, parts, where, problems)
    if len(problems) > before:
        return None
    q = Question(
        id=qid, type=qtype, text=str(text).strip(), module=module_id,
        help=help_.strip() if isinstance(help_, str) else None, choices=choices,
        min=lo if _is_int(lo) else None, max=hi if _is_int(hi) else None,
        required=bool(required), when=when, exclusive=exclusive,
        parts=parts, parts_heading=parts_heading, client_text=client_text,
        client_help=client_help, client_parts=client_parts,
        fresh_each_visit=(fresh is True or module_fresh or module_id in FRESH_EACH_VISIT_MODULES
                          or qid in FRESH_EACH_VISIT_QUESTIONS),
    )
    if "default" in raw:
        default = raw["default"]
        if isinstance(default, list):
            default = tuple(default)
        reason = _check_value(q, default)
        if reason is not None:
            problems.append(Problem(where, f"default does not fit the question: {reason}"))
            return None
        q = Question(**{**q.__dict__, "default": default})
    return q


def parse_module(data: bytes, source: str, *, shipped: bool) -> Module:
    """Parse and validate one module file on its own (cross-module checks come later)."""
    problems: list[Problem] = []
    try:
        raw = loads_toml(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        # A line, like the TOML errors: a byte offset means nothing to a practitioner.
        line = data[: exc.start].count(b"\n") + 1
        raise QuestionnaireError([Problem(source, f"line {line}: not UTF-8 text")]) from None
    except TomlError as exc:
        raise QuestionnaireError([Problem(source, f"not valid TOML: {exc}")]) from None
    _check_keys(raw, _MODULE_KEYS, source, "module", problems)
    _check_control_characters(raw, source, problems)
    mid = raw.get("id")
    if not isinstance(mid, str) or not mid.isidentifier():
        problems.append(Problem(source, "module id missing or not a simple name"))
        mid = "?"
    version = raw.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not version:
        problems.append(Problem(source, "module version missing"))
    title = raw.get("title")
    if not isinstance(title, str) or not title:
        problems.append(Problem(source, "module title missing"))
    order = raw.get("order", 1000)
    if not _is_int(order):
        problems.append(Problem(source, "order must be a whole number"))
    optional = raw.get("optional", False)
    if not isinstance(optional, bool):
        problems.append(Problem(source, "optional must be true or false"))
    followup = raw.get("followup", False)
    if not isinstance(followup, bool):
        problems.append(Problem(source, "followup must be true or false"))
    elif followup and optional is True:
        problems.append(Problem(source, "a module cannot be both optional and followup"))
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        problems.append(Problem(source, "description must be a string"))
    intro = raw.get("intro")
    if intro is not None and (not isinstance(intro, str) or not intro.strip()):
        problems.append(Problem(source, "intro must be a non-empty string"))
    module_fresh = raw.get("fresh_each_visit", False)
    if not isinstance(module_fresh, bool):
        problems.append(Problem(source, "fresh_each_visit must be true or false"))
    form = raw.get("form", False)
    if not isinstance(form, bool):
        problems.append(Problem(source, "form must be true or false"))
    elif form and mid in LICENSED_MODULES:
        problems.append(Problem(source, f"{mid} is a licensed instrument: the practice "
                                        "enters it from the licensed form, never on the "
                                        "client's intake form"))
    elif form and (optional is True or followup is True):
        problems.append(Problem(source, "an optional or followup module cannot be on the "
                                        "client's intake form"))
    client_intro = raw.get("client_intro")
    if client_intro is not None and (not isinstance(client_intro, str)
                                     or not client_intro.strip()):
        problems.append(Problem(source, "client_intro must be a non-empty string"))
    raw_questions = raw.get("questions")
    questions: list[Question] = []
    if not isinstance(raw_questions, list) or not raw_questions:
        problems.append(Problem(source, "no [[questions]]"))
    else:
        seen: set[str] = set()
        for i, rq in enumerate(raw_questions, 1):
            q = _parse_question(rq, i, str(mid), source, problems, module_fresh is True)
            if q is None:
                continue
            if q.id in seen:
                problems.append(Problem(f"{source}: {q.id}",
                                        "duplicate question id in this module"))
                continue
            seen.add(q.id)
            questions.append(q)
    if problems:
        raise QuestionnaireError(problems)
    return Module(
        id=str(mid), version=str(version), title=str(title), order=int(order),
        questions=tuple(questions), source=source,
        sha256=_sha256(data), optional=bool(optional), followup=followup is True,
        description=description, shipped=shipped,
        intro=intro.strip() if isinstance(intro, str) else None,
        form=form is True,
        client_intro=client_intro.strip() if isinstance(client_intro, str) else None,
    )


def _read_problem(path: Path, exc: NotReadable) -> Problem:
    return Problem(str(path), f"cannot read: {exc.strerror}" if exc.strerror else exc.reason)


def load_module_file(path: Path, *, shipped: bool = False) -> Module:
    try:
        data = read_bytes(path)
    except NotReadable as exc:
        raise QuestionnaireError([_read_problem(path, exc)]) from None
    return parse_module(data, str(path), shipped=shipped)


def _condition_problem(cond: Condition, target: Question) -> str | None:
    op, value = cond.operator, cond.value
    if op in ORDERING_OPERATORS:
        if target.type != "int":
            return f"operator {op} needs an int question, {target.id} is {target.type}"
        return None if _is_int(value) else f"operator {op} needs a whole number"
    if op == "in":
        if not isinstance(value, tuple) or not value:
            return "operator in needs a non-empty list"
        values: tuple[Any, ...] = value
    else:
        values = (value,)
    for v in values:
        if target.type == "yesno" and not isinstance(v, bool):
            return f"{target.id} is yes/no: compare with true or false"
        if target.type == "int" and not _is_int(v):
            return f"{target.id} is an int question: compare with whole numbers"
        if target.type in ("choice", "multi") and v not in target.choice_values:
            return f"{v!r} is not a choice of {target.id}"
    return None


def validate_modules(modules: Sequence[Module]) -> list[Problem]:
    """Checks that need every module at once: unique ids, `when` references in order."""
    problems: list[Problem] = []
    position: dict[str, int] = {}
    by_id: dict[str, Question] = {}
    where_of: dict[str, str] = {}
    module_of: dict[str, Module] = {}
    n = 0
    for module in sorted(modules, key=lambda m: (m.order, m.id)):
        for q in module.questions:
            if q.id in by_id:
                problems.append(Problem(
                    f"{module.source}: {q.id}",
                    f"duplicate question id (also in {where_of[q.id]})"))
                continue
            by_id[q.id] = q
            where_of[q.id] = module.source
            module_of[q.id] = module
            position[q.id] = n
            n += 1
    for module in modules:
        for q in module.questions:
            if q.when is None or by_id.get(q.id) is not q:
                continue
            where = f"{module.source}: {q.id}"
            for cond in q.when.conditions:
                target = by_id.get(cond.question)
                if target is None:
                    problems.append(Problem(where, f"when refers to unknown question "
                                                   f"{cond.question!r}"))
                elif position[cond.question] >= position[q.id]:
                    problems.append(Problem(where, f"when refers to {cond.question!r}, which is "
                                                   "not asked before this question"))
                elif (module_of[cond.question].optional or module_of[cond.question].followup) \
                        and module_of[cond.question] is not module:
                    # Without that instrument the condition can never be decided, and the
                    # question would silently never be asked.
                    problems.append(Problem(
                        where, f"when refers to {cond.question!r} of the "
                               f"{'optional' if module_of[cond.question].optional else 'followup'}"
                               f" module {module_of[cond.question].id}, which may not be "
                               "included"))
                else:
                    reason = _condition_problem(cond, target)
                    if reason:
                        problems.append(Problem(where, f"when: {reason}"))
    return problems


# --------------------------------------------------------------------------- the registry


@frozen
class Registry:
    """Every known module (shipped, then the practitioner's own), in interview order."""

    modules: tuple[Module, ...]
    replaced: tuple[str, ...] = field(default=())

    def module(self, module_id: str) -> Module:
        for m in self.modules:
            if m.id == module_id:
                return m
        raise KeyError(module_id)

    @property
    def optional_ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.modules if m.optional)

    def select(self, instruments: Iterable[str] = (), *,
               programme_followup: bool = False) -> tuple[Module, ...]:
        """The modules of one interview: every non-optional module plus the named ones; the
        follow-up modules only with `programme_followup` (a follow-up visit whose previous
        saved plan holds a programme)."""
        wanted = set(instruments)
        unknown = sorted(wanted - set(self.optional_ids))
        if unknown:
            raise UsageError(
                f"unknown instrument {', '.join(unknown)}; choose from "
                f"{', '.join(self.optional_ids) or 'none'}")
        return tuple(m for m in self.modules
                     if (not m.optional or m.id in wanted)
                     and (not m.followup or programme_followup))

    def questions(self) -> dict[str, Question]:
        return {q.id: q for m in self.modules for q in m.questions}

    @property
    def form_modules(self) -> tuple[Module, ...]:
        """The modules on the client's intake form, in interview order."""
        return tuple(m for m in self.modules if m.form)


def shipped_paths() -> list[tuple[str, bytes]]:
    """The shipped module files, named as in the repository (questionnaires/NAME.toml)."""
    return list(_shipped())


@functools.cache
def _shipped() -> tuple[tuple[str, bytes], ...]:
    # Read once per process: reading a session file and re-scoring it both need them.
    package = Path(__file__).resolve().parent.parent
    root = packaged(package / "questionnaires", "backpain_cli.questionnaires",
                    package.parent / "questionnaires")
    return tuple(sorted(
        (f"questionnaires/{p.name}", p.read_bytes())
        for p in root.iterdir()
        if p.name.endswith(".toml")
    ))


def _load_all(sources: Iterable[tuple[str, bytes, bool]]) -> tuple[list[Module], list[Problem]]:
    modules: list[Module] = []
    problems: list[Problem] = []
    for source, data, shipped in sources:
        key = (source, data, shipped)
        if key not in _PARSED:
            try:
                _PARSED[key] = parse_module(data, source, shipped=shipped)
            except QuestionnaireError as exc:
                _PARSED[key] = exc.problems
        parsed = _PARSED[key]
        if isinstance(parsed, Module):
            modules.append(parsed)
        else:
            problems.extend(parsed)
    return modules, problems


# Parsing is a pure function of the file's name and bytes: a process that reads a session
# (storage checks its answers) and then re-scores it parses each module once.
_PARSED: dict[tuple[str, bytes, bool], Module | tuple[Problem, ...]] = {}


def _merge(modules: list[Module]) -> tuple[list[Module], list[str]]:
    """Later modules with the same id replace earlier ones (user folder over shipped)."""
    merged: dict[str, Module] = {}
    replaced: list[str] = []
    for m in modules:
        if m.id in merged:
            replaced.append(m.id)
        merged[m.id] = m
    return sorted(merged.values(), key=lambda m: (m.order, m.id)), replaced


def user_questionnaire_files(user_dir: Path | None) -> list[Path]:
    if user_dir is None or not user_dir.is_dir():
        return []
    # Not only is_file(): a FIFO or a broken link named *.toml is reported when read,
    # not skipped in silence.
    return sorted(p for p in user_dir.glob("*.toml") if not p.is_dir())


def check(
    user_dir: Path | None, paths: Sequence[Path] = ()
) -> tuple[Registry | None, list[Problem]]:
    """Validate shipped + user modules, with `paths` taking the place of same-id modules.

    Returns the registry (None when anything failed) and every problem found.
    """
    sources: list[tuple[str, bytes, bool]] = [(s, d, True) for s, d in shipped_paths()]
    problems: list[Problem] = []
    for p in [*user_questionnaire_files(user_dir), *paths]:
        try:
            # A FIFO or device among them must not hang the command (files.py).
            sources.append((str(p), read_bytes(p), False))
        except NotReadable as exc:
            problems.append(_read_problem(p, exc))
    modules, parse_problems = _load_all(sources)
    problems.extend(parse_problems)
    merged, replaced = _merge(modules)
    problems.extend(validate_modules(merged))
    if problems:
        return None, problems
    return Registry(tuple(merged), tuple(replaced)), problems


def form_problems(modules: Sequence[Module]) -> list[Problem]:
    """The questions of a module on the client's intake form that lack the client's wording.

    Reported by `questionnaires check` and refused by `intake form`, but no reason to stop
    an interview: the practitioner's wording is all the interview needs."""
    return [Problem(f"{m.source}: {q.id}", "client_text missing (every question of a module "
                                           "on the client's intake form needs the client's "
                                           "wording)")
            for m in modules if m.form for q in m.questions if q.client_text is None]


def check_with_form(user_dir: Path | None, paths: Sequence[Path] = ()
                    ) -> tuple[Registry | None, list[Problem]]:
    """`check`, and the intake form's wording of the modules on it (`form_problems`)."""
    registry, problems = check(user_dir, paths)
    if registry is not None:
        problems.extend(form_problems(registry.modules))
    return registry, problems


def load_registry(user_dir: Path | None) -> Registry:
    registry, problems = check(user_dir)
    if registry is None:
        raise QuestionnaireError(problems)
    return registry


_BY_HASH: dict[str, dict[str, tuple[str, bytes, bool]]] = {}


def modules_by_hash(user_dir: Path | None) -> Mapping[str, Module]:
    """Every module file valid on its own, shipped or in `user_dir`, by its sha256."""
    _hash_sources(user_dir)
    found = {sha: module_by_hash(user_dir, sha) for sha in _BY_HASH[str(user_dir)]}
    return {sha: m for sha, m in found.items() if m is not None}


def _sha256(data: bytes) -> str:
    # Here, not at the top: hashlib loads OpenSSL (a few ms), which only a questionnaire
    # text being read needs, not a listing or a client's history.
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _hash_sources(user_dir: Path | None) -> dict[str, tuple[str, bytes, bool]]:
    key = str(user_dir)
    sources = _BY_HASH.get(key)
    if sources is None:
        found = [(s, d, True) for s, d in shipped_paths()]
        for p in user_questionnaire_files(user_dir):
            with contextlib.suppress(NotReadable):
                found.append((str(p), read_bytes(p), False))
        sources = _BY_HASH[key] = {_sha256(d): (s, d, shipped)
                                   for s, d, shipped in found}
    return sources


def module_by_hash(user_dir: Path | None, sha256: str) -> Module | None:
    """The module file, shipped or in `user_dir`, whose text has this sha256, if it is valid
    on its own.

    A session records the hash of the exact text its answers were given to, so a module
    found by that hash is that text: its questions can judge the stored answers. Keyed by
    content, nothing here goes stale: files are hashed once per process, and parsed only
    when a session names them. A file that does not parse is simply not found
    (`questionnaires check` reports it).
    """
    source = _hash_sources(user_dir).get(sha256)
    if source is None:
        return None
    modules, _ = _load_all([source])
    return modules[0] if modules else None


# --------------------------------------------------------------------------- conditions


def _compare(answer: AnswerValue, op: str, value: Any) -> bool:
    if isinstance(answer, tuple):
        # Multi answers: "=" means "includes", "!=" means "does not include",
        # "in" means "includes any of".
        if op == "=":
            return value in answer
        if op == "!=":
            return value not in answer
        if op == "in":
            return any(v in answer for v in value)
        return False
    if op == "=":
        return answer == value and type(answer) is type(value)
    if op == "!=":
        return not (answer == value and type(answer) is type(value))
    if op == "in":
        return any(answer == v and type(answer) is type(v) for v in value)
    if not (_is_int(answer) and _is_int(value)):
        return False
    a, v = int(answer), int(value)
    return {">": a > v, "<": a < v, ">=": a >= v, "<=": a <= v}[op]


def evaluate(when: When | None, answers: Answers, hidden: Iterable[str] = ()) -> Tristate:
    """Whether a question is shown: True, False, or UNKNOWN when its inputs are missing.

    A referenced question that was hidden by its own condition counts as absent, and any
    test on an absent answer is false, its negation true (the clinical reference, "Conditions"). A
    referenced question that should have been answered but was not makes that test UNKNOWN,
    and the result too unless the other tests decide it whatever the missing answer would
    be (a false test in `all`, a true one in `any`).
    """
    if when is None:
        return True
    hidden_set = set(hidden)
    results: list[Tristate] = []
    for cond in when.conditions:
        result: Tristate
        if cond.question in answers:
            result = _compare(answers[cond.question], cond.operator, cond.value)
        elif cond.question in hidden_set or cond.missing_is_absent:
            result = False
        else:
            results.append(UNKNOWN)
            continue
        results.append(not result if cond.negate else result)
    if when.mode == "all":
        if any(r is False for r in results):
            return False
        return UNKNOWN if any(r is UNKNOWN for r in results) else True
    if any(r is True for r in results):
        return True
    return UNKNOWN if any(r is UNKNOWN for r in results) else False
