"""Calibration report: every target of the year next to what the synthetic registry achieves.

Achieved values are census values over the full synthetic registry (no sampling error): district P0 and
the urban/rural P0 are person-weighted shares with consumption strictly below the district line
(``y < z``); population is the sum of household sizes; the Gini is person-weighted over per-capita
consumption; the extreme rate uses the year's extreme line. ``ok`` is ``|achieved - target| <= tolerance``
(tolerance in points for rates, percent of the target for population, Gini units for the Gini).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from entas.synth.calibrate import weighted_gini


def achieved_values(truth: pl.DataFrame) -> dict[tuple[str, str], float]:
    """(target, area_code) -> achieved value, from the truth table."""
    out: dict[tuple[str, str], float] = {}
    t = truth.with_columns(w=pl.col("household_size").cast(pl.Float64))
    by_district = t.group_by("district_code").agg(
        population=pl.col("w").sum(),
        p0=100.0 * (pl.col("w") * pl.col("poor")).sum() / pl.col("w").sum(),
    )
    for row in by_district.iter_rows(named=True):
        out[("population", row["district_code"])] = float(row["population"])
        out[("district_p0", row["district_code"])] = float(row["p0"])
    by_urban = t.group_by("urban").agg(p0=100.0 * (pl.col("w") * pl.col("poor")).sum() / pl.col("w").sum())
    for row in by_urban.iter_rows(named=True):
        out[("urban_p0" if row["urban"] else "rural_p0", "64")] = float(row["p0"])
    w = t["w"].to_numpy()
    out[("gini", "64")] = weighted_gini(t["consumption_pc_rp_month"].to_numpy(), w)
    out[("extreme_p0", "64")] = float(100.0 * np.sum(w * t["extreme_poor"].to_numpy()) / w.sum())
    return out


def build_report(targets: pl.DataFrame, truth: pl.DataFrame, scale: float) -> pl.DataFrame:
    """One row per target: target, area, target value, achieved, tolerance, ok, status, source."""
    achieved = achieved_values(truth)
    rows = []
    for row in targets.iter_rows(named=True):  # ~25 targets
        value = float(row["value"])
        if row["target"] == "population":
            value = value * scale
        got = achieved.get((row["target"], row["area_code"]), float("nan"))
        error = abs(got - value) / value * 100.0 if row["target"] == "population" else abs(got - value)
        rows.append({
            "target": row["target"], "area_code": row["area_code"], "target_value": value, "achieved": got,
            "tolerance": float(row["tolerance"]), "ok": bool(error <= row["tolerance"]),
            "status": row["status"], "source": row["source"],
        })
    return pl.DataFrame(rows)
