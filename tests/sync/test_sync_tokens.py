"""Refresh with rotation, racing refreshes, revoke and a dead sign-in, against the real stand-in."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest

from backend_stub.server import StubServer
from studio.sync.client import ApiClient
from studio.sync.engine import SyncEngine
from studio.sync.errors import NeedsSignIn

from .conftest import platform_of


def count_requests(engine: SyncEngine) -> list[str]:
    seen: list[str] = []
    assert engine.client is not None
    engine.client.http.event_hooks["request"].append(lambda r: seen.append(r.url.path))
    return seen


def test_refresh_rotates_and_the_old_refresh_token_dies(
    make_engine: Callable[..., SyncEngine], stub: StubServer, admin: httpx.Client
) -> None:
    engine = make_engine()
    account = engine.sign_in_demo()
    assert engine.tokens is not None
    before = engine.tokens.load(account.id)
    assert before is not None
    admin.post("/_stub/faults", json={"expire_tokens_now": True}).raise_for_status()
    [(_, report)] = engine.run_once()
    assert not isinstance(report, Exception), report
    after = engine.tokens.load(account.id)
    assert after is not None and engine.tokens.refreshes == 1
    assert after.refresh_token != before.refresh_token and after.access_token != before.access_token
    with ApiClient(platform_of(stub)) as client, pytest.raises(NeedsSignIn):
        client.refresh(before.refresh_token)  # rotated: the old one is dead
    with ApiClient(platform_of(stub)) as client:
        assert client.user_info(after.access_token, "x", ["open_id"])["open_id"] == after.open_id


def test_two_refreshes_racing_make_one(make_engine: Callable[..., SyncEngine], admin: httpx.Client) -> None:
    first = make_engine()
    account = first.sign_in_demo()
    second = make_engine()  # another engine on the same profile: the app and `sync` at once
    assert first.tokens is not None and second.tokens is not None
    stale = first.tokens.load(account.id)
    assert stale is not None
    admin.post("/_stub/faults", json={"expire_tokens_now": True}).raise_for_status()
    start = threading.Barrier(4)
    got: list[str] = []
    errors: list[BaseException] = []

    def refresh(engine: SyncEngine) -> None:
        start.wait()
        try:
            assert engine.tokens is not None
            got.append(engine.tokens.access_token(account.id, rejected=stale.access_token))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=refresh, args=(e,)) for e in (first, first, second, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert first.tokens.refreshes + second.tokens.refreshes == 1
    assert len(set(got)) == 1 and got[0] != stale.access_token
    assert first.accounts()[0].health == "ok"


def test_a_dead_refresh_token_asks_to_sign_in_once_and_never_loops(
    make_engine: Callable[..., SyncEngine], stub: StubServer, admin: httpx.Client
) -> None:
    engine = make_engine()
    account = engine.sign_in_demo()
    health: list[str] = []
    engine.add_listener(lambda e: health.append(e.message) if e.kind == "accounts" else None)
    # the creator removes the app in TikTok: every token is revoked at the platform
    admin.post(f"/_stub/accounts/{account.open_id}/disconnect", json={"reason": 1}).raise_for_status()
    requests = count_requests(engine)
    [(_, outcome)] = engine.run_once()
    assert isinstance(outcome, NeedsSignIn)
    assert requests.count("/v2/oauth/token/") == 1  # one refresh attempt, refused
    [current] = engine.accounts()
    assert current.health == "sign_in_again" and "Sign in again" in current.health_text()
    assert len(health) == 1
    requests.clear()
    for _ in range(3):
        [(_, outcome)] = engine.run_once()
        assert isinstance(outcome, NeedsSignIn)
        with pytest.raises(NeedsSignIn):
            assert engine.tokens is not None
            engine.tokens.access_token(account.id)
    assert requests == [] and len(health) == 1  # no request, no second announcement
    again = engine.sign_in_demo()  # signing in again brings the same account back
    assert again.id == account.id and again.health == "ok"


def test_an_expired_refresh_token_needs_no_request_to_know(
    make_engine: Callable[..., SyncEngine], stub: StubServer, admin: httpx.Client
) -> None:
    stub.settings.refresh_token_ttl_s = 3600
    stub.settings.access_token_ttl_s = 600
    engine = make_engine()
    engine.sign_in_demo()
    admin.post("/_stub/clock", json={"advance_s": 7200}).raise_for_status()
    requests = count_requests(engine)
    [(_, outcome)] = engine.run_once()
    assert isinstance(outcome, NeedsSignIn) and "expired" in str(outcome)
    assert "/v2/oauth/token/" not in requests
    assert engine.accounts()[0].health == "sign_in_again"


def test_sign_out_revokes_at_the_platform(make_engine: Callable[..., SyncEngine], stub: StubServer) -> None:
    engine = make_engine()
    account = engine.sign_in_demo()
    assert engine.tokens is not None
    tokens = engine.tokens.load(account.id)
    assert tokens is not None
    assert engine.sign_out(account.id) is None
    assert engine.tokens.load(account.id) is None
    assert engine.accounts()[0].health == "signed_out"
    with httpx.Client(base_url=stub.base_url, trust_env=False) as http:
        answer = http.get(
            "/v2/user/info/",
            params={"fields": "open_id"},
            headers={"Authorization": f"Bearer {tokens.access_token}"},
        )
        assert answer.status_code == 401
        refreshed = http.post(
            "/v2/oauth/token/",
            data={
                "client_key": stub.demo_client_key,
                "client_secret": stub.demo_client_secret,
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh_token,
            },
        )
        assert refreshed.json()["error"] == "invalid_grant"
