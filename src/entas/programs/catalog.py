"""The program catalog: one YAML file per poverty program, loaded into validated frozen dataclasses.

After PolicyEngine's country template (rules as code): each program is declarative (names, strategy of
Inpres 4/2022 -- ``expenditure_burden``, ``income`` or ``pockets`` --, responsible agency, funder, unit,
eligibility rule in the language of ``entas.programs.rules``), its amounts are *parameters* with dated values,
each value carrying its legal reference or source and a status (``sourced`` or ``assumption``), and test
situations (households with members -> expected eligibility and benefit) sit in the same file under ``tests``.

Benefit: the sum of components, each ``amount`` (a parameter, rupiah per year) times ``count`` (a numeric rule:
``1`` for a household transfer, ``pupils_primary`` for a per-pupil one), capped at ``max_count``; zero when not
eligible. Welfare effect: consumption-equivalent rupiah per capita per month, either a parameter or derived
from the benefit (``benefit / 12 / household_size x pass_through``), with ``take_up`` and ``pass_through``
parameters documented in the file (planning multiplies by take-up; eligibility does not). Unit cost: a
parameter, rupiah per unit per year including delivery. Pocket programs list the deprivation indicators
(``entas.pockets.deprivation.INDICATOR_NAMES``) they remove.

Errors are ``ProgramError`` naming the file, the field and what is wrong; a rule error is a ``RuleError``
with the column and a caret line. ``Program.assumptions()`` names every value that is an assumption, so that
reports can flag them. The default catalog is the packaged ``programs/catalog/*.yaml`` (East Kalimantan).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from entas.errors import ProgramError, RuleError
from entas.pockets.deprivation import INDICATOR_NAMES
from entas.programs.rules import Rule, parse

DEFAULT_CATALOG = Path(__file__).with_name("catalog")
Strategy = Literal["expenditure_burden", "income", "pockets"]
STRATEGIES: tuple[str, ...] = get_args(Strategy)
"""The three strategies of Inpres 4/2022: cut the expenditure burden, raise income, remove pockets."""
Funder = Literal["state_budget", "provincial_budget", "district_budget", "village_fund", "csr", "other"]
Unit = Literal["household", "person"]
Status = Literal["sourced", "assumption"]
_FIELDS = ("code", "name_id", "name_en", "strategy", "responsible", "funder_type", "unit", "eligibility",
           "benefit", "welfare_effect", "removes_deprivations", "unit_cost", "parameters", "notes", "tests")
_REQUIRED = ("code", "name_id", "name_en", "strategy", "responsible", "funder_type", "unit", "eligibility",
             "benefit", "welfare_effect", "unit_cost", "parameters", "notes")


@dataclass(frozen=True)
class DatedValue:
    """A parameter value in force from ``start``, with its legal reference or source and its status."""

    start: dt.date
    value: float
    reference: str
    status: Status


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    unit: str
    values: tuple[DatedValue, ...]

    def at(self, when: dt.date | None = None) -> DatedValue:
        """The value in force at ``when`` (the latest value when None)."""
        in_force = [v for v in self.values if when is None or v.start <= when]
        if not in_force:
            raise ProgramError(f"parameter {self.name!r} has no value in force at {when}")
        return max(in_force, key=lambda v: v.start)


@dataclass(frozen=True)
class BenefitComponent:
    """``amount`` (parameter name, rupiah a year) x ``count`` (numeric rule), count capped at ``max_count``."""

    name: str
    amount: str
    count: Rule
    max_count: int | None


@dataclass(frozen=True)
class WelfareEffect:
    """Consumption-equivalent effect: ``rp_pc_month`` parameter, or None to derive it from the benefit."""

    take_up: str
    pass_through: str
    rp_pc_month: str | None
    note: str


@dataclass(frozen=True)
class Situation:
    """A test situation: one household with its members and the expected eligibility and benefit."""

    name: str
    household: Mapping[str, Any]
    members: tuple[Mapping[str, Any], ...]
    eligible: bool
    benefit_rp_year: float


@dataclass(frozen=True)
class Program:
    code: str
    name_id: str
    name_en: str
    strategy: Strategy
    responsible: str
    funder_type: Funder
    unit: Unit
    eligibility: Rule
    benefit: tuple[BenefitComponent, ...]
    welfare_effect: WelfareEffect
    removes_deprivations: tuple[str, ...]
    unit_cost: str
    parameters: tuple[Parameter, ...]
    notes: str
    situations: tuple[Situation, ...]
    source: Path

    def parameter(self, name: str) -> Parameter:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise ProgramError(f"{self.source}: program {self.code!r} has no parameter {name!r}")

    def value(self, name: str, at: dt.date | None = None) -> float:
        """The value of parameter ``name`` in force at ``at`` (latest when None)."""
        return self.parameter(name).at(at).value

    def assumptions(self, at: dt.date | None = None) -> tuple[str, ...]:
        """Names of the parameters whose value in force at ``at`` is an assumption, not a sourced figure."""
        return tuple(p.name for p in self.parameters if p.at(at).status == "assumption")


def load_catalog(folder: Path | str | None = None) -> tuple[Program, ...]:
    """Every ``*.yaml`` program of ``folder`` (default: the packaged East Kalimantan catalog), sorted by code."""
    root = Path(folder) if folder is not None else DEFAULT_CATALOG
    if not root.is_dir():
        raise ProgramError(f"{root}: not a catalog folder")
    programs = [load_program(path) for path in sorted(root.glob("*.yaml"))]
    if not programs:
        raise ProgramError(f"{root}: no *.yaml program files")
    codes = [p.code for p in programs]
    duplicated = sorted({c for c in codes if codes.count(c) > 1})
    if duplicated:
        raise ProgramError(f"{root}: program code(s) used twice: {', '.join(duplicated)}")
    return tuple(sorted(programs, key=lambda p: p.code))


def load_program(path: Path | str) -> Program:
    """One program file, validated; errors name the file and the field."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ProgramError(f"{path}: cannot read YAML: {error}") from error
    return program_from_mapping(data, source=path)


def program_from_mapping(data: Any, *, source: Path) -> Program:
    """Build and validate a Program from the parsed YAML of ``source``."""
    def fail(field: str, reason: str) -> ProgramError:
        return ProgramError(f"{source}: field {field!r}: {reason}")

    if not isinstance(data, dict):
        raise ProgramError(f"{source}: expected a mapping of program fields at the top level")
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise fail(unknown[0], f"unknown field (allowed: {', '.join(_FIELDS)})")
    for name in _REQUIRED:
        if name not in data:
            raise fail(name, "missing")
    text = {name: _text(data, name, fail) for name in ("code", "name_id", "name_en", "responsible", "notes")}
    code = text["code"]
    if not code.isidentifier() or code != code.lower():
        raise fail("code", f"{code!r} must be lower-case letters, digits and underscores")
    strategy = _choice(data, "strategy", get_args(Strategy), fail)
    funder = _choice(data, "funder_type", get_args(Funder), fail)
    unit = _choice(data, "unit", get_args(Unit), fail)
    parameters = _parameters(data["parameters"], fail)
    names = {p.name for p in parameters}

    def known(field: str, name: Any) -> str:
        if name not in names:
            raise fail(field, f"names parameter {name!r}, which is not under 'parameters'")
        return str(name)

    eligibility = _rule(data["eligibility"], "eligibility", code, source, kind="boolean")
    if not isinstance(data["benefit"], list) or not data["benefit"]:
        raise fail("benefit", "expected a list of components (name, amount, count, optional max_count)")
    benefit = []
    for i, item in enumerate(data["benefit"]):
        where = f"benefit[{i}]"
        if not isinstance(item, dict) or not {"name", "amount"} <= set(item):
            raise fail(where, "expected a mapping with name, amount, count and optional max_count")
        cap = item.get("max_count")
        if cap is not None and (not isinstance(cap, int) or cap < 1):
            raise fail(f"{where}.max_count", "expected a positive integer")
        benefit.append(BenefitComponent(str(item["name"]), known(f"{where}.amount", item["amount"]),
                                        _rule(str(item.get("count", "1")), f"{where}.count", code, source,
                                              kind="number"), cap))
    effect = data["welfare_effect"]
    if not isinstance(effect, dict) or not {"take_up", "pass_through", "note"} <= set(effect):
        raise fail("welfare_effect", "expected take_up, pass_through, note and optional rp_pc_month")
    welfare = WelfareEffect(known("welfare_effect.take_up", effect["take_up"]),
                            known("welfare_effect.pass_through", effect["pass_through"]),
                            None if effect.get("rp_pc_month") is None
                            else known("welfare_effect.rp_pc_month", effect["rp_pc_month"]), str(effect["note"]))
    removes = data.get("removes_deprivations") or []
    if not isinstance(removes, list) or any(r not in INDICATOR_NAMES for r in removes):
        raise fail("removes_deprivations", f"expected a list of indicators among {', '.join(INDICATOR_NAMES)}")
    return Program(code, text["name_id"], text["name_en"], strategy, text["responsible"], funder, unit,
                   eligibility, tuple(benefit), welfare, tuple(removes), known("unit_cost", data["unit_cost"]),
                   parameters, text["notes"], _situations(data.get("tests") or [], fail), source)


def _text(data: Mapping[str, Any], name: str, fail: Any) -> str:
    value = data[name]
    if not isinstance(value, str) or not value.strip():
        raise fail(name, "expected non-empty text")
    return value.strip()


def _choice(data: Mapping[str, Any], name: str, allowed: tuple[str, ...], fail: Any) -> Any:
    if data[name] not in allowed:
        raise fail(name, f"{data[name]!r} is not one of {', '.join(allowed)}")
    return data[name]


def _rule(text: Any, field: str, code: str, source: Path, *, kind: Literal["boolean", "number"]) -> Rule:
    if not isinstance(text, str):
        raise ProgramError(f"{source}: field {field!r}: expected rule text")
    try:
        return parse(text, program=code, kind=kind)
    except RuleError as error:
        raise RuleError(f"{source}: field {field!r}: {error}") from None


def _parameters(raw: Any, fail: Any) -> tuple[Parameter, ...]:
    if not isinstance(raw, dict) or not raw:
        raise fail("parameters", "expected a mapping of parameter name -> description, unit, values")
    parameters = []
    for name, spec in raw.items():
        where = f"parameters.{name}"
        if not isinstance(spec, dict) or not {"description", "unit", "values"} <= set(spec):
            raise fail(where, "expected description, unit and values")
        if not isinstance(spec["values"], list) or not spec["values"]:
            raise fail(f"{where}.values", "expected a list of dated values")
        values = []
        for j, item in enumerate(spec["values"]):
            at = f"{where}.values[{j}]"
            if not isinstance(item, dict) or set(item) != {"date", "value", "reference", "status"}:
                raise fail(at, "expected exactly date, value, reference and status")
            if not isinstance(item["date"], dt.date):
                raise fail(f"{at}.date", f"expected an ISO date (YYYY-MM-DD), got {item['date']!r}")
            if isinstance(item["value"], bool) or not isinstance(item["value"], (int, float)):
                raise fail(f"{at}.value", f"expected a number, got {item['value']!r}")
            if not isinstance(item["reference"], str) or not item["reference"].strip():
                raise fail(f"{at}.reference", "every value needs its legal reference or source")
            if item["status"] not in get_args(Status):
                raise fail(f"{at}.status", f"{item['status']!r} is not one of {', '.join(get_args(Status))}")
            values.append(DatedValue(item["date"], float(item["value"]), item["reference"].strip(), item["status"]))
        parameters.append(Parameter(str(name), str(spec["description"]), str(spec["unit"]), tuple(values)))
    return tuple(parameters)


def _situations(raw: Any, fail: Any) -> tuple[Situation, ...]:
    if not isinstance(raw, list):
        raise fail("tests", "expected a list of situations")
    situations = []
    for i, item in enumerate(raw):
        where = f"tests[{i}]"
        if not isinstance(item, dict) or not {"name", "household", "expected"} <= set(item):
            raise fail(where, "expected name, household, members and expected {eligible, benefit_rp_year}")
        expected = item["expected"]
        if not isinstance(expected, dict) or not isinstance(expected.get("eligible"), bool):
            raise fail(f"{where}.expected", "expected eligible (true/false) and benefit_rp_year")
        members = item.get("members") or []
        if not isinstance(item["household"], dict) or not isinstance(members, list):
            raise fail(where, "household must be a mapping and members a list of mappings")
        situations.append(Situation(str(item["name"]), item["household"], tuple(members), expected["eligible"],
                                    float(expected.get("benefit_rp_year", 0))))
    return tuple(situations)
