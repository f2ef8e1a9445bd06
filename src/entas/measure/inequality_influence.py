"""Engine side of ``entas.measure.inequality``: domain statistics and per-household influence values.

Everything here is an Ibis expression run once by the backend; ranks and cumulative sums are window functions
partitioned by the domain keys. Rows enter with ``_y`` (welfare), ``_pw`` (person weight W = w m) and the
domain key columns; ``keys`` may include extra keys (a jackknife replicate id) so that every replicate and
every domain is estimated in one query.

Distinct values. Rows are first reduced to one row per (keys, y) with ``W_g = sum W``; ``C_g`` and ``CY_g``
are the cumulative sums of W and W y through y_g (ties together, so results do not depend on row order).
``inequality`` itself skips that reduction (``cumulative_rows``): RANGE windows over the rows ordered by y give
every row its value's ``C_g`` and ``CY_g`` (ties are peers), so the row sums equal the distinct-value sums;
the jackknife (``entas.measure.replicate``) still uses ``distinct_values``.

Quantile Q(p) (R survey's ``qrule = "math"``): the smallest y_g with ``C_g / N >= p``; a share within
``TIE = 1e-12`` (relative) of p counts as reaching p (an exact tie in exact arithmetic). ``T(p) = sum W y
1(y <= Q(p))``. See ``entas.measure.inequality`` for the measures and their influence functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]

TIE = 1e-12
QUANTILES = {"q20": 0.2, "q40": 0.4, "q50": 0.5, "q80": 0.8, "q90": 0.9}
SHARE_CUTS = ("q20", "q40", "q80", "q90")


def distinct_values(rows: ir.Table, keys: Sequence[str]) -> ir.Table:
    """One row per (keys, y): ``_wg``, cumulative ``_c`` and ``_cy`` through y, the domain total ``_nt``."""
    vals = rows.group_by([*keys, "_y"]).aggregate(_wg=rows["_pw"].sum(), _ng=rows.count())
    cum = ibis.cumulative_window(group_by=list(keys), order_by="_y")
    whole = ibis.window(group_by=list(keys))
    vals = vals.mutate(_c=vals["_wg"].sum().over(cum), _cy=(vals["_wg"] * vals["_y"]).sum().over(cum),
                       _nt=vals["_wg"].sum().over(whole))
    return _with_quantiles(vals.mutate(_mid=vals["_c"] - vals["_wg"] / 2.0), keys)


def cumulative_rows(rows: ir.Table, keys: Sequence[str]) -> ir.Table:
    """``rows`` with the columns of ``distinct_values`` per row, without reducing them to distinct values.

    ``_c`` and ``_cy`` are RANGE windows ordered by y (ties are peers, so every row of a distinct value gets its
    ``C_g`` and ``CY_g``); ``_mid`` = (C_g + C_{g-1}) / 2 = C_g - W_g / 2 from the same sort (the cumulative W
    from y_g on is N - C_{g-1}). ``_wg`` is the row's W and ``_ng`` 1, so sums over rows equal the sums over
    distinct values of ``domain_stats``.
    """
    through = ibis.window(group_by=list(keys), order_by="_y", range=(None, 0))
    onward = ibis.window(group_by=list(keys), order_by="_y", range=(0, None))
    whole = ibis.window(group_by=list(keys))
    pw = rows["_pw"]
    r = rows.mutate(_wg=pw, _ng=ibis.literal(1, "int64"), _c=pw.sum().over(through),
                    _cy=(pw * rows["_y"]).sum().over(through), _from=pw.sum().over(onward), _nt=pw.sum().over(whole))
    return r.mutate(_mid=(r["_c"] + (r["_nt"] - r["_from"])) / 2.0).drop("_from")


def domain_quantiles(vals: ir.Table, keys: Sequence[str]) -> ir.Table:
    """Per domain, the quantiles of ``QUANTILES`` from cumulative rows (joined back to them for ``domain_stats``)."""
    return vals.group_by(list(keys)).aggregate(
        **{name: vals["_y"].min(where=vals["_c"] >= p * (1 - TIE) * vals["_nt"]) for name, p in QUANTILES.items()})


def _with_quantiles(vals: ir.Table, keys: Sequence[str]) -> ir.Table:
    whole = ibis.window(group_by=list(keys))
    reached = {name: ibis.ifelse(vals["_c"] >= p * (1 - TIE) * vals["_nt"], vals["_y"], ibis.null("float64"))
               for name, p in QUANTILES.items()}
    return vals.mutate(**{name: expr.min().over(whole) for name, expr in reached.items()})


def domain_stats(vals: ir.Table, keys: Sequence[str]) -> ir.Table:
    """Per domain: NW = N = sum W, B = sum W y, A = sum W y log y, L = sum W log y, the Gini sum, quantiles, T(p), n."""
    y, wg = vals["_y"], vals["_wg"]
    logy = ibis.greatest(y, 1e-300).ln()
    aggs: dict[str, Any] = {
        "NW": wg.sum(), "B": (wg * y).sum(), "A": (wg * y * logy).sum(), "L": (wg * logy).sum(),
        "G2": (y * wg * vals["_mid"]).sum(), "n": vals["_ng"].sum(),
        **{name: vals[name].max() for name in QUANTILES},
        **{f"T{name[1:]}": (wg * y).sum(where=y <= vals[name]) for name in SHARE_CUTS},
        "C50": wg.sum(where=y <= vals["q50"]),
    }
    dom = vals.group_by(list(keys)).aggregate(**aggs)
    n_, b = dom["NW"], dom["B"]
    return dom.mutate(
        mean_consumption=b / n_, median_consumption=dom["q50"], gini=2.0 * dom["G2"] / (n_ * b) - 1.0,
        theil=dom["A"] / b - (b / n_).ln(), mld=(b / n_).ln() - dom["L"] / n_,
        palma=(b - dom["T90"]) / dom["T40"], qsr=(b - dom["T80"]) / dom["T20"], bottom40_share=dom["T40"] / b,
        F50=dom["C50"] / n_,
    )


def influence_rows(rows: ir.Table, dom: ir.Table, keys: Sequence[str],
                   measures: Sequence[str]) -> tuple[ir.Table, list[str]]:
    """``rows`` with one influence column ``_u_<m>`` per measure m, and the names of those measures.

    ``rows``: the rows with their cumulative ``_c`` and ``_cy`` (``cumulative_rows``); ``dom``: ``domain_stats``.

    u is per unit of W (the linearized total is sum W u); ``median_cdf`` is the linearized share of persons at
    or below the median (for Woodruff's interval).
    """
    j = rows.join(dom, list(keys))
    y, n_, b = j["_y"], j["NW"], j["B"]
    logy = ibis.greatest(y, 1e-300).ln()

    def t_lin(cut: str) -> Any:  # Osier (2009): the linearized T(p)
        below = ibis.ifelse(y <= j[cut], 1.0, 0.0)
        return y * below - j[cut] * (below - QUANTILES[cut])

    u: dict[str, Any] = {
        "mean_consumption": (y - j["mean_consumption"]) / n_,
        "median_cdf": (ibis.ifelse(y <= j["q50"], 1.0, 0.0) - j["F50"]) / n_,
        "gini": (2.0 * (j["_c"] * y - j["_cy"]) + b - n_ * y - j["gini"] * (b + n_ * y)) / (n_ * b),
        "theil": y * logy / b - j["A"] * y / (b * b) - y / b + 1.0 / n_,
        "mld": y / b - 1.0 / n_ - logy / n_ + j["L"] / (n_ * n_),
        "bottom40_share": (t_lin("q40") - j["bottom40_share"] * y) / b,
        "palma": ((y - t_lin("q90")) - j["palma"] * t_lin("q40")) / j["T40"],
        "qsr": ((y - t_lin("q80")) - j["qsr"] * t_lin("q20")) / j["T20"],
    }
    wanted = [m for m in u if m in measures or (m == "median_cdf" and "median_consumption" in measures)]
    return j.mutate(**{f"_u_{m}": u[m] for m in wanted}), wanted
