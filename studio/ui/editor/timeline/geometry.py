"""The timeline's layout constants and its geometry: rows, time <-> x, hit-testing (a part of
:class:`~studio.ui.editor.timeline.view.TimelineView`)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize

HEADER_W = 84
THUMB_H = 40  # a video row minus borders and the name strip
RULER_H = 24
ROW_H = {"video": 56, "text": 28, "audio": 44}
ROW_GAP = 3
EDGE_PX = 6
SNAP_PX = 8
MIN_PPS, MAX_PPS = 1.0, 4000.0
MIN_LENGTH = 1 / 30


class GeometryMixin:
    """Mixed into TimelineView, which provides ``model``, ``pps``, ``offset`` and ``_rows``."""

    def sizeHint(self) -> QSize:
        return QSize(800, RULER_H + sum(h + ROW_GAP for _, h in self._rows) + 8)

    def _layout_rows(self) -> None:
        y = RULER_H + ROW_GAP
        self._rows = []
        for row in self.model.rows:
            h = ROW_H[row.track.kind]
            self._rows.append((y, h))
            y += h + ROW_GAP
        self.setMinimumHeight(max(RULER_H + 3 * 40, y + 4))

    def time_to_x(self, t: float) -> float:
        return HEADER_W + (t - self.offset) * self.pps

    def x_to_time(self, x: float) -> float:
        return self.offset + (x - HEADER_W) / self.pps

    @property
    def visible_span(self) -> tuple[float, float]:
        return self.offset, self.x_to_time(self.width())

    def row_at(self, y: float) -> int:
        for i, (top, h) in enumerate(self._rows):
            if top <= y < top + h + ROW_GAP:
                return i
        return -1

    def row_rect(self, index: int) -> QRectF:
        top, h = self._rows[index]
        return QRectF(HEADER_W, top, self.width() - HEADER_W, h)

    def element_rect(self, element: Any, index: int | None = None) -> QRectF:
        if index is None:
            track, _ = self.model.project.find(element.id)
            index = self.model.row_of(track.id)
        top, h = self._rows[index]
        x0, x1 = self.time_to_x(element.start), self.time_to_x(element.end)
        return QRectF(x0, top, max(2.0, x1 - x0), h)

    def element_at(self, pos: QPointF) -> tuple[Any, str] | None:
        """(element, part) under ``pos``: part is "in", "out" (near an edge) or "body"."""
        index = self.row_at(pos.y())
        if index < 0 or pos.x() < HEADER_W:
            return None
        row = self.model.rows[index]
        slack = EDGE_PX / self.pps
        t = self.x_to_time(pos.x())
        hits = [e for e in row.visible(t - slack, t + slack) if e.start - slack <= t <= e.end + slack]
        if not hits:
            return None
        inside = [e for e in hits if e.start <= t < e.end]
        element = (inside or hits)[-1]
        rect = self.element_rect(element, index)
        if rect.width() >= 3 * EDGE_PX:
            if abs(pos.x() - rect.left()) <= EDGE_PX:
                return element, "in"
            if abs(pos.x() - rect.right()) <= EDGE_PX:
                return element, "out"
        return element, "body"
