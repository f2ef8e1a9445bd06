"""Shared synthetic provinces: one small (fast checks) and one full-scale (calibration), built once a session."""

from __future__ import annotations

import pytest

from entas.synth import SynthProvince, generate

SMALL_SCALE = 0.02
SEED = 7


@pytest.fixture(scope="session")
def small() -> SynthProvince:
    return generate("64", 2024, scale=SMALL_SCALE, seed=SEED)


@pytest.fixture(scope="session")
def full() -> SynthProvince:
    return generate("64", 2024, scale=1.0, seed=SEED)
