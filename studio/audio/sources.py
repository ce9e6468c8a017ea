"""Loading clip audio for playback stems, waveforms and the mix.

:func:`load_audio` is ``studio.media.decode_audio`` with one fast path: a PCM WAV already at the
mix rate (what :class:`studio.audio.record.Recorder` writes for voice-over takes) is read straight
into numpy, skipping the per-frame decode/resample loop, which costs several times the file read.
"""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np

from studio.audio import DEFAULT_RATE
from studio.audio.wavio import pcm_to_float


def _read_pcm_wav(path: Path, start: float, duration: float | None, rate: int) -> np.ndarray | None:
    """The samples of a 1- or 2-channel PCM WAV at ``rate``, or None when it is anything else."""
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, file_rate, total = (
                w.getnchannels(),
                w.getsampwidth(),
                w.getframerate(),
                w.getnframes(),
            )
            if file_rate != rate or channels not in (1, 2):
                return None
            first = min(total, max(0, round(start * rate)))
            count = total - first if duration is None else min(total - first, max(0, round(duration * rate)))
            w.setpos(first)
            raw = w.readframes(count)
    except (wave.Error, EOFError, OSError):
        return None
    usable = len(raw) - len(raw) % (channels * width)
    data = pcm_to_float(raw[:usable], width, channels)
    return np.repeat(data, 2, axis=1) if channels == 1 else data


def load_audio(
    path: str | os.PathLike[str], start: float = 0.0, duration: float | None = None, rate: int = DEFAULT_RATE
) -> np.ndarray:
    """float32 (n, 2) samples of ``path`` from ``start`` for ``duration`` s (the decode_audio contract).

    Raises ``studio.media.errors.MediaError`` for files that are not audio, as decode_audio does.
    """
    p = Path(path)
    if p.suffix.lower() in (".wav", ".wave"):
        data = _read_pcm_wav(p, start, duration, rate)
        if data is not None:
            return data
    from studio.media.audio import decode_audio

    return decode_audio(p, start=start, duration=duration, rate=rate)
