"""Domain errors as JSON responses: ``{"detail": "<message>"}`` with the status a client can act on.

- ``NotFoundError`` -> 404: a missing id and an id outside the caller's scope get the same answer;
- ``PermissionDeniedError`` -> 403: the role lacks the capability;
- ``ConflictError`` (idempotency key reused with other content, a status change not allowed) -> 409, and so
  does a unique constraint the access layer did not settle itself;
- any other ``EntasError`` (bad input, unreadable upload) -> 400;
- a value the database refuses (e.g. a NUL character in a text) -> 400 without the value.

Messages come from the access layer, which never puts a NIK, a name or an address in them.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError

from entas.errors import ConflictError, EntasError, NotFoundError, PermissionDeniedError

STATUS: tuple[tuple[type[EntasError], int], ...] = (
    (NotFoundError, 404), (PermissionDeniedError, 403), (ConflictError, 409), (EntasError, 400))


def status_of(error: EntasError) -> int:
    return next(code for kind, code in STATUS if isinstance(error, kind))


async def _entas_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, EntasError)
    return JSONResponse({"detail": str(error)}, status_code=status_of(error))


async def _data_error(_request: Request, _error: Exception) -> JSONResponse:
    return JSONResponse({"detail": "a value is out of range or holds characters the database refuses"},
                        status_code=400)


async def _integrity_error(_request: Request, _error: Exception) -> JSONResponse:
    return JSONResponse({"detail": "the request conflicts with a stored record; retry or use another key"},
                        status_code=409)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(EntasError, _entas_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
