"""The nested-error model fit (entas.pockets.nested_error) against R lme4 and nlme, REML and ML.

Reference: tests/fixtures/pockets/make_ebp_reference.R fits ``y ~ covariates + (1 | area)`` with lme4 (lmer) and
nlme (lme) at tight optimiser tolerances on ebp_sample.csv (537 synthetic survey households, 53 villages).
Tolerance: 1e-6 relative for every coefficient, standard error, variance component and BLUP (measured: at most
3.5e-7 against lme4, 3e-8 against nlme: the R optimisers stop that close to the optimum); the log-likelihood,
flat at the optimum, agrees to 1e-10.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from entas.errors import SmallAreaError
from entas.pockets.nested_error import INTERCEPT, NestedErrorFit, fit_nested_error, independent_columns

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pockets"
RTOL = 1e-6
LOGLIK_RTOL = 1e-10


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return pl.read_csv(FIXTURES / "ebp_sample.csv")


@pytest.fixture(scope="module")
def reference() -> pl.DataFrame:
    return pl.read_csv(FIXTURES / "ebp_fit_reference.csv")


def _fit(sample: pl.DataFrame, method: str) -> NestedErrorFit:
    covariates = sample.columns[3:]
    return fit_nested_error(sample["y"].to_numpy(), sample.select(covariates).to_numpy(), sample["area"].to_numpy(),
                            covariates=covariates, method=method)  # type: ignore[arg-type]


def _ref(reference: pl.DataFrame, source: str, method: str, quantity: str) -> dict[str, float]:
    part = reference.filter((pl.col("source") == source) & (pl.col("method") == method)
                            & (pl.col("quantity") == quantity))
    return dict(zip(part["name"].fill_null("").to_list(), part["value"].to_list(), strict=True))


CASES = [(source, method) for source in ("lme4", "nlme") for method in ("REML", "ML")]


@pytest.mark.parametrize(("source", "method"), CASES)
def test_coefficients_and_standard_errors_match_r(sample: pl.DataFrame, reference: pl.DataFrame, source: str,
                                                   method: str) -> None:
    fit = _fit(sample, method)
    beta, se = _ref(reference, source, method, "beta"), _ref(reference, source, method, "beta_se")
    assert list(beta) == list(fit.terms)
    np.testing.assert_allclose(fit.beta, list(beta.values()), rtol=RTOL)
    np.testing.assert_allclose(fit.coefficients()["se"].to_numpy(), list(se.values()), rtol=RTOL)


@pytest.mark.parametrize(("source", "method"), CASES)
def test_variance_components_and_loglik_match_r(sample: pl.DataFrame, reference: pl.DataFrame, source: str,
                                                method: str) -> None:
    fit = _fit(sample, method)
    assert fit.sigma2_u == pytest.approx(_ref(reference, source, method, "s2u")["area"], rel=RTOL)
    assert fit.sigma2_e == pytest.approx(_ref(reference, source, method, "s2e")["residual"], rel=RTOL)
    assert fit.loglik == pytest.approx(_ref(reference, source, method, "loglik")[""], rel=LOGLIK_RTOL)


@pytest.mark.parametrize(("source", "method"), CASES)
def test_area_blups_match_r_ranef(sample: pl.DataFrame, reference: pl.DataFrame, source: str, method: str) -> None:
    fit = _fit(sample, method)
    ranef = _ref(reference, source, method, "ranef")
    effects = dict(zip(fit.areas, fit.random_effects.tolist(), strict=True))
    assert sorted(ranef) == sorted(effects)
    np.testing.assert_allclose([effects[a] for a in ranef], list(ranef.values()), rtol=RTOL)


def test_effects_table_gives_gamma_from_the_variance_components(sample: pl.DataFrame) -> None:
    fit = _fit(sample, "REML")
    effects = fit.effects()
    n = effects["n_sample"].to_numpy()
    expected = fit.sigma2_u / (fit.sigma2_u + fit.sigma2_e / n)
    np.testing.assert_allclose(effects["gamma"].to_numpy(), expected, rtol=1e-12)
    assert int(n.sum()) == sample.height == fit.n


def test_area_terms_of_an_unsampled_area_are_zero_effect_and_marginal_sd(sample: pl.DataFrame) -> None:
    fit = _fit(sample, "REML")
    shift, sd = fit.area_terms(["no.such.area", fit.areas[0]])
    assert shift[0] == 0.0
    assert sd[0] == pytest.approx(np.sqrt(fit.sigma2_u + fit.sigma2_e), rel=1e-14)
    assert shift[1] == fit.random_effects[0]
    assert sd[1] == pytest.approx(np.sqrt(fit.sigma2_e + fit.sigma2_u * (1 - fit.gamma[0])), rel=1e-14)


def test_no_between_area_variation_gives_zero_area_variance() -> None:
    rng = np.random.default_rng(3)
    area = np.repeat(np.arange(20), 10)
    x = rng.normal(size=200)
    e = rng.normal(size=200)
    e -= np.bincount(area, weights=e)[area] / 10  # every area's mean residual exactly 0
    fit = fit_nested_error(1.0 + 0.5 * x + e, x, area)
    assert fit.sigma2_u == 0.0
    assert np.all(fit.gamma == 0.0)


def test_independent_columns_drops_constant_and_collinear_columns_in_order() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.integers(0, 2, 50).astype(float)
    x = np.column_stack([a, np.zeros(50), b, 1.0 - b, 2 * a + b, rng.normal(size=50)])
    kept, dropped = independent_columns(x, ["a", "zero", "b", "not_b", "combo", "c"])
    assert kept == ("a", "b", "c")
    assert dropped == ("zero", "not_b", "combo")


def test_collinear_covariates_are_refused_naming_them() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 2))
    with pytest.raises(SmallAreaError, match="collinear"):
        fit_nested_error(rng.normal(size=60), np.column_stack([x, x[:, 0] + x[:, 1]]), np.repeat(np.arange(6), 10))


def test_a_single_area_is_refused() -> None:
    with pytest.raises(SmallAreaError, match="at least two sampled areas"):
        fit_nested_error(np.arange(10.0), np.arange(10.0) ** 2, np.zeros(10))


def test_unknown_method_is_refused(sample: pl.DataFrame) -> None:
    with pytest.raises(SmallAreaError, match="unknown fitting method"):
        _fit(sample, "OLS")


def test_intercept_is_the_first_term(sample: pl.DataFrame) -> None:
    assert _fit(sample, "ML").terms[0] == INTERCEPT
