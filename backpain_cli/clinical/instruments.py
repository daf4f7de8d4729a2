"""The optional instruments a list names: the one rule for `assess --instruments`, the
`instruments` setting and `config set instruments`."""

from __future__ import annotations

from .questionnaire import Registry


def instrument_names(text: str | None,
                     registry: Registry) -> tuple[tuple[str, ...], str | None]:
    """The instruments `text` names (comma-separated, any case), and what is wrong if one
    of them is unknown."""
    if not text:
        return (), None
    names = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in registry.optional_ids]
    if unknown:
        return names, (f"unknown instrument {', '.join(unknown)}; choose from "
                       f"{', '.join(registry.optional_ids)}")
    return names, None
