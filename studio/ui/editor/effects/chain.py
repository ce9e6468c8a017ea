"""The Effects panel's chain: the selected clip's filters in order, on/off, moved by buttons or
dragging, removed, with what keeps each from working (a part of
:class:`~studio.ui.editor.effects.panel.EffectsPanel`)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from studio.core.edits import MoveFilter, RemoveFilter, SetParam
from studio.core.errors import ProjectError
from studio.core.project import FilterRef, VideoClip

PROBLEM_COLOR = "#d9534f"
ROLE_ID = Qt.ItemDataRole.UserRole


class _ChainList(QListWidget):
    """The chain, reorderable by dragging; after a drop ``dropped`` fires with the new order."""

    dropped = Signal()

    def dropEvent(self, event: Any) -> None:
        super().dropEvent(event)
        QTimer.singleShot(0, self.dropped.emit)


class ChainMixin:
    """Mixed into EffectsPanel, which builds ``chain`` and its buttons."""

    def _clip(self) -> VideoClip | None:
        if self.clip_id is None:
            return None
        try:
            clip = self.history.project.clip(self.clip_id)
        except ProjectError:
            return None
        return clip if isinstance(clip, VideoClip) else None

    def selected_filter(self) -> FilterRef | None:
        clip = self._clip()
        item = self.chain.currentItem()
        if clip is None or item is None:
            return None
        uid = item.data(ROLE_ID)
        return next((f for f in clip.filters if f.uid == uid), None)

    def select_filter(self, uid: str) -> None:
        self._select_uid(uid)

    def _select_uid(self, uid: str) -> None:
        for i in range(self.chain.count()):
            if self.chain.item(i).data(ROLE_ID) == uid:
                self.chain.setCurrentRow(i)
                return

    def problems(self) -> dict[str, str]:
        """uid -> why that filter of the clip does not (fully) work right now."""
        clip = self._clip()
        out: dict[str, str] = {}
        if clip is None:
            return out
        for f in clip.filters:
            cls = self.registry.get(f.id)
            status = self.registry.status(f.id)
            reason = ""
            if cls is None:
                why = status.error if status is not None and status.error else "is not installed"
                reason = f"Disabled: {why}"
            elif status is not None and status.error:
                reason = f"Failed: {status.error}"
            elif f.version > cls.version:
                reason = f"Saved by a newer version (v{f.version}) than installed (v{cls.version})"
            reported = [p for p in self._external_problems if f.id in p]
            if reported and not reason:
                reason = reported[-1]
            if reason:
                out[f.uid] = reason
        return out

    def _display_name(self, f: FilterRef) -> str:
        cls = self.registry.get(f.id)
        if cls is not None:
            return cls.name or cls.id
        status = self.registry.status(f.id)
        return (status.name if status is not None and status.name else "") or f.id

    def refresh(self) -> None:
        self._refresh_chain(force=True)
        self._update_buttons()

    def _refresh_chain(self, force: bool = False) -> None:
        clip = self._clip()
        problems = self.problems()
        signature = (
            self.clip_id,
            tuple((f.uid, f.id, f.enabled) for f in clip.filters) if clip else (),
            tuple(sorted(problems.items())),
        )
        if force or signature != self._chain_signature:
            self._chain_signature = signature
            self._fill_chain(clip, problems)
        self._refresh_form()

    def _fill_chain(self, clip: VideoClip | None, problems: dict[str, str]) -> None:
        keep = self.chain.currentItem().data(ROLE_ID) if self.chain.currentItem() else None
        self._filling = True
        try:
            self.chain.clear()
            if clip is None:
                self.clip_label.setText("Select a video clip on the timeline to add filters.")
            else:
                n = len(clip.filters)
                self.clip_label.setText(
                    f"Filters on this clip, applied top to bottom ({n})"
                    if n
                    else "No filters on this clip yet."
                )
                for f in clip.filters:
                    problem = problems.get(f.uid, "")
                    item = QListWidgetItem(self._display_name(f) + (f"  ⚠ {problem}" if problem else ""))
                    item.setData(ROLE_ID, f.uid)
                    item.setFlags(
                        Qt.ItemFlag.ItemIsEnabled
                        | Qt.ItemFlag.ItemIsSelectable
                        | Qt.ItemFlag.ItemIsUserCheckable
                        | Qt.ItemFlag.ItemIsDragEnabled
                    )
                    item.setCheckState(Qt.CheckState.Checked if f.enabled else Qt.CheckState.Unchecked)
                    tip = f"{f.id} v{f.version}" + ("" if f.enabled else " (off)")
                    item.setToolTip(f"{tip}\n{problem}" if problem else tip)
                    if problem:
                        item.setForeground(QBrush(QColor(PROBLEM_COLOR)))
                    self.chain.addItem(item)
                uids = [f.uid for f in clip.filters]
                if keep in uids:
                    self._select_uid(keep)
                elif uids:
                    self.chain.setCurrentRow(0)
        finally:
            self._filling = False

    def _selection_changed(self) -> None:
        if self._filling:
            return
        self._end_gesture()
        self._refresh_form()
        self._update_buttons()
        f = self.selected_filter()
        self.filterSelected.emit(f.uid if f is not None else "")

    def _update_buttons(self) -> None:
        clip = self._clip()
        row = self.chain.currentRow()
        count = self.chain.count()
        has = clip is not None and row >= 0
        self.add_button.setEnabled(clip is not None and self.browser.currentItem() is not None)
        self.up_button.setEnabled(has and row > 0)
        self.down_button.setEnabled(has and row < count - 1)
        self.remove_button.setEnabled(has)

    def move_selected(self, delta: int) -> None:
        f, clip = self.selected_filter(), self._clip()
        if f is None or clip is None:
            return
        index = clip.filters.index(f) + delta
        if 0 <= index < len(clip.filters):
            self._do(MoveFilter(clip.id, f.uid, index), seal=True)
            self._select_uid(f.uid)

    def remove_selected(self) -> None:
        f, clip = self.selected_filter(), self._clip()
        if f is not None and clip is not None:
            self._do(RemoveFilter(clip.id, f.uid), seal=True)

    def set_enabled(self, uid: str, enabled: bool) -> None:
        clip = self._clip()
        if clip is None:
            return
        label = "Turn filter on" if enabled else "Turn filter off"
        self._do(SetParam(clip.id, f"filters.{uid}.enabled", bool(enabled), label=label), seal=True)

    def _item_changed(self, item: QListWidgetItem) -> None:
        if self._filling:
            return
        clip = self._clip()
        if clip is None:
            return
        uid = item.data(ROLE_ID)
        f = next((x for x in clip.filters if x.uid == uid), None)
        on = item.checkState() == Qt.CheckState.Checked
        if f is not None and f.enabled != on:
            self.set_enabled(uid, on)

    def _order_dropped(self) -> None:
        """After a drag in the chain list: one MoveFilter for the item that moved."""
        clip = self._clip()
        if clip is None:
            return
        new = [self.chain.item(i).data(ROLE_ID) for i in range(self.chain.count())]
        old = [f.uid for f in clip.filters]
        moved = next(
            (u for u in old if u in new and [x for x in old if x != u] == [x for x in new if x != u]), None
        )
        if moved is None or new == old or sorted(new) != sorted(old):
            self._refresh_chain(force=True)
            return
        self._do(MoveFilter(clip.id, moved, new.index(moved)), seal=True)
        self._select_uid(moved)
