"""Shared scaffolding of the interview tests: the real questionary asker recording what it
asked and printed, typing keys into prompt_toolkit's pipe input, and a use case's notices
kept instead of printed (used by the interview, intake import and intake browser tests)."""

from __future__ import annotations

from prompt_toolkit.input import PipeInput
from prompt_toolkit.output import DummyOutput

from backpain_cli.clinical.model import Plan
from backpain_cli.clinical.questionnaire import AnswerValue, Module, Question
from backpain_cli.interview import Progress, QuestionaryAsker, Skip
from backpain_cli.records.tree import Unreadable

ENTER = "\r"


class RecordingAsker(QuestionaryAsker):
    """The real asker; notes the questions asked, the headings and every printed line."""

    def __init__(self, inp: PipeInput, columns: int | None = None) -> None:
        super().__init__(input=inp, output=DummyOutput(), columns=columns)
        self.asked: list[str] = []
        self.progress: list[tuple[str, Progress]] = []
        self.headings: list[str] = []  # the modules' ids, in the order they were headed
        self.printed: list[str] = []

    def heading(self, module: Module, progress: Progress) -> None:
        self.progress.append((module.id, progress))
        self.headings.append(module.id)
        super().heading(module, progress)

    def ask(self, question: Question, default: AnswerValue | None, *,
            last_visit: bool = False) -> AnswerValue | Skip:
        self.asked.append(question.id)
        return super().ask(question, default, last_visit=last_visit)

    def _print(self, fragments: list[tuple[str, str]]) -> None:
        self.printed.append("".join(text for _, text in fragments).strip("\n"))
        super()._print(fragments)

    def shown(self) -> str:
        """Everything printed, with line breaks and indents as single spaces."""
        return " ".join(" ".join(self.printed).split())


def feed(pipe: PipeInput, keys: str) -> None:
    """Type `keys`, then end the input: a prompt left waiting gets EOFError, never hangs."""
    pipe.send_text(keys)
    pipe.close()


class Said:
    """The Notices of a use case, kept instead of printed."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.emergencies: list[Plan] = []

    def info(self, text: str) -> None:
        self.lines.append(text)

    def note(self, text: str) -> None:
        self.lines.append(f"note: {text}")

    def warning(self, text: str) -> None:
        self.lines.append(f"warning: {text}")

    def unreadable(self, bad: Unreadable) -> None:
        self.lines.append(f"unreadable: {bad.path}")

    def emergency(self, plan: Plan) -> None:
        self.emergencies.append(plan)
