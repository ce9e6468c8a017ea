"""The Effects panel: browse filters, build a clip's filter chain, edit the selected filter.

Three parts, top to bottom: the *browser* (every usable filter with a thumbnail of it applied
to the current frame, or to a generated sample picture when there is none; thumbnails are
rendered on the job runner), the selected clip's *chain* (order, on/off, remove, problems) and
the selected filter's *settings* (:class:`studio.ui.param_widgets.ParamsForm`).

Every change goes through the core ``History`` (AddFilter, RemoveFilter, MoveFilter,
SetParam, SetKeyframe/RemoveKeyframe), so undo covers all of it; the panel listens to the
history and redraws on every do/merge/undo/redo. A slider drag is one undo step: the edits of
one gesture are made with ``merge=True`` and the history is sealed when the gesture ends.

This module builds the panel and holds its hook-up API and history wiring; the three parts'
methods are in ``browser``, ``chain`` and ``settings`` beside it, the thumbnails' rendering
(worker side) in ``thumbnails``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import shiboken6
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.edits import Edit, History
from studio.core.errors import ProjectError
from studio.core.frame import Frame
from studio.core.project import VideoClip
from studio.effects.registry import Registry
from studio.jobs.runner import JobHandle, JobRunner
from studio.media.cache import MediaCache
from studio.ui.editor.effects.browser import BrowserMixin
from studio.ui.editor.effects.chain import PROBLEM_COLOR, ROLE_ID, ChainMixin, _ChainList
from studio.ui.editor.effects.settings import SettingsMixin
from studio.ui.editor.effects.thumbnails import THUMB_H, THUMB_W, fit_thumbnail
from studio.ui.jobs import make_gui_runner
from studio.ui.param_widgets import ParamsForm

POLL_MS = 1000


class EffectsPanel(BrowserMixin, ChainMixin, SettingsMixin, QWidget):
    """Filters of the selected video clip. See the module docstring.

    Hook-up: ``set_clip(clip_id, local_time)`` on selection changes, ``set_playhead(t)`` (timeline
    seconds) when the playhead moves, ``set_frame(frame)`` with the shown frame for thumbnails,
    ``set_problems(list)`` with the preview renderer's filter problems; ``message`` carries
    refused edits for the status bar; ``set_history`` when another project is opened.
    """

    message = Signal(str)
    filterSelected = Signal(str)

    def __init__(
        self,
        registry: Registry,
        history: History,
        runner: JobRunner | None = None,
        parent: QWidget | None = None,
        *,
        cache: MediaCache | None = None,
    ) -> None:
        super().__init__(parent)
        from studio.ui.editor.timeline.items import media_cache

        self.media_cache = cache if cache is not None else media_cache()
        self.registry = registry
        self.history = history
        self._own_runner = runner is None
        self.runner = runner if runner is not None else make_gui_runner(self)
        self.clip_id: str | None = None
        self.local_time = 0.0
        self._unsubscribe: Callable[[], None] | None = None
        self._gesture: tuple[str, str, str] | None = None
        self._form: ParamsForm | None = None
        self._form_key: tuple[str, str] | None = None
        self._external_problems: list[str] = []
        self._chain_signature: Any = None
        self._status_signature: Any = None
        self._frame_rgb: np.ndarray | None = None
        self._thumb_key: tuple[str, float] | None = None
        self._thumb_job: JobHandle[dict[str, np.ndarray]] | None = None
        self.thumbnails: dict[str, QImage] = {}
        self.thumbnails_ready = False
        self._filling = False

        self._build()
        self._thumb_timer = QTimer(self)
        self._thumb_timer.setSingleShot(True)
        self._thumb_timer.setInterval(250)
        self._thumb_timer.timeout.connect(self.render_thumbnails)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._poll_registry)
        self._poll.start()
        self.set_history(history)
        self.refresh_filters()

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search filters")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._apply_browser_filter)
        self.category = QComboBox()
        self.category.currentIndexChanged.connect(self._apply_browser_filter)
        self.plugins_button = QToolButton()
        self.plugins_button.setText("Plugins…")
        self.plugins_button.setToolTip("Installed filters, plugin errors, the plugins folder")
        self.plugins_button.clicked.connect(self.show_plugins)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.category)
        top.addWidget(self.plugins_button)

        self.browser = QListWidget()
        self.browser.setObjectName("filterBrowser")
        self.browser.setViewMode(QListWidget.ViewMode.IconMode)
        self.browser.setIconSize(QSize(THUMB_W * 3 // 4, THUMB_H * 3 // 4))
        self.browser.setGridSize(QSize(THUMB_W + 36, THUMB_H * 3 // 4 + 40))
        self.browser.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.browser.setMovement(QListWidget.Movement.Static)
        self.browser.setWordWrap(True)
        self.browser.itemDoubleClicked.connect(lambda item: self.add_filter(item.data(ROLE_ID)))
        self.browser.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.add_button = QPushButton("Add to clip")
        self.add_button.clicked.connect(self._add_current)
        self.thumb_source = QLabel()
        self.thumb_source.setEnabled(False)
        add_row = QHBoxLayout()
        add_row.addWidget(self.thumb_source, 1)
        add_row.addWidget(self.add_button)

        browse = QWidget()
        browse_layout = QVBoxLayout(browse)
        browse_layout.setContentsMargins(0, 0, 0, 0)
        browse_layout.addLayout(top)
        browse_layout.addWidget(self.browser, 1)
        browse_layout.addLayout(add_row)

        self.clip_label = QLabel()
        self.clip_label.setWordWrap(True)
        self.chain = _ChainList()
        self.chain.setObjectName("filterChain")
        self.chain.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.chain.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.chain.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.chain.setMaximumHeight(150)
        self.chain.currentItemChanged.connect(lambda *_: self._selection_changed())
        self.chain.itemChanged.connect(self._item_changed)
        self.chain.dropped.connect(self._order_dropped)
        self.up_button = self._tool(
            "▲", "Move the filter earlier (applied first)", lambda: self.move_selected(-1)
        )
        self.down_button = self._tool("▼", "Move the filter later", lambda: self.move_selected(1))
        self.remove_button = self._tool("Remove", "Remove the filter from the clip", self.remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.up_button)
        buttons.addWidget(self.down_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)

        self.filter_title = QLabel()
        self.filter_title.setWordWrap(True)
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(f"color: {PROBLEM_COLOR};")
        self.problem_label.hide()
        self.params_area = QScrollArea()
        self.params_area.setWidgetResizable(True)

        chain_box = QWidget()
        chain_layout = QVBoxLayout(chain_box)
        chain_layout.setContentsMargins(0, 0, 0, 0)
        chain_layout.addWidget(self.clip_label)
        chain_layout.addWidget(self.chain)
        chain_layout.addLayout(buttons)
        chain_layout.addWidget(self.filter_title)
        chain_layout.addWidget(self.problem_label)
        chain_layout.addWidget(self.params_area, 1)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(browse)
        splitter.addWidget(chain_box)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([380, 520])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

    @staticmethod
    def _tool(text: str, tip: str, slot: Callable[[], Any]) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    # ------------------------------------------------------------------ hook-up API

    def set_history(self, history: History) -> None:
        """Follow another project's history (a project was opened)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.history = history
        self._unsubscribe = history.add_listener(self._history_changed)
        self._gesture = None
        if self.clip_id is not None and self._clip() is None:
            self.clip_id = None
        self.refresh()

    def set_clip(self, clip_id: str | None, local_time: float = 0.0) -> None:
        """Show the filters of ``clip_id`` (a video clip; anything else shows the empty state)
        at clip-local time ``local_time``."""
        if clip_id != self.clip_id:
            self._end_gesture()
            self._form_key = None
        self.clip_id = clip_id
        self.local_time = float(local_time)
        self.refresh()
        self._schedule_thumbnails()

    def set_selection(self, element_ids: Sequence[str], timeline_time: float) -> None:
        """Timeline selection changed: show the first selected video clip (none: empty state),
        at the playhead ``timeline_time``."""
        project = self.history.project
        for element_id in element_ids:
            try:
                element = project.clip(element_id)
            except ProjectError:
                continue
            if isinstance(element, VideoClip):
                local = min(max(0.0, timeline_time - element.start), element.duration)
                self.set_clip(element.id, local)
                return
        self.set_clip(None)

    def set_local_time(self, local_time: float) -> None:
        """The playhead moved: show values (and keyframe buttons) at clip-local ``local_time``."""
        self.local_time = float(local_time)
        self._refresh_values()
        self._schedule_thumbnails()

    def set_playhead(self, timeline_time: float) -> None:
        """Same as :meth:`set_local_time`, given timeline seconds (clamped to the clip)."""
        clip = self._clip()
        if clip is not None:
            self.set_local_time(min(max(0.0, timeline_time - clip.start), clip.duration))

    def set_frame(self, frame: Frame | np.ndarray | None) -> None:
        """Render the browser's thumbnails on this picture (RGB array or Frame). Without one
        (None, the default) they show the selected clip's frame at the playhead, else a sample."""
        if isinstance(frame, Frame):
            frame = frame.as_rgb()
        self._frame_rgb = None if frame is None else fit_thumbnail(frame)
        self._thumb_timer.start()

    def set_problems(self, problems: Sequence[str]) -> None:
        """Problems reported by the preview (``FilterChain.problems``, ``ProjectSource.problems``)."""
        if list(problems) != self._external_problems:
            self._external_problems = list(problems)
            self._refresh_chain()

    def detach(self) -> None:
        """Stop listening and stop background work (call before dropping the panel)."""
        self._poll.stop()
        self._thumb_timer.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._thumb_job is not None:
            self._thumb_job.cancel()
        if self._own_runner:
            self.runner.shutdown(wait=True)

    # ------------------------------------------------------------------ history

    def _do(self, edit: Edit, *, seal: bool = False) -> bool:
        try:
            if seal:
                self.history.seal()
            self.history.do(edit)
        except ProjectError as exc:
            self.message.emit(exc.message)
            self._refresh_chain(force=True)
            return False
        finally:
            if seal:
                self.history.seal()
        return True

    def _history_changed(self, kind: str, _edit: Edit) -> None:
        if not shiboken6.isValid(self):  # the widget was deleted without detach()
            if self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None
            return
        if kind in ("undo", "redo"):
            self._gesture = None
        self._refresh_chain()
        self._update_buttons()

    def _poll_registry(self) -> None:
        """Notice plugins that were disabled (or re-enabled) while rendering."""
        signature = self._registry_signature()
        if signature != self._status_signature:
            old = self._status_signature or ()
            self._status_signature = signature
            if {(i, e) for i, e, _ in signature} != {(i, e) for i, e, _ in old}:
                self.refresh_filters()
            self._refresh_chain()

    def _registry_signature(self) -> tuple[tuple[str, bool, str], ...]:
        return tuple((s.id, s.enabled, s.error) for s in self.registry.statuses())

    def plugins_dialog(self) -> QWidget:
        """The Plugins dialog, wired so re-enabled filters come back to this panel."""
        from studio.ui.editor.plugins_dialog import PluginsDialog

        dialog = PluginsDialog(self.registry, self)
        dialog.pluginsChanged.connect(self.refresh_filters)
        dialog.pluginsChanged.connect(self.refresh)
        return dialog

    def show_plugins(self) -> None:
        dialog = self.plugins_dialog()
        dialog.exec()  # type: ignore[attr-defined]
        dialog.deleteLater()
