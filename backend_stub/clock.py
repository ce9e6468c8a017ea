"""The simulated platform clock: real time, shifted and sped up on request.

Platform time (token and upload-URL expiry, post times, engagement) reads this clock, so a test
can jump a day ahead. Rate-limit windows and webhook backoff use real monotonic time instead,
because they pace a client that lives in real time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class SimClock:
    """``now() = anchor_sim + (real() - anchor_real) * speed``; ``speed=0`` freezes it."""

    def __init__(
        self, start: float | None = None, speed: float = 1.0, real: Callable[[], float] = time.time
    ) -> None:
        self._real = real
        self._lock = threading.Lock()
        self._anchor_real = real()
        self._anchor_sim = self._anchor_real if start is None else float(start)
        self._speed = float(speed)

    def now(self) -> float:
        with self._lock:
            return self._anchor_sim + (self._real() - self._anchor_real) * self._speed

    @property
    def speed(self) -> float:
        return self._speed

    def set(self, when: float | None = None, speed: float | None = None) -> float:
        """Jump to ``when`` and/or change the speed from now on; returns the new time."""
        with self._lock:
            real = self._real()
            current = self._anchor_sim + (real - self._anchor_real) * self._speed
            self._anchor_real = real
            self._anchor_sim = current if when is None else float(when)
            if speed is not None:
                if speed < 0:
                    raise ValueError("clock speed cannot be negative")
                self._speed = float(speed)
            return self._anchor_sim

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward; use 'set' to jump")
        return self.set(self.now() + seconds)

    def state(self) -> tuple[float, float, float]:
        """(sim time, real time, speed) to persist and resume from."""
        with self._lock:
            real = self._real()
            return self._anchor_sim + (real - self._anchor_real) * self._speed, real, self._speed

    def resume(self, sim: float, real: float, speed: float) -> None:
        """Continue a persisted clock as if it had kept running while the server was down."""
        with self._lock:
            self._anchor_sim, self._anchor_real, self._speed = sim, real, speed
