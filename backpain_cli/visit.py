"""The domain side of `backpain assess`: gathering answers from files and earlier sessions,
checking them, and turning them into a session. No prompts and no printing here: the CLI
asks (through interview.py) and renders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .clinical.answers import Validation, read_answers_file, validate, walk
from .clinical.engine import build_plan
from .clinical.legacy import current_answers
from .clinical.model import Level, Plan
from .clinical.programme import previous_levels
from .clinical.questionnaire import AnswerValue, Module, Registry, check_value
from .clinical.triage import is_emergency
from .errors import AnswersError, BackpainError, Problem, SettingsError, UsageError
from .records.practice import Practice
from .records.session import ModuleRef, Session
from .records.settings import Settings
from .records.storage import (
    new_session_id,
    read_ref,
    read_session,
    same_client,
    validate_client,
)
from .records.targets import resolve_session


def instrument_names(text: str | None,
                     registry: Registry) -> tuple[tuple[str, ...], str | None]:
    """The instruments `text` names (comma-separated, any case), and what is wrong if one
    of them is unknown: the one rule for `--instruments` and the `instruments` setting."""
    if not text:
        return (), None
    names = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in registry.optional_ids]
    if unknown:
        return names, (f"unknown instrument {', '.join(unknown)}; choose from "
                       f"{', '.join(registry.optional_ids)}")
    return names, None


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
    # False when the answers file had no usable [answers] table (PRODUCT.md: one problem).
    file_has_answers: bool = True
    # The practice and practitioner from the settings, recorded in the session.
    practice: Practice = field(default_factory=Practice)
    # At a follow-up: the previous visit's saved programme, exercise id -> level (its
    # levels move by the programme step); None when the visit follows no other.
    previous_programme: Mapping[str, Level] | None = None

    @property
    def follow_up(self) -> bool:
        """A visit that follows another: it derives no flags (CLINICAL.md v3)."""
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
) -> Start:
    """Collect what is already known: a resumed draft, a previous visit, an answers file.

    At a follow-up under `no_input`, a question not asked afresh that the answers file
    does not answer takes the previous visit's answer (CLINICAL.md, "The interview and
    clinical safety"); an interview offers it as the default instead.

    `settings` (the settings file when None) give the practice to record and the default
    instruments: `--instruments` replaces them; a resumed draft keeps its own, and a
    follow-up visit those of the visit it follows when that had any.
    """
    if settings is None:
        from .records.settings import load

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
        # A version-1 draft resumes under today's questionnaires (CLINICAL.md).
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
    if answers_file is not None:
        af = read_answers_file(answers_file)
        file_problems = af.problems
        file_has_answers = af.has_answers
        if af.client is not None and ref_client is None:
            ref_client = af.client
        raw.update(af.answers)
    if client is not None:
        ref_client = client
    # Only the reference in use is checked, and before the answers (PRODUCT.md).
    checked = validate_client(ref_client) if ref_client is not None else None
    if resumed is not None and not same_client(checked, resumed.client):
        raise UsageError(f"session {resumed.id} belongs to client {resumed.client}")
    modules = registry.select(chosen, programme_followup=programme_followup)
    if no_input and defaults:
        raw = with_previous_answers(modules, raw, defaults)
    selected = {q.id for m in modules for q in m.questions}
    known = set(registry.questions()) - selected
    validation = validate(modules, raw, known_ids=known, skipped=skipped, suggest=True)
    warnings = []
    if validation.dropped:
        warnings.append(
            "ignored answers to questions not asked in this interview (hidden by an earlier "
            f"answer or an instrument not included): {', '.join(validation.dropped)}")
    return Start(modules, chosen, checked, dict(validation.answers), skipped, validation,
                 defaults, follows, resumed, file_problems, warnings, file_has_answers,
                 settings.practice, previous_programme)


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
    """Whether the session's saved plan holds an exercise programme (CLINICAL.md v3,
    "followup": the visit after it asks how often the client did it)."""
    # A plan saved before the programme existed has none.
    return session.plan is not None and bool(getattr(session.plan, "programme", ()))


def follow_up_defaults(registry: Registry,
                       previous: Mapping[str, AnswerValue]) -> dict[str, AnswerValue]:
    """The previous visit's answers that a follow-up offers as defaults: not those that
    describe today (warning signs, pregnancy, NPRS, STarT Back, ODI, RMDQ; CLINICAL.md)."""
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
    # problem, already named.
    problems.extend(st.validation.all_problems(missing=st.file_has_answers))
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
           skipped: set[str]) -> Session:
    """Check the final answers once more (the same rules as the file path) and plan."""
    selected = {q.id for m in st.modules for q in m.questions}
    final = validate(st.modules, answers, skipped=skipped)
    if not final.complete:
        raise AnswersError(final.all_problems())
    base = _new_or_resumed(st, client, "completed")
    kept_skips = tuple(s for s in sorted(skipped) if s in selected and s not in final.answers)
    plan = build_plan(final.answers, follow_up=st.follow_up,
                      previous_programme=st.previous_programme)
    return Session(
        id=base.id, client=client, created=base.created, status="completed",
        answers=dict(final.answers), questionnaires=module_refs(st.modules),
        instruments=st.instruments, plan=plan, follows=st.follows, skipped=kept_skips,
        # Questions left unasked because an emergency sign made them unnecessary.
        ended_early="emergency" if final.waived else None, practice=base.practice)


def draft(st: Start, client: str, answers: Mapping[str, AnswerValue],
          skipped: set[str]) -> Session:
    """What an interrupted interview leaves: valid answers so far, no plan."""
    kept = dict(validate(st.modules, answers, skipped=skipped).answers)
    base = _new_or_resumed(st, client, "draft")
    return Session(
        id=base.id, client=client, created=base.created, status="draft", answers=kept,
        questionnaires=module_refs(st.modules), instruments=st.instruments,
        follows=st.follows, skipped=tuple(sorted(skipped)), practice=base.practice)


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
    from .records.storage import delete_session

    again = read_session(path)
    if again.id != session.id or not again.is_draft:
        raise BackpainError(f"session {session.id} is no longer a draft; nothing deleted")
    delete_session(path)
