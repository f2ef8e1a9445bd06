"""Inputs of an area-level small-area model on entas data, and ratio benchmarking of its estimates.

**Direct estimates** (``direct_estimates``): a poverty measure by area (district, subdistrict or village) from
the survey with its design, by ``entas.measure.poverty.poverty`` (person-level, poor means y < z strictly,
linearized variance on the full design). The sampling variance of an area is its ``se**2``, with two
variance models:

- ``variance_model="direct"``: the design variance, kept only where the area's sample spans at least
  ``min_psu`` PSUs (default 2) and is > 0. A domain inside one PSU has a linearized variance that is 0 or
  only the within-PSU term — not a usable variance — and a sample with no poor household has variance 0;
  such areas get a null ``variance`` and the Fay-Herriot model treats them as out of sample (synthetic).
- ``variance_model="gvf"``: a generalized variance function that smooths unstable variances by borrowing
  the district's design effect: ``variance = var_D n_D / n_a``, the district's variance per sampled household
  spread over the area's n_a sampled households. For a headcount ratio this is
  ``p_D (1 - p_D) deff_D / n_a`` (up to the fpc), with the *district* rate p_D instead of the area's: it is
  never 0 when the district has poor people, and it does not correlate the variance with the area's own
  estimate (which biases Fay-Herriot shrinkage when small p-hat come with small variances). Assumes the area
  is as clustered as its district and has its district's element variance.

Columns: ``area_code, district_code, estimate, variance, variance_model, direct_variance, gvf_variance, n,
n_psu, district_estimate, district_variance, district_n, measure, line``; ``n`` and ``n_psu`` count sampled
households and PSUs (stratum x PSU) of the area. Only areas with sample appear.

**Registry covariates** (``registry_covariates``): per area, from every registry household, as Ibis
expressions (the same code on DuckDB or Spark): ``households``, ``population`` (sum of household sizes) and
``COVARIATES`` — shares of households in welfare decile 1-2, without electricity (lighting ``none``),
without PLN electricity, without a toilet, with unimproved drinking water (unprotected well or spring,
surface or rain water), with an earth floor, cooking with wood or charcoal, receiving PKH, and the mean
household size. A share is over the households with that field recorded (nulls are left out).

**Benchmarking** (``benchmark_to_direct``): ratio benchmarking so that the person-weighted mean of the area
estimates of a district equals the district's direct estimate: ``b_a = e_a r_D`` with
``r_D = direct_D / (sum_a N_a e_a / sum_a N_a)`` over the district's areas, N_a the registry population.
Caveat on MSE: the adjusted estimate is no longer the EBLUP and its MSE is not the EBLUP's; the column
``mse_benchmarked`` adds the squared adjustment, ``mse + (b_a - e_a)^2``, a rough first-order figure that
treats the adjustment as a fixed bias and ignores the sampling error of the district direct estimate and of
r_D (see Steorts and Ghosh 2013 for a second-order treatment of benchmarked EBLUPs). Ratio benchmarking needs
estimates >= 0 (clip a Fay-Herriot fit at 0 first) and a district mean > 0.

References: Rao and Molina (2015), Small Area Estimation, sec. 6.4 (benchmarking) and 6.1 (smoothed sampling
variances); Wolter (2007), Introduction to Variance Estimation, ch. 7 (generalized variance functions).
Steorts, R. and Ghosh, M. (2013), Statistica Sinica 23, 749-767.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import ibis  # type: ignore[import-untyped]
import polars as pl

from entas.engine import as_table, to_polars
from entas.errors import SmallAreaError
from entas.measure.poverty import AREA_LEVELS, RATIO_MEASURES, Line, level_expression, poverty
from entas.survey.design import PSU, STRATUM, SurveyDesign

VarianceModel = Literal["direct", "gvf"]
LEVELS = ("district", "subdistrict", "village")
DISTRICT_WIDTH = AREA_LEVELS["district"]
NO_ELECTRICITY = ("none",)
PLN = ("pln_metered", "pln_unmetered")
UNIMPROVED_WATER = ("unprotected_well", "unprotected_spring", "surface", "rain")
SOLID_FUEL = ("wood", "charcoal")
COVARIATES = ("share_desil_1_2", "share_no_electricity", "share_no_pln", "share_no_toilet",
              "share_unimproved_water", "share_earth_floor", "share_solid_fuel", "share_pkh", "mean_household_size")
"""The model covariates ``registry_covariates`` computes (``households`` and ``population`` are counts, not
covariates)."""


def _level(level: str) -> str:
    if level not in LEVELS:
        raise SmallAreaError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    return level


def direct_estimates(
    survey: Any,
    design: SurveyDesign,
    lines: Mapping[str, float | int | str] | float | int | str | Sequence[Line],
    *,
    level: str = "subdistrict",
    measure: str = "headcount_ratio",
    line: str | None = None,
    variance_model: VarianceModel = "direct",
    min_psu: int = 2,
    gvf_deff: float | None = None,
    welfare: str = "consumption_pc_rp_month",
) -> pl.DataFrame:
    """Direct estimates of ``measure`` by ``level`` with the sampling variance of ``variance_model``.

    ``lines`` as in ``poverty``; ``line`` picks one of them by name (default: the first). See the module
    docstring for the columns and the two variance models.
    """
    _level(level)
    if measure not in RATIO_MEASURES:
        raise SmallAreaError(f"small-area models take a rate: measure must be one of {RATIO_MEASURES}")
    if variance_model not in ("direct", "gvf"):
        raise SmallAreaError(f"variance_model must be 'direct' or 'gvf', got {variance_model!r}")
    if gvf_deff is not None and not gvf_deff > 0:
        raise SmallAreaError(f"gvf_deff must be > 0, got {gvf_deff}")
    if min_psu < 1:
        raise SmallAreaError(f"min_psu must be >= 1, got {min_psu}")
    t = as_table(survey)
    est = poverty(t, design, lines, by=[level, "district"], measures=[measure], welfare=welfare)
    chosen = line if line is not None else est["line"].drop_nulls().first()
    if chosen not in est["line"].to_list():
        raise SmallAreaError(f"no line named {line!r}; lines: {sorted(set(est['line'].drop_nulls()))}")
    est = est.filter(pl.col("line") == chosen)
    district = est.filter(pl.col("level") == "district").select(
        pl.col("area").alias("district_code"), pl.col("estimate").alias("district_estimate"),
        (pl.col("se") ** 2).alias("district_variance"), pl.col("deff").alias("district_deff"),
        pl.col("n").alias("district_n"))
    areas = est.filter(pl.col("level") == level).select(
        pl.col("area").alias("area_code"), "estimate", (pl.col("se") ** 2).alias("direct_variance"), "n",
        pl.col("measure"), pl.col("line"))

    keyed = design.keyed(t)
    keyed = keyed.mutate(_area=level_expression(keyed, level))
    # without a PSU column every household is its own PSU
    n_psu = (keyed[STRATUM] + ibis.literal("|") + keyed[PSU]).nunique() if design.psu else keyed.count()
    psus = to_polars(keyed.group_by("_area").aggregate(n_psu=n_psu))
    areas = (areas.join(psus.rename({"_area": "area_code"}), on="area_code", how="left")
             .with_columns(pl.col("area_code").str.slice(0, DISTRICT_WIDTH).alias("district_code"))
             .join(district, on="district_code", how="left"))
    gvf = pl.col("district_variance") * pl.col("district_n") / pl.col("n")
    if gvf_deff is not None:  # the district's element variance S^2 = var_D n_D / deff_D, times the chosen deff
        gvf = (gvf * gvf_deff / pl.col("district_deff")).fill_null(0.0)
    direct_ok = (pl.col("n_psu") >= min_psu) & (pl.col("direct_variance") > 0)
    variance = (pl.when(direct_ok).then(pl.col("direct_variance")) if variance_model == "direct"
                else pl.when(gvf > 0).then(gvf))
    return areas.with_columns(gvf_variance=gvf, variance=variance, variance_model=pl.lit(variance_model)).select(
        "area_code", "district_code", "estimate", "variance", "variance_model", "direct_variance", "gvf_variance",
        "n", pl.col("n_psu").cast(pl.Int64), "district_estimate", "district_variance", "district_deff", "district_n",
        "measure",
        "line").sort("area_code")


def registry_covariates(registry: Any, *, level: str = "subdistrict") -> pl.DataFrame:
    """Per-area registry aggregates (``households``, ``population`` and ``COVARIATES``) as one Ibis pass.

    ``registry``: the registry households (an Ibis table or a frame) with ``village_code`` and the fields
    named in the module docstring. One row per area with households, sorted by ``area_code``.
    """
    _level(level)
    t = as_table(registry, name="entas_registry")
    needed = ["village_code", "household_size", "welfare_decile", "lighting", "sanitation", "drinking_water",
              "floor_type", "cooking_fuel", "receives_pkh"]
    missing = [c for c in needed if c not in t.columns]
    if missing:
        raise SmallAreaError(f"registry lacks columns {missing} needed for the area covariates")

    def share(condition: Any) -> Any:
        return ibis.ifelse(condition, 1.0, 0.0).mean()

    rows = t.mutate(area_code=level_expression(t, level))
    out = rows.group_by("area_code").aggregate(
        households=rows.count(),
        population=rows["household_size"].sum(),
        share_desil_1_2=share(rows["welfare_decile"] <= 2),
        share_no_electricity=share(rows["lighting"].isin(NO_ELECTRICITY)),
        share_no_pln=share(~rows["lighting"].isin(PLN)),
        share_no_toilet=share(rows["sanitation"] == "none"),
        share_unimproved_water=share(rows["drinking_water"].isin(UNIMPROVED_WATER)),
        share_earth_floor=share(rows["floor_type"] == "earth"),
        share_solid_fuel=share(rows["cooking_fuel"].isin(SOLID_FUEL)),
        share_pkh=share(rows["receives_pkh"]),
        mean_household_size=rows["household_size"].cast("float64").mean(),
    )
    frame = to_polars(out).with_columns(pl.col("households", "population").cast(pl.Int64))
    return frame.select("area_code", "households", "population", *COVARIATES).sort("area_code")


def benchmark_to_direct(
    areas: pl.DataFrame,
    population: pl.DataFrame,
    district_direct: pl.DataFrame,
    *,
    area: str = "area",
    estimate: str = "eblup",
    mse: str = "mse",
    population_column: str = "population",
    district_estimate: str = "estimate",
) -> pl.DataFrame:
    """Ratio-benchmark area estimates to their district's direct estimate, person-weighted (module docstring).

    ``areas``: one row per area (e.g. ``FayHerriotResult.areas``) with ``area``, ``estimate`` and ``mse``.
    ``population``: ``area`` and ``population_column`` (registry persons) for every area. ``district_direct``:
    ``district_code`` and ``district_estimate`` (e.g. ``direct_estimates(level="district")`` renamed, or its
    ``district_estimate`` column). Returns ``areas`` with ``district_code, population, ratio, benchmarked,
    mse_benchmarked``. Raises SmallAreaError for areas without population, districts without a direct
    estimate, negative estimates, or a district whose estimates are all 0 while its direct estimate is not.
    """
    for name, frame, needed in (("areas", areas, [area, estimate, mse]),
                                ("population", population, [area, population_column]),
                                ("district_direct", district_direct, ["district_code", district_estimate])):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise SmallAreaError(f"{name} table lacks columns {missing}")
    if areas[estimate].is_null().any() or (areas[estimate] < 0).any():
        raise SmallAreaError(f"ratio benchmarking needs estimates >= 0 in {estimate!r} (clip the model first)")
    if district_direct["district_code"].is_duplicated().any():
        raise SmallAreaError("district_direct has several rows for a district")
    pop = population.select(pl.col(area).cast(pl.Utf8).alias("_area"),
                            pl.col(population_column).cast(pl.Float64).alias("population"))
    frame = areas.with_columns(_area=pl.col(area).cast(pl.Utf8)).join(pop, on="_area", how="left").with_columns(
        district_code=pl.col("_area").str.slice(0, DISTRICT_WIDTH))
    no_pop = frame.filter(pl.col("population").is_null() | (pl.col("population") <= 0))["_area"].to_list()
    if no_pop:
        raise SmallAreaError(f"{len(no_pop)} areas have no positive population: {no_pop[:10]}")
    direct = district_direct.select(pl.col("district_code").cast(pl.Utf8),
                                    pl.col(district_estimate).cast(pl.Float64).alias("_direct"))
    frame = frame.join(direct, on="district_code", how="left")
    no_direct = frame.filter(pl.col("_direct").is_null())["district_code"].unique().sort().to_list()
    if no_direct:
        raise SmallAreaError(f"districts without a direct estimate: {no_direct}")
    model_mean = ((pl.col(estimate) * pl.col("population")).sum() / pl.col("population").sum()).over("district_code")
    frame = frame.with_columns(_model=model_mean)
    impossible = frame.filter((pl.col("_model") == 0) & (pl.col("_direct") != 0))["district_code"].unique().to_list()
    if impossible:
        raise SmallAreaError(f"districts {sorted(impossible)} have all area estimates 0 but a direct estimate > 0: "
                             "a ratio cannot benchmark them")
    ratio = pl.when(pl.col("_model") > 0).then(pl.col("_direct") / pl.col("_model")).otherwise(1.0)
    benchmarked = pl.col(estimate) * pl.col("ratio")
    return frame.with_columns(ratio=ratio).with_columns(benchmarked=benchmarked).with_columns(
        mse_benchmarked=pl.col(mse) + (pl.col("benchmarked") - pl.col(estimate)) ** 2,
    ).drop("_area", "_direct", "_model")
