"""The session model and its two serialised forms: the TOML session file and the JSON document.

The TOML form is what the README's "Session file" section describes; the JSON form is the
public document of `--json` and `export --format json`. Both are produced from the same frozen
`Session`, so they cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import __version__
from ..clinical.model import (
    FLAG_TIERS,
    LEVELS,
    TRIAGE_VALUES,
    Check,
    FlareItem,
    Plan,
    ProgrammeItem,
    Recommendation,
    RedFlag,
    ScoreValue,
)
from ..errors import BackpainError
from ..frozen import frozen
from ..safe_text import to_json
from .practice import PRACTICE_KEYS, Practice, text_problem

if TYPE_CHECKING:
    # Types only: the listing reads summaries without the questionnaire model.
    from ..clinical.questionnaire import AnswerValue, Module

# Schema 2 (clinical content version 2) added `ended_early` and `reassess_weeks`; schema 3
# (version 3) the plan's `programme`, `flare_plan`, `programme_step` and `checks` (and the flag
# tiers same_day and co_manage, the triage same_day). This
# version reads schema 1 to 3 and writes 3.
SCHEMA = 3
STATUSES = ("completed", "draft")
# Why an interview ended before every question was asked (the clinical reference, "Stop at an
# emergency").
ENDED_EARLY = ("emergency",)
# A visit's time and its next check must stay inside the years Python's dates can hold,
# on any local calendar: outside these a file is unreadable, not an OverflowError later.
CREATED_YEARS = (1900, 9998)
MAX_REASSESS_WEEKS = 52


@frozen
class ModuleRef:
    """Which questionnaire (and which exact text of it) the answers were given to."""

    id: str
    version: str
    sha256: str

    @classmethod
    def of(cls, module: Module) -> ModuleRef:
        return cls(module.id, module.version, module.sha256)


@frozen
class Session:
    id: str
    client: str
    created: dt.datetime
    status: str
    answers: Mapping[str, AnswerValue]
    questionnaires: tuple[ModuleRef, ...]
    instruments: tuple[str, ...] = ()
    plan: Plan | None = None
    follows: str | None = None
    skipped: tuple[str, ...] = ()
    tool_version: str = __version__
    schema: int = SCHEMA
    extra: Mapping[str, Any] = field(default_factory=dict)
    # "emergency" when the interview stopped at an emergency sign; None for a full interview.
    ended_early: str | None = None
    # Who saw the client, from the settings at the visit; its handout shows this, not
    # whatever the settings say by the time it is exported.
    practice: Practice = field(default_factory=Practice)
    # The client answered on the intake form (issue 21): filled_by, completed and the form's
    # module versions; None when every answer was given in the interview or a plain file.
    intake: Mapping[str, Any] | None = None
    # With an intake: whether every warning sign was gone through with the client face to
    # face (False after --no-input); None without an intake.
    red_flags_confirmed: bool | None = None

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def signs_unconfirmed(self) -> bool:
        """The warning signs are the client's own answers on the form, not yet confirmed."""
        return self.intake is not None and self.red_flags_confirmed is False


def resume_command(session_id: str) -> str:
    """What to type to continue a draft."""
    return f"backpain assess --resume {session_id}"


def follow_up_command(session_id: str) -> str:
    """What to type for the next visit after a completed session."""
    return f"backpain assess --from {session_id}"


def plan_of(session: Session) -> Plan:
    """The plan a handout shows. A draft has none yet: one clear error, not a traceback."""
    if session.is_draft or session.plan is None:
        raise BackpainError(
            f"session {session.id} is a draft (the interview was not finished), so it has no "
            f"plan yet; finish it with: {resume_command(session.id)}")
    return session.plan


def iso_utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def answer_value(value: AnswerValue) -> bool | int | str | list[str]:
    """An answer as both forms store it (a multiple choice as a list)."""
    return list(value) if isinstance(value, tuple) else value


def flag_dict(flag: RedFlag) -> dict[str, str]:
    return {"id": flag.id, "tier": flag.tier}


def check_dict(check: Check) -> dict[str, Any]:
    return {"id": check.id, "questions": list(check.questions)}


def recommendation_dict(rec: Recommendation) -> dict[str, Any]:
    return {"id": rec.id, "strategy": rec.strategy, "title": rec.title, "detail": rec.detail,
            "because": list(rec.because), "evidence": rec.evidence}


def plan_dict(plan: Plan) -> dict[str, Any]:
    """The plan's part of both forms (and of `review --json`); the key names are the public
    contract. `reassess_weeks` is absent when the plan has none (emergency, or no duration).
    """
    return {
        "scores": dict(plan.scores),
        "triage": plan.triage,
        **({"reassess_weeks": plan.reassess_weeks} if plan.reassess_weeks is not None else {}),
        "red_flags": [flag_dict(f) for f in plan.red_flags],
        "recommendations": [recommendation_dict(r) for r in plan.recommendations],
        **({"warnings": list(plan.warnings)} if plan.warnings else {}),
        **programme_dict(plan),
    }


def programme_dict(plan: Plan) -> dict[str, Any]:
    """The programme's keys (the clinical reference "JSON and session shape"): `programme` and
    `checks` in every v3 plan (possibly empty), `flare_plan` only with a programme,
    `programme_step` only with an adherence answer. A plan saved before version 3 has
    none of them, and none is invented for it."""
    out: dict[str, Any] = {}
    if plan.programme is not None:
        out["programme"] = [item.as_dict() for item in plan.programme]
        if plan.programme and plan.flare_plan:
            out["flare_plan"] = [item.as_dict() for item in plan.flare_plan]
    if plan.programme_step is not None:
        out["programme_step"] = plan.programme_step
    if plan.checks is not None:
        out["checks"] = [check_dict(check) for check in plan.checks]
    return out


def practice_dict(practice: Practice) -> dict[str, str]:
    """The practice's keys that have a value, in both forms' order."""
    values = (practice.name, practice.contact, practice.practitioner)
    return {k: v for k, v in zip(PRACTICE_KEYS, values, strict=True) if v}


def intake_dict(session: Session, *, json: bool) -> dict[str, Any]:
    """`red_flags_confirmed` and the `intake` table, where the client filled in the form."""
    if session.intake is None:
        return {}
    intake = dict(session.intake)
    completed = intake.get("completed")
    if isinstance(completed, dt.datetime):
        intake["completed"] = (iso_utc(completed) if json
                               else completed.astimezone(dt.UTC).replace(microsecond=0))
    return {"red_flags_confirmed": bool(session.red_flags_confirmed), "intake": intake}


def to_toml_dict(session: Session) -> dict[str, Any]:
    """The session file's content. Unanswered questions are simply absent."""
    doc: dict[str, Any] = {
        "schema": session.schema,
        "tool_version": session.tool_version,
        "id": session.id,
        "client": session.client,
        # TOML datetimes are written with their offset; keep whole seconds in UTC.
        "created": session.created.astimezone(dt.UTC).replace(microsecond=0),
        "status": session.status,
    }
    if session.follows:
        doc["follows"] = session.follows
    if session.ended_early:
        doc["ended_early"] = session.ended_early
    doc.update(practice_dict(session.practice))
    doc.update(intake_dict(session, json=False))
    if session.instruments:
        doc["instruments"] = list(session.instruments)
    if session.skipped:
        doc["skipped"] = list(session.skipped)
    doc["questionnaires"] = {
        m.id: {"version": m.version, "sha256": m.sha256} for m in session.questionnaires
    }
    doc["answers"] = {k: answer_value(v) for k, v in session.answers.items()}
    if session.plan is not None:
        doc.update(plan_dict(session.plan))
    return doc


def to_document(session: Session) -> dict[str, Any]:
    """The public JSON document (the README, "JSON document")."""
    doc: dict[str, Any] = {
        "schema": session.schema,
        "tool_version": session.tool_version,
        "session": session.id,
        "client": session.client,
        "created": iso_utc(session.created),
        "status": session.status,
    }
    if session.follows:
        doc["follows"] = session.follows
    if session.ended_early:
        doc["ended_early"] = session.ended_early
    doc.update(practice_dict(session.practice))
    doc.update(intake_dict(session, json=True))
    # What was offered at this visit, and to which text of each questionnaire: an analyst
    # can then tell "Oswestry not offered" (not in instruments) from "offered but not
    # scorable" (in instruments, no odi_percent, a warning says why).
    doc["instruments"] = list(session.instruments)
    doc["questionnaires"] = [{"id": m.id, "version": m.version, "sha256": m.sha256}
                             for m in session.questionnaires]
    doc["answers"] = {k: answer_value(v) for k, v in session.answers.items()}
    if session.plan is not None:
        doc.update(plan_dict(session.plan))
    else:
        # A draft has no plan yet: the keys are still there, empty.
        doc.update({"scores": {}, "triage": None, "red_flags": [], "recommendations": []})
    return doc


class Brief(NamedTuple):
    """A session as a row of a listing or of the CSV export shows it. The summary index
    keeps it apart from the rest, so that 100,000 rows come without building 100,000
    Sessions; `brief` makes it from a Session, so a row reads the same either way."""

    id: str
    client: str
    created: dt.datetime
    status: str
    follows: str | None
    triage: str | None  # None without a plan (a draft)
    red_flags: tuple[str, ...]  # the ids of the warning signs that fired
    scores: Mapping[str, ScoreValue]
    # For analysts (the CSV's last columns): the answer that sets the re-assessment, the
    # interval (None without one), why the interview stopped early, and the optional
    # instruments offered at the visit.
    pain_duration: str | None = None
    reassess_weeks: int | None = None
    ended_early: str | None = None
    instruments: tuple[str, ...] = ()
    # For the outcome report (`backpain report`): who saw the client, and the answers that
    # set an episode apart (a client under 16, a pregnancy or the months after a birth).
    practitioner: str | None = None
    age: int | None = None
    pregnancy: str | None = None

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"


def brief(session: Session) -> Brief:
    plan = session.plan
    answers = session.answers
    duration = answers.get("pain_duration")
    age = answers.get("age")
    pregnancy = answers.get("pregnancy")
    return Brief(session.id, session.client, session.created, session.status, session.follows,
                 None if plan is None else plan.triage,
                 () if plan is None else tuple(f.id for f in plan.red_flags),
                 {} if plan is None else plan.scores,
                 duration if isinstance(duration, str) else None,
                 None if plan is None else plan.reassess_weeks,
                 session.ended_early, tuple(session.instruments),
                 session.practice.practitioner,
                 age if isinstance(age, int) and not isinstance(age, bool) else None,
                 pregnancy if isinstance(pregnancy, str) else None)


def document_line(session: Session) -> str:
    """The JSON document on one line, with its newline: a JSON Lines record (export --all,
    and what the summary index keeps of each session)."""
    return to_json(to_document(session), indent=None) + "\n"


# --------------------------------------------------------------------------- reading


class SessionFormatError(ValueError):
    """Raised by `from_toml_dict`; storage adds the path and turns it into SessionFileError."""


def _req(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise SessionFormatError(f"missing field {key!r}")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SessionFormatError(f"field {key!r} has the wrong type")
    return value


def _answer(value: object, key: str) -> AnswerValue:
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise SessionFormatError(f"answer {key!r} has an unsupported type")


def _score(value: object, key: str) -> ScoreValue:
    if isinstance(value, float) and not math.isfinite(value):
        # TOML allows nan and inf; JSON and every score rule do not.
        raise SessionFormatError(f"score {key!r} is not a finite number")
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return value
    raise SessionFormatError(f"score {key!r} has an unsupported type")


def _optional_list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        # A hand-edited `red_flags = false` must be a clear error, not a TypeError.
        raise SessionFormatError(f"field {key!r} has the wrong type")
    return value


def _plan(data: Mapping[str, Any]) -> Plan | None:
    if "triage" not in data:
        return None
    triage = _req(data, "triage", str)
    scores = {k: _score(v, k) for k, v in _req(data, "scores", dict).items()}
    flags = []
    for f in _optional_list(data, "red_flags"):
        if not isinstance(f, dict):
            raise SessionFormatError("a red flag entry is not a table")
        flags.append(RedFlag(_req(f, "id", str), _req(f, "tier", str)))
    recs = []
    for r in _optional_list(data, "recommendations"):
        if not isinstance(r, dict):
            raise SessionFormatError("a recommendation entry is not a table")
        because = _req(r, "because", list)
        if not all(isinstance(b, str) for b in because):
            raise SessionFormatError("a recommendation's because list is not text")
        recs.append(Recommendation(
            _req(r, "id", str), _req(r, "strategy", str), _req(r, "title", str),
            _req(r, "detail", str), tuple(because), _req(r, "evidence", str)))
    warnings = data.get("warnings", [])
    if not isinstance(warnings, list):
        raise SessionFormatError("field 'warnings' has the wrong type")
    weeks = data.get("reassess_weeks")
    if weeks is not None and (not isinstance(weeks, int) or isinstance(weeks, bool)
                              or weeks < 1):
        raise SessionFormatError("field 'reassess_weeks' is not a whole number of weeks")
    if weeks is not None and weeks > MAX_REASSESS_WEEKS:
        raise SessionFormatError(f"field 'reassess_weeks' is over {MAX_REASSESS_WEEKS} weeks")
    step = data.get("programme_step")
    if step is not None and step not in PROGRAMME_STEPS:
        raise SessionFormatError(f"field 'programme_step' has an unknown value {step!r}")
    return Plan(scores, triage, tuple(flags), tuple(recs), tuple(str(w) for w in warnings),
                weeks,
                programme=(tuple(_programme_item(i) for i in _optional_list(data, "programme"))
                           if "programme" in data else None),
                flare_plan=tuple(_flare_item(i) for i in _optional_list(data, "flare_plan")),
                programme_step=step,
                checks=(tuple(_check(i) for i in _optional_list(data, "checks"))
                        if "checks" in data else None))


PROGRAMME_STEPS = ("progress", "keep", "simplify")


def _table(item: object, what: str) -> Mapping[str, Any]:
    if not isinstance(item, dict):
        raise SessionFormatError(f"a {what} entry is not a table")
    return item


def _texts(item: Mapping[str, Any], key: str, what: str) -> tuple[str, ...]:
    value = _req(item, key, list)
    if not all(isinstance(v, str) for v in value):
        raise SessionFormatError(f"a {what}'s {key} list is not text")
    return tuple(value)


def _level(item: Mapping[str, Any], what: str) -> Any:
    level = _req(item, "level", str)
    if level not in LEVELS:
        raise SessionFormatError(f"a {what} has an unknown level {level!r}")
    return level


def _programme_item(raw: object) -> ProgrammeItem:
    item = _table(raw, "programme")
    return ProgrammeItem(
        _req(item, "id", str), _req(item, "name", str), _level(item, "programme item"),
        _req(item, "dose", str), _req(item, "progression", str), _req(item, "easier", str),
        _texts(item, "changes", "programme item"), _texts(item, "because", "programme item"))


def _flare_item(raw: object) -> FlareItem:
    item = _table(raw, "flare_plan")
    return FlareItem(_req(item, "id", str), _req(item, "name", str),
                     _level(item, "flare-plan item"), _req(item, "dose", str),
                     _texts(item, "changes", "flare-plan item"))


def _check(raw: object) -> Check:
    item = _table(raw, "checks")
    return Check(_req(item, "id", str), _texts(item, "questions", "check"))


def _migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an older schema up to SCHEMA in memory.

    Schemas 2 and 3 only added optional keys, so older files read as they are: a schema-1
    plan keeps no `reassess_weeks` (version-1 rules had none), `ended_early` is absent, and
    a plan before schema 3 has no `checks` (None, not "none held"). Answers are kept as
    saved; `legacy.current_answers` reads them as today's questionnaires ask when they are
    re-scored. Files are never rewritten by a migration: a practitioner's file stays as
    they saved it.
    """
    return data


# --------------------------------------------------------------------------- stored values
#
# Types alone do not make a file trustworthy: a plan with NPRS 99 or triage "maybe" was not
# written by backpain, and showing or exporting it as if valid would be wrong. These checks
# run on every read (full or summary) after the file has been turned into a Session.

# The fields a completed session's plan is made of: without any of them the plan shown
# would silently lack part of what was saved (a missing `red_flags` would hide a warning).
_PLAN_FIELDS: tuple[tuple[str, type], ...] = (
    ("triage", str), ("scores", dict), ("red_flags", list), ("recommendations", list))

# What each score can be (the clinical reference, "Scores"): whole numbers within their range, ODI
# as a
# percentage, and the named groups and bands.
_SCORE_RANGES: dict[str, tuple[int, int]] = {
    "nprs_now": (0, 10), "nprs_worst_week": (0, 10), "startback_total": (0, 9),
    "startback_psychosocial": (0, 5), "rmdq_score": (0, 24),
    # NICE NG65's nine features (version 1 of the questionnaire had seven).
    "axspa_feature_count": (0, 9),
}
_STARTBACK_RISKS = ("low", "medium", "high")


def _require_plan_fields(data: Mapping[str, Any]) -> None:
    for key, kind in _PLAN_FIELDS:
        _req(data, key, kind)


def _score_problem(key: str, value: ScoreValue) -> str | None:
    from ..clinical.scoring import ODI_BAND_LABELS  # not needed by writers: kept lazy

    # A key not known today may be a score an older version computed: kept as saved.
    if key in _SCORE_RANGES:
        low, high = _SCORE_RANGES[key]
        if not isinstance(value, int):
            return f"score {key!r} is not a whole number"
        if not low <= value <= high:
            return f"score {key!r} is {value}, outside {low} to {high}"
        return None
    if key == "odi_percent":
        if isinstance(value, str):
            return f"score {key!r} is not a number"
        return None if 0 <= value <= 100 else f"score {key!r} is {value}, outside 0 to 100"
    allowed = {"startback_risk": _STARTBACK_RISKS, "odi_band": tuple(ODI_BAND_LABELS)}
    if key in allowed and value not in allowed[key]:
        return f"score {key!r} has an unknown value {value!r}"
    return None


def _plan_problem(plan: Plan) -> str | None:
    if plan.triage not in TRIAGE_VALUES:
        return f"unknown triage {plan.triage!r}"
    for flag in plan.red_flags:
        if flag.tier not in FLAG_TIERS:
            return f"red flag {flag.id!r} has an unknown tier {flag.tier!r}"
    for problem in map(_score_problem, plan.scores, plan.scores.values()):
        if problem is not None:
            return problem
    return None


def check_stored_values(session: Session) -> None:
    """Refuse values no backpain writes (SessionFormatError): the file is then unreadable.

    Answers are checked against their questionnaires by storage, which knows where the
    practitioner's own questionnaires are.
    """
    if session.plan is not None:
        problem = _plan_problem(session.plan)
        if problem is not None:
            raise SessionFormatError(problem)


def from_toml_dict(data: dict[str, Any]) -> Session:
    schema = _req(data, "schema", int)
    if schema > SCHEMA:
        raise SessionFormatError(
            f"written by a newer backpain (schema {schema}; this version reads up to "
            f"{SCHEMA}); upgrade backpain to read it")
    if schema < 1:
        raise SessionFormatError(f"unknown schema {schema}")
    data = _migrate(data)
    created = _req(data, "created", dt.datetime)
    if created.tzinfo is None:
        raise SessionFormatError("field 'created' has no time zone")
    # files.loads_toml has made sure that it has a UTC equivalent.
    if not CREATED_YEARS[0] <= created.astimezone(dt.UTC).year <= CREATED_YEARS[1]:
        raise SessionFormatError(f"field 'created' is not in the years {CREATED_YEARS[0]} "
                                 f"to {CREATED_YEARS[1]}")
    status = _req(data, "status", str)
    if status not in STATUSES:
        raise SessionFormatError(f"unknown status {status!r}")
    _req(data, "tool_version", str)
    qrefs = []
    for mid, ref in _req(data, "questionnaires", dict).items():
        if not isinstance(ref, dict):
            raise SessionFormatError(f"questionnaire {mid!r} is not a table")
        qrefs.append(ModuleRef(mid, str(_req(ref, "version", (str, int))),
                               _req(ref, "sha256", str)))
    answers = {k: _answer(v, k) for k, v in _req(data, "answers", dict).items()}
    if status == "completed":
        _require_plan_fields(data)
    follows = data.get("follows")
    if follows is not None and not isinstance(follows, str):
        raise SessionFormatError("field 'follows' has the wrong type")
    ended_early = data.get("ended_early")
    if ended_early is not None and ended_early not in ENDED_EARLY:
        raise SessionFormatError(f"field 'ended_early' has an unknown value {ended_early!r}")
    practice = _practice(data)
    intake, confirmed = _intake(data)
    instruments = data.get("instruments", [])
    skipped = data.get("skipped", [])
    for name, lst in (("instruments", instruments), ("skipped", skipped)):
        if not isinstance(lst, list) or not all(isinstance(x, str) for x in lst):
            raise SessionFormatError(f"field {name!r} has the wrong type")
    return Session(
        id=_req(data, "id", str), client=_req(data, "client", str), created=created,
        status=status, answers=answers, questionnaires=tuple(qrefs),
        instruments=tuple(instruments), plan=_plan(data), follows=follows,
        skipped=tuple(skipped), tool_version=str(data.get("tool_version", "?")),
        schema=SCHEMA, ended_early=ended_early, practice=practice, intake=intake,
        red_flags_confirmed=confirmed,
    )


def _intake(data: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, bool | None]:
    """The `intake` table and `red_flags_confirmed`, which come together or not at all."""
    if "intake" not in data and "red_flags_confirmed" not in data:
        return None, None
    confirmed = data.get("red_flags_confirmed")
    if not isinstance(confirmed, bool):
        raise SessionFormatError("field 'red_flags_confirmed' must be true or false with an "
                                 "intake")
    from ..clinical.intake import read_intake  # only for a session the client's form began

    intake, problems = read_intake(data.get("intake"))
    if intake is None:
        raise SessionFormatError(f"field {problems[0].where!r} {problems[0].reason}")
    return intake.as_dict(), confirmed


def _practice(data: Mapping[str, Any]) -> Practice:
    """The practice of the visit, checked as the settings it came from are."""
    for key in PRACTICE_KEYS:
        if key in data:
            problem = text_problem(data[key])
            if problem is not None:
                raise SessionFormatError(f"field {key!r} {problem}")
    name, contact, practitioner = (data.get(k) for k in PRACTICE_KEYS)
    return Practice(name, contact, practitioner)
