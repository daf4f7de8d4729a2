"""The shell conventions of the README ("Conventions"): `-h` is `--help`, every command's help
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
from helpers import imported_modules
from typer.testing import CliRunner, Result

from backpain_cli.cli import completion
from backpain_cli.cli.app import app
from backpain_cli.clinical.questionnaire import load_registry

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
     "'json', 'jsonl', 'fhir', 'ics', 'csv'"),
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
    (["export"], "--format is required: md, html, pdf, json, jsonl, fhir, ics or csv"),
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
    (["export"], "--format is required: md, html, pdf, json, jsonl, fhir, ics or csv"),
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
    assert result.stdout == completion.script(completion.Shell(shell)) + "\n"
    assert f"{completion.COMPLETE_VAR}={shell}" in result.stdout


def installed_complete(shell: str, words: list[str], env: Mapping[str, str],
                       columns: int = 80) -> list[str]:
    """What the installed command answers a script: the words typed are its arguments."""
    proc = subprocess.run(
        [BACKPAIN, *words], capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, **env, completion.COMPLETE_VAR: shell,
             "_BACKPAIN_COLUMNS": str(columns)})
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    return proc.stdout.splitlines()


def test_the_installed_command_answers_each_shell(home: Path) -> None:
    env = {"BACKPAIN_HOME": str(home)}
    # bash: several candidates with their descriptions, aligned; one alone is the value.
    assert installed_complete("bash", ["export", "202610"], env) == [
        f"{IDS[3]}  ({CLIENT})", f"{IDS[2]}  ({CLIENT})", f"{IDS[1]}  ({CLIENT})"]
    assert installed_complete("bash", ["review", "j"], env) == [
        "JA-7    (client, 1 session)", "JD-042  (client, 4 sessions)"]
    assert installed_complete("bash", ["export", "--client", "jd"], env) == [CLIENT]
    # Cut to the terminal's width, so that bash can show them in columns.
    assert installed_complete("bash", ["review", "j"], env, columns=24) == [
        "JA-7    (client, 1 se…)", "JD-042  (client, 4 se…)"]
    # zsh and fish: value, tab, description.
    for shell in ("zsh", "fish"):
        assert installed_complete(shell, ["assess", "--from", "2026110"], env) == [
            f"{OTHER_ID}\t{OTHER}"]
    # An older backpain's script (typer's protocol) gets nothing: the shell offers files.
    assert installed_complete("complete_bash", ["review", ""], env) == []


def complete(words: str, *, described: bool = False) -> list[Any]:
    """The candidates for a command line (the last word is the one being completed)."""
    split = words.split() + ([""] if words.endswith(" ") or not words.split() else [])
    found = completion.candidates(typer.main.get_command(app), split[1:-1], split[-1])
    return found if described else [v for v, _ in found]


COMPLETIONS: list[tuple[str, list[str]]] = [
    ("backpain ", ["assess", "review", "export", "questionnaires"]),
    ("backpain rev", ["review"]),
    ("backpain REV", ["review"]),
    ("backpain questionnaires ", ["list", "check"]),
    ("backpain export --format ", ["md", "html", "pdf", "json", "jsonl", "fhir", "ics", "csv"]),
    ("backpain export -f j", ["json", "jsonl"]),
    ("backpain export -f J", ["json", "jsonl"]),
    ("backpain export --bundle ", ["collection", "transaction"]),
    ("backpain --show-completion ", ["bash", "zsh", "fish"]),
    ("backpain review --d", ["--due"]),
    ("backpain export --c", ["--client"]),
    ("backpain review ", [OTHER, CLIENT, OTHER_ID, *reversed(IDS)]),
    ("backpain review 20260903", [IDS[0]]),
    ("backpain review 20261029t101500z-0F", [IDS[3]]),
    ("backpain review --client ", [OTHER, CLIENT]),
    ("backpain export JD", [CLIENT]),
    # References match in any case, as they are read (issue 17, item 17).
    ("backpain export jd", [CLIENT]),
    ("backpain review j", [OTHER, CLIENT]),
    ("backpain forget jd-0", [CLIENT]),
    ("backpain assess --client J", [OTHER, CLIENT]),
    ("backpain assess --client ja", [OTHER]),
    ("backpain export --client=jd", [f"--client={CLIENT}"]),
    ("backpain assess --from 2026110", [OTHER_ID]),
    ("backpain assess --resume 20261015", [IDS[2]]),
    ("backpain assess --discard 20261015", [IDS[2]]),
    ("backpain assess --instruments ", ["odi", "rmdq"]),
    ("backpain assess --instruments o", ["odi"]),
    ("backpain assess --instruments ODI,", ["ODI,rmdq"]),
    ("backpain assess --instruments odi,", ["odi,rmdq"]),
    ("backpain config set practice_n", ["practice_name"]),
    ("backpain config unset INSTR", ["instruments"]),
    ("backpain review 1999", []),
    # A value already given: nothing more to complete; an option's value is not an argument.
    ("backpain forget JD-042 ", []),
    ("backpain review --limit ", []),
    ("backpain review --limit 5 jd", [CLIENT]),
    ("backpain nosuch ", []),
]


@pytest.mark.parametrize(("words", "expected"), COMPLETIONS, ids=[w for w, _ in COMPLETIONS])
def test_completion_table(home: Path, words: str, expected: list[str]) -> None:
    got = complete(words)
    # Commands and options other helpers add may come too; the ones listed come in order.
    if words.rstrip().endswith(("backpain", "--d", "--c")) or words == "backpain ":
        assert [g for g in got if g in expected] == expected
    else:
        assert got == expected


def test_sessions_come_with_their_client_and_clients_with_their_sessions(home: Path) -> None:
    assert complete("backpain assess --from 2026", described=True) == [
        (OTHER_ID, OTHER), *((i, CLIENT) for i in reversed(IDS))]
    assert complete("backpain export j", described=True) == [
        (OTHER, "client, 1 session"), (CLIENT, "client, 4 sessions")]
    [rmdq] = [m for m in load_registry(None).modules if m.id == "rmdq"]
    assert complete("backpain assess --instruments r", described=True) == [
        ("rmdq", rmdq.title)]
    described = dict(complete("backpain ", described=True))
    assert described["review"] == (
        "List sessions, re-run one through today's rules, or show a client's history.")


def test_every_session_or_client_parameter_completes() -> None:
    """The values come by parameter name (completion.VALUES): each name there is a
    parameter of the tree, and every parameter taking a session or a client has one."""
    params = [p for _, command in COMMANDS for p in getattr(command, "params", [])]
    names = {p.name for p in params}
    assert set(completion.VALUES) <= names
    for p in params:
        if re.search(r"SESSION|CLIENT|REF", p.metavar or ""):
            assert p.name in completion.VALUES, p.name


# Documented in the standard library's reference, private in name only.
DOCUMENTED = {"_thread"}


def test_no_private_module_of_another_package() -> None:
    """ARCHITECTURE: no private modules (issue 18): not typer's vendored click nor its
    completion modules, not CPython's _sha2 for a hash that hashlib gives."""
    package = Path(completion.__file__).resolve().parent.parent
    private = {f"{path.relative_to(package.parent)}: {name}"
               for path in package.rglob("*.py") for name in imported_modules(path)
               if any(part.startswith("_") and not part.startswith("__")
                      for part in name.split(".")) and name not in DOCUMENTED}
    assert sorted(private) == []
    source = Path(completion.__file__).read_text(encoding="utf-8")
    assert not re.search(r"typer\._|_completion_|from typer import _", source)


@pytest.mark.parametrize("layout", ["none", "sessions is a file"])
def test_completion_of_a_missing_or_broken_data_folder_is_empty(backpain_home: Path,
                                                                layout: str) -> None:
    if layout == "sessions is a file":
        backpain_home.mkdir()
        (backpain_home / "sessions").write_text("not a folder")
    assert complete("backpain review ") == []
    assert complete("backpain assess --client ") == []


def shell_env(home: Path) -> dict[str, str]:
    return {**os.environ, "BACKPAIN_HOME": str(home), "PS1": "$ ", "TERM": "dumb",
            "PATH": f"{BACKPAIN.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


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
        COMP_WORDS=(backpain assess --from 2026110 --json); COMP_CWORD=3
        _backpain_completion backpain
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    proc = subprocess.run([bash, "--norc", "-c", script], capture_output=True, text=True,
                          timeout=60, check=False, env=shell_env(home))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "complete -o default -o nosort -F _backpain_completion backpain", IDS[0], OTHER_ID]


def type_tab(shell: list[str], setup: str, typed: str, home: Path,
             env: Mapping[str, str] | None = None) -> str:
    """What an interactive `shell` shows after `typed` (ending with a Tab)."""
    import pexpect

    child = pexpect.spawn(shell[0], shell[1:], env={**shell_env(home), **(env or {})},
                          encoding="utf-8", dimensions=(24, 200), timeout=20)
    try:
        child.sendline(f"{setup}; echo re''ady")
        child.expect_exact("ready")
        child.expect_exact("$ ")
        child.send(typed)
        # Then to the start of the line (Ctrl-A), to run it as `echo completed: ...`.
        child.send("\x01echo completed: \r")
        child.expect(r"\ncompleted: ([^\r\n]*)\r?\n")
        return str(child.match.group(1))
    finally:
        child.terminate(force=True)


@pytest.mark.pty
def test_bash_completes_a_reference_in_any_case(home: Path) -> None:
    """`jd<Tab>` in a real bash: the word becomes the reference as spelled (issue 17)."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    shown = type_tab([bash, "--norc", "--noprofile", "-i"],
                     f'source <("{BACKPAIN}" --show-completion bash)', "backpain review jd\t",
                     home)
    assert shown == f"backpain review {CLIENT}"


@pytest.mark.pty
def test_zsh_completes_through_its_script(home: Path, tmp_path: Path) -> None:
    zsh = shutil.which("zsh")
    if zsh is None:
        pytest.skip("zsh is not installed")
    folder = tmp_path / "zfunc"
    folder.mkdir()
    (folder / "_backpain").write_text(completion.script(completion.Shell.zsh))
    shown = type_tab([zsh, "-f", "-i"],
                     f"PS1='$ '; fpath=({folder} $fpath); autoload -Uz compinit; compinit -u",
                     "backpain review jd\t", home)
    assert shown == f"backpain review {CLIENT}"


def test_fish_completes_through_its_script(home: Path, tmp_path: Path) -> None:
    fish = shutil.which("fish")
    if fish is None:
        pytest.skip("fish is not installed")
    folder = tmp_path / "fish" / "completions"
    folder.mkdir(parents=True)
    (folder / "backpain.fish").write_text(completion.script(completion.Shell.fish))
    proc = subprocess.run(
        [fish, "-c",
         'complete -C"backpain review jd"; complete -C"backpain assess --from 2026110"'],
        capture_output=True, text=True, timeout=60, check=False,
        env={**shell_env(home), "XDG_CONFIG_HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"{CLIENT}\tclient, 4 sessions", f"{OTHER_ID}\t{OTHER}"]


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
