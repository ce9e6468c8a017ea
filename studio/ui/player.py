"""The preview player: a view, transport controls and a worker thread that owns the decoder.

The GUI thread never decodes. :class:`PlaybackWorker` runs on its own thread, takes commands
(open, seek, play, pause, step, resize) from a queue, asks a :class:`FrameSource` for frames,
converts them to RGB scaled to the view, and posts ready ``QImage`` s to the GUI by a queued
signal. Pacing follows a monotonic clock: the frame for time ``t = start + elapsed`` is the
one shown; when decoding falls behind, the worker skips to the right frame (counted as
dropped) instead of drifting. Any object with ``frame_at(t)``, ``duration``, ``fps`` and
``size`` is a source: :class:`ClipSource` wraps a media file, and a project preview
(``studio.render.PreviewRenderer``) fits the same slot.
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

from PySide6.QtCore import QObject, QRect, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

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


def format_time(seconds: float) -> str:
    """``mm:ss.cc`` (hundredths), the way editors show a position."""
    seconds = max(0.0, seconds)
    centis = round(seconds * 100)
    minutes, centis = divmod(centis, 6000)
    return f"{minutes:02d}:{centis // 100:02d}.{centis % 100:02d}"


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


class VideoView(QWidget):
    """Paints the latest frame centred on black, scaled to fit."""

    resized = Signal(QSize)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.hint = "Double-click a clip in the media bin to preview it"
        self.safe_area = False
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self.update()

    def set_safe_area(self, shown: bool) -> None:
        self.safe_area = shown
        self.update()

    def image_rect(self) -> QRect:
        """Where the picture is drawn (letterboxed inside the view); empty without one."""
        if self.image is None or self.image.isNull():
            return QRect()
        size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(self.rect().center())
        return target

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self.image is None or self.image.isNull():
            painter.setPen(Qt.GlobalColor.gray)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.hint)
            return
        target = self.image_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, self.image)
        if self.safe_area:
            paint_safe_area(painter, target)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        ratio = self.devicePixelRatioF()
        self.resized.emit(QSize(round(self.width() * ratio), round(self.height() * ratio)))


SAFE_TOP, SAFE_BOTTOM, SAFE_RIGHT = 0.10, 0.20, 0.15
"""Fractions of a 9:16 frame the platform's own interface covers: the top bar (tabs, live),
the caption/music/author block at the bottom and the like/comment/share column on the right."""


def safe_area_rects(frame: QRect) -> list[QRect]:
    """Top band, bottom band, right column (between the two bands), in widget coordinates."""
    w, h = frame.width(), frame.height()
    top = round(h * SAFE_TOP)
    bottom = round(h * SAFE_BOTTOM)
    right = round(w * SAFE_RIGHT)
    return [
        QRect(frame.left(), frame.top(), w, top),
        QRect(frame.left(), frame.bottom() - bottom + 1, w, bottom),
        QRect(frame.right() - right + 1, frame.top() + top, right, h - top - bottom),
    ]


def paint_safe_area(painter: QPainter, frame: QRect) -> None:
    """Translucent guides where the platform's buttons and captions will cover the video."""
    painter.save()
    fill = QColor(255, 64, 64, 56)
    pen = QPen(QColor(255, 120, 120, 180), 1, Qt.PenStyle.DashLine)
    for rect in safe_area_rects(frame):
        painter.fillRect(rect, fill)
        painter.setPen(pen)
        painter.drawRect(rect.adjusted(0, 0, -1, -1))
    painter.restore()


class Player(QWidget):
    """Preview with play/pause, frame step, a scrub slider and ``mm:ss.cc / mm:ss.cc``."""

    frameShown = Signal(int, float)
    sourceOpened = Signal(object)
    errorOccurred = Signal(str)
    playingChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = VideoView()
        style = self.style()
        self.play_button = self._button(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play (Space)"
        )
        self.back_button = self._button(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward), "Previous frame (Left)"
        )
        self.forward_button = self._button(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward), "Next frame (Right)"
        )
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Scrub")
        self.time_label = QLabel(format_time(0) + " / " + format_time(0))
        self.time_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title_label = QLabel()
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        controls = QHBoxLayout()
        for widget in (self.back_button, self.play_button, self.forward_button):
            controls.addWidget(widget)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title_label)
        layout.addWidget(self.view, 1)
        layout.addLayout(controls)

        self._posts = _Posts(self)
        self._posts.opened.connect(self._on_opened, Qt.ConnectionType.QueuedConnection)
        self._posts.frame.connect(self._on_frame, Qt.ConnectionType.QueuedConnection)
        self._posts.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self._posts.playing.connect(self._on_playing, Qt.ConnectionType.QueuedConnection)
        self._worker = worker = PlaybackWorker(self._posts)
        self.destroyed.connect(lambda *_: worker.send("quit"))
        self._generation = 0
        self._info: SourceInfo | None = None
        self._playing = False
        self.current_index = -1
        self.current_time = 0.0
        self.shown_image: QImage | None = None
        self._early: ShownFrame | None = None
        self.rate = 1.0

        self.play_button.clicked.connect(self.toggle_play)
        self.back_button.clicked.connect(lambda: self.step(-1))
        self.forward_button.clicked.connect(lambda: self.step(1))
        self.slider.valueChanged.connect(self._slider_moved)
        self.view.resized.connect(lambda size: self._worker.send("resize", size))
        self._set_enabled(False)

    @staticmethod
    def _button(icon: Any, tip: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    @property
    def info(self) -> SourceInfo | None:
        return self._info

    @property
    def is_playing(self) -> bool:
        return self._playing

    @property
    def frame_count(self) -> int:
        return self._info.frame_count if self._info else 0

    @property
    def dropped_frames(self) -> int:
        return self._worker.dropped

    def open_clip(self, path: str | Path) -> None:
        self.set_source(lambda: ClipSource(path), Path(path).name)

    def clear(self, hint: str) -> None:
        """Show nothing but ``hint`` (e.g. an empty project); the worker drops its source."""
        self._info = None
        self.current_index = -1
        self.shown_image = None
        self._worker.send("open", (_no_source, ""))
        self.view.hint = hint
        self.view.set_image(None)
        self.title_label.setText("")
        self.time_label.setText(format_time(0) + " / " + format_time(0))
        self._set_enabled(False)

    def set_source(self, factory: Callable[[], FrameSource], label: str) -> None:
        """Show ``factory()``'s frames; the factory runs on the player thread (it may do I/O)."""
        self._info = None
        self.current_index = -1
        self.title_label.setText(f"Opening {label}…")
        self._set_enabled(False)
        self._worker.send("open", (factory, label))

    def play(self) -> None:
        self._worker.send("play", True)

    def pause(self) -> None:
        self._worker.send("play", False)

    def refresh(self) -> None:
        """Draw the current frame again (the source changed, or a better quality is wanted)."""
        if self._info is not None:
            self._worker.send("refresh")

    def set_rate(self, rate: float) -> None:
        """Playback speed and direction (negative plays backwards): the J/K/L shuttle."""
        self.rate = rate
        self._worker.send("rate", rate)

    def shuttle(self, rate: float) -> None:
        self.set_rate(rate)
        if self._info is not None:
            self._worker.send("play", True)

    def toggle_play(self) -> None:
        if self._info is not None:
            self._worker.send("play", not self._playing)

    def step(self, frames: int) -> None:
        if self._info is not None:
            self._worker.send("step", frames)

    def seek_index(self, index: int) -> None:
        if self._info is not None:
            self._worker.send("seek", index)

    def seek(self, seconds: float) -> None:
        if self._info is not None:
            self.seek_index(math.floor(seconds * self._info.fps + 1e-6))

    def set_clock(self, clock: Clock | None) -> None:
        """Pace playback by ``clock()`` (project seconds, e.g. the audio clock) whenever it gives a
        value at 1x speed; it returns ``None`` when it cannot (no sound), and the player's own
        monotonic clock carries on from there. Called on the player thread."""
        self._worker.clock = clock

    def set_transport(self, transport: Transport | None) -> None:
        """Hooks that make sound follow play/pause/seek/step (see :class:`Transport`)."""
        self._worker.transport = transport or Transport()

    def attach_audio(self, audio: Any | None) -> None:
        """Slave the picture to ``audio`` (``studio.ui.audio_preview.ProjectAudio`` or anything
        with ``time/play/pause/seek/scrub``); ``None`` detaches (e.g. previewing one bin file)."""
        if audio is None:
            pause = self._worker.transport.pause
            self.set_clock(None)
            self.set_transport(None)
            if pause is not None:
                pause()
            return
        self.set_clock(audio.time)
        self.set_transport(Transport(play=audio.play, pause=audio.pause, seek=audio.seek, scrub=audio.scrub))

    def shutdown(self) -> None:
        self._worker.stop()

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.play_button, self.back_button, self.forward_button, self.slider):
            widget.setEnabled(enabled)

    def _slider_moved(self, value: int) -> None:
        if value != self.current_index:
            self.seek_index(value)

    def _show_time(self) -> None:
        duration = self._info.duration if self._info else 0.0
        self.time_label.setText(f"{format_time(self.current_time)} / {format_time(duration)}")

    @Slot(object)
    def _on_opened(self, info: SourceInfo) -> None:
        self._generation = info.generation
        self._info = info
        w, h = info.size
        self.title_label.setText(f"{info.label} · {w}×{h} · {info.fps:g} fps")
        self.slider.blockSignals(True)
        self.slider.setRange(0, info.frame_count - 1)
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.current_time = 0.0
        self._show_time()
        self._set_enabled(True)
        self.sourceOpened.emit(info)
        early, self._early = self._early, None
        if early is not None and early.generation == info.generation:
            self._show_frame(early)

    @Slot()
    def _on_frame(self) -> None:
        self._show_frame(self._worker.take_latest())

    def _show_frame(self, shown: ShownFrame | None) -> None:
        if shown is None:
            return
        if shown.generation > self._generation:
            self._early = shown  # its source's "opened" is still queued: show it after that
            return
        if shown.generation != self._generation:
            return
        self.current_index, self.current_time = shown.index, shown.time
        self.shown_image = shown.image
        self.view.set_image(shown.image)
        self.slider.blockSignals(True)
        self.slider.setValue(shown.index)
        self.slider.blockSignals(False)
        self._show_time()
        self.frameShown.emit(shown.index, shown.time)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self._info is None:
            self.title_label.setText(f"Cannot preview: {message}")
            self.view.set_image(None)
        self.errorOccurred.emit(message)

    @Slot(bool)
    def _on_playing(self, playing: bool) -> None:
        self._playing = playing
        pixmap = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(pixmap))
        self.play_button.setToolTip("Pause (Space)" if playing else "Play (Space)")
        self.playingChanged.emit(playing)
