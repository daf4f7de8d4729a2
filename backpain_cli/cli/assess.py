"""`backpain assess`: one visit's interview, its plan, and its session file.

The work is flows/assess.py; this module parses the options, passes the terminal's asker in
(made, with its prompt library, only when a question is put), and shows the plan.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import NoTerminalError, UnsavedSessionError, UsageError
from ..flows.assess import AssessRequest, assess_visit, discard_draft
from ..flows.handout import Chosen, at_a_glance, choose_after_assess
from ..records.session import Session, plan_of, to_document
from ..safe_text import to_json
from . import helptext
from .commands import command_app
from .handout_checklist import ids, terminal_checklist
from .notices import StderrNotices

if TYPE_CHECKING:
    from ..interview import Asker

app = command_app()
NOTICES = StderrNotices()

EPILOG = helptext.epilog(
    ["backpain assess --client JD-042",
     "backpain assess --client JD-042 --instruments odi,rmdq",
     "backpain assess --answers visit.toml --no-input --json",
     "backpain assess --answers JD-042-form.toml --answers sbst.toml --no-input",
     "backpain assess --from 20261127T101503Z-3f9a1c",
     "backpain assess --resume 20261127T101503Z-3f9a1c",
     "backpain assess --demo",
     "backpain assess --demo --save"],
    [(0, "the plan is shown (and the session saved)"), helptext.ERROR, helptext.USAGE,
     (3, "--no-input: answers missing or invalid (each listed; nothing saved)"),
     (130, "interrupted (Ctrl-C): the answers so far are saved as a draft")])


@app.command(epilog=EPILOG)
def assess(
    client: Annotated[str | None, typer.Option(
        "--client", metavar="REF", help="Client reference: initials or a practice ID.")] = None,
    answers: Annotated[list[Path] | None, typer.Option(
        "--answers", metavar="FILE",
        help="TOML answers file; answered questions are not asked again. Repeat it for "
             "more files, such as the client's intake form and your own part (a question "
             "answered in two files is a problem).",
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
    note: Annotated[str | None, typer.Option(
        "--note", metavar="TEXT",
        help="Your own note about the visit (findings, what was done), kept beside the "
             "saved session; never on the client's handout.")] = None,
    pick: Annotated[str | None, typer.Option(
        "--pick", metavar="ID,...",
        help="The advice on the client's handout, by recommendation id, at most five (for "
             "scripts; on a terminal a checklist offers it after the plan).")] = None,
    drop: Annotated[str | None, typer.Option(
        "--drop", metavar="EXERCISE_ID,...",
        help="Exercises of the programme to leave off the client's handout.")] = None,
    client_note: Annotated[str | None, typer.Option(
        "--client-note", metavar="TEXT",
        help="A note to the client, printed on the handout.")] = None,
) -> None:
    """Run the interview with a client and show (and save) their plan."""
    if discard is not None:
        others = [name for name, given in (
            ("--client", client is not None), ("--answers", answers is not None),
            ("--no-input", no_input), ("--instruments", instruments is not None),
            ("--from", from_ is not None), ("--resume", resume is not None),
            ("--json", as_json), ("--save" if save else "--no-save", save is not None),
            ("--demo", demo), ("--note", note is not None), ("--pick", pick is not None),
            ("--drop", drop is not None), ("--client-note", client_note is not None))
            if given]
        if others:
            raise UsageError(f"--discard cannot be combined with {', '.join(others)}")
        _discard(discard, ask=not yes)
        return
    if yes:
        raise UsageError("--yes goes with --discard only")
    if demo and (answers is not None or resume or from_):
        raise UsageError("--demo cannot be combined with --answers, --resume or --from")
    # A demo's sample client must not join the practice's real clients (review --due, the
    # audit export, the outcome figures) unless the practitioner asks for it.
    saving = save if save is not None else not demo
    given = pick is not None or drop is not None or client_note is not None
    request = AssessRequest(client=client, answers_file=answers[0] if answers else None,
                            more_answers=tuple(answers[1:]) if answers else (),
                            instruments=instruments,
                            follow_up=from_, resume=resume, no_input=no_input, save=saving,
                            demo=demo, note=note,
                            handout=Chosen(ids(pick, "--pick"), ids(drop, "--drop") or (),
                                           client_note.strip() or None
                                           if client_note is not None else None)
                            if given else None)
    # Keep stdout for the result: prompts go to the terminal on stderr.
    on_stderr = as_json or not sys.stdout.isatty()
    try:
        done = assess_visit(request, notices=NOTICES,
                          asker=_asker(on_stderr) if sys.stdin.isatty() else None)
    except UnsavedSessionError as exc:
        sys.stdout.write(exc.answers_file)
        raise
    if done.path is not None:
        NOTICES.info(f"Saved session {done.session.id} to {done.path}")
    if done.note is not None:
        NOTICES.info(f"Added note {done.note.id} to session {done.session.id}")
    if done.handout is not None:
        NOTICES.info(f"Kept the handout choice ({done.handout.id}) beside session "
                     f"{done.session.id}")
    elif demo and save is None:
        NOTICES.info("Demo: nothing saved (add --save to save it to the data folder).")
    session = done.session
    if as_json:
        sys.stdout.write(to_json(to_document(session)))
        return
    # rich: only for a plan shown on the terminal, not for --json.
    from ..output.console import make_console
    from ..output.terminal import AtAGlance, print_plan

    picks, exercises = at_a_glance(session)
    print_plan(make_console(), plan_of(session), client=session.client,
               session_id=None if done.path is None else session.id,
               created=session.created, practice=session.practice,
               glance=AtAGlance(picks, exercises) if picks or exercises else None,
               signs_unconfirmed=session.signs_unconfirmed)
    if done.path is not None and not given and not no_input and not demo \
            and session.status == "completed" and sys.stdin.isatty():
        # The practitioner chooses what goes on the client's handout (Enter: the tool's).
        added = choose_after_assess(session, done.path,
                                    terminal_checklist(prompts_on_stderr=on_stderr))
        if added is not None:
            NOTICES.info(f"Kept the handout choice ({added.id}) beside session "
                         f"{session.id}; print it with: backpain handout {session.id}")


def _asker(prompts_on_stderr: bool) -> Callable[[], Asker]:
    """The terminal's asker, made only when a question is put."""

    def make() -> Asker:
        # questionary and prompt_toolkit (~100 ms): only for an interview that asks.
        from ..interview import terminal_asker

        return terminal_asker(prompts_on_stderr=prompts_on_stderr)

    return make


def _confirm_discard(session: Session) -> bool:
    """The practitioner types "yes" to delete the draft."""
    if not sys.stdin.isatty():
        raise NoTerminalError("standard input is not a terminal, so the deletion cannot "
                              "be confirmed; add --yes to delete the draft without asking")
    # questionary and prompt_toolkit (~100 ms): only to ask.
    from ..interview import confirm_typed, terminal_asker

    count = len(session.answers)
    return confirm_typed(terminal_asker(prompts_on_stderr=True),
                         f"Delete draft {session.id} of client {session.client} "
                         f"({count} answer{'s' if count != 1 else ''})? Type yes to "
                         "delete it:", "yes")


def _discard(ref: str, *, ask: bool) -> None:
    """`assess --discard SESSION`: delete a draft after the practitioner types "yes"."""
    done = discard_draft(ref, _confirm_discard if ask else None)
    if done.deleted:
        NOTICES.info(f"Deleted draft {done.session.id} ({done.path})")
    else:
        NOTICES.info(f"Nothing deleted; draft {done.session.id} is kept.")
