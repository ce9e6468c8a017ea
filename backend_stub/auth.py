"""Bearer authentication that runs before the request is read, parsed or validated.

FastAPI parses a JSON body before it solves any dependency, and solves the body and the query
parameters in the same pass as the dependencies; a token checked in the handler therefore lost to
any 400 about the request. The platform answers a missing, unknown, revoked or expired token with
401 ``access_token_invalid`` whatever else is wrong with the request (a client with an expired token
must see 401 to know it has to refresh), so here:

- an endpoint declares ``grant: Annotated[Grant, Depends(RequireToken(scopes, bucket))]``: that is
  the only way to ask for a token, and it puts the Bearer scheme into the OpenAPI schema;
- :class:`AuthFirstRoute`, the route class of all the stand-in's routers, finds that requirement in the route's
  dependencies and authenticates (token, then rate limit, then scope) before FastAPI's own handler
  touches the body; the dependency then hands the grant it found to the endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Annotated, Any

from fastapi import Request, Response, Security
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from .envelope import ApiError
from .state import Grant, StubState

BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="BearerAuth",
    description="The user access token (`act.…`) from /v2/oauth/token/: `Authorization: Bearer <token>`.",
)


class RequireToken:
    """The endpoint needs a valid access token holding one of ``scopes``; ``bucket`` is its rate limit."""

    def __init__(self, scopes: tuple[str, ...], bucket: str) -> None:
        self.scopes = scopes
        self.bucket = bucket

    def check(self, request: Request) -> Grant:
        stub: StubState = request.app.state.stub
        return stub.authenticate(request.headers.get("authorization"), self.scopes, self.bucket)

    def __call__(
        self,
        request: Request,
        _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
    ) -> Grant:
        grant = getattr(request.state, "grant", None)
        # Only an AuthFirstRoute authenticated already; on any other route do it now (late, but never skipped).
        return grant if isinstance(grant, Grant) else self.check(request)

    def __repr__(self) -> str:
        return f"RequireToken({self.scopes!r}, {self.bucket!r})"


def require_scope(grant: Grant, *scopes: str) -> None:
    """For an endpoint whose scope depends on the body (content/init's ``post_mode``)."""
    if not grant.scopes & set(scopes):
        raise ApiError(
            401,
            "scope_not_authorized",
            f"The user did not authorize the scope required: {' or '.join(scopes)}.",
        )


def token_requirement(dependant: Any) -> RequireToken | None:
    """The :class:`RequireToken` among a route's dependencies (depth first), if any."""
    for sub in getattr(dependant, "dependencies", ()):
        if isinstance(sub.call, RequireToken):
            return sub.call
        found = token_requirement(sub)
        if found is not None:
            return found
    return None


class AuthFirstRoute(APIRoute):
    """An APIRoute that authenticates before the body is read (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        requirement = token_requirement(self.dependant)
        if requirement is None:
            return handler

        async def authenticate_first(request: Request) -> Response:
            # ApiError propagates to the app's handler: 401 / 429 in the platform's envelope.
            request.state.grant = await run_in_threadpool(requirement.check, request)
            return await handler(request)

        return authenticate_first


def api_routes(routes: Any) -> Iterator[Any]:
    """Every endpoint route of an app, including those of included routers, whichever FastAPI
    (0.16x keeps included routers nested; older ones copied their routes into ``app.routes``)."""
    try:
        from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - older FastAPI: the routes are flat already
        yield from (r for r in routes if isinstance(r, APIRoute))
        return
    for context in iter_route_contexts(routes):
        if isinstance(context.original_route, APIRoute):
            yield context
