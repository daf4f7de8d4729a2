"""What a SESSION|CLIENT argument names, by one rule for every command, and a client's sessions.

The rule (README, "Naming a session or a client"), for `review`, `export` and `assess
--from/--resume/--discard` alike:

1. A complete session id names that session.
2. Otherwise an existing client's reference names that client, in any case (`jd-042` is
   `JD-042`, as everywhere else). A practice ID such as `2026` thus always reaches its
   client, however many session ids (which start with the year) are added later. When
   session ids also start with it, the result carries a note that says so and how to
   name the session (its full id).
3. Otherwise a unique start of a session id names that session; several are listed, and
   for nothing at all the nearest client is suggested.

Nothing here prints: notes travel in the result, problems are our errors.
"""

from __future__ import annotations

from pathlib import Path

from ..clinical.order import sessions_in_order
from ..errors import NotFoundError, SessionFileError
from ..frozen import frozen
from .paths import is_session_id, validate_client
from .session import Session
from .storage import read_ref
from .tree import SessionRef, Unreadable, did_you_mean, find_client, scan, sessions_named

# Any session id, to complete the start of one (paths.new_session_id makes them).
_AN_ID = "20261127T101503Z-3f9a1c"
# How many candidates an ambiguous id lists.
_SHOWN = 10


@frozen
class ClientTarget:
    """A client named on the command line, as its folder is spelled on disk."""

    client: str
    # When session ids also start with what was typed: how to name one of them instead.
    note: str | None = None


Target = SessionRef | ClientTarget


def could_start_an_id(text: str) -> bool:
    """Whether `text` is the start of something shaped like a session id."""
    # Completed with the rest of a real id, a start of one is an id.
    return 0 < len(text) <= len(_AN_ID) and is_session_id(text + _AN_ID[len(text):])


def sessions_starting(prefix: str, root: Path | None = None) -> list[SessionRef]:
    """The sessions whose id starts with `prefix`, by id: the one look-up of ids by prefix."""
    if not could_start_an_id(prefix):
        return []  # no file name can match: no folder needs listing
    if is_session_id(prefix):
        # A complete id among a few clients: a look in each folder is all it takes.
        named = sessions_named(prefix, root)
        if named is not None:
            return named
    from .index import reader  # sqlite3: only when an id is looked up among many

    # The summary index knows every file's id; it reads only folders that changed (a whole
    # id it knows, whose file is there, not even those).
    return reader.sessions_starting(prefix, root)


def not_found_hint(text: str, root: Path | None = None) -> str:
    """The parenthesis closing a "no such client" message: the nearest client, if any."""
    near = did_you_mean(text, root)
    return f"did you mean {near}?" if near else "run backpain review to list sessions"


def _ambiguous(text: str, matches: list[SessionRef]) -> NotFoundError:
    shown = ", ".join(r.id for r in matches[:_SHOWN])
    more = f" and {len(matches) - _SHOWN} more" if len(matches) > _SHOWN else ""
    return NotFoundError(
        f"session id {text!r} is ambiguous: {shown}{more}; give more of the id")


def _client_note(text: str, matches: list[SessionRef]) -> str | None:
    if not matches:
        return None
    if len(matches) == 1:
        return f"{text} is a client; for the session use its full id {matches[0].id}"
    return (f"{text} is a client; {len(matches)} session ids also start with {text} (for "
            "one of them use its full id)")


def _find(text: str, root: Path | None) -> Target | None:
    """The rule itself; None when nothing has that name, an error when it is ambiguous."""
    matches = sessions_starting(text, root)
    if is_session_id(text):
        exact = [r for r in matches if r.id == text]
        if exact:
            return exact[0]
    client = find_client(text, root)
    if client is not None:
        return ClientTarget(client, _client_note(text, matches))
    if len(matches) > 1:
        raise _ambiguous(text, matches)
    return matches[0] if matches else None


def resolve(text: str, root: Path | None = None) -> Target:
    """The session or the client `text` names, by the rule in the module docstring."""
    if not text:
        raise NotFoundError("no session or client '' (give a session id or a client reference)")
    found = _find(text, root)
    if found is None:
        raise NotFoundError(f"no session or client {text!r} ({not_found_hint(text, root)})")
    return found


def resolve_session(text: str, option: str, root: Path | None = None) -> SessionRef:
    """The session `text` names where only a session will do (`assess --from SESSION`).

    The same rule as `resolve`, so an argument never means a session here and a client
    there; naming a client is an error that says how to name one of its sessions.
    """
    found = _find(text, root) if text else None
    if isinstance(found, ClientTarget):
        how = found.note or (f"{found.client} is a client; list its sessions with: "
                             f"backpain review {found.client}")
        raise NotFoundError(f"{option} takes a session id, not a client: {how}")
    if found is None:
        raise NotFoundError(f"no session with id {text!r}")
    return found


def existing_client(text: str, root: Path | None = None) -> str:
    """The client a `--client REF` option names, as its folder is spelled (any case)."""
    found = find_client(validate_client(text), root)
    if found is None:
        raise NotFoundError(f"no client {text!r} ({not_found_hint(text, root)})")
    return found


# --------------------------------------------------------------------------- reading them


def load(ref: SessionRef) -> Session:
    """One session, also refusing a file whose client is not the folder it sits in."""
    return read_ref(ref)


@frozen
class ClientSessions:
    """Every readable session of one client (drafts too), oldest first (clinical.order), and
    what was not read: unreadable files and entries of the folder that are not session
    files."""

    client: str
    sessions: tuple[Session, ...]
    unreadable: tuple[Unreadable, ...] = ()
    notes: tuple[str, ...] = ()  # odd but read, such as folders differing only in case

    @property
    def completed(self) -> tuple[Session, ...]:
        """The visits with a plan: what a handout shows (a draft has no plan yet)."""
        return tuple(s for s in self.sessions if not s.is_draft and s.plan is not None)


def load_client(client: str, root: Path | None = None) -> ClientSessions:
    """The one loader of a client's sessions, for `review CLIENT` and `export CLIENT`."""
    tree = scan(root, client)
    sessions: list[Session] = []
    unreadable: list[Unreadable] = []
    for ref in sorted(tree.refs, key=lambda r: r.id):
        try:
            sessions.append(read_ref(ref))
        except SessionFileError as exc:
            unreadable.append(Unreadable.of(exc))
    return ClientSessions(client, tuple(sessions_in_order(sessions)),
                          (*unreadable, *tree.skipped), tree.notes)
