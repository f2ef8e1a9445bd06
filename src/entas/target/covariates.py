"""Proxy-means-test covariates: the numeric household variables that both the registry and the survey hold.

Method
------
``household_covariates`` turns a household table (the registry or the survey sample, same schema names) and,
optionally, its member table into one row per household of float covariates, built as Ibis expressions so
the same code runs over millions of registry rows on DuckDB or PySpark:

- code columns (tenure, floor, wall, roof, drinking water, sanitation, lighting, cooking fuel) become one-hot
  indicators ``<field>_<level>``, dropping the reference level of :data:`REFERENCE_LEVELS` (the most common
  level in Kalimantan Timur, so the other coefficients are contrasts with the typical dwelling);
- assets (``has_*``) become 0/1; ``log_household_size = ln(size)``; ``log_floor_area_pc = ln(m² / size)``;
- installed PLN capacity (``electricity_va``) becomes bands ``(0, 450]``, ``(900, 1300]``, ``(1300, 2200]``,
  ``> 2200`` VA against the reference ``(450, 900]``; 0 VA (no own PLN meter) is carried by the lighting
  indicators, so it takes no band of its own (a band would repeat the lighting information exactly);
- ``urban`` is derived from the village code (a kelurahan, ``64.xx.xx.1xxx``, is urban; a desa,
  ``64.xx.xx.2xxx``, rural: the administrative split of ``entas.areas.tree``) whenever ``village_code`` is
  present, on the survey too, so the covariate means the same in the fit and in the scoring; a table with
  no village code uses its ``urban`` column;
- with members (matched on ``household_id``; ages in completed years at ``reference_date``): the head's
  education (one-hot, reference ``senior_secondary``), head female, the head's work sector (one-hot,
  reference ``trade``), the shares of members under 15 and aged 65 or more, the dependency ratio
  ``(n<15 + n65+) / max(n15-64, 1)``, and any member with a disability or a chronic illness.

Missing values (never a dropped row): a null or unknown value sets the field's indicators (or its numeric
value) to 0, i.e. the reference, and raises ``missing_<field>`` to 1; a household with no member rows, or
no head row, gets ``missing_members`` / ``missing_head`` (with every member-based covariate at 0). A missing
indicator that is 0 everywhere (the usual case on clean data) has no variance: ``fit_pmt`` drops it, and so
must any other model that uses :data:`COVARIATES` directly.

Not covariates, on purpose: the ``receives_*`` program flags (targeting with a PMT that uses current program
receipt is circular: it would rank households by who was targeted before, and make today's errors permanent),
``stunting_risk`` (the survey does not hold it), ``welfare_decile`` (the registry's own PMT output).

Limits: categorical levels are fixed here (the registry code lists of ``entas.registry.codes``); ages need
``birth_date``; when ``reference_date`` is not given it is the latest birth date among the members (the
registry's reference date is not stored) — pass the survey or registry reference date for exact ages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]

from entas.errors import TargetingError

REFERENCE_LEVELS: dict[str, str] = {
    "house_ownership": "own",
    "floor_type": "ceramic",
    "wall_type": "masonry",
    "roof_type": "zinc",
    "drinking_water": "bottled",
    "sanitation": "own",
    "lighting": "pln_metered",
    "cooking_fuel": "lpg",
    "head_education": "senior_secondary",
    "head_work_sector": "trade",
}
"""The reference (dropped) level of every one-hot field."""

CODE_LEVELS: dict[str, tuple[str, ...]] = {
    "house_ownership": ("own", "rented", "rent_free", "official", "other"),
    "floor_type": ("ceramic", "tile_terrazzo", "parquet", "wood_high", "cement_brick", "wood_low", "bamboo",
                   "earth", "other"),
    "wall_type": ("masonry", "plastered_bamboo", "wood_board", "woven_bamboo", "log", "bamboo", "other"),
    "roof_type": ("concrete", "clay_tile", "asbestos", "zinc", "shingle", "bamboo", "thatch", "other"),
    "drinking_water": ("bottled", "piped", "borehole", "protected_well", "unprotected_well", "protected_spring",
                       "unprotected_spring", "surface", "rain", "other"),
    "sanitation": ("own", "shared", "public", "none"),
    "lighting": ("pln_metered", "pln_unmetered", "non_pln", "none"),
    "cooking_fuel": ("electricity", "lpg", "natural_gas", "kerosene", "charcoal", "wood", "none", "other"),
}
"""Household code fields and their levels (the registry code lists)."""

MEMBER_CODE_LEVELS: dict[str, tuple[str, ...]] = {
    "head_education": ("none", "primary_incomplete", "primary", "junior_secondary", "senior_secondary",
                       "diploma", "university"),
    "head_work_sector": ("agriculture", "plantation", "fishery", "livestock", "forestry", "mining",
                         "manufacturing", "construction", "trade", "transport", "services", "public_service",
                         "none"),
}
"""Head-of-household code fields (from the member table) and their levels."""

ASSETS: tuple[str, ...] = ("has_savings", "has_refrigerator", "has_motorcycle", "has_car", "has_boat", "has_land")
VA_BANDS: tuple[tuple[str, float, float], ...] = (
    ("electricity_va_le450", 0.0, 450.0),
    ("electricity_va_1300", 900.0, 1300.0),
    ("electricity_va_2200", 1300.0, 2200.0),
    ("electricity_va_gt2200", 2200.0, float("inf")),
)
"""Bands ``(low, high]`` of installed VA; the reference band is ``(450, 900]``."""

_MEMBER_SOURCES = {"head_education": "education", "head_work_sector": "work_sector"}


def _one_hot_names(levels: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(f"{field}_{lv}" for field, lvs in levels.items() for lv in lvs if lv != REFERENCE_LEVELS[field])


HOUSEHOLD_COVARIATES: tuple[str, ...] = (
    *_one_hot_names(CODE_LEVELS),
    *ASSETS,
    "log_household_size",
    "log_floor_area_pc",
    *(name for name, _, _ in VA_BANDS),
    "urban",
    *(f"missing_{field}" for field in (*CODE_LEVELS, *ASSETS, "household_size", "floor_area_m2",
                                       "electricity_va", "urban")),
)
"""Covariates built from the household table alone."""

MEMBER_COVARIATES: tuple[str, ...] = (
    *_one_hot_names(MEMBER_CODE_LEVELS),
    "head_female",
    "share_children_u15",
    "share_elderly_65plus",
    "dependency_ratio",
    "any_disability",
    "any_chronic_illness",
    "missing_members",
    "missing_head",
)
"""Covariates that need the member table."""

COVARIATES: tuple[str, ...] = (*HOUSEHOLD_COVARIATES, *MEMBER_COVARIATES)
"""Every numeric PMT covariate, in a fixed order (household ones first)."""

HOUSEHOLD_FIELDS: tuple[str, ...] = (*CODE_LEVELS, *ASSETS, "household_size", "floor_area_m2", "electricity_va")
"""Household columns ``household_covariates`` needs (plus ``village_code``, or ``district_code`` and ``urban``)."""
MEMBER_FIELDS: tuple[str, ...] = ("household_id", "relation_to_head", "sex", "birth_date", "education",
                                  "work_sector", "disability", "chronic_illness")
"""Member columns ``household_covariates`` needs when members are given."""


def _flag(condition: Any) -> Any:
    """A boolean expression as a 0/1 float, null counted as 0."""
    return ibis.ifelse(condition.fill_null(False), 1.0, 0.0)


def _absent(valid: Any) -> Any:
    """1.0 where ``valid`` is false or null (a missing or unknown value), else 0.0."""
    return ibis.ifelse(valid.fill_null(False), 0.0, 1.0)


def _check_columns(table: ir.Table, needed: Sequence[str], what: str) -> None:
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise TargetingError(f"{what} lack the PMT columns {', '.join(missing)}")


def _code_columns(t: ir.Table, field: str, levels: tuple[str, ...]) -> dict[str, Any]:
    value = t[field].cast("string")
    out = {f"{field}_{lv}": _flag(value == lv) for lv in levels if lv != REFERENCE_LEVELS[field]}
    out[f"missing_{field}"] = _absent(value.isin(list(levels)))
    return out


def _household_part(t: ir.Table, size: Any) -> dict[str, Any]:
    cols: dict[str, Any] = {}
    for field, levels in CODE_LEVELS.items():
        cols.update(_code_columns(t, field, levels))
    for asset in ASSETS:
        cols[asset] = _flag(t[asset].cast("boolean"))
        cols[f"missing_{asset}"] = _flag(t[asset].isnull())
    good_size = size.notnull() & (size >= 1)
    cols["log_household_size"] = ibis.ifelse(good_size, size.cast("float64").ln(), 0.0)
    cols["missing_household_size"] = _absent(good_size)
    area = t["floor_area_m2"].cast("float64")
    good_area = good_size & area.notnull() & (area > 0)
    cols["log_floor_area_pc"] = ibis.ifelse(good_area, (area / size.cast("float64")).ln(), 0.0)
    cols["missing_floor_area_m2"] = _absent(good_area)
    va = t["electricity_va"].cast("float64")
    for name, low, high in VA_BANDS:
        cols[name] = _flag((va > low) & (va <= high)) if high != float("inf") else _flag(va > low)
    cols["missing_electricity_va"] = _flag(va.isnull())
    if "village_code" in t.columns:
        urban = t["village_code"].cast("string").substr(9, 1)
        cols["urban"] = _flag(urban == "1")
        cols["missing_urban"] = _absent(urban.isin(["1", "2"]))
    elif "urban" in t.columns:
        cols["urban"] = _flag(t["urban"].cast("boolean"))
        cols["missing_urban"] = _flag(t["urban"].isnull())
    else:
        raise TargetingError("households need village_code (or district_code and urban) for the PMT")
    return cols


def _member_summary(members: ir.Table, reference_date: dt.date) -> ir.Table:
    m = members
    born = m["birth_date"].cast("date")
    later_birthday = (born.month() > reference_date.month) | (
        (born.month() == reference_date.month) & (born.day() > reference_date.day)
    )
    age = reference_date.year - born.year() - ibis.ifelse(later_birthday, 1, 0)
    is_head = (m["relation_to_head"].cast("string") == "head").fill_null(False)
    aggs: dict[str, Any] = {
        "n_members_": m["household_id"].count(),
        "n_heads_": _flag(is_head).sum(),
        "n_known_age_": _flag(born.notnull()).sum(),
        "n_child_": _flag(age < 15).sum(),
        "n_elderly_": _flag(age >= 65).sum(),
        "n_working_": _flag((age >= 15) & (age < 65)).sum(),
        "any_disability": _flag(m["disability"].cast("string").notnull() & (m["disability"] != "none")).max(),
        "any_chronic_illness": _flag(m["chronic_illness"].cast("boolean")).max(),
        "head_female": _flag(is_head & (m["sex"].cast("string") == "female")).max(),
        "head_sex_known_": _flag(is_head & m["sex"].cast("string").isin(["male", "female"])).max(),
    }
    for field, levels in MEMBER_CODE_LEVELS.items():
        value = m[_MEMBER_SOURCES[field]].cast("string")
        for lv in levels:
            if lv != REFERENCE_LEVELS[field]:
                aggs[f"{field}_{lv}"] = _flag(is_head & (value == lv)).max()
        aggs[f"{field}_known_"] = _flag(is_head & value.isin(list(levels))).max()
    return m.group_by(m["household_id"].cast("string").name("household_id")).aggregate(**aggs)


def _member_part(s: ir.Table) -> dict[str, Any]:
    cols: dict[str, Any] = {}
    known = s["n_known_age_"].fill_null(0.0)
    has_ages = known > 0
    for name, source in (("share_children_u15", "n_child_"), ("share_elderly_65plus", "n_elderly_")):
        cols[name] = ibis.ifelse(has_ages, s[source].fill_null(0.0) / ibis.greatest(known, 1.0), 0.0)
    dependants = s["n_child_"].fill_null(0.0) + s["n_elderly_"].fill_null(0.0)
    cols["dependency_ratio"] = dependants / ibis.greatest(s["n_working_"].fill_null(0.0), 1.0)
    for name in ("any_disability", "any_chronic_illness", "head_female",
                 *_one_hot_names(MEMBER_CODE_LEVELS)):
        cols[name] = s[name].fill_null(0.0)
    cols["missing_members"] = _absent(has_ages)
    head_complete = (
        (s["n_heads_"].fill_null(0.0) >= 1)
        & (s["head_sex_known_"].fill_null(0.0) > 0)
        & (s["head_education_known_"].fill_null(0.0) > 0)
        & (s["head_work_sector_known_"].fill_null(0.0) > 0)
    )
    cols["missing_head"] = _absent(head_complete)
    return cols


def household_covariates(
    households: ir.Table,
    members: ir.Table | None = None,
    *,
    reference_date: dt.date | None = None,
    keep: Sequence[str] = (),
) -> ir.Table:
    """One row per household: ``household_id, district_code, [village_code], household_size``, the covariates.

    Parameters
    ----------
    households
        Registry or survey households (schema names); needs :data:`HOUSEHOLD_FIELDS` and ``village_code``
        (or ``district_code`` and ``urban``).
    members
        Their members (schema names, :data:`MEMBER_FIELDS`); when given the :data:`MEMBER_COVARIATES` are
        added, else only the :data:`HOUSEHOLD_COVARIATES` are.
    reference_date
        The date ages are taken at (default: the latest birth date among the members).
    keep
        Further household columns to carry through unchanged (e.g. ``weight``, ``consumption_pc_rp_month``).

    Every household of ``households`` appears exactly once (a household without members is kept, flagged
    ``missing_members``); ``household_size`` falls back to the member count when null. The covariates are
    float64 columns named as in :data:`COVARIATES`.
    """
    t = households
    _check_columns(t, ("household_id", *HOUSEHOLD_FIELDS), "households")
    unknown = [c for c in keep if c not in t.columns]
    if unknown:
        raise TargetingError(f"columns to keep are not in the households table: {', '.join(unknown)}")
    if "district_code" in t.columns:
        district = t["district_code"].cast("string")
        if "village_code" in t.columns:
            district = district.fill_null(t["village_code"].cast("string").substr(0, 5))
    elif "village_code" in t.columns:
        district = t["village_code"].cast("string").substr(0, 5)
    else:
        raise TargetingError("households need district_code or village_code for the PMT")
    base: dict[str, Any] = {"household_id": t["household_id"].cast("string"), "district_code": district}
    if "village_code" in t.columns:
        base["village_code"] = t["village_code"].cast("string")
    carried = [c for c in keep if c not in base and c != "household_size"]
    if members is None:
        size = t["household_size"].cast("int64")
        cols = _household_part(t, size)
        return t.select(**base, household_size=size, **{c: t[c] for c in carried},
                        **{n: cols[n].cast("float64") for n in HOUSEHOLD_COVARIATES})
    _check_columns(members, MEMBER_FIELDS, "members")
    if reference_date is None:
        latest = members["birth_date"].max().execute()
        if latest is None:
            raise TargetingError("members have no birth dates: pass reference_date or drop the members")
        reference_date = latest.date() if isinstance(latest, dt.datetime) else latest
    summary = _member_summary(members, reference_date)
    joined = t.left_join(summary, t["household_id"].cast("string") == summary["household_id"])
    size = t["household_size"].cast("int64").fill_null(summary["n_members_"].cast("int64"))
    cols = _household_part(t, size) | _member_part(summary)
    return joined.select(
        **{k: v for k, v in base.items()},
        household_size=size,
        **{c: t[c] for c in carried},
        **{n: cols[n].cast("float64") for n in COVARIATES},
    )


def covariate_table(
    households: ir.Table,
    members: ir.Table | None = None,
    *,
    reference_date: dt.date | None = None,
    keep: Sequence[str] = (),
) -> ir.Table:
    """``households`` as it is when it already holds covariates, else ``household_covariates`` of it.

    A table "already holds covariates" when it has ``household_id``, ``district_code`` and at least one of
    :data:`COVARIATES` but none of the raw code fields (e.g. the output of ``household_covariates`` written to
    a file); ``fit_pmt`` and ``score_registry`` accept either form.
    """
    prebuilt = covariate_names(households) and not any(c in households.columns for c in CODE_LEVELS)
    if prebuilt:
        _check_columns(households, ("household_id", "district_code"), "covariate tables")
        return households
    return household_covariates(households, members, reference_date=reference_date, keep=keep)


def covariate_names(table: ir.Table) -> tuple[str, ...]:
    """The covariates of :data:`COVARIATES` that ``table`` holds, in the canonical order."""
    return tuple(n for n in COVARIATES if n in table.columns)


__all__ = [
    "COVARIATES",
    "HOUSEHOLD_COVARIATES",
    "MEMBER_COVARIATES",
    "REFERENCE_LEVELS",
    "covariate_names",
    "covariate_table",
    "household_covariates",
]
