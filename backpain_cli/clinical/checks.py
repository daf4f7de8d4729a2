"""Consistency checks (the clinical reference v3, "Consistency checks (v3)").

Answers that contradict each other: each row of `CHECKS` names the answers it reads, the
question the interview asks again, and the line that names the problem. A check holds only
when every answer it reads is present. Checks warn and never remove a flag; the one that
feeds a rule (pain now above the week's worst) does so through `worst_pain` in the named
conditions, and the pregnancy sign answered without a pregnancy answer is simply not
counted (triage). Pure: the interview, the answers-file path and `review` all read this.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..frozen import frozen
from .model import Check
from .questionnaire import AnswerValue

Answers = Mapping[str, AnswerValue]
# The questions a check names when it holds (its `questions`), or None when it does not.
Test = Callable[[Answers], tuple[str, ...] | None]

# the clinical reference's exact opening for the pregnancy sign answered without a pregnancy answer:
# it comes before anything else the command prints, an error list included.
PREGNANCY_WARNING_UNASKED = ("A pregnancy warning sign was answered yes: if the client is "
                             "pregnant, this is an emergency.")
PREGNANCY_WARNING_CHECK = "ck_pregnancy_warning_unasked"


@frozen
class CheckRule:
    id: str
    test: Test
    # Asked again in the interview with the given answer as default; None: nothing to ask.
    reask: str | None
    # The line that names the problem; {placeholders} are answers of the check.
    line: str


def _int(a: Answers, qid: str) -> int | None:
    v = a.get(qid)
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _values(a: Answers, qid: str) -> tuple[str, ...] | None:
    v = a.get(qid)
    return v if isinstance(v, tuple) else None


def _pain_now_above_worst(a: Answers) -> tuple[str, ...] | None:
    now, worst = _int(a, "pain_now"), _int(a, "pain_worst_week")
    if now is None or worst is None or now <= worst:
        return None
    return ("pain_now", "pain_worst_week")


def _injury_no_trauma(a: Answers) -> tuple[str, ...] | None:
    if (a.get("onset") == "after_injury" and a.get("pain_duration") == "under_6_weeks"
            and a.get("rf_trauma") is False):
        return ("onset", "pain_duration", "rf_trauma")
    return None


def _leg_pain_not_located(a: Answers) -> tuple[str, ...] | None:
    where = _values(a, "pain_location")
    if a.get("sbst_1") is True and where is not None \
            and not {"leg_above_knee", "leg_below_knee"} & set(where):
        return ("sbst_1", "pain_location")
    return None


def _no_mechanical_pattern(a: Answers) -> tuple[str, ...] | None:
    if (_values(a, "pain_worse_with") == ("none",) and _values(a, "pain_eased_by") == ("none",)
            and a.get("rf_constant_pain") is False):
        return ("pain_worse_with", "pain_eased_by", "rf_constant_pain")
    return None


def _both_ways(a: Answers) -> tuple[str, ...]:
    worse, eased = _values(a, "pain_worse_with") or (), _values(a, "pain_eased_by") or ()
    # `none` never counts.
    return tuple(v for v in worse if v in eased and v != "none")


def _worse_and_eased(a: Answers) -> tuple[str, ...] | None:
    return ("pain_worse_with", "pain_eased_by") if _both_ways(a) else None


def _first_episode_long(a: Answers) -> tuple[str, ...] | None:
    age = _int(a, "age")
    if not (a.get("first_episode") is True and a.get("pain_duration") == "over_12_weeks"
            and age is not None and age >= 45):
        return None
    # The two branches cannot both hold: onset_before_35 hides onset_before_45.
    if a.get("onset_before_45") is True:
        return ("first_episode", "pain_duration", "age", "onset_before_45")
    if "onset_before_35" in (_values(a, "axspa_features") or ()):
        return ("first_episode", "pain_duration", "age", "axspa_features")
    return None


def _osteoporosis_not_in_diagnoses(a: Answers) -> tuple[str, ...] | None:
    diagnoses = _values(a, "diagnoses")
    if a.get("rf_osteoporosis") is True and diagnoses is not None \
            and "osteoporosis" not in diagnoses:
        return ("rf_osteoporosis", "diagnoses")
    return None


def _pregnancy_warning_unasked(a: Answers) -> tuple[str, ...] | None:
    # About a missing answer: among checked answers the sign is kept only when pregnancy
    # was not given (a hidden pregnancy hides the sign too).
    if a.get("rf_pregnancy_warning") is True and "pregnancy" not in a:
        return ("rf_pregnancy_warning", "pregnancy")
    return None


CHECKS: tuple[CheckRule, ...] = (
    CheckRule("ck_pain_now_above_worst", _pain_now_above_worst, "pain_worst_week",
              "pain now ({pain_now}) is above the worst pain of the past week "
              "({pain_worst_week}); the worst of the week includes today"),
    CheckRule("ck_injury_no_trauma", _injury_no_trauma, "rf_trauma",
              "the pain began after an injury less than 6 weeks ago, but no recent fall, "
              "accident or blow was reported"),
    CheckRule("ck_leg_pain_not_located", _leg_pain_not_located, "pain_location",
              "STarT Back item 1 says the pain has spread down a leg, but no leg is among the "
              "places that hurt"),
    CheckRule("ck_no_mechanical_pattern", _no_mechanical_pattern, "rf_constant_pain",
              "nothing makes the pain worse and nothing eases it, but the pain was not said "
              "to be there all the time at the same level"),
    CheckRule("ck_worse_and_eased", _worse_and_eased, "pain_eased_by",
              "the same thing makes the pain worse and eases it: {both_ways}"),
    CheckRule("ck_first_episode_long", _first_episode_long, "first_episode",
              "a first episode of back pain at {age} that began before {onset_age}: it would "
              "have lasted many years"),
    CheckRule("ck_osteoporosis_not_in_diagnoses", _osteoporosis_not_in_diagnoses, "diagnoses",
              "osteoporosis was given with the sudden pain, but it is not among the "
              "diagnoses"),
    CheckRule(PREGNANCY_WARNING_CHECK, _pregnancy_warning_unasked, None,
              "a pregnancy warning sign was answered yes without an answer to pregnancy: it "
              "is not counted"),
)
CHECK_IDS = tuple(rule.id for rule in CHECKS)
RULES = {rule.id: rule for rule in CHECKS}


def find(answers: Answers) -> tuple[Check, ...]:
    """The checks that hold on these answers, in table order."""
    out = []
    for rule in CHECKS:
        questions = rule.test(answers)
        if questions is not None:
            out.append(Check(rule.id, questions))
    return tuple(out)


def pregnancy_warning_unasked(answers: Answers) -> bool:
    """The pregnancy sign answered yes without a pregnancy answer: not counted, and the
    command's output opens with `PREGNANCY_WARNING_UNASKED`."""
    return _pregnancy_warning_unasked(answers) is not None


def line(check: Check, answers: Answers) -> str:
    """The one line that names the problem of a check that holds on `answers`."""
    onset_age = 45 if "onset_before_45" in check.questions else 35
    words = {k: v for k, v in answers.items() if isinstance(v, (int, str))}
    return RULES[check.id].line.format_map({
        **words, "onset_age": onset_age,
        "both_ways": ", ".join(v.replace("_", " ") for v in _both_ways(answers))})
