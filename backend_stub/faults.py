"""Fault injection for client tests: errors, latency, dropped connections, 429 bursts.

A pure ASGI middleware (no response buffering), so with no fault set the upload path costs one
attribute check per request.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .envelope import error_body

Scope = dict[str, Any]


@dataclass
class Faults:
    error_rate: float = 0.0
    error_status: int = 503
    latency_ms: int = 0
    drop_rate: float = 0.0
    burst_429: int = 0
    webhook_duplicate_rate: float = 0.0
    paths: list[str] = field(default_factory=lambda: ["/v2/", "/upload/"])

    def active(self) -> bool:
        return bool(self.error_rate or self.latency_ms or self.drop_rate or self.burst_429)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, changes: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown fault '{name}'")
            if name == "paths":
                if not isinstance(value, list) or not all(
                    isinstance(p, str) and p.startswith("/") for p in value
                ):
                    raise ValueError("paths must be a list of path prefixes starting with '/'")
            elif name == "error_status":
                if not isinstance(value, int) or not 500 <= value <= 599:
                    raise ValueError("error_status must be a 5xx status")
            elif name in ("error_rate", "drop_rate", "webhook_duplicate_rate"):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                    raise ValueError(f"{name} must be between 0 and 1")
                value = float(value)
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer")
            setattr(self, name, value)


class DroppedConnection(Exception):
    """Raised mid-response so the server closes the connection with the body half sent."""


class FaultMiddleware:
    def __init__(self, app: Any, faults: Faults, seed: int) -> None:
        self.app = app
        self.faults = faults
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def _roll(self) -> float:
        with self._lock:
            return self._rng.random()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        faults = self.faults
        if (
            scope["type"] != "http"
            or not faults.active()
            or not scope["path"].startswith(tuple(faults.paths))
        ):
            await self.app(scope, receive, send)
            return
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.burst_429 > 0:
            faults.burst_429 -= 1
            await _reply(send, 429, "rate_limit_exceeded", "Injected 429 burst.", {"retry-after": "1"})
            return
        if faults.error_rate and self._roll() < faults.error_rate:
            await _reply(send, faults.error_status, "internal_error", "Injected server error.")
            return
        if faults.drop_rate and self._roll() < faults.drop_rate:
            await self.app(scope, receive, _dropping(send))
            return
        await self.app(scope, receive, send)


async def _reply(
    send: Any, status: int, code: str, message: str, extra: dict[str, str] | None = None
) -> None:
    body = json.dumps(error_body(code, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _dropping(send: Any) -> Any:
    """Send the head and half the body, then fail so the server closes the connection. An empty
    body is announced as 16 bytes long, so the client still sees the answer cut short."""
    held: dict[str, Any] = {}

    async def wrapped(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            held.update(message)
            return
        if message["type"] == "http.response.body":
            body = message.get("body", b"")
            if len(body) < 2:
                headers = [(k, v) for k, v in held.get("headers", []) if k.lower() != b"content-length"]
                held["headers"] = [*headers, (b"content-length", str(len(body) + 16).encode())]
            await send(held)
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            raise DroppedConnection("connection dropped by fault injection")
        await send(message)

    return wrapped
