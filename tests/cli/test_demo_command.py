"""`entas demo` end to end at a small scale: generate, import, summarise, and say where everything is."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from entas.cli import app
from entas.demo import run_demo

runner = CliRunner()


def test_demo_imports_every_generated_row_and_lists_its_outputs(tmp_path: Path) -> None:
    summary = run_demo(tmp_path, scale=0.01, seed=3)
    assert (summary.counts["read"] == summary.counts["accepted"] + summary.counts["rejected"]).all()
    assert summary.counts["rejected"].sum() == 0
    for path in summary.outputs.values():
        assert path.exists(), path
    total = summary.districts.filter(pl.col("district") == "Total").row(0, named=True)
    households = pl.read_parquet(tmp_path / "synth" / "64-2024" / "registry_households.parquet")
    assert total["households"] == households.height
    assert total["persons"] == households["household_size"].sum()
    assert summary.districts.height == 11


def test_demo_command_prints_the_summary_and_the_output_paths(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--scale", "0.01", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Registry by district" in result.stdout
    assert "Mahakam" in result.stdout
    assert str(tmp_path) in result.stdout
    # the whole job: every stage's snapshot, the lists, the briefs in HTML and PDF, the plan and the path printed
    for kind in ("target-model", "target-scores", "pockets", "plan", "simulation"):
        assert any((tmp_path / "snapshots" / kind).glob(f"{kind}-*")), kind
    assert list((tmp_path / "outputs").glob("lists-64-2025/*.xlsx"))
    briefs = tmp_path / "reports"
    assert len(list(briefs.glob("*.html"))) == 11 and len(list(briefs.glob("*.pdf"))) == 11
    assert all(p.read_bytes()[:4] == b"%PDF" for p in briefs.glob("*.pdf"))
    for title in ("Least budget by district", "Expected extremely poor persons", "Analysis steps"):
        assert title in " ".join(result.stdout.split()), title


def test_the_background_pockets_process_relays_progress_and_raises_its_error_here(tmp_path: Path) -> None:
    import pytest

    from entas.demo import _BackgroundPockets
    from entas.errors import EntasError

    events: list[tuple[str, int, int]] = []
    pockets = _BackgroundPockets(tmp_path, seed=1, bootstrap=2, progress=lambda *event: events.append(event))
    try:
        with pytest.raises(EntasError, match=r"^pockets: no registry and no survey snapshot under"):
            pockets.result()
    finally:
        pockets.close()
    assert not pockets._process.is_alive() and pockets._process.exitcode == 0
    assert events == []  # it failed before any progress


def test_a_failure_here_stops_the_background_pockets_process(tmp_path: Path) -> None:
    from entas.demo import _BackgroundPockets

    run_demo(tmp_path, scale=0.01, seed=3)  # registry and survey: the child has real work to do
    pockets = _BackgroundPockets(tmp_path, seed=1, bootstrap=50, progress=None)
    pockets.close()  # what the demo does when one of its own steps raises
    assert not pockets._process.is_alive() and pockets._process.exitcode is not None
