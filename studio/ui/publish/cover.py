"""The cover frame picker: a slider over the video's length and the frame at that time.

Frames are decoded off the GUI thread, on a lane of their own (one worker, so the decoder is
only ever touched by one thread): a file with :class:`~studio.media.decode.VideoDecoder`, a
draft with the preview renderer. Only the newest position asked for is decoded; the picture is
turned into a ``QImage`` in the job and into a ``QPixmap`` here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from studio.jobs.runner import JobContext, JobRunner
from studio.ui.jobs import Op

log = logging.getLogger(__name__)

COVER_LANE = "publish-cover"
PREVIEW_SIZE = (135, 240)
SCRUB_DEBOUNCE_MS = 90


def _to_image(rgb: Any) -> QImage:
    """An HxWx3 uint8 array -> a scaled ``QImage`` that owns its pixels (safe off the GUI thread)."""
    import numpy as np

    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    return image.scaled(
        PREVIEW_SIZE[0],
        PREVIEW_SIZE[1],
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )


class CoverSource:
    """Frames of a file or of a project; used from the cover lane only."""

    def __init__(self, file: str | None = None, project: Any = None) -> None:
        self.file = file
        self.project = project
        self._decoder: Any = None
        self._renderer: Any = None

    @classmethod
    def for_draft(cls, store: Any, draft_id: int, doc: dict[str, Any] | None) -> CoverSource:
        """In a job: the draft's project (the editor's version when given, else its head)."""
        from studio.core.project import Project

        base = store.base_dir(draft_id)
        project = Project.from_dict(
            doc if doc is not None else store.get_project_doc(draft_id), base_dir=str(base) if base else None
        )
        return cls(project=project)

    def frame(self, t: float) -> QImage:
        if self.file is not None:
            from studio.media.decode import VideoDecoder

            if self._decoder is None:
                self._decoder = VideoDecoder(self.file, cache_size=2)
            t = min(max(0.0, t), max(0.0, self._decoder.duration - 1e-3))
            return _to_image(self._decoder.frame_at(t).as_rgb())
        if self._renderer is None:
            from studio.render.preview import PreviewRenderer

            canvas = self.project.canvas
            scale = min(1.0, PREVIEW_SIZE[1] * 2 / max(1, canvas.height))
            self._renderer = PreviewRenderer(self.project, scale=scale, proxies=None)
        return _to_image(self._renderer.frame_at(t).as_rgb())

    def close(self) -> None:
        for thing in (self._decoder, self._renderer):
            if thing is not None:
                thing.close()
        self._decoder = self._renderer = None


class CoverPicker(QWidget):
    """``cover_ms`` is the chosen time (``video_cover_timestamp_ms``); ``frameShown`` fires with
    the time of each frame drawn."""

    frameShown = Signal(int)

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._make: Callable[[], CoverSource] | None = None
        self._source: CoverSource | None = None  # lives on the cover lane
        self._busy = False
        self._closed = False
        self._pending: int | None = None
        self.shown_ms: int | None = None
        self.preview = QLabel("No preview yet")
        self.preview.setObjectName("coverPreview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setFixedSize(PREVIEW_SIZE[0] + 8, PREVIEW_SIZE[1] + 8)
        self.preview.setStyleSheet("background: #202124; color: #9aa0a6;")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("coverSlider")
        self.slider.setEnabled(False)
        self.slider.setRange(0, 0)
        self.slider.setSingleStep(100)
        self.slider.setPageStep(1000)
        self.time_label = QLabel("Cover: first frame")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SCRUB_DEBOUNCE_MS)
        self._timer.timeout.connect(lambda: self._request(self.slider.value()))
        self.slider.valueChanged.connect(self._moved)
        right = QVBoxLayout()
        right.addWidget(QLabel("Drag to choose the frame TikTok shows as the cover."))
        right.addWidget(self.slider)
        right.addWidget(self.time_label)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.preview)
        layout.addLayout(right, 1)

    @property
    def cover_ms(self) -> int:
        return int(self.slider.value())

    def set_source(self, make: Callable[[], CoverSource], duration_s: float) -> None:
        """Frames come from ``make()`` (called in a job); the slider spans ``duration_s``."""
        self._make = make
        last = max(0, int(duration_s * 1000) - 1)
        self.slider.setRange(0, last)
        self.slider.setEnabled(last > 0)
        self._request(self.slider.value())

    def _moved(self, value: int) -> None:
        self.time_label.setText(f"Cover: frame at {value / 1000:.1f} s")
        self._timer.start()

    def _request(self, ms: int) -> None:
        if self._make is None or self._closed:
            return
        if self._busy:
            self._pending = ms
            return
        self._busy = True
        make = self._make

        def decode(_ctx: JobContext) -> QImage:
            if self._source is None:
                self._source = make()
            return self._source.frame(ms / 1000)

        def shown(image: QImage) -> None:
            if self._closed:
                return
            self.preview.setPixmap(QPixmap.fromImage(image))
            self.shown_ms = ms
            self.frameShown.emit(ms)
            self._next()

        def failed(exc: BaseException) -> None:
            log.info("no cover preview: %s", exc)
            if self._closed:
                return
            self.preview.setText("No preview")
            self.preview.setToolTip(str(exc))
            self._next()

        try:
            Op(self.runner, decode, name="Cover frame", lane=COVER_LANE).success(shown).failure(failed).run()
        except RuntimeError:  # the runner is shut down: the app is closing
            self._busy = False

    def _next(self) -> None:
        self._busy = False
        pending, self._pending = self._pending, None
        if pending is not None and pending != self.shown_ms:
            self._request(pending)

    def close_source(self) -> None:
        """Close the decoder (in a job on its lane); nothing is drawn after this."""
        self._make = None
        self._closed = True

        def close(_ctx: JobContext) -> None:
            if self._source is not None:
                self._source.close()
                self._source = None

        try:
            Op(self.runner, close, name="Close cover decoder", lane=COVER_LANE).run()
        except RuntimeError:
            pass
