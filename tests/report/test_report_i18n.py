"""Languages of the reports: numbers and dates in the locale's format, complete catalogs in both languages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

import entas.report
from entas.report.errors import ReportError
from entas.report.i18n import LANGUAGES, fmt_date, fmt_number, fmt_percent, fmt_rupiah, translator

PACKAGE = Path(entas.report.__file__).parent


def test_indonesian_numbers_use_comma_decimals_and_dot_grouping() -> None:
    assert fmt_percent(0.0611, "id") == "6,11%"
    assert fmt_number(1234567, "id") == "1.234.567"
    assert fmt_number(12.345, "id", digits=1) == "12,3"
    assert fmt_rupiah(1234567, "id") == "Rp 1.234.567"
    assert fmt_rupiah(43_050_800_000, "id", compact=True) == "Rp 43,1 miliar"
    assert fmt_date(dt.date(2026, 11, 28), "id") == "28 November 2026"


def test_english_numbers_use_dot_decimals_and_comma_grouping() -> None:
    assert fmt_percent(0.0611, "en") == "6.11%"
    assert fmt_number(1234567, "en") == "1,234,567"
    assert fmt_rupiah(43_050_800_000, "en", compact=True) == "Rp 43.1 billion"
    assert fmt_date(dt.date(2026, 11, 28), "en") == "November 28, 2026"


def test_missing_values_show_a_dash_not_zero() -> None:
    assert fmt_percent(None, "id") == fmt_number(float("nan"), "en") == fmt_rupiah(None, "en") == "–"


def test_an_unknown_language_is_refused_with_the_choices() -> None:
    with pytest.raises(ReportError, match="use one of id, en"):
        translator("fr")


def test_every_message_in_templates_and_code_is_translated_in_both_catalogs(
        translated_messages: Callable[[Path], set[str]]) -> None:
    used = translated_messages(PACKAGE)
    assert len(used) > 80  # the extraction found the templates' text, not nothing
    assert "Made on %(date)s with entas %(version)s." in used  # messages with placeholders are checked too


def test_indonesian_is_translated_and_english_keeps_the_msgid() -> None:
    assert translator("id").gettext("Headline figures") == "Angka utama"
    assert translator("en").gettext("Headline figures") == "Headline figures"


def test_catalogs_are_package_data() -> None:
    for lang in LANGUAGES:
        assert (resources.files("entas.report") / "locales" / lang / "LC_MESSAGES" / "entas.po").is_file()
