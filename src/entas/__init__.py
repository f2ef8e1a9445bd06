"""entas: shared decision support for eradicating extreme poverty (mengentaskan kemiskinan).

The Python API exposes the same verbs as the ``entas`` command; each takes and returns tables. The verbs are
imported on first use (``entas.poverty`` loads ``entas.measure``), so ``import entas`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from entas.areas import area_tree, normalize_area_code

__version__ = "0.1.0"

_VERBS = {
    "generate": "entas.synth",
    "import_registry": "entas.registry.importer",
    "import_survey": "entas.survey.importer",
    "poverty": "entas.measure",
    "inequality": "entas.measure",
    "compare_rounds": "entas.measure",
    "compare_to_parent": "entas.measure",
    "focus_areas": "entas.measure",
    "sen_shorrocks_thon": "entas.measure.sst",
    "fit_pmt": "entas.target",
    "score_registry": "entas.target",
    "targeting_errors": "entas.target",
    "verification_list": "entas.target",
    "find_pockets": "entas.pockets",
    "ebp": "entas.pockets",
    "fay_herriot": "entas.pockets",
    "alkire_foster": "entas.pockets",
    "hot_spots": "entas.pockets",
}


def __getattr__(name: str) -> Any:
    """The verbs of ``_VERBS``, imported from their module on first use."""
    if name in _VERBS:
        return getattr(importlib.import_module(_VERBS[name]), name)
    raise AttributeError(f"module 'entas' has no attribute {name!r}")


__all__ = ["__version__", "area_tree", "normalize_area_code", *_VERBS]
