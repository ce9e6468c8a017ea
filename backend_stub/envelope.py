"""Response shapes of the platform: the ``{data, error}`` envelope and flat OAuth errors."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from fastapi.responses import JSONResponse


def log_id() -> str:
    """``YYYYMMDDhhmmss`` + 20 hex chars, like the platform's."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()


class ApiError(Exception):
    """Raised in an API handler; rendered as the envelope with ``data: {}``."""

    def __init__(
        self, status: int, code: str, message: str = "", headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message or code)
        self.status = status
        self.code = code
        self.message = message or code
        self.headers = headers


class OAuthError(Exception):
    """Raised in an OAuth handler; rendered flat: ``{error, error_description, log_id}``."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def ok(data: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"data": data, "error": {"code": "ok", "message": "", "log_id": log_id()}}, headers=headers
    )


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"data": {}, "error": {"code": code, "message": message, "log_id": log_id()}}


def error_response(exc: ApiError) -> JSONResponse:
    return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status, headers=exc.headers)


def oauth_error_response(exc: OAuthError, status: int) -> JSONResponse:
    return JSONResponse(
        {"error": exc.error, "error_description": exc.description, "log_id": log_id()},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )
