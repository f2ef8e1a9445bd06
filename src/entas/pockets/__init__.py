"""Pockets of poverty: small-area estimates, deprivations, spatial hot spots and the ranked pocket list.

``fay_herriot`` and ``area_inputs`` (area-level), ``nested_error`` and ``ebp`` (unit-level), ``deprivation``
(Alkire-Foster), ``hotspots`` (Gi*, local Moran), ``pocket_list`` (ranking, strategies, the Public Works
rule) and ``find`` (all of them in one call). The spatial modules (and what imports them) are imported on
first use: the spatial libraries are slow to load.
"""

from __future__ import annotations

import importlib
from typing import Any

# eager: the functions named like their modules must be bound after the submodule import
from entas.pockets.area_inputs import benchmark_to_direct, direct_estimates, registry_covariates
from entas.pockets.ebp import ebp
from entas.pockets.fay_herriot import fay_herriot
from entas.pockets.nested_error import fit_nested_error
from entas.pockets.pocket_list import compare_selections, place_needs, pocket_list, public_works_selection

_NAMES = {
    "deprivation_indicators": "entas.pockets.deprivation",
    "alkire_foster": "entas.pockets.deprivation",
    "hot_spots": "entas.pockets.hotspots",
    "find_pockets": "entas.pockets.find",
}


def __getattr__(name: str) -> Any:
    """The functions of ``_NAMES``, imported from their module on first use."""
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module 'entas.pockets' has no attribute {name!r}")


__all__ = ["benchmark_to_direct", "compare_selections", "direct_estimates", "ebp", "fay_herriot", "fit_nested_error",
           "place_needs", "pocket_list", "public_works_selection", "registry_covariates", *_NAMES]
