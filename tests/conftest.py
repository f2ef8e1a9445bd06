"""Fixtures shared across the suite."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from entas.engine import connect
from entas.report.i18n import LANGUAGES, catalog_path

_PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%%")


@pytest.fixture(scope="session")
def spark() -> Any:
    """One local PySpark backend for the whole run (starting Spark takes ~10 s)."""
    return connect("pyspark")


def _translated_messages(package: Path) -> set[str]:
    """Check that every msgid a package uses (``_()`` in its templates, ``_()``/``N_()`` in its modules) is
    translated in every catalog with the same placeholders; return those msgids."""
    found: set[str] = set()
    for template in sorted((package / "templates").glob("*.j2")):
        with template.open("rb") as handle:  # a message with keyword arguments comes as (msgid, None, ...)
            messages = babel_extract(handle, ("_", "gettext"), [], {
                "extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"})
            found |= {m[0] if isinstance(m, tuple) else m for _, _, m, _ in messages}
    for module in sorted(package.glob("*.py")):
        with module.open("rb") as handle:
            found |= {m for _, _, m, _ in extract_python(handle, ["_", "N_", "gettext"], [], {})}
    used = {m for m in found if isinstance(m, str) and m}
    for lang in LANGUAGES:
        with catalog_path(lang).open("rb") as handle:
            catalog = read_po(handle)
        translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
        missing = sorted(used - set(translated))
        assert not missing, f"{lang}: untranslated messages: {missing}"
        for msgid in used:
            assert sorted(_PLACEHOLDER.findall(msgid)) == sorted(_PLACEHOLDER.findall(translated[msgid])), msgid
    return used


@pytest.fixture(scope="session")
def translated_messages() -> Callable[[Path], set[str]]:
    """The catalog check shared by the report and dashboard tests (``_translated_messages``)."""
    return _translated_messages
