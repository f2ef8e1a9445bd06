"""Scoring the registry with a fitted PMT, as engine expressions: predicted welfare, P(poor), welfare rank and decile.

Method
------
For household i of district d, with the covariates ``x_i`` of ``entas.target.covariates`` and the district's
coefficients from ``fit_pmt``:

- ``predicted_log_welfare = a_d + x_i' b_d``; ``predicted_welfare_rp_month = exp(.)``, the conditional
  *median* of per-capita consumption (the mean would add ``sigma_d^2 / 2``);
- ``prob_below_<line> = P(y_i < z) = Phi((ln z - predicted_log_welfare) / sigma_d)``: the model's residual
  taken as normal with the district residual variance ``sigma_d^2`` (``PMTModel.residual_variance``). Normal
  rather than the empirical residual CDF because the lines that matter sit in the far left tail (extreme
  poverty is 0.1-0.3% of people): an empirical CDF from a few hundred district residuals is a step function
  that is exactly 0 below its smallest residual, while the normal gives a smooth, positive probability. Limit:
  real log-consumption residuals have slightly heavier tails than the normal, so these probabilities are
  somewhat too small far below the prediction; check calibration (``verification_list`` does on truth);
- ``welfare_rank`` (1 = poorest predicted) and ``welfare_decile`` (1 = poorest tenth of *persons*: a household
  is in decile ``floor(10 * P_before / P) + 1`` where ``P_before`` counts the persons ranked before it, each
  household weighted by ``household_size``, times ``weight`` when scoring a sample) within the province, and
  within each district when ``by_district=True`` (``welfare_rank_district``, ``welfare_decile_district``).

The coefficients become literals: one ``CASE district_code`` per term when districts differ, one literal when
they do not; a district without coefficients (not in the survey) takes the province row of the model. The
normal CDF has no builtin on DuckDB or Spark: :func:`normal_cdf` is Abramowitz and Stegun (1964) 26.2.17,
absolute error below 7.5e-8 (tested against scipy).

Conventions: a household is poor when its welfare is strictly below the line (``y < z``; for a continuous
prediction the probability is the same with ``<=``). Ties in rank are broken by ``household_id``. A kept
``welfare_decile`` column (the registry's own desil) is renamed ``registry_desil``.

Limits: the rank windows run over the whole province in one partition on Spark (fine for a province of about
a million households; partition by district for national scale); coefficient uncertainty is ignored in the
probabilities (small next to the residual variance with thousands of survey households).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import polars as pl

from entas.errors import TargetingError
from entas.measure.lines import poverty_lines
from entas.target.covariates import MEMBER_COVARIATES, covariate_table
from entas.target.pmt import PMTModel

LineSpec = float | str | Mapping[str, float]
LINE_KINDS = ("extreme", "national")
_AS_P = 0.2316419
_AS_B = (0.319381530, -0.356563782, 1.781477937, -1.821255978, 1.330274429)


def normal_cdf(z: Any) -> Any:
    """The standard normal CDF of an Ibis numeric expression (Abramowitz and Stegun 26.2.17, |error| < 7.5e-8)."""
    a = z.abs()
    b = [real(v) for v in _AS_B]
    t = real(1.0) / (real(1.0) + real(_AS_P) * a)
    poly = t * (b[0] + t * (b[1] + t * (b[2] + t * (b[3] + t * b[4]))))
    upper = (-(a * a) * real(0.5)).exp() * real(1 / math.sqrt(2 * math.pi)) * poly
    return ibis.ifelse(z >= 0, real(1.0) - upper, upper)


def lines_for_year(year: int, *, extreme_basis: str | None = None) -> dict[str, dict[str, float]]:
    """``{"extreme": {...}, "national": {...}}``: area code -> rupiah per capita per month from ``poverty_lines``."""
    out: dict[str, dict[str, float]] = {}
    for kind in LINE_KINDS:
        table = poverty_lines(year, kind, extreme_basis if kind == "extreme" else None)
        out[kind] = dict(zip(table["area_code"].to_list(), table["rp_per_capita_month"].to_list(), strict=True))
    return out


def _line_expression(spec: LineSpec, kind: str, t: ir.Table, province: str) -> Any:
    if isinstance(spec, bool):
        raise TargetingError(f"the {kind} line must be rupiah, a column or a mapping, not a boolean")
    if isinstance(spec, (int, float)):
        if spec <= 0:
            raise TargetingError(f"the {kind} line must be positive, got {spec}")
        return real(spec)
    if isinstance(spec, str):
        if spec not in t.columns:
            raise TargetingError(f"the {kind} line column {spec!r} is not in the households table")
        return t[spec].cast("float64")
    values = {str(k): float(v) for k, v in spec.items()}
    if not values or min(values.values()) <= 0:
        raise TargetingError(f"the {kind} lines must be positive rupiah values by area code")
    if province not in values:
        raise TargetingError(f"the {kind} lines by area need the province code {province!r} as the fallback")
    return _district_values(values, t, values[province])


def real(value: float) -> Any:
    """A float64 literal that every backend reads as a double (Spark reads a bare ``0.123`` as a DECIMAL)."""
    return ibis.literal(repr(float(value))).cast("float64")


def _district_values(values: Mapping[str, float], t: ir.Table, fallback: float) -> Any:
    if all(v == fallback for v in values.values()):
        return real(fallback)
    return t["district_code"].substitute({k: real(v) for k, v in values.items()}, else_=real(fallback))


def _prediction(model: PMTModel, t: ir.Table) -> Any:
    coef = model.coefficients
    province = model.province_code
    total: Any = None
    for term in ("intercept", *model.terms):
        rows = coef.filter(pl.col("term") == term)
        by = dict(zip(rows["district_code"].to_list(), rows["estimate"].to_list(), strict=True))
        fallback = by.pop(province)
        value = _district_values(by, t, fallback)
        part = value if term == "intercept" else value * t[term]
        total = part if total is None else total + part
    return total


def _rank_columns(t: ir.Table, size: Any, group: Any | None, suffix: str) -> dict[str, Any]:
    order = [t["predicted_log_welfare"], t["household_id"]]
    window = ibis.cumulative_window(group_by=group, order_by=order)
    whole = ibis.window(group_by=group)
    before = size.sum().over(window) - size
    decile = (before * 10.0 / size.sum().over(whole)).floor().cast("int64") + 1
    rank = ibis.row_number().over(ibis.window(group_by=group, order_by=order)) + 1
    return {
        f"welfare_rank{suffix}": rank.cast("int64"),
        f"welfare_decile{suffix}": ibis.least(decile, 10),
    }


def score_registry(
    model: PMTModel,
    households: ir.Table,
    members: ir.Table | None = None,
    *,
    lines: Mapping[str, LineSpec],
    reference_date: dt.date | None = None,
    by_district: bool = False,
    weight: str | None = None,
    keep: Sequence[str] = (),
) -> ir.Table:
    """Score every household of ``households`` (registry or survey schema) with ``model``; an Ibis table.

    ``lines`` maps ``extreme`` and ``national`` to a rupiah value, a column of ``households``, or a mapping
    area code -> rupiah (districts, with the province code as the fallback; see :func:`lines_for_year`).
    ``members`` is needed when the model uses member-based covariates. ``weight`` (a column) makes the deciles
    weighted (a survey sample); ``keep`` carries further household columns through. Columns: ``household_id,
    district_code, [village_code], household_size, <keep>, predicted_log_welfare, predicted_welfare_rp_month,
    residual_sd, line_extreme_rp_month, line_national_rp_month, prob_below_extreme, prob_below_national,
    welfare_rank, welfare_decile`` (and the ``_district`` rank and decile with ``by_district``), ``pmt_version``.
    """
    missing_kinds = [k for k in LINE_KINDS if k not in lines]
    if missing_kinds:
        raise TargetingError(f"lines need the kinds {', '.join(missing_kinds)} (rupiah, a column or a mapping)")
    columns = [*keep, *(c for c in (weight,) if c is not None and c not in keep),
               *(v for v in lines.values() if isinstance(v, str) and v not in keep)]
    unknown = [c for c in columns if c not in households.columns]
    if unknown:
        raise TargetingError(f"columns not in the households table: {', '.join(unknown)}")
    t = covariate_table(households, members if model.uses_members else None,
                        reference_date=reference_date or model.reference_date, keep=columns)
    absent = [c for c in ("household_size", *model.terms) if c not in t.columns]
    if members is None and any(c in MEMBER_COVARIATES for c in absent):
        used = [c for c in absent if c in MEMBER_COVARIATES]
        raise TargetingError(f"the model uses member covariates ({', '.join(used[:3])}, ...): pass the members")
    if absent:
        raise TargetingError(f"the households lack the model's covariates {', '.join(absent[:5])}")
    variance = model.residual_variance
    sd = {d: math.sqrt(v) for d, v in zip(variance["district_code"], variance["sigma2"], strict=True)}
    sd_fallback = sd.pop(model.province_code)
    predicted = _prediction(model, t)
    base = {c: t[c] for c in ("household_id", "district_code", "village_code", "household_size") if c in t.columns}
    carried = {("registry_desil" if c == "welfare_decile" else c): t[c] for c in columns if c not in base}
    scored = t.select(
        **base,
        **carried,
        predicted_log_welfare=predicted,
        residual_sd=_district_values(sd, t, sd_fallback),
        **{f"line_{k}_rp_month": _line_expression(lines[k], k, t, model.province_code) for k in LINE_KINDS},
    )
    scored = scored.mutate(
        predicted_welfare_rp_month=scored["predicted_log_welfare"].exp(),
        **{f"prob_below_{k}": normal_cdf((scored[f"line_{k}_rp_month"].ln() - scored["predicted_log_welfare"])
                                         / scored["residual_sd"]) for k in LINE_KINDS},
    )
    size = scored["household_size"].cast("float64")
    if weight is not None:
        size = size * scored[weight].cast("float64")
    ranks = _rank_columns(scored, size, None, "")
    if by_district:
        ranks |= _rank_columns(scored, size, scored["district_code"], "_district")
    return scored.mutate(**ranks, pmt_version=ibis.literal(model.method_version))


__all__ = ["LINE_KINDS", "lines_for_year", "normal_cdf", "score_registry"]
