"""The full-scale registry reproduces the published targets; PMT fit and village clustering are realistic."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from entas.synth import SynthProvince, calibration_report
from entas.synth.population import INTERIOR_DISTRICTS
from entas.synth.welfare import ols_fit, pmt_design


def test_full_registry_meets_every_target_within_tolerance(full: SynthProvince) -> None:
    report = calibration_report(full)
    assert report.height == 24
    failed = report.filter(~pl.col("ok"))
    assert failed.height == 0, failed


def test_full_registry_size_is_the_province(full: SynthProvince) -> None:
    assert 1_000_000 <= full.households.height <= 1_200_000
    assert 4_000_000 <= full.members.height <= 4_150_000
    assert 9_000 <= full.survey_households.height <= 11_000


def test_kelurahan_are_larger_than_desa_on_average(full: SynthProvince) -> None:
    sizes = full.truth.group_by("village_code", "urban").agg(n=pl.len()).group_by("urban").agg(pl.col("n").mean())
    by = dict(zip(sizes["urban"].to_list(), sizes["n"].to_list(), strict=True))
    assert by[True] > by[False]


def test_pmt_r2_in_survey_is_between_04_and_06(full: SynthProvince) -> None:
    design, _ = pmt_design(full.survey_households, full.survey_members, dt.date(2024, 3, 15))
    y = np.log(full.survey_households["consumption_pc_rp_month"].to_numpy())
    _, r2 = ols_fit(design, y)
    assert 0.4 <= r2 <= 0.6


def test_poverty_clusters_in_villages_more_in_the_interior(full: SynthProvince) -> None:
    villages = full.truth.group_by("village_code", "district_code").agg(
        n=pl.col("household_size").sum(),
        p=(pl.col("household_size") * pl.col("poor")).sum() / pl.col("household_size").sum(),
    ).with_columns(interior=pl.col("district_code").is_in(list(INTERIOR_DISTRICTS)))
    # persons cluster in households; the binomial variance uses households (mean size ~3.7) as the unit
    stats = villages.group_by("interior").agg(
        observed=pl.col("p").var(),
        binomial=(pl.col("p").mean() * (1 - pl.col("p").mean()) / (pl.col("n") / 3.7)).mean(),
    )
    by = {row["interior"]: row for row in stats.iter_rows(named=True)}
    assert by[True]["observed"] > 3 * by[True]["binomial"]
    assert by[False]["observed"] > 3 * by[False]["binomial"]
    assert by[True]["observed"] > by[False]["observed"]


def test_registry_deciles_rank_welfare_relative_to_the_district_line(full: SynthProvince) -> None:
    """Desil 1 holds the poorest by welfare ratio, and its district shares follow district poverty."""
    truth = full.truth.select("household_id", "consumption_pc_rp_month", "poverty_line_rp_month", "poor")
    joined = full.households.select("household_id", "welfare_decile").join(truth, on="household_id")
    by_decile = (
        joined.group_by("welfare_decile")
        .agg(ratio=(pl.col("consumption_pc_rp_month") / pl.col("poverty_line_rp_month")).median())
        .sort("welfare_decile")
    )
    assert by_decile["ratio"].is_sorted()
    districts = (
        joined.with_columns(district=pl.col("household_id").str.slice(0, 4))
        .group_by("district")
        .agg(desil_1=(pl.col("welfare_decile") == 1).mean(), poor=pl.col("poor").mean())
    )
    assert districts.select(pl.corr("desil_1", "poor", method="spearman")).item() > 0.8
