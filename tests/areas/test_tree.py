"""The area tree against the counts published in ../shared/data/kaltim_districts.csv (tallied from an
independent copy of the Kemendagri list, cahyadsn/wilayah, Kepmendagri 300.2.2-2138/2025)."""

from __future__ import annotations

import csv
from importlib import resources

import polars as pl
import pytest

from entas.areas import area_summary, area_tree, villages
from entas.errors import AreaCodeError


def published_district_counts() -> dict[str, dict[str, int]]:
    text = resources.files("entas").joinpath("data", "kaltim_districts.csv").read_text(encoding="utf-8")
    return {
        row["kemendagri_code"]: {k: int(row[k]) for k in ("kecamatan", "kelurahan", "desa", "villages")}
        for row in csv.DictReader(text.splitlines())
    }


def test_kaltim_has_10_districts_105_subdistricts_1038_villages() -> None:
    levels = dict(area_tree("64").group_by("level").len().iter_rows())
    assert levels == {"province": 1, "district": 10, "subdistrict": 105, "village": 1038}


@pytest.mark.parametrize("district", sorted(published_district_counts()))
def test_district_counts_match_the_published_table(district: str) -> None:
    expected = published_district_counts()[district]
    row = area_summary("64").filter(pl.col("code") == district).row(0, named=True)
    assert (row["subdistricts"], row["kelurahan"], row["desa"], row["villages"]) == (
        expected["kecamatan"], expected["kelurahan"], expected["desa"], expected["villages"],
    )


def test_kelurahan_are_urban_and_desa_rural_by_code() -> None:
    v = villages("64")
    assert v.filter(pl.col("urban"))["kind"].unique().to_list() == ["kelurahan"]
    assert set(v.filter(~pl.col("urban"))["kind"].unique().to_list()) <= {"desa", "desa_adat"}
    assert v.filter(pl.col("urban"))["code"].str.slice(9, 1).unique().to_list() == ["1"]


def test_every_area_knows_its_parents() -> None:
    v = villages("64")
    assert (v["parent_code"] == v["subdistrict_code"]).all()
    assert (v["subdistrict_code"].str.slice(0, 5) == v["district_code"]).all()


def test_a_bps_district_code_selects_the_kemendagri_district() -> None:
    kutai_barat = area_tree("6402", level="district")
    assert kutai_barat["code"].to_list() == ["64.07"]
    assert kutai_barat["name"].to_list() == ["Kabupaten Kutai Barat"]


def test_any_province_works() -> None:
    west_java = area_summary("32")
    assert west_java.height == 27
    assert area_tree("32.76", level="subdistrict").height == 11


def test_unknown_area_is_an_error() -> None:
    with pytest.raises(AreaCodeError, match="not in the Kemendagri list"):
        area_tree("64.99")
    with pytest.raises(AreaCodeError, match="unknown province"):
        area_tree("99")
