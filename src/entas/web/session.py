"""Who is looking at a page, and in which language: the sign-in cookie and the language switch.

Signing in on the login page issues **the same short-lived signed token as the HTTP API**
(``entas.api.auth.TokenService``, ``ENTAS_TOKEN_MINUTES``) and keeps it in a cookie (``entas_session``) that
is ``HttpOnly`` (no script can read it), ``SameSite=Strict`` (no other site's page or form sends it) and
``Secure`` when the page came over HTTPS. Each request checks the token and reloads the user, exactly as the
API does: a disabled user or a changed role takes effect at once; an expired token reads as "not signed in".

The language (``id`` default, ``en``) comes from ``?lang=`` (then remembered in the ``entas_lang`` cookie),
else from that cookie, else the default. An unknown value is ignored, never an error.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from entas.api.auth import TokenError
from entas.api.deps import ANONYMOUS, ApiState
from entas.ops.principal import Principal
from entas.report.i18n import DEFAULT_LANGUAGE, LANGUAGES, Language

SESSION_COOKIE = "entas_session"
LANGUAGE_COOKIE = "entas_lang"
LANGUAGE_COOKIE_DAYS = 365
__all__ = ["LANGUAGE_COOKIE", "SESSION_COOKIE", "clear_session", "language", "safe_next", "start_session",
           "state_of", "viewer"]


def state_of(request: Request) -> ApiState:
    """What the API app shares between requests (store, token service, public threshold)."""
    state: ApiState = request.app.state.entas
    return state


def viewer(request: Request) -> Principal | None:
    """The signed-in principal of the session cookie, or None (no cookie, bad or expired token, user gone)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    state = state_of(request)
    try:
        return state.tokens.principal(state.store, token)
    except TokenError:
        return None


def anonymous() -> Principal:
    """The principal of a visitor who is not signed in (role ``public``: suppressed aggregates only)."""
    return ANONYMOUS


def language(request: Request) -> tuple[Language, bool]:
    """The page's language and whether the ``?lang=`` choice should be remembered in the cookie."""
    asked = request.query_params.get("lang")
    for lang in LANGUAGES:
        if asked == lang:
            return lang, True
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    for lang in LANGUAGES:
        if remembered == lang:
            return lang, False
    return DEFAULT_LANGUAGE, False


def remember_language(response: Response, lang: str, request: Request) -> None:
    response.set_cookie(LANGUAGE_COOKIE, lang, max_age=LANGUAGE_COOKIE_DAYS * 86400, path="/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (``/area/64.02``), else the overview.

    ``//host/...`` and ``https://...`` are refused so the login page cannot send a user to another site.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def start_session(response: Response, request: Request, token: str, seconds: int) -> None:
    """Put the signed token in the session cookie for as long as the token lives."""
    response.set_cookie(SESSION_COOKIE, token, max_age=seconds, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def clear_session(response: Response, request: Request) -> None:
    """Sign out: the browser drops the cookie (the token itself expires on its own within minutes)."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")
