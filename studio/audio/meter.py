"""Peak / RMS level meter fed from the audio callback and read from the GUI thread."""

from __future__ import annotations

import math

import numpy as np

SILENCE_DB = -120.0


def to_db(value: float) -> float:
    return 20.0 * math.log10(value) if value > 1e-6 else SILENCE_DB


class LevelMeter:
    """Peak with a falling ballistic (~20 dB/s) and RMS smoothed over ~300 ms, per channel.

    ``update`` runs in the audio callback (a few numpy reductions per block); ``levels`` swaps
    in the latest immutable tuple, so readers never see a half-updated value.
    """

    def __init__(self, channels: int = 2, rate: int = 48_000, rms_window: float = 0.3) -> None:
        self.channels = channels
        self.rate = rate
        self.rms_window = rms_window
        self._peak = np.zeros(channels, dtype=np.float64)
        self._ms = np.zeros(channels, dtype=np.float64)
        self._levels: tuple[tuple[float, ...], tuple[float, ...]] = (
            (SILENCE_DB,) * channels,
            (SILENCE_DB,) * channels,
        )

    def update(self, block: np.ndarray) -> None:
        if len(block) == 0:
            return
        dt = len(block) / self.rate
        block_peak = np.abs(block).max(axis=0)
        fall = 10 ** (-20.0 * dt / 20.0)
        self._peak = np.maximum(block_peak, self._peak * fall)
        alpha = min(1.0, dt / self.rms_window)
        block_ms = np.mean(np.square(block, dtype=np.float64), axis=0)
        self._ms += alpha * (block_ms - self._ms)
        self._levels = (
            tuple(to_db(float(p)) for p in self._peak),
            tuple(to_db(math.sqrt(float(m))) for m in self._ms),
        )

    def reset(self) -> None:
        self._peak[:] = 0.0
        self._ms[:] = 0.0
        self._levels = ((SILENCE_DB,) * self.channels, (SILENCE_DB,) * self.channels)

    def levels(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """``(peak_db, rms_db)``, each a tuple with one dBFS value per channel."""
        return self._levels
