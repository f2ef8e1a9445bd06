"""The ranked pocket list: where the extreme poor are, what the place lacks, whether it clusters, what fits.

A *pocket of poverty* (kantong kemiskinan) is a village or subdistrict with many extremely poor people and
missing basic infrastructure; removing pockets is the province's third strategy (Inpres 4/2022), beside
cutting the expenditure burden of poor households and raising their income. This module only combines the
tidy outputs of the pocket analytics; it estimates nothing itself:

- small-area rates (``entas.pockets.ebp`` ``EBPResult.estimates``: ``area, measure, line, estimate, mse,
  persons``): the headcount ratio under the extreme and the national line, with its RMSE; the number of poor
  is rate x registry persons, its RMSE the rate's RMSE x persons (persons are a census count);
- place needs (``place_needs``, from ``entas.pockets.deprivation.deprivation_indicators``): the share of
  persons lacking safe drinking water, sanitation, electricity, and a decent house (floor, wall or roof not
  durable, or less than 7.2 m2 per person), and the number of uninhabitable houses (rumah tidak layak huni:
  floor, wall or roof not durable, BPS's building-durability criteria);
- hot spots (``entas.pockets.hotspots.hot_spots``): Gi* classification of the rates among neighbours.

Strategy that fits (a documented rule, not a model; thresholds are options):

- ``remove pockets`` (strategy 3) when at least ``need_share`` (default 25%) of the area's persons lack one of
  water, sanitation, electricity or a decent house; the lacking ones are named;
- ``cut expenditure burden`` (strategy 1) when the area has at least ``min_extreme_poor`` estimated
  extremely poor persons (default 1): social assistance for the households found there;
- ``raise income`` (strategy 2) when the national-line rate is above the province's (many working poor).

The primary strategy is the first that applies in that order of place over people: where a place lacks basic
infrastructure, assistance to households alone does not remove the pocket.

Ranking: by estimated extremely poor persons (descending), then the extreme rate, then national-line poor.

The Public Works rule (``public_works_selection``) is the simple selector planners use: in every district
the ``subdistricts_per_district`` (5) subdistricts with the most priority households (the registry's desil 1),
then in each the ``villages_per_subdistrict`` (2) villages with the most uninhabitable houses.
``compare_selections`` puts it beside the same number of top-ranked villages of the pocket list.

Limits: small-area rates are model-based (see their modules); the strategy rule is a screening aid that
planners should read with the needs columns, not an allocation (that is the planning module's job).
"""

from __future__ import annotations

from typing import Any

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import polars as pl

from entas.engine import to_polars
from entas.errors import SmallAreaError
from entas.measure.poverty import AREA_LEVELS

METHOD_VERSION = "entas.pockets.pocket_list 0.1"
NEEDS = {"water": ("drinking_water",), "sanitation": ("sanitation",), "electricity": ("electricity",),
         "decent_house": ("floor", "wall", "roof", "overcrowding")}
"""Place needs and the deprivation indicators (``entas.pockets.deprivation``) behind each."""
UNINHABITABLE = ("floor", "wall", "roof")
STRATEGIES = ("remove pockets", "cut expenditure burden", "raise income")
__all__ = ["NEEDS", "STRATEGIES", "compare_selections", "place_needs", "pocket_list", "public_works_selection"]


def _deprived(t: ir.Table, names: tuple[str, ...]) -> Any:
    """1 when any of the indicators is 1, 0 when all are observed and 0, null otherwise."""
    columns = [t[n] for n in names]
    anyone = ibis.greatest(*[c.fill_null(0) for c in columns]) if len(columns) > 1 else columns[0].fill_null(0)
    known = ibis.literal(True)
    for c in columns:
        known = known & c.notnull()
    return ibis.cases((anyone == 1, 1.0), (known, 0.0), else_=ibis.null("float64"))


def place_needs(indicators: ir.Table, *, level: str = "village") -> pl.DataFrame:
    """Per area: households, persons, ``lacking_<need>`` (share of persons among those observed) and
    ``uninhabitable_houses`` (households), from the table of ``deprivation_indicators``.
    """
    if level not in ("village", "subdistrict", "district"):
        raise SmallAreaError(f"unknown level {level!r}: village, subdistrict or district")
    t = indicators
    persons = t["persons"].cast("float64")
    lacking = {need: _deprived(t, names) for need, names in NEEDS.items()}
    house = _deprived(t, UNINHABITABLE)
    area = t["village_code"].cast("string").substr(0, AREA_LEVELS[level])
    aggs: dict[str, Any] = {"households": t.count(), "persons": persons.sum(),
                            "uninhabitable_houses": (house == 1.0).cast("int64").sum()}
    for need, flag in lacking.items():
        aggs[f"_n_{need}"] = (persons * flag).sum()
        aggs[f"_d_{need}"] = persons.sum(where=flag.notnull())
    wide = to_polars(t.group_by(area_code=area).aggregate(**aggs))
    shares = [pl.when(pl.col(f"_d_{n}") > 0).then(pl.col(f"_n_{n}") / pl.col(f"_d_{n}")).alias(f"lacking_{n}")
              for n in NEEDS]
    return wide.select("area_code", pl.col("households").cast(pl.Int64), "persons", *shares,
                       pl.col("uninhabitable_houses").fill_null(0).cast(pl.Int64)).sort("area_code")


def _rates(small_area: pl.DataFrame, line: str, prefix: str) -> pl.DataFrame:
    rows = small_area.filter((pl.col("measure") == "headcount_ratio") & (pl.col("line") == line))
    if rows.height == 0:
        raise SmallAreaError(f"no headcount_ratio for line {line!r} in the small-area estimates "
                             f"(lines: {sorted(small_area['line'].unique().to_list())})")
    rmse = (pl.col("rmse") if "rmse" in rows.columns else pl.col("mse").sqrt() if "mse" in rows.columns
            else pl.lit(None, dtype=pl.Float64))
    return rows.select(pl.col("area").alias("area_code"), pl.col("estimate").alias(f"{prefix}_rate"),
                       rmse.alias(f"{prefix}_rate_rmse"), pl.col("persons").alias(f"_{prefix}_persons"))


def pocket_list(
    small_area: pl.DataFrame,
    needs: pl.DataFrame,
    hot_spots: pl.DataFrame | None = None,
    *,
    level: str,
    extreme_line: str = "extreme",
    national_line: str = "national",
    province_national_rate: float | None = None,
    need_share: float = 0.25,
    min_extreme_poor: float = 1.0,
    names: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The areas ranked as pockets, one row each (see the module docstring for the columns' meaning).

    ``province_national_rate``: the province's national-line rate for the "raise income" test (default: the
    person-weighted mean of the areas' rates). ``names``: ``code, name`` of areas (``entas.areas.area_tree``).
    """
    if not 0 < need_share <= 1:
        raise SmallAreaError(f"need_share must be in (0, 1], got {need_share}")
    extreme = _rates(small_area, extreme_line, "extreme")
    national = _rates(small_area, national_line, "national")
    out = extreme.join(national, on="area_code", how="full", coalesce=True)
    out = out.join(needs, on="area_code", how="left").with_columns(
        persons=pl.coalesce("persons", "_extreme_persons", "_national_persons"))
    out = out.with_columns(
        extreme_poor=pl.col("extreme_rate") * pl.col("persons"),
        extreme_poor_rmse=pl.col("extreme_rate_rmse") * pl.col("persons"),
        national_poor=pl.col("national_rate") * pl.col("persons"),
        national_poor_rmse=pl.col("national_rate_rmse") * pl.col("persons"))
    if province_national_rate is None:
        totals = out.select(pl.col("national_poor").sum(), pl.col("persons").sum()).row(0)
        province_national_rate = float(totals[0]) / float(totals[1])
    lacking = [pl.when(pl.col(f"lacking_{n}") >= need_share).then(pl.lit(n)) for n in NEEDS]
    out = out.with_columns(lacking=pl.concat_str(lacking, separator=", ", ignore_nulls=True))
    tests = (pl.col("lacking") != "", pl.col("extreme_poor") >= min_extreme_poor,
             pl.col("national_rate") > province_national_rate)
    fits = dict(zip(STRATEGIES, tests, strict=True))  # in the order of place over people (module docstring)
    out = out.with_columns(
        strategies=pl.concat_str([pl.when(cond.fill_null(False)).then(pl.lit(s)) for s, cond in fits.items()],
                                 separator="; ", ignore_nulls=True),
        primary_strategy=pl.coalesce([pl.when(cond.fill_null(False)).then(pl.lit(s)) for s, cond in fits.items()]),
    )
    if hot_spots is not None:
        out = out.join(hot_spots.select(pl.col("area_code"), pl.col("classification").alias("hot_spot"),
                                        pl.col("gi_star_q").alias("hot_spot_q")), on="area_code", how="left")
    if names is not None:
        out = out.join(names.select(pl.col("code").alias("area_code"), "name"), on="area_code", how="left")
    out = out.sort(["extreme_poor", "extreme_rate", "national_poor"], descending=True, nulls_last=True)
    out = out.with_row_index("rank", offset=1).with_columns(
        pl.col("rank").cast(pl.Int64), pl.lit(level).alias("level"),
        pl.col("area_code").str.slice(0, 5).alias("district_code"), pl.lit(METHOD_VERSION).alias("method"))
    first = ["rank", "level", "area_code", *(["name"] if names is not None else []), "district_code"]
    drop = {"_extreme_persons", "_national_persons"}
    return out.select(*first, *[c for c in out.columns if c not in set(first) | drop])


def public_works_selection(
    subdistrict_priority: pl.DataFrame,
    village_needs: pl.DataFrame,
    *,
    subdistricts_per_district: int = 5,
    villages_per_subdistrict: int = 2,
) -> pl.DataFrame:
    """The Public Works selector: per district the top subdistricts by ``priority_households``, then in each
    the villages with the most ``uninhabitable_houses`` (ties by village code, so the result is deterministic).

    ``subdistrict_priority``: ``area_code, priority_households`` (e.g. desil-1 households of the registry);
    ``village_needs``: ``place_needs(..., level="village")``.
    """
    if subdistricts_per_district < 1 or villages_per_subdistrict < 1:
        raise SmallAreaError("the Public Works rule needs at least one subdistrict and one village per step")
    ranked = subdistrict_priority.with_columns(district_code=pl.col("area_code").str.slice(0, 5)).sort(
        ["district_code", "priority_households", "area_code"], descending=[False, True, False])
    chosen = ranked.with_columns(
        subdistrict_rank=pl.int_range(1, pl.len() + 1).over("district_code")).filter(
        pl.col("subdistrict_rank") <= subdistricts_per_district)
    villages = village_needs.with_columns(subdistrict_code=pl.col("area_code").str.slice(0, 8)).join(
        chosen.select(pl.col("area_code").alias("subdistrict_code"), "district_code", "subdistrict_rank",
                      "priority_households"), on="subdistrict_code", how="inner")
    villages = villages.sort(["subdistrict_code", "uninhabitable_houses", "area_code"],
                             descending=[False, True, False]).with_columns(
        village_rank=pl.int_range(1, pl.len() + 1).over("subdistrict_code"))
    return villages.filter(pl.col("village_rank") <= villages_per_subdistrict).select(
        "district_code", "subdistrict_code", "subdistrict_rank", "priority_households", "area_code", "village_rank",
        "uninhabitable_houses").sort("district_code", "subdistrict_rank", "village_rank")


def compare_selections(pockets: pl.DataFrame, public_works: pl.DataFrame, *,
                       truth: pl.DataFrame | None = None) -> pl.DataFrame:
    """The Public Works villages beside the same number of top-ranked pockets: villages in common, and the
    estimated (and, with ``truth`` = ``area_code, true_extreme_poor``, the true) extremely poor they hold.
    """
    n = public_works.height
    top = pockets.filter(pl.col("level") == "village").sort("rank").head(n)
    selections = {"pocket list (top villages)": top["area_code"], "Public Works rule": public_works["area_code"]}
    common = len(set(top["area_code"]) & set(public_works["area_code"]))
    estimated = pockets.select("area_code", "extreme_poor", "persons")
    total_estimated = float(estimated["extreme_poor"].sum())
    rows = []
    for name, codes in selections.items():
        picked = estimated.filter(pl.col("area_code").is_in(codes.to_list()))
        row: dict[str, Any] = {
            "selection": name, "villages": codes.len(), "in_both": common,
            "persons": float(picked["persons"].sum()),
            "estimated_extreme_poor": float(picked["extreme_poor"].sum()),
            "share_of_estimated_extreme_poor": float(picked["extreme_poor"].sum()) / total_estimated
            if total_estimated else None}
        if truth is not None:
            true_picked = truth.filter(pl.col("area_code").is_in(codes.to_list()))
            total_true = float(truth["true_extreme_poor"].sum())
            row["true_extreme_poor"] = float(true_picked["true_extreme_poor"].sum())
            row["share_of_true_extreme_poor"] = row["true_extreme_poor"] / total_true if total_true else None
        rows.append(row)
    return pl.DataFrame(rows)
