"""The cross-area probe: EVERY route of the app, as every scoped role, aimed at another district's households,
interventions and plan items, must give nothing -- 401/403/404, an empty result, or (public aggregates) counts
only -- and must change nothing.

The routes come from the app itself (``entas.api.app.api_routes``): a route added without a probe here fails
``test_every_route_has_a_probe``, so a new endpoint cannot slip past the probe.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import polars as pl
import pytest
from api_world import Api
from ops_world import OTHER_DISTRICT, plan_frame

from entas.api.app import api_routes
from entas.ops import InterventionRequest
from entas.ops.accounts import list_stakeholders, list_users

SCOPED_ROLES = ("district_officer", "village_officer", "partner", "public")
HOUSEHOLD_ID = re.compile(r"\d{10}-\d{6}")
STATIC = {("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect")}


@dataclass
class Target:
    """Another district's ids, seeded by the admin."""

    household: str
    households: list[str]
    intervention: int


Call = Callable[[Api, dict[str, str], Target], httpx.Response]
Check = Callable[[httpx.Response, Target, str], None]


def nothing(response: httpx.Response, target: Target, role: str) -> None:
    """Refused, or answered without any id or area of the other district."""
    assert response.status_code in (200, 401, 403, 404), response.text
    if response.status_code == 200:
        text = response.text
        assert not any(h in text for h in target.households), text[:300]
        assert f'"{OTHER_DISTRICT}' not in text, text[:300]


def refused(response: httpx.Response, target: Target, role: str) -> None:
    assert response.status_code in (401, 403, 404), (response.status_code, response.text)


def counts_only(response: httpx.Response, target: Target, role: str) -> None:
    assert response.status_code == 200
    assert HOUSEHOLD_ID.search(response.text) is None


def all_rejected(response: httpx.Response, target: Target, role: str) -> None:
    if role == "public":
        return refused(response, target, role)
    body = response.json()
    assert (body["stored"], body["duplicate"]) == (0, 0), body
    assert {r["rule"] for r in body["rejects"]} == {"unknown_household"}, body


def assigned_none(response: httpx.Response, target: Target, role: str) -> None:
    if response.status_code == 200:
        assert response.json() == {"assigned": 0}
    else:
        refused(response, target, role)


def wrong_password(response: httpx.Response, target: Target, role: str) -> None:
    assert response.status_code == 401


def _report(target: Target) -> dict[str, Any]:
    frame = pl.DataFrame({"household_id": target.households[:3], "program": ["pkh"] * 3,
                          "stakeholder": ["ID-CSR-A"] * 3, "delivered_on": ["2025-05-01"] * 3})
    return {"file": ("probe.csv", frame.write_csv().encode(), "text/csv")}


def _plan(api: Api, target: Target) -> dict[str, Any]:
    rows = pl.DataFrame({"household_id": target.households[:2],
                         "village_code": [api.world.store.village_of(h) for h in target.households[:2]]})
    return {"file": ("plan.csv", plan_frame(rows, plan_id="probe-plan").write_csv().encode(), "text/csv")}


V1 = "/api/v1"
PROBES: dict[tuple[str, str], list[tuple[Call, Check]]] = {
    ("POST", f"{V1}/auth/token"): [(lambda a, h, t: a.client.post(f"{V1}/auth/token", data={
        "username": "district_officer", "password": "guess"}), wrong_password)],
    ("GET", f"{V1}/auth/me"): [(lambda a, h, t: a.client.get(f"{V1}/auth/me", headers=h), nothing)],
    ("GET", f"{V1}/households"): [
        (lambda a, h, t: a.client.get(f"{V1}/households", headers=h, params={"area": OTHER_DISTRICT}), nothing),
        (lambda a, h, t: a.client.get(f"{V1}/households", headers=h, params={"q": t.household}), nothing),
        (lambda a, h, t: a.client.get(f"{V1}/households", headers=h, params={"limit": 1000}), nothing)],
    ("GET", f"{V1}/households/{{household_id}}"): [
        (lambda a, h, t: a.client.get(f"{V1}/households/{t.household}", headers=h), refused)],
    ("PUT", f"{V1}/households/{{household_id}}/status"): [
        (lambda a, h, t: a.client.put(f"{V1}/households/{t.household}/status", headers=h,
                                      json={"status": "moved"}), refused)],
    ("GET", f"{V1}/by-name-lists"): [
        (lambda a, h, t: a.client.get(f"{V1}/by-name-lists", headers=h, params={"area": OTHER_DISTRICT}), nothing),
        (lambda a, h, t: a.client.get(f"{V1}/by-name-lists", headers=h, params={"plan_id": "plan-2025"}), nothing)],
    ("POST", f"{V1}/plans/import"): [
        (lambda a, h, t: a.client.post(f"{V1}/plans/import", headers=h, files=_plan(a, t)), refused)],
    ("POST", f"{V1}/plans/import-snapshot"): [
        (lambda a, h, t: a.client.post(f"{V1}/plans/import-snapshot", headers=h, json={}), refused)],
    ("POST", f"{V1}/plans/assign"): [
        (lambda a, h, t: a.client.post(f"{V1}/plans/assign", headers=h, json={
            "stakeholder": "ID-CSR-B", "area": OTHER_DISTRICT, "reassign": True}), assigned_none),
        (lambda a, h, t: a.client.post(f"{V1}/plans/assign", headers=h, json={
            "stakeholder": "ID-CSR-B", "plan_id": "plan-2025", "reassign": True}), nothing)],
    ("POST", f"{V1}/interventions"): [
        (lambda a, h, t: a.client.post(f"{V1}/interventions", headers=h, json={
            "idempotency_key": "probe", "household_id": t.household, "program": "pkh",
            "stakeholder": "ID-CSR-A", "delivered_on": "2025-05-01"}), refused),
        (lambda a, h, t: a.client.post(f"{V1}/interventions", headers=h, json={  # the seeded key, same content
            "idempotency_key": "other-1", "household_id": t.household, "program": "pkh",
            "stakeholder": "ID-CSR-A", "delivered_on": "2025-02-01"}), lambda r, t, role: (
                refused(r, t, role) if r.status_code != 409 else None))],
    ("PATCH", f"{V1}/interventions/{{intervention_id}}"): [
        (lambda a, h, t: a.client.patch(f"{V1}/interventions/{t.intervention}", headers=h,
                                        json={"status": "cancelled"}), refused)],
    ("GET", f"{V1}/interventions"): [
        (lambda a, h, t: a.client.get(f"{V1}/interventions", headers=h, params={"household_id": t.household}),
         nothing),
        (lambda a, h, t: a.client.get(f"{V1}/interventions", headers=h, params={"area": OTHER_DISTRICT}), nothing),
        (lambda a, h, t: a.client.get(f"{V1}/interventions", headers=h), nothing)],
    ("POST", f"{V1}/deliveries/import"): [
        (lambda a, h, t: a.client.post(f"{V1}/deliveries/import", headers=h, files=_report(t)), all_rejected)],
    ("GET", f"{V1}/monitoring/coverage"): [
        (lambda a, h, t: a.client.get(f"{V1}/monitoring/coverage", headers=h, params={"level": "village"}), nothing)],
    ("GET", f"{V1}/monitoring/untouched"): [
        (lambda a, h, t: a.client.get(f"{V1}/monitoring/untouched", headers=h), nothing)],
    ("GET", f"{V1}/monitoring/duplicates"): [
        (lambda a, h, t: a.client.get(f"{V1}/monitoring/duplicates", headers=h, params={"period": "year"}), nothing)],
    ("GET", f"{V1}/monitoring/graduation"): [
        (lambda a, h, t: a.client.get(f"{V1}/monitoring/graduation", headers=h, params={"level": "village"}),
         nothing)],
    ("GET", f"{V1}/monitoring/progress"): [
        (lambda a, h, t: a.client.get(f"{V1}/monitoring/progress", headers=h, params={"level": "district"}),
         nothing)],
    ("GET", f"{V1}/monitoring/household-statuses"): [
        (lambda a, h, t: a.client.get(f"{V1}/monitoring/household-statuses", headers=h,
                                      params={"area": OTHER_DISTRICT}), nothing),
        (lambda a, h, t: a.client.get(f"{V1}/monitoring/household-statuses", headers=h), nothing)],
    ("GET", f"{V1}/public/aggregates"): [
        (lambda a, h, t: a.client.get(f"{V1}/public/aggregates", headers=h, params={"level": "village"}),
         counts_only)],
    ("GET", f"{V1}/stakeholders"): [(lambda a, h, t: a.client.get(f"{V1}/stakeholders", headers=h), nothing)],
    ("POST", f"{V1}/stakeholders"): [
        (lambda a, h, t: a.client.post(f"{V1}/stakeholders", headers=h, json={
            "identifier": "probe", "name": "Probe", "kind": "ngo", "funder_type": "other"}), refused)],
    ("GET", f"{V1}/users"): [(lambda a, h, t: a.client.get(f"{V1}/users", headers=h), refused)],
    ("POST", f"{V1}/users"): [
        (lambda a, h, t: a.client.post(f"{V1}/users", headers=h, json={
            "name": "probe", "password": "long enough password", "role": "admin"}), refused)],
    ("PATCH", f"{V1}/users/{{user_name}}"): [
        (lambda a, h, t: a.client.patch(f"{V1}/users/district_officer", headers=h, json={"active": False}),
         refused)],
    ("GET", f"{V1}/audit"): [
        (lambda a, h, t: a.client.get(f"{V1}/audit", headers=h, params={"household_id": t.household}), refused)],
    ("GET", f"{V1}/health"): [(lambda a, h, t: a.client.get(f"{V1}/health", headers=h), nothing)],
}


def _seed(api: Api) -> Target:
    """The admin records two deliveries and a status on a household of the other district."""
    admin = api.world.access["admin"]
    other = api.world.other_ids[0]
    for key, stakeholder in (("other-1", "ID-CSR-A"), ("other-2", "ID-CSR-B")):
        recorded = admin.record_intervention(InterventionRequest(
            key, other, "pkh", stakeholder=stakeholder, delivered_on=dt.date(2025, 2, 1)))
    admin.set_household_status(other, "verified")
    return Target(household=other, households=api.world.other_ids, intervention=int(recorded.intervention["id"]))


def _state(api: Api) -> tuple[Any, ...]:
    """What a probe could change in the other district (interventions, statuses, plan items), users, stakeholders."""
    admin = api.world.access["admin"]
    others = pl.col("household_id").is_in(api.world.other_ids)
    interventions = admin.interventions().filter(others).select("id", "status", "updated_at").rows()
    statuses = admin.household_statuses().filter(others).rows()
    items = admin.by_name_list().filter(others).select("plan_item_id", "plan_id", "stakeholder").rows()
    plans = admin.by_name_list()["plan_id"].unique().sort().to_list()
    return (interventions, statuses, items, plans, list_users(admin).rows(), list_stakeholders(admin).rows())


def test_every_route_has_a_probe(api: Api) -> None:
    routes = {(method, route.path) for route in api_routes(api.app) for method in route.methods}
    assert routes - STATIC == set(PROBES), "write a probe for each new route (and drop the ones removed)"
    spec = api.client.get("/openapi.json").json()["paths"]
    assert {(m.upper(), p) for p, ops in spec.items() for m in ops} == set(PROBES)


@pytest.mark.parametrize("role", SCOPED_ROLES)
def test_no_route_reaches_another_area(api: Api, role: str) -> None:
    target = _seed(api)
    before = _state(api)
    headers = api.headers[role]
    for (method, path), probes in PROBES.items():
        for number, (call, check) in enumerate(probes):
            response = call(api, headers, target)
            try:
                check(response, target, role)
            except AssertionError as error:
                raise AssertionError(f"{role} {method} {path} probe {number}: {error}") from None
    assert _state(api) == before, f"{role}: a probe changed the ledger"
