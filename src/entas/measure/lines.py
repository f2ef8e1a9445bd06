"""Poverty lines as data: district x year x kind (``national``, ``extreme``), each with its basis and source.

``poverty_lines`` reads ``entas/data/poverty_lines.csv`` (area_code, year, kind, basis, rp_per_capita_month,
status, source, note) for one year and kind. ``attach_poverty_line`` gives every household the line of its
district, or of its province when the district has no line of that kind (the extreme line is provincial).
Lines are rupiah per capita per month, like welfare; a person is poor when welfare is strictly below the line.

Limits: a year or kind missing from the file is an error (no extrapolation between years); when a kind has
several bases in a year (the extreme line on the USD 1.90 PPP 2011 and USD 2.15 PPP 2017 bases) the caller
must choose one.
"""

from __future__ import annotations

import io
from importlib import resources

import polars as pl

from entas.errors import PovertyLineError

LINE_SCHEMA = {
    "area_code": pl.Utf8, "year": pl.Int64, "kind": pl.Utf8, "basis": pl.Utf8, "rp_per_capita_month": pl.Float64,
    "status": pl.Utf8, "source": pl.Utf8, "note": pl.Utf8,
}


def _all_lines() -> pl.DataFrame:
    text = resources.files("entas").joinpath("data", "poverty_lines.csv").read_text(encoding="utf-8")
    return pl.read_csv(io.StringIO(text), schema_overrides=LINE_SCHEMA)


def poverty_lines(year: int, kind: str, basis: str | None = None) -> pl.DataFrame:
    """The lines of ``kind`` (``national`` or ``extreme``) in ``year``, one row per area, with basis and source.

    When the kind has several bases that year and ``basis`` is None, raises PovertyLineError naming them.
    """
    lines = _all_lines().filter((pl.col("year") == year) & (pl.col("kind") == kind))
    if lines.is_empty():
        known = _all_lines().select("year", "kind").unique().sort("year", "kind").rows()
        raise PovertyLineError(f"no {kind!r} poverty line for {year}; the file has {known}")
    bases = sorted(lines["basis"].unique().to_list())
    if basis is not None:
        if basis not in bases:
            raise PovertyLineError(f"no {kind!r} line on basis {basis!r} for {year}; bases: {bases}")
        lines = lines.filter(pl.col("basis") == basis)
    elif len(bases) > 1:
        raise PovertyLineError(f"{kind!r} lines for {year} exist on several bases {bases}: choose one with basis=")
    return lines.sort("area_code")


def attach_poverty_line(
    frame: pl.DataFrame,
    year: int,
    kind: str,
    *,
    basis: str | None = None,
    column: str | None = None,
    district_column: str = "district_code",
) -> pl.DataFrame:
    """``frame`` with a column ``column`` (default ``line_<kind>_rp_month``) holding its district's line.

    A district without its own line takes its province's line (the first two characters of the code); a
    household whose district and province both lack a line is an error naming the districts.
    """
    lines = poverty_lines(year, kind, basis).select("area_code", "rp_per_capita_month")
    name = column or f"line_{kind}_rp_month"
    if district_column not in frame.columns:
        raise PovertyLineError(f"cannot attach a district line: no column {district_column!r} in the table")
    by_area = dict(zip(lines["area_code"].to_list(), lines["rp_per_capita_month"].to_list(), strict=True))
    district = pl.col(district_column).cast(pl.Utf8)
    own = district.replace_strict(by_area, default=None, return_dtype=pl.Float64)
    provincial = district.str.slice(0, 2).replace_strict(by_area, default=None, return_dtype=pl.Float64)
    attached = frame.with_columns(pl.coalesce(own, provincial).alias(name))
    missing = attached.filter(pl.col(name).is_null())[district_column].cast(pl.Utf8).unique().to_list()
    if missing:
        raise PovertyLineError(f"no {kind!r} line for {year} in districts {sorted(map(str, missing))}")
    return attached


def line_bases(year: int, kind: str) -> list[str]:
    """The bases on which lines of ``kind`` exist in ``year`` (e.g. both extreme-poverty PPP bases in 2024)."""
    lines = _all_lines().filter((pl.col("year") == year) & (pl.col("kind") == kind))
    return sorted(lines["basis"].unique().to_list())


def default_basis(year: int, kind: str) -> str:
    """The basis of ``kind`` lines in ``year``: the only one, else the only *published* one.

    PovertyLineError when there is none, or several published bases (then the caller must choose).
    """
    lines = _all_lines().filter((pl.col("year") == year) & (pl.col("kind") == kind))
    bases = sorted(lines["basis"].unique().to_list())
    if len(bases) == 1:
        return str(bases[0])
    published = sorted(lines.filter(pl.col("status") == "published")["basis"].unique().to_list())
    if len(published) != 1:
        raise PovertyLineError(f"{kind!r} lines for {year} exist on bases {bases} ({len(published)} published): "
                               "choose one")
    return str(published[0])
