"""The timeline widget: one custom ``paintEvent`` that draws only what is visible.

Rows come from :class:`TimelineModel` (text and video on top, audio below); each row's
elements are found with a binary search by time, so a 300-clip project paints as fast as a
10-clip one. Mouse: click the ruler to move the playhead, drag a clip to move it (snapping to
the playhead, markers and other clips' edges), drag its edge to trim (Alt: ripple), drag on
empty space for a rubber band, Ctrl/Shift-click to add to the selection, Ctrl+wheel to zoom,
wheel to scroll. Drags are drawn as ghosts and become one core edit on release.

The view's parts come by responsibility from mixins: ``geometry`` (layout constants, time <-> x,
hit-testing), ``actions`` (edit actions and keys), ``interaction`` (mouse, wheel, drops) and
``painting`` (the paint event).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QScrollBar, QToolButton, QVBoxLayout, QWidget

from studio.core.project import Track
from studio.ui.editor.timeline.actions import ActionsMixin
from studio.ui.editor.timeline.geometry import (
    EDGE_PX,
    HEADER_W,
    MAX_PPS,
    MIN_LENGTH,
    MIN_PPS,
    ROW_GAP,
    ROW_H,
    RULER_H,
    SNAP_PX,
    THUMB_H,
    GeometryMixin,
)
from studio.ui.editor.timeline.interaction import Drag, InteractionMixin
from studio.ui.editor.timeline.items import ThumbnailCache, WaveformPainter, WaveformStore
from studio.ui.editor.timeline.model import TimelineModel
from studio.ui.editor.timeline.painting import PaintingMixin

__all__ = [
    "EDGE_PX",
    "HEADER_W",
    "MAX_PPS",
    "MIN_LENGTH",
    "MIN_PPS",
    "ROW_GAP",
    "ROW_H",
    "RULER_H",
    "SNAP_PX",
    "THUMB_H",
    "Drag",
    "TimelineView",
    "TimelineWidget",
]


class TimelineView(GeometryMixin, ActionsMixin, InteractionMixin, PaintingMixin, QWidget):
    """The drawing and interaction surface (see the module docstring)."""

    playheadMoved = Signal(float)  # the user moved the playhead (ruler, keys)
    selectionChanged = Signal()
    viewChanged = Signal()  # zoom or scroll
    mediaDropped = Signal(list, float, object)  # paths, timeline time, track id or None
    message = Signal(str)
    pressed = Signal()  # a mouse press anywhere on the timeline

    def __init__(
        self,
        model: TimelineModel,
        thumbnails: ThumbnailCache | None = None,
        waveforms: WaveformStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.thumbnails = thumbnails if thumbnails is not None else ThumbnailCache(None, THUMB_H, self)
        self.waveforms = waveforms if waveforms is not None else WaveformStore(None, parent=self)
        self.pps = 80.0
        self.offset = 0.0
        self.playhead = 0.0
        self.fps = 30.0
        self.selection: list[str] = []
        self.mark_in: float | None = None
        self.mark_out: float | None = None
        self.clipboard: list[tuple[str, str, Any]] = []
        self._drag: Drag | None = None
        self._rows: list[tuple[int, int]] = []
        self._waves = WaveformPainter()
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAcceptDrops(True)
        self.setMinimumHeight(RULER_H + 3 * 40)
        self._font = QFont(self.font())
        self._font.setPointSizeF(max(7.0, self._font.pointSizeF() * 0.85))
        model.changed.connect(self._model_changed)
        self.thumbnails.updated.connect(self.update)
        self.waveforms.updated.connect(self.update)
        self.actions_by_name = self._make_actions()
        self._model_changed()

    # ------------------------------------------------------------------ state

    def _model_changed(self) -> None:
        ids = {e.id for row in self.model.rows for e in row.elements}
        kept = [i for i in self.selection if i in ids]
        self._layout_rows()
        if kept != self.selection:
            self.selection = kept
            self.selectionChanged.emit()
        self.updateGeometry()
        self.update()

    def set_playhead(self, t: float, *, follow: bool = True) -> None:
        t = max(0.0, t)
        if abs(t - self.playhead) < 1e-9:
            return
        self.playhead = t
        if follow:
            t0, t1 = self.visible_span
            if not t0 <= t <= t1:
                self.offset = max(0.0, t - 0.1 * (t1 - t0))
                self.viewChanged.emit()
        self.update()

    def move_playhead(self, t: float) -> None:
        """Move the playhead as the user did it (emits ``playheadMoved``)."""
        self.set_playhead(t)
        self.playheadMoved.emit(self.playhead)

    def set_mark(self, which: str) -> None:
        """I/O: the in or out mark at the playhead (a range shown on the ruler)."""
        if which == "in":
            self.mark_in = self.playhead
            if self.mark_out is not None and self.mark_out <= self.mark_in:
                self.mark_out = None
        else:
            self.mark_out = self.playhead
            if self.mark_in is not None and self.mark_in >= self.mark_out:
                self.mark_in = None
        self.update()

    def set_zoom(self, pps: float, anchor_x: float | None = None) -> None:
        pps = min(MAX_PPS, max(MIN_PPS, pps))
        ax = anchor_x if anchor_x is not None else self.time_to_x(self.playhead)
        t = self.x_to_time(ax)
        self.pps = pps
        self.offset = max(0.0, t - (ax - HEADER_W) / pps)
        self.viewChanged.emit()
        self.update()

    def set_offset(self, offset: float) -> None:
        self.offset = max(0.0, offset)
        self.viewChanged.emit()
        self.update()

    def zoom_to_fit(self) -> None:
        duration = max(self.model.duration, 1.0)
        self.pps = min(MAX_PPS, max(MIN_PPS, (self.width() - HEADER_W - 20) / duration))
        self.offset = 0.0
        self.viewChanged.emit()
        self.update()

    def select(self, ids: list[str]) -> None:
        if ids != self.selection:
            self.selection = list(ids)
            self.selectionChanged.emit()
            self.update()

    def selected_elements(self) -> list[tuple[Track, Any]]:
        out = []
        for element_id in self.selection:
            found = self.model.find(element_id)
            if found is not None:
                out.append(found)
        return out

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.viewChanged.emit()


class TimelineWidget(QWidget):
    """The view with a horizontal scroll bar under it, and the magnetic main track's toggle."""

    def __init__(
        self,
        model: TimelineModel,
        thumbnails: ThumbnailCache | None = None,
        waveforms: WaveformStore | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.view = TimelineView(model, thumbnails, waveforms)
        self.scrollbar = QScrollBar(Qt.Orientation.Horizontal)
        magnetic = self.view.actions_by_name["magnetic"]
        magnetic.setIconText("Magnet")
        self.magnet_button = QToolButton()
        self.magnet_button.setDefaultAction(magnetic)
        self.magnet_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.magnet_button.setAutoRaise(True)
        self.magnet_button.setFixedHeight(self.scrollbar.sizeHint().height())  # the row stays as thin
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.setSpacing(0)
        bottom.addWidget(self.magnet_button)
        bottom.addWidget(self.scrollbar, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)
        self.view.viewChanged.connect(self._sync_scrollbar)
        model.changed.connect(self._sync_scrollbar)
        self.scrollbar.valueChanged.connect(
            lambda v: self.view.set_offset(v / 1000) if v != self._shown else None
        )
        self._shown = 0
        self._sync_scrollbar()

    def _sync_scrollbar(self) -> None:
        view = self.view
        t0, t1 = view.visible_span
        span = max(0.001, t1 - t0)
        total = max(view.model.duration + span * 0.5, t1)
        self._shown = round(view.offset * 1000)
        self.scrollbar.blockSignals(True)
        self.scrollbar.setRange(0, max(0, round((total - span) * 1000)))
        self.scrollbar.setPageStep(round(span * 1000))
        self.scrollbar.setSingleStep(max(1, round(span * 100)))
        self.scrollbar.setValue(self._shown)
        self.scrollbar.blockSignals(False)
