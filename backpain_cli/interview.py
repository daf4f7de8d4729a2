"""The interactive interview: the only module that imports questionary (and prompt_toolkit).

Every prompt goes through `QuestionaryAsker._ask`, which always uses `unsafe_ask` so that
Ctrl-C and end of input reach us as exceptions; `run_interview` turns them into our own
`Interrupted` carrying the answers given so far, from which the CLI saves a draft.

Safety comes first (the clinical reference, "The interview and clinical safety"): as soon as an
answer
raises an emergency-tier warning sign the referral is shown and the practitioner may end the
interview there; a same-day or urgent flag is acknowledged in one line. Which flags count
and at what tier is `triage.red_flags`' decision, never this module's.

Each prompt is erased when answered and replaced by one line with the question and the
answer as it was shown on screen (labels, not stored values), so a number typed over a
remembered default, a ticked list and an accepted default all read back the same way.
"""

from __future__ import annotations

import re
import shutil
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import questionary
from prompt_toolkit import print_formatted_text
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.styles import Style

from .clinical import checks as consistency
from .clinical.answers import interview_questions, next_question, shown_default
from .clinical.handout_choice import note_problem
from .clinical.questionnaire import AnswerValue, Module, Question, check_value
from .clinical.triage import (
    EMERGENCY,
    FRAGILITY_FRACTURE,
    RISK_FACTORS,
    SAME_DAY,
    TEAM_AWARE,
    URGENT,
    red_flags,
)
from .errors import Interrupted, InvalidClientError
from .frozen import frozen
from .output.wording import answer_text, emergency_lines, warning_signs
from .records.paths import validate_client

if TYPE_CHECKING:
    from .clinical.model import Plan, RedFlag

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
# Typed at an optional number prompt that has a default, to leave the question unanswered.
SKIP_KEY = "-"
MULTI_HINT = "(space to tick, enter to confirm)"
URGENT_LINE = ("this client should see a doctor within days; the interview goes on for "
               "sleep and activity advice")
SAME_DAY_LINE = ("this client should see a doctor today; the interview goes on for sleep and "
                 "activity advice")


class Skip:
    """The answer of an optional question the client chose not to answer."""


SKIP = Skip()

STYLE = Style([
    ("heading", "bold"),
    ("help", "italic"),
    ("qmark", "bold"),
    ("question", "bold"),
    ("instruction", ""),
    ("emergency", "bold reverse"),
    ("urgent", "bold"),
    ("check", "bold"),
])


@frozen
class Progress:
    """Where a module's questions sit in the interview: first and last number, and the
    total as answers stand (questions shown or hidden later change it, hence "about")."""

    first: int
    last: int
    total: int

    def __str__(self) -> str:
        span = f"question {self.first}" if self.first == self.last \
            else f"questions {self.first}–{self.last}"
        return f"{span} of about {self.total}"


ALWAYS_ON = "always on the handout"


@frozen
class HandoutOffer:
    """What the handout checklist offers: the plan's advice in plan order as (id, title,
    required), the ids picked now, the exercises as (id, label), those dropped now, the
    note to the client so far, and how many pieces of advice may be picked."""

    advice: Sequence[tuple[str, str, bool]]
    picked: frozenset[str]
    exercises: Sequence[tuple[str, str]]
    dropped: frozenset[str]
    note: str | None
    most: int


@frozen
class HandoutAnswer:
    """The practitioner's answer to the handout checklist."""

    picks: tuple[str, ...]
    drops: tuple[str, ...]
    note: str | None


class Asker(Protocol):
    def intro(self, text: str) -> None: ...

    def heading(self, module: Module, progress: Progress) -> None: ...

    def urgent(self, flags: Sequence[RedFlag]) -> None: ...

    def same_day(self, flags: Sequence[RedFlag]) -> None: ...

    def check(self, line: str) -> None: ...

    def emergency(self, plan: Plan) -> bool: ...

    def ask(self, question: Question, default: AnswerValue | None, *,
            last_visit: bool = False) -> AnswerValue | Skip: ...

    def ask_client(self) -> str: ...


def _on_screen(question: Question) -> Callable[[str], str]:
    """Names a choice in a validation message by its label, as it is shown."""
    return lambda value: f"“{question.label(value)}”"


def _sentence(reason: str) -> str:
    return f"{reason[0].upper()}{reason[1:]}"


def int_validator(question: Question, default: int | None = None
                  ) -> Callable[[str], bool | str]:
    """Validation for typed numbers: a message explains the problem and the prompt stays."""

    def validate(text: str) -> bool | str:
        text = text.strip()
        if not text:
            if default is not None or not question.required:
                return True
            return "Please type a whole number."
        if text == SKIP_KEY and default is not None and not question.required:
            return True
        # int() alone would also take "1_000" and non-ASCII digits such as "٣".
        if not _WHOLE_NUMBER.fullmatch(text):
            return f"Please type a whole number from {question.min} to {question.max}."
        reason = check_value(question, int(text))
        return True if reason is None else f"{_sentence(reason)}."

    return validate


YES = ("y", "yes")
NO = ("n", "no")


def yes_no_validator(text: str) -> bool | str:
    if text.strip().lower() in YES + NO:
        return True
    return "Please answer y (yes) or n (no)."


def multi_validator(question: Question) -> Callable[[list[str]], bool | str]:
    def validate(selected: list[str]) -> bool | str:
        reason = check_value(question, tuple(selected), _on_screen(question))
        if reason is None:
            return True
        return f"{_sentence(reason)} {MULTI_HINT}."

    return validate


def number_hint(question: Question, default: int | None, *, last_visit: bool) -> str:
    """What a number prompt says after the question: the range, and what Enter does."""
    parts = [f"{question.min}–{question.max}"]
    if default is not None:
        where = "last visit" if last_visit else "default"
        parts.append(f"{where}: {default}, Enter keeps it")
        if not question.required:
            parts.append(f"{SKIP_KEY} to skip")
    elif not question.required:
        parts.append("empty to skip")
    return f" ({'; '.join(parts)})"


class QuestionaryAsker:
    """Asks with questionary. `input`/`output` are for tests (prompt_toolkit pipe input);
    `columns` fixes the width prompts are wrapped to (else the terminal's)."""

    def __init__(self, *, input: Any = None, output: Any = None,
                 columns: int | None = None) -> None:
        self._io: dict[str, Any] = {}
        if input is not None:
            self._io["input"] = input
        if output is not None:
            self._io["output"] = output
        self._columns = columns

    # ----------------------------------------------------------------------- output

    def _width(self) -> int:
        if self._columns is not None:
            return self._columns
        if "output" in self._io:
            return int(self._io["output"].get_size().columns)
        return shutil.get_terminal_size().columns

    def _wrap(self, text: str, indent: str = "", first: str = "") -> str:
        """Wrapped at word boundaries to the terminal: a terminal would cut words."""
        # One column spare: a line exactly as wide as the terminal makes some wrap early.
        width = max(20, self._width() - 1)
        return textwrap.fill(text, width=width, initial_indent=first,
                             subsequent_indent=indent, break_long_words=False,
                             break_on_hyphens=False)[len(first):]

    def _fit(self, label: str) -> str:
        """A checklist line cut at a word to the terminal, with "…": prompt_toolkit cuts a
        choice at the edge mid-word (an exercise's dose read "3 days a we"). The full text
        is in the plan printed above the checklist."""
        # The pointer and the box before a choice take five columns, and one is spare.
        room = max(20, self._width() - 6)
        if len(label) <= room:
            return label
        cut = label[:room - 1].rsplit(" ", 1)[0].rstrip(",;:")
        return f"{cut}…"

    def _print(self, fragments: list[tuple[str, str]]) -> None:
        # print_formatted_text takes an output but no input.
        output = {"output": self._io["output"]} if "output" in self._io else {}
        print_formatted_text(FormattedText(fragments), style=STYLE, **output)

    def _say(self, text: str, style: str = "", indent: str = "") -> None:
        self._print([(style, indent + self._wrap(text, indent, indent))])

    def _ask(self, prompt: questionary.Question) -> Any:
        # The one place a prompt is shown. unsafe_ask lets KeyboardInterrupt and EOFError
        # through instead of printing "Cancelled" and returning None.
        return prompt.unsafe_ask()

    def _message(self, question: Question, suffix: str = "") -> str:
        """The prompt's question, with the parts of a question that asks several things as
        a list under "Yes if any of these:" (the clinical reference v3); `suffix` ends the last
        line."""
        if not question.parts:
            return self._wrap(question.text + suffix, "  ", "? ")
        lines = [self._wrap(question.text, "  ", "? "), f"  {question.parts_heading}"]
        for n, part in enumerate(question.parts, 1):
            end = suffix if n == len(question.parts) else ""
            lines.append("  - " + self._wrap(part + end, "    ", "  - "))
        return "\n".join(lines)

    def _echo(self, text: str, answer: str) -> None:
        question = self._wrap(text, "  ", "? ")
        self._print([("class:qmark", "?"), ("", " "), ("class:question", question),
                     ("class:answer", self._after(f"? {question}", answer))])

    def _after(self, shown: str, answer: str) -> str:
        """`answer` to follow `shown`, wrapped at words as the question is: a terminal would
        cut it wherever the edge falls ("work" then ")" alone on the next line)."""
        width = max(20, self._width() - 1)
        column = len(shown.rsplit("\n", 1)[-1]) + 1
        words = answer.split(" ")
        if column + len(words[0]) > width:
            # Not even its first word fits after the question: on a line of its own.
            return "\n" + textwrap.fill(answer, width=width, initial_indent="  ",
                                         subsequent_indent="  ", break_long_words=False,
                                         break_on_hyphens=False)
        filled = textwrap.fill(answer, width=width, initial_indent="#" * column,
                               subsequent_indent="  ", break_long_words=False,
                               break_on_hyphens=False)
        return " " + filled[column:]

    def _common(self) -> dict[str, Any]:
        # erase_when_done: the prompt is replaced by `_echo`'s line once answered.
        return {"style": STYLE, "qmark": "?", "erase_when_done": True, **self._io}

    # ----------------------------------------------------------------------- the interview

    def intro(self, text: str) -> None:
        self._say(text)

    def heading(self, module: Module, progress: Progress) -> None:
        self._print([("", "\n"), ("class:heading", f"── {module.title} — {progress} ──")])
        if module.intro:
            self._say(module.intro, "class:help")

    def urgent(self, flags: Sequence[RedFlag]) -> None:
        self._say(f"Urgent sign ({warning_signs(flags, tiers=False)}): {URGENT_LINE}.",
                  "class:urgent")

    def same_day(self, flags: Sequence[RedFlag]) -> None:
        self._say(f"Same-day sign ({warning_signs(flags, tiers=False)}): {SAME_DAY_LINE}.",
                  "class:urgent")

    def check(self, line: str) -> None:
        """A consistency check that holds: the question it asks again comes next."""
        self._say(f"Check: {line}.", "class:check")

    def emergency(self, plan: Plan) -> bool:
        """Show the emergency referral at once; True when the practitioner ends here."""
        headline, signs, *rest = emergency_lines(plan)
        self._print([("", "\n"), ("class:emergency", f" {headline} ")])
        self._say(signs, "class:urgent")
        for line in rest:
            self._say(line)
        end = bool(self._ask(questionary.confirm(
            self._wrap("End the interview now? The session is saved with the answers so far "
                       "and this referral as its plan.", "  ", "? "),
            default=True, auto_enter=False, **self._common())))
        self._echo("End the interview now?", "yes" if end else "no, continue")
        if not end:
            self._say("The interview goes on; the plan stays an emergency referral.",
                      "class:help")
        return end

    def ask(self, question: Question, default: AnswerValue | None, *,
            last_visit: bool = False) -> AnswerValue | Skip:
        if question.help:
            self._say(question.help, "class:help", "  ")
        value = self._prompt(question, default, last_visit)
        self._echo(question.text, "(skipped)" if isinstance(value, Skip)
                   else answer_text(value, question))
        return value

    def _prompt(self, question: Question, default: AnswerValue | None,
                last_visit: bool) -> AnswerValue | Skip:
        text = question.text
        common = self._common()
        if question.type == "yesno":
            if isinstance(default, bool):
                return bool(self._ask(questionary.confirm(
                    self._message(question), default=default, auto_enter=False,
                    **common)))
            # No default: a stray Enter must never answer "no" to a warning sign.
            answer = self._ask(questionary.text(
                self._message(question, " (y/n)"), validate=yes_no_validator,
                **common))
            return str(answer).strip().lower() in YES
        if question.type == "choice":
            choices = [questionary.Choice(c.label, value=c.value) for c in question.choices]
            if not question.required:
                choices.append(questionary.Choice("(skip this question)", value="__skip__"))
            shortcuts = len(choices) <= 9
            hint = "(arrow keys or number, Enter to choose)" if shortcuts \
                else "(arrow keys, Enter to choose)"
            answer = self._ask(questionary.select(
                # The instruction is wrapped with the question: questionary would put it
                # after the message and the terminal would cut it mid-word.
                self._wrap(f"{text} {hint}", "  ", "? "), instruction=" ", choices=choices,
                # A remembered answer whose choice no longer exists is not offered.
                default=default if default in question.choice_values else None,
                use_shortcuts=shortcuts, **common))
            return SKIP if answer == "__skip__" else str(answer)
        if question.type == "multi":
            ticked = set(default) if isinstance(default, tuple) else set()
            ticked &= set(question.choice_values)
            choices = [questionary.Choice(c.label, value=c.value, checked=c.value in ticked)
                       for c in question.choices]
            answer = self._ask(questionary.checkbox(
                self._wrap(f"{text} {MULTI_HINT}", "  ", "? "), instruction=" ",
                choices=choices, validate=multi_validator(question), **common))
            return tuple(answer)
        number = default if isinstance(default, int) and not isinstance(default, bool) \
            and check_value(question, default) is None else None
        # The default is named in the prompt, not put in the input as editable text:
        # typing must replace it (typing 0 over a remembered 1 must not give 10).
        answer = str(self._ask(questionary.text(
            self._wrap(text + number_hint(question, number, last_visit=last_visit),
                       "  ", "? "),
            validate=int_validator(question, number), **common))).strip()
        if not answer:
            return number if number is not None else SKIP
        return SKIP if answer == SKIP_KEY else int(answer)

    def ask_client(self) -> str:
        def validate(text: str) -> bool | str:
            try:
                validate_client(text.strip())
            except InvalidClientError as exc:
                return str(exc)
            return True

        answer = str(self._ask(questionary.text(
            "Client reference (initials or practice ID)?", validate=validate,
            **self._common()))).strip()
        self._echo("Client reference (initials or practice ID)?", answer)
        return answer

    def handout(self, offer: HandoutOffer) -> HandoutAnswer:
        """The checklist of what goes on the client's handout: the advice (the tool's picks
        ticked, what is always on shown but not choosable), the exercises (all ticked but
        those dropped before), then a note to the client. Enter at each keeps what is
        offered."""
        common = self._common()
        self._print([("", "\n"), ("class:heading", "── The client's handout ──")])
        choices = [questionary.Choice(self._fit(title), value=rec_id, disabled=ALWAYS_ON)
                   if required else
                   questionary.Choice(self._fit(title), value=rec_id,
                                      checked=rec_id in offer.picked)
                   for rec_id, title, required in offer.advice]
        choosable = {rec_id for rec_id, _, required in offer.advice if not required}

        def at_most(selected: list[str]) -> bool | str:
            count = len(set(selected) & choosable)
            return count <= offer.most or (f"At most {offer.most} pieces of advice "
                                           f"({count} ticked)")

        question = f"Advice on the handout (at most {offer.most}) {MULTI_HINT}"
        picked = [v for v in self._ask(questionary.checkbox(
            self._wrap(question, "  ", "? "), instruction=" ", choices=choices,
            validate=at_most, **common)) if v in choosable]
        self._echo("Advice on the handout:", f"{len(picked)} chosen")
        kept = [e for e, _ in offer.exercises]
        if offer.exercises:
            kept = list(self._ask(questionary.checkbox(
                self._wrap(f"Exercises on the handout (untick to leave one off) "
                           f"{MULTI_HINT}", "  ", "? "), instruction=" ",
                choices=[questionary.Choice(self._fit(label), value=ex_id,
                                            checked=ex_id not in offer.dropped)
                         for ex_id, label in offer.exercises], **common)))
            self._echo("Exercises on the handout:", f"{len(kept)} of {len(offer.exercises)}")
        def fits(text: str) -> bool | str:
            problem = note_problem(text) if text.strip() else None
            return True if problem is None else f"The note: {problem}"

        note = str(self._ask(questionary.text(
            self._wrap("A note to the client (optional; Enter for none):", "  ", "? "),
            default=offer.note or "", validate=fits, **common))).strip()
        self._echo("A note to the client:", note or "(none)")
        return HandoutAnswer(tuple(picked),
                             tuple(e for e, _ in offer.exercises if e not in kept),
                             note or None)

    def confirm_typed(self, text: str, word: str) -> bool:
        """A confirmation that needs `word` typed out (Enter alone or y is not enough)."""
        answer = str(self._ask(questionary.text(self._wrap(text, "  ", "? "),
                                                **self._common()))).strip()
        self._echo(text, answer)
        return answer.lower() == word


def intro_text(remaining: int, answered: int, *, follow_up: bool,
               saves_drafts: bool = True) -> str:
    left = f"About {remaining} question{'s' if remaining != 1 else ''}" + (
        f" left ({answered} already answered)" if answered else "")
    # --no-save keeps no draft either: the opening line must not promise one.
    stop = ("Ctrl-C saves a draft that you can resume later." if saves_drafts
            else "Nothing is saved (--no-save): Ctrl-C stops without a draft.")
    text = f"{left}. {stop}"
    if follow_up:
        text += (" Follow-up visit: warning signs, pregnancy, how long the pain has lasted, "
                 "pain scores, weeks off work and the questionnaires are asked afresh; for "
                 "other questions Enter keeps the last visit's answer.")
    return text


def progress(modules: Sequence[Module], answers: Mapping[str, AnswerValue],
             skipped: set[str], question: Question) -> Progress:
    """The numbers of `question` and of its module's last question, out of about how many."""
    listed = interview_questions(modules, answers, skipped)
    numbers = [n for n, q in enumerate(listed, 1) if q.module == question.module]
    first = next((n for n, q in enumerate(listed, 1) if q.id == question.id), 1)
    return Progress(first, max(numbers, default=first), len(listed))


def run_interview(
    modules: Sequence[Module],
    answers: dict[str, AnswerValue],
    skipped: set[str],
    asker: Asker,
    defaults: Mapping[str, AnswerValue] | None = None,
    *,
    saves_drafts: bool = True,
    follow_up: bool = False,
    raised: set[str] | None = None,
    on_form: Mapping[str, AnswerValue] | None = None,
) -> bool:
    """Ask every shown, unanswered question in order, updating `answers` and `skipped`.

    `on_form`: the client's answers on the intake form to the questions asked again here,
    each shown before its question ("On the form: no").

    Conditions are re-evaluated after each answer. Returns True when the practitioner ended
    the interview at an emergency sign (the rest of the questions unasked), else False.
    `follow_up`: a visit that follows another derives no flags (the clinical reference v3).

    A consistency check that comes to hold with an answer given here is named in one line
    and its question asked again, the given answer as the default: keeping it confirms it.
    Its id is added to `raised`, so that the caller does not warn about it again.
    On Ctrl-C or end of input raises `Interrupted`; `answers` then holds everything
    answered so far (the caller saves them as a draft unless `saves_drafts` is False).
    """
    # The rules and their texts: only once the interview ends (the first prompt's budget).
    from .clinical.engine import build_plan

    by_module = {m.id: m for m in modules}
    by_id = {x.id: x for m in modules for x in m.questions}
    remembered = defaults or {}
    # Checks already holding on answers given before the interview (a file, a draft) are
    # the caller's to warn about; here only those an answer given now brings.
    before = {c.id for c in consistency.find(answers)}
    handled = set(before)
    current: str | None = None
    # Every (flag, tier) already shown: a flag is announced once, and again only when its
    # tier rises (fever becomes an emergency with a weakened immune system).
    announced: set[RedFlag] = set()
    try:
        first = True
        while (q := next_question(modules, answers, skipped)) is not None:
            if first:
                listed = interview_questions(modules, answers, skipped)
                done = sum(1 for x in listed if x.id in answers or x.id in skipped)
                asker.intro(intro_text(len(listed) - done, done,
                                       follow_up=bool(remembered), saves_drafts=saves_drafts))
                first = False
            flags = red_flags(answers, follow_up=follow_up)
            new = [f for f in flags if f not in announced and not _undecided(f, answers, q)]
            announced.update(new)
            if any(f.tier == EMERGENCY for f in new):
                if asker.emergency(build_plan(answers, follow_up=follow_up)):
                    return True
            elif new and not any(f.tier == EMERGENCY for f in flags):
                # Under an emergency the plan is the referral alone: no "goes on" line.
                same_day = [f for f in new if f.tier == SAME_DAY]
                if same_day:
                    asker.same_day(same_day)
                urgent = [f for f in new if f.tier == URGENT]
                if urgent:
                    asker.urgent(urgent)
            if q.module != current:
                current = q.module
                asker.heading(by_module[q.module], progress(modules, answers, skipped, q))
            # Questions about today are asked afresh: no remembered or file default.
            if q.fresh_each_visit:
                default, last_visit = None, False
            else:
                last_visit = q.id in remembered
                default = remembered.get(q.id, q.default)
            default = shown_default(q.id, default, answers)
            if on_form is not None and q.id in on_form:
                asker.intro(f"On the form: {answer_text(on_form[q.id], q)}")
            value = asker.ask(q, default, last_visit=last_visit)
            if isinstance(value, Skip):
                skipped.add(q.id)
            else:
                answers[q.id] = value
                _ask_again(q, answers, by_id, asker, handled)
                if raised is not None:
                    raised.update(handled - before)
    except (KeyboardInterrupt, EOFError):
        raise Interrupted("interview interrupted") from None
    return False


# The warning signs confirmed face to face after an intake form (issue 21).
SIGNS_MODULE = "red_flags"
CONFIRM_INTRO = ("The client answered the warning signs on the intake form. Go through each "
                 "one with the client now, face to face: type y or n (Enter alone does not "
                 "confirm).")


def confirm_signs(
    modules: Sequence[Module],
    answers: dict[str, AnswerValue],
    skipped: set[str],
    asker: Asker,
    on_form: Mapping[str, AnswerValue],
    *,
    saves_drafts: bool = True,
    follow_up: bool = False,
    raised: set[str] | None = None,
) -> tuple[bool, bool]:
    """Every warning sign the client answered on the form asked again, its form answer
    shown and no default (a typed y or n), with the interview's handling of what is
    answered yes (the emergency stop included). Returns (ended at an emergency, every sign
    confirmed). A sign not reached keeps the client's answer."""
    signs = {q.id for m in modules if m.id == SIGNS_MODULE for q in m.questions}
    given = {k: v for k, v in on_form.items() if k in signs and k in answers}
    for key in given:
        del answers[key]
    asker.intro(CONFIRM_INTRO)
    try:
        ended = run_interview(modules, answers, skipped, asker, None,
                              saves_drafts=saves_drafts, follow_up=follow_up, raised=raised,
                              on_form=given)
    finally:
        # Interrupted or ended early: what was not confirmed stays as the client gave it.
        for key, value in given.items():
            if key not in answers and key not in skipped:
                answers[key] = value
    return ended, not ended


def _ask_again(answered: Question, answers: dict[str, AnswerValue],
               questions: Mapping[str, Question], asker: Asker, handled: set[str]) -> None:
    """Checks that `answered` made hold: one line each, then its question asked again with
    the given answer as default (the clinical reference v3, "Consistency checks")."""
    for check in consistency.find(answers):
        if check.id in handled or answered.id not in check.questions:
            continue
        handled.add(check.id)
        asker.check(consistency.line(check, answers))
        again = consistency.RULES[check.id].reask
        if again is None or again not in questions or again not in answers:
            continue
        value = asker.ask(questions[again], answers[again])
        if not isinstance(value, Skip):
            answers[again] = value


def _undecided(flag: RedFlag, answers: Mapping[str, AnswerValue], coming: Question) -> bool:
    """Not announced yet (the clinical reference v3): a risk factor alone is urgent only until the
    team
    question says the team knows, so it waits while that question, or another warning sign
    that would make it urgent anyway, is still to come; a derived flag waits for the last
    answer it reads (the possible fragility fracture for the diagnoses)."""
    if flag.id == FRAGILITY_FRACTURE:
        return "diagnoses" not in answers
    return (flag.id in RISK_FACTORS and flag.tier == URGENT and TEAM_AWARE not in answers
            and coming.module == "red_flags")


def terminal_asker(*, prompts_on_stderr: bool) -> QuestionaryAsker:
    """The asker of a real terminal. With `prompts_on_stderr` the prompts are drawn on
    stderr, so that standard output stays free for the result (`--json`, a pipe)."""
    if not prompts_on_stderr:
        return QuestionaryAsker()
    # Only for a terminal reopened for the prompts (not with pipe input in tests).
    from prompt_toolkit.output import create_output

    return QuestionaryAsker(output=create_output(stdout=sys.stderr))


def ask_client(asker: Asker) -> str:
    try:
        return asker.ask_client()
    except (KeyboardInterrupt, EOFError):
        raise Interrupted("interview interrupted before it started") from None


def confirm_typed(asker: QuestionaryAsker, text: str, word: str) -> bool:
    try:
        return asker.confirm_typed(text, word)
    except (KeyboardInterrupt, EOFError):
        raise Interrupted("interrupted; nothing deleted") from None


def ask_handout(asker: QuestionaryAsker, offer: HandoutOffer) -> HandoutAnswer:
    try:
        return asker.handout(offer)
    except (KeyboardInterrupt, EOFError):
        raise Interrupted("interrupted; the handout choice was not changed") from None
