"""The recommender tests' tables: answers and what the plan must say of them.

tests/test_recommender.py checks each row; tests/advice_details.py reads every answer set
here to collect the advice texts a client can be shown (the readability and wording tests),
so the tables live in a module of their own rather than one test module importing another.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from answer_sets import (
    AXSPA_3_LATE,
    CHRONIC,
    HIGH_RISK,
    LEG,
    MEDIUM_RISK,
    NO_MASSAGE_HELP,
    OLDER,
    POSTPARTUM,
    PREGNANT_8,
    PREGNANT_20,
    PREGNANT_30,
    STRAIN,
    UNDER_CARE,
    VASCULAR,
)

DEMO = Path(__file__).parent.parent / "examples" / "demo.answers.toml"
SAFETY_EMERGENCY = (
    "Go to an emergency department straight away if any of these appear: numbness or "
    "tingling around the genitals, back passage, buttocks or inner thighs; new difficulty "
    "passing urine, or not being able to feel or control your bladder or bowel; new loss of "
    "sexual function; a leg or foot getting weaker (a foot that drags or catches); or pain, "
    "numbness or pins and needles in both legs that is new (in the last days or weeks) or "
    "quickly getting worse.")
SAFETY_CHEST = (
    "Call an ambulance for chest pain with breathlessness, sweating or feeling faint, for "
    "sudden breathlessness, or for a sudden severe tearing pain in the back.")
SOON_ALL = ("Contact a doctor within a few days if any of these appear: a fever; feeling "
            "generally unwell; weight loss without trying; pain at night that no position "
            "eases; new numbness or tingling in one leg or foot, without weakness; pain that "
            "keeps getting worse.")
FEVER_UNWELL = "A fever together with feeling generally unwell needs a doctor today."
CLOT = ("A painful, swollen calf in one leg needs a doctor today. Coughing up blood, or chest "
        "pain that is worse when breathing in, means calling an ambulance.")
BLEEDING = "Heavy bleeding (soaking a pad within an hour) means calling an ambulance."
VERY_UNWELL = "Feeling very unwell, confused or very drowsy means calling an ambulance."
SAME_DAY = ("a doctor should see you today, or at the latest within 24 hours. Contact your GP "
            "practice now and say it is urgent, or the out-of-hours service if it is closed; "
            "if you cannot be seen within 24 hours, go to an urgent care centre or emergency "
            "department.")
UNTIL_SEEN = ("Until you have been seen, avoid heavy lifting and strenuous exercise and hold "
              "off hands-on treatment.")


BECAUSE: list[Any] = [
    ({"rf_trauma": True, "rf_weight_loss": True, "first_episode": True, "age": 70, **OLDER},
     "medical.urgent_referral", ("rf_weight_loss", "rf_trauma", "rf_age_first_episode")),
    ({"rf_trauma": True, "rf_steroids": True}, "massage.hold_until_cleared",
     ("rf_trauma", "rf_steroids")),
    ({"rf_fever": True, "rf_immunosuppressed": True, "rf_trauma": True},
     "medical.emergency_referral", ("rf_fever", "rf_immunosuppressed", "rf_trauma")),
    ({}, "massage.with_exercise", ("current_care",)),
    ({"current_care": ["massage"], "massage_helped": "yes"}, "massage.with_exercise",
     ("massage_helped",)),
    ({**MEDIUM_RISK}, "massage.combine_care", ("current_care", "startback_risk")),
    # "low_activity and not pregnant and not postnatal_12wk": the negated parts are not
    # named beside a positive one (the clinical reference v3; issue 17)
    ({"exercise_days": 0, "exercise_types": None}, "prevention.core_strength",
     ("exercise_days",)),
    # keep_exercising names its condition, not what shapes its wording
    ({"exercise_types": ["walking"]}, "prevention.keep_exercising", ("exercise_days",)),
    ({}, "prevention.stay_active", ("pain_duration",)),
    ({"rf_steroids": True, "risk_team_aware": True}, "prevention.stay_active",
     ("rf_steroids", "pain_duration")),
    ({**OLDER, "rf_steroids": True, "risk_team_aware": True}, "personalized.pain_education",
     ("rf_steroids", "pain_duration", "age")),
    # a negation alone names every answer it mentions, in the order of the definition
    ({}, "personalized.heat", ("pain_duration", "diagnoses", "recent_overexertion", "onset")),
    (HIGH_RISK, "medical.psychosocial_support", ("startback_risk",)),
    ({"rf_trauma": True}, "medical.safety_net", ("pain_duration", "rf_trauma")),
    ({**POSTPARTUM, "postpartum_weeks": 3}, "medical.safety_net",
     ("pain_duration", "pregnancy", "postpartum_weeks")),
    ({**PREGNANT_30}, "medical.safety_net", ("pain_duration", "pregnancy", "pregnancy_weeks")),
    ({**VASCULAR}, "medical.safety_net",
     ("pain_duration", "age", "pain_worse_with", "pain_location", "pain_eased_by")),
    (PREGNANT_30, "sleep.position.pregnancy", ("pregnancy", "pregnancy_weeks")),
    ({**PREGNANT_30, "pillow_height": "low"}, "sleep.pillow.height",
     ("sleep_position", "pillow_height", "pregnancy", "pregnancy_weeks")),
    ({"pain_on_waking": "lasts_longer", "morning_stiffness_over_30min": True},
     "sleep.mattress.review", ("pain_on_waking",)),
    ({"pain_duration": "over_12_weeks", "age": 50,
      "axspa_features": ["onset_before_35", *AXSPA_3_LATE]}, "medical.axspa_referral",
     ("pain_duration", "axspa_features", "axspa_feature_count")),
    ({"diagnoses": ["spinal_arthritis"], "under_medical_care": False}, "medical.co_manage",
     ("diagnoses",)),
    ({"pain_on_waking": "eases_within_30min", "mattress_sagging": True},
     "sleep.mattress.medium_firm", ("pain_on_waking", "mattress_sagging")),
    ({"pillow_height": "none"}, "sleep.pillow.height", ("sleep_position", "pillow_height")),
    ({"rf_steroids": True, "risk_team_aware": True}, "medical.risk_factor_team",
     ("rf_steroids",)),
    ({"rf_anticoagulant": True}, "massage.gentle_only", ("rf_anticoagulant",)),
    ({**CHRONIC, "pain_now": 8, "pain_worst_week": 6}, "medical.routine_review",
     ("pain_duration", "pain_now", "pain_worst_week")),
]

NOT_PREGNANT: list[Any] = [
    pytest.param({"age": 27, "sex": "male", "exercise_days": 0, "exercise_types": None,
                  "knee_pillow": False, "pain_worse_with": ["bending_backward"], **HIGH_RISK},
                 id="man of 27"),
    pytest.param({"age": 58, "sex": "male", "exercise_days": 1, "exercise_types": ["walking"],
                  **STRAIN, "sleep_position": "back", "knee_pillow": False}, id="man of 58"),
    pytest.param(dict(tomllib.loads(DEMO.read_text("utf-8"))["answers"]), id="demo"),
]

SAFETY_NET_WORDING: list[Any] = [
    ({}, " ".join((SAFETY_EMERGENCY, SAFETY_CHEST, SOON_ALL, FEVER_UNWELL,
                   "Otherwise we will check this plan together in 4 weeks."))),
    # urgent: the signs the client has are left to the referral; the check in a week
    ({"rf_weight_loss": True}, " ".join((
        SAFETY_EMERGENCY, SAFETY_CHEST,
        "If any of these appear before you are seen, tell the doctor's practice so that they "
        "can see you sooner: a fever; feeling generally unwell; pain at night that no "
        "position eases; new numbness or tingling in one leg or foot, without weakness; pain "
        "that keeps getting worse.", FEVER_UNWELL,
        "We will go through this plan together again in a week; bring what the doctor "
        "said."))),
    # the weeks after a birth: unwell and fever today, one sentence (C1)
    ({**POSTPARTUM, "postpartum_weeks": 0}, " ".join((
        SAFETY_EMERGENCY, SAFETY_CHEST, CLOT,
        "In the first 6 weeks after the birth, a fever, shivering, feeling generally unwell or "
        "vaginal discharge that smells bad means contacting a doctor or the maternity unit "
        "today.", BLEEDING, VERY_UNWELL,
        "Contact a doctor within a few days if any of these appear: weight loss without "
        "trying; pain at night that no position eases; new numbness or tingling in one leg or "
        "foot, without weakness; pain that keeps getting worse.",
        "Otherwise we will check this plan together in 4 weeks."))),
    # a recent procedure: fever now, leg numbness today (one deadline each)
    ({"rf_recent_procedure": True, "risk_team_aware": True}, " ".join((
        SAFETY_EMERGENCY, SAFETY_CHEST,
        "Because of a recent spinal procedure, a fever or feeling hot and shivery means going "
        "to an emergency department now.",
        "If the wound becomes red or swollen or leaks fluid, or leg pain, numbness or tingling "
        "comes back, contact the team that did the procedure today.",
        "Contact a doctor within a few days if any of these appear: feeling generally unwell; "
        "weight loss without trying; pain at night that no position eases; pain that keeps "
        "getting worse.", "Otherwise we will check this plan together in 4 weeks."))),
    # a blood thinner at 70: the fall is today's, the bone part keeps the sudden pain only
    ({**OLDER, "rf_anticoagulant": True}, " ".join((
        SAFETY_EMERGENCY, SAFETY_CHEST,
        "Because your bones may be thinner, a sudden new back pain after a minor strain or "
        "cough needs a doctor within a few days.",
        "Because blood thinners make bleeding more likely, see a doctor today after any fall "
        "or blow to the back.", SOON_ALL, FEVER_UNWELL,
        "Otherwise we will check this plan together in 4 weeks."))),
]

EMERGENCY_WORDING: list[Any] = [
    ({"rf_both_legs": True},
     "Because of new pain, numbness or pins and needles in both legs, this needs emergency "
     "care now. Go to an emergency department now. Do not start or continue hands-on "
     "treatment or exercise today."),
    ({"rf_chest_symptoms": True, "rf_both_legs": True},
     "Because of new pain, numbness or pins and needles in both legs and chest pain, sudden "
     "breathlessness or a tearing pain in the back, this needs emergency care now. Call an "
     "ambulance now. Do not start or continue hands-on treatment or exercise today."),
    ({**PREGNANT_8, "rf_pregnancy_warning": True},
     "Because of bleeding, leaking fluid or tightening in pregnancy, this needs emergency "
     "care now. Contact an early pregnancy unit now, through your GP or the out-of-hours "
     "service if need be. If the pain is severe, you feel faint or dizzy, or the bleeding is "
     "heavy, go to an emergency department now. Do not start or continue hands-on treatment "
     "or exercise today."),
    ({**PREGNANT_20, "rf_fever": True},
     "Because of a fever, this needs emergency care now. Contact the maternity unit now (the "
     "labour ward or maternity triage line). Do not start or continue hands-on treatment or "
     "exercise today."),
    ({**PREGNANT_8, "rf_fever": True},
     "Because of a fever, this needs emergency care now. Go to an emergency department now. "
     "Do not start or continue hands-on treatment or exercise today."),
    ({"rf_cancer_history": True, "rf_leg_weakness": True},
     "Because of a leg or foot getting weaker, together with a past cancer, this needs "
     "emergency care now. Go to an emergency department now. Tell the hospital team that "
     "you have had cancer. Do not start or continue hands-on treatment or exercise today."),
    ({"rf_fever": True, "rf_steroids": True},
     "Because of a fever, together with long-term steroid tablets, this needs emergency care "
     "now. Go to an emergency department now. Do not start or continue hands-on treatment or "
     "exercise today."),
]

SAME_DAY_WORDING: list[Any] = [
    ({"rf_cancer_history": True, "rf_night_pain": True, "rf_weight_loss": True},
     f"Because of weight loss without trying and pain at night that no position eases, "
     f"together with a past cancer, {SAME_DAY} Say that you have had cancer: the doctor may "
     f"need to contact the cancer team and arrange an urgent scan. {UNTIL_SEEN}"),
    ({**POSTPARTUM, "postpartum_weeks": 0, "rf_unwell": True},
     f"Because of feeling generally unwell, {SAME_DAY} You gave birth under a week ago: you "
     f"can also call the maternity unit. {UNTIL_SEEN}"),
    ({"rf_anticoagulant": True, "rf_trauma": True},
     f"Because of a recent fall, accident or blow, together with a blood thinner, {SAME_DAY} "
     f"Say that you take a blood thinner and had a fall or blow. {UNTIL_SEEN}"),
    ({**POSTPARTUM, "postpartum_weeks": 30, "rf_leg_clot": True},
     f"Because of a painful, swollen calf, {SAME_DAY} A painful, swollen calf can be a blood "
     f"clot, which needs checking today. {UNTIL_SEEN}"),
]

WORDING: list[Any] = [
    ("medical.urgent_referral", {"rf_trauma": True},
     "Because of a recent fall, accident or blow, a doctor should check your back before "
     "anything else. Please book an appointment to be seen within the next few days, and at "
     "the latest within a week. " + UNTIL_SEEN),
    ("medical.scoliosis_review", {"age": 16, "diagnoses": ["scoliosis"], **UNDER_CARE},
     "Scoliosis rarely causes much pain in young people, so pain that has lasted 6 weeks or "
     "more should be checked by the doctor or the scoliosis team at a routine appointment."),
    ("medical.scoliosis_review", {"age": 16, "diagnoses": ["scoliosis"], **UNDER_CARE,
                                  "rf_trauma": True},
     "Tell the doctor who sees you about the scoliosis."),
    ("medical.sciatica_review", {**LEG, "pain_worst_week": 7},
     "This pain, with leg pain below the knee, has lasted 6 weeks or more, so ask a doctor or "
     "physiotherapist to check the nerve. If the leg pain stays strong despite treatment, ask "
     "whether a specialist opinion is needed."),
    ("medical.sciatica_review", LEG,
     "This pain, with leg pain below the knee, has lasted 6 weeks or more, so ask a doctor or "
     "physiotherapist to check the nerve."),
    ("medical.pregnancy_care", PREGNANT_20,
     "Back and pelvic pain are common in pregnancy and after birth. Tell the midwife or "
     "doctor at your next appointment. A pelvic health physiotherapist can help with back "
     "and pelvic pain in and after pregnancy: ask the midwife or GP about a referral."),
    ("medical.pregnancy_care", {**POSTPARTUM, "postpartum_weeks": 6},
     "Back and pelvic pain are common in pregnancy and after birth. Tell the midwife, health "
     "visitor or GP at your next contact, for example the 6-week check. A pelvic health "
     "physiotherapist can help with back and pelvic pain in and after pregnancy: ask the "
     "midwife or GP about a referral."),
    ("medical.pregnancy_care", {**POSTPARTUM, "postpartum_weeks": 7},
     "Back and pelvic pain are common in pregnancy and after birth. Tell the GP at your next "
     "appointment. A pelvic health physiotherapist can help with back and pelvic pain in and "
     "after pregnancy: ask the GP about a referral."),
    ("medical.pregnancy_care", {**PREGNANT_20, "rf_trauma": True},
     "Tell the doctor who sees you that you are 20 weeks pregnant."),
    ("medical.pregnancy_care", {**POSTPARTUM, "postpartum_weeks": 1, "rf_trauma": True},
     "Tell the doctor who sees you that you gave birth 1 week ago."),
    ("medical.risk_factor_team", {"rf_anticoagulant": True},
     "Because of a blood thinner, keep the team that looks after this involved: share this "
     "plan, follow their advice on exercise and hands-on treatment, and tell them about any "
     "sign under 'When to get help sooner' in the time given there. Ask a pharmacist or "
     "doctor before taking any painkiller: anti-inflammatories such as ibuprofen are not "
     "usually safe with a blood thinner."),
    ("medical.co_manage", {"diagnoses": ["osteoporosis"], "under_medical_care": False},
     "Because of the diagnosis of weak or damaged bone in the back, ask the doctor which "
     "exercises and hands-on treatments are safe for you before starting any; until then "
     "keep to gentle everyday movement, with light massage only."),
    ("medical.co_manage", {"diagnoses": ["spinal_arthritis"], "under_medical_care": False},
     "Ask the doctor for their view before starting a new strengthening programme on your "
     "own or any firm hands-on treatment; until then, exercise with a physiotherapist or "
     "with the doctor's agreement, and light massage only."),
    ("medical.coordinate_care", {"diagnoses": ["autoimmune"], **UNDER_CARE},
     "A doctor knows about this back condition and is happy for exercise and hands-on "
     "treatment: share this plan with them, and tell them if anything changes."),
    ("medical.coordinate_care", {"diagnoses": ["autoimmune"], **UNDER_CARE, "rf_trauma": True},
     "A doctor already knows about this back condition, but the new signs need checking "
     "first: no hands-on work or new exercise until a doctor has seen you; then share this "
     "plan with them."),
    ("sleep.mattress.medium_firm", {"pain_on_waking": "eases_within_30min",
                                    "mattress_firmness": "medium_soft", "mattress_sagging": True},
     "A medium-firm mattress (or, while a bed is still sound, a medium-firm topper) may be "
     "more comfortable: in one trial of people with long-standing back pain, medium-firm did "
     "better than firm. Your mattress is medium-soft and sagging, so it may not give you "
     "enough support."),
    ("sleep.no_change", {}, "The mattress is probably not the cause of your pain."),
    ("sleep.no_change", {"knee_pillow": False},
     "The mattress is probably not the cause of your pain, though the pillow tips may still "
     "help."),
    ("personalized.low_risk.self_management", {},
     "Back pain like yours is rarely a sign of anything serious. Pain like this usually keeps "
     "improving with simple self-care."),
    ("personalized.low_risk.self_management", {"age": 14},
     "Simple self-care helps while the doctor's review is arranged."),
    ("personalized.low_risk.self_management",
     {**CHRONIC, "diagnoses": ["spinal_arthritis"], **UNDER_CARE},
     "The steps in this plan are the main way to look after your back yourself."),
    ("personalized.low_risk.self_management",
     {"current_care": ["massage", "chiropractic"], "massage_helped": "yes"},
     "Back pain like yours is rarely a sign of anything serious. Pain like this usually keeps "
     "improving with simple self-care. You do not need several hands-on treatments at once: "
     "for most back pain, one practitioner and your own plan are enough."),
    ("personalized.pain_education", {},
     "Pain is an alarm: it is real, but it does not measure damage. Back pain is very common, "
     "and scans are rarely needed to find its cause. The spine is strong, and moving is safe "
     "and helps it settle."),
    ("personalized.pain_education", {**CHRONIC, "rf_steroids": True, "risk_team_aware": True},
     "Pain is an alarm: it is real, but it does not measure damage. Moving, and the right "
     "exercise, are safe even when bones may be thinner. After months of pain, the nervous "
     "system can become sensitive and flare without new harm, so pace yourself and build up "
     "step by step."),
    ("personalized.disc.guided_exercise", LEG,
     "Pain below the knee or from a disc bulge tends to ease in time, with exercises a physio "
     "shows you. With leg pain, the signs under 'When to get help sooner' matter most: they "
     "say which changes need a doctor, and how soon."),
    ("personalized.as.medical_care", {"diagnoses": ["ankylosing_spondylitis"], **UNDER_CARE},
     "Treatment from a doctor works well for this kind of back pain, best with exercise. Keep "
     "up regular checks with the doctor or joint specialist, and tell them about flare-ups or "
     "anything new. A painful red eye needs medical care the same day."),
    ("prevention.stay_active", {"rf_trauma": True},
     "Until you have been seen, keep gently active within comfort (short walks, light "
     "everyday jobs), and avoid heavy lifting and strenuous exercise."),
    ("prevention.stay_active", {"pain_duration": "under_6_weeks"},
     "Most back pain settles within a few weeks; staying active helps it settle sooner than "
     "resting. Some discomfort when moving is normal and is not a sign of harm."),
    ("prevention.stay_active", CHRONIC,
     "Long-standing back pain often improves with staying active and building up activity "
     "step by step, even when it does not go away completely. Some discomfort when moving is "
     "normal and is not a sign of harm."),
    ("prevention.stay_active", {**OLDER},
     "Pain that has lasted a few weeks still usually improves; staying active helps."),
    ("prevention.keep_exercising", {"exercise_types": ["walking"]},
     "You already exercise regularly: keep it up. Adding some strength work twice a week "
     "would round it off."),
    ("prevention.keep_exercising", {},
     "You already exercise regularly: keep it up."),
    ("prevention.keep_exercising", {**POSTPARTUM, "postpartum_weeks": 4,
                                    "exercise_types": ["walking"]},
     "You already exercise regularly: keep it up."),
    ("prevention.pregnancy_exercise", PREGNANT_20,
     "Keep up exercise that is safe in pregnancy (walking, swimming, pregnancy yoga or "
     "Pilates), as agreed with the midwife. Do pelvic floor exercises every day. From 13 "
     "weeks, avoid long spells lying flat on your back."),
    ("prevention.pregnancy_exercise", PREGNANT_8,
     "Keep up exercise that is safe in pregnancy (walking, swimming, pregnancy yoga or "
     "Pilates), as agreed with the midwife. Do pelvic floor exercises every day."),
    ("prevention.postnatal_exercise", {**POSTPARTUM, "postpartum_weeks": 2},
     "Do pelvic floor exercises every day. A gap between the tummy muscles is common after "
     "birth, and a pelvic health physiotherapist can check it. Until the 6-week check, keep "
     "to walking and gentle exercises."),
    ("prevention.postnatal_exercise", {**POSTPARTUM, "postpartum_weeks": 8,
                                       "pain_location": ["lower_back", "buttock"]},
     "Do pelvic floor exercises every day. A gap between the tummy muscles is common after "
     "birth, and a pelvic health physiotherapist can check it. Build up low-impact exercise; "
     "leave running, jumping and other high-impact exercise until at least 12 weeks after "
     "the birth, and have your pelvic floor checked first if you have leaking, heaviness or "
     "pelvic pain. While the pelvis is painful, avoid exercises that load one leg at a time, "
     "such as lunges, side planks or standing on one leg."),
    ("prevention.postnatal_exercise", {**POSTPARTUM, "postpartum_weeks": 12},
     "Do pelvic floor exercises every day. A gap between the tummy muscles is common after "
     "birth, and a pelvic health physiotherapist can check it. Build up towards running or "
     "sport step by step; have your pelvic floor checked first if you have leaking, heaviness "
     "or pelvic pain."),
    ("prevention.bone_safe_exercise", OLDER,
     "Exercise helps protect bone and balance: strengthen the back muscles and practise "
     "standing tall. Move your spine freely in daily life, but avoid exercises that bend it "
     "forward hard or under load, such as sit-ups, toe-touches or pulling the knees to the "
     "chest. To lift, bend at the hips and knees."),
    ("prevention.avoid_hyperextension", {"age": 15, "hyperextension_activities": True,
                                         "pain_duration": "under_6_weeks"},
     "Bending back often or hard (back bends, lifting overhead, some dance and gym moves) can "
     "irritate joints in the spine, so keep such moves small for now. This comes from "
     "experience, not firm research; it is for comfort, not for good. Until a "
     "doctor has checked the back, ease off sport that bends the back backwards again and "
     "again: in young athletes this pain can come from a stress injury to the bone."),
    ("massage.reconsider", NO_MASSAGE_HELP,
     "The care with the best evidence is active: exercise-based physiotherapy, with a "
     "psychologically informed approach when worries about the pain are holding you back. "
     "Hands-on treatment, if used at all, works best as a small part of such a programme. A "
     "doctor's review is also an option."),
    ("massage.with_exercise", {},
     "Massage is optional: it may ease pain for a while if you enjoy it, but you do not need "
     "it to recover."),
    ("massage.combine_care", {**MEDIUM_RISK, "current_care": ["massage", "chiropractic",
                                                               "medication", "medical"],
                              "massage_helped": "yes"},
     "You already have other care (chiropractic and a doctor's care). Let each practitioner "
     "know what the others are doing so the advice fits together; more treatments at once "
     "do not necessarily work better."),
    ("massage.combine_care", {**MEDIUM_RISK, "current_care": ["massage", "medication"],
                              "massage_helped": "yes"},
     "Exercise-based physiotherapy has the strongest evidence for back pain."),
    ("massage.gentle_only", {"rf_anticoagulant": True, "rf_steroids": True,
                             "risk_team_aware": True, "rf_recent_procedure": True},
     "Keep massage to light pressure only: blood thinners bruise easily, and long-term "
     "steroids can thin skin and bone. No deep pressure or manipulation unless the team that "
     "looks after you agrees. No hands-on work on or near the place of the operation until "
     "the team that did it agrees."),
    ("massage.gentle_only", {"diagnoses": ["spinal_arthritis"], "under_medical_care": False,
                             "rf_recent_infection": True, "risk_team_aware": True},
     "Keep massage to light techniques only. No deep pressure or manipulation until the "
     "doctor and the team that looks after you agree. No hands-on work over a wound or "
     "infected skin until it has healed."),
    ("massage.prenatal", PREGNANT_8,
     "Choose a massage therapist trained in pregnancy massage. Lie on your side or in a "
     "supported, semi-reclined position, and no deep pressure on the legs."),
    ("massage.prenatal", PREGNANT_20,
     "Choose a massage therapist trained in pregnancy massage. Lie on your side or in a "
     "supported, semi-reclined position rather than flat on your front, and no deep pressure "
     "on the legs."),
]

FLEXION_NAMED: list[Any] = [
    ({"pain_worse_with": ["bending_backward"]}, "knees to chest, lying on your back or a "
                                                "child's pose"),
    ({"pain_worse_with": ["bending_backward"], "diagnoses": ["hypermobility"], **UNDER_CARE},
     "a pelvic tilt, lying on your back"),
]


# Each table with its column names, as test_recommender parametrizes it.
TABLES: dict[str, tuple[tuple[str, ...], list[Any]]] = {
    "BECAUSE": (("overrides", "rec_id", "because"), BECAUSE),
    "NOT_PREGNANT": (("overrides",), NOT_PREGNANT),
    "SAFETY_NET_WORDING": (("overrides", "detail"), SAFETY_NET_WORDING),
    "EMERGENCY_WORDING": (("overrides", "detail"), EMERGENCY_WORDING),
    "SAME_DAY_WORDING": (("overrides", "detail"), SAME_DAY_WORDING),
    "WORDING": (("rec_id", "overrides", "detail"), WORDING),
    "FLEXION_NAMED": (("overrides", "named"), FLEXION_NAMED),
}


def overrides() -> Iterator[dict[str, Any]]:
    """The answers of every row that gives them as a plain table (not a pytest.param)."""
    for names, rows in TABLES.values():
        at = names.index("overrides")
        for row in rows:
            value = row if len(names) == 1 else row[at]
            if isinstance(value, dict):
                yield value
