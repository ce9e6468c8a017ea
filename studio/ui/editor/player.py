"""The preview player: a view, transport controls and a worker thread that owns the decoder.

The GUI thread never decodes: :class:`Player` drives a
:class:`~studio.ui.editor.playback.PlaybackWorker` (its own thread, pacing, frame drops; see
:mod:`studio.ui.editor.playback`) and paints the frames it posts. :class:`VideoView` draws the
latest frame and the safe-area guides of a vertical canvas.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt, Signal, Slot
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

from studio.ui.editor.playback import (
    ClipSource,
    Clock,
    FrameSource,
    PlaybackWorker,
    ShownFrame,
    SourceInfo,
    Transport,
    _no_source,
    _Posts,
)


def format_time(seconds: float) -> str:
    """``mm:ss.cc`` (hundredths), the way editors show a position."""
    seconds = max(0.0, seconds)
    centis = round(seconds * 100)
    minutes, centis = divmod(centis, 6000)
    return f"{minutes:02d}:{centis // 100:02d}.{centis % 100:02d}"


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
        """Slave the picture to ``audio`` (``studio.ui.editor.audio_preview.ProjectAudio`` or anything
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
