"""Poverty measures for several lines and several domain levels in one pass, with design-based uncertainty.

Measures (person-level: households weighted by ``weight * household_size``; welfare y is per-capita
consumption per month in rupiah; **a person is poor when y < z, strictly**):

- ``headcount_ratio`` FGT(0), ``poverty_gap`` FGT(1), ``poverty_severity`` FGT(2) (Foster, Greer and
  Thorbecke 1984): the person-weighted mean of ``1(y < z) (1 - y/z)^alpha``;
- ``watts`` (Watts 1968): the mean of ``1(y < z) ln(z/y)``; needs y > 0 for every household (an error says
  how many are not);
- ``sst``: the Sen-Shorrocks-Thon index P1 (1 + Gini of the gap ratios), computed and linearized by
  ``entas.measure.sst`` (a rank statistic: not a sum of household values, so not in the one-pass sums);
- ``number_poor``: the total ``sum(w m 1(y < z))``; ``mean_consumption``: the person-weighted mean of y;
  ``population``: the total ``sum(w m)`` (the last two do not depend on the line: ``line`` is null).

Means are ratio estimators ``sum(w m f)/sum(w m)`` linearized as R survey's ``svymean``/``svyratio``; totals
as ``svytotal``. Standard errors, design df, t-based CIs and design effects follow
``entas.measure.linearization``; domains are estimated on the full design. Without a design (a registry is
a census) the same measures are exact: ``se``, ``ci``, ``cv``, ``deff`` and ``df`` are null and ``note``
says so; every household then counts once (weight 1) and persons by its size.

Lines: a fixed rupiah value, or the name of a column holding each household's line (e.g. its district's
line, ``attach_poverty_line``); several lines are measured in the same pass.

Levels (``by``): a column name, an area level (``province``, ``district``, ``subdistrict``, ``village``, taken
from ``village_code`` or, for province and district, ``district_code``), ``all`` (the whole table), or a
sequence of these for crossed domains. Area values of crossed domains are joined with ``/``.

Output: one tidy Polars frame, one row per (level, area, measure, line): ``level, area, measure, line,
line_rp, estimate, se, ci_low, ci_high, cv, deff, n, df, method, snapshot_id, note``.

Limits: no calibration or post-stratification adjustment of the variance (weights are taken as given);
inequality and replicate weights are not in this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import polars as pl
from scipy import stats

from entas.engine import as_table, to_polars
from entas.errors import MeasureError, WelfareError
from entas.measure.linearization import domain_estimates
from entas.survey.design import PSU, SSU, STRATUM, DesignInfo, LonelyPolicy, SurveyDesign

METHOD_VERSION = "entas.measure 0.1"
CENSUS_NOTE = "census: no sampling error"
RATIO_MEASURES = ("headcount_ratio", "poverty_gap", "poverty_severity", "watts")
SST = "sst"
MEASURES = (*RATIO_MEASURES, SST, "number_poor", "mean_consumption", "population")
SUM_MEASURES = tuple(m for m in MEASURES if m != SST)
"""The measures that are ratios or totals of household values (``domain_sums``); SST is a rank statistic."""
LINE_MEASURES = frozenset((*RATIO_MEASURES, SST, "number_poor"))
AREA_LEVELS = {"province": 2, "district": 5, "subdistrict": 8, "village": 13}
ALL = "all"
_FGT_ALPHA = {"headcount_ratio": 0, "poverty_gap": 1, "poverty_severity": 2}

Kind = Literal["ratio", "total"]


@dataclass(frozen=True)
class Line:
    """A poverty line: its name, and a fixed rupiah value or a column of per-household values."""

    name: str
    rp: float | None = None
    column: str | None = None


@dataclass(frozen=True)
class Statistic:
    """One estimated statistic: its measure, line name, kind (ratio or total) and partial-sum column."""

    measure: str
    line: str  # "" for measures without a line
    kind: Kind
    source: str  # the partial-sum column prefix holding sum(w m f) etc.


def as_lines(lines: Mapping[str, float | int | str] | float | int | str | Sequence[Line]) -> list[Line]:
    """Normalise ``lines``: a number (named ``line``), a column name, a mapping name -> number|column, or Lines."""
    if isinstance(lines, bool):
        raise MeasureError("a poverty line must be a rupiah value or a column name, not a boolean")
    if isinstance(lines, (int, float)):
        return [Line("line", rp=float(lines))]
    if isinstance(lines, str):
        return [Line(lines, column=lines)]
    if isinstance(lines, Mapping):
        out = []
        for name, value in lines.items():
            if isinstance(value, str):
                out.append(Line(str(name), column=value))
            elif isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                out.append(Line(str(name), rp=float(value)))
            else:
                raise MeasureError(f"poverty line {name!r} must be a positive rupiah value or a column, got {value!r}")
        return out
    out = list(lines)
    if not all(isinstance(line, Line) for line in out):
        raise MeasureError("lines must be a number, a column name, a mapping, or a sequence of Line")
    return out


def level_expression(t: ir.Table, name: str) -> Any:
    """The string expression of one level's area value."""
    if name in AREA_LEVELS:
        width = AREA_LEVELS[name]
        if "village_code" in t.columns:
            return t["village_code"].cast("string").substr(0, width)
        if name in ("province", "district") and "district_code" in t.columns:
            return t["district_code"].cast("string").substr(0, width)
        raise MeasureError(f"level {name!r} needs a village_code column (or district_code for province/district)")
    if name in t.columns:
        return t[name].cast("string")
    raise MeasureError(f"unknown level {name!r}: not an area level ({', '.join(AREA_LEVELS)}, all) nor a column")


def parse_levels(by: Sequence[str | Sequence[str]]) -> list[tuple[str, ...]]:
    if isinstance(by, str):
        by = [by]
    levels: list[tuple[str, ...]] = []
    for entry in by or [ALL]:
        names = (entry,) if isinstance(entry, str) else tuple(entry)
        names = tuple(n for n in names if n != ALL)
        if names not in levels:
            levels.append(names)
    return levels


def statistics_for(measures: Sequence[str], lines: Sequence[Line]) -> list[Statistic]:
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise MeasureError(f"unknown measures {unknown}; known: {', '.join(MEASURES)}")
    if any(m in LINE_MEASURES for m in measures) and not lines:
        raise MeasureError("poverty measures need at least one line")
    out: list[Statistic] = []
    for m in MEASURES:
        if m not in measures:
            continue
        if m in RATIO_MEASURES:
            out += [Statistic(m, line.name, "ratio", f"{m}__{i}") for i, line in enumerate(lines)]
        elif m == SST:
            out += [Statistic(m, line.name, "total", SST) for line in lines]
        elif m == "number_poor":
            out += [Statistic(m, line.name, "total", f"headcount_ratio__{i}") for i, line in enumerate(lines)]
        elif m == "mean_consumption":
            out.append(Statistic(m, "", "ratio", "mean_consumption"))
        else:
            out.append(Statistic(m, "", "total", "population"))
    return out


def check_inputs(t: ir.Table, welfare: str, size: str, lines: Sequence[Line], watts: bool) -> None:
    """MeasureError/WelfareError for missing columns, missing welfare, bad sizes or lines, y <= 0 for Watts."""
    for column in [welfare, size, *(line.column for line in lines if line.column)]:
        if column not in t.columns:
            raise MeasureError(f"column {column!r} is not in the table")
    y = t[welfare]
    aggs: dict[str, Any] = {"null_y": y.isnull().sum(), "bad_size": (t[size].isnull() | (t[size] <= 0)).sum(),
                            "nonpositive_y": (y <= 0).sum()}
    for i, line in enumerate(lines):
        if line.column:
            aggs[f"bad_line_{i}"] = (t[line.column].isnull() | (t[line.column] <= 0)).sum()
    found = to_polars(t.aggregate(**aggs)).row(0, named=True)
    if found["null_y"]:
        raise WelfareError(f"welfare column {welfare!r} has {found['null_y']} missing values")
    if found["bad_size"]:
        raise WelfareError(f"person-weight column {size!r} has {found['bad_size']} missing or non-positive values")
    if watts and found["nonpositive_y"]:
        raise WelfareError(f"the Watts index needs welfare > 0: {found['nonpositive_y']} rows of {welfare!r} are <= 0")
    for i, line in enumerate(lines):
        if line.column and found[f"bad_line_{i}"]:
            raise MeasureError(f"line column {line.column!r} has {found[f'bad_line_{i}']} missing or non-positive "
                               "values")


def partial_sums(
    t: ir.Table, unit_keys: Sequence[str], cells: Mapping[str, Any], welfare: str, weight: Any, size: str,
    lines: Sequence[Line], stats_: Sequence[Statistic],
) -> pl.DataFrame:
    """One engine pass: partial sums per (units, cells) of w m f, (w m f)^2 etc. for every statistic, long."""
    y = t[welfare].cast("float64")
    pw = (weight * t[size]).cast("float64")
    sources = {s.source for s in stats_}
    values: dict[str, Any] = {}
    for i, line in enumerate(lines):
        z = ibis.literal(line.rp) if line.rp is not None else t[line.column].cast("float64")
        poor = y < z
        gap = ibis.ifelse(poor, 1.0 - y / z, 0.0)
        for name, expr in (("headcount_ratio", ibis.ifelse(poor, 1.0, 0.0)), ("poverty_gap", gap),
                           ("poverty_severity", gap * gap),
                           ("watts", ibis.ifelse(poor, (z / ibis.greatest(y, 1e-300)).ln(), 0.0))):
            if f"{name}__{i}" in sources:
                values[f"{name}__{i}"] = expr
    if "mean_consumption" in sources:
        values["mean_consumption"] = y
    rows = t.mutate(_pw=pw, **cells, **{f"_f_{k}": v for k, v in values.items()})
    pwc = rows["_pw"]
    aggs: dict[str, Any] = {"beta": pwc.sum(), "qbb": (pwc * pwc).sum(), "n": rows.count()}
    for k in values:
        f = rows[f"_f_{k}"]
        aggs |= {f"alpha__{k}": (pwc * f).sum(), f"a2__{k}": (pwc * f * f).sum(),
                 f"qab__{k}": (pwc * pwc * f).sum(), f"qaa__{k}": (pwc * pwc * f * f).sum()}
    wide = to_polars(rows.group_by([*unit_keys, *cells]).aggregate(**aggs))
    keys = [*unit_keys, *cells]
    parts = []
    for s in stats_:
        if s.source == "population":
            moments = [pl.col("beta").alias("alpha"), pl.col("beta"), pl.col("qbb").alias("qaa"), pl.col("qbb")
                       .alias("qab"), pl.col("qbb"), pl.col("beta").alias("a2")]
        else:
            moments = [pl.col(f"alpha__{s.source}").alias("alpha"), pl.col("beta"),
                       pl.col(f"qaa__{s.source}").alias("qaa"), pl.col(f"qab__{s.source}").alias("qab"),
                       pl.col("qbb"), pl.col(f"a2__{s.source}").alias("a2")]
        parts.append(wide.select(*keys, pl.lit(s.measure).alias("measure"), pl.lit(s.line).alias("line"),
                                 pl.lit(s.kind).alias("kind"), *moments, pl.col("n").cast(pl.Int64)))
    return pl.concat(parts)


def poverty(
    table: Any,
    design: SurveyDesign | None,
    lines: Mapping[str, float | int | str] | float | int | str | Sequence[Line],
    *,
    by: Sequence[str | Sequence[str]] = (),
    measures: Sequence[str] = MEASURES,
    welfare: str = "consumption_pc_rp_month",
    size: str | None = None,
    snapshot_id: str | None = None,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Poverty measures with SE, CI, CV and design effect by every level of ``by`` (see the module docstring).

    ``table``: an Ibis table or a Polars/pandas frame of households. ``design``: the survey design, or None
    for a census (registry). ``size``: the person-weight column (default: the design's, else household_size).
    """
    if not 0 < confidence < 1:
        raise MeasureError(f"confidence must be in (0, 1), got {confidence}")
    levels = parse_levels(by)
    level_names = sorted({n for level in levels for n in level})
    line_list = as_lines(lines)
    stats_ = statistics_for(measures, line_list)
    sums_measures = [m for m in measures if m != SST]
    frames, df = [], None
    if sums_measures:
        one_pass = domain_sums(table, design, line_list, levels=level_names, measures=sums_measures,
                               welfare=welfare, size=size)
        for level in levels:
            cols = [one_pass.cells[n] for n in level]
            est = domain_estimates(one_pass.sums, cols, one_pass.info, one_pass.policy, has_psu=one_pass.has_psu,
                                   has_ssu=one_pass.has_ssu)
            area = pl.concat_str([pl.col(c) for c in cols], separator="/") if cols else pl.lit(ALL)
            frames.append(est.select(pl.lit("+".join(level) or ALL).alias("level"), area.alias("area"),
                                     "measure", "line", "estimate", "variance", "deff", "n"))
        df = one_pass.info.df if one_pass.info else None
    if SST in measures:
        from entas.measure.sst import sst_raw  # sst builds on inequality, which builds on this module

        t = as_table(table)
        person_size = size or (design.person_weight_column if design else "household_size")
        check_inputs(t, welfare, person_size, line_list, watts=False)
        raw, df = sst_raw(t, design, line_list, levels, welfare=welfare, size=person_size)
        frames.append(raw)
    return tidy_results(pl.concat(frames), line_list, stats_, levels, df, confidence, snapshot_id)


def tidy_results(
    raw: pl.DataFrame, lines: Sequence[Line], stats_: Sequence[Statistic], levels: Sequence[tuple[str, ...]],
    df: int | None, confidence: float, snapshot_id: str | None,
) -> pl.DataFrame:
    rp = {line.name: line.rp for line in lines}
    t_value = float(stats.t.ppf(0.5 + confidence / 2, df)) if df is not None and df > 0 else float("nan")
    se = pl.col("variance").sqrt()
    out = raw.with_columns(
        line=pl.when(pl.col("line") == "").then(None).otherwise(pl.col("line")),
        line_rp=pl.col("line").replace_strict(rp, default=None, return_dtype=pl.Float64),
        se=se,
        ci_low=pl.col("estimate") - t_value * se,
        ci_high=pl.col("estimate") + t_value * se,
        cv=pl.when(pl.col("estimate") != 0).then(se / pl.col("estimate").abs()).otherwise(None),
        df=pl.lit(df, dtype=pl.Int64),
        method=pl.lit(METHOD_VERSION),
        snapshot_id=pl.lit(snapshot_id, dtype=pl.Utf8),
        note=pl.lit(CENSUS_NOTE if df is None else None, dtype=pl.Utf8),
    )
    level_order = {"+".join(level) or ALL: i for i, level in enumerate(levels)}
    stat_order = pl.DataFrame(
        {"measure": [s.measure for s in stats_], "_line_key": [s.line for s in stats_],
         "_so": list(range(len(stats_)))}, schema={"measure": pl.Utf8, "_line_key": pl.Utf8, "_so": pl.Int64})
    out = out.with_columns(
        _lo=pl.col("level").replace_strict(level_order, return_dtype=pl.Int64),
        _line_key=pl.col("line").fill_null(""),
    ).join(stat_order, on=["measure", "_line_key"], how="left").sort("_lo", "area", "_so")
    return out.select("level", "area", "measure", "line", "line_rp", "estimate", "se", "ci_low", "ci_high", "cv",
                      "deff", "n", "df", "method", "snapshot_id", "note")


@dataclass(frozen=True)
class DomainSums:
    """The partial-sums table of one pass over the rows (``partial_sums``) and what its variances need.

    ``cells`` maps each level name to its cell column in ``sums``; ``info`` is None for a census.
    """

    sums: pl.DataFrame
    cells: Mapping[str, str]
    info: DesignInfo | None
    policy: LonelyPolicy
    has_psu: bool
    has_ssu: bool
    lines: tuple[Line, ...]


def domain_sums(
    table: Any,
    design: SurveyDesign | None,
    lines: Mapping[str, float | int | str] | float | int | str | Sequence[Line],
    *,
    levels: Sequence[str],
    measures: Sequence[str],
    welfare: str = "consumption_pc_rp_month",
    size: str | None = None,
) -> DomainSums:
    """The inputs of ``poverty`` checked as it checks them, reduced once to partial sums by every level named.

    ``levels``: level names (area levels, columns, or ``all``), each given its own cell column. For analyses
    that combine domains (``entas.measure.compare``) on the same one-pass table as ``poverty``.
    """
    t = as_table(table)
    line_list = as_lines(lines)
    names = [line.name for line in line_list]
    if len(set(names)) != len(names):
        raise MeasureError(f"line names must be distinct, got {names}")
    if SST in measures:
        raise MeasureError("sst is a rank statistic, not a sum of household values: measure it with poverty() or "
                           "entas.measure.sst (no covariance with other domains, no subgroup decomposition)")
    stats_ = statistics_for(measures, line_list)
    size = size or (design.person_weight_column if design else "household_size")
    check_inputs(t, welfare, size, line_list, watts="watts" in measures)
    cells = {f"_cell_{n}": (level_expression(t, n) if n != ALL else ibis.literal(ALL)).fill_null("NA") for n in levels}
    if design is None:
        info, unit_keys, weight = None, [], ibis.literal(1.0)
    else:
        info = design.validate(t)
        t = design.keyed(t)
        unit_keys = [STRATUM, *([PSU] if design.psu else []), *([SSU] if design.ssu else [])]
        weight = t[design.weight]
    sums = partial_sums(t, unit_keys, cells, welfare, weight, size, line_list, stats_)
    return DomainSums(sums=sums, cells={n: f"_cell_{n}" for n in levels}, info=info,
                      policy=design.lonely_psu if design else "fail", has_psu=bool(design and design.psu),
                      has_ssu=bool(design and design.ssu), lines=tuple(line_list))
