"""The data-access layer: every read as every role with another area's ids returns nothing; masking by role."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from ops_world import OTHER_DISTRICT, World

from entas.errors import NotFoundError, PermissionDeniedError
from entas.ledger import coverage, duplicates, graduation, untouched
from entas.ops import Access, InterventionRequest
from entas.registry.snapshots import SnapshotStore

SCOPED_ROLES = ("district_officer", "village_officer", "partner", "public")


def _reads(world: World, access: Access) -> dict[str, Callable[[], Any]]:
    """Every read method, aimed at a household (and its district) outside the officers' areas."""
    other = world.other_ids[0]
    extreme = pl.DataFrame({"household_id": world.other_ids,
                            "village_code": [world.store.village_of(h) for h in world.other_ids]})
    return {
        "search by id": lambda: access.search_households(query=other),
        "search by area": lambda: access.search_households(area=OTHER_DISTRICT),
        "detail": lambda: access.household(other),
        "by-name list": lambda: access.by_name_list(area=OTHER_DISTRICT),
        "by-name list, all": lambda: access.by_name_list().filter(pl.col("household_id").is_in(world.other_ids)),
        "interventions": lambda: access.interventions(household_id=other),
        "interventions, all": lambda: access.interventions().filter(pl.col("household_id").is_in(world.other_ids)),
        "statuses": lambda: access.household_statuses(area=OTHER_DISTRICT),
        "coverage": lambda: coverage(access, extreme=extreme).filter(pl.col("extreme_poor") > 0),
        "untouched": lambda: untouched(access, extreme=extreme),
        "graduation": lambda: graduation(access, extreme=extreme),
        "duplicates": lambda: duplicates(access),
    }


def _seed_other_district(world: World) -> int:
    """An intervention and a status on a household of the other district, by the admin."""
    admin = world.access["admin"]
    for key, stakeholder in (("other-1", "ID-CSR-A"), ("other-2", "ID-CSR-B")):
        recorded = admin.record_intervention(InterventionRequest(
            key, world.other_ids[0], "pkh", stakeholder=stakeholder, delivered_on=dt.date(2025, 2, 1)))
    admin.set_household_status(world.other_ids[0], "verified")
    return int(recorded.intervention["id"])


@pytest.mark.parametrize("role", SCOPED_ROLES)
def test_no_read_reaches_another_area(world: World, role: str) -> None:
    intervention_id = _seed_other_district(world)
    access = world.access[role]
    for name, read in _reads(world, access).items():
        try:
            result = read()
        except NotFoundError as error:
            assert str(error) in (f"household {world.other_ids[0]!r} not found",), name
            continue
        except PermissionDeniedError:
            assert role == "public", name
            continue
        assert result.height == 0, f"{role} read {name}: {result.height} rows"
    writes = {
        "status": lambda: access.set_intervention_status(intervention_id, "cancelled"),
        "record": lambda: access.record_intervention(InterventionRequest(
            "probe", world.other_ids[1], "pkh", stakeholder="ID-CSR-A", delivered_on=dt.date(2025, 1, 1))),
        "household status": lambda: access.set_household_status(world.other_ids[1], "moved"),
    }
    for name, write in writes.items():
        with pytest.raises((NotFoundError, PermissionDeniedError)):
            write()
        _ = name


def test_out_of_scope_and_missing_households_look_the_same(world: World) -> None:
    officer = world.access["district_officer"]
    messages = []
    for household_id in (world.other_ids[0], "no-such-household"):
        with pytest.raises(NotFoundError) as error:
            officer.household(household_id)
        messages.append(str(error.value).replace(household_id, "<id>"))
    assert messages[0] == messages[1]


def test_each_role_sees_its_own_households(world: World) -> None:
    assert set(world.home_ids) <= set(world.access["district_officer"].search_households(limit=10_000)["household_id"])
    village = world.access["village_officer"].search_households(limit=10_000)
    assert village["village_code"].unique().to_list() == [world.village]
    partner = world.access["partner"].search_households(limit=10_000)
    assert sorted(partner["household_id"]) == sorted(world.home_ids[:3])  # exactly the assigned ones
    analyst = world.access["province_analyst"].search_households(limit=10_000)
    assert analyst.height == 10_000 or set(world.other_ids) <= set(analyst["household_id"])


def _registry_member(world: World, household_id: str) -> dict[str, Any]:
    members = SnapshotStore(world.store.home).read("registry", "members")
    return members.filter((pl.col("household_id") == household_id) & (pl.col("relation_to_head") == "head")).row(
        0, named=True)


@pytest.mark.parametrize(("role", "clear_name", "clear_nik"), [
    ("admin", True, True), ("province_analyst", False, False), ("district_officer", True, True),
    ("village_officer", True, True), ("partner", True, False)])
def test_nik_and_names_masked_unless_the_role_allows(world: World, role: str, clear_name: bool,
                                                     clear_nik: bool) -> None:
    household_id = world.home_ids[0]
    head = _registry_member(world, household_id)
    found = world.access[role].search_households(query=household_id)
    assert found["household_id"].to_list() == [household_id]
    row = found.row(0, named=True)
    detail = world.access[role].household(household_id)
    assert (row["head_name"] == head["name"]) is clear_name
    assert (row["head_nik"] == head["nik"]) is clear_nik
    assert (head["nik"] in detail.members["nik"].to_list()) is clear_nik
    if not clear_nik:
        assert row["head_nik"] == head["nik"][:4] + "*" * 10 + head["nik"][-2:]
    if not clear_name:
        assert row["head_name"] == " ".join(w[0].upper() + "." for w in head["name"].split())
        assert detail.household["address"] in (None, "<redacted>")


def test_masked_roles_cannot_search_by_nik_or_name(world: World) -> None:
    head = _registry_member(world, world.home_ids[0])
    analyst = world.access["province_analyst"]
    assert analyst.search_households(query=head["nik"]).height == 0
    assert analyst.search_households(query=head["name"]).height == 0
    officer = world.access["district_officer"]
    assert world.home_ids[0] in officer.search_households(query=head["nik"])["household_id"].to_list()


def test_public_sees_no_household(world: World) -> None:
    public = world.access["public"]
    with pytest.raises(PermissionDeniedError):
        public.search_households()
    with pytest.raises(PermissionDeniedError):
        public.household(world.home_ids[0])


def test_reads_are_audited_without_personal_data(world: World) -> None:
    officer = world.access["district_officer"]
    head = _registry_member(world, world.home_ids[0])
    officer.search_households(query=head["nik"])
    officer.household(world.home_ids[0])
    officer.by_name_list(area=world.village)
    log = world.access["admin"].audit_log(household_id=world.home_ids[0])
    actions = log.filter(pl.col("actor") == "district_officer")["action"].to_list()
    assert {"household.search", "household.read", "household.list"} <= set(actions)
    text = log.write_csv()
    assert head["nik"] not in text and head["name"] not in text
    assert "nik" in [json.loads(detail).get("query_kind") for detail in log["detail"]]
