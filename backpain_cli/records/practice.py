"""Who saw the client: the practice and practitioner a session records at its visit.

Apart from the settings (records.settings) they are copied from, so that reading a session,
which every command does, does not load the settings' rules with it.
"""

from __future__ import annotations

from ..frozen import frozen
from ..safe_text import control_character

# The names of the settings and of the session file's optional top-level keys alike.
PRACTICE_KEYS = ("practice_name", "practice_contact", "practitioner")
# A name or contact line longer than this would not fit a handout's header.
MAX_TEXT = 200
_LINE_BREAKS = frozenset("\n\r\t\v\f\u2028\u2029\x85")


@frozen
class Practice:
    """The practice's name, its address or contact line, and the practitioner."""

    name: str | None = None
    contact: str | None = None
    practitioner: str | None = None

    def __bool__(self) -> bool:
        return any((self.name, self.contact, self.practitioner))


def text_problem(value: object, *, limit: int = MAX_TEXT) -> str | None:
    """Why `value` cannot be a one-line text of a practice (settings and sessions alike)."""
    if not isinstance(value, str):
        return "must be text"
    if not value.strip():
        return "must not be empty"
    if any(c in _LINE_BREAKS for c in value):
        return "must be one line (no line breaks or tabs)"
    shown = control_character(value)
    if shown is not None:
        return f"must not contain control characters ({shown})"
    if len(value) > limit:
        return f"must be at most {limit} characters (it has {len(value)})"
    return None
