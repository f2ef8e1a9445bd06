"""Interventions: idempotent on the key (also under concurrent posts), status transitions, household status."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pytest
from ops_world import World
from sqlalchemy import func, select

from entas.errors import ConflictError, NotFoundError, OpsError, PermissionDeniedError
from entas.ops import InterventionRequest
from entas.ops.models import Intervention

DAY = dt.date(2025, 3, 10)


def _request(world: World, key: str, amount: int = 250_000, i: int = 0) -> InterventionRequest:
    return InterventionRequest(key, world.home_ids[i % 3], "rumah_layak_huni_csr", stakeholder="ID-CSR-A",
                               delivered_on=DAY, amount_rp=amount, evidence="foto serah terima")


def test_same_key_same_content_returns_the_stored_row(world: World) -> None:
    officer = world.access["district_officer"]
    first = officer.record_intervention(_request(world, "csr-a/2025/001"))
    again = officer.record_intervention(_request(world, "csr-a/2025/001"))
    assert first.created and not again.created
    assert again.intervention["id"] == first.intervention["id"]
    assert officer.interventions().height == 1


def test_same_key_other_content_is_a_conflict(world: World) -> None:
    officer = world.access["district_officer"]
    officer.record_intervention(_request(world, "csr-a/2025/002"))
    with pytest.raises(ConflictError, match="already used"):
        officer.record_intervention(_request(world, "csr-a/2025/002", amount=999))
    assert officer.interventions()["amount_rp"].to_list() == [250_000]


def test_concurrent_posts_with_retries_store_each_key_exactly_once(world: World) -> None:
    """8 clients post 40 keys each, every key twice and in different orders: each key stored once."""
    officer = world.access["district_officer"]
    keys = [f"batch/{n:03d}" for n in range(40)]

    def client(seed: int) -> list[tuple[str, int]]:
        order = keys[seed:] + keys[:seed]
        out = []
        for key in order + order[::-1]:
            recorded = officer.record_intervention(_request(world, key, i=int(key[-3:])))
            out.append((key, int(recorded.intervention["id"])))
        return out

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [pair for batch in pool.map(client, range(8)) for pair in batch]
    with world.store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Intervention)) == len(keys)
    ids = pl.DataFrame(results, schema=["key", "id"], orient="row").unique()
    assert ids.height == len(keys)  # every client saw the same row for a key


def test_status_moves_only_along_the_allowed_transitions(world: World) -> None:
    officer = world.access["village_officer"]
    planned = officer.record_intervention(InterventionRequest(
        "t/1", world.home_ids[0], "pkh", stakeholder="ID-KMD-64.02-DINSOS", status="planned"))
    pid = int(planned.intervention["id"])
    with pytest.raises(ConflictError, match="cannot become verified"):
        officer.set_intervention_status(pid, "verified")
    with pytest.raises(OpsError, match="delivery date"):
        officer.set_intervention_status(pid, "delivered")
    assert officer.set_intervention_status(pid, "delivered", delivered_on=DAY)["status"] == "delivered"
    assert officer.set_intervention_status(pid, "verified")["status"] == "verified"
    for final in ("delivered", "cancelled", "planned"):
        with pytest.raises(ConflictError, match="none, final"):
            officer.set_intervention_status(pid, final)
    with pytest.raises(OpsError, match="planned or delivered"):
        officer.record_intervention(InterventionRequest("t/2", world.home_ids[0], "pkh",
                                                        stakeholder="ID-CSR-A", status="verified"))
    with pytest.raises(OpsError, match="future"):
        officer.record_intervention(InterventionRequest("t/3", world.home_ids[0], "pkh", stakeholder="ID-CSR-A",
                                                        delivered_on=dt.date.today() + dt.timedelta(days=2)))


def test_partner_records_for_itself_and_cannot_verify(world: World) -> None:
    partner = world.access["partner"]
    own = partner.record_intervention(_request(world, "p/1"))
    assert own.intervention["stakeholder"] == "ID-CSR-A"
    with pytest.raises(PermissionDeniedError):
        partner.set_intervention_status(int(own.intervention["id"]), "verified")
    with pytest.raises(PermissionDeniedError, match="own stakeholder"):
        partner.record_intervention(InterventionRequest("p/2", world.home_ids[0], "pkh", stakeholder="ID-CSR-B",
                                                        delivered_on=DAY))
    other = world.access["district_officer"].record_intervention(InterventionRequest(
        "p/3", world.home_ids[0], "pkh", stakeholder="ID-CSR-B", delivered_on=DAY))
    with pytest.raises(NotFoundError):  # another stakeholder's delivery, on its own household
        partner.set_intervention_status(int(other.intervention["id"]), "cancelled")
    with pytest.raises(NotFoundError):  # a household not assigned to it
        partner.record_intervention(InterventionRequest("p/4", world.home_ids[4], "pkh", delivered_on=DAY))
    with pytest.raises(PermissionDeniedError):
        world.access["province_analyst"].record_intervention(_request(world, "p/5"))


def test_household_status_keeps_its_history(world: World) -> None:
    officer = world.access["district_officer"]
    household_id = world.home_ids[1]
    officer.set_household_status(household_id, "verified", since=dt.date(2025, 1, 5))
    officer.set_household_status(household_id, "graduated", since=dt.date(2025, 6, 1), note="usaha berjalan")
    detail = officer.household(household_id)
    assert detail.status is not None and detail.status["status"] == "graduated"
    assert detail.history.select("previous_status", "status").rows() == [(None, "verified"), ("verified", "graduated")]
    with pytest.raises(OpsError, match="unknown"):
        officer.set_household_status(household_id, "rich")
    with pytest.raises(PermissionDeniedError):
        world.access["partner"].set_household_status(world.home_ids[0], "moved")
