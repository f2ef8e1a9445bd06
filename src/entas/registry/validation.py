"""Row rules: every field checked against its ``Field`` definition, as polars expressions over a whole table.

Each check yields, per row, either null (fine) or a rule name, the word that appears in the ``rule`` column
of the rejects file. A row may break several rules; the importer writes one rejects line per broken rule and
rejects the row once. The rules (see docs/import.md for the administrator's view):

``required``
    a required field is empty (after trimming).
``not_integer`` / ``not_number``
    the text is not a number. Numbers are read in plain or dot-decimal form (``1234``, ``1234.5``, ``-3``,
    ``1e5``); a lone comma is a decimal comma (``1234,5``); Indonesian thousands grouping with a decimal comma
    (``1.234.567`` or ``1.234,5``) and English grouping (``1,234,567.5``) are accepted when the groups have
    three digits. A single dot is always a decimal point, so ``1.234`` is 1.234. Integers must be whole.
``below_minimum`` / ``above_maximum``
    outside the field's range; weights must be strictly positive (``not_positive``).
``not_boolean``
    not one of ``TRUE_WORDS``/``FALSE_WORDS`` (ya/tidak, 1/0, true/false, ...).
``unknown_code``
    not an accepted spelling (English code, Indonesian label or alias; case and spaces ignored).
``bad_date`` / ``future_date`` / ``date_before_1900``
    dates are ``yyyy-mm-dd``, ``dd/mm/yyyy`` or ``dd-mm-yyyy`` (Excel date cells arrive as ISO).
``malformed_area_code`` / ``unknown_village`` / ``unknown_district``
    the code cannot be read, or is not a village (district) of the province's official area tree.
``bad_period``
    a survey period that is not ``YYYY-MM``.
``nik_format`` / ``nik_region`` / ``nik_date`` / ``nik_birth_date`` / ``nik_sex``
    see ``entas.registry.nik``.
``extra_fields``
    a CSV line with more values than the header has columns (the reader would otherwise drop the tail).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from entas.areas import area_tree, normalize_area_code_column
from entas.registry.codes import FALSE_WORDS, TRUE_WORDS, spelling_map
from entas.registry.nik import nik_parts, nik_rules
from entas.registry.reading import EXTRA_FIELDS
from entas.registry.schema import TABLES, Field, TableName

_FLOAT_SAFE_INTEGER = 2**53
_BOOLEANS: dict[str, bool] = {**{w: True for w in TRUE_WORDS}, **{w: False for w in FALSE_WORDS}}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
EARLIEST_DATE = dt.date(1900, 1, 1)


@dataclass(frozen=True)
class Check:
    """One row rule over one column: ``rule`` is a Utf8 expression, null when the row passes."""

    column: str
    rule: pl.Expr


@dataclass(frozen=True)
class AreaSets:
    """Official codes the area rules check against (villages and districts of the province)."""

    villages: tuple[str, ...]
    districts: tuple[str, ...]

    @classmethod
    def of_province(cls, province: str) -> AreaSets:
        tree = area_tree(province)
        return cls(
            villages=tuple(tree.filter(pl.col("level") == "village")["code"]),
            districts=tuple(tree.filter(pl.col("level") == "district")["code"]),
        )


def typed_name(field: str) -> str:
    """Name of the temporary typed column of a field."""
    return f"__typed_{field}"


def clean_text(column: str) -> pl.Expr:
    """Trimmed text, with empty strings as null."""
    text = pl.col(column).str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text).otherwise(None)


def parse_number(text: pl.Expr) -> pl.Expr:
    """Text -> Float64 per the number rule of the module docstring; null when unreadable or not finite."""
    plain = text.str.contains(r"^[+-]?(\d+([.,]\d*)?|\.\d+)([eE][+-]?\d+)?$")
    dot_grouped = text.str.contains(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
    comma_grouped = text.str.contains(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
    normal = (
        pl.when(plain)
        .then(text.str.replace(",", ".", literal=True))
        .when(dot_grouped)
        .then(text.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True))
        .when(comma_grouped)
        .then(text.str.replace_all(",", "", literal=True))
        .otherwise(None)
    )
    number = normal.cast(pl.Float64, strict=False)
    return pl.when(number.is_finite()).then(number).otherwise(None)


def parse_date(text: pl.Expr) -> pl.Expr:
    """Text -> Date from ISO, dd/mm/yyyy or dd-mm-yyyy (a time part after an ISO date is ignored)."""
    iso = text.str.extract(r"^(\d{4}-\d{2}-\d{2})(?:[ T].*)?$", 1)
    return pl.coalesce(
        iso.str.to_date("%Y-%m-%d", strict=False),
        text.str.to_date(_DATE_FORMATS[1], strict=False),
        text.str.to_date(_DATE_FORMATS[2], strict=False),
    )


def _typed(field: Field, text: pl.Expr, areas: AreaSets) -> pl.Expr:
    if field.kind == "integer":
        number = parse_number(text)
        whole = (number == number.round()) & (number.abs() < _FLOAT_SAFE_INTEGER)
        return pl.when(whole).then(number).otherwise(None).cast(pl.Int64)
    if field.kind == "number":
        return parse_number(text)
    if field.kind == "boolean":
        return text.str.to_lowercase().replace_strict(_BOOLEANS, default=None, return_dtype=pl.Boolean)
    if field.kind == "code":
        assert field.codes is not None
        spellings = spelling_map(field.codes)
        lowered = text.str.to_lowercase().str.replace_all(r"\s+", " ")
        return lowered.replace_strict(spellings, default=None, return_dtype=pl.Utf8)
    if field.kind == "date":
        return parse_date(text)
    if field.kind == "area":
        return normalize_area_code_column(text)
    if field.kind == "period":
        return pl.when(text.str.contains(r"^\d{4}-(0[1-9]|1[0-2])$")).then(text).otherwise(None)
    return text  # text and nik stay text (trimmed)


def _area_rule(field: Field, text: pl.Expr, typed: pl.Expr, areas: AreaSets) -> pl.Expr:
    if field.name == "district_code":
        known, unknown = areas.districts, "unknown_district"
    else:
        known, unknown = areas.villages, "unknown_village"
    return (
        pl.when(text.is_null())
        .then(None)
        .when(typed.is_null())
        .then(pl.lit("malformed_area_code"))
        .when(~typed.is_in(pl.Series(known, dtype=pl.Utf8).implode()))
        .then(pl.lit(unknown))
        .otherwise(None)
    )


def _when(condition: pl.Expr, rule: str) -> pl.Expr:
    return pl.when(condition).then(pl.lit(rule)).otherwise(pl.lit(None, dtype=pl.Utf8))


def _range_rule(field: Field, typed: pl.Expr) -> list[pl.Expr]:
    if field.name == "weight":
        return [_when(typed <= 0, "not_positive")]
    rules = []
    if field.minimum is not None:
        rules.append(_when(typed < field.minimum, "below_minimum"))
    if field.maximum is not None:
        rules.append(_when(typed > field.maximum, "above_maximum"))
    return rules


_UNREADABLE: dict[str, str] = {
    "integer": "not_integer", "number": "not_number", "boolean": "not_boolean",
    "code": "unknown_code", "date": "bad_date", "period": "bad_period",
}


def _field_rule(field: Field, text: pl.Expr, typed: pl.Expr, areas: AreaSets, today: dt.date) -> pl.Expr:
    """The first rule the field breaks (null when fine); emptiness is judged on the trimmed text."""
    empty = _when(text.is_null(), "required") if field.required else pl.lit(None, dtype=pl.Utf8)
    if field.kind == "area":
        return pl.coalesce(empty, _area_rule(field, text, typed, areas))
    rules: list[pl.Expr] = []
    if field.kind in _UNREADABLE:
        rules.append(_when(typed.is_null(), _UNREADABLE[field.kind]))
    if field.kind in ("integer", "number"):
        rules.extend(_range_rule(field, typed))
    if field.kind == "date":
        rules.append(_when(typed > pl.lit(today), "future_date"))
        rules.append(_when(typed < pl.lit(EARLIEST_DATE), "date_before_1900"))
    if not rules:
        return empty
    return pl.coalesce(empty, pl.when(text.is_not_null()).then(pl.coalesce(rules)))


def field_checks(
    table: TableName, present: set[str], areas: AreaSets, *, today: dt.date | None = None
) -> tuple[list[pl.Expr], list[Check]]:
    """Typed-column expressions and row checks for the fields of ``table`` present in a frame.

    The frame must hold the cleaned text (``clean_text``) of each present field under its name. The typed
    expressions add ``__typed_<field>`` columns; the checks refer to them, so add the typed columns first.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    typed: list[pl.Expr] = []
    checks: list[Check] = []
    for field in TABLES[table]:
        if field.name not in present:
            continue
        text = pl.col(field.name)
        typed.append(_typed(field, text, areas).alias(typed_name(field.name)))
        rule = _field_rule(field, text, pl.col(typed_name(field.name)), areas, today)
        checks.append(Check(field.name, rule))
        if field.kind == "nik":
            typed.extend(nik_parts(field.name))
            checks.extend(Check(field.name, r) for r in nik_rules(field.name, present))
    return typed, checks


def apply_field_checks(
    frame: pl.DataFrame, table: TableName, areas: AreaSets, *, today: dt.date | None = None
) -> tuple[pl.DataFrame, list[Check]]:
    """Clean the text, add typed columns and one rule column per check (``__rule_<i>``)."""
    present = {f.name for f in TABLES[table] if f.name in frame.columns}
    frame = frame.with_columns(clean_text(name).alias(name) for name in present)
    typed, checks = field_checks(table, present, areas, today=today)
    frame = frame.with_columns(typed)
    if EXTRA_FIELDS in frame.columns:
        frame = frame.with_columns(pl.col(EXTRA_FIELDS).alias("extra_fields"))
        checks.append(Check("extra_fields", pl.when(pl.col(EXTRA_FIELDS).is_not_null()).then(pl.lit("extra_fields"))))
    frame = frame.with_columns(c.rule.alias(rule_name(i)) for i, c in enumerate(checks))
    return frame, checks


def rule_name(index: int) -> str:
    """Name of the temporary column holding the outcome of check ``index``."""
    return f"__rule_{index}"

