"""Scenarios (skenario): named YAML files stating the assumptions of a 2024 -> 2026 projection.

A scenario says how welfare moves without programs (annual real growth of per-capita consumption by
district, a province default, an optional ``growth_sd`` for the uncertainty of the rate, an optional real
growth of the extreme line), how the plan is delivered (a **roll-out schedule**: for a program code, a
strategy -- ``expenditure_burden``, ``income``, ``pockets`` -- or ``all``, the cumulative share of the plan's
assignments delivered by the end of each year), and how the plan and the simulation are run (budgets file,
objective, method, draws, seed, the threshold under which a count "is zero").

Every outside figure is a mapping ``{value, status, ...}``: ``status: sourced`` needs ``source``;
``status: derived`` needs ``source`` and ``method`` (how it was computed from sourced figures);
``status: assumption`` needs ``reason``. :meth:`Scenario.assumptions` lists the assumed ones for reports.
The roll-out shares are the scenario's own choice (what is being simulated), not outside figures.

:func:`growth_from_poverty_rates` is how the packaged scenarios derive district growth from the published
BPS March headcount rates (``entas/data/kaltim_districts.csv``): with log consumption normal with standard
deviation sigma and the poverty line fixed in real terms, ``P0_t = Phi((ln z - mu_t) / sigma)``, so the
median grows by ``sigma (Phi^-1(P0_start) - Phi^-1(P0_end))`` in logs over the period; sigma comes from the
Gini of a lognormal, ``G = 2 Phi(sigma / sqrt 2) - 1``. This is growth *as seen by the poverty rate* (it
folds in any change of the distribution's lower part), which is what a poverty projection needs; it is not
GRDP growth.

Errors are ``SimulationError`` naming the file and the field. The packaged scenarios live in
``entas/plan/scenarios/``; :func:`load_scenario` takes a path or one of their names.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from scipy import stats

from entas.errors import SimulationError
from entas.plan.allocate import ALPHA, METHODS
from entas.programs.catalog import STRATEGIES

SCENARIO_FOLDER = Path(__file__).with_name("scenarios")
ALL = "all"
FigureStatus = Literal["sourced", "derived", "assumption"]
_FIELDS = ("name", "description", "base_year", "years", "growth", "line_growth", "rollout", "plan", "draws",
           "seed", "zero_threshold_persons")
_REQUIRED = ("name", "description", "base_year", "years", "growth")
MAX_DRAWS = 10_000


@dataclass(frozen=True)
class Figure:
    """An outside figure: its value, status, source and the method (derived) or reason (assumption)."""

    value: float
    status: FigureStatus
    source: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Scenario:
    """A validated scenario; see the module docstring for each field's meaning.

    ``rollout`` maps a program code, a strategy or ``all`` to ``{year: cumulative share delivered}``;
    empty means no program is delivered (growth only). ``budgets`` is resolved against the file's folder.
    ``text`` is the file's content, kept for the run record.
    """

    name: str
    description: str
    base_year: int
    years: tuple[int, ...]
    growth: Figure
    district_growth: Mapping[str, float]
    district_growth_figure: Figure | None
    growth_sd: Figure
    line_growth: Figure
    rollout: Mapping[str, Mapping[int, float]]
    budgets: Path | None = None
    objective: str = "headcount"
    method: str = "greedy"
    draws: int = 100
    seed: int = 1
    zero_threshold: float = 0.5
    source: Path | None = None
    text: str = ""

    def growth_rate(self, district_code: str) -> float:
        """Annual real growth of per-capita consumption in ``district_code`` (the province default if unlisted)."""
        return self.district_growth.get(district_code, self.growth.value)

    def share_delivered(self, key: str, year: int) -> float:
        """Cumulative share of ``key``'s assignments delivered by the end of ``year`` (0 before the first)."""
        schedule = self.rollout.get(key, {})
        done = [share for y, share in schedule.items() if y <= year]
        return max(done) if done else 0.0

    def assumptions(self) -> tuple[str, ...]:
        """The figures of this scenario that are assumptions rather than sourced or derived values."""
        named = {"growth.province": self.growth, "growth.growth_sd": self.growth_sd, "line_growth": self.line_growth}
        if self.district_growth_figure is not None:
            named["growth.districts"] = self.district_growth_figure
        return tuple(name for name, figure in named.items() if figure.status == "assumption")

    @property
    def content_hash(self) -> str:
        """SHA-256 of the file's text (of the canonical YAML when built from a mapping)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def list_scenarios() -> tuple[str, ...]:
    """Names of the packaged scenarios."""
    return tuple(sorted(path.stem for path in SCENARIO_FOLDER.glob("*.yaml")))


def load_scenario(path_or_name: Path | str) -> Scenario:
    """A scenario from a YAML file, or a packaged one by name (``baseline``, ``plan``, ``slow``)."""
    path = Path(path_or_name)
    if not path.suffix and not path.exists():
        packaged = SCENARIO_FOLDER / f"{path_or_name}.yaml"
        if not packaged.exists():
            raise SimulationError(f"no scenario file {path_or_name!r} and no packaged scenario of that name "
                                  f"(packaged: {', '.join(list_scenarios())})")
        path = packaged
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as error:
        raise SimulationError(f"{path}: cannot read YAML: {error}") from error
    return scenario_from_mapping(data, source=path, text=text)


def scenario_from_mapping(data: Any, *, source: Path | None = None, text: str | None = None) -> Scenario:
    """Build and validate a Scenario from parsed YAML; errors name ``source`` and the field."""
    where = str(source) if source is not None else "<scenario>"

    def fail(field: str, reason: str) -> SimulationError:
        return SimulationError(f"{where}: field {field!r}: {reason}")

    if not isinstance(data, dict):
        raise SimulationError(f"{where}: expected a mapping of scenario fields at the top level")
    unknown = sorted(set(map(str, data)) - set(_FIELDS))
    if unknown:
        raise fail(unknown[0], f"unknown field (allowed: {', '.join(_FIELDS)})")
    for name in _REQUIRED:
        if name not in data:
            raise fail(name, "missing")
    name = _text(data["name"], "name", fail)
    if not name.replace("_", "").replace("-", "").isalnum():
        raise fail("name", f"{name!r} must be letters, digits, '-' and '_'")
    base_year = _integer(data["base_year"], "base_year", fail, low=2000, high=2100)
    years = _years(data["years"], base_year, fail)
    growth = data["growth"]
    if not isinstance(growth, dict) or "province" not in growth:
        raise fail("growth", "expected a mapping with province (a figure), optional districts and growth_sd")
    extra = sorted(set(growth) - {"province", "districts", "growth_sd", "meaning"})
    if extra:
        raise fail(f"growth.{extra[0]}", "unknown field (allowed: province, districts, growth_sd, meaning)")
    province = _figure(growth["province"], "growth.province", fail, low=-0.5, high=0.5)
    district_growth, district_figure = _districts(growth.get("districts"), fail)
    sd = (_figure(growth["growth_sd"], "growth.growth_sd", fail, low=0.0, high=0.5) if "growth_sd" in growth
          else Figure(0.0, "assumption", note="no uncertainty of the growth rate"))
    line_growth = (_figure(data["line_growth"], "line_growth", fail, low=-0.5, high=0.5) if "line_growth" in data
                   else Figure(0.0, "assumption", note="the extreme line is held in real terms"))
    rollout = _rollout(data.get("rollout") or {}, years, fail)
    plan = data.get("plan") or {}
    if not isinstance(plan, dict):
        raise fail("plan", "expected a mapping with optional budgets, objective and method")
    extra = sorted(set(plan) - {"budgets", "objective", "method"})
    if extra:
        raise fail(f"plan.{extra[0]}", "unknown field (allowed: budgets, objective, method)")
    budgets = None
    if plan.get("budgets") is not None:
        budgets = Path(_text(plan["budgets"], "plan.budgets", fail))
        if not budgets.is_absolute() and source is not None:
            budgets = source.parent / budgets
    objective = str(plan.get("objective", "headcount"))
    if objective not in ALPHA:
        raise fail("plan.objective", f"{objective!r} is not one of {', '.join(ALPHA)}")
    method = str(plan.get("method", "greedy"))
    if method not in METHODS:
        raise fail("plan.method", f"{method!r} is not one of {', '.join(METHODS)}")
    draws = _integer(data.get("draws", 100), "draws", fail, low=1, high=MAX_DRAWS)
    seed = _integer(data.get("seed", 1), "seed", fail, low=0, high=2**63 - 1)
    threshold = data.get("zero_threshold_persons", 0.5)
    if not _is_number(threshold) or threshold < 0:
        raise fail("zero_threshold_persons", f"expected a number of persons >= 0, got {threshold!r}")
    return Scenario(
        name=name, description=_text(data["description"], "description", fail), base_year=base_year, years=years,
        growth=province, district_growth=district_growth, district_growth_figure=district_figure, growth_sd=sd,
        line_growth=line_growth, rollout=rollout, budgets=budgets, objective=objective, method=method, draws=draws,
        seed=seed, zero_threshold=float(threshold), source=source,
        text=text if text is not None else yaml.safe_dump(data, sort_keys=True, allow_unicode=True))


def growth_from_poverty_rates(p0_start: float, p0_end: float, years: float, *, gini: float) -> float:
    """Annual real growth of the median implied by a fall of the headcount rate from ``p0_start`` to ``p0_end``.

    Rates as shares (0.0628, not 6.28); lognormal consumption with the sigma of ``gini``, line fixed in real
    terms (see the module docstring). ``exp(sigma (Phi^-1(p0_start) - Phi^-1(p0_end)) / years) - 1``.
    """
    for value, label in ((p0_start, "p0_start"), (p0_end, "p0_end")):
        if not 0.0 < value < 1.0:
            raise SimulationError(f"{label} must be a share in (0, 1), got {value}")
    if not 0.0 < gini < 1.0 or years <= 0:
        raise SimulationError(f"gini must be in (0, 1) and years > 0, got gini={gini}, years={years}")
    sigma = math.sqrt(2.0) * float(stats.norm.ppf((1.0 + gini) / 2.0))
    shift = sigma * (float(stats.norm.ppf(p0_start)) - float(stats.norm.ppf(p0_end)))
    return math.expm1(shift / years)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _text(value: Any, field: str, fail: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail(field, "expected non-empty text")
    return value.strip()


def _integer(value: Any, field: str, fail: Any, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise fail(field, f"expected a whole number in [{low}, {high}], got {value!r}")
    return value


def _years(value: Any, base_year: int, fail: Any) -> tuple[int, ...]:
    if isinstance(value, str) and "-" in value:
        first, _, last = value.partition("-")
        if not (first.strip().isdigit() and last.strip().isdigit()) or int(first) > int(last):
            raise fail("years", f"expected 'FIRST-LAST' (e.g. 2024-2026) or a list of years, got {value!r}")
        years = list(range(int(first), int(last) + 1))
    elif isinstance(value, list) and value and all(isinstance(y, int) and not isinstance(y, bool) for y in value):
        years = list(value)
    else:
        raise fail("years", f"expected 'FIRST-LAST' (e.g. 2024-2026) or a list of years, got {value!r}")
    if years != sorted(set(years)):
        raise fail("years", "years must be increasing, without repeats")
    if years[0] < base_year or years[-1] > base_year + 50:
        raise fail("years", f"years must lie in [{base_year}, {base_year + 50}] (base_year {base_year})")
    return tuple(years)


def _figure(value: Any, field: str, fail: Any, *, low: float, high: float) -> Figure:
    if not isinstance(value, dict) or "value" not in value or "status" not in value:
        raise fail(field, "expected a figure {value, status, source/method/reason}: every outside figure carries "
                          "its source or is marked 'status: assumption' with a reason")
    number = value["value"]
    if not _is_number(number) or not low <= number <= high:
        raise fail(f"{field}.value", f"expected a number in [{low}, {high}], got {number!r}")
    status = value["status"]
    if status not in get_args(FigureStatus):
        raise fail(f"{field}.status", f"{status!r} is not one of {', '.join(get_args(FigureStatus))}")
    needs = {"sourced": ("source",), "derived": ("source", "method"), "assumption": ("reason",)}[status]
    for key in needs:
        if not isinstance(value.get(key), str) or not value[key].strip():
            raise fail(f"{field}.{key}", f"missing: a figure with status {status!r} needs {' and '.join(needs)}")
    extra = sorted(set(value) - {"value", "status", "source", "method", "reason"})
    if extra:
        raise fail(f"{field}.{extra[0]}", "unknown key (allowed: value, status, source, method, reason)")
    note = value.get("method") if status == "derived" else value.get("reason")
    return Figure(float(number), status, value.get("source"), note)


def _districts(value: Any, fail: Any) -> tuple[dict[str, float], Figure | None]:
    """``{status, source, method|reason, values: {district code: rate}}``: one status for all listed rates."""
    if value is None:
        return {}, None
    if not isinstance(value, dict) or not isinstance(value.get("values"), dict) or not value["values"]:
        raise fail("growth.districts", "expected {status, source/method/reason, values: {district code: rate}}")
    rates: dict[str, float] = {}
    for code, rate in value["values"].items():
        code = str(code)
        parts = code.split(".")
        if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts):
            raise fail(f"growth.districts.values.{code}", "expected a Kemendagri district code such as '64.01'")
        if not _is_number(rate) or not -0.5 <= rate <= 0.5:
            raise fail(f"growth.districts.values.{code}", f"expected a number in [-0.5, 0.5], got {rate!r}")
        rates[code] = float(rate)
    header = {k: v for k, v in value.items() if k != "values"}
    figure = _figure({**header, "value": 0.0}, "growth.districts", fail, low=0.0, high=0.0)
    return rates, figure


def _rollout(value: Any, years: tuple[int, ...], fail: Any) -> dict[str, dict[int, float]]:
    if not isinstance(value, dict):
        raise fail("rollout", "expected {program code | strategy | all: {year: cumulative share}}")
    out: dict[str, dict[int, float]] = {}
    for key, schedule in value.items():
        field = f"rollout.{key}"
        key = str(key)
        if not key.isidentifier() or key != key.lower():
            raise fail(field, "expected a program code, a strategy or 'all' (lower-case)")
        if not isinstance(schedule, dict) or not schedule:
            raise fail(field, "expected {year: cumulative share delivered by the end of that year}")
        shares: dict[int, float] = {}
        for year, share in schedule.items():
            if isinstance(year, str) and year.isdigit():
                year = int(year)
            if isinstance(year, bool) or not isinstance(year, int) or not years[0] <= year <= years[-1]:
                raise fail(f"{field}.{year}", f"expected a year in {years[0]}-{years[-1]}")
            if not _is_number(share) or not 0.0 <= share <= 1.0:
                raise fail(f"{field}.{year}", f"expected a share in [0, 1], got {share!r}")
            shares[year] = float(share)
        ordered = [shares[y] for y in sorted(shares)]
        if any(b < a for a, b in itertools.pairwise(ordered)):
            raise fail(field, "shares are cumulative: they cannot fall from one year to the next")
        out[key] = dict(sorted(shares.items()))
    if ALL in out and len(out) > 1:
        raise fail("rollout", "'all' covers every assignment: do not combine it with other keys")
    return out


__all__ = ["ALL", "SCENARIO_FOLDER", "STRATEGIES", "Figure", "Scenario", "growth_from_poverty_rates",
           "list_scenarios", "load_scenario", "scenario_from_mapping"]
