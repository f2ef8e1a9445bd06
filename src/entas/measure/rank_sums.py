"""The Gini coefficient and the indices built on it, with their influence values, from one window pass.

Why: the Gini's influence value needs every person's place in the distribution of its domain, so it needs a
sort; everything else can be sums. This module asks the engine for one sort (a cumulative window per domain
ordered by y) and reduces the rows at once to a small table of sums per (design unit, domain); the estimate,
its influence values' totals and their second moments are then formed from that table. No row is materialized
or joined back.

Per domain (person weights W, values y, N = sum W, B = sum W y), with the **ROWS** cumulative sums c_i and
cy_i of W and W y through row i in y order (ties in any order):

- h_i = c_i y_i - cy_i = sum_{j before i} W_j (y_i - y_j): tied rows add W_j · 0, so h_i is the same for any
  order of ties (and equals C_i y_i - CY_i with the tie-inclusive C, CY of ``entas.measure.inequality``);
- G2 = sum W_i y_i (c_i - W_i / 2) = sum over distinct values y_g W_g (C_g - W_g / 2): inside a tie group
  the ROWS cumulative sums add (W_g^2 + sum W_j^2) / 2, the correction removes sum W_j^2 / 2, so the Gini
  G = 2 G2 / (N B) - 1 is exact with ties and independent of row order;
- the Langel-Tillé influence value of the Gini is u_i = a + b y_i + c h_i with a = (1 - G)/N,
  b = -(1 + G)/B, c = 2/(N B); the Sen-Shorrocks-Thon index on gap ratios g (``entas.measure.sst``),
  SST = P1 (1 + G_g), has u = -2 G_g P1 / N + 2 h / N^2 (its y-term cancels since P1 / B = 1 / N).

So the partial sums of ``entas.measure.linearization`` for u (``alpha = sum W u``, ``a2 = sum W u^2``,
``qaa = sum (W u)^2``, ``qab = sum W^2 u``) follow from the sums of W and W^2 times 1, y, h, y^2, y h, h^2
per (design unit, domain).

Limits: h and the second moments are formed in floating point from cumulative sums; the tests against R
(1e-8 on estimates, 1e-6 on SEs) bound the rounding. On Spark a window sends a domain to one partition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import polars as pl

from entas.engine import to_polars

PRODUCTS = ("1", "y", "h", "yy", "yh", "hh")
__all__ = ["gini_domains", "influence_partial_sums", "sst_domains", "unit_sums"]


def unit_sums(rows: ir.Table, unit_keys: Sequence[str], keys: Sequence[str]) -> pl.DataFrame:
    """Per (``unit_keys``, ``keys``): n, ``s_<p>`` = sum W p and ``t_<p>`` = sum W^2 p for p in ``PRODUCTS``, and
    ``g2`` = sum W y (c - W/2). ``rows`` carry ``_y`` and ``_pw``; the window is partitioned by ``keys``.
    """
    window = ibis.cumulative_window(group_by=list(keys), order_by="_y")
    pw, y = rows["_pw"], rows["_y"]
    r = rows.mutate(_c=pw.sum().over(window), _cy=(pw * y).sum().over(window))
    r = r.mutate(_h=r["_c"] * r["_y"] - r["_cy"])
    pw, y, h = r["_pw"], r["_y"], r["_h"]
    values = {"1": ibis.literal(1.0), "y": y, "h": h, "yy": y * y, "yh": y * h, "hh": h * h}
    aggs: dict[str, Any] = {"n": r.count(), "g2": (pw * y * (r["_c"] - pw / 2.0)).sum()}
    for name, value in values.items():
        aggs[f"s_{name}"] = (pw * value).sum()
        aggs[f"t_{name}"] = (pw * pw * value).sum()
    out = r.group_by([*unit_keys, *keys]).aggregate(**aggs)
    return to_polars(out.mutate(**{k: out[k].cast("string") for k in unit_keys}))


def _domains(sums: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Per domain: N, B, the Gini G of the values (0 when B = 0) and n."""
    dom = sums.group_by(list(keys)).agg(N=pl.col("s_1").sum(), B=pl.col("s_y").sum(), G2=pl.col("g2").sum(),
                                        n=pl.col("n").sum())
    positive = pl.col("B") > 0
    return dom.with_columns(
        G=pl.when(positive).then(2.0 * pl.col("G2") / (pl.col("N") * pl.col("B")) - 1.0).otherwise(0.0))


def gini_domains(sums: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Per domain: ``estimate`` (the Gini), n, and the influence coefficients ``a, b, c`` (module docstring)."""
    dom = _domains(sums, keys)
    n_, b_, g = pl.col("N"), pl.col("B"), pl.col("G")
    return dom.select(*keys, estimate=g, n="n", a=(1.0 - g) / n_, b=-(1.0 + g) / b_, c=2.0 / (n_ * b_))


def sst_domains(sums: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """As ``gini_domains`` for SST = P1 (1 + G) of gap ratios (``_y`` = g); SST 0 and u 0 without poor."""
    dom = _domains(sums, keys)
    n_, g, p1 = pl.col("N"), pl.col("G"), pl.col("B") / pl.col("N")
    poor = pl.col("B") > 0
    return dom.select(*keys, estimate=p1 * (1.0 + g), n="n", a=pl.when(poor).then(-2.0 * g * p1 / n_).otherwise(0.0),
                      b=pl.lit(0.0), c=pl.when(poor).then(2.0 / (n_ * n_)).otherwise(0.0))


def influence_partial_sums(sums: pl.DataFrame, coefficients: pl.DataFrame, unit_keys: Sequence[str],
                           keys: Sequence[str], *, measure: str, line_key: str | None = None) -> pl.DataFrame:
    """The long partial-sums table of ``entas.measure.linearization`` for the total of W u, u = a + b y + c h.

    ``coefficients``: per domain (``keys``) the columns ``a, b, c``. The statistic is named ``measure``; its
    ``line`` is the column ``line_key`` (or empty), its kind ``total``.
    """
    j = sums.join(coefficients.select(*keys, "a", "b", "c"), on=list(keys), how="left")
    a, b, c = pl.col("a"), pl.col("b"), pl.col("c")

    def linear(prefix: str) -> pl.Expr:
        return a * pl.col(f"{prefix}_1") + b * pl.col(f"{prefix}_y") + c * pl.col(f"{prefix}_h")

    def square(prefix: str) -> pl.Expr:
        p = prefix
        return (a * a * pl.col(f"{p}_1") + b * b * pl.col(f"{p}_yy") + c * c * pl.col(f"{p}_hh")
                + 2 * a * b * pl.col(f"{p}_y") + 2 * a * c * pl.col(f"{p}_h") + 2 * b * c * pl.col(f"{p}_yh"))

    line = pl.col(line_key) if line_key else pl.lit("")
    other_keys = [k for k in keys if k != line_key]
    return j.select(*unit_keys, *other_keys, pl.lit(measure).alias("measure"), line.alias("line"),
                    pl.lit("total").alias("kind"), linear("s").alias("alpha"), pl.col("s_1").alias("beta"),
                    square("t").alias("qaa"), linear("t").alias("qab"), pl.col("t_1").alias("qbb"),
                    square("s").alias("a2"), pl.col("n").cast(pl.Int64))
