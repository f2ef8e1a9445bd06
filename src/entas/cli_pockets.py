"""``entas pockets``: find the pockets of poverty on the current registry and survey, store them, print them.

A face: it reads the snapshots, calls ``entas.pockets.find.find_pockets`` and writes its tables as a
``pockets`` snapshot whose manifest names the registry and survey snapshots, the parameters and the model.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from entas.cli_support import (
    EngineChoice,
    FormatOption,
    HomeOption,
    OutputFormat,
    engine_backend,
    entas_home,
    progress_bar,
    render,
    run_guarded,
    stderr,
)


class PocketLevel(StrEnum):
    village = "village"
    subdistrict = "subdistrict"


SHOWN = ["rank", "area_code", "name", "extreme_rate", "extreme_rate_rmse", "extreme_poor", "national_rate",
         "persons", "lacking", "hot_spot", "primary_strategy"]


def pockets(
    level: Annotated[PocketLevel, typer.Option(help="Areas to rank.")] = PocketLevel.village,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap replicates for the small-area MSE (0: none).")] = 50,
    permutations: Annotated[int, typer.Option(help="Permutations for the hot-spot p-values.")] = 999,
    seed: Annotated[int, typer.Option(help="Random seed (bootstrap and permutations).")] = 1,
    extreme_basis: Annotated[str | None, typer.Option(help="Basis of the extreme line (default: published).")] = None,
    geometry: Annotated[Path | None, typer.Option(help="Boundaries (GeoJSON) for the neighbour graph.")] = None,
    deprivation_k: Annotated[float, typer.Option(help="Alkire-Foster cut-off k (share of weighted deprivations).")] = (
        0.5),
    top: Annotated[int, typer.Option(help="Pockets to print (all are stored).")] = 20,
    engine: EngineChoice = None,
    home: HomeOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Rank villages or subdistricts as pockets of poverty: small-area rates with MSE, needs, hot spots."""
    from entas.pockets.runs import run_pockets
    from entas.registry.snapshots import SnapshotStore

    store = SnapshotStore(entas_home(home))
    backend = engine_backend(engine)
    with progress_bar() as progress:
        result, snapshot_id = run_guarded(lambda: run_pockets(
            store, level=level.value, bootstrap=bootstrap, permutations=permutations, seed=seed,
            extreme_basis=extreme_basis, geometry=geometry, deprivation_k=deprivation_k, backend=backend,
            progress=progress))
    shown = result.pockets.select([c for c in SHOWN if c in result.pockets.columns]).head(top)
    render(shown, fmt, title=f"Pockets of poverty ({level.value}), top {top} of {result.pockets.height}: "
                             f"snapshot {snapshot_id}")
    if result.comparison is not None and fmt is OutputFormat.table:
        render(result.comparison, fmt, title="Public Works rule vs the same number of top pockets")
    stderr.print(f"stored: {store.folder('pockets') / snapshot_id}")
