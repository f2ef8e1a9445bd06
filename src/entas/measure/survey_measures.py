"""Poverty of a survey round under the official lines: the lines named as planners name them.

``measure_survey`` turns line names into lines for the round's year and measures them in one pass:

- ``national``: each household's district poverty line (BPS basic-needs method) from
  ``data/poverty_lines.csv``, falling back to the provincial line where a district has none (marked there);
- ``extreme``: the international extreme-poverty line(s) of that year, one line per basis present in the data
  (2024: USD 1.90 PPP 2011 and USD 2.15 PPP 2017), named ``extreme (<basis>)``;
- a number: a fixed line in rupiah per capita per month, named ``Rp<value>``.

The design is the Susenas-like one of the survey schema (strata, PSUs, first- and second-stage FPC when the
columns are filled). Poor means welfare strictly below the line (``y < z``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from entas.engine import register
from entas.errors import MeasureError
from entas.measure.compare import compare_to_parent
from entas.measure.lines import attach_poverty_line, line_bases
from entas.measure.poverty import MEASURES, Line, poverty
from entas.survey.design import LonelyPolicy, SurveyDesign


def survey_year(households: pl.DataFrame) -> int:
    """The year of a survey round, from its ``survey_period`` (one round per table)."""
    if "survey_period" not in households.columns:
        raise MeasureError("the survey table has no survey_period column: give the year explicitly")
    periods = households["survey_period"].drop_nulls().unique().to_list()
    if len(periods) != 1:
        raise MeasureError(f"one survey round at a time, found periods {sorted(periods)}")
    return int(str(periods[0])[:4])


def survey_design(households: pl.DataFrame, *, lonely_psu: LonelyPolicy = "fail") -> SurveyDesign:
    """The Susenas-like design, with each FPC only when its column is present and filled for every row."""
    def filled(column: str) -> bool:
        return column in households.columns and households[column].null_count() == 0

    fpc_psu = "fpc_psu" if filled("fpc_psu") else None
    fpc_ssu = "fpc_ssu" if fpc_psu and filled("fpc_ssu") else None
    return SurveyDesign(weight="weight", strata="stratum", psu="psu", fpc_psu=fpc_psu, fpc_ssu=fpc_ssu,
                        lonely_psu=lonely_psu)


def resolve_lines(households: pl.DataFrame, names: Sequence[str], year: int) -> tuple[pl.DataFrame, list[Line]]:
    """The households with any per-district line columns attached, and the Lines to measure."""
    lines: list[Line] = []
    frame = households
    for name in names:
        if name == "national":
            frame = attach_poverty_line(frame, year, "national", column="line_national_rp_month")
            lines.append(Line("national", column="line_national_rp_month"))
        elif name == "extreme":
            bases = line_bases(year, "extreme")
            if not bases:
                raise MeasureError(f"no extreme-poverty line for {year} in data/poverty_lines.csv")
            for basis in bases:
                column = f"line_extreme_{len(lines)}_rp_month"
                frame = attach_poverty_line(frame, year, "extreme", basis=basis, column=column)
                lines.append(Line(f"extreme ({basis})", column=column))
        else:
            try:
                rp = float(name.replace(",", "").replace("_", ""))
            except ValueError:
                raise MeasureError(f"unknown line {name!r}: use national, extreme or a rupiah amount") from None
            if rp <= 0:
                raise MeasureError(f"a poverty line must be positive, got {name!r}")
            lines.append(Line(f"Rp{rp:,.0f}", rp=rp))
    if not lines:
        raise MeasureError("no poverty line given")
    return frame, lines


def measure_survey(
    households: pl.DataFrame,
    *,
    lines: Sequence[str] = ("national", "extreme"),
    by: Sequence[str | Sequence[str]] = ("province", "district"),
    measures: Sequence[str] = MEASURES,
    lonely_psu: LonelyPolicy = "fail",
    year: int | None = None,
    snapshot_id: str | None = None,
    backend: Any | None = None,
) -> pl.DataFrame:
    """Poverty measures of one survey round under named lines, by area levels, with SE, CI, CV and deff.

    ``backend``: an engine from ``entas.engine.connect`` to run on (default: embedded DuckDB).
    """
    round_year = year or survey_year(households)
    frame, line_list = resolve_lines(households, lines, round_year)
    design = survey_design(frame, lonely_psu=lonely_psu)
    table = frame if backend is None else register(backend, frame, "survey_households")
    return poverty(table, design, line_list, by=by, measures=measures, snapshot_id=snapshot_id)


def compare_survey_to_parent(
    households: pl.DataFrame,
    *,
    lines: Sequence[str] = ("national",),
    level: str = "district",
    parent: str = "province",
    measures: Sequence[str] = ("headcount_ratio",),
    lonely_psu: LonelyPolicy = "fail",
    year: int | None = None,
    snapshot_id: str | None = None,
    backend: Any | None = None,
) -> pl.DataFrame:
    """Each area of ``level`` against its ``parent`` on the same sample (covariance accounted for); focus areas
    are the rows with ``significant_above`` (one-sided, Benjamini-Hochberg adjusted; ``entas.measure.compare``).
    """
    round_year = year or survey_year(households)
    frame, line_list = resolve_lines(households, lines, round_year)
    design = survey_design(frame, lonely_psu=lonely_psu)
    table = frame if backend is None else register(backend, frame, "survey_households")
    return compare_to_parent(table, design, line_list, level=level, parent=parent, measures=measures,
                             snapshot_id=snapshot_id)
