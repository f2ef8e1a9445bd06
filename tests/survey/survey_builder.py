"""A small valid survey round built by hand: two strata, two PSUs each, households with members."""

from __future__ import annotations

from pathlib import Path

import polars as pl


def survey_round(period: str = "2024-03", district: str = "6402") -> tuple[pl.DataFrame, pl.DataFrame]:
    """(survey households, survey members) as text; ``district`` as BPS prints it (6402 = Kutai Barat)."""
    households = []
    members = []
    for i in range(8):
        household_id = f"S{i + 1:03d}"
        households.append({
            "household_id": household_id, "survey_period": period, "district_code": district,
            "urban": "tidak", "stratum": f"ST{i // 4}", "psu": f"BS{i // 2}", "weight": "120.5",
            "household_size": "2", "consumption_pc_rp_month": str(600000 + 10000 * i),
        })
        members.extend([
            {"household_id": household_id, "member_id": "1", "sex": "L", "birth_date": "1975-01-01",
             "relation_to_head": "kepala keluarga"},
            {"household_id": household_id, "member_id": "2", "sex": "P", "birth_date": "1978-02-02",
             "relation_to_head": "istri"},
        ])
    return pl.DataFrame(households), pl.DataFrame(members)


def write_round(folder: Path, households: pl.DataFrame, members: pl.DataFrame | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "survey_households.csv"]
    households.write_csv(paths[0])
    if members is not None:
        paths.append(folder / "survey_members.csv")
        members.write_csv(paths[1])
    return paths
