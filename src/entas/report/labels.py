"""Readable names of the codes that appear in results (strategies, funders, programs, needs, scenarios, lines).

Each name is an English msgid marked with ``N_`` so the catalogs carry it; ``label(kind, code, _)`` looks it
up and translates it at render time. A code without a name is shown as it is (never dropped), so a new
program or funder still appears in a report before its name is added here and to the catalogs.
"""

from __future__ import annotations

from collections.abc import Callable

from entas.report.i18n import N_

LABELS: dict[str, dict[str, str]] = {
    "strategy": {
        "expenditure_burden": N_("Cut expenditure burden"),
        "income": N_("Raise income"),
        "pockets": N_("Remove pockets of poverty"),
        "cut expenditure burden": N_("Cut expenditure burden"),
        "raise income": N_("Raise income"),
        "remove pockets": N_("Remove pockets of poverty"),
    },
    "funder": {
        "state_budget": N_("State budget (APBN)"),
        "provincial_budget": N_("Provincial budget (APBD province)"),
        "district_budget": N_("District budget (APBD district)"),
        "village_fund": N_("Village fund (Dana Desa)"),
        "csr": N_("Company CSR"),
        "other": N_("Other (banks, partners)"),
    },
    "need": {
        "water": N_("safe drinking water"),
        "sanitation": N_("sanitation"),
        "electricity": N_("electricity"),
        "decent_house": N_("decent house"),
    },
    "program": {
        "pkh": "PKH",
        "sembako": "Sembako",
        "pbi_jkn": "PBI-JKN",
        "pip": "PIP",
        "blt_dd": "BLT Dana Desa",
        "electricity_subsidy": N_("Electricity subsidy"),
        "kartu_prakerja": "Kartu Prakerja",
        "vocational_training": N_("Vocational training"),
        "micro_credit": N_("Micro credit (KUR)"),
        "productive_assistance": N_("Productive assistance"),
        "bsps": "BSPS",
        "rumah_layak_huni_csr": N_("Decent house (CSR)"),
        "water_connection": N_("Water connection"),
        "sanitation_connection": N_("Sanitation connection"),
        "electricity_connection": N_("Electricity connection"),
    },
    "scenario": {
        "baseline": N_("Baseline (growth only)"),
        "plan": N_("With the plan"),
        "slow": N_("Slow growth with the plan"),
    },
    "line": {
        "national": N_("Poverty (national line)"),
        "extreme": N_("Extreme poverty"),
    },
    "hot_spot": {
        "hot spot": N_("hot spot"),
        "cold spot": N_("cold spot"),
        "not significant": N_("not significant"),
    },
    "reading": {
        "not by 2026": N_("not by 2026"),
    },
}
"""kind -> code -> English msgid (proper names such as PKH stay as they are in every language)."""


def label(kind: str, code: str | None, gettext: Callable[[str], str]) -> str:
    """The translated name of ``code`` of ``kind``; the code itself when it has no name; '' for None."""
    if code is None:
        return ""
    name = LABELS.get(kind, {}).get(code)
    return gettext(name) if name is not None else code


def labels(kind: str, codes: str | None, gettext: Callable[[str], str], *, sep: str = ",") -> str:
    """A list of codes as stored (``"water, decent_house"``, ``"a; b"``) with each code translated."""
    if not codes:
        return ""
    parts = [part.strip() for part in codes.split(sep) if part.strip()]
    return ", ".join(label(kind, part, gettext) for part in parts)
