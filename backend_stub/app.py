"""The ASGI app: routers, error shapes, fault middleware, OpenAPI without FastAPI's 422s."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .auth import api_routes
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
        where = ".".join(str(p) for p in loc if p not in ("body", "query", "header", "path"))
        if kind == "string_pattern_mismatch":  # the pattern itself can run to hundreds of characters
            parts.append(f"{where}: malformed or not one of the documented values (see /openapi.json).")
            continue
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid")))
    return "; ".join(parts) or "The request is invalid."


def create_app(stub: StubState) -> FastAPI:
    from . import admin, display, oauth, posting, upload
    from .oauth import error_page

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

    def bad_request(request: Request, message: str) -> Response:
        """A 400 about the request itself, in the shape of the endpoint's own errors."""
        path = request.url.path
        if path == "/v2/auth/authorize/":  # a browser page: HTML, never JSON
            return error_page(message)
        if path.startswith("/v2/oauth/"):
            return oauth_error_response(
                OAuthError("invalid_request", message), stub.settings.oauth_error_status
            )
        if path.startswith("/_stub/") and not path.startswith("/_stub/insights/"):
            return JSONResponse({"detail": message}, status_code=400)
        code = "invalid_file_upload" if path == "/upload/" else "invalid_params"
        return JSONResponse(error_body(code, message), status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return bad_request(request, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400:  # FastAPI's "There was an error parsing the body" (e.g. not UTF-8)
            return bad_request(request, "The request body is not valid JSON.")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names the methods of the first route with this path only (authorize has two)
            path = request.scope["path"]
            methods = {m for r in api_routes(app.routes) if r.path_regex.match(path) for m in r.methods or ()}
            headers["Allow"] = ", ".join(sorted(methods))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

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
