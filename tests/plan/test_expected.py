"""The expected objective: planning on a PMT prediction, each household counted with its probability of being
extremely poor (and its expected gap and severity) under the lognormal law of its welfare.

References: a direct Monte Carlo of ``FGT_alpha(W + g, z)`` with ``log W ~ N(log w, sd^2)`` (independent of the
closed form), and the known-welfare objective as the sd goes to 0.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from test_allocate import instance

from entas.errors import PlanError
from entas.plan.allocate import ALPHA, _problem, allocate
from entas.plan.solvers import Problem, household_fgt, objective


def _lognormal_problem(welfare: list[float], sd: list[float], alpha: int) -> Problem:
    n = len(welfare)
    return Problem(hh=np.zeros(0, np.int64), prog=np.zeros(0, np.int64), cost=np.zeros(0), effect=np.zeros(0),
                   persons=np.ones(n), welfare=np.array(welfare), line=np.full(n, 500_000.0),
                   district=np.zeros(n, np.int64), prog_budget=np.zeros(0), prog_quota=np.zeros(0),
                   prog_funder=np.zeros(0, np.int64), funder_budget=np.zeros(0), floor_rp=np.zeros(1),
                   floor_households=np.zeros(1), alpha=alpha, log_sd=np.array(sd))


@pytest.mark.parametrize("alpha", [0, 1, 2])
def test_expected_fgt_after_a_gain_matches_monte_carlo(alpha: int) -> None:
    welfare, sd = [450_000.0, 520_000.0, 700_000.0, 380_000.0], [0.3, 0.25, 0.4, 0.1]
    gain = np.array([0.0, 40_000.0, 90_000.0, 130_000.0])
    pb = _lognormal_problem(welfare, sd, alpha)
    got = household_fgt(pb, gain)
    draws = np.random.default_rng(7).standard_normal((400_000, 1))
    w = np.exp(np.log(welfare) + np.array(sd) * draws) + gain
    fgt = np.where(w < 500_000.0, (1.0 - w / 500_000.0) ** alpha, 0.0)
    mc, se = fgt.mean(axis=0), fgt.std(axis=0) / np.sqrt(draws.shape[0])
    assert np.all(np.abs(got - mc) <= 4.0 * se + 1e-12)
    assert household_fgt(pb, np.full(4, 500_000.0))[0] == 0.0  # a gain that reaches the line removes all risk


@pytest.mark.parametrize("objective_name,alpha", [("gap", 1), ("severity", 2)])
def test_a_vanishing_sd_gives_the_known_welfare_objective(objective_name: str, alpha: int) -> None:
    cand, budgets = instance(40, 4, 3)
    known = allocate(cand, budgets, objective=objective_name, bound=False)  # type: ignore[arg-type]
    sharp = allocate(cand.with_columns(residual_sd=pl.lit(1e-7)), budgets, objective=objective_name,  # type: ignore[arg-type]
                     expected=True)
    assert sharp.before == pytest.approx(known.before, rel=1e-6)
    assert sharp.after == pytest.approx(known.after, rel=1e-3)


def test_the_expected_plan_beats_the_median_plan_in_expectation_and_keeps_budgets() -> None:
    cand, budgets = instance(300, 5, 11, share=0.15)
    r = np.random.default_rng(2)
    sd = pl.DataFrame({"household_id": cand["household_id"].unique().sort()}).with_columns(
        residual_sd=pl.Series(r.uniform(0.2, 0.45, cand["household_id"].n_unique())))
    cand = cand.join(sd, on="household_id").with_columns(pl.col("welfare_rp_month") + 120_000.0)
    median = allocate(cand, budgets, bound=False)
    expected = allocate(cand, budgets, expected=True)
    # evaluate the median plan's assignments under the expected objective
    marked = cand.with_columns(pl.struct("household_id", "program").is_in(
        median.plan.select(pl.struct("household_id", "program")).to_series().implode()).alias("x"))
    _, _, pb, *_ = _problem(marked, budgets, ALPHA["headcount"], expected=True)
    median_in_expectation = objective(pb, marked.sort("household_id", "program")["x"].to_numpy())
    assert expected.after < median_in_expectation
    assert expected.bound is None and expected.gap_to_bound is None
    spend = expected.spend.filter(pl.col("level") == "program")
    assert (spend["spend_rp"] <= spend["limit_rp"].fill_null(np.inf) + 1e-6).all()


def test_expected_objective_errors() -> None:
    cand, budgets = instance(10, 3, 1)
    with pytest.raises(PlanError, match="residual_sd"):
        allocate(cand, budgets, expected=True)
    with pytest.raises(PlanError, match="no form for the expected"):
        allocate(cand.with_columns(residual_sd=pl.lit(0.3)), budgets, expected=True, method="mip")
    with pytest.raises(PlanError, match="residual_sd <= 0"):
        allocate(cand.with_columns(residual_sd=pl.lit(0.0)), budgets, expected=True)
