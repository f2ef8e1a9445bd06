"""Targeting quality: inclusion and exclusion errors at any cut-off, and the targeting curve, by district.

Method
------
Households are ranked by a score (the PMT's ``predicted_log_welfare``, or the registry's desil, or any other
column; low = poorest first unless the score is listed in ``high_first``, e.g. ``prob_below_extreme``), within
the province (``ranking="province"``, like the national desil) or within each district (``"district"``: each
district targets its own bottom share). A cut-off is the share ``q`` of *persons* targeted: a household is
targeted when the midpoint of its tie group in the cumulative person share is below ``q`` (households with
equal scores, e.g. one desil, are targeted together; ``share_targeted`` reports the share actually reached).
A household is eligible when its true welfare is strictly below the line (``y < z``). Person-weighted
(``weight * household_size``; a registry with known truth counts each household once):

- ``inclusion_error`` (leakage) = targeted persons who are not eligible / targeted persons;
- ``exclusion_error`` (under-coverage) = eligible persons not targeted / eligible persons;
- ``coverage`` = 1 - ``exclusion_error``: the share of the eligible reached.

References: Cornia and Stewart (1993) for the two error types; Coady, Grosh and Hoddinott (2004) *Targeting
of transfers in developing countries*, World Bank, for coverage-vs-share curves.

Where the truth is known: held-out survey households (fit the PMT on the rest, see :func:`split_by_psu`;
survey weights make the errors estimates of the population's, without standard errors here), or the
synthetic registry, where every household's welfare is known (``entas.synth`` truth). The registry's desil
can only be compared on households that carry it (a synthetic survey household's registry twin does).

Output: one tidy Polars frame, one row per (score, level, area, cut-off): ``score, level, area, line,
cutoff_share, share_targeted, persons, persons_targeted, eligible_persons, eligible_targeted,
inclusion_error, exclusion_error, coverage, households, eligible_households``. ``level`` is ``province``
(area ``all``) or the ``by`` column. A district without eligible persons has a null exclusion error.

Limits: evaluation tables are samples or a province (computed in Polars after collecting: about a second for
a million households); no sampling error is attached to survey-based errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import ibis.expr.types as ir  # type: ignore[import-untyped]
import numpy as np
import polars as pl

from entas.engine import to_polars
from entas.errors import TargetingError

Ranking = Literal["province", "district"]
DEFAULT_SHARES = (0.05, 0.10, 0.20)
COLUMNS = ("score", "level", "area", "line", "cutoff_share", "share_targeted", "persons", "persons_targeted",
           "eligible_persons", "eligible_targeted", "inclusion_error", "exclusion_error", "coverage", "households",
           "eligible_households")


def _frame(frame: ir.Table | pl.DataFrame, needed: Sequence[str]) -> pl.DataFrame:
    out = to_polars(frame) if isinstance(frame, ir.Table) else frame
    missing = [c for c in needed if c not in out.columns]
    if missing:
        raise TargetingError(f"the evaluation table lacks the columns {', '.join(missing)}")
    return out


def _positions(frame: pl.DataFrame, score: str, high_first: bool, group: str | None) -> pl.Series:
    """Midpoint of each household's tie group in the cumulative person share of its ranking scope."""
    key = -pl.col(score) if high_first else pl.col(score)
    over = [group] if group else None
    keyed = frame.with_columns(_key=key.cast(pl.Float64))
    ties = keyed.group_by([*(over or []), "_key"]).agg(_mass=pl.col("_pw").sum())
    ties = ties.sort([*(over or []), "_key"])
    cumulative = pl.col("_mass").cum_sum().over(over) if over else pl.col("_mass").cum_sum()
    total = pl.col("_mass").sum().over(over) if over else pl.col("_mass").sum()
    ties = ties.with_columns(_position=(cumulative - pl.col("_mass") / 2) / total)
    joined = keyed.join(ties, on=[*(over or []), "_key"], how="left", maintain_order="left")
    return joined["_position"]


def targeting_errors(
    frame: ir.Table | pl.DataFrame,
    *,
    score: str | Sequence[str],
    welfare: str,
    line: str | float,
    shares: Sequence[float] = DEFAULT_SHARES,
    weight: str | None = None,
    by: str | None = "district_code",
    ranking: Ranking = "province",
    high_first: Sequence[str] = (),
) -> pl.DataFrame:
    """Inclusion and exclusion errors and coverage when targeting the bottom ``shares`` of persons by ``score``.

    ``welfare`` is the true per-capita welfare; ``line`` a rupiah value or a column of per-household lines
    (eligible: welfare strictly below it); ``weight`` the survey weight (None: each household counts once);
    ``by`` the column errors are also reported by. See the module docstring for definitions.
    """
    scores = [score] if isinstance(score, str) else list(score)
    if ranking not in ("province", "district"):
        raise TargetingError(f"ranking must be 'province' or 'district', not {ranking!r}")
    if ranking == "district" and by is None:
        raise TargetingError("ranking='district' needs the district column in by=")
    bad = [q for q in shares if not 0 < q <= 1]
    if bad:
        raise TargetingError(f"cut-off shares must be in (0, 1], got {bad}")
    line_column = [line] if isinstance(line, str) else []
    needed = [*scores, welfare, "household_size", *line_column, *([weight] if weight else []), *([by] if by else [])]
    data = _frame(frame, needed)
    null_scores = {s: data[s].null_count() for s in scores if data[s].null_count()}
    if null_scores:
        raise TargetingError(f"households without a score: {null_scores}; score or drop them first")
    pw = pl.col("household_size").cast(pl.Float64) * (pl.col(weight).cast(pl.Float64) if weight else 1.0)
    z = pl.col(line).cast(pl.Float64) if isinstance(line, str) else pl.lit(float(line))
    data = data.with_columns(_pw=pw, _eligible=(pl.col(welfare) < z).fill_null(False))
    line_name = line if isinstance(line, str) else f"{float(line):.0f}"
    group = by if ranking == "district" else None
    levels: list[tuple[str, Any]] = [("province", pl.lit("all"))]
    if by:
        levels.append((by, pl.col(by).cast(pl.Utf8)))
    parts = []
    for name in scores:
        scored = data.with_columns(_position=_positions(data, name, name in high_first, group))
        for q in shares:
            marked = scored.with_columns(_targeted=pl.col("_position") < q)
            for level, area in levels:
                parts.append(_summarise(marked, area, level, name, line_name, float(q)))
    return pl.concat(parts).select(COLUMNS)


def _summarise(marked: pl.DataFrame, area: Any, level: str, score: str, line: str, q: float) -> pl.DataFrame:
    targeted, eligible, pw = pl.col("_targeted"), pl.col("_eligible"), pl.col("_pw")
    out = marked.group_by(area.alias("area")).agg(
        persons=pw.sum(),
        persons_targeted=(pw * targeted).sum(),
        eligible_persons=(pw * eligible).sum(),
        eligible_targeted=(pw * (eligible & targeted)).sum(),
        households=pl.len(),
        eligible_households=eligible.sum(),
    )
    return out.with_columns(
        score=pl.lit(score),
        level=pl.lit(level),
        line=pl.lit(line),
        cutoff_share=pl.lit(q),
        share_targeted=pl.col("persons_targeted") / pl.col("persons"),
        inclusion_error=pl.when(pl.col("persons_targeted") > 0)
        .then(1 - (pl.col("eligible_targeted") / pl.col("persons_targeted"))),
        exclusion_error=pl.when(pl.col("eligible_persons") > 0)
        .then(1 - pl.col("eligible_targeted") / pl.col("eligible_persons")),
    ).with_columns(coverage=1 - pl.col("exclusion_error"), households=pl.col("households").cast(pl.Int64),
                   eligible_households=pl.col("eligible_households").cast(pl.Int64)).sort("area")


def targeting_curve(
    frame: ir.Table | pl.DataFrame,
    *,
    score: str | Sequence[str],
    welfare: str,
    line: str | float,
    points: int = 100,
    weight: str | None = None,
    by: str | None = "district_code",
    ranking: Ranking = "province",
    high_first: Sequence[str] = (),
) -> pl.DataFrame:
    """Coverage of the eligible against the share of persons targeted, at ``points`` equally spaced shares.

    The same columns as :func:`targeting_errors` (one row per score, level, area and share ``k / points``);
    plot ``coverage`` against ``share_targeted``. A perfect ranking reaches coverage 1 at the eligible
    share; a random one follows the diagonal.
    """
    if points < 2:
        raise TargetingError(f"a targeting curve needs at least 2 points, not {points}")
    grid = [float(k) / points for k in range(1, points + 1)]
    return targeting_errors(frame, score=score, welfare=welfare, line=line, shares=grid, weight=weight, by=by,
                            ranking=ranking, high_first=high_first)


def split_by_psu(frame: pl.DataFrame, *, test_share: float = 0.3, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a survey into (fit, held-out) parts by whole PSUs (``stratum``/``psu``), ``test_share`` held out.

    Whole PSUs keep a village's households together, so the held-out errors are not flattered by neighbours
    seen in the fit. Survey weights are left as they are (each part still estimates the population).
    """
    if not 0 < test_share < 1:
        raise TargetingError(f"test_share must be in (0, 1), not {test_share}")
    cols: list[str] = [c for c in ("stratum", "psu") if c in frame.columns] or ["household_id"]
    cluster = frame.select(pl.concat_str([pl.col(c).cast(pl.Utf8) for c in cols], separator="|")).to_series()
    unique = sorted(cluster.unique().to_list())
    rng = np.random.default_rng(seed)
    held = set(rng.choice(unique, size=max(1, round(test_share * len(unique))), replace=False).tolist())
    mask = cluster.is_in(list(held))
    return frame.filter(~mask), frame.filter(mask)


__all__ = ["COLUMNS", "DEFAULT_SHARES", "split_by_psu", "targeting_curve", "targeting_errors"]
