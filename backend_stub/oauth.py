"""Login Kit: consent page, authorization codes, token exchange, refresh rotation, revoke."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
import sqlite3
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from .auth import AuthFirstRoute
from .db import digest
from .envelope import OAuthError, oauth_error_response
from .models import OAuthErrorBody, TokenResponse
from .pkce import verify as verify_pkce
from .redirects import matches
from .seed import PUBLIC_USERNAME
from .state import StubState

router = APIRouter(tags=["oauth"], route_class=AuthFirstRoute)
MALFORMED = "The request parameters are malformed."
GRANT_TYPES = ("authorization_code", "refresh_token")
OAUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": TokenResponse, "description": "Tokens (flat JSON, `Cache-Control: no-store`)."},
    400: {
        "model": OAuthErrorBody,
        "description": "`invalid_request`, `invalid_grant`, `unsupported_grant_type`, `unauthorized_client`"
        " (HTTP 200 when the setting `oauth_error_status` is 200).",
    },
    401: {"model": OAuthErrorBody, "description": "`invalid_client`: unknown client_key or wrong secret."},
}
HTML_ERROR = {
    "description": "An HTML error page, never a redirect: unknown client_key, unregistered redirect_uri,"
    " a missing or malformed parameter, a forged or stale consent form.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}
REDIRECT = {
    "description": "Back to the app's redirect_uri with `code`, `scopes` and `state`, or with `error`,"
    " `error_description` and `state`.",
    "headers": {
        "Location": {"description": "redirect_uri?…", "required": True, "schema": {"type": "string"}}
    },
}
AUTHORIZE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The consent page (HTML).",
        "content": {"text/html": {"schema": {"type": "string"}}},
    },
    302: REDIRECT,
    400: HTML_ERROR,
}


def _state(request: Request) -> StubState:
    return request.app.state.stub


def error_page(message: str) -> HTMLResponse:
    """The authorize endpoints' 400 (also for request validation errors, see app.py)."""
    return _page("Something went wrong", f"<p>{html.escape(message)}</p>", 400)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto}}"
        "fieldset{margin:1rem 0}button{padding:.5rem 1.2rem;margin-right:.5rem}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(doc, status_code=status)


def _consent_token(state: StubState, fields: tuple[str, ...]) -> str:
    return hmac.new(state.url_key, json.dumps(fields).encode(), hashlib.sha256).hexdigest()


def _redirect(uri: str, params: dict[str, str]) -> RedirectResponse:
    return RedirectResponse(f"{uri}?{urlencode(params)}", status_code=302)


def _check_client_and_uri(
    state: StubState, client_key: str | None, redirect_uri: str | None
) -> sqlite3.Row | HTMLResponse:
    app = state.db.one("SELECT * FROM apps WHERE client_key = ?", (client_key or "",))
    if app is None:
        return _page("Something went wrong", "<p>This app is not registered (unknown client_key).</p>", 400)
    if not redirect_uri or not any(matches(r, redirect_uri) for r in json.loads(app["redirect_uris"])):
        return _page("Something went wrong", "<p>The redirect_uri is not registered for this app.</p>", 400)
    return app


def _account(state: StubState, hint: str | None) -> sqlite3.Row | None:
    hint = (hint or PUBLIC_USERNAME).lstrip("@")
    return state.db.one("SELECT * FROM accounts WHERE username = ? OR open_id = ?", (hint, hint))


def _issue_code(
    state: StubState, app: sqlite3.Row, open_id: str, scopes: list[str], redirect_uri: str, challenge: str
) -> str:
    code = secrets.token_urlsafe(32)
    state.db.run(
        "INSERT INTO codes(code_hash, client_key, open_id, scopes, redirect_uri, challenge, expires_at)"
        " VALUES(?, ?, ?, ?, ?, ?, ?)",
        (
            digest(code),
            app["client_key"],
            open_id,
            ",".join(scopes),
            redirect_uri,
            challenge,
            state.now() + state.settings.code_ttl_s,
        ),
    )
    return code


@router.get(
    "/v2/auth/authorize/",
    response_model=None,
    response_class=HTMLResponse,
    responses=AUTHORIZE_RESPONSES,
)
def authorize(
    request: Request,
    client_key: Annotated[str, Query(min_length=1, description="The app's client key (registered).")],
    redirect_uri: Annotated[
        str, Query(min_length=1, description="One of the app's registered redirect URIs.")
    ],
    scope: str | None = None,
    state: str | None = None,
    response_type: str | None = None,
    code_challenge: str | None = None,
    code_challenge_method: str | None = None,
    login_hint: Annotated[
        str | None, Query(description="stand-in extension: username or open_id to sign in as")
    ] = None,
    disable_auto_auth: str | None = None,
) -> HTMLResponse | RedirectResponse:
    """Consent page. With auto-approve on (and no ``disable_auto_auth=1``) it redirects at once."""
    stub = _state(request)
    app = _check_client_and_uri(stub, client_key, redirect_uri)
    if isinstance(app, HTMLResponse):
        return app
    echo = {"state": state} if state is not None else {}
    if response_type != "code":
        return _redirect(
            redirect_uri,
            {"error": "unsupported_response_type", "error_description": "response_type must be code", **echo},
        )
    requested = [s.strip() for s in (scope or "").split(",") if s.strip()]
    allowed = set(app["scopes"].split(","))
    if not requested or not set(requested) <= allowed:
        return _redirect(
            redirect_uri,
            {
                "error": "invalid_scope",
                "error_description": "The scope is invalid or not granted to this app.",
                **echo,
            },
        )
    if not code_challenge or code_challenge_method != "S256":
        return _redirect(
            redirect_uri,
            {
                "error": "invalid_request",
                "error_description": "Code verifier or code challenge is invalid.",
                **echo,
            },
        )
    account = _account(stub, login_hint)
    if account is None:
        return _redirect(
            redirect_uri,
            {"error": "access_denied", "error_description": "Unknown account in login_hint.", **echo},
        )
    if stub.settings.auto_approve and disable_auto_auth != "1":
        code = _issue_code(stub, app, account["open_id"], requested, redirect_uri, code_challenge)
        return _redirect(redirect_uri, {"code": code, "scopes": ",".join(requested), **echo})
    fields = (client_key or "", ",".join(requested), redirect_uri, state or "", code_challenge)
    hidden = {
        "client_key": client_key or "",
        "scope": ",".join(requested),
        "redirect_uri": redirect_uri,
        "state": state or "",
        "code_challenge": code_challenge,
        "consent_token": _consent_token(stub, fields),
    }
    accounts = stub.db.all("SELECT username, display_name, is_private FROM accounts ORDER BY rowid")
    inputs = "".join(
        f"<input type='hidden' name='{k}' value='{html.escape(v, quote=True)}'>" for k, v in hidden.items()
    )
    radios = "".join(
        f"<label><input type='radio' name='account' value='{html.escape(a['username'])}'"
        f"{' checked' if a['username'] == account['username'] else ''}> {html.escape(a['display_name'])}"
        f" (@{html.escape(a['username'])}, {'private' if a['is_private'] else 'public'})</label><br>"
        for a in accounts
    )
    boxes = "".join(
        f"<label><input type='checkbox' name='granted_scope' value='{html.escape(s)}' checked"
        f"{' disabled' if s == 'user.info.basic' else ''}> {html.escape(s)}</label><br>"
        for s in requested
    )
    body = (
        f"<p><b>{html.escape(app['name'])}</b> would like to access your account.</p>"
        f"<form method='post' action='/v2/auth/authorize/'>{inputs}"
        f"<fieldset><legend>Continue as</legend>{radios}</fieldset>"
        f"<fieldset><legend>Permissions</legend>{boxes}</fieldset>"
        "<button name='decision' value='allow'>Authorize</button>"
        "<button name='decision' value='deny'>Cancel</button></form>"
    )
    return _page("Authorize app", body)


@router.post(
    "/v2/auth/authorize/",
    response_model=None,
    response_class=HTMLResponse,
    responses=AUTHORIZE_RESPONSES,
)
def consent(
    request: Request,
    # FastAPI reads an empty form field as a missing one: required means non-empty here
    client_key: Annotated[str, Form(min_length=1)],
    redirect_uri: Annotated[str, Form(min_length=1)],
    code_challenge: Annotated[str, Form(min_length=1)],
    consent_token: Annotated[str, Form(min_length=1, description="Signs the form's other fields.")],
    decision: Annotated[Literal["allow", "deny"], Form()],
    scope: Annotated[str, Form()] = "",
    state: Annotated[str, Form()] = "",
    account: Annotated[str, Form()] = "",
    granted_scope: Annotated[list[str] | None, Form()] = None,
) -> HTMLResponse | RedirectResponse:
    """The consent form's answer: ``decision=allow|deny``, ``account``, ``granted_scope`` (repeated)."""
    stub = _state(request)
    app = _check_client_and_uri(stub, client_key, redirect_uri)
    if isinstance(app, HTMLResponse):
        return app
    fields = (client_key, scope, redirect_uri, state, code_challenge)
    # bytes: compare_digest refuses str with non-ASCII characters (a TypeError, so a 500)
    if not hmac.compare_digest(_consent_token(stub, fields).encode(), consent_token.encode()):
        return _page(
            "Something went wrong", "<p>This consent form has expired; start the sign-in again.</p>", 400
        )
    echo = {"state": state} if state else {}
    if decision != "allow":
        return _redirect(
            redirect_uri,
            {"error": "access_denied", "error_description": "The user denied the request.", **echo},
        )
    user = _account(stub, account)
    if user is None:
        return _page("Something went wrong", "<p>Unknown account.</p>", 400)
    requested = scope.split(",")
    chosen = set(granted_scope or ()) | ({"user.info.basic"} & set(requested))
    granted = [s for s in requested if s in chosen]
    if not granted:
        return _redirect(
            redirect_uri,
            {"error": "access_denied", "error_description": "No permission was granted.", **echo},
        )
    code = _issue_code(stub, app, user["open_id"], granted, redirect_uri, code_challenge)
    return _redirect(redirect_uri, {"code": code, "scopes": ",".join(granted), **echo})


def _tokens(stub: StubState, grant_id: int, open_id: str, scopes: str, refresh: str | None) -> dict[str, Any]:
    now = stub.now()
    access = "act." + secrets.token_urlsafe(40)
    refresh_token = refresh or "rft." + secrets.token_urlsafe(40)
    grant = stub.db.one("SELECT refresh_expires_at FROM grants WHERE id = ?", (grant_id,))
    assert grant is not None
    with stub.db.tx() as conn:
        conn.execute(
            "INSERT INTO tokens(token_hash, kind, grant_id, expires_at) VALUES(?, 'access', ?, ?)",
            (digest(access), grant_id, now + stub.settings.access_token_ttl_s),
        )
        if refresh is None:
            conn.execute(
                "INSERT INTO tokens(token_hash, kind, grant_id, expires_at) VALUES(?, 'refresh', ?, ?)",
                (digest(refresh_token), grant_id, grant["refresh_expires_at"]),
            )
    return {
        "open_id": open_id,
        "scope": scopes,
        "access_token": access,
        "expires_in": int(stub.settings.access_token_ttl_s),
        "refresh_token": refresh_token,
        "refresh_expires_in": max(0, int(grant["refresh_expires_at"] - now)),
        "token_type": "Bearer",
    }


def _code_grant(
    stub: StubState, app: sqlite3.Row, code: str | None, redirect_uri: str | None, verifier: str | None
) -> dict[str, Any]:
    if not code or not redirect_uri or not verifier:
        raise OAuthError("invalid_request", MALFORMED)
    row = stub.db.one("SELECT * FROM codes WHERE code_hash = ?", (digest(code),))
    if row is None or row["client_key"] != app["client_key"]:
        raise OAuthError("invalid_grant", "Authorization code is invalid.")
    if row["used_at"] is not None:
        if row["grant_id"] is not None:
            stub.revoke_grants("id = ?", (row["grant_id"],), reason=0)
        raise OAuthError("invalid_grant", "Authorization code has already been used.")
    if row["expires_at"] <= stub.now():
        raise OAuthError("invalid_grant", "Authorization code is expired.")
    if row["redirect_uri"] != redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request.")
    if not verify_pkce(verifier, row["challenge"], stub.settings.accept_base64url_pkce):
        raise OAuthError("invalid_request", "Code verifier or code challenge is invalid.")
    now = stub.now()
    with stub.db.tx() as conn:
        if (
            conn.execute(
                "UPDATE codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL",
                (now, row["code_hash"]),
            ).rowcount
            != 1
        ):
            raise OAuthError("invalid_grant", "Authorization code has already been used.")
        grant_id = conn.execute(
            "INSERT INTO grants(client_key, open_id, scopes, created_at, refresh_expires_at) VALUES(?, ?, ?, ?, ?)",
            (app["client_key"], row["open_id"], row["scopes"], now, now + stub.settings.refresh_token_ttl_s),
        ).lastrowid
        conn.execute("UPDATE codes SET grant_id = ? WHERE code_hash = ?", (grant_id, row["code_hash"]))
    assert grant_id is not None
    return _tokens(stub, grant_id, row["open_id"], row["scopes"], None)


def _refresh_grant(stub: StubState, app: sqlite3.Row, refresh_token: str | None) -> dict[str, Any]:
    if not refresh_token:
        raise OAuthError("invalid_request", MALFORMED)
    row = stub.db.one(
        "SELECT t.token_hash, t.expires_at, t.revoked, g.id, g.client_key, g.open_id, g.scopes, g.revoked_at"
        " FROM tokens t JOIN grants g ON g.id = t.grant_id WHERE t.token_hash = ? AND t.kind = 'refresh'",
        (digest(refresh_token),),
    )
    if (
        row is None
        or row["client_key"] != app["client_key"]
        or row["revoked"]
        or row["revoked_at"] is not None
        or row["expires_at"] <= stub.now()
    ):
        raise OAuthError("invalid_grant", "Refresh token is invalid or expired.")
    if stub.settings.rotate_refresh_tokens:
        if (
            stub.db.run(
                "UPDATE tokens SET revoked = 1 WHERE token_hash = ? AND revoked = 0", (row["token_hash"],)
            )
            != 1
        ):
            raise OAuthError("invalid_grant", "Refresh token is invalid or expired.")
        return _tokens(stub, row["id"], row["open_id"], row["scopes"], None)
    return _tokens(stub, row["id"], row["open_id"], row["scopes"], refresh_token)


@router.post("/v2/oauth/token/", responses=OAUTH_RESPONSES)
def token(
    request: Request,
    grant_type: Annotated[
        str,
        Form(
            # checked below, to answer with the RFC 6749 codes rather than a validation error
            json_schema_extra={"enum": list(GRANT_TYPES)},
            description="Another value is 400 `unsupported_grant_type` (`client_credentials`:"
            " `unauthorized_client`).",
        ),
    ],
    client_key: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    code: Annotated[str | None, Form()] = None,
    redirect_uri: Annotated[str | None, Form()] = None,
    code_verifier: Annotated[str | None, Form()] = None,
    refresh_token: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    """Authorization-code and refresh grants; flat JSON, errors as ``{error, error_description, log_id}``."""
    stub = _state(request)
    try:
        app = stub.check_client(client_key, client_secret)
        if app is None:
            raise OAuthError("invalid_client", "Client key or secret is invalid.")
        if grant_type == "authorization_code":
            body = _code_grant(stub, app, code, redirect_uri, code_verifier)
        elif grant_type == "refresh_token":
            body = _refresh_grant(stub, app, refresh_token)
        elif grant_type == "client_credentials":
            raise OAuthError("unauthorized_client", "Client access tokens are only for research APIs.")
        else:
            raise OAuthError("unsupported_grant_type", "The grant_type is not supported.")
    except OAuthError as exc:
        status = stub.settings.oauth_error_status
        if exc.error == "invalid_client" and status != 200:
            status = 401
        return oauth_error_response(exc, status)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.post(
    "/v2/oauth/revoke/",
    responses={
        200: {"description": "revoked: {}"},
        400: {"model": OAuthErrorBody},
        401: {"model": OAuthErrorBody},
    },
)
def revoke(
    request: Request,
    token: Annotated[str, Form(min_length=1, description="An access or refresh token.")],
    client_key: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    """Revoke the authorisation behind a token; an unknown token is not an error (RFC 7009)."""
    stub = _state(request)
    app = stub.check_client(client_key, client_secret)
    if app is None:
        return oauth_error_response(OAuthError("invalid_client", "Client key or secret is invalid."), 401)
    row = stub.db.one("SELECT grant_id FROM tokens WHERE token_hash = ?", (digest(token),))
    if row is not None:
        stub.revoke_grants("id = ? AND client_key = ?", (row["grant_id"], app["client_key"]), reason=5)
    return JSONResponse({})
