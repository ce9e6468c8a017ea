"""Voice-over recording: input stream -> queue -> writer thread -> incrementally valid WAV.

    rec = Recorder("vo.wav", device="USB mic", countdown=3)
    rec.start()                       # stream opens now; the meter is live during the countdown
    rec.countdown_remaining()         # 3, 2, 1 (for the UI), then None once writing started
    rec.meter.levels()
    result = rec.stop()               # RecordingResult(path, frames, rate, channels, ...)

The callback only copies blocks into a ``queue.SimpleQueue``; the writer thread appends them to
the WAV about four times a second and fixes the header each time (see ``IncrementalWavWriter``).
The countdown is counted in input frames, so writing starts exactly ``countdown`` seconds of
device time after the stream started.
"""

from __future__ import annotations

import enum
import logging
import math
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.audio import DEFAULT_RATE
from studio.audio.device import AudioDevice, AudioUnavailable, list_input_devices, resolve_device, sounddevice
from studio.audio.meter import LevelMeter
from studio.audio.wavio import IncrementalWavWriter, read_wav, wav_sample_width, write_wav

log = logging.getLogger(__name__)

__all__ = [
    "PunchIn",
    "Recorder",
    "RecorderState",
    "RecordingResult",
    "list_input_devices",
    "punch_in",
]

WRITE_INTERVAL = 0.25
SYNC_INTERVAL = 1.0


class RecorderState(enum.Enum):
    IDLE = "idle"
    COUNTDOWN = "countdown"
    RECORDING = "recording"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True)
class PunchIn:
    """Record over ``[start, end)`` seconds of an existing take (``end=None``: as long as recorded)."""

    take: Path
    start: float
    end: float | None = None


@dataclass(frozen=True)
class RecordingResult:
    path: Path
    frames: int
    rate: int
    channels: int
    overflows: int

    @property
    def duration(self) -> float:
        return self.frames / self.rate


class Recorder:
    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        device: int | str | None = None,
        rate: int = DEFAULT_RATE,
        channels: int = 1,
        countdown: float = 3.0,
        sample_width: int = 3,
        punch: PunchIn | None = None,
        blocksize: int = 1024,
    ) -> None:
        self.path = Path(path)
        self.rate = rate
        self.channels = channels
        self.countdown = max(0.0, float(countdown))
        self.sample_width = sample_width
        self.punch = punch
        self.blocksize = blocksize
        self.meter = LevelMeter(channels, rate)
        self.state = RecorderState.IDLE
        self.status_message = ""
        self.overflows = 0
        self._device_spec = device
        self.device: AudioDevice | None = None
        self._queue: queue.SimpleQueue[np.ndarray | None] = queue.SimpleQueue()
        self._seen = 0
        self._countdown_frames = round(self.countdown * rate)
        self._stream: Any = None
        self._writer: IncrementalWavWriter | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def target(self) -> Path:
        """The file the writer fills: the output itself, or a sibling take for a punch-in."""
        if self.punch is None:
            return self.path
        return self.path.with_name(f".{self.path.stem}.punch.wav")

    @property
    def frames_written(self) -> int:
        return self._writer.frames if self._writer else 0

    def countdown_remaining(self) -> int | None:
        """3, 2, 1 during the countdown (whole seconds left, rounded up); None otherwise."""
        if self.state is not RecorderState.COUNTDOWN:
            return None
        left = (self._countdown_frames - self._seen) / self.rate
        return max(1, math.ceil(left))

    def start(self) -> None:
        """Open the input and start the countdown. Raises AudioUnavailable with a creator-facing reason."""
        if self.state is not RecorderState.IDLE:
            raise RuntimeError("a Recorder records once; make a new one for the next take")
        if self.punch is not None and not Path(self.punch.take).is_file():
            raise AudioUnavailable(f"The take to punch into does not exist: {self.punch.take}")
        if not self.path.parent.is_dir():
            raise AudioUnavailable(f"The folder for the recording does not exist: {self.path.parent}")
        sd = sounddevice()
        self.device = resolve_device(self._device_spec, "input")
        assert sd is not None
        channels = min(self.channels, self.device.max_input_channels)
        rates = [self.rate] + [r for r in (int(self.device.default_samplerate),) if r != self.rate]
        error: Exception | None = None
        for rate in rates:
            try:
                self._stream = sd.InputStream(
                    device=self.device.index,
                    samplerate=rate,
                    channels=channels,
                    dtype="float32",
                    blocksize=self.blocksize,
                    callback=self._callback,
                )
            except Exception as exc:
                error = exc
                continue
            break
        else:
            self.state = RecorderState.FAILED
            self.status_message = f"The microphone '{self.device.name}' could not be opened ({error})."
            raise AudioUnavailable(self.status_message) from error
        if rate != self.rate:
            log.info("%s does not record at %d Hz; recording at %d Hz", self.device.name, self.rate, rate)
            self.rate = rate
            self._countdown_frames = round(self.countdown * rate)
        self.channels = channels
        self.meter = LevelMeter(channels, self.rate)
        self._writer = IncrementalWavWriter(self.target, self.rate, channels, self.sample_width)
        self._thread = threading.Thread(target=self._write_loop, name="audio-recorder-writer", daemon=True)
        self.state = RecorderState.COUNTDOWN if self._countdown_frames else RecorderState.RECORDING
        self._thread.start()
        self._stream.start()

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status.input_overflow:
            self.overflows += 1
        self.meter.update(indata)
        before = self._seen
        self._seen += frames
        if self._seen <= self._countdown_frames:
            return
        if self.state is RecorderState.COUNTDOWN:
            self.state = RecorderState.RECORDING
        skip = max(0, self._countdown_frames - before)
        self._queue.put(indata[skip:].copy())

    def _drain(self) -> tuple[list[np.ndarray], bool]:
        blocks: list[np.ndarray] = []
        done = False
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return blocks, done
            if item is None:
                done = True
            else:
                blocks.append(item)

    def _write_loop(self) -> None:
        assert self._writer is not None
        last_sync = time.monotonic()
        try:
            while True:
                time.sleep(WRITE_INTERVAL)
                blocks, done = self._drain()
                if blocks:
                    self._writer.append(np.concatenate(blocks))
                if time.monotonic() - last_sync >= SYNC_INTERVAL:
                    self._writer.sync()
                    last_sync = time.monotonic()
                if done:
                    return
        except BaseException as exc:
            self._error = exc
            self.state = RecorderState.FAILED
            self.status_message = f"Recording stopped: the file could not be written ({exc})."
            log.error("%s", self.status_message)

    def stop(self) -> RecordingResult:
        """Stop, finish the file (and the punch-in merge); returns what was recorded."""
        if self._stream is None or self._writer is None or self._thread is None:
            raise RuntimeError("the recorder was not started")
        try:
            self._stream.stop()
        finally:
            self._stream.close()
        self._queue.put(None)
        self._thread.join()
        self._writer.close()
        if self._error is not None:
            raise AudioUnavailable(self.status_message) from self._error
        self.state = RecorderState.STOPPED
        frames = self._writer.frames
        if self.punch is not None:
            insert, _ = read_wav(self.target)
            if self.punch.end is not None:
                insert = insert[: max(0, round((self.punch.end - self.punch.start) * self.rate))]
            punch_in(self.punch.take, insert, self.rate, self.punch.start, out_path=self.path)
            self.target.unlink(missing_ok=True)
            frames = len(insert)
        return RecordingResult(self.path, frames, self.rate, self.channels, self.overflows)


def punch_in(
    take: str | os.PathLike[str],
    insert: np.ndarray,
    rate: int,
    start: float,
    *,
    out_path: str | os.PathLike[str] | None = None,
    crossfade: float = 0.01,
) -> Path:
    """Replace ``[start, start + len(insert))`` of a WAV take with ``insert``; short crossfades at both
    edges avoid clicks. The take grows if the insert runs past its end. Written atomically to
    ``out_path`` (default: over the take)."""
    original, take_rate = read_wav(take)
    if take_rate != rate:
        from studio.audio.playback import resample

        insert = resample(insert, rate, take_rate)
    channels = original.shape[1]
    if insert.ndim == 1:
        insert = insert[:, None]
    if insert.shape[1] != channels:
        insert = np.repeat(insert.mean(axis=1, keepdims=True), channels, axis=1)
    begin = max(0, round(start * take_rate))
    end = begin + len(insert)
    out = np.zeros((max(len(original), end), channels), dtype=np.float32)
    out[: len(original)] = original
    fade = min(round(crossfade * take_rate), len(insert) // 2)
    new = insert.astype(np.float32).copy()
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)[:, None]
        new[:fade] = new[:fade] * ramp + out[begin : begin + fade] * (1 - ramp)
        if end <= len(original):
            new[-fade:] = new[-fade:] * ramp[::-1] + out[end - fade : end] * (1 - ramp[::-1])
    out[begin:end] = new
    return write_wav(out_path or take, out, take_rate, wav_sample_width(take))
