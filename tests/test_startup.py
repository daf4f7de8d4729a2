"""Which libraries each command imports (the README, "Performance"; docs/architecture.md).

Speed itself is measured by benchmarks/run.py, not by timed tests. What a test can prove
exactly is the cause of slowness: questionary and prompt_toolkit (about 100 ms of imports)
must load only for an interactive `assess`, FHIR and pydantic only where a FHIR export needs
them, and `--version` must not even load typer. Each command runs in a fresh interpreter
through a wrapper that records `sys.modules` when the command is done.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import tomli_w
from helpers import list_refs

from backpain_cli import __version__
from backpain_cli.cli.commands import COMMANDS
from backpain_cli.clinical.answers import next_question, validate
from backpain_cli.clinical.questionnaire import AnswerValue, Question, load_registry
from backpain_cli.records import storage

# Runs the real entry point, then writes the names of every imported module to a file.
# sys.modules is read in `finally` because typer ends every command with SystemExit.
RECORD_MODULES = """
import json, os, sys
sys.argv = ["backpain", *sys.argv[1:]]
from backpain_cli.cli import main
try:
    main()
finally:
    with open(os.environ["RECORD_MODULES_TO"], "w") as fh:
        json.dump(sorted(sys.modules), fh)
"""

INTERACTIVE_ONLY = ("questionary", "prompt_toolkit")
# The module that does each command's work: seeing it loaded proves the command ran.
WORKER = {"review": "backpain_cli.records.index.listing", "export": "backpain_cli.records.targets",
          "assess": "backpain_cli.flows.assess",
          "questionnaires": "backpain_cli.clinical.questionnaire",
          "intake": "backpain_cli.output.intake_form"}
FHIR_ONLY = ("fhir", "fhir_core", "pydantic", "pydantic_core")
TERMINAL_ONLY = ("rich",)
CLIENT = "ST-001"


def neutral_answer(q: Question) -> AnswerValue:
    """A valid answer that raises no red flag (every yes/no is no)."""
    if q.type == "yesno":
        return False
    if q.type == "int":
        return q.min if q.min is not None else 0
    values = q.choice_values
    if q.type == "choice":
        return values[0]
    return (next(v for v in values if v not in q.exclusive),)


def complete_answers() -> dict[str, Any]:
    """Answers to every question the default interview shows, found by walking it."""
    modules = load_registry(None).select(())
    answers: dict[str, AnswerValue] = {}
    while (q := next_question(modules, answers)) is not None:
        answers[q.id] = neutral_answer(q)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()}


def run_recording(args: list[str], env: Mapping[str, str], tmp: Path
                  ) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    record = tmp / "modules.json"
    record.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, "-c", RECORD_MODULES, *args],
        env={**env, "RECORD_MODULES_TO": str(record)},
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False)
    return proc, set(json.loads(record.read_text()))


def top_packages(modules: set[str]) -> set[str]:
    return {m.partition(".")[0] for m in modules}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A data folder with two completed visits of one client, saved by the real CLI."""
    root = tmp_path_factory.mktemp("startup")
    answers_file = root / "complete.answers.toml"
    answers_file.write_text(tomli_w.dumps({"client": CLIENT, "answers": complete_answers()}))
    env = {**os.environ, "BACKPAIN_HOME": str(root / "data"), "NO_COLOR": "1",
           # Not the practitioner's settings (nor those of whichever test ran before).
           "BACKPAIN_CONFIG": str(root / "config.toml")}
    ids = []
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-m", "backpain_cli", "assess", "--answers", str(answers_file),
             "--no-input", "--json"],
            env=env, capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode == 0, proc.stderr
        ids.append(json.loads(proc.stdout)["session"])
    return {"env": env, "ids": ids, "answers_file": str(answers_file), "tmp": root}


# (command line, packages that must not be imported). "{sid}" is the latest session id,
# "{answers}" the complete answers file.
CASES: list[tuple[list[str], tuple[str, ...]]] = [
    (["review"], INTERACTIVE_ONLY + FHIR_ONLY),
    (["review", "--json"], INTERACTIVE_ONLY + FHIR_ONLY),
    (["review", "{sid}"], INTERACTIVE_ONLY + FHIR_ONLY),
    (["review", "{sid}", "--json"], INTERACTIVE_ONLY + FHIR_ONLY),
    (["review", CLIENT], INTERACTIVE_ONLY + FHIR_ONLY),
    # Plain words come from output/wording.py: rich is for the terminal only (issue 18).
    (["export", "{sid}", "--format", "md"], INTERACTIVE_ONLY + FHIR_ONLY + TERMINAL_ONLY),
    (["export", "{sid}", "--format", "html"], INTERACTIVE_ONLY + FHIR_ONLY + TERMINAL_ONLY),
    (["export", "{sid}", "--format", "json"], INTERACTIVE_ONLY + FHIR_ONLY),
    # Building a FHIR bundle needs no validation library; only validating it would.
    (["export", "{sid}", "--format", "fhir"], INTERACTIVE_ONLY),
    (["export", CLIENT, "--format", "md"], INTERACTIVE_ONLY + FHIR_ONLY + TERMINAL_ONLY),
    (["export", CLIENT, "--format", "html"], INTERACTIVE_ONLY + FHIR_ONLY + TERMINAL_ONLY),
    (["export", "--all", "--format", "csv"], INTERACTIVE_ONLY + FHIR_ONLY),
    (["export", "--all", "--format", "json"], INTERACTIVE_ONLY + FHIR_ONLY),
    # An answers file with nothing missing never needs a prompt.
    (["assess", "--answers", "{answers}", "--no-input", "--no-save"],
     INTERACTIVE_ONLY + FHIR_ONLY),
    (["questionnaires", "list"], INTERACTIVE_ONLY + FHIR_ONLY),
    (["questionnaires", "check"], INTERACTIVE_ONLY + FHIR_ONLY),
    # The intake form (issue 21) is text made from the questionnaires: no prompt, no rich.
    (["intake", "form"], INTERACTIVE_ONLY + FHIR_ONLY + TERMINAL_ONLY),
]


@pytest.mark.parametrize(("args", "banned"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_command_does_not_import(home: dict[str, Any], args: list[str],
                                 banned: tuple[str, ...]) -> None:
    argv = [a.format(sid=home["ids"][-1], answers=home["answers_file"]) for a in args]
    proc, modules = run_recording(argv, home["env"], home["tmp"])
    # A command that failed early would import little and prove nothing.
    assert proc.returncode == 0, proc.stderr
    assert WORKER[args[0]] in modules
    assert sorted(top_packages(modules) & set(banned)) == []


@pytest.mark.parametrize(("args", "own"), [
    (["-h"], None),
    (["export", "{sid}", "--format", "md"], "export"),
    (["assess", "--answers", "{answers}", "--no-input", "--no-save"], "assess"),
    (["questionnaires", "list"], "questionnaires"),
    (["config", "path"], "config"),
    (["where"], "where"),
    (["review", "--limit", "1"], "review"),
    (["intake", "form"], "intake"),
])
def test_a_command_imports_no_other_command(home: dict[str, Any], args: list[str],
                                            own: str | None) -> None:
    """The command table (cli/commands.py): the root's help lists every command without
    importing one, and a command imports its own module alone."""
    argv = [a.format(sid=home["ids"][-1], answers=home["answers_file"]) for a in args]
    proc, modules = run_recording(argv, home["env"], home["tmp"])
    assert proc.returncode == 0, proc.stderr
    loaded = {m.removeprefix("backpain_cli.cli.") for m in modules} & set(COMMANDS)
    assert loaded == ({own} if own else set())


def test_version_fast_path_imports_no_framework(home: dict[str, Any]) -> None:
    proc, modules = run_recording(["--version"], home["env"], home["tmp"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"backpain {__version__}\n"
    assert proc.stderr == ""
    # Neither typer nor the CLI module: the version is answered before they are needed.
    assert sorted(top_packages(modules) & {"typer", "rich", *INTERACTIVE_ONLY}) == []
    assert "backpain_cli.cli.app" not in modules


@pytest.mark.parametrize("args", [["--version"], ["review", "{sid}"],
                                  ["review", "{sid}", "--json"]])
def test_fast_paths_never_read_the_settings(home: dict[str, Any], tmp_path: Path,
                                            args: list[str]) -> None:
    """With $BACKPAIN_HOME set, neither needs a setting: a broken settings file does not
    stop them, and the module that reads it is not even imported (the README, start-up)."""
    config = tmp_path / "config.toml"
    config.write_text('practise_name = "a typo"\n', encoding="utf-8")
    argv = [a.format(sid=home["ids"][-1]) for a in args]
    proc, modules = run_recording(argv, {**home["env"], "BACKPAIN_CONFIG": str(config)},
                                  home["tmp"])
    assert proc.returncode == 0, proc.stderr
    assert "backpain_cli.records.settings" not in modules


@pytest.mark.parametrize("args", [["review", "{sid}"], ["review", "{sid}", "--json"],
                                  ["review", CLIENT], ["review"]])
def test_review_fast_path_imports_no_framework(home: dict[str, Any], args: list[str]) -> None:
    """`review SESSION|CLIENT [--json]` is answered before typer and the command tree, and
    so before the help texts and the shell completion that the tree carries."""
    argv = [a.format(sid=home["ids"][-1]) for a in args]
    proc, modules = run_recording(argv, home["env"], home["tmp"])
    assert proc.returncode == 0, proc.stderr
    assert WORKER["review"] in modules
    assert "typer" not in top_packages(modules)
    assert sorted(modules & {"backpain_cli.cli.app", "backpain_cli.cli.completion",
                             "backpain_cli.cli.helptext"}) == []


def test_recording_sees_imports_made_inside_a_command(home: dict[str, Any]) -> None:
    """`questionnaires list` imports rich only inside the command body: seeing it proves
    the module list is taken after the command ran, so the tests above are not vacuous."""
    proc, modules = run_recording(["questionnaires", "list"], home["env"], home["tmp"])
    assert proc.returncode == 0, proc.stderr
    assert {"rich", "backpain_cli.output.console"} <= modules


def _load_benchmark() -> ModuleType:
    """benchmarks/run.py is a script, not a package: load it by path."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
    spec = importlib.util.spec_from_file_location("backpain_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is created.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_benchmark_data_is_what_storage_reads(tmp_path: Path) -> None:
    """The benchmark times commands over generated sessions; they must be sessions the
    tool reads like its own, or the figures would measure error paths."""
    bench = _load_benchmark()
    template = (Path(__file__).parent / "data" / "session_schema1.toml").read_text()
    made = bench.generate_sessions(tmp_path, template, 25, clients=4)
    refs = list_refs(tmp_path)
    assert sorted((r.client, r.id) for r in refs) == sorted(made)
    assert len({sid for _, sid in made}) == 25
    for ref in refs:
        session = storage.read_session(ref.path)  # also checks the id matches the name
        assert session.client == ref.client
        assert session.created == ref.created
        assert stat.S_IMODE(ref.path.stat().st_mode) == 0o600


def test_benchmark_answers_complete_the_interview() -> None:
    bench = _load_benchmark()
    modules = load_registry(None).select(("odi",))
    answers = bench.complete_answers(["odi"])
    as_stored = {k: tuple(v) if isinstance(v, list) else v for k, v in answers.items()}
    assert next_question(modules, as_stored) is None
    assert validate(modules, answers).complete


@pytest.mark.parametrize(("args", "needs"), [(["--version"], False), (["review", CLIENT], False),
                                             (["review", "{sid}"], False), (["review"], True)])
def test_sqlite_is_imported_only_to_use_the_index(home: dict[str, Any], args: list[str],
                                                  needs: bool) -> None:
    """The summary index's sqlite3 costs start-up: the version, a client's history and a
    session among a few clients do without it; the listing is read through the index."""
    argv = [a.format(sid=home["ids"][-1]) for a in args]
    proc, modules = run_recording(argv, home["env"], home["tmp"])
    assert proc.returncode == 0, proc.stderr
    assert ("sqlite3" in modules) is needs


@pytest.mark.parametrize("args", [["review", "{sid}"], ["review", "{sid}", "--json"],
                                  ["review", CLIENT], ["review"]])
def test_review_loads_no_difflib(home: dict[str, Any], args: list[str]) -> None:
    """"Did you mean" is looked for only when a name is unknown: difflib is start-up a
    review does not need. (hashlib is loaded where a session file is read, to hash the
    questionnaire texts its answers are checked against; a listing from the index reads
    none: below.)"""
    argv = [a.format(sid=home["ids"][-1]) for a in args]
    proc, modules = run_recording(argv, home["env"], home["tmp"])
    assert proc.returncode == 0, proc.stderr
    assert WORKER["review"] in modules
    assert "difflib" not in modules


def test_a_listing_from_the_index_loads_no_questionnaire_model(home: dict[str, Any],
                                                                tmp_path: Path) -> None:
    """Rows the index holds are shown without the questionnaire model and its TOML reader
    (about 6 ms of the listing's 20x); only a file read again needs them."""
    data = tmp_path / "data"
    shutil.copytree(Path(home["env"]["BACKPAIN_HOME"]), data)
    hour_ago = time.time() - 3600  # older than the index's racy window: rows are trusted
    for path in [data, *data.rglob("*")]:
        os.utime(path, (hour_ago, hour_ago))
    env = {**home["env"], "BACKPAIN_HOME": str(data), "BACKPAIN_CACHE": str(tmp_path / "c")}
    first, first_modules = run_recording(["review"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "backpain_cli.clinical.questionnaire" in first_modules  # it read the files
    again, modules = run_recording(["review"], env, tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert sorted(modules & {"backpain_cli.clinical.questionnaire", "tomllib", "hashlib"}) == []


@pytest.mark.parametrize("args", [["review", "{sid}"], ["review", "{sid}", "--json"]])
def test_review_of_a_session_loads_no_handout_content(home: dict[str, Any],
                                                      args: list[str]) -> None:
    """`review SESSION` shows the handout's choice, not the handout: the content's module
    (output/client_handout.py, about 4 ms of its 12x) is left to the handout and exports."""
    argv = [a.format(sid=home["ids"][-1]) for a in args]
    proc, modules = run_recording(argv, home["env"], home["tmp"])
    assert proc.returncode == 0, proc.stderr
    assert "backpain_cli.flows.handout" in modules  # the choice was worked out
    assert "backpain_cli.output.client_handout" not in modules
