"""PDF briefs: the same self-contained HTML, drawn by headless Chromium and printed (Playwright ``page.pdf``).

The charts are drawn by the bundled plotly.js before printing (the page sets
``document.body.dataset.chartsReady``), so the PDF holds the same charts as vector graphics. Chromium runs
offline: every network request (http, https, websocket) is refused, and background networking, component
updates and first-run tasks are switched off. The browser is Debian's ``chromium`` (``apt-get install
chromium``), or the program named by ``$ENTAS_CHROMIUM``; Playwright's own browser downloads are not used.
The page is laid out at the printable width of A4 (186 mm at 96 dpi) so charts fit the paper.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from entas.progress import ProgressReporter
from entas.progress import report as report_progress
from entas.report.errors import ReportError

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-dev-shm-usage"]
PRINTABLE_WIDTH_PX = 703
"""A4 width (210 mm) less 12 mm margins each side, at 96 px per inch."""
CHART_TIMEOUT_MS = 60_000
_NETWORK = re.compile(r"^(https?|wss?|ftp)://")
_LIBRARY_CSS = """(() => {
  const style = document.getElementById("plotly.js-style-global");
  return style && style.sheet ? Array.from(style.sheet.cssRules, (rule) => rule.cssText).join("\\n") : "";
})()"""
__all__ = ["chromium_path", "write_pdfs"]


def chromium_path() -> str | None:
    """The Chromium executable to print with: ``$ENTAS_CHROMIUM``, else ``chromium`` or ``chromium-browser``."""
    chosen = os.environ.get("ENTAS_CHROMIUM")
    if chosen:
        return chosen if Path(chosen).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def write_pdfs(pages: Sequence[tuple[Path, Path]], *, progress: ProgressReporter | None = None) -> list[Path]:
    """Print each (HTML file, PDF file) pair with one browser page; return the PDF paths.

    Parsing the 4.8 MB plotly.js takes Chromium about 2.4 s, ten times what drawing and printing a brief
    takes, so the page evaluates it once and each brief is then loaded into the same page without its inline
    copy (``set_content`` rewrites the document but keeps the window, so ``Plotly`` stays defined). The style
    rules plotly.js adds to the document when it loads are carried into each brief. An HTML file that does not
    embed this plotly.js is opened as it is.

    Raises ``ReportError`` when Playwright or Chromium is missing, or a page's charts fail to draw.
    """
    executable = chromium_path()
    if executable is None:
        raise ReportError("PDF needs Chromium: install it (Debian: apt-get install chromium) or set $ENTAS_CHROMIUM "
                          "to its path; --format html works without it")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ReportError("PDF needs the playwright package: pip install playwright") from None
    from entas.report.html import plotly_js

    library = plotly_js()
    written: list[Path] = []
    report_progress(progress, "briefs (PDF)", 0, len(pages))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": PRINTABLE_WIDTH_PX, "height": 1000},
                                          java_script_enabled=True)
            page = context.new_page()
            page.route(_NETWORK, lambda route: route.abort())  # a self-contained page needs none
            page.emulate_media(media="print")
            try:
                page.set_content(f"<!DOCTYPE html><html><head><script>{library}</script></head><body></body></html>",
                                 wait_until="load")
                library_css = str(page.evaluate(_LIBRARY_CSS))
            except PlaywrightError as error:
                raise ReportError(f"plotly.js could not be loaded in Chromium: {error}") from None
            for html, pdf in pages:
                try:
                    text = html.read_text(encoding="utf-8")
                    if library in text and "<head>" in text:
                        text = text.replace(library, "", 1).replace(
                            "<head>", f'<head><style id="plotly.js-style-global">{library_css}</style>', 1)
                        page.set_content(text, wait_until="load")
                    else:
                        page.goto(html.resolve().as_uri(), wait_until="load")
                    page.wait_for_function("document.body.dataset.chartsReady !== undefined",
                                           timeout=CHART_TIMEOUT_MS)
                    state = page.evaluate("document.body.dataset.chartsReady")
                    if state != "1":
                        raise ReportError(f"{html}: the charts could not be drawn in Chromium")
                    pdf.parent.mkdir(parents=True, exist_ok=True)
                    page.pdf(path=str(pdf), format="A4", print_background=True,
                             margin={"top": "12mm", "bottom": "12mm", "left": "12mm", "right": "12mm"})
                except PlaywrightError as error:
                    raise ReportError(f"{html}: printing to PDF failed: {error}") from None
                written.append(pdf)
                report_progress(progress, "briefs (PDF)", len(written), len(pages))
        finally:
            browser.close()
    return written
