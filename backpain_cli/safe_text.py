"""Text from files, made safe to show: control characters become visible placeholders.

A session file, an answers file or a file name can hold any character. Shown raw, an ESC
starts a terminal escape sequence (it can rewrite the screen, set the window title, or hide
a warning sign), a BEL rings, and a CR overwrites a line; in a Markdown or HTML export they
travel on to whatever opens it. Every place that shows text from a file shows `visible(text)`
instead: C0 characters other than line feed and tab, DEL and the C1 range 0x80–0x9f are
replaced by their escape as plain text (ESC reads `\\x1b`), and so are the bidirectional
controls (U+202E reads `\\u202e`), so nothing is hidden, reordered or executed. JSON output
is for programs and keeps the stored text exactly, but never raw: `to_json` writes every one
of these characters as a JSON escape (`\\u007f`), which a JSON reader turns back into it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, TypeVar, cast

T = TypeVar("T")

# Bidirectional embedding, override and isolate controls reorder the text around them
# ("Trojan Source"): a reference or a detail could read differently from what is stored. The
# invisible marks (left-to-right U+200E, right-to-left U+200F, Arabic letter U+061C) change
# the direction of what is next to them as well.
BIDI_CONTROLS = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F),
                           *range(0x2066, 0x206A)])
CONTROL_CHARACTERS = frozenset(
    [*range(0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0), *BIDI_CONTROLS])
_PLACEHOLDERS = {code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
                 for code in CONTROL_CHARACTERS}
# A file name that is not UTF-8 (`notes\xff.txt`) reaches Python with each byte that does
# not decode as a lone surrogate, U+DC80 to U+DCFF (PEP 383): no UTF-8 output, JSON or
# SQLite text can hold one. It is shown as the byte it stands for.
_UNDECODED = {0xDC00 + byte: f"\\x{byte:02x}" for byte in range(0x80, 0x100)}
_PLACEHOLDERS.update(_UNDECODED)


# json escapes the C0 range itself; the rest of CONTROL_CHARACTERS it leaves raw. A search
# first: a bulk export passes every record through here, and nearly none holds one.
_RAW_IN_JSON = re.compile("[" + "".join(chr(c) for c in sorted(CONTROL_CHARACTERS)
                                        if c >= 0x20) + "]")


def to_json(value: object, *, indent: int | None = 2) -> str:
    """`value` as JSON text, with a final newline when indented (one document to print), in
    one line without (a JSON Lines record, which adds its own). Non-ASCII text is kept as
    it is, but DEL, the C1 controls and the bidirectional controls are written as escapes:
    a terminal or an editor showing the output raw would obey them."""
    # json: only for JSON output, not for every error line this module shows.
    import json

    if indent is None:
        return escape_json(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    return escape_json(json.dumps(value, indent=indent, ensure_ascii=False)) + "\n"


def escape_json(text: str) -> str:
    """JSON text (as json.dumps writes it) with the characters above escaped. They can only
    be inside its strings, where an escape reads as the character itself."""
    if text.isascii() and "\x7f" not in text:
        return text
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def visible(text: str) -> str:
    """`text` with each control character (but line feed and tab) as a visible `\\xNN`."""
    # Nearly every text is printable: skip the translation then (isprintable is False for
    # a newline or a tab as well, which the translation then keeps).
    if text.isprintable():
        return text
    shown = text.translate(_PLACEHOLDERS)
    return text if shown == text else shown


def valid_text(text: str) -> str:
    """`text` (a path or name from the file system) that UTF-8 can encode: each byte that
    was not UTF-8 shown as a visible `\\xNN` (any other lone surrogate as `\\udNNN`);
    every other character is kept as it is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = text.translate(_UNDECODED)
        return shown.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def control_character(text: str) -> str | None:
    """The first control character of `text` that `visible` would replace, as shown."""
    # Each of them is unprintable (tests/test_safe_text.py): a printable text, nearly every
    # text, holds none, and the check is one C call instead of a loop over its characters.
    if text.isprintable():
        return None
    return next((_PLACEHOLDERS[ord(c)] for c in text if ord(c) in CONTROL_CHARACTERS), None)


def visible_in(value: T) -> T:
    """`value` with `visible` applied to every string inside it, however deep: frozen
    dataclasses (rebuilt with the new values), tuples, lists, dicts (keys too) and paths.

    What a renderer is given (a session, a plan, a review) is passed through this first, so
    no field of it can be forgotten. Nothing is copied when nothing needs changing."""
    return cast(T, _visible_in(value))


def _visible_in(value: Any) -> Any:
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, PurePath):
        shown = visible(str(value))
        return value if shown == str(value) else type(value)(shown)
    if isinstance(value, tuple | list):
        items = [_visible_in(v) for v in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple
            return type(value)(*items)
        return type(value)(items)
    if isinstance(value, Mapping):
        pairs = [(_visible_in(k), _visible_in(v)) for k, v in value.items()]
        if all(nk is k and nv is v for (nk, nv), (k, v) in zip(pairs, value.items(),
                                                                strict=True)):
            return value
        return dict(pairs)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            if not f.init:
                continue
            old = getattr(value, f.name)
            new = _visible_in(old)
            if new is not old:
                changes[f.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value
