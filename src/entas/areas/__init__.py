"""Official areas: the Kemendagri tree, the BPS crosswalk, urban/rural from the code."""

from entas.areas.codes import (
    bps_district_code,
    district_crosswalk,
    normalize_area_code,
    normalize_area_code_column,
)
from entas.areas.tree import AREA_LEVELS, AreaLevel, area_summary, area_tree, villages

__all__ = [
    "AREA_LEVELS",
    "AreaLevel",
    "area_summary",
    "area_tree",
    "bps_district_code",
    "district_crosswalk",
    "normalize_area_code",
    "normalize_area_code_column",
    "villages",
]
