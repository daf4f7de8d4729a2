"""`backpain assess`: gathering answers from files and earlier sessions, checking them, the
interview through the asker the command passes in, the plan, and the saved session.

`assess_visit` is the use case: the command parses its options into an `AssessRequest`,
calls it once, and renders the `Assessed` it returns. No prompt and no print here: the asker
(interview.py) asks, and the command's `Notices` say what must be said on the way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..clinical import checks
from ..clinical.answers import (
    Validation,
    merge_answers_files,
    questions_open,
    read_answers_file,
    validate,
    walk,
)
from ..clinical.engine import build_plan
from ..clinical.handout_choice import HandoutChoiceError
from ..clinical.instruments import instrument_names
from ..clinical.intake import Intake, read_intake, version_notes
from ..clinical.legacy import current_answers
from ..clinical.model import Level, Plan
from ..clinical.programme import previous_levels
from ..clinical.questionnaire import AnswerValue, Module, Registry, check_value, load_registry
from ..clinical.triage import is_emergency
from ..errors import (
    AnswersError,
    BackpainError,
    Interrupted,
    NoTerminalError,
    Problem,
    SettingsError,
    StorageError,
    UnsavedSessionError,
    UsageError,
)
from ..files import packaged
from ..frozen import frozen
from ..records.addenda import NOTE, Addendum, save_addendum, text_problem
from ..records.paths import new_session_id, questionnaires_dir, same_client, validate_client
from ..records.practice import Practice
from ..records.session import ModuleRef, Session, to_toml_dict
from ..records.settings import Settings, load
from ..records.storage import delete_session, read_ref, read_session, save_session
from ..records.targets import resolve_session
from ..records.tree import SessionRef
from .handout import Chosen, check_given, note_problem, save_given
from .notices import Notices

if TYPE_CHECKING:
    from ..interview import Asker


def parse_instruments(text: str | None, registry: Registry) -> tuple[str, ...]:
    names, problem = instrument_names(text, registry)
    if problem is not None:
        raise UsageError(f"--instruments: {problem}")
    return names


def configured_instruments(settings: Settings, registry: Registry) -> tuple[str, ...]:
    """The `instruments` setting; one the questionnaires do not know is a broken setting
    (exit 1), not wrong usage: nothing on the command line is wrong."""
    names, problem = instrument_names(settings.instruments, registry)
    if problem is not None:
        raise SettingsError(str(settings.path), f"instruments: {problem}")
    return names


@dataclass
class Start:
    """Everything known before the interview asks anything."""

    modules: tuple[Module, ...]
    instruments: tuple[str, ...]
    client: str | None
    answers: dict[str, AnswerValue]
    skipped: set[str]
    validation: Validation
    defaults: Mapping[str, AnswerValue] = field(default_factory=dict)
    follows: str | None = None
    resumed: Session | None = None
    file_problems: tuple[Problem, ...] = ()
    warnings: list[str] = field(default_factory=list)
    # False when the answers file had no usable [answers] table (the README: one problem).
    file_has_answers: bool = True
    # The practice and practitioner from the settings, recorded in the session.
    practice: Practice = field(default_factory=Practice)
    # At a follow-up: the previous visit's saved programme, exercise id -> level (its
    # levels move by the programme step); None when the visit follows no other.
    previous_programme: Mapping[str, Level] | None = None
    # The [intake] table of an answers file the client's intake form saved (issue 21).
    intake: Intake | None = None
    # The client's own answers from the form's file (confirmed face to face, interactive).
    form_answers: Mapping[str, AnswerValue] = field(default_factory=dict)

    @property
    def follow_up(self) -> bool:
        """A visit that follows another: it derives no flags (the clinical reference v3)."""
        return self.follows is not None


def start(
    registry: Registry,
    *,
    client: str | None,
    answers_file: Path | None,
    instruments: str | None,
    resume: str | None = None,
    follow_up: str | None = None,
    root: Path | None = None,
    settings: Settings | None = None,
    no_input: bool = False,
    more_answers: Sequence[Path] = (),
) -> Start:
    """Collect what is already known: a resumed draft, a previous visit, an answers file.

    At a follow-up under `no_input`, a question not asked afresh that the answers file
    does not answer takes the previous visit's answer (the clinical reference, "The interview and
    clinical safety"); an interview offers it as the default instead.

    `settings` (the settings file when None) give the practice to record and the default
    instruments: `--instruments` replaces them; a resumed draft keeps its own, and a
    follow-up visit those of the visit it follows when that had any.
    """
    if settings is None:
        settings = load()
    chosen = parse_instruments(instruments, registry)
    raw: dict[str, object] = {}
    skipped: set[str] = set()
    resumed: Session | None = None
    follows: str | None = None
    defaults: dict[str, AnswerValue] = {}
    ref_client: object | None = None
    previous_programme: dict[str, Level] | None = None
    # Whether the visit followed gave a programme: its adherence is asked (v3).
    programme_followup = False
    if resume and follow_up:
        raise UsageError("--resume and --from cannot be used together")
    if resume:
        resumed = read_ref(resolve_session(resume, "--resume", root))
        if not resumed.is_draft:
            raise BackpainError(
                f"session {resumed.id} is already completed; use --from {resumed.id} for a "
                "follow-up visit")
        # A version-1 draft resumes under today's questionnaires (the clinical reference).
        raw.update(current_answers(resumed.answers))
        skipped.update(resumed.skipped)
        ref_client = resumed.client
        follows = resumed.follows
        chosen = chosen or resumed.instruments
    if follow_up:
        previous = read_ref(resolve_session(follow_up, "--from", root))
        if previous.is_draft:
            raise BackpainError(
                f"session {previous.id} is an unfinished draft; continue it with "
                f"backpain assess --resume {previous.id}")
        if client is not None and not same_client(client, previous.client):
            # A follow-up belongs to the same client; another client's history must not
            # point at this one's visit.
            raise UsageError(f"session {previous.id} belongs to client {previous.client}, "
                             f"not {client}")
        defaults = follow_up_defaults(registry, current_answers(previous.answers))
        previous_programme = _saved_programme(previous)
        programme_followup = gave_programme(previous)
        follows = previous.id
        ref_client = previous.client
        chosen = chosen or tuple(i for i in previous.instruments
                                 if i in registry.optional_ids)
    if instruments is None and resumed is None and not chosen:
        chosen = configured_instruments(settings, registry)
    if resumed is not None and resumed.follows and not defaults:
        # A follow-up visit interrupted and resumed keeps the last visit's answers as
        # defaults; if that session is gone, the questions are simply asked without them.
        try:
            previous = read_ref(resolve_session(resumed.follows, "--from", root))
        except BackpainError:
            pass
        else:
            defaults = follow_up_defaults(registry, current_answers(previous.answers))
            previous_programme = _saved_programme(previous)
            programme_followup = gave_programme(previous)
    if resumed is not None and resumed.follows and "programme_adherence" in resumed.answers:
        # The visit it follows may be gone; the draft's own answer says it was asked.
        programme_followup = True
    file_problems: tuple[Problem, ...] = ()
    file_has_answers = True
    intake: Intake | None = None
    form_keys: set[str] = set()
    if resumed is not None and resumed.intake is not None:
        intake, _ = read_intake(dict(resumed.intake))
        # Which signs were confirmed before the interruption is not kept: all are again.
        form_keys = set(resumed.answers)
    if answers_file is not None:
        files = [read_answers_file(p) for p in (answers_file, *more_answers)]
        merged, twice = merge_answers_files(files)
        problems = [p for af in files for p in af.problems] + twice
        file_has_answers = all(af.has_answers for af in files)
        clients = {str(af.client) for af in files if af.client is not None}
        if len(clients) > 1:
            problems.append(Problem("client", f"the answers files name different clients "
                                              f"({', '.join(sorted(clients))})"))
        client_of_file = next((af.client for af in files if af.client is not None), None)
        if client_of_file is not None and ref_client is None:
            ref_client = client_of_file
        forms = [af for af in files if af.intake is not None]
        if len(forms) > 1:
            problems.append(Problem("intake", "more than one answers file has an [intake] "
                                              "table"))
        elif forms:
            intake = forms[0].intake
            form_keys = set(forms[0].answers) - {p.where for p in twice}
        file_problems = tuple(problems)
        raw.update(merged)
    if client is not None:
        ref_client = client
    # Only the reference in use is checked, and before the answers (the README).
    checked = validate_client(ref_client) if ref_client is not None else None
    if resumed is not None and not same_client(checked, resumed.client):
        raise UsageError(f"session {resumed.id} belongs to client {resumed.client}")
    modules = registry.select(chosen, programme_followup=programme_followup)
    if no_input and defaults:
        raw = with_previous_answers(modules, raw, defaults)
    selected = {q.id for m in modules for q in m.questions}
    known = set(registry.questions()) - selected
    validation = validate(modules, raw, known_ids=known, skipped=skipped, suggest=True)
    warnings = [] if intake is None or answers_file is None \
        else [f"intake form: {note}" for note in version_notes(intake, registry)]
    if validation.dropped:
        warnings.append(
            "ignored answers to questions not asked in this interview (hidden by an earlier "
            f"answer or an instrument not included): {', '.join(validation.dropped)}")
    form_answers = {k: v for k, v in validation.answers.items() if k in form_keys}
    return Start(modules, chosen, checked, dict(validation.answers), skipped, validation,
                 defaults, follows, resumed, file_problems, warnings, file_has_answers,
                 settings.practice, previous_programme, intake, form_answers)


def _saved_programme(previous: Session) -> dict[str, Level] | None:
    """The previous visit's programme levels; None when its plan has no programme key
    (saved before version 3: no programme_adherence follows it)."""
    plan = previous.plan
    if plan is None or plan.programme is None:
        return None
    return previous_levels(item.as_dict() for item in plan.programme)


def with_previous_answers(modules: Sequence[Module], raw: Mapping[str, object],
                          previous: Mapping[str, AnswerValue]) -> dict[str, object]:
    """`raw` (an answers file's answers) with the previous visit's answer for every question
    the file does not answer, where that question is shown today and the previous answer
    is valid for it today. `previous` holds only answers that are not asked afresh
    (`follow_up_defaults`). A previous answer to a question hidden today is not used, so
    it is not reported as dropped either."""
    merged: dict[str, object] = dict(raw)
    seen: dict[str, AnswerValue] = {}  # the answers so far, for the conditions
    for q, shown in walk(modules, seen):
        if shown is not True:
            continue
        given = raw.get(q.id)
        if q.id in raw:
            value = tuple(given) if isinstance(given, list) else given
            if check_value(q, value) is None and isinstance(value, (bool, int, str, tuple)):
                seen[q.id] = value
            continue
        before = previous.get(q.id)
        if before is not None and check_value(q, before) is None:
            seen[q.id] = before
            merged[q.id] = list(before) if isinstance(before, tuple) else before
    return merged


def gave_programme(session: Session) -> bool:
    """Whether the session's saved plan holds an exercise programme (the clinical reference v3,
    "followup": the visit after it asks how often the client did it)."""
    # A plan saved before the programme existed has none.
    return session.plan is not None and bool(getattr(session.plan, "programme", ()))


def follow_up_defaults(registry: Registry,
                       previous: Mapping[str, AnswerValue]) -> dict[str, AnswerValue]:
    """The previous visit's answers that a follow-up offers as defaults: not those that
    describe today (warning signs, pregnancy, NPRS, STarT Back, ODI, RMDQ; the clinical
    reference)."""
    questions = registry.questions()
    return {k: v for k, v in previous.items()
            if k in questions and not questions[k].fresh_each_visit}


def emergency_plan(answers: Mapping[str, AnswerValue], *,
                   follow_up: bool = False) -> Plan | None:
    """The plan of these answers when an emergency sign is among them (its only
    recommendation is the emergency referral), else None."""
    return build_plan(answers, follow_up=follow_up) if is_emergency(answers) else None


def require_complete(st: Start) -> str:
    """Under --no-input: every problem at once (exit 3), or the client to save the session for."""
    problems = list(st.file_problems)
    if st.client is None:
        problems.append(Problem("client", "missing (give --client or client = \"...\" in the "
                                          "answers file)"))
    # Without an [answers] table every question would be listed as missing: that is one
    # problem, already named; so is a question answered in two files.
    named = {p.where for p in st.file_problems}
    problems.extend(p for p in st.validation.all_problems(missing=st.file_has_answers)
                    if not (p.where in named and p.reason == "missing (required)"))
    if problems or st.client is None:  # a missing client is one of the problems
        raise AnswersError(problems)
    return st.client


def module_refs(modules: Sequence[Module]) -> tuple[ModuleRef, ...]:
    return tuple(ModuleRef.of(m) for m in modules)


def _new_or_resumed(st: Start, client: str, status: str) -> Session:
    if st.resumed is not None:
        # The same visit, resumed: the practice it recorded when it began (a draft saved
        # before backpain recorded one takes today's).
        return Session(
            id=st.resumed.id, client=client, created=st.resumed.created, status=status,
            answers={}, questionnaires=(), instruments=st.instruments, follows=st.follows,
            practice=st.resumed.practice or st.practice)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return Session(id=new_session_id(now), client=client, created=now, status=status,
                   answers={}, questionnaires=(), instruments=st.instruments,
                   follows=st.follows, practice=st.practice)


def finish(st: Start, client: str, answers: Mapping[str, AnswerValue],
           skipped: set[str], *, ended_at_emergency: bool = False,
           confirmed: bool = False) -> Session:
    """Check the final answers once more (the same rules as the file path) and plan.

    `ended_at_emergency`: the practitioner ended the interview at an emergency sign
    (run_interview's result); the questions left are then unasked, required or not.
    """
    selected = {q.id for m in st.modules for q in m.questions}
    final = validate(st.modules, answers, skipped=skipped)
    if not final.complete:
        raise AnswersError(final.all_problems())
    base = _new_or_resumed(st, client, "completed")
    kept_skips = tuple(s for s in sorted(skipped) if s in selected and s not in final.answers)
    plan = build_plan(final.answers, follow_up=st.follow_up,
                      previous_programme=st.previous_programme)
    # Questions left unasked because an emergency sign made them unnecessary.
    ended_early = "emergency" if final.waived or ended_at_emergency else None
    return Session(
        id=base.id, client=client, created=base.created, status="completed",
        answers=dict(final.answers), questionnaires=module_refs(st.modules),
        instruments=st.instruments, plan=plan, follows=st.follows, skipped=kept_skips,
        ended_early=ended_early, practice=base.practice,
        intake=None if st.intake is None else st.intake.as_dict(),
        red_flags_confirmed=None if st.intake is None else confirmed)


def draft(st: Start, client: str, answers: Mapping[str, AnswerValue],
          skipped: set[str]) -> Session:
    """What an interrupted interview leaves: valid answers so far, no plan."""
    kept = dict(validate(st.modules, answers, skipped=skipped).answers)
    base = _new_or_resumed(st, client, "draft")
    return Session(
        id=base.id, client=client, created=base.created, status="draft", answers=kept,
        questionnaires=module_refs(st.modules), instruments=st.instruments,
        follows=st.follows, skipped=tuple(sorted(skipped)), practice=base.practice,
        intake=None if st.intake is None else st.intake.as_dict(),
        red_flags_confirmed=None if st.intake is None else False)


def draft_to_discard(ref: str, root: Path | None = None) -> tuple[Session, Path]:
    """The draft `ref` names, for `assess --discard`; a completed session is never deleted."""
    found = resolve_session(ref, "--discard", root)
    session = read_ref(found)
    if not session.is_draft:
        raise BackpainError(
            f"session {session.id} is completed, not a draft; completed sessions are kept "
            "(only drafts can be discarded)")
    return session, found.path


def discard(session: Session, path: Path) -> None:
    """Delete the draft, checking again that it still is one (it may have been resumed and
    completed in another window since it was shown)."""
    again = read_session(path)
    if again.id != session.id or not again.is_draft:
        raise BackpainError(f"session {session.id} is no longer a draft; nothing deleted")
    delete_session(path)


@frozen
class Discarded:
    """`assess --discard`: the draft, its file, and whether it was deleted (False: the
    practitioner kept it)."""

    session: Session
    path: Path
    deleted: bool


def discard_draft(ref: str, confirm: Callable[[Session], bool] | None) -> Discarded:
    """Delete the draft `ref` names once `confirm` agrees (None: without asking)."""
    session, path = draft_to_discard(ref)
    if confirm is not None and not confirm(session):
        return Discarded(session, path, deleted=False)
    discard(session, path)
    return Discarded(session, path, deleted=True)


# --------------------------------------------------------------------------- the use case


@frozen
class AssessRequest:
    """`backpain assess`'s options, parsed."""

    client: str | None = None
    answers_file: Path | None = None
    # --answers given again: more files (the practitioner's part beside the client's form).
    more_answers: tuple[Path, ...] = ()
    instruments: str | None = None
    follow_up: str | None = None
    resume: str | None = None
    no_input: bool = False
    save: bool = True
    demo: bool = False  # the sample answers, never a prompt
    note: str | None = None  # the practitioner's note about the visit (an addendum)
    # --pick, --drop, --client-note: the client's handout, chosen for scripts (None: not
    # given; the checklist, or the tool's picks).
    handout: Chosen | None = None


@frozen
class Assessed:
    """The session of this visit, and where it was saved (None: not saved)."""

    session: Session
    path: Path | None
    note: Addendum | None = None
    handout: Addendum | None = None  # the handout choice given as options, kept


def demo_answers() -> Path:
    # pyproject maps backpain_cli.data to examples/, which only an installed package puts
    # inside backpain_cli/; a source tree has it beside the package.
    package = Path(__file__).resolve().parent.parent
    return Path(str(packaged(package / "data", "backpain_cli.data",
                             package.parent / "examples") / "demo.answers.toml"))


def assess_visit(request: AssessRequest, *, asker: Callable[[], Asker] | None,
           notices: Notices) -> Assessed:
    """One visit: what is known already, the questions still open asked through `asker`
    (None: there is no terminal to ask on), the plan, and the session saved.

    `asker` is called only when a question must be put, so that the interview's prompt
    library is loaded only then. On Ctrl-C the answers so far are saved as a draft and
    `Interrupted` says how to resume it.
    """
    if request.note is not None:
        # Checked before anything is asked, so that a bad note costs no interview.
        if not request.save:
            raise UsageError("--note is kept beside the saved session: it cannot go with "
                             "--no-save")
        problem = text_problem(request.note)
        if problem is not None:
            raise UsageError(f"--note: {problem}")
    if request.handout is not None:
        if not request.save:
            raise UsageError("--pick, --drop and --client-note are kept beside the saved "
                             "session: they cannot go with --no-save")
        problem = note_problem(request.handout.client_note)
        if problem is not None:
            raise UsageError(problem)
    answers_file = demo_answers() if request.demo else request.answers_file
    registry = load_registry(questionnaires_dir())
    st = start(registry, client=request.client, answers_file=answers_file,
               instruments=request.instruments, resume=request.resume,
               follow_up=request.follow_up, no_input=request.no_input,
               more_answers=request.more_answers)
    if checks.pregnancy_warning_unasked(st.answers):
        # Before anything else, an error list included (the clinical reference v3).
        notices.info(checks.PREGNANCY_WARNING_UNASKED)
    for message in st.warnings:
        notices.warning(message)
    raised: set[str] = set()
    if request.no_input or request.demo:
        try:
            client = require_complete(st)
        except AnswersError:
            _emergency_first(st, notices)
            raise
        session = finish(st, client, st.answers, st.skipped)
    else:
        session, raised = _interview(st, asker, save=request.save, notices=notices)
    for warning in session.plan.warnings if session.plan else ():
        notices.warning(warning)
    # Consistency checks the interview did not raise: warnings, never an exit code.
    for check in (session.plan.checks or ()) if session.plan else ():
        if check.id not in raised:
            notices.warning(f"check {check.id}: {checks.line(check, session.answers)}")
    if not request.save:
        return Assessed(session, None)
    unfit = None
    if request.handout is not None and session.status == "completed":
        try:
            check_given(session, request.handout)
        except HandoutChoiceError as exc:
            # Without a person at the keyboard nothing is lost: nothing is saved. After an
            # interview the answers are kept, and the choice is left to `backpain handout`.
            if request.no_input or request.demo:
                raise
            unfit = exc
    saved, path = save_or_keep(session, new=st.resumed is None, notices=notices)
    note = None
    if request.note is not None and saved.status == "completed":
        note = save_addendum(SessionRef(saved.id, saved.client, path), NOTE,
                             {"text": request.note.strip("\n")})
    if unfit is not None:
        raise UsageError(f"{unfit}; session {saved.id} was saved without a handout "
                         f"choice (choose it with: backpain handout {saved.id})")
    handout = None
    if request.handout is not None and saved.status == "completed":
        handout = save_given(saved, path, request.handout)
    return Assessed(saved, path, note, handout)


def _emergency_first(st: Start, notices: Notices) -> None:
    """With an emergency sign among the answers, the referral comes before any problem
    list, so that no one misses it (the clinical reference, "Stop at an emergency")."""
    plan = emergency_plan(st.answers, follow_up=st.follow_up)
    if plan is not None:
        notices.emergency(plan)


def _interview(st: Start, asker: Callable[[], Asker] | None, *, save: bool,
               notices: Notices) -> tuple[Session, set[str]]:
    """Ask what is missing; on Ctrl-C save what we have as a draft and raise Interrupted.
    Also returns the consistency checks the interview raised (and asked again)."""
    needs_prompt = (st.client is None or bool(st.validation.problems)
                    or questions_open(st.modules, st.answers, st.skipped))
    # Checked before the warnings below, which promise to ask again.
    if needs_prompt and asker is None:
        _emergency_first(st, notices)
        raise NoTerminalError(
            "answers are missing or invalid and standard input is not a terminal; give them "
            "with --answers FILE and --client, and add --no-input to list every problem "
            "instead of asking")
    for problem in st.file_problems:
        notices.warning(f"answers file: {problem}")
    for problem in st.validation.problems:
        notices.warning(f"{problem} — it will be asked again")
    for unknown in st.validation.unknown:
        notices.warning(f"{st.validation.unknown_problem(unknown)}, ignored")
    if asker is None and st.client is not None:
        # Nothing is required (an emergency sign, or nothing left): no prompt at all.
        return finish(st, st.client, st.answers, st.skipped), set()
    if st.resumed is not None:
        count = len(st.answers)
        notices.info(f"Resuming draft {st.resumed.id} for client {st.resumed.client}: "
                     f"{count} answer{'s' if count != 1 else ''} kept.")
    elif st.follows is not None:
        notices.info(f"Follow-up visit for client {st.client} after session {st.follows}.")
    # questionary and prompt_toolkit (~100 ms): loaded only when a question is put.
    from ..interview import ask_client, run_interview

    assert asker is not None  # needs_prompt, or the early return above
    ask = asker()
    client = st.client or ask_client(ask)
    answers: dict[str, AnswerValue] = dict(st.answers)
    skipped: set[str] = set(st.skipped)
    raised: set[str] = set()
    confirmed = False
    try:
        ended = run_interview(st.modules, answers, skipped, ask, st.defaults,
                              saves_drafts=save, follow_up=st.follow_up, raised=raised)
        if st.intake is not None and not ended:
            # Every warning sign the client answered, face to face (issue 21).
            from ..interview import confirm_signs

            ended, confirmed = confirm_signs(
                st.modules, answers, skipped, ask, st.form_answers, saves_drafts=save,
                follow_up=st.follow_up, raised=raised)
    except Interrupted:
        if not save:
            notices.info("Interrupted; nothing saved (--no-save).")
            raise
        session, path = save_or_keep(draft(st, client, answers, skipped),
                                     new=st.resumed is None, notices=notices)
        raise Interrupted(
            f"interrupted; draft saved to {path}\n"
            f"  resume with: backpain assess --resume {session.id}") from None
    return finish(st, client, answers, skipped, ended_at_emergency=ended,
                  confirmed=confirmed), raised


def save_or_keep(session: Session, *, new: bool, notices: Notices) -> tuple[Session, Path]:
    """Save; if the data folder refuses, the error carries the answers as an answers file,
    for the command to print, so that the interview is not lost."""
    try:
        saved, path = save_session(session, new=new)
    except StorageError as exc:
        import tomli_w  # only to keep the answers of a session the folder refused

        kept = {"client": session.client, "answers": to_toml_dict(session)["answers"]}
        raise UnsavedSessionError(
            f"{exc}. The answers are printed above as an answers file: save them and run "
            "`backpain assess --answers FILE` once the data folder is writable",
            tomli_w.dumps(kept)) from None
    if saved.client != session.client:
        notices.note(f"client {session.client} is the existing client {saved.client} "
                     f"(references do not depend on case); saved as {saved.client}")
    return saved, path
