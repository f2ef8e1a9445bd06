"""A Susenas-like two-stage sample drawn from the synthetic registry.

Design
------
- **Strata**: district x urban/rural (urban = kelurahan), ``"64.07-rural"``.
- **PSUs**: census blocks of about 100 households formed inside each village, in household order:
  ``round(H_v / 100)`` blocks (at least one) of near-equal size.
- **First stage**: ``m_h`` PSUs per stratum by systematic PPS (size = households) over the blocks in code
  order (implicit geographic stratification), random start. Blocks whose ``m_h M_j / M_h >= 1`` are taken
  with certainty and the rest re-drawn. ``m_h`` allocates ``n / 10`` PSUs proportionally to the square root
  of the stratum's households (a compromise between provincial and district precision), at least 2.
- **Second stage**: ``min(10, M_j)`` households by simple random sampling in each selected block.
- **Weights**: ``1 / (pi_j * n_j / M_j)``, then post-stratified so they add up to the stratum's household
  count. ``fpc_psu`` is the number of blocks in the stratum, ``fpc_ssu`` the households of the block.

Limits: no non-response, no rotation panel, no measurement error (the survey records true consumption).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from entas.errors import SynthError

BLOCK_SIZE = 100
HOUSEHOLDS_PER_PSU = 10
SAMPLE_HOUSEHOLDS = 10_000


def census_blocks(households: pl.DataFrame) -> pl.DataFrame:
    """Block id, stratum and block size for every household (households must be in village order)."""
    frame = households.select("village_code", "district_code", "urban", "seq")
    counts = frame.group_by("village_code", maintain_order=True).agg(n=pl.len())
    frame = frame.join(counts, on="village_code", how="left", maintain_order="left")
    frame = frame.with_columns(
        blocks=(pl.col("n") / BLOCK_SIZE).round().clip(lower_bound=1).cast(pl.Int64),
    ).with_columns(
        block=((pl.col("seq") - 1) * pl.col("blocks") // pl.col("n") + 1).cast(pl.Int64),
        stratum=pl.col("district_code") + pl.when(pl.col("urban")).then(pl.lit("-urban")).otherwise(pl.lit("-rural")),
    ).with_columns(
        psu=pl.col("village_code").str.replace_all(".", "", literal=True) + "-B" + pl.col("block").cast(pl.Utf8)
        .str.zfill(2),
    )
    return frame.with_columns(block_size=pl.len().over("psu")).select("stratum", "psu", "block_size")


def _systematic_pps(sizes: np.ndarray, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Selected indices and inclusion probabilities of a systematic PPS draw of ``m`` units."""
    certain = np.zeros(sizes.size, dtype=bool)
    for _ in range(sizes.size):  # at most a few passes: each removes the units that became certain
        rest = ~certain
        m_rest = m - int(certain.sum())
        if m_rest <= 0:
            break
        pi_rest = m_rest * sizes * rest / sizes[rest].sum()
        new = rest & (pi_rest >= 1.0)
        if not new.any():
            break
        certain |= new
    pi = np.where(certain, 1.0, 0.0)
    rest = np.flatnonzero(~certain)
    m_rest = m - int(certain.sum())
    selected = np.flatnonzero(certain)
    if m_rest > 0 and rest.size:
        total = sizes[rest].sum()
        pi[rest] = m_rest * sizes[rest] / total
        step = total / m_rest
        points = rng.uniform(0.0, step) + step * np.arange(m_rest)
        hits = np.searchsorted(np.cumsum(sizes[rest]), points, side="right")
        selected = np.sort(np.concatenate((selected, rest[hits])))
    return selected, pi


def draw_sample(households: pl.DataFrame, scale: float, rng: np.random.Generator) -> pl.DataFrame:
    """The sample: registry row index, stratum, psu, weight, fpc_psu, fpc_ssu (one row per sampled household)."""
    blocks = census_blocks(households).with_row_index("row")
    psus = blocks.group_by("stratum", "psu").agg(size=pl.len()).sort("stratum", "psu")
    strata = psus.group_by("stratum").agg(n_psu=pl.len(), n_hh=pl.col("size").sum()).sort("stratum")
    total_psus = max(round(SAMPLE_HOUSEHOLDS * scale / HOUSEHOLDS_PER_PSU), 2 * strata.height)
    root = np.sqrt(strata["n_hh"].to_numpy().astype(float))
    alloc = np.maximum(np.round(total_psus * root / root.sum()).astype(np.int64), 2)
    alloc = np.minimum(alloc, strata["n_psu"].to_numpy())
    if np.any(alloc < 2):
        raise SynthError("a stratum has fewer than two census blocks; increase the scale")
    chosen: list[pl.DataFrame] = []
    for i, stratum in enumerate(strata["stratum"].to_list()):  # about 16 strata
        units = psus.filter(pl.col("stratum") == stratum)
        idx, pi = _systematic_pps(units["size"].to_numpy().astype(float), int(alloc[i]), rng)
        chosen.append(units[idx].with_columns(pi_psu=pl.Series(pi[idx]), fpc_psu=pl.lit(units.height)))
    sel = pl.concat(chosen)
    members = blocks.join(sel.select("psu", "pi_psu", "fpc_psu"), on="psu", how="inner")
    members = members.with_columns(key=pl.Series(rng.random(members.height))).with_columns(
        rank=pl.col("key").rank("ordinal").over("psu")
    )
    take = members.filter(pl.col("rank") <= HOUSEHOLDS_PER_PSU).with_columns(
        n_take=pl.len().over("psu"),
    ).with_columns(
        weight=1.0 / (pl.col("pi_psu") * pl.col("n_take") / pl.col("block_size")),
    )
    take = take.join(strata.select("stratum", "n_hh"), on="stratum").with_columns(
        weight=pl.col("weight") * pl.col("n_hh") / pl.col("weight").sum().over("stratum"),
        inclusion_probability=pl.col("pi_psu") * pl.col("n_take") / pl.col("block_size"),
    )
    return take.sort("row").select(
        "row", "stratum", "psu", "weight", "inclusion_probability", "fpc_psu", fpc_ssu="block_size",
    )
