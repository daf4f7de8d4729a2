"""The handout checklist on the terminal (issue 20, item 4), shared by `backpain handout`
and by `backpain assess` after the plan, and the parsing of `--pick` and `--drop`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UsageError
from ..flows.handout import Checklist, Chosen

if TYPE_CHECKING:
    from ..clinical.handout_choice import HandoutChoice
    from ..clinical.model import Plan
    from ..clinical.programme import Programme


def ids(text: str | None, option: str) -> tuple[str, ...] | None:
    """A comma-separated list of ids (an empty one: none)."""
    if text is None:
        return None
    ids = tuple(part.strip() for part in text.split(",") if part.strip())
    if any(not i.replace(".", "").replace("_", "").isalnum() for i in ids):
        raise UsageError(f"{option}: {text!r} is not a comma-separated list of ids")
    return ids


def terminal_checklist(*, prompts_on_stderr: bool) -> Checklist:
    """The handout checklist on this terminal (also after `assess` shows the plan)."""

    def ask(plan: Plan, programme: Programme, current: HandoutChoice,
            note: str | None) -> Chosen:
        # questionary and prompt_toolkit (~100 ms): only for a checklist that is shown.
        from ..clinical.handout_choice import MAX_PICKS, is_required
        from ..interview import HandoutOffer, ask_handout, terminal_asker

        offer = HandoutOffer(
            advice=[(r.id, r.title, is_required(r.id)) for r in plan.recommendations],
            picked=frozenset(current.picks),
            exercises=[(item.id, f"{item.name}: {item.dose}") for item in programme.items],
            dropped=frozenset(current.dropped), note=note, most=MAX_PICKS)
        answer = ask_handout(terminal_asker(prompts_on_stderr=prompts_on_stderr), offer)
        return Chosen(answer.picks, answer.drops, answer.note)

    return ask
