"""The shell conventions of PRODUCT.md ("Conventions"): `-h` is `--help`, every command's help
ends with examples and its exit codes, usage errors read alike whoever finds them (click or
a command: `backpain: usage error: <one line>`, exit 2), and shell completion of commands,
options, formats, session ids and client references for bash, zsh and fish.

The command tree is walked, so commands added later are held to the same rules."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from backpain_cli.cli import completion
from backpain_cli.cli.app import app

BACKPAIN = Path(sys.executable).parent / "backpain"
GOLDEN = Path(__file__).parent / "golden"
CLIENT = "JD-042"
OTHER = "JA-7"
OTHER_ID = "20261102T080000Z-abcdef"
IDS = ["20260903T091500Z-a1b2c3", "20261001T140000Z-d4e5f6", "20261015T080000Z-777777",
       "20261029T101500Z-0f9e8d"]
EXIT_CODES = {0, 1, 2, 3, 130}


def command_tree() -> list[tuple[tuple[str, ...], Any]]:
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


COMMANDS = command_tree()
NAMES = [" ".join(p) or "backpain" for p, _ in COMMANDS]


def run(*args: str, env: Mapping[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), prog_name="backpain", env=env)


@pytest.fixture
def home(backpain_home: Path) -> Path:
    """The golden client's four sessions and one of another client (names are all that
    completion reads)."""
    shutil.copytree(GOLDEN / "sessions", backpain_home / "sessions")
    other = backpain_home / "sessions" / OTHER
    other.mkdir()
    text = (backpain_home / "sessions" / CLIENT / f"{IDS[0]}.toml").read_text()
    (other / f"{OTHER_ID}.toml").write_text(
        text.replace(IDS[0], OTHER_ID).replace(f'client = "{CLIENT}"', f'client = "{OTHER}"'))
    return backpain_home


# --------------------------------------------------------------------------- -h and help


def test_the_walk_finds_every_command() -> None:
    assert {(), ("assess",), ("review",), ("export",), ("questionnaires",),
            ("questionnaires", "list"), ("questionnaires", "check")} <= {p for p, _ in COMMANDS}


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=NAMES)
def test_h_is_help(path: tuple[str, ...]) -> None:
    short, long = run(*path, "-h"), run(*path, "--help")
    assert short.exit_code == 0, short.output
    assert short.stdout == long.stdout
    assert short.stdout.startswith(f"Usage: {' '.join(('backpain', *path))} ")
    assert "  -h, --help  " in short.stdout or re.search(r"^  -h, --help +Show", short.stdout,
                                                         re.MULTILINE)


def epilog_blocks(help_text: str) -> tuple[list[str], list[tuple[int, str]]]:
    """The example lines and the (code, meaning) pairs at the end of a help text."""
    examples_part = help_text.split("\n  Examples:\n", 1)[1].split("\n\n", 1)[0]
    codes_part = help_text.split("\n  Exit codes:\n", 1)[1]
    examples = [line.strip() for line in examples_part.splitlines()]
    codes: list[tuple[int, str]] = []
    for line in codes_part.splitlines():
        if m := re.fullmatch(r"    (\d+) +(.+)", line):
            codes.append((int(m[1]), m[2]))
        elif line.strip():
            assert line.startswith(" " * 9), line  # a meaning folded under itself
            codes[-1] = (codes[-1][0], f"{codes[-1][1]} {line.strip()}")
    return examples, codes


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=NAMES)
def test_every_help_ends_with_examples_and_exit_codes(path: tuple[str, ...],
                                                      command: Any) -> None:
    result = run(*path, "-h")
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout and "Exit codes" in result.stdout
    examples, codes = epilog_blocks(result.stdout)
    assert examples, f"{NAMES} has no example"
    # An example shows this very command (a group's, one of its commands).
    assert all(" ".join(("backpain", *path)) in e for e in examples), examples
    assert [c for c, _ in codes] == sorted(c for c, _ in codes)
    assert {c for c, _ in codes} <= EXIT_CODES
    assert {0, 2} <= {c for c, _ in codes}, codes
    assert all(meaning for _, meaning in codes)


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=NAMES)
def test_help_fits_80_columns(path: tuple[str, ...]) -> None:
    result = run(*path, "-h", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert [line for line in result.stdout.splitlines() if len(line) > 80] == []


def summaries(help_text: str) -> dict[str, str]:
    """The Commands section of a group's help: name -> its summary, lines joined."""
    found: dict[str, str] = {}
    section = help_text.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    for line in section.splitlines():
        if m := re.fullmatch(r"  (\S+) +(.+)", line):
            found[m[1]] = m[2]
        else:
            name = list(found)[-1]
            found[name] = f"{found[name]} {line.strip()}"
    return found


GROUPS = [(p, c) for p, c in COMMANDS if getattr(c, "commands", None)]


@pytest.mark.parametrize("columns", ["40", "80", "200"])
@pytest.mark.parametrize(("path", "group"), GROUPS, ids=[" ".join(p) or "backpain"
                                                         for p, _ in GROUPS])
def test_command_summaries_are_whole_at_any_width(path: tuple[str, ...], group: Any,
                                                  columns: str) -> None:
    """click cuts a summary with "..." to what fits beside the names (issue 17): each is
    the first paragraph of the command's own help, whole, wrapped if need be."""
    result = run(*path, "-h", env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    expected = {name: " ".join(command.help.split("\n\n", 1)[0].split())
                for name, command in group.commands.items()}
    assert summaries(result.stdout) == expected
    assert not any(s.endswith("...") for s in summaries(result.stdout).values())


def test_the_root_help_names_shell_completion() -> None:
    text = " ".join(run("-h").stdout.split())
    assert "--install-completion" in text
    assert "--show-completion SHELL" in text


# --------------------------------------------------------------------------- usage errors

USAGE_ERRORS: list[tuple[list[str], str]] = [
    # Found by click while parsing.
    (["--bogus"], "no such option: --bogus"),
    (["revew"], "no such command 'revew'. Did you mean 'review'?"),
    (["export", "--bogus"], "no such option: --bogus"),
    # The README's example.
    (["export", "--formt", "md"], "no such option: --formt (Possible options: --force, "
                                  "--format)"),
    (["export", IDS[0], "-f", "docx"],
     "invalid value for '--format' / '-f': 'docx' is not one of 'md', 'html', 'pdf', "
     "'json', 'jsonl', 'fhir', 'csv'"),
    (["export", IDS[0], "--format"], "option '--format' requires an argument"),
    (["assess", "--client"], "option '--client' requires an argument"),
    (["review", "--limit", "-1"], "invalid value for '--limit': -1 is not in the range x>=0"),
    (["review", "--limit", "x"], "invalid value for '--limit': 'x' is not a valid int range"),
    (["review", "a", "b", "c"], "got unexpected extra argument(s) (b c)"),
    (["questionnaires", "list", "--x"], "no such option: --x"),
    (["questionnaires", "lst"], "no such command 'lst'. Did you mean 'list'?"),
    (["--show-completion"], "option '--show-completion' requires an argument"),
    (["--show-completion", "tcsh"],
     "invalid value for '--show-completion': 'tcsh' is not one of 'bash', 'zsh', 'fish'"),
    # A control character typed on the command line is shown, never sent to the terminal.
    (["--bo\x1bgus"], "no such option: --bo\\x1bgus"),
    # Found by a command.
    (["export"], "--format is required: md, html, pdf, json, jsonl, fhir or csv"),
    (["review", "--on", "2026-12-01"], "--on only applies to --due"),
    (["assess", "--yes"], "--yes goes with --discard only"),
]


@pytest.mark.parametrize(("args", "message"), USAGE_ERRORS,
                         ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_usage_errors_are_one_line_in_one_style(home: Path, args: list[str],
                                                message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == f"backpain: usage error: {message}\n"


@pytest.mark.parametrize(("args", "message"), [
    (["export", "--bogus"], "no such option: --bogus"),
    (["review", IDS[0], "--bogus"], "no such option: --bogus"),
    (["export"], "--format is required: md, html, pdf, json, jsonl, fhir or csv"),
], ids=["click", "past the review fast path", "ours"])
def test_usage_errors_of_the_installed_command(home: Path, args: list[str],
                                               message: str) -> None:
    proc = subprocess.run([BACKPAIN, *args], capture_output=True, text=True, timeout=60,
                          check=False, env={**os.environ, "BACKPAIN_HOME": str(home)})
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        2, "", f"backpain: usage error: {message}\n")


def test_no_command_still_shows_the_help() -> None:
    result = run()
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Usage: backpain [OPTIONS] COMMAND [ARGS]...")
    assert not result.stderr.startswith("backpain:")


def test_other_errors_keep_their_style(home: Path) -> None:
    result = run("export", "XX-999", "--format", "md")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("backpain: error: ")


# --------------------------------------------------------------------------- completion


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_show_completion_prints_the_script(shell: str) -> None:
    result = run("--show-completion", shell)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.strip()
    assert completion.COMPLETE_VAR in result.stdout
    assert f"complete_{shell}" in result.stdout


def bash_complete(words: str, env: Mapping[str, str]) -> list[str]:
    """What the installed command answers bash's completion (typer's protocol)."""
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    proc = subprocess.run(
        [BACKPAIN], capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, **env, completion.COMPLETE_VAR: "complete_bash",
             "COMP_WORDS": words, "COMP_CWORD": str(cword)})
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    return proc.stdout.split()


def test_completing_a_session_id_prefix_and_a_client(home: Path) -> None:
    env = {"BACKPAIN_HOME": str(home)}
    # Newest first, with sessions of every client.
    assert bash_complete("backpain review 2026", env) == [OTHER_ID, *reversed(IDS)]
    assert bash_complete("backpain export 202610", env) == [IDS[3], IDS[2], IDS[1]]
    assert bash_complete("backpain review J", env) == [OTHER, CLIENT]
    assert bash_complete("backpain export --client JD", env) == [CLIENT]


def in_process_complete(words: str, shell: str = "bash") -> list[str]:
    if shell == "bash":
        cword = len(words.split()) - (0 if words.endswith(" ") else 1)
        env = {completion.COMPLETE_VAR: "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(cword)}
    else:
        env = {completion.COMPLETE_VAR: f"complete_{shell}", "_TYPER_COMPLETE_ARGS": words,
               "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    result = CliRunner().invoke(app, [], prog_name="backpain", env=env)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    # Nothing to offer is an empty line.
    return [line for line in result.stdout.splitlines() if line]


COMPLETIONS: list[tuple[str, list[str]]] = [
    ("backpain ", ["assess", "review", "export", "questionnaires"]),
    ("backpain rev", ["review"]),
    ("backpain questionnaires ", ["list", "check"]),
    ("backpain export --format ", ["md", "html", "pdf", "json", "jsonl", "fhir", "csv"]),
    ("backpain export -f j", ["json", "jsonl"]),
    ("backpain export --bundle ", ["collection", "transaction"]),
    ("backpain --show-completion ", ["bash", "zsh", "fish"]),
    ("backpain review --d", ["--due"]),
    ("backpain export --c", ["--client"]),
    ("backpain review ", [OTHER, CLIENT, OTHER_ID, *reversed(IDS)]),
    ("backpain review 20260903", [IDS[0]]),
    ("backpain review --client ", [OTHER, CLIENT]),
    ("backpain export JD", [CLIENT]),
    ("backpain assess --client J", [OTHER, CLIENT]),
    ("backpain assess --from 2026110", [OTHER_ID]),
    ("backpain assess --resume 20261015", [IDS[2]]),
    ("backpain assess --discard 20261015", [IDS[2]]),
    ("backpain assess --instruments ", ["odi", "rmdq"]),
    ("backpain assess --instruments o", ["odi"]),
    ("backpain assess --instruments odi,", ["odi,rmdq"]),
    ("backpain review 1999", []),
]


@pytest.mark.parametrize(("words", "expected"), COMPLETIONS, ids=[w for w, _ in COMPLETIONS])
def test_completion_table(home: Path, words: str, expected: list[str]) -> None:
    got = in_process_complete(words)
    # Commands and options other helpers add may come too; the ones listed come in order.
    if words.rstrip().endswith(("backpain", "--d", "--c")) or words == "backpain ":
        assert [g for g in got if g in expected] == expected
    else:
        assert got == expected


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_see_the_client_of_each_session(home: Path, shell: str) -> None:
    got = "\n".join(in_process_complete("backpain review 2026110", shell))
    assert OTHER_ID in got and OTHER in got


@pytest.mark.parametrize("layout", ["none", "sessions is a file"])
def test_completion_of_a_missing_or_broken_data_folder_is_empty(backpain_home: Path,
                                                                layout: str) -> None:
    if layout == "sessions is a file":
        backpain_home.mkdir()
        (backpain_home / "sessions").write_text("not a folder")
    assert in_process_complete("backpain review ") == []
    assert in_process_complete("backpain assess --client ") == []


def test_bash_loads_the_script_and_completes_through_it(home: Path) -> None:
    """The script as bash runs it: its function asks the installed command and fills
    COMPREPLY."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    script = f"""
        source <("{BACKPAIN}" --show-completion bash)
        complete -p backpain
        COMP_WORDS=(backpain review 202609); COMP_CWORD=2
        _backpain_completion backpain
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    env = {**os.environ, "BACKPAIN_HOME": str(home),
           "PATH": f"{BACKPAIN.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([bash, "--norc", "-c", script], capture_output=True, text=True,
                          timeout=60, check=False, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "complete -o default -F _backpain_completion backpain", IDS[0]]


def test_install_completion_for_the_shell_that_runs_it(tmp_path: Path) -> None:
    """Run from bash, it is detected as bash: the script goes under ~/.bash_completions
    and ~/.bashrc gets one line to load it, however often it is run."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    rc = tmp_path / ".bashrc"
    rc.write_text("export EDITOR=vi\n")
    env = {**os.environ, "HOME": str(tmp_path), "SHELL": "/bin/sh"}
    for _ in range(2):
        # `; true`: bash would otherwise exec the command, and its parent would not be bash.
        proc = subprocess.run([bash, "--norc", "-c", f'"{BACKPAIN}" --install-completion; true'],
                              capture_output=True, text=True, timeout=60, check=False, env=env)
        assert proc.returncode == 0, proc.stderr
    script = tmp_path / ".bash_completions" / "backpain.sh"
    assert proc.stdout == f"bash completion installed in {script}; it works in a new terminal.\n"
    assert script.read_text() == run("--show-completion", "bash").stdout
    assert rc.read_text() == f"export EDITOR=vi\n\n# backpain shell completion\nsource {script}\n"


@pytest.mark.parametrize(("shell", "where", "rc_name", "line"), [
    (completion.Shell.zsh, ".zfunc/_backpain", ".zshrc",
     "fpath+=({home}/.zfunc); autoload -Uz compinit; compinit"),
    (completion.Shell.fish, ".config/fish/completions/backpain.fish", None, None),
])
def test_install_for_zsh_and_fish(tmp_path: Path, shell: completion.Shell, where: str,
                                  rc_name: str | None, line: str | None) -> None:
    for _ in range(2):
        path = completion.install(shell, home=tmp_path)
    assert path == tmp_path / where
    assert path.read_text() == completion.script(shell) + "\n"
    if rc_name is not None and line is not None:
        assert (tmp_path / rc_name).read_text() == (
            f"\n# backpain shell completion\n{line.format(home=tmp_path)}\n")
    else:
        assert sorted(p.name for p in tmp_path.iterdir()) == [".config"]


def test_completion_module_imports_nothing_at_start_up() -> None:
    """Building the command tree imports cli/completion.py and cli/helptext.py; what they
    read (storage, questionnaires) is imported only when a completion is asked for."""
    code = ("import sys; before = set(sys.modules); "
            "import backpain_cli.cli.completion, backpain_cli.cli.helptext; "
            "print(' '.join(sorted(m for m in set(sys.modules) - before "
            "if m.startswith('backpain_cli') or m.startswith('typer'))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert proc.stdout.split() == ["backpain_cli", "backpain_cli.cli",
                                   "backpain_cli.cli.completion", "backpain_cli.cli.helptext"]
