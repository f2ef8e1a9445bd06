"""entas.plan.least_budget: the least budget to zero (or a threshold) by district, on cases solved by hand."""

from __future__ import annotations

import polars as pl
import pytest

from entas.errors import PlanError
from entas.plan.least_budget import least_budget


def hand_case() -> pl.DataFrame:
    """H1 needs A+B (Rp 1.5M); H2 is lifted by B alone (Rp 0.5M, cheaper than A); H3's gap exceeds A."""
    rows = [("H1", "64.01", "A", "income", "district_budget", 1e6, 60_000.0, 400_000.0, 2.0),
            ("H1", "64.01", "B", "expenditure_burden", "state_budget", 5e5, 50_000.0, 400_000.0, 2.0),
            ("H2", "64.01", "A", "income", "district_budget", 1e6, 60_000.0, 480_000.0, 3.0),
            ("H2", "64.01", "B", "expenditure_burden", "state_budget", 5e5, 50_000.0, 480_000.0, 3.0),
            ("H3", "64.02", "A", "income", "district_budget", 1e6, 60_000.0, 300_000.0, 4.0)]
    return pl.DataFrame(rows, orient="row", schema=["household_id", "district_code", "program", "strategy",
                                                     "funder_type", "cost_rp", "effect_rp_pc_month",
                                                     "welfare_rp_month", "household_size"]).with_columns(
        line_rp_month=pl.lit(500_000.0))


def test_least_budget_to_zero_by_hand() -> None:
    got = least_budget(hand_case())
    d1, d2, province = got.row(0, named=True), got.row(1, named=True), got.row(2, named=True)
    assert d1["budget_rp"] == 2e6 and d1["after"] == 0 and d1["reached"] and d1["households"] == 2
    assert d1["expenditure_burden_rp"] == 1e6 and d1["income_rp"] == 1e6 and d1["pockets_rp"] == 0
    assert d1["funder_state_budget_rp"] == 1e6 and d1["funder_district_budget_rp"] == 1e6
    assert d2["budget_rp"] is None and not d2["reached"] and d2["floor"] == 4 and d2["after"] == 4
    assert province["district_code"] == "64" and not province["reached"] and province["budget_rp"] is None
    assert province["before"] == 9 and province["floor"] == 4
    assert d1["budget_near_floor_rp"] == 2e6 and d2["budget_near_floor_rp"] == 0.0  # 99% of 5 persons needs both
    assert province["budget_near_floor_rp"] == 2e6


def test_a_threshold_buys_the_most_persons_per_rupiah_first() -> None:
    got = least_budget(hand_case(), threshold=2.0)
    d1 = got.row(0, named=True)
    assert d1["budget_rp"] == 5e5 and d1["after"] == 2 and d1["households"] == 1
    rate = least_budget(hand_case(), threshold_rate=0.5,
                        population=pl.DataFrame({"district_code": ["64.01", "64.02"], "persons": [4.0, 8.0]}))
    assert rate.row(0, named=True)["budget_rp"] == 5e5  # target 2 persons in 64.01
    assert rate.row(1, named=True)["reached"] and rate.row(1, named=True)["budget_rp"] == 0.0  # 4 <= 4


def test_the_gap_objective_and_errors() -> None:
    got = least_budget(hand_case(), objective="gap")
    d1 = got.row(0, named=True)
    # gaps 0.2 x 2 + 0.04 x 3 persons; H2 needs 20k: B alone (50k) closes it; H1 needs A and B
    assert d1["before"] == pytest.approx(0.52) and d1["after"] == pytest.approx(0.0, abs=1e-12)
    assert d1["budget_rp"] == pytest.approx(2e6)
    with pytest.raises(PlanError, match="population"):
        least_budget(hand_case(), threshold_rate=0.1)
    with pytest.raises(PlanError, match="threshold"):
        least_budget(hand_case(), threshold=-1.0)
