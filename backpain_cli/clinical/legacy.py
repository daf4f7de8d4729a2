"""Answers saved under version 1 of the questionnaires, read as version 2 asks them.

CLINICAL.md, "Version 1 sessions": when a version-1 session is re-scored (`review SESSION`,
the defaults of `assess --from`, a resumed draft), two renamed `axspa_features` values are
read as their successors. Questions that did not exist then stay unanswered, so the usual
missing-answer rules apply. The saved session itself is never changed: this works on a copy.
"""

from __future__ import annotations

from collections.abc import Mapping

from .questionnaire import AnswerValue

# Version-1 value -> version-2 value of `axspa_features`.
AXSPA_SUCCESSORS = {
    "buttock_pain_alternating": "buttock_pain",
    "psoriasis_or_enthesitis": "psoriasis",
}


def current_answers(answers: Mapping[str, AnswerValue]) -> dict[str, AnswerValue]:
    """`answers` with version-1 values replaced by their version-2 successors."""
    out = dict(answers)
    features = out.get("axspa_features")
    if isinstance(features, tuple):
        # dict.fromkeys keeps the order and drops a successor that was also given itself.
        out["axspa_features"] = tuple(dict.fromkeys(AXSPA_SUCCESSORS.get(v, v)
                                                    for v in features))
    return out
