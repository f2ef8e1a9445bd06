"""The survey design: weights, strata, clusters and finite-population corrections, as one immutable value.

A ``SurveyDesign`` names the columns of a household table that describe how it was sampled, with R survey's
meanings (Lumley 2010, ``svydesign``):

- ``weight``: the household sampling weight (> 0). Person-level statistics weight households by
  ``weight * person_weight_column`` (household size by default).
- ``strata`` (optional, default one stratum) and ``psu`` (optional, default each household its own PSU).
  PSUs are nested in strata: a PSU is identified by (stratum, psu), as R's ``nest = TRUE``.
- ``ssu`` (optional): the second-stage unit; when ``fpc_ssu`` is given without ``ssu`` the households are
  the second-stage units (R: ``ids = ~psu + household_id``).
- ``fpc_psu`` / ``fpc_ssu`` (optional): population counts (PSUs in the stratum, SSUs in the PSU) or, when
  every value of both columns is <= 1, sampling fractions, as R's ``as.fpc``: all values > 1 or all <= 1
  (values that are all exactly 1 are ambiguous and refused, as in R). The fpc must be constant within its
  stratum (PSU). The second-stage variance term is added only when both fpc columns are given (R's
  ``multistage``); otherwise the variance is the ultimate-cluster (with-replacement PSU) approximation.
- ``lonely_psu``: what a stratum with a single sampled PSU contributes (R's ``options(survey.lonely.psu)``):
  ``fail`` (the default: LonelyPSUError naming the strata), ``remove`` and ``certainty`` (the stratum
  contributes 0), ``adjust`` (the PSU is centred at the grand mean instead of its stratum mean), ``average``
  (the variance of the other strata is scaled up by strata/strata-with-variance). A stratum whose fpc says
  every PSU was sampled contributes 0 and is never lonely (R returns 0 before the policy applies). The same
  policy applies to a PSU with a single sampled SSU at the second stage.

Design degrees of freedom: number of PSUs - number of strata (R's ``degf``), on the full design.

The design is validated against a table once (``validate``), which returns a ``DesignInfo`` with the counts
the variance estimator needs. It changes only through methods returning modified copies.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import polars as pl

from entas.errors import DesignError, LonelyPSUError

LonelyPolicy = Literal["fail", "remove", "certainty", "adjust", "average"]
LONELY_POLICIES: tuple[LonelyPolicy, ...] = ("fail", "remove", "certainty", "adjust", "average")
CERTAIN = 1e-7  # R's onestrat: a stage with (N - n) / N below this is fully sampled and contributes 0
_SHOWN = 10

STRATUM = "_entas_stratum"
PSU = "_entas_psu"
SSU = "_entas_ssu"


def _as_table(table: Any) -> ir.Table:
    """An Ibis table for ``table`` (an Ibis table, or a frame wrapped as an in-memory table)."""
    return table if isinstance(table, ir.Table) else ibis.memtable(table)


def _collect(expr: ir.Table) -> pl.DataFrame:
    result = expr.to_polars()
    assert isinstance(result, pl.DataFrame)
    return result


@dataclass(frozen=True)
class DesignInfo:
    """What ``SurveyDesign.validate`` learned from a table.

    ``strata``: one row per stratum: ``_entas_stratum``, ``n_psu``, ``pop_psu`` (inf without fpc),
    ``f_psu`` = 1 - n/N (1 without fpc). ``psus``: when the second stage is used, one row per PSU:
    ``_entas_stratum``, ``_entas_psu``, ``n_ssu``, ``f_ssu`` = 1 - m/M, ``stage1_fraction`` = n/N.
    """

    strata: pl.DataFrame
    psus: pl.DataFrame | None
    n_households: int
    n_strata: int
    n_psu: int
    df: int
    lonely_strata: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class SurveyDesign:
    """The sampling design of a household table; see the module docstring for each field's meaning."""

    weight: str = "weight"
    strata: str | None = None
    psu: str | None = None
    ssu: str | None = None
    fpc_psu: str | None = None
    fpc_ssu: str | None = None
    lonely_psu: LonelyPolicy = "fail"
    person_weight_column: str = "household_size"

    def __post_init__(self) -> None:
        if self.lonely_psu not in LONELY_POLICIES:
            raise DesignError(f"lonely_psu must be one of {', '.join(LONELY_POLICIES)}, got {self.lonely_psu!r}")
        if self.ssu is not None and self.psu is None:
            raise DesignError("a second-stage unit (ssu) needs a first-stage unit (psu)")
        if self.fpc_ssu is not None and (self.fpc_psu is None or self.psu is None):
            raise DesignError("fpc_ssu needs psu and fpc_psu (the second stage is scaled by the first-stage fraction)")

    @classmethod
    def susenas(cls, *, lonely_psu: LonelyPolicy = "fail") -> SurveyDesign:
        """The two-stage design of a Susenas-like sample (entas.synth, survey importer columns)."""
        return cls(weight="weight", strata="stratum", psu="psu", fpc_psu="fpc_psu", fpc_ssu="fpc_ssu",
                   lonely_psu=lonely_psu)

    def replace(self, **changes: Any) -> SurveyDesign:
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    def with_lonely_psu(self, policy: LonelyPolicy) -> SurveyDesign:
        """A copy with another lonely-PSU policy."""
        return self.replace(lonely_psu=policy)

    @property
    def second_stage(self) -> bool:
        """Whether the variance has a second-stage term (both fpc columns given)."""
        return self.fpc_ssu is not None

    def columns(self) -> tuple[str, ...]:
        """The table columns this design reads."""
        named = (self.weight, self.strata, self.psu, self.ssu, self.fpc_psu, self.fpc_ssu)
        return tuple(c for c in named if c is not None)

    def keyed(self, table: ir.Table) -> ir.Table:
        """``table`` with string keys ``_entas_stratum``, ``_entas_psu`` and ``_entas_ssu`` (when named)."""
        keys: dict[str, Any] = {
            STRATUM: table[self.strata].cast("string") if self.strata else ibis.literal("all"),
        }
        if self.psu is not None:
            keys[PSU] = table[self.psu].cast("string")
        if self.ssu is not None:
            keys[SSU] = table[self.ssu].cast("string")
        return table.mutate(**keys)

    def validate(self, table: Any) -> DesignInfo:
        """Check the design against ``table`` and count strata, PSUs and SSUs (see the module docstring).

        Raises DesignError for missing columns, weights that are missing or <= 0, an fpc that varies within
        its stratum (PSU), mixes counts and fractions, or implies more units sampled than exist; and
        LonelyPSUError for strata (PSUs) with one sampled unit when ``lonely_psu`` is ``fail``.
        """
        t = _as_table(table)
        missing = [c for c in self.columns() if c not in t.columns]
        if missing:
            raise DesignError(f"design columns missing from the table: {', '.join(missing)}")
        t = self.keyed(t)
        w = t[self.weight]
        checks = _collect(t.aggregate(
            rows=t.count(), null_weights=w.isnull().sum(), bad_weights=(w <= 0).sum(),
            **{f"null_{c}": t[c].isnull().sum() for c in self.columns() if c != self.weight},
        )).row(0, named=True)
        if checks["null_weights"] or checks["bad_weights"]:
            raise DesignError(f"weight column {self.weight!r}: {checks['null_weights']} missing and "
                              f"{checks['bad_weights']} not positive values (weights must be > 0)")
        nulls = {c: checks[f"null_{c}"] for c in self.columns() if c != self.weight and checks[f"null_{c}"]}
        if nulls:
            raise DesignError(f"design columns with missing values: {nulls}")
        strata = self._strata(t)
        psus = self._psus(t, strata) if self.second_stage else None
        self._check_fpc_kind(strata, psus)
        strata, psus = self._fractions(strata, psus)
        lonely = strata.filter((pl.col("n_psu") == 1) & (pl.col("f_psu") >= CERTAIN))[STRATUM].sort().to_list()
        if lonely and self.lonely_psu == "fail":
            shown = ", ".join(lonely[:_SHOWN]) + (f" and {len(lonely) - _SHOWN} more" if len(lonely) > _SHOWN else "")
            raise LonelyPSUError(
                f"{len(lonely)} strata have a single PSU: {shown}; choose lonely_psu= 'remove', 'certainty', "
                "'adjust' or 'average' (R survey's meanings) or merge strata"
            )
        if psus is not None and self.lonely_psu == "fail":
            single = psus.filter((pl.col("n_ssu") == 1) & (pl.col("f_ssu") >= CERTAIN))
            if single.height:
                names = ", ".join(f"{h}/{p}" for h, p in single.select(STRATUM, PSU).rows()[:_SHOWN])
                raise LonelyPSUError(f"{single.height} PSUs have a single second-stage unit: {names}; choose a "
                                     "lonely_psu policy")
        n_psu = int(strata["n_psu"].sum())
        return DesignInfo(strata=strata, psus=psus, n_households=int(checks["rows"]), n_strata=strata.height,
                          n_psu=n_psu, df=n_psu - strata.height, lonely_strata=tuple(lonely))

    def _strata(self, t: ir.Table) -> pl.DataFrame:
        aggs: dict[str, Any] = {"n_psu": t[PSU].nunique() if self.psu else t.count()}
        if self.fpc_psu is not None:
            aggs["fpc_min"] = t[self.fpc_psu].cast("float64").min()
            aggs["fpc_max"] = t[self.fpc_psu].cast("float64").max()
        strata = _collect(t.group_by(STRATUM).aggregate(**aggs)).sort(STRATUM)
        if self.fpc_psu is not None:
            varying = strata.filter(pl.col("fpc_min") != pl.col("fpc_max"))[STRATUM].to_list()
            if varying:
                raise DesignError(f"fpc {self.fpc_psu!r} varies within strata {varying[:_SHOWN]}")
        return strata.with_columns(pl.col("n_psu").cast(pl.Int64))

    def _psus(self, t: ir.Table, strata: pl.DataFrame) -> pl.DataFrame:
        assert self.fpc_ssu is not None
        fpc = t[self.fpc_ssu].cast("float64")
        psus = _collect(t.group_by([STRATUM, PSU]).aggregate(
            n_ssu=t[SSU].nunique() if self.ssu else t.count(), fpc2_min=fpc.min(), fpc2_max=fpc.max(),
        )).sort(STRATUM, PSU)
        varying = psus.filter(pl.col("fpc2_min") != pl.col("fpc2_max"))
        if varying.height:
            raise DesignError(f"fpc {self.fpc_ssu!r} varies within PSUs {varying[PSU].to_list()[:_SHOWN]}")
        return psus.with_columns(pl.col("n_ssu").cast(pl.Int64))

    def _check_fpc_kind(self, strata: pl.DataFrame, psus: pl.DataFrame | None) -> None:
        if self.fpc_psu is None:
            return
        values = strata["fpc_min"]
        if psus is not None:
            values = pl.concat([values, psus["fpc2_min"]])
        if bool((values <= 0).any()):
            raise DesignError("fpc values must be > 0 (a population count, or a sampling fraction in (0, 1])")
        any_big, all_at_least_one = bool((values > 1).any()), bool((values >= 1).all())
        if any_big != all_at_least_one:
            raise DesignError("fpc must be all population counts (>= 1, some > 1) or all sampling fractions (<= 1, "
                              "some < 1), as R survey requires")

    def _fractions(self, strata: pl.DataFrame, psus: pl.DataFrame | None) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        if self.fpc_psu is None:
            strata = strata.with_columns(pop_psu=pl.lit(float("inf")), f_psu=pl.lit(1.0))
            return strata.select(STRATUM, "n_psu", "pop_psu", "f_psu"), psus
        counts = bool((strata["fpc_min"] > 1).any() or (psus is not None and (psus["fpc2_min"] > 1).any()))
        pop = pl.col("fpc_min") if counts else pl.col("n_psu") / pl.col("fpc_min")
        strata = strata.with_columns(pop_psu=pop).with_columns(f_psu=(pl.col("pop_psu") - pl.col("n_psu")) /
                                                               pl.col("pop_psu"))
        too_many = strata.filter(pl.col("pop_psu") < pl.col("n_psu"))[STRATUM].to_list()
        if too_many:
            raise DesignError(f"fpc {self.fpc_psu!r} implies more PSUs sampled than exist in strata "
                              f"{too_many[:_SHOWN]}")
        strata = strata.select(STRATUM, "n_psu", "pop_psu", "f_psu")
        if psus is None:  # pragma: no cover - fpc_ssu without fpc_psu is refused in __post_init__
            return strata, None
        pop2 = pl.col("fpc2_min") if counts else pl.col("n_ssu") / pl.col("fpc2_min")
        psus = psus.with_columns(pop_ssu=pop2).join(strata, on=STRATUM, how="left").with_columns(
            f_ssu=(pl.col("pop_ssu") - pl.col("n_ssu")) / pl.col("pop_ssu"),
            stage1_fraction=pl.col("n_psu") / pl.col("pop_psu"),
        )
        too_many = psus.filter(pl.col("pop_ssu") < pl.col("n_ssu"))[PSU].to_list()
        if too_many:
            raise DesignError(f"fpc {self.fpc_ssu!r} implies more units sampled than exist in PSUs {too_many[:_SHOWN]}")
        return strata, psus.select(STRATUM, PSU, "n_ssu", "f_ssu", "stage1_fraction")
