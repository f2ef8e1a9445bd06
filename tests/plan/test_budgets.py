"""Budget files: the shipped default reads cleanly; bad files fail naming the file, row and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from entas.errors import PlanError
from entas.plan.budgets import DEFAULT_BUDGETS, load_budgets
from entas.programs.catalog import load_catalog

HEADER = "kind,key,budget_rp,quota_households,funder,status,source\n"


def test_the_default_budgets_cover_the_catalog_and_carry_sources() -> None:
    codes = [p.code for p in load_catalog()]
    budgets = load_budgets(programs=codes)
    assert sorted(budgets.filter(budgets["kind"] == "program")["key"].to_list()) == sorted(codes)
    assert budgets["source"].null_count() == 0 and set(budgets["status"]) <= {"sourced", "assumption"}
    csr = budgets.filter(budgets["key"] == "rumah_layak_huni_csr").row(0, named=True)
    assert csr["quota_households"] == 122 and csr["status"] == "sourced"
    assert DEFAULT_BUDGETS.exists()


@pytest.mark.parametrize("line,message", [
    ("program,pkh,-5,,,assumption,x", "row 3, field budget_rp: is negative"),
    ("program,pkh,12x,,,assumption,x", "row 3, field budget_rp: is not a number"),
    ("grant,pkh,5,,,assumption,x", "row 3, field kind"),
    ("program,pkh,5,,,,", "row 3, field source"),
    ("program,pkh,5,,,maybe,x", "row 3, field status"),
    ("program,nope,5,,,assumption,x", "row 3, field key: is not a program"),
    ("program,sembako,5,,,assumption,x", "row 2, field key: repeats"),
])
def test_bad_rows_name_the_file_row_and_field(tmp_path: Path, line: str, message: str) -> None:
    file = tmp_path / "b.csv"
    file.write_text(HEADER + "program,sembako,1_000,,,assumption,x\n" + line + "\n")
    with pytest.raises(PlanError, match=message) as error:
        load_budgets(file, programs=["pkh", "sembako"])
    assert str(file) in str(error.value)


def test_unreadable_and_unknown_columns(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="no such budget file"):
        load_budgets(tmp_path / "none.csv")
    odd = tmp_path / "b.csv"
    odd.write_text("kind,key,money\nprogram,pkh,5\n")
    with pytest.raises(PlanError, match="unknown column"):
        load_budgets(odd)
    text = tmp_path / "b.txt"
    text.write_text("x")
    with pytest.raises(PlanError, match=r"\.csv or \.xlsx"):
        load_budgets(text)
