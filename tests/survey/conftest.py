"""Fixtures of the survey tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty entas home folder."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder
