"""The ledger over HTTP: masking by role, partner scope, idempotent interventions, status changes, bulk reports,
plans (file and snapshot), assignment, monitoring and the public aggregates -- each through the access layer."""

from __future__ import annotations

import datetime as dt
import io
import shutil

import polars as pl
from api_world import Api
from ops_world import OTHER_DISTRICT, plan_frame

from entas.registry.snapshots import SnapshotStore

V1 = "/api/v1"


def _intervention(api: Api, key: str, household: str, **extra: object) -> dict[str, object]:
    return {"idempotency_key": key, "household_id": household, "program": "pkh", "stakeholder": "ID-CSR-A",
            "delivered_on": "2025-03-01", "amount_rp": 750_000, **extra}


def _csv(frame: pl.DataFrame) -> bytes:
    return frame.write_csv().encode()


def test_search_masks_nik_and_names_by_role(api: Api) -> None:
    household = api.world.home_ids[0]
    seen = {}
    for role in ("admin", "province_analyst", "district_officer", "partner"):
        response = api.client.get(f"{V1}/households", headers=api.headers[role], params={"q": household})
        assert response.status_code == 200, role
        [row] = response.json()["households"]
        seen[role] = row
    assert seen["admin"]["head_nik"] == seen["district_officer"]["head_nik"]
    assert len(seen["admin"]["head_nik"]) == 16 and "*" not in seen["admin"]["head_nik"]
    assert seen["province_analyst"]["head_nik"] == seen["admin"]["head_nik"][:4] + "*" * 10 + seen["admin"][
        "head_nik"][-2:]
    assert seen["partner"]["head_nik"] == seen["province_analyst"]["head_nik"]  # partners: names, masked NIK
    assert seen["partner"]["head_name"] == seen["admin"]["head_name"]
    initials = " ".join(f"{w[0]}." for w in seen["admin"]["head_name"].split())
    assert seen["province_analyst"]["head_name"] == initials


def test_nik_search_only_for_roles_that_see_niks(api: Api) -> None:
    nik = api.client.get(f"{V1}/households/{api.world.home_ids[0]}", headers=api.headers["admin"]).json()[
        "members"][0]["nik"]
    officer = api.client.get(f"{V1}/households", headers=api.headers["district_officer"], params={"q": nik})
    analyst = api.client.get(f"{V1}/households", headers=api.headers["province_analyst"], params={"q": nik})
    assert [h["household_id"] for h in officer.json()["households"]] == [api.world.home_ids[0]]
    assert analyst.json()["households"] == []


def test_partner_sees_only_its_assigned_households(api: Api) -> None:
    assigned = set(api.world.home_ids[:3])
    found = api.client.get(f"{V1}/households", headers=api.headers["partner"], params={"limit": 1000}).json()
    assert {h["household_id"] for h in found["households"]} == assigned
    not_assigned = api.client.get(f"{V1}/households/{api.world.home_ids[4]}", headers=api.headers["partner"])
    missing = api.client.get(f"{V1}/households/6402012001-999999", headers=api.headers["partner"])
    assert not_assigned.status_code == missing.status_code == 404
    assert not_assigned.json()["detail"].replace(api.world.home_ids[4], "X") == missing.json()["detail"].replace(
        "6402012001-999999", "X")


def test_detail_masks_members_for_a_province_analyst(api: Api) -> None:
    body = api.client.get(f"{V1}/households/{api.world.home_ids[0]}", headers=api.headers["province_analyst"]).json()
    assert body["household"]["address"] == "<redacted>"
    assert all("*" in m["nik"] for m in body["members"])
    assert {p["program"] for p in body["plan_items"]} == {"pkh", "rumah_layak_huni_csr"}


def test_intervention_is_idempotent_on_its_key(api: Api) -> None:
    body = _intervention(api, "api-key-1", api.world.home_ids[0])
    first = api.client.post(f"{V1}/interventions", headers=api.headers["district_officer"], json=body)
    again = api.client.post(f"{V1}/interventions", headers=api.headers["district_officer"], json=body)
    other = api.client.post(f"{V1}/interventions", headers=api.headers["district_officer"],
                            json={**body, "amount_rp": 800_000})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert first.json() == again.json()
    assert other.json() == {"detail": "idempotency key 'api-key-1' was already used for a different intervention"}
    listed = api.client.get(f"{V1}/interventions", headers=api.headers["admin"]).json()["interventions"]
    assert [i["idempotency_key"] for i in listed] == ["api-key-1"]


def test_intervention_status_moves_and_refuses_bad_transitions(api: Api) -> None:
    created = api.client.post(f"{V1}/interventions", headers=api.headers["partner"], json=_intervention(
        api, "api-key-2", api.world.home_ids[1], status="planned", delivered_on=None, stakeholder=None)).json()
    url = f"{V1}/interventions/{created['id']}"
    verify_by_partner = api.client.patch(url, headers=api.headers["partner"], json={"status": "verified"})
    assert verify_by_partner.status_code == 403
    no_date = api.client.patch(url, headers=api.headers["partner"], json={"status": "delivered"})
    assert no_date.status_code == 400 and "delivery date" in no_date.json()["detail"]
    delivered = api.client.patch(url, headers=api.headers["partner"],
                                 json={"status": "delivered", "delivered_on": "2025-04-01"})
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"
    verified = api.client.patch(url, headers=api.headers["district_officer"], json={"status": "verified"})
    assert verified.status_code == 200
    cancel = api.client.patch(url, headers=api.headers["admin"], json={"status": "cancelled"})
    assert cancel.status_code == 409 and "final" in cancel.json()["detail"]
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    late = api.client.post(f"{V1}/interventions", headers=api.headers["admin"],
                           json=_intervention(api, "api-key-3", api.world.home_ids[1], delivered_on=future))
    assert late.status_code == 400 and "future" in late.json()["detail"]


def test_bulk_delivery_report_counts_and_returns_rejects(api: Api) -> None:
    ids = api.world.home_ids
    report = pl.DataFrame({
        "id_keluarga": [ids[0], ids[1], ids[1], api.world.other_ids[0], ids[2]],
        "kode_program": ["pkh", "pkh", "pkh", "pkh", "no_such_program"],
        "pelaksana": ["ID-CSR-A"] * 5,
        "tanggal_salur": ["01/02/2025", "2025-02-02", "2025-02-02", "2025-02-03", "2025-02-04"],
        "nilai_rp": ["1.500.000", "200000", "200000", "100", "5"],
        "kunci": ["r1", "r2", "r2", "r3", "r4"],
    })
    files = {"file": ("laporan.csv", _csv(report), "text/csv")}
    first = api.client.post(f"{V1}/deliveries/import", headers=api.headers["district_officer"], files=files)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["read"], body["stored"], body["duplicate"], body["rejected"]) == (5, 2, 0, 3)
    assert {(r["row"], r["rule"]) for r in body["rejects"]} == {
        (4, "duplicate_key"), (5, "unknown_household"), (6, "unknown_program")}
    again = api.client.post(f"{V1}/deliveries/import", headers=api.headers["district_officer"], files=files).json()
    assert (again["stored"], again["duplicate"], again["rejected"]) == (0, 2, 3)
    wrong = api.client.post(f"{V1}/deliveries/import", headers=api.headers["district_officer"],
                            files={"file": ("laporan.pdf", b"%PDF", "application/pdf")})
    assert wrong.status_code == 400 and "laporan.pdf" in wrong.json()["detail"]


def test_plan_import_from_a_file_and_from_the_plan_snapshot(api: Api) -> None:
    rows = pl.DataFrame({"household_id": api.world.home_ids[:2],
                         "village_code": [api.world.store.village_of(h) for h in api.world.home_ids[:2]]})
    plan = plan_frame(rows, plan_id="plan-api", program="bpnt")
    buffer = io.BytesIO()
    plan.write_parquet(buffer)
    files = {"file": ("plan.parquet", buffer.getvalue(), "application/octet-stream")}
    refused = api.client.post(f"{V1}/plans/import", headers=api.headers["district_officer"], files=files)
    assert refused.status_code == 403
    imported = api.client.post(f"{V1}/plans/import", headers=api.headers["province_analyst"], files=files)
    assert imported.json() == {"plans": [{"plan_id": "plan-api", "items": 2, "created": True}], "items": 2}
    changed = plan.with_columns(cost_rp=pl.lit(1.0)).write_csv().encode()
    conflict = api.client.post(f"{V1}/plans/import", headers=api.headers["admin"],
                               files={"file": ("plan.csv", changed, "text/csv")})
    assert conflict.status_code == 409
    broken = api.client.post(f"{V1}/plans/import", headers=api.headers["admin"], files={
        "file": ("plan.csv", plan.drop("strategy").write_csv().encode(), "text/csv")})
    assert broken.status_code == 400 and "strategy" in broken.json()["detail"]

    none = api.client.post(f"{V1}/plans/import-snapshot", headers=api.headers["admin"], json={})
    assert none.status_code == 400 and "no plan snapshot" in none.json()["detail"]
    snapshots = SnapshotStore(api.world.store.home)
    output = plan.drop("plan_id", "district_code", "reason").with_columns(step=pl.lit(1))
    snapshot_id, _ = snapshots.commit("plan", {"assignments": output, "spend": pl.DataFrame({"level": ["x"]}),
                                               "least_budget": pl.DataFrame({"district_code": ["64.02"]})},
                                      manifest_extra={"mode": "analysis"})
    try:
        stored = api.client.post(f"{V1}/plans/import-snapshot", headers=api.headers["admin"], json={}).json()
        assert stored == {"plans": [{"plan_id": snapshot_id, "items": 2, "created": True}], "items": 2}
    finally:
        shutil.rmtree(snapshots.folder("plan"))  # the registry home is shared by the session


def test_assignment_stays_in_the_officers_scope(api: Api) -> None:
    body = {"stakeholder": "ID-CSR-B", "plan_id": "plan-2025"}
    assigned = api.client.post(f"{V1}/plans/assign", headers=api.headers["district_officer"], json=body)
    assert assigned.json() == {"assigned": 6}  # its district's six of the twelve
    listed = api.client.get(f"{V1}/by-name-lists", headers=api.headers["admin"],
                            params={"plan_id": "plan-2025"}).json()["rows"]
    owners = {r["household_id"]: r["stakeholder"] for r in listed}
    assert {owners[h] for h in api.world.home_ids} == {"ID-CSR-B"}
    assert {owners[h] for h in api.world.other_ids} == {None}
    refused = api.client.post(f"{V1}/plans/assign", headers=api.headers["village_officer"], json=body)
    assert refused.status_code == 403


def test_monitoring_counts_deliveries_in_scope(api: Api) -> None:
    for key, stakeholder in (("m1", "ID-CSR-A"), ("m2", "ID-CSR-B")):
        response = api.client.post(f"{V1}/interventions", headers=api.headers["admin"], json=_intervention(
            api, key, api.world.home_ids[0], stakeholder=stakeholder))
        assert response.status_code == 201
    duplicates = api.client.get(f"{V1}/monitoring/duplicates", headers=api.headers["district_officer"]).json()
    assert [(d["household_id"], d["stakeholders"]) for d in duplicates["rows"]] == [(api.world.home_ids[0], 2)]
    coverage = api.client.get(f"{V1}/monitoring/coverage", headers=api.headers["district_officer"],
                              params={"level": "district"}).json()
    assert {r["area"] for r in coverage["rows"]} <= {"64.02"} and "decile 1" in coverage["basis"]
    progress = api.client.get(f"{V1}/monitoring/progress", headers=api.headers["admin"]).json()["rows"]
    assert progress[0]["target_year"] == 2026 and progress[0]["remaining"] <= progress[0]["extreme_poor"]
    status = api.client.put(f"{V1}/households/{api.world.home_ids[0]}/status",
                            headers=api.headers["village_officer"], json={"status": "graduated"})
    assert status.status_code == 200 and status.json()["status"] == "graduated"
    statuses = api.client.get(f"{V1}/monitoring/household-statuses", headers=api.headers["partner"]).json()["rows"]
    assert [s["household_id"] for s in statuses] == [api.world.home_ids[0]]


def test_public_aggregates_need_no_login_and_keep_the_servers_k(api: Api) -> None:
    response = api.client.get(f"{V1}/public/aggregates", params={"level": "district"})
    assert response.status_code == 200
    body = response.json()
    assert body["k"] == 10
    for row in body["rows"]:
        for column in ("extreme_poor", "reached_any", "graduated"):
            assert row[column] is None or row[column] == 0 or row[column] >= 10, (row["area"], column)
    assert api.client.get(f"{V1}/public/aggregates", params={"k": 3}).status_code == 400
    assert api.client.get(f"{V1}/public/aggregates", params={"k": 20}).json()["k"] == 20
    assert OTHER_DISTRICT in {r["area"] for r in body["rows"]}  # province-wide by design, counts only
