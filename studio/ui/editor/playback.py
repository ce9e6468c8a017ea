"""The preview player's worker thread: it owns the decoder, so the GUI thread never decodes.

:class:`PlaybackWorker` runs on its own thread, takes commands (open, seek, play, pause, step,
resize) from a queue, asks a :class:`FrameSource` for frames, converts them to RGB scaled to the
view, and posts ready ``QImage`` s to the GUI by a queued signal. Pacing follows a monotonic
clock: the frame for time ``t = start + elapsed`` is the one shown; when decoding falls behind,
the worker skips to the right frame (counted as dropped) instead of drifting. Any object with
``frame_at(t)``, ``duration``, ``fps`` and ``size`` is a source: :class:`ClipSource` wraps a media
file, and a project preview (``studio.render.PreviewRenderer``) fits the same slot. The widgets
are :mod:`studio.ui.editor.player`.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtGui import QImage

if TYPE_CHECKING:
    from studio.core.frame import Frame

log = logging.getLogger(__name__)

DEFAULT_FPS = 30.0


@runtime_checkable
class FrameSource(Protocol):
    """What the player can show: frames by time, with a duration, a rate and a size."""

    @property
    def duration(self) -> float: ...

    @property
    def fps(self) -> float: ...

    @property
    def size(self) -> tuple[int, int]: ...

    def frame_at(self, t: float) -> Frame: ...


class ClipSource:
    """One media file as a frame source (opens a ``VideoDecoder``; call from the worker)."""

    def __init__(self, path: str | Path) -> None:
        from studio.media.decode import VideoDecoder

        self.path = str(path)
        self._decoder = VideoDecoder(self.path)

    @property
    def duration(self) -> float:
        return float(self._decoder.duration)

    @property
    def fps(self) -> float:
        return float(self._decoder.fps)

    @property
    def size(self) -> tuple[int, int]:
        return self._decoder.size

    def frame_at(self, t: float) -> Frame:
        return self._decoder.frame_at(t)

    def close(self) -> None:
        self._decoder.close()


@dataclass(frozen=True)
class SourceInfo:
    """What the GUI learns about a freshly opened source."""

    generation: int
    label: str
    duration: float
    fps: float
    size: tuple[int, int]
    frame_count: int


@dataclass(frozen=True)
class ShownFrame:
    generation: int
    index: int
    time: float
    image: QImage


def to_qimage(frame: Frame, box: QSize) -> QImage:
    """The frame as RGB, scaled to fit ``box`` keeping its aspect (worker side)."""
    rgb = frame.as_rgb()
    h, w = rgb.shape[:2]
    scale = min(box.width() / w, box.height() / h) if box.width() > 0 and box.height() > 0 else 1.0
    if abs(scale - 1.0) > 0.01:
        import cv2

        size = (max(2, round(w * scale)), max(2, round(h * scale)))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        rgb = cv2.resize(rgb, size, interpolation=interp)
        h, w = rgb.shape[:2]
    if not rgb.flags["C_CONTIGUOUS"]:
        import numpy as np

        rgb = np.ascontiguousarray(rgb)
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


Clock = Callable[[], float | None]


@dataclass(frozen=True)
class Transport:
    """Hooks the player thread calls so that sound follows the picture (``None``: not wanted).

    ``play(t)`` when playback starts at ``t`` at normal speed, ``pause()`` when it stops (or a
    shuttle speed other than 1x starts), ``seek(t)`` on a jump while playing, ``scrub(t)`` on a
    jump or frame step while paused. They run on the player thread and must be thread-safe.
    """

    play: Callable[[float], None] | None = None
    pause: Callable[[], None] | None = None
    seek: Callable[[float], None] | None = None
    scrub: Callable[[float], None] | None = None


class _Posts(QObject):
    """Signals the worker emits from its thread; they reach the GUI queued. Once the player
    widget is gone, emitting raises ``RuntimeError`` and the worker ends."""

    opened = Signal(object)
    frame = Signal()
    failed = Signal(str)
    playing = Signal(bool)


class PlaybackWorker:
    """Owns the source on a daemon thread; all methods may be called from the GUI thread."""

    def __init__(self, posts: _Posts) -> None:
        self._posts = posts
        self._commands: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._latest: ShownFrame | None = None
        self._latest_lock = threading.Lock()
        self.dropped = 0
        self.clock: Clock | None = None
        self.transport = Transport()
        self._thread = threading.Thread(target=self._run, name="player", daemon=True)
        self._thread.start()

    def send(self, command: str, value: Any = None) -> None:
        self._commands.put((command, value))

    def take_latest(self) -> ShownFrame | None:
        with self._latest_lock:
            shown, self._latest = self._latest, None
        return shown

    def stop(self, timeout: float = 2.0) -> None:
        self.send("quit")
        self._thread.join(timeout)

    def _hook(self, name: str, *args: float) -> None:
        fn = getattr(self.transport, name)
        if fn is not None:
            try:
                fn(*args)
            except Exception:
                log.exception("the player's %s hook failed", name)

    def _external_time(self) -> float | None:
        clock = self.clock
        if clock is None:
            return None
        try:
            return clock()
        except Exception:
            log.exception("the player's external clock failed")
            return None

    def _run(self) -> None:
        try:
            self._loop()
        except RuntimeError as exc:  # the player (and its _Posts) was deleted under us
            log.debug("player thread ends: %s", exc)

    def _loop(self) -> None:
        source: Any = None
        generation = 0
        fps, count, index = DEFAULT_FPS, 0, -1
        box = QSize(640, 360)
        playing = False
        start_clock, start_index = 0.0, 0
        pending: int | None = None
        due = 0.0

        rate = 1.0

        def set_playing(value: bool) -> None:
            nonlocal playing, start_clock, start_index
            was_playing = playing
            if value and count > 0:
                if rate > 0:
                    start_index = 0 if index >= count - 1 else max(index, 0)
                else:
                    start_index = count - 1 if index <= 0 else index
                start_clock = time.monotonic()
            playing = value and count > 0
            if playing and not was_playing and rate == 1.0:
                self._hook("play", start_index / fps)
            elif was_playing and not playing:
                self._hook("pause")
            self._posts.playing.emit(playing)

        while True:
            timeout = max(0.0, due - time.monotonic()) if playing else None
            try:
                commands = [self._commands.get(timeout=timeout)]
            except queue.Empty:
                commands = []
            while True:
                try:
                    commands.append(self._commands.get_nowait())
                except queue.Empty:
                    break
            for command, value in commands:
                if command == "quit":
                    if playing:
                        self._hook("pause")
                    _close(source)
                    return
                if command == "open":
                    factory, label = value
                    _close(source)
                    source, count, index, pending = None, 0, -1, None
                    generation += 1
                    if playing:
                        set_playing(False)
                    try:
                        source = factory()
                        fps = float(source.fps) if source.fps and source.fps > 0 else DEFAULT_FPS
                        count = max(1, round(float(source.duration) * fps))
                    except _Cleared:
                        source = None
                        continue
                    except Exception as exc:
                        log.warning("cannot open %s for preview: %s", label, exc)
                        self._posts.failed.emit(_message(exc))
                        source = None
                        continue
                    self.dropped = 0
                    info = SourceInfo(generation, label, float(source.duration), fps, source.size, count)
                    self._posts.opened.emit(info)
                    pending = 0
                elif command == "resize":
                    box = value
                    if index >= 0 and pending is None:
                        pending = index
                elif command == "refresh":
                    if index >= 0 and pending is None:
                        pending = index
                elif command == "seek" and count:
                    pending = min(max(int(value), 0), count - 1)
                    if playing:
                        start_index, start_clock = pending, time.monotonic()
                    self._hook("seek" if playing and rate == 1.0 else "scrub", pending / fps)
                elif command == "step" and count:
                    if playing:
                        set_playing(False)
                    pending = min(max((pending if pending is not None else index) + int(value), 0), count - 1)
                    self._hook("scrub", pending / fps)
                elif command == "play":
                    set_playing(bool(value))
                elif command == "rate":
                    old_rate, rate = rate, float(value) or 1.0
                    if playing:
                        start_index, start_clock = max(index, 0), time.monotonic()
                        if rate == 1.0 and old_rate != 1.0:
                            self._hook("play", start_index / fps)
                        elif rate != 1.0 and old_rate == 1.0:
                            self._hook("pause")
            if source is None:
                continue
            if playing:
                external = self._external_time() if rate == 1.0 else None
                now = time.monotonic()
                if external is not None:
                    # slaved: the frame for the clock's time; the monotonic pacing is rebased
                    # here so that it carries on seamlessly if the clock stops answering
                    target = math.floor(external * fps + 1e-6)
                    start_index, start_clock = target, now - (external - target / fps)
                    frames = 0
                else:
                    frames = math.floor((now - start_clock) * fps * abs(rate))
                    target = start_index + (frames if rate > 0 else -frames)
                if (rate > 0 and target >= count - 1) or (rate < 0 and target <= 0):
                    target = min(max(target, 0), count - 1)
                    set_playing(False)
                if abs(target - index) > 1 and index >= 0:
                    self.dropped += abs(target - index) - 1
                if target != index:
                    pending = target
                due = start_clock + (frames + 1) / (fps * abs(rate))
            if pending is not None:
                wanted, pending = pending, None
                try:
                    frame = source.frame_at((wanted + 0.25) / fps)
                    image = to_qimage(frame, box)
                except Exception as exc:
                    log.warning("preview decode failed at frame %d: %s", wanted, exc)
                    self._posts.failed.emit(_message(exc))
                    if playing:
                        set_playing(False)
                    continue
                index = wanted
                with self._latest_lock:
                    self._latest = ShownFrame(generation, wanted, wanted / fps, image)
                self._posts.frame.emit()


def _no_source() -> FrameSource:
    raise _Cleared


class _Cleared(Exception):
    """Raised by the factory of :meth:`Player.clear`: the worker closes its source, shows nothing."""


def _close(source: Any) -> None:
    close = getattr(source, "close", None)
    if callable(close):
        try:
            close()
        except Exception:
            log.exception("closing the preview source failed")


def _message(exc: BaseException) -> str:
    return str(getattr(exc, "message", None) or exc)
