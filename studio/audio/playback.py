"""Synced playback: a feeder thread mixes tracks into a ring buffer that the device callback drains.

    engine = AudioEngine()                 # opens the default output lazily on first use
    engine.set_tracks({"music": m, "vo": v})  # float32 (n, 2) at 48 kHz, whole timeline
    engine.play(); engine.clock.time()     # the video clock is slaved to this
    engine.mixer.set_mute("music", True); engine.meter.levels()
    engine.status_message                  # why audio is silent, "" when a device plays

With no device, a busy device or no PortAudio library the engine runs a silent driver paced by
``time.monotonic`` that calls the same callback, so the clock, meter and feeder behave the same.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.audio import DEFAULT_RATE
from studio.audio.clock import AudioClock
from studio.audio.device import AudioUnavailable, abandon, resolve_device, sounddevice
from studio.audio.meter import LevelMeter
from studio.audio.mixer import Mixer
from studio.audio.ring import RingBuffer

log = logging.getLogger(__name__)

SCRUB_SECONDS = 0.08
STALL_SECONDS = 2.0  # no callback for this long: the device is gone (a JACK server that died)
FIRST_CALLBACK_SECONDS = 6.0  # a starting stream may take a while (PulseAudio under load)
_SCRUB_FADE = 0.004


def resample(data: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Polyphase resampling (scipy) of a whole (n, channels) array; identity when rates match."""
    if src_rate == dst_rate or len(data) == 0:
        return np.ascontiguousarray(data, dtype=np.float32)
    from scipy.signal import resample_poly

    g = math.gcd(int(src_rate), int(dst_rate))
    out = resample_poly(data, dst_rate // g, src_rate // g, axis=0)
    return np.ascontiguousarray(out, dtype=np.float32)


@dataclass
class _Time:
    currentTime: float
    outputBufferDacTime: float


@dataclass
class _Status:
    output_underflow: bool = False


class _SilentDriver:
    """Stands in for a PortAudio stream: calls the callback in real time and discards the output."""

    def __init__(self, callback: Any, rate: int, blocksize: int) -> None:
        self._callback = callback
        self.samplerate = rate
        self.blocksize = blocksize
        self.latency = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audio-silent-driver", daemon=True)

    @property
    def time(self) -> float:
        return time.monotonic()

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        buf = np.zeros((self.blocksize, 2), dtype=np.float32)
        period = self.blocksize / self.samplerate
        deadline = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now - deadline > 0.5:
                deadline = now
            self._callback(buf, self.blocksize, _Time(now, max(now, deadline)), _Status())
            deadline += period
            self._stop.wait(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)


class AudioEngine:
    """Project playback with an audio master clock. Never raises for device problems."""

    def __init__(
        self,
        device: int | str | None = None,
        *,
        rate: int | None = None,
        blocksize: int = 1024,
        buffer_seconds: float = 0.2,
        silent: bool = False,
    ) -> None:
        self.mixer = Mixer()
        self.clock = AudioClock()
        self.status_message = ""
        self.device_name = ""
        self.underruns = 0
        self.frames_consumed = 0  # device frames the callback produced (silence included)
        self.programme_frames = 0  # of those, frames that carried queued programme audio
        self._blocksize = blocksize
        self._tracks: dict[str, np.ndarray] = {}
        self._length = 0
        self._feed_lock = threading.RLock()
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._playing = False
        self._feed_frame = 0
        self._markers: tuple[tuple[int, int], ...] = ((0, 0),)
        self._stream: Any = None
        self._generation = 0  # callbacks of a replaced (lost) stream must not touch the ring
        self._stream_died = False
        self._last_callback = time.monotonic()
        self._called_back = False
        self._open(device, rate, silent)
        capacity = max(4 * blocksize, int(buffer_seconds * self.rate))
        self._ring = RingBuffer(capacity, 2)
        self.meter = LevelMeter(2, self.rate)
        self._last_callback = time.monotonic()
        self._stream.start()
        self._feeder = threading.Thread(target=self._feed_loop, name="audio-feeder", daemon=True)
        self._feeder.start()

    # ----------------------------------------------------------------- device
    def _open(self, device: int | str | None, rate: int | None, silent: bool) -> None:
        if silent:
            self._go_silent("Audio is off (silent mode). Playback is silent.", rate)
            return
        sd = sounddevice()
        try:
            dev = resolve_device(device, "output")
        except AudioUnavailable as exc:
            self._go_silent(f"{exc} Playback is silent.", rate)
            return
        assert sd is not None
        chosen = rate or DEFAULT_RATE
        try:
            sd.check_output_settings(device=dev.index, channels=2, dtype="float32", samplerate=chosen)
        except Exception:
            if rate is not None:
                self._go_silent(
                    f"Audio output '{dev.name}' does not support {rate} Hz. Playback is silent.", rate
                )
                return
            chosen = int(dev.default_samplerate)
        try:
            self._stream = sd.OutputStream(
                device=dev.index,
                samplerate=chosen,
                channels=2,
                dtype="float32",
                blocksize=self._blocksize,
                callback=self._callback_for(self._generation),
                finished_callback=self._finished,
            )
        except Exception as exc:
            self._go_silent(
                f"Audio output '{dev.name}' could not be opened; it may be busy ({exc}). Playback is silent.",
                rate,
            )
            return
        self.rate = int(self._stream.samplerate)
        self.device_name = dev.name
        self.status_message = ""
        self.clock.set_time_source(lambda: self._stream.time)
        log.info("audio output: %s at %d Hz, latency %.3f s", dev.name, self.rate, self._stream.latency)

    def _go_silent(self, message: str, rate: int | None) -> None:
        self.rate = int(rate or DEFAULT_RATE)
        self.status_message = message
        self.device_name = ""
        self._generation += 1
        self._stream = _SilentDriver(self._callback_for(self._generation), self.rate, self._blocksize)
        self.clock.set_time_source(time.monotonic)
        log.warning("%s", message)

    @property
    def silent(self) -> bool:
        return isinstance(self._stream, _SilentDriver)

    @property
    def latency(self) -> float:
        return float(self._stream.latency) if not isinstance(self._stream.latency, tuple) else 0.0

    def _finished(self) -> None:
        if not self._closing.is_set():
            self._stream_died = True
            self._wake.set()

    def _recover_from_dead_stream(self) -> None:
        """The device went away mid-session: carry on silently from where the clock is."""
        with self._feed_lock:
            position = self.clock.time()
            was_playing = self._playing
            self._stream_died = False
            abandon(self._stream)
            self._go_silent(
                f"Audio output '{self.device_name}' stopped responding (device lost). Playback is silent.",
                self.rate,
            )
            self._last_callback = time.monotonic()
            self._stream.start()
            self._playing = False
            self.clock.stop(position)
            self._feed_frame = round(position * self.rate)
        if was_playing:
            self.play()

    # --------------------------------------------------------------- callback
    def _callback_for(self, generation: int) -> Any:
        def callback(outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
            if generation != self._generation:
                outdata.fill(0.0)
                return
            self._callback(outdata, frames, time_info, status)

        return callback

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        self._last_callback = time.monotonic()
        self._called_back = True
        if status.output_underflow:
            self.underruns += 1
        ring = self._ring
        ring.consume_flush()
        start = ring.read_count
        n = ring.read_into(outdata)
        if n < frames:
            outdata[n:] = 0.0
        self.frames_consumed += frames
        self.programme_frames += n
        self.meter.update(outdata)
        if n and self._playing:
            markers = self._markers
            seg_index, seg_frame = markers[-1]
            for index, frame in reversed(markers):
                if index <= start:
                    seg_index, seg_frame = index, frame
                    break
            first = seg_frame + (start - seg_index)
            dac = time_info.outputBufferDacTime
            if dac <= 0.0:
                dac = self._stream.time + self.latency
            self.clock.anchor(first / self.rate, dac, (first + n) / self.rate)

    # ----------------------------------------------------------------- feeder
    def _mix_at(self, frame: int, frames: int) -> np.ndarray:
        blocks = {tid: arr[frame : frame + frames] for tid, arr in self._tracks.items()}
        return self.mixer.mix(blocks, frames)

    def _feed_loop(self) -> None:
        period = self._blocksize / self.rate
        while not self._closing.is_set():
            limit = STALL_SECONDS if self._called_back else FIRST_CALLBACK_SECONDS
            stalled = time.monotonic() - self._last_callback > limit
            if self._stream_died or (stalled and not self.silent):
                self._recover_from_dead_stream()
            with self._feed_lock:
                if self._playing:
                    if self._length and self.clock.time() >= self._length / self.rate:
                        self._playing = False
                        self.clock.stop(self._length / self.rate)
                        self._feed_frame = self._length
                    while self._playing and self._ring.free() >= self._blocksize:
                        block = self._mix_at(self._feed_frame, self._blocksize)
                        self._ring.write(block)
                        self._feed_frame += self._blocksize
            self._wake.wait(period / 2)
            self._wake.clear()

    def _restart_segment(self, frame: int) -> None:
        """Drop queued audio and mark that the next frame written is project ``frame``."""
        self._ring.flush()
        self._markers = (*self._markers[-15:], (self._ring.written, frame))
        self._feed_frame = frame

    # ------------------------------------------------------------------ API
    def set_tracks(self, tracks: Mapping[str, np.ndarray], rate: int = DEFAULT_RATE) -> None:
        """Replace the programme: per-track float32 (n, 2) arrays covering the whole timeline."""
        converted = {}
        for track_id, data in tracks.items():
            arr = np.asarray(data, dtype=np.float32)
            if arr.ndim == 1:
                arr = np.repeat(arr[:, None], 2, axis=1)
            if arr.ndim != 2 or arr.shape[1] != 2:
                raise ValueError(f"track {track_id!r}: expected (n, 2) samples, got shape {arr.shape}")
            converted[track_id] = resample(arr, rate, self.rate)
        with self._feed_lock:
            self._tracks = converted
            self._length = max((len(a) for a in converted.values()), default=0)
            self._restart_segment(round(self.clock.time() * self.rate))
        self._wake.set()

    @property
    def duration(self) -> float:
        return self._length / self.rate

    @property
    def playing(self) -> bool:
        return self._playing

    def position(self) -> float:
        return self.clock.time()

    def play(self) -> None:
        with self._feed_lock:
            if self._playing:
                return
            position = self.clock.time()
            if self._length and position >= self.duration:
                position = 0.0
            self._restart_segment(round(position * self.rate))
            self.clock.start(position)
            self._playing = True
        self._wake.set()

    def pause(self) -> None:
        with self._feed_lock:
            if not self._playing:
                return
            self._playing = False
            position = self.clock.stop()
            self._restart_segment(round(position * self.rate))

    def seek(self, t: float) -> None:
        t = max(0.0, float(t))
        with self._feed_lock:
            self._restart_segment(round(t * self.rate))
            if self._playing:
                self.clock.start(t)
            else:
                self.clock.stop(t)
        self._wake.set()

    def scrub(self, t: float, duration: float = SCRUB_SECONDS) -> None:
        """Play a short snippet at ``t`` (while paused) and leave the playhead there."""
        t = max(0.0, float(t))
        with self._feed_lock:
            if self._playing:
                self.seek(t)
                return
            self.clock.stop(t)
            frame = round(t * self.rate)
            frames = max(1, round(duration * self.rate))
            snippet = self._mix_at(frame, frames)
            ramp = min(frames // 2, round(_SCRUB_FADE * self.rate))
            if ramp:
                env = np.linspace(0.0, 1.0, ramp, dtype=np.float32)[:, None]
                snippet[:ramp] *= env
                snippet[-ramp:] *= env[::-1]
            self._restart_segment(frame)
            self._ring.write(snippet)

    def close(self) -> None:
        self._closing.set()
        self._wake.set()
        if self._feeder.is_alive():
            self._feeder.join(timeout=2)
        try:
            if not isinstance(self._stream, _SilentDriver):
                self._stream.stop()
            self._stream.close()
        except Exception as exc:
            log.debug("closing audio stream: %s", exc)

    def __enter__(self) -> AudioEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
