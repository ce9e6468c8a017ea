"""The master clock: project time of the sample the listener hears now.

The audio callback anchors the clock once per block: "the first sample of this block is project
time ``p`` and reaches the DAC at stream time ``d``" (PortAudio's ``outputBufferDacTime``, which
already includes the output latency). Between callbacks the clock interpolates with the stream's
own time base (``Stream.time``), so it follows the device's crystal, not the CPU's. The silent
fallback anchors against ``time.monotonic`` the same way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class AudioClock:
    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._playing = False
        self._start = 0.0
        self._anchor: tuple[float, float, float] | None = None  # (project_t, dac_t, delivered_end)
        self._last = 0.0

    def set_time_source(self, now: Callable[[], float]) -> None:
        with self._lock:
            self._now = now
            self._anchor = None

    @property
    def playing(self) -> bool:
        return self._playing

    def start(self, position: float) -> None:
        with self._lock:
            self._playing = True
            self._start = self._last = position
            self._anchor = None

    def stop(self, position: float | None = None) -> float:
        """Freeze the clock (at ``position`` or where it is now); returns the frozen time."""
        now = self.time() if position is None else position
        with self._lock:
            self._playing = False
            self._start = self._last = now
            self._anchor = None
        return now

    def anchor(self, project_t: float, dac_t: float, delivered_end: float) -> None:
        """Called from the audio callback for each block that carried programme audio."""
        self._anchor = (project_t, dac_t, delivered_end)

    def time(self) -> float:
        """Seconds of project time now playing; frozen while paused."""
        with self._lock:
            if not self._playing:
                return self._start
            anchor = self._anchor
            if anchor is None:
                return self._last
            project_t, dac_t, delivered_end = anchor
            t = project_t + (self._now() - dac_t)
            t = min(max(t, self._start, self._last), delivered_end)
            self._last = t
            return t
