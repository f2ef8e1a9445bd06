"""Reliability on a real server process (``entas serve`` on loopback, against the test database):

- 200 concurrent clients post interventions with retries and keys sent twice or shared between clients:
  every intended intervention is stored exactly once, and no request ends in a server error;
- a server killed with SIGKILL in the middle of a run of bulk delivery imports loses no acknowledged batch
  and leaves no partial batch: after a restart each batch is there whole or not at all.

Both run on SQLite, and on PostgreSQL when ``ENTAS_TEST_DATABASE_URL`` is set. Bounded (~20-40 s each).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from pathlib import Path

import httpx2 as httpx
import polars as pl
from api_world import SECRET
from ops_world import HOME_DISTRICT, World, households
from served import served, server_url

from entas.api.auth import TokenService
from entas.ops.accounts import principal_of

CLIENTS = 200
V1 = "/api/v1"


def _bearer(world: World, user: str) -> dict[str, str]:
    token, _ = TokenService(SECRET, minutes=30).issue(principal_of(world.store, user))
    return {"Authorization": f"Bearer {token}"}


def _keys(world: World) -> Counter[str]:
    frame = world.access["admin"].interventions()
    return Counter(frame["idempotency_key"].to_list())


async def _post_with_retries(client: httpx.AsyncClient, body: dict[str, object], outcomes: Counter[str]) -> None:
    for attempt in range(8):
        try:
            response = await client.post(f"{V1}/interventions", json=body)
        except httpx.TransportError:
            outcomes["transport_error"] += 1
            await asyncio.sleep(0.05 * (attempt + 1))
            continue
        outcomes[str(response.status_code)] += 1
        if response.status_code in (200, 201):
            return
        if response.status_code < 500:
            raise AssertionError(f"{response.status_code}: {response.text}")
        await asyncio.sleep(0.05 * (attempt + 1))
    raise AssertionError(f"gave up on {body['idempotency_key']}")


async def _clients(base: str, headers: dict[str, str], ids: list[str]) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async def one(number: int) -> None:
        rng = random.Random(number)
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120, limits=limits) as client:
            bodies = [{"idempotency_key": f"c{number}-{j}", "household_id": ids[(number + j) % len(ids)],
                       "program": "pkh", "stakeholder": "ID-CSR-A", "delivered_on": "2025-06-01",
                       "amount_rp": 1000 * number + j} for j in range(1)]
            shared = number % 20  # twenty keys posted by ten clients each, with the same content
            bodies.append({"idempotency_key": f"shared-{shared}", "household_id": ids[shared % len(ids)],
                           "program": "sembako", "stakeholder": "ID-CSR-B", "delivered_on": "2025-06-02"})
            sends = [*bodies, bodies[rng.randrange(len(bodies))]]  # a client-side retry of one of them
            rng.shuffle(sends)
            for body in sends:
                await _post_with_retries(client, body, outcomes)

    await asyncio.gather(*(one(n) for n in range(CLIENTS)))
    return outcomes


def test_200_concurrent_clients_store_each_intervention_once(world: World, registry_home: Path,
                                                             tmp_path: Path) -> None:
    ids = households(registry_home, HOME_DISTRICT, 40)["household_id"].to_list()
    headers = _bearer(world, "district_officer")
    with served(registry_home, server_url(world.store.engine), tmp_path / "server.log") as server:
        started = time.monotonic()
        outcomes = asyncio.run(_clients(server.base, headers, ids))
        seconds = time.monotonic() - started
    stored = _keys(world)
    intended = {f"c{n}-0" for n in range(CLIENTS)} | {f"shared-{s}" for s in range(20)}
    assert set(stored) == intended
    assert max(stored.values()) == 1
    assert not any(code.startswith("5") for code in outcomes), outcomes
    assert outcomes["201"] == len(intended), outcomes  # created exactly once each; every other send answered 200
    print(f"{sum(outcomes.values())} requests by {CLIENTS} clients in {seconds:.1f} s: {dict(outcomes)}")


def _batch(number: int, ids: list[str], rows: int) -> bytes:
    frame = pl.DataFrame({
        "household_id": [ids[i % len(ids)] for i in range(rows)], "program": ["pkh"] * rows,
        "stakeholder": ["ID-CSR-A"] * rows, "delivered_on": ["2025-07-01"] * rows,
        "amount_rp": [str(100 + i) for i in range(rows)], "idempotency_key": [f"b{number}-{i}" for i in range(rows)]})
    return frame.write_csv().encode()


def test_a_killed_server_loses_no_acknowledged_batch_and_leaves_no_partial_one(
        world: World, registry_home: Path, tmp_path: Path) -> None:
    ids = households(registry_home, HOME_DISTRICT, 40)["household_id"].to_list()
    headers = _bearer(world, "district_officer")
    rows = 3000
    batches = [_batch(n, ids, rows) for n in range(40)]
    acknowledged: list[int] = []
    sent: list[int] = []
    url = server_url(world.store.engine)
    with served(registry_home, url, tmp_path / "server.log") as server:
        def upload() -> None:
            with httpx.Client(base_url=server.base, headers=headers, timeout=120) as client:
                for number, body in enumerate(batches):
                    sent.append(number)
                    try:
                        response = client.post(f"{V1}/deliveries/import",
                                               files={"file": (f"batch-{number}.csv", body, "text/csv")})
                    except httpx.TransportError:
                        return
                    assert response.status_code == 200, response.text
                    assert response.json()["stored"] == rows
                    acknowledged.append(number)

        worker = threading.Thread(target=upload)
        worker.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(random.Random(7).uniform(0.05, 0.4))  # somewhere inside the next batch
        server.kill()
        worker.join(timeout=60)
    assert len(acknowledged) >= 2, "the server acknowledged too few batches before the kill"
    with served(registry_home, url, tmp_path / "server.log") as server:  # the restart
        analyst = _bearer(world, "province_analyst")
        listed = httpx.get(f"{server.base}{V1}/interventions", headers=analyst, params={"limit": 100_000},
                           timeout=120).json()["interventions"]
    per_batch = Counter(i["idempotency_key"].split("-")[0] for i in listed)
    for number in acknowledged:
        assert per_batch[f"b{number}"] == rows, f"acknowledged batch {number} lost rows"
    assert all(count == rows for count in per_batch.values()), f"a partial batch: {per_batch}"
    assert set(per_batch) <= {f"b{n}" for n in sent}
    print(f"acknowledged {len(acknowledged)} batches, stored {len(per_batch)}, in flight at the kill: "
          f"{sorted(set(sent) - set(acknowledged))}")
