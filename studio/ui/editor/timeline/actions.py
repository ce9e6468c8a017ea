"""The timeline's actions (split, delete, ripple delete, copy/cut/paste, markers, select all,
zoom) and the keys that trigger them (a part of
:class:`~studio.ui.editor.timeline.view.TimelineView`)."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence

from studio.core.edits import AddClip, AddTrack, Edit, RemoveClip, RippleDelete, SplitClip
from studio.core.project import TextItem, new_id
from studio.ui.editor.timeline.magnetic import insert_edits, main_track, remove_edits
from studio.ui.editor.timeline.model import Group, SetMarkers


class ActionsMixin:
    """Mixed into TimelineView; ``_make_actions`` builds ``actions_by_name``."""

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
            ("magnetic", "&Magnetic Main Track", QKeySequence(), self.set_magnetic),
        ]
        actions: dict[str, QAction] = {}
        for name, text, key, slot in specs:
            action = QAction(text, self)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _checked=False, s=slot: s())
            self.addAction(action)
            actions[name] = action
        magnetic = actions["magnetic"]
        magnetic.setCheckable(True)
        magnetic.setChecked(self.model.magnetic)
        magnetic.setToolTip(
            "The bottom video track keeps its clips end to end: drops insert, deletes close the gap, "
            "drags reorder and trims ripple. Off: clips stay where you put them."
        )
        return actions

    def set_magnetic(self, on: bool | None = None, *, quiet: bool = False) -> None:
        """Turn the magnetic main track on or off (None: follow the menu item's check mark);
        ``quiet``: without the status-bar message (restoring the saved choice)."""
        action = self.actions_by_name.get("magnetic") if hasattr(self, "actions_by_name") else None
        self.model.magnetic = bool(action.isChecked() if on is None and action is not None else on)
        if action is not None and action.isChecked() != self.model.magnetic:
            action.setChecked(self.model.magnetic)
        if not quiet:
            self.message.emit("Magnetic main track " + ("on" if self.model.magnetic else "off"))

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
        if edits and self.model.magnetic:
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
        """Paste the copied elements at the playhead, keeping their spacing and tracks; those
        going to the magnetic main track are inserted end to end at its boundary nearest the
        playhead, and the clips after them ripple."""
        if not self.clipboard:
            return False
        project = self.model.project
        base = min(e.start for _, _, e in self.clipboard)
        edits: list[Edit] = []
        new_tracks: dict[str, str] = {}
        pasted: list[str] = []
        main = main_track(project) if self.model.magnetic else None
        on_main: list[Any] = []
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
            pasted.append(clone.id)
            if main is not None and target == main.id:
                on_main.append(clone)
                continue
            edits.append(AddClip(target, clone))
        if on_main and main is not None:
            edits += insert_edits(project, main.id, sorted(on_main, key=lambda c: c.start), self.playhead)
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
