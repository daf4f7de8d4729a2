"""Answers saved under versions 1 and 2 of the questionnaires, read as version 3 asks them.

the clinical reference, "Version 1 and 2 sessions": when an older session is re-scored (`review
SESSION`, the defaults of `assess --from`, a resumed draft), two renamed version-1
`axspa_features` values are read as their successors. Every other answer is taken as given:
the answers to questions reworded since (`rf_both_legs`, `rf_recent_procedure`,
`rf_immunosuppressed`, `rf_unwell`, `rf_trauma`, `rf_osteoporosis`, `rf_chest_symptoms`,
`diagnoses` and the v2 ones), and a yes to `rf_recent_procedure`, which before version 3 may
have meant an infection, read as a procedure (the more cautious reading). Questions that
did not exist then (`sex`, `rf_recent_infection` among them) stay unanswered, so the usual
missing-answer rules apply: the re-scored plan is partial, an absent `risk_team_aware`
counts as no (a saved risk factor stays urgent) and an absent `sex` does not hide
`pregnancy`. The saved session itself is never changed: this works on a copy.
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
    """`answers` with version-1 values replaced by their successors of today."""
    out = dict(answers)
    features = out.get("axspa_features")
    if isinstance(features, tuple):
        # dict.fromkeys keeps the order and drops a successor that was also given itself.
        out["axspa_features"] = tuple(dict.fromkeys(AXSPA_SUCCESSORS.get(v, v)
                                                    for v in features))
    return out
