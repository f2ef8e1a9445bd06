"""Area codes in two systems: Kemendagri (Ministry of Home Affairs) and BPS (Statistics Indonesia).

entas keys every area by its Kemendagri code with dots (``64.07.01.2001``). BPS codes agree at province
level but differ for some districts (in East Kalimantan: Kutai Barat BPS 6402 = Kemendagri 64.07, Kutai
Kartanegara 6403 = 64.02, Kutai Timur 6404 = 64.08, Berau 6405 = 64.03). The crosswalk is data with its
source (``data/kaltim_districts.csv``); a district with no crosswalk row is taken to share its code in
both systems.

Reading a code (``system="auto"``):

- dotted (``64.07``, ``64.07.01.2001``): Kemendagri.
- 2 digits: province (same in both systems).
- 4 digits undotted (``6402``): **BPS** district, as BPS tables print it; write ``64.02`` or
  ``kemendagri:6402`` for the Kemendagri district.
- 6 or 10 digits undotted (``640701``, ``6407012001``): Kemendagri subdistrict or village, as P3KE's
  ``kode_kemdagri`` and the NIK prefix carry them. BPS subdistrict and village codes (7 and 10 digits) have
  no official crosswalk and are not accepted; a 10-digit BPS village code is read as Kemendagri and then
  fails the existence check.
- a prefix ``bps:`` or ``kemendagri:`` forces the system.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources
from typing import Literal

import polars as pl

from entas.errors import AreaCodeError

CodeSystem = Literal["auto", "kemendagri", "bps"]
CROSSWALK_FILES = ("kaltim_districts.csv",)
_SEGMENT_LENGTHS = (2, 2, 2, 4)


@lru_cache(maxsize=1)
def district_crosswalk() -> dict[str, str]:
    """BPS district code (``6402``) -> Kemendagri district code (``64.07``), from the crosswalk files."""
    mapping: dict[str, str] = {}
    for name in CROSSWALK_FILES:
        text = resources.files("entas").joinpath("data", name).read_text(encoding="utf-8")
        for row in csv.DictReader(text.splitlines()):
            mapping[row["bps_code"].strip()] = row["kemendagri_code"].strip()
    return mapping


def bps_district_code(kemendagri_district: str) -> str:
    """The BPS code of a Kemendagri district (``64.07`` -> ``6402``)."""
    reverse = {kdn: bps for bps, kdn in district_crosswalk().items()}
    return reverse.get(kemendagri_district, kemendagri_district.replace(".", ""))


def _dotted(digits: str) -> str:
    parts, start = [], 0
    for length in _SEGMENT_LENGTHS:
        if start >= len(digits):
            break
        parts.append(digits[start : start + length])
        start += length
    return ".".join(parts)


def normalize_area_code(code: object, *, system: CodeSystem = "auto") -> str:
    """Return the dotted Kemendagri code for ``code`` written in either system (see the module docstring).

    Raises ``AreaCodeError`` for a malformed code; existence is checked against the area tree elsewhere.
    """
    text = str(code).strip()
    lowered = text.lower()
    for prefix, forced in (("bps:", "bps"), ("kemendagri:", "kemendagri"), ("kdn:", "kemendagri")):
        if lowered.startswith(prefix):
            text, system = text[len(prefix) :].strip(), forced  # type: ignore[assignment]
            break
    if "." in text:
        segments = text.split(".")
        valid = len(segments) <= 4 and all(
            seg.isdigit() and len(seg) == _SEGMENT_LENGTHS[i] for i, seg in enumerate(segments)
        )
        if not valid:
            raise AreaCodeError(f"malformed area code {text!r}: expected 64, 64.07, 64.07.01 or 64.07.01.2001")
        if system == "bps":
            raise AreaCodeError(f"area code {text!r} has dots, which BPS codes never have")
        return text
    if not text.isdigit() or len(text) not in (2, 4, 6, 10):
        raise AreaCodeError(
            f"malformed area code {text!r}: expected 2 (province), 4 (district), 6 (subdistrict) "
            "or 10 (village) digits, or the dotted Kemendagri form"
        )
    as_bps = system == "bps" or (system == "auto" and len(text) == 4)
    if as_bps:
        if len(text) > 4:
            raise AreaCodeError(
                f"BPS code {text!r}: only BPS province and district codes have an official crosswalk"
            )
        if len(text) == 4:
            return district_crosswalk().get(text, _dotted(text))
    return _dotted(text)


def normalize_area_code_column(codes: pl.Expr) -> pl.Expr:
    """Vectorized ``normalize_area_code`` for a column of village or subdistrict codes.

    Undotted 6- and 10-digit codes become dotted Kemendagri codes; 4-digit codes are read as BPS districts
    and crosswalked; dotted codes are kept. A malformed code becomes null, for the caller to reject.
    """
    text = codes.cast(pl.Utf8).str.strip_chars()
    digits = text.str.replace_all(r"\.", "")
    dotted_ok = text.str.contains(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
    plain_ok = text.str.contains(r"^(\d{2}|\d{4}|\d{6}|\d{10})$")
    rebuilt = (
        pl.when(digits.str.len_chars() == 2)
        .then(digits)
        .when(digits.str.len_chars() == 4)
        .then(digits.str.slice(0, 2) + "." + digits.str.slice(2, 2))
        .when(digits.str.len_chars() == 6)
        .then(digits.str.slice(0, 2) + "." + digits.str.slice(2, 2) + "." + digits.str.slice(4, 2))
        .otherwise(
            digits.str.slice(0, 2) + "." + digits.str.slice(2, 2) + "." + digits.str.slice(4, 2) + "."
            + digits.str.slice(6, 4)
        )
    )
    crosswalked = pl.when(text.str.len_chars() == 4).then(
        text.replace_strict(district_crosswalk(), default=rebuilt, return_dtype=pl.Utf8)
    ).otherwise(rebuilt)
    return pl.when(dotted_ok).then(text).when(plain_ok).then(crosswalked).otherwise(None)
