"""The editor window: media bin, project preview and inspector above the timeline.

The project lives in a core ``History``; the timeline, the inspector and the menus change it
only through edits, and every change re-renders the preview (debounced) through
:class:`ProjectSource`. The preview's "Source | Project" bar says which is shown: double-clicking
a file in the bin previews that file alone (Source); touching the timeline, dropping media on
it or the Project button brings the project back into the player.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QPaintEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.config import AppPaths, Settings, app_paths, load_settings, save_settings
from studio.core.edits import History
from studio.core.errors import ProjectError
from studio.core.project import AudioClip, Canvas, Project
from studio.jobs.runner import JobRunner
from studio.ui.audio_preview import ProjectAudio
from studio.ui.audio_strip import AudioStrip
from studio.ui.export_dialog import ExportDialog
from studio.ui.inspector import Inspector
from studio.ui.jobs import JobsStatus, Op, make_gui_runner
from studio.ui.media_bin import MediaBin, file_filter, local_paths
from studio.ui.player import Player
from studio.ui.preview_mode import PROJECT, SOURCE, PreviewModeBar
from studio.ui.project_preview import ProjectSource
from studio.ui.text_tools import (
    DEFAULT_TEXT,
    InlineTextEditor,
    PreviewDoubleClicks,
    add_text_edit,
    captions_track,
    edit_text_edit,
    export_srt,
    srt_import_edit,
    text_at,
    text_rect,
)
from studio.ui.theme import THEMES, ThemeController
from studio.ui.timeline import ThumbnailCache, TimelineModel, TimelineWidget, WaveformStore
from studio.ui.timeline.building import place_media, quick_video
from studio.ui.timeline.view import THUMB_H

log = logging.getLogger(__name__)

APP_TITLE = "Creator Studio"
STATUS_TIMEOUT_MS = 8000
PREVIEW_DEBOUNCE_MS = 0  # coalesces the edits of one event-loop turn (a snapshot costs what changed)
EMPTY_PROJECT_HINT = (
    "Drag clips from the media bin onto the timeline, or select clips and use Edit › Quick Video"
)
PROJECT_FILTER = "Creator Studio project (*.json);;All files (*)"


def new_project() -> Project:
    """An empty vertical project: 1080x1920 at 30 fps."""
    return Project(title="Untitled", canvas=Canvas(1080, 1920, 30.0))


def is_vertical(canvas: Canvas) -> bool:
    return abs(canvas.height / canvas.width - 16 / 9) < 0.02


def app_version() -> str:
    from studio import __version__

    return __version__


def _doctor_in_child() -> dict[str, Any]:
    """Run the doctor in a child process: probing encoders turns on FFmpeg's Python log callback,
    which can deadlock a process that is decoding on other threads (the player)."""
    import json
    import subprocess

    from studio.process import worker_command

    done = subprocess.run(worker_command("doctor", "--json"), capture_output=True, text=True, timeout=120)
    try:
        return dict(json.loads(done.stdout))
    except ValueError:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the doctor could not run ({reason})") from None


def doctor_available() -> bool:
    try:
        return importlib.util.find_spec("studio.doctor") is not None
    except ModuleNotFoundError:
        return False


class MainWindow(QMainWindow):
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
        player_box = QWidget()
        box = QVBoxLayout(player_box)
        box.setContentsMargins(0, 0, 0, 0)
        self.preview_bar = PreviewModeBar()
        box.addWidget(self.preview_bar)
        box.addWidget(self.player, 1)
        box.addWidget(self.audio_strip)
        self._showing_project = False
        self._source_path: str | None = None
        self._resume_at: float | None = None
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DEBOUNCE_MS)
        self._preview_timer.timeout.connect(self._push_preview)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.bin)
        self.splitter.addWidget(player_box)
        self.inspector = Inspector(self.timeline_model)
        self.effects: Any = None  # the EffectsPanel, built when its tab is first opened
        self.side_tabs = QTabWidget()
        self.side_tabs.setObjectName("sideTabs")
        self.side_tabs.setUsesScrollButtons(True)
        self.side_tabs.setMinimumWidth(160)
        self.side_tabs.addTab(self.inspector, "Inspector")
        self._effects_holder = QWidget()
        QVBoxLayout(self._effects_holder).setContentsMargins(0, 0, 0, 0)
        self.side_tabs.addTab(self._effects_holder, "Effects")
        self.side_tabs.currentChanged.connect(self._side_tab_changed)
        self.splitter.addWidget(self.side_tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 560, 280])
        self.vsplitter = QSplitter(Qt.Orientation.Vertical)
        self.vsplitter.setObjectName("editorSplitter")
        self.vsplitter.addWidget(self.splitter)
        self.vsplitter.addWidget(self.timeline)
        self.vsplitter.setStretchFactor(0, 1)
        self.vsplitter.setSizes([460, 220])
        self.setCentralWidget(self.vsplitter)

        self.jobs_status = JobsStatus(self.runner)
        self.statusBar().addPermanentWidget(self.jobs_status)

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

    # ------------------------------------------------------------------ menus

    def _build_menus(self) -> None:
        file_menu = self.file_menu = self.menuBar().addMenu("&File")
        self.new_action = self._action("&New Project", self.new_project, QKeySequence.StandardKey.New)
        self.open_action = self._action("&Open Project…", self.open_project, QKeySequence.StandardKey.Open)
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.save_action = self._action("&Save", self.save_project, QKeySequence.StandardKey.Save)
        self.save_as_action = self._action("Save &As…", self.save_project_as, QKeySequence.StandardKey.SaveAs)
        self.import_action = self._action(
            "&Import Media…", self.choose_files, Qt.Modifier.CTRL | Qt.Key.Key_I
        )
        for action in (self.new_action, self.open_action):
            file_menu.addAction(action)
        file_menu.addMenu(self.recent_menu)
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addSeparator()
        file_menu.addAction(self.import_action)
        self.export_action = self._action("&Export Video…", self.show_export, Qt.Modifier.CTRL | Qt.Key.Key_E)
        file_menu.addAction(self.export_action)
        self.publish_action = self._action(
            "&Publish…", self.show_publish, Qt.Modifier.CTRL | Qt.Modifier.SHIFT | Qt.Key.Key_P
        )
        file_menu.addAction(self.publish_action)
        file_menu.addSeparator()
        self.import_srt_action = self._action("Import &Captions (SRT)…", self.import_srt)
        self.export_srt_action = self._action("Export Captions (S&RT)…", self.export_srt)
        file_menu.addAction(self.import_srt_action)
        file_menu.addAction(self.export_srt_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        edit = self.menuBar().addMenu("&Edit")
        self.undo_action = self._action("&Undo", self.undo, QKeySequence.StandardKey.Undo)
        self.redo_action = self._action(
            "&Redo", self.redo, Qt.Modifier.CTRL | Qt.Modifier.SHIFT | Qt.Key.Key_Z
        )
        self.redo_action.setShortcuts(
            [
                QKeySequence(Qt.Modifier.CTRL | Qt.Modifier.SHIFT | Qt.Key.Key_Z),
                QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_Y),
            ]
        )
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        self.history_menu = edit.addMenu("&History")
        self.history_menu.aboutToShow.connect(self._fill_history)
        edit.addSeparator()
        actions = self.timeline.view.actions_by_name
        for name in ("cut", "copy", "paste", "delete", "ripple_delete", "select_all", "split", "marker"):
            action = actions[name]
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)
            edit.addAction(action)
            if name in ("paste", "select_all"):
                edit.addSeparator()
        edit.addSeparator()
        self.add_text_action = self._action("Add &Text at Playhead", self.add_text, Qt.Key.Key_T)
        self.edit_text_action = self._action("Edit Text in &Preview", self.edit_text_in_place, Qt.Key.Key_F2)
        edit.addAction(self.add_text_action)
        edit.addAction(self.edit_text_action)
        self.quick_action = self._action("&Quick Video from Selected Clips", self.quick_video)
        edit.addAction(self.quick_action)

        playback = self.menuBar().addMenu("&Playback")
        self.play_action = self._action("&Play/Pause", self._toggle_play, Qt.Key.Key_Space)
        self.next_action = self._action("&Next Frame", lambda: self.player.step(1), Qt.Key.Key_Right)
        self.prev_action = self._action("P&revious Frame", lambda: self.player.step(-1), Qt.Key.Key_Left)
        self.shuttle_back_action = self._action("Shuttle &Backward", lambda: self.shuttle(-1), Qt.Key.Key_J)
        self.shuttle_stop_action = self._action("Shuttle &Stop", lambda: self.shuttle(0), Qt.Key.Key_K)
        self.shuttle_fwd_action = self._action("Shuttle &Forward", lambda: self.shuttle(1), Qt.Key.Key_L)
        self.start_action = self._action(
            "Go to S&tart", lambda: self.timeline.view.move_playhead(0.0), Qt.Key.Key_Home
        )
        self.end_action = self._action(
            "Go to &End", lambda: self.timeline.view.move_playhead(self.project.duration), Qt.Key.Key_End
        )
        self.mark_in_action = self._action(
            "Mark &In", lambda: self.timeline.view.set_mark("in"), Qt.Key.Key_I
        )
        self.mark_out_action = self._action(
            "Mark &Out", lambda: self.timeline.view.set_mark("out"), Qt.Key.Key_O
        )
        self.playback_actions = (
            self.play_action, self.prev_action, self.next_action, self.shuttle_back_action,
            self.shuttle_stop_action, self.shuttle_fwd_action,
        )  # fmt: skip
        for action in self.playback_actions:
            playback.addAction(action)
            action.setEnabled(False)
        playback.addSeparator()
        for action in (self.start_action, self.end_action, self.mark_in_action, self.mark_out_action):
            playback.addAction(action)
        self.voiceover_action = self._action(
            "Record &Voice-over…", self.show_voiceover, Qt.Modifier.CTRL | Qt.Modifier.SHIFT | Qt.Key.Key_R
        )
        playback.addSeparator()
        playback.addAction(self.voiceover_action)

        view = self.menuBar().addMenu("&View")
        for name in ("zoom_in", "zoom_out", "zoom_fit"):
            action = actions[name]
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)
            view.addAction(action)
        self.safe_area_action = QAction("Show &Safe Area", self, checkable=True)
        self.safe_area_action.setChecked(True)
        self.safe_area_action.toggled.connect(lambda _on: self._update_safe_area())
        view.addAction(self.safe_area_action)
        self.project_view_action = self._action("Show &Project in Player", self.show_project)
        view.addAction(self.project_view_action)
        view.addAction(self._action("&Plugins…", self.show_plugins))
        if self.theme is not None:
            themes = view.addMenu("&Theme")
            group = QActionGroup(self)
            for mode in THEMES:
                action = QAction(mode.capitalize(), self, checkable=True)
                action.setChecked(mode == self.theme.mode)
                action.triggered.connect(lambda _checked=False, m=mode: self.set_theme(m))
                group.addAction(action)
                themes.addAction(action)

        account = self.menuBar().addMenu("&Account")
        self.accounts_action = self._action("&Accounts…", self.show_accounts)
        account.addAction(self.accounts_action)
        self.uploads_action = self._action("&Uploads…", self.show_uploads)
        account.addAction(self.uploads_action)

        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&About Creator Studio", self.show_about))
        if doctor_available():
            help_menu.addAction(self._action("&Doctor Report", self.show_doctor))
        self.menus = {
            "file": file_menu, "edit": edit, "playback": playback, "view": view, "account": account,
            "help": help_menu,
        }  # fmt: skip
        self._update_edit_actions()

    def _action(self, text: str, slot: Any, shortcut: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _enable_playback(self, enabled: bool) -> None:
        for action in self.playback_actions:
            action.setEnabled(enabled)

    def _toggle_play(self) -> None:
        if not self.player.is_playing:
            self.player.set_rate(1.0)
        self.player.toggle_play()

    def shuttle(self, direction: int) -> None:
        """J/K/L: each press of J or L doubles the speed that way (up to 8x); K stops."""
        player = self.player
        if direction == 0:
            player.pause()
            player.set_rate(1.0)
            return
        rate = player.rate if player.is_playing else 0.0
        rate = max(-8.0, min(8.0, rate * 2)) if rate * direction > 0 else float(direction)
        player.shuttle(rate)
        self.show_message(f"Playing {'forward' if rate > 0 else 'backward'} at {abs(rate):g}x")

    def _fill_history(self) -> None:
        """Every undo step, newest first; choosing one undoes back to just after it."""
        self.history_menu.clear()
        labels = self.history.labels
        if not labels:
            self.history_menu.addAction("(nothing to undo)").setEnabled(False)
            return
        for depth, label in enumerate(reversed(labels)):
            action = self.history_menu.addAction(label)
            action.triggered.connect(lambda _checked=False, n=depth: self.undo_steps(n))
            if depth == 0:
                action.setCheckable(True)
                action.setChecked(True)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = [p for p in self.settings.recent_projects if p]
        if not recent:
            self.recent_menu.addAction("(no recent projects)").setEnabled(False)
            return
        for path in recent:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_project(p))

    def _update_edit_actions(self) -> None:
        h = self.history
        self.undo_action.setEnabled(h.can_undo)
        self.redo_action.setEnabled(h.can_redo)
        self.undo_action.setText(f"&Undo {h.undo_label}" if h.can_undo else "&Undo")
        self.redo_action.setText(f"&Redo {h.redo_label}" if h.can_redo else "&Redo")

    def _update_title(self) -> None:
        name = self.project_path.name if self.project_path else self.history.project.title or "Untitled"
        dirty = "*" if self.history.is_dirty else ""
        self.setWindowTitle(f"{dirty}{name} — {APP_TITLE}")

    # ------------------------------------------------------------------ project

    @property
    def project(self) -> Project:
        return self.history.project

    def undo(self) -> None:
        label = self.history.undo()
        if label:
            self.show_message(f"Undid {label}")

    def redo(self) -> None:
        label = self.history.redo()
        if label:
            self.show_message(f"Redid {label}")

    def undo_steps(self, steps: int) -> None:
        for _ in range(steps):
            if self.history.undo() is None:
                break

    def _project_edited(self) -> None:
        self._update_edit_actions()
        self._update_title()
        self.timeline.view.fps = self.project.canvas.fps
        if self._showing_project:
            self.preview_bar.set_mode(PROJECT, self.project.title)
        self._preview_timer.start()
        self.projectChanged.emit()

    def _push_preview(self) -> None:
        """Hand the edited project to the player thread; reopen when its length changed."""
        old_frames = self.player.frame_count
        self.source.update(self.history.snapshot())
        if not self._showing_project:
            return
        fps = self.project.canvas.fps
        frames = max(1, round(self.project.duration * fps))
        if self.player.info is None or frames != old_frames or abs(self.player.info.fps - fps) > 1e-6:
            self._reopen_project(self.timeline.view.playhead)
        else:
            self.player.refresh()
        self._update_safe_area()

    def _reopen_project(self, at: float) -> None:
        if self.project.duration <= 0:
            self.player.clear(EMPTY_PROJECT_HINT)
            return
        self._resume_at = at
        source = self.source
        self.player.set_source(lambda: source, self.project.title or "Project")

    def show_project(self) -> None:
        """Put the project (not a single bin file) in the player."""
        self.player.attach_audio(self.audio)
        self.audio.set_project(self.history.snapshot())
        self.audio_strip.set_project(self.project)
        self.source.update(self.history.snapshot())
        self.source.full_quality = not self.player.is_playing
        self._showing_project = True
        self.preview_bar.set_mode(PROJECT, self.project.title)
        self._reopen_project(self.timeline.view.playhead)
        self._update_safe_area()

    def seek_project(self, t: float) -> None:
        if not self._showing_project:
            self.show_project()
            self._resume_at = t
            return
        self.player.seek(t)

    def _source_opened(self, _info: object) -> None:
        self._enable_playback(True)
        if self._showing_project and self._resume_at is not None:
            at, self._resume_at = self._resume_at, None
            if at > 0:
                self.player.seek(min(at, max(0.0, self.project.duration - 1e-3)))

    def _frame_shown(self, _index: int, t: float) -> None:
        if self._showing_project:
            self.timeline.view.set_playhead(t)
            if self.effects is not None:
                self.effects.set_playhead(t)
            if not self.player.is_playing:
                self.inspector.set_playhead(t)

    def _playing_changed(self, playing: bool) -> None:
        """Paused: draw the shown frame again at full size (scale 1.0)."""
        if not self._showing_project:
            return
        self.source.full_quality = not playing
        if not playing:
            self.player.refresh()

    def _update_safe_area(self) -> None:
        shown = (
            self._showing_project and self.safe_area_action.isChecked() and is_vertical(self.project.canvas)
        )
        self.player.view.set_safe_area(shown)

    def _side_tab_changed(self, index: int) -> None:
        if self.side_tabs.widget(index) is self._effects_holder:
            self.ensure_effects_panel()

    def ensure_effects_panel(self) -> Any:
        """The effects panel (filters of the selected clip); its registry loads on first use."""
        if self.effects is None:
            from studio.effects.registry import default_registry
            from studio.ui.effects_panel import EffectsPanel

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

    def set_history(self, history: History, path: Path | None) -> None:
        self.history = history
        self.project_path = path
        self.timeline_model.set_history(history)
        if self.effects is not None:
            self.effects.set_history(history)
        self.timeline.view.select([])
        self.timeline.view.set_playhead(0.0)
        self.timeline.view.zoom_to_fit()
        self.show_project()
        self._project_edited()

    def maybe_discard(self) -> bool:
        """True when the current project may be replaced (saved, or the creator agreed)."""
        if not self.history.is_dirty or not self.confirm_unsaved or not self.history.labels:
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            "Save the changes to this project first?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save_project()
        return answer == QMessageBox.StandardButton.Discard

    def new_project(self) -> None:
        if self.maybe_discard():
            self.set_history(History(new_project()), None)
            self.show_message("New project")

    def open_project(self, path: str | Path | None = None) -> bool:
        if not self.maybe_discard():
            return False
        if path is None:
            start = str(self.project_path.parent if self.project_path else Path.home())
            chosen, _ = QFileDialog.getOpenFileName(self, "Open project", start, PROJECT_FILTER)
            if not chosen:
                return False
            path = chosen
        from studio.projectfile import load_project

        target = Path(path).expanduser().absolute()
        try:
            project = load_project(target)
        except ProjectError as exc:
            self.show_message(f"Cannot open {target.name}: {exc.message}")
            QMessageBox.warning(self, "Cannot open the project", f"{target}\n\n{exc}")
            return False
        self.set_history(History(project), target)
        self._remember(target)
        self.show_message(f"Opened {target.name}")
        from studio.ui.relink_dialog import offer_relink

        self.relink_offer = offer_relink(self)  # checks the sources in the background
        return True

    def save_project(self) -> bool:
        if self.project_path is None:
            return self.save_project_as()
        return self._save_to(self.project_path)

    def save_project_as(self, path: str | Path | None = None) -> bool:
        if path is None:
            start = str(self.project_path or Path.home() / "project.json")
            chosen, _ = QFileDialog.getSaveFileName(self, "Save project", start, PROJECT_FILTER)
            if not chosen:
                return False
            path = chosen if chosen.lower().endswith(".json") else chosen + ".json"
        return self._save_to(Path(path).expanduser().absolute())

    def _save_to(self, path: Path) -> bool:
        from studio.projectfile import save_project

        try:
            save_project(self.project, path)
        except (ProjectError, OSError) as exc:
            message = exc.message if isinstance(exc, ProjectError) else (exc.strerror or str(exc))
            self.show_message(f"Not saved: {message}")
            QMessageBox.warning(self, "Cannot save the project", f"{path}\n\n{message}")
            return False
        self.project_path = path
        self.history.mark_saved()
        self._remember(path)
        self._update_title()
        self.show_message(f"Saved {path.name}")
        self.projectSaved.emit()
        return True

    def _remember(self, path: Path) -> None:
        self.settings.add_recent(str(path))
        try:
            save_settings(self.paths, self.settings)
        except OSError as exc:
            log.warning("could not save the recent projects: %s", exc)

    # ------------------------------------------------------------------ media onto the timeline

    def add_media(self, paths: list[str], at: float, track_id: str | None = None) -> None:
        """Probe ``paths`` in the background, then lay them on the timeline from ``at``."""
        self.import_files([p for p in paths if self.bin.entry(p) is None])

        def probe_all(ctx: Any) -> list[Any]:
            from studio.media.errors import MediaError
            from studio.media.probe import probe

            out = []
            for p in paths:
                ctx.check()
                try:
                    out.append(probe(p))
                except MediaError as exc:
                    log.info("not placed on the timeline: %s", exc)
            return out

        def place(infos: list[Any]) -> None:
            group = place_media(self.project, infos, at, track_id)
            if group is None:
                self.show_message("None of those files can go on the timeline")
                return
            if self.timeline_model.do(group) and not self._showing_project:
                self.show_project()

        Op(self.runner, probe_all, name="Add clips").success(place).failure(
            lambda exc: self.show_message(f"Could not add the clips: {exc}")
        ).run()

    def quick_video(self) -> bool:
        """Selected bin clips, end to end on a vertical canvas, fill-cropped."""
        entries = [e for e in self.bin.selected_entries() if e.previewable] or [
            e for e in self.bin.entries if e.previewable
        ]
        group = quick_video(self.project, [e.info for e in entries])
        if group is None:
            self.show_message("Select video clips in the media bin first")
            return False
        if self.timeline_model.do(group):
            self.timeline.view.zoom_to_fit()
            self.show_project()
            return True
        return False

    # ------------------------------------------------------------------ text and captions

    def add_text(self, text: str = DEFAULT_TEXT) -> str | None:
        """A text item at the playhead, selected so the inspector shows it."""
        edit, item_id = add_text_edit(self.project, self.timeline.view.playhead, text)
        if not self.timeline_model.do(edit):
            return None
        self.timeline.view.select([item_id])
        if not self._showing_project:
            self.show_project()
        return item_id

    def edit_text_in_place(self) -> bool:
        """Open the inline editor over the text shown at the playhead in the preview."""
        if not self._showing_project:
            return False
        item = text_at(self.project, self.timeline.view.playhead, self.timeline.view.selection)
        if item is None:
            self.show_message("No text at the playhead: press T to add one")
            return False
        frame = self.player.view.image_rect()
        if frame.isEmpty():
            return False
        canvas = self.project.canvas
        self.inline_text.open(item, text_rect(item, frame, canvas.width, canvas.height))
        return True

    def import_srt(self, path: str | Path | None = None) -> bool:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Import captions", str(Path.home()), "Subtitles (*.srt)"
            )
            if not path:
                return False
        try:
            edit = srt_import_edit(path)
        except ProjectError as exc:
            self.show_message(f"Cannot import captions: {exc}")
            QMessageBox.warning(self, "Cannot import the captions", str(exc))
            return False
        if self.timeline_model.do(edit):
            self.show_message(f"Imported {len(edit.track.items)} captions from {Path(path).name}")
            return True
        return False

    def export_srt(self, path: str | Path | None = None) -> bool:
        selected = self.timeline.view.selection[0] if self.timeline.view.selection else None
        track = captions_track(self.project, selected)
        if track is None:
            self.show_message("There is no text track to save as captions")
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export captions", str(Path.home() / "captions.srt"), "Subtitles (*.srt)"
            )
            if not path:
                return False
        try:
            count = export_srt(track, path)
        except (OSError, ProjectError) as exc:
            self.show_message(f"Captions not saved: {exc}")
            return False
        self.show_message(f"Saved {count} captions to {Path(path).name}")
        return True

    # ------------------------------------------------------------------ export

    def show_voiceover(self) -> Any:
        """Record a voice-over onto a new audio track at the playhead, the video playing."""
        from studio.ui.voiceover_dialog import VoiceoverDialog

        media_dir = (self.project_path.parent if self.project_path else self.paths.data) / "voiceovers"
        playhead = self.timeline.view.playhead
        selected = self.timeline.view.selection
        punch = self.project.find(selected[0])[1] if len(selected) == 1 else None
        if not (
            isinstance(punch, AudioClip) and punch.role == "voiceover" and punch.start <= playhead < punch.end
        ):
            punch = None  # punch-in needs a selected voice-over under the playhead
        dialog = VoiceoverDialog(
            self.history, playhead, media_dir, self, player=self.player, punch_clip=punch
        )
        dialog.recorded.connect(lambda path, _clip: self.show_message(f"Voice-over added: {Path(path).name}"))
        dialog.recorded.connect(lambda path, _clip: self.mediaCreated.emit(path))
        dialog.show()
        return dialog

    def show_export(self) -> ExportDialog:
        """The export dialog for the project as it is now (a copy: edits go on meanwhile)."""
        if self.export_dialog is not None and self.export_dialog.running:
            self.export_dialog.raise_()
            return self.export_dialog
        dialog = ExportDialog(copy.deepcopy(self.project), self.runner, self.project_path, self)
        dialog.finished_export.connect(
            lambda ok, text: self.show_message(f"Exported {Path(text).name}" if ok else text)
        )
        self.export_dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()  # keys (Escape) go to it, not to the editor behind
        return dialog

    # ------------------------------------------------------------------ accounts

    def attach_sync(self, controller: Any) -> None:
        """Show the sync controller's state in the status bar; Account > Accounts… opens its
        dialog. app.py calls this after the first paint (tests call it with their own engine)."""
        from studio.ui.accounts.status import SyncStatusIndicator

        self.sync = controller
        self.sync_status = SyncStatusIndicator(controller)
        self.statusBar().addPermanentWidget(self.sync_status)
        self.sync_status.openRequested.connect(self.show_accounts)
        controller.message.connect(self.show_message)

    def show_accounts(self) -> Any:
        """The Accounts dialog (one per window); None while sync is not attached."""
        if self.sync is None:
            self.show_message("Accounts are not available yet: sync has not started.")
            return None
        from studio.ui.accounts.page import AccountsDialog

        if self.accounts_dialog is None:
            self.accounts_dialog = AccountsDialog(self.sync, self)
        self.accounts_dialog.show()
        self.accounts_dialog.raise_()
        self.accounts_dialog.activateWindow()
        return self.accounts_dialog

    # ------------------------------------------------------------------ analytics

    def attach_analytics(self, controller: Any) -> Any:
        """The Analytics tab next to the editor, shown while the sync controller lists an
        account (studio.ui.analytics.entry). app.py calls this after attach_sync."""
        from studio.ui.analytics.entry import attach

        return attach(self, controller)

    def show_analytics(self) -> Any:
        from studio.ui.analytics.entry import show

        return show(self)

    # ------------------------------------------------------------------ publishing

    def attach_publish(self, controller: Any) -> None:
        """The uploads indicator in the status bar, the end-of-job notice; File > Publish… and
        Account > Uploads… use the controller. app.py calls this once sync is attached."""
        from studio.ui.publish.status import EndNotifier, UploadsIndicator

        self.publish = controller
        self.uploads_status = UploadsIndicator(controller)
        self.statusBar().addPermanentWidget(self.uploads_status)
        self.uploads_status.openRequested.connect(self.show_uploads)
        self.publish_notifier = EndNotifier(controller, self.show_message, self.windowIcon(), self)
        controller.message.connect(self.show_message)

    def show_publish(
        self,
        file: str | Path | None = None,
        draft_id: int | None = None,
        draft_store: Any = None,
        title: str = "",
    ) -> Any:
        """The publish dialog for a file, a stored draft, or (neither given) the draft being edited."""
        if self.publish is None:
            self.show_message("Publishing is not available yet: sync has not started.")
            return None
        from studio.ui.publish.entry import open_publish

        return open_publish(self, file=file, draft_id=draft_id, draft_store=draft_store, title=title)

    def show_uploads(self) -> Any:
        """The Uploads panel (one per window); None while publishing is not attached."""
        if self.publish is None:
            self.show_message("Uploads are not available yet: sync has not started.")
            return None
        from studio.ui.publish.uploads import UploadsPanel

        if self.uploads_panel is None:
            self.uploads_panel = UploadsPanel(self.publish, self)
        self.uploads_panel.show()
        self.uploads_panel.raise_()
        self.uploads_panel.activateWindow()
        return self.uploads_panel

    # ------------------------------------------------------------------ the rest

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_TIMEOUT_MS)

    def import_files(self, paths: Iterable[str | Path]) -> None:
        added = self.bin.import_paths(paths)
        if added:
            names = ", ".join(e.name for e in added[:3]) + ("…" if len(added) > 3 else "")
            self.show_message(f"Importing {names}")

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import media", str(Path.home()), file_filter())
        if files:
            self.import_files(files)

    def open_in_player(self, path: str) -> None:
        """Preview one file from the bin on its own (the project comes back on a timeline click)."""
        self._showing_project = False
        self._source_path = path
        self.preview_bar.set_mode(SOURCE, Path(path).name)
        self.source.full_quality = False
        self.player.view.set_safe_area(False)
        self.player.attach_audio(None)
        self.player.open_clip(path)
        self.show_message(f"Previewing {Path(path).name}")

    def _source_requested(self) -> None:
        """The Source button: the selected bin clip, else the one previewed last."""
        chosen = next((e.path for e in self.bin.selected_entries() if e.previewable), self._source_path)
        if chosen is None:
            self.preview_bar.set_mode(PROJECT, self.project.title)
            self.show_message("Double-click a clip in the media bin to preview it on its own")
            return
        self.open_in_player(chosen)

    def _import_failed(self, path: str, message: str) -> None:
        self.show_message(f"Could not import {Path(path).name}: {message}")

    def set_theme(self, mode: str) -> None:
        if self.theme is not None:
            self.theme.apply(mode)
            self.settings.theme = self.theme.mode

    def show_about(self) -> None:
        p = self.paths
        QMessageBox.about(
            self,
            f"About {APP_TITLE}",
            f"<b>{APP_TITLE}</b> {app_version()}<br>Edit, export and publish short vertical videos."
            f"<p>Profile: {p.profile}<br>Data: {p.data}<br>Settings: {p.config}<br>"
            f"Cache: {p.cache}<br>Logs: {p.logs}</p>",
        )

    def show_doctor(self) -> None:
        from studio import doctor

        dialog = TextDialog("Doctor report", "Collecting versions, encoders and devices…", self)
        dialog.show()
        self._doctor_dialog = dialog
        Op(self.runner, lambda _ctx: _doctor_in_child(), name="Doctor report").success(
            lambda report: dialog.set_text(_doctor_text(doctor, report))
        ).failure(lambda exc: dialog.set_text(f"The doctor report failed: {exc}")).run()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)

    def restore_layout(self, *, fill_screen: bool = True) -> None:
        """Window geometry and splitter/dock state from the settings (base64, Qt's own format);
        with none saved (the first start) the window fills the screen unless ``fill_screen`` is off."""
        geometry = self.settings.extra.get("window_geometry")
        saved = isinstance(geometry, str) and bool(geometry)
        restored = saved and self.restoreGeometry(QByteArray.fromBase64(str(geometry).encode("ascii")))
        if not restored and fill_screen:
            self.fill_screen()
        if self.settings.window_state:
            self.restoreState(QByteArray.fromBase64(self.settings.window_state.encode("ascii")))
        for key, splitter in (("main_splitter", self.splitter), ("editor_splitter", self.vsplitter)):
            state = self.settings.extra.get(key)
            if isinstance(state, str) and state:
                splitter.restoreState(QByteArray.fromBase64(state.encode("ascii")))

    def fill_screen(self) -> None:
        """First start: the whole available screen (maximized; un-maximized, most of it)."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return
        area = screen.availableGeometry()
        self.resize(area.size() * 0.9)
        self.move(area.center() - self.rect().center())
        self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)

    def save_layout(self) -> None:
        self.settings.extra["window_geometry"] = bytes(self.saveGeometry().toBase64()).decode("ascii")
        self.settings.window_state = bytes(self.saveState().toBase64()).decode("ascii")
        self.settings.extra["main_splitter"] = bytes(self.splitter.saveState().toBase64()).decode("ascii")
        self.settings.extra["editor_splitter"] = bytes(self.vsplitter.saveState().toBase64()).decode("ascii")
        try:
            save_settings(self.paths, self.settings)
        except OSError as exc:
            log.warning("could not save the window layout: %s", exc)

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


def _doctor_text(doctor: Any, report: dict[str, Any]) -> str:
    """The doctor's own plain-text layout, with the full JSON below for bug reports."""
    try:
        text = "\n".join(doctor.report_lines(report))
    except (AttributeError, KeyError, TypeError):
        text = ""
    return (text + "\n\n" if text else "") + json.dumps(report, indent=2, default=str)


class TextDialog(QDialog):
    """A read-only, copyable text report."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.text = QPlainTextEdit(text)
        self.text.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        copy = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QApplication.clipboard().setText(self.text.toPlainText()))
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(640, 480)

    def set_text(self, text: str) -> None:
        self.text.setPlainText(text)
