"""Fuzzing the three kinds of file backpain reads: answers files, session files and
questionnaire files.

Whatever the bytes, the command either works or refuses with a user-facing error (exit 1 or
3, one "backpain: error:" message) — never a traceback, never a hang. Inputs are of three
kinds per file: arbitrary bytes, arbitrary TOML, and a valid file with a few random
mutations (values swapped for other types, keys dropped, bytes truncated), which is what
reaches past the parser into validation, scoring and rendering.

The CLI runs in-process through typer's CliRunner (a subprocess per example would be far
too slow). BACKPAIN_FUZZ_EXAMPLES sets the number of examples per test (default 300).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import tomllib
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from depth import examples
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from backpain_cli.cli.app import app
from backpain_cli.clinical.questionnaire import load_registry, shipped_paths
from backpain_cli.errors import SessionFileError
from backpain_cli.records import storage, tree
from backpain_cli.records.session import Session

EXAMPLES = int(os.environ.get("BACKPAIN_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=examples(EXAMPLES),
    deadline=None,
    # One data folder serves every example of a test; each example rewrites what it uses.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)
HANG_SECONDS = 20

FIXTURE = Path(__file__).parent / "data" / "session_schema1.toml"
FIXTURE_ID = "20261127T101503Z-3f9a1c"
FIXTURE_CLIENT = "EX-DESK"

REGISTRY = load_registry(None)
QUESTION_IDS = sorted(REGISTRY.questions())
CHOICE_VALUES = sorted({c.value for q in REGISTRY.questions().values() for c in q.choices})
# Found by the package's own rule: `python -m pytest` from the top of an unpacked sdist
# imports the backpain_cli/ there, which has no backpain_cli.questionnaires subpackage.
SHIPPED_MODULES = sorted(
    (source.rsplit("/", 1)[-1], data) for source, data in shipped_paths())

runner = CliRunner()


# --------------------------------------------------------------------------- strategies

toml_keys = st.one_of(st.sampled_from(QUESTION_IDS), st.text(max_size=12))
toml_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=-3, max_value=120),  # near every range's edges
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(CHOICE_VALUES),
    # Offsets too: near year 1 or 9999 one has no UTC equivalent (issue 17 item 10).
    st.datetimes(timezones=st.sampled_from([None, dt.UTC, dt.timezone(-dt.timedelta(hours=1)),
                                            dt.timezone(dt.timedelta(hours=14))])),
    st.dates(),
    st.times(),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(toml_keys, inner, max_size=4)),
    max_leaves=12,
)
toml_tables = st.dictionaries(toml_keys, toml_values, max_size=8)
# Answers a practitioner could plausibly type, valid or not for the question they land on.
answer_like = st.one_of(
    st.booleans(), st.integers(min_value=-3, max_value=120), st.sampled_from(CHOICE_VALUES),
    st.lists(st.sampled_from(CHOICE_VALUES), max_size=4), toml_values)


def dumps(doc: dict[str, Any]) -> bytes:
    try:
        return tomli_w.dumps(doc).encode("utf-8")
    except (TypeError, ValueError):
        assume(False)  # not representable in TOML: not an input anyone can write
        raise AssertionError("unreachable") from None


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path inside nested tables and arrays."""
    items: Sequence[tuple[Any, Any]]
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return
    for key, child in items:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


@st.composite
def mutated(draw: st.DrawFn, doc: dict[str, Any], values: st.SearchStrategy[Any],
            max_mutations: int = 3) -> dict[str, Any]:
    """`doc` with a few values replaced, keys dropped or keys added, anywhere inside it."""
    doc = tomllib.loads(tomli_w.dumps(doc))  # a deep copy
    for _ in range(draw(st.integers(min_value=1, max_value=max_mutations))):
        paths = list(_paths(doc))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = doc
        for key in path[:-1]:
            parent = parent[key]
        op = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
        if op == "replace":
            parent[path[-1]] = draw(values)
        elif op == "drop":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(toml_keys)] = draw(values)
        else:
            parent.append(draw(values))
    return doc


@st.composite
def damaged_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """A real file truncated (as a crash would leave it), or with a few bytes changed."""
    if draw(st.booleans()):
        return data[: draw(st.integers(min_value=0, max_value=len(data)))]
    out = bytearray(data)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        out[draw(st.integers(min_value=0, max_value=len(out) - 1))] = draw(
            st.integers(min_value=0, max_value=255))
    return bytes(out)


# --------------------------------------------------------------------------- running


class Hang(Exception):
    """The command did not finish within HANG_SECONDS."""


@contextmanager
def hang_guard(seconds: float = HANG_SECONDS) -> Iterator[None]:
    def on_alarm(signum: int, frame: object) -> None:
        raise Hang(f"no result within {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def invoke(home: Path, args: Sequence[str], allowed: set[int]) -> Result:
    """Run the CLI in-process; fail on a traceback, a hang or an unexpected exit code."""
    with hang_guard():
        result = runner.invoke(app, list(args),
                               env={"BACKPAIN_HOME": str(home), "NO_COLOR": "1"})
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        pytest.fail(f"backpain {' '.join(args)} raised:\n"
                    + "".join(traceback.format_exception(exc)))
    assert result.exit_code in allowed, (args, result.exit_code, result.output)
    assert "Traceback" not in result.output
    if result.exit_code in (1, 3):
        # Refused the way the user is told of errors: one "backpain: error:" message
        # (warnings may come before it).
        assert result.stderr.count("backpain: error: ") == 1, result.stderr
    return result


# --------------------------------------------------------------------------- answers files


@pytest.fixture
def complete(complete_answers: dict[str, Any]) -> dict[str, Any]:
    return {"client": "FZ-001", "answers": complete_answers}


def check_answers_file(home: Path, data: bytes, flags: Sequence[str]) -> None:
    path = home / "fuzz.answers.toml"
    path.write_bytes(data)
    invoke(home, ["assess", "--answers", str(path), "--no-input", *flags], {0, 1, 3})


assess_flags = st.lists(st.sampled_from(["--json", "--no-save", "--instruments=odi",
                                          "--instruments=rmdq", "--client=FZ-002"]),
                        unique=True, max_size=3)


@FUZZ
@given(data=st.binary(max_size=2048), flags=assess_flags)
def test_answers_file_arbitrary_bytes(tmp_path: Path, data: bytes, flags: list[str]) -> None:
    check_answers_file(tmp_path, data, flags)


@FUZZ
@given(doc=toml_tables, flags=assess_flags)
def test_answers_file_arbitrary_toml(tmp_path: Path, doc: dict[str, Any],
                                     flags: list[str]) -> None:
    check_answers_file(tmp_path, dumps(doc), flags)


@FUZZ
@given(st.data(), assess_flags)
def test_answers_file_mutated(tmp_path: Path, complete: dict[str, Any], data: st.DataObject,
                              flags: list[str]) -> None:
    doc = data.draw(mutated(complete, answer_like))
    check_answers_file(tmp_path, dumps(doc), flags)


def test_answers_file_unmutated_is_accepted(tmp_path: Path, complete: dict[str, Any]) -> None:
    """The base of the mutations above works, so they start from a real session."""
    result = invoke(tmp_path, ["assess", "--answers", str(_write(tmp_path, complete)),
                               "--no-input", "--json"], {0})
    assert '"client": "FZ-001"' in result.stdout


def _write(folder: Path, doc: dict[str, Any]) -> Path:
    path = folder / "base.answers.toml"
    path.write_bytes(tomli_w.dumps(doc).encode("utf-8"))
    return path


# --------------------------------------------------------------------------- session files

# Each example runs one command, drawn from the list: hypothesis spreads them over the
# inputs, and the run stays short enough for many examples.
Command = tuple[list[str], set[int]]
SESSION_COMMANDS: list[Command] = [
    (["review"], {0, 1}),
    (["review", "--limit", "0", "--json"], {0, 1}),
    (["review", FIXTURE_ID], {0, 1, 3}),
    (["review", FIXTURE_ID, "--json"], {0, 1, 3}),
    (["review", FIXTURE_CLIENT], {0, 1}),
    (["export", FIXTURE_ID, "--format", "json"], {0, 1, 3}),
    (["export", FIXTURE_ID, "--format", "md"], {0, 1, 3}),
    (["export", "--all", "--format", "csv"], {0, 1}),
    (["review", "--due", "--on", "2099-01-01"], {0, 1}),
]


def check_session_file(home: Path, data: bytes, command: Command) -> None:
    folder = home / "sessions" / FIXTURE_CLIENT
    shutil.rmtree(home / "sessions", ignore_errors=True)
    folder.mkdir(parents=True)
    path = folder / f"{FIXTURE_ID}.toml"
    path.write_bytes(data)
    try:
        session: Session | None = storage.read_ref(
            tree.SessionRef(FIXTURE_ID, FIXTURE_CLIENT, path))
    except SessionFileError as exc:
        assert str(exc).startswith(str(path)), exc  # names the file
        session = None
    args, allowed = command
    result = invoke(home, args, allowed)
    if session is None and args[:2] == ["review", FIXTURE_ID]:
        # An unreadable session is refused with its path, not skipped in silence.
        assert result.exit_code == 1 and str(path) in result.stderr, result.output
    # One verdict in every command (issue 9 item 1): a file the full reader refuses is
    # named by each command (listings read summaries), and a file it reads by none.
    assert (str(path) in result.stderr) == (session is None), result.output
    # Reading never rewrites: the file is exactly as the practitioner left it.
    assert path.read_bytes() == data


FIXTURE_BYTES = FIXTURE.read_bytes()
FIXTURE_DOC = tomllib.loads(FIXTURE_BYTES.decode("utf-8"))


session_commands = st.sampled_from(SESSION_COMMANDS)


@FUZZ
@given(data=st.binary(max_size=2048), command=session_commands)
def test_session_file_arbitrary_bytes(tmp_path: Path, data: bytes, command: Command) -> None:
    check_session_file(tmp_path, data, command)


@FUZZ
@given(doc=toml_tables, command=session_commands)
def test_session_file_arbitrary_toml(tmp_path: Path, doc: dict[str, Any],
                                     command: Command) -> None:
    check_session_file(tmp_path, dumps(doc), command)


@FUZZ
@given(data=damaged_bytes(FIXTURE_BYTES), command=session_commands)
def test_session_file_truncated_or_corrupted(tmp_path: Path, data: bytes,
                                             command: Command) -> None:
    check_session_file(tmp_path, data, command)


def _without(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != key}


# What this test has found, kept as explicit examples so that every run tries them.
SESSION_CMD = {" ".join(args): (args, codes) for args, codes in SESSION_COMMANDS}


@FUZZ
@given(doc=mutated(FIXTURE_DOC, answer_like), command=session_commands)
# A completed session without its triage line: `export --format md` crashed on an assert
# ("drafts have no plan to export"), JSON printed "triage": null, CSV blank scores.
@example(doc=_without(FIXTURE_DOC, "triage"),
         command=SESSION_CMD[f"export {FIXTURE_ID} --format md"])
@example(doc=_without(FIXTURE_DOC, "triage"),
         command=SESSION_CMD[f"export {FIXTURE_ID} --format json"])
@example(doc=_without(FIXTURE_DOC, "triage"), command=SESSION_CMD["export --all --format csv"])
# Dates the next check or UTC cannot hold: an OverflowError in --due and the handout.
@example(doc={**FIXTURE_DOC, "created": dt.datetime(
    9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone(-dt.timedelta(hours=1)))},
         command=SESSION_CMD["review --due --on 2099-01-01"])
@example(doc={**FIXTURE_DOC, "created": dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC)},
         command=SESSION_CMD[f"export {FIXTURE_ID} --format md"])
@example(doc={**FIXTURE_DOC, "reassess_weeks": 2**62},
         command=SESSION_CMD["review --due --on 2099-01-01"])
def test_session_file_mutated(tmp_path: Path, doc: dict[str, Any], command: Command) -> None:
    check_session_file(tmp_path, dumps(doc), command)


@pytest.mark.parametrize("command", SESSION_COMMANDS,
                         ids=[" ".join(a) for a, _ in SESSION_COMMANDS])
def test_session_file_unmutated_is_accepted(tmp_path: Path, command: Command) -> None:
    """The base of the mutations works with every command."""
    check_session_file(tmp_path, FIXTURE_BYTES, (command[0], {0}))


# --------------------------------------------------------------------------- questionnaires

# "{answers}" is a complete answers file, "{file}" the fuzzed file outside the data folder.
QUESTIONNAIRE_COMMANDS: list[Command] = [
    (["questionnaires", "check"], {0, 1}),
    (["questionnaires", "check", "{file}"], {0, 1}),
    (["questionnaires", "list"], {0, 1}),
    (["review", FIXTURE_ID], {0, 1, 3}),
    (["assess", "--answers", "{answers}", "--no-input", "--no-save"], {0, 1, 3}),
]
questionnaire_commands = st.sampled_from(QUESTIONNAIRE_COMMANDS)


def check_questionnaire_file(home: Path, name: str, data: bytes, answers_file: Path,
                             command: Command) -> None:
    """The file as the practitioner's own module (taking the place of a shipped one with
    the same id), or given to `questionnaires check` by path."""
    user = home / "questionnaires"
    shutil.rmtree(user, ignore_errors=True)
    args, allowed = command
    if "{file}" in args:
        outside = home / "elsewhere" / name
        outside.parent.mkdir(exist_ok=True)
        outside.write_bytes(data)
    else:
        user.mkdir(parents=True)
        (user / name).write_bytes(data)
        outside = Path("unused")
    invoke(home, [a.format(file=outside, answers=answers_file) for a in args], allowed)


@pytest.fixture
def qhome(tmp_path: Path, complete: dict[str, Any]) -> tuple[Path, Path]:
    """A data folder holding the schema-1 session, and a complete answers file."""
    folder = tmp_path / "home" / "sessions" / FIXTURE_CLIENT
    folder.mkdir(parents=True)
    (folder / f"{FIXTURE_ID}.toml").write_bytes(FIXTURE_BYTES)
    return tmp_path / "home", _write(tmp_path, complete)


module_files = st.sampled_from(SHIPPED_MODULES)


@FUZZ
@given(name=st.sampled_from([n for n, _ in SHIPPED_MODULES] + ["mine.toml"]),
       data=st.binary(max_size=2048), command=questionnaire_commands)
def test_questionnaire_file_arbitrary_bytes(qhome: tuple[Path, Path], name: str,
                                            data: bytes, command: Command) -> None:
    check_questionnaire_file(qhome[0], name, data, qhome[1], command)


@FUZZ
@given(doc=toml_tables, command=questionnaire_commands)
def test_questionnaire_file_arbitrary_toml(qhome: tuple[Path, Path], doc: dict[str, Any],
                                           command: Command) -> None:
    check_questionnaire_file(qhome[0], "mine.toml", dumps(doc), qhome[1], command)


@FUZZ
@given(st.data(), module_files, questionnaire_commands)
def test_questionnaire_file_truncated_or_corrupted(qhome: tuple[Path, Path],
                                                   data: st.DataObject,
                                                   module: tuple[str, bytes],
                                                   command: Command) -> None:
    name, raw = module
    check_questionnaire_file(qhome[0], name, data.draw(damaged_bytes(raw)), qhome[1],
                             command)


questionnaire_values = st.one_of(
    toml_values, st.sampled_from(QUESTION_IDS), st.sampled_from(["=", "!=", ">", "in", "<="]),
    st.sampled_from(["yesno", "choice", "multi", "int"]))


@FUZZ
@given(st.data(), module_files, questionnaire_commands)
def test_questionnaire_file_mutated(qhome: tuple[Path, Path], data: st.DataObject,
                                    module: tuple[str, bytes], command: Command) -> None:
    name, raw = module
    doc = data.draw(mutated(tomllib.loads(raw.decode("utf-8")), questionnaire_values))
    check_questionnaire_file(qhome[0], name, dumps(doc), qhome[1], command)


@pytest.mark.parametrize(("name", "raw"), SHIPPED_MODULES, ids=[n for n, _ in SHIPPED_MODULES])
def test_questionnaire_file_unmutated_is_accepted(qhome: tuple[Path, Path], name: str,
                                                  raw: bytes) -> None:
    """Every base of the mutations is valid: a copy in the user's folder replaces the
    shipped module and every command still succeeds."""
    home, answers_file = qhome
    for args, _ in QUESTIONNAIRE_COMMANDS:
        check_questionnaire_file(home, name, raw, answers_file, (args, {0}))


# Keep the guard honest: a command that never returns must be reported as a hang.
def test_hang_guard_reports_a_hang() -> None:
    import time

    def forever() -> None:
        with hang_guard(0.2):
            time.sleep(5)

    with pytest.raises(Hang):
        forever()

