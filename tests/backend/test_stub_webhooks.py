"""Webhooks: signature as documented, retries with backoff, dead letters and replay, duplicates."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from stubkit import init_upload, make_video, sign_in, upload_file, wait_status

from backend_stub.server import StubServer
from backend_stub.webhooks import signature_header


@dataclass
class Receiver:
    url: str
    status: int = 200
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def wait(self, count: int, timeout: float = 20) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        while len(self.got) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.got)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.got]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            box.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(box.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/tiktok"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()


def verify(secret: str, header: str, body: bytes, tolerance: float = 300) -> bool:
    """What a receiver does, written from the contract: split, HMAC over t + '.' + raw body."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["s"]) and abs(time.time() - int(parts["t"])) <= tolerance


def test_signature_with_a_known_secret() -> None:
    body = b'{"client_key":"abc","event":"authorization.removed"}'
    header = signature_header("s3cr3t", body, 1_700_000_000)
    # reference value: printf '1700000000.%s' "$body" | openssl dgst -sha256 -hmac s3cr3t
    assert header == "t=1700000000,s=8b52709584e94c8b7d547537a5e089eb113dc5c3f7145efc28474a61a469e43a"
    assert verify(
        "s3cr3t", f"t={int(time.time())},s=" + signature_header("s3cr3t", body, int(time.time()))[-64:], body
    )


def test_publish_events_are_signed_and_delivered(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client], receiver: Receiver, tmp_path: Path
) -> None:
    http = http_for(stub)
    assert http.post("/_stub/webhooks", json={"url": "http://example.com:80/hook"}).status_code == 400
    assert http.post("/_stub/webhooks", json={"url": receiver.url}).status_code == 200
    s = sign_in(stub, http)
    publish_id = upload_file(s, make_video(tmp_path / "v.mp4", 360, 640, 24, 1.0))
    post_id = wait_status(s, publish_id)["publicaly_available_post_id"][0]
    got = receiver.wait(2)
    assert len(got) == 2
    for headers, body in got:
        assert verify(stub.demo_client_secret, headers["tiktok-signature"], body)
        assert not verify("wrong-secret", headers["tiktok-signature"], body)
    events = receiver.events()
    assert [e["event"] for e in events] == ["post.publish.complete", "post.publish.publicly_available"]
    assert events[0]["client_key"] == stub.demo_client_key and events[0]["user_openid"] == s.tokens["open_id"]
    assert json.loads(events[0]["content"]) == {"publish_id": publish_id, "publish_type": "DIRECT_PUBLISH"}
    assert json.loads(events[1]["content"])["post_id"] == str(post_id)
    assert http.post(f"/_stub/videos/{post_id}/takedown").status_code == 200
    gone = json.loads(receiver.wait(3)[2][1])
    assert gone["event"] == "post.publish.no_longer_publicaly_available"
    assert json.loads(gone["content"]) == {
        "publish_id": publish_id,
        "post_id": str(post_id),
        "publish_type": "DIRECT_PUBLISH",
    }
    listed = s.api("POST", "/v2/video/list/", params={"fields": "id"}, json={"max_count": 20}).json()["data"][
        "videos"
    ]
    assert {"id": str(post_id)} not in listed
    failed = upload_file(s, _text(tmp_path))
    wait_status(s, failed)
    receiver.wait(4)
    assert json.loads(receiver.events()[3]["content"]) == {
        "publish_id": failed,
        "reason": "file_format_check_failed",
        "publish_type": "DIRECT_PUBLISH",
    }
    http.post(f"/_stub/accounts/{s.tokens['open_id']}/disconnect", json={"reason": 1})
    receiver.wait(5)
    removed = receiver.events()[4]
    assert removed["event"] == "authorization.removed" and json.loads(removed["content"]) == {"reason": 1}
    assert s.api("GET", "/v2/user/info/", params={"fields": "open_id"}).status_code == 401


def _text(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("not a video")
    return path


def test_retries_dead_letters_and_replay(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client], receiver: Receiver
) -> None:
    http = http_for(stub)
    http.post("/_stub/settings", json={"webhook_max_attempts": 3, "webhook_backoff_base_s": 0.05})
    http.post("/_stub/webhooks", json={"url": receiver.url})
    receiver.status = 500
    s = sign_in(stub, http, account="demo.private")
    init = init_upload(s, 6_000_000, inbox=True).json()["data"]
    s.api("POST", "/v2/post/publish/cancel/", json={"publish_id": init["publish_id"]})
    assert len(receiver.wait(3)) == 3
    deadline = time.monotonic() + 10
    while not http.get("/_stub/webhooks/dead").json() and time.monotonic() < deadline:
        time.sleep(0.02)
    dead = http.get("/_stub/webhooks/dead").json()
    assert len(dead) == 1 and dead[0]["attempts"] == 3 and dead[0]["last_error"] == "HTTP 500"
    assert dead[0]["event"] == "post.publish.failed"
    bodies = {body for _, body in receiver.got}
    assert len(bodies) == 1  # the same event, retried
    receiver.status = 200
    assert http.post("/_stub/webhooks/dead/replay", json={}).json() == {"replayed": 1}
    assert len(receiver.wait(4)) == 4 and receiver.got[3][1] in bodies
    deadline = time.monotonic() + 10
    while http.get("/_stub/webhooks/dead").json() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert http.get("/_stub/webhooks/events", params={"state": "delivered"}).json()[0]["id"] == dead[0]["id"]


def test_duplicates_when_asked_for(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client], receiver: Receiver
) -> None:
    http = http_for(stub)
    http.post("/_stub/webhooks", json={"url": receiver.url})
    http.post("/_stub/faults", json={"webhook_duplicate_rate": 1.0})
    s = sign_in(stub, http)
    http.post(
        "/v2/oauth/revoke/",
        data={
            "client_key": stub.demo_client_key,
            "client_secret": stub.demo_client_secret,
            "token": s.tokens["access_token"],
        },
    )
    got = receiver.wait(2)
    assert len(got) == 2 and got[0][1] == got[1][1]
    assert json.loads(json.loads(got[0][1])["content"]) == {"reason": 5}
