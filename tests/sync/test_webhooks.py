"""The webhook receiver: signatures, replays, duplicates, the 200-first rule, and the real stand-in."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from backend_stub.server import StubServer
from backend_stub.webhooks import signature_header
from studio.sync.webhooks import (
    SignatureError,
    WebhookEvent,
    WebhookReceiver,
    register_with_stand_in,
    verify_signature,
)

SECRET = "s3cr3t-for-tests"
NOW = 1_800_000_000  # the receiver's frozen clock in the unit tests
START = 1_790_000_000.0  # the stand-in's frozen platform clock, as in tests/backend
REDIRECT = "http://127.0.0.1:53682/callback/"
WAIT_S = 20.0


class Box:
    """What the handler saw, with bounded waits."""

    def __init__(self) -> None:
        self.events: list[WebhookEvent] = []
        self._cond = threading.Condition()

    def handle(self, event: WebhookEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait(self, count: int, timeout: float = WAIT_S) -> list[WebhookEvent]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.events) >= count, timeout)
            return list(self.events)


def body_of(event: str = "post.publish.complete", create_time: int = 1, **content: Any) -> bytes:
    payload = {
        "client_key": "ck",
        "event": event,
        "create_time": create_time,
        "user_openid": "oid",
        "content": json.dumps(content or {"publish_id": "p1"}, separators=(",", ":")),
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def post(
    http: httpx.Client, url: str, body: bytes, t: int = NOW, secret: str = SECRET, header: str | None = None
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    sig = signature_header(secret, body, t) if header is None else header
    if sig:
        headers["TikTok-Signature"] = sig
    return http.post(url, content=body, headers=headers)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30, trust_env=False) as client:
        yield client


@pytest.fixture
def make_receiver() -> Iterator[Callable[..., tuple[WebhookReceiver, Box]]]:
    started: list[WebhookReceiver] = []

    def make(**kwargs: Any) -> tuple[WebhookReceiver, Box]:
        box = Box()
        kwargs.setdefault("secret", lambda: SECRET)
        kwargs.setdefault("clock", lambda: float(NOW))
        receiver = WebhookReceiver(handle=kwargs.pop("handle", box.handle), **kwargs).start()
        started.append(receiver)
        return receiver, box

    yield make
    for receiver in started:
        receiver.stop()


@pytest.fixture
def rx(make_receiver: Callable[..., tuple[WebhookReceiver, Box]]) -> tuple[WebhookReceiver, Box]:
    return make_receiver()


def settle(http: httpx.Client, rx: tuple[WebhookReceiver, Box], count: int) -> list[WebhookEvent]:
    """Send a marker event and wait for it: handling is FIFO, so everything before it is done."""
    receiver, box = rx
    marker = body_of("marker", content_marker=secrets.token_hex(4))
    assert post(http, receiver.url, marker).status_code == 200
    events = box.wait(count + 1)
    assert events[-1].event == "marker"
    return events[:-1]


# --- verify_signature ---


def test_verify_signature_known_vector() -> None:
    body = b'{"client_key":"abc","event":"authorization.removed"}'
    sig = "8b52709584e94c8b7d547537a5e089eb113dc5c3f7145efc28474a61a469e43a"  # openssl dgst -hmac
    header = f"t=1700000000,s={sig}"
    assert verify_signature(header, body, "s3cr3t", now=1_700_000_010, tolerance_s=300) == (
        1_700_000_000,
        sig,
    )
    assert verify_signature(f" t=1700000000 , s={sig.upper()}", body, "s3cr3t", now=1.7e9, tolerance_s=5)[0]
    cases = [
        (header, body + b" ", "s3cr3t", 1.7e9, "bad signature"),  # HMAC is over the raw bytes
        (header, body, "other", 1.7e9, "bad signature"),
        (header, body, "s3cr3t", 1.7e9 + 301, "stale timestamp"),
        (header, body, "s3cr3t", 1.7e9 - 301, "stale timestamp"),  # t in the future
        (None, body, "s3cr3t", 1.7e9, "missing signature"),
        ("", body, "s3cr3t", 1.7e9, "missing signature"),
        ("garbage", body, "s3cr3t", 1.7e9, "malformed signature"),
        (f"s={sig}", body, "s3cr3t", 1.7e9, "malformed signature"),
        ("t=1700000000", body, "s3cr3t", 1.7e9, "malformed signature"),
        (f"t=17e8,s={sig}", body, "s3cr3t", 1.7e9, "malformed signature"),
        ("t=1700000000,s=not-hex", body, "s3cr3t", 1.7e9, "malformed signature"),
        (f"t=1,t=1700000000,s={sig}", body, "s3cr3t", 1.7e9, "malformed signature"),
        (f"t={'9' * 5000},s={sig}", body, "s3cr3t", 1.7e9, "malformed signature"),
    ]
    for hdr, raw, secret, now, reason in cases:
        with pytest.raises(SignatureError) as info:
            verify_signature(hdr, raw, secret, now=now, tolerance_s=300)
        assert info.value.reason == reason, hdr


def test_event_parsing() -> None:
    raw = body_of("authorization.removed", 42, reason=1)
    event = WebhookEvent.parse(raw)
    assert event.event_id == hashlib.sha256(raw).hexdigest() and event.raw == raw
    assert (event.event, event.client_key, event.user_openid, event.create_time) == (
        "authorization.removed",
        "ck",
        "oid",
        42,
    )
    assert event.content == {"reason": 1}
    assert WebhookEvent.parse(b'{"event":"x","content":"{not json"}').content == {}
    assert WebhookEvent.parse(b'{"event":"x"}').content == {}
    assert hash(event) == hash(WebhookEvent.parse(raw))
    for bad in (b"[]", b'{"content":"{}"}', b'{"event":""}', b"\xff"):
        with pytest.raises(ValueError):
            WebhookEvent.parse(bad)


# --- the receiver over HTTP ---


def test_good_signature_is_answered_and_handled_once(
    http: httpx.Client, rx: tuple[WebhookReceiver, Box]
) -> None:
    receiver, box = rx
    assert receiver.url.startswith("http://127.0.0.1:") and receiver.url.endswith("/webhook/")
    raw = body_of("post.publish.complete", 7, publish_id="v_pub_1", publish_type="DIRECT_PUBLISH")
    reply = post(http, receiver.url, raw)
    assert reply.status_code == 200 and reply.json() == {"ok": True}
    [event] = settle(http, rx, 1)
    assert event.event == "post.publish.complete" and event.create_time == 7
    assert event.content == {"publish_id": "v_pub_1", "publish_type": "DIRECT_PUBLISH"}
    assert event.event_id == hashlib.sha256(raw).hexdigest()
    stats = receiver.stats
    assert stats["received"] == 2 and stats["handled"] == 2 and stats["duplicates"] == 0
    assert stats["rejected"] == {}
    assert box.events.count(event) == 1


def test_signature_failures_are_401_and_not_handled(
    http: httpx.Client, rx: tuple[WebhookReceiver, Box]
) -> None:
    receiver, _ = rx
    raw = body_of()
    failures = [
        (post(http, receiver.url, raw, secret="wrong"), "bad signature"),
        (post(http, receiver.url, raw, header=""), "missing signature"),
        (post(http, receiver.url, raw, header="t=,s="), "malformed signature"),
        (post(http, receiver.url, raw, t=NOW - 1000), "stale timestamp"),
        (post(http, receiver.url, raw, t=NOW + 1000), "stale timestamp"),
    ]
    for reply, reason in failures:
        assert reply.status_code == 401 and reply.json() == {"error": reason}
    assert settle(http, rx, 0) == []
    assert receiver.stats["rejected"] == {
        "bad signature": 1,
        "missing signature": 1,
        "malformed signature": 1,
        "stale timestamp": 2,
    }


def test_replay_is_409_and_a_duplicate_delivery_is_200(
    http: httpx.Client, rx: tuple[WebhookReceiver, Box]
) -> None:
    receiver, _ = rx
    raw = body_of("post.publish.inbox_delivered", 5)
    header = signature_header(SECRET, raw, NOW)
    assert post(http, receiver.url, raw, header=header).status_code == 200
    replay = post(http, receiver.url, raw, header=header)
    assert replay.status_code == 409 and replay.json() == {"error": "replay"}
    assert post(http, receiver.url, raw, t=NOW - 1).status_code == 200  # the platform resends: new t
    events = settle(http, rx, 1)
    assert [e.event for e in events] == ["post.publish.inbox_delivered"]
    stats = receiver.stats
    assert stats["duplicates"] == 1 and stats["rejected"] == {"replay": 1} and stats["handled"] == 2


def test_replay_window_is_pruned_by_time(
    make_receiver: Callable[..., tuple[WebhookReceiver, Box]], http: httpx.Client
) -> None:
    now = [float(NOW)]
    receiver, box = make_receiver(clock=lambda: now[0], tolerance_s=60)
    raw = body_of()
    header = signature_header(SECRET, raw, NOW)
    assert post(http, receiver.url, raw, header=header).status_code == 200
    now[0] += 61  # the pair has left the window: the same request is now just stale
    assert post(http, receiver.url, raw, header=header).status_code == 401
    assert receiver.stats["rejected"] == {"stale timestamp": 1}
    assert [e.event for e in box.wait(1)] == ["post.publish.complete"]


def test_out_of_order_deliveries_are_all_handled_in_arrival_order(
    http: httpx.Client, rx: tuple[WebhookReceiver, Box]
) -> None:
    receiver, _ = rx
    for create_time in (3, 1, 2):
        assert post(http, receiver.url, body_of("post.publish.complete", create_time)).status_code == 200
    events = settle(http, rx, 3)
    assert [e.create_time for e in events] == [3, 1, 2]
    assert len({e.event_id for e in events}) == 3


def test_bad_requests(make_receiver: Callable[..., tuple[WebhookReceiver, Box]], http: httpx.Client) -> None:
    receiver, box = make_receiver(max_body=2_000)
    big = body_of(blob="x" * 3_000)
    reply = post(http, receiver.url, big)
    assert reply.status_code == 413
    assert post(http, receiver.url, b"not json").status_code == 400
    with socket.create_connection(("127.0.0.1", int(urlsplit(receiver.url).port or 0)), timeout=30) as raw:
        raw.sendall(b"POST /webhook/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        assert raw.recv(64).startswith(b"HTTP/1.0 411 ")
    assert post(http, receiver.url, b'{"content": "{}"}').status_code == 400  # no event
    assert post(http, receiver.url, b"[1, 2]").status_code == 400
    assert http.get(receiver.url).status_code == 405
    assert http.get(receiver.url).headers["allow"] == "POST"
    assert post(http, receiver.url.replace("/webhook/", "/other/"), body_of()).status_code == 404
    assert http.get(receiver.url.replace("/webhook/", "/other/")).status_code == 404
    assert settle(http, (receiver, box), 0) == []
    assert receiver.stats["rejected"] == {"body too large": 1, "length required": 1, "invalid event": 3}


def test_no_secret_is_503(
    make_receiver: Callable[..., tuple[WebhookReceiver, Box]], http: httpx.Client
) -> None:
    current: list[str | None] = [None]
    receiver, box = make_receiver(secret=lambda: current[0])
    reply = post(http, receiver.url, body_of())
    assert reply.status_code == 503 and reply.json() == {"error": "not configured"}
    current[0] = SECRET  # read on every request: a secret set later is used at once
    assert post(http, receiver.url, body_of()).status_code == 200
    assert len(box.wait(1)) == 1


def test_the_answer_does_not_wait_for_a_slow_handler(
    make_receiver: Callable[..., tuple[WebhookReceiver, Box]], http: httpx.Client
) -> None:
    entered, release, done = threading.Event(), threading.Event(), threading.Event()
    seen: list[int] = []

    def slow(event: WebhookEvent) -> None:
        entered.set()
        assert release.wait(WAIT_S)
        seen.append(event.create_time)
        if len(seen) == 2:
            done.set()

    receiver, _ = make_receiver(handle=slow)
    assert post(http, receiver.url, body_of(create_time=1)).status_code == 200
    assert entered.wait(WAIT_S)
    assert post(http, receiver.url, body_of(create_time=2)).status_code == 200  # handler still blocked
    assert not done.is_set() and seen == []
    release.set()
    assert done.wait(WAIT_S) and seen == [1, 2]


def test_handler_errors_are_logged_and_do_not_stop_the_handler(
    make_receiver: Callable[..., tuple[WebhookReceiver, Box]],
    http: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    box = Box()

    def flaky(event: WebhookEvent) -> None:
        if event.create_time == 1:
            raise RuntimeError("boom")
        box.handle(event)

    receiver, _ = make_receiver(handle=flaky)
    with caplog.at_level(logging.DEBUG, logger="studio.sync.webhooks"):
        assert post(http, receiver.url, body_of(create_time=1)).status_code == 200
        assert post(http, receiver.url, body_of(create_time=2)).status_code == 200
        assert [e.create_time for e in box.wait(1)] == [2]
    assert receiver.stats["handler_errors"] == 1 and receiver.stats["handled"] == 1
    assert "webhook handler failed" in caplog.text and "boom" in caplog.text
    assert SECRET not in caplog.text
    assert signature_header(SECRET, body_of(create_time=1), NOW)[-64:] not in caplog.text


def test_remember_is_the_engines_store(
    make_receiver: Callable[..., tuple[WebhookReceiver, Box]], http: httpx.Client
) -> None:
    store: set[str] = set()
    failing = [True]

    def remember(event: WebhookEvent) -> bool:
        if failing[0]:
            raise OSError("disk full")
        if event.event_id in store:
            return False
        store.add(event.event_id)
        return True

    first, box1 = make_receiver(remember=remember)
    raw = body_of(create_time=9)
    header = signature_header(SECRET, raw, NOW)
    assert post(http, first.url, raw, header=header).status_code == 500  # the platform will retry
    failing[0] = False
    assert post(http, first.url, raw, header=header).status_code == 200  # that retry is no replay
    assert [e.create_time for e in box1.wait(1)] == [9]
    first.stop()
    second, box2 = make_receiver(remember=remember)  # an app restart: the store remembers
    assert post(http, second.url, raw, t=NOW - 2).status_code == 200
    assert settle(http, (second, box2), 0) == []
    assert second.stats["duplicates"] == 1


def test_loopback_only_and_lifecycle() -> None:
    with pytest.raises(ValueError):
        WebhookReceiver(lambda: SECRET, lambda e: None, host="0.0.0.0")
    receiver = WebhookReceiver(lambda: SECRET, lambda e: None)
    with pytest.raises(RuntimeError):
        _ = receiver.url
    with receiver as running:
        assert running is receiver and running.url.startswith("http://127.0.0.1:")
    receiver.stop()  # twice is fine


# --- end to end with the real stand-in ---


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[StubServer]:
    with StubServer(tmp_path / "stub", seed=7, clock=START, clock_speed=0, auto_approve=True) as server:
        yield server


def sign_in(stub: StubServer, http: httpx.Client) -> str:
    """The loopback PKCE flow (hex challenge, as the platform wants); returns the open_id."""
    verifier = secrets.token_urlsafe(48)[:64]
    params = {
        "client_key": stub.demo_client_key,
        "scope": "user.info.basic",
        "redirect_uri": REDIRECT,
        "state": "s",
        "response_type": "code",
        "code_challenge": hashlib.sha256(verifier.encode()).hexdigest(),
        "code_challenge_method": "S256",
        "login_hint": "demo.creator",
    }
    reply = http.get(f"{stub.base_url}/v2/auth/authorize/", params=params)
    assert reply.status_code == 302, reply.text
    code = parse_qs(urlsplit(reply.headers["location"]).query)["code"][0]
    tokens = http.post(
        f"{stub.base_url}/v2/oauth/token/",
        data={
            "client_key": stub.demo_client_key,
            "client_secret": stub.demo_client_secret,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 200, tokens.text
    return str(tokens.json()["open_id"])


def delivered(http: httpx.Client, stub: StubServer, event: str) -> list[dict[str, Any]]:
    rows = http.get(f"{stub.base_url}/_stub/webhooks/events", params={"state": "delivered"}).json()
    return [row for row in rows if row["event"] == event]


def wait_until(check: Callable[[], bool], timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_stand_in_delivers_authorization_removed(stub: StubServer, http: httpx.Client) -> None:
    removed = threading.Event()
    box = Box()

    def handle(event: WebhookEvent) -> None:
        box.handle(event)
        if event.event == "authorization.removed" and event.content.get("reason") == 1:
            removed.set()

    with WebhookReceiver(lambda: stub.demo_client_secret, handle) as receiver:
        register_with_stand_in(http, stub.base_url, receiver.url, stub.demo_client_key)
        targets = http.get(f"{stub.base_url}/_stub/webhooks").json()
        assert {"client_key": stub.demo_client_key, "url": receiver.url} in targets
        open_id = sign_in(stub, http)
        reply = http.post(f"{stub.base_url}/_stub/accounts/{open_id}/disconnect", json={"reason": 1})
        assert reply.status_code == 200 and reply.json() == {"revoked_grants": 1}
        assert removed.wait(WAIT_S)
        assert wait_until(lambda: len(delivered(http, stub, "authorization.removed")) == 1)
        [row] = delivered(http, stub, "authorization.removed")
        [event] = [e for e in box.events if e.event == "authorization.removed"]
        assert event.raw == row["body"].encode() and event.user_openid == open_id
        assert event.client_key == stub.demo_client_key and event.create_time == int(START)
        assert receiver.stats["rejected"] == {}


def test_register_with_stand_in_reports_a_refusal(stub: StubServer, http: httpx.Client) -> None:
    with pytest.raises(RuntimeError, match="HTTP 400"):
        register_with_stand_in(http, stub.base_url, "http://example.com:80/webhook/")
    with pytest.raises(RuntimeError, match="unknown client_key"):
        register_with_stand_in(http, stub.base_url + "/", "http://127.0.0.1:9/webhook/", "nope")
    register_with_stand_in(http, stub.base_url, "http://127.0.0.1:9/webhook/")  # the demo app by default
    assert http.get(f"{stub.base_url}/_stub/webhooks").json()[0]["url"] == "http://127.0.0.1:9/webhook/"


def test_stand_in_duplicates_are_handled_once(stub: StubServer, http: httpx.Client) -> None:
    """The duplicate fault re-sends the identical signed request at once, a replay to the receiver;
    it must be answered 200 or the stand-in (only the last send's 200 counts) retries to a dead letter."""
    box = Box()
    with WebhookReceiver(lambda: stub.demo_client_secret, box.handle, replay_status=200) as receiver:
        register_with_stand_in(http, stub.base_url, receiver.url)
        assert (
            http.post(f"{stub.base_url}/_stub/faults", json={"webhook_duplicate_rate": 1.0}).status_code
            == 200
        )
        open_id = sign_in(stub, http)
        http.post(f"{stub.base_url}/_stub/accounts/{open_id}/disconnect", json={"reason": 1})
        assert wait_until(lambda: len(delivered(http, stub, "authorization.removed")) == 1)
        assert wait_until(lambda: receiver.stats["received"] >= 2)
        events = box.wait(1)
        assert [(e.event, e.content) for e in events] == [("authorization.removed", {"reason": 1})]
        stats = receiver.stats
        assert stats["handled"] == 1 and stats["received"] == 2
        assert stats["duplicates"] + stats["rejected"].get("replay", 0) == 1
