"""entas: shared decision support for eradicating extreme poverty (mengentaskan kemiskinan).

The Python API exposes the same verbs as the ``entas`` command; each takes and returns tables.
"""

from entas.areas import area_tree, normalize_area_code

__version__ = "0.1.0"

__all__ = ["__version__", "area_tree", "normalize_area_code"]
