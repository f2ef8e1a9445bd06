"""Synthetic province: a registry of every household, a Susenas-like sample and the truth behind them.

Real registry and Susenas microdata are confidential; ``generate`` builds a realistic stand-in on the official
village codes, calibrated to published district and provincial poverty statistics (see
``docs/synthetic-province.md``). ``write_synth`` writes it to disk; ``calibration_report`` lists every target
next to the achieved value.
"""

import polars as pl

from entas.synth.generate import SynthProvince, generate
from entas.synth.io import write_synth


def calibration_report(result: SynthProvince) -> pl.DataFrame:
    """One row per calibration target: target, area_code, target_value, achieved, tolerance, ok, status, source."""
    return result.calibration


__all__ = ["SynthProvince", "calibration_report", "generate", "write_synth"]
