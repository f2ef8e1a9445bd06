"""The access log of the HTTP API, free of personal data, and the last line of defence against a traceback.

A search carries a NIK or a name in its query string and a detail carries a household id in its path, so
the log line names the **route template** (``GET /api/v1/households/{household_id} 200 12.3 ms``), never
the raw path or the query string. uvicorn's own access log prints both, so ``entas serve`` turns it off and
this ASGI middleware (logger ``entas.api.access``) takes its place.

An exception no handler caught becomes a JSON 500 here (``{"detail": "internal error"}``) and is logged by
its type only: a message may quote a value of the request.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("entas.api.access")
errors = logging.getLogger("entas.api.error")


def route_template(scope: Scope) -> str:
    """The matched route's path template, else a fixed word (an unmatched raw path may carry anything)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "<unmatched>"


class AccessLog:
    """ASGI middleware: one log line per request (method, route template, status, milliseconds)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state: dict[str, Any] = {"status": None}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:  # the handlers missed it: answer 500 without details
            errors.error("unhandled %s on %s %s", type(error).__name__, scope["method"], route_template(scope))
            if state["status"] is None:
                body = json.dumps({"detail": "internal error"}).encode()
                await send({"type": "http.response.start", "status": 500,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                state["status"] = 500
        finally:
            logger.info("%s %s %s %.1f ms", scope["method"], route_template(scope), state["status"],
                        (time.perf_counter() - started) * 1000)
