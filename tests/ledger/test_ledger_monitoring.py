"""Monitoring on a hand-made example: 12 extreme-poor households, a few deliveries, answers computed by hand.

Households h0..h5 lie in district 64.02, o0..o5 in 64.72 (all twelve extreme poor). Deliveries: h0 PKH by
CSR-A (2025-02-01) and by CSR-B (2025-03-15, the same quarter: a duplicate); h1 micro credit (income);
h2 a CSR house only planned; h3 PKH delivered then cancelled; o0 BSPS (pockets) verified. Status: h4
graduated, o5 moved. By hand:

- 64.02: reached by expenditure_burden {h0} = 1, income {h1} = 1, pockets none, any {h0, h1} = 2 of 6;
- 64.72: pockets {o0} = 1, any 1 of 6;
- untouched: h2, h3, h5 and o1..o4 (h4 graduated, o5 moved are left out) = 7;
- progress on 2025-12-15 towards 2026: 12 months left, remaining 12 - 1 graduated - 1 moved = 10.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from ops_world import World

from entas.ledger import coverage, duplicates, graduation, progress, public_aggregates, untouched
from entas.ledger.public import suppress
from entas.ops import InterventionRequest


def _example(world: World) -> pl.DataFrame:
    admin = world.access["admin"]
    h, o = world.home_ids, world.other_ids

    def post(key: str, household: str, program: str, stakeholder: str, day: dt.date | None,
             status: str = "delivered") -> int:
        return int(admin.record_intervention(InterventionRequest(
            key, household, program, stakeholder=stakeholder, status=status, delivered_on=day)).intervention["id"])

    post("a", h[0], "pkh", "ID-CSR-A", dt.date(2025, 2, 1))
    post("b", h[0], "pkh", "ID-CSR-B", dt.date(2025, 3, 15))
    post("c", h[1], "micro_credit", "ID-CSR-B", dt.date(2025, 1, 10))
    post("d", h[2], "rumah_layak_huni_csr", "ID-CSR-A", None, status="planned")
    admin.set_intervention_status(post("e", h[3], "pkh", "ID-CSR-B", dt.date(2025, 4, 1)), "cancelled")
    admin.set_intervention_status(post("f", o[0], "bsps", "ID-KMD-64.02-DINSOS", dt.date(2025, 5, 2)), "verified")
    admin.set_household_status(h[4], "graduated", since=dt.date(2025, 9, 1))
    admin.set_household_status(o[5], "moved", since=dt.date(2025, 9, 1))
    ids = h + o
    return pl.DataFrame({"household_id": ids, "village_code": [world.store.village_of(x) for x in ids]})


def test_coverage_by_strategy_and_district(world: World) -> None:
    extreme = _example(world)
    table = coverage(world.access["admin"], extreme=extreme)
    got = {(r["area"], r["strategy"]): (r["reached"], r["extreme_poor"]) for r in table.iter_rows(named=True)}
    assert got == {
        ("64.02", "expenditure_burden"): (1, 6), ("64.02", "income"): (1, 6), ("64.02", "pockets"): (0, 6),
        ("64.02", "any"): (2, 6), ("64.72", "expenditure_burden"): (0, 6), ("64.72", "income"): (0, 6),
        ("64.72", "pockets"): (1, 6), ("64.72", "any"): (1, 6)}
    assert table.filter(pl.col("area") == "64.02", pl.col("strategy") == "any")["coverage"][0] == pytest.approx(2 / 6)
    officer = coverage(world.access["district_officer"], extreme=extreme)
    assert officer["area"].unique().to_list() == ["64.02"]  # the officer's scope only


def test_untouched_duplicates_graduation_and_progress(world: World) -> None:
    extreme = _example(world)
    admin = world.access["admin"]
    h, o = world.home_ids, world.other_ids
    assert sorted(untouched(admin, extreme=extreme)["household_id"]) == sorted([h[2], h[3], h[5], *o[1:5]])
    twice = duplicates(admin)
    assert twice.select("household_id", "program", "period", "stakeholder_list").rows() == [
        (h[0], "pkh", "2025-Q1", "ID-CSR-A,ID-CSR-B")]
    assert duplicates(admin, period="month").height == 0
    grads = {r["area"]: r for r in graduation(admin, extreme=extreme).iter_rows(named=True)}
    assert (grads["64.02"]["graduated"], grads["64.72"]["moved"]) == (1, 1)
    assert grads["64.02"]["graduation_rate"] == pytest.approx(1 / 6)
    row = progress(admin, extreme=extreme, as_of=dt.date(2025, 12, 15)).row(0, named=True)
    assert (row["area"], row["extreme_poor"], row["reached_any"], row["graduated"], row["exited"]) == (
        "64", 12, 3, 1, 1)
    assert (row["remaining"], row["months_left"]) == (10, 12)
    assert row["needed_per_month"] == pytest.approx(10 / 12)


def test_public_aggregates_hide_small_cells(world: World) -> None:
    extreme = _example(world)
    public = public_aggregates(world.access["public"], extreme=extreme, k=10)  # the public role may call it
    assert public["extreme_poor"].null_count() == 2  # 6 and 6 households: both below k
    assert public.select("reached_any", "graduated").null_count().row(0) == (2, 2)
    shown = public_aggregates(world.access["public"], extreme=extreme, k=1)
    assert shown.select("area", "extreme_poor", "reached_any", "graduated").rows() == [
        ("64.02", 6, 2, 1), ("64.72", 6, 1, 0)]


def test_suppression_rules_on_a_hand_table() -> None:
    """k = 10. B (5) is a small cell; C's reached (28 of 30) leaves 2 unreached, found by differencing;
    B alone suppressed in the total column, so its smallest non-zero neighbour (C, 30) goes too; zero shows."""
    counts = pl.DataFrame({"area": ["A", "B", "C", "D"], "extreme_poor": [50, 5, 30, 40],
                           "reached_any": [20, 3, 28, 0]})
    out = suppress(counts, k=10, columns=("reached_any",))
    assert out["extreme_poor"].to_list() == [50, None, None, 40]
    assert out["reached_any"].to_list() == [20, None, None, 0]
    assert out["reached_any_share"].to_list()[0] == pytest.approx(0.4)
    assert out["suppressed"].to_list() == [0, 2, 2, 0]
