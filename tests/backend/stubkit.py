"""Helpers for the stand-in tests: PKCE sign-in, uploads, tiny real videos."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from backend_stub.server import StubServer

START = 1_790_000_000.0  # a fixed platform time: counters and demo history are reproducible
REDIRECT = "http://127.0.0.1:53682/callback/"
ALL = "user.info.basic,user.info.profile,user.info.stats,video.list,video.upload,video.publish"


@dataclass
class Session:
    server: StubServer
    http: httpx.Client
    tokens: dict[str, Any]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.auth, **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)


def pkce_pair(base64url: bool = False) -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)[:64]
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode() if base64url else digest.hex()
    return verifier, challenge


def authorize_params(server: StubServer, challenge: str, scope: str = ALL, **extra: str) -> dict[str, str]:
    return {
        "client_key": server.demo_client_key,
        "scope": scope,
        "redirect_uri": REDIRECT,
        "state": "xyz",
        "response_type": "code",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def code_from(response: httpx.Response, redirect: str = REDIRECT) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(redirect + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(server: StubServer, http: httpx.Client, code: str, verifier: str) -> httpx.Response:
    return http.post(
        "/v2/oauth/token/",
        data={
            "client_key": server.demo_client_key,
            "client_secret": server.demo_client_secret,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    )


def sign_in(
    server: StubServer, http: httpx.Client, scope: str = ALL, account: str = "demo.creator"
) -> Session:
    """The loopback PKCE flow with ``login_hint`` and auto-approve forced on for this request."""
    verifier, challenge = pkce_pair()
    was = server.settings.auto_approve
    server.settings.auto_approve = True
    try:
        reply = http.get(
            "/v2/auth/authorize/", params=authorize_params(server, challenge, scope, login_hint=account)
        )
    finally:
        server.settings.auto_approve = was
    tokens = exchange(server, http, code_from(reply)["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    return Session(server, http, tokens.json())


def make_video(
    path: Path,
    width: int = 360,
    height: int = 640,
    fps: int = 24,
    seconds: float = 1.0,
    codec: str = "libx264",
) -> Path:
    """A real, tiny H.264 MP4 made with PyAV."""
    import av
    import numpy as np

    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast"} if codec == "libx264" else {}
        for i in range(max(1, round(fps * seconds))):
            img = np.zeros((height, width, 3), dtype=np.uint8)
            img[:, :, 0] = (i * 9) % 255
            img[: height // 2, :, 1] = 200
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def init_upload(
    s: Session,
    size: int,
    chunk: int | None = None,
    count: int = 1,
    inbox: bool = False,
    privacy: str = "PUBLIC_TO_EVERYONE",
    title: str = "test #post",
) -> httpx.Response:
    source = {
        "source": "FILE_UPLOAD",
        "video_size": size,
        "chunk_size": chunk or size,
        "total_chunk_count": count,
    }
    if inbox:
        return s.api("POST", "/v2/post/publish/inbox/video/init/", json={"source_info": source})
    body = {"post_info": {"privacy_level": privacy, "title": title}, "source_info": source}
    return s.api("POST", "/v2/post/publish/video/init/", json=body)


def put_chunk(
    http: httpx.Client, url: str, data: bytes, first: int, total: int, content_type: str = "video/mp4"
) -> httpx.Response:
    headers = {
        "Content-Type": content_type,
        "Content-Range": f"bytes {first}-{first + len(data) - 1}/{total}",
    }
    return http.put(url, content=data, headers=headers)


def upload_file(s: Session, path: Path, inbox: bool = False, privacy: str = "PUBLIC_TO_EVERYONE") -> str:
    data = path.read_bytes()
    init = init_upload(s, len(data), inbox=inbox, privacy=privacy)
    assert init.status_code == 200, init.text
    body = init.json()["data"]
    reply = put_chunk(s.http, body["upload_url"], data, 0, len(data))
    assert reply.status_code == 201, reply.text
    return str(body["publish_id"])


def wait_status(s: Session, publish_id: str, timeout: float = 30) -> dict[str, Any]:
    """Wait for the worker thread's file check (watching the stub's table, to spare the
    30/min status limit), then read the status through the API."""
    deadline = time.monotonic() + timeout
    db = s.server.state.db
    while time.monotonic() < deadline:
        row = db.one("SELECT status FROM publishes WHERE publish_id = ?", (publish_id,))
        if row is not None and row["status"] != "PROCESSING_UPLOAD":
            break
        time.sleep(0.02)
    reply = s.api("POST", "/v2/post/publish/status/fetch/", json={"publish_id": publish_id})
    assert reply.status_code == 200, reply.text
    return dict(reply.json()["data"])
