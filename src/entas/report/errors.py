"""The error reports raise: a request that cannot be met (unknown area or language, no browser for the PDF)."""

from __future__ import annotations

from entas.errors import EntasError


class ReportError(EntasError):
    """A report that cannot be made: names the area, language, file or program that is missing or wrong."""
