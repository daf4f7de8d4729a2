"""The words of the client's handout (issue 20, item 3), apart from the plan's own texts.

Written for a client who reads them at home, perhaps years older than the practitioner:
plain words, short sentences, no score names, no question ids, nothing a clinician would
say to a colleague. Every text here reads at school grade 8 or below by Flesch-Kincaid
(tests/test_client_handout.py measures each one); the plan's advice, the safety net and
the exercise library bring their own words, checked where they are written.

Under urgent and same_day triage no text shown may reassure ("common", "settle", "rarely":
the clinical reference "Wording" rule 2); the texts used there (TRIAGE urgent and same_day, and the
section headings) say none of these words.
"""

from __future__ import annotations

from types import MappingProxyType

TITLE = "Your back care plan"
FOR = "For"
FROM = "From"

# Section headings, in the handout's order.
FOUND = "What we found"
NEXT_STEPS = "Your next steps"
EXERCISES = "Your exercises"
BAD_DAY = "Your plan for bad days"
DIARY = "Your two-week diary"
PROGRESS = "Your progress"
HELP_SOONER = "When to get help sooner"
NEXT_CHECK = "Your next check"
NOTE = "A note for you"
WHO_TO_ASK = "Who to ask"

# triage: (headline, what it means). The referral of emergency, same_day and urgent triage
# follows the text in the same box, in the rule's exact words.
TRIAGE: MappingProxyType[str, tuple[str, str]] = MappingProxyType({
    "emergency": ("Get emergency care now",
                  "Some of what you told us can be a sign of a serious problem. It must be "
                  "checked in hospital now."),
    "same_day": ("Please see a doctor today",
                 "Some of what you told us needs a doctor to check it today."),
    "urgent": ("Please see a doctor within a week",
               "Some of what you told us needs a doctor to check it soon."),
    "refer_routine": ("Please book a visit with your doctor",
                      "A doctor should have a look at your back, but there is no rush. You "
                      "can follow this plan in the meantime."),
    "co_manage": ("We will work with your doctor",
                  "Some of what you told us is best looked after with your doctor or care "
                  "team. Please share this plan with them."),
    "none": ("Nothing you told us needs a doctor first",
             "You can start with the plan below."),
})
NOTICED = "What we noticed:"
WHERE_TO_GO = "Where to go:"
# What the client does at each place the emergency referral names
# (clinical.recommender.emergency_places): the sentences of the referral itself
# (the clinical reference, `medical.emergency_referral`, exact), so they read the same in both.
PLACES: MappingProxyType[str, str] = MappingProxyType({
    "ambulance": "Call an ambulance now.",
    "emergency_department": "Go to an emergency department now.",
    "maternity_unit": "Contact the maternity unit now (the labour ward or maternity triage "
                      "line).",
})
# Given word for word by the clinical reference, so exempt from the reading-grade limit.
EXACT = frozenset(PLACES.values())

# Warning signs whose words output.wording does not have yet (the clinical reference v3 flags), said
# in plain words.
FLAG_WORDS: MappingProxyType[str, str] = MappingProxyType({
    "rf_leg_clot": "a painful, swollen calf",
    "rf_anticoagulant": "taking a blood thinner",
    "rf_recent_infection": "a recent infection",
    "rf_constant_pain": "pain that does not change when you move or rest",
})

# The client answered the warning signs on the intake form, and the practitioner has not yet
# gone through them with the client (issue 21).
SIGNS_UNCONFIRMED = ("You answered the questions about warning signs on your form. We have "
                     "not yet gone through them with you.")

PAIN_TODAY = "Your pain today: {n} out of 10."
PAIN_WORST = "Your worst pain in the last week: {n} out of 10."

# The reason under a piece of advice, from the client's answers (output/handout_because.py).
BECAUSE = "Because"

# The exercise card.
HOW_MUCH = "How much:"
EASIER = "Easier:"
HARDER = "Harder:"
FOR_YOU = "For you:"
PICTURE_NOTE = "The picture shows how to start."

# The flare-up plan's exercises.
REST_FOR = "Rest position:"
EASIER_VERSION = "{name}, the easier way:"

# The diary.
DIARY_HOW = "Tick a box each day you do an exercise. Tick the last row on a bad day."
DIARY_BAD_DAY = "Bad day: used the plan"
DIARY_BRING = "Bring this to your next visit."

# Progress.
PROGRESS_TEXT = "Your pain at each visit, from 0 (no pain) to 10 (the worst pain)."
CHART_TITLE = "Your pain at each visit, 0 to 10: {values}."
CHART_VALUE = "{n} on {day}"
VISIT = "Visit"
PAIN_COLUMN = "Pain"
DONE = "Exercises done"
CHANGE = "Exercises"
ADHERENCE: MappingProxyType[str, str] = MappingProxyType({
    "most_days": "most days",
    "some_days": "some days",
    "rarely": "rarely",
    "not_started": "not started",
})
STEP: MappingProxyType[str, str] = MappingProxyType({
    "progress": "made a bit harder",
    "keep": "kept the same",
    "simplify": "made easier",
})

# The next check.
CHECK_ON = "We will check your plan again on or after {day}."  # {day}: "Tuesday 29 September"
CHECK_BRING = "Please bring your diary."

# Who to ask.
# Who to ask when the visit recorded no practice: the practitioner is the one to ask.
ASK_US = "The person who gave you this plan."
SEEN_BY = "You saw {who}."
