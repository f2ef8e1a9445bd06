"""Sign-in cookie, access rules, headers and catalogs of the dashboard, over HTTP without a browser (fast)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_world import PASSWORD, SECRET, World

import entas.web
from entas.api import create_app
from entas.api.app import api_routes
from entas.web.session import SESSION_COOKIE, safe_next

WEB = Path(entas.web.__file__).parent


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(world: World, clock: Clock) -> Iterator[TestClient]:
    app = create_app(home=world.home, secret_key=SECRET, clock=clock)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, user: str, password: str = PASSWORD, target: str = "/") -> object:
    return client.post("/login", data={"username": user, "password": password, "next": target})


def test_sign_in_sets_an_httponly_strict_cookie_with_the_apis_token(client: TestClient) -> None:
    response = sign_in(client, "analis", target="/area/64.02")
    assert response.status_code == 303 and response.headers["location"] == "/area/64.02"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Max-Age=900" in cookie  # the API's token lifetime (15 minutes)
    token = client.cookies[SESSION_COOKIE]
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()["name"] == "analis"
    assert client.get("/area/64.02").status_code == 200


def test_a_wrong_password_gives_the_form_again_and_no_cookie(client: TestClient) -> None:
    for user, password in (("analis", "wrong"), ("nobody", PASSWORD)):
        response = sign_in(client, user, password)
        assert response.status_code == 401 and SESSION_COOKIE not in response.headers.get("set-cookie", "")
        assert 'id="login-failed"' in response.text


def test_sign_out_drops_the_cookie(client: TestClient) -> None:
    sign_in(client, "analis")
    response = client.post("/logout")
    assert response.status_code == 303 and f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    assert client.get("/pockets").status_code == 303


def test_an_expired_session_is_sent_to_sign_in_again(client: TestClient, clock: Clock) -> None:
    sign_in(client, "analis")
    assert client.get("/progress").status_code == 200
    clock.now += dt.timedelta(minutes=16)
    response = client.get("/progress")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fprogress"


def test_sign_in_only_returns_to_pages_of_this_site() -> None:
    assert safe_next("/area/64.02?lang=en") == "/area/64.02?lang=en"
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "", None, "area"):
        assert safe_next(target) == "/"


def test_visitors_see_only_the_overview(client: TestClient) -> None:
    assert client.get("/").status_code == 200
    for path in ("/area/64.02", "/pockets", "/plan", "/progress", "/households", "/household/x"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), path


def test_a_signed_in_public_role_is_refused_beyond_the_overview(client: TestClient) -> None:
    sign_in(client, "warga")
    assert client.get("/").status_code == 200
    assert client.get("/area/64.02").status_code == 403
    assert client.get("/progress").status_code == 403


def test_areas_outside_the_province_are_not_found_and_the_province_is_the_overview(client: TestClient) -> None:
    sign_in(client, "analis")
    assert client.get("/area/65.01").status_code == 404
    assert client.get("/area/not-a-code").status_code == 404
    assert client.get("/area/64").headers["location"] == "/"
    assert client.get("/area/6402").status_code == 200  # a BPS district code is understood


def test_pages_load_nothing_from_elsewhere_and_say_so_in_their_policy(client: TestClient) -> None:
    sign_in(client, "analis")
    for path in ("/", "/area/64.02", "/plan", "/progress?lang=en"):
        response = client.get(path)
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert response.headers["cache-control"] == "no-store"
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", response.text), path


def test_static_files_are_served_by_the_app_with_etags(client: TestClient) -> None:
    plotly = client.get("/static/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000
    assert client.get("/static/plotly.min.js", headers={"If-None-Match": plotly.headers["etag"]}).status_code == 304
    assert client.get("/static/../pyproject.toml").status_code == 404
    assert client.get("/static/secret.txt").status_code == 404


def test_dashboard_routes_stay_out_of_the_api_spec(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert all(path.startswith("/api/v1/") for path in paths)
    assert all(route.path.startswith("/api/v1/") for route in api_routes(client.app))  # type: ignore[arg-type]


def test_every_dashboard_message_is_translated_in_both_catalogs(
        translated_messages: Callable[[Path], set[str]]) -> None:
    used = translated_messages(WEB)
    assert len(used) > 100 and "Your scope: %(areas)s." in used  # messages with placeholders are extracted too
