"""entas.pockets.pocket_list: ranking, strategies, place needs, the Public Works rule and the comparison.

Small hand-made frames whose ranking and strategies are worked out by hand in each test; ``place_needs`` is
checked against a direct Polars recomputation of the indicator columns.
"""

from __future__ import annotations

import polars as pl
import pytest

from entas.engine import connect, register
from entas.errors import SmallAreaError
from entas.pockets.pocket_list import compare_selections, place_needs, pocket_list, public_works_selection


def small_area(rows: list[tuple[str, float, float, float]]) -> pl.DataFrame:
    """EBP-shaped estimates: (area, extreme rate, national rate, persons); RMSE a tenth of the rate."""
    out = []
    for area, extreme, national, persons in rows:
        for line, rate in (("extreme", extreme), ("national", national)):
            out.append({"area": area, "measure": "headcount_ratio", "line": line, "estimate": rate,
                        "mse": (rate / 10) ** 2, "persons": persons})
            out.append({"area": area, "measure": "poverty_gap", "line": line, "estimate": rate / 3,
                        "mse": None, "persons": persons})
    return pl.DataFrame(out)


def needs(rows: list[tuple[str, float, float, float, float, int]]) -> pl.DataFrame:
    """(area, lacking water, sanitation, electricity, decent house, uninhabitable houses)."""
    return pl.DataFrame(rows, schema=["area_code", "lacking_water", "lacking_sanitation", "lacking_electricity",
                                      "lacking_decent_house", "uninhabitable_houses"], orient="row").with_columns(
        households=pl.lit(100, dtype=pl.Int64), persons=pl.lit(400.0))


ESTIMATES = small_area([
    ("64.01.01.2001", 0.02, 0.10, 400.0),   # 8 extreme poor; lacks water -> remove pockets
    ("64.01.01.2002", 0.05, 0.30, 400.0),   # 20 extreme poor, no infrastructure gap -> cut expenditure burden
    ("64.01.02.2001", 0.00, 0.20, 400.0),   # none extreme; national above the province -> raise income
    ("64.01.02.2002", 0.001, 0.01, 400.0),  # 0.4 extreme poor, below the province -> no strategy
])
NEEDS = needs([
    ("64.01.01.2001", 0.40, 0.10, 0.0, 0.10, 5),
    ("64.01.01.2002", 0.10, 0.10, 0.0, 0.20, 30),
    ("64.01.02.2001", 0.00, 0.00, 0.0, 0.00, 1),
    ("64.01.02.2002", 0.00, 0.00, 0.3, 0.00, 12),
])


def test_ranked_by_estimated_extreme_poor_with_counts_and_rmse() -> None:
    out = pocket_list(ESTIMATES, NEEDS, level="village")
    assert out["area_code"].to_list() == ["64.01.01.2002", "64.01.01.2001", "64.01.02.2002", "64.01.02.2001"]
    assert out["rank"].to_list() == [1, 2, 3, 4]
    first = out.row(0, named=True)
    assert first["extreme_poor"] == pytest.approx(20.0)
    assert first["extreme_poor_rmse"] == pytest.approx(2.0)
    assert first["national_poor"] == pytest.approx(120.0)


def test_strategies_follow_the_documented_rule() -> None:
    out = pocket_list(ESTIMATES, NEEDS, level="village").sort("area_code")
    # the province's national rate: mean of .10, .30, .20, .01 (equal persons) = .1525
    assert out["primary_strategy"].to_list() == ["remove pockets", "cut expenditure burden", "raise income",
                                                 "remove pockets"]
    assert out["lacking"].to_list() == ["water", "", "", "electricity"]
    assert out["strategies"][1] == "cut expenditure burden; raise income"
    assert out["strategies"][3] == "remove pockets"  # 0.4 extreme poor < 1, national 1% below the province


def test_a_missing_line_is_named() -> None:
    with pytest.raises(SmallAreaError, match="no headcount_ratio for line 'extreme \\(x\\)'"):
        pocket_list(ESTIMATES, NEEDS, level="village", extreme_line="extreme (x)")
    with pytest.raises(SmallAreaError, match="need_share"):
        pocket_list(ESTIMATES, NEEDS, level="village", need_share=0)


def test_public_works_rule_picks_subdistricts_then_villages() -> None:
    priority = pl.DataFrame({"area_code": ["64.01.01", "64.01.02", "64.01.03", "64.02.01"],
                             "priority_households": [50, 80, 10, 5]})
    villages = needs([
        ("64.01.01.2001", 0, 0, 0, 0, 5), ("64.01.01.2002", 0, 0, 0, 0, 30), ("64.01.01.2003", 0, 0, 0, 0, 30),
        ("64.01.02.2001", 0, 0, 0, 0, 1), ("64.01.03.2001", 0, 0, 0, 0, 99), ("64.02.01.2001", 0, 0, 0, 0, 2)])
    out = public_works_selection(priority, villages, subdistricts_per_district=2, villages_per_subdistrict=2)
    # 64.01: subdistricts 64.01.02 (80), then 64.01.01 (50); 64.01.03 (10, but 99 bad houses) is not chosen.
    # In 64.01.01 the two villages with 30 uninhabitable houses (ties by code); 64.02 has one subdistrict.
    assert out["area_code"].to_list() == ["64.01.02.2001", "64.01.01.2002", "64.01.01.2003", "64.02.01.2001"]
    assert out["subdistrict_rank"].to_list() == [1, 2, 2, 1]
    with pytest.raises(SmallAreaError):
        public_works_selection(priority, villages, subdistricts_per_district=0)


def test_comparison_counts_common_villages_and_poor_covered() -> None:
    ranked = pocket_list(ESTIMATES, NEEDS, level="village")
    works = pl.DataFrame({"area_code": ["64.01.01.2001", "64.01.02.2001"]})
    truth = pl.DataFrame({"area_code": ranked["area_code"], "true_extreme_poor": [10.0, 10.0, 0.0, 5.0]})
    out = compare_selections(ranked, works, truth=truth).rows_by_key("selection", named=True)
    top, rule = out["pocket list (top villages)"][0], out["Public Works rule"][0]
    assert top["in_both"] == 1  # the top two pockets are 64.01.01.2002 and 64.01.01.2001
    assert top["estimated_extreme_poor"] == pytest.approx(28.0)
    assert rule["estimated_extreme_poor"] == pytest.approx(8.0)
    assert top["share_of_estimated_extreme_poor"] == pytest.approx(28.0 / 28.4)
    assert top["true_extreme_poor"] == 20.0 and rule["true_extreme_poor"] == 15.0


def test_place_needs_match_a_direct_recomputation() -> None:
    rows = pl.DataFrame({
        "household_id": ["a", "b", "c", "d"],
        "village_code": ["64.01.01.2001", "64.01.01.2001", "64.01.01.2002", "64.01.01.2002"],
        "persons": [2, 4, 3, 1],
        "drinking_water": [1, 0, None, 0], "sanitation": [0, 0, 1, 1], "electricity": [0, 0, 0, 0],
        "floor": [1, 0, 0, None], "wall": [0, 0, 0, 0], "roof": [0, None, 0, 0], "overcrowding": [0, 0, 1, 0],
    }, schema_overrides={c: pl.Int8 for c in ("drinking_water", "sanitation", "electricity", "floor", "wall",
                                              "roof", "overcrowding")})
    out = place_needs(register(connect(), rows, "needs_rows"), level="village").rows_by_key("area_code", named=True)
    first, second = out["64.01.01.2001"][0], out["64.01.01.2002"][0]
    assert first["lacking_water"] == pytest.approx(2 / 6)
    assert second["lacking_water"] == pytest.approx(0.0)  # c is unobserved: only d's person counts
    assert first["lacking_decent_house"] == pytest.approx(1.0)  # a (floor); b has a null roof: not observed
    assert second["lacking_decent_house"] == pytest.approx(1.0)  # c overcrowded; d unobserved floor -> not counted
    assert (first["uninhabitable_houses"], second["uninhabitable_houses"]) == (1, 0)
    assert first["persons"] == 6 and second["households"] == 2
