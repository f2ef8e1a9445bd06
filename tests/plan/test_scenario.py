"""Scenario files (entas.plan.scenario): the packaged scenarios, the growth derivation, and the errors.

References: the published BPS March headcount rates in entas/data/kaltim_districts.csv (the packaged
scenarios' district growth must be what ``growth_from_poverty_rates`` gives on them); the lognormal
identity P0 = Phi((ln z - mu) / sigma) for the derivation itself.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from scipy import stats

from entas.errors import SimulationError
from entas.plan.scenario import (
    growth_from_poverty_rates,
    list_scenarios,
    load_scenario,
    scenario_from_mapping,
)

DISTRICTS = Path(__file__).parents[2] / "src" / "entas" / "data" / "kaltim_districts.csv"
GINI_2024 = 0.321
ROUNDING = 5e-5  # the scenario files carry four decimals


def minimal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "test", "description": "a test scenario", "base_year": 2024, "years": "2024-2026",
        "growth": {"province": {"value": 0.01, "status": "assumption", "reason": "round number for a test"}},
    }
    data.update(changes)
    return data


def test_the_packaged_scenarios_load_and_say_what_they_assume() -> None:
    assert set(list_scenarios()) >= {"baseline", "plan", "slow"}
    baseline, plan, slow = (load_scenario(n) for n in ("baseline", "plan", "slow"))
    assert baseline.rollout == {}
    assert plan.rollout == {"all": {2025: 0.5, 2026: 1.0}}
    assert plan.share_delivered("all", 2024) == 0.0 and plan.share_delivered("all", 2026) == 1.0
    assert slow.share_delivered("all", 2026) < plan.share_delivered("all", 2026)
    assert all(slow.growth_rate(d) < plan.growth_rate(d) for d in plan.district_growth)
    for scenario in (baseline, plan, slow):
        assert scenario.years == (2024, 2025, 2026) and scenario.base_year == 2024
        assert scenario.growth.status == "derived" and scenario.growth.source and scenario.growth.note
        assert set(scenario.assumptions()) == {"growth.growth_sd", "line_growth"}
        assert len(scenario.district_growth) == 10
        assert scenario.content_hash == load_scenario(scenario.name).content_hash


@pytest.mark.parametrize(("scenario", "start", "years"), [("baseline", "p0_2021", 3), ("slow", "p0_2016", 8)])
def test_district_growth_is_what_the_published_rates_give(scenario: str, start: str, years: int) -> None:
    rates = load_scenario(scenario).district_growth
    published = pl.read_csv(DISTRICTS, schema_overrides={"kemendagri_code": pl.Utf8})
    assert set(rates) == set(published["kemendagri_code"].to_list())
    for row in published.iter_rows(named=True):
        derived = growth_from_poverty_rates(row[start] / 100, row["p0_2024"] / 100, years, gini=GINI_2024)
        assert rates[row["kemendagri_code"]] == pytest.approx(derived, abs=ROUNDING)


def test_growth_from_poverty_rates_reproduces_the_end_rate_under_the_lognormal() -> None:
    g = growth_from_poverty_rates(0.0654, 0.0578, 3, gini=GINI_2024)
    sigma = math.sqrt(2) * stats.norm.ppf((1 + GINI_2024) / 2)
    gap = sigma * stats.norm.ppf(0.0654)  # ln z - mu at the start
    assert stats.norm.cdf((gap - 3 * math.log1p(g)) / sigma) == pytest.approx(0.0578, rel=1e-9)
    assert growth_from_poverty_rates(0.05, 0.05, 4, gini=0.3) == 0.0
    assert growth_from_poverty_rates(0.05, 0.06, 1, gini=0.3) < 0
    # a lognormal with Gini 0.321 has sigma ~ 0.585 (G = 2 Phi(sigma / sqrt 2) - 1)
    assert 2 * stats.norm.cdf(sigma / math.sqrt(2)) - 1 == pytest.approx(GINI_2024)
    with pytest.raises(SimulationError, match="p0_end"):
        growth_from_poverty_rates(0.05, 5.0, 1, gini=0.3)


def test_years_as_a_range_or_a_list_and_the_roll_out_as_a_step_function() -> None:
    scenario = scenario_from_mapping(minimal(years=[2024, 2026], rollout={"pkh": {2025: 0.3, "2026": 0.8}}))
    assert scenario.years == (2024, 2026)
    assert [scenario.share_delivered("pkh", y) for y in (2024, 2025, 2026)] == [0.0, 0.3, 0.8]
    assert scenario.share_delivered("bsps", 2026) == 0.0
    assert scenario.growth_rate("64.99") == 0.01
    assert scenario.growth_sd.value == 0.0 and scenario.line_growth.value == 0.0
    assert scenario.assumptions() == ("growth.province", "growth.growth_sd", "line_growth")


def test_a_budgets_path_is_read_relative_to_the_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(minimal(plan={"budgets": "budgets.csv", "objective": "gap"})), encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.budgets == tmp_path / "budgets.csv"
    assert scenario.objective == "gap" and scenario.method == "greedy"
    assert scenario.source == path and scenario.text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"growth": {"province": 0.02}}, "growth.province", "carries its source"),
    ({"growth": {"province": {"value": 0.02, "status": "sourced"}}}, "growth.province.source", "needs source"),
    ({"growth": {"province": {"value": 0.02, "status": "derived", "source": "BPS"}}}, "growth.province.method",
     "needs source and method"),
    ({"growth": {"province": {"value": 0.02, "status": "assumption"}}}, "growth.province.reason", "needs reason"),
    ({"growth": {"province": {"value": 0.02, "status": "guess", "reason": "x"}}}, "growth.province.status",
     "not one of"),
    ({"growth": {"province": {"value": 2.0, "status": "assumption", "reason": "x"}}}, "growth.province.value",
     "expected a number"),
    ({"growth": {"province": {"value": 0.0, "status": "assumption", "reason": "x"},
                 "districts": {"status": "assumption", "reason": "x", "values": {"6401": 0.01}}}},
     "growth.districts.values.6401", "Kemendagri district code"),
    ({"years": "2026-2024"}, "years", "FIRST-LAST"),
    ({"years": [2023, 2024]}, "years", "must lie in"),
    ({"rollout": {"all": {2025: 0.6, 2026: 0.4}}}, "rollout.all", "cannot fall"),
    ({"rollout": {"all": {2025: 1.5}}}, "rollout.all.2025", r"share in \[0, 1\]"),
    ({"rollout": {"all": {2030: 1.0}}}, "rollout.all.2030", "a year in 2024-2026"),
    ({"rollout": {"all": {2025: 1.0}, "pkh": {2025: 1.0}}}, "rollout", "do not combine"),
    ({"plan": {"objective": "happiness"}}, "plan.objective", "not one of"),
    ({"draws": 0}, "draws", "whole number"),
    ({"colour": "blue"}, "colour", "unknown field"),
    ({"name": "a b"}, "name", "letters, digits"),
])
def test_a_bad_scenario_file_names_the_file_and_the_field(tmp_path: Path, changes: dict[str, Any], field: str,
                                                           message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(minimal(**changes)), encoding="utf-8")
    with pytest.raises(SimulationError, match=message) as error:
        load_scenario(path)
    assert str(path) in str(error.value) and f"field {field!r}" in str(error.value)


def test_missing_fields_unreadable_files_and_unknown_names(tmp_path: Path) -> None:
    data = minimal()
    del data["growth"]
    path = tmp_path / "no_growth.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(SimulationError, match="field 'growth': missing"):
        load_scenario(path)
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(SimulationError, match="cannot read YAML"):
        load_scenario(broken)
    with pytest.raises(SimulationError, match="packaged: baseline"):
        load_scenario("no_such_scenario")
