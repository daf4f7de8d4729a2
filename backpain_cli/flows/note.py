"""`backpain note SESSION [TEXT]`: the practitioner's own note about a visit.

A note (findings of the examination, what was done, what was agreed) is an addendum of a
completed session (records/addenda.py): a dated file of its own beside the session, written
once and never changed; the session file is never rewritten. Notes show in `review
SESSION` and the JSON document, never on the client's handout, and `forget` erases them
with their session.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import BackpainError, UsageError
from ..records import addenda
from ..records.addenda import Addendum
from ..records.storage import read_session
from ..records.targets import resolve_session


def add_note(target: str, text: str, root: Path | None = None) -> Addendum:
    """Add `text` as a note of the completed session `target` names."""
    problem = addenda.text_problem(text)
    if problem is not None:
        raise UsageError(problem)
    ref = resolve_session(target, "SESSION", root)
    session = read_session(ref.path)
    if session.status != "completed":
        raise BackpainError(f"{ref.id} is a draft: finish it first (backpain assess --resume "
                         f"{ref.id}); a note is added to a completed visit")
    return addenda.save_addendum(ref, addenda.NOTE, {"text": text.strip("\n")}, root=root)
