"""Row rules one by one: numbers, dates, booleans, codes, areas and the NIK, on small text frames."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entas.registry.nik import mask_nik
from entas.registry.validation import AreaSets, apply_field_checks, parse_date, parse_number, rule_name

TODAY = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def areas() -> AreaSets:
    return AreaSets.of_province("64")


def _rules(frame: pl.DataFrame, table: str, areas: AreaSets) -> list[set[str]]:
    checked, checks = apply_field_checks(frame, table, areas, today=TODAY)  # type: ignore[arg-type]
    columns = [rule_name(i) for i in range(len(checks))]
    return [{r for r in row if r is not None} for row in checked.select(columns).rows()]


@pytest.mark.parametrize(
    ("text", "value"),
    [("1234", 1234.0), ("1234.5", 1234.5), ("1234,5", 1234.5), ("1.234.567", 1234567.0), ("1.234,5", 1234.5),
     ("1,234,567.5", 1234567.5), ("-3", -3.0), ("1e3", 1000.0), ("1.234", 1.234)],
)
def test_numbers_in_plain_decimal_comma_and_grouped_forms(text: str, value: float) -> None:
    assert pl.select(parse_number(pl.lit(text))).item() == pytest.approx(value)


@pytest.mark.parametrize("text", ["dua puluh", "1.23.4", "inf", "nan", "12a", "1,2,3"])
def test_text_that_is_not_a_number_is_null(text: str) -> None:
    assert pl.select(parse_number(pl.lit(text))).item() is None


@pytest.mark.parametrize("text", ["1985-07-17", "17/07/1985", "17-07-1985", "1985-07-17 00:00:00"])
def test_dates_in_iso_and_day_first_forms(text: str) -> None:
    assert pl.select(parse_date(pl.lit(text))).item() == dt.date(1985, 7, 17)


def test_impossible_date_is_null() -> None:
    assert pl.select(parse_date(pl.lit("30/02/1990"))).item() is None


def _household(**values: str) -> pl.DataFrame:
    row = {"household_id": "H1", "village_code": "64.72.01.1001", "welfare_decile": "3"} | values
    return pl.DataFrame({k: [v] for k, v in row.items()}, schema={k: pl.Utf8 for k in row})


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        ({"welfare_decile": "0"}, "below_minimum"),
        ({"welfare_decile": "11"}, "above_maximum"),
        ({"welfare_decile": "3.5"}, "not_integer"),
        ({"welfare_decile": "  "}, "required"),
        ({"has_savings": "mungkin"}, "not_boolean"),
        ({"roof_type": "emas"}, "unknown_code"),
        ({"village_code": "64.72.01"}, "unknown_village"),
        ({"village_code": "99.99.99.9999"}, "unknown_village"),
        ({"village_code": "6472-01"}, "malformed_area_code"),
        ({"floor_area_m2": "luas"}, "not_number"),
    ],
)
def test_household_rule(values: dict[str, str], rule: str, areas: AreaSets) -> None:
    assert _rules(_household(**values), "households", areas) == [{rule}]


@pytest.mark.parametrize(
    "values",
    [{"village_code": "6472011001"}, {"has_savings": " YA "}, {"roof_type": "GENTENG"}, {"welfare_decile": "03"},
     {"floor_area_m2": "36,5"}],
)
def test_household_accepted_spelling(values: dict[str, str], areas: AreaSets) -> None:
    assert _rules(_household(**values), "households", areas) == [set()]


def _member(**values: str) -> pl.DataFrame:
    row = {
        "household_id": "H1", "member_id": "1", "nik": "6472011205800001", "name": "A", "sex": "male",
        "birth_date": "1980-05-12", "relation_to_head": "head",
    } | values
    return pl.DataFrame({k: [v] for k, v in row.items()}, schema={k: pl.Utf8 for k in row})


@pytest.mark.parametrize(
    ("values", "rules"),
    [
        ({"nik": "647201120580001"}, {"nik_format"}),
        ({"nik": "64720112058000012"}, {"nik_format"}),
        ({"nik": "64720112058O0001"}, {"nik_format"}),
        ({"nik": "6499011205800001"}, {"nik_region"}),
        ({"nik": "3201011205800001"}, set()),
        ({"nik": "6472011305800001"}, {"nik_birth_date"}),
        ({"nik": "6472011205810001"}, {"nik_birth_date"}),
        ({"nik": "6472015205800001"}, {"nik_sex"}),
        ({"nik": "6472015205800001", "sex": "female"}, set()),
        ({"nik": "6472011213800001"}, {"nik_date"}),
        ({"nik": "6499011305800001"}, {"nik_region", "nik_birth_date"}),
        ({"birth_date": "2099-01-01"}, {"future_date", "nik_birth_date"}),
        ({"birth_date": "1899-12-31"}, {"date_before_1900", "nik_birth_date"}),
        ({"birth_date": "lahir"}, {"bad_date"}),
        ({"sex": "x"}, {"unknown_code"}),
    ],
)
def test_member_rules(values: dict[str, str], rules: set[str], areas: AreaSets) -> None:
    assert _rules(_member(**values), "members", areas) == [rules]


def test_nik_century_comes_from_the_birth_date(areas: AreaSets) -> None:
    frame = _member(nik="6472011205200001", birth_date="1920-05-12")
    assert _rules(frame, "members", areas) == [set()]


def test_nik_mask_keeps_four_leading_and_two_trailing_digits() -> None:
    masked = pl.select(mask_nik(pl.lit("6407011203900001"))).item()
    assert masked == "6407**********01"


def test_short_nik_fragment_is_starred_out_entirely() -> None:
    assert pl.select(mask_nik(pl.lit("640701"))).item() == "******"
