"""A small world for the operations tests: a synthetic registry, a fresh migrated database per test (SQLite
always, PostgreSQL when ``ENTAS_TEST_DATABASE_URL`` is set), stakeholders, users of every role and a plan.

The PostgreSQL database gets a private schema per test (dropped afterwards), so tests never see each
other's rows. ``.ci/run`` starts a throwaway server and sets the variable.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select, text

from entas.ledger.plans import assign, import_plan
from entas.ops import Access, OpsStore, Principal, Role
from entas.ops.accounts import add_stakeholder, add_user, check_areas, principal_of
from entas.ops.database import open_engine, upgrade
from entas.ops.models import Stakeholder, User, UserArea
from entas.ops.passwords import hash_password
from entas.registry.snapshots import SnapshotStore
from entas.synth import generate

PG_URL = os.environ.get("ENTAS_TEST_DATABASE_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="ENTAS_TEST_DATABASE_URL not set (.ci/run sets it)"))]
HOME_DISTRICT = "64.02"  # Kutai Kartanegara: the officer's district
OTHER_DISTRICT = "64.72"  # Samarinda: another district
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def registry_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An entas home whose current registry snapshot is a small synthetic East Kalimantan."""
    home = tmp_path_factory.mktemp("ops-home")
    province = generate("64", 2024, scale=0.002, seed=11)
    SnapshotStore(home).commit("registry", {"households": province.households, "members": province.members},
                               manifest_extra={"mode": "replace"})
    return home


def new_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """A migrated engine on an empty database (SQLite file, or a private PostgreSQL schema)."""
    if backend == "sqlite":
        engine = open_engine(f"sqlite:///{tmp_path / 'ops.sqlite'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    assert PG_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = open_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = open_engine(PG_URL, schema=schema)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash of PASSWORD (a hash takes ~0.5 s here: made once, shared by the quick users)."""
    return hash_password(PASSWORD)


def _add_users_quickly(store: OpsStore, users: dict[str, dict[str, object]], password_hash: str) -> None:
    """Insert users with a precomputed hash (``add_user`` itself is tested on one user per world)."""
    with store.transaction() as session:
        for name, spec in users.items():
            stakeholder = spec.get("stakeholder")
            stakeholder_id = None if stakeholder is None else session.scalar(
                select(Stakeholder.id).where(Stakeholder.identifier == stakeholder))
            areas = check_areas(Role(str(spec["role"])), list(spec.get("areas", [])))
            session.add(User(name=name, password_hash=password_hash, role=str(spec["role"]),
                             stakeholder_id=stakeholder_id, areas=[UserArea(area_code=a) for a in areas]))


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from new_engine(request.param, tmp_path)


@pytest.fixture
def store(engine: Engine, registry_home: Path) -> OpsStore:
    return OpsStore(engine, registry_home)


@dataclass
class World:
    """The store, an access object per role, and households inside and outside the officers' areas."""

    store: OpsStore
    access: dict[str, Access]
    home_ids: list[str]  # in HOME_DISTRICT, assigned to the partner (first three) or not
    other_ids: list[str]  # in OTHER_DISTRICT
    village: str  # the village officer's village (of home_ids[0])


def households(home: Path, district: str, n: int) -> pl.DataFrame:
    frame = SnapshotStore(home).read("registry", "households")
    return frame.filter(pl.col("village_code").str.starts_with(f"{district}.")).sort("household_id").head(n)


def plan_frame(rows: pl.DataFrame, plan_id: str = "plan-2025", program: str = "pkh",
               strategy: str = "expenditure_burden") -> pl.DataFrame:
    return rows.select("household_id", "village_code").with_columns(
        plan_id=pl.lit(plan_id), district_code=pl.col("village_code").str.slice(0, 5), program=pl.lit(program),
        strategy=pl.lit(strategy), funder=pl.lit("state_budget"), cost_rp=pl.lit(3_000_000.0),
        effect_rp_pc_month=pl.lit(62_500.0), reason=pl.lit("eligible and lacking"))


@pytest.fixture
def world(store: OpsStore, registry_home: Path, password_hash: str) -> World:
    admin = store.access(Principal.local_admin())
    add_stakeholder(admin, "ID-CSR-A", "PT Contoh Tambang", "company", "csr")
    add_stakeholder(admin, "ID-CSR-B", "Yayasan Peduli", "ngo", "other")
    add_stakeholder(admin, "ID-KMD-64.02-DINSOS", "Dinas Sosial Kutai Kartanegara", "government_agency",
                    "district_budget")
    home_rows = households(registry_home, HOME_DISTRICT, 6)
    other_rows = households(registry_home, OTHER_DISTRICT, 6)
    village = str(home_rows["village_code"][0])
    import_plan(admin, plan_frame(pl.concat([home_rows, other_rows])))
    import_plan(admin, plan_frame(home_rows.head(3), plan_id="plan-csr", program="rumah_layak_huni_csr",
                                  strategy="pockets"))
    assert assign(admin, "ID-CSR-A", plan_id="plan-csr") == 3
    users = {
        "province_analyst": dict(role="province_analyst"),
        "district_officer": dict(role="district_officer", areas=[HOME_DISTRICT]),
        "village_officer": dict(role="village_officer", areas=[village]),
        "partner": dict(role="partner", stakeholder="ID-CSR-A"),
        "public": dict(role="public"),
    }
    add_user(admin, "district_officer", PASSWORD, **users.pop("district_officer"))
    _add_users_quickly(store, users, password_hash)
    names = ["province_analyst", "district_officer", "village_officer", "partner", "public"]
    access = {"admin": admin, **{name: store.access(principal_of(store, name)) for name in names}}
    assert access["partner"].principal.role is Role.partner
    return World(store=store, access=access, home_ids=list(home_rows["household_id"]),
                 other_ids=list(other_rows["household_id"]), village=village)
