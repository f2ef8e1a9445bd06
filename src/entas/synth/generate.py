"""Generate a synthetic but realistic province: registry, Susenas-like survey, truth and calibration.

Steps (each reported to the progress reporter): targets -> villages and households (``population``) ->
members (``members``) -> housing and consumption (``welfare``) -> calibration (``calibrate``) -> survey
sample (``survey``) -> deciles and programmes (``programs``) -> tables and calibration report.

Randomness: one ``numpy.random.SeedSequence(seed)`` is spawned into independent streams, one per step, so
the same seed gives identical frames. ``scale`` multiplies the population (1.0 = the whole province, about
1.1 million households and 4.05 million persons in 2024) and the survey size (10,000 households at 1.0,
never fewer than 2 PSUs per stratum).

The registry holds no consumption and no poverty status; those live only in ``truth`` (one row per registry
household: consumption, lines, ``poor`` = ``y < line``, ``extreme_poor``, and the id of its survey twin).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from entas.areas import area_tree
from entas.errors import SynthError
from entas.progress import ProgressReporter, report
from entas.registry.schema import HOUSEHOLD_FIELDS, MEMBER_FIELDS, SURVEY_HOUSEHOLD_FIELDS, SURVEY_MEMBER_FIELDS
from entas.synth.calibrate import calibrate
from entas.synth.members import build_members, health_insurance, household_composition
from entas.synth.population import household_frame, village_frame
from entas.synth.programs import VILLAGE_SCORE_SHARE, program_flags, stunting_risk, welfare_decile
from entas.synth.report import build_report
from entas.synth.survey import draw_sample
from entas.synth.targets import year_targets
from entas.synth.welfare import consumption_core, covariate_index, housing

STREETS: tuple[str, ...] = (
    "Merdeka", "Pahlawan", "Sudirman", "Ahmad Yani", "Diponegoro", "Gatot Subroto", "Mulawarman", "Pangeran Antasari",
    "Juanda", "Kartini", "Slamet Riyadi", "Pramuka", "Bhayangkara", "Cendana", "Kenanga", "Flamboyan", "Melati",
    "Mawar", "Anggrek", "Poros Desa", "Sungai Mahakam", "Jenderal Basuki Rahmat", "Imam Bonjol", "Hasanuddin",
    "Awang Long", "Aji Imbut", "Pesut", "Enggang", "Bengkirai", "Ulin", "Damai", "Harapan Baru",
)
STEPS: tuple[str, ...] = ("targets", "households", "members", "welfare", "calibration", "survey", "programs",
                          "tables")


@dataclass(frozen=True)
class SynthProvince:
    """A generated province: registry and survey tables (schema columns), truth, calibration, parameters."""

    households: pl.DataFrame
    members: pl.DataFrame
    survey_households: pl.DataFrame
    survey_members: pl.DataFrame
    truth: pl.DataFrame
    calibration: pl.DataFrame
    parameters: dict[str, Any] = field(default_factory=dict)


def _step(progress: ProgressReporter | None, name: str, done: bool) -> None:
    report(progress, name, 1 if done else 0, 1)


def generate(
    province: str = "64",
    year: int = 2024,
    *,
    scale: float = 1.0,
    seed: int = 1,
    progress: ProgressReporter | None = None,
) -> SynthProvince:
    """Generate the synthetic province of ``province`` in ``year`` (see the module docstring)."""
    if not (0.0 < scale <= 5.0):
        raise SynthError(f"scale must be in (0, 5], got {scale}")
    _step(progress, "targets", False)
    targets = year_targets(province, year)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(10)]
    _step(progress, "targets", True)

    _step(progress, "households", False)
    vil = village_frame(area_tree(province, level="village"), targets, scale, streams[0])
    hh = household_frame(vil, streams[1])
    hh = hh.with_columns(
        household_id=pl.col("village_code").str.replace_all(".", "", literal=True) + "-"
        + pl.col("seq").cast(pl.Utf8).str.zfill(6),
    )
    street = pl.Series(STREETS).gather(streams[1].integers(0, len(STREETS), hh.height))
    hh = hh.with_columns(
        address="Jl. " + street + " No. " + pl.Series(streams[1].integers(1, 200, hh.height)).cast(pl.Utf8)
        + ", RT " + ((pl.col("seq") - 1) // 30 % 20 + 1).cast(pl.Utf8).str.zfill(3)
        + "/RW " + ((pl.col("seq") - 1) // 600 + 1).cast(pl.Utf8).str.zfill(3),
    )
    _step(progress, "households", True)

    _step(progress, "members", False)
    members = build_members(hh, year, streams[2])
    composition = household_composition(members, hh.height)
    _step(progress, "members", True)

    _step(progress, "welfare", False)
    hh = hh.hstack(housing(hh, streams[3]))
    xb = covariate_index(hh, composition)
    core = consumption_core(hh, xb, streams[4])
    _step(progress, "welfare", True)

    _step(progress, "calibration", False)
    dist = targets.districts
    district = hh["district_index"].to_numpy()
    urban = hh["urban"].to_numpy()
    lines = dist["poverty_line"].to_numpy()
    cal = calibrate(
        core, hh["household_size"].to_numpy(), district, urban, lines, dist["p0"].to_numpy(),
        urban_p0=targets.urban_p0, rural_p0=targets.rural_p0, gini=targets.gini,
        extreme_p0=targets.extreme_p0, extreme_line=targets.extreme_line,
    )
    y = cal.consumption
    _step(progress, "calibration", True)

    _step(progress, "survey", False)
    sample = draw_sample(hh, scale, streams[5])
    _step(progress, "survey", True)

    _step(progress, "programs", False)
    # Predicted log welfare ratio (consumption over the district line), so deciles compare households across
    # districts with different price levels, as DTSEN ranks them; raw rupiah would rank cheap districts poorer.
    # The registry's own variables capture part of the village context (VILLAGE_SCORE_SHARE), as DTSEN's do.
    score = (
        xb + cal.intercepts[district] + cal.urban_effect * urban - np.log(lines[district])
        + VILLAGE_SCORE_SHARE * hh["village_effect"].to_numpy()
    )
    decile = welfare_decile(score, streams[6])
    flags = program_flags(decile, composition, urban, streams[7])
    hh = hh.with_columns(
        welfare_decile=pl.Series(decile),
        stunting_risk=pl.Series(stunting_risk(decile, hh, composition, streams[8])),
        **{name: pl.Series(values) for name, values in flags.items()},
    )
    members = members.with_columns(health_insurance(members, flags["receives_pbi_jkn"], streams[9]))
    _step(progress, "programs", True)

    _step(progress, "tables", False)
    line_h = lines[district]
    truth = hh.select("household_id", "village_code", "district_code", "urban", "household_size").with_columns(
        consumption_pc_rp_month=pl.Series(y),
        poverty_line_rp_month=pl.Series(line_h),
        extreme_line_rp_month=pl.lit(targets.extreme_line),
    ).with_columns(
        poor=pl.col("consumption_pc_rp_month") < pl.col("poverty_line_rp_month"),
        extreme_poor=pl.col("consumption_pc_rp_month") < pl.col("extreme_line_rp_month"),
    )
    survey_ids = pl.Series(
        f"S{year}-" + sample["psu"] + "-" + (pl.int_range(sample.height, eager=True) + 1).cast(pl.Utf8).str.zfill(6)
    )
    rows = sample["row"].to_numpy()
    link = pl.DataFrame({"household_id": hh["household_id"].gather(rows), "survey_household_id": survey_ids})
    truth = truth.join(link, on="household_id", how="left", maintain_order="left")

    registry_households = hh.select([f.name for f in HOUSEHOLD_FIELDS])
    survey_hh = hh[rows].with_columns(
        household_id=survey_ids,
        survey_period=pl.lit(f"{year}-03"),
        stratum=sample["stratum"],
        psu=sample["psu"],
        ssu=pl.lit(None, dtype=pl.Utf8),
        weight=sample["weight"],
        fpc_psu=sample["fpc_psu"].cast(pl.Int64),
        fpc_ssu=sample["fpc_ssu"].cast(pl.Int64),
        consumption_pc_rp_month=pl.Series(y[rows]),
    ).select([f.name for f in SURVEY_HOUSEHOLD_FIELDS])
    id_map = pl.DataFrame({"registry_id": hh["household_id"].gather(rows), "household_id_new": survey_ids})
    survey_members = (
        members.join(id_map, left_on="household_id", right_on="registry_id", how="inner", maintain_order="left")
        .with_columns(
            member_id=pl.col("household_id_new") + pl.col("member_id").str.slice(-3),
            household_id=pl.col("household_id_new"),
        )
        .select([f.name for f in SURVEY_MEMBER_FIELDS])
    )
    registry_members = members.select([f.name for f in MEMBER_FIELDS])
    calibration = build_report(targets.table, truth, scale)
    _step(progress, "tables", True)
    parameters: dict[str, Any] = {
        "province": province, "year": year, "scale": scale, "seed": seed,
        "households": hh.height, "persons": registry_members.height, "survey_households": survey_hh.height,
        "urban_effect": cal.urban_effect, "k_below_line": cal.k_below, "m_above_line": cal.m_above,
        "district_intercepts": dict(zip(dist["district_code"].to_list(), cal.intercepts.tolist(), strict=True)),
        "kelurahan_weight_factor": float(vil["kelurahan_weight_factor"][0]),
        "extreme_line_basis": targets.extreme_basis, "extreme_line_rp_month": targets.extreme_line,
    }
    return SynthProvince(
        households=registry_households, members=registry_members, survey_households=survey_hh,
        survey_members=survey_members, truth=truth, calibration=calibration, parameters=parameters,
    )
