"""Readable names of the codes the dashboard shows besides the report's (roles, area levels, statuses).

Same convention as ``entas.report.labels``: an English msgid marked with ``N_`` (so the catalogs carry it),
translated at render time; a code without a name is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from entas.report.i18n import N_

WEB_LABELS: dict[str, dict[str, str]] = {
    "role": {
        "admin": N_("Administrator"),
        "province_analyst": N_("Province analyst"),
        "district_officer": N_("District officer"),
        "village_officer": N_("Village officer"),
        "partner": N_("Partner (CSR, NGO)"),
        "public": N_("Public"),
    },
    "level": {
        "province": N_("Province"),
        "district": N_("District"),
        "subdistrict": N_("Subdistrict"),
        "village": N_("Village"),
    },
    "household_status": {
        "verified": N_("verified"),
        "graduated": N_("graduated"),
        "moved": N_("moved"),
        "deceased": N_("deceased"),
        "not_found": N_("not found"),
    },
    "intervention_status": {
        "planned": N_("planned"),
        "delivered": N_("delivered"),
        "verified": N_("verified"),
        "cancelled": N_("cancelled"),
    },
    "relation": {
        "head": N_("head"),
        "spouse": N_("spouse"),
        "child": N_("child"),
        "parent": N_("parent"),
        "grandchild": N_("grandchild"),
        "child_in_law": N_("child-in-law"),
        "other_relative": N_("other relative"),
        "other": N_("other"),
    },
    "sex": {
        "male": N_("male"),
        "female": N_("female"),
    },
    "strategy": {
        "any": N_("Any strategy"),
    },
}
"""kind -> code -> English msgid."""


def web_label(kind: str, code: str | None, gettext: Callable[[str], str]) -> str:
    """The translated name of ``code`` of ``kind``; the code itself when it has no name; '' for None."""
    if code is None:
        return ""
    name = WEB_LABELS.get(kind, {}).get(code)
    return gettext(name) if name is not None else str(code)
