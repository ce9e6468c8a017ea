"""The timeline widget: one custom ``paintEvent`` that draws only what is visible.

Rows come from :class:`TimelineModel` (text and video on top, audio below); each row's
elements are found with a binary search by time, so a 300-clip project paints as fast as a
10-clip one. Mouse: click the ruler to move the playhead, drag a clip to move it (snapping to
the playhead, markers and other clips' edges), drag its edge to trim (Alt: ripple), drag on
empty space for a rubber band, Ctrl/Shift-click to add to the selection, Ctrl+wheel to zoom,
wheel to scroll. Drags are drawn as ghosts and become one core edit on release.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QScrollBar, QVBoxLayout, QWidget

from studio.core.edits import AddClip, AddTrack, Edit, MoveClip, RemoveClip, RippleDelete, SplitClip, TrimClip
from studio.core.project import AudioClip, TextItem, Track, VideoClip, new_id
from studio.ui.editor.timeline.items import ThumbnailCache, WaveformPainter, WaveformStore, paint_thumbnails
from studio.ui.editor.timeline.magnetic import remove_edits
from studio.ui.editor.timeline.model import Group, SetMarkers, TimelineModel

HEADER_W = 84
THUMB_H = 40  # a video row minus borders and the name strip
RULER_H = 24
ROW_H = {"video": 56, "text": 28, "audio": 44}
ROW_GAP = 3
EDGE_PX = 6
SNAP_PX = 8
MIN_PPS, MAX_PPS = 1.0, 4000.0
MIN_LENGTH = 1 / 30

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


def local_paths_of(mime: Any) -> list[str]:
    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


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


class TimelineView(QWidget):
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

    # ------------------------------------------------------------------ geometry

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

    # ------------------------------------------------------------------ actions

    def _make_actions(self) -> dict[str, QAction]:
        specs = [
            ("split", "&Split at Playhead", Qt.Key.Key_S, self.split_at_playhead),
            ("delete", "&Delete", QKeySequence.StandardKey.Delete, self.delete_selection),
            ("ripple_delete", "&Ripple Delete", Qt.Modifier.SHIFT | Qt.Key.Key_Delete, self.ripple_delete),
            ("copy", "&Copy", QKeySequence.StandardKey.Copy, self.copy_selection),
            ("cut", "Cu&t", QKeySequence.StandardKey.Cut, self.cut_selection),
            ("paste", "&Paste", QKeySequence.StandardKey.Paste, self.paste),
            ("marker", "Add/Remove &Marker", Qt.Key.Key_M, self.toggle_marker),
            ("select_all", "Select &All", QKeySequence.StandardKey.SelectAll, self.select_all),
            ("zoom_in", "Zoom &In", QKeySequence.StandardKey.ZoomIn, lambda: self.set_zoom(self.pps * 1.5)),
            (
                "zoom_out",
                "Zoom &Out",
                QKeySequence.StandardKey.ZoomOut,
                lambda: self.set_zoom(self.pps / 1.5),
            ),
            ("zoom_fit", "Zoom to &Fit", Qt.Modifier.SHIFT | Qt.Key.Key_Z, self.zoom_to_fit),
        ]
        actions: dict[str, QAction] = {}
        for name, text, key, slot in specs:
            action = QAction(text, self)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _checked=False, s=slot: s())
            self.addAction(action)
            actions[name] = action
        return actions

    def _do(self, edits: list[Edit], label: str) -> bool:
        if not edits:
            return False
        return self.model.do(edits[0] if len(edits) == 1 else Group(edits, label))

    def split_at_playhead(self) -> bool:
        """Split the selected elements under the playhead (every element there when none of
        the selected ones is)."""
        t = self.playhead
        under = [e for row in self.model.rows for e in row.at(t) if e.start + 1e-3 < t < e.end - 1e-3]
        chosen = [e for e in under if e.id in self.selection] or under
        if not chosen:
            self.message.emit("Nothing to split under the playhead")
            return False
        edits: list[Edit] = [SplitClip(e.id, t) for e in chosen]
        return self._do(edits, f"Split {len(edits)} clips")

    def delete_selection(self) -> bool:
        """Delete the selection; on the magnetic main track the clips after it close the gap."""
        chosen = [e for _, e in self.selected_elements()]
        edits: list[Edit] = [RemoveClip(e.id) for e in chosen]
        if edits:
            edits += remove_edits(self.model.project, {e.id for e in chosen})
        return self._do(edits, "Delete clip" if len(chosen) == 1 else f"Delete {len(chosen)} clips")

    def ripple_delete(self) -> bool:
        chosen = sorted((e for _, e in self.selected_elements()), key=lambda e: -e.start)
        edits: list[Edit] = [RippleDelete(e.id) for e in chosen]
        return self._do(edits, f"Ripple delete {len(edits)} clips")

    def copy_selection(self) -> int:
        self.clipboard = [(t.id, t.kind, copy.deepcopy(e)) for t, e in self.selected_elements()]
        if self.clipboard:
            self.message.emit(f"Copied {len(self.clipboard)} item(s)")
        return len(self.clipboard)

    def cut_selection(self) -> bool:
        return self.copy_selection() > 0 and self.delete_selection()

    def paste(self) -> bool:
        """Paste the copied elements at the playhead, keeping their spacing and tracks."""
        if not self.clipboard:
            return False
        project = self.model.project
        base = min(e.start for _, _, e in self.clipboard)
        edits: list[Edit] = []
        new_tracks: dict[str, str] = {}
        pasted: list[str] = []
        for track_id, kind, element in self.clipboard:
            target = next((t.id for t in project.tracks if t.id == track_id), None)
            if target is None:
                target = next((t.id for t in project.tracks if t.kind == kind), None) or new_tracks.get(kind)
            if target is None:
                add = AddTrack(kind)
                edits.append(add)
                target = new_tracks[kind] = add.track.id
            clone = copy.deepcopy(element)
            clone.id = new_id()
            start = self.playhead + (element.start - base)
            if isinstance(clone, TextItem):
                clone.end = start + element.duration
            clone.start = start
            edits.append(AddClip(target, clone))
            pasted.append(clone.id)
        if self._do(edits, "Paste"):
            self.select(pasted)
            return True
        return False

    def toggle_marker(self) -> bool:
        markers = self.model.markers
        near = [m for m in markers if abs(m - self.playhead) < 0.5 / self.fps]
        if near:
            return self.model.do(SetMarkers([m for m in markers if m not in near], "Remove marker"))
        return self.model.do(SetMarkers([*markers, self.playhead], "Add marker"))

    def select_all(self) -> None:
        self.select([e.id for row in self.model.rows for e in row.elements])

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Keys reach here when no shortcut took them (e.g. the window is not active yet)."""
        pressed = QKeySequence(event.keyCombination())
        for action in self.actions_by_name.values():
            if action.isEnabled() and any(
                pressed.matches(k) == QKeySequence.SequenceMatch.ExactMatch for k in action.shortcuts()
            ):
                action.trigger()
                return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------ mouse

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
            self._update_trim(drag, pos, bool(event.modifiers() & Qt.KeyboardModifier.AltModifier))
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag, self._drag = self._drag, None
        if drag is None or event.button() != Qt.MouseButton.LeftButton:
            return
        if drag.moved:
            if drag.mode == "move":
                self._commit_move(drag)
            elif drag.mode in ("trim-in", "trim-out"):
                ripple = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
                self.model.do(TrimClip(drag.element_id, drag.mode[5:], drag.t, ripple=ripple))
        self.model.history.seal()
        self.update()

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
        if local_paths_of(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if local_paths_of(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths_of(event.mimeData())
        if not paths:
            return
        event.acceptProposedAction()
        pos = event.position()
        index = self.row_at(pos.y())
        track_id = self.model.rows[index].track.id if index >= 0 else None
        self.mediaDropped.emit(paths, max(0.0, self._snap_frame(self.x_to_time(pos.x()))), track_id)

    # ------------------------------------------------------------------ painting

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.viewChanged.emit()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setFont(self._font)
        clip = event.rect()
        painter.fillRect(clip, BACKGROUND)
        width = self.width()
        t0, t1 = self.visible_span
        visible_x = (float(HEADER_W), float(width))
        drag = self._drag if self._drag is not None and self._drag.moved else None
        for index, row in enumerate(self.model.rows):
            top, h = self._rows[index]
            if top > clip.bottom() or top + h < clip.top():
                continue
            painter.fillRect(QRect(HEADER_W, top, width - HEADER_W, h), ROW_BACKGROUND)
            lo, hi = t0, t1
            if drag is not None and drag.mode == "move":
                lo, hi = t0 - abs(drag.dt), t1 + abs(drag.dt)
            for element in row.visible(lo, hi):
                self._paint_element(painter, element, row.track, index, visible_x, drag)
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

    def _paint_element(
        self,
        painter: QPainter,
        element: Any,
        track: Track,
        index: int,
        visible_x: tuple[float, float],
        drag: Drag | None,
    ) -> None:
        selected = element.id in self.selection
        rect = self.element_rect(element, index).adjusted(0, 1, 0, -1)
        ghost_dt = 0.0
        if drag is not None and selected and drag.mode == "move" and drag.track_id is None:
            ghost_dt = drag.dt
        elif drag is not None and drag.element_id == element.id and drag.mode.startswith("trim"):
            if drag.mode == "trim-in":
                rect.setLeft(self.time_to_x(drag.t))
            else:
                rect.setRight(self.time_to_x(drag.t))
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


class TimelineWidget(QWidget):
    """The view with a horizontal scroll bar under it."""

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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.scrollbar)
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
