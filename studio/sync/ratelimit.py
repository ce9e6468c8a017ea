"""Client-side rate limits per account and endpoint, so we never earn a 429 on purpose.

The contract's limits are per user token and endpoint in a sliding 60 s window (tiktok_api.md
2.9). We keep the same window a second longer than the server does (the server counts arrival,
we count departure) and also honour a ``Retry-After`` the server sent anyway.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 61.0

# endpoint bucket -> requests per window (tiktok_api.md 2.9; the stand-in's insights share
# the Display API's buckets).
LIMITS: dict[str, int] = {
    "creator_info": 20,
    "video_init": 6,
    "inbox_init": 6,
    "content_init": 6,
    "status_fetch": 30,
    "cancel": 30,
    "user_info": 600,
    "video_list": 600,
    "video_query": 600,
}


class Cancelled(Exception):
    """The wait for a slot was cancelled (the engine is stopping)."""


class RateLimiter:
    """``acquire(account, bucket)`` blocks until a request may go out; thread-safe."""

    def __init__(
        self,
        limits: dict[str, int] | None = None,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = dict(LIMITS if limits is None else limits)
        self.window_s = window_s
        self._clock = clock
        self._sent: dict[tuple[str, str], deque[float]] = {}
        self._blocked_until: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def delay(self, account: str, bucket: str) -> float:
        """Seconds to wait before the next request of ``bucket`` for ``account`` (0 = now)."""
        with self._lock:
            return self._delay(account, bucket, self._clock())

    def _delay(self, account: str, bucket: str, now: float) -> float:
        key = (account, bucket)
        wait = max(0.0, self._blocked_until.get(key, 0.0) - now)
        limit = self.limits.get(bucket)
        if limit is None:
            return wait
        sent = self._sent.setdefault(key, deque())
        while sent and sent[0] <= now - self.window_s:
            sent.popleft()
        if len(sent) >= limit:
            wait = max(wait, sent[0] + self.window_s - now)
        return wait

    def try_acquire(self, account: str, bucket: str) -> float:
        """Take a slot if one is free (returns 0) or return the seconds to wait."""
        with self._lock:
            now = self._clock()
            wait = self._delay(account, bucket, now)
            if wait <= 0 and bucket in self.limits:
                self._sent.setdefault((account, bucket), deque()).append(now)
            return wait

    def acquire(self, account: str, bucket: str, cancel: threading.Event | None = None) -> None:
        while True:
            wait = self.try_acquire(account, bucket)
            if wait <= 0:
                return
            if cancel is not None:
                if cancel.wait(min(wait, 1.0)):
                    raise Cancelled()
            else:
                time.sleep(min(wait, 1.0))

    def block(self, account: str, bucket: str, seconds: float) -> None:
        """The server said ``Retry-After: seconds``: hold this bucket back that long."""
        with self._lock:
            key = (account, bucket)
            until = self._clock() + max(0.0, seconds)
            self._blocked_until[key] = max(self._blocked_until.get(key, 0.0), until)

    def forget(self, account: str) -> None:
        with self._lock:
            for key in [k for k in self._sent if k[0] == account]:
                del self._sent[key]
            for key in [k for k in self._blocked_until if k[0] == account]:
                del self._blocked_until[key]
