"""A small valid registry built by hand on real East Kalimantan villages, as an export would carry it (text).

Each household has a head, a spouse and a child; NIKs are invented but valid in form: the village's
subdistrict prefix, the birth date (day + 40 for women) and a serial number.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

MESSY = Path(__file__).parents[1] / "fixtures" / "messy"
MESSY_FILES = ("households_latin1.csv", "members_semicolon.csv", "p3ke_export.xlsx", "households_extra.parquet")
VILLAGES = ("64.72.01.1001", "64.01.01.2009", "64.07.05.2008", "64.71.01.1001")
PEOPLE = (  # relation, sex, birth date
    ("head", "male", "1980-05-12"),
    ("spouse", "female", "1983-08-21"),
    ("child", "female", "2010-01-30"),
)


def make_nik(village: str, born: str, sex: str, serial: int) -> str:
    """A well-formed NIK for someone registered in ``village``'s subdistrict."""
    date = dt.date.fromisoformat(born)
    day = date.day + (40 if sex == "female" else 0)
    return f"{village.replace('.', '')[:6]}{day:02d}{date.month:02d}{date.year % 100:02d}{serial:04d}"


def valid_registry(
    n_households: int = 4, *, prefix: str = "H", serial_offset: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(households, members) as text frames with English headers; every row passes every rule.

    Use another ``prefix`` and ``serial_offset`` for a second, disjoint set (other ids, other NIKs).
    """
    households = []
    members = []
    for i in range(n_households):
        household_id = f"{prefix}{i + 1:04d}"
        village = VILLAGES[i % len(VILLAGES)]
        households.append({
            "household_id": household_id,
            "village_code": village,
            "address": f"Jl. Mawar No. {i + 1}",
            "welfare_decile": str(i % 10 + 1),
            "household_size": str(len(PEOPLE)),
            "house_ownership": "own",
            "floor_area_m2": "36.5",
            "has_savings": "tidak",
        })
        for j, (relation, sex, born) in enumerate(PEOPLE):
            serial = serial_offset + i * len(PEOPLE) + j + 1
            members.append({
                "household_id": household_id,
                "member_id": str(j + 1),
                "nik": make_nik(village, born, sex, serial),
                "name": f"Warga {household_id}-{j + 1}",
                "sex": sex,
                "birth_date": born,
                "relation_to_head": relation,
                "education": "SD",
            })
    return pl.DataFrame(households), pl.DataFrame(members)


def write_csv_pair(folder: Path, households: pl.DataFrame, members: pl.DataFrame) -> list[Path]:
    """Write the pair as CSV files and return their paths (households first)."""
    folder.mkdir(parents=True, exist_ok=True)
    hh, mm = folder / "households.csv", folder / "members.csv"
    households.write_csv(hh)
    members.write_csv(mm)
    return [hh, mm]
