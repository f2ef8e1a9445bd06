"""``entas serve`` refuses to start without a secret key or on a database that is not migrated."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_world import SECRET
from typer.testing import CliRunner

from entas.cli import app


def test_serve_needs_a_secret_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENTAS_SECRET_KEY", raising=False)
    result = CliRunner().invoke(app, ["serve", "--home", str(tmp_path), "--database-url",
                                      f"sqlite:///{tmp_path / 'ops.sqlite'}"])
    assert result.exit_code == 2
    assert "ENTAS_SECRET_KEY" in result.output and "--dev" in result.output


def test_serve_refuses_a_database_that_is_not_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENTAS_SECRET_KEY", SECRET)
    result = CliRunner().invoke(app, ["serve", "--home", str(tmp_path), "--database-url",
                                      f"sqlite:///{tmp_path / 'ops.sqlite'}"])
    assert result.exit_code == 2
    assert "entas db upgrade" in " ".join(result.output.split())
