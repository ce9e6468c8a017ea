"""Versions in pictures: a filmstrip per version, two versions compared at the same moments.

:class:`FilmstripView` draws the frames of one version (grey tiles until they arrive) under a
line with its name and duration. :class:`VersionsComparison` puts two strips rendered at the
same times one above the other, so each column is one moment, with the change summary between
them. Frames are rendered by :mod:`studio.render.filmstrip` in the job runner's ``"filmstrip"``
lane (one worker: strips are rendered one after another, never on the GUI thread); each frame is
shown as soon as it is ready.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QRect, QSize, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from studio.core.project import Project
from studio.jobs.runner import JobContext, JobHandle, JobRunner
from studio.render.filmstrip import (
    STRIP_FRAMES,
    STRIP_HEIGHT,
    Filmstrip,
    FilmstripCache,
    render_filmstrip,
    shared_cache,
    strip_times,
)
from studio.ui.jobs import Op

log = logging.getLogger(__name__)

LANE = "filmstrip"
GAP = 2


def format_length(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def to_qimage(rgb: np.ndarray) -> QImage:
    """A QImage owning a copy of an RGB ``uint8`` array (safe on any thread)."""
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def strip_cache(cache_dir: str | os.PathLike[str] | None) -> FilmstripCache:
    """The process-wide filmstrip cache kept in ``<cache_dir>/filmstrips``."""
    return shared_cache(os.path.join(cache_dir, "filmstrips") if cache_dir is not None else None)


class _Relay(QObject):
    """Carries frames from the render worker to the GUI thread (a queued signal)."""

    frame = Signal(int, int, object)  # generation, index, RGB array or None


class FilmstripView(QWidget):
    """The frames of one version in a row, with its name and duration above them.

    ``loaded`` is emitted when every frame is shown (or the version cannot be drawn)."""

    loaded = Signal()

    def __init__(self, name: str = "", parent: QWidget | None = None, *, height: int = STRIP_HEIGHT) -> None:
        super().__init__(parent)
        self.name = name
        self.strip_height = height
        self.times: list[float] = []
        self.frames: list[np.ndarray | None] = []
        self._images: list[QImage | None] = []
        self._ready: list[bool] = []
        self.duration: float | None = None
        self.problem = ""
        self._complete = False
        self._generation = 0
        self._frame_size = QSize(max(2, height * 9 // 16), height)
        self._relay = _Relay(self)
        self._relay.frame.connect(self._frame_ready)
        self.caption = QLabel(name)
        self.caption.setObjectName("filmstripCaption")
        self.canvas = _StripCanvas(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.canvas)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    @property
    def is_loaded(self) -> bool:
        return self._complete or (bool(self._ready) and all(self._ready))

    def frame_size(self) -> QSize:
        return QSize(self._frame_size)

    def _set_caption(self) -> None:
        parts = [self.name] if self.name else []
        if self.duration is not None:
            parts.append(format_length(self.duration))
        if self.problem:
            parts.append(self.problem)
        self.caption.setText(" · ".join(parts))

    def begin(
        self, times: Sequence[float], duration: float | None, size: tuple[int, int] | None = None
    ) -> int:
        """Show grey tiles for ``times``; returns the generation the frames must carry."""
        self._generation += 1
        self.times = list(times)
        self.frames = [None] * len(self.times)
        self._images = [None] * len(self.times)
        self._ready = [False] * len(self.times)
        self.duration, self.problem, self._complete = duration, "", False
        if size is not None and size[0] > 0 and size[1] > 0:
            self._frame_size = QSize(size[0], size[1])
        self._set_caption()
        self.canvas.updateGeometry()
        self.canvas.update()
        return self._generation

    def fail(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        was_loaded = self.is_loaded
        self.problem, self._complete = message, True
        self._set_caption()
        if not was_loaded:
            self.loaded.emit()

    def finish(self, generation: int, strip: Filmstrip) -> None:
        """The render is done: show whatever frames the relay has not delivered yet."""
        if generation != self._generation:
            return
        if len(self.times) != len(strip.times):
            self.show_strip(strip)  # the times were chosen on the worker
            return
        self.duration = strip.duration
        self._set_caption()
        for i, frame in enumerate(strip.frames):
            if not self._ready[i]:
                self._frame_ready(generation, i, frame)
        if not self._complete:
            self._complete = True
            if not self.times:
                self.loaded.emit()

    def post_frame(self, generation: int, index: int, rgb: np.ndarray | None) -> None:
        """Thread-safe: hand a rendered frame to the GUI thread."""
        try:
            self._relay.frame.emit(generation, index, rgb)
        except RuntimeError:  # the view was closed and deleted meanwhile
            pass

    def _frame_ready(self, generation: int, index: int, rgb: object) -> None:
        if generation != self._generation or not 0 <= index < len(self.frames):
            return
        frame = rgb if isinstance(rgb, np.ndarray) else None
        self.frames[index] = frame
        self._images[index] = to_qimage(frame) if frame is not None else None
        if frame is not None:
            size = QSize(frame.shape[1], frame.shape[0])
            if size != self._frame_size:
                self._frame_size = size
                self.canvas.updateGeometry()
        was_loaded = self.is_loaded
        self._ready[index] = True
        self.canvas.update()
        if self.is_loaded and not was_loaded:
            self.loaded.emit()

    def show_strip(self, strip: Filmstrip) -> None:
        """Show a finished strip at once (from the cache)."""
        generation = self.begin(strip.times, strip.duration, strip.size)
        for i, frame in enumerate(strip.frames):
            self._frame_ready(generation, i, frame)
        self._complete = True
        if not strip.times:
            self.loaded.emit()


class _StripCanvas(QWidget):
    """Paints the strip's frames side by side (a dark cell for a frame not there yet or past the end)."""

    def __init__(self, view: FilmstripView) -> None:
        super().__init__(view)
        self.view = view
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        size = self.view.frame_size()
        count = max(1, len(self.view.times) or STRIP_FRAMES)
        return QSize(count * (size.width() + GAP), size.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.view.frame_size().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        size = self.view.frame_size()
        for i, image in enumerate(self.view._images):
            cell = QRect(i * (size.width() + GAP), 0, size.width(), size.height())
            if image is None:
                painter.fillRect(cell, QColor("#2b2d31" if not self.view._ready[i] else "#18191c"))
            else:
                painter.drawImage(cell, image)
        painter.end()


def _frame_poster(view: FilmstripView, generation: int) -> Callable[[int, float, np.ndarray | None], None]:
    def post(index: int, _t: float, rgb: np.ndarray | None) -> None:
        view.post_frame(generation, index, rgb)

    return post


def load_strip(
    runner: JobRunner,
    view: FilmstripView,
    project: Callable[[], Project],
    *,
    times: Sequence[float] | None = None,
    count: int = STRIP_FRAMES,
    cache: FilmstripCache | None = None,
    duration: float | None = None,
) -> JobHandle[Filmstrip]:
    """Render a version's strip in the ``"filmstrip"`` lane into ``view`` (frames as they come).

    ``project`` builds the version's :class:`Project` on the worker (it may raise: the view then
    says why it has no pictures)."""
    generation = view.begin(list(times) if times is not None else [], duration)
    height = view.strip_height

    def render(ctx: JobContext) -> Filmstrip:
        version = project()
        chosen = list(times) if times is not None else strip_times(version.duration, count)
        return render_filmstrip(
            version,
            chosen,
            height=height,
            cache=cache,
            on_frame=_frame_poster(view, generation),
            check=ctx.check,
        )

    def failed(exc: BaseException) -> None:
        log.info("no filmstrip: %s", exc)
        view.fail(generation, f"no pictures ({exc})")

    return (
        Op(runner, render, name="Filmstrip", lane=LANE)
        .success(lambda strip: view.finish(generation, strip))
        .failure(failed)
        .run()
    )


def project_of(doc: dict[str, Any], base_dir: str | None) -> Callable[[], Project]:
    """A worker-side builder of the version's project (relative sources resolved)."""
    return lambda: Project.from_dict(doc, base_dir=base_dir)


def duration_of(doc: dict[str, Any]) -> float | None:
    """A version's duration as the model reads it, or None when the model refuses the document."""
    try:
        return Project.from_dict(doc).duration
    except Exception:
        return None


class VersionsComparison(QWidget):
    """Two versions at the same moments: the first strip, ``middle`` (the change summary), the
    second strip; columns line up, so a difference shows as a different picture in one column.

    ``loaded`` when both strips are shown."""

    loaded = Signal()

    def __init__(
        self,
        middle: QWidget,
        first: str = "Saved",
        second: str = "Autosave",
        parent: QWidget | None = None,
        *,
        height: int = STRIP_HEIGHT,
    ) -> None:
        super().__init__(parent)
        self.first = FilmstripView(first, height=height)
        self.first.setObjectName("filmstripFirst")
        self.second = FilmstripView(second, height=height)
        self.second.setObjectName("filmstripSecond")
        self.middle = middle
        self.handles: list[JobHandle[Filmstrip]] = []
        self.first.loaded.connect(self._maybe_loaded)
        self.second.loaded.connect(self._maybe_loaded)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.first)
        layout.addWidget(middle, 1)
        layout.addWidget(self.second)

    @property
    def strips(self) -> tuple[FilmstripView, FilmstripView]:
        return self.first, self.second

    @property
    def is_loaded(self) -> bool:
        return self.first.is_loaded and self.second.is_loaded

    def _maybe_loaded(self) -> None:
        if self.is_loaded:
            self.loaded.emit()

    def compare(
        self,
        runner: JobRunner,
        first: tuple[str, dict[str, Any]],
        second: tuple[str, dict[str, Any]],
        *,
        base_dir: str | None = None,
        cache: FilmstripCache | None = None,
        count: int = STRIP_FRAMES,
    ) -> list[JobHandle[Filmstrip]]:
        """Render both versions (name, document) at the same times: those of the longer one."""
        self.cancel()
        (name_a, doc_a), (name_b, doc_b) = first, second
        self.first.name, self.second.name = name_a, name_b
        durations = duration_of(doc_a), duration_of(doc_b)
        longest = max(d or 0.0 for d in durations)
        times = strip_times(longest, count) if longest > 0 else []
        self.handles = [
            load_strip(
                runner, view, project_of(doc, base_dir), times=times, count=count, cache=cache, duration=d
            )
            for view, doc, d in ((self.first, doc_a, durations[0]), (self.second, doc_b, durations[1]))
        ]
        return self.handles

    def cancel(self) -> None:
        for handle in self.handles:
            handle.cancel()
        self.handles = []
