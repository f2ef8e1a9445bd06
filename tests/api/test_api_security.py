"""No personal data in the logs, JSON errors, and schemathesis over the OpenAPI spec: no server error (5xx)."""

from __future__ import annotations

import logging

import pytest
import schemathesis
from api_world import Api
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

V1 = "/api/v1"
CLIENT_LOGGERS = ("httpx", "httpcore")


def test_access_log_names_route_templates_not_niks_names_or_ids(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    household = api.world.home_ids[0]
    head = api.client.get(f"{V1}/households/{household}", headers=api.headers["admin"]).json()["members"][0]
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        for query in (head["nik"], head["name"], head["name"].split()[0].lower()):
            response = api.client.get(f"{V1}/households", headers=api.headers["district_officer"],
                                      params={"q": query})
            assert response.status_code == 200 and response.json()["households"]
        detail = api.client.get(f"{V1}/households/{household}", headers=api.headers["village_officer"])
        assert detail.status_code == 200
        api.client.get(f"{V1}/households/{household}", headers=api.headers["public"])
    server_side = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]  # the test's client logs URLs
    text = "\n".join(record.getMessage() for record in server_side)
    assert f"GET {V1}/households 200" in text
    assert f"GET {V1}/households/{{household_id}} 200" in text
    assert f"GET {V1}/households/{{household_id}} 403" in text
    for secret in (head["nik"], head["name"], *head["name"].split(), household):
        assert secret not in text, "personal data or a household id in the logs"


def test_audit_records_the_kind_of_search_not_the_text(api: Api) -> None:
    head = api.client.get(f"{V1}/households/{api.world.home_ids[0]}", headers=api.headers["admin"]).json()[
        "members"][0]
    api.client.get(f"{V1}/households", headers=api.headers["district_officer"], params={"q": head["nik"]})
    rows = api.client.get(f"{V1}/audit", headers=api.headers["admin"]).json()["rows"]
    search = next(r for r in rows if r["action"] == "household.search" and r["actor"] == "district_officer")
    assert '"query_kind": "nik"' in search["detail"] and head["nik"] not in search["detail"]


def test_errors_are_json_with_a_message(api: Api) -> None:
    missing = api.client.get(f"{V1}/households/0000000000-000000", headers=api.headers["admin"])
    assert missing.status_code == 404
    assert missing.json() == {"detail": "household '0000000000-000000' not found"}
    bad = api.client.get(f"{V1}/households", headers=api.headers["admin"], params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "limit"]
    unknown = api.client.post(f"{V1}/interventions", headers=api.headers["admin"], json={
        "idempotency_key": "e1", "household_id": api.world.home_ids[0], "program": "no_such_program",
        "stakeholder": "ID-CSR-A", "delivered_on": "2025-01-01"})
    assert unknown.status_code == 400 and "program 'no_such_program'" in unknown.json()["detail"]
    nul = api.client.get(f"{V1}/interventions", headers=api.headers["admin"], params={"program": "a\x00b"})
    assert nul.status_code in (200, 400)


@pytest.fixture
def api_schema(api: Api) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", api.app)


def test_schemathesis_finds_no_server_error(api: Api, api_schema: schemathesis.schemas.BaseSchema) -> None:
    """Every operation, generated requests (valid and invalid) as an admin: never a 5xx. Bounded: 12 examples."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 25
    headers = api.headers["admin"]
    failures: list[str] = []
    for operation in operations:
        @settings(max_examples=12, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        try:
            run()
        except (Exception, BaseExceptionGroup) as error:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {str(error)[:2000]}")
    assert not failures, "\n\n".join(failures)
