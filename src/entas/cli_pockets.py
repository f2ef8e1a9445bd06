"""``entas pockets``: find the pockets of poverty on the current registry and survey, store them, print them.

A face: it reads the snapshots, calls ``entas.pockets.find.find_pockets`` and writes its tables as a
``pockets`` snapshot whose manifest names the registry and survey snapshots, the parameters and the model.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
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
from entas.errors import EntasError


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
    from entas.measure.survey_measures import survey_year
    from entas.pockets.find import find_pockets
    from entas.registry.snapshots import SnapshotStore

    store = SnapshotStore(entas_home(home))

    def load() -> tuple[dict[str, pl.DataFrame], dict[str, str]]:
        ids = {kind: store.current(kind) for kind in ("registry", "survey")}
        missing = [kind for kind, snapshot in ids.items() if snapshot is None]
        if missing:
            raise EntasError(f"no {' and no '.join(missing)} snapshot under {store.home}: import them or run "
                             "`entas demo` first")
        frames = {"households": store.read("registry", "households"), "members": store.read("registry", "members"),
                  "survey_households": store.read("survey", "households"),
                  "survey_members": store.read("survey", "members")}
        return frames, {k: str(v) for k, v in ids.items()}

    frames, ids = run_guarded(load)
    backend = engine_backend(engine)
    year = run_guarded(lambda: survey_year(frames["survey_households"]))
    with progress_bar() as progress:
        result = run_guarded(lambda: find_pockets(
            frames["households"], frames["members"], frames["survey_households"], frames["survey_members"],
            year=year, level=level.value, extreme_basis=extreme_basis, bootstrap=bootstrap,
            permutations=permutations, seed=seed, geometry=geometry, deprivation_k=deprivation_k,
            backend=backend, progress=progress))
    snapshot_id, _ = store.commit("pockets", result.tables(), manifest_extra={
        "mode": "analysis", "registry_snapshot": ids["registry"], "survey_snapshot": ids["survey"],
        "parameters": result.parameters, "method": result.pockets["method"][0]})
    shown = result.pockets.select([c for c in SHOWN if c in result.pockets.columns]).head(top)
    render(shown, fmt, title=f"Pockets of poverty ({level.value}), top {top} of {result.pockets.height}: "
                             f"snapshot {snapshot_id}")
    if result.comparison is not None and fmt is OutputFormat.table:
        render(result.comparison, fmt, title="Public Works rule vs the same number of top pockets")
    stderr.print(f"stored: {store.folder('pockets') / snapshot_id}")
