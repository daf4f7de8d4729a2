"""`backpain assess`: one visit's interview, its plan, and its session file.

The interview itself (questionary, prompt_toolkit) is imported only when a prompt is needed,
so that `assess --answers FILE --no-input` never pays for it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import AnswersError, UsageError
from . import helptext

if TYPE_CHECKING:  # imported lazily at run time, see the module docstring
    from ..records.session import Session
    from ..visit import Start


EPILOG = helptext.epilog(
    ["backpain assess --client JD-042",
     "backpain assess --client JD-042 --instruments odi,rmdq",
     "backpain assess --answers visit.toml --no-input --json",
     "backpain assess --from 20261127T101503Z-3f9a1c",
     "backpain assess --resume 20261127T101503Z-3f9a1c",
     "backpain assess --demo",
     "backpain assess --demo --save"],
    [(0, "the plan is shown (and the session saved)"), helptext.ERROR, helptext.USAGE,
     (3, "--no-input: answers missing or invalid (each listed; nothing saved)"),
     (130, "interrupted (Ctrl-C): the answers so far are saved as a draft")])


def register(app: typer.Typer) -> None:
    app.command(epilog=EPILOG)(assess)


def _warn(message: str) -> None:
    from ..safe_text import visible

    # Warnings quote answers files and session files: control characters are shown as text.
    sys.stderr.write(f"backpain: warning: {visible(message)}\n")


def _info(message: str) -> None:
    sys.stderr.write(f"{message}\n")


def assess(
    client: Annotated[str | None, typer.Option(
        "--client", metavar="REF", help="Client reference: initials or a practice ID.")] = None,
    answers: Annotated[Path | None, typer.Option(
        "--answers", metavar="FILE",
        help="TOML answers file; answered questions are not asked again.",
        dir_okay=False)] = None,
    no_input: Annotated[bool, typer.Option(
        "--no-input", help="Never prompt; missing or invalid answers end with exit 3.")] = False,
    instruments: Annotated[str | None, typer.Option(
        "--instruments", metavar="LIST",
        help="Extra instruments, comma-separated: odi, rmdq.")] = None,
    from_: Annotated[str | None, typer.Option(
        "--from", metavar="SESSION",
        help="Follow-up visit: a previous session's answers become the defaults.")] = None,
    resume: Annotated[str | None, typer.Option(
        "--resume", metavar="SESSION", help="Continue an interrupted (draft) session.")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the JSON document to stdout; messages go to stderr.")] = False,
    save: Annotated[bool | None, typer.Option(
        "--save/--no-save",
        help="Save the session (the default), or only show the plan. --demo saves only "
             "with --save.")] = None,
    demo: Annotated[bool, typer.Option(
        "--demo", help="Run a complete sample interview (no typing) and show its plan; "
                       "nothing is saved unless --save is given.")
    ] = False,
    discard: Annotated[str | None, typer.Option(
        "--discard", metavar="SESSION",
        help="Delete a draft (unfinished) session, after a typed confirmation.")] = None,
    yes: Annotated[bool, typer.Option(
        "--yes", help="With --discard: delete without asking.")] = False,
) -> None:
    """Run the interview with a client and show (and save) their plan."""
    from .. import visit as domain
    from ..clinical.questionnaire import load_registry
    from ..records import storage
    from ..records.session import to_document
    from ..safe_text import to_json

    if discard is not None:
        others = [name for name, given in (
            ("--client", client is not None), ("--answers", answers is not None),
            ("--no-input", no_input), ("--instruments", instruments is not None),
            ("--from", from_ is not None), ("--resume", resume is not None),
            ("--json", as_json), ("--save" if save else "--no-save", save is not None),
            ("--demo", demo)) if given]
        if others:
            raise UsageError(f"--discard cannot be combined with {', '.join(others)}")
        _discard(discard, ask=not yes)
        return
    if yes:
        raise UsageError("--yes goes with --discard only")
    if demo:
        if answers is not None or resume or from_:
            raise UsageError("--demo cannot be combined with --answers, --resume or --from")
        answers = _demo_answers()
        no_input = True
    # A demo's sample client must not join the practice's real clients (review --due, the
    # audit export, the outcome figures) unless the practitioner asks for it.
    no_save = not save if save is not None else demo
    registry = load_registry(storage.questionnaires_dir())
    st = domain.start(registry, client=client, answers_file=answers, instruments=instruments,
                      resume=resume, follow_up=from_, no_input=no_input)
    from ..clinical import checks

    if checks.pregnancy_warning_unasked(st.answers):
        # Before anything else, an error list included (CLINICAL.md v3).
        _info(checks.PREGNANCY_WARNING_UNASKED)
    for message in st.warnings:
        _warn(message)
    if no_input:
        try:
            client_ref = domain.require_complete(st)
        except AnswersError:
            _emergency_first(st)
            raise
        session = domain.finish(st, client_ref, st.answers, st.skipped)
        raised: set[str] = set()
    else:
        session, raised = _interactive(st, save=not no_save, as_json=as_json)
    for warning in session.plan.warnings if session.plan else ():
        _warn(warning)
    # Consistency checks the interview did not raise: warnings, never an exit code.
    for check in (session.plan.checks or ()) if session.plan else ():
        if check.id not in raised:
            _warn(f"check {check.id}: {checks.line(check, session.answers)}")
    if not no_save:
        session, path = _save_or_keep(session, new=st.resumed is None)
        _info(f"Saved session {session.id} to {path}")
    elif demo and save is None:
        _info("Demo: nothing saved (add --save to save it to the data folder).")
    if as_json:
        sys.stdout.write(to_json(to_document(session)))
        return
    from ..output.terminal import make_console, print_plan
    from ..records.session import plan_of

    print_plan(make_console(), plan_of(session), client=session.client,
               session_id=None if no_save else session.id, created=session.created,
               practice=session.practice)


def _save_or_keep(session: Session, *, new: bool) -> tuple[Session, Path]:
    """Save; if the data folder refuses, print the answers so the interview is not lost."""
    from ..errors import StorageError
    from ..records import storage

    try:
        saved, path = storage.save_session(session, new=new)
    except StorageError as exc:
        import tomli_w

        from ..records.session import to_toml_dict

        kept = {"client": session.client, "answers": to_toml_dict(session)["answers"]}
        sys.stdout.write(tomli_w.dumps(kept))
        raise StorageError(
            f"{exc}. The answers are printed above as an answers file: save them and run "
            "`backpain assess --answers FILE` once the data folder is writable") from None
    if saved.client != session.client:
        _info(f"backpain: note: client {session.client} is the existing client "
              f"{saved.client} (references do not depend on case); saved as {saved.client}")
    return saved, path


def _demo_answers() -> Path:
    from ..files import packaged

    # pyproject maps backpain_cli.data to examples/, which only an installed package puts
    # inside backpain_cli/; a source tree has it beside the package.
    package = Path(__file__).resolve().parent.parent
    return Path(str(packaged(package / "data", "backpain_cli.data",
                             package.parent / "examples") / "demo.answers.toml"))


def _emergency_first(st: Start) -> None:
    """With an emergency sign among the answers, the referral comes before any problem
    list, so that no one misses it (CLINICAL.md, "Stop at an emergency")."""
    from .. import visit as domain

    plan = domain.emergency_plan(st.answers, follow_up=st.follow_up)
    if plan is not None:
        import shutil
        import textwrap

        from ..output.terminal import emergency_lines

        width = min(shutil.get_terminal_size().columns, 100) - 1
        lines = (textwrap.fill(line, width, break_long_words=False)
                 for line in emergency_lines(plan))
        sys.stderr.write("\n".join(lines) + "\n\n")


def _discard(ref: str, *, ask: bool) -> None:
    """`assess --discard SESSION`: delete a draft after the practitioner types "yes"."""
    from .. import visit as domain
    from ..errors import NoTerminalError

    session, path = domain.draft_to_discard(ref)
    if ask:
        if not sys.stdin.isatty():
            raise NoTerminalError("standard input is not a terminal, so the deletion cannot "
                                  "be confirmed; add --yes to delete the draft without asking")
        from ..interview import confirm_typed, terminal_asker

        asker = terminal_asker(prompts_on_stderr=True)
        count = len(session.answers)
        if not confirm_typed(asker, f"Delete draft {session.id} of client {session.client} "
                             f"({count} answer{'s' if count != 1 else ''})? Type yes to "
                             "delete it:", "yes"):
            _info(f"Nothing deleted; draft {session.id} is kept.")
            return
    domain.discard(session, path)
    _info(f"Deleted draft {session.id} ({path})")


def _interactive(st: Start, *, save: bool, as_json: bool) -> tuple[Session, set[str]]:
    """Ask what is missing; on Ctrl-C save what we have as a draft and exit 130. Also
    returns the consistency checks the interview raised (and asked again)."""
    from .. import visit as domain
    from ..clinical.answers import next_question
    from ..clinical.triage import is_emergency
    from ..errors import Interrupted, NoTerminalError

    # Once an emergency sign is answered, no other question is required (CLINICAL.md).
    needs_prompt = (st.client is None or bool(st.validation.problems)
                    or (next_question(st.modules, st.answers, st.skipped) is not None
                        and not is_emergency(st.answers)))
    terminal = sys.stdin.isatty()
    # Checked before the warnings below, which promise to ask again.
    if needs_prompt and not terminal:
        _emergency_first(st)
        raise NoTerminalError(
            "answers are missing or invalid and standard input is not a terminal; give them "
            "with --answers FILE and --client, and add --no-input to list every problem "
            "instead of asking")
    for problem in st.file_problems:
        _warn(f"answers file: {problem}")
    for problem in st.validation.problems:
        _warn(f"{problem} — it will be asked again")
    for unknown in st.validation.unknown:
        _warn(f"{st.validation.unknown_problem(unknown)}, ignored")
    if not terminal and st.client is not None:
        # Nothing is required (an emergency sign, or nothing left): no prompt at all.
        return domain.finish(st, st.client, st.answers, st.skipped), set()
    if st.resumed is not None:
        count = len(st.answers)
        _info(f"Resuming draft {st.resumed.id} for client {st.resumed.client}: {count} "
              f"answer{'s' if count != 1 else ''} kept.")
    elif st.follows is not None:
        _info(f"Follow-up visit for client {st.client} after session {st.follows}.")
    from ..interview import ask_client, run_interview, terminal_asker

    # Keep stdout for the result: prompts go to the terminal on stderr.
    asker = terminal_asker(prompts_on_stderr=as_json or not sys.stdout.isatty())
    client = st.client or ask_client(asker)
    answers: dict[str, Any] = dict(st.answers)
    skipped: set[str] = set(st.skipped)
    raised: set[str] = set()
    try:
        run_interview(st.modules, answers, skipped, asker, st.defaults, saves_drafts=save,
                      follow_up=st.follow_up, raised=raised)
    except Interrupted:
        if not save:
            _info("Interrupted; nothing saved (--no-save).")
            raise
        session = domain.draft(st, client, answers, skipped)
        session, path = _save_or_keep(session, new=st.resumed is None)
        raise Interrupted(
            f"interrupted; draft saved to {path}\n"
            f"  resume with: backpain assess --resume {session.id}") from None
    return domain.finish(st, client, answers, skipped), raised
