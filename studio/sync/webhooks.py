"""Loopback receiver for the platform's signed webhooks.

The platform wants an HTTP 200 at once and delivers at least once, so the receiver verifies the
``TikTok-Signature`` over the raw body, drops replays of one exact signed request, answers before
any work is done, and hands new events, in arrival order, to one background handler thread.
Duplicate deliveries (the same body signed again) are recognised by the body's SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "TikTok-Signature"
_HEX = frozenset("0123456789abcdef")


class SignatureError(Exception):
    """A request whose signature cannot be trusted; ``reason`` is a short, log-safe phrase."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebhookEvent:
    """One delivered event. ``event_id`` is the body's SHA-256: retries resend the same bytes."""

    event_id: str
    event: str
    client_key: str
    user_openid: str
    create_time: int
    content: dict[str, Any] = field(hash=False)
    raw: bytes = field(repr=False)

    @classmethod
    def parse(cls, raw: bytes) -> WebhookEvent:
        """Decode a body; ``ValueError`` when it is not a JSON object with an ``event``."""
        body = json.loads(raw)  # ValueError (JSONDecodeError, UnicodeDecodeError); RecursionError
        if not isinstance(body, dict) or not isinstance(body.get("event"), str) or not body["event"]:
            raise ValueError("no event")
        content: Any = body.get("content")
        if isinstance(content, str):
            try:
                content = json.loads(content)
            except ValueError:
                content = None
        try:
            create_time = int(body.get("create_time") or 0)
        except (TypeError, ValueError):
            create_time = 0
        return cls(
            event_id=hashlib.sha256(raw).hexdigest(),
            event=body["event"],
            client_key=str(body.get("client_key") or ""),
            user_openid=str(body.get("user_openid") or ""),
            create_time=create_time,
            content=content if isinstance(content, dict) else {},
            raw=raw,
        )


def verify_signature(
    header: str | None, body: bytes, secret: str, *, now: float, tolerance_s: float
) -> tuple[int, str]:
    """Check ``t=<unix>,s=<hex>`` = HMAC-SHA256(secret, t + "." + raw body); return (t, s)."""
    if not header or not header.strip():
        raise SignatureError("missing signature")
    parts: dict[str, str] = {}
    for item in header.split(","):
        key, sep, value = item.partition("=")
        if not sep or key.strip() in parts:
            raise SignatureError("malformed signature")
        parts[key.strip()] = value.strip()
    t_text, sig = parts.get("t", ""), parts.get("s", "").lower()
    if not (t_text.isascii() and t_text.isdigit() and len(t_text) <= 12) or not sig or not set(sig) <= _HEX:
        raise SignatureError("malformed signature")
    expected = hmac.new(secret.encode(), t_text.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sig):
        raise SignatureError("bad signature")
    t = int(t_text)
    if abs(now - t) > tolerance_s:  # both too old and too far in the future
        raise SignatureError("stale timestamp")
    return t, sig


class _BoundedSet:
    """The default ``remember``: the last ``size`` event ids, in memory."""

    def __init__(self, size: int = 10_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def __call__(self, event: WebhookEvent) -> bool:
        with self._lock:
            if event.event_id in self._ids:
                return False
            self._ids[event.event_id] = None
            while len(self._ids) > self._size:
                self._ids.popitem(last=False)
            return True


class WebhookReceiver:
    """HTTP server on loopback; see the module docstring for the rules per request.

    ``replay_status`` answers a second request with an already accepted (t, signature) pair. 409
    tells a replayer no, but a sender that re-sends one signed request and counts only 200 as
    delivered then retries until it gives up: the stand-in's ``webhook_duplicate_rate`` sends its
    duplicate at once, mostly within the same second, so it needs ``replay_status=200``.
    """

    def __init__(
        self,
        secret: Callable[[], str | None],
        handle: Callable[[WebhookEvent], None],
        *,
        remember: Callable[[WebhookEvent], bool] | None = None,
        tolerance_s: float = 300.0,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/webhook/",
        max_body: int = 1_000_000,
        replay_status: int = 409,
    ) -> None:
        address = ipaddress.ip_address("127.0.0.1" if host == "localhost" else host)
        if address.version != 4 or not address.is_loopback:
            raise ValueError("the webhook receiver binds an IPv4 loopback address only")
        self._secret, self._handle = secret, handle
        self._remember = remember or _BoundedSet()
        self._tolerance, self._clock = tolerance_s, clock
        self._host, self._port, self._path, self._max_body = str(address), port, path, max_body
        self._replay_status = replay_status
        self._seen: dict[tuple[int, str], int] = {}  # accepted (t, signature) pairs -> t
        self._lock = threading.Lock()
        self._stats: dict[str, Any] = {"received": 0, "handled": 0, "duplicates": 0, "handler_errors": 0}
        self._rejected: dict[str, int] = {}
        self._queue: queue.Queue[WebhookEvent | None] = queue.Queue()
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the webhook receiver is not started")
        return f"http://{self._host}:{self._server.server_address[1]}{self._path}"

    @property
    def stats(self) -> dict[str, Any]:
        """A snapshot: received, handled, duplicates, handler_errors, rejected {reason: count}."""
        with self._lock:
            return {**self._stats, "rejected": dict(self._rejected)}

    def start(self) -> WebhookReceiver:
        if self._server is not None:
            return self
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # a stalled client cannot hold a thread for long

            def do_POST(self) -> None:
                receiver._post(self)

            def _refuse(self) -> None:
                if urlsplit(self.path).path == receiver._path:
                    _answer(self, 405, {"error": "method not allowed"}, {"Allow": "POST"})
                else:
                    _answer(self, 404, {"error": "not found"})

            do_GET = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _refuse

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("webhook http: " + format, *args)

        self._server = ThreadingHTTPServer((self._host, self._port), Handler)  # daemon threads
        self._threads = [
            threading.Thread(
                target=self._server.serve_forever, args=(0.05,), name="webhook-http", daemon=True
            ),
            threading.Thread(target=self._work, name="webhook-handler", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        log.info("webhook receiver listening on %s", self.url)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop listening, then let the handler finish the events already answered with 200."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- per request (HTTP threads) ---

    def _reject(self, request: BaseHTTPRequestHandler, status: int, reason: str) -> None:
        with self._lock:
            self._rejected[reason] = self._rejected.get(reason, 0) + 1
        log.info("webhook rejected (%d): %s", status, reason)
        _answer(request, status, {"ok": True} if status == 200 else {"error": reason})

    def _post(self, request: BaseHTTPRequestHandler) -> None:
        if urlsplit(request.path).path != self._path:
            _answer(request, 404, {"error": "not found"})
            return
        with self._lock:
            self._stats["received"] += 1
        try:
            length = int(request.headers.get("Content-Length", ""))
        except ValueError:
            length = -1
        if not 0 <= length <= self._max_body:
            request.close_connection = True  # the body is left unread
            self._reject(request, *((413, "body too large") if length > 0 else (411, "length required")))
            return
        body = request.rfile.read(length)
        secret = self._secret()
        if not secret:
            self._reject(request, 503, "not configured")
            return
        now = self._clock()
        try:
            pair = verify_signature(
                request.headers.get(SIGNATURE_HEADER), body, secret, now=now, tolerance_s=self._tolerance
            )
        except SignatureError as exc:
            self._reject(request, 401, exc.reason)
            return
        with self._lock:
            self._seen = {p: t for p, t in self._seen.items() if now - t <= self._tolerance}
            replay = pair in self._seen
            self._seen[pair] = pair[0]
        if replay:  # never handled again; the answer is ``replay_status`` (see the class docstring)
            self._reject(request, self._replay_status, "replay")
            return
        try:
            event = WebhookEvent.parse(body)
        except (ValueError, RecursionError):
            self._reject(request, 400, "invalid event")
            return
        try:
            new = self._remember(event)
        except Exception:
            log.exception("could not record webhook event %s", event.event_id[:12])
            with self._lock:
                self._seen.pop(pair, None)  # let the platform's retry of this request through
            _answer(request, 500, {"error": "could not record the event"})
            return
        if new:
            self._queue.put(event)
        else:
            with self._lock:
                self._stats["duplicates"] += 1
            log.debug("duplicate webhook %s (%s)", event.event_id[:12], event.event)
        _answer(request, 200, {"ok": True})

    # --- the handler thread ---

    def _work(self) -> None:
        while (event := self._queue.get()) is not None:
            try:
                self._handle(event)
            except Exception:
                log.exception("webhook handler failed on %s (%s)", event.event, event.event_id[:12])
                key = "handler_errors"
            else:
                key = "handled"
            with self._lock:
                self._stats[key] += 1


def _answer(
    request: BaseHTTPRequestHandler,
    status: int,
    payload: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> None:
    data = json.dumps(payload).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        request.send_header(name, value)
    request.end_headers()
    if request.command != "HEAD":
        request.wfile.write(data)


def register_with_stand_in(
    http: httpx.Client, base_url: str, url: str, client_key: str | None = None
) -> None:
    """Point the local stand-in's webhook target at ``url`` (its admin API, not the platform's)."""
    payload: dict[str, str] = {"url": url}
    if client_key is not None:
        payload["client_key"] = client_key
    reply = http.post(f"{base_url.rstrip('/')}/_stub/webhooks", json=payload)
    if reply.status_code != 200:
        raise RuntimeError(
            f"the stand-in refused the webhook URL {url}: HTTP {reply.status_code} {reply.text[:200]}"
        )
