"""The one TOML parser (files.parse_toml): tomli, read as the standard library's tomllib reads.

tomli replaced tomllib for speed (its compiled wheel parses a session file about three times
faster). It must not change what a file is: the same documents, the same refusals, in the
same words, since a refusal's words are what `review` prints for an unreadable file.
"""

from __future__ import annotations

import datetime as dt
import random
import tomllib
from pathlib import Path

import pytest
import tomli_w
from helpers import imported_modules

import backpain_cli
from backpain_cli.files import TomlError, loads_toml, parse_toml

PACKAGE = Path(backpain_cli.__file__).parent

# Pieces a session file does not hold but a hand-edited one could: every kind of value and
# key TOML 1.0 has, so that mutations reach each branch of the parser.
EXTRAS = (
    'a = {b = {c = {d = 1}}}\n', 'x = 1979-05-27T07:32:00-08:00\n', 'y = 07:32:00.999\n',
    'z = 0x1F\n', 'o = 0o17\n', 'bb = 0b101\n', 'w = -inf\n', 'n = nan\n', 'k."q r" = 1\n',
    's = """a\\\n b"""\n', "t = 'x'\n", "m = '''\nraw\\n'''\n", 'v = [1,\n2,]\n', 'u = 1e5\n',
    'd = 1979-05-27\n', 'dd = 1979-05-27 07:32:00Z\n', 'l = 1979-05-27T07:32:00\n',
    '[[arr]]\nx = 1\n', '[t.u]\nv = "\\u00e9\\t"\n', 'big = 1_000_000\n', 'f = +1.5e-3\n',
)
NOISE = list('[]{}="\'\\\n ,.#:-+_0123456789abcdefnxoTZtruels\t\r\x00\x7f\u00e9')


def outcome(parse: object, text: str) -> tuple[str, str]:
    """What `parse` made of `text`, compared by repr: types, key order and NaN included."""
    try:
        return "parsed", repr(parse(text))  # type: ignore[operator]
    except (tomllib.TOMLDecodeError, TomlError) as exc:
        return "refused", str(exc)


def session_text() -> str:
    return tomli_w.dumps({
        "schema": 3, "id": "20260101T090000Z-0a1b2c", "client": "C-1",
        "created": dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC), "status": "completed",
        "instruments": ["odi"], "answers": {"age": 41, "pain_duration": "weeks_6_12",
                                            "sleep_position": ["side"], "night_pain": False},
        "questionnaires": {"intake": {"version": "3", "sha256": "ab" * 32}},
        "plan": {"recommendations": [{"id": "sleep.side_pillow", "because": ["sleep"]}]},
    })


def mutants(seed: int, count: int) -> list[str]:
    rnd = random.Random(seed)
    base = session_text()
    out = []
    for _ in range(count):
        text = base + "".join(rnd.sample(EXTRAS, 4))
        for _ in range(rnd.randint(1, 4)):
            at = rnd.randrange(len(text))
            roll = rnd.random()
            if roll < 0.4:
                text = text[:at] + text[at + 1:]
            elif roll < 0.8:
                text = text[:at] + rnd.choice(NOISE) + text[at:]
            else:
                start = rnd.randrange(len(text))
                text = text[:at] + text[start:start + 20] + text[at:]
        out.append(text)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_every_mutated_file_reads_as_tomllib_reads_it(seed: int) -> None:
    """The same document, or the same refusal in the same words, for 1,000 damaged files
    each (about half of them refused)."""
    texts = mutants(seed, 1_000)
    refused = 0
    for text in texts:
        ours = outcome(parse_toml, text)
        assert ours == outcome(tomllib.loads, text), text
        refused += ours[0] == "refused"
    assert 200 < refused < 900  # both branches really taken


@pytest.mark.parametrize(("text", "message"), [
    ("a = " + "[" * 2_000 + "]" * 2_000, "arrays or tables nested too deeply"),
    ("a = " + "{b = " * 2_000 + "1" + "}" * 2_000, "arrays or tables nested too deeply"),
    ("a = " + "9" * 5_000, "an integer of more than 4300 digits"),
    ("a = 9999-12-31T23:59:59-01:00",
     "the date-time 9999-12-31T23:59:59-01:00 is out of range in UTC"),
])
def test_what_the_parser_lets_through_is_refused_in_words(text: str,
                                                                      message: str) -> None:
    with pytest.raises(TomlError) as caught:
        loads_toml(text)
    assert str(caught.value) == message


@pytest.mark.parametrize("text", [
    "a = {b = 1,\n c = 2}", "a = {b = 1, c = 2,}", 'a = "\\e"', 'a = "\\x41"', "a = 07:32",
    "a = 1979-05-27 07:32Z",
])
def test_toml_11_is_refused_as_tomllib_refuses_it(text: str) -> None:
    """TOML 1.1 (newlines and trailing commas in inline tables, new escapes, times without
    seconds), which tomli 2.4 and later read, is refused as Python 3.11 to 3.14 refuse it:
    a file another computer's backpain reads must be one this one reads too."""
    ours = outcome(parse_toml, text)
    assert ours[0] == "refused"
    assert ours == outcome(tomllib.loads, text)


def test_only_files_py_imports_the_parser() -> None:
    """One parser, one place: no module of the package imports tomli or tomllib but
    files.py, so every file is read by the same rules and refused in the same words."""
    importers = [path.relative_to(PACKAGE).as_posix() for path in sorted(PACKAGE.rglob("*.py"))
                 if {"tomli", "tomllib"} & {n.split(".")[0] for n in imported_modules(path)}]
    assert importers == ["files.py"]
