"""Deprivations: an Alkire-Foster multidimensional index on the registry, per household and per area.

Method (Alkire and Foster 2011, "Counting and multidimensional poverty measurement", J. Public Economics 95;
Alkire, Foster, Seth, Santos, Roche and Ballon 2015, "Multidimensional Poverty Measurement and Analysis",
ch. 5). Each household i gets a 0/1 deprivation d_ij in every indicator j (``INDICATORS``); its deprivation
score is c_i = sum_j w_j d_ij with weights summing to 1. It is *poor* when c_i >= k (weakly, as the global
MPI; ties within 1e-9 count as poor, so that 6 x 1/18 reaches k = 1/3 despite rounding). With person weights
p_i = household size (every member of a household shares its deprivations, as the global MPI):
H = sum p poor / sum p; A = sum p c poor / sum p poor (null when nobody is poor); M0 = H x A; the censored
headcount of j is sum p d_j poor / sum p and the uncensored one sum p d_j / sum p; the contribution of j is
w_j x censored headcount_j / M0, so that M0 = sum_j w_j censored headcount_j and contributions add up to 1.
A registry is a census: these are exact counts with no sampling error (``note`` says so, as entas.measure).

Indicators (rules are Ibis expressions over household columns and member aggregates; see each ``source``):
living standards (1/3, 1/24 each) -- drinking water and sanitation as BPS's SDG 6.1.1/6.2.1 "layak" access,
electricity and cooking fuel as the UNDP/OPHI global MPI (fuel also SDG 7.1.2), floor, wall and roof as the
durability criteria and overcrowding as the 7.2 m2 per person criterion of BPS's "rumah layak huni";
education (1/3, 1/6 each) -- school attendance of children aged 7-15 (Indonesia's 9-year compulsory
schooling, the analogue of the MPI's "class 8"; ``school_ages=(7, 18)`` for the 12-year programme) and adult
schooling (no member aged 15+ completed six years, i.e. primary); health (1/3) -- any member without health
insurance. Default weights are nested equal weights by dimension (``nested_weights``), as the global MPI.

Missing data (chosen rule), after OPHI's global MPI methodological notes (e.g. Alkire, Kanagaratnam and Suppa
2023): school attendance and insurance are deprived if any eligible member with data is, not deprived if
nobody is eligible or if at least 2/3 of the eligible have data; adult schooling is not deprived if a member
aged 15+ has six years (or nobody is 15+), deprived if none has and at least 2/3 of them have data; otherwise
missing. A household code outside the indicator's code list (``other``, null, unrecognised) is missing. A
missing indicator does not count as deprived nor as not deprived: its weight is shared by the household's
observed indicators of the same dimension in proportion to their weights (the global MPI's rule for an
indicator missing in a whole survey), and a dimension with no observed indicator passes its weight to the
observed dimensions in proportion. Headcounts of an indicator are then over the persons it is observed for,
and contributions use each household's effective weights, so they still add up to 1 while the identity
M0 = sum_j w_j censored headcount_j holds exactly only when nothing is missing. A household with no observed
indicator has no score and is left out of every count (``households`` counts the scored ones).

Limits: the registry has no toilet type or septic tank, no bathing-water source (BPS counts bottled water as
"layak" only with an improved bathing source), no distance to the source, no nutrition or child-mortality
data: water and sanitation deprivations are lower bounds and health is one indicator, so with the default
weights lacking insurance alone reaches k = 1/3 (choose k > 1/3 or other weights to require two
deprivations). Ages are completed years at ``as_of`` (the registry's reference date); members with no birth
date are not eligible for age-based indicators. ``alkire_foster`` materialises a derived input once
(``Table.cache``) before aggregating it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Literal

import ibis  # type: ignore[import-untyped]
import ibis.expr.operations as ops  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import polars as pl
from ibis import _

from entas.engine import connect, register, to_polars
from entas.errors import DeprivationError
from entas.measure.poverty import AREA_LEVELS, CENSUS_NOTE

METHOD_VERSION = "entas.pockets.deprivation 0.1"
Dimension = Literal["living_standards", "education", "health"]
DIMENSIONS: tuple[Dimension, ...] = ("living_standards", "education", "health")
Level = Literal["village", "subdistrict", "district", "province"]
DEFAULT_K = 1 / 3
K_TOLERANCE = 1e-9
MIN_FLOOR_AREA_PER_PERSON_M2 = 7.2
ADULT_AGE = 15
KNOWN_SHARE = 2 / 3
_NULL = ibis.null("int8")
SIX_YEARS = ("primary", "junior_secondary", "senior_secondary", "diploma", "university")
MEMBER_AGGREGATES = ("members_listed", "school_age_children", "school_status_known", "children_out_of_school",
                     "adults", "adult_education_known", "adults_six_years", "insurance_known", "uninsured")


@dataclass(frozen=True)
class Indicator:
    """One deprivation indicator: its rule (an Ibis deferred expression giving 1, 0 or null) and its source.

    ``columns``: the household columns the rule reads (member aggregates and ``persons`` are always there).
    """

    name: str
    dimension: Dimension
    name_id: str
    cutoff: str
    source: str
    columns: tuple[str, ...]
    rule: Any = field(compare=False, repr=False)


def coded_rule(column: str, *, deprived: Sequence[str], adequate: Sequence[str]) -> Any:
    """1 for a deprived code, 0 for an adequate one, null for anything else (``other``, null, unknown)."""
    value = _[column]
    return ibis.cases((value.isin(list(deprived)), 1), (value.isin(list(adequate)), 0), else_=_NULL)


def _any_member_rule(deprived: Any, eligible: Any, known: Any) -> Any:
    """Deprived if any eligible member with data is; not if none is eligible or 2/3 have data; else missing."""
    return ibis.cases((_.members_listed.isnull(), _NULL), (deprived > 0, 1), (eligible == 0, 0),
                      (known * 3 >= eligible * 2, 0), else_=_NULL)


_BPS_RLH = "BPS, Indikator Perumahan dan Kesehatan Lingkungan (rumah layak huni: ketahanan bangunan)"
INDICATORS: tuple[Indicator, ...] = (
    Indicator("drinking_water", "living_standards", "Air minum tidak layak",
              "main drinking-water source is an unprotected well or spring or surface water",
              "BPS SDG 6.1.1 akses air minum layak (JMP improved sources; bottled and rain water count as improved)",
              ("drinking_water",), coded_rule(
                  "drinking_water", deprived=("unprotected_well", "unprotected_spring", "surface"),
                  adequate=("bottled", "piped", "borehole", "protected_well", "protected_spring", "rain"))),
    Indicator("sanitation", "living_standards", "Sanitasi tidak layak",
              "no toilet, or only a public toilet (own or shared with other households is adequate)",
              "BPS SDG 6.2.1 akses sanitasi layak (own or shared facility; toilet type and septic tank not in "
              "the registry)", ("sanitation",),
              coded_rule("sanitation", deprived=("public", "none"), adequate=("own", "shared"))),
    Indicator("electricity", "living_standards", "Tanpa listrik", "main lighting is not electric",
              "UNDP/OPHI global MPI: electricity", ("lighting",),
              coded_rule("lighting", deprived=("none",), adequate=("pln_metered", "pln_unmetered", "non_pln"))),
    Indicator("cooking_fuel", "living_standards", "Bahan bakar memasak tidak bersih",
              "cooks with firewood, charcoal or kerosene",
              "UNDP/OPHI global MPI: cooking fuel (solid fuels), with kerosene as SDG 7.1.2 (not clean) and BPS's "
              "kriteria rumah tangga miskin", ("cooking_fuel",),
              coded_rule("cooking_fuel", deprived=("wood", "charcoal", "kerosene"),
                         adequate=("electricity", "lpg", "natural_gas", "none"))),
    Indicator("floor", "living_standards", "Lantai tidak layak", "main floor is earth or bamboo", _BPS_RLH,
              ("floor_type",), coded_rule(
                  "floor_type", deprived=("earth", "bamboo"),
                  adequate=("ceramic", "tile_terrazzo", "parquet", "wood_high", "cement_brick", "wood_low"))),
    Indicator("wall", "living_standards", "Dinding tidak layak", "main wall is woven bamboo or bamboo", _BPS_RLH,
              ("wall_type",), coded_rule("wall_type", deprived=("woven_bamboo", "bamboo"),
                                         adequate=("masonry", "plastered_bamboo", "wood_board", "log"))),
    Indicator("roof", "living_standards", "Atap tidak layak", "main roof is bamboo or thatch (straw, leaves)",
              _BPS_RLH, ("roof_type",), coded_rule(
                  "roof_type", deprived=("bamboo", "thatch"),
                  adequate=("concrete", "clay_tile", "asbestos", "zinc", "shingle"))),
    Indicator("overcrowding", "living_standards", "Luas lantai per kapita < 7,2 m2",
              "floor area below 7.2 m2 per person", "BPS rumah layak huni: kecukupan luas tempat tinggal",
              ("floor_area_m2",),
              ibis.cases((_.floor_area_m2.isnull() | _.persons.isnull(), _NULL),
                         (_.floor_area_m2 < _.persons * MIN_FLOOR_AREA_PER_PERSON_M2 - K_TOLERANCE, 1),
                         else_=0)),
    Indicator("school_attendance", "education", "Anak usia sekolah tidak bersekolah",
              "a child of school age (7-15 by default) is not in school",
              "UNDP/OPHI global MPI: school attendance (ages of Indonesia's compulsory schooling)", (),
              _any_member_rule(_.children_out_of_school, _.school_age_children, _.school_status_known)),
    Indicator("adult_schooling", "education", "Tidak ada anggota dewasa tamat SD",
              "no member aged 15+ has completed six years of schooling (primary)",
              "UNDP/OPHI global MPI: years of schooling", (),
              ibis.cases((_.members_listed.isnull(), _NULL), (_.adults_six_years > 0, 0), (_.adults == 0, 0),
                         (_.adult_education_known * 3 >= _.adults * 2, 1), else_=_NULL)),
    Indicator("health_insurance", "health", "Anggota tanpa jaminan kesehatan", "a member has no health insurance",
              "national: JKN universal coverage (UU 40/2004); the MPI's health dimension has no registry data", (),
              _any_member_rule(_.uninsured, _.members_listed, _.insurance_known)),
)
INDICATOR_NAMES: tuple[str, ...] = tuple(indicator.name for indicator in INDICATORS)
AREA_COLUMNS = {"village": "village_code", "subdistrict": "subdistrict_code", "district": "district_code",
                "province": "province_code"}


def nested_weights(names: Sequence[str], *, indicators: Sequence[Indicator] = INDICATORS) -> dict[str, float]:
    """Nested equal weights: each dimension present gets an equal share, split equally among its indicators."""
    dimension_of = {indicator.name: indicator.dimension for indicator in indicators}
    unknown = [name for name in names if name not in dimension_of]
    if unknown or not names:
        raise DeprivationError(f"no nested weights for indicators {unknown or list(names)}; known: "
                               f"{', '.join(dimension_of)} (or pass weights=)")
    present = list(dict.fromkeys(dimension_of[name] for name in names))
    sizes = {d: sum(dimension_of[name] == d for name in names) for d in present}
    return {name: 1 / len(present) / sizes[dimension_of[name]] for name in names}


def _check_k(k: float) -> None:
    if not 0 < k <= 1:
        raise DeprivationError(f"the poverty cut-off k must be in (0, 1], got {k}")


def _check_weights(weights: Mapping[str, float], columns: Sequence[str]) -> dict[str, float]:
    checked = {str(name): float(value) for name, value in weights.items()}
    missing = [name for name in checked if name not in columns]
    if not checked or missing:
        raise DeprivationError(f"weighted indicators {missing or '(none)'} are not columns of the table")
    bad = {name: value for name, value in checked.items() if not value > 0}
    if bad:
        raise DeprivationError(f"indicator weights must be positive, got {bad}")
    if abs(sum(checked.values()) - 1) > K_TOLERANCE:
        raise DeprivationError(f"indicator weights must add up to 1, they add up to {sum(checked.values())!r}")
    return checked


def score(t: ir.Table, weights: Mapping[str, float], dimensions: Mapping[str, str], k: float) -> ir.Table:
    """``t`` with each indicator's effective weight ``_w_<name>``, ``deprivation_score`` and ``poor_k``.

    Missing indicators are reweighted as the module docstring says; with nothing missing the effective
    weights are the given ones. ``deprivation_score`` is null when no indicator is observed.
    """
    groups: dict[str, list[str]] = {}
    for name in weights:
        groups.setdefault(dimensions.get(name, name), []).append(name)
    totals = [sum(weights[name] for name in names) for names in groups.values()]
    # every literal meets a float64 column first: Ibis writes float literals as decimals on Spark, where
    # decimal-only arithmetic would round the weights to 6 decimals. Per dimension: the observed weight and
    # the weighted deprivations; each stage reads the previous one's columns, so that no engine inlines the
    # indicator rules many times over (DuckDB and Spark optimizers did, taking minutes).
    stage: dict[str, Any] = {}
    for i, names in enumerate(groups.values()):
        stage[f"_obs_{i}"] = sum((t[n].notnull().cast("float64") * weights[n] for n in names), ibis.literal(0.0))
        stage[f"_dep_{i}"] = sum((t[n].cast("float64").fill_null(0.0) * weights[n] for n in names), ibis.literal(0.0))
    t = t.mutate(**stage)
    present = sum(((t[f"_obs_{i}"] > 0).cast("float64") * total for i, total in enumerate(totals)), ibis.literal(0.0))
    t = t.mutate(_present=present)
    t = t.mutate(**{f"_scale_{i}": total / (t[f"_obs_{i}"] * t["_present"]).nullif(0.0)
                    for i, total in enumerate(totals)})
    dimension_score = sum(((t[f"_dep_{i}"] * t[f"_scale_{i}"]).fill_null(0.0) for i in range(len(totals))),
                          ibis.literal(0.0))
    effective = {f"_w_{n}": ibis.ifelse(t[n].isnull(), 0.0, t[f"_scale_{i}"] * weights[n]).fill_null(0.0)
                 for i, names in enumerate(groups.values()) for n in names}
    t = t.mutate(deprivation_score=ibis.ifelse(t["_present"] > 0, dimension_score, ibis.null("float64")),
                 **effective)
    t = t.mutate(poor_k=t["deprivation_score"] >= k - K_TOLERANCE)
    return t.drop("_present", *stage, *(f"_scale_{i}" for i in range(len(totals))))


def _tables(households: Any, members: Any, backend: Any | None) -> tuple[ir.Table, ir.Table]:
    """Both inputs as tables of one backend (frames are registered in ``backend`` or in the other's)."""
    if backend is None:
        tables = [x for x in (households, members) if isinstance(x, ir.Table)]
        backend = tables[0].get_backend() if tables else connect()
    hh = households if isinstance(households, ir.Table) else register(backend, households, "entas_dep_households")
    mem = members if isinstance(members, ir.Table) else register(backend, members, "entas_dep_members")
    return hh, mem


def _require(t: ir.Table, columns: Sequence[str], what: str) -> None:
    missing = [column for column in columns if column not in t.columns]
    if missing:
        raise DeprivationError(f"{what} needs columns {missing}, which the table does not have")


def member_aggregates(members: ir.Table, *, as_of: dt.date | None, school_ages: tuple[int, int]) -> ir.Table:
    """Per household: members listed, school-age children (and how many are known / out of school), adults
    aged 15+ (known education, with six years), members with known insurance and uninsured ones."""
    if as_of is not None:
        _require(members, ["household_id", "birth_date"], "ages at as_of")
        born = members["birth_date"].cast("date")
        not_yet = (born.month() > as_of.month) | ((born.month() == as_of.month) & (born.day() > as_of.day))
        age = as_of.year - born.year() - ibis.ifelse(not_yet, 1, 0)
    elif "age" in members.columns:
        age = members["age"]
    else:
        raise DeprivationError("member indicators need ages: pass as_of (the registry's reference date, e.g. "
                               "datetime.date(2024, 3, 15)) or an `age` column in members")
    _require(members, ["household_id", "school_enrolment", "education", "health_insurance"], "member indicators")
    low, high = school_ages
    m = members.mutate(_child=age.between(low, high).fill_null(False), _adult=(age >= ADULT_AGE).fill_null(False))

    def count(condition: Any) -> Any:
        return ibis.ifelse(condition.fill_null(False), 1, 0).sum()

    enrolment, education, insurance = m["school_enrolment"], m["education"], m["health_insurance"]
    return m.group_by(_member_household=m["household_id"]).aggregate(
        members_listed=m.count(),
        school_age_children=count(m["_child"]),
        school_status_known=count(m["_child"] & enrolment.notnull()),
        children_out_of_school=count(m["_child"] & (enrolment != "enrolled")),
        adults=count(m["_adult"]),
        adult_education_known=count(m["_adult"] & education.notnull()),
        adults_six_years=count(m["_adult"] & education.isin(list(SIX_YEARS))),
        insurance_known=count(insurance.notnull()),
        uninsured=count(insurance == "none"),
    )


def deprivation_indicators(
    households: Any,
    members: Any,
    *,
    as_of: dt.date | None = None,
    indicators: Sequence[Indicator] = INDICATORS,
    weights: Mapping[str, float] | None = None,
    k: float = DEFAULT_K,
    school_ages: tuple[int, int] = (7, 15),
    backend: Any | None = None,
) -> ir.Table:
    """One row per household: ids and area codes, ``persons``, one 0/1/null column per indicator,
    ``deprivation_score`` (c_i, reweighted for missing indicators) and ``poor_k`` (c_i >= k).

    ``households``/``members``: registry tables (Ibis, or frames registered in ``backend``, default DuckDB).
    ``as_of``: the date ages are taken at. ``persons`` is ``household_size``, else the members listed.
    The result is an Ibis expression: nothing runs until it is aggregated or collected.
    """
    _check_k(k)
    low, high = school_ages
    if not 0 <= low <= high:
        raise DeprivationError(f"school_ages must be (youngest, oldest), 0 <= youngest <= oldest; got {school_ages}")
    names = [indicator.name for indicator in indicators]
    if len(set(names)) != len(names) or not names:
        raise DeprivationError(f"indicator names must be distinct and not empty, got {names}")
    hh, mem = _tables(households, members, backend)
    _require(hh, ["household_id", "village_code"], "the deprivation index")
    for indicator in indicators:
        _require(hh, indicator.columns, f"indicator {indicator.name!r}")
    aggregates = member_aggregates(mem, as_of=as_of, school_ages=school_ages)
    t = hh.left_join(aggregates, hh["household_id"] == aggregates["_member_household"])
    size = t["household_size"].cast("int64") if "household_size" in hh.columns else ibis.null("int64")
    t = t.mutate(persons=size.coalesce(t["members_listed"].cast("int64")))
    t = t.mutate(**{indicator.name: indicator.rule.resolve(t).cast("int8") for indicator in indicators})
    dimensions = {indicator.name: indicator.dimension for indicator in indicators}
    t = score(t, _check_weights(weights or nested_weights(names, indicators=indicators), names), dimensions, k)
    code = t["village_code"].cast("string")
    areas = {column: code.substr(0, AREA_LEVELS[level]) for level, column in AREA_COLUMNS.items() if level != "village"}
    return t.mutate(village_code=code, **areas).select(
        "household_id", *AREA_COLUMNS.values(), "persons", *names, "deprivation_score", "poor_k")


def alkire_foster(
    indicators: Any,
    *,
    level: Level = "village",
    k: float = DEFAULT_K,
    weights: Mapping[str, float] | None = None,
    dimensions: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """H, A, M0, poor counts and per-indicator headcounts and contributions by area, one tidy frame.

    ``indicators``: a table with ``village_code``, ``persons`` and 0/1/null indicator columns (the output of
    ``deprivation_indicators``, or any table of that shape). ``weights``: indicator -> weight (adding up to
    1; default nested equal weights over the known indicators present). ``dimensions``: indicator ->
    dimension, for the missing-data reweighting (default: ``INDICATORS``; other indicators are each their own
    dimension). Scores are recomputed here, so ``k`` and ``weights`` may differ from those of the input.

    Columns: ``area_code, level, measure, value, persons, households, k, method, note``. Measures: ``H``,
    ``A``, ``M0``, ``poor_persons``, ``poor_households``, and for each indicator
    ``uncensored_headcount:<name>``, ``censored_headcount:<name>``, ``contribution:<name>``.
    """
    _check_k(k)
    if level not in AREA_COLUMNS:
        raise DeprivationError(f"unknown level {level!r}; choose one of {', '.join(AREA_COLUMNS)}")
    t = indicators if isinstance(indicators, ir.Table) else register(connect(), indicators, "entas_dep_indicators")
    _require(t, ["village_code", "persons"], "alkire_foster")
    if weights is None:
        weights = nested_weights([name for name in INDICATOR_NAMES if name in t.columns])
    checked = _check_weights(weights, t.columns)
    dimension_of = {**{i.name: i.dimension for i in INDICATORS}, **(dimensions or {})}
    scored = score(t, checked, dimension_of, k).select(
        "village_code", "persons", "deprivation_score", "poor_k", *checked, *(f"_w_{name}" for name in checked))
    # a derived input is materialised once with its scores: aggregating the rule and score expressions directly
    # lets the DuckDB and Spark optimizers inline them into every sum (89 s instead of 1 s, 55k households)
    with nullcontext(scored) if isinstance(t.op(), ops.PhysicalTable) else scored.cache() as s:
        code = s["village_code"].cast("string").substr(0, AREA_LEVELS[level])
        wide = to_polars(s.group_by(area_code=code).aggregate(**_area_sums(s, list(checked))))
    bad = int(wide["bad_persons"].sum())
    if bad:
        raise DeprivationError(f"{bad} households have a missing or non-positive `persons` (household size)")
    return _tidy(wide, list(checked), level, k)


def _area_sums(t: ir.Table, names: Sequence[str]) -> dict[str, Any]:
    """Per-area sums: persons, households, poor, intensity, and observed/deprived/censored/contribution sums."""
    p = t["persons"].cast("float64")
    scored = t["deprivation_score"].notnull()
    poor = ibis.ifelse(scored & t["poor_k"], 1.0, 0.0)
    w = ibis.ifelse(scored, p, 0.0)
    sums: dict[str, Any] = {
        "persons": w.sum(), "households": ibis.ifelse(scored, 1, 0).sum(), "poor_persons": (w * poor).sum(),
        "poor_households": poor.sum(), "intensity": (w * poor * t["deprivation_score"].fill_null(0.0)).sum(),
        "bad_persons": ibis.ifelse(t["persons"].isnull() | (t["persons"] <= 0), 1, 0).sum()}
    for i, name in enumerate(names):
        d = t[name].cast("float64").fill_null(0.0)
        sums |= {f"o{i}": (w * ibis.ifelse(t[name].isnull(), 0.0, 1.0)).sum(), f"u{i}": (w * d).sum(),
                 f"c{i}": (w * d * poor).sum(), f"e{i}": (w * d * poor * t[f"_w_{name}"]).sum()}
    return sums


def _tidy(wide: pl.DataFrame, names: Sequence[str], level: str, k: float) -> pl.DataFrame:
    def ratio(numerator: str, denominator: str) -> pl.Expr:
        return pl.when(pl.col(denominator) > 0).then(pl.col(numerator) / pl.col(denominator)).otherwise(None)

    measures: dict[str, pl.Expr] = {
        "H": ratio("poor_persons", "persons"), "A": ratio("intensity", "poor_persons"),
        "M0": ratio("intensity", "persons"), "poor_persons": pl.col("poor_persons"),
        "poor_households": pl.col("poor_households").cast(pl.Float64)}
    for i, name in enumerate(names):
        measures |= {f"uncensored_headcount:{name}": ratio(f"u{i}", f"o{i}"),
                     f"censored_headcount:{name}": ratio(f"c{i}", f"o{i}"),
                     f"contribution:{name}": ratio(f"e{i}", "intensity")}
    values = wide.select("area_code", "persons", "households", **{m: e.cast(pl.Float64) for m, e in measures.items()})
    order = pl.DataFrame({"measure": list(measures), "_order": range(len(measures))})
    return (values.unpivot(index=["area_code", "persons", "households"], variable_name="measure")
            .join(order, on="measure").sort("area_code", "_order")
            .select("area_code", pl.lit(level).alias("level"), "measure", "value", "persons",
                    pl.col("households").cast(pl.Int64), pl.lit(k).alias("k"), pl.lit(METHOD_VERSION).alias("method"),
                    pl.lit(CENSUS_NOTE).alias("note")))


__all__ = ["DEFAULT_K", "DIMENSIONS", "INDICATORS", "INDICATOR_NAMES", "METHOD_VERSION", "Indicator", "alkire_foster",
           "coded_rule", "deprivation_indicators", "member_aggregates", "nested_weights", "score"]
