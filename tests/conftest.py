"""Shared fixtures for the whole suite.

Other test modules rely on these names; keep them stable:

- ``backpain_home`` (autouse): every test runs with ``BACKPAIN_HOME`` pointing at a fresh,
  not yet created folder under ``tmp_path``, so no test can read or write the practitioner's
  real data folder (and ``BACKPAIN_CACHE`` at another, for the summary index).
- ``backpain_config`` (autouse): ``BACKPAIN_CONFIG`` points at ``config.toml`` in a fresh,
  not yet created folder under ``tmp_path``, so no test reads the practitioner's settings.
- ``complete_answers``: a valid answer to every question the default interview shows,
  built by walking the shipped modules, as a fresh ``dict`` in answers-file form (multi
  answers as lists). No red flag is raised and every "none" choice is taken where one
  exists (but for what eases the pain: moving around, since nothing worse, nothing better
  and pain that is not constant is a consistency check), so the plan it leads to is an
  ordinary, non-urgent one with no check.
- ``write_answers``: writes an answers file and returns its path.
- ``keys_for``: ``keys_for(question, value)`` gives the keystrokes a practitioner types at
  that question's prompt to answer ``value`` (answers-file form).

Hypothesis profiles: ``ci`` (loaded when ``CI`` is set) is derandomised, so a CI run tries
the same examples every time and a property test cannot fail one run in ten; ``dev``
(otherwise) is randomised, so local runs keep exploring, and remembers failures in
``.hypothesis/``; ``deep`` is ``ci`` with every property test at its full number of
examples (tests/depth.py), for the second step of ``.ci/run``.
``HYPOTHESIS_PROFILE=ci|dev|deep`` chooses explicitly. Whatever a randomised run finds
becomes an explicit regression test (``@example`` or a plain test), never just a database
entry.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TypeAlias

import pytest
import tomli_w
from hypothesis import HealthCheck, settings
from reassess_helpers import local_time_zone

from backpain_cli.clinical.answers import next_question
from backpain_cli.clinical.questionnaire import AnswerValue, Question, Registry, load_registry

RawAnswer: TypeAlias = bool | int | str | list[str]
WriteAnswers: TypeAlias = Callable[..., Path]

# Tests' own @settings (max_examples, deadline, health checks) still apply on top of these:
# a profile only changes what a test leaves unset.
settings.register_profile(
    "ci",
    derandomize=True,
    # A shared 2-core machine makes timings meaningless; no example may fail on time alone.
    deadline=None,
    # With derandomize there is nothing to remember between runs, and a database left by an
    # earlier run must not change which examples a CI run tries.
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("deep", settings.get_profile("ci"))
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The shipped questionnaires (the practitioner's own folder left out)."""
    return load_registry(None)


@pytest.fixture
def terminal_80(monkeypatch: pytest.MonkeyPatch) -> None:
    """An 80-column terminal for rich's tables, whatever the terminal running the tests."""
    monkeypatch.setenv("COLUMNS", "80")


@pytest.fixture(autouse=True)
def backpain_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "backpain-home"
    monkeypatch.setenv("BACKPAIN_HOME", str(home))
    # The summary index lives in the user cache folder: each test gets its own.
    monkeypatch.setenv("BACKPAIN_CACHE", str(tmp_path / "backpain-cache"))
    return home


@pytest.fixture(autouse=True)
def backpain_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "backpain-config" / "config.toml"
    monkeypatch.setenv("BACKPAIN_CONFIG", str(path))
    return path


@pytest.fixture
def listing_as_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """`review` (the listing) drawn as on a terminal, as its table, though CliRunner's
    output is not one (into a pipe it is tab-separated rows)."""
    from backpain_cli.cli import review_run

    monkeypatch.setattr(review_run, "on_a_terminal", lambda: True)


def valid_answer(q: Question) -> AnswerValue:
    """A valid answer to any question, chosen to be clinically unremarkable."""
    if q.type == "yesno":
        return False
    if q.type == "choice":
        return q.choice_values[0]
    if q.type == "multi":
        if q.id == "pain_eased_by":
            # With nothing making it worse: a pain that is not constant eases with something.
            return ("moving_around",)
        # "none" where it exists keeps the walk away from diagnoses and referrals.
        return (q.exclusive[0],) if q.exclusive else (q.choice_values[0],)
    assert q.min is not None and q.max is not None
    # The middle of the range, so that conditions like "exercise_days > 0" show their
    # follow-up question and the walk covers it.
    return (q.min + q.max) // 2


@functools.cache
def _complete_default_answers() -> tuple[tuple[str, AnswerValue], ...]:
    modules = load_registry(None).select(())
    answers: dict[str, AnswerValue] = {}
    # next_question re-evaluates conditions after each answer, exactly as the interview does.
    while (q := next_question(modules, answers)) is not None:
        answers[q.id] = valid_answer(q)
    return tuple(answers.items())


def to_raw(answers: Mapping[str, AnswerValue]) -> dict[str, RawAnswer]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()}


@pytest.fixture
def complete_answers() -> dict[str, RawAnswer]:
    return to_raw(dict(_complete_default_answers()))


@pytest.fixture
def write_answers(tmp_path: Path) -> WriteAnswers:
    """``write_answers(answers, client="JD-042", name="answers.toml", **top_level)``.

    ``client=None`` leaves the client out; extra keyword arguments become top-level keys.
    """

    def write(answers: Mapping[str, object] | None, client: object = "JD-042",
              name: str = "answers.toml", **top_level: object) -> Path:
        doc: dict[str, object] = {}
        if client is not None:
            doc["client"] = client
        doc.update(top_level)
        if answers is not None:
            doc["answers"] = dict(answers)
        path = tmp_path / name
        path.write_text(tomli_w.dumps(doc), encoding="utf-8")
        return path

    return write


ENTER = "\r"
DOWN = "\x1b[B"
SPACE = " "


def _keys_for(q: Question, value: RawAnswer) -> str:
    if q.type == "yesno":
        return ("y" if value else "n") + ENTER
    if q.type == "int":
        return f"{value}{ENTER}"
    if q.type == "choice":
        # The pointer starts on the first choice.
        return DOWN * q.choice_values.index(str(value)) + ENTER
    assert isinstance(value, list)
    keys, at = "", 0
    for index in sorted(q.choice_values.index(v) for v in value):
        keys += DOWN * (index - at) + SPACE
        at = index
    return keys + ENTER


@pytest.fixture
def keys_for() -> Callable[[Question, RawAnswer], str]:
    return _keys_for


@pytest.fixture
def utc_zone() -> Iterator[None]:
    """The practitioner's computer in UTC ($TZ), for tests whose days and times are UTC's:
    a module takes it with `pytestmark = pytest.mark.usefixtures("utc_zone")`."""
    with local_time_zone("UTC"):
        yield
