"""Words for people, shared by the terminal, the interview, and the Markdown and HTML
exports: the plain wording module (no rich here, so a Markdown or HTML export never loads
it; the terminal modules only render these words).

The plan's own texts (titles, details, evidence) come from the saved session; this module
only names things the plan refers to by id: warning signs, scores and what they mean, the
answers a recommendation is based on, and what the triage level asks the practitioner and
the client to do. Anything it does not know is shown by its id, so a newer questionnaire
never breaks an export.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ..clinical.model import ScoreValue
from ..clinical.reassess import local_day

if TYPE_CHECKING:
    from ..clinical.followup import Change, History
    from ..clinical.model import Plan, RedFlag
    from ..clinical.questionnaire import AnswerValue, Question
    from ..records.practice import Practice
    from ..records.session import Session

# triage: (headline, what to do) — the practitioner's banner, on the terminal (styled by
# output/terminal.py) and in the Markdown plan.
TRIAGE_HEADLINES: dict[str, tuple[str, str]] = {
    "emergency": ("EMERGENCY — SAME-DAY EMERGENCY CARE",
                  "Send the client to emergency care today. No hands-on treatment or "
                  "exercise today."),
    "same_day": ("SAME DAY — A DOCTOR TODAY",
                 "The client should see a doctor today, or at the latest within 24 hours, "
                 "before any hands-on work or exercise programme."),
    "urgent": ("URGENT — SEE A DOCTOR WITHIN DAYS",
               "The client should see a doctor within a few days, at most a week, before "
               "any hands-on work or exercise programme."),
    "refer_routine": ("REFER — ROUTINE MEDICAL REVIEW",
                      "Arrange a routine review with the client's doctor; care can continue "
                      "as planned below."),
    "co_manage": ("CO-MANAGE WITH THE CLIENT'S DOCTOR",
                  "A diagnosed condition calls for working alongside the client's doctor."),
    "none": ("NO WARNING SIGNS FOUND",
             "Nothing in the answers calls for a doctor first."),
}

SCORE_LABELS: dict[str, str] = {
    "nprs_now": "Pain now (0–10)",
    "nprs_worst_week": "Worst pain this week (0–10)",
    "startback_total": "STarT Back total (0–9)",
    "startback_psychosocial": "STarT Back psychosocial (0–5)",
    "startback_risk": "STarT Back risk",
    "odi_percent": "Oswestry disability (%)",
    "odi_band": "Oswestry band",
    "rmdq_score": "Roland-Morris (0–24)",
    "axspa_feature_count": "Inflammatory back pain features",
}

_RISK_MEANING = {
    "low": "low risk of persistent disability",
    "medium": "medium risk of persistent disability",
    "high": "high risk of persistent disability",
}


def score_meaning(key: str, value: ScoreValue) -> str:
    """A plain-language reading of a score, for the client and the practitioner."""
    if key in ("nprs_now", "nprs_worst_week") and isinstance(value, int):
        if value == 0:
            return "no pain"
        return "mild" if value <= 3 else "moderate" if value <= 6 else "severe"
    if key == "startback_risk":
        return _RISK_MEANING.get(str(value), str(value))
    if key == "odi_band":
        # Here, not at the top: the listing's cells come from this module, and the listing
        # must not load the questionnaire model that scoring imports (its 20x budget).
        from ..clinical.scoring import ODI_BAND_LABELS

        return ODI_BAND_LABELS.get(str(value), str(value))
    # STarT Back's risk follows from these two (the clinical reference "Scores"): high when the
    # psychosocial score is 4 or more, else low when the total is 3 or less, else medium.
    if key == "startback_total" and isinstance(value, int):
        return "3 or less is low risk, unless the psychosocial score is 4 or more"
    if key == "startback_psychosocial" and isinstance(value, int):
        return "4 or more is high risk"
    if key == "odi_percent" and isinstance(value, (int, float)):
        return "higher means more disability; 20 or less is minimal"
    if key == "rmdq_score" and isinstance(value, int):
        return "higher means more disability"
    if key == "axspa_feature_count" and isinstance(value, int):
        return "4 or more suggests inflammatory back pain"
    return ""

# Plain-language names of the warning signs (the clinical reference, red_flags), for the client.
RED_FLAG_TEXT: dict[str, str] = {
    "rf_saddle_numbness": "numbness or tingling around the genitals, back passage or buttocks",
    "rf_bladder_bowel": "a change in bladder or bowel control or feeling",
    "rf_sexual_dysfunction": "a new loss of sexual function",
    "rf_both_legs": "new pain, numbness or pins and needles in both legs",
    "rf_leg_weakness": "a leg or foot getting weaker",
    "rf_chest_symptoms": "chest pain, sudden breathlessness or a tearing pain in the back",
    "rf_pregnancy_warning": "bleeding, leaking fluid or tightening in pregnancy",
    "rf_leg_clot": "a painful, swollen calf",
    "rf_fever": "a fever",
    "rf_immunosuppressed": "a weakened immune system",
    "rf_recent_procedure": "a recent spinal procedure",
    "rf_recent_infection": "a recent infection",
    "rf_unwell": "feeling generally unwell",
    "rf_cancer_history": "a past cancer",
    "rf_weight_loss": "weight loss without trying",
    "rf_night_pain": "pain at night that no position eases",
    "rf_constant_pain": "pain that does not change with moving or resting",
    "rf_trauma": "a recent fall, accident or blow",
    "rf_steroids": "long-term steroid tablets",
    "rf_anticoagulant": "a blood thinner",
    "rf_osteoporosis": "sudden pain with thin bones",
    "rf_thoracic_pain": "constant pain in the middle or upper back",
    "rf_age_first_episode": "a first episode of back pain at your age",
    "rf_fragility_fracture": "new pain after a strain or fall, when bones may be thin",
}

# What a recommendation's `because` ids are about, in the client's words ("based on ...").
_TOPICS: dict[str, str] = {
    "age": "your age",
    "sex": "your sex",
    "pregnancy": "your pregnancy",
    "pregnancy_weeks": "how far along your pregnancy is",
    "postpartum_weeks": "how long ago you gave birth",
    "pain_duration": "how long the pain has lasted",
    "first_episode": "whether you have had back pain before",
    "onset": "how the pain started",
    "pain_location": "where it hurts",
    "pain_worse_with": "what makes the pain worse",
    "pain_eased_by": "what eases the pain",
    "morning_stiffness_over_30min": "morning stiffness",
    "pain_now": "your pain today",
    "pain_worst_week": "your worst pain this week",
    "sleep_position": "how you sleep",
    "mattress_firmness": "your mattress",
    "mattress_opinion": "how your mattress feels",
    "mattress_age_years": "the age of your mattress",
    "mattress_sagging": "your mattress sagging",
    "pain_on_waking": "pain when you wake up",
    "pillow_height": "your pillow",
    "knee_pillow": "a pillow for your knees",
    "occupation": "your work",
    "work_absence": "time off or lighter work because of your back",
    "work_absence_weeks": "how long you have been off work",
    "sitting_hours": "time spent sitting",
    "exercise_days": "how often you exercise",
    "exercise_types": "the exercise you do",
    "recent_overexertion": "recent heavy effort",
    "hyperextension_activities": "bending backwards in work or sport",
    "falls_past_year": "falls in the past year",
    "unsteady": "feeling unsteady",
    "risk_team_aware": "whether your care team knows about your back pain",
    "programme_adherence": "how often you did your exercises",
    "diagnoses": "what a doctor has diagnosed",
    "under_medical_care": "whether a doctor has cleared exercise and hands-on work",
    "current_care": "the care you have now",
    "massage_helped": "how massage has helped you",
    "axspa_features": "the pattern of your pain",
    "onset_before_45": "when your back pain began",
    "nprs_now": "your pain today",
    "nprs_worst_week": "your worst pain this week",
    "startback_total": "your screening questionnaire",
    "startback_psychosocial": "your screening questionnaire",
    "startback_risk": "your screening questionnaire",
    "odi_percent": "your disability questionnaire",
    "odi_band": "your disability questionnaire",
    "rmdq_score": "your disability questionnaire",
    "axspa_feature_count": "the pattern of your pain",
}

_PREFIX_TOPICS = (
    ("sbst_", "your screening questionnaire"),
    ("odi_", "your disability questionnaire"),
    ("rmdq_", "your disability questionnaire"),
    ("rf_", "what you told us about your health"),
)

# triage: (headline, what it means for the client) — the HTML handout's banner.
CLIENT_BANNERS: dict[str, tuple[str, str]] = {
    # {places}: the places the emergency referral names (emergency_banner).
    "emergency": (
        "Please get emergency medical care today",
        "Some of your answers can be signs of a serious problem that must be checked today. "
        "Follow the emergency advice below now: it says to {places}. Do not start or "
        "continue exercise or hands-on treatment today."),
    "same_day": (
        "Please see a doctor today",
        "Some of your answers should be checked by a doctor today, or at the latest within "
        "24 hours. Until then, keep gently active, avoid heavy lifting and strenuous "
        "exercise, and wait for the doctor's go-ahead before hands-on treatment or a new "
        "exercise programme."),
    "urgent": (
        "Please see a doctor within the next few days",
        "Some of your answers should be checked by a doctor soon: within a few days, and at "
        "the latest within a week. Until then, keep gently active, avoid heavy lifting and "
        "strenuous exercise, and wait for the doctor's go-ahead before hands-on treatment or "
        "a new exercise programme."),
    "refer_routine": (
        "Please book a routine appointment with your doctor",
        "Your answers suggest that a doctor's review would help. You can carry on with the "
        "plan below in the meantime."),
    "co_manage": (
        "We will work together with your doctor",
        "Because of a condition a doctor has diagnosed, or the care you already have for "
        "another condition, parts of this plan are best agreed with your doctor or the team "
        "that looks after you."),
    "none": (
        "No warning signs found",
        "Nothing in your answers suggests that you need to see a doctor first. The plan "
        "below is for you."),
}


# A session whose warning signs the client answered on the intake form, and nobody went
# through with the client since (issue 21: `assess --no-input` with the form's file).
SIGNS_UNCONFIRMED = ("Warning signs: answered by the client on the intake form, not yet "
                     "confirmed with the client face to face.")


# What the client does at each place the emergency referral can name
# (clinical.recommender.emergency_places).
PLACE_WORDS = {
    "ambulance": "call an ambulance",
    "emergency_department": "go to an emergency department",
    "early_pregnancy_unit": "contact an early pregnancy unit",
    "maternity_unit": "contact the maternity unit",
}


def emergency_banner(places: Sequence[str]) -> tuple[str, str]:
    """The emergency banner, naming only the places this client's referral names."""
    headline, text = CLIENT_BANNERS["emergency"]
    words = [PLACE_WORDS[p] for p in places]
    joined = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return headline, text.format(places=joined)


def topic(item: str) -> str:
    if item in _TOPICS:
        return _TOPICS[item]
    for prefix, text in _PREFIX_TOPICS:
        if item.startswith(prefix):
            return text
    return item.replace("_", " ")


def topics(items: Iterable[str]) -> list[str]:
    """The distinct topics of a `because` list, in order."""
    return list(dict.fromkeys(topic(i) for i in items))


def flag_text(flag_id: str) -> str:
    return RED_FLAG_TEXT.get(flag_id, flag_id.removeprefix("rf_").replace("_", " "))


# A flag's tier in words ("same_day" reads "same day").
TIER_WORDS = {"emergency": "emergency", "same_day": "same day", "urgent": "urgent",
              "co_manage": "co-manage"}


def warning_signs(flags: Sequence[RedFlag], *, tiers: bool = True) -> str:
    """Flags in words (the one naming of them, shared with the exports), each with its
    tier: "numbness around the genitals, buttocks or inner thighs (emergency)"."""
    return "; ".join(flag_text(f.id) + (f" ({TIER_WORDS.get(f.tier, f.tier)})" if tiers else "")
                     for f in flags)


def checks_text(plan: Plan) -> str:
    """The consistency checks that held, with the answers each read: "ck_pain_now_above_worst
    (pain_now, pain_worst_week)"."""
    return "; ".join(f"{c.id} ({', '.join(c.questions)})" for c in plan.checks or ())


def emergency_lines(plan: Plan) -> list[str]:
    """The emergency referral as plain lines, for where it must come before anything else
    (the interview when the sign is answered, an answers file with other problems)."""
    # Here, not at the top: triage imports the questionnaire model (see score_meaning).
    from ..clinical.triage import EMERGENCY

    headline = TRIAGE_HEADLINES["emergency"][0]
    signs = [f for f in plan.red_flags if f.tier == EMERGENCY]
    named = "Emergency sign" + ("s" if len(signs) > 1 else "")
    lines = [headline, f"{named}: {warning_signs(signs, tiers=False)}."]
    lines.extend(f"{r.title}: {r.detail}" for r in plan.recommendations)
    return lines


def answer_text(value: AnswerValue, question: Question | None = None) -> str:
    """An answer for people: yes or no, the number, the choices; with its `question`, the
    choices by their labels, as the interview showed them. The one answer formatter."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(question.label(v) if question else v for v in value)
    if isinstance(value, str):
        return question.label(value) if question else value
    return str(value)


def format_score(key: str, value: ScoreValue) -> str:
    if key == "odi_percent" and isinstance(value, (int, float)):
        return f"{value:.1f} %"
    if isinstance(value, str):
        return value.replace("_", " ")
    return str(value)


PRACTITIONER = "Practitioner"


def practice_line(practice: Practice) -> str:
    """Who saw the client, on one line: "Physio Nord · 12 Harbour Road · Practitioner: A.
    Jensen"; empty when the session recorded no practice."""
    parts = [practice.name, practice.contact,
             f"{PRACTITIONER}: {practice.practitioner}" if practice.practitioner else None]
    return " · ".join(p for p in parts if p)


# The listing's cells, in its rich table (terminal_review) and as plain rows (plain).
NONE = "–"  # shown for a score that was not collected
SHORT_NAMES = {"nprs_now": "NPRS", "nprs_worst_week": "Worst", "odi_percent": "ODI %",
               "rmdq_score": "RMDQ", "startback_risk": "STarT"}


def utc_day(moment: dt.datetime) -> str:
    # Session ids carry the time to the second; the day is what a reader scans for.
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d}"


def score_cell(value: ScoreValue | None) -> str:
    if value is None:
        return NONE
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def day(moment: dt.datetime) -> str:
    """A date as people write it (27 Nov 2026), on the practitioner's calendar."""
    local = local_day(moment)
    return f"{local.day} {local:%b %Y}"


# The minimal important change, in words for the handout (the clinical reference, "Scores").
CHANGE_NOTE = ("“Improved” and “worse” mean a change large enough to matter: for pain at "
               "least 2 points on the 0 to 10 scale, for Oswestry 10 points and for "
               "Roland-Morris 5; an improvement must also be at least 30 % of the earlier "
               "score. Anything smaller is “no important change”.")


def _change(key: str, change: Change | None) -> str:
    if change is None:
        return "–"
    return (f"{change.label} ({format_score(key, change.before)} → "
            f"{format_score(key, change.after)})")


def change_rows(session: Session,
                history: History[Session]) -> list[tuple[str, str, str, str]]:
    """(score key, value now, change since the first visit, since the previous one) for each
    outcome measure of `session` recorded at an earlier visit of `history`, as `review
    CLIENT` shows them (the one history builder: followup.build_history)."""
    visit = next((v for v in history.visits if v.session.id == session.id), None)
    if visit is None:
        return []
    return [(c.key, format_score(c.key, c.value), _change(c.key, c.from_first),
             _change(c.key, c.from_previous))
            for c in visit.changes if c.from_first is not None]
