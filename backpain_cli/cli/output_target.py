"""`-o PATH` for the commands that write a document (export, handout, letter, intake form,
report): the options, one reading of `-o`, one way of writing to it or to standard output,
and the checks every such command makes before it writes (a binary format to a terminal,
the client's `--name`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ..records.export_files import write_bytes, write_text
from ..records.practice import text_problem
from .notices import StderrNotices


def output_path(text: str) -> Path | None:
    """`-o`'s value: `-` is standard output, as for every Unix tool (None, as without -o);
    a file named "-" is `./-`. Parsed from the text, as a Path would lose the difference."""
    return None if text == "-" else Path(text)


# The two options themselves, worded once for every command that writes a document.
OutputOption = Annotated[Path | None, typer.Option(
    "--output", "-o", metavar="PATH", parser=output_path,
    help="Write to PATH instead of stdout (- is stdout): atomically, readable only by you "
         "(0600), and never over an existing file unless --force.")]
ForceOption = Annotated[bool, typer.Option("--force", help="Let -o replace an existing file.")]


def refuse_binary_to_terminal(fmt: str, output: Path | None, example: str) -> None:
    """A binary format (`fmt`) on a terminal would be noise; to a pipe or a file it may go
    (curl's rule for binary output). `example` names the file in the hint."""
    if output is None and sys.stdout.isatty():
        raise UsageError(f"--format {fmt} to a terminal: a {fmt.upper()} is binary; add -o "
                         f"FILE, or redirect standard output (> {example}.{fmt})")


def check_name(name: str | None) -> None:
    """`--name`, the client's name for this print only: one line, no control characters."""
    if name is not None:
        problem = text_problem(name)
        if problem is not None:
            raise UsageError(f"--name: {problem}")


def shown(output: Path) -> str:
    """The file written, as it is named: a file named "-" is ./- (- is standard output)."""
    return "./-" if str(output) == "-" else str(output)


def emit(content: str | bytes, output: Path | None, force: bool,
         notices: StderrNotices) -> None:
    """Write `content` to standard output (None) or atomically to `output`, and say so."""
    if output is None:
        if isinstance(content, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(content)
        else:
            sys.stdout.write(content)
        sys.stdout.flush()
        return
    if isinstance(content, bytes):
        write_bytes(output, content, force=force)
    else:
        write_text(output, content, force=force)
    notices.info(f"Wrote {shown(output)}")
