"""The interactive interview: the only module that imports questionary (and prompt_toolkit).

Every prompt goes through `QuestionaryAsker._ask`, which always uses `unsafe_ask` so that
Ctrl-C and end of input reach us as exceptions; `run_interview` turns them into our own
`Interrupted` carrying the answers given so far, from which the CLI saves a draft.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import questionary
from prompt_toolkit import print_formatted_text
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.styles import Style

from .answers import next_question
from .errors import Interrupted, InvalidClientError
from .questionnaire import AnswerValue, Module, Question, check_value
from .storage import validate_client

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


class Skip:
    """The answer of an optional question the client chose not to answer."""


SKIP = Skip()

STYLE = Style([
    ("heading", "bold"),
    ("help", "italic"),
    ("qmark", "bold"),
    ("question", "bold"),
    ("instruction", ""),
])


class Asker(Protocol):
    def heading(self, module: Module) -> None: ...

    def ask(self, question: Question, default: AnswerValue | None) -> AnswerValue | Skip: ...

    def ask_client(self) -> str: ...


def int_validator(question: Question) -> Callable[[str], bool | str]:
    """Validation for typed numbers: a message explains the problem and the prompt stays."""

    def validate(text: str) -> bool | str:
        text = text.strip()
        if not text:
            return True if not question.required else "Please type a whole number."
        # int() alone would also take "1_000" and non-ASCII digits such as "٣".
        if not _WHOLE_NUMBER.fullmatch(text):
            return f"Please type a whole number from {question.min} to {question.max}."
        value = int(text)
        reason = check_value(question, value)
        return True if reason is None else f"{reason[0].upper()}{reason[1:]}."

    return validate


YES = ("y", "yes")
NO = ("n", "no")


def yes_no_validator(text: str) -> bool | str:
    if text.strip().lower() in YES + NO:
        return True
    return "Please answer y (yes) or n (no)."


def multi_validator(question: Question) -> Callable[[list[str]], bool | str]:
    def validate(selected: list[str]) -> bool | str:
        reason = check_value(question, tuple(selected))
        if reason is None:
            return True
        return f"{reason[0].upper()}{reason[1:]} (space to tick, enter to confirm)."

    return validate


class QuestionaryAsker:
    """Asks with questionary. `input`/`output` are for tests (prompt_toolkit pipe input)."""

    def __init__(self, *, input: Any = None, output: Any = None) -> None:
        self._io: dict[str, Any] = {}
        if input is not None:
            self._io["input"] = input
        if output is not None:
            self._io["output"] = output

    def _print(self, fragments: list[tuple[str, str]]) -> None:
        # print_formatted_text takes an output but no input.
        output = {"output": self._io["output"]} if "output" in self._io else {}
        print_formatted_text(FormattedText(fragments), style=STYLE, **output)

    def _ask(self, prompt: questionary.Question) -> Any:
        # The one place a prompt is shown. unsafe_ask lets KeyboardInterrupt and EOFError
        # through instead of printing "Cancelled" and returning None.
        return prompt.unsafe_ask()

    def heading(self, module: Module) -> None:
        self._print([("", "\n"), ("class:heading", f"── {module.title} ──")])
        if module.description:
            self._print([("class:help", module.description)])

    def ask(self, question: Question, default: AnswerValue | None) -> AnswerValue | Skip:
        if question.help:
            self._print([("class:help", f"  {question.help}")])
        text = question.text
        common: dict[str, Any] = {"style": STYLE, "qmark": "?", **self._io}
        if question.type == "yesno":
            if isinstance(default, bool):
                return bool(self._ask(questionary.confirm(
                    text, default=default, auto_enter=False, **common)))
            # No default: a stray Enter must never answer "no" to a warning sign.
            answer = self._ask(questionary.text(
                f"{text} (y/n)", validate=yes_no_validator, **common))
            return str(answer).strip().lower() in YES
        if question.type == "choice":
            choices = [questionary.Choice(c.label, value=c.value) for c in question.choices]
            if not question.required:
                choices.append(questionary.Choice("(skip this question)", value="__skip__"))
            answer = self._ask(questionary.select(
                text, choices=choices,
                # A remembered answer whose choice no longer exists is not offered.
                default=default if default in question.choice_values else None,
                use_shortcuts=len(choices) <= 9, **common))
            return SKIP if answer == "__skip__" else str(answer)
        if question.type == "multi":
            ticked = set(default) if isinstance(default, tuple) else set()
            ticked &= set(question.choice_values)
            choices = [questionary.Choice(c.label, value=c.value, checked=c.value in ticked)
                       for c in question.choices]
            answer = self._ask(questionary.checkbox(
                text, choices=choices, validate=multi_validator(question),
                instruction="(space to tick, enter to confirm)", **common))
            return tuple(answer)
        hint = f" ({question.min}–{question.max}{'' if question.required else ', empty to skip'})"
        answer = self._ask(questionary.text(
            text + hint, default="" if default is None else str(default),
            validate=int_validator(question), **common))
        answer = str(answer).strip()
        return SKIP if not answer else int(answer)

    def ask_client(self) -> str:
        def validate(text: str) -> bool | str:
            try:
                validate_client(text.strip())
            except InvalidClientError as exc:
                return str(exc)
            return True

        answer = self._ask(questionary.text(
            "Client reference (initials or practice ID)?", validate=validate,
            style=STYLE, **self._io))
        return str(answer).strip()


def run_interview(
    modules: Sequence[Module],
    answers: dict[str, AnswerValue],
    skipped: set[str],
    asker: Asker,
    defaults: Mapping[str, AnswerValue] | None = None,
) -> None:
    """Ask every shown, unanswered question in order, updating `answers` and `skipped`.

    Conditions are re-evaluated after each answer. On Ctrl-C or end of input raises
    `Interrupted`; `answers` then holds everything answered so far.
    """
    by_module = {m.id: m for m in modules}
    current: str | None = None
    try:
        while (q := next_question(modules, answers, skipped)) is not None:
            if q.module != current:
                current = q.module
                asker.heading(by_module[q.module])
            default = (defaults or {}).get(q.id, q.default)
            value = asker.ask(q, default)
            if isinstance(value, Skip):
                skipped.add(q.id)
            else:
                answers[q.id] = value
    except (KeyboardInterrupt, EOFError):
        raise Interrupted("interview interrupted") from None


def ask_client(asker: Asker) -> str:
    try:
        return asker.ask_client()
    except (KeyboardInterrupt, EOFError):
        raise Interrupted("interview interrupted before it started") from None
