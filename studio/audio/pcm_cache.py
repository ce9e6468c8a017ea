"""Decoded sound kept between mixes: a bounded, shared LRU of PCM segments.

A segment is keyed by the file's identity (path, mtime_ns, size), the stream (always the first
audio stream, as ``decode_audio`` reads), the rate and the sample range ``[first, first + n)``
(``first = round(start * rate)``, as ``decode_audio`` places samples). A request that lies inside
a cached segment of the same file is a slice of it, so trimming a clip shorter, or moving it on
the timeline, decodes nothing. A file that changes on disk (size or mtime) misses and its old
segments age out. Whether a file has sound is cached under the same identity.

The cache holds float32 (n, 2) arrays marked read-only, so a caller can never change what the
next caller gets; the budget is in bytes (:data:`DEFAULT_BUDGET`), least recently used first out.
Thread-safe; decoding happens outside the lock.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

DEFAULT_BUDGET = 1536 * 1024 * 1024  # 1.5 GiB: about 1 h of 48 kHz stereo float32
STREAM = 0  # decode_audio reads the first audio stream


@dataclass(frozen=True)
class SourceId:
    """A file as it is now on disk: a changed file is another source."""

    path: str
    mtime_ns: int
    size: int


def source_id(path: str) -> SourceId:
    """The identity of ``path`` now (mtime/size -1 when it cannot be read: decoding will say why)."""
    try:
        st = os.stat(path)
    except OSError:
        return SourceId(path, -1, -1)
    return SourceId(path, st.st_mtime_ns, st.st_size)


SegmentKey = tuple[SourceId, int, int, int, int]  # (source, stream, rate, first, n)


class PcmCache:
    """LRU of decoded segments, bounded by bytes; ``decodes`` counts real decoder opens."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET) -> None:
        self.budget = budget_bytes
        self._lock = threading.Lock()
        self._segments: OrderedDict[SegmentKey, np.ndarray] = OrderedDict()
        self._has_audio: dict[SourceId, bool] = {}
        self._bytes = 0
        self.decodes = 0
        self.hits = 0

    @property
    def nbytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._segments.clear()
            self._has_audio.clear()
            self._bytes = 0

    def has_audio(self, path: str, src: SourceId | None = None) -> bool:
        """Whether the file has an audio stream (probed once per file version)."""
        from studio.media import audio as media_audio

        src = src or source_id(path)
        with self._lock:
            known = self._has_audio.get(src)
        if known is None:
            known = media_audio.has_audio(path)
            with self._lock:
                self._has_audio[src] = known
        return known

    def _find(self, src: SourceId, rate: int, first: int, n: int) -> np.ndarray | None:
        exact = (src, STREAM, rate, first, n)
        hit = self._segments.get(exact)
        if hit is not None:
            self._segments.move_to_end(exact)
            return hit
        for key, data in reversed(self._segments.items()):
            k_src, _, k_rate, k_first, k_n = key
            if k_src != src or k_rate != rate or first < k_first:
                continue
            # a segment shorter than asked for means the sound ended there: it still answers
            # any request that starts inside it and reaches its (short) end
            if first + n <= k_first + k_n or len(data) < k_n:
                self._segments.move_to_end(key)
                return data[first - k_first : first - k_first + n]
        return None

    def decode(self, path: str, start: float, duration: float, rate: int) -> np.ndarray:
        """``decode_audio(path, start, duration, rate)``, from the cache when it holds the range.

        The result is read-only float32 (m, 2), m <= round(duration * rate) (shorter where the
        file's sound ends). Raises MediaError like ``decode_audio``.
        """
        from studio.media import audio as media_audio

        start = max(0.0, start)
        first, n = round(start * rate), max(0, round(duration * rate))
        src = source_id(path)
        with self._lock:
            found = self._find(src, rate, first, n)
            if found is not None:
                self.hits += 1
                return found
        self.decodes += 1
        data = media_audio.decode_audio(path, start=start, duration=duration, rate=rate)
        data = np.ascontiguousarray(data, dtype=np.float32)
        data.flags.writeable = False
        with self._lock:
            key = (src, STREAM, rate, first, n)
            if key not in self._segments:
                self._segments[key] = data
                self._bytes += data.nbytes
            while self._bytes > self.budget and len(self._segments) > 1:
                _, old = self._segments.popitem(last=False)
                self._bytes -= old.nbytes
        return data


_SHARED = PcmCache()


def shared_cache() -> PcmCache:
    """The process-wide cache (the preview mix and anything else that decodes segments)."""
    return _SHARED
