"""Waveform peaks from real decoding (studio.media.decode_audio), cached as .npy."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from studio.audio.waveform import BUCKETS, WaveformCache, compute_peaks
from studio.audio.wavio import write_wav
from studio.jobs.runner import Cancelled

RATE = 48000


def half_silent(path: Path, amp: float) -> Path:
    t = np.arange(RATE) / RATE
    loud = (amp * np.sin(2 * np.pi * 500 * t)).astype(np.float32)
    data = np.concatenate([np.zeros(RATE, np.float32), loud])
    return write_wav(path, np.stack([data, data], axis=1), RATE)


class Ctx:
    def __init__(self, cancel_after: int | None = None) -> None:
        self.calls = 0
        self.cancel_after = cancel_after
        self.fractions: list[float | None] = []

    def progress(self, fraction: float | None, message: str = "") -> None:
        self.fractions.append(fraction)

    def check(self) -> None:
        self.calls += 1
        if self.cancel_after is not None and self.calls > self.cancel_after:
            raise Cancelled()


def test_peaks_show_silence_then_tone_and_are_cached(tmp_path: Path) -> None:
    src = half_silent(tmp_path / "a.wav", 0.5)
    cache = WaveformCache(tmp_path / "cache")
    assert cache.load(src) is None
    ctx = Ctx()
    wf = cache.build(src, ctx)
    assert ctx.fractions[-1] == 1.0
    assert wf.frames == 2 * RATE and wf.duration == pytest.approx(2.0)
    assert sorted(wf.levels) == list(BUCKETS)
    cols = wf.columns(0.0, 2.0, 100)
    assert cols.shape == (100, 2)
    assert np.abs(cols[:48]).max() < 1e-3
    assert cols[55:, 1].min() == pytest.approx(0.5, abs=0.01)
    assert cols[55:, 0].max() == pytest.approx(-0.5, abs=0.01)
    assert len(list((tmp_path / "cache").glob("*.npy"))) == len(BUCKETS)

    again = cache.load(src)
    assert again is not None
    for bucket in BUCKETS:
        np.testing.assert_array_equal(again.levels[bucket], wf.levels[bucket])


def test_changed_source_is_rebuilt(tmp_path: Path) -> None:
    src = half_silent(tmp_path / "a.wav", 0.5)
    cache = WaveformCache(tmp_path / "cache")
    cache.build(src)
    half_silent(src, 0.25)
    st = src.stat()
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert cache.load(src) is None
    wf = cache.get(src)
    assert wf.columns(1.2, 2.0, 10)[:, 1].max() == pytest.approx(0.25, abs=0.01)


def test_build_can_be_cancelled(tmp_path: Path) -> None:
    src = half_silent(tmp_path / "a.wav", 0.5)
    cache = WaveformCache(tmp_path / "cache")
    with pytest.raises(Cancelled):
        cache.build(src, Ctx(cancel_after=0))
    assert cache.load(src) is None


def test_zoom_levels_agree() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (100_000, 2)).astype(np.float32)
    levels = compute_peaks(x)
    for bucket, peaks in levels.items():
        assert len(peaks) == -(-len(x) // bucket)
        assert peaks[0, 0] == x[:bucket].min() and peaks[0, 1] == x[:bucket].max()
