"""By-name assignment lists: who gets which program, per stakeholder and district, as Parquet, CSV or Excel.

A plan names households by id; the people who deliver need the family head's name and where to find the
family. ``assignment_list`` joins the plan with the registry (village, head's name and NIK) and the catalog
(program names, strategy, responsible agency = the stakeholder that delivers, funder type). Personal data is
shown as asked: ``masked`` (default: NIK ``6407**********01``, the name kept -- officers visit by name),
``full`` (for a role allowed to see it), or ``none`` (ids only). ``write_lists`` writes one file per
(stakeholder, district); Excel files have a frozen header, filters and a sheet explaining the columns.

Personal data goes into these files only: never into logs or the plan snapshot (which keeps ids).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import polars as pl

from entas.errors import PlanError
from entas.plan.candidates import program_table
from entas.programs.catalog import Program
from entas.registry.nik import mask_nik

Personal = Literal["masked", "full", "none"]
ListFormat = Literal["parquet", "csv", "xlsx"]
COLUMNS: dict[str, str] = {
    "district_code": "District (kabupaten/kota) code",
    "village_code": "Village (desa/kelurahan) code",
    "household_id": "Family id in the registry (id keluarga)",
    "head_name": "Name of the family head (nama kepala keluarga)",
    "head_nik": "NIK of the family head (masked unless the role allows it)",
    "household_size": "Members of the family",
    "program": "Program code",
    "program_name": "Program (nama program)",
    "strategy": "Strategy: expenditure_burden, income or pockets (Inpres 4/2022)",
    "stakeholder": "Agency responsible for delivering (penanggung jawab)",
    "funder_type": "Who pays: state budget, provincial/district budget, village fund, CSR, other",
    "cost_rp": "Cost of this assignment, rupiah a year (unit cost incl. delivery)",
    "effect_rp_pc_month": "Expected effect on consumption per capita per month (take-up inside)",
    "reason": "Why the plan chose it",
    "plan_item_id": "Plan item in the ledger (record deliveries against it)",
    "plan_id": "Plan the item comes from",
}

__all__ = ["COLUMNS", "assignment_list", "write_lists"]


def assignment_list(plan: pl.DataFrame, households: pl.DataFrame, members: pl.DataFrame,
                    programs: Sequence[Program], *, personal: Personal = "masked") -> pl.DataFrame:
    """The plan's assignments with village, head of family and program details; see the module docstring."""
    if personal not in ("masked", "full", "none"):
        raise PlanError(f"personal must be masked, full or none, not {personal!r}")
    table = program_table(programs).select("program", "strategy", "funder_type", program_name="name_id")
    stakeholders = pl.DataFrame({"program": [p.code for p in programs],
                                 "stakeholder": [p.responsible for p in programs]})
    out = plan.select("household_id", "district_code", "program", "cost_rp", "effect_rp_pc_month", "reason")
    out = out.join(households.select("household_id", "village_code", "household_size"), on="household_id",
                   how="left").join(table, on="program", how="left").join(stakeholders, on="program", how="left")
    if personal != "none":
        heads = (members.filter(pl.col("relation_to_head") == "head").unique("household_id", keep="first")
                 .select("household_id", head_name="name",
                         head_nik=mask_nik(pl.col("nik")) if personal == "masked" else pl.col("nik")))
        out = out.join(heads, on="household_id", how="left")
    return out.select([c for c in COLUMNS if c in out.columns]).sort("stakeholder", "district_code", "village_code",
                                                                     "household_id", "program")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()[:60] or "x"


def write_lists(frame: pl.DataFrame, folder: Path | str, *, fmt: ListFormat = "xlsx") -> pl.DataFrame:
    """One file per (stakeholder, district) under ``folder``; returns ``stakeholder, district_code, file, rows``."""
    if fmt not in ("parquet", "csv", "xlsx"):
        raise PlanError(f"list format must be parquet, csv or xlsx, not {fmt!r}")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for (stakeholder, district), part in frame.group_by("stakeholder", "district_code", maintain_order=True):
        path = out / f"{_slug(str(stakeholder))}__{str(district).replace('.', '')}.{fmt}"
        if fmt == "parquet":
            part.write_parquet(path)
        elif fmt == "csv":
            part.write_csv(path)
        else:
            _write_excel(part, path, title=f"{stakeholder} - {district}")
        written.append({"stakeholder": str(stakeholder), "district_code": str(district), "file": str(path),
                        "rows": part.height})
    return pl.DataFrame(written, schema={"stakeholder": pl.Utf8, "district_code": pl.Utf8, "file": pl.Utf8,
                                         "rows": pl.Int64})


def _write_excel(frame: pl.DataFrame, path: Path, *, title: str) -> None:
    """Sheet ``daftar`` (frozen header, filters) and sheet ``keterangan`` explaining every column."""
    from entas.xlsx import write_xlsx

    notes = pl.DataFrame({"column": [*frame.columns, "list", "note"],
                          "meaning": [*(COLUMNS.get(c, "") for c in frame.columns), title,
                                      "Personal data: handle under the province's data-protection rules; "
                                      "do not forward."]})
    write_xlsx({"daftar": frame, "keterangan": notes}, path, filters=("daftar",))
