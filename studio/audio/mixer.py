"""The playback mixer: per-track gain, mute and solo, and a master volume."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass
class TrackControls:
    gain: float = 1.0
    muted: bool = False
    solo: bool = False


class Mixer:
    """Sums per-track float32 (n, 2) blocks. Mute wins over solo; any solo silences the rest."""

    def __init__(self, master: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._tracks: dict[str, TrackControls] = {}
        self.master = master
        self.programme_gain = 1.0  # the project's normalising gain (the preview's loudness target)

    def controls(self, track_id: str) -> TrackControls:
        with self._lock:
            return self._tracks.setdefault(track_id, TrackControls())

    def set_gain(self, track_id: str, gain: float) -> None:
        self.controls(track_id).gain = max(0.0, float(gain))

    def set_mute(self, track_id: str, muted: bool) -> None:
        self.controls(track_id).muted = bool(muted)

    def set_solo(self, track_id: str, solo: bool) -> None:
        self.controls(track_id).solo = bool(solo)

    def set_master(self, volume: float) -> None:
        self.master = max(0.0, float(volume))

    def set_programme_gain(self, gain: float) -> None:
        self.programme_gain = max(0.0, float(gain))

    def gains(self, track_ids: list[str] | tuple[str, ...]) -> dict[str, float]:
        """Effective gain of each track after mute/solo (master not included)."""
        with self._lock:
            controls = {t: self._tracks.setdefault(t, TrackControls()) for t in track_ids}
        any_solo = any(c.solo for c in controls.values())
        return {t: 0.0 if c.muted or (any_solo and not c.solo) else c.gain for t, c in controls.items()}

    def mix(self, blocks: Mapping[str, np.ndarray], frames: int | None = None) -> np.ndarray:
        """Mix blocks (shorter ones are treated as padded with silence) into one (frames, 2) block."""
        if frames is None:
            frames = max((len(b) for b in blocks.values()), default=0)
        out = np.zeros((frames, 2), dtype=np.float32)
        for track_id, gain in self.gains(tuple(blocks)).items():
            if gain == 0.0:
                continue
            block = blocks[track_id][:frames]
            if gain == 1.0:
                out[: len(block)] += block
            else:
                out[: len(block)] += block * np.float32(gain)
        overall = self.master * self.programme_gain
        if overall != 1.0:
            out *= np.float32(overall)
        return out
