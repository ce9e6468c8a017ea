"""PCM WAV reading and crash-tolerant incremental writing (stdlib ``wave`` + numpy)."""

from __future__ import annotations

import os
import tempfile
import wave
from pathlib import Path

import numpy as np

SAMPLE_WIDTHS = (2, 3, 4)
_CHUNK = 65_536


def float_to_pcm(data: np.ndarray, sample_width: int) -> bytes:
    """float32 [-1, 1] -> little-endian signed PCM bytes (clipped, rounded)."""
    if sample_width == 2:
        scaled = np.multiply(data, np.float32(32767.0), dtype=np.float32)
        np.clip(scaled, -32767.0, 32767.0, out=scaled)
        return np.rint(scaled, out=scaled).astype("<i2").tobytes()
    clipped = np.clip(data, -1.0, 1.0)
    if sample_width == 4:
        return np.round(clipped.astype(np.float64) * 2147483647.0).astype("<i4").tobytes()
    if sample_width == 3:
        ints = np.round(clipped.astype(np.float64) * 8388607.0).astype("<i4")
        return ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    raise ValueError(f"unsupported sample width {sample_width} (use 2, 3 or 4 bytes)")


def pcm_to_float(raw: bytes, sample_width: int, channels: int) -> np.ndarray:
    if sample_width == 2:
        ints = np.multiply(np.frombuffer(raw, dtype="<i2"), np.float32(1.0 / 32768.0), dtype=np.float32)
    elif sample_width == 4:
        ints = (np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2147483648.0).astype(np.float32)
    elif sample_width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        padded = np.zeros((len(b), 4), dtype=np.uint8)
        padded[:, 1:] = b
        ints = (padded.view("<i4").ravel() >> 8).astype(np.float32) / 8388608.0
    else:
        raise ValueError(f"unsupported WAV sample width {sample_width}")
    return ints.reshape(-1, channels)


def read_wav(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """A PCM WAV as float32 (n, channels) and its rate. Trailing partial frames are ignored."""
    with wave.open(str(path), "rb") as w:
        channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        raw = w.readframes(w.getnframes())
    usable = len(raw) - len(raw) % (channels * width)
    return pcm_to_float(raw[:usable], width, channels), rate


def wav_sample_width(path: str | os.PathLike[str]) -> int:
    with wave.open(str(path), "rb") as w:
        return w.getsampwidth()


def write_wav(path: str | os.PathLike[str], data: np.ndarray, rate: int, sample_width: int = 2) -> Path:
    """Write atomically: a temporary file in the same folder, renamed over ``path`` when complete.

    Converted and written in chunks, so a long mix is never copied whole."""
    target = Path(path)
    arr = data if data.ndim == 2 else data[:, None]
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f, wave.open(f, "wb") as w:
            w.setnchannels(arr.shape[1])
            w.setsampwidth(sample_width)
            w.setframerate(rate)
            w.setnframes(len(arr))
            for i in range(0, len(arr), _CHUNK):
                w.writeframesraw(float_to_pcm(arr[i : i + _CHUNK], sample_width))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


class IncrementalWavWriter:
    """Appends PCM and rewrites the RIFF/data sizes after every append.

    ``wave.Wave_write.writeframes`` patches the header whenever the data length changed, and the
    file object is flushed to the OS afterwards, so a process killed at any point leaves a WAV
    that is valid up to the last append (the writer appends about four times a second).
    """

    def __init__(self, path: str | os.PathLike[str], rate: int, channels: int, sample_width: int = 2) -> None:
        if sample_width not in SAMPLE_WIDTHS:
            raise ValueError(f"unsupported sample width {sample_width} (use 2, 3 or 4 bytes)")
        self.path = Path(path)
        self.rate = rate
        self.channels = channels
        self.sample_width = sample_width
        self.frames = 0
        self._file = open(self.path, "wb")  # noqa: SIM115 - owned until close()
        self._wav = wave.open(self._file, "wb")  # noqa: SIM115 - owned until close()
        self._wav.setnchannels(channels)
        self._wav.setsampwidth(sample_width)
        self._wav.setframerate(rate)
        self._wav.writeframes(b"")
        self._file.flush()

    def append(self, data: np.ndarray) -> None:
        if len(data) == 0:
            return
        self._wav.writeframes(float_to_pcm(data, self.sample_width))
        self._file.flush()
        self.frames += len(data)

    def sync(self) -> None:
        """Push the file to stable storage (survives power loss, not only a killed process)."""
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file.closed:
            return
        self._wav.close()
        self._file.close()
