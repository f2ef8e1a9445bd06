"""Reading area codes in both systems; the crosswalk is the published table in kaltim_districts.csv."""

from __future__ import annotations

import polars as pl
import pytest

from entas.areas import bps_district_code, district_crosswalk, normalize_area_code, normalize_area_code_column
from entas.errors import AreaCodeError

# BPS code -> Kemendagri code for the four districts where they differ (SOURCES.md section 1.2).
DIFFERING = {"6402": "64.07", "6403": "64.02", "6404": "64.08", "6405": "64.03"}


@pytest.mark.parametrize(("bps", "kemendagri"), sorted(DIFFERING.items()))
def test_bps_district_codes_are_crosswalked(bps: str, kemendagri: str) -> None:
    assert normalize_area_code(bps) == kemendagri
    assert normalize_area_code(f"bps:{bps}") == kemendagri
    assert bps_district_code(kemendagri) == bps


def test_crosswalk_covers_all_ten_kaltim_districts() -> None:
    assert len(district_crosswalk()) == 10
    assert {k: v for k, v in district_crosswalk().items() if k != v.replace(".", "")} == DIFFERING


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("64", "64"),
        ("64.02", "64.02"),
        ("kemendagri:6402", "64.02"),
        ("640701", "64.07.01"),
        ("6407012001", "64.07.01.2001"),
        (" 64.07.01.2001 ", "64.07.01.2001"),
    ],
)
def test_kemendagri_codes_dotted_or_not(text: str, expected: str) -> None:
    assert normalize_area_code(text) == expected


@pytest.mark.parametrize("text", ["6", "64.7", "64.07.1", "abc", "640", "64-07", "bps:64.07", "bps:6407012001"])
def test_malformed_codes_are_errors(text: str) -> None:
    with pytest.raises(AreaCodeError):
        normalize_area_code(text)


def test_column_normalization_agrees_with_the_scalar_rule() -> None:
    texts = ["6407012001", "64.07.01.2001", "6402", "6401", "640701", "64", "x", "64.7", None]
    frame = pl.DataFrame({"code": texts}).with_columns(normalized=normalize_area_code_column(pl.col("code")))
    for text, normalized in frame.iter_rows():
        if text is None or text in ("x", "64.7"):
            assert normalized is None
        else:
            assert normalized == normalize_area_code(text)
