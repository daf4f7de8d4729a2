"""`backpain forget CLIENT|SESSION`: erase a client's health data, or one session of it.

`forget_target` is the use case: it resolves what the argument names (the one rule of
records/targets.py), plans the erasure, asks the command's `confirm` and erases
(records/erasure.py does the deleting and keeps the summary index in step).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from ..frozen import frozen
from ..records import erasure
from ..records.erasure import Erased, Erasure
from ..records.targets import ClientTarget, resolve
from .notices import Notices
from .sync import record_forgotten


@frozen
class Forgotten:
    """What was to be erased, and what was (None: the confirmation was declined)."""

    plan: Erasure
    erased: Erased | None


def forget_target(target: str, *, confirm: Callable[[Erasure], bool] | None,
                  stoppable: Callable[[], AbstractContextManager[Callable[[], bool]]],
                  notices: Notices) -> Forgotten:
    """Erase what `target` names once `confirm` agrees (None: without asking).

    While files are deleted, `stoppable` gives what says when to stop between two of them
    (the command's Ctrl-C); what was erased, and what was not, is then in the result.
    """
    found = resolve(target)
    if isinstance(found, ClientTarget):
        if found.note is not None:
            notices.note(found.note)
        plan = erasure.plan_client(found.client)
    else:
        plan = erasure.plan_session(found)
    if confirm is not None and not confirm(plan):
        return Forgotten(plan, None)
    # Before the files go: an erasure interrupted part way is still sent by the next sync,
    # which finishes it here as well.
    record_forgotten(plan.session_ids, plan.root)
    with stoppable() as stop:
        return Forgotten(plan, erasure.erase(plan, stop=stop))
