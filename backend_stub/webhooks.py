"""Signed webhook delivery: at least once, exponential backoff, dead letters kept for replay."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .db import Database
from .faults import Faults
from .settings import StubSettings

log = logging.getLogger(__name__)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def signature_header(secret: str, body: bytes, t: int) -> str:
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},s={mac}"


def check_target(url: str) -> str:
    """Only loopback http(s) targets: the stub must never post anywhere else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK_HOSTS or parts.fragment:
        raise ValueError("the webhook URL must be http(s)://127.0.0.1 or localhost")
    if parts.port is None:
        raise ValueError("the webhook URL needs an explicit port")
    return url


class WebhookDispatcher:
    def __init__(
        self, db: Database, settings: StubSettings, faults: Faults, sim_now: Callable[[], float], seed: int
    ) -> None:
        self.db = db
        self.settings = settings
        self.faults = faults
        self.sim_now = sim_now
        self._rng = random.Random(seed)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def emit(self, client_key: str, event: str, open_id: str, content: dict[str, Any]) -> int | None:
        """Queue an event for the app's registered URL; nothing is queued without one."""
        if self.db.one("SELECT url FROM webhook_targets WHERE client_key = ?", (client_key,)) is None:
            return None
        body = json.dumps(
            {
                "client_key": client_key,
                "event": event,
                "create_time": int(self.sim_now()),
                "user_openid": open_id,
                "content": json.dumps(content, separators=(",", ":")),
            },
            separators=(",", ":"),
        )
        with self.db.tx() as conn:
            cur = conn.execute(
                "INSERT INTO webhook_events(client_key, event, body, created_at, state, next_attempt_at)"
                " VALUES(?, ?, ?, ?, 'pending', ?)",
                (client_key, event, body, time.time(), time.time()),
            )
        self._wake.set()
        return cur.lastrowid

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="stub-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def replay(self, event_ids: list[int] | None) -> int:
        """Put dead letters (all, or the given ids) back in the queue."""
        sql = "UPDATE webhook_events SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE state = 'dead'"
        params: tuple[Any, ...] = (time.time(),)
        if event_ids is not None:
            if not event_ids:
                return 0
            sql += f" AND id IN ({','.join('?' * len(event_ids))})"
            params += tuple(event_ids)
        count = self.db.run(sql, params)
        self._wake.set()
        return count

    def _loop(self) -> None:
        import httpx

        with httpx.Client(timeout=self.settings.webhook_timeout_s, trust_env=False) as client:
            while not self._stop.is_set():
                self._wake.clear()
                due = self.db.all(
                    "SELECT e.id, e.body, e.attempts, e.client_key, t.url, a.client_secret FROM webhook_events e"
                    " LEFT JOIN webhook_targets t ON t.client_key = e.client_key"
                    " JOIN apps a ON a.client_key = e.client_key"
                    " WHERE e.state = 'pending' AND e.next_attempt_at <= ? ORDER BY e.id LIMIT 50",
                    (time.time(),),
                )
                for row in due:
                    if self._stop.is_set():
                        return
                    self._attempt(client, row)
                nxt = self.db.one(
                    "SELECT MIN(next_attempt_at) AS t FROM webhook_events WHERE state = 'pending'"
                )
                wait = 1.0 if nxt is None or nxt["t"] is None else max(0.0, min(1.0, nxt["t"] - time.time()))
                self._wake.wait(wait)

    def _attempt(self, client: Any, row: Any) -> None:
        import httpx

        error = ""
        if row["url"] is None:
            error = "no webhook URL registered"
        else:
            body = row["body"].encode()
            sends = 2 if self._rng.random() < self.faults.webhook_duplicate_rate else 1
            for _ in range(sends):
                headers = {
                    "Content-Type": "application/json",
                    "TikTok-Signature": signature_header(row["client_secret"], body, int(time.time())),
                }
                try:
                    response = client.post(row["url"], content=body, headers=headers)
                    error = "" if response.status_code == 200 else f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"
        attempts = row["attempts"] + 1
        if not error:
            self.db.run(
                "UPDATE webhook_events SET state = 'delivered', attempts = ?, delivered_at = ?, last_error = ''"
                " WHERE id = ?",
                (attempts, time.time(), row["id"]),
            )
            return
        if attempts >= self.settings.webhook_max_attempts:
            state, nxt = "dead", time.time()
            log.info("webhook %s is a dead letter after %d attempts: %s", row["id"], attempts, error)
        else:
            state, nxt = "pending", time.time() + self.settings.webhook_backoff_base_s * 2 ** (attempts - 1)
        self.db.run(
            "UPDATE webhook_events SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
            (state, attempts, nxt, error, row["id"]),
        )
