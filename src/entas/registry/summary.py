"""Registry counts by district: households, persons, villages reached and the poorest decile.

A registry is a census of the families it lists, so these are exact counts with no standard error.
"""

from __future__ import annotations

import polars as pl

from entas.areas import area_tree

_COUNTS = ("villages", "villages_covered", "households", "persons", "desil_1_households")


def district_summary(households: pl.LazyFrame | pl.DataFrame, *, province: str = "64") -> pl.DataFrame:
    """One row per district of ``province`` (all of them, zero where the registry has nobody) and a total.

    Columns: ``district_code``, ``district``, ``villages`` (official count), ``villages_covered`` (with at
    least one household), ``households``, ``persons`` (sum of household sizes), ``desil_1_households``
    and ``desil_1_share`` (share of the district's households in welfare decile 1).
    """
    tree = area_tree(province)
    districts = tree.filter(pl.col("level") == "district").select(district_code="code", district="name")
    official = (
        tree.filter(pl.col("level") == "village").group_by("district_code").agg(villages=pl.len().cast(pl.Int64))
    )
    counts = (
        households.lazy()
        .with_columns(district_code=pl.col("village_code").str.slice(0, 5))
        .group_by("district_code")
        .agg(
            villages_covered=pl.col("village_code").n_unique().cast(pl.Int64),
            households=pl.len().cast(pl.Int64),
            persons=pl.col("household_size").sum().cast(pl.Int64),
            desil_1_households=(pl.col("welfare_decile") == 1).sum().cast(pl.Int64),
        )
        .collect()
    )
    table = (
        districts.join(official, on="district_code", how="left")
        .join(counts, on="district_code", how="left")
        .with_columns(pl.col(c).fill_null(0) for c in _COUNTS[1:])
        .sort("district_code")
    )
    total = table.select(
        pl.lit(province).alias("district_code"),
        pl.lit("Total").alias("district"),
        *(pl.col(c).sum() for c in _COUNTS),
    )
    table = pl.concat([table, total])
    return table.with_columns(
        desil_1_share=pl.when(pl.col("households") > 0).then(pl.col("desil_1_households") / pl.col("households"))
    )
