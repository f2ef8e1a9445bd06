"""Microsimulation (simulasi mikro): extreme poverty year by year under a scenario, with and without the plan.

Registry projection (``project_registry``; counts and the year each district reaches zero). For household h
of district j in draw d and year t (``k = t - base_year``)::

    log y_hd  = predicted_log_welfare_h + residual_sd_h * e_hd          e_hd ~ N(0, 1), independent
    y_htd     = exp(log y_hd) * (1 + g_j + growth_sd * u_jd)^k + sum_a 1(a delivered by t) T_ad effect_full_a
    poor_htd  = y_htd < line_h * (1 + line_growth)^k                    (strictly below the line)

``e`` is the PMT's residual (the normal model of ``entas.target.score``), ``u_jd ~ N(0, 1)`` one shock of
district j's *rate* per draw (uncertainty about the trend, kept for all years of the draw), ``T_ad`` the
take-up of assignment a in draw d, Bernoulli(``take_up_a``), drawn once per draw and kept for all years. A
plan without ``take_up``/``effect_full_rp_pc_month`` columns adds its ``effect_rp_pc_month`` (take-up
already inside) in every draw. Effects are rupiah per capita per month of the base year, not grown. An
assignment is delivered by year t when it is among the first ``floor(share_t x n)`` of its roll-out group
(program, strategy or ``all``) in the plan's priority order: ``step``, then ``rp_per_value``, then
household_id and program. Draws are seeded per draw (``SeedSequence(seed).spawn(draws)``) over households
sorted by id, so results do not depend on row order nor on the chunk size; draws are processed in chunks
(about ``CHUNK_CELLS`` household-draws at once) to bound memory.

Output per (year, district and province): expected extremely poor persons and households (the mean over
draws), the rate (expected persons / persons), the 5th and 95th percentiles over draws (a 90% band), and
the *deterministic* path (no draws: the PMT median prediction, central growth, expected effects). The
**zero year** of an area is the first year from which the value stays at or below ``zero_threshold``
persons (default 0.5: rounds to zero) through the last year: for the expected count, for the 95th
percentile (a prudent reading), and for the deterministic path; null when not reached within the years.

Survey microsimulation (``simulate_survey``): a plan solved on the weighted survey households is applied to
their *observed* consumption (grown as above, central rates, no draws), and extreme poverty is estimated
with ``entas.measure.poverty.poverty`` on the survey design, before (growth only) and after (growth and the
delivered effects: expected, or full for households drawn as takers). The SE is the sampling error of the
survey given the plan rule; it does not cover the uncertainty of growth, effects or take-up.

Limits: residuals independent across households (no shared village or district shocks beyond the growth
rate), the PMT's normal residual, additive effects, no behaviour; see docs/simulation.md.
"""

from __future__ import annotations

import datetime as dt
import math
import platform
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

import entas
from entas.errors import SimulationError
from entas.measure.poverty import poverty
from entas.plan.scenario import ALL, STRATEGIES, Scenario
from entas.survey.design import SurveyDesign

METHOD_VERSION = "entas.simulate 0.1"
SCORE_COLUMNS = ("household_id", "district_code", "household_size", "predicted_log_welfare", "residual_sd",
                 "line_extreme_rp_month")
PLAN_COLUMNS = ("household_id", "program", "effect_rp_pc_month", "step", "rp_per_value")
TAKE_UP_COLUMNS = ("take_up", "effect_full_rp_pc_month")
CHUNK_CELLS = 8_000_000
Takers = Literal["expected", "drawn"]


@dataclass(frozen=True)
class Projection:
    """A registry projection under one scenario.

    ``path``: one row per (year, level, area) -- ``scenario, year, level`` (district/province), ``area,
    households, persons, assignments_delivered, poor_persons, poor_persons_p05, poor_persons_p95,
    poor_households, poor_households_p05, poor_households_p95, rate, rate_p05, rate_p95`` (expected values
    and the 90% band over draws), ``deterministic_poor_persons, deterministic_poor_households,
    deterministic_rate``. ``zero_year``: one row per area -- ``zero_year`` (expected persons),
    ``zero_year_p95``, ``zero_year_deterministic`` (null: not reached) and ``reading`` ("2026", "not by 2026").
    """

    path: pl.DataFrame
    zero_year: pl.DataFrame
    scenario: str
    draws: int
    seed: int
    threshold: float
    seconds: float
    method_version: str = METHOD_VERSION


def plan_with_take_up(plan: pl.DataFrame, candidates: pl.DataFrame) -> pl.DataFrame:
    """The plan's assignments with ``take_up, effect_full_rp_pc_month, strategy`` from their candidate rows."""
    wanted = [c for c in (*TAKE_UP_COLUMNS, "strategy") if c in candidates.columns and c not in plan.columns]
    missing = [c for c in ("household_id", "program") if c not in candidates.columns]
    if missing:
        raise SimulationError(f"candidates lack column(s) {', '.join(missing)}")
    joined = plan.join(candidates.select("household_id", "program", *wanted), on=["household_id", "program"],
                       how="left")
    lost = joined.filter(pl.any_horizontal(pl.col(c).is_null() for c in wanted)).height if wanted else 0
    if lost:
        raise SimulationError(f"{lost} plan assignment(s) have no candidate row with {', '.join(wanted)}")
    return joined


def delivery_schedule(plan: pl.DataFrame, scenario: Scenario) -> pl.DataFrame:
    """``plan`` with ``rollout_key`` (null: not in the roll-out), ``priority`` (1 = first within its key) and
    ``delivery_year`` (the first scenario year by the end of which it is delivered; null: not by the last)."""
    missing = [c for c in PLAN_COLUMNS if c not in plan.columns]
    if missing:
        raise SimulationError(f"the plan lacks column(s) {', '.join(missing)} (an entas.plan.allocate plan)")
    keys = set(scenario.rollout)
    if ALL in keys:
        key = pl.lit(ALL)
    else:
        strategy_keys = keys & set(STRATEGIES)
        if strategy_keys and "strategy" not in plan.columns:
            raise SimulationError(f"roll-out by strategy ({', '.join(sorted(strategy_keys))}) needs a strategy "
                                  "column in the plan (plan_with_take_up)")
        by_strategy = (pl.when(pl.col("strategy").is_in(sorted(keys))).then(pl.col("strategy"))
                       if "strategy" in plan.columns else pl.lit(None, dtype=pl.Utf8))
        key = pl.when(pl.col("program").is_in(sorted(keys))).then(pl.col("program")).otherwise(by_strategy)
    ordered = plan.with_columns(pl.col("rp_per_value").cast(pl.Float64).fill_nan(math.inf)).sort(
        "step", "rp_per_value", "household_id", "program").with_columns(rollout_key=key.cast(pl.Utf8))
    ordered = ordered.with_columns(priority=pl.int_range(1, pl.len() + 1).over("rollout_key"),
                                   _n=pl.len().over("rollout_key"))
    year = pl.lit(None, dtype=pl.Int64)
    for t in reversed(scenario.years):
        shares = {k: scenario.share_delivered(k, t) for k in scenario.rollout}
        share = pl.col("rollout_key").replace_strict(shares, default=0.0, return_dtype=pl.Float64)
        year = pl.when(pl.col("priority") <= (share * pl.col("_n") + 1e-9).floor()).then(pl.lit(t)).otherwise(year)
    return ordered.with_columns(delivery_year=year.cast(pl.Int64)).drop("_n")


def project_registry(scores: pl.DataFrame, scenario: Scenario, plan: pl.DataFrame | None = None, *,
                     draws: int | None = None, seed: int | None = None, threshold: float | None = None) -> Projection:
    """Project extreme poverty of every scored household over the scenario's years; see the module docstring.

    ``scores``: ``entas.target.score.score_registry`` output (``SCORE_COLUMNS``); ``plan``: an allocation's
    ``plan`` frame, with ``take_up``/``effect_full_rp_pc_month`` (and ``strategy``) for take-up draws
    (:func:`plan_with_take_up`). ``draws``, ``seed`` and ``threshold`` override the scenario's.
    """
    started = time.perf_counter()
    draws = scenario.draws if draws is None else draws
    seed = scenario.seed if seed is None else seed
    threshold = scenario.zero_threshold if threshold is None else threshold
    if draws < 1:
        raise SimulationError(f"draws must be >= 1, got {draws}")
    hh = _households(scores)
    n = hh.height
    districts = sorted(hh["district_code"].unique().to_list())
    didx = hh["district_code"].replace_strict({d: i for i, d in enumerate(districts)}, return_dtype=pl.Int64)
    didx_np = didx.to_numpy()
    size = hh["household_size"].to_numpy()
    mu, sd = hh["predicted_log_welfare"].to_numpy(), hh["residual_sd"].to_numpy()
    years = scenario.years
    k = np.array([t - scenario.base_year for t in years], dtype=np.float64)
    line = hh["line_extreme_rp_month"].to_numpy()[None, :] * (1.0 + scenario.line_growth.value) ** k[:, None]
    rate = np.array([scenario.growth_rate(d) for d in districts])
    sched = _assignments(hh, scenario, plan)
    a_h = sched["_h"].to_numpy()
    a_year = sched["delivery_year"].fill_null(10**6).to_numpy()
    delivered = a_year[None, :] <= np.array(years)[:, None]  # (years, assignments)
    expected_effect = sched["effect_rp_pc_month"].to_numpy()
    drawn = all(c in sched.columns for c in TAKE_UP_COLUMNS)
    nd, ny = len(districts), len(years)

    # deterministic path: median prediction, central growth, expected effects
    det_p, det_h = np.zeros((ny, nd)), np.zeros((ny, nd))
    base = np.exp(mu)
    for i in range(ny):
        y = base * ((1.0 + rate) ** k[i])[didx_np] + np.bincount(
            a_h, weights=expected_effect * delivered[i], minlength=n)
        poor = y < line[i]
        det_p[i] = np.bincount(didx_np, weights=size * poor, minlength=nd)
        det_h[i] = np.bincount(didx_np, weights=poor, minlength=nd)

    persons, households = _draw_counts(
        mu=mu, sd=sd, line=line, size=size, district=didx_np, rate=rate, k=k, draws=draws, seed=seed,
        growth_sd=scenario.growth_sd.value, assigned=a_h, delivered=delivered,
        take_up=sched["take_up"].to_numpy() if drawn else np.ones(a_h.size),
        full=sched["effect_full_rp_pc_month"].to_numpy() if drawn else expected_effect)
    path = _path_table(scenario, hh, districts, sched, delivered, persons, households, det_p, det_h)
    return Projection(path, zero_years(path, threshold=threshold, last_year=years[-1]), scenario.name, draws, seed,
                      threshold, time.perf_counter() - started)


def _draw_counts(*, mu: np.ndarray, sd: np.ndarray, line: np.ndarray, size: np.ndarray, district: np.ndarray,
                 rate: np.ndarray, k: np.ndarray, draws: int, seed: int, growth_sd: float, assigned: np.ndarray,
                 delivered: np.ndarray, take_up: np.ndarray, full: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poor persons and households per (draw, year, district): the draws of the module docstring.

    Households with no assignment (nearly all) are compared on the log scale, ``mu + sd e + k log(growth) <
    log(line)``, which needs no ``exp`` and no effect; only the poor ones are counted (a few in a hundred).
    Households with assignments get the full ``exp(mu + sd e) growth^k + effects``. ``line`` is (years,
    households); ``assigned`` the household index of each assignment and ``delivered`` (years, assignments).
    """
    n, nd, ny = mu.size, rate.size, k.size
    log_line = np.log(line)
    persons, households = np.zeros((draws, ny, nd)), np.zeros((draws, ny, nd))
    with_effect = np.zeros(n, dtype=bool)
    with_effect[assigned] = True
    treated = np.flatnonzero(with_effect)  # households with at least one assignment
    slot = np.searchsorted(treated, assigned)  # each assignment's position among them
    streams = np.random.SeedSequence(seed).spawn(draws)
    chunk = max(1, min(draws, CHUNK_CELLS // max(n, 1)))
    for d0 in range(0, draws, chunk):
        c = min(chunk, draws - d0)
        z, shock, u = np.empty((c, n)), np.empty((c, nd)), np.empty((c, assigned.size))
        for j in range(c):  # one generator per draw: the same numbers whatever the chunk size
            rng = np.random.default_rng(streams[d0 + j])
            z[j], shock[j], u[j] = rng.standard_normal(n), rng.standard_normal(nd), rng.random(assigned.size)
        z *= sd
        z += mu  # log welfare of the draw, base year
        log_growth = np.log(np.clip(1.0 + rate[None, :] + growth_sd * shock, 1e-6, None))  # (c, districts)
        gain = np.where(u < take_up[None, :], full[None, :], 0.0)  # without take-up columns: always the expected
        z_treated = z[:, treated]
        z[:, treated] = np.inf  # counted below with their effects
        rows = np.arange(c)
        offsets = (rows[:, None] * treated.size + slot[None, :]).ravel()
        d_t = district[treated]
        for i in range(ny):
            below = z < log_line[i][None, :] - k[i] * log_growth[:, district]
            draw_of, house = np.divmod(np.flatnonzero(below), n)
            cell = draw_of * nd + district[house]
            hh_poor = np.bincount(cell, minlength=c * nd).astype(np.float64)
            p_poor = np.bincount(cell, weights=size[house], minlength=c * nd).astype(np.float64)  # int if empty
            effect = np.bincount(offsets, weights=(gain * delivered[i][None, :]).ravel(),
                                 minlength=c * treated.size).reshape(c, treated.size)
            y = np.exp(z_treated + k[i] * log_growth[:, d_t]) + effect
            poor_t = y < line[i][treated][None, :]
            cell_t = (rows[:, None] * nd + d_t[None, :])[poor_t]
            hh_poor += np.bincount(cell_t, minlength=c * nd)
            p_poor += np.bincount(cell_t, weights=np.broadcast_to(size[treated], poor_t.shape)[poor_t],
                                  minlength=c * nd)
            households[d0:d0 + c, i] = hh_poor.reshape(c, nd)
            persons[d0:d0 + c, i] = p_poor.reshape(c, nd)
    return persons, households


def zero_years(path: pl.DataFrame, *, threshold: float = 0.5, last_year: int | None = None) -> pl.DataFrame:
    """Per (scenario, level, area) of a projection path: the first year from which the expected poor persons,
    their 95th percentile and the deterministic count stay <= ``threshold``; null when not reached."""
    last = int(path["year"].max()) if last_year is None else last_year  # type: ignore[arg-type]
    keys = ["scenario", "level", "area"]
    out = path.sort(*keys, "year").group_by(keys, maintain_order=True).agg(
        _first_staying(col, threshold).alias(name) for col, name in (
            ("poor_persons", "zero_year"), ("poor_persons_p95", "zero_year_p95"),
            ("deterministic_poor_persons", "zero_year_deterministic")))
    return out.with_columns(reading=pl.when(pl.col("zero_year").is_null()).then(pl.lit(f"not by {last}"))
                            .otherwise(pl.col("zero_year").cast(pl.Utf8)))


def _first_staying(column: str, threshold: float) -> pl.Expr:
    ok = (pl.col(column) <= threshold).cast(pl.Int8)
    stays = ok.reverse().cum_min().reverse() == 1
    return pl.col("year").filter(stays).min().cast(pl.Int64)


def _households(scores: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise SimulationError(f"the scores lack column(s) {', '.join(missing)} (entas.target.score output)")
    hh = scores.select(SCORE_COLUMNS).with_columns(pl.col("household_id", "district_code").cast(pl.Utf8),
                                                   pl.col(SCORE_COLUMNS[2:]).cast(pl.Float64)).sort("household_id")
    if hh.height == 0:
        raise SimulationError("the scores are empty")
    for col, bad in (("household_size", pl.col("household_size") <= 0), ("residual_sd", pl.col("residual_sd") < 0),
                     ("line_extreme_rp_month", pl.col("line_extreme_rp_month") <= 0),
                     ("predicted_log_welfare", pl.col("predicted_log_welfare").is_infinite())):
        rows = hh.with_row_index("_row").filter(bad | pl.col(col).is_null() | pl.col(col).is_nan())
        if rows.height:
            raise SimulationError(f"scores: {rows.height} row(s) with a missing or invalid {col} (first: household "
                                  f"{rows['household_id'][0]})")
    ids = hh["household_id"]
    if (ids.slice(1) == ids.slice(0, ids.len() - 1)).any():  # sorted: a repeated id sits next to itself
        raise SimulationError("scores: a household_id appears more than once")
    return hh


def _assignments(hh: pl.DataFrame, scenario: Scenario, plan: pl.DataFrame | None) -> pl.DataFrame:
    """The plan's assignments with the household's row index ``_h`` and ``delivery_year``; empty when none."""
    empty = pl.DataFrame({"_h": [], "delivery_year": [], "effect_rp_pc_month": [], "district_code": []},
                         schema={"_h": pl.Int64, "delivery_year": pl.Int64, "effect_rp_pc_month": pl.Float64,
                                 "district_code": pl.Utf8})
    if plan is None or plan.height == 0 or not scenario.rollout:
        return empty
    sched = delivery_schedule(plan.with_columns(pl.col("household_id").cast(pl.Utf8)), scenario)
    index = hh.select("household_id", pl.col("district_code").alias("_district"),
                      pl.int_range(pl.len(), dtype=pl.Int64).alias("_h"))
    sched = sched.join(index, on="household_id", how="left").sort("household_id", "program")
    if sched["_h"].null_count():
        raise SimulationError(f"{sched['_h'].null_count()} plan assignment(s) name households not in the scores")
    cols = ["effect_rp_pc_month", *(c for c in TAKE_UP_COLUMNS if c in sched.columns)]
    sched = sched.with_columns(pl.col(cols).cast(pl.Float64))
    bad = sched.filter(pl.any_horizontal(pl.col(c).is_null() | pl.col(c).is_nan() | (pl.col(c) < 0) for c in cols))
    if "take_up" in sched.columns:
        bad = pl.concat([bad, sched.filter(pl.col("take_up") > 1)])
    if bad.height:
        raise SimulationError(f"plan: {bad.height} assignment(s) with a missing or negative effect, or take_up outside "
                              f"[0, 1] (first: household {bad['household_id'][0]}, program {bad['program'][0]})")
    return sched.with_columns(district_code=pl.col("_district"))


def _path_table(scenario: Scenario, hh: pl.DataFrame, districts: list[str], sched: pl.DataFrame,
                delivered: np.ndarray, persons: np.ndarray, households: np.ndarray, det_p: np.ndarray,
                det_h: np.ndarray) -> pl.DataFrame:
    """Expected, 90% band and deterministic counts per (year, district) and (year, province)."""
    provinces = sorted({d.split(".")[0] for d in districts})
    to_prov = np.array([provinces.index(d.split(".")[0]) for d in districts])

    def up(a: np.ndarray) -> np.ndarray:  # sum the last axis (districts) into provinces
        return np.stack([a[..., to_prov == p].sum(axis=-1) for p in range(len(provinces))], axis=-1)

    totals = hh.group_by("district_code").agg(households=pl.len(), persons=pl.col("household_size").sum())
    tot = {r[0]: (r[1], r[2]) for r in totals.iter_rows()}
    a_d = sched["district_code"].replace_strict({d: i for i, d in enumerate(districts)}, return_dtype=pl.Int64)
    n_del = np.stack([np.bincount(a_d.to_numpy(), weights=delivered[i], minlength=len(districts))
                      for i in range(len(scenario.years))])
    frames = []
    for level, areas, conv in (("district", districts, lambda a: a), ("province", provinces, up)):
        p, h, dp, dh, nd_ = conv(persons), conv(households), conv(det_p), conv(det_h), conv(n_del)
        hh_tot = np.array([sum(tot[d][0] for d in districts if d == a or d.split(".")[0] == a) for a in areas])
        pp_tot = np.array([sum(tot[d][1] for d in districts if d == a or d.split(".")[0] == a) for a in areas])
        for i, year in enumerate(scenario.years):
            band_p, band_h = np.percentile(p[:, i], [5, 95], axis=0), np.percentile(h[:, i], [5, 95], axis=0)
            frames.append(pl.DataFrame({
                "scenario": scenario.name, "year": year, "level": level, "area": areas,
                "households": hh_tot.astype(np.int64), "persons": pp_tot,
                "assignments_delivered": nd_[i].astype(np.int64),
                "poor_persons": p[:, i].mean(axis=0), "poor_persons_p05": band_p[0], "poor_persons_p95": band_p[1],
                "poor_households": h[:, i].mean(axis=0), "poor_households_p05": band_h[0],
                "poor_households_p95": band_h[1], "deterministic_poor_persons": dp[i],
                "deterministic_poor_households": dh[i]}))
    out = pl.concat(frames)
    return out.with_columns(
        rate=pl.col("poor_persons") / pl.col("persons"), rate_p05=pl.col("poor_persons_p05") / pl.col("persons"),
        rate_p95=pl.col("poor_persons_p95") / pl.col("persons"),
        deterministic_rate=pl.col("deterministic_poor_persons") / pl.col("persons"),
        year=pl.col("year").cast(pl.Int64)).sort("level", "area", "year")


def simulate_survey(survey: pl.DataFrame, design: SurveyDesign, scenario: Scenario, plan: pl.DataFrame | None = None,
                    *, welfare: str = "consumption_pc_rp_month", line: str = "line_extreme_rp_month",
                    takers: Takers = "expected", seed: int | None = None,
                    snapshot_id: str | None = None) -> pl.DataFrame:
    """Extreme poverty of the survey population by year, before and after the plan, with design-based SEs.

    ``survey``: survey households with ``district_code``, the design's columns, observed ``welfare`` and the
    household's extreme ``line`` (a column; e.g. joined from the scored survey); ``plan``: assignments on
    survey households (solved on the weighted survey). ``takers="expected"`` adds ``effect_rp_pc_month``;
    ``"drawn"`` draws each delivered assignment's take-up once (``seed``) and adds ``effect_full_rp_pc_month``.
    One row per (year, variant, level, area, measure) with ``poverty``'s columns; ``variant`` is ``before``
    (growth only) or ``after`` (growth and the plan delivered by that year).
    """
    needed = ["household_id", "district_code", welfare, line]
    missing = [c for c in needed if c not in survey.columns]
    if missing:
        raise SimulationError(f"the survey lacks column(s) {', '.join(missing)}")
    if takers not in ("expected", "drawn"):
        raise SimulationError(f"takers must be 'expected' or 'drawn', got {takers!r}")
    t = survey.with_columns(pl.col("household_id", "district_code").cast(pl.Utf8)).sort("household_id")
    if t["household_id"].is_duplicated().any():
        raise SimulationError("survey: a household_id appears more than once")
    districts = sorted(t["district_code"].unique().to_list())
    factor = t["district_code"].replace_strict({d: 1.0 + scenario.growth_rate(d) for d in districts},
                                               return_dtype=pl.Float64).to_numpy()
    sched = _assignments(t.select("household_id", "district_code"), scenario, plan)
    gain = sched["effect_rp_pc_month"].to_numpy()
    if takers == "drawn":
        if not all(c in sched.columns for c in TAKE_UP_COLUMNS) and sched.height:
            raise SimulationError("takers='drawn' needs take_up and effect_full_rp_pc_month in the plan "
                                  "(plan_with_take_up)")
        if sched.height:
            rng = np.random.default_rng(scenario.seed if seed is None else seed)
            gain = np.where(rng.random(sched.height) < sched["take_up"].to_numpy(),
                            sched["effect_full_rp_pc_month"].to_numpy(), 0.0)
    y0 = t[welfare].cast(pl.Float64).to_numpy()
    z0 = t[line].cast(pl.Float64).to_numpy()
    a_h, a_year = sched["_h"].to_numpy(), sched["delivery_year"].fill_null(10**6).to_numpy()
    invalid = ~np.isfinite(y0) | (y0 < 0)
    if invalid.any():
        raise SimulationError(f"survey: {int(invalid.sum())} household(s) with a missing or negative {welfare} "
                              f"(first: household {t['household_id'][int(np.flatnonzero(invalid)[0])]})")
    # One poverty pass for all (year, variant): the headcount and the number poor depend only on whether
    # y_tv < z_t, so each (year, variant) becomes a line column that is 2 for the poor and 0.5 for the others,
    # measured on a welfare of 1 (the line value itself, line_rp, means nothing here and is dropped).
    columns: dict[str, pl.Series] = {"_one": pl.Series(np.ones(t.height))}
    names: dict[str, str] = {}
    for year in scenario.years:
        k = year - scenario.base_year
        before = y0 * factor**k
        effect = np.bincount(a_h, weights=gain * (a_year <= year), minlength=t.height)
        z = z0 * (1.0 + scenario.line_growth.value) ** k
        for variant, y in (("before", before), ("after", before + effect)):
            column = f"_line_{len(names)}"
            columns[column] = pl.Series(np.where(y < z, 2.0, 0.5))
            names[f"{year}:{variant}"] = column
    result = poverty(t.with_columns(**columns), design, names, by=["province", "district"],
                     measures=("headcount_ratio", "number_poor"), welfare="_one", snapshot_id=snapshot_id)
    runs = list(names)
    out = result.with_columns(_run=pl.col("line").replace_strict({n: i for i, n in enumerate(runs)},
                                                                  return_dtype=pl.Int64)).sort("_run",
                                                                                               maintain_order=True)
    run = pl.col("line").str.split_exact(":", 1)
    return out.select(pl.lit(scenario.name).alias("scenario"), run.struct.field("field_0").cast(pl.Int32).alias("year"),
                      run.struct.field("field_1").alias("variant"),
                      *(pl.lit("extreme").alias(c) if c == "line" else pl.col(c) for c in result.columns
                        if c != "line_rp"))


def run_record(scenario: Scenario, *, projection: Projection | None = None,
               snapshot_ids: Mapping[str, str] | None = None, draws: int | None = None, seed: int | None = None,
               seconds: float | None = None, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A JSON-able record of a simulation run: the scenario (file, content, SHA-256), inputs, versions, seed,
    draws and timing, so that the run can be repeated and checked."""
    return {
        "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "method_version": METHOD_VERSION,
        "scenario": {"name": scenario.name, "file": str(scenario.source) if scenario.source else None,
                     "sha256": scenario.content_hash, "content": scenario.text,
                     "assumptions": list(scenario.assumptions())},
        "inputs": dict(snapshot_ids or {}),
        "versions": {"entas": entas.__version__, "numpy": np.__version__, "polars": pl.__version__,
                     "python": platform.python_version()},
        "seed": projection.seed if projection else (scenario.seed if seed is None else seed),
        "draws": projection.draws if projection else (scenario.draws if draws is None else draws),
        "zero_threshold_persons": projection.threshold if projection else scenario.zero_threshold,
        "seconds": round(projection.seconds if projection else (seconds or 0.0), 3),
        **({"extra": dict(extra)} if extra else {}),
    }


def combine(projections: Sequence[Projection]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The paths and zero years of several scenarios, stacked (for a comparison table)."""
    if not projections:
        raise SimulationError("no projection to combine")
    return pl.concat([p.path for p in projections]), pl.concat([p.zero_year for p in projections])


__all__ = ["METHOD_VERSION", "Projection", "combine", "delivery_schedule", "plan_with_take_up", "project_registry",
           "run_record", "simulate_survey", "zero_years"]
