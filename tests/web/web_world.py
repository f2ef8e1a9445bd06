"""A small province with every snapshot and a ledger, the app (API + dashboard) serving it on loopback, and a
browser page that records what it loads (``Visit``).

``build_home`` runs what a user runs (``entas demo`` at scale 0.01, target fit and score, pockets, plan,
simulate); ``seed_ledger`` migrates the SQLite operations store and adds stakeholders, users of several roles
(two district officers: Paser 64.01 and Kutai Kartanegara 64.02), the current plan, and a few delivered
interventions to extreme-poor households of Kutai Kartanegara (one served twice in one quarter: a duplicate).
``serve`` runs uvicorn in a thread on a free port of 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

from entas.api import create_app
from entas.cli import app as cli
from entas.demo import run_demo
from entas.ledger import extreme_poor
from entas.ledger.plans import import_plan_snapshot
from entas.ops import InterventionRequest, OpsStore, Principal
from entas.ops.accounts import add_stakeholder, add_user, principal_of
from entas.ops.database import open_engine, upgrade
from entas.registry.snapshots import SnapshotStore

SECRET = "web-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD = "correct horse battery"
PASER, KUKAR = "64.01", "64.02"
USERS: dict[str, dict[str, object]] = {
    "analis": {"role": "province_analyst"},
    "petugas_paser": {"role": "district_officer", "areas": [PASER]},
    "petugas_kukar": {"role": "district_officer", "areas": [KUKAR]},
    "warga": {"role": "public"},
}


def build_home(folder: Path) -> Path:
    """demo (scale 0.01) -> target fit/score -> pockets -> plan -> simulate, as a user runs them (~40 s)."""
    run_demo(folder, scale=0.01, seed=4)
    runner = CliRunner()
    for command in (["target", "fit", "--selection", "none"], ["target", "score"],
                    ["pockets", "--bootstrap", "2", "--permutations", "99"], ["plan"],
                    ["simulate", "--draws", "5"]):
        result = runner.invoke(cli, [*command, "--home", str(folder), "--format", "csv"])
        assert result.exit_code == 0, (command, result.output)
    return folder


@dataclass(frozen=True)
class Ledger:
    """Households the tests open: one in each officer's district, and the duplicate one."""

    paser_household: str
    kukar_household: str  # reached by a program
    duplicate_household: str  # reached twice in one quarter
    untouched_household: str  # extreme poor, not reached


def _first_households(home: Path, district: str, n: int) -> list[str]:
    households = SnapshotStore(home).read("registry", "households")
    chosen = households.filter(pl.col("village_code").str.starts_with(f"{district}.")).sort("household_id").head(n)
    return [str(h) for h in chosen["household_id"]]


def seed_ledger(home: Path) -> Ledger:
    """Migrate ``home/ops.sqlite`` and add users, stakeholders, the plan and some deliveries."""
    engine = open_engine(f"sqlite:///{home / 'ops.sqlite'}")
    upgrade(engine)
    store = OpsStore(engine, home)
    admin = store.access(Principal.local_admin())
    add_stakeholder(admin, "ID-KMD-64.02-DINSOS", "Dinas Sosial Kutai Kartanegara", "government_agency",
                    "district_budget")
    add_stakeholder(admin, "ID-CSR-A", "PT Contoh Tambang", "company", "csr")
    for name, spec in USERS.items():
        add_user(admin, name, PASSWORD, str(spec["role"]), areas=[str(a) for a in spec.get("areas", [])])
    import_plan_snapshot(admin)
    poor = extreme_poor(store).households.filter(pl.col("village_code").str.starts_with(f"{KUKAR}."))
    served = sorted(poor["household_id"].to_list())[:3]
    assert len(served) == 3, "the test province needs extreme-poor households in Kutai Kartanegara"
    officer = store.access(principal_of(store, "petugas_kukar"))
    day = dt.date.today() - dt.timedelta(days=1)
    for number, household in enumerate(served[:2]):
        officer.record_intervention(InterventionRequest(
            idempotency_key=f"web-{number}", household_id=household, program="pkh",
            stakeholder="ID-KMD-64.02-DINSOS", delivered_on=day, amount_rp=750_000))
    officer.record_intervention(InterventionRequest(  # the same program by another stakeholder: a duplicate
        idempotency_key="web-dup", household_id=served[0], program="pkh", stakeholder="ID-CSR-A",
        delivered_on=day, amount_rp=750_000))
    engine.dispose()
    return Ledger(paser_household=_first_households(home, PASER, 1)[0], kukar_household=served[1],
                  duplicate_household=served[0], untouched_household=served[2])


def web_app(home: Path) -> FastAPI:
    """The API app over ``home``, as ``entas serve`` builds it (the dashboard included by ``create_app``)."""
    return create_app(home=home, secret_key=SECRET)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread on a free loopback port; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@dataclass(frozen=True)
class World:
    home: Path
    ledger: Ledger


@dataclass
class Visit:
    """A browser page that records every request, failed request, HTTP error and console error."""

    page: Any
    base: str
    shots: Path
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("requestfailed", lambda request: self.failed.append(f"{request.url} {request.failure}"))
        self.page.on("response", lambda response: self.failed.append(f"{response.status} {response.url}")
                     if response.status >= 400 else None)
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, path: str) -> Any:
        """Go to ``path`` and wait until its charts are drawn (``web.js`` sets ``chartsReady``)."""
        response = self.page.goto(self.base + path)
        self.ready()
        return response

    def ready(self) -> None:
        self.page.wait_for_load_state("load")
        self.page.wait_for_function("document.body.dataset.chartsReady !== undefined", timeout=60_000)
        assert self.page.evaluate("document.body.dataset.chartsReady") == "1", "a chart could not be drawn"

    def sign_in(self, user: str, password: str = PASSWORD) -> None:
        self.open("/login")
        self.page.fill("#username", user)
        self.page.fill("#password", password)
        with self.page.expect_navigation():
            self.page.click("#sign-in")
        self.ready()

    def charts(self) -> dict[str, int]:
        """SVG layers plotly.js drew per chart on the page (0: the div is empty)."""
        drawn = self.page.evaluate("Array.from(document.querySelectorAll('.chart')).map("
                                   "c => [c.id, c.querySelectorAll('svg.main-svg').length])")
        return {name: count for name, count in drawn}

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def assert_clean(self) -> None:
        """No console error, no failed request or HTTP error, and nothing requested from another origin."""
        assert self.errors == [], self.errors
        assert self.failed == [], self.failed
        assert all(url.startswith(self.base + "/") for url in self.requests), \
            [u for u in self.requests if not u.startswith(self.base + "/")]
