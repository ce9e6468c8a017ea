"""OAuth 2.0 against the contract: consent page, PKCE (hex and base64url), codes, refresh rotation, revoke."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from stubkit import ALL, REDIRECT, authorize_params, code_from, exchange, init_upload, pkce_pair, sign_in

from backend_stub.server import StubServer


def _consent_form(page: str) -> dict[str, str]:
    return dict(re.findall(r"<input type='hidden' name='([a-z_]+)' value='([^']*)'>", page))


def test_pkce_flow_through_the_consent_page(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    http = http_for(stub)
    verifier, challenge = pkce_pair()
    page = http.get(
        "/v2/auth/authorize/",
        params=authorize_params(stub, challenge, "user.info.basic,video.list,video.publish"),
    )
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "Demo Creator" in page.text and "demo.private" in page.text
    form = _consent_form(page.text)
    form.update(account="demo.private", decision="allow")
    reply = http.post("/v2/auth/authorize/", data={**form, "granted_scope": ["video.list"]})
    query = code_from(reply)
    assert query["state"] == "xyz"
    assert query["scopes"] == "user.info.basic,video.list"  # video.publish was unticked
    tokens = exchange(stub, http, query["code"], verifier)
    assert tokens.status_code == 200
    body = tokens.json()
    assert body["access_token"].startswith("act.") and body["refresh_token"].startswith("rft.")
    assert (
        body["token_type"] == "Bearer"
        and body["expires_in"] == 86_400
        and body["refresh_expires_in"] == 31_536_000
    )
    assert body["open_id"] == stub.demo_accounts["demo.private"]
    assert body["scope"] == "user.info.basic,video.list"
    me = http.get(
        "/v2/user/info/",
        params={"fields": "open_id,display_name"},
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert me.json()["data"]["user"] == {"open_id": body["open_id"], "display_name": "Demo Private"}


def test_consent_denied_and_forged_form(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    http = http_for(stub)
    _, challenge = pkce_pair()
    form = _consent_form(http.get("/v2/auth/authorize/", params=authorize_params(stub, challenge)).text)
    denied = code_from(
        http.post("/v2/auth/authorize/", data={**form, "account": "demo.creator", "decision": "deny"})
    )
    assert denied["error"] == "access_denied" and denied["state"] == "xyz"
    forged = http.post(
        "/v2/auth/authorize/", data={**form, "scope": ALL + ",research.data.basic", "decision": "allow"}
    )
    assert forged.status_code == 400


def test_authorize_errors(stub: StubServer, http_for: Callable[[StubServer], httpx.Client]) -> None:
    http = http_for(stub)
    _, challenge = pkce_pair()
    good = authorize_params(stub, challenge)
    assert http.get("/v2/auth/authorize/", params={**good, "client_key": "nope"}).status_code == 400
    for uri in (
        "http://127.0.0.1/callback/",
        "http://127.0.0.1:5000/callback",
        "http://10.0.0.1:5000/callback/",
        "http://127.0.0.1:5000/callback/?x=1",
    ):
        assert http.get("/v2/auth/authorize/", params={**good, "redirect_uri": uri}).status_code == 400, uri
    stub.settings.auto_approve = True
    assert code_from(
        http.get("/v2/auth/authorize/", params={**good, "redirect_uri": "http://localhost:1234/callback/"}),
        "http://localhost:1234/callback/",
    )
    cases = {
        "unsupported_response_type": {"response_type": "token"},
        "invalid_scope": {"scope": "video.list,research.adlib.basic"},
        "invalid_request": {"code_challenge_method": "plain"},
        "access_denied": {"login_hint": "nobody"},
    }
    for error, change in cases.items():
        reply = http.get("/v2/auth/authorize/", params={**good, **change})
        assert code_from(reply)["error"] == error, change


def test_auto_approve_picks_public_account_and_honours_disable_auto_auth(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    http = http_for(stub)
    stub.settings.auto_approve = True
    verifier, challenge = pkce_pair()
    query = code_from(http.get("/v2/auth/authorize/", params=authorize_params(stub, challenge)))
    assert (
        exchange(stub, http, query["code"], verifier).json()["open_id"] == stub.demo_accounts["demo.creator"]
    )
    forced = http.get("/v2/auth/authorize/", params=authorize_params(stub, challenge, disable_auto_auth="1"))
    assert forced.status_code == 200 and "<form" in forced.text


def test_token_endpoint_errors(stub: StubServer, http_for: Callable[[StubServer], httpx.Client]) -> None:
    http = http_for(stub)
    stub.settings.auto_approve = True
    verifier, challenge = pkce_pair()
    code = code_from(http.get("/v2/auth/authorize/", params=authorize_params(stub, challenge)))["code"]

    def token(**fields: str) -> httpx.Response:
        base = {
            "client_key": stub.demo_client_key,
            "client_secret": stub.demo_client_secret,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        }
        return http.post("/v2/oauth/token/", data={k: v for k, v in {**base, **fields}.items() if v != "-"})

    def error(reply: httpx.Response) -> str:
        body = reply.json()
        assert set(body) == {"error", "error_description", "log_id"} and re.fullmatch(
            r"\d{14}[0-9A-F]{20}", body["log_id"]
        )
        return str(body["error"])

    assert error(token(grant_type="-")) == "invalid_request"
    assert error(token(grant_type="password")) == "unsupported_grant_type"
    assert error(token(grant_type="client_credentials")) == "unauthorized_client"
    assert error(token(client_secret="wrong")) == "invalid_client"
    bad_verifier = token(code_verifier="x" * 50)
    assert error(bad_verifier) == "invalid_request" and bad_verifier.status_code == 400
    assert bad_verifier.json()["error_description"] == "Code verifier or code challenge is invalid."
    assert error(token(redirect_uri="http://127.0.0.1:9/callback/")) == "invalid_grant"
    first = token()
    assert first.status_code == 200
    assert error(token()) == "invalid_grant"  # single use ...
    access = first.json()["access_token"]
    revoked = http.get(
        "/v2/user/info/", params={"fields": "open_id"}, headers={"Authorization": f"Bearer {access}"}
    )
    assert revoked.status_code == 401  # ... and replaying it revokes what it issued
    stub.settings.oauth_error_status = 200
    assert token().status_code == 200 and error(token()) == "invalid_grant"


def test_base64url_challenge_accepted_unless_switched_off(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    http = http_for(stub)
    stub.settings.auto_approve = True
    for lenient, expected in ((True, 200), (False, 400)):
        stub.settings.accept_base64url_pkce = lenient
        verifier, challenge = pkce_pair(base64url=True)
        code = code_from(http.get("/v2/auth/authorize/", params=authorize_params(stub, challenge)))["code"]
        assert exchange(stub, http, code, verifier).status_code == expected


def test_code_expires(stub: StubServer, http_for: Callable[[StubServer], httpx.Client]) -> None:
    http = http_for(stub)
    stub.settings.auto_approve = True
    verifier, challenge = pkce_pair()
    code = code_from(http.get("/v2/auth/authorize/", params=authorize_params(stub, challenge)))["code"]
    http.post("/_stub/clock", json={"advance_s": 301})
    reply = exchange(stub, http, code, verifier)
    assert reply.json()["error"] == "invalid_grant"


def test_refresh_rotation_and_expiry(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    http = http_for(stub)
    http.post("/_stub/settings", json={"access_token_ttl_s": 7200, "refresh_token_ttl_s": 15_552_000})
    s = sign_in(stub, http)
    assert s.tokens["expires_in"] == 7200
    http.post("/_stub/clock", json={"advance_s": 7201})
    assert (
        s.api("GET", "/v2/user/info/", params={"fields": "open_id"}).json()["error"]["code"]
        == "access_token_invalid"
    )

    def refresh(token: str) -> httpx.Response:
        return http.post(
            "/v2/oauth/token/",
            data={
                "client_key": stub.demo_client_key,
                "client_secret": stub.demo_client_secret,
                "grant_type": "refresh_token",
                "refresh_token": token,
            },
        )

    new = refresh(s.tokens["refresh_token"]).json()
    assert new["refresh_token"] != s.tokens["refresh_token"]
    assert new["refresh_expires_in"] == 15_552_000 - 7201  # remaining lifetime, not a fresh one
    assert refresh(s.tokens["refresh_token"]).json()["error"] == "invalid_grant"  # rotated away
    me = http.get(
        "/v2/user/info/",
        params={"fields": "open_id"},
        headers={"Authorization": f"Bearer {new['access_token']}"},
    )
    assert me.json()["data"]["user"]["open_id"] == new["open_id"]
    stub.settings.rotate_refresh_tokens = False
    same = refresh(new["refresh_token"]).json()
    assert same["refresh_token"] == new["refresh_token"] and same["access_token"] != new["access_token"]
    http.post("/_stub/clock", json={"advance_s": 15_552_000})
    assert refresh(new["refresh_token"]).json()["error"] == "invalid_grant"


def test_revoke(stub: StubServer, http_for: Callable[[StubServer], httpx.Client]) -> None:
    http = http_for(stub)
    s = sign_in(stub, http)
    pending = init_upload(s, 100).json()["data"]["publish_id"]
    creds = {"client_key": stub.demo_client_key, "client_secret": stub.demo_client_secret}
    assert (
        http.post("/v2/oauth/revoke/", data={**creds, "client_secret": "no", "token": "x"}).json()["error"]
        == "invalid_client"
    )
    reply = http.post("/v2/oauth/revoke/", data={**creds, "token": s.tokens["access_token"]})
    assert reply.status_code == 200 and reply.json() == {}
    assert s.api("GET", "/v2/user/info/", params={"fields": "open_id"}).status_code == 401
    refreshed = http.post(
        "/v2/oauth/token/",
        data={**creds, "grant_type": "refresh_token", "refresh_token": s.tokens["refresh_token"]},
    )
    assert refreshed.json()["error"] == "invalid_grant"
    again = sign_in(stub, http)  # a new grant for the same user and app may read the old publish
    status = again.api("POST", "/v2/post/publish/status/fetch/", json={"publish_id": pending}).json()["data"]
    assert status["status"] == "FAILED" and status["fail_reason"] == "auth_removed"


def test_scopes_are_enforced_per_endpoint(
    shared_stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    s = sign_in(shared_stub, http_for(shared_stub), scope="user.info.basic")
    for method, path, body in (
        ("POST", "/v2/post/publish/creator_info/query/", None),
        ("POST", "/v2/post/publish/status/fetch/", {"publish_id": "x"}),
        ("POST", "/v2/video/list/?fields=id", {}),
        (
            "POST",
            "/v2/post/publish/inbox/video/init/",
            {
                "source_info": {
                    "source": "FILE_UPLOAD",
                    "video_size": 10,
                    "chunk_size": 10,
                    "total_chunk_count": 1,
                }
            },
        ),
    ):
        reply = s.api(method, path, json=body)
        assert reply.status_code == 401 and reply.json()["error"]["code"] == "scope_not_authorized", path
    missed = s.api("GET", "/v2/user/info/", params={"fields": "open_id,follower_count"})
    assert missed.status_code == 400 and missed.json()["error"]["code"] == "scope_permission_missed"
    assert s.api("GET", "/v2/user/info/", params={"fields": "open_id"}).status_code == 200
    nobody = s.http.get(
        "/v2/user/info/", params={"fields": "open_id"}, headers={"Authorization": "Bearer act.nothing"}
    )
    assert nobody.status_code == 401 and nobody.json() == {
        "data": {},
        "error": {**nobody.json()["error"], "code": "access_token_invalid"},
    }
