"""Measurement: poverty lines, poverty measures with design-based uncertainty (see ``entas.measure.poverty``)."""

from entas.measure.compare import compare_rounds, compare_to_parent, focus_areas
from entas.measure.inequality import MEASURES as INEQUALITY_MEASURES
from entas.measure.inequality import inequality
from entas.measure.lines import attach_poverty_line, poverty_lines
from entas.measure.poverty import CENSUS_NOTE, MEASURES, METHOD_VERSION, Line, poverty

__all__ = ["CENSUS_NOTE", "INEQUALITY_MEASURES", "MEASURES", "METHOD_VERSION", "Line", "attach_poverty_line",
           "compare_rounds", "compare_to_parent", "focus_areas", "inequality", "poverty", "poverty_lines"]
