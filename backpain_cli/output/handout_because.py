"""The "Because ..." line of each piece of advice on the client's handout (issue 20, item 3).

A recommendation's `because` names answer ids, score keys and warning signs; the client
reads the reason in words ("Because you sleep on your side."), from the answers this client
gave. The words are data (handout_because.toml beside this module). An id is said only when
its answer (or score, or counted sign) is in the session, and only through the table: an
id, a raw value or an answer the client did not give is never printed. At most two
reasons are joined; with none in words there is no line at all.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from ..clinical.model import Recommendation, RedFlag, ScoreValue
from ..clinical.questionnaire import AnswerValue
from ..files import parse_toml
from . import handout_words as w
from .wording import flag_text

MOST_REASONS = 2
# A second reason is joined only while the line stays this short: one long sentence reads
# above school grade 8 (a warning sign's words are long).
MOST_WORDS = 12


@functools.cache
def table() -> dict[str, Any]:
    """handout_because.toml, read once."""
    text = (resources.files(__package__) / "handout_because.toml").read_text("utf-8")
    return parse_toml(text)


def _number(words: Mapping[str, Any], n: int) -> str:
    if "bands" in words:
        said: str = [text for start, text in words["bands"] if n >= start][-1]
        return said
    key = "zero" if n == 0 and "zero" in words else "one" if n == 1 and "one" in words \
        else "other"
    text: str = words[key]
    return text.format(n=n)


def answer_words(rule_id: str, qid: str, value: AnswerValue) -> tuple[str, ...]:
    """An answer's words for `rule_id`'s line; () when the table has none."""
    t = table()
    if isinstance(value, bool):
        said = t["answers"].get(qid, {}).get("yes" if value else "no")
        return (said,) if said else ()
    if isinstance(value, int) and qid in t["numbers"]:
        return (_number(t["numbers"][qid], value),)
    if isinstance(value, str):
        said = t["answers"].get(qid, {}).get(value)
        return (said,) if said else ()
    if isinstance(value, tuple):
        read = t["rule_choices"].get(rule_id, {}).get(qid)
        if read is not None:
            choices = t["choices"].get(qid, {})
            return tuple(choices[v] for v in read if v in value and v in choices)
        said = t["lists"].get(qid)
        return (said,) if said else ()
    return ()


def sign_words(flag_id: str) -> str:
    """A warning sign as a clause ("you told us about a fever"): its plain words from
    output/wording.py, or simpler ones from the table where those read too hard here."""
    flags = table()["flags"]
    if flag_id in flags["said"]:
        said: str = flags["said"][flag_id]
        return said
    sign = flags["words"].get(flag_id) or w.FLAG_WORDS.get(flag_id) or flag_text(flag_id)
    template: str = flags["template"]
    return template.format(sign=sign)


def reasons(rec: Recommendation, answers: Mapping[str, AnswerValue],
            scores: Mapping[str, ScoreValue], flags: Sequence[RedFlag]) -> tuple[str, ...]:
    """Every reason of `rec` in words, each once: in its `because` order, the `last` ids
    after the others, an id left out when an id that implies it is said."""
    counted = {f.id for f in flags}
    t = table()
    named = [i for i in rec.because if i not in t["last"]] + [
        i for i in rec.because if i in t["last"]]
    out: list[str] = []
    for item in named:
        if any(other in named and _said(rec.id, other, answers, scores, counted)
               for other in t["implied"].get(item, ())):
            continue
        said = _said(rec.id, item, answers, scores, counted)
        out.extend(s for s in said if s not in out)
    return tuple(out)


def _said(rule_id: str, item: str, answers: Mapping[str, AnswerValue],
          scores: Mapping[str, ScoreValue], counted: set[str]) -> tuple[str, ...]:
    """The words of one `because` id in this session; () when it has none."""
    if item in counted or (item.startswith("rf_") and answers.get(item) is True):
        return (sign_words(item),)
    if item in answers:
        return answer_words(rule_id, item, answers[item])
    if item in scores and item in table()["scores"]:
        return (table()["scores"][item],)
    return ()


def because_line(rec: Recommendation, answers: Mapping[str, AnswerValue],
                 scores: Mapping[str, ScoreValue], flags: Sequence[RedFlag]) -> str | None:
    """"Because A and B." from at most two reasons; None when none has words."""
    return join(reasons(rec, answers, scores, flags))


def join(said: Sequence[str]) -> str | None:
    """"Because A and B.": the first reason, and the next one that keeps the line short;
    None without any."""
    if not said:
        return None
    line = f"{w.BECAUSE} {said[0]}."
    for more in said[1:]:
        longer = f"{line[:-1]} and {more}."
        if len(longer.split()) <= MOST_WORDS:
            return longer  # MOST_REASONS: the first reason and one more
    return line
