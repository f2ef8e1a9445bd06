"""Microsimulation (entas.plan.simulate): hand-computed tiny cases, the normal model's closed form, take-up and
roll-out, reproducibility, and a small synthetic province end to end (registry and survey).

References: by-hand welfare paths (growth and effects in rupiah); the closed form
``P(y < z) = Phi((ln z - mu - k ln(1 + g)) / s)`` of the PMT's normal residual; Gauss-Hermite quadrature over
the growth shock; ``prob_below_extreme`` of entas.target.score; ``entas.allocate``'s own ``after``; a direct
weighted ratio for the survey.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy import stats

import entas
from entas.engine import connect, register, to_polars
from entas.errors import SimulationError
from entas.measure.poverty import poverty
from entas.plan import simulate
from entas.plan.allocate import allocate
from entas.plan.candidates import build_candidates
from entas.plan.scenario import Scenario, load_scenario, scenario_from_mapping
from entas.plan.simulate import (
    delivery_schedule,
    plan_with_take_up,
    project_registry,
    run_record,
    simulate_survey,
    zero_years,
)
from entas.programs.catalog import load_catalog
from entas.survey.design import SurveyDesign
from entas.synth import SynthProvince, generate
from entas.target.pmt import PMTModel, fit_pmt
from entas.target.score import lines_for_year, score_registry

LINE = 391_000.0
REFERENCE_DATE = dt.date(2024, 3, 15)
SIGMAS = 4.0  # Monte Carlo checks: |mean of draws - exact| < 4 standard errors of the mean


def scenario(*, growth: float = 0.0, districts: dict[str, float] | None = None, growth_sd: float = 0.0,
             line_growth: float = 0.0, rollout: dict[str, Any] | None = None, draws: int = 50,
             seed: int = 3) -> Scenario:
    figure = {"status": "assumption", "reason": "test"}
    growth_block: dict[str, Any] = {"province": {"value": growth, **figure},
                                    "growth_sd": {"value": growth_sd, **figure}}
    if districts:
        growth_block["districts"] = {**figure, "values": districts}
    return scenario_from_mapping({
        "name": "test", "description": "test", "base_year": 2024, "years": "2024-2026", "growth": growth_block,
        "line_growth": {"value": line_growth, **figure}, "rollout": rollout or {}, "draws": draws, "seed": seed})


def scores_frame(ids: list[str], districts: list[str], sizes: list[float], welfare: list[float],
                 sd: float | list[float] = 0.0) -> pl.DataFrame:
    n = len(ids)
    return pl.DataFrame({"household_id": ids, "district_code": districts, "household_size": sizes,
                         "predicted_log_welfare": np.log(welfare), "residual_sd": np.broadcast_to(sd, n).copy(),
                         "line_extreme_rp_month": [LINE] * n})


def plan_frame(rows: list[tuple[str, str, float, int, float]], **extra: list[Any]) -> pl.DataFrame:
    """(household_id, program, effect_rp_pc_month, step, rp_per_value) rows."""
    ids, programs, effects, steps, ratios = (list(c) for c in zip(*rows, strict=True))
    return pl.DataFrame({"household_id": ids, "program": programs, "effect_rp_pc_month": effects, "step": steps,
                         "rp_per_value": ratios, **extra})


def area(projection: simulate.Projection, code: str) -> pl.DataFrame:
    return projection.path.filter(pl.col("area") == code).sort("year")


# --- tiny cases, by hand ---------------------------------------------------------------------------------------

def test_growth_and_an_effect_delivered_in_2026_bring_the_district_to_zero_in_2026() -> None:
    # A: 380,000 grows 1% a year -> 383,800 (2025) -> 387,638 (2026) < 391,000; + 5,000 delivered in 2026 -> 392,638
    scores = scores_frame(["a", "b", "c"], ["64.01", "64.01", "64.72"], [4, 2, 3], [380_000, 600_000, 500_000])
    plan = plan_frame([("a", "pkh", 5_000.0, 1, 10.0)])
    result = project_registry(scores, scenario(growth=0.01, rollout={"all": {2025: 0.0, 2026: 1.0}}), plan)
    paser = area(result, "64.01")
    for column in ("poor_persons", "poor_persons_p05", "poor_persons_p95", "deterministic_poor_persons"):
        assert paser[column].to_list() == [4.0, 4.0, 0.0]
    assert paser["poor_households"].to_list() == [1.0, 1.0, 0.0]
    assert paser["assignments_delivered"].to_list() == [0, 0, 1]
    assert paser["rate"].to_list() == pytest.approx([4 / 6, 4 / 6, 0.0])
    zero = result.zero_year.filter(pl.col("area") == "64.01").row(0, named=True)
    assert (zero["zero_year"], zero["zero_year_p95"], zero["zero_year_deterministic"]) == (2026, 2026, 2026)
    assert zero["reading"] == "2026"
    assert result.zero_year.filter(pl.col("area") == "64.72")["zero_year"].item() == 2024
    assert area(result, "64")["poor_persons"].to_list() == [4.0, 4.0, 0.0]  # the province sums its districts


def test_without_growth_the_same_household_stays_poor() -> None:
    scores = scores_frame(["a"], ["64.01"], [4], [380_000])
    plan = plan_frame([("a", "pkh", 5_000.0, 1, 10.0)])
    result = project_registry(scores, scenario(growth=0.0, rollout={"all": {2026: 1.0}}), plan)
    assert area(result, "64.01")["poor_persons"].to_list() == [4.0, 4.0, 4.0]
    assert result.zero_year.filter(pl.col("area") == "64.01")["reading"].item() == "not by 2026"


def test_take_up_zero_never_lifts_and_take_up_one_always_does() -> None:
    scores = scores_frame(["a"], ["64.01"], [4], [380_000])
    for take_up, expected in ((0.0, [4.0, 4.0, 4.0]), (1.0, [4.0, 0.0, 0.0])):
        plan = plan_frame([("a", "pkh", 20_000.0 * take_up, 1, 10.0)], take_up=[take_up],
                          effect_full_rp_pc_month=[20_000.0])
        result = project_registry(scores, scenario(rollout={"all": {2025: 1.0}}), plan)
        assert area(result, "64.01")["poor_persons"].to_list() == expected
        assert area(result, "64.01")["deterministic_poor_persons"].to_list() == expected
    zero = result.zero_year.filter(pl.col("area") == "64.01")
    assert zero["zero_year"].item() == 2025
    never = project_registry(scores, scenario(rollout={"all": {2025: 1.0}}), plan_frame(
        [("a", "pkh", 0.0, 1, 10.0)], take_up=[0.0], effect_full_rp_pc_month=[20_000.0]))
    assert never.zero_year.filter(pl.col("area") == "64.01")["zero_year"].item() is None


def test_take_up_is_a_bernoulli_draw_per_draw_kept_across_years() -> None:
    draws = 400
    scores = scores_frame(["a"], ["64.01"], [5], [370_000])  # + 30,000 if taken: 400,000; expected 12,000: poor
    plan = plan_frame([("a", "pkh", 12_000.0, 1, 1.0)], take_up=[0.4], effect_full_rp_pc_month=[30_000.0])
    result = project_registry(scores, scenario(rollout={"all": {2025: 1.0}}, draws=draws), plan)
    path = area(result, "64.01")
    lifted = 1 - path["poor_households"][1]
    assert abs(lifted - 0.4) < SIGMAS * math.sqrt(0.4 * 0.6 / draws)
    assert path["poor_households"][1] == path["poor_households"][2]  # the same takers in 2025 and 2026
    assert path["deterministic_poor_persons"].to_list() == [5.0, 5.0, 5.0]  # 12,000 expected does not lift
    assert (path["poor_persons_p05"][1], path["poor_persons_p95"][1]) == (0.0, 5.0)


def test_roll_out_follows_the_plan_priority_order() -> None:
    plan = plan_frame([("d", "pkh", 1.0, 3, 0.5), ("a", "pkh", 1.0, 2, 1.0), ("b", "bsps", 1.0, 1, 5.0),
                       ("c", "pkh", 1.0, 1, 2.0)], strategy=["expenditure_burden", "expenditure_burden", "pockets",
                                                              "expenditure_burden"])
    schedule = delivery_schedule(plan, scenario(rollout={"all": {2025: 0.5, 2026: 1.0}}))
    assert schedule["household_id"].to_list() == ["c", "b", "a", "d"]  # step, then rp_per_value
    assert schedule["delivery_year"].to_list() == [2025, 2025, 2026, 2026]
    by_key = delivery_schedule(plan, scenario(rollout={"pkh": {2025: 0.34, 2026: 0.67}, "pockets": {2024: 1.0}}))
    years = dict(zip(by_key["household_id"].to_list(), by_key["delivery_year"].to_list(), strict=True))
    # pkh: 3 assignments in order c, a, d; floor(0.34 x 3) = 1 by 2025, floor(0.67 x 3) = 2 by 2026
    assert years == {"c": 2025, "a": 2026, "d": None, "b": 2024}
    by_strategy = delivery_schedule(plan, scenario(rollout={"expenditure_burden": {2026: 1.0}}))
    assert by_strategy.filter(pl.col("household_id") == "b")["delivery_year"].item() is None
    with pytest.raises(SimulationError, match="strategy column"):
        delivery_schedule(plan.drop("strategy"), scenario(rollout={"pockets": {2026: 1.0}}))
    absent = delivery_schedule(plan.drop("strategy"), scenario(rollout={"bsps": {2026: 1.0}, "water": {2025: 1.0}}))
    assert absent.filter(pl.col("delivery_year").is_not_null())["household_id"].to_list() == ["b"]


def test_the_zero_year_is_the_first_year_from_which_the_count_stays_at_zero() -> None:
    rows = {"scenario": ["s"] * 3, "level": ["district"] * 3, "area": ["64.01"] * 3, "year": [2024, 2025, 2026]}
    path = pl.DataFrame({**rows, "poor_persons": [3.0, 0.2, 1.0], "poor_persons_p95": [5.0, 0.4, 0.0],
                         "deterministic_poor_persons": [0.0, 0.0, 0.0]})
    zero = zero_years(path, threshold=0.5).row(0, named=True)
    assert (zero["zero_year"], zero["zero_year_p95"], zero["zero_year_deterministic"]) == (None, 2025, 2024)
    assert zero["reading"] == "not by 2026"


# --- the normal model, exactly ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def random_registry() -> pl.DataFrame:
    rng = np.random.default_rng(11)
    n = 2_000
    return scores_frame([f"h{i:05d}" for i in range(n)], list(rng.choice(["64.01", "64.02", "64.72"], n)),
                        list(rng.integers(1, 8, n).astype(float)), list(np.exp(rng.normal(13.2, 0.35, n))),
                        list(rng.uniform(0.2, 0.5, n)))


def test_expected_counts_match_the_closed_form_normal_probabilities(random_registry: pl.DataFrame) -> None:
    districts = {"64.01": 0.03, "64.02": -0.02}
    draws = 300
    sc = scenario(growth=0.01, districts=districts, line_growth=0.005, draws=draws)
    result = project_registry(random_registry, sc)
    r = random_registry
    for year in sc.years:
        k = year - 2024
        g = r["district_code"].replace_strict(districts, default=0.01, return_dtype=pl.Float64).to_numpy()
        z = np.log(LINE * 1.005**k)
        p = stats.norm.cdf((z - r["predicted_log_welfare"].to_numpy() - k * np.log1p(g)) / r["residual_sd"].to_numpy())
        m = r["household_size"].to_numpy()
        for code in ("64.01", "64.02", "64.72"):
            mask = r["district_code"].to_numpy() == code
            exact, se = (m * p)[mask].sum(), math.sqrt((m**2 * p * (1 - p))[mask].sum() / draws)
            row = result.path.filter((pl.col("area") == code) & (pl.col("year") == year)).row(0, named=True)
            assert abs(row["poor_persons"] - exact) < SIGMAS * se, (code, year)
            median_poor = m[mask & (r["predicted_log_welfare"].to_numpy() + k * np.log1p(g) < z)].sum()
            assert row["deterministic_poor_persons"] == median_poor
            assert row["poor_persons_p05"] <= row["poor_persons"] <= row["poor_persons_p95"]


def test_growth_uncertainty_matches_gauss_hermite_integration(random_registry: pl.DataFrame) -> None:
    draws = 400
    one = random_registry.filter(pl.col("district_code") == "64.72")
    sc = scenario(growth=0.02, growth_sd=0.03, draws=draws)
    result = area(project_registry(one, sc), "64.72").filter(pl.col("year") == 2026).row(0, named=True)
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)
    weights = weights / weights.sum()
    mu, s, m = (one[c].to_numpy() for c in ("predicted_log_welfare", "residual_sd", "household_size"))
    p = stats.norm.cdf((np.log(LINE) - mu[None, :] - 2 * np.log1p(0.02 + 0.03 * nodes)[:, None]) / s[None, :])
    given_u = (m * p).sum(axis=1)
    exact = weights @ given_u
    variance = weights @ (given_u - exact) ** 2 + weights @ (m**2 * p * (1 - p)).sum(axis=1)
    assert abs(result["poor_persons"] - exact) < SIGMAS * math.sqrt(variance / draws)
    narrow = area(project_registry(one, scenario(growth=0.02, draws=draws)), "64.72").filter(pl.col("year") == 2026)
    assert (result["poor_persons_p95"] - result["poor_persons_p05"]
            > (narrow["poor_persons_p95"] - narrow["poor_persons_p05"]).item())


def test_draws_are_reproducible_and_do_not_depend_on_row_order_or_chunks(random_registry: pl.DataFrame,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    chosen = rng.choice(random_registry.height, 300, replace=False)
    ids = random_registry["household_id"].gather(chosen).to_list()
    plan = plan_frame([(h, "pkh", 10_000.0, int(rng.integers(1, 5)), float(rng.uniform(1, 9))) for h in ids],
                      take_up=list(rng.uniform(0.3, 1.0, len(ids))), effect_full_rp_pc_month=[25_000.0] * len(ids))
    sc = scenario(growth=0.01, growth_sd=0.02, rollout={"all": {2025: 0.5, 2026: 1.0}}, draws=30)
    first = project_registry(random_registry, sc, plan)
    shuffled = project_registry(random_registry.sample(fraction=1.0, shuffle=True, seed=5), sc,
                                plan.sample(fraction=1.0, shuffle=True, seed=6))
    assert_frame_equal(first.path, shuffled.path)
    monkeypatch.setattr(simulate, "CHUNK_CELLS", 3 * random_registry.height)  # chunks of 3 draws
    assert_frame_equal(first.path, project_registry(random_registry, sc, plan).path)
    other = project_registry(random_registry, sc, plan, seed=sc.seed + 1)
    assert not other.path["poor_persons"].equals(first.path["poor_persons"])


def test_bad_inputs_are_named() -> None:
    scores = scores_frame(["a"], ["64.01"], [4], [380_000])
    with pytest.raises(SimulationError, match="lack column"):
        project_registry(scores.drop("residual_sd"), scenario())
    with pytest.raises(SimulationError, match="invalid household_size"):
        project_registry(scores.with_columns(household_size=pl.lit(0.0)), scenario())
    ghost = plan_frame([("zz", "pkh", 1.0, 1, 1.0)])
    with pytest.raises(SimulationError, match="not in the scores"):
        project_registry(scores, scenario(rollout={"all": {2025: 1.0}}), ghost)
    odd = plan_frame([("a", "pkh", 1.0, 1, 1.0)], take_up=[1.5], effect_full_rp_pc_month=[1.0])
    with pytest.raises(SimulationError, match="take_up outside"):
        project_registry(scores, scenario(rollout={"all": {2025: 1.0}}), odd)
    with pytest.raises(SimulationError, match="draws"):
        project_registry(scores, scenario(), draws=0)


# --- a small synthetic province, end to end ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def province() -> SynthProvince:
    return generate("64", 2024, scale=0.02, seed=5)


@pytest.fixture(scope="module")
def model(province: SynthProvince) -> PMTModel:
    return fit_pmt(province.survey_households, province.survey_members, selection="none",
                   reference_date=REFERENCE_DATE)


@pytest.fixture(scope="module")
def scored(province: SynthProvince, model: PMTModel) -> tuple[Any, Any, pl.DataFrame]:
    backend = connect()
    households, members = register(backend, province.households, "h"), register(backend, province.members, "m")
    lines = lines_for_year(2024, extreme_basis="USD 2.15 PPP 2017")
    scores = to_polars(score_registry(model, households, members, lines=lines, reference_date=REFERENCE_DATE))
    return households, members, scores


def test_the_projected_2024_count_is_the_sum_of_pmt_probabilities(scored: tuple[Any, Any, pl.DataFrame]) -> None:
    scores = scored[2]
    draws = 200
    result = project_registry(scores, load_scenario("baseline"), draws=draws)
    row = area(result, "64").filter(pl.col("year") == 2024).row(0, named=True)
    p, m = scores["prob_below_extreme"].to_numpy(), scores["household_size"].to_numpy()
    assert abs(row["poor_persons"] - (m * p).sum()) < SIGMAS * math.sqrt((m**2 * p * (1 - p)).sum() / draws)
    assert row["households"] == scores.height and row["persons"] == m.sum()
    later = area(result, "64")["poor_persons"].to_list()
    assert later[0] > later[1] > later[2]  # positive growth everywhere in the baseline


def test_a_plan_fully_delivered_without_growth_gives_the_allocation_after(
    scored: tuple[Any, Any, pl.DataFrame],
) -> None:
    households, members, scores = scored
    candidates = build_candidates(households, members, scores, load_catalog(), as_of=REFERENCE_DATE, scope="poor",
                                  poor_margin=1.5)
    budgets = candidates.group_by("program").agg(budget_rp=pl.col("cost_rp").sum() * 0.3).select(
        pl.lit("program").alias("kind"), pl.col("program").alias("key"), "budget_rp")
    allocation = allocate(candidates, budgets, objective="headcount", method="greedy", bound=False)
    plan = plan_with_take_up(allocation.plan, candidates)
    assert {"take_up", "effect_full_rp_pc_month", "strategy"} <= set(plan.columns)
    result = project_registry(scores, scenario(rollout={"all": {2025: 1.0}}, draws=20), plan)
    province = area(result, "64")["deterministic_poor_persons"].to_list()
    # predicted poor households without any candidate pair are outside allocate's objective, not the projection's
    poor = scores.filter(pl.col("predicted_welfare_rp_month") < pl.col("line_extreme_rp_month"))
    outside = float(poor.join(candidates.select("household_id").unique(), on="household_id",
                              how="anti")["household_size"].sum())
    assert province[0] == pytest.approx(allocation.before + outside)
    assert province[1] == province[2] == pytest.approx(allocation.after + outside)
    drawn = area(result, "64")["poor_persons"].to_list()
    assert drawn[1] < drawn[0]


def test_survey_microsimulation_before_and_after_with_design_based_se(province: SynthProvince,
                                                                      model: PMTModel) -> None:
    backend = connect()
    households = register(backend, province.survey_households, "s")
    members = register(backend, province.survey_members, "sm")
    lines = lines_for_year(2024, extreme_basis="USD 2.15 PPP 2017")
    scores = to_polars(score_registry(model, households, members, lines=lines, reference_date=REFERENCE_DATE,
                                      weight="weight"))
    candidates = build_candidates(households, members, scores, load_catalog(), as_of=REFERENCE_DATE, scope="poor",
                                  poor_margin=1.5).join(province.survey_households.select("household_id", "weight"),
                                                        on="household_id")
    budgets = candidates.group_by("program").agg(budget_rp=(pl.col("cost_rp") * pl.col("weight")).sum() * 0.5)
    budgets = budgets.select(pl.lit("program").alias("kind"), pl.col("program").alias("key"), "budget_rp")
    allocation = allocate(candidates, budgets, objective="gap", method="greedy", bound=False)
    assert allocation.plan.height > 0
    plan = plan_with_take_up(allocation.plan, candidates)
    survey = province.survey_households.join(scores.select("household_id", "line_extreme_rp_month"), on="household_id")
    design = SurveyDesign.susenas(lonely_psu="adjust")
    sc = scenario(growth=0.05, rollout={"all": {2025: 1.0}})
    result = simulate_survey(survey, design, sc, plan)
    rate = result.filter((pl.col("level") == "province") & (pl.col("measure") == "headcount_ratio"))
    direct = poverty(survey, design, {"extreme": "line_extreme_rp_month"}, by=["province"],
                     measures=("headcount_ratio",)).filter(pl.col("level") == "province").row(0, named=True)
    base = rate.filter((pl.col("year") == 2024) & (pl.col("variant") == "before")).row(0, named=True)
    assert base["estimate"] == pytest.approx(direct["estimate"]) and base["se"] == pytest.approx(direct["se"])
    assert base["se"] > 0 and base["df"] is not None
    # by hand in 2026: observed x 1.05^2 + effects of every assignment, weighted persons below the line
    gain = plan.group_by("household_id").agg(pl.col("effect_rp_pc_month").sum())
    by_hand = survey.join(gain, on="household_id", how="left").with_columns(
        y=pl.col("consumption_pc_rp_month") * 1.05**2 + pl.col("effect_rp_pc_month").fill_null(0.0),
        pw=pl.col("weight") * pl.col("household_size"))
    expected = by_hand.select((pl.col("pw") * (pl.col("y") < pl.col("line_extreme_rp_month"))).sum()
                              / pl.col("pw").sum()).item()
    after = rate.filter((pl.col("year") == 2026) & (pl.col("variant") == "after"))["estimate"].item()
    assert after == pytest.approx(expected)
    # the same design-based SE and deff as measuring that 2026 welfare directly (one pass serves every year)
    direct_2026 = poverty(by_hand, design, {"extreme": "line_extreme_rp_month"}, by=["province"], welfare="y",
                          measures=("headcount_ratio",)).filter(pl.col("level") == "province").row(0, named=True)
    row_2026 = rate.filter((pl.col("year") == 2026) & (pl.col("variant") == "after")).row(0, named=True)
    assert row_2026["se"] == pytest.approx(direct_2026["se"]) and row_2026["deff"] == pytest.approx(direct_2026["deff"])
    assert row_2026["se"] != pytest.approx(base["se"])
    negative = survey.with_columns(consumption_pc_rp_month=pl.when(pl.col("household_id") == survey["household_id"][3])
                                   .then(-1.0).otherwise(pl.col("consumption_pc_rp_month")))
    with pytest.raises(SimulationError, match=r"1 household.*negative consumption_pc_rp_month"):
        simulate_survey(negative, design, sc, plan)
    wide = rate.pivot(on="variant", index=["year", "area"], values="estimate")
    assert (wide["after"] <= wide["before"] + 1e-12).all()
    assert rate.filter(pl.col("year") == 2024)["estimate"].n_unique() == 1  # nothing delivered in 2024
    assert set(result["level"].unique().to_list()) == {"province", "district"}


def test_the_run_record_is_json_and_pins_the_scenario_file() -> None:
    sc = load_scenario("plan")
    scores = scores_frame(["a"], ["64.01"], [4], [380_000])
    projection = project_registry(scores, sc, draws=5)
    record = run_record(sc, projection=projection, snapshot_ids={"registry": "r-2024-03"})
    text = json.dumps(record)
    assert json.loads(text)["scenario"]["sha256"] == hashlib.sha256(sc.source.read_bytes()).hexdigest()  # type: ignore[union-attr]
    assert record["inputs"] == {"registry": "r-2024-03"}
    assert record["draws"] == 5 and record["seed"] == sc.seed
    assert record["versions"]["entas"] == entas.__version__ and record["versions"]["numpy"] == np.__version__
    assert record["scenario"]["assumptions"] == ["growth.growth_sd", "line_growth"]
    assert record["seconds"] >= 0
