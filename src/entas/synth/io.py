"""Writing a synthetic province to disk: table files, the calibration table and a manifest.

Files (``fmt`` parquet or csv): ``registry_households``, ``registry_members``, ``survey_households``,
``survey_members``, ``truth``; ``calibration.csv``; ``manifest.json`` with the parameters (seed included),
the schema version and the SHA-256 of every file, so a copy can be verified. The truth file holds consumption
and poverty status and must never be shipped with the registry to users of a demo.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import polars as pl

from entas.registry.reading import file_sha256
from entas.registry.schema import SCHEMA_VERSION
from entas.synth.generate import SynthProvince


def write_synth(result: SynthProvince, out_dir: Path, *, fmt: Literal["parquet", "csv"] = "parquet") -> dict[str, Path]:
    """Write every table of ``result`` into ``out_dir``; returns name -> path (manifest included)."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown format {fmt!r}; use 'parquet' or 'csv'")
    out_dir.mkdir(parents=True, exist_ok=True)
    tables: dict[str, pl.DataFrame] = {
        "registry_households": result.households,
        "registry_members": result.members,
        "survey_households": result.survey_households,
        "survey_members": result.survey_members,
        "truth": result.truth,
    }
    paths: dict[str, Path] = {}
    for name, frame in tables.items():  # five tables
        path = out_dir / f"{name}.{fmt}"
        if fmt == "parquet":
            frame.write_parquet(path)
        else:
            frame.write_csv(path)
        paths[name] = path
    paths["calibration"] = out_dir / "calibration.csv"
    result.calibration.write_csv(paths["calibration"])
    manifest = {
        "kind": "entas synthetic province",
        "schema_version": SCHEMA_VERSION,
        "parameters": result.parameters,
        "seed": result.parameters.get("seed"),
        "files": {name: {"path": path.name, "sha256": file_sha256(path)} for name, path in paths.items()},
    }
    paths["manifest"] = out_dir / "manifest.json"
    paths["manifest"].write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return paths
