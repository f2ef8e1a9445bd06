"""Find the pockets of poverty of a province in one call: small-area rates, needs, hot spots, the ranked list.

``find_pockets`` runs, on the registry (a census of households) and a survey round of the same year:

1. the PMT covariates of both (``entas.target.covariates``), the district national line and the extreme
   line of the year on every registry household (``entas.measure.lines``);
2. the unit-level EBP of the extreme and national headcount, gap and severity for every area of ``level``
   with parametric-bootstrap MSE (``entas.pockets.ebp``);
3. the Alkire-Foster deprivations of the registry (``entas.pockets.deprivation``) and the place needs
   (``entas.pockets.pocket_list.place_needs``);
4. Gi* / local Moran hot spots of the EBP extreme rate on the neighbour graph (from boundaries when a
   GeoJSON is given, else the schematic area-tree graph of ``entas.areas.neighbours``);
5. the ranked pocket list, and at village level the Public Works selection with the side-by-side comparison.

The extreme line: when the year has several bases (2024: USD 1.90 PPP 2011 derived, USD 2.15 PPP 2017
published) and ``extreme_basis`` is not given, the published one is used (an error when that is ambiguous).

Limits: those of each step (see their modules). Survey weights do not enter the EBP (model-based); the
registry's ``welfare_decile`` is used only by the Public Works rule (desil-1 households per subdistrict).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from entas.areas import area_tree
from entas.areas.neighbours import neighbours_from_geometry, neighbours_from_tree
from entas.engine import connect, register
from entas.measure.lines import attach_poverty_line, default_basis
from entas.pockets.deprivation import alkire_foster, deprivation_indicators
from entas.pockets.ebp import ebp
from entas.pockets.hotspots import check_options, hot_spots
from entas.pockets.pocket_list import compare_selections, place_needs, pocket_list, public_works_selection
from entas.progress import ProgressReporter, report
from entas.target.covariates import COVARIATES, household_covariates

Level = Literal["village", "subdistrict"]
LINES = {"extreme": "line_extreme_rp_month", "national": "line_national_rp_month"}


@dataclass(frozen=True)
class PocketResult:
    """The tables of one pocket analysis and what produced them (for the snapshot manifest)."""

    pockets: pl.DataFrame
    small_area: pl.DataFrame
    deprivation: pl.DataFrame
    hot_spots: pl.DataFrame
    public_works: pl.DataFrame | None
    comparison: pl.DataFrame | None
    parameters: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pl.DataFrame]:
        """The tables to store in a ``pockets`` snapshot (those computed)."""
        out = {"pockets": self.pockets, "small_area": self.small_area, "deprivation": self.deprivation,
               "hot_spots": self.hot_spots}
        if self.public_works is not None:
            out["public_works"] = self.public_works
        return out


def registry_with_lines(households: pl.DataFrame, year: int, extreme_basis: str) -> pl.DataFrame:
    """Registry households with their district's national line and the extreme line of ``year``."""
    frame = households.with_columns(district_code=pl.col("village_code").cast(pl.Utf8).str.slice(0, 5))
    frame = attach_poverty_line(frame, year, "national", column=LINES["national"])
    return attach_poverty_line(frame, year, "extreme", basis=extreme_basis, column=LINES["extreme"])


def find_pockets(
    households: pl.DataFrame,
    members: pl.DataFrame,
    survey_households: pl.DataFrame,
    survey_members: pl.DataFrame | None = None,
    *,
    year: int,
    level: Level = "village",
    province: str = "64",
    extreme_basis: str | None = None,
    bootstrap: int = 50,
    permutations: int = 999,
    seed: int = 1,
    geometry: str | Path | None = None,
    as_of: dt.date | None = None,
    deprivation_k: float = 0.5,
    backend: Any | None = None,
    progress: ProgressReporter | None = None,
) -> PocketResult:
    """The pocket analysis of ``level`` areas (see the module docstring); frames in, tidy frames out.

    ``as_of``: the date members' ages are taken at for the deprivation indicators (default: 15 March of
    ``year``, the reference month of the March Susenas round). ``geometry``: a boundary file of the areas.
    ``deprivation_k``: the Alkire-Foster cut-off (default 1/2, not the global MPI's 1/3: the registry has one
    health indicator of weight 1/3, so at k = 1/3 lacking insurance alone makes a household poor, and on the
    synthetic province 64% of persons were then "poor" whatever their consumption; see docs/deprivation.md).
    """
    check_options(permutations, 0.05)  # before the long steps
    basis = extreme_basis or default_basis(year, "extreme")
    con = backend or connect()
    steps = 5
    report(progress, "pockets", 0, steps)
    registry = registry_with_lines(households, year, basis)
    reg_hh = register(con, registry, "pockets_registry")
    reg_mem = register(con, members, "pockets_members")
    sur_hh = register(con, survey_households, "pockets_survey")
    sur_mem = register(con, survey_members, "pockets_survey_members") if survey_members is not None else None
    reg_cov = household_covariates(reg_hh, reg_mem, keep=list(LINES.values()))
    sur_cov = household_covariates(sur_hh, sur_mem if sur_mem is not None else None,
                                   keep=["consumption_pc_rp_month"])
    covariates = [c for c in COVARIATES if c in reg_cov.columns and c in sur_cov.columns]
    report(progress, "pockets", 1, steps)
    fitted = ebp(reg_cov, sur_cov, LINES, covariates=covariates, level=level, bootstrap=bootstrap, seed=seed,
                 progress=progress)
    report(progress, "pockets", 2, steps)
    indicators = deprivation_indicators(reg_hh, reg_mem, as_of=as_of or dt.date(year, 3, 15), backend=con)
    deprivation = alkire_foster(indicators, level=level, k=deprivation_k)
    needs = place_needs(indicators, level=level)
    report(progress, "pockets", 3, steps)
    graph = (neighbours_from_geometry(geometry, level=level) if geometry is not None
             else neighbours_from_tree(province, level=level))
    extreme_rate = fitted.estimates.filter((pl.col("measure") == "headcount_ratio") & (pl.col("line") == "extreme"))
    spots = hot_spots(extreme_rate.select(pl.col("area").alias("area_code"), "estimate"),
                      graph.restrict(extreme_rate["area"].to_list()), permutations=permutations, seed=seed)
    report(progress, "pockets", 4, steps)
    names = area_tree(province, level=level).select("code", "name")
    ranked = pocket_list(fitted.estimates, needs, spots, level=level, names=names)
    public_works = comparison = None
    if level == "village":
        desil = registry.group_by(area_code=pl.col("village_code").str.slice(0, 8)).agg(
            priority_households=(pl.col("welfare_decile") == 1).sum())
        public_works = public_works_selection(desil, needs)
        comparison = compare_selections(ranked, public_works)
    report(progress, "pockets", 5, steps)
    parameters = {"year": year, "level": level, "extreme_basis": basis, "bootstrap": bootstrap,
                  "deprivation_k": deprivation_k,
                  "permutations": permutations, "seed": seed, "neighbours": graph.source,
                  "covariates": [c for c in covariates if c not in fitted.dropped],
                  "model": {"sigma2_u": float(fitted.model.sigma2_u), "sigma2_e": float(fitted.model.sigma2_e)}}
    return PocketResult(pockets=ranked, small_area=fitted.estimates, deprivation=deprivation, hot_spots=spots,
                        public_works=public_works, comparison=comparison, parameters=parameters)
