"""District and province briefs (HTML, PDF) in Bahasa Indonesia and English, with charts and maps that work offline.

``write_reports(home, areas, langs=..., formats=..., out=...)`` is what ``entas report`` runs: read the
current snapshots once (``inputs``), select each area's content (``sections``), render one self-contained
HTML file per area and language (``html``; charts and maps by the bundled plotly.js: ``charts``, ``maps``),
and print PDFs with headless Chromium (``pdf``). ``i18n`` (catalogs, locale-aware numbers and dates) is shared
with the web dashboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from entas.progress import ProgressReporter
from entas.progress import report as report_progress
from entas.report.errors import ReportError
from entas.report.i18n import check_language

__all__ = ["ReportError", "WrittenReport", "report_file_name", "write_reports"]


@dataclass(frozen=True)
class WrittenReport:
    """One file written: area, language, format and path."""

    area: str
    lang: str
    fmt: str
    path: Path


def report_file_name(area: str, lang: str, fmt: str) -> str:
    """``brief-64.08-id.html``: area code, language, format."""
    return f"brief-{area}-{lang}.{fmt}"


def write_reports(home: Path, areas: Sequence[str] | None, *, langs: Sequence[str] = ("id",),
                  formats: Sequence[str] = ("html",), out: Path, province: str = "64",
                  progress: ProgressReporter | None = None) -> list[WrittenReport]:
    """Write the briefs of ``areas`` (None: the province and all its districts) under ``out``.

    HTML is always written (the PDF is printed from it); ``formats`` says which files are reported back.
    ``progress`` hears of each HTML file written (step ``briefs (HTML)``) and each PDF printed (``briefs (PDF)``).
    """
    from entas.report.html import render_html
    from entas.report.inputs import load_inputs
    from entas.report.pdf import write_pdfs
    from entas.report.sections import area_report, report_areas

    for lang in langs:
        check_language(lang)
    unknown = sorted(set(formats) - {"html", "pdf"})
    if unknown:
        raise ReportError(f"unknown report format(s) {unknown}; use html or pdf")
    inputs = load_inputs(home, province=province)
    reports = [area_report(inputs, a) for a in (areas if areas else report_areas(inputs))]
    out.mkdir(parents=True, exist_ok=True)
    written: list[WrittenReport] = []
    to_print: list[tuple[Path, Path]] = []
    pages, rendered = len(reports) * len(langs), 0
    report_progress(progress, "briefs (HTML)", 0, pages)
    for report in reports:
        for lang in langs:
            html_path = out / report_file_name(report.code, lang, "html")
            html_path.write_text(render_html(report, lang), encoding="utf-8")
            rendered += 1
            report_progress(progress, "briefs (HTML)", rendered, pages)
            if "html" in formats:
                written.append(WrittenReport(report.code, lang, "html", html_path))
            if "pdf" in formats:
                pdf_path = out / report_file_name(report.code, lang, "pdf")
                to_print.append((html_path, pdf_path))
                written.append(WrittenReport(report.code, lang, "pdf", pdf_path))
    if to_print:
        write_pdfs(to_print, progress=progress)
    return written

