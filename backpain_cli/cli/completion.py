"""Shell completion: backpain's own scripts for bash, zsh and fish, and the answers they get.

On each Tab press the shell runs `backpain` with `_BACKPAIN_COMPLETE` set to its name and
the words of the command line as arguments, the last one the word being completed (cli/
__init__.py hands such a run to app.complete before anything else). The answer is one candidate a
line, with a description where it helps: a session id with its client's reference, a
client with how many sessions it has, a command with its summary, an option with its help.
Commands, options and choices (`--format`, `--bundle`) come from the command tree; the
values of the parameters named in VALUES from the data folder's listings (no session file
is opened) and the questionnaires. What is typed matches in any case, as references do:
`jd<Tab>` completes `JD-042`. A completion never fails loudly: a data folder that cannot
be read completes nothing, and the shell then offers file names.

Only typer's public `typer.main.get_command` and the attributes of the commands and
parameters it builds are used, and the command table (cli/commands.py): completing a
command's options imports that command's module alone. This module imports what it needs
when it is called, so that an ordinary run costs nothing more than this module.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

PROG = "backpain"
# Set, to the shell's name, by the scripts below when they ask for completions.
COMPLETE_VAR = "_BACKPAIN_COMPLETE"


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


# A candidate and its description ("" for none).
Candidate = tuple[str, str]


def _matches(value: str, incomplete: str) -> bool:
    return value.casefold().startswith(incomplete.casefold())


@functools.cache
def _sessions_by_client() -> dict[str, list[str]]:
    """Every client folder (as spelled on disk) and its session ids, newest first, from
    the folder listings alone; empty when the data folder cannot be read."""
    # A Tab press only: an ordinary run imports no more than this module (its docstring).
    from ..errors import BackpainError
    from ..records import tree

    try:
        names, refs = tree.client_names(), tree.scan().refs
    except (BackpainError, OSError):
        return {}
    found: dict[str, list[str]] = {name: [] for name in names}
    for ref in sorted(refs, key=lambda r: r.id, reverse=True):
        found.setdefault(ref.client, []).append(ref.id)
    return found


def clients(incomplete: str) -> list[Candidate]:
    """Client references that start with `incomplete` in any case, each with how many
    sessions it has."""
    return [(name, f"client, {len(ids)} session{'s' if len(ids) != 1 else ''}")
            for name, ids in sorted(_sessions_by_client().items(),
                                    key=lambda item: item[0].casefold())
            if _matches(name, incomplete)]


def sessions(incomplete: str) -> list[Candidate]:
    """Session ids that start with `incomplete`, newest first, each with its client."""
    found = [(sid, client) for client, ids in _sessions_by_client().items() for sid in ids
             if _matches(sid, incomplete)]
    return sorted(found, reverse=True)


def sessions_and_clients(incomplete: str) -> list[Candidate]:
    """For SESSION|CLIENT arguments: the clients first, then the sessions."""
    return clients(incomplete) + sessions(incomplete)


def instruments(incomplete: str) -> list[Candidate]:
    """`--instruments odi,r` completes the last name of the comma-separated list."""
    # A Tab press only, as above.
    from ..errors import BackpainError

    done, _, last = incomplete.rpartition(",")
    try:
        # The questionnaire model: only when --instruments is being completed.
        from ..clinical.questionnaire import load_registry
        from ..records import paths

        optional = [m for m in load_registry(paths.questionnaires_dir()).modules
                    if m.optional]
    except (BackpainError, OSError):
        return []
    chosen = {c.casefold() for c in done.split(",")} if done else set()
    prefix = f"{done}," if done else ""
    return [(f"{prefix}{m.id}", m.title) for m in optional
            if _matches(m.id, last) and m.id.casefold() not in chosen]


def settings_keys(incomplete: str) -> list[Candidate]:
    # A Tab press after `config set|unset` only.
    from ..records.settings import KEYS

    return [(k, "") for k in KEYS if _matches(k, incomplete)]


# The values of parameters, by the parameter's name: the same name means the same kind of
# value in every command (tests/test_shell_conventions.py holds the tree to it).
VALUES: dict[str, Callable[[str], list[Candidate]]] = {
    "target": sessions_and_clients,  # review, export, forget: SESSION|CLIENT
    "client": clients,
    "from_": sessions,
    "resume": sessions,
    "discard": sessions,
    "session": sessions,  # note SESSION
    "instruments": instruments,
    "key": settings_keys,  # config set|unset
}


# --------------------------------------------------------------------------- answering


def answer(shell: str, words: Sequence[str], root: Any) -> str:
    """What `shell` is told for a command line of `words` (after the program's name; the
    last is the word being completed) under the command tree `root`."""
    if not words:
        words = [""]
    found = candidates(root, list(words[:-1]), words[-1])
    if shell == Shell.fish:
        return "".join(f"{v}\t{d}\n" if d else f"{v}\n" for v, d in found)
    if shell == Shell.zsh:
        return "".join(f"{v}\t{d}\n" for v, d in found)
    return _bash(found)


def _bash(found: list[Candidate]) -> str:
    """bash shows what it is given: with several candidates, each carries its description
    after two spaces, aligned (as gh and other cobra programs do). They never share more
    than their values do, so what bash inserts as their common start is still a value's."""

    if len(found) == 1 or not any(d for _, d in found):
        return "".join(f"{v}\n" for v, _ in found)
    try:
        columns = int(os.environ.get("_BACKPAIN_COLUMNS") or 80)
    except ValueError:
        columns = 80
    width = max(len(v) for v, _ in found)
    lines = []
    for value, description in found:
        if not description:
            lines.append(value)
            continue
        line = f"{value:<{width}}  ({description})"
        if len(line) > columns - 1 and columns - 1 > width + 5:
            line = line[:columns - 3] + "…)"
        lines.append(line)
    return "".join(f"{line}\n" for line in lines)


def candidates(root: Any, words: list[str], incomplete: str) -> list[Candidate]:
    """The completions of `incomplete` after `words`, under the click command `root`."""
    _sessions_by_client.cache_clear()  # the folder is read once an answer
    command, position, pending = _walk(root, words)
    if command is None:
        return []
    if pending is not None:
        return _values(pending, incomplete)
    if incomplete.startswith("-"):
        name, eq, value = incomplete.partition("=")
        option = _option(command, name) if eq else None
        if option is not None:  # --client=JD (zsh and fish keep the "=" in the word)
            return [(f"{name}={v}", d) for v, d in _values(option, value)]
        return _options(command, incomplete)
    if command is root:
        # The command table's summaries: no command's module is imported to list them.
        from .commands import COMMANDS

        return [(name, row.summary) for name, row in COMMANDS.items()
                if _matches(name, incomplete)]
    if hasattr(command, "commands"):
        return [(name, sub.get_short_help_str(limit=200))
                for name, sub in command.commands.items()
                if not sub.hidden and _matches(name, incomplete)]
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    if not arguments:
        return []
    argument = arguments[min(position, len(arguments) - 1)]
    if position >= len(arguments) and argument.nargs != -1:
        return []
    return _values(argument, incomplete)


def _walk(root: Any, words: list[str]) -> tuple[Any, int, Any]:
    """The command the words lead to (None: nowhere), how many of its arguments they gave,
    and the option still waiting for its value (or None)."""
    command, position, pending, options_ended = root, 0, None, False
    for word in words:
        if pending is not None:
            if word != "=":  # bash splits --client=JD into --client, =, JD
                pending = None
            continue
        if not options_ended and word == "--":
            options_ended = True
        elif not options_ended and word.startswith("-") and word != "-":
            name, eq, _ = word.partition("=")
            option = _option(command, name)
            if option is not None and _takes_value(option) and not eq:
                pending = option
        elif hasattr(command, "commands"):
            command = command.commands.get(word)
            if command is None:
                return None, 0, None
            position = 0
        else:
            position += 1
    return command, position, pending


def _option(command: Any, name: str) -> Any:
    return next((p for p in command.params if p.param_type_name == "option"
                 and name in (*p.opts, *p.secondary_opts)), None)


def _takes_value(option: Any) -> bool:
    return not (option.is_flag or option.count)


def _options(command: Any, incomplete: str) -> list[Candidate]:
    found = [(name, p.help or "") for p in command.params
             if p.param_type_name == "option" and not p.hidden
             for name in (*p.opts, *p.secondary_opts) if name.startswith("--")]
    found.append(("--help", "Show the help and exit."))
    return [(n, " ".join(d.split())) for n, d in found if n.startswith(incomplete)]


def _values(param: Any, incomplete: str) -> list[Candidate]:
    completer = VALUES.get(param.name)
    if completer is not None:
        return completer(incomplete)
    choices = getattr(param.type, "choices", None)
    if choices:
        values = [str(getattr(c, "value", c)) for c in choices]
        return [(v, "") for v in values if _matches(v, incomplete)]
    return []  # a file, a number, free text: the shell's own completion (file names)


# --------------------------------------------------------------------------- the scripts


_BASH = """\
# backpain completion for bash (backpain --show-completion bash)
_backpain_completion() {
    # mapfile, not COMPREPLY=( $(...) ): a description's [brackets] must not glob.
    mapfile -t COMPREPLY < <(_BACKPAIN_COLUMNS="${COLUMNS:-80}" %(var)s=bash \\
        "$1" "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
    return 0
}
complete -o default -o nosort -F _backpain_completion %(prog)s 2>/dev/null \\
    || complete -o default -F _backpain_completion %(prog)s
"""

_ZSH = """\
#compdef %(prog)s
# backpain completion for zsh (backpain --show-completion zsh)
_backpain() {
    local -a found described
    local line
    found=( ${(f)"$(%(var)s=zsh ${words[1]} "${(@)words[2,CURRENT]}" 2>/dev/null)"} )
    if (( ${#found} == 0 )); then
        _files
        return
    fi
    for line in $found; do
        if [[ $line == *$'\\t'?* ]]; then
            described+=( "${${line%%%%$'\\t'*}//:/\\\\:}:${line#*$'\\t'}" )
        else
            described+=( "${${line%%%%$'\\t'*}//:/\\\\:}" )
        fi
    done
    _describe -V -t values %(prog)s described -M 'm:{a-zA-Z}={A-Za-z}'
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _backpain "$@"
else
    compdef _backpain %(prog)s
fi
"""

_FISH = """\
# backpain completion for fish (backpain --show-completion fish)
function __backpain_complete
    set -l words (commandline -opc)
    set -l program $words[1]
    set -e words[1]
    set -l current (commandline -ct)
    set -l found (env %(var)s=fish $program $words "$current" 2>/dev/null)
    if test (count $found) -eq 0
        __fish_complete_path "$current"
    else
        printf '%%s\\n' $found
    end
end
complete -c %(prog)s -f -k -a '(__backpain_complete)'
"""

_SCRIPTS = {Shell.bash: _BASH, Shell.zsh: _ZSH, Shell.fish: _FISH}


def script(shell: Shell) -> str:
    """The completion script for `shell`, as `--show-completion SHELL` prints it."""
    return _SCRIPTS[shell] % {"prog": PROG, "var": COMPLETE_VAR}


# Where each shell reads completions, and the line its start-up file needs for that.
_TARGETS: dict[Shell, tuple[str, str | None]] = {
    Shell.bash: (".bash_completions/backpain.sh", ".bashrc"),
    Shell.zsh: (".zfunc/_backpain", ".zshrc"),
    Shell.fish: (".config/fish/completions/backpain.fish", None),
}


def detect_shell() -> Shell:
    """The shell that runs backpain (its parent process), else the login shell ($SHELL)."""

    # Only for --install-completion: which shell to install into.
    import shellingham

    from ..errors import BackpainError

    try:
        detected: str | None = shellingham.detect_shell()[0]
    except (shellingham.ShellDetectionFailure, OSError, RuntimeError):
        detected = None
    for candidate in (detected, os.path.basename(os.environ.get("SHELL", ""))):
        if candidate is not None and candidate in Shell.__members__:
            return Shell(candidate)
    raise BackpainError(
        "cannot tell which shell this is (bash, zsh and fish are supported); print the "
        "script with `backpain --show-completion bash|zsh|fish` and load it from your "
        "shell's start-up file")


def install(shell: Shell, home: Path | None = None) -> Path:
    """Write the script where `shell` finds it and make the start-up file load it.

    The start-up file is only ever appended to (a line is added once), never rewritten, so
    a failure cannot cut it short; the script is replaced whole or not at all.
    """
    # Only for --install-completion: writing the script and the start-up line.
    import shlex
    from pathlib import Path

    from ..errors import StorageError
    from ..records.atomic import write_bytes_atomic

    base = home if home is not None else Path.home()
    where, rc_name = _TARGETS[shell]
    target = base / where
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create {target.parent}: {exc.strerror}") from None
    write_bytes_atomic(target, (script(shell) + "\n").encode("utf-8"), overwrite=True)
    if rc_name is not None:
        line = (f"source {shlex.quote(str(target))}" if shell is Shell.bash
                else f"fpath+=({shlex.quote(str(target.parent))}); autoload -Uz compinit; "
                     "compinit")
        rc = base / rc_name
        try:
            present = rc.read_text(encoding="utf-8", errors="replace").splitlines() \
                if rc.exists() else []
            if line not in present:
                with rc.open("a", encoding="utf-8") as fh:
                    fh.write(f"\n# backpain shell completion\n{line}\n")
        except OSError as exc:
            raise StorageError(f"{rc}: {exc.strerror}") from None
    return target
