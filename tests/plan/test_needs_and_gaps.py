"""entas.plan.needs: eligible, receiving, lacking and outside-rule households, checked by a direct recomputation.

The reference is the catalog's own eligibility columns and the registry's ``receives_*`` flags combined in
Polars by hand; the summary must equal the row counts of that recomputation.
"""

from __future__ import annotations

import datetime as dt
import functools

import polars as pl

from entas.engine import connect, register, to_polars
from entas.plan.needs import RECEIPT_FLAGS, gap_summary, needs_and_gaps
from entas.programs.catalog import load_catalog
from entas.programs.eligibility import eligibility
from entas.synth import generate

AS_OF = dt.date(2024, 3, 15)


@functools.cache
def computed() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    p = generate("64", 2024, scale=0.02, seed=3)
    con = connect()
    hh, mem = register(con, p.households, "hh"), register(con, p.members, "mem")
    programs = load_catalog()
    needs = needs_and_gaps(hh, mem, programs, as_of=AS_OF, backend=con)
    rules = to_polars(eligibility(hh, mem, programs, as_of=AS_OF, backend=con))
    return to_polars(needs), gap_summary(needs), rules, p.households


def test_one_row_per_household_and_program() -> None:
    needs, _, rules, households = computed()
    assert needs.height == households.height * len(load_catalog())
    assert needs.select("household_id", "program").is_unique().all()
    assert set(needs["household_id"]) == set(rules["household_id"])


def test_lacks_is_eligible_and_not_receiving_by_hand() -> None:
    needs, _, rules, households = computed()
    for code, flags in RECEIPT_FLAGS.items():
        receives = households.select("household_id", receives=pl.any_horizontal(flags).fill_null(False))
        expected = rules.select("household_id", eligible=pl.col(code)).join(receives, on="household_id").with_columns(
            lacks=pl.col("eligible") & ~pl.col("receives"), outside=~pl.col("eligible") & pl.col("receives"))
        got = needs.filter(pl.col("program") == code).join(expected, on="household_id", suffix="_hand")
        assert (got["lacks"] == got["lacks_hand"]).all(), code
        assert (got["outside_rule"] == got["outside"]).all(), code
        assert (got["receives"] == got["receives_hand"]).all(), code


def test_programs_without_a_flag_have_unknown_receipt() -> None:
    needs, summary, _, _ = computed()
    unflagged = needs.filter(~pl.col("program").is_in(list(RECEIPT_FLAGS)))
    assert unflagged["receives"].null_count() == unflagged.height
    assert (unflagged["lacks"] == unflagged["eligible"]).all()
    assert not summary.filter(~pl.col("program").is_in(list(RECEIPT_FLAGS)))["receipt_known"].any()


def test_summary_counts_equal_the_rows() -> None:
    needs, summary, _, _ = computed()
    by_hand = needs.group_by("district_code", "program").agg(
        eligible=pl.col("eligible").sum(), lacking=pl.col("lacks").sum(), outside_rule=pl.col("outside_rule").sum(),
        lacking_benefit_rp_year=pl.col("benefit_rp_year").filter(pl.col("lacks")).sum())
    joined = summary.join(by_hand, on=["district_code", "program"], suffix="_hand")
    assert joined.height == summary.height == by_hand.height
    for column in ("eligible", "lacking", "outside_rule"):
        assert (joined[column] == joined[f"{column}_hand"]).all(), column
    assert ((joined["lacking_benefit_rp_year"] - joined["lacking_benefit_rp_year_hand"]).abs() < 1e-6).all()
