"""`-o PATH` for the commands that write a document (export, handout): one reading of the
option and one way of writing to it or to standard output."""

from __future__ import annotations

import sys
from pathlib import Path

from ..records.export_files import write_bytes, write_text
from .notices import StderrNotices


def output_path(text: str) -> Path | None:
    """`-o`'s value: `-` is standard output, as for every Unix tool (None, as without -o);
    a file named "-" is `./-`. Parsed from the text, as a Path would lose the difference."""
    return None if text == "-" else Path(text)


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
