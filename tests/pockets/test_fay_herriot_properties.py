"""Fay-Herriot behaviours beyond the milk benchmark: areas without sample, truncation, benchmarking, bad input.

References: tests/fixtures/pockets/fh_references.csv, made by make_fh_references.R (R: sigma2_u by numerical
maximisation of the (restricted) likelihood, not Fisher scoring; held-out areas get x'beta with MSE
sigma2_u + x'Qx; a data set whose likelihood peaks at sigma2_u = 0). Measured agreement: < 2e-8 relative on
sigma2_u, EBLUP and MSE with precision=1e-12 (optimize's own tolerance bounds it); tolerance 1e-6 relative.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from entas.errors import SmallAreaError
from entas.pockets.area_inputs import benchmark_to_direct
from entas.pockets.fay_herriot import SYNTHETIC_MSE, fay_herriot

FIXTURES = Path(__file__).parent.parent / "fixtures" / "pockets"
RTOL = 1e-6
HELD_OUT = ("5", "15", "25", "35")


def _milk(case: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    data = pl.read_csv(FIXTURES / "milk.csv").with_columns(pl.col("small_area").cast(pl.Utf8).alias("area_code"))
    y = pl.col("direct_est")
    if case == "flat":  # as make_fh_references.R: every estimate pulled 95% of the way to its major-area mean
        mean = y.mean().over("major_area")
        y = mean + (y - mean) * 0.05
    direct = data.select("area_code", y.alias("estimate"), (pl.col("std_error") ** 2).alias("variance"))
    if case == "held_out":
        direct = direct.filter(~pl.col("area_code").is_in(HELD_OUT))
    covariates = data.select("area_code", *[(pl.col("major_area") == k).cast(pl.Float64).alias(f"major_{k}")
                                            for k in (2, 3, 4)])
    return direct, covariates


def _reference(case: str, method: str) -> pl.DataFrame:
    ref = pl.read_csv(FIXTURES / "fh_references.csv").filter((pl.col("case") == case) & (pl.col("method") == method))
    return ref.with_columns(pl.col("small_area").cast(pl.Utf8).alias("area"))


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_areas_without_sample_get_synthetic_estimate_and_mse(method: str) -> None:
    result = fay_herriot(*_milk("held_out"), method=method, precision=1e-12)  # type: ignore[arg-type]
    ref = _reference("held_out", method)
    assert result.sigma2_u == pytest.approx(ref["sigma2_u"][0], rel=RTOL)
    got = result.areas.join(ref, on="area", suffix="_r")
    assert got.height == 43
    np.testing.assert_allclose(got["eblup"].to_numpy(), got["eblup_r"].to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(got["mse"].to_numpy(), got["mse_r"].to_numpy(), rtol=RTOL)
    out = got.filter(~pl.col("in_sample"))
    assert sorted(out["area"].to_list()) == sorted(HELD_OUT)
    assert (out["eblup"] == out["synthetic"]).all() and (out["gamma"] == 0).all()
    assert out["direct"].is_null().all() and (out["mse_method"] == SYNTHETIC_MSE).all()
    assert result.n_in_sample == 39 and result.n_out_of_sample == 4


def test_zero_or_missing_variance_is_out_of_sample() -> None:
    direct, covariates = _milk("full")
    direct = direct.with_columns(
        variance=pl.when(pl.col("area_code") == "5").then(0.0).when(pl.col("area_code") == "15").then(None)
        .otherwise(pl.col("variance")),
        estimate=pl.when(pl.col("area_code") == "25").then(None).otherwise(pl.col("estimate")))
    areas = fay_herriot(direct, covariates).areas
    assert sorted(areas.filter(~pl.col("in_sample"))["area"].to_list()) == ["15", "25", "5"]


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_non_positive_sigma2_u_is_truncated_with_a_warning(method: str) -> None:
    result = fay_herriot(*_milk("flat"), method=method)  # type: ignore[arg-type]
    ref = _reference("flat", method)
    assert ref["sigma2_u"][0] == 0.0
    assert result.sigma2_u == 0.0 and result.truncated and result.sigma2_u_unconstrained < 0
    assert any("truncated at 0" in w for w in result.warnings)
    areas = result.areas.join(ref, on="area", suffix="_r")
    assert (areas["gamma"] == 0).all()
    np.testing.assert_allclose(areas["eblup"].to_numpy(), areas["synthetic"].to_numpy(), rtol=0, atol=0)
    np.testing.assert_allclose(areas["eblup"].to_numpy(), areas["eblup_r"].to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(areas["mse"].to_numpy(), areas["mse_r"].to_numpy(), rtol=RTOL)


def test_no_convergence_is_reported() -> None:
    result = fay_herriot(*_milk("full"), max_iter=1)
    assert not result.converged and any("did not converge" in w for w in result.warnings)


def test_clip_bounds_estimates_and_intervals() -> None:
    direct, covariates = _milk("full")
    result = fay_herriot(direct.with_columns(pl.col("estimate") - 1.0), covariates, clip=(0.0, 1.0))
    assert result.areas["eblup"].min() == 0.0 and result.areas["ci_low"].min() == 0.0
    assert (result.areas["ci_high"] <= 1.0).all()


def _benchmark_inputs() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    areas = pl.DataFrame({"area": ["64.01.01", "64.01.02", "64.01.03", "64.02.01", "64.02.02"],
                          "eblup": [0.10, 0.20, 0.05, 0.30, 0.10], "mse": [0.001, 0.002, 0.001, 0.004, 0.002]})
    population = pl.DataFrame({"area": areas["area"], "population": [1000, 3000, 500, 2000, 2000]})
    district = pl.DataFrame({"district_code": ["64.01", "64.02"], "estimate": [0.15, 0.25]})
    return areas, population, district


def test_benchmarked_estimates_add_up_to_the_district_direct_estimate() -> None:
    out = benchmark_to_direct(*_benchmark_inputs())
    sums = out.group_by("district_code").agg(
        ((pl.col("benchmarked") * pl.col("population")).sum() / pl.col("population").sum()).alias("mean"))
    assert dict(sums.rows()) == pytest.approx({"64.01": 0.15, "64.02": 0.25}, rel=1e-12)
    # 64.01: model mean (100 + 600 + 25) / 4500; ratio 0.15 / that
    assert out.filter(pl.col("area") == "64.01.01")["ratio"][0] == pytest.approx(0.15 / (725 / 4500), rel=1e-12)
    assert (out["mse_benchmarked"] >= out["mse"]).all()
    gap = out["benchmarked"] - out["eblup"]
    np.testing.assert_allclose(out["mse_benchmarked"].to_numpy(), (out["mse"] + gap**2).to_numpy(), rtol=1e-12)


def test_benchmark_refuses_negative_estimates_and_missing_districts() -> None:
    areas, population, district = _benchmark_inputs()
    with pytest.raises(SmallAreaError, match=">= 0"):
        benchmark_to_direct(areas.with_columns(eblup=pl.col("eblup") - 0.2), population, district)
    with pytest.raises(SmallAreaError, match="without a direct estimate"):
        benchmark_to_direct(areas, population, district.head(1))
    with pytest.raises(SmallAreaError, match="no positive population"):
        benchmark_to_direct(areas, population.head(4), district)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d, c: (d, c.with_columns(major_2=pl.when(pl.col("major_3") > 0).then(None).otherwise(pl.col("major_2")))),
     "missing or non-finite"),
    (lambda d, c: (pl.concat([d, d.head(1)]), c), "several rows"),
    (lambda d, c: (d, c.filter(pl.col("area_code") != "1")), "no covariates"),
    (lambda d, c: (d.with_columns(variance=-pl.col("variance")), c), "variances must be >= 0"),
    (lambda d, c: (d, c.with_columns(dup=pl.col("major_2"))), "collinear"),
    (lambda d, c: (d.head(4), c), "cannot fit"),
    (lambda d, c: (d.drop("variance"), c), "lacks columns"),
])
def test_bad_input_raises_small_area_error(change: object, message: str) -> None:
    direct, covariates = change(*_milk("full"))  # type: ignore[operator]
    with pytest.raises(SmallAreaError, match=message):
        fay_herriot(direct, covariates)


def test_text_covariates_are_refused_when_named() -> None:
    direct, covariates = _milk("full")
    with pytest.raises(SmallAreaError, match="numeric"):
        fay_herriot(direct, covariates.with_columns(major_2=pl.lit("x")), columns=["major_2", "major_3"])


def test_bad_options_raise_small_area_error() -> None:
    with pytest.raises(SmallAreaError, match="method"):
        fay_herriot(*_milk("full"), method="FH")  # type: ignore[arg-type]
    with pytest.raises(SmallAreaError, match="clip"):
        fay_herriot(*_milk("full"), clip=(1.0, 0.0))
