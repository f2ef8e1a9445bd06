"""The synthetic tables follow the registry/survey schema: columns, kinds, codes, ids, NIKs."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from entas.areas import area_tree
from entas.registry.codes import CODE_LISTS
from entas.registry.schema import TABLES, Field, TableName
from entas.synth import SynthProvince

KIND_DTYPES = {"boolean": pl.Boolean, "integer": pl.Int64, "number": pl.Float64, "date": pl.Date}


def _frame(result: SynthProvince, table: TableName) -> pl.DataFrame:
    return {"households": result.households, "members": result.members,
            "survey_households": result.survey_households, "survey_members": result.survey_members}[table]


@pytest.mark.parametrize("table", list(TABLES))
def test_columns_are_exactly_the_schema_fields(small: SynthProvince, table: TableName) -> None:
    assert _frame(small, table).columns == [f.name for f in TABLES[table]]


@pytest.mark.parametrize("table", list(TABLES))
def test_column_types_match_field_kinds(small: SynthProvince, table: TableName) -> None:
    frame = _frame(small, table)
    for f in TABLES[table]:
        expected = KIND_DTYPES.get(f.kind, pl.Utf8)
        assert frame[f.name].dtype == expected, f.name


@pytest.mark.parametrize("table", list(TABLES))
def test_coded_columns_hold_only_listed_codes(small: SynthProvince, table: TableName) -> None:
    frame = _frame(small, table)
    coded: list[Field] = [f for f in TABLES[table] if f.codes]
    for f in coded:
        allowed = {c.code for c in CODE_LISTS[f.codes or ""]}
        assert set(frame[f.name].unique().to_list()) <= allowed, f.name


def test_required_fields_have_no_nulls(small: SynthProvince) -> None:
    for table in TABLES:
        frame = _frame(small, table)
        for f in TABLES[table]:
            if f.required:
                assert frame[f.name].null_count() == 0, (table, f.name)


def test_every_village_has_households(small: SynthProvince) -> None:
    villages = area_tree("64", level="village")
    assert villages.height == 1038
    assert set(small.households["village_code"].unique()) == set(villages["code"])


def test_household_ids_and_member_ids_are_unique(small: SynthProvince) -> None:
    assert small.households["household_id"].is_unique().all()
    assert small.members["member_id"].is_unique().all()
    assert small.survey_households["household_id"].is_unique().all()


def test_household_size_equals_member_count(small: SynthProvince) -> None:
    counts = small.members.group_by("household_id").agg(n=pl.len())
    joined = small.households.join(counts, on="household_id", how="left")
    assert (joined["n"] == joined["household_size"]).all()


def test_every_household_has_exactly_one_head(small: SynthProvince) -> None:
    heads = small.members.filter(pl.col("relation_to_head") == "head").group_by("household_id").agg(n=pl.len())
    assert heads.height == small.households.height
    assert (heads["n"] == 1).all()


def test_niks_are_sixteen_unique_digits(small: SynthProvince) -> None:
    nik = small.members["nik"]
    assert nik.str.contains(r"^\d{16}$").all()
    assert nik.is_unique().all()


def test_nik_encodes_birth_date_and_sex(small: SynthProvince) -> None:
    m = small.members.with_columns(
        dd=pl.col("nik").str.slice(6, 2).cast(pl.Int64),
        mm=pl.col("nik").str.slice(8, 2).cast(pl.Int64),
        yy=pl.col("nik").str.slice(10, 2).cast(pl.Int64),
    )
    female = m["sex"] == "female"
    day = m["dd"] - pl.Series([40 if f else 0 for f in female.to_list()])
    assert (day == m["birth_date"].dt.day().cast(pl.Int64)).all()
    assert (m["mm"] == m["birth_date"].dt.month().cast(pl.Int64)).all()
    assert (m["yy"] == (m["birth_date"].dt.year() % 100).cast(pl.Int64)).all()


def test_nik_prefix_is_a_real_subdistrict_mostly_the_households(small: SynthProvince) -> None:
    from entas.synth.names import origin_subdistrict_prefixes

    subdistricts = set(area_tree("64", level="subdistrict")["code"].str.replace_all(".", "", literal=True))
    valid = subdistricts | set(origin_subdistrict_prefixes())
    prefix = small.members["nik"].str.slice(0, 6)
    assert prefix.is_in(list(valid)).all()
    own = small.members["household_id"].str.slice(0, 6) == prefix
    assert own.mean() > 0.9  # type: ignore[operator]


def test_children_are_younger_than_head_and_spouse(small: SynthProvince) -> None:
    m = small.members
    parents = m.filter(pl.col("relation_to_head").is_in(["head", "spouse"])).group_by("household_id").agg(
        youngest_parent=pl.col("birth_date").max()
    )
    children = m.filter(pl.col("relation_to_head") == "child").join(parents, on="household_id")
    gap_days = (children["birth_date"] - children["youngest_parent"]).dt.total_days()
    assert (gap_days > 14 * 365).all()


def test_heads_and_spouses_are_adults(small: SynthProvince) -> None:
    m = small.members.filter(pl.col("relation_to_head").is_in(["head", "spouse"]))
    assert (m["birth_date"] <= dt.date(2006, 3, 15)).all()


def test_young_children_are_not_enrolled_beyond_their_age(small: SynthProvince) -> None:
    kids = small.members.filter(pl.col("birth_date") > dt.date(2020, 3, 16))
    assert set(kids["school_enrolment"].unique()) <= {"not_yet"}
    assert set(kids["education"].unique()) <= {"none"}
    assert set(kids["work_status"].unique()) <= {"not_working"}


def test_welfare_deciles_are_one_to_ten_in_equal_groups(small: SynthProvince) -> None:
    counts = small.households["welfare_decile"].value_counts().sort("welfare_decile")
    assert counts["welfare_decile"].to_list() == list(range(1, 11))
    assert counts["count"].max() - counts["count"].min() <= 1  # type: ignore[operator]


def test_lower_deciles_are_poorer_and_receive_more_programmes(small: SynthProvince) -> None:
    joined = small.households.join(small.truth.select("household_id", "poor"), on="household_id")
    by = joined.group_by("welfare_decile").agg(pl.col("poor").mean(), pl.col("receives_pkh").mean()).sort(
        "welfare_decile")
    assert by["poor"][0] > 3 * by["poor"][9]
    assert by["receives_pkh"][0] > 3 * by["receives_pkh"][9]


def test_registry_holds_no_consumption_or_poverty_status(small: SynthProvince) -> None:
    assert not {"consumption_pc_rp_month", "poor", "extreme_poor"} & set(small.households.columns)
