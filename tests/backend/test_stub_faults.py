"""Fault injection as a client test would use it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from stubkit import init_upload, put_chunk, sign_in

from backend_stub.server import StubServer


def test_error_rate_burst_and_recovery(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    http = http_for(stub)
    s = sign_in(stub, http)
    assert http.post("/_stub/faults", json={"error_rate": 1.0, "error_status": 502}).status_code == 200
    failed = s.api("GET", "/v2/user/info/", params={"fields": "open_id"})
    assert failed.status_code == 502 and failed.json()["error"]["code"] == "internal_error"
    assert http.get("/_stub/clock").status_code == 200  # admin paths are never faulted
    http.post("/_stub/faults", json={"clear": True, "burst_429": 2})
    codes = [s.api("GET", "/v2/user/info/", params={"fields": "open_id"}).status_code for _ in range(3)]
    assert codes == [429, 429, 200]
    assert http.post("/_stub/faults", json={"error_rate": 2}).status_code == 400
    assert http.post("/_stub/faults", json={"nonsense": 1}).status_code == 400


def test_dropped_connection_mid_body(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    http = http_for(stub)
    s = sign_in(stub, http)
    http.post("/_stub/faults", json={"drop_rate": 1.0})
    with pytest.raises(httpx.RemoteProtocolError):
        s.api("GET", "/v2/user/info/", params={"fields": "open_id,display_name"})
    http.post("/_stub/faults", json={"clear": True})
    assert s.api("GET", "/v2/user/info/", params={"fields": "open_id"}).status_code == 200


def test_expire_tokens_and_upload_urls_now(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    http = http_for(stub)
    s = sign_in(stub, http)
    url = init_upload(s, 100).json()["data"]["upload_url"]
    reply = http.post("/_stub/faults", json={"expire_upload_urls_now": True, "latency_ms": 1}).json()
    assert reply["expired"] == {"upload_urls": 1} and reply["latency_ms"] == 1
    assert put_chunk(http, url, b"v" * 100, 0, 100).status_code == 403
    http.post("/_stub/faults", json={"expire_tokens_now": True})
    assert (
        s.api("GET", "/v2/user/info/", params={"fields": "open_id"}).json()["error"]["code"]
        == "access_token_invalid"
    )
    refreshed = http.post(
        "/v2/oauth/token/",
        data={
            "client_key": stub.demo_client_key,
            "client_secret": stub.demo_client_secret,
            "grant_type": "refresh_token",
            "refresh_token": s.tokens["refresh_token"],
        },
    )
    assert refreshed.status_code == 200


def test_dropped_upload_answer_then_resume_from_416(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    """The chunk arrives but the answer is lost: the retry gets 416 and the progress header says where to go on."""
    http = http_for(stub)
    s = sign_in(stub, http)
    data = bytes(range(256)) * 40
    url = init_upload(s, len(data)).json()["data"]["upload_url"]
    http.post("/_stub/faults", json={"drop_rate": 1.0, "paths": ["/upload/"]})
    with pytest.raises(httpx.RemoteProtocolError):
        put_chunk(http, url, data, 0, len(data))
    http.post("/_stub/faults", json={"clear": True})
    retry = put_chunk(http, url, data, 0, len(data))
    assert (
        retry.status_code == 416 and retry.headers["content-range"] == f"bytes 0-{len(data) - 1}/{len(data)}"
    )
