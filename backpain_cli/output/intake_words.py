"""What the client's intake form says besides the questions: plain words, school grade 8 at
most (tests/test_intake_form.py grades them), as data."""

from __future__ import annotations

from types import MappingProxyType

TITLE = "Before your visit: about your back"
LEAD = ("Please answer these questions before you see us. It takes about ten minutes. "
        "Your answers stay on this device until you save them.")
LEAD_PAPER = "Please answer these questions before you see us. Tick one box unless it says "
LEAD_PAPER += "to tick all that fit."
PART = "Part {n} of {total}: {title}"
SAVE_TITLE = "Save your answers"
SAVE_TEXT = ("Press the button below to save your answers as a file. Then give the file to "
             "your practitioner, or send it to them as they asked.")
NOT_ANSWERED = ("Some questions are not answered. That is fine: your practitioner will ask "
                "you about them.")
SAVED = "Your answers are saved in the file {file}."
NEXT = "Next"
BACK = "Back"
SAVE = "Save my answers"
START_AGAIN = "Start again"
START_AGAIN_CONFIRM = "Clear all your answers and start again?"
YES = "Yes"
NO = "No"
TICK_ALL = "Tick all that fit."
PARTS_HEADINGS = MappingProxyType({
    "Yes if any of these:": "Answer yes if any of these is true:",
    "Yes only if both:": "Answer yes only if both are true:",
})
RANGE = "A whole number from {min} to {max}."
# Shown in print, for a question that a paper form cannot hide.
ONLY_IF = "Only answer this if {conditions}."
# The emergency box: the places come from the emergency referral (output.wording).
EMERGENCY_TITLE = "Get help now"
EMERGENCY_TEXT = "One of your answers can be a sign of a serious problem. Please {places} now."
EMERGENCY_TELL = "Tell your practitioner at once."
EMERGENCY_FINISH = "You can still finish the form and save your answers."
# The messages next to a question (the same rules as the product's checks).
MESSAGES = MappingProxyType({
    "missing": "Please answer this question.",
    "yesno": "Please answer yes or no.",
    "whole": "Please type a whole number, like 7.",
    "range": "Please type a number from {min} to {max}.",
    "choice": "Please choose one of the answers.",
    "multi": "Please tick at least one answer.",
    "exclusive": "You cannot tick \u201c{label}\u201d with other answers.",
    "check": "Please check your answers in this part.",
})
