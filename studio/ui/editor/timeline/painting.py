"""The timeline's one ``paintEvent``: rows, clips (thumbnails, waveforms, labels), drag ghosts,
track headers, the ruler, markers and the playhead; only what is visible is drawn (a part of
:class:`~studio.ui.editor.timeline.view.TimelineView`)."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen

from studio.core.edits import MoveClip
from studio.core.project import AudioClip, TextItem, Track, VideoClip
from studio.ui.editor.timeline.geometry import HEADER_W, RULER_H
from studio.ui.editor.timeline.interaction import Drag
from studio.ui.editor.timeline.items import paint_thumbnails
from studio.ui.editor.timeline.magnetic import move_edits

COLORS = {
    "video": QColor(58, 96, 160),
    "text": QColor(150, 92, 170),
    "audio": QColor(48, 130, 100),
}
BACKGROUND = QColor(30, 31, 34)
ROW_BACKGROUND = QColor(40, 41, 45)
HEADER_BACKGROUND = QColor(48, 49, 54)
RULER_BACKGROUND = QColor(36, 37, 40)
TEXT_COLOR = QColor(220, 220, 225)
PLAYHEAD_COLOR = QColor(255, 80, 80)
MARKER_COLOR = QColor(255, 196, 0)
MARK_COLOR = QColor(90, 140, 255, 90)
WAVE_COLOR = QColor(170, 240, 200)
SELECTED_PEN = QPen(QColor(255, 210, 80), 2)


class PaintingMixin:
    """Mixed into TimelineView, which provides the model, the caches and the geometry."""

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setFont(self._font)
        clip = event.rect()
        painter.fillRect(clip, BACKGROUND)
        width = self.width()
        t0, t1 = self.visible_span
        visible_x = (float(HEADER_W), float(width))
        drag = self._drag if self._drag is not None and self._drag.moved else None
        ripple = self.ripple_preview()
        shifts = self.magnetic_preview()
        for index, row in enumerate(self.model.rows):
            top, h = self._rows[index]
            if top > clip.bottom() or top + h < clip.top():
                continue
            painter.fillRect(QRect(HEADER_W, top, width - HEADER_W, h), ROW_BACKGROUND)
            lo, hi = t0, t1
            if drag is not None and drag.mode == "move":
                lo, hi = t0 - abs(drag.dt), t1 + abs(drag.dt)
            elif ripple is not None and ripple[0] == row.track.id:
                lo, hi = t0 - abs(ripple[2]), t1 + abs(ripple[2])
            if shifts:
                reach = max(abs(s) for s in shifts.values())
                lo, hi = min(lo, t0 - reach), max(hi, t1 + reach)
            for element in row.visible(lo, hi):
                self._paint_element(painter, element, row.track, index, visible_x, drag, ripple, shifts)
        if drag is not None and drag.mode == "move" and drag.track_id is not None:
            found = self.model.find(drag.element_id)
            index = self.model.row_of(drag.track_id)
            if found is not None and index >= 0:
                self._paint_ghost(painter, found[1], index, drag.dt)
        self._paint_headers(painter)
        self._paint_ruler(painter, t0, t1)
        for m in self.model.markers:
            if t0 <= m <= t1:
                x = round(self.time_to_x(m))
                painter.setPen(QPen(MARKER_COLOR, 1, Qt.PenStyle.DashLine))
                painter.drawLine(x, RULER_H, x, self.height())
        x = self.time_to_x(self.playhead)
        if x >= HEADER_W:
            painter.setPen(QPen(PLAYHEAD_COLOR, 2))
            painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        if drag is not None and drag.mode == "band":
            painter.setPen(QPen(QColor(120, 170, 255), 1))
            painter.setBrush(QColor(120, 170, 255, 50))
            painter.drawRect(drag.band)
        painter.end()

    def ripple_preview(self) -> tuple[str, float, float] | None:
        """While a rippling trim is dragged: (track id, the trimmed clip's end, the shift the
        clips from there on will get), so they are drawn where letting go will put them."""
        drag = self._drag
        if drag is None or not drag.moved or not drag.ripple or not drag.mode.startswith("trim"):
            return None
        found = self.model.find(drag.element_id)
        if found is None:
            return None
        track, element = found
        change = element.start - drag.t if drag.mode == "trim-in" else drag.t - element.end
        return track.id, element.end, change

    def magnetic_preview(self) -> dict[str, float]:
        """While one clip is dragged on or onto the magnetic main track: how far each other clip
        of it will shift when the clip is let go (seconds; only those that move)."""
        drag = self._drag
        if drag is None or not drag.moved or drag.mode != "move" or not self.model.magnetic:
            return {}
        selected = [e for _, e in self.selected_elements()]
        if len(selected) != 1 or selected[0].id != drag.element_id:
            return {}
        element = selected[0]
        edits = move_edits(self.model.project, element.id, max(0.0, element.start + drag.dt), drag.track_id)
        shifts: dict[str, float] = {}
        for e in edits or []:
            if isinstance(e, MoveClip) and e.element_id != element.id:
                found = self.model.find(e.element_id)
                if found is not None:
                    shifts[e.element_id] = e.start - found[1].start
        return shifts

    def _paint_element(
        self,
        painter: QPainter,
        element: Any,
        track: Track,
        index: int,
        visible_x: tuple[float, float],
        drag: Drag | None,
        ripple: tuple[str, float, float] | None = None,
        shifts: dict[str, float] | None = None,
    ) -> None:
        selected = element.id in self.selection
        rect = self.element_rect(element, index).adjusted(0, 1, 0, -1)
        ghost_dt = 0.0
        if drag is not None and selected and drag.mode == "move" and drag.track_id is None:
            ghost_dt = drag.dt
        elif drag is not None and drag.element_id == element.id and drag.mode.startswith("trim"):
            if drag.mode == "trim-in" and drag.ripple:  # the clip keeps its start, its end moves
                rect.setRight(self.time_to_x(element.end - (drag.t - element.start)))
            elif drag.mode == "trim-in":
                rect.setLeft(self.time_to_x(drag.t))
            else:
                rect.setRight(self.time_to_x(drag.t))
        elif ripple is not None and track.id == ripple[0] and element.start >= ripple[1] - 1e-6:
            ghost_dt = ripple[2]
        elif shifts and element.id in shifts:
            ghost_dt = shifts[element.id]
        if ghost_dt:
            rect.translate(ghost_dt * self.pps, 0)
        if rect.right() < visible_x[0] or rect.left() > visible_x[1]:
            return
        base = COLORS[track.kind]
        painter.fillRect(rect, base.darker(130) if track.muted or track.hidden else base)
        inner = rect.adjusted(1, 1, -1, -1)
        if isinstance(element, VideoClip):
            thumb = inner.adjusted(0, 0, 0, -12)
            start_x = rect.left()
            paint_thumbnails(
                painter,
                self.thumbnails,
                element,
                thumb,
                visible_x,
                lambda x, e=element, sx=start_x: e.in_point + (x - sx) / self.pps * e.speed,
            )
        elif isinstance(element, AudioClip):
            wave = self.waveforms.get(element.source)
            if wave is not None:
                self._waves.paint(painter, wave, element, inner, visible_x, self.pps, WAVE_COLOR)
        label = element.text.replace("\n", " ") if isinstance(element, TextItem) else _name(element.source)
        if rect.width() > 24:
            painter.setPen(TEXT_COLOR)
            text_rect = QRectF(max(rect.left(), visible_x[0]) + 4, rect.bottom() - 13, rect.width() - 6, 12)
            if isinstance(element, TextItem):
                text_rect = rect.adjusted(4, 0, -2, 0)
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)
        if isinstance(element, VideoClip) and element.transition_in is not None:
            w = element.transition_in.duration * self.pps
            painter.fillRect(QRectF(rect.left() - w, rect.top(), w, 6), QColor(255, 255, 255, 90))
        if selected:
            painter.setPen(SELECTED_PEN)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect.adjusted(1, 1, -1, -1))
        else:
            painter.setPen(base.lighter(140))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect)

    def _paint_ghost(self, painter: QPainter, element: Any, index: int, dt: float) -> None:
        rect = self.element_rect(element, index).translated(dt * self.pps, 0)
        painter.setPen(SELECTED_PEN)
        painter.setBrush(QColor(255, 210, 80, 60))
        painter.drawRect(rect)

    def _paint_headers(self, painter: QPainter) -> None:
        painter.fillRect(QRect(0, 0, HEADER_W, self.height()), HEADER_BACKGROUND)
        painter.setPen(TEXT_COLOR)
        for index, row in enumerate(self.model.rows):
            top, h = self._rows[index]
            name = row.track.name or row.track.kind.capitalize()
            flags = " 🔇" if row.track.muted else ""
            painter.drawText(
                QRect(6, top, HEADER_W - 8, h),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                name + flags,
            )
            painter.fillRect(QRect(0, top, 3, h), COLORS[row.track.kind])

    def _paint_ruler(self, painter: QPainter, t0: float, t1: float) -> None:
        painter.fillRect(QRect(HEADER_W, 0, self.width() - HEADER_W, RULER_H), RULER_BACKGROUND)
        if self.mark_in is not None or self.mark_out is not None:
            a = self.time_to_x(self.mark_in if self.mark_in is not None else 0.0)
            b = self.time_to_x(self.mark_out if self.mark_out is not None else max(self.model.duration, t1))
            left = max(float(HEADER_W), a)
            if b > left:
                painter.fillRect(QRectF(left, 0, b - left, RULER_H), MARK_COLOR)
        step = _tick_step(self.pps)
        painter.setPen(TEXT_COLOR)
        t = math.floor(t0 / step) * step
        while t <= t1:
            x = round(self.time_to_x(t))
            if x >= HEADER_W:
                painter.drawLine(x, RULER_H - 8, x, RULER_H)
                painter.drawText(x + 3, RULER_H - 10, _tick_label(t, step))
            t += step


def _tick_step(pps: float) -> float:
    """Seconds between labelled ticks, at least ~70 px apart."""
    for step in (1 / 30, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600):
        if step * pps >= 70:
            return step
    return 1200.0


def _tick_label(t: float, step: float) -> str:
    minutes, seconds = divmod(t + 1e-9, 60)
    if step < 1:
        return f"{int(minutes)}:{seconds:05.2f}"
    return f"{int(minutes)}:{int(seconds):02d}"


def _name(source: str) -> str:
    return source.replace("\\", "/").rsplit("/", 1)[-1]
