"""Answers: reading an answers file and validating answers against the questionnaires.

Every path that produces answers (an answers file, the interview, a stored session under
`review`) is checked by `validate`, so the rules of the README ("Answers file") hold
everywhere: strict types, every shown question required unless optional, answers to hidden
questions or to instruments that were not included dropped with a warning, unknown ids
reported (with the nearest question id when one is close). Once an emergency-tier warning
sign is answered yes, no other question is required (the clinical reference, "The interview and
clinical safety"): the client goes to emergency care, not through the rest of the interview.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

from ..errors import AnswersError, Problem, UnreadableFileError
from ..files import NotReadable, TomlError, loads_toml, read_bytes
from ..frozen import frozen
from .intake import Intake, read_intake
from .questionnaire import (
    UNKNOWN,
    AnswerValue,
    Module,
    Question,
    Tristate,
    check_value,
    evaluate,
)
from .triage import is_emergency

# [intake]: the file was saved by the client's intake form (issue 21).
_ANSWERS_FILE_KEYS = {"client", "answers", "intake"}


@frozen
class AnswersFile:
    path: str
    client: object | None
    answers: Mapping[str, object]
    problems: tuple[Problem, ...]
    # False when there is no usable [answers] table: that one problem is reported, not
    # every question as missing.
    has_answers: bool = True
    # The [intake] table of a file the client's intake form saved.
    intake: Intake | None = None


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning every failure into one clear line naming file and line."""
    try:
        # A FIFO or a device given as --answers must not hang the command (files.py).
        data = read_bytes(path)
    except NotReadable as exc:
        if exc.errno == errno.ENOENT:
            raise UnreadableFileError(f"{path}: no such file") from None
        raise UnreadableFileError(f"{path}: {exc.reason}") from None
    try:
        # utf-8-sig: editors on Windows put a byte-order mark at the start of UTF-8 files.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UnreadableFileError(f"{path}: line {line}: not UTF-8 text") from None
    try:
        return loads_toml(text)
    except TomlError as exc:
        raise UnreadableFileError(f"{path}: not valid TOML: {exc}") from None


def read_answers_file(path: Path) -> AnswersFile:
    raw = read_toml(path)
    problems: list[Problem] = []
    for key in sorted(set(raw) - _ANSWERS_FILE_KEYS):
        problems.append(Problem(key, "unknown top-level key (expected client and [answers])"))
    answers = raw.get("answers")
    has_answers = isinstance(answers, dict)
    if answers is None:
        problems.append(Problem("answers", "the [answers] table is missing"))
    elif not isinstance(answers, dict):
        problems.append(Problem("answers", "must be a table of question id = answer"))
    intake = None
    if "intake" in raw:
        intake, intake_problems = read_intake(raw["intake"])
        problems.extend(intake_problems)
    return AnswersFile(str(path), raw.get("client"), answers if isinstance(answers, dict) else {},
                       tuple(problems), has_answers, intake)


def merge_answers_files(files: Sequence[AnswersFile]
                        ) -> tuple[dict[str, object], list[Problem]]:
    """The answers of several files (--answers given more than once): a question answered
    in two files is a problem of its own, and neither answer is used."""
    merged: dict[str, object] = {}
    where: dict[str, str] = {}
    twice: dict[str, list[str]] = {}
    for af in files:
        for key, value in af.answers.items():
            if key in where:
                twice.setdefault(key, [where[key]]).append(af.path)
                continue
            merged[key] = value
            where[key] = af.path
    for key in twice:
        del merged[key]
    return merged, [Problem(key, f"answered in more than one file ({', '.join(paths)})")
                    for key, paths in twice.items()]


def normalise(q: Question, value: object) -> AnswerValue:
    """The stored form of a valid answer: multi answers as tuples in the questionnaire's order."""
    if q.type == "multi" and isinstance(value, (list, tuple)):
        chosen = set(value)
        return tuple(v for v in q.choice_values if v in chosen)
    if q.type != "multi" and isinstance(value, (bool, int, str)):
        return value
    # Only reached if a caller skipped check_value: still one problem line, not a traceback.
    raise AnswersError([Problem(q.id, check_value(q, value) or "not a valid answer")])


@frozen
class Validation:
    """The outcome of checking raw answers against the modules of one interview."""

    answers: Mapping[str, AnswerValue]
    problems: tuple[Problem, ...]
    missing: tuple[str, ...]
    dropped: tuple[str, ...]
    hidden: frozenset[str]
    unknown: tuple[str, ...] = field(default=())
    # unknown id -> the question id it is probably a misspelling of.
    suggestions: Mapping[str, str] = field(default_factory=dict)
    # Required questions left unanswered that an emergency sign made unnecessary.
    waived: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return not self.problems and not self.missing and not self.unknown

    def unknown_problem(self, key: str) -> Problem:
        hint = self.suggestions.get(key)
        return Problem(key, "unknown question id" + (f" (did you mean {hint}?)" if hint else ""))

    def all_problems(self, *, missing: bool = True) -> list[Problem]:
        """Every problem in question order, for the exit-3 listing (`missing=False` leaves out
        the missing answers, when a file had no usable [answers] table at all)."""
        out = [self.unknown_problem(u) for u in self.unknown]
        out.extend(self.problems)
        if missing:
            out.extend(Problem(m, "missing (required)") for m in self.missing)
        return out


def questions_of(modules: Sequence[Module]) -> list[Question]:
    return [q for m in modules for q in m.questions]


def walk(modules: Sequence[Module], answers: Mapping[str, AnswerValue]
         ) -> Iterator[tuple[Question, Tristate]]:
    """Every question in interview order with whether its condition shows it.

    Each condition is judged against `answers` as it stands when its question is reached,
    so a caller may add answers between steps (conditions only read earlier questions).
    Questions found hidden are remembered: a test on them counts as absent.
    """
    hidden: set[str] = set()
    for q in questions_of(modules):
        shown = evaluate(q.when, answers, hidden)
        if shown is False:
            hidden.add(q.id)
        yield q, shown


def validate(
    modules: Sequence[Module],
    raw: Mapping[str, object],
    *,
    known_ids: Iterable[str] = (),
    skipped: Iterable[str] = (),
    suggest: bool = False,
) -> Validation:
    """Check `raw` answers question by question, in interview order.

    `known_ids` are ids of questions that exist but are not part of this interview
    (an instrument that was not included): answers to them are dropped, not reported as
    unknown. `skipped` are optional questions the client chose not to answer. With
    `suggest` (answers typed by a person), an unknown id close to a question id is taken
    for a typo of it: the nearest id is suggested and not also listed as missing.
    """
    answers: dict[str, AnswerValue] = {}
    problems: list[Problem] = []
    missing: list[str] = []
    dropped: list[str] = []
    hidden: set[str] = set()
    skipped_set = set(skipped)
    ids = {q.id for q in questions_of(modules)}
    for q, shown in walk(modules, answers):
        if shown is False:
            hidden.add(q.id)
            if q.id in raw:
                dropped.append(q.id)
            continue
        if q.id not in raw:
            if shown is True and q.required and q.id not in skipped_set:
                missing.append(q.id)
            continue
        value = raw[q.id]
        if isinstance(value, list):
            value = tuple(value)
        reason = check_value(q, value)
        if reason is not None:
            problems.append(Problem(q.id, reason))
            continue
        answers[q.id] = normalise(q, value)
    known = set(known_ids)
    unknown = [k for k in raw if k not in ids and k not in known]
    dropped.extend(k for k in raw if k not in ids and k in known)
    suggestions = _suggestions(unknown, sorted(ids | known)) if suggest else {}
    # The id a typo was meant to be is reported once, at the typo, not also as missing.
    missing = [m for m in missing if m not in suggestions.values()]
    waived: list[str] = []
    if missing and emergency_waives(answers):
        waived, missing = missing, []
    return Validation(answers, tuple(problems), tuple(missing), tuple(dropped),
                      frozenset(hidden), tuple(unknown), suggestions, tuple(waived))


def emergency_waives(answers: Mapping[str, AnswerValue]) -> bool:
    """Whether an emergency sign among `answers` makes every other question optional: the
    client goes to emergency care, not through the rest of the interview (the clinical reference).
    The one place this is decided, for `validate` and for whether to prompt at all."""
    return is_emergency(answers)


def questions_open(modules: Sequence[Module], answers: Mapping[str, AnswerValue],
                   skipped: Iterable[str] = ()) -> bool:
    """Whether the interview still has a question to put: one shown and unanswered, unless
    an emergency sign has made every other question optional."""
    return not emergency_waives(answers) and next_question(modules, answers, skipped) is not None


def _suggestions(unknown: Sequence[str], ids: Sequence[str]) -> dict[str, str]:
    import difflib  # only for a misspelt answers file: not on every start-up

    out: dict[str, str] = {}
    for key in unknown:
        close = difflib.get_close_matches(key, ids, n=1, cutoff=0.75)
        if close:
            out[key] = close[0]
    return out


def interview_questions(
    modules: Sequence[Module],
    answers: Mapping[str, AnswerValue],
    skipped: Iterable[str] = (),
) -> list[Question]:
    """The questions of this interview as answers stand: those shown (answered or not) and
    those not decided yet, in order. The interview counts its progress on this list; it
    grows and shrinks as answers show or hide questions, hence "about"."""
    skipped_set = set(skipped)
    out: list[Question] = []
    for q, shown in walk(modules, answers):
        if shown is False:
            continue
        if shown is UNKNOWN and q.when is not None and \
                any(i in skipped_set for i in q.when.questions()):
            # Its input was skipped: it can never be decided, so it is never asked.
            continue
        out.append(q)
    return out


def next_question(
    modules: Sequence[Module],
    answers: Mapping[str, AnswerValue],
    skipped: Iterable[str] = (),
) -> Question | None:
    """The first question that is shown by its condition and still has no answer.

    The interview asks this, stores the answer and calls again, so conditions apply as
    answers come in and a resumed draft asks only what is still open.
    """
    done = set(answers) | set(skipped)
    for q, shown in walk(modules, answers):
        if shown is False:
            continue
        if shown is UNKNOWN:
            # Inputs are asked before the questions that depend on them, so this only
            # happens for a skipped optional input; such a question cannot be decided.
            continue
        if q.id not in done:
            return q
    return None


def shown_default(qid: str, default: AnswerValue | None,
                  answers: Mapping[str, AnswerValue]) -> AnswerValue | None:
    """The default the interview shows: for a client under 35, `axspa_features` comes with
    "began before 35" already ticked (the clinical reference v3); it counts whether ticked or
    not."""
    # Scoring imports Fraction and Decimal: only for this one pre-ticked answer.
    from .scoring import ONSET_BEFORE_35_AGE

    age = answers.get("age")
    if qid != "axspa_features" or not isinstance(age, int) or isinstance(age, bool) \
            or age >= ONSET_BEFORE_35_AGE:
        return default
    kept = default if isinstance(default, tuple) else ()
    return ("onset_before_35", *(v for v in kept if v not in ("onset_before_35", "none")))


def visible_answers(modules: Sequence[Module], answers: Mapping[str, AnswerValue]
                    ) -> dict[str, AnswerValue]:
    """Answers restricted to questions still shown (after a change of an earlier answer)."""
    return dict(validate(modules, answers).answers)
