"""Loopback sign-in with PKCE against the real stand-in; the test plays the browser with httpx."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from studio.sync.engine import SyncEngine
from studio.sync.errors import SignInError
from studio.sync.platform import ALL_SCOPES
from studio.sync.signin import VERIFIER_CHARS, challenge, make_verifier

from .conftest import consent_browser


def test_pkce_is_the_platforms_hex_s256() -> None:
    verifier = make_verifier()
    assert 43 <= len(verifier) <= 128 and set(verifier) <= set(VERIFIER_CHARS)
    assert challenge(verifier) == hashlib.sha256(verifier.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", challenge(verifier))
    assert make_verifier() != make_verifier()


def test_sign_in_through_the_consent_page(make_engine: Callable[..., SyncEngine]) -> None:
    engine = make_engine()
    seen: dict[str, str] = {}

    def browser(url: str) -> None:
        query = parse_qs(urlsplit(url).query)
        seen["redirect"] = query["redirect_uri"][0]
        seen["challenge"] = query["code_challenge"][0]
        seen["scope"] = query["scope"][0]
        with httpx.Client(trust_env=False, timeout=30) as http:
            page = http.get(url + "&disable_auto_auth=1")
            hidden = dict(re.findall(r"<input type='hidden' name='([^']+)' value='([^']*)'>", page.text))
            form = {
                **hidden,
                "account": "demo.creator",
                "decision": "allow",
                "granted_scope": list(ALL_SCOPES),
            }
            answer = http.post(url.split("?")[0], data=form)
            done = http.get(answer.headers["location"])
            seen["page"] = done.text
            seen["status"] = str(done.status_code)

    account = engine.sign_in(browser, timeout=30)
    assert seen["redirect"].startswith("http://127.0.0.1:") and seen["redirect"].endswith("/callback/")
    assert re.fullmatch(r"[0-9a-f]{64}", seen["challenge"]) and seen["scope"] == ",".join(ALL_SCOPES)
    assert seen["status"] == "200" and "You can close this tab" in seen["page"]
    assert account.scopes == ALL_SCOPES and account.health == "ok" and account.active
    assert engine.tokens is not None and engine.tokens.load(account.id) is not None
    # the listener is gone once the sign-in is over
    with pytest.raises(httpx.ConnectError):
        httpx.get(seen["redirect"], timeout=2)


def test_consent_denied_is_a_clear_error(make_engine: Callable[..., SyncEngine]) -> None:
    engine = make_engine()
    with pytest.raises(SignInError) as denied:
        engine.sign_in(consent_browser(decision="deny"), timeout=30)
    assert denied.value.reason == "denied" and "did not allow" in str(denied.value)
    assert engine.accounts() == []


def test_a_callback_with_the_wrong_state_is_refused_and_the_real_one_still_counts(
    make_engine: Callable[..., SyncEngine],
) -> None:
    engine = make_engine()
    forged: list[int] = []

    def browser(url: str) -> None:
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        forged.append(httpx.get(redirect, params={"code": "stolen", "state": "evil"}, timeout=10).status_code)
        consent_browser()(url)

    account = engine.sign_in(browser, timeout=30)
    assert forged == [400] and account.health == "ok"


def test_timeout_and_cancel_stop_the_wait(make_engine: Callable[..., SyncEngine]) -> None:
    engine = make_engine()

    def broken(url: str) -> None:
        raise OSError("no browser installed")

    with pytest.raises(SignInError) as no_browser:
        engine.sign_in(broken, timeout=30)
    assert no_browser.value.reason == "browser" and "no browser installed" in str(no_browser.value)
    with pytest.raises(SignInError) as timed_out:
        engine.sign_in(lambda url: None, timeout=0.5)
    assert timed_out.value.reason == "timeout" and "Try again" in str(timed_out.value)
    cancel = threading.Event()
    with pytest.raises(SignInError) as cancelled:
        engine.sign_in(lambda url: cancel.set(), timeout=30, cancel=cancel)
    assert cancelled.value.reason == "cancelled"
    assert engine.accounts() == []


def test_a_scope_left_out_turns_off_only_its_feature(make_engine: Callable[..., SyncEngine]) -> None:
    engine = make_engine()
    granted = [s for s in ALL_SCOPES if s != "user.info.stats"]
    account = engine.sign_in(consent_browser(granted), timeout=30)
    assert "user.info.stats" not in account.scopes
    sentence = account.missing("stats")
    assert sentence is not None and "'user.info.stats'" in sentence and "Sign in again" in sentence
    assert account.missing("posts") is None and account.missing("publish") is None
    [(_, report)] = engine.run_once()
    assert not isinstance(report, Exception), report
    assert report.posts_seen > 0  # posts still sync
    assert engine.store is not None
    assert engine.store.account_snapshots(account.id) == []  # no counters without the scope
    assert engine.store.account_daily(account.id) == []
