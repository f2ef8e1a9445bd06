"""Fixtures shared across the suite."""

from __future__ import annotations

from typing import Any

import pytest

from entas.engine import connect


@pytest.fixture(scope="session")
def spark() -> Any:
    """One local PySpark backend for the whole run (starting Spark takes ~10 s)."""
    return connect("pyspark")
