"""The HTML handout in a real browser (headless Chromium): it prints on one or two pages of A4
and of Letter, fits a phone without sideways scrolling, loads nothing, and keeps paper light.

Plans here come from the real rules (the worked examples, a client's four visits, and one of
the longest plans the rules give), so a change in their wording that makes the handout
spill onto another page fails here. Chromium is installed by .ci/run from the
distribution's packages; without it these tests are skipped, except under CI, where a
missing browser is a failure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import handout_pages
import pytest
from helpers import chrome

from backpain_cli.clinical.followup import build_history
from backpain_cli.output import html as html_doc
from backpain_cli.records.storage import save_session
from backpain_cli.records.targets import load_client

pytestmark = pytest.mark.browser

HERE = Path(__file__).parent
EXAMPLES = HERE / "data" / "examples"
LONG_PLAN = HERE / "golden" / "long-plan.answers.toml"
PHONE_WIDTH = 375
# The printable width of A4 under the handout's own page margins (210 mm - 2 x 13 mm), in
# CSS pixels: what the print layout has to fit into.
A4_PRINT_WIDTH = 695

# A test-only page that shows the handout in an iframe of a given width (headless Chromium
# will not make its window narrower than 500 px) and writes what it measured into its own
# DOM, which --dump-dom then prints. The handout itself runs no script: its CSP forbids it.
FRAME_PAGE = """<!DOCTYPE html>
<html><body style="margin:0">
<iframe id="handout" style="border:0; width:{width}px; height:900px" srcdoc="{srcdoc}"></iframe>
<script>
window.addEventListener("load", () => {{
  const win = document.getElementById("handout").contentWindow;
  const doc = win.document;
  const luminance = (colour) => {{
    const m = colour.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return 1;
    const p = m[1].split(",").map(parseFloat);
    if (p.length === 4 && p[3] === 0) return 1;  // transparent
    return (0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]) / 255;
  }};
  const style = (e) => win.getComputedStyle(e);
  const all = [...doc.body.querySelectorAll("*")];
  const width = doc.documentElement.clientWidth;
  const hasText = (e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  const metrics = {{
    clientWidth: width,
    scrollWidth: doc.documentElement.scrollWidth,
    overflowing: all.filter((e) => e.getBoundingClientRect().right > width + 0.5)
                    .map((e) => e.tagName + "." + e.className),
    resources: win.performance.getEntriesByType("resource").map((r) => r.name),
    darkestBackground: Math.min(...all.map((e) => luminance(style(e).backgroundColor))),
    breakInside: Object.fromEntries([".rec", "table", "figure", ".banner"].map((s) => [s,
      [...new Set([...doc.querySelectorAll(s)].map((e) => style(e).breakInside))]])),
    smallestTextPx: Math.min(...all.filter((e) => hasText(e) && e.closest("svg") === null
                                                  && e.getClientRects().length)
                                   .map((e) => parseFloat(style(e).fontSize))),
    charts: doc.querySelectorAll("svg").length,
  }};
  const out = document.createElement("pre");
  out.id = "metrics";
  out.textContent = JSON.stringify(metrics);
  document.body.appendChild(out);
}});
</script>
</body></html>
"""


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run must install it (apt-get install "
                        "chromium) so that the handout is checked in a real browser")
        pytest.skip("chromium is not installed (apt-get install chromium); CI runs these")
    return path


@pytest.fixture(scope="module")
def handouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each case's handout as the exporter writes it, by name."""
    folder = tmp_path_factory.mktemp("handouts")
    start = dt.datetime(2026, 9, 1, 9, 30, tzinfo=dt.UTC)
    session_of, answers_of = handout_pages.session_of, handout_pages.answers_of
    sessions = {p.name.removesuffix(".answers.toml"): session_of("EX-1", answers_of(p), start)
                for p in sorted(EXAMPLES.glob("*.answers.toml"))}
    sessions["long-plan"] = session_of("LONG-1", answers_of(LONG_PLAN), start)
    out = {name: html_doc.render(s) for name, s in sessions.items()}
    # A client's fourth visit, with pain and disability falling since the first.
    home = folder / "data"
    base = answers_of(EXAMPLES / "desk-strain.answers.toml")
    previous = None
    for visit, (pain, worst, odi) in enumerate([(7, 9, 4), (6, 8, 3), (4, 6, 2), (3, 4, 1)]):
        answers = {**base, "pain_now": pain, "pain_worst_week": worst,
                   **{f"odi_{i}": odi for i in range(1, 11)}}
        session = dataclasses.replace(
            session_of("JD-042", answers, start + dt.timedelta(days=21 * visit), ("odi",)),
            follows=previous)
        previous = save_session(session, root=home, new=True)[0].id
    visits = load_client("JD-042", root=home).completed
    out["client-history"] = html_doc.render(visits[-1], build_history("JD-042", visits))
    paths = {}
    for name, text in out.items():
        paths[name] = folder / f"{name}.html"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def _variant(source: Path, name: str, *, css: str = "", print_media: bool = False) -> Path:
    """A test-only copy of a handout: extra CSS, or its print rules applied on screen."""
    text = source.read_text(encoding="utf-8")
    if print_media:
        text = text.replace("@media print {", "@media all {")
    if css:
        text = text.replace("</style>", f"{css}</style>")
    target = source.with_name(f"{source.stem}.{name}.html")
    target.write_text(text, encoding="utf-8")
    return target


def metrics(chromium: str, tmp_path: Path, handout: Path, width: int) -> dict[str, Any]:
    page = tmp_path / "frame.html"
    page.write_text(FRAME_PAGE.format(width=width, srcdoc=html.escape(
        handout.read_text(encoding="utf-8"), quote=True)), encoding="utf-8")
    proc = chrome(chromium, tmp_path / "profile", "--window-size=1000,1000",
                  "--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    found = re.search(r'<pre id="metrics">(.*?)</pre>', proc.stdout, re.S)
    assert found, proc.stdout[-2000:]
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return result


@pytest.fixture(scope="module")
def poppler() -> None:
    for tool in ("pdfinfo", "pdftotext"):
        if shutil.which(tool) is None:
            if os.environ.get("CI"):
                pytest.fail(f"{tool} is missing: .ci/run must install it (apt-get install "
                            "poppler-utils)")
            pytest.skip(f"{tool} is not installed (apt-get install poppler-utils); CI runs "
                        "these")


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return handout_pages.handouts(tmp_path_factory.mktemp("printed"))


def print_to_pdf(chromium: str, folder: Path, text: str, paper: str) -> Path:
    """The handout as Chromium prints it on `paper` (no header or footer of its own)."""
    page = folder / f"handout.{paper}.html"
    page.write_text(handout_pages.on_paper(text, paper), encoding="utf-8")
    pdf = folder / f"handout.{paper}.pdf"
    chrome(chromium, folder / "profile", f"--print-to-pdf={pdf}", "--no-pdf-header-footer",
           page.as_uri())
    return pdf


@pytest.mark.parametrize("paper", handout_pages.PAPERS)
def test_a_client_with_three_visits_prints_on_two_pages(
        chromium: str, poppler: None, printed: dict[str, str], tmp_path: Path,
        paper: str) -> None:
    # Issue 17: three pages on Letter, the third holding the footer alone.
    pdf = print_to_pdf(chromium, tmp_path, printed["visits-3"], paper)
    handout_pages.assert_pages(pdf, 2, f"three visits on {paper} (Chromium)")


@pytest.mark.slow
@pytest.mark.parametrize("paper", handout_pages.PAPERS)
@pytest.mark.parametrize("case", handout_pages.MOST_PAGES)
def test_every_handout_prints_on_few_pages_and_never_ends_near_empty(
        chromium: str, poppler: None, printed: dict[str, str], tmp_path: Path, case: str,
        paper: str) -> None:
    pdf = print_to_pdf(chromium, tmp_path, printed[case], paper)
    handout_pages.assert_pages(pdf, handout_pages.MOST_PAGES[case],
                               f"{case} on {paper} (Chromium)")


@pytest.mark.parametrize("case", ["both-legs-emergency", "client-history", "long-plan"])
def test_handout_fits_a_phone_and_loads_nothing(chromium: str, handouts: dict[str, Path],
                                                tmp_path: Path, case: str) -> None:
    m = metrics(chromium, tmp_path, handouts[case], PHONE_WIDTH)
    assert m["clientWidth"] == PHONE_WIDTH
    assert m["scrollWidth"] == PHONE_WIDTH
    assert m["overflowing"] == []
    assert m["resources"] == []
    assert m["charts"] == (2 if case == "client-history" else 0)
    assert m["smallestTextPx"] >= 11


@pytest.mark.parametrize("case", ["client-history", "long-plan"])
def test_print_rules_keep_paper_light_and_blocks_whole(chromium: str,
                                                       handouts: dict[str, Path],
                                                       tmp_path: Path, case: str) -> None:
    page = _variant(handouts[case], "print-rules", print_media=True)
    m = metrics(chromium, tmp_path, page, A4_PRINT_WIDTH)
    assert m["overflowing"] == []
    # Light tints only: nothing a printer would lay down as a dark block.
    assert m["darkestBackground"] >= 0.85
    present = {sel: v for sel, v in m["breakInside"].items() if v}
    assert present == {sel: ["avoid"] for sel in present}
    assert ".rec" in present and "table" in present
    # 9 pt on paper is 12 px here; footnote-size sources may go down to 9 px, no lower.
    assert m["smallestTextPx"] >= 9
