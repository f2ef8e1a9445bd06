"""Shared fixtures of the registry tests: a valid hand-made registry and a fresh entas home."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from household_builder import MESSY, MESSY_FILES, valid_registry


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty entas home folder."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def valid() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Four valid households with three members each, as text."""
    return valid_registry(4)


@pytest.fixture
def messy_files() -> list[Path]:
    """The committed messy fixture, in the import order its expected rejects assume."""
    return [MESSY / name for name in MESSY_FILES]
