"""The editor window: media bin, project preview and inspector above the timeline.

The project lives in a core ``History``; the timeline, the inspector and the menus change it
only through edits, and every change re-renders the preview (debounced) through
:class:`ProjectSource`. The preview's "Source | Project" bar says which is shown: double-clicking
a file in the bin previews that file alone (Source); touching the timeline, dropping media on
it or the Project button brings the project back into the player.

:class:`MainWindow` builds the parts and wires them; its methods come by responsibility from the
modules beside this one: ``layout`` (splitters, side tabs, saved geometry), ``menus`` (menus and
actions), ``project_files`` (new/open/save, undo, the title), ``preview`` (what the player
shows), ``editing`` (media, text, captions, voice-over, export), ``features`` (accounts,
analytics, publishing) and ``help`` (About, Doctor).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QPaintEvent
from PySide6.QtWidgets import QMainWindow

from studio.config import AppPaths, Settings, app_paths, load_settings
from studio.core.edits import History
from studio.core.project import Project
from studio.jobs.runner import JobRunner
from studio.ui.drops import local_paths
from studio.ui.editor.audio_preview import ProjectAudio
from studio.ui.editor.audio_strip import AudioStrip
from studio.ui.editor.export_dialog import ExportDialog
from studio.ui.editor.media_bin import MediaBin
from studio.ui.editor.player import Player
from studio.ui.editor.project_preview import ProjectSource
from studio.ui.editor.text_tools import InlineTextEditor, PreviewDoubleClicks, edit_text_edit
from studio.ui.editor.timeline import ThumbnailCache, TimelineModel, TimelineWidget, WaveformStore
from studio.ui.editor.timeline.view import THUMB_H
from studio.ui.editor.window.editing import EditingMixin
from studio.ui.editor.window.features import FeaturesMixin
from studio.ui.editor.window.help import HelpMixin, TextDialog
from studio.ui.editor.window.layout import LayoutMixin
from studio.ui.editor.window.menus import MenusMixin
from studio.ui.editor.window.preview import PreviewMixin
from studio.ui.editor.window.project_files import ProjectFilesMixin, new_project
from studio.ui.jobs import make_gui_runner
from studio.ui.theme import ThemeController

STATUS_TIMEOUT_MS = 8000
PREVIEW_DEBOUNCE_MS = 0  # coalesces the edits of one event-loop turn (a snapshot costs what changed)


class MainWindow(
    LayoutMixin,
    MenusMixin,
    ProjectFilesMixin,
    PreviewMixin,
    EditingMixin,
    FeaturesMixin,
    HelpMixin,
    QMainWindow,
):
    """Owns the job runner and the player thread; closing the window stops both."""

    firstPainted = Signal()
    projectChanged = Signal()
    projectSaved = Signal()
    mediaCreated = Signal(str)  # a file the app made (a voice-over take): for the media library

    def __init__(
        self,
        paths: AppPaths | None = None,
        settings: Settings | None = None,
        theme: ThemeController | None = None,
        runner: JobRunner | None = None,
    ) -> None:
        super().__init__()
        self.paths = paths or app_paths()
        self.settings = settings if settings is not None else load_settings(self.paths)
        self.theme = theme
        self.runner = runner or make_gui_runner(self)
        self._painted = False
        self._doctor_dialog: TextDialog | None = None
        self.confirm_unsaved = True
        self.export_dialog: ExportDialog | None = None
        self.sync: Any = None  # the SyncController, once app.py attaches it (attach_sync)
        self.accounts_dialog: Any = None
        self.publish: Any = None  # the PublishController, once app.py attaches it (attach_publish)
        self.publish_dialog: Any = None
        self.uploads_panel: Any = None
        self.analytics: Any = None  # the AnalyticsDashboard, once app.py attaches it (attach_analytics)
        self.project_path: Path | None = None
        self.history = History(new_project())
        self.setAcceptDrops(True)

        self.bin = MediaBin(self.runner)
        self.player = Player()
        self.timeline_model = TimelineModel(self.history, self)
        self.thumbnails = ThumbnailCache(self.runner, THUMB_H, self)
        self.waveforms = WaveformStore(self.runner, self.paths.cache / "waveforms", self)
        self.timeline = TimelineWidget(self.timeline_model, self.thumbnails, self.waveforms)
        self.timeline.setObjectName("timeline")
        self.source = ProjectSource(self.history.snapshot())
        self.audio = ProjectAudio(self.runner, self)
        self.player.attach_audio(self.audio)
        self.audio_strip = AudioStrip(self.audio)
        self.audio_strip.set_project(self.project)
        self._showing_project = False
        self._source_path: str | None = None
        self._resume_at: float | None = None
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DEBOUNCE_MS)
        self._preview_timer.timeout.connect(self._push_preview)

        self._build_layout()

        self.bin.openRequested.connect(self.open_in_player)
        self.preview_bar.projectRequested.connect(self.show_project)
        self.preview_bar.sourceRequested.connect(self._source_requested)
        self.bin.importFailed.connect(self._import_failed)
        self.bin.message.connect(self.show_message)
        self.player.errorOccurred.connect(lambda message: self.show_message(f"Preview: {message}"))
        self.player.frameShown.connect(self._frame_shown)
        self.player.sourceOpened.connect(self._source_opened)
        self.player.playingChanged.connect(self._playing_changed)
        self.audio.statusChanged.connect(
            lambda message: self.show_message(f"Audio: {message}") if message else None
        )
        self.projectChanged.connect(lambda: self.audio.set_project(self.history.snapshot()))
        self.projectChanged.connect(lambda: self.audio_strip.set_project(self.project))
        view = self.timeline.view
        view.playheadMoved.connect(self.seek_project)
        view.pressed.connect(lambda: None if self._showing_project else self.show_project())
        view.mediaDropped.connect(self.add_media)
        view.message.connect(self.show_message)
        view.selectionChanged.connect(
            lambda: self.inspector.show_element(view.selection[0] if view.selection else None)
        )
        view.playheadMoved.connect(self.inspector.set_playhead)
        self.inspector.message.connect(self.show_message)
        self.timeline_model.changed.connect(self._project_edited)
        self.timeline_model.failed.connect(lambda message: self.show_message(f"Cannot do that: {message}"))
        self.inline_text = InlineTextEditor(self.player.view)
        self.inline_text.committed.connect(
            lambda item_id, text: self.timeline_model.do(edit_text_edit(item_id, text))
        )
        self._preview_clicks = PreviewDoubleClicks(self)
        self.player.view.installEventFilter(self._preview_clicks)
        self._preview_clicks.doubleClicked.connect(lambda _pos: self.edit_text_in_place())
        self._build_menus()
        self.resize(1100, 760)
        self._update_title()
        self.show_project()

    @property
    def project(self) -> Project:
        return self.history.project

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_TIMEOUT_MS)

    def _side_tab_changed(self, index: int) -> None:
        if self.side_tabs.widget(index) is self._effects_holder:
            self.ensure_effects_panel()

    def ensure_effects_panel(self) -> Any:
        """The effects panel (filters of the selected clip); its registry loads on first use."""
        if self.effects is None:
            from studio.effects.registry import default_registry
            from studio.ui.editor.effects.panel import EffectsPanel

            self.effects = EffectsPanel(default_registry(), self.history, runner=self.runner)
            self._effects_holder.layout().addWidget(self.effects)
            view = self.timeline.view
            view.selectionChanged.connect(lambda: self.effects.set_selection(view.selection, view.playhead))
            view.playheadMoved.connect(self.effects.set_playhead)
            self.effects.message.connect(lambda m: self.show_message(f"Cannot do that: {m}"))
            self.effects.set_selection(view.selection, view.playhead)
        return self.effects

    def show_plugins(self) -> None:
        self.ensure_effects_panel().show_plugins()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.firstPainted.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_discard():
            event.ignore()
            return
        if self.export_dialog is not None:
            if self.export_dialog.running:
                self.export_dialog.cancel()
                self.export_dialog.wait_for_worker(5000)
            self.export_dialog.close()
        self.save_layout()
        if self.effects is not None:
            self.effects.detach()
        self.player.shutdown()
        self.audio.close()
        self.runner.shutdown(wait=False)
        super().closeEvent(event)
