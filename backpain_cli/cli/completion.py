"""Shell completion: the scripts for bash, zsh and fish, and the values completed from the
data folder (session ids, client references) and the questionnaires (instruments).

The shell runs `backpain` once for every Tab press, with `_BACKPAIN_COMPLETE` set (typer's
completion protocol); commands, options and the choices of `--format` and `--bundle` come
from the command tree itself. What this module adds reads folder listings only (the
storage scan: no session file is opened) and imports what it needs when it is called, so
that building the command tree for an ordinary run costs nothing more than this module.
A completion never fails loudly: a data folder that cannot be read completes nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

PROG = "backpain"
# What typer's scripts set; derived from the program name as typer derives it.
COMPLETE_VAR = "_BACKPAIN_COMPLETE"


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def clients(incomplete: str) -> list[str]:
    """Client references (folder names, as spelled on disk) that start with `incomplete`.

    Case counts here although references do not depend on it: typer keeps only the values
    that start with what was typed, as it was typed.
    """
    from ..errors import BackpainError
    from ..records import storage

    try:
        names = storage.client_names()
    except (BackpainError, OSError):
        return []
    return [n for n in names if n.startswith(incomplete)]


def sessions(incomplete: str) -> list[tuple[str, str]]:
    """Session ids that start with `incomplete`, newest first, each with its client."""
    from ..errors import BackpainError
    from ..records import storage

    try:
        refs = storage.scan().refs
    except (BackpainError, OSError):
        return []
    found = sorted((r for r in refs if r.id.startswith(incomplete)), key=lambda r: r.id,
                   reverse=True)
    return [(r.id, r.client) for r in found]


def sessions_and_clients(incomplete: str) -> list[tuple[str, str]]:
    """For SESSION|CLIENT arguments: the clients first, then the sessions."""
    return [(c, "client") for c in clients(incomplete)] + sessions(incomplete)


def instruments(incomplete: str) -> list[str]:
    """`--instruments odi,r` completes the last name of the comma-separated list."""
    from ..errors import BackpainError

    done, _, last = incomplete.rpartition(",")
    try:
        from ..clinical.questionnaire import load_registry
        from ..records import storage

        optional = [m.id for m in load_registry(storage.questionnaires_dir()).modules
                    if m.optional]
    except (BackpainError, OSError):
        return []
    chosen = set(done.split(",")) if done else set()
    prefix = f"{done}," if done else ""
    return [f"{prefix}{m}" for m in optional if m.startswith(last) and m not in chosen]


def script(shell: Shell) -> str:
    """The completion script for `shell`, as `--show-completion SHELL` prints it."""
    # typer's scripts speak the protocol its completion classes answer (the pin on typer
    # in pyproject.toml keeps the two private modules used here where they are).
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell.value)


# Where each shell reads completions, and the line its start-up file needs for that.
_TARGETS: dict[Shell, tuple[str, str | None]] = {
    Shell.bash: (".bash_completions/backpain.sh", ".bashrc"),
    Shell.zsh: (".zfunc/_backpain", ".zshrc"),
    Shell.fish: (".config/fish/completions/backpain.fish", None),
}


def detect_shell() -> Shell:
    """The shell that runs backpain (its parent process), else the login shell ($SHELL)."""
    import os

    # typer's detection (shellingham, a dependency of typer): None when it cannot tell.
    from typer._completion_shared import _get_shell_name

    from ..errors import BackpainError

    for candidate in (_get_shell_name(), os.path.basename(os.environ.get("SHELL", ""))):
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
