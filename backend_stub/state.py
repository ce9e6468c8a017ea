"""Everything one running stand-in owns: database, clock, settings, limits, faults, webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .clock import SimClock
from .db import Database, digest
from .engagement import EngagementModel
from .envelope import ApiError
from .faults import Faults
from .ratelimit import RateLimiter
from .seed import seed_demo
from .settings import StubSettings
from .webhooks import WebhookDispatcher

INVALID_TOKEN = "The access token is invalid or not found in the request."


@dataclass(frozen=True)
class Grant:
    """The authorisation behind a valid access token."""

    id: int
    client_key: str
    open_id: str
    scopes: frozenset[str]
    token_key: str


class StubState:
    def __init__(
        self,
        data_dir: Path,
        seed: int = 1,
        clock: SimClock | None = None,
        settings: StubSettings | None = None,
        resume_paused: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.resume_paused = resume_paused
        self.uploads_dir = self.data_dir / "uploads"
        self.covers_dir = self.data_dir / "covers"
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        self.covers_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(self.data_dir / "backend_stub.sqlite3")
        self.seed = seed
        self.clock = clock or SimClock()
        if clock is None:
            self._resume_clock()
        self.settings = settings or StubSettings()
        self.faults = Faults()
        self.limiter = RateLimiter()
        self.model = EngagementModel(seed)
        self.workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="stub-check")
        self.webhooks = WebhookDispatcher(self.db, self.settings, self.faults, self.clock.now, seed)
        key = self.db.meta("url_key")
        if key is None:
            key = secrets.token_hex(32)
            self.db.set_meta("url_key", key)
        self.url_key = bytes.fromhex(key)
        seed_demo(self.db, seed, self.clock.now())
        self.save_clock()

    def _resume_clock(self) -> None:
        saved = self.db.meta("clock")
        if saved:
            sim, real, speed = json.loads(saved)
            # paused: the platform's time stood still while the server was down (an embedded demo
            # whose clock runs fast must not jump weeks ahead between two app sessions)
            self.clock.resume(sim, time.time() if self.resume_paused else real, speed)

    def save_clock(self) -> None:
        self.db.set_meta("clock", json.dumps(list(self.clock.state())))

    def now(self) -> float:
        return self.clock.now()

    def demo_app(self) -> sqlite3.Row:
        row = self.db.one("SELECT * FROM apps ORDER BY rowid LIMIT 1")
        assert row is not None
        return row

    def authenticate(self, authorization: str | None, scopes: tuple[str, ...], bucket: str) -> Grant:
        """Bearer token -> grant, then the per-token rate limit, then the scope check."""
        if not authorization or not authorization.startswith("Bearer "):
            raise ApiError(401, "access_token_invalid", INVALID_TOKEN)
        token_key = digest(authorization[7:].strip())
        row = self.db.one(
            "SELECT t.expires_at, t.revoked, g.id, g.client_key, g.open_id, g.scopes, g.revoked_at"
            " FROM tokens t JOIN grants g ON g.id = t.grant_id WHERE t.token_hash = ? AND t.kind = 'access'",
            (token_key,),
        )
        if row is None or row["revoked"] or row["revoked_at"] is not None or row["expires_at"] <= self.now():
            raise ApiError(401, "access_token_invalid", INVALID_TOKEN)
        limit = self.settings.rate_limits.get(bucket)
        if limit is not None:
            wait = self.limiter.hit(token_key, bucket, limit)
            if wait is not None:
                raise ApiError(
                    429,
                    "rate_limit_exceeded",
                    "The API rate limit was exceeded.",
                    {"Retry-After": str(int(wait) + 1)},
                )
        granted = frozenset(row["scopes"].split(","))
        if scopes and not granted & set(scopes):
            raise ApiError(
                401,
                "scope_not_authorized",
                f"The user did not authorize the scope required: {' or '.join(scopes)}.",
            )
        return Grant(row["id"], row["client_key"], row["open_id"], granted, token_key)

    def check_client(self, client_key: str | None, client_secret: str | None) -> sqlite3.Row | None:
        if not client_key or not client_secret:
            return None
        row = self.db.one("SELECT * FROM apps WHERE client_key = ?", (client_key,))
        if row is None or not hmac.compare_digest(row["client_secret"].encode(), client_secret.encode()):
            return None
        return row

    def next_seq(self, name: str) -> int:
        with self.db.tx() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (f"seq:{name}",)).fetchone()
            value = 1 if row is None else int(row["value"]) + 1
            conn.execute(
                "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (f"seq:{name}", str(value)),
            )
        return value

    def new_video_id(self) -> str:
        n = self.next_seq("video") + 1000
        salt = int(hashlib.sha256(f"{self.seed}".encode()).hexdigest()[:6], 16)
        return str(7_300_000_000_000_000_000 + n * 1_000_003 + salt)

    def audience(self, open_id: str) -> int:
        row = self.db.one("SELECT base_followers FROM accounts WHERE open_id = ?", (open_id,))
        return 0 if row is None else 150 + int(row["base_followers"]) // 2

    def revoke_grants(self, where: str, params: tuple[object, ...], reason: int) -> int:
        """Revoke grants, fail their unfinished publishes, tell the apps. Returns grants revoked."""
        now = self.now()
        grants = self.db.all(
            f"SELECT id, client_key, open_id FROM grants WHERE revoked_at IS NULL AND {where}", params
        )
        for grant in grants:
            with self.db.tx() as conn:
                conn.execute("UPDATE grants SET revoked_at = ? WHERE id = ?", (now, grant["id"]))
                conn.execute("UPDATE tokens SET revoked = 1 WHERE grant_id = ?", (grant["id"],))
                failed = conn.execute(
                    "SELECT publish_id, mode FROM publishes WHERE grant_id = ? AND status = 'PROCESSING_UPLOAD'",
                    (grant["id"],),
                ).fetchall()
                conn.execute(
                    "UPDATE publishes SET status = 'FAILED', fail_reason = 'auth_removed'"
                    " WHERE grant_id = ? AND status = 'PROCESSING_UPLOAD'",
                    (grant["id"],),
                )
            self.webhooks.emit(
                grant["client_key"], "authorization.removed", grant["open_id"], {"reason": reason}
            )
            for pub in failed:
                self.webhooks.emit(
                    grant["client_key"],
                    "post.publish.failed",
                    grant["open_id"],
                    {
                        "publish_id": pub["publish_id"],
                        "reason": "auth_removed",
                        "publish_type": publish_type(pub["mode"]),
                    },
                )
        return len(grants)

    def close(self) -> None:
        self.workers.shutdown(wait=True)
        self.save_clock()
        self.db.close()


def publish_type(mode: str) -> str:
    return "INBOX_SHARE" if mode == "INBOX_SHARE" else "DIRECT_PUBLISH"
