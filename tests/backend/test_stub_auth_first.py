"""Authentication comes before request validation on every endpoint that takes an access token.

A client whose token expired must see 401 ``access_token_invalid`` (and refresh), not a 400 about a
body it may well have got right; FastAPI validates bodies and query parameters before any handler
code runs, so this is checked for every token route of the app, found by walking ``app.routes``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from stubkit import sign_in

from backend_stub.auth import api_routes, token_requirement
from backend_stub.server import StubServer

# The platform's /v2/ endpoints that take no access token: Login Kit (client credentials or a browser).
PUBLIC_V2 = {
    ("GET", "/v2/auth/authorize/"),
    ("POST", "/v2/auth/authorize/"),
    ("POST", "/v2/oauth/token/"),
    ("POST", "/v2/oauth/revoke/"),
}
# What a broken client might send: nothing, an empty object, a wrong shape, broken JSON.
BAD_BODIES: list[dict[str, Any]] = [
    {},
    {"json": {}},
    {"json": {"source_info": 5, "filters": [], "publish_id": None, "max_count": "x"}},
    {"content": b"{bad json", "headers": {"Content-Type": "application/json"}},
    {"content": b"not json at all", "headers": {"Content-Type": "text/plain"}},
]


def token_routes(server: StubServer) -> list[tuple[str, str, Any]]:
    """(method, path, route) for every route under /v2/ but Login Kit's, and the insights extension."""
    found = []
    for route in api_routes(server.app.routes):
        path = route.path_format
        for method in sorted(route.methods - {"HEAD"}):
            if (method, path) in PUBLIC_V2:
                continue
            if path.startswith("/v2/") or path.startswith("/_stub/insights/"):
                found.append((method, path, route))
    return found


def bad_request(http: httpx.Client, method: str, path: str, route: Any, headers: dict[str, str], body: dict):
    url = re.sub(r"\{[^}]+\}", "1", path)
    # every declared query parameter gets a value of the wrong type (ints) or an unknown name (fields)
    params = {p.alias: "not-a-valid-value" for p in route.dependant.query_params}
    return http.request(
        method, url, params=params, headers={**body.get("headers", {}), **headers}, **_payload(body)
    )


def _payload(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "headers"}


def assert_401(reply: httpx.Response, what: str) -> None:
    assert reply.status_code == 401, f"{what}: {reply.status_code} {reply.text}"
    body = reply.json()
    assert body["data"] == {}, what
    assert body["error"]["code"] == "access_token_invalid", f"{what}: {body}"
    assert body["error"]["message"] and body["error"]["log_id"], what


def test_every_token_route_is_found_and_declares_its_token(stub: StubServer) -> None:
    routes = token_routes(stub)
    paths = {path for _, path, _ in routes}
    # a sanity floor, not the list: the content posting and display APIs and the insights extension
    assert {"/v2/post/publish/video/init/", "/v2/video/query/", "/v2/user/info/"} <= paths
    assert len(routes) >= 11, sorted(paths)
    for method, path, route in routes:
        assert token_requirement(route.dependant) is not None, (
            f"{method} {path} does not declare RequireToken"
        )
    schema = stub.app.openapi()
    assert schema["components"]["securitySchemes"]["BearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["BearerAuth"]["description"],
    }
    for method, path, _ in routes:
        assert schema["paths"][path][method.lower()]["security"] == [{"BearerAuth": []}], (method, path)


def test_no_token_beats_any_invalid_request(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    http = http_for(stub)
    for method, path, route in token_routes(stub):
        for auth in ({}, {"Authorization": "Bearer act.not-a-token"}, {"Authorization": "Basic abc"}):
            for body in BAD_BODIES:
                reply = bad_request(http, method, path, route, auth, body)
                assert_401(reply, f"{method} {path} {auth} {body}")


def test_the_empty_init_body_without_a_token_is_401_not_400(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    reply = http_for(stub).post("/v2/post/publish/video/init/", json={})
    assert_401(reply, "POST /v2/post/publish/video/init/ {}")


@pytest.mark.parametrize("how", ["clock", "revoked"])
def test_an_expired_or_revoked_token_beats_any_invalid_request(
    how: str, stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    http = http_for(stub)
    session = sign_in(stub, http)
    valid = bad_request(http, "POST", "/v2/video/list/", _route(stub, "/v2/video/list/"), session.auth, {})
    assert valid.status_code == 400 and valid.json()["error"]["code"] == "invalid_params"  # token fine
    if how == "clock":
        ttl = stub.settings.access_token_ttl_s
        assert http.post("/_stub/clock", json={"advance_s": ttl + 1}).status_code == 200
    else:
        token = session.tokens["access_token"]
        revoke = http.post(
            "/v2/oauth/revoke/",
            data={
                "client_key": stub.demo_client_key,
                "client_secret": stub.demo_client_secret,
                "token": token,
            },
        )
        assert revoke.status_code == 200
    for method, path, route in token_routes(stub):
        for body in BAD_BODIES:
            reply = bad_request(http, method, path, route, session.auth, body)
            assert_401(reply, f"{how} token: {method} {path} {body}")


def test_a_valid_token_still_gets_the_validation_error(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    """Authenticating first changes the order, not the answer to a signed-in client."""
    http = http_for(stub)
    session = sign_in(stub, http)
    stub.settings.rate_limits = {k: 10_000 for k in stub.settings.rate_limits}
    for method, path, route in token_routes(stub):
        if route.body_field is None and not route.dependant.query_params:
            continue  # creator_info takes nothing: nothing to get wrong
        reply = bad_request(
            http, method, path, route, session.auth, BAD_BODIES[3] if route.body_field else {}
        )
        assert reply.status_code == 400, f"{method} {path}: {reply.status_code} {reply.text}"
        assert reply.json()["error"]["code"] == "invalid_params", (method, path)


def _route(server: StubServer, path: str) -> Any:
    return next(r for _, p, r in token_routes(server) if p == path)
