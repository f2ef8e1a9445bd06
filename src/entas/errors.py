"""Domain errors. Each names what was wrong and where, so a face can show it without a traceback."""

from __future__ import annotations


class EntasError(Exception):
    """Base of every error entas raises on purpose (bad input, missing data); faces exit with code 2."""


class AreaCodeError(EntasError):
    """An area code that is malformed, unknown, or ambiguous between the BPS and Kemendagri systems."""


class InputFileError(EntasError):
    """A file that cannot be read at all (missing, unknown format, undecodable, no recognisable columns)."""


class SnapshotError(EntasError):
    """A snapshot that is missing, incomplete, or whose manifest does not match its files."""


class SynthError(EntasError):
    """A synthetic-province request that cannot be met (unknown province, impossible calibration)."""


class GroupedDataError(EntasError):
    """A grouped distribution table (Lorenz points or classes) that cannot be fitted, or a fit with no valid curve."""


class DecompositionError(EntasError):
    """Inputs to a poverty decomposition (two periods) that are inconsistent or outside the method's domain."""


class EngineError(EntasError):
    """An analytics engine that cannot be started (unknown name, optional extra not installed)."""


class DesignError(EntasError):
    """A survey design that does not fit its table (missing columns, weights <= 0, inconsistent fpc)."""


class LonelyPSUError(DesignError):
    """A stratum (or PSU, at the second stage) with a single sampled unit and no lonely-PSU policy chosen."""


class PovertyLineError(EntasError):
    """A poverty line that is missing or ambiguous for the requested area, year, kind or basis."""


class WelfareError(EntasError):
    """Welfare values that a measure cannot use (missing, or not positive for the Watts index)."""


class MeasureError(EntasError):
    """A measurement request that cannot be met (unknown measure or level, missing line or column)."""


class TargetingError(EntasError):
    """A proxy-means test that cannot be fitted or applied (missing covariates, too few households, bad cut-off)."""


class SmallAreaError(EntasError):
    """A small-area model that cannot be fitted (too few areas, non-positive sampling variances, no convergence)."""


class DeprivationError(EntasError):
    """A deprivation index specification that does not fit the registry (unknown indicator, weights, cut-off k)."""


class HotSpotError(EntasError):
    """Spatial statistics that cannot be computed (no neighbours, unknown areas, too few areas)."""


class ProgramError(EntasError):
    """A program catalog entry that cannot be used: names the file, the field and what is wrong."""


class RuleError(ProgramError):
    """An eligibility rule that does not parse or names an unknown field or function (with the column)."""


class PlanError(EntasError):
    """An allocation that cannot be built or solved (missing columns or budgets, bad values, infeasible floors)."""


class OpsError(EntasError):
    """An operations-store request that cannot be met (bad user, role, area, stakeholder, status or database)."""


class NotFoundError(OpsError):
    """A record that does not exist *or* lies outside the caller's scope: the two are never told apart."""


class PermissionDeniedError(OpsError):
    """A role that lacks the capability for the request (e.g. a partner verifying its own delivery)."""


class ConflictError(OpsError):
    """A write that contradicts what is stored: an idempotency key reused with other content, a bad transition."""


class LedgerImportError(EntasError):
    """A plan or delivery-report file that cannot be imported at all (missing columns, unknown stakeholder)."""


class SimulationError(PlanError):
    """A scenario file or a microsimulation request that cannot be used (names the file and the field)."""
