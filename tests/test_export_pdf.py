"""`backpain export ... --format pdf -o FILE`: the HTML handout as an A4 PDF (WeasyPrint).

Sessions are made the way a practitioner makes them (`backpain assess --answers FILE
--no-input`), exported through the command, and the PDF is read back with poppler's tools:
`pdftotext` for what it says, `pdfinfo` for its pages and paper, `pdftoppm` for whether each
page renders. Without WeasyPrint (the optional extra `backpain[pdf]`) or poppler-utils these
tests are skipped, except under CI, where .ci/run installs both and a missing one fails.
The one-line message for a missing extra is tested in any case.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, TypeAlias

import handout_pages
import pytest
from helpers import invoke, list_refs
from typer.testing import Result

from backpain_cli.records.session import Session
from backpain_cli.records.storage import read_session

WriteAnswers: TypeAlias = Callable[..., Path]

HERE = Path(__file__).parent
EXAMPLES = HERE / "data" / "examples"
LONG_PLAN = HERE / "golden" / "long-plan.answers.toml"
CLIENT = "JD-042"
NO_EXTRA = "backpain: error: PDF export needs WeasyPrint: pip install 'backpain[pdf]'\n"
TERMINAL = ("backpain: usage error: --format pdf to a terminal: a PDF is binary; add -o FILE, "
            "or redirect standard output (> plan.pdf)\n")
# pdfinfo's "Page size" for A4 (210 x 297 mm) in points.
A4 = "595.276 x 841.89 pts (A4)"


def _missing(what: str, how: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing: .ci/run must install it ({how})")
    pytest.skip(f"{what} is not installed ({how}); CI runs these tests")


@pytest.fixture(scope="module")
def poppler() -> None:
    for tool in ("pdftotext", "pdftoppm", "pdfinfo"):
        if shutil.which(tool) is None:
            _missing(tool, "apt-get install poppler-utils")


@pytest.fixture(scope="module")
def weasyprint(poppler: None) -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        _missing("WeasyPrint", "pip install 'backpain[pdf]', and Pango from the system")


run = invoke


def assess(answers_file: Path, *extra: str) -> Session:
    """One completed visit saved by the real command; the session as saved."""
    before = {r.id for r in list_refs()}
    result = run("assess", "--answers", answers_file, "--no-input", *extra)
    assert result.exit_code == 0, result.output
    [ref] = [r for r in list_refs() if r.id not in before]
    return read_session(ref.path)


def answers_of(path: Path) -> dict[str, Any]:
    answers: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))["answers"]
    return answers


def export_pdf(target: str, out: Path) -> Result:
    """The practitioner's plan as a PDF (--detail full: every recommendation); the
    client's handout, the default, is measured in tests/test_client_handout.py."""
    result = run("export", target, "--format", "pdf", "--detail", "full", "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Wrote {out}\n"
    assert result.stdout == ""
    return result


def pdf_text(pdf: Path) -> str:
    """The PDF's text with every run of white space as one space (lines wrap anywhere)."""
    proc = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return " ".join(proc.stdout.split())


def pdf_info(pdf: Path) -> dict[str, str]:
    proc = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=False,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return {k.strip(): v.strip() for k, _, v in
            (line.partition(":") for line in proc.stdout.splitlines())}


def page_sizes(pdf: Path) -> list[str]:
    """pdfinfo's size of every page, not only the first."""
    pages = int(pdf_info(pdf)["Pages"])
    proc = subprocess.run(["pdfinfo", "-f", "1", "-l", str(pages), str(pdf)],
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return re.findall(r"^Page\s+\d+ size:\s+(.*)$", proc.stdout, re.M)


def render_pages(pdf: Path, folder: Path) -> list[tuple[int, int]]:
    """Each page as a PNG at 50 dpi (poppler, not WeasyPrint, draws it); their sizes."""
    folder.mkdir()
    proc = subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(folder / "page")],
                          capture_output=True, text=True, check=False, timeout=120)
    # poppler reports a damaged PDF on stderr and may still exit 0.
    assert (proc.returncode, proc.stderr) == (0, "")
    sizes = []
    for png in sorted(folder.glob("page-*.png")):
        head = png.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n", png
        sizes.append((int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")))
    return sizes


# Every session of these tests is made with a practice in the settings (`practice`).
PRACTICE = {"practice_name": "Physio Nord",
            "practice_contact": "12 Harbour Road, Kiel · 0431 123456",
            "practitioner": "A. Jensen"}


@pytest.fixture(autouse=True)
def practice(backpain_config: Path) -> None:
    backpain_config.parent.mkdir(parents=True, exist_ok=True)
    backpain_config.write_text("".join(f'{k} = "{v}"\n' for k, v in PRACTICE.items()),
                               encoding="utf-8")


def handout_must_show(session: Session) -> list[str]:
    """What a PDF handout's text must hold: whom and which visit it is for, who saw the
    client (the practice and practitioner the session recorded), and the title of every
    recommendation in the plan."""
    assert session.plan is not None
    assert session.practice.name == PRACTICE["practice_name"]
    return [session.client, session.id, session.practice.name,
            *(v for v in (session.practice.contact, session.practice.practitioner) if v),
            *(rec.title for rec in session.plan.recommendations)]


def assert_shows(text: str, session: Session) -> None:
    missing = [item for item in handout_must_show(session) if " ".join(item.split()) not in text]
    assert missing == []


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """A folder of its own for outputs, so that listing it shows every stray file."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def typical(weasyprint: None, write_answers: WriteAnswers,
            complete_answers: dict[str, Any]) -> Session:
    return assess(write_answers(complete_answers))


# --------------------------------------------------------------------------- the PDF itself


def test_typical_plan_is_an_a4_handout_with_its_recommendations(
        typical: Session, out_dir: Path, tmp_path: Path) -> None:
    out = out_dir / "plan.pdf"
    export_pdf(typical.id, out)
    assert out.read_bytes().startswith(b"%PDF-")
    assert_shows(pdf_text(out), typical)
    info = pdf_info(out)
    pages = int(info["Pages"])
    handout_pages.assert_pages(out, 2, "a typical plan on A4 (WeasyPrint)")
    assert page_sizes(out) == [A4] * pages
    # The HTML <title> becomes the document's title, as a mail client or viewer shows it.
    assert info["Title"].startswith(f"Back-care plan · {CLIENT} · ")
    # A4 at 50 dpi: 210 x 297 mm is 413.4 x 584.6 pixels, which poppler rounds up.
    assert render_pages(out, tmp_path / "png") == [(414, 585)] * pages
    assert os.listdir(out_dir) == ["plan.pdf"]


CASES = [p.name.removesuffix(".answers.toml") for p in sorted(EXAMPLES.glob("*.answers.toml"))]


@pytest.mark.parametrize("case", [*CASES, "long-plan"])
def test_worked_examples_and_the_longest_plan_take_their_pages(
        weasyprint: None, write_answers: WriteAnswers, complete_answers: dict[str, Any],
        out_dir: Path, tmp_path: Path, case: str) -> None:
    source = LONG_PLAN if case == "long-plan" else EXAMPLES / f"{case}.answers.toml"
    # Any question a file leaves out gets the neutral answer of complete_answers (no red
    # flag); the file's own answers win.
    answers = {**complete_answers, **answers_of(source)}
    instruments = sorted({k.partition("_")[0] for k in answers} & {"odi", "rmdq"})
    extra = ["--instruments", ",".join(instruments)] if instruments else []
    previous = EXAMPLES / f"{case}.previous.toml"
    if previous.exists():
        # A follow-up: the visit it follows first, then this one's answers on top.
        first = assess(write_answers({**complete_answers, **answers_of(previous)},
                                     client="EX-1", name="previous.toml"))
        answers = {**answers_of(previous), **answers_of(source)}
        extra += ["--from", first.id]
    session = assess(write_answers(answers, client="EX-1"), *extra)
    out = out_dir / f"{case}.pdf"
    export_pdf(session.id, out)
    assert_shows(pdf_text(out), session)
    pages = int(pdf_info(out)["Pages"])
    # Made with the practice in the settings and the neutral answers of complete_answers
    # filled in: the handouts of handout_pages, a little longer.
    handout_pages.assert_pages(out, handout_pages.MOST_PAGES[case], f"{case} on A4 (WeasyPrint)")
    assert len(render_pages(out, tmp_path / "png")) == pages


def test_client_with_several_visits_renders_their_history(
        weasyprint: None, write_answers: WriteAnswers, complete_answers: dict[str, Any],
        out_dir: Path, tmp_path: Path) -> None:
    # Four visits with ODI, pain and disability falling: the handout draws both charts.
    visits: list[Session] = []
    for number, (pain, odi) in enumerate([(8, 4), (6, 3), (4, 2), (2, 1)], 1):
        answers: dict[str, Any] = {**complete_answers, "pain_now": pain,
                                   "pain_worst_week": pain,
                                   **{f"odi_{i}": odi for i in range(1, 11)}}
        extra = ["--from", visits[-1].id] if visits else []
        if visits:  # how often the programme of the visit before was done
            answers["programme_adherence"] = "most_days"
        visits.append(assess(write_answers(answers, name=f"visit{number}.toml"),
                             "--instruments", "odi", *extra))
    out = out_dir / "history.pdf"
    export_pdf(CLIENT, out)
    text = pdf_text(out)
    assert "How you are doing" in text
    assert "visit 4 of 4" in text
    # Visits saved within one second are in their follow-up order whatever their random
    # suffixes: the handout is the fourth visit's plan with the other three as history.
    assert_shows(text, visits[-1])
    pages = int(pdf_info(out)["Pages"])
    handout_pages.assert_pages(out, 2, "four visits on A4 (WeasyPrint)")
    assert page_sizes(out) == [A4] * pages
    assert len(render_pages(out, tmp_path / "png")) == pages
    # PDF/UA (issue 20): tagged, so a screen reader finds headings, tables and the charts.
    assert pdf_info(out)["Tagged"] == "yes"
    struct = subprocess.run(["pdfinfo", "-struct", str(out)], capture_output=True,
                            text=True, check=True, timeout=60).stdout
    for tag in ("H1", "H2", "Table", "Figure"):
        assert re.search(rf"^\s*{tag}\b", struct, re.M), (tag, struct[:2000])


# ------------------------------------------------------------- pages, on A4 and Letter


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return handout_pages.handouts(tmp_path_factory.mktemp("printed"))


def print_pdf(text: str, paper: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The export's own PDF (pdf.render), on `paper` instead of A4."""
    from backpain_cli.output import pdf

    out = folder / f"handout.{paper}.pdf"
    out.write_bytes(pdf.render(text, paper.lower()))
    return out


@pytest.mark.parametrize("paper", handout_pages.PAPERS)
def test_a_client_with_three_visits_is_a_two_page_pdf(
        weasyprint: None, printed: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, paper: str) -> None:
    out = print_pdf(printed["visits-3"], paper, tmp_path, monkeypatch)
    handout_pages.assert_pages(out, 2, f"three visits on {paper} (WeasyPrint)")


@pytest.mark.slow
@pytest.mark.parametrize("paper", handout_pages.PAPERS)
@pytest.mark.parametrize("case", handout_pages.MOST_PAGES)
def test_every_handout_is_a_pdf_of_few_pages_that_never_ends_near_empty(
        weasyprint: None, printed: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, case: str, paper: str) -> None:
    out = print_pdf(printed[case], paper, tmp_path, monkeypatch)
    handout_pages.assert_pages(out, handout_pages.MOST_PAGES[case],
                               f"{case} on {paper} (WeasyPrint)")


# --------------------------------------------------------------------------- writing it


def test_pdf_is_written_atomically_0600_and_never_over_a_file(
        typical: Session, out_dir: Path, tmp_path: Path) -> None:
    old = os.umask(0o000)
    try:
        out = out_dir / "plan.pdf"
        export_pdf(typical.id, out)
    finally:
        os.umask(old)
    assert mode(out) == 0o600
    first = tmp_path / "first.pdf"
    shutil.copy(out, first)
    out.write_bytes(b"the practitioner's own file")
    result = run("export", typical.id, "--format", "pdf", "-o", out)
    assert result.exit_code == 1, result.output
    assert result.stderr == f"backpain: error: {out} already exists; add --force to replace it\n"
    assert out.read_bytes() == b"the practitioner's own file"
    result = run("export", typical.id, "--format", "pdf", "--detail", "full", "-o", out,
                 "--force")
    assert result.exit_code == 0, result.output
    # WeasyPrint stamps the creation time, so the bytes may differ; the text may not.
    assert pdf_text(out) == pdf_text(first)
    assert mode(out) == 0o600
    assert os.listdir(out_dir) == ["plan.pdf"]


def export_to_a_terminal(*args: str) -> tuple[int, str, str]:
    """The real command with its standard output on a terminal (a pty), as a practitioner
    types it: exit code, what reached the terminal, stderr."""
    import pty

    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "backpain_cli", "export", *args],
                              stdout=follower, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                              text=True, timeout=120, check=False)
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal has no writer left
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    return proc.returncode, shown.decode("utf-8", "replace"), proc.stderr


@pytest.mark.parametrize("output", [[], ["-o", "-"]], ids=["no -o", "-o -"])
def test_pdf_to_a_terminal_is_a_usage_error(
        write_answers: WriteAnswers, complete_answers: dict[str, Any], output: list[str]
        ) -> None:
    # Refused before anything is read or rendered, with or without WeasyPrint installed.
    session = assess(write_answers(complete_answers))
    assert export_to_a_terminal(session.id, "--format", "pdf", *output) == (2, "", TERMINAL)
    assert export_to_a_terminal("no-such-session", "--format", "pdf", *output) == (
        2, "", TERMINAL)


@pytest.mark.parametrize("output", [[], ["-o", "-"]], ids=["no -o", "-o -"])
def test_pdf_to_a_standard_output_that_is_not_a_terminal(
        typical: Session, tmp_path: Path, output: list[str]) -> None:
    """curl's rule (issue 17 item 14): a PDF goes to a pipe or a file, not to a terminal."""
    result = run("export", typical.id, "--format", "pdf", "--detail", "full", *output)
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    pdf = tmp_path / "piped.pdf"
    pdf.write_bytes(result.stdout_bytes)
    assert result.stdout_bytes.startswith(b"%PDF-")
    assert_shows(pdf_text(pdf), typical)


def test_a_draft_has_no_pdf(weasyprint: None, out_dir: Path) -> None:
    shutil.copytree(HERE / "golden" / "sessions", Path(os.environ["BACKPAIN_HOME"]) / "sessions")
    draft = "20261015T080000Z-777777"
    out = out_dir / "draft.pdf"
    result = run("export", draft, "--format", "pdf", "-o", out)
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"backpain: error: session {draft} is a draft (the interview was not finished), so it "
        f"has no plan yet; finish it with: backpain assess --resume {draft}\n")
    assert os.listdir(out_dir) == []


# --------------------------------------------------------------------------- without the extra

# Runs the real entry point with `import weasyprint` failing, as it does where the extra is
# not installed, whatever this environment has.
WITHOUT_WEASYPRINT = """
import sys

class NoWeasyPrint:
    def find_spec(self, name, path=None, target=None):
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise ImportError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, NoWeasyPrint())
sys.argv = ["backpain", *sys.argv[1:]]
from backpain_cli.cli import main
main()
"""


def test_without_the_extra_one_line_says_how_to_install_it(
        write_answers: WriteAnswers, complete_answers: dict[str, Any], out_dir: Path) -> None:
    session = assess(write_answers(complete_answers))
    out = out_dir / "plan.pdf"
    proc = subprocess.run(
        [sys.executable, "-c", WITHOUT_WEASYPRINT, "export", session.id, "--format", "pdf",
         "-o", str(out)],
        capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", NO_EXTRA)
    assert os.listdir(out_dir) == []


# --------------------------------------------------------------------------- imports


def test_start_up_does_not_import_weasyprint() -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import backpain_cli.cli.app"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:")}
    # The -X importtime listing is real: the CLI module itself is in it.
    assert "backpain_cli.cli.app" in imported
    assert sorted(m for m in imported if m.partition(".")[0] == "weasyprint") == []


RECORD_MODULES = """
import json, os, sys
sys.argv = ["backpain", *sys.argv[1:]]
from backpain_cli.cli import main
try:
    main()
finally:
    with open(os.environ["RECORD_MODULES_TO"], "w") as fh:
        json.dump(sorted(m for m in sys.modules if m.partition(".")[0] == "weasyprint"), fh)
"""


@pytest.mark.parametrize(("fmt", "loads"), [("html", False), ("md", False), ("pdf", True)])
def test_only_the_pdf_format_imports_weasyprint(
        weasyprint: None, write_answers: WriteAnswers, complete_answers: dict[str, Any],
        out_dir: Path, fmt: str, loads: bool) -> None:
    session = assess(write_answers(complete_answers))
    record = out_dir.parent / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", RECORD_MODULES, "export", session.id, "--format", fmt, "-o",
         str(out_dir / f"plan.{fmt}")],
        env={**os.environ, "RECORD_MODULES_TO": str(record)}, capture_output=True,
        text=True, timeout=120, check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert ("weasyprint" in record.read_text()) is loads


# --------------------------------------------------------------------------- fetching nothing


class Hits(http.server.BaseHTTPRequestHandler):
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Hits.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    """A local web server that counts every request it gets; its base URL."""
    Hits.paths = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hits)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


# Every way a page can ask for something from outside; {u} is the URL asked for.
RESOURCES = {
    "image": '<img src="{u}/image.png" alt="">',
    "stylesheet": '<link rel="stylesheet" href="{u}/style.css">',
    "css import": "<style>@import url({u}/import.css);</style>",
    "font": "<style>@font-face {{ font-family: x; src: url({u}/font.woff); }} "
            "p {{ font-family: x; }}</style>",
    "background": '<p style="background: url({u}/background.png)">text</p>',
    "svg image": '<svg width="10" height="10"><image href="{u}/svg.png" width="10" '
                 'height="10"/></svg>',
    "object": '<object data="{u}/object.svg"></object>',
}


@pytest.mark.parametrize("kind", list(RESOURCES))
def test_a_url_in_the_handout_is_refused_never_fetched(
        weasyprint: None, server: str, tmp_path: Path, kind: str) -> None:
    from backpain_cli.output import pdf

    local = tmp_path / "local.png"
    local.write_bytes(b"")
    for base in (server, local.parent.as_uri()):
        page = ("<!DOCTYPE html><html><head></head><body><p>Plan</p>"
                f"{RESOURCES[kind].format(u=base)}</body></html>")
        with pytest.raises(pdf.ExternalResourceError) as caught:
            pdf.render(page)
        # Long URLs are shortened in the message; the start is always there.
        assert str(caught.value).startswith(
            f"the handout refers to an outside resource ({base[:40]}")
        assert str(caught.value).endswith("); PDF export fetches nothing, so no PDF was written")
    assert Hits.paths == []


def test_the_refusal_is_one_line_and_exit_1(
        weasyprint: None, write_answers: WriteAnswers, complete_answers: dict[str, Any],
        server: str, out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A handout that somehow carries a URL (a bug in html_doc, say) makes no PDF."""
    from backpain_cli.output import html as html_doc

    session = assess(write_answers(complete_answers))
    real = html_doc.render
    monkeypatch.setattr(html_doc, "render", lambda *a: real(*a).replace(
        "</body>", f'<img src="{server}/x.png"></body>'))
    out = out_dir / "plan.pdf"
    result = run("export", session.id, "--format", "pdf", "--detail", "full", "-o", out)
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"backpain: error: the handout refers to an outside resource "
                             f"({server}/x.png); PDF export fetches nothing, so no PDF was "
                             "written\n")
    assert os.listdir(out_dir) == []
    assert Hits.paths == []


@pytest.mark.slow
@pytest.mark.parametrize(("paper", "size"), [(None, "595.276 x 841.89 pts (A4)"),
                                             ("a4", "595.276 x 841.89 pts (A4)"),
                                             ("letter", "612 x 792 pts (letter)")])
def test_the_paper_setting_is_the_pdf_s_paper(weasyprint: None, backpain_config: Path,
                                              tmp_path: Path, paper: str | None,
                                              size: str) -> None:
    if paper is not None:
        assert invoke("config", "set", "paper", paper).exit_code == 0
    desk = EXAMPLES / "desk-strain.answers.toml"
    assert invoke("assess", "--client", CLIENT, "--answers", str(desk),
                  "--no-input").exit_code == 0
    for command in (("export", CLIENT), ("handout", list_refs()[0].id)):
        out = tmp_path / f"{command[0]}.pdf"
        result = invoke(*command, "--format", "pdf", "-o", str(out))
        assert result.exit_code == 0, result.output
        info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True,
                              check=True).stdout
        assert re.search(rf"^Page size: +{re.escape(size)}$", info, re.M), info
