"""Targeting: the proxy-means test fitted on the survey and applied to the registry, deciles and errors.

``covariates`` (what both tables hold), ``pmt`` (fit), ``score`` (the registry, on the engine), ``quality``
(inclusion/exclusion errors, targeting curves), ``verification`` (who to visit first), ``model_store`` (a
fitted model as snapshot tables).
"""

from entas.target.covariates import COVARIATES, household_covariates
from entas.target.pmt import PMTModel, fit_pmt
from entas.target.quality import split_by_psu, targeting_curve, targeting_errors
from entas.target.score import lines_for_year, score_registry
from entas.target.verification import VerificationList, verification_list

__all__ = [
    "COVARIATES",
    "PMTModel",
    "VerificationList",
    "fit_pmt",
    "household_covariates",
    "lines_for_year",
    "score_registry",
    "split_by_psu",
    "targeting_curve",
    "targeting_errors",
    "verification_list",
]
