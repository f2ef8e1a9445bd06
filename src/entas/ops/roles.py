"""The roles of the operations store, apart from SQLAlchemy so that the CLI can offer them without loading it.

What each role may do and see is in ``entas.ops.principal`` (``CAPABILITIES``) and docs/operations.md.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    province_analyst = "province_analyst"
    district_officer = "district_officer"
    village_officer = "village_officer"
    partner = "partner"
    public = "public"


__all__ = ["Role"]
