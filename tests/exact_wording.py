"""The sentences the clinical reference (docs/clinical-reference.md) gives word for word.

They are exempt from the readability grade (tests/test_advice_readability.py): the wording is
fixed by the clinical reference, not ours to simplify. A `{placeholder}` stands for any words.
`strip_exact(text)` removes every such sentence from a text, so what is left (our own words)
can be graded.
"""

from __future__ import annotations

import functools
import re

EXACT_SENTENCES: tuple[str, ...] = (
    # medical.emergency_referral
    "Because of {why}, this needs emergency care now.",
    "Call an ambulance now.",
    "Go to an emergency department now.",
    "Contact an early pregnancy unit now, through your GP or the out-of-hours service if need be.",
    "If the pain is severe, you feel faint or dizzy, or the bleeding is heavy, go to an "
    "emergency department now.",
    "Contact the maternity unit now (the labour ward or maternity triage line).",
    "Tell the hospital team that you have had cancer.",
    "Do not start or continue hands-on treatment or exercise today.",
    # medical.same_day_referral
    "Because of {why}, a doctor should see you today, or at the latest within 24 hours.",
    "Contact your GP practice now and say it is urgent, or the out-of-hours service if it is "
    "closed; if you cannot be seen within 24 hours, go to an urgent care centre or emergency "
    "department.",
    "Say that you have had cancer: the doctor may need to contact the cancer team and arrange "
    "an urgent scan.",
    "You gave birth {ago}: you can also call the maternity unit.",
    "Say that you take a blood thinner and had a fall or blow.",
    "A painful, swollen calf can be a blood clot, which needs checking today.",
    "Until you have been seen, avoid heavy lifting and strenuous exercise and hold off hands-on "
    "treatment.",
    # medical.urgent_referral
    "Because of {why}, a doctor should check your back before anything else.",
    "Please book an appointment to be seen within the next few days, and at the latest within "
    "a week.",
    # medical.scoliosis_review, medical.sciatica_review
    "Scoliosis rarely causes much pain in young people, so pain that has lasted 6 weeks or more "
    "should be checked by the doctor or the scoliosis team at a routine appointment.",
    "Tell the doctor who sees you about the scoliosis.",
    "This pain, with leg pain below the knee, has lasted 6 weeks or more, so ask a doctor or "
    "physiotherapist to check the nerve.",
    "If the leg pain stays strong despite treatment, ask whether a specialist opinion is needed.",
    # medical.pregnancy_care
    "Back and pelvic pain are common in pregnancy and after birth.",
    "Tell the midwife or doctor at your next appointment.",
    "Tell the midwife, health visitor or GP at your next contact, for example the 6-week check.",
    "Tell the GP at your next appointment.",
    "A pelvic health physiotherapist can help with back and pelvic pain in and after pregnancy: "
    "ask {who} about a referral.",
    "Tell the doctor who sees you that you are {n weeks} pregnant.",
    "Tell the doctor who sees you that you gave birth {ago}.",
    # medical.risk_factor_team
    "Because of {co}, keep the team that looks after this involved: share this plan, follow "
    "their advice on exercise and hands-on treatment, and tell them about any sign under 'When "
    "to get help sooner' in the time given there.",
    "Ask a pharmacist or doctor before taking any painkiller: anti-inflammatories such as "
    "ibuprofen are not usually safe with a blood thinner.",
    # medical.co_manage
    "Tell the doctor who sees you about the back condition you have been diagnosed with.",
    "Because of the diagnosis of weak or damaged bone in the back, ask the doctor which "
    "exercises and hands-on treatments are safe for you before starting any; until then keep "
    "to gentle everyday movement, with light massage only.",
    "Ask the doctor for their view before starting a new strengthening programme on your own or "
    "any firm hands-on treatment; until then, exercise with a physiotherapist or with the "
    "doctor's agreement, and light massage only.",
    # medical.coordinate_care
    "A doctor already knows about this back condition, but the new signs need checking first: "
    "no hands-on work or new exercise until a doctor has seen you; then share this plan with "
    "them.",
    "A doctor knows about this back condition and is happy for exercise and hands-on treatment: "
    "share this plan with them, and tell them if anything changes.",
    # sleep
    "A medium-firm mattress (or, while a bed is still sound, a medium-firm topper) may be more "
    "comfortable: in one trial of people with long-standing back pain, medium-firm did better "
    "than firm.",
    "The mattress is probably not the cause of your pain.",
    "The mattress is probably not the cause of your pain, though the pillow tips may still help.",
    # personalized
    "A painful red eye needs medical care the same day.",
    "With leg pain, the signs under 'When to get help sooner' matter most: they say which "
    "changes need a doctor, and how soon.",
    "Pain that lasts this long usually needs an exercise programme made for you by a pelvic "
    "health physiotherapist.",
    "Simple self-care helps while the doctor's review is arranged.",
    "Back pain like yours is rarely a sign of anything serious.",
    "Pain like this usually keeps improving with simple self-care.",
    "You do not need several hands-on treatments at once: for most back pain, one practitioner "
    "and your own plan are enough.",
    "The steps in this plan are the main way to look after your back yourself.",
    "Pain is an alarm: it is real, but it does not measure damage.",
    "Back pain is very common, and scans are rarely needed to find its cause.",
    "The spine is strong, and moving is safe and helps it settle.",
    "Moving, and the right exercise, are safe even when bones may be thinner.",
    "Gentle everyday movement is safe; new exercises wait until the doctor agrees.",
    "After months of pain, the nervous system can become sensitive and flare without new harm, "
    "so pace yourself and build up step by step.",
    # prevention
    "Until you have been seen, keep gently active within comfort (short walks, light everyday "
    "jobs), and avoid heavy lifting and strenuous exercise.",
    "Most back pain settles within a few weeks; staying active helps it settle sooner than "
    "resting.",
    "Pain that has lasted a few weeks still usually improves; staying active helps.",
    "Long-standing back pain often improves with staying active and building up activity step "
    "by step, even when it does not go away completely.",
    "Some discomfort when moving is normal and is not a sign of harm.",
    "You already exercise regularly: keep it up.",
    "Adding some strength work twice a week would round it off.",
    "Keep up exercise that is safe in pregnancy (walking, swimming, pregnancy yoga or Pilates), "
    "as agreed with the midwife.",
    "Keep up exercise that is safe in pregnancy (walking, pregnancy yoga or Pilates), as agreed "
    "with the midwife.",
    "Do pelvic floor exercises every day.",
    "From 13 weeks, avoid long spells lying flat on your back.",
    "A gap between the tummy muscles is common after birth, and a pelvic health physiotherapist "
    "can check it.",
    "Until the 6-week check, keep to walking and gentle exercises.",
    "Build up low-impact exercise; leave running, jumping and other high-impact exercise until "
    "at least 12 weeks after the birth, and have your pelvic floor checked first if you have "
    "leaking, heaviness or pelvic pain.",
    "Build up towards running or sport step by step; have your pelvic floor checked first if "
    "you have leaking, heaviness or pelvic pain.",
    "While the pelvis is painful, avoid exercises that load one leg at a time, such as lunges, "
    "side planks or standing on one leg.",
    "Exercise helps protect bone and balance: strengthen the back muscles and practise standing "
    "tall.",
    "Move your spine freely in daily life, but avoid exercises that bend it forward hard or "
    "under load, such as sit-ups, toe-touches or pulling the knees to the chest.",
    "To lift, bend at the hips and knees.",
    "Until a doctor has checked the back, ease off sport that bends the back backwards again "
    "and again: in young athletes this pain can come from a stress injury to the bone.",
    # massage
    "The care with the best evidence is active: exercise-based physiotherapy, with a "
    "psychologically informed approach when worries about the pain are holding you back.",
    "Hands-on treatment, if used at all, works best as a small part of such a programme.",
    "Massage is optional: it may ease pain for a while if you enjoy it, but you do not need it "
    "to recover.",
    "You already have other care ({care}). Let each practitioner know what the others are doing "
    "so the advice fits together; more treatments at once do not necessarily work better.",
    "Exercise-based physiotherapy has the strongest evidence for back pain.",
    # the guardrails' sentences ("Bounds")
    "Start this once the doctor agrees; until then, keep to gentle everyday movement such as "
    "short walks.",
    "Do this with a physiotherapist or with the doctor's agreement; do not start a hard "
    "strengthening programme on your own.",
    "Agree these exercises with the physiotherapist or team that did the procedure.",
    # medical.safety_net (every part's text is exact)
    "Go to an emergency department straight away if any of these appear: numbness or tingling "
    "around the genitals, back passage, buttocks or inner thighs; new difficulty passing urine, "
    "or not being able to feel or control your bladder or bowel; new loss of sexual function; a "
    "leg or foot getting weaker (a foot that drags or catches); or pain, numbness or pins and "
    "needles in both legs that is new (in the last days or weeks) or quickly getting worse.",
    "Call an ambulance for chest pain with breathlessness, sweating or feeling faint, for sudden "
    "breathlessness, or for a sudden severe tearing pain in the back.",
    "In early pregnancy, bleeding or cramping pain means contacting an early pregnancy unit now.",
    "Go to an emergency department now if the pain is severe, you feel faint or dizzy, or the "
    "bleeding is heavy, or if you have a fever.",
    "While pregnant, bleeding, leaking fluid, regular tightening or cramps, or a fever with the "
    "back pain means contacting the maternity unit now.",
    "A painful, swollen calf in one leg needs a doctor today.",
    "Coughing up blood, or chest pain that is worse when breathing in, means calling an "
    "ambulance.",
    "In the first 6 weeks after the birth, {signs} means contacting a doctor or the maternity "
    "unit today.",
    "Heavy bleeding (soaking a pad within an hour) means calling an ambulance.",
    "Feeling very unwell, confused or very drowsy means calling an ambulance.",
    "A foot that suddenly turns cold, pale or blue, or becomes very painful, needs an emergency "
    "department now.",
    "Because of {risks}, a fever or feeling hot and shivery means going to an emergency "
    "department now.",
    "If the wound becomes red or swollen or leaks fluid, or leg pain, numbness or tingling comes "
    "back, contact the team that did the procedure today.",
    "Because you have had cancer, contact a doctor today, and say that you have had cancer, if "
    "any of these appear: {items}.",
    "Because {reason}, a sudden new back pain after a minor strain, fall or cough needs a "
    "doctor within a few days.",
    "Because {reason}, a sudden new back pain after a minor strain or cough needs a doctor "
    "within a few days.",
    "Because blood thinners make bleeding more likely, see a doctor today after any fall or "
    "blow to the back.",
    "Contact a doctor within a few days if any of these appear: {items}.",
    "If any of these appear before you are seen, tell the doctor's practice so that they can "
    "see you sooner: {items}.",
    "If you also get a fever, contact a doctor today.",
    "If you also start to feel generally unwell, contact a doctor today.",
    "A fever together with feeling generally unwell needs a doctor today.",
    "We will go through this plan together again in a week; bring what the doctor said.",
    "Otherwise we will check this plan together in {weeks}.",
    # the flare-up plan ("Flare-up plan, diary, follow-up")
    "On a bad day: keep moving gently, a little and often; do the easier version of {first "
    "exercise} and rest in the rest position for a few minutes at a time; heat may ease it; go "
    "back to your usual programme as it settles, usually within a few days to a week.",
    "On a bad day: keep moving gently, a little and often; rest in the rest position for a few "
    "minutes at a time; heat may ease it; go back to your usual programme as it settles, "
    "usually within a few days to a week.",
    "A flare-up is common and usually not a sign of new damage.",
    "A sudden, new, severe pain after a strain or fall is not a flare-up: see 'When to get help "
    "sooner'.",
    "The signs under 'When to get help sooner' apply on bad days too.",
)


def _pattern(sentence: str) -> str:
    parts = re.split(r"\{[^}]*\}", sentence)
    return r".+?".join(re.escape(p) for p in parts)


@functools.cache
def _exact() -> re.Pattern[str]:
    # Longest first, so a sentence that contains a shorter exact one is removed whole.
    ordered = sorted(EXACT_SENTENCES, key=len, reverse=True)
    return re.compile("|".join(_pattern(s) for s in ordered))


def strip_exact(text: str) -> str:
    """`text` without the exact sentences it holds (what is left is ours to grade)."""
    return re.sub(r"\s{2,}", " ", _exact().sub(" ", text)).strip()
