"""Area neighbours: queen contiguity against R spdep::poly2nb, and the schematic tree graph's rules.

Reference: tests/fixtures/areas/make_neighbours_reference.R (sf 1.0.9, spdep 1.2.7) builds the polygons,
writes neighbours_fixture.geojson and the poly2nb(queen = TRUE) neighbour pairs; the pairs must agree exactly.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import polars as pl
import pytest

from entas.areas import area_tree
from entas.areas.neighbours import (
    AreaNeighbours,
    neighbours_from_geometry,
    neighbours_from_table,
    neighbours_from_tree,
)
from entas.errors import HotSpotError, InputFileError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "areas"
GEOJSON = FIXTURES / "neighbours_fixture.geojson"


def _spdep_pairs() -> tuple[set[tuple[str, str]], set[str]]:
    reference = pl.read_csv(FIXTURES / "neighbours_reference.csv", infer_schema=False)
    linked = reference.filter(pl.col("neighbour_code").is_not_null())
    islands = set(reference.filter(pl.col("neighbour_code").is_null())["code"])
    return set(linked.iter_rows()), islands


def _pair_set(graph: AreaNeighbours) -> set[tuple[str, str]]:
    return set(graph.pairs().iter_rows())


@pytest.fixture(scope="module")
def geometry_graph() -> AreaNeighbours:
    return neighbours_from_geometry(GEOJSON, level="village", code_field="kode")


def test_queen_contiguity_matches_spdep_poly2nb(geometry_graph: AreaNeighbours) -> None:
    pairs, islands = _spdep_pairs()
    assert _pair_set(geometry_graph) == pairs
    assert set(geometry_graph.islands) == islands
    assert geometry_graph.source == "geometry"
    assert len(geometry_graph.codes) == 18


def test_queen_contiguity_counts_corner_contact_and_enclaves(geometry_graph: AreaNeighbours) -> None:
    near = geometry_graph.as_dict()
    assert "64.99.01.2006" in near["64.99.01.2001"]  # diagonal cells share one corner
    assert near["64.99.03.2002"] == ["64.99.03.2001"]  # the enclave's only neighbour is the ring around it
    assert "64.99.01.2004" not in near["64.99.03.2004"]  # a 0.001 gap is not contact


def test_t_junction_is_an_island_as_documented(geometry_graph: AreaNeighbours) -> None:
    assert geometry_graph.islands == ("64.99.02.2001", "64.99.02.2002")


def test_geodataframe_with_undotted_codes_gives_the_same_graph(geometry_graph: AreaNeighbours) -> None:
    frame = gpd.read_file(GEOJSON)
    frame["kode_desa"] = frame["kode"].str.replace(".", "", regex=False)
    graph = neighbours_from_geometry(frame, level="village", code_field="kode_desa")
    assert _pair_set(graph) == _pair_set(geometry_graph)


def test_geometry_errors_name_the_problem() -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        neighbours_from_geometry(FIXTURES / "missing.geojson", level="village")
    with pytest.raises(HotSpotError, match="no code field 'code'"):
        neighbours_from_geometry(GEOJSON, level="village")
    with pytest.raises(HotSpotError, match="not subdistrict codes"):
        neighbours_from_geometry(GEOJSON, level="subdistrict", code_field="kode")
    frame = gpd.read_file(GEOJSON)
    frame.loc[1, "kode"] = frame.loc[0, "kode"]
    with pytest.raises(HotSpotError, match=re.escape("more than once: 64.99.01.2001")):
        neighbours_from_geometry(frame, level="village", code_field="kode")


def test_tree_siblings_and_only_siblings_are_neighbours() -> None:
    graph = neighbours_from_tree("64.74", level="village")
    villages = area_tree("64.74", level="village")
    expected = {
        (a, b)
        for a, pa in villages.select("code", "parent_code").iter_rows()
        for b, pb in villages.select("code", "parent_code").iter_rows()
        if pa == pb and a != b
    }
    assert _pair_set(graph) == expected
    assert graph.codes == tuple(sorted(villages["code"]))
    assert graph.source == "tree"
    assert graph.islands == ()


def test_linked_parents_join_each_grandparent_into_one_component() -> None:
    plain = neighbours_from_tree("64", level="subdistrict")
    linked = neighbours_from_tree("64", level="subdistrict", link_parents=True)
    assert plain.weights.n_components == 10  # one clique per district
    assert linked.weights.n_components == 1
    gateways = area_tree("64", level="subdistrict").group_by("district_code").agg(pl.col("code").min())["code"]
    added = _pair_set(linked) - _pair_set(plain)
    assert added == {(a, b) for a in gateways for b in gateways if a != b}
    assert neighbours_from_tree("64", level="village", link_parents=True).weights.n_components == 10


def test_weights_are_fresh_binary_or_row_standardised_copies() -> None:
    graph = neighbours_from_tree("64.74", level="village")
    first = graph.weights
    first.transform = "r"
    again = graph.weights
    assert again.transform == "B"
    assert all(w == 1.0 for row in again.weights.values() for w in row)
    rows = graph.row_standardised().weights
    assert all(abs(sum(row) - 1.0) < 1e-12 for row in rows.values())
    assert list(again.id_order) == list(graph.codes)


def test_restricting_the_graph_can_create_islands() -> None:
    graph = neighbours_from_table(
        pl.DataFrame(
            {"area_code": ["64.01.01", "64.01.02", "64.01.02"], "neighbour_code": ["64.01.02", "64.01.01", "64.01.03"]}
        ),
        level="subdistrict",
        codes=["64.01.01", "64.01.02", "64.01.03", "64.01.04"],
    )
    assert graph.islands == ("64.01.03", "64.01.04")  # 64.01.03 has no pair of its own: pairs are taken as given
    restricted = graph.restrict(["64.01.02", "64.01.03"])
    assert restricted.as_dict() == {"64.01.02": ["64.01.03"], "64.01.03": []}
    with pytest.raises(HotSpotError, match=re.escape("not in the neighbour graph: 64.09.09")):
        graph.restrict(["64.09.09"])


def test_table_and_level_errors() -> None:
    pairs = pl.DataFrame({"area_code": ["64.01.01"], "neighbour_code": ["64.01.02"]})
    with pytest.raises(HotSpotError, match=re.escape("in pairs but not in codes: 64.01.02")):
        neighbours_from_table(pairs, level="subdistrict", codes=["64.01.01"])
    with pytest.raises(HotSpotError, match="not 'district'"):
        neighbours_from_tree("64", level="district")  # type: ignore[arg-type]
    with pytest.raises(HotSpotError, match="no column"):
        neighbours_from_table(pairs, level="subdistrict", area="code")
