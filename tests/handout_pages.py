"""The printed handout's pages, in Chromium (test_export_browser) and WeasyPrint
(test_export_pdf), on A4 and Letter.

The handouts are made by the real rules: the worked examples, one of the longest plans the
rules give, and a client with 1, 3 and 6 visits (pain and disability falling, Oswestry at
every visit, so the handout draws both charts and the change table). A PDF is read back with
poppler: `pdfinfo` for its pages, `pdftotext` for what its last page holds.

Issue 17: a client with three visits printed on three pages, the third holding four lines
while page 2 had room, and the tests allowed three pages without looking at the last.
Until the handout redesign (whose page limits then apply) a handout takes at most two
pages, the longest plans (25 recommendations) three, and none ends on a near-empty page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import tomllib
from collections.abc import Mapping
from pathlib import Path

from backpain_cli.clinical.engine import build_plan
from backpain_cli.clinical.followup import build_history
from backpain_cli.clinical.questionnaire import AnswerValue, load_registry
from backpain_cli.output import html as html_doc
from backpain_cli.records.session import ModuleRef, Session
from backpain_cli.records.storage import save_session
from backpain_cli.records.targets import load_client

HERE = Path(__file__).parent
EXAMPLES = HERE / "data" / "examples"
LONG_PLAN = HERE / "golden" / "long-plan.answers.toml"
PAPERS = ("A4", "letter")
# The most pages each handout may take.
MOST_PAGES: dict[str, int] = {
    "both-legs-emergency": 1, "caesarean-infection-fever": 1, "cancer-cluster-same-day": 2,
    "desk-strain": 2, "followup-adherence": 2, "off-work-high-risk": 2,
    "older-vascular-falls": 2, "osteoporotic-fracture-cleared": 2,
    "postnatal-fever-same-day": 2, "postpartum-pelvic-girdle-6-weeks": 2,
    "pregnancy-30-weeks": 2, "spondylosis-co-manage": 2, "steroids-team-aware": 2,
    "visits-1": 2, "visits-3": 2, "visits-6": 2, "long-plan": 3,
}
# A last page with fewer lines of text than this is near-empty (issue 17's third page had
# four; the footer alone, next check, notice and session id, is three or four).
LEAST_LAST_PAGE_LINES = 12


def answers_of(path: Path) -> dict[str, AnswerValue]:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))["answers"]
    return {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}


def session_of(client: str, answers: Mapping[str, AnswerValue], created: dt.datetime,
               instruments: tuple[str, ...] = ()) -> Session:
    modules = load_registry(None).select(instruments)
    return Session(id=f"{created:%Y%m%dT%H%M%SZ}-{abs(hash(client)) % 16**6:06x}",
                   client=client, created=created, status="completed", answers=answers,
                   questionnaires=tuple(ModuleRef.of(m) for m in modules),
                   instruments=instruments, plan=build_plan(answers))


START = dt.datetime(2026, 9, 1, 9, 30, tzinfo=dt.UTC)


def client_handout(visits: int, home: Path) -> str:
    """The handout of the last of `visits` visits of one client, three weeks apart."""
    base = answers_of(EXAMPLES / "desk-strain.answers.toml")
    previous = None
    for visit in range(visits):
        pain = 8 - visit
        answers = {**base, "pain_now": pain, "pain_worst_week": min(pain + 2, 10),
                   **{f"odi_{i}": max(4 - visit // 2, 0) for i in range(1, 11)}}
        session = dataclasses.replace(
            session_of("JD-042", answers, START + dt.timedelta(days=21 * visit), ("odi",)),
            follows=previous)
        previous = save_session(session, root=home, new=True)[0].id
    completed = load_client("JD-042", root=home).completed
    assert len(completed) == visits
    return html_doc.render(completed[-1], build_history("JD-042", completed))


def handouts(folder: Path) -> dict[str, str]:
    """Every case of MOST_PAGES, as the exporter writes it, by name."""
    out = {p.name.removesuffix(".answers.toml"): html_doc.render(
        session_of("EX-1", answers_of(p), START)) for p in sorted(EXAMPLES.glob("*.answers.toml"))}
    out["long-plan"] = html_doc.render(session_of("LONG-1", answers_of(LONG_PLAN), START))
    for visits in (1, 3, 6):
        out[f"visits-{visits}"] = client_handout(visits, folder / f"home-{visits}")
    assert set(out) == set(MOST_PAGES)
    return out


def on_paper(text: str, paper: str) -> str:
    """The handout printed on `paper` (what a browser's print dialog chooses)."""
    return text.replace("</style>", f"@page {{ size: {paper}; }}</style>")


def pages_of(pdf: Path) -> int:
    proc = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=False,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    [pages] = [line.split()[1] for line in proc.stdout.splitlines()
               if line.startswith("Pages:")]
    return int(pages)


def lines_on_page(pdf: Path, page: int) -> int:
    proc = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-f", str(page), "-l",
                           str(page), str(pdf), "-"], capture_output=True, text=True,
                          check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return sum(1 for line in proc.stdout.splitlines() if line.strip())


def assert_pages(pdf: Path, most: int, what: str) -> None:
    """At most `most` pages, and a last page that is not near-empty."""
    pages = pages_of(pdf)
    last = lines_on_page(pdf, pages)
    where = f"{what}: {pages} pages, {last} lines on the last"
    assert 1 <= pages <= most, where
    if pages > 1:
        assert last >= LEAST_LAST_PAGE_LINES, where
