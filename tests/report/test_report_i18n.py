"""Languages of the reports: numbers and dates in the locale's format, complete catalogs in both languages."""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

import entas.report
from entas.report.errors import ReportError
from entas.report.i18n import LANGUAGES, catalog_path, fmt_date, fmt_number, fmt_percent, fmt_rupiah, translator

PACKAGE = Path(entas.report.__file__).parent
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%%")


def _used_messages() -> set[str]:
    """Every msgid the report uses: ``_()`` in the templates, ``_()``/``N_()`` in the report's Python modules."""
    found: set[str] = set()
    for template in sorted((PACKAGE / "templates").glob("*.j2")):
        with template.open("rb") as handle:  # a message with keyword arguments comes as (msgid, None, ...)
            messages = babel_extract(handle, ("_", "gettext"), [], {
                "extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"})
            found |= {m[0] if isinstance(m, tuple) else m for _, _, m, _ in messages}
    for module in sorted(PACKAGE.glob("*.py")):
        with module.open("rb") as handle:
            found |= {m for _, _, m, _ in extract_python(handle, ["_", "N_", "gettext"], [], {})}
    return {m for m in found if isinstance(m, str) and m}


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


def test_every_message_in_templates_and_code_is_translated_in_both_catalogs() -> None:
    used = _used_messages()
    assert len(used) > 80  # the extraction found the templates' text, not nothing
    assert "Made on %(date)s with entas %(version)s." in used  # messages with placeholders are checked too
    for lang in LANGUAGES:
        with catalog_path(lang).open("rb") as handle:
            catalog = read_po(handle)
        translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
        missing = sorted(used - set(translated))
        assert not missing, f"{lang}: untranslated messages: {missing}"
        for msgid in used:
            assert sorted(_PLACEHOLDER.findall(msgid)) == sorted(_PLACEHOLDER.findall(translated[msgid])), msgid


def test_indonesian_is_translated_and_english_keeps_the_msgid() -> None:
    assert translator("id").gettext("Headline figures") == "Angka utama"
    assert translator("en").gettext("Headline figures") == "Headline figures"


def test_catalogs_are_package_data() -> None:
    for lang in LANGUAGES:
        assert (resources.files("entas.report") / "locales" / lang / "LC_MESSAGES" / "entas.po").is_file()
