"""The API client against the real stand-in and against hostile servers: typed errors only."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from backend_stub.server import StubServer
from studio.sync.client import ApiClient, BadResponse, TokenRejected
from studio.sync.errors import MissingScope, NeedsSignIn, Offline, Permanent, RateLimited, Retryable
from studio.sync.platform import PlatformConfig
from studio.sync.ratelimit import RateLimiter
from studio.sync.signin import challenge, make_verifier

from .conftest import platform_of

REDIRECT = "http://127.0.0.1:50123/callback/"


def sign_in_tokens(stub: StubServer, scopes: str = "user.info.basic,video.list") -> dict[str, object]:
    verifier = make_verifier()
    with httpx.Client(base_url=stub.base_url, trust_env=False) as http:
        answer = http.get(
            "/v2/auth/authorize/",
            params={
                "client_key": stub.demo_client_key,
                "scope": scopes,
                "redirect_uri": REDIRECT,
                "state": "s",
                "response_type": "code",
                "code_challenge": challenge(verifier),
                "code_challenge_method": "S256",
            },
        )
    code = httpx.URL(answer.headers["location"]).params["code"]
    with ApiClient(platform_of(stub)) as client:
        return client.exchange_code(code, REDIRECT, verifier)


def quick(stub: StubServer, attempts: int = 1) -> ApiClient:
    return ApiClient(platform_of(stub), attempts=attempts, sleep=lambda s: None)


def test_envelope_errors_become_typed_errors(stub: StubServer) -> None:
    tokens = sign_in_tokens(stub)
    token = str(tokens["access_token"])
    with quick(stub) as client:
        user = client.user_info(token, "a", ["open_id", "display_name"])
        assert user["display_name"] == "Demo Creator"
        with pytest.raises(TokenRejected) as rejected:
            client.user_info("act.not-a-token", "a", ["open_id"])
        assert rejected.value.status == 401 and "sign in again" in str(rejected.value)
        with pytest.raises(MissingScope) as missing:
            client.user_info(token, "a", ["open_id", "follower_count"])  # user.info.stats not granted
        assert missing.value.code == "scope_permission_missed"
        with pytest.raises(Permanent) as bad:
            client.video_list(token, "a", ["id"], None, max_count=50)
        assert bad.value.code == "invalid_params" and bad.value.log_id


def test_oauth_errors_are_typed_whatever_the_status(stub: StubServer) -> None:
    with quick(stub) as client:
        with pytest.raises(NeedsSignIn) as dead:
            client.refresh("rft.unknown")
        assert dead.value.code == "invalid_grant"
    stub.settings.oauth_error_status = 200  # the sandbox answers errors with HTTP 200
    with quick(stub) as client, pytest.raises(NeedsSignIn):
        client.refresh("rft.unknown")
    wrong = PlatformConfig("x", stub.base_url, "", stub.demo_client_key, "wrong-secret", stand_in=True)
    with ApiClient(wrong) as client, pytest.raises(Permanent) as refused:
        client.refresh("rft.unknown")
    assert refused.value.code == "invalid_client" and "client secret" in str(refused.value)


def test_reads_are_retried_through_faults_and_429_honours_retry_after(stub: StubServer) -> None:
    token = str(sign_in_tokens(stub)["access_token"])
    waits: list[float] = []
    with httpx.Client(base_url=stub.base_url, trust_env=False) as admin:
        admin.post("/_stub/faults", json={"burst_429": 2}).raise_for_status()
        with ApiClient(platform_of(stub), attempts=5, sleep=waits.append) as client:
            page = client.video_list(token, "a", ["id", "view_count"], None)
        assert len(page["videos"]) == 20 and page["has_more"]
        assert waits[:2] and all(w >= 1.0 for w in waits[:2])  # Retry-After: 1 from each 429
        admin.post("/_stub/faults", json={"burst_429": 1}).raise_for_status()
        with quick(stub) as client, pytest.raises(RateLimited) as limited:
            client.video_list(token, "a", ["id"], None)
        assert limited.value.retry_after == 1.0
        assert client.limiter.delay("a", "video_list") > 0  # and the bucket is held back locally
        admin.post("/_stub/faults", json={"error_rate": 1.0, "error_status": 503}).raise_for_status()
        with quick(stub, attempts=3) as client, pytest.raises(Retryable) as failed:
            client.video_list(token, "a", ["id"], None)
        assert failed.value.status == 503
        admin.post("/_stub/faults", json={"clear": True}).raise_for_status()


def test_writes_are_not_retried(stub: StubServer) -> None:
    calls: list[str] = []
    with httpx.Client(base_url=stub.base_url, trust_env=False) as admin:
        admin.post("/_stub/faults", json={"error_rate": 1.0, "error_status": 502}).raise_for_status()
        http = httpx.Client(trust_env=False, event_hooks={"request": [lambda r: calls.append(r.url.path)]})
        with (
            ApiClient(platform_of(stub), http=http, attempts=5, sleep=lambda s: None) as client,
            pytest.raises(Retryable),
        ):
            client.api(
                "POST",
                "/v2/post/publish/creator_info/query/",
                token="act.x",
                account="a",
                bucket="creator_info",
                body={},
                idempotent=False,
            )
        admin.post("/_stub/faults", json={"clear": True}).raise_for_status()
    assert calls == ["/v2/post/publish/creator_info/query/"]


class Hostile(BaseHTTPRequestHandler):
    """A server that answers like a broken proxy or a wrong base URL."""

    answers: dict[str, tuple[int, str, bytes]] = {
        "/html502": (502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
        "/html404": (404, "text/html", b"<!doctype html><title>Not found</title>"),
        "/broken": (200, "application/json", b'{"data": {"user": {"open_id": '),
        "/huge": (200, "application/json", b'{"data": {"x": "' + b"a" * (6 * 1024 * 1024) + b'"}}'),
        "/extra": (
            200,
            "application/json",
            json.dumps(
                {
                    "data": {"user": {"open_id": "o", "new_field": [1, 2]}, "more": 1},
                    "error": {"code": "ok", "message": "", "log_id": "1"},
                    "extension": {"x": 1},
                }
            ).encode(),
        ),
        "/noenvelope": (200, "application/json", b'{"user": {"open_id": "o"}}'),
    }

    def do_GET(self) -> None:
        status, ctype, body = self.answers[self.server.route]  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def hostile() -> Iterator[Callable[[str], ApiClient]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    clients: list[ApiClient] = []

    def client_for(route: str) -> ApiClient:
        server.route = route  # type: ignore[attr-defined]
        config = PlatformConfig("Test platform", f"http://127.0.0.1:{server.server_address[1]}", "", "k", "s")
        client = ApiClient(config, attempts=1, sleep=lambda s: None)
        clients.append(client)
        return client

    yield client_for
    for c in clients:
        c.close()
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("route", "kind", "words"),
    [
        ("/html502", BadResponse, "error page (HTTP 502)"),
        ("/html404", Permanent, "is the API address right"),
        ("/broken", BadResponse, "not JSON"),
        ("/huge", BadResponse, "larger than 4 MB"),
        ("/noenvelope", BadResponse, "no error field"),
    ],
)
def test_unreadable_answers_get_a_clear_error(
    hostile: Callable[[str], ApiClient], route: str, kind: type[Exception], words: str
) -> None:
    with pytest.raises(kind) as caught:
        hostile(route).user_info("act.x", "a", ["open_id"])
    assert words in str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_unknown_fields_are_ignored(hostile: Callable[[str], ApiClient]) -> None:
    assert hostile("/extra").user_info("act.x", "a", ["open_id"]) == {"open_id": "o", "new_field": [1, 2]}


def test_no_server_is_offline() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = PlatformConfig("Nowhere", f"http://127.0.0.1:{port}", "", "k", "s")
    with ApiClient(config, attempts=3, sleep=lambda s: None) as client, pytest.raises(Offline) as off:
        client.user_info("act.x", "a", ["open_id"])
    assert "Cannot reach Nowhere" in str(off.value)


def test_rate_limiter_keeps_each_account_and_endpoint_under_its_limit() -> None:
    now = [1000.0]
    limiter = RateLimiter(limits={"video_init": 6, "status_fetch": 30}, clock=lambda: now[0])
    for _ in range(6):
        assert limiter.try_acquire("alice", "video_init") == 0
    wait = limiter.try_acquire("alice", "video_init")
    assert 60 < wait <= 61  # the 7th init waits for the window (a second of margin)
    assert limiter.try_acquire("bob", "video_init") == 0  # another account has its own budget
    assert limiter.try_acquire("alice", "status_fetch") == 0  # and another endpoint too
    now[0] += 61.0
    assert limiter.try_acquire("alice", "video_init") == 0
    limiter.block("alice", "status_fetch", 30)
    assert limiter.try_acquire("alice", "status_fetch") == pytest.approx(30)
