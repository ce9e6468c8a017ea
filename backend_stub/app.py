"""The ASGI app: routers, error shapes, fault middleware, OpenAPI without FastAPI's 422s."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .envelope import ApiError, OAuthError, error_body, error_response, oauth_error_response
from .faults import FaultMiddleware
from .state import StubState


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = tuple(err.get("loc", ()))
        kind = err.get("type")
        if kind == "json_invalid":  # loc is ("body", <character offset>): no field to name
            parts.append("The request body is not valid JSON.")
            continue
        if loc == ("body",) and kind == "missing":
            parts.append("The request body is missing; send a JSON object.")
            continue
        where = ".".join(str(p) for p in loc if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid")))
    return "; ".join(parts) or "The request is invalid."


def create_app(stub: StubState) -> FastAPI:
    from . import admin, display, oauth, posting, upload

    app = FastAPI(
        title="Creator Studio platform stand-in",
        version="1.0",
        description="Local stand-in for the TikTok Open API v2 (see docs/backend_stub.md). "
        "Paths under /_stub/ are stand-in extensions, not part of the platform's public API.",
    )
    app.state.stub = stub

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message = _validation_message(exc)
        path = request.url.path
        if path.startswith("/v2/oauth/"):
            return oauth_error_response(
                OAuthError("invalid_request", message), stub.settings.oauth_error_status
            )
        if path.startswith("/_stub/") and not path.startswith("/_stub/insights/"):
            return JSONResponse({"detail": message}, status_code=400)
        return JSONResponse(error_body("invalid_params", message), status_code=400)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(error_body("internal_error", "Internal error."), status_code=500)

    for module in (oauth, posting, upload, display, admin):
        app.include_router(module.router)
    app.add_middleware(FaultMiddleware, faults=stub.faults, seed=stub.seed)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            for item in schema.get("paths", {}).values():
                for operation in item.values():
                    if isinstance(operation, dict):
                        operation.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
