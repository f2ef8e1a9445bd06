"""Grouped data: GQ and beta Lorenz curves against published PovcalNet, wbpip and Datt (1998) values.

Every expected number, its source and its tolerance is in tests/fixtures/grouped/expected.csv (README.md there
says where each comes from). One test per (dataset, curve, quantity).
"""

from __future__ import annotations

import csv
import math
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import integrate

from entas.errors import GroupedDataError
from entas.measure.grouped import GroupedPoverty, fit_beta, fit_gq, grouped_poverty, shares_from_classes
from entas.measure.grouped_lorenz import BetaLorenz, GQLorenz

FIXTURES = Path(__file__).parents[1] / "fixtures" / "grouped"
with (FIXTURES / "expected.csv").open() as _handle:
    EXPECTED = list(csv.DictReader(_handle))


@cache
def _result(dataset: str, mean: float, line: float, rule: str) -> GroupedPoverty:
    table = pl.read_csv(FIXTURES / f"{dataset}.csv")
    return grouped_poverty(table["p"], table["L"], mean=mean, line=line, rule=rule)  # type: ignore[arg-type]


def _quantity(result: GroupedPoverty, form: str, quantity: str) -> float:
    fit = result.gq if form == "gq" else result.beta
    if quantity in fit.curve.params:
        return fit.curve.params[quantity]
    return float(getattr(fit, quantity))


@pytest.mark.parametrize(
    "row", EXPECTED, ids=[f"{r['dataset']}-{r['form']}-{r['quantity']}" for r in EXPECTED]
)
def test_matches_published_value(row: dict[str, str]) -> None:
    result = _result(row["dataset"], float(row["mean"]), float(row["line"]), row["rule"])
    got = _quantity(result, row["form"], row["quantity"])
    assert abs(got - float(row["expected"])) <= float(row["tolerance"]), (row["source"], row["note"], got)


@pytest.mark.parametrize("dataset", ["datt_1998_table1", "povcalnet_calculator_input", "povcalnet_parity_example"])
def test_published_curves_pass_the_validity_checks(dataset: str) -> None:
    row = next(r for r in EXPECTED if r["dataset"] == dataset)
    result = _result(dataset, float(row["mean"]), float(row["line"]), row["rule"])
    assert result.gq.valid and result.beta.valid


def test_calculator_example_selects_gq_as_povcalnet_did() -> None:
    # groupdata QA: "Poverty estimates use GQ (Both are valid and normal, but GQ fits better.)"
    result = _result("povcalnet_calculator_input", 214.28, 200.0, "datt")
    assert result.selected == "gq"
    assert result.headcount == result.gq.headcount


def test_parity_gq_fails_datt_rule_but_passes_povcalnet_rule() -> None:
    # a + c = 0.943: PovcalNet accepts a + c >= 0.9, Datt (1998) requires a + c >= 1.
    datt = _result("povcalnet_parity_example", 51.5660557757944, 57.791666666666664, "datt")
    assert not datt.gq.valid and datt.selected == "beta"


@pytest.mark.parametrize(
    "curve",
    [GQLorenz(0.7959815357458473, -1.4445933880119233, 0.1472819199590698),
     GQLorenz(1.148072071392965, -1.9979196570315885, 0.14647354428355674),
     BetaLorenz(0.5780372174031346, 0.9420509038654522, 0.5257860001947395),
     BetaLorenz(0.3191403727525673, 0.8673741937852781, 0.8566523384174334)],
    ids=["gq-parity", "gq-calculator", "beta-parity", "beta-calculator"],
)
def test_closed_forms_equal_numerical_integrals(curve: GQLorenz | BetaLorenz) -> None:
    mean, line = 100.0, 85.0
    poverty = curve.poverty(mean=mean, line=line)
    h = poverty.headcount
    assert float(curve.slope(h)) * mean == pytest.approx(line, rel=1e-10)
    pg = integrate.quad(lambda p: 1 - mean * float(curve.slope(p)) / line, 0, h, limit=200)[0]
    spg = integrate.quad(lambda p: (1 - mean * float(curve.slope(p)) / line) ** 2, 0, h, limit=200)[0]
    gini = 1 - 2 * integrate.quad(lambda p: float(curve.value(p)), 0, 1, limit=200)[0]
    assert poverty.poverty_gap == pytest.approx(pg, abs=1e-9)
    assert poverty.squared_poverty_gap == pytest.approx(spg, abs=1e-9)
    assert curve.gini() == pytest.approx(gini, abs=1e-9)


def test_beta_gini_equals_povcalnet_simpson_rule_when_applied_to_our_curve() -> None:
    # PovcalNet (wbpip gd_compute_gini_lb): 1 - (sum_{i=0}^{499} [4 L(0.002 i + 0.001) + 2 L(0.002 i + 0.002)] - 1)
    # / 1500. Reproducing it to 1e-12 shows the 2e-6 gap to the published Gini is the reference's quadrature error.
    curve = BetaLorenz(0.5780372174031346, 0.9420509038654522, 0.5257860001947395)
    i = np.arange(0, 500)
    total = float(np.sum(4 * curve.value(0.002 * i + 0.001) + 2 * curve.value(0.002 * i + 0.002)))
    assert 1 - (total - 1) / 1500 == pytest.approx(0.31236656171451094, abs=1e-12)


def test_classes_convert_to_datt_table1_shares() -> None:
    table = pl.read_csv(FIXTURES / "datt_1998_table1.csv")
    shares = shares_from_classes(table["X"], table["W"])
    assert np.allclose(shares.p, table["p"], atol=5e-5)
    assert np.allclose(shares.lorenz, table["L"], atol=5e-6)  # Table 1 prints L to 5 decimals
    assert shares.mean == pytest.approx(109.9, abs=0.05)


def test_result_is_immutable_and_tidy() -> None:
    result = _result("povcalnet_calculator_input", 214.28, 200.0, "datt")
    with pytest.raises(AttributeError):
        result.selected = "beta"  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.gq.checks["L(0)=0 [e<0]"] = False  # type: ignore[index]
    frame = result.to_frame()
    assert frame.height == 8 and frame.filter(pl.col("selected"))["form"].unique().to_list() == ["gq"]


def test_no_valid_curve_raises_with_the_failed_checks() -> None:
    # A GQ fit with c < 0 and a beta fit with theta > 0 but non-convex: build directly.
    base = _result("povcalnet_calculator_input", 214.28, 200.0, "datt")
    broken = GroupedPoverty(base.gq, base.beta, None, "neither curve is valid", 214.28, 200.0, 20, "datt")
    with pytest.raises(GroupedDataError, match="neither Lorenz curve is usable"):
        _ = broken.headcount


def test_line_below_the_poorest_gives_zero_poverty() -> None:
    result = _result("povcalnet_calculator_input", 214.28, 1.0, "datt")
    assert result.gq.headcount == 0.0 and result.gq.squared_poverty_gap == 0.0


@pytest.mark.parametrize(
    ("p", "lorenz", "message"),
    [
        ([0.2, 0.4, 0.6, 1.0], [0.1, 0.2, 0.4], "equal length"),
        ([0.5, 0.8, 1.0], [0.3, 0.6, 1.0], "at least 4"),
        ([0.2, 0.4, 0.6, 0.8, 0.9], [0.1, 0.2, 0.4, 0.6, 0.8], "last point must be"),
        ([20, 40, 60, 80, 100], [10, 20, 40, 60, 100], "last point must be"),
        ([0.2, 0.6, 0.4, 0.8, 1.0], [0.1, 0.2, 0.3, 0.6, 1.0], "strictly increasing"),
        ([0.2, 0.4, 0.6, 0.8, 1.0], [0.1, 0.05, 0.3, 0.6, 1.0], "non-decreasing"),
        ([0.2, 0.4, 0.6, 0.8, 1.0], [0.2, 0.3, 0.4, 0.6, 1.0], "L >= p"),
        ([0.2, 0.4, 0.6, 0.8, 1.0], [0.1, 0.3, 0.4, 0.6, 1.0], "not convex"),
        ([0.2, 0.4, math.nan, 0.8, 1.0], [0.1, 0.2, 0.3, 0.6, 1.0], "finite"),
    ],
)
def test_invalid_tables_are_refused_with_a_precise_message(p: list[float], lorenz: list[float], message: str) -> None:
    with pytest.raises(GroupedDataError, match=message):
        grouped_poverty(p, lorenz, mean=100.0, line=50.0)


@pytest.mark.parametrize(("mean", "line"), [(0.0, 50.0), (100.0, -1.0), (math.nan, 50.0), (100.0, math.inf)])
def test_mean_and_line_must_be_positive_finite(mean: float, line: float) -> None:
    with pytest.raises(GroupedDataError, match="finite number > 0"):
        grouped_poverty([0.2, 0.4, 0.6, 0.8, 1.0], [0.08, 0.2, 0.36, 0.58, 1.0], mean=mean, line=line)


def test_origin_point_is_accepted_and_dropped() -> None:
    p, lorenz = [0.2, 0.4, 0.6, 0.8, 1.0], [0.08, 0.2, 0.36, 0.58, 1.0]
    assert fit_gq([0.0, *p], [0.0, *lorenz]) == fit_gq(p, lorenz)
    assert fit_beta([0.0, *p], [0.0, *lorenz]) == fit_beta(p, lorenz)


@pytest.mark.parametrize(
    ("means", "shares", "message"),
    [([10, 20], [1, 2, 3], "equal length"), ([10, 5, 20], [1, 1, 1], "ordered poorest first"),
     ([10, 20, 30], [1, 0, 1], "> 0"), ([-1, 20, 30], [1, 1, 1], "class_means must be > 0")],
)
def test_invalid_classes_are_refused(means: list[float], shares: list[float], message: str) -> None:
    with pytest.raises(GroupedDataError, match=message):
        shares_from_classes(means, shares)
