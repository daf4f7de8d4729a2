"""The HTML handout as a PDF, through WeasyPrint (the optional extra `backpain[pdf]`).

The PDF is the HTML handout itself, laid out by its print stylesheet: one source of truth
for what a client is handed, whether printed from a browser or sent as a file. WeasyPrint
is imported here only, so no other command (nor any other format) pays for it or needs it.

The handout is self-contained, so a PDF needs nothing from outside: every URL WeasyPrint
would fetch (an image, a stylesheet, a font; on the network or on disk) is refused, and a
handout that asks for one is an error rather than a PDF missing part of its content.
"""

from __future__ import annotations

from typing import Any

from ..errors import BackpainError
from . import html
from .formats import ExportItem

INSTALL_HINT = "PDF export needs WeasyPrint: pip install 'backpain[pdf]'"
# The paper of every PDF, from the `paper` setting. WeasyPrint's own default is A4 as well;
# said here so that a change of default there does not change the handout's paper.
PAPERS = {"a4": "@page { size: A4; }", "letter": "@page { size: letter; }"}
DEFAULT_PAPER = "a4"


class PdfUnavailableError(BackpainError):
    """WeasyPrint (or the system libraries it loads) is not installed."""


class ExternalResourceError(BackpainError):
    """The handout asked for a URL; a PDF export fetches nothing."""

    def __init__(self, url: str) -> None:
        shown = url if len(url) <= 80 else f"{url[:77]}..."
        super().__init__(f"the handout refers to an outside resource ({shown}); "
                         "PDF export fetches nothing, so no PDF was written")


def _weasyprint() -> Any:
    try:
        # The [pdf] extra (about 150 ms of imports): only a PDF needs it.
        import weasyprint
    except ImportError:
        raise PdfUnavailableError(INSTALL_HINT) from None
    except OSError:
        # WeasyPrint is there but Pango, which it loads at import, is not.
        raise PdfUnavailableError(
            "PDF export needs the Pango library that WeasyPrint uses; install it from your "
            "system's packages (Debian and Ubuntu: apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0)") from None
    return weasyprint


def render(handout: str, paper: str = DEFAULT_PAPER) -> bytes:
    """The PDF of one handout (the HTML as `html.render` gives it), or of another page
    (a letter, a report), on `paper` (a key of PAPERS)."""
    page_css = PAPERS[paper]
    weasyprint = _weasyprint()
    # The [pdf] extra, as above.
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    refused: list[str] = []

    class RefuseEveryURL(URLFetcher):  # type: ignore[misc]
        # Fatal, so that WeasyPrint stops rather than logging the refusal and carrying on.
        def fetch(self, url: str, headers: object = None) -> None:
            refused.append(url)
            raise FatalURLFetchingError(url)

    fetcher = RefuseEveryURL()
    try:
        # PDF/UA-1: a tagged PDF (headings, lists, tables, figures with the SVG's <title> as
        # their alternative text) with its title and language, for screen readers; it adds
        # about 11 KB and no measurable time.
        pdf: bytes = weasyprint.HTML(string=handout, url_fetcher=fetcher).write_pdf(
            stylesheets=[weasyprint.CSS(string=page_css, url_fetcher=fetcher)],
            pdf_variant="pdf/ua-1")
    except FatalURLFetchingError:
        pass
    else:
        # Some of WeasyPrint's callers (an inline SVG's drawing) log a fatal error and carry
        # on; the refusal is recorded all the same.
        if not refused:
            return pdf
    raise ExternalResourceError(refused[0] if refused else "a URL")


def export(item: ExportItem) -> bytes:
    """`export --format pdf` (output/formats.py): the HTML handout (the client's, or with
    --detail full the practitioner's plan), laid out."""
    return render(html.export(item), item.paper)
