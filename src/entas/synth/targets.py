"""Calibration targets and poverty lines of the synthetic province, derived transparently from sourced data.

Inputs are the sourced tables in ``entas/data`` (``kaltim_districts.csv``, ``kaltim_province_series.csv``,
``extreme_poverty_lines.csv``, ``extreme_poverty_facts.csv``; see ``SOURCES.md`` sections 1-3). Two derived
tables ship beside them and are what :func:`entas.synth.generate` reads:

``poverty_lines.csv``
    one row per (area, year, kind, basis): ``rp_per_capita_month`` with ``status`` ``published`` (a figure
    printed by BPS or quoted from it), ``derived`` (computed by us from published figures, the rule in
    ``note``) or ``assumption`` (nothing published: the provincial line stands in).
``synth_targets.csv``
    one row per (year, target, area): the value to reproduce, its tolerance, its status and its source.

Derivation rules (all in :func:`derive_poverty_lines` and :func:`derive_targets`; a test pins the shipped
files to them):

- district lines missing in a year are carried from another year's published district line by the growth of
  the provincial March line (2022 -> 2023: x1.0851, 2023 -> 2024: x1.0554); a district with no line in any
  year gets the provincial line (``assumption``);
- district P0 2022 (never published by district) is the mean of 2021 and 2023; Penajam Paser Utara 2023 (not
  found) is the linear interpolation between 2021 and 2024 (both ``assumption``);
- district population 2024 is the BPS figure where given, else the Kemendagri 2025 figure times the
  province-average BPS/Kemendagri ratio; 2022 and 2023 are back-cast with the BPS 2020-2024 provincial growth
  of 1.93 %/yr (``derived``);
- extreme poverty: 2023 0.10 % on the USD 1.90 PPP 2011 line (acting governor), 2024 0.27 % on the USD 2.15
  PPP 2017 line (head of Dinsos; basis unclear in the source, taken as 2.15), 2022 an ``assumption``: the
  2023 rate scaled by the national 2022/2023 ratio (2.04 / 1.12).

Limits: only East Kalimantan (``64``) has data; other provinces raise :class:`~entas.errors.SynthError`
naming the missing tables. Years 2022-2024 are supported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import polars as pl

from entas.errors import SynthError

PROVINCE = "64"
YEARS: tuple[int, ...] = (2022, 2023, 2024)
ANNUAL_GROWTH = 0.0193
"""BPS 2020-2024 provincial population growth (Kaltim Dalam Angka 2024), used to back-cast 2022-2023."""

EXTREME_BASIS: dict[int, str] = {2022: "USD 1.90 PPP 2011", 2023: "USD 1.90 PPP 2011", 2024: "USD 2.15 PPP 2017"}
"""The extreme line each year's extreme-poverty target was measured against."""

TOLERANCE: dict[str, float] = {
    "district_p0": 0.3,
    "population": 1.0,
    "urban_p0": 0.5,
    "rural_p0": 0.5,
    "gini": 0.01,
    "extreme_p0": 0.05,
}
"""Allowed |achieved - target|: percentage points for rates, percent of target for population, Gini units."""

_TARGET_SCHEMA = {
    "year": pl.Int64,
    "target": pl.Utf8,
    "area_code": pl.Utf8,
    "value": pl.Float64,
    "unit": pl.Utf8,
    "tolerance": pl.Float64,
    "status": pl.Utf8,
    "source": pl.Utf8,
}
_LINE_SCHEMA = {
    "area_code": pl.Utf8,
    "year": pl.Int64,
    "kind": pl.Utf8,
    "basis": pl.Utf8,
    "rp_per_capita_month": pl.Float64,
    "status": pl.Utf8,
    "source": pl.Utf8,
    "note": pl.Utf8,
}


def _read(name: str, overrides: dict[str, type[pl.DataType]] | None = None) -> pl.DataFrame:
    path = resources.files("entas") / "data" / name
    with resources.as_file(path) as file:
        return pl.read_csv(file, schema_overrides=overrides or {})


def _districts() -> pl.DataFrame:
    return _read("kaltim_districts.csv", {"kemendagri_code": pl.Utf8, "bps_code": pl.Utf8})


def _province_march(year: int) -> dict[str, object]:
    series = _read("kaltim_province_series.csv")
    rows = series.filter(pl.col("period") == f"{year}-03").to_dicts()
    if not rows:
        raise SynthError(f"no March {year} row in kaltim_province_series.csv")
    return rows[0]


def derive_poverty_lines() -> pl.DataFrame:
    """The poverty-line table (national and extreme lines by area and year) from the sourced tables."""
    districts = _districts()
    prov = {y: float(str(_province_march(y)["poverty_line_rp_month"])) for y in YEARS}
    prov_src = {y: str(_province_march(y)["source"]) for y in YEARS}
    rows: list[dict[str, object]] = []
    for y in YEARS:
        rows.append(dict(area_code=PROVINCE, year=y, kind="national", basis="BPS basic needs",
                         rp_per_capita_month=prov[y], status="published", source=prov_src[y],
                         note="March Susenas provincial line"))
    published_cols = {2023: "poverty_line_2023_rp_month", 2024: "poverty_line_2024_rp_month"}
    for d in districts.iter_rows(named=True):  # ten districts
        published = {y: d[c] for y, c in published_cols.items() if d[c] is not None}
        for y in YEARS:
            if y in published:
                rows.append(dict(area_code=d["kemendagri_code"], year=y, kind="national", basis="BPS basic needs",
                                 rp_per_capita_month=float(published[y]), status="published", source=d["source"],
                                 note="district line as quoted"))
                continue
            if published:
                base = min(published, key=lambda py: abs(py - y))
                value = float(published[base]) * prov[y] / prov[base]
                rows.append(dict(area_code=d["kemendagri_code"], year=y, kind="national", basis="BPS basic needs",
                                 rp_per_capita_month=round(value), status="derived", source=d["source"],
                                 note=f"{base} district line x provincial line growth {base}->{y} "
                                      f"({prov[y]:.0f}/{prov[base]:.0f})"))
            else:
                rows.append(dict(area_code=d["kemendagri_code"], year=y, kind="national", basis="BPS basic needs",
                                 rp_per_capita_month=prov[y], status="assumption", source=prov_src[y],
                                 note="no district line published in 2022-2024; provincial line used"))
    extreme = _read("extreme_poverty_lines.csv")
    for e in extreme.iter_rows(named=True):
        rows.append(dict(area_code=PROVINCE, year=int(e["period"]), kind="extreme", basis=e["basis"],
                         rp_per_capita_month=float(e["rp_per_capita_month"]), status="published",
                         source=e["source"], note=e["note"]))
    base_1_90 = extreme.filter((pl.col("basis") == "USD 1.90 PPP 2011") & (pl.col("period") == 2023)).row(0, named=True)
    rows.append(dict(area_code=PROVINCE, year=2024, kind="extreme", basis="USD 1.90 PPP 2011",
                     rp_per_capita_month=round(float(base_1_90["rp_per_capita_month"]) * prov[2024] / prov[2023]),
                     status="derived", source=base_1_90["source"],
                     note="2023 line x provincial poverty-line growth 2023->2024; not used by the 2024 targets"))
    return pl.DataFrame(rows, schema=_LINE_SCHEMA).sort("year", "kind", "area_code", "basis")


def _district_population(districts: pl.DataFrame) -> dict[str, tuple[float, str, str]]:
    both = districts.filter(pl.col("population_2024_bps").is_not_null())
    ratio = float(both["population_2024_bps"].sum()) / float(both["population_2025_kemendagri"].sum())
    out: dict[str, tuple[float, str, str]] = {}
    for d in districts.iter_rows(named=True):
        if d["population_2024_bps"] is not None:
            out[d["kemendagri_code"]] = (float(d["population_2024_bps"]), "published", "BPS 2024 via databoks")
        else:
            out[d["kemendagri_code"]] = (
                round(d["population_2025_kemendagri"] * ratio), "derived",
                f"Kemendagri 2025 population x province-average BPS/Kemendagri ratio {ratio:.4f}",
            )
    return out


def derive_targets() -> pl.DataFrame:
    """The calibration-target table (every year, target and area with tolerance, status, source)."""
    districts = _districts()
    pop2024 = _district_population(districts)
    facts = _read("extreme_poverty_facts.csv")
    rows: list[dict[str, object]] = []

    def add(year: int, target: str, area: str, value: float, unit: str, status: str, source: str) -> None:
        rows.append(dict(year=year, target=target, area_code=area, value=value, unit=unit,
                         tolerance=TOLERANCE[target], status=status, source=source))

    for d in districts.iter_rows(named=True):  # ten districts
        code = d["kemendagri_code"]
        p21, p23, p24 = d["p0_2021"], d["p0_2023"], d["p0_2024"]
        src = d["source"]
        if p23 is None:
            p23 = round(p21 + (p24 - p21) * 2 / 3, 2)
            add(2023, "district_p0", code, p23, "percent", "assumption",
                "assumption: linear interpolation of 2021 and 2024 P0 (2023 not found)")
        else:
            derived_23 = "derived" in src and code in ("64.03", "64.11")
            add(2023, "district_p0", code, p23, "percent", "derived" if derived_23 else "published", src)
        add(2022, "district_p0", code, round((p21 + p23) / 2, 2), "percent", "assumption",
            "assumption: mean of 2021 and 2023 P0 (district P0 2022 not found)")
        add(2024, "district_p0", code, p24, "percent", "published", src)
        value, status, how = pop2024[code]
        for y in YEARS:
            if y == 2024:
                add(y, "population", code, value, "persons", status, how)
            else:
                back = round(value / (1 + ANNUAL_GROWTH) ** (2024 - y))
                add(y, "population", code, back, "persons", "derived",
                    f"{how}; back-cast to {y} at {ANNUAL_GROWTH:.2%}/yr (BPS 2020-2024 provincial growth)")
    for y in YEARS:
        march = _province_march(y)
        src = str(march["source"])
        add(y, "urban_p0", PROVINCE, float(str(march["p0_urban"])), "percent", "published", src)
        add(y, "rural_p0", PROVINCE, float(str(march["p0_rural"])), "percent", "published", src)
        add(y, "gini", PROVINCE, float(str(march["gini"])), "ratio", "published", src)
    kaltim = facts.filter(pl.col("scope") == "Kalimantan Timur")
    r23 = kaltim.filter(pl.col("period") == "2023").row(0, named=True)
    r24 = kaltim.filter(pl.col("period") == "2024-03").row(0, named=True)
    national = facts.filter(pl.col("scope") == "Indonesia")
    n22 = float(national.filter(pl.col("period") == "2022-03")["rate_pct"][0])
    n23 = float(national.filter(pl.col("period") == "2023-03")["rate_pct"][0])
    add(2022, "extreme_p0", PROVINCE, round(float(r23["rate_pct"]) * n22 / n23, 2), "percent", "assumption",
        f"assumption: Kaltim 2023 rate x national Mar 2022/Mar 2023 ratio ({n22}/{n23}) on USD 1.90 PPP 2011")
    add(2023, "extreme_p0", PROVINCE, float(r23["rate_pct"]), "percent", "published",
        f"{r23['source']} (USD 1.90 PPP 2011)")
    add(2024, "extreme_p0", PROVINCE, float(r24["rate_pct"]), "percent", "published",
        f"{r24['source']}; basis unclear in the source, taken as USD 2.15 PPP 2017")
    return pl.DataFrame(rows, schema=_TARGET_SCHEMA).sort("year", "target", "area_code")


@lru_cache(maxsize=2)
def poverty_lines() -> pl.DataFrame:
    """The shipped poverty-line table ``data/poverty_lines.csv``."""
    return _read("poverty_lines.csv", {"area_code": pl.Utf8, "year": pl.Int64, "rp_per_capita_month": pl.Float64})


@lru_cache(maxsize=2)
def calibration_targets() -> pl.DataFrame:
    """The shipped target table ``data/synth_targets.csv``."""
    return _read("synth_targets.csv", {"area_code": pl.Utf8, "year": pl.Int64, "value": pl.Float64})


@dataclass(frozen=True)
class YearTargets:
    """Everything the generator calibrates to in one year.

    ``districts`` has one row per district: ``district_code``, ``population``, ``p0`` (percent) and
    ``poverty_line`` (rupiah per capita per month).
    """

    year: int
    districts: pl.DataFrame
    urban_p0: float
    rural_p0: float
    gini: float
    extreme_p0: float
    extreme_line: float
    extreme_basis: str
    table: pl.DataFrame


def year_targets(province: str, year: int) -> YearTargets:
    """The targets of ``province`` in ``year``; :class:`SynthError` when no data exist for them."""
    if province != PROVINCE:
        raise SynthError(
            f"no calibration data for province {province!r}: the synthetic province needs district populations, "
            "district P0 and poverty lines, provincial urban/rural P0, Gini and an extreme-poverty rate; "
            f"entas ships them only for East Kalimantan ({PROVINCE!r})"
        )
    if year not in YEARS:
        raise SynthError(f"no calibration targets for {year}: East Kalimantan targets exist for {list(YEARS)}")
    table = calibration_targets().filter(pl.col("year") == year)
    lines = poverty_lines().filter(pl.col("year") == year)

    def scalar(target: str) -> float:
        return float(table.filter(pl.col("target") == target)["value"][0])

    p0 = table.filter(pl.col("target") == "district_p0").select(district_code="area_code", p0="value")
    pop = table.filter(pl.col("target") == "population").select(district_code="area_code", population="value")
    nat = lines.filter((pl.col("kind") == "national") & (pl.col("area_code") != PROVINCE))
    districts = (
        p0.join(pop, on="district_code")
        .join(nat.select(district_code="area_code", poverty_line="rp_per_capita_month"), on="district_code")
        .sort("district_code")
    )
    basis = EXTREME_BASIS[year]
    ext = lines.filter((pl.col("kind") == "extreme") & (pl.col("basis") == basis))
    if districts.height == 0 or ext.height != 1 or not math.isfinite(scalar("gini")):
        raise SynthError(f"incomplete targets or lines for {year} in synth_targets.csv / poverty_lines.csv")
    return YearTargets(
        year=year, districts=districts, urban_p0=scalar("urban_p0"), rural_p0=scalar("rural_p0"),
        gini=scalar("gini"), extreme_p0=scalar("extreme_p0"), extreme_line=float(ext["rp_per_capita_month"][0]),
        extreme_basis=basis, table=table,
    )
