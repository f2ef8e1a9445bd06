"""The pockets run on the snapshot store: what ``entas pockets`` (and the demo) do.

``run_pockets`` reads the current registry and survey, ranks the pockets (``entas.pockets.find``) and stores
a ``pockets`` snapshot whose manifest names both inputs and the parameters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from entas.errors import EntasError
from entas.progress import ProgressReporter
from entas.registry.snapshots import SnapshotStore

__all__ = ["run_pockets"]


def run_pockets(store: SnapshotStore, *, level: str = "village", bootstrap: int = 50, permutations: int = 999,
                seed: int = 1, extreme_basis: str | None = None, geometry: Path | None = None,
                deprivation_k: float = 0.5, backend: Any | None = None,
                progress: ProgressReporter | None = None) -> tuple[Any, str]:
    """Rank pockets on the current registry and survey; store them; return (``PocketResult``, snapshot id)."""
    from entas.measure.survey_measures import survey_year
    from entas.pockets.find import find_pockets

    ids = {kind: store.current(kind) for kind in ("registry", "survey")}
    missing = [kind for kind, snapshot in ids.items() if snapshot is None]
    if missing:
        raise EntasError(f"no {' and no '.join(missing)} snapshot under {store.home}: import them or run "
                         "`entas demo` first")
    survey_households = store.read("survey", "households")
    result = find_pockets(
        store.read("registry", "households"), store.read("registry", "members"), survey_households,
        store.read("survey", "members"), year=survey_year(survey_households), level=level,  # type: ignore[arg-type]
        extreme_basis=extreme_basis, bootstrap=bootstrap, permutations=permutations, seed=seed, geometry=geometry,
        deprivation_k=deprivation_k, backend=backend, progress=progress)
    snapshot_id, _ = store.commit("pockets", result.tables(), manifest_extra={
        "mode": "analysis", "registry_snapshot": str(ids["registry"]), "survey_snapshot": str(ids["survey"]),
        "parameters": result.parameters, "method": result.pockets["method"][0]})
    return result, snapshot_id
