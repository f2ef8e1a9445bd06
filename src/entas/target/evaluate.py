"""The PMT judged on survey households it was not fitted on, and the registry's scores summarised by district.

``held_out_evaluation`` splits a survey round into whole PSUs (``quality.split_by_psu``), fits the PMT on one
part, scores the other with the year's lines and returns the targeting errors under the extreme and the
national line at the usual cut-offs, and the targeting curve under the extreme line. When the survey is linked
to the registry (a ``welfare_decile`` column), the registry's desil is evaluated on the same households as a
second score (``registry_desil``). ``district_summary`` gives, per district of a scored registry, the expected
numbers of extremely poor and poor households (sums of the probabilities) beside the decile-1 counts.

Conventions: eligible means welfare strictly below the line; survey weights weight the held-out households.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from entas.engine import connect, register, to_polars
from entas.measure.lines import attach_poverty_line, default_basis
from entas.target.pmt import PMTModel, fit_pmt
from entas.target.quality import split_by_psu, targeting_curve, targeting_errors
from entas.target.score import lines_for_year, score_registry

WELFARE = "consumption_pc_rp_month"
LINE_COLUMNS = {"extreme": "line_extreme", "national": "line_national"}
__all__ = ["Evaluation", "district_summary", "held_out_evaluation"]


@dataclass(frozen=True)
class Evaluation:
    """Targeting errors and the extreme-line curve on the held-out households, and the model fitted."""

    errors: pl.DataFrame
    curve: pl.DataFrame
    model: PMTModel
    held_out_households: int


def held_out_evaluation(households: pl.DataFrame, members: pl.DataFrame, *, year: int, test_share: float = 0.3,
                        seed: int = 0, snapshot_id: str | None = None) -> Evaluation:
    """Fit on (1 - ``test_share``) of the PSUs, score the rest, measure the errors (module docstring)."""
    basis = default_basis(year, "extreme")
    train, test = split_by_psu(households, test_share=test_share, seed=seed)
    model = fit_pmt(train, members.filter(pl.col("household_id").is_in(train["household_id"].implode())),
                    seed=seed, snapshot_id=snapshot_id)
    backend = connect()
    linked = "welfare_decile" in test.columns
    scored = to_polars(score_registry(
        model, register(backend, test, "held_out_households"), register(backend, members, "survey_members"),
        weight="weight", lines=lines_for_year(year, extreme_basis=basis),
        keep=["weight", WELFARE, *(["welfare_decile"] if linked else [])]))
    scores = ["predicted_log_welfare", *(["registry_desil"] if linked else [])]
    scored = attach_poverty_line(scored, year, "national", column=LINE_COLUMNS["national"])
    scored = attach_poverty_line(scored, year, "extreme", basis=basis, column=LINE_COLUMNS["extreme"])
    errors = pl.concat([targeting_errors(scored, score=scores, welfare=WELFARE, line=line, weight="weight")
                        for line in LINE_COLUMNS.values()])
    curve = targeting_curve(scored, score=scores, welfare=WELFARE, line=LINE_COLUMNS["extreme"], weight="weight",
                            by=None)
    return Evaluation(errors=errors, curve=curve, model=model, held_out_households=test.height)


def district_summary(scored: pl.DataFrame) -> pl.DataFrame:
    """Per district: households, expected extremely poor and poor households, PMT and registry decile-1 counts."""
    decile_1 = {"registry_desil_1_households": (pl.col("registry_desil") == 1).sum()} \
        if "registry_desil" in scored.columns else {}
    return scored.group_by("district_code").agg(
        households=pl.len(), expected_extreme_poor_households=pl.col("prob_below_extreme").sum(),
        expected_poor_households=pl.col("prob_below_national").sum(),
        pmt_decile_1_households=(pl.col("welfare_decile") == 1).sum(), **decile_1).sort("district_code")
