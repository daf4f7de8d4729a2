"""The `--json` documents of `backpain review`: the listing, one session, one client's
history, and the clients due for a check. Shapes only: every fact comes finished from
flows/review.py (as results.py's types); the session itself is the one session document
(records.session)."""

from __future__ import annotations

from typing import Any

from ..clinical.followup import Change, PlanDiff, SessionReview
from ..records.index.listing import Listing
from ..records.session import (
    Session,
    answer_value,
    flag_dict,
    iso_utc,
    plan_dict,
    recommendation_dict,
    resume_command,
    to_document,
)
from ..records.tree import Unreadable
from ..results import ClientHistory, DueList, ReviewResult


def document(result: ReviewResult) -> dict[str, Any]:
    """The `--json` document of any form; its "form" key says which."""
    if isinstance(result, Listing):
        return listing_document(result)
    if isinstance(result, SessionReview):
        return session_document(result)
    return history_document(result)


def due_document(due: DueList) -> list[dict[str, Any]]:
    """`review --due --json`: one object per client due, most overdue first."""
    return [{"client": d.session.client, "session": d.session.id,
             "created": iso_utc(d.session.created), "due": d.due.isoformat(),
             "days_overdue": d.days_overdue,
             "triage": d.session.plan.triage if d.session.plan else None,
             "reassess_weeks": d.reassess_weeks} for d in due.rows]


def _unreadable_doc(u: Unreadable) -> dict[str, str]:
    return {"path": u.path, "reason": u.reason}


def _summary_doc(session: Session) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "session": session.id, "client": session.client, "created": iso_utc(session.created),
        "status": session.status,
    }
    if session.follows:
        doc["follows"] = session.follows
    doc["triage"] = session.plan.triage if session.plan else None
    doc["scores"] = dict(session.plan.scores) if session.plan else {}
    if session.is_draft:
        doc["resume"] = resume_command(session.id)
    return doc


def listing_document(listing: Listing) -> dict[str, Any]:
    return {
        "form": "list",
        "client": listing.client,
        "total": listing.total,
        "sessions": [_summary_doc(s) for s in listing.sessions],
        "unreadable": [_unreadable_doc(u) for u in listing.unreadable],
    }


def _diff_doc(diff: PlanDiff) -> dict[str, Any]:
    return {
        "triage": ({"before": diff.triage_before, "after": diff.triage_after}
                   if diff.triage_changed else None),
        "red_flags": {"added": [flag_dict(f) for f in diff.flags_added],
                      "removed": [flag_dict(f) for f in diff.flags_removed]},
        "recommendations": {
            "added": [recommendation_dict(r) for r in diff.added],
            "removed": [recommendation_dict(r) for r in diff.removed],
            "changed": [{"id": c.id, "fields": list(c.fields),
                         "before": recommendation_dict(c.before),
                         "after": recommendation_dict(c.after)} for c in diff.changed],
            "reordered": diff.reordered,
        },
        "scores": [{"key": s.key, "before": s.before, "after": s.after} for s in diff.scores],
        "programme": {"added": list(diff.programme_added),
                      "removed": list(diff.programme_removed)},
    }


def session_document(review: SessionReview[Session]) -> dict[str, Any]:
    session = review.session
    doc: dict[str, Any] = {"form": "session", "session": to_document(session)}
    if session.is_draft:
        doc["resume"] = resume_command(session.id)
        doc["recomputed"] = None
        doc["changes"] = None
        return doc
    doc["recomputed"] = plan_dict(review.plan) if review.plan else None
    doc["complete"] = review.complete
    doc["missing"] = [m.question for m in review.missing]
    doc["no_longer_fit"] = [{"question": i.question, "value": answer_value(i.value),
                             "reason": i.reason} for i in review.no_longer_fit]
    doc["questionnaires"] = [{"id": m.id, "change": m.change, "saved_version": m.saved_version,
                              "current_version": m.current_version}
                             for m in review.questionnaires]
    doc["changes"] = _diff_doc(review.diff) if review.diff else None
    doc["unchanged"] = review.unchanged
    doc["notes"] = [{"created": iso_utc(n.created), "text": n.text} for n in review.notes]
    shown = review.handout
    doc["handout"] = None if shown is None else {
        "picks": list(shown.picks), "drops": list(shown.dropped),
        "client_note": shown.client_note, "chosen": shown.chosen}
    return doc


def _change_doc(c: Change | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"since": c.since, "before": c.before, "after": c.after, "change": c.delta,
            "percent": c.percent, "label": c.label}


def _programme_doc(session: Session) -> dict[str, Any]:
    """A visit's adherence answer, programme step and programme (ids with levels), where
    its plan has a programme (the clinical reference v3)."""
    plan = session.plan
    if plan is None or plan.programme is None:
        return {}
    doc: dict[str, Any] = {
        "programme": [{"id": item.id, "level": item.level} for item in plan.programme]}
    adherence = session.answers.get("programme_adherence")
    if isinstance(adherence, str):
        doc["programme_adherence"] = adherence
    if plan.programme_step is not None:
        doc["programme_step"] = plan.programme_step
    return doc


def history_document(result: ClientHistory) -> dict[str, Any]:
    visits = []
    for v in result.history.visits:
        doc = _summary_doc(v.session)
        doc["red_flags"] = ([flag_dict(f) for f in v.session.plan.red_flags]
                            if v.session.plan else [])
        doc["triage_change"] = ({"before": v.previous_triage, "after": v.triage}
                                if v.triage_changed else None)
        doc["new_red_flags"] = [flag_dict(f) for f in v.new_flags]
        doc["cleared_red_flags"] = [flag_dict(f) for f in v.cleared_flags]
        doc["changes"] = {c.key: {"value": c.value, "from_first": _change_doc(c.from_first),
                                  "from_previous": _change_doc(c.from_previous)}
                          for c in v.changes}
        doc.update(_programme_doc(v.session))
        visits.append(doc)
    return {
        "form": "client",
        "client": result.client,
        "sessions": visits,
        # Unfinished interviews: no visit of the history, listed to be resumed.
        "drafts": [_summary_doc(d) for d in result.history.drafts],
        "unreadable": [_unreadable_doc(u) for u in result.unreadable],
    }

