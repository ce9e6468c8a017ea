"""Per-token sliding one-minute windows (real monotonic time)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 60.0


class RateLimiter:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._monotonic = monotonic

    def hit(self, token_key: str, bucket: str, limit: int) -> float | None:
        """Count one request; ``None`` if allowed, else seconds until a slot frees up."""
        now = self._monotonic()
        with self._lock:
            hits = self._hits.setdefault((token_key, bucket), deque())
            while hits and now - hits[0] >= WINDOW_S:
                hits.popleft()
            if len(hits) >= limit:
                return WINDOW_S - (now - hits[0])
            hits.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
