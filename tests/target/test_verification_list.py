"""Field-verification list (entas.target.verification): a hand-computed list, an independent Polars
computation of ranks and cumulative expected finds, and the truth column on a known outcome.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from entas.engine import connect, register, to_polars
from entas.errors import TargetingError
from entas.target.verification import verification_list


def _scored(frame: pl.DataFrame) -> object:
    return register(connect(), frame, "scored")


def test_hand_computed_list_and_yields() -> None:
    frame = pl.DataFrame({
        "household_id": ["a", "b", "c", "d", "e"],
        "village_code": ["64.01.01.2001", "64.01.01.2001", "64.01.02.2001", "64.02.01.2001", "64.02.01.2001"],
        "prob_below_extreme": [0.1, 0.5, 0.3, 0.2, 0.05],
        "extreme_poor": [False, True, True, False, False],
    })
    result = verification_list(_scored(frame), area_level="district", visits=[1, 2, 5], truth="extreme_poor")
    ordered = to_polars(result.households)
    assert ordered["household_id"].to_list() == ["b", "c", "a", "d", "e"]
    assert ordered["visit_rank"].to_list() == [1, 2, 3, 1, 2]
    assert ordered["cumulative_expected"].to_list() == pytest.approx([0.5, 0.8, 0.9, 0.2, 0.25])
    y = result.yields
    first = y.filter((pl.col("area") == "64.01") & (pl.col("visits") == 2)).row(0, named=True)
    assert first["expected_found"] == pytest.approx(0.8) and first["expected_hit_rate"] == pytest.approx(0.4)
    assert first["found"] == 2 and first["expected_share_found"] == pytest.approx(0.8 / 0.9)
    everyone = y.filter((pl.col("area") == "64.02") & (pl.col("visits") == 5)).row(0, named=True)
    assert everyone["visited"] == 2 and everyone["expected_found"] == pytest.approx(0.25)
    assert everyone["expected_hit_rate"] == pytest.approx(0.125)


def test_ranks_and_cumulative_sums_match_an_independent_computation() -> None:
    rng = np.random.default_rng(5)
    n = 4000
    villages = [f"64.{d:02d}.0{s}.200{v}" for d in (1, 2, 71) for s in (1, 2) for v in (1, 2, 3)]
    frame = pl.DataFrame({"household_id": [f"h{i:05d}" for i in range(n)],
                          "village_code": rng.choice(villages, n),
                          "prob_below_extreme": rng.beta(0.3, 30, n).round(4)})  # rounding makes ties
    result = verification_list(_scored(frame), area_level="subdistrict", visits=[10, 100])
    ours = to_polars(result.households)
    expected = (frame.with_columns(area=pl.col("village_code").str.slice(0, 8))
                .sort(["area", "prob_below_extreme", "household_id"], descending=[False, True, False])
                .with_columns(visit_rank=pl.int_range(1, pl.len() + 1).over("area"),
                              cumulative=pl.col("prob_below_extreme").cum_sum().over("area")))
    assert ours["household_id"].to_list() == expected["household_id"].to_list()
    assert ours["visit_rank"].to_list() == expected["visit_rank"].to_list()
    np.testing.assert_allclose(ours["cumulative_expected"], expected["cumulative"], rtol=1e-12)
    at_100 = expected.filter(pl.col("visit_rank") == 100).sort("area")
    got = result.yields.filter(pl.col("visits") == 100).sort("area")
    np.testing.assert_allclose(got["expected_found"], at_100["cumulative"], rtol=1e-12)
    assert result.yields.height == 2 * expected["area"].n_unique()


def test_ordering_by_probability_finds_at_least_as_many_as_any_other_order() -> None:
    rng = np.random.default_rng(9)
    frame = pl.DataFrame({"household_id": [str(i) for i in range(300)], "village_code": "64.01.01.2001",
                          "prob_below_extreme": rng.uniform(0, 1, 300)})
    best = verification_list(_scored(frame), visits=[30]).yields["expected_found"].item()
    random_30 = frame.sample(30, seed=1)["prob_below_extreme"].sum()
    assert best >= random_30
    assert best == pytest.approx(frame["prob_below_extreme"].sort(descending=True).head(30).sum())


def test_bad_requests_are_errors() -> None:
    frame = pl.DataFrame({"household_id": ["a"], "village_code": ["64.01.01.2001"], "prob_below_extreme": [0.1]})
    with pytest.raises(TargetingError, match="area_level"):
        verification_list(_scored(frame), area_level="rt")
    with pytest.raises(TargetingError, match="visits"):
        verification_list(_scored(frame), visits=[0])
    with pytest.raises(TargetingError, match="lacks"):
        verification_list(_scored(frame), probability="prob_below_national")
