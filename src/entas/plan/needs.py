"""Needs and gaps: for every household, which programs it is eligible for, which it receives, which it lacks.

Eligibility comes from the program catalog (``entas.programs.eligibility``); receipt from the registry's
program flags (``receives_*``, as P3KE records them). A program without a registry flag (most income and
pocket programs) has unknown receipt: it is *lacking* whenever the household is eligible, and the summary says
receipt is unknown rather than zero. ``RECEIPT_FLAGS`` maps program codes to the flags that mean "receives"
(Sembako counts the older BPNT flag too).

``needs_and_gaps`` returns one row per (household, program) with ``eligible``, ``receives`` (null when
unknown), ``lacks`` (eligible and not receiving) and ``outside_rule`` (receiving though not eligible by the
catalog's rule: an inclusion error of the current lists, or a rule simplified in the catalog); ``gap_summary``
counts them by district and program. Both run on the engine (Ibis), so they scale with the registry.

Limits: the registry flags say whether a household receives a program, not how much or since when; the
catalog's rules are simplified (docs/programs.md), so ``outside_rule`` counts are a prompt to check, not a
finding of error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import polars as pl

from entas.engine import to_polars
from entas.programs.catalog import Program
from entas.programs.eligibility import eligibility

RECEIPT_FLAGS: dict[str, tuple[str, ...]] = {
    "pkh": ("receives_pkh",),
    "sembako": ("receives_sembako", "receives_bpnt"),
    "pbi_jkn": ("receives_pbi_jkn",),
    "pip": ("receives_pip",),
    "blt_dd": ("receives_blt_dd",),
}
"""Program code -> registry flags meaning the household receives it (any of them)."""
__all__ = ["RECEIPT_FLAGS", "gap_summary", "needs_and_gaps"]


def needs_and_gaps(households: ir.Table, members: ir.Table, programs: Sequence[Program], *,
                   as_of: dt.date | None = None, backend: Any | None = None) -> ir.Table:
    """One row per (household, program): district, eligible, receives (null: unknown), lacks, outside_rule."""
    rules = eligibility(households, members, programs, as_of=as_of, backend=backend)
    flags = households.select("household_id", district_code=households["village_code"].cast("string").substr(0, 5),
                              **{f: households[f] for f in sorted({f for fs in RECEIPT_FLAGS.values() for f in fs})
                                 if f in households.columns})
    joined = rules.join(flags, "household_id")
    parts = []
    for program in programs:
        eligible = joined[program.code].fill_null(False)
        present = [joined[f].fill_null(False) for f in RECEIPT_FLAGS.get(program.code, ()) if f in joined.columns]
        receives: Any = ibis.null("boolean")
        if present:
            receives = present[0]
            for flag in present[1:]:
                receives = receives | flag
        parts.append(joined.select(
            "household_id", "district_code", program=ibis.literal(program.code),
            strategy=ibis.literal(program.strategy), eligible=eligible, receives=receives,
            lacks=eligible & ~receives.fill_null(False),
            outside_rule=(~eligible & receives).fill_null(False),
            benefit_rp_year=joined[f"{program.code}_benefit_rp_year"]))
    return parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)


def gap_summary(needs: ir.Table) -> pl.DataFrame:
    """Per district and program: eligible, receiving, lacking and outside-rule households; receipt known or not."""
    known = needs["receives"].notnull()
    out = needs.group_by(["district_code", "program", "strategy"]).aggregate(
        eligible=needs["eligible"].cast("int64").sum(),
        receiving=needs["receives"].fill_null(False).cast("int64").sum(),
        lacking=needs["lacks"].cast("int64").sum(), outside_rule=needs["outside_rule"].cast("int64").sum(),
        receipt_known=known.any(), lacking_benefit_rp_year=needs["benefit_rp_year"].sum(where=needs["lacks"]))
    return to_polars(out).with_columns(pl.col("lacking_benefit_rp_year").fill_null(0.0)).sort(
        "district_code", "strategy", "program")
