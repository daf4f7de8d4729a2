"""The interview's clinical safety (the clinical reference, "The interview and clinical safety
(v2)")
and what the practitioner sees around the questions, through the real questionary prompts
fed by prompt_toolkit's pipe input.

- An emergency-tier yes stops the interview at once: the referral (the plan's own text) is
  shown and Enter ends the interview; the session is completed with `ended_early`.
- An urgent sign is acknowledged in one line, once.
- The intro line, the progress count in module headings, answers echoed in words, prompts
  wrapped at word boundaries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TypeAlias

import pytest
from askers import ENTER, RecordingAsker, Said, feed
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.questionnaire import (
    AnswerValue,
    Question,
    Registry,
)
from backpain_cli.errors import Interrupted, NoTerminalError
from backpain_cli.flows import assess
from backpain_cli.flows.assess import AssessRequest, assess_visit
from backpain_cli.interview import (
    SAME_DAY_LINE,
    URGENT_LINE,
    Progress,
    QuestionaryAsker,
    intro_text,
    run_interview,
)
from backpain_cli.output.wording import flag_text
from backpain_cli.records.storage import read_session, save_session

RawAnswer: TypeAlias = bool | int | str | list[str]
KeysFor: TypeAlias = Callable[[Question, RawAnswer], str]

CTRL_C = "\x03"
REFERRAL = "medical.emergency_referral"



@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with create_pipe_input() as inp:
        yield inp


def words(text: str) -> str:
    return " ".join(text.split())


def upto(answers: Mapping[str, RawAnswer], last: str, **changes: RawAnswer
         ) -> dict[str, RawAnswer]:
    """The answers in interview order up to and including `last`, with `changes`."""
    out: dict[str, RawAnswer] = {}
    for qid, value in answers.items():
        out[qid] = changes.get(qid, value)
        if qid == last:
            return out
    raise KeyError(last)


@pytest.fixture
def keys(registry: Registry, keys_for: KeysFor) -> Callable[[Mapping[str, RawAnswer]], str]:
    questions = registry.questions()

    def keys(answers: Mapping[str, RawAnswer]) -> str:
        return "".join(keys_for(questions[qid], value) for qid, value in answers.items())

    return keys


def after(answers: Mapping[str, RawAnswer], qid: str, **added: RawAnswer
          ) -> dict[str, RawAnswer]:
    """`answers` with `added` inserted, in interview order, right after `qid`."""
    out: dict[str, RawAnswer] = {}
    for key, value in answers.items():
        out[key] = value
        if key == qid:
            out.update(added)
    return out


def stored(answers: Mapping[str, RawAnswer]) -> dict[str, AnswerValue]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in answers.items()}


def start(registry: Registry) -> assess.Start:
    return assess.start(registry, client="JD-042", answers_file=None, instruments=None)


# --------------------------------------------------------------------------- emergency


def test_an_emergency_sign_stops_the_interview_and_enter_ends_it(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    given = upto(complete_answers, "rf_saddle_numbness", rf_saddle_numbness=True)
    st = start(registry)
    answers: dict[str, AnswerValue] = {}
    skipped: set[str] = set()
    # Enter at "End the interview now?": ending is the default. The input ends there, so
    # any further question would raise Interrupted instead of returning.
    feed(pipe, keys(given) + ENTER)
    asker = RecordingAsker(pipe)
    assert run_interview(st.modules, answers, skipped, asker) is True
    assert asker.asked == list(given)
    assert answers == stored(given)
    # The referral shown is the plan's own text for the answers so far, at once.
    plan = build_plan(answers)
    assert plan.ids == (REFERRAL,)
    shown = asker.shown()
    referral_at = shown.index(words(plan.recommendations[0].detail))
    assert shown.index("EMERGENCY — SAME-DAY EMERGENCY CARE") < referral_at
    assert f"Emergency sign: {flag_text('rf_saddle_numbness')}." in shown
    assert shown.endswith("? End the interview now? yes")

    session = assess.finish(st, "JD-042", answers, skipped)
    assert (session.status, session.ended_early) == ("completed", "emergency")
    assert session.plan is not None and session.plan.ids == (REFERRAL,)
    assert session.plan.reassess_weeks is None
    _, path = save_session(session, new=True)
    again = read_session(path)
    assert (again.status, again.ended_early, dict(again.answers)) == (
        "completed", "emergency", stored(given))


def test_continuing_after_an_emergency_sign_asks_the_rest(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    given = {**complete_answers, "rf_saddle_numbness": True}
    before = upto(given, "rf_saddle_numbness")
    after = {k: v for k, v in given.items() if k not in before}
    st = start(registry)
    answers: dict[str, AnswerValue] = {}
    feed(pipe, keys(before) + "n" + ENTER + keys(after))
    asker = RecordingAsker(pipe)
    assert run_interview(st.modules, answers, set(), asker) is False
    assert asker.asked == list(given)
    assert "The interview goes on; the plan stays an emergency referral." in asker.shown()
    session = assess.finish(st, "JD-042", answers, set())
    # Nothing was left unasked: not ended early, and the plan is still the referral alone.
    assert session.ended_early is None
    assert session.plan is not None and session.plan.ids == (REFERRAL,)


def test_fever_becomes_an_emergency_with_a_weakened_immune_system(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    given = upto(complete_answers, "rf_immunosuppressed", rf_fever=True,
                 rf_immunosuppressed=True)
    st = start(registry)
    answers: dict[str, AnswerValue] = {}
    feed(pipe, keys(given) + ENTER)
    asker = RecordingAsker(pipe)
    assert run_interview(st.modules, answers, set(), asker) is True
    shown = asker.shown()
    # Fever alone is urgent: acknowledged when answered, before the next question.
    urgent = f"Urgent sign ({flag_text('rf_fever')}): {URGENT_LINE}."
    assert shown.count(urgent) == 1
    assert shown.index(urgent) < shown.index("EMERGENCY — SAME-DAY EMERGENCY CARE")
    assert (f"Emergency signs: {flag_text('rf_fever')}; {flag_text('rf_immunosuppressed')}."
            in shown)
    session = assess.finish(st, "JD-042", answers, set())
    assert session.ended_early == "emergency"


def test_an_urgent_sign_is_acknowledged_once_and_the_interview_goes_on(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    given = {**complete_answers, "rf_trauma": True}
    st = start(registry)
    answers: dict[str, AnswerValue] = {}
    feed(pipe, keys(given))
    asker = RecordingAsker(pipe)
    assert run_interview(st.modules, answers, set(), asker) is False
    assert asker.asked == list(given)
    line = f"Urgent sign ({flag_text('rf_trauma')}): {URGENT_LINE}."
    assert [words(p) for p in asker.printed if p.startswith("Urgent sign")] == [line]
    # Right after its answer, before the next question's echo.
    echoes = [n for n, p in enumerate(asker.printed) if p.startswith("? ")]
    at = [words(p) for p in asker.printed].index(line)
    asked_before = sum(1 for n in echoes if n < at)
    assert asker.asked[asked_before - 1] == "rf_trauma"
    assert "EMERGENCY" not in asker.shown()


@pytest.mark.parametrize(("aware", "announced"), [(False, True), (True, False)])
def test_a_risk_factor_is_acknowledged_once_the_team_question_decides_it(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys: Callable[[Mapping[str, RawAnswer]], str], aware: bool, announced: bool) -> None:
    # A past cancer alone is urgent unless its team knows about the back pain (v3): it is
    # not called urgent before the team question, and not at all when the team knows.
    given = after(complete_answers, "rf_thoracic_pain", risk_team_aware=aware)
    given["rf_cancer_history"] = True
    feed(pipe, keys(given))
    asker = RecordingAsker(pipe)
    assert run_interview(start(registry).modules, {}, set(), asker) is False
    assert asker.asked == list(given)
    line = f"Urgent sign ({flag_text('rf_cancer_history')}): {URGENT_LINE}."
    printed = [words(p) for p in asker.printed]
    assert printed.count(line) == int(announced)
    if announced:
        echoes = [n for n, p in enumerate(asker.printed) if p.startswith("? ")]
        asked_before = sum(1 for n in echoes if n < printed.index(line))
        assert asker.asked[asked_before - 1] == "risk_team_aware"


def test_a_same_day_cluster_is_acknowledged_in_its_own_line(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    # Fever, then feeling unwell (T6): the fever is urgent at first, then both are same-day.
    given = {**complete_answers, "rf_fever": True, "rf_unwell": True}
    feed(pipe, keys(given))
    asker = RecordingAsker(pipe)
    assert run_interview(start(registry).modules, {}, set(), asker) is False
    printed = [words(p) for p in asker.printed if p.startswith(("Urgent", "Same-day"))]
    assert printed == [
        f"Urgent sign ({flag_text('rf_fever')}): {URGENT_LINE}.",
        f"Same-day sign ({flag_text('rf_fever')}; {flag_text('rf_unwell')}): {SAME_DAY_LINE}."]


def test_a_derived_urgent_sign_is_acknowledged_when_it_fires(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    # A first episode over 60 (rf_age_first_episode) fires on an intake answer.
    given = upto(complete_answers, "onset", age=70, first_episode=True)
    st = start(registry)
    feed(pipe, keys(given))
    asker = RecordingAsker(pipe)
    with pytest.raises(Interrupted):
        run_interview(st.modules, {}, set(), asker)
    line = f"Urgent sign ({flag_text('rf_age_first_episode')}): {URGENT_LINE}."
    printed = [words(p) for p in asker.printed]
    first_episode_echo = next(n for n, p in enumerate(printed)
                              if p.startswith("? Is this the first time"))
    assert printed.index(line) == first_episode_echo + 1


def test_a_possible_fragility_fracture_is_acknowledged_after_the_diagnoses(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    # At 75, new pain after a strain: derived from intake answers, but it reads the
    # diagnoses too, so it is acknowledged once they are given (the clinical reference v3).
    given = after(upto(complete_answers, "current_care", age=75, onset="after_exertion",
                       pain_duration="under_6_weeks"),
                  "hyperextension_activities", falls_past_year="none", unsteady=False)
    feed(pipe, keys(given))
    asker = RecordingAsker(pipe)
    with pytest.raises(Interrupted):
        run_interview(start(registry).modules, {}, set(), asker)
    line = f"Urgent sign ({flag_text('rf_fragility_fracture')}): {URGENT_LINE}."
    printed = [words(p) for p in asker.printed]
    diagnoses_echo = next(n for n, p in enumerate(printed)
                          if p.startswith("? For this episode of back pain"))
    assert printed.index(line) == diagnoses_echo + 1
    assert printed.count(line) == 1


def test_an_emergency_already_answered_is_shown_before_any_question(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer]) -> None:
    # An answers file (or a resumed draft) with an emergency sign and questions still open.
    given = stored(upto(complete_answers, "rf_bladder_bowel", rf_bladder_bowel=True))
    st = start(registry)
    answers = dict(given)
    feed(pipe, ENTER)
    asker = RecordingAsker(pipe)
    assert run_interview(st.modules, answers, set(), asker) is True
    assert asker.asked == []
    assert f"Emergency sign: {flag_text('rf_bladder_bowel')}." in asker.shown()
    assert assess.finish(st, "JD-042", answers, set()).ended_early == "emergency"


def test_ctrl_c_at_the_emergency_question_keeps_the_sign_in_the_draft(
        registry: Registry, complete_answers: dict[str, RawAnswer],
        keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    given = upto(complete_answers, "rf_leg_weakness", rf_leg_weakness=True)
    st = start(registry)
    answers: dict[str, AnswerValue] = {}
    with create_pipe_input() as pipe:
        feed(pipe, keys(given) + CTRL_C)
        with pytest.raises(Interrupted):
            run_interview(st.modules, answers, set(), RecordingAsker(pipe))
    draft, _ = save_session(assess.draft(st, "JD-042", answers, set()), new=True)
    assert draft.answers["rf_leg_weakness"] is True

    resumed = assess.start(registry, client=None, answers_file=None, instruments=None,
                           resume=draft.id)
    answers = dict(resumed.answers)
    with create_pipe_input() as pipe:
        feed(pipe, ENTER)
        asker = RecordingAsker(pipe)
        # The referral comes again, first, and Enter ends the resumed interview.
        assert run_interview(resumed.modules, answers, set(), asker) is True
    assert asker.asked == []
    done = assess.finish(resumed, "JD-042", answers, set())
    assert (done.id, done.status, done.ended_early) == (draft.id, "completed", "emergency")


# --------------------------------------------------------------------------- what is shown


def test_the_intro_comes_before_the_first_question(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    st = start(registry)
    feed(pipe, keys(complete_answers))
    asker = RecordingAsker(pipe)
    run_interview(st.modules, {}, set(), asker)
    # Counted before anything is answered: conditional questions may still be shown.
    total = asker.progress[0][1].total
    assert asker.printed[0] == (f"About {total} questions. Ctrl-C saves a draft that you "
                                "can resume later.")
    assert total >= len(complete_answers)


@pytest.mark.parametrize(("remaining", "answered", "follow_up", "text"), [
    (51, 0, False, "About 51 questions. Ctrl-C saves a draft that you can resume later."),
    (1, 50, False, "About 1 question left (50 already answered). Ctrl-C saves a draft that "
                   "you can resume later."),
    (51, 0, True, "About 51 questions. Ctrl-C saves a draft that you can resume later. "
                  "Follow-up visit: warning signs, pregnancy, how long the pain has lasted, "
                  "pain scores, weeks off work and the questionnaires are asked afresh; for "
                  "other questions Enter keeps the last visit's answer."),
], ids=["first visit", "resumed", "follow-up"])
def test_intro_texts(remaining: int, answered: int, follow_up: bool, text: str) -> None:
    assert intro_text(remaining, answered, follow_up=follow_up) == text


def test_without_saving_the_intro_promises_no_draft() -> None:
    # Issue 17: `assess --no-save` opened with "Ctrl-C saves a draft" and then saved none.
    assert intro_text(51, 0, follow_up=False, saves_drafts=False) == (
        "About 51 questions. Nothing is saved (--no-save): Ctrl-C stops without a draft.")


def test_run_interview_without_saving_says_so_first(
        registry: Registry, pipe: PipeInput) -> None:
    st = start(registry)
    feed(pipe, CTRL_C)
    asker = RecordingAsker(pipe)
    with pytest.raises(Interrupted):
        run_interview(st.modules, {}, set(), asker, saves_drafts=False)
    assert asker.printed[0].endswith(
        "Nothing is saved (--no-save): Ctrl-C stops without a draft."), asker.printed


def test_module_headings_count_the_questions(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    st = start(registry)
    feed(pipe, keys(complete_answers))
    asker = RecordingAsker(pipe)
    run_interview(st.modules, {}, set(), asker)
    asked = list(complete_answers)
    questions = registry.questions()
    by_module: dict[str, list[int]] = {}
    for n, qid in enumerate(asked, 1):
        by_module.setdefault(questions[qid].module, []).append(n)
    # Once the last module starts every condition is decided: the count is exact.
    last_module, last = asker.progress[-1]
    assert last == Progress(by_module[last_module][0], len(asked), len(asked))
    for module, progress in asker.progress:
        assert progress.first == by_module[module][0]
    headings = [p for p in asker.printed if p.startswith("── ")]
    sleep = registry.module("sleep")
    first, *_, final = by_module["sleep"]
    assert f"── {sleep.title} — questions {first}–{final} of about " in headings[2]


def test_the_total_follows_answers_that_hide_questions(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    # A stomach sleeper who does not exercise: knee_pillow and exercise_types are hidden.
    changed = {**complete_answers, "sleep_position": "stomach", "exercise_days": 0}
    del changed["knee_pillow"], changed["exercise_types"]
    st = start(registry)
    feed(pipe, keys(changed))
    asker = RecordingAsker(pipe)
    run_interview(st.modules, {}, set(), asker)
    totals = {module: p.total for module, p in asker.progress}
    n = len(changed)
    # At the sleep heading nothing below is decided yet. Once sleep_position is answered
    # knee_pillow drops out, once work_absence is the weeks off work do, once exercise_days
    # is exercise_types does, and the two follow-ups of diagnoses drop out with "none";
    # from then on the count is exact.
    assert [totals[m] for m in ("sleep", "activity", "diagnoses", "startback")] == [
        n + 5, n + 4, n + 2, n]


@pytest.mark.parametrize(("qid", "keys", "echo"), [
    ("pain_location", " \x1b[B\x1b[B " + ENTER, "Lower back, Buttock"),
    ("pain_duration", "\x1b[B" + ENTER, "6 to 12 weeks"),
    ("first_episode", "y" + ENTER, "yes"),
    ("pain_now", "4" + ENTER, "4"),
], ids=["multi", "choice", "yes/no", "number"])
def test_answers_are_echoed_as_shown_on_screen(registry: Registry, pipe: PipeInput, qid: str,
                                               keys: str, echo: str) -> None:
    q = registry.questions()[qid]
    feed(pipe, keys)
    asker = RecordingAsker(pipe, columns=200)
    asker.ask(q, None)
    assert asker.printed[-1] == f"? {q.text} {echo}"


def test_prompts_wrap_at_word_boundaries(registry: Registry, pipe: PipeInput) -> None:
    q = registry.questions()["rf_trauma"]
    feed(pipe, "n" + ENTER)
    asker = RecordingAsker(pipe, columns=40)
    assert asker.ask(q, None) is False
    echo = asker.printed[-1].split("\n")
    assert len(echo) > 2
    assert all(len(line) <= 39 for line in echo)
    # Lines break between words: rejoined, they give the question back word for word.
    assert " ".join(line.strip() for line in echo).removeprefix("? ") == f"{q.text} no"
    assert all(line.startswith("  ") for line in echo[1:])


def test_no_licence_text_during_the_interview(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    st = start(registry)
    feed(pipe, keys(complete_answers))
    asker = RecordingAsker(pipe)
    answers: dict[str, AnswerValue] = {}
    run_interview(st.modules, answers, set(), asker)
    shown = asker.shown()
    # The interview ran to its end (an absence proves nothing of one that stopped early).
    assert set(complete_answers) <= set(answers)
    for module in st.modules:
        if module.description:
            assert words(module.description) not in shown
    assert "©" not in shown
    assert "licen" not in shown.lower()


def test_a_module_intro_is_shown_under_its_heading(pipe: PipeInput) -> None:
    from backpain_cli.clinical.questionnaire import parse_module

    module = parse_module(
        b'id = "m"\nversion = "1"\ntitle = "Mine"\ndescription = "Licence: (c) somebody."\n'
        b'intro = "Enter the answers from the paper form."\n'
        b'[[questions]]\nid = "q"\ntype = "yesno"\ntext = "Q?"\n', "m.toml", shipped=False)
    feed(pipe, "y" + ENTER)
    asker = RecordingAsker(pipe)
    answers: dict[str, AnswerValue] = {}
    run_interview((module,), answers, set(), asker)
    assert answers == {"q": True}
    assert asker.printed[1:4] == ["── Mine — question 1 of about 1 ──",
                                  "Enter the answers from the paper form.", "? Q? yes"]
    assert "Licence" not in asker.shown()


@pytest.mark.parametrize("ends", [True, False], ids=["ends at the sign", "goes on"])
def test_the_use_case_records_an_interview_ended_at_an_emergency_sign(
        pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys: Callable[[Mapping[str, RawAnswer]], str], ends: bool) -> None:
    """run_interview's result reaches the session: ended there, the rest is unasked."""
    given = upto(complete_answers, "rf_saddle_numbness", rf_saddle_numbness=True)
    rest = {k: v for k, v in complete_answers.items() if k not in given}
    # Enter ends the interview; "n" goes on through the other questions.
    feed(pipe, keys(given) + (ENTER if ends else "n" + ENTER + keys(rest)))
    said = Said()
    done = assess_visit(AssessRequest(client="JD-042", save=False),
                        asker=lambda: RecordingAsker(pipe), notices=said)
    assert done.path is None
    assert done.session.ended_early == ("emergency" if ends else None)
    assert done.session.plan is not None and done.session.plan.ids == (REFERRAL,)
    assert said.emergencies == [] and said.lines == []


def test_with_no_terminal_the_referral_comes_before_the_error(
        write_answers: Callable[..., Path], complete_answers: dict[str, RawAnswer]) -> None:
    # The sign makes every other question optional, but the client is still to be asked.
    given = upto(complete_answers, "rf_bladder_bowel", rf_bladder_bowel=True)
    said = Said()
    with pytest.raises(NoTerminalError):
        assess_visit(AssessRequest(answers_file=write_answers(given, client=None)),
                     asker=None, notices=said)
    assert [p.ids for p in said.emergencies] == [(REFERRAL,)]


# --------------------------------------------------------------------------- v3 questions


def test_a_question_that_asks_several_things_lists_them(registry: Registry,
                                                         pipe: PipeInput) -> None:
    asker = QuestionaryAsker(input=pipe, output=DummyOutput(), columns=60)
    message = asker._message(registry.questions()["rf_osteoporosis"], " (y/n)")
    assert message.splitlines() == [
        "Thin bones, and this pain came on suddenly?",
        "  Yes only if both:",
        "  - A doctor has diagnosed osteoporosis (thin bones)",
        "  - This pain came on suddenly, or after a minor strain,",
        "    fall or cough (y/n)"]
    # A question without parts is its text alone.
    assert asker._message(registry.questions()["rf_fever"]).startswith("A fever, or")


def test_under_35_the_onset_before_35_is_shown_ticked(
        registry: Registry, pipe: PipeInput, complete_answers: dict[str, RawAnswer],
        keys: Callable[[Mapping[str, RawAnswer]], str]) -> None:
    # Chronic pain at 30: the axSpA features are asked with "began before 35" ticked, and
    # Enter keeps it (the clinical reference v3).
    given = upto(complete_answers, "current_care", age=30, pain_duration="over_12_weeks")
    given = after(given, "sex", pregnancy="no")
    questions = registry.questions()
    feed(pipe, keys(given) + ENTER)
    asker = RecordingAsker(pipe)
    answers: dict[str, AnswerValue] = {}
    with pytest.raises(Interrupted):
        run_interview(start(registry).modules, answers, set(), asker)
    assert asker.asked[len(given)] == "axspa_features"
    assert answers["axspa_features"] == ("onset_before_35",)
    assert questions["axspa_features"].default is None
