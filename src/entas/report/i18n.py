"""Languages of the reports and the dashboard: gettext catalogs and locale-aware numbers and dates (Babel).

Bahasa Indonesia (``id``) is the default, English (``en``) the other. Text is marked in English (the msgid) in
templates (``{{ _("...") }}``) and in Python (``N_("...")`` for labels looked up later, ``translator(lang)``
for text used at once); each language has a catalog ``entas/report/locales/<lang>/LC_MESSAGES/entas.po``
whose msgstr is shown. The ``.po`` files are read at run time with Babel and compiled in memory (no build
step: ``pip install -e .`` from a clean clone works as it is). A message without a translation falls back to
its English msgid; ``tests/report/test_i18n.py`` fails when one is missing from either catalog.

Numbers follow the locale (CLDR through Babel): ``fmt_percent(0.0611, "id")`` is ``6,11%``,
``fmt_number(1234567, "id")`` is ``1.234.567``; in English ``6.11%`` and ``1,234,567``. Rupiah amounts are
``Rp 1.234.567`` or, compact, ``Rp 43,1 miliar`` / ``Rp 43.1 billion``. Dates are the locale's long form
(``28 November 2026`` / ``November 28, 2026``).
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import math
from functools import lru_cache
from importlib import resources
from typing import Literal

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_compact_decimal, format_decimal, format_percent
from babel.support import Translations

from entas.report.errors import ReportError

Language = Literal["id", "en"]
LANGUAGES: tuple[Language, ...] = ("id", "en")
DEFAULT_LANGUAGE: Language = "id"
DOMAIN = "entas"
MISSING = "–"
"""Shown for a value that does not exist (null, NaN): a dash, not a zero."""
__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "N_", "catalog_path", "check_language", "fmt_date", "fmt_number",
           "fmt_percent", "fmt_rupiah", "translator"]


def N_(message: str) -> str:  # noqa: N802 -- the gettext convention for "mark for extraction, translate later"
    """Mark ``message`` for the catalogs without translating it now (labels looked up by key at render time)."""
    return message


def check_language(lang: str) -> Language:
    """``lang`` if it is one of ``LANGUAGES``; otherwise a ``ReportError`` naming the choices."""
    if lang not in LANGUAGES:
        raise ReportError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    return lang


def catalog_path(lang: str) -> resources.abc.Traversable:
    """Where the ``.po`` catalog of ``lang`` lives inside the installed package."""
    return resources.files("entas.report") / "locales" / check_language(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LANGUAGES))
def translator(lang: str) -> gettext.NullTranslations:
    """The gettext translations of ``lang`` (``gettext``, ``ngettext``; Jinja2's i18n extension takes them).

    Read from the packaged ``.po`` and compiled in memory; fuzzy entries are left out (they fall back to
    the English msgid), as ``msgfmt`` would.
    """
    path = catalog_path(lang)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def _locale(lang: str) -> Locale:
    return Locale.parse(check_language(lang))


def _missing(value: float | int | None) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def fmt_number(value: float | int | None, lang: str = DEFAULT_LANGUAGE, *, digits: int = 0) -> str:
    """``value`` with the locale's grouping and decimal signs and ``digits`` decimals (``1.234.567``)."""
    if value is None or _missing(value):
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


def fmt_percent(value: float | None, lang: str = DEFAULT_LANGUAGE, *, digits: int = 2) -> str:
    """A ratio (0.0611) as a percentage in the locale (``6,11%`` in Indonesian, ``6.11%`` in English)."""
    if value is None or _missing(value):
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    return format_percent(value, format=pattern, locale=_locale(lang))


def fmt_rupiah(value: float | int | None, lang: str = DEFAULT_LANGUAGE, *, compact: bool = False) -> str:
    """Rupiah: ``Rp 1.234.567``, or with ``compact`` ``Rp 43,1 miliar`` (``Rp 43.1 billion`` in English)."""
    if value is None or _missing(value):
        return MISSING
    if compact and abs(value) >= 1_000_000:
        return "Rp " + format_compact_decimal(value, format_type="long", locale=_locale(lang), fraction_digits=1)
    return "Rp " + fmt_number(round(value), lang)


def fmt_date(value: dt.date, lang: str = DEFAULT_LANGUAGE) -> str:
    """A date in the locale's long form (``28 November 2026``; ``November 28, 2026``)."""
    return format_date(value, format="long", locale=_locale(lang))
