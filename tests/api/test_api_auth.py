"""Sign-in and tokens: the OAuth2 password flow, expiry on the app's clock, tampering, users gone after issue."""

from __future__ import annotations

import base64
import json

import jwt
from api_world import SECRET, Api
from ops_world import PASSWORD
from sqlalchemy import delete

from entas.ops.models import User

ME = "/api/v1/auth/me"


def _sign_in(api: Api, name: str, password: str) -> tuple[int, dict[str, object]]:
    response = api.client.post("/api/v1/auth/token", data={"username": name, "password": password})
    return response.status_code, response.json()


def test_password_flow_issues_a_token_that_names_the_user(api: Api) -> None:
    code, body = _sign_in(api, "district_officer", PASSWORD)
    assert code == 200 and body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    me = api.client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {"name": "district_officer", "role": "district_officer", "areas": ["64.02"],
                         "stakeholder_id": None}


def test_unknown_user_and_wrong_password_get_the_same_answer(api: Api) -> None:
    wrong = _sign_in(api, "district_officer", "not the password")
    unknown = _sign_in(api, "nobody", PASSWORD)
    assert wrong == unknown == (401, {"detail": "unknown user or wrong password"})


def test_no_token_is_401_with_a_bearer_challenge(api: Api) -> None:
    response = api.client.get("/api/v1/households")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "not signed in" in response.json()["detail"]


def test_token_expires_on_the_apps_clock(api: Api) -> None:
    headers = api.headers["district_officer"]
    api.clock.advance(minutes=14, seconds=59)
    assert api.client.get(ME, headers=headers).status_code == 200
    api.clock.advance(seconds=1)
    response = api.client.get(ME, headers=headers)
    assert response.status_code == 401 and response.json() == {"detail": "token expired: sign in again"}


def test_tampered_tokens_are_refused(api: Api) -> None:
    token = api.headers["village_officer"]["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "admin"  # promote oneself, keep the old signature
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    candidates = {
        "payload changed": f"{header}.{forged_payload}.{signature}",
        "signature changed": f"{header}.{payload}.{flipped}",
        "other key": jwt.encode(claims, "another-secret-of-enough-length-0123456789", algorithm="HS256"),
        "alg none": jwt.encode(claims, key=None, algorithm="none"),
        "garbage": "not-a-token",
    }
    for name, forged in candidates.items():
        response = api.client.get("/api/v1/users", headers={"Authorization": f"Bearer {forged}"})
        assert response.status_code == 401, name
        assert response.json() == {"detail": "invalid token"}, name
    assert jwt.decode(token, SECRET, algorithms=["HS256"])["sub"] == "village_officer"


def test_a_user_disabled_after_issue_is_refused(api: Api) -> None:
    headers = api.headers["partner"]
    assert api.client.get(ME, headers=headers).status_code == 200
    disabled = api.client.patch("/api/v1/users/partner", headers=api.headers["admin"], json={"active": False})
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    response = api.client.get(ME, headers=headers)
    assert response.status_code == 401 and response.json() == {"detail": "user no longer active: sign in again"}
    assert _sign_in(api, "district_officer", PASSWORD)[0] == 200  # others are untouched


def test_a_user_deleted_and_recreated_under_the_same_name_does_not_inherit_tokens(api: Api) -> None:
    headers = api.headers["public"]
    with api.world.store.transaction() as session:
        session.execute(delete(User).where(User.name == "public"))
    assert api.client.get(ME, headers=headers).status_code == 401
    created = api.client.post("/api/v1/users", headers=api.headers["admin"], json={
        "name": "public", "password": "another long password", "role": "public"})
    assert created.status_code == 201
    assert api.client.get(ME, headers=headers).status_code == 401


def test_only_admins_manage_users(api: Api) -> None:
    for role in ("province_analyst", "district_officer", "village_officer", "partner", "public"):
        response = api.client.get("/api/v1/users", headers=api.headers[role])
        assert response.status_code == 403, role
        assert response.json() == {"detail": f"role {role} may not manage"}
    assert {u["name"] for u in api.client.get("/api/v1/users", headers=api.headers["admin"]).json()["users"]} >= {
        "admin", "partner", "public"}
