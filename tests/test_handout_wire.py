"""The client's handout wired to the commands (issue 20, items 1, 2, 4): `export` gives it
by default and the practitioner's plan with --detail full; `backpain handout` and `assess`
keep the practitioner's choice as an addendum that round-trips through review, export and
forget; --pick/--drop errors are one line and exit 2; printing again gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from handout_pages import LEAST_LAST_PAGE_LINES, lines_on_page, on_paper, pages_of
from helpers import invoke, list_refs
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.handout_choice import default_picks, is_required
from backpain_cli.interview import HandoutOffer, QuestionaryAsker
from backpain_cli.records.addenda import HANDOUT, addenda_of
from backpain_cli.records.tree import SessionRef

EXAMPLES = Path(__file__).parent / "data" / "examples"
DESK = EXAMPLES / "desk-strain.answers.toml"
CLIENT = "JD-7"
# The desk-strain plan's programme and two pieces of its advice.
EXERCISES = ("ex.bridge", "ex.sit_to_stand", "ex.bird_dog")
PICKS = ("sleep.pillow.between_knees", "massage.focused")


def _assess(*extra: str, answers: Path = DESK) -> SessionRef:
    result = invoke("assess", "--answers", answers, "--no-input", "--client", CLIENT, *extra)
    assert result.exit_code == 0, result.output
    [ref] = list_refs(client=CLIENT)
    return ref


@pytest.fixture
def visit() -> SessionRef:
    return _assess()


def _handout_addenda(ref: SessionRef) -> list[dict[str, object]]:
    found, bad = addenda_of(ref, HANDOUT)
    assert bad == ()
    return [dict(a.body) for a in found]


def _titles() -> dict[str, str]:
    import tomllib

    raw = tomllib.loads(DESK.read_text(encoding="utf-8"))["answers"]
    plan = build_plan({k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})
    return {r.id: r.title for r in plan.recommendations}


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_export_gives_the_clients_handout_and_detail_full_the_plan(
        visit: SessionRef, fmt: str) -> None:
    client = invoke("export", visit.id, "--format", fmt)
    full = invoke("export", visit.id, "--format", fmt, "--detail", "full")
    assert (client.exit_code, full.exit_code) == (0, 0), client.output + full.output
    # The practitioner's plan names the scores; the client's handout says them in words,
    # and holds the exercises.
    assert "STarT Back" in full.stdout
    assert "STarT Back" not in client.stdout
    assert "Your exercises" in client.stdout and "Bridge" in client.stdout
    assert "Your exercises" not in full.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("--format", "json", "--detail", "full"), "--detail is only for --format md, html or "
                                               "pdf, not json"),
    (("--format", "csv", "--name", "Jo"), "--name is only for --format md, html or pdf, "
                                          "not csv"),
    (("--format", "md", "--detail", "full", "--name", "Jo"),
     "--name is printed on the client's handout, not with --detail full"),
    (("--format", "html", "--name", "Jo\nDoe"),
     "--name: must be one line (no line breaks or tabs)"),
])
def test_detail_and_name_misuse_is_one_line_exit_2(visit: SessionRef, args: tuple[str, ...],
                                                  message: str) -> None:
    result = invoke("export", visit.id, *args)
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    assert result.stderr == f"backpain: usage error: {message}\n"


def test_the_name_is_printed_for_that_print_only(visit: SessionRef,
                                                 backpain_home: Path) -> None:
    named = invoke("export", visit.id, "--format", "html", "--name", "Margaret Example")
    assert named.exit_code == 0, named.output
    assert "Margaret Example" in named.stdout
    again = invoke("export", visit.id, "--format", "html")
    assert "Margaret Example" not in again.stdout
    stored = b"".join(p.read_bytes() for p in backpain_home.rglob("*") if p.is_file())
    assert b"Margaret" not in stored


# --------------------------------------------------------------------------- the choice


def test_the_choice_round_trips_through_save_review_export_and_forget(
        visit: SessionRef) -> None:
    made = invoke("handout", visit.id, "--format", "md", "--pick", ",".join(PICKS),
                  "--drop", "ex.bird_dog", "--client-note", "Walk to work twice a week.")
    assert made.exit_code == 0, made.output
    assert made.stderr.startswith("Kept the handout choice (")
    assert _handout_addenda(visit) == [{"picks": list(PICKS), "drops": ["ex.bird_dog"],
                                        "client_note": "Walk to work twice a week."}]
    titles = _titles()
    exported = invoke("export", CLIENT, "--format", "md")
    assert exported.exit_code == 0, exported.output
    assert exported.stdout == made.stdout
    for rec_id in PICKS:
        assert f"### {titles[rec_id]}" in exported.stdout
    assert "Bird dog" not in exported.stdout and "### Bridge" in exported.stdout
    assert "Walk to work twice a week." in exported.stdout
    # review SESSION shows it under the plan; its JSON too.
    shown = invoke("review", visit.id)
    assert "On the client's handout (as you chose it" in shown.stdout
    assert "Exercises left off: ex.bird_dog" in " ".join(shown.stdout.split())
    doc = json.loads(invoke("review", visit.id, "--json").stdout)
    assert doc["handout"] == {"picks": list(PICKS), "drops": ["ex.bird_dog"],
                              "client_note": "Walk to work twice a week.", "chosen": True}
    gone = invoke("forget", visit.id, "--yes")
    assert gone.exit_code == 0, gone.output
    assert not visit.path.exists()
    assert list(visit.path.parent.glob(f"{visit.id}*")) == []


def test_without_a_choice_the_tools_picks_and_review_says_so(visit: SessionRef) -> None:
    doc = json.loads(invoke("review", visit.id, "--json").stdout)
    assert doc["handout"]["chosen"] is False
    assert doc["handout"]["drops"] == [] and doc["handout"]["client_note"] is None
    assert len(doc["handout"]["picks"]) == 5
    assert not any(is_required(p) for p in doc["handout"]["picks"])
    assert set(doc["handout"]["picks"]) <= set(_titles())
    assert "On the client's handout (the tool's picks" in invoke("review", visit.id).stdout


def test_printing_again_gives_the_same_bytes_and_keeps_no_second_choice(
        visit: SessionRef) -> None:
    args = ("handout", visit.id, "--pick", PICKS[0], "--drop", "ex.bridge")
    first, second = invoke(*args), invoke(*args)
    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
    assert first.stdout_bytes == second.stdout_bytes
    assert second.stderr == ""
    plain = invoke("handout", visit.id)
    assert plain.stdout_bytes == first.stdout_bytes
    assert invoke("export", visit.id, "--format", "html").stdout_bytes == first.stdout_bytes
    assert len(_handout_addenda(visit)) == 1
    # Options not given keep what was chosen: a note alone keeps the picks and the drop.
    invoke("handout", visit.id, "--client-note", "See you soon.")
    assert _handout_addenda(visit)[-1] == {"picks": [PICKS[0]], "drops": ["ex.bridge"],
                                           "client_note": "See you soon."}


@pytest.mark.parametrize(("args", "message"), [
    (("--pick", "nope"), "--pick nope: not advice in this plan (it has: "),
    (("--pick", "ex.bridge"), "--pick ex.bridge: this is an exercise, not advice; every "
                              "exercise of the programme is on the handout unless dropped "
                              "with --drop"),
    (("--drop", "prevention.stay_active"),
     "--drop prevention.stay_active: this is advice, not an exercise; to leave it off, do "
     "not name it in --pick"),
    (("--drop", "medical.safety_net"), "--drop medical.safety_net: "),
    (("--drop", "ex.lunge"), "--drop ex.lunge: not an exercise of this programme (it has: "
                             "ex.bridge, ex.sit_to_stand, ex.bird_dog)"),
    (("--pick", "a b"), "--pick: 'a b' is not a comma-separated list of ids"),
])
def test_pick_and_drop_errors_are_one_line_and_exit_2(
        visit: SessionRef, args: tuple[str, ...], message: str) -> None:
    result = invoke("handout", visit.id, *args)
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    assert result.stderr.startswith(f"backpain: usage error: {message}")
    assert result.stderr.count("\n") == 1
    assert _handout_addenda(visit) == []


LINE = "Walk to the shop and back every day, and do the bridge twice."  # 63 characters


@pytest.mark.parametrize(("note", "message"), [
    ("x" * 401, "--client-note: it is 401 characters long; at most 400 fit on the handout"),
    ("\n".join([LINE] * 5), "--client-note: it has 5 lines; at most 4 fit on the handout"),
    ("x" * 10_001, "--client-note: it is 10,001 characters long; at most 10,000 are kept"),
])
@pytest.mark.parametrize("command", ["handout", "assess"])
def test_a_note_too_long_for_the_handout_is_one_line_and_exit_2(
        visit: SessionRef, note: str, message: str, command: str) -> None:
    # The handout's page limits hold for the longest plan with a note at these limits
    # (tests/test_client_handout_print.py, "longest").
    args = (("handout", visit.id) if command == "handout" else
            ("assess", "--answers", DESK, "--no-input", "--client", CLIENT))
    before = list_refs()
    result = invoke(*args, "--client-note", note)
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    assert result.stderr == f"backpain: usage error: {message}\n"
    assert _handout_addenda(visit) == [] and list_refs() == before


def test_a_note_at_the_limits_is_kept(visit: SessionRef) -> None:
    for note in ("\n".join([LINE] * 4), "x" * 400):
        result = invoke("handout", visit.id, "--client-note", note)
        assert result.exit_code == 0, result.output
        assert _handout_addenda(visit)[-1]["client_note"] == note


def test_more_than_five_picks_is_refused(visit: SessionRef) -> None:
    choosable = [r for r in _titles() if not is_required(r)]
    result = invoke("handout", visit.id, "--pick", ",".join(choosable[:6]))
    assert result.exit_code == 2, result.output
    assert "--pick: at most 5 pieces of advice, 6 given" in result.stderr


def test_the_practitioners_note_never_reaches_the_handout(visit: SessionRef) -> None:
    noted = invoke("note", visit.id, "Query fracture history; discuss with GP.")
    assert noted.exit_code == 0, noted.output
    for fmt in ("md", "html"):
        for args in (("export", visit.id, "--format", fmt), ("handout", visit.id, "-f", fmt),
                     ("export", CLIENT, "--format", fmt)):
            result = invoke(*args)
            assert result.exit_code == 0, result.output
            assert "fracture history" not in result.stdout, args


def test_a_draft_has_no_handout() -> None:
    from backpain_cli.records.session import Session
    from backpain_cli.records.storage import save_session

    draft = Session("20260101T100000Z-aaaaaa", CLIENT, dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC),
                    "draft", {"age": 40}, ())
    save_session(draft, new=True)
    result = invoke("handout", draft.id)
    assert result.exit_code == 1, result.output
    assert "is a draft: finish it first" in result.stderr


# --------------------------------------------------------------------------- assess


def test_assess_keeps_a_choice_given_as_options(backpain_home: Path) -> None:
    ref = _assess("--pick", PICKS[1], "--drop", "ex.bridge", "--client-note", "Hello.")
    assert _handout_addenda(ref) == [{"picks": [PICKS[1]], "drops": ["ex.bridge"],
                                      "client_note": "Hello."}]


def test_assess_refuses_a_bad_pick_before_saving(backpain_home: Path) -> None:
    result = invoke("assess", "--answers", DESK, "--no-input", "--client", CLIENT,
                    "--pick", "nope")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("backpain: usage error: --pick nope: not advice")
    assert list_refs(client=CLIENT) == []


def test_assess_handout_options_need_a_saved_session() -> None:
    result = invoke("assess", "--answers", DESK, "--no-input", "--no-save", "--pick", "x")
    assert result.exit_code == 2, result.output
    assert result.stderr == ("backpain: usage error: --pick, --drop and --client-note are "
                             "kept beside the saved session: they cannot go with "
                             "--no-save\n")


# --------------------------------------------------------------------------- the checklist

ADVICE = (("medical.safety_net", "When to get help sooner", True),
          ("a.one", "One", False), ("a.two", "Two", False), ("a.three", "Three", False))
OFFER = HandoutOffer(advice=ADVICE, picked=frozenset({"a.one", "a.two"}),
                     exercises=(("ex.bridge", "Bridge: 2 sets of 8"),
                                ("ex.walking", "Walking: 10 minutes")),
                     dropped=frozenset(), note=None, most=5)
DOWN, SPACE, ENTER = "\x1b[B", " ", "\r"


@pytest.mark.parametrize(("keys", "picks", "drops", "note"), [
    # Enter, Enter, Enter: what is offered.
    ([ENTER, ENTER, ENTER], ("a.one", "a.two"), (), None),
    # The always-on item is not choosable: the cursor starts on "One"; untick it, tick
    # "Three"; untick the walking; a note.
    ([SPACE + DOWN + DOWN + SPACE + ENTER, DOWN + SPACE + ENTER, "Keep going." + ENTER],
     ("a.two", "a.three"), ("ex.walking",), "Keep going."),
])
def test_the_checklist(keys: list[str], picks: tuple[str, ...], drops: tuple[str, ...],
                       note: str | None) -> None:
    with create_pipe_input() as pipe:
        for k in keys:
            pipe.send_text(k)
        answer = QuestionaryAsker(input=pipe, output=DummyOutput()).handout(OFFER)
    assert (answer.picks, answer.drops, answer.note) == (picks, drops, note)


def test_a_checklist_line_too_wide_for_the_terminal_ends_at_a_word_with_an_ellipsis(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """prompt_toolkit cuts a choice at the terminal's edge mid-word ("3 days a we", seen in
    an 80-column interview); the checklist cuts it at a word and says so. The lines are
    taken as the checklist hands them to questionary."""
    import questionary

    shown: list[str] = []
    checkbox = questionary.checkbox

    def recording(message: str, choices: list[questionary.Choice], **kw: object) -> object:
        shown.extend(str(c.title) for c in choices)
        return checkbox(message, choices, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(questionary, "checkbox", recording)
    long = "Side plank from the knees: Hold for 10 seconds, 3 times on each side, 3 days a week."
    offer = HandoutOffer(advice=ADVICE, picked=frozenset(), most=5, note=None,
                         exercises=(("ex.plank", long), ("ex.walking", "Walking: 10 minutes")),
                         dropped=frozenset())
    with create_pipe_input() as pipe:
        pipe.send_text(ENTER + ENTER + ENTER)
        answer = QuestionaryAsker(input=pipe, output=DummyOutput(), columns=80).handout(offer)
    assert answer.drops == ()
    assert shown[-2:] == [
        "Side plank from the knees: Hold for 10 seconds, 3 times on each side, 3…",
        "Walking: 10 minutes"]
    assert all(len(line) <= 80 - 6 for line in shown)


def test_default_picks_of_the_sample_are_what_the_checklist_ticks() -> None:
    import tomllib

    raw = tomllib.loads(DESK.read_text(encoding="utf-8"))["answers"]
    plan = build_plan({k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})
    assert len(default_picks(plan)) == 5


# --------------------------------------------------------------------------- on paper


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_exported_handout_fits_its_pages(visit: SessionRef, tmp_path: Path,
                                             paper: str) -> None:
    if shutil.which("pdfinfo") is None:
        pytest.skip("poppler (pdfinfo) is not installed")
    pytest.importorskip("weasyprint")
    from backpain_cli.output import pdf

    html = invoke("export", visit.id, "--format", "html", "--name", "Jo Doe")
    assert html.exit_code == 0, html.output
    out = tmp_path / f"{paper}.pdf"
    out.write_bytes(pdf.render(on_paper(html.stdout, paper)))
    pages = pages_of(out)
    assert 1 <= pages <= 3, f"{pages} pages on {paper}"
    if pages > 1:
        assert lines_on_page(out, pages) >= LEAST_LAST_PAGE_LINES
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is not None:
        page = tmp_path / f"{paper}.html"
        page.write_text(on_paper(html.stdout, paper), encoding="utf-8")
        printed = tmp_path / f"{paper}-chromium.pdf"
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
                        f"--print-to-pdf={printed}", page.as_uri()],
                       capture_output=True, timeout=120, check=False)
        if printed.exists():
            assert 1 <= pages_of(printed) <= 3


# --------------------------------------------------------------------------- the first screen


@pytest.mark.parametrize("name", ["desk-strain", "pregnancy-30-weeks",
                                  "spondylosis-co-manage", "long-plan"])
def test_the_first_screen_holds_triage_next_check_picks_and_programme(name: str) -> None:
    """On 80×24 (issue 20, item 5): what the client waits for comes first."""
    import io

    from client_handouts import cases
    from rich.console import Console

    from backpain_cli.output.terminal import AtAGlance, print_plan

    case = cases()[name]
    titles = {r.id: r.title for r in case.plan.recommendations}
    required = [r for r in case.plan.ids if is_required(r) and r != "medical.safety_net"]
    glance = AtAGlance(tuple(titles[i] for i in (*required, *case.chosen)),
                       tuple((item.name, item.dose) for item in case.programme.items))
    console = Console(file=io.StringIO(), width=80, height=24, color_system=None,
                      legacy_windows=False)
    print_plan(console, case.plan, client="JD-042", session_id="20260901T100000Z-abcdef",
               created=dt.datetime(2026, 9, 1, 10, tzinfo=dt.UTC), glance=glance)
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    first = lines[:24]
    assert all(len(line) <= 80 for line in lines)
    assert any(line.startswith("Next check: ") for line in first), first
    for title in glance.picks:
        assert any(title[:40] in line for line in first), (title, first)
    assert glance.exercises, name
    for n, (exercise, _) in enumerate(glance.exercises, 1):
        assert any(line.startswith(f"  {n}. {exercise}") for line in first), (exercise, first)
    # The banner comes first; the rest of the plan (scores, every recommendation) follows.
    assert first[1].startswith(("╭", "┏")), first
    last = max(i for i, line in enumerate(lines)
               if line.startswith(f"  {len(glance.exercises)}. "))
    scores = next(i for i, line in enumerate(lines) if line.startswith("Scores"))
    assert scores > last
