"""Waveform peaks for the timeline: min/max per bucket at several zoom levels, cached as .npy.

    cache = WaveformCache(app_paths().cache / "waveforms")
    wf = cache.load(path) or cache.build(path)        # build() runs as a background job:
    runner.submit("waveform", lambda ctx: cache.build(path, ctx))
    wf.columns(t0, t1, width_px)                      # (width, 2) min/max for drawing

Entries are keyed by the source's absolute path and remember its size and mtime; a source that
changed is rebuilt. Files are written to temporary names and renamed, the metadata last, so a
half-written entry is never read.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from studio.audio import DEFAULT_RATE

BUCKETS = (64, 256, 1024, 4096, 16384)
CHUNK_FRAMES = BUCKETS[-1] * 180  # ~61 s at 48 kHz; a multiple of every bucket
FORMAT_VERSION = 1

Decoder = Callable[..., np.ndarray]


class JobContextLike(Protocol):
    """What studio.jobs.JobContext offers; any object with these two methods works."""

    def progress(self, fraction: float | None, message: str = "") -> None: ...

    def check(self) -> None: ...


@dataclass
class Waveform:
    rate: int
    frames: int
    levels: dict[int, np.ndarray]  # bucket size (frames) -> float32 (m, 2): [min, max]

    @property
    def duration(self) -> float:
        return self.frames / self.rate

    def level_for(self, frames_per_pixel: float) -> tuple[int, np.ndarray]:
        """The coarsest level whose buckets are not wider than one pixel."""
        usable = [b for b in sorted(self.levels) if b <= max(frames_per_pixel, BUCKETS[0])]
        bucket = usable[-1] if usable else min(self.levels)
        return bucket, self.levels[bucket]

    def columns(self, t0: float, t1: float, width: int) -> np.ndarray:
        """(width, 2) min/max of the audio between t0 and t1 seconds, one row per pixel column."""
        out = np.zeros((max(0, width), 2), dtype=np.float32)
        if width <= 0 or t1 <= t0:
            return out
        bucket, peaks = self.level_for((t1 - t0) * self.rate / width)
        edges = np.linspace(t0 * self.rate / bucket, t1 * self.rate / bucket, width + 1)
        lo = np.clip(np.floor(edges[:-1]).astype(np.int64), 0, len(peaks))
        hi = np.clip(np.maximum(np.ceil(edges[1:]).astype(np.int64), lo + 1), 0, len(peaks))
        valid = lo < hi
        if valid.any():
            ext = np.vstack([peaks, np.zeros((1, 2), dtype=np.float32)])
            bounds = np.empty(2 * int(valid.sum()), dtype=np.int64)
            bounds[0::2] = lo[valid]
            bounds[1::2] = hi[valid]
            out[valid, 0] = np.minimum.reduceat(ext[:, 0], bounds)[0::2]
            out[valid, 1] = np.maximum.reduceat(ext[:, 1], bounds)[0::2]
        return out


def compute_peaks(samples: np.ndarray, buckets: tuple[int, ...] = BUCKETS) -> dict[int, np.ndarray]:
    """Min/max over all channels per bucket of each size; sizes must each divide the next."""
    arr = samples if samples.ndim == 2 else samples[:, None]
    base = buckets[0]
    n = len(arr)
    m = -(-n // base)
    padded = np.zeros((m * base, arr.shape[1]), dtype=np.float32)
    padded[:n] = arr
    blocks = padded.reshape(m, base * arr.shape[1])
    levels = {base: np.stack([blocks.min(axis=1), blocks.max(axis=1)], axis=1).astype(np.float32)}
    prev_bucket = base
    for bucket in buckets[1:]:
        if bucket % prev_bucket:
            raise ValueError("waveform bucket sizes must each divide the next")
        factor = bucket // prev_bucket
        prev = levels[prev_bucket]
        k = -(-len(prev) // factor)
        pad = np.zeros((k * factor, 2), dtype=np.float32)
        pad[: len(prev)] = prev
        grouped = pad.reshape(k, factor, 2)
        levels[bucket] = np.stack([grouped[:, :, 0].min(axis=1), grouped[:, :, 1].max(axis=1)], axis=1)
        prev_bucket = bucket
    return levels


def _merge(acc: dict[int, list[np.ndarray]], part: dict[int, np.ndarray]) -> None:
    for bucket, peaks in part.items():
        acc.setdefault(bucket, []).append(peaks)


def _default_decoder() -> Decoder:
    from studio.audio.sources import load_audio

    return load_audio


class WaveformCache:
    def __init__(self, cache_dir: str | os.PathLike[str], decoder: Decoder | None = None) -> None:
        self.dir = Path(cache_dir)
        self._decoder = decoder

    def _key(self, source: Path) -> str:
        return hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:24]

    def _meta_path(self, source: Path) -> Path:
        return self.dir / f"{self._key(source)}.json"

    def _level_path(self, source: Path, bucket: int) -> Path:
        return self.dir / f"{self._key(source)}.b{bucket}.npy"

    @staticmethod
    def _stamp(source: Path) -> dict[str, Any]:
        st = source.stat()
        return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}

    def load(self, source: str | os.PathLike[str]) -> Waveform | None:
        """The cached waveform, or None when absent, stale (size/mtime changed) or unreadable."""
        src = Path(source)
        try:
            meta = json.loads(self._meta_path(src).read_text())
            if meta.get("version") != FORMAT_VERSION or meta.get("source") != str(src.resolve()):
                return None
            if {k: meta.get(k) for k in ("size", "mtime_ns")} != self._stamp(src):
                return None
            levels = {int(b): np.load(self._level_path(src, int(b))) for b in meta["buckets"]}
        except (OSError, ValueError, KeyError):
            return None
        return Waveform(int(meta["rate"]), int(meta["frames"]), levels)

    def build(
        self, source: str | os.PathLike[str], ctx: JobContextLike | None = None, rate: int = DEFAULT_RATE
    ) -> Waveform:
        """Decode the source in ~1 minute chunks, compute the peaks and store them."""
        src = Path(source)
        stamp = self._stamp(src)
        decode = self._decoder or _default_decoder()
        acc: dict[int, list[np.ndarray]] = {}
        frames = 0
        chunk_s = CHUNK_FRAMES / rate
        while True:
            if ctx is not None:
                ctx.check()
                ctx.progress(None, f"waveform {src.name}: {frames / rate:.0f} s")
            chunk = decode(str(src), start=frames / rate, duration=chunk_s, rate=rate)
            chunk = chunk[:CHUNK_FRAMES]
            if len(chunk):
                _merge(acc, compute_peaks(chunk))
                frames += len(chunk)
            if len(chunk) < CHUNK_FRAMES - rate // 100:
                break
        levels = (
            {b: np.concatenate(parts) for b, parts in acc.items()} if acc else compute_peaks(np.zeros((0, 2)))
        )
        waveform = Waveform(rate, frames, levels)
        self._store(src, stamp, waveform)
        if ctx is not None:
            ctx.progress(1.0, f"waveform {src.name}: done")
        return waveform

    def get(self, source: str | os.PathLike[str], ctx: JobContextLike | None = None) -> Waveform:
        return self.load(source) or self.build(source, ctx)

    def _store(self, src: Path, stamp: dict[str, Any], waveform: Waveform) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for bucket, peaks in waveform.levels.items():
            fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".npy.tmp")
            with os.fdopen(fd, "wb") as f:
                np.save(f, peaks)
            os.replace(tmp, self._level_path(src, bucket))
        meta = {
            "version": FORMAT_VERSION,
            "source": str(src.resolve()),
            **stamp,
            "rate": waveform.rate,
            "frames": waveform.frames,
            "buckets": sorted(waveform.levels),
        }
        fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".json.tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(meta, f)
        os.replace(tmp, self._meta_path(src))
