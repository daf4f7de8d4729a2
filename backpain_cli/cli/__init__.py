"""The `backpain` command: `main()`, its one start-up dispatch, and its exit codes.

`main` is also the one place that turns what can happen to any command from outside into an
exit code without a traceback: Ctrl-C at any moment (130), standard output on a full disk or
a broken device (one line, 1), and a reader that closes the pipe early, as `| head` does
(quietly, 1, as click and the Python documentation do it). And it makes the process's
surroundings safe first: a standard stream that was closed (`>&-`), a terminal whose
encoding is not UTF-8, a system clock that Python cannot read (`_surroundings`).

This is the one start-up dispatch: `--version`, the shell's completion requests and the
common `review` forms are answered here before typer and the command table (cli/app.py,
cli/commands.py) are imported. So everything here is imported where it is used: each
import before `main`'s try is start-up time in which Ctrl-C ends in Python's traceback.
"""

from __future__ import annotations

import _thread
import codecs
import os
import sys
import time

# Not `from typing import ...`: importing typing takes milliseconds of start-up, during which
# a Ctrl-C can only end in Python's own traceback. mypy reads this as typing.TYPE_CHECKING.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn


def main() -> NoReturn:
    sys.unraisablehook = _unraisable
    try:
        problem = _surroundings()
        code = _dispatch(sys.argv[1:]) if problem is None else _refuse(problem)
        # Output still buffered would otherwise be written at interpreter shutdown, where a
        # full disk or a closed pipe can only print a traceback.
        sys.stdout.flush()
        _ignore_late_interrupts()
    except KeyboardInterrupt:
        _ignore_late_interrupts()
        _flush_or_discard()
        code = 130
    except RuntimeError as exc:
        # A Ctrl-C while a class is being made (a module imported on the way, its dataclass
        # fields being named) reaches us wrapped: "Error calling __set_name__ ...".
        from ..errors import from_an_interrupt

        if not from_an_interrupt(exc):
            raise
        _ignore_late_interrupts()
        _flush_or_discard()
        code = 130
    except BrokenPipeError:
        _ignore_late_interrupts()
        _discard_stdout()
        code = 1
    except OSError as exc:
        _ignore_late_interrupts()
        _discard_stdout()
        code = _report_os_error(exc)
    raise SystemExit(code)


def _surroundings() -> str | None:
    """Standard streams that can be used whatever the shell gave, and why this process
    cannot run at all (None: it can)."""
    _reopen_closed_streams()
    _escape_what_the_encoding_lacks()

    try:
        time.time()
    except OverflowError:
        # Python keeps times in 64-bit nanoseconds: no date, session id or file time works.
        return ("the system clock is set outside the years 1678 to 2262, where Python "
                "cannot read it; set the date and time right")
    return None


def _refuse(problem: str) -> int:
    # Rare (this process cannot run at all); errors loads dataclasses, which --version skips.
    from ..errors import BackpainError, report

    error = BackpainError(problem)
    report(error)
    return error.exit_code


def _reopen_closed_streams() -> None:
    """A standard stream the shell closed (`<&-`, `>&-`, `2>&-`) is None in Python, and its
    descriptor is free: the next file opened (a session being saved, the index) would get
    it, and what is written to standard error would land in that file. Each is put on
    /dev/null instead, open the other way round for stdin and stdout, so that reading or
    writing them fails as on a closed stream (EBADF: one line, exit 1) rather than reading
    nothing or losing output in silence; standard error, the last resort, just drops what
    is written (the command still does its work and exits with its code)."""
    if sys.stdin is not None and sys.stdout is not None and sys.stderr is not None:
        return

    # In this order: open() takes the lowest free descriptor.
    for fd, name, flags, mode in ((0, "stdin", os.O_WRONLY, "r"), (1, "stdout", os.O_RDONLY, "w"),
                                  (2, "stderr", os.O_WRONLY, "w")):
        if getattr(sys, name) is not None:
            continue
        got = os.open(os.devnull, flags)
        if got != fd:
            os.dup2(got, fd)
            os.close(got)
        setattr(sys, name, open(fd, mode, encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                                closefd=False))


def _escape_what_the_encoding_lacks() -> None:
    """On a terminal or a pipe whose encoding is not UTF-8 (an ISO-8859-1 locale,
    PYTHONIOENCODING=ascii), a character it lacks is written as its escape (— as \\u2014)
    instead of ending the command with UnicodeEncodeError. The escapes are JSON's, so JSON
    output stays valid JSON with the same content."""

    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "utf-8"
        try:
            utf = codecs.lookup(encoding).name == "utf-8"
        except LookupError:
            utf = False
        if not utf and hasattr(stream, "reconfigure"):
            codecs.register_error("backpain.escape", _json_escape)
            stream.reconfigure(errors="backpain.escape")


def _json_escape(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    escaped = []
    for char in exc.object[exc.start:exc.end]:
        code = ord(char)
        if code > 0xFFFF:  # as JSON writes it: a surrogate pair
            code -= 0x10000
            escaped.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            escaped.append(f"\\u{code:04x}")
    return "".join(escaped), exc.end


def _dispatch(args: list[str]) -> int:
    # `--version` is answered before typer is imported: the import alone costs ~45 ms,
    # about four times a bare interpreter start, and the version needs none of it.
    if args == ["--version"]:
        from .. import __version__

        sys.stdout.write(f"backpain {__version__}\n")
        return 0

    # A Tab press in a shell with backpain's completion script (cli/completion.py, whose
    # COMPLETE_VAR this is): the words typed are the arguments.
    shell = os.environ.get("_BACKPAIN_COMPLETE")
    if shell is not None:
        from .app import complete

        return complete(shell, args)
    from . import progress

    # A first build of the summary index over a large folder shows a bar on a terminal.
    progress.install()
    # `review SESSION|CLIENT [--json]` is the other command that must start fast (12x a bare
    # interpreter start), and the bare listing `review` among 100,000 sessions (20x): typer
    # and building its command tree cost ~45 ms of them. Any other shape (options, --help,
    # mistakes) goes through typer as usual.
    if args == ["review"] or (
            len(args) in (2, 3) and args[0] == "review" and not args[1].startswith("-")
            and args[2:] in ([], ["--json"])):
        from ..errors import BackpainError, report
        from .review_run import run_review

        try:
            run_review(args[1] if len(args) > 1 else None, as_json=len(args) == 3)
        except BackpainError as exc:
            report(exc)
            return exc.exit_code
        return 0
    from .app import app

    try:
        app(prog_name="backpain")
    except SystemExit as exc:
        # typer ends every run with sys.exit, success included.
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def _unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    """Ctrl-C can land in code that Python cannot raise from, such as a weakref callback of
    the import system: it would be printed as "Exception ignored ... KeyboardInterrupt" and
    lost. It is delivered again a moment later instead, where main() catches it."""
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        _thread.start_new_thread(_interrupt_soon, ())
        return
    sys.__unraisablehook__(unraisable)


def _interrupt_soon() -> None:
    # Not at once: the main thread must be out of the callback first. interrupt_main does
    # nothing once the SIGINT handler is SIG_IGN (the work is done by then).
    time.sleep(0.001)
    _thread.interrupt_main()


def _ignore_late_interrupts() -> None:
    """From here on the work is done: a Ctrl-C during interpreter shutdown (threading and
    atexit run Python code) must not print a traceback over a finished command, nor kill
    it by the signal once the interpreter has put the default action back."""
    # Only as a run ends (about 0.5 ms to import, which --version skips).
    import signal

    # signal.signal runs pending handlers before it changes one. Through a no-op handler
    # first, a Ctrl-C that arrived just before is run (by the current handler, inside the
    # caller's try) or dropped, rather than reported as "ignored due to race condition".
    signal.signal(signal.SIGINT, _ignore)
    # SIG_IGN itself, because shutdown puts back the default action for Python handlers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _ignore(signum: int, frame: object) -> None:
    pass


def _flush_or_discard() -> None:
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        _discard_stdout()


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's own flush at exit, of what is
    still buffered, cannot fail a second time and print a traceback."""

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        # No file descriptor behind stdout (replaced by a test harness): nothing to protect.
        pass


def _report_os_error(exc: OSError) -> int:
    # Rare: only when standard output failed.
    from ..errors import OutputError, report

    # Files go through files.py and storage.py, which turn an OSError into one of our errors
    # naming the file; one that arrives here without a file name is standard output failing.
    reason = exc.strerror or str(exc)
    error = OutputError(f"cannot write to standard output: {reason}" if exc.filename is None
                        else f"{exc.filename}: {reason}")
    try:
        report(error)
        sys.stderr.flush()
    except OSError:
        pass  # stderr is failing as well: the exit code is all that is left
    return error.exit_code
