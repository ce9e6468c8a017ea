"""The editor window's menus and actions: File, Edit, Playback, View, Account, Help; the
J/K/L shuttle, the History and Open Recent submenus, the undo/redo labels (a part of
:class:`~studio.ui.editor.window.main_window.MainWindow`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from studio.ui.editor.window.help import doctor_available
from studio.ui.theme import THEMES


class MenusMixin:
    """Mixed into MainWindow; the actions call its slots."""

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
        names = (
            "cut",
            "copy",
            "paste",
            "delete",
            "ripple_delete",
            "select_all",
            "split",
            "marker",
            "magnetic",
        )
        for name in names:
            action = actions[name]
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)
            edit.addAction(action)
            if name in ("paste", "select_all", "marker"):
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

    def set_theme(self, mode: str) -> None:
        if self.theme is not None:
            self.theme.apply(mode)
            self.settings.theme = self.theme.mode
