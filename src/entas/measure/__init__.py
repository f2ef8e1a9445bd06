"""Measurement: poverty lines; poverty, inequality and their change with design-based uncertainty.

See ``entas.measure.poverty`` (FGT, Watts, totals), ``inequality`` (Gini, Theil, MLD, shares, median),
``compare`` (rounds, areas vs parent, focus areas), ``subgroups`` (area contributions), ``replicate``
(jackknife), ``grouped`` (Lorenz curves from grouped data) and ``decompose`` (Datt-Ravallion).
"""

from entas.measure.compare import compare_rounds, compare_to_parent, focus_areas
from entas.measure.decompose import datt_ravallion_lorenz, datt_ravallion_microdata
from entas.measure.grouped import grouped_poverty
from entas.measure.inequality import MEASURES as INEQUALITY_MEASURES
from entas.measure.inequality import inequality
from entas.measure.lines import attach_poverty_line, poverty_lines
from entas.measure.poverty import CENSUS_NOTE, MEASURES, METHOD_VERSION, Line, poverty
from entas.measure.replicate import jackknife
from entas.measure.subgroups import subgroup_contributions

__all__ = [
    "CENSUS_NOTE",
    "INEQUALITY_MEASURES",
    "MEASURES",
    "METHOD_VERSION",
    "Line",
    "attach_poverty_line",
    "compare_rounds",
    "compare_to_parent",
    "datt_ravallion_lorenz",
    "datt_ravallion_microdata",
    "focus_areas",
    "grouped_poverty",
    "inequality",
    "jackknife",
    "poverty",
    "poverty_lines",
    "subgroup_contributions",
]
