"""Measurement: poverty lines, poverty measures with design-based uncertainty (see ``entas.measure.poverty``)."""

from entas.measure.lines import attach_poverty_line, poverty_lines
from entas.measure.poverty import CENSUS_NOTE, MEASURES, METHOD_VERSION, Line, poverty

__all__ = ["CENSUS_NOTE", "MEASURES", "METHOD_VERSION", "Line", "attach_poverty_line", "poverty", "poverty_lines"]
