"""A fitted PMT as snapshot tables and back, so a model fitted once scores the registry later, by anyone.

``model_tables`` gives the three tables of a ``target-model`` snapshot (``coefficients``, ``fit``,
``residuals`` = the residual variances) and ``model_manifest`` the scalar settings (terms, selection, seed,
reference date, method version, the survey snapshot it was fitted on); ``model_from_snapshot`` rebuilds an
equal ``PMTModel`` from them (a test checks the round trip scores identically).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from entas.errors import TargetingError
from entas.target.pmt import PMTModel

__all__ = ["model_from_snapshot", "model_manifest", "model_tables"]


def model_tables(model: PMTModel) -> dict[str, pl.DataFrame]:
    """The tables of a ``target-model`` snapshot."""
    return {"coefficients": model.coefficients, "fit": model.fit, "residuals": model.residual_variance}


def model_manifest(model: PMTModel) -> dict[str, Any]:
    """The model's settings for the snapshot manifest (JSON values)."""
    return {"model": {
        "terms": list(model.terms), "dropped": list(model.dropped), "sigma2": model.sigma2, "r2": model.r2,
        "province_code": model.province_code, "district_effects": model.district_effects,
        "selection": model.selection, "folds": model.folds, "seed": model.seed, "welfare": model.welfare,
        "weight": model.weight, "uses_members": model.uses_members,
        "reference_date": model.reference_date.isoformat() if model.reference_date else None,
        "method_version": model.method_version, "survey_snapshot": model.snapshot_id}}


def model_from_snapshot(tables: dict[str, pl.DataFrame], manifest: dict[str, Any]) -> PMTModel:
    """The ``PMTModel`` stored by ``model_tables`` and ``model_manifest``."""
    try:
        m = manifest["model"]
        reference = m["reference_date"]
        return PMTModel(
            coefficients=tables["coefficients"], residual_variance=tables["residuals"], fit=tables["fit"],
            terms=tuple(m["terms"]), dropped=tuple(m["dropped"]), sigma2=float(m["sigma2"]), r2=float(m["r2"]),
            province_code=str(m["province_code"]), district_effects=m["district_effects"],
            selection=m["selection"], folds=int(m["folds"]), seed=int(m["seed"]), welfare=str(m["welfare"]),
            weight=str(m["weight"]), uses_members=bool(m["uses_members"]),
            reference_date=dt.date.fromisoformat(reference) if reference else None,
            method_version=str(m["method_version"]), snapshot_id=m["survey_snapshot"])
    except KeyError as missing:
        raise TargetingError(f"the stored model lacks {missing}: refit it with `entas target fit`") from None
