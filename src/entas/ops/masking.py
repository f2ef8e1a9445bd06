"""Masked forms of personal fields, as polars expressions, for roles that may not see them in clear.

- NIK: four leading and two trailing digits (``6407**********01``), as in the rejects files;
- names: initials (``Siti Aminah`` -> ``S. A.``), enough to tell members of one household apart;
- addresses: ``<redacted>``.

Which role sees what is ``entas.ops.principal.CAPABILITIES`` (``see_nik``, ``see_names``).
"""

from __future__ import annotations

import polars as pl

from entas.ops.principal import Capability, Principal
from entas.registry.nik import REDACTED, mask_nik


def mask_name(name: pl.Expr) -> pl.Expr:
    """Initials of each word, each followed by a dot; null stays null."""
    words = name.str.strip_chars().str.split(" ")
    initials = words.list.eval(pl.element().filter(pl.element() != "").str.slice(0, 1).str.to_uppercase() + ".")
    return initials.list.join(" ")


def masked(frame: pl.DataFrame, principal: Principal) -> pl.DataFrame:
    """``frame`` with its ``nik``, ``name``/``head_name`` and ``address`` columns masked as the role requires."""
    columns: list[pl.Expr] = []
    if not principal.can(Capability.see_nik):
        columns += [mask_nik(pl.col(c)).alias(c) for c in ("nik", "head_nik") if c in frame.columns]
    if not principal.can(Capability.see_names):
        columns += [mask_name(pl.col(c)).alias(c) for c in ("name", "head_name") if c in frame.columns]
        if "address" in frame.columns:
            columns.append(pl.when(pl.col("address").is_not_null()).then(pl.lit(REDACTED)).alias("address"))
    return frame.with_columns(columns) if columns else frame
