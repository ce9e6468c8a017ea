"""The timeline's mouse gestures (scrub, move with snapping, trim, rubber band), the wheel and
drops from the bin (a part of :class:`~studio.ui.editor.timeline.view.TimelineView`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent, QWheelEvent

from studio.core.edits import Edit, MoveClip, TrimClip
from studio.core.project import TextItem
from studio.ui.drops import local_paths
from studio.ui.editor.timeline.geometry import HEADER_W, MIN_LENGTH, RULER_H, SNAP_PX
from studio.ui.editor.timeline.magnetic import group_move_edits, is_main, move_edits


@dataclass
class Drag:
    """A mouse gesture in progress."""

    mode: str  # "scrub" | "move" | "trim-in" | "trim-out" | "band"
    press: QPointF
    element_id: str = ""
    dt: float = 0.0
    t: float = 0.0
    track_id: str | None = None
    ripple: bool = False
    band: QRectF = field(default_factory=QRectF)
    base_selection: list[str] = field(default_factory=list)
    moved: bool = False


class InteractionMixin:
    """Mixed into TimelineView; a drag lives in ``_drag`` and becomes one core edit on release."""

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.pressed.emit()
        pos = event.position()
        mods = event.modifiers()
        if pos.y() < RULER_H and pos.x() >= HEADER_W:
            self._drag = Drag("scrub", pos)
            self.move_playhead(self._snap_frame(self.x_to_time(pos.x())))
            return
        hit = self.element_at(pos)
        additive = bool(mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier))
        if hit is None:
            self._drag = Drag("band", pos, base_selection=list(self.selection) if additive else [])
            if not additive:
                self.select([])
            return
        element, part = hit
        if mods & Qt.KeyboardModifier.ControlModifier:
            if element.id in self.selection:
                self.select([i for i in self.selection if i != element.id])
                return
            self.select([*self.selection, element.id])
        elif mods & Qt.KeyboardModifier.ShiftModifier:
            if element.id not in self.selection:
                self.select([*self.selection, element.id])
        elif element.id not in self.selection or part != "body":
            self.select([element.id])
        mode = {"in": "trim-in", "out": "trim-out"}.get(part, "move")
        t = element.start if part == "in" else element.end
        self._drag = Drag(mode, pos, element_id=element.id, t=t)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        drag = self._drag
        if drag is None:
            hit = self.element_at(pos)
            edge = hit is not None and hit[1] != "body"
            self.setCursor(Qt.CursorShape.SizeHorCursor if edge else Qt.CursorShape.ArrowCursor)
            return
        if not drag.moved and (pos - drag.press).manhattanLength() < 3:
            return
        drag.moved = True
        if drag.mode == "scrub":
            self.move_playhead(self._snap_frame(self.x_to_time(pos.x())))
        elif drag.mode == "band":
            drag.band = QRectF(drag.press, pos).normalized()
            self.select(
                drag.base_selection + [i for i in self._in_band(drag.band) if i not in drag.base_selection]
            )
        elif drag.mode == "move":
            self._update_move(drag, pos)
        else:
            self._update_trim(drag, pos, self._ripples(drag.element_id, event.modifiers()))
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag, self._drag = self._drag, None
        if drag is None or event.button() != Qt.MouseButton.LeftButton:
            return
        if drag.moved:
            if drag.mode == "move":
                self._commit_move(drag)
            elif drag.mode in ("trim-in", "trim-out"):
                ripple = self._ripples(drag.element_id, event.modifiers())
                self.model.do(TrimClip(drag.element_id, drag.mode[5:], drag.t, ripple=ripple))
        self.model.history.seal()
        self.update()

    def _ripples(self, element_id: str, modifiers: Qt.KeyboardModifier) -> bool:
        """Whether a trim moves the clips after it: with Alt, or always on the magnetic main track."""
        if modifiers & Qt.KeyboardModifier.AltModifier:
            return True
        found = self.model.find(element_id)
        return self.model.magnetic and found is not None and is_main(self.model.project, found[0].id)

    def _snap_frame(self, t: float) -> float:
        return max(0.0, round(t * self.fps) / self.fps)

    def _snap(self, candidates: list[float], exclude: set[str]) -> float:
        """The smallest shift (seconds) that puts one of ``candidates`` on a snap point."""
        best = 0.0
        best_px = SNAP_PX + 1.0
        points = self.model.snap_points(exclude, self.playhead)
        import bisect

        for c in candidates:
            i = bisect.bisect_left(points, c)
            for p in points[max(0, i - 1) : i + 1]:
                px = abs(p - c) * self.pps
                if px < best_px:
                    best, best_px = p - c, px
        return best if best_px <= SNAP_PX else 0.0

    def _update_move(self, drag: Drag, pos: QPointF) -> None:
        found = self.model.find(drag.element_id)
        if found is None:
            return
        track, element = found
        dt = (pos.x() - drag.press.x()) / self.pps
        selected = [e for _, e in self.selected_elements()]
        dt += self._snap([element.start + dt, element.end + dt], {e.id for e in selected})
        earliest = min(e.start for e in selected)
        drag.dt = max(dt, -earliest)
        drag.track_id = None
        index = self.row_at(pos.y())
        if len(selected) == 1 and index >= 0:
            target = self.model.rows[index].track
            if target.kind == track.kind and target.id != track.id:
                drag.track_id = target.id

    def _commit_move(self, drag: Drag) -> None:
        if abs(drag.dt) < 1e-9 and drag.track_id is None:
            return
        selected = [e for _, e in self.selected_elements()]
        if self.model.magnetic and len(selected) == 1:
            element = selected[0]
            magnetic = move_edits(
                self.model.project, element.id, max(0.0, element.start + drag.dt), drag.track_id
            )
            if magnetic is not None:
                self._do(magnetic, "Move clip")
                return
        if self.model.magnetic and len(selected) > 1:
            moves = {e.id: max(0.0, e.start + drag.dt) for e in selected}
            self._do(group_move_edits(self.model.project, moves), f"Move {len(selected)} clips")
            return
        edits: list[Edit] = [
            MoveClip(e.id, max(0.0, e.start + drag.dt), drag.track_id) for _, e in self.selected_elements()
        ]
        self._do(edits, f"Move {len(edits)} clips")

    def _trim_limits(self, element: Any, edge: str) -> tuple[float, float]:
        if edge == "in":
            lo = (
                element.start - element.in_point / element.speed if not isinstance(element, TextItem) else 0.0
            )
            return max(0.0, lo), element.end - MIN_LENGTH
        return element.start + MIN_LENGTH, math.inf

    def _update_trim(self, drag: Drag, pos: QPointF, ripple: bool) -> None:
        found = self.model.find(drag.element_id)
        if found is None:
            return
        _, element = found
        edge = drag.mode[5:]
        t = self.x_to_time(pos.x())
        t += self._snap([t], {element.id})
        lo, hi = self._trim_limits(element, edge)
        drag.t = min(max(t, lo), hi)
        drag.ripple = ripple

    def _in_band(self, band: QRectF) -> list[str]:
        t0, t1 = self.x_to_time(band.left()), self.x_to_time(band.right())
        out = []
        for i, row in enumerate(self.model.rows):
            top, h = self._rows[i]
            if top + h < band.top() or top > band.bottom():
                continue
            out += [e.id for e in row.visible(t0, t1)]
        return out

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = delta.y() / 120
            self.set_zoom(self.pps * (1.25**steps), event.position().x())
        else:
            amount = delta.x() or delta.y()
            self.set_offset(self.offset - amount / 120 * 60 / self.pps)
        event.accept()

    # ------------------------------------------------------------------ drops from the bin

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if not paths:
            return
        event.acceptProposedAction()
        pos = event.position()
        index = self.row_at(pos.y())
        track_id = self.model.rows[index].track.id if index >= 0 else None
        self.mediaDropped.emit(paths, max(0.0, self._snap_frame(self.x_to_time(pos.x()))), track_id)
