"""HTTP API under load: p50/p99 latency and writes per second at 200 concurrent clients, on PostgreSQL.

Builds a synthetic registry (East Kalimantan, ``--scale``) in a temporary home, migrates the database, adds
stakeholders and a district officer, starts ``entas serve`` (``--workers``) on a free loopback port, and runs
``--clients`` asyncio clients (httpx2) for ``--seconds``: ``write`` posts new interventions only; ``mixed``
posts one in three and otherwise searches households of the district or lists a household's interventions.
Without ``--database-url`` it starts a throwaway PostgreSQL cluster as ``.ci/run`` does (Debian package,
run as the ``postgres`` user, fsync off) and removes it afterwards.

The load generator runs on the same machine as the server and the database: on a 2-core machine the three
compete for the cores, so the figures are a floor, not the server's capacity. The load average is printed.

    .venv/bin/python benchmarks/bench_api.py --mode write --seconds 30
    .venv/bin/python benchmarks/bench_api.py --mode mixed --seconds 30 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx
import numpy as np
import polars as pl

SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
ENTAS = str(Path(sys.executable).with_name("entas"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_postgres(folder: Path) -> tuple[str, list[str]]:
    """A throwaway cluster under ``folder``: its URL and the command that stops it."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bins:
        raise SystemExit("no PostgreSQL under /usr/lib/postgresql: apt-get install postgresql, or pass --database-url")
    pg, port = bins[-1], free_port()
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_pg:
        shutil.chown(folder, "postgres")
    subprocess.run([*as_pg, str(pg / "initdb"), "-D", str(folder / "data"), "-U", "entas", "-A", "trust",
                    "--no-sync"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*as_pg, str(pg / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "log"), "-w", "-o",
                    f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=300",
                    "start"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*as_pg, str(pg / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "entas", "bench"],
                   check=True)
    stop = [*as_pg, str(pg / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "-w", "stop"]
    return f"postgresql+psycopg://entas@127.0.0.1:{port}/bench", stop


def prepare(home: Path, url: str, scale: float) -> tuple[list[str], dict[str, str]]:
    """Registry snapshot, migrated database, stakeholders, users; the district's households and a token."""
    from entas.api.auth import TokenService
    from entas.ops import OpsStore, Principal
    from entas.ops.accounts import add_stakeholder, add_user, principal_of
    from entas.ops.database import open_engine, upgrade
    from entas.registry.snapshots import SnapshotStore
    from entas.synth import generate

    province = generate("64", 2024, scale=scale, seed=5)
    SnapshotStore(home).commit("registry", {"households": province.households, "members": province.members},
                               manifest_extra={"mode": "replace"})
    engine = open_engine(url)
    upgrade(engine)
    store = OpsStore(engine, home)
    admin = store.access(Principal.local_admin("bench"))
    add_stakeholder(admin, "ID-CSR-A", "PT Contoh", "company", "csr")
    add_user(admin, "officer", "bench password 1234", "district_officer", areas=["64.02"])
    token, _ = TokenService(SECRET, minutes=120).issue(principal_of(store, "officer"))
    ids = province.households.filter(pl.col("village_code").str.starts_with("64.02."))["household_id"].to_list()
    engine.dispose()
    return ids, {"Authorization": f"Bearer {token}"}


async def load(base: str, headers: dict[str, str], ids: list[str], *, clients: int, seconds: float,
               mode: str) -> dict[str, list[float]]:
    """Run the clients; latencies (ms) per kind of request, and failures."""
    results: dict[str, list[float]] = {"write": [], "read": [], "failed": []}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    stop_at = time.monotonic() + seconds

    async def client(number: int) -> None:
        rng = random.Random(number)
        sequence = 0
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60, limits=limits) as http:
            while time.monotonic() < stop_at:
                write = mode == "write" or rng.random() < 1 / 3
                household = ids[rng.randrange(len(ids))]
                started = time.perf_counter()
                try:
                    if write:
                        sequence += 1
                        response = await http.post("/api/v1/interventions", json={
                            "idempotency_key": f"bench-{number}-{sequence}", "household_id": household,
                            "program": "pkh", "stakeholder": "ID-CSR-A", "delivered_on": "2025-06-01",
                            "amount_rp": 750_000})
                    elif rng.random() < 0.5:
                        response = await http.get("/api/v1/households", params={"area": household[:2] + "." +
                                                                                  household[2:4], "limit": 20})
                    else:
                        response = await http.get("/api/v1/interventions", params={"household_id": household})
                    ok = response.status_code in (200, 201)
                except httpx.TransportError:
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                results["write" if write else "read"].append(elapsed) if ok else results["failed"].append(elapsed)

    await asyncio.gather(*(client(n) for n in range(clients)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: a throwaway cluster)")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--mode", choices=("write", "mixed"), default="write")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--scale", type=float, default=0.01)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="entas-bench-api-"))
    stop: list[str] | None = None
    pg_folder: Path | None = None
    server: subprocess.Popen[bytes] | None = None
    try:
        url = args.database_url
        if url is None:
            pg_folder = Path(tempfile.mkdtemp(prefix="entas-bench-pg-"))  # its own: the scratch is private to us
            url, stop = start_postgres(pg_folder)
        home = scratch / "home"
        ids, headers = prepare(home, url, args.scale)
        port = free_port()
        log = (scratch / "server.log").open("wb")
        server = subprocess.Popen([ENTAS, "serve", "--port", str(port), "--home", str(home), "--database-url", url,
                                   "--workers", str(args.workers), "--log-level", "warning"],
                                  env={**os.environ, "ENTAS_SECRET_KEY": SECRET}, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        results = asyncio.run(load(base, headers, ids, clients=args.clients, seconds=args.seconds, mode=args.mode))
        wall = time.monotonic() - started
        everything = np.array(results["write"] + results["read"])
        writes = np.array(results["write"])
        row = {
            "mode": args.mode, "workers": args.workers, "clients": args.clients, "seconds": round(wall, 1),
            "requests": int(everything.size), "writes": int(writes.size), "failed": len(results["failed"]),
            "writes_per_s": round(writes.size / wall, 1), "requests_per_s": round(everything.size / wall, 1),
            "p50_ms": round(float(np.percentile(everything, 50)), 1),
            "p99_ms": round(float(np.percentile(everything, 99)), 1),
            "write_p50_ms": round(float(np.percentile(writes, 50)), 1) if writes.size else None,
            "write_p99_ms": round(float(np.percentile(writes, 99)), 1) if writes.size else None,
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
        }
        print(" | ".join(f"{k}={v}" for k, v in row.items()))
        print("| " + " | ".join(str(v) for v in row.values()) + " |")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if stop is not None:
            subprocess.run(stop, check=False, stdout=subprocess.DEVNULL)
        if pg_folder is not None:
            shutil.rmtree(pg_folder, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
