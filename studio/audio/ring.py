"""Single-producer / single-consumer ring buffer of float32 frames.

The producer (feeder thread) only advances ``_written`` and the consumer (audio callback) only
advances ``_read``; each counter is a plain int rebound under the GIL, so neither side takes a
lock. Counters grow without bound; positions in the array are taken modulo the capacity.
"""

from __future__ import annotations

import numpy as np


class RingBuffer:
    def __init__(self, capacity: int, channels: int = 2) -> None:
        if capacity <= 0:
            raise ValueError("ring capacity must be positive")
        self.capacity = int(capacity)
        self.channels = int(channels)
        self._buf = np.zeros((self.capacity, self.channels), dtype=np.float32)
        self._written = 0
        self._read = 0
        self._flush_to = 0

    @property
    def written(self) -> int:
        """Total frames ever written (producer counter)."""
        return self._written

    @property
    def read_count(self) -> int:
        """Total frames ever consumed (consumer counter)."""
        return self._read

    def available(self) -> int:
        return self._written - max(self._read, self._flush_to)

    def free(self) -> int:
        return self.capacity - self.available()

    def flush(self) -> None:
        """Producer side: everything written so far is to be dropped, unplayed."""
        self._flush_to = self._written

    def consume_flush(self) -> None:
        """Consumer side: apply a pending :meth:`flush` by skipping the dropped frames."""
        if self._flush_to > self._read:
            self._read = self._flush_to

    def write(self, data: np.ndarray) -> int:
        """Copy as many frames of ``data`` as fit; returns the number written."""
        n = min(len(data), self.free())
        if n <= 0:
            return 0
        start = self._written % self.capacity
        first = min(n, self.capacity - start)
        self._buf[start : start + first] = data[:first]
        if n > first:
            self._buf[: n - first] = data[first:n]
        self._written += n
        return n

    def read_into(self, out: np.ndarray) -> int:
        """Fill ``out`` from the ring; returns frames copied (the rest of ``out`` is untouched)."""
        self.consume_flush()
        n = min(len(out), self._written - self._read)
        if n <= 0:
            return 0
        start = self._read % self.capacity
        first = min(n, self.capacity - start)
        out[:first] = self._buf[start : start + first]
        if n > first:
            out[first:n] = self._buf[: n - first]
        flushed_meanwhile = self._flush_to > self._read
        self._read += n
        if flushed_meanwhile:
            self.consume_flush()
            return 0
        return n
