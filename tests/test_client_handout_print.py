"""The client's handout on paper (issue 20, item 3): pages, print sizes and line lengths, as
Chromium prints it (the distribution's chromium, headless print-to-pdf) and as the PDF
export writes it (WeasyPrint through output/pdf.py), read back with poppler.

- At most three pages on A4 and on Letter for the worst case ("longest": one of the longest
  plans, five exercises, its five longest pieces of advice, six earlier visits, a name and a
  note at its limit) and for a client with three earlier visits;
  an emergency handout is one page; no last page holds only the end (the next check, the
  note and whom to ask) without anything before it.
- Large print: in Chromium's print layout every text's computed size is at least 10 pt
  and every paragraph, list item and table cell of the body at least 12 pt; on the PDFs,
  every word's box is at least 10 pt high (its font size: a word box of Liberation Sans,
  the Arial the handout asks for, is 1.117 times it).
- Lines of at most 80 characters on paper.
- Tagged PDF (PDF/UA-1) with headings, lists, tables and figures.

Without chromium, poppler or WeasyPrint these tests are skipped, except under CI.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import handout_pages
import pytest
from client_handouts import cases
from helpers import chrome

from backpain_cli.clinical.handout_choice import (
    MAX_NOTE_CHARACTERS,
    MAX_NOTE_LINES,
    MAX_PICKS,
    is_required,
    note_problem,
)
from backpain_cli.output import handout_words as words
from backpain_cli.output import pdf
from backpain_cli.output.client_handout import MOST_VISITS, content
from backpain_cli.output.client_handout_html import PICTURE_MM, render_client_html

HANDOUTS = {name: render_client_html(h) for name, h in cases().items()}
MOST_PAGES = {"emergency": 1, "long-plan": 3, "visits-3": 3, "desk-strain": 3,
              "pregnancy-30-weeks": 3, "spondylosis-co-manage": 3, "long-visits-6": 3,
              "longest": 3}
# The sections before the end: a last page holds at least one of their headings.
BEFORE_THE_END = (words.FOUND, words.NEXT_STEPS, words.EXERCISES, words.BAD_DAY,
                  words.DIARY, words.PROGRESS, words.HELP_SOONER)
# A word box of the handout's face is this many times its font size (Liberation Sans:
# ascent 0.905 plus descent 0.212).
BOX_PER_POINT = 1.117
MOST_CHARACTERS = 80
# The printable width of A4 under the handout's page margins (210 mm - 2 x 12 mm), in CSS
# pixels.
A4_PRINT_WIDTH = 703
PT = 4 / 3  # CSS pixels per point


def _missing(what: str, how: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing: .ci/run must install it ({how})")
    pytest.skip(f"{what} is not installed ({how}); CI runs these tests")


@pytest.fixture(scope="module")
def poppler() -> None:
    for tool in ("pdfinfo", "pdftotext"):
        if shutil.which(tool) is None:
            _missing(tool, "apt-get install poppler-utils")


@pytest.fixture(scope="module")
def chromium(poppler: None) -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        _missing("chromium", "apt-get install chromium")
    assert path is not None
    return path


@pytest.fixture(scope="module")
def weasyprint(poppler: None) -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        _missing("WeasyPrint", "pip install 'backpain[pdf]', and Pango from the system")


Printer = Callable[[str, str], Path]


@pytest.fixture(scope="module")
def in_chromium(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Printer:
    """The handout `name` as Chromium prints it on `paper` (each printed once)."""
    folder = tmp_path_factory.mktemp("chromium")
    done: dict[tuple[str, str], Path] = {}

    def print_it(name: str, paper: str) -> Path:
        if (name, paper) not in done:
            page = folder / f"{name}.{paper}.html"
            page.write_text(handout_pages.on_paper(HANDOUTS[name], paper), encoding="utf-8")
            out = folder / f"{name}.{paper}.pdf"
            chrome(chromium, folder / "profile", f"--print-to-pdf={out}",
                   "--no-pdf-header-footer", page.as_uri())
            done[name, paper] = out
        return done[name, paper]

    return print_it


@pytest.fixture(scope="module")
def in_weasyprint(weasyprint: None, tmp_path_factory: pytest.TempPathFactory) -> Printer:
    """The handout `name` as the PDF export writes it (pdf.render) on `paper`."""
    folder = tmp_path_factory.mktemp("weasyprint")
    done: dict[tuple[str, str], Path] = {}

    def print_it(name: str, paper: str) -> Path:
        if (name, paper) not in done:
            data = pdf.render(HANDOUTS[name], paper.lower())
            out = folder / f"{name}.{paper}.pdf"
            out.write_bytes(data)
            done[name, paper] = out
        return done[name, paper]

    return print_it


def page_text(path: Path, page: int) -> str:
    proc = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-f", str(page), "-l",
                           str(page), str(path), "-"], capture_output=True, text=True,
                          check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return " ".join(proc.stdout.split())


def assert_pages(path: Path, name: str, what: str) -> None:
    """At most the case's pages, and a last page that holds more than the end."""
    pages = handout_pages.pages_of(path)
    assert 1 <= pages <= MOST_PAGES[name], f"{what}: {pages} pages"
    if pages > 1:
        last = page_text(path, pages)
        assert any(heading in last for heading in BEFORE_THE_END), (
            f"{what}: the last page holds only the end: {last[:300]}")


def words_with_boxes(path: Path) -> list[tuple[str, float]]:
    proc = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [(html.unescape(m[4]), float(m[3]) - float(m[1])) for m in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
        proc.stdout)]


def printed_lines(path: Path) -> list[str]:
    proc = subprocess.run(["pdftotext", "-bbox-layout", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [" ".join(html.unescape(w) for w in re.findall(r"<word[^>]*>(.*?)</word>", line))
            for line in re.findall(r"<line[^>]*>(.*?)</line>", proc.stdout, re.S)]


# --------------------------------------------------------------------------- pages


def test_the_longest_case_is_at_every_limit() -> None:
    """"longest" is the worst case the page tests print: every limit of the handout."""
    h = cases()["longest"]
    c = content(h)
    optional = [r for r in h.plan.recommendations if not is_required(r.id)]
    assert len(h.chosen) == MAX_PICKS and len(c.cards) == 5
    longest = sorted((len(r.detail) for r in optional), reverse=True)[:MAX_PICKS]
    assert sorted((len(r.detail) for r in optional if r.id in h.chosen),
                  reverse=True) == longest
    assert c.progress is not None and len(c.progress.visits) == MOST_VISITS
    assert h.client_note is not None and len(c.note) == MAX_NOTE_LINES
    assert len(h.client_note) > MAX_NOTE_CHARACTERS - MAX_NOTE_LINES
    assert note_problem(h.client_note) is None
    assert len(h.plan.recommendations) >= 25



@pytest.mark.browser
@pytest.mark.parametrize(("name", "paper"), [("longest", "letter"), ("longest", "A4"),
                                           ("emergency", "A4")])
def test_chromium_prints_the_handout_on_its_pages(in_chromium: Printer, name: str,
                                                  paper: str) -> None:
    assert_pages(in_chromium(name, paper), name, f"{name} on {paper} (Chromium)")


@pytest.mark.parametrize(("name", "paper"), [("longest", "letter"), ("longest", "A4"),
                                           ("emergency", "A4")])
def test_the_pdf_export_writes_the_handout_on_its_pages(in_weasyprint: Printer, name: str,
                                                        paper: str) -> None:
    assert_pages(in_weasyprint(name, paper), name, f"{name} on {paper} (WeasyPrint)")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("paper", handout_pages.PAPERS)
@pytest.mark.parametrize("name", MOST_PAGES)
def test_every_handout_prints_on_its_pages_in_chromium(in_chromium: Printer, name: str,
                                                       paper: str) -> None:
    assert_pages(in_chromium(name, paper), name, f"{name} on {paper} (Chromium)")


@pytest.mark.slow
@pytest.mark.parametrize("paper", handout_pages.PAPERS)
@pytest.mark.parametrize("name", MOST_PAGES)
def test_every_handout_is_a_pdf_of_its_pages(in_weasyprint: Printer, name: str,
                                              paper: str) -> None:
    assert_pages(in_weasyprint(name, paper), name, f"{name} on {paper} (WeasyPrint)")


def test_an_emergency_pdf_says_where_to_go(in_weasyprint: Printer) -> None:
    text = page_text(in_weasyprint("emergency", "A4"), 1)
    assert words.TRIAGE["emergency"][0] in text
    assert words.PLACES["emergency_department"] in text
    assert words.EXERCISES not in text and words.DIARY not in text


# --------------------------------------------------------------------------- print sizes


def _assert_large_print(path: Path, what: str) -> None:
    sizes = [(word, height / BOX_PER_POINT) for word, height in words_with_boxes(path)]
    assert len(sizes) > 300
    small = sorted({(round(size, 1), word) for word, size in sizes if size < 9.95})
    assert small == [], f"{what}: text below 10 pt"
    body = sum(1 for _, size in sizes if size >= 11.95)
    # The body is 12 pt or more; the diary's dates, the chart's labels and the notice
    # under whom to ask are the only smaller words.
    assert body / len(sizes) >= 0.9, f"{what}: {body} of {len(sizes)} words at 12 pt"


@pytest.mark.browser
def test_no_printed_word_is_below_10_pt_in_chromium(in_chromium: Printer) -> None:
    _assert_large_print(in_chromium("longest", "letter"), "longest (Chromium)")


def test_no_printed_word_is_below_10_pt_in_the_pdf(in_weasyprint: Printer) -> None:
    _assert_large_print(in_weasyprint("longest", "letter"), "longest (WeasyPrint)")


@pytest.mark.browser
def test_printed_lines_are_at_most_80_characters(in_chromium: Printer,
                                                 in_weasyprint: Printer) -> None:
    for printer in (in_chromium, in_weasyprint):
        lines = printed_lines(printer("longest", "letter"))
        assert len(lines) > 100
        assert [line for line in lines if len(line) > MOST_CHARACTERS] == []


# Measures the print layout's computed styles: the handout in an iframe as wide as A4's
# printable width, its print rules applied on screen, the result written into the page
# for --dump-dom.
FRAME_PAGE = """<!DOCTYPE html>
<html><body style="margin:0">
<iframe id="handout" style="border:0; width:{width}px; height:1200px" srcdoc="{srcdoc}"></iframe>
<script>
window.addEventListener("load", () => {{
  const win = document.getElementById("handout").contentWindow;
  const doc = win.document;
  const size = (e) => parseFloat(win.getComputedStyle(e).fontSize);
  const hasText = (e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  const html = [...doc.body.querySelectorAll("*")].filter(
    (e) => hasText(e) && e.closest("svg") === null && e.getClientRects().length);
  const body = html.filter((e) => e.closest("p, li, td, th") !== null
    && e.closest(".notice, thead") === null);
  const svgText = [...doc.querySelectorAll("svg text")].map(
    (t) => size(t) * t.getScreenCTM().a);
  const width = doc.documentElement.clientWidth;
  const metrics = {{
    smallest: Math.min(...html.map(size)),
    smallestBody: Math.min(...body.map(size)),
    bodyElements: body.length,
    smallestChartText: Math.min(...svgText),
    chartTexts: svgText.length,
    pictureHeights: [...new Set([...doc.querySelectorAll(".pic svg")].map(
      (s) => Math.round(s.getBoundingClientRect().height)))],
    overflowing: [...doc.body.querySelectorAll("*")].filter(
      (e) => e.getBoundingClientRect().right > width + 0.5).map((e) => e.tagName),
    scrollWidth: doc.documentElement.scrollWidth,
  }};
  const out = document.createElement("pre");
  out.id = "metrics";
  out.textContent = JSON.stringify(metrics);
  document.body.appendChild(out);
}});
</script>
</body></html>
"""


def metrics(chromium: str, folder: Path, text: str, width: int) -> dict[str, Any]:
    page = folder / "frame.html"
    page.write_text(FRAME_PAGE.format(width=width, srcdoc=html.escape(text, quote=True)),
                    encoding="utf-8")
    proc = chrome(chromium, folder / "profile", "--window-size=1000,1000",
                  "--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    found = re.search(r'<pre id="metrics">(.*?)</pre>', proc.stdout, re.S)
    assert found, proc.stdout[-2000:]
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return result


@pytest.mark.browser
@pytest.mark.parametrize("name", ["long-plan", "visits-3"])
def test_computed_print_sizes_in_chromium(chromium: str, tmp_path: Path, name: str) -> None:
    print_rules = HANDOUTS[name].replace("@media print {", "@media all {")
    m = metrics(chromium, tmp_path, print_rules, A4_PRINT_WIDTH)
    # Body text 12 pt, nothing below 10 pt (px here: 16 and 13.33), the chart's labels too.
    assert m["bodyElements"] > 50
    assert m["smallestBody"] >= 12 * PT
    assert m["smallest"] >= 10 * PT - 0.01
    if name == "visits-3":
        assert m["chartTexts"] > 5
        assert m["smallestChartText"] >= 10 * PT - 0.01
    # Every picture the same fixed height, whatever its shape.
    assert m["pictureHeights"] == [round(PICTURE_MM / 25.4 * 96)]
    assert m["overflowing"] == []


@pytest.mark.browser
def test_the_handout_fits_a_phone(chromium: str, tmp_path: Path) -> None:
    m = metrics(chromium, tmp_path, HANDOUTS["visits-3"], 375)
    # Nothing scrolls sideways but the diary, inside its own scrolling box.
    assert m["scrollWidth"] == 375
    assert m["smallest"] >= 13


# --------------------------------------------------------------------------- tagged PDF


def test_the_pdf_is_tagged_with_its_title_and_language(in_weasyprint: Printer) -> None:
    path = in_weasyprint("visits-3", "A4")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(r"^Title:\s+Your back care plan · Jo Doe · Tuesday 1 September 2026$",
                     info, re.M)
    struct = subprocess.run(["pdfinfo", "-struct", str(path)], capture_output=True,
                            text=True, check=True, timeout=60).stdout
    for tag in ("H1", "H2", "L", "Table", "Figure"):
        assert re.search(rf"^\s*{tag}\b", struct, re.M), tag
