"""Where a use case's messages go while it works: the command passes its own `Notices` in,
and prints them on stderr. A flow says them as they happen, because some must come before a
prompt or an error (a note on how an argument was read, the emergency referral)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..clinical.model import Plan
    from ..records.tree import Unreadable


class Notices(Protocol):
    def info(self, text: str) -> None:
        """A plain line for the practitioner (what is being done)."""

    def note(self, text: str) -> None:
        """How something was read, when it could have meant something else."""

    def warning(self, text: str) -> None:
        """Something odd that does not stop the command."""

    def unreadable(self, bad: Unreadable) -> None:
        """A session file that could not be read and is left out."""

    def emergency(self, plan: Plan) -> None:
        """The emergency referral, where it must come before anything else."""
