"""`medical.safety_net`, "When to get help sooner" (the clinical reference, "Safety net", v3).

A *sign* is an event a text tells the client to act on, and each part of the safety net
names some signs with a deadline: now, today or soon. The rule "one sign, one deadline"
decides which part names which sign: a sign the client already has is named by no part
(the referral names it); every other sign by the candidate part with the tightest
deadline, the first in part order on a tie; a part left with none of its signs is not
shown. `PARTS` is the clinical reference's table as rows; the sentences are data in advice.toml
(`[rules."medical.safety_net"]`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..frozen import frozen
from . import conditions as c
from .conditions import Answers, Finding, Scores

NOW, TODAY, SOON = 0, 1, 2  # deadlines, tightest first
DEADLINE_NAMES = {NOW: "now", TODAY: "today", SOON: "soon"}

# The risk factors of T1: a fever with any of them is an emergency.
INFECTION_RISKS = ("rf_immunosuppressed", "rf_recent_procedure", "rf_recent_infection",
                   "rf_steroids")

# A sign the client already has (a counted flag) is named by the referral, not here.
HAD_BY: dict[str, tuple[str, ...]] = {
    "fever": ("rf_fever",),
    "unwell": ("rf_unwell",),
    "weight_loss": ("rf_weight_loss",),
    "night_pain": ("rf_night_pain", "rf_constant_pain"),  # night_pain_flag
    "constant_pain": ("rf_constant_pain",),
    "thoracic": ("rf_thoracic_pain",),
    "calf": ("rf_leg_clot",),
    "fall": ("rf_trauma",),
    "sudden_pain": ("rf_osteoporosis", "rf_fragility_fracture"),
}


@frozen
class Client:
    """What the parts' conditions read: answers, scores and the counted flags."""

    answers: Answers
    scores: Scores
    flags: tuple[str, ...]

    def holds(self, condition: c.Condition) -> bool:
        return condition(self.answers, self.scores).holds

    def has(self, flag: str) -> bool:
        return flag in self.flags


Candidate = Callable[[Client], tuple[tuple[str, int], ...] | None]


def _when(test: Callable[[Client], bool],
          *signs: tuple[str, int]) -> Candidate:
    """A part that is a candidate when `test` holds, with its signs and deadlines."""
    return lambda k: signs if test(k) else None


def _fever_unwell(k: Client) -> tuple[tuple[str, int], ...] | None:
    fever, unwell = k.has("rf_fever"), k.has("rf_unwell")
    if unwell and not fever:
        return (("fever", TODAY),)
    if fever and not unwell:
        return (("unwell", TODAY),)
    if not fever and not unwell:
        # (c): a sign of its own, decided once soon_signs is known (see `parts`).
        return (("fever_unwell", TODAY),)
    return None


# the clinical reference's table: part id, when it is a candidate and with which (sign, deadline).
PARTS: tuple[tuple[str, Candidate], ...] = (
    ("emergency_signs", _when(lambda k: True, ("saddle", NOW), ("bladder_bowel", NOW),
                              ("sexual", NOW), ("leg_weakness", NOW), ("both_legs", NOW))),
    ("chest_signs", _when(lambda k: True, ("chest_pain", NOW),
                          ("sudden_breathlessness", NOW), ("tearing_pain", NOW))),
    ("early_pregnancy", _when(lambda k: k.holds(c.early_pregnancy),
                              ("pregnancy_bleeding", NOW), ("fever", NOW))),
    ("pregnancy", _when(lambda k: k.holds(c.pregnant) and not k.holds(c.early_pregnancy),
                        ("pregnancy_bleeding", NOW), ("fever", NOW))),
    ("clot", _when(lambda k: k.holds(c.pregnant_or_postpartum),
                   ("calf", TODAY), ("blood_cough", NOW))),
    ("postnatal", _when(lambda k: k.holds(c.postnatal_6wk), ("fever", TODAY),
                        ("unwell", TODAY), ("discharge", TODAY), ("heavy_bleeding", NOW))),
    ("very_unwell", _when(lambda k: k.holds(c.postnatal_6wk) or (
        k.has("rf_fever") and k.has("rf_unwell")), ("very_unwell", NOW))),
    ("vascular", _when(lambda k: k.holds(c.vascular_pattern), ("cold_foot", NOW))),
    ("infection_risk", _when(lambda k: any(k.has(f) for f in INFECTION_RISKS),
                             ("fever", NOW))),
    ("procedure", _when(lambda k: k.has("rf_recent_procedure"),
                        ("wound", TODAY), ("leg_numbness", TODAY))),
    ("cancer", _when(lambda k: k.has("rf_cancer_history"), ("night_pain", TODAY),
                     ("thoracic", TODAY), ("constant_pain", TODAY), ("worsening", TODAY),
                     ("weight_loss", TODAY), ("unwell", TODAY))),
    ("bone", _when(lambda k: k.holds(c.bone_caution), ("sudden_pain", SOON), ("fall", SOON))),
    ("anticoagulant", _when(lambda k: k.has("rf_anticoagulant"), ("fall", TODAY))),
    ("soon_signs", _when(lambda k: True, ("fever", SOON), ("unwell", SOON),
                         ("weight_loss", SOON), ("night_pain", SOON),
                         ("leg_numbness", SOON), ("worsening", SOON))),
    ("fever_unwell", _fever_unwell),
    ("check", _when(lambda k: True)),
)
PART_IDS = tuple(part for part, _ in PARTS)


@frozen
class Part:
    """A part shown: its id and the signs it names, each with its deadline."""

    id: str
    signs: tuple[tuple[str, int], ...]

    def names(self, sign: str) -> bool:
        return any(s == sign for s, _ in self.signs)


def had(client: Client) -> frozenset[str]:
    """The signs the client already has."""
    return frozenset(sign for sign, flags in HAD_BY.items() if any(map(client.has, flags)))


def parts(client: Client) -> tuple[Part, ...]:
    """The parts shown, in order, each with the signs it names (the clinical reference, "One sign,
    one deadline")."""
    present = had(client)
    candidates = [(part, signs) for part, candidate in PARTS
                  if (signs := candidate(client)) is not None]
    best: dict[str, tuple[int, int]] = {}  # sign -> (deadline, position) of its namer
    for position, (_, signs) in enumerate(candidates):
        for sign, deadline in signs:
            if sign in present:
                continue
            if sign not in best or deadline < best[sign][0]:
                best[sign] = (deadline, position)
    named = [(part, tuple((s, d) for s, d in signs if best.get(s) == (d, i)))
             for i, (part, signs) in enumerate(candidates)]
    soon = dict(named).get("soon_signs", ())
    out: list[Part] = []
    for part, signs in named:
        if part == "fever_unwell" and any(s == "fever_unwell" for s, _ in signs) and not (
                {"fever", "unwell"} <= {s for s, _ in soon}):
            continue
        if part == "bone" and not any(s == "sudden_pain" for s, _ in signs):
            continue  # the fall alone is not this part's point
        if signs or part == "check":
            out.append(Part(part, signs))
    return tuple(out)


# --------------------------------------------------------------------------- wording


def _join(words: Sequence[str], conj: str) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {conj} " + words[-1]


def sentences(part: Part, client: Client, triage: str, weeks: int | None,
              texts: Mapping[str, str], flag_words: Mapping[str, str]) -> list[str]:
    """The sentences of one part shown."""
    t = texts
    held_back = triage in ("urgent", "same_day")
    names = {s for s, _ in part.signs}

    def items() -> str:
        return "; ".join(t[f"item_{s}"] for s, _ in part.signs)

    match part.id:
        case "emergency_signs" | "chest_signs" | "early_pregnancy" | "pregnancy" \
                | "very_unwell" | "vascular" | "procedure" | "anticoagulant":
            return [t[part.id]]
        case "clot":
            return ([t["clot_calf"]] if "calf" in names else []) + [t["clot_blood_cough"]]
        case "postnatal":
            words = [t[f"postnatal_{s}"] for s in ("fever", "unwell", "discharge")
                     if s in names]
            return [t["postnatal"].format(signs=_join(words, "or")),
                    t["postnatal_heavy_bleeding"]]
        case "infection_risk":
            risks = [flag_words[f] for f in client.flags if f in INFECTION_RISKS]
            return [t["infection_risk"].format(risks=_join(risks, "and"))]
        case "cancer":
            return [t["cancer"].format(items=items())]
        case "bone":
            reason = t["reason_steroids" if client.has("rf_steroids") else "reason_bones"]
            key = "bone" if "fall" in names else "bone_without_fall"
            return [t[key].format(reason=reason)]
        case "soon_signs":
            return [t["soon_signs_urgent" if held_back else "soon_signs"].format(items=items())]
        case "fever_unwell":
            key = {"fever": "fever_unwell_fever", "unwell": "fever_unwell_unwell",
                   "fever_unwell": "fever_unwell_both"}[part.signs[0][0]]
            return [t[key]]
        case "check":
            if held_back:
                return [t["check_urgent"]]
            if weeks is None:
                return []  # a partial plan without a pain duration has no interval
            return [t["check"].format(weeks="1 week" if weeks == 1 else f"{weeks} weeks")]
    raise ValueError(f"unknown safety-net part {part.id!r}")


def because(shown: Sequence[Part], client: Client) -> tuple[str, ...]:
    """What `medical.safety_net` names besides `pain_duration` and the flags: the answers
    of its parts shown (the clinical reference, "Safety net")."""
    a = client.answers
    out: list[str] = []

    def add(*ids: str) -> None:
        out.extend(i for i in ids if i in a and i not in out)

    def add_finding(found: Finding) -> None:
        add(*found.because)

    for part in shown:
        if part.id in ("early_pregnancy", "pregnancy"):
            add("pregnancy", "pregnancy_weeks")
        elif part.id == "clot":
            add("pregnancy")
        elif part.id == "postnatal" or (part.id == "very_unwell"
                                        and client.holds(c.postnatal_6wk)):
            add("pregnancy", "postpartum_weeks")
        elif part.id == "vascular":
            add_finding(c.vascular_pattern(a, client.scores))
        elif part.id == "bone":
            add_finding(c.bone_caution(a, client.scores))
    return tuple(out)
