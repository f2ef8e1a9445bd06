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
