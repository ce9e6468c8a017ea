"""The main window: media bin beside the preview player, menus, status bar with running jobs."""

from __future__ import annotations

import importlib.util
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, Signal
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
    QMessageBox,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.config import AppPaths, Settings, app_paths, load_settings, save_settings
from studio.jobs.runner import JobRunner
from studio.ui.jobs import JobsStatus, Op, make_gui_runner
from studio.ui.media_bin import MediaBin, file_filter, local_paths
from studio.ui.player import Player
from studio.ui.theme import THEMES, ThemeController

log = logging.getLogger(__name__)

APP_TITLE = "Creator Studio"
STATUS_TIMEOUT_MS = 8000


def app_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("creator-studio")
    except metadata.PackageNotFoundError:
        return "dev"


def doctor_available() -> bool:
    try:
        return importlib.util.find_spec("studio.doctor") is not None
    except ModuleNotFoundError:
        return False


class MainWindow(QMainWindow):
    """Owns the job runner and the player thread; closing the window stops both."""

    firstPainted = Signal()

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
        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)

        self.bin = MediaBin(self.runner)
        self.player = Player()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.bin)
        self.splitter.addWidget(self.player)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 640])
        self.setCentralWidget(self.splitter)

        self.jobs_status = JobsStatus(self.runner)
        self.statusBar().addPermanentWidget(self.jobs_status)

        self.bin.openRequested.connect(self.open_in_player)
        self.bin.importFailed.connect(self._import_failed)
        self.bin.message.connect(self.show_message)
        self.player.errorOccurred.connect(lambda message: self.show_message(f"Preview: {message}"))
        self._build_menus()
        self.resize(1000, 680)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.import_action = self._action("&Import…", self.choose_files, QKeySequence.StandardKey.Open)
        file_menu.addAction(self.import_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        playback = self.menuBar().addMenu("&Playback")
        self.play_action = self._action("&Play/Pause", self.player.toggle_play, Qt.Key.Key_Space)
        self.next_action = self._action("&Next Frame", lambda: self.player.step(1), Qt.Key.Key_Right)
        self.prev_action = self._action("P&revious Frame", lambda: self.player.step(-1), Qt.Key.Key_Left)
        for action in (self.play_action, self.prev_action, self.next_action):
            playback.addAction(action)
            action.setEnabled(False)
        self.player.sourceOpened.connect(lambda _info: self._enable_playback(True))

        if self.theme is not None:
            view = self.menuBar().addMenu("&View")
            themes = view.addMenu("&Theme")
            group = QActionGroup(self)
            for mode in THEMES:
                action = QAction(mode.capitalize(), self, checkable=True)
                action.setChecked(mode == self.theme.mode)
                action.triggered.connect(lambda _checked=False, m=mode: self.set_theme(m))
                group.addAction(action)
                themes.addAction(action)

        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&About Creator Studio", self.show_about))
        if doctor_available():
            help_menu.addAction(self._action("&Doctor Report", self.show_doctor))

    def _action(self, text: str, slot: Any, shortcut: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _enable_playback(self, enabled: bool) -> None:
        for action in (self.play_action, self.prev_action, self.next_action):
            action.setEnabled(enabled)

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
        self.player.open_clip(path)
        self.show_message(f"Previewing {Path(path).name}")

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
        Op(self.runner, lambda _ctx: doctor.collect(), name="Doctor report").success(
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

    def restore_layout(self) -> None:
        """Window geometry and splitter/dock state from the settings (base64, Qt's own format)."""
        geometry = self.settings.extra.get("window_geometry")
        if isinstance(geometry, str) and geometry:
            self.restoreGeometry(QByteArray.fromBase64(geometry.encode("ascii")))
        if self.settings.window_state:
            self.restoreState(QByteArray.fromBase64(self.settings.window_state.encode("ascii")))
        splitter = self.settings.extra.get("main_splitter")
        if isinstance(splitter, str) and splitter:
            self.splitter.restoreState(QByteArray.fromBase64(splitter.encode("ascii")))

    def save_layout(self) -> None:
        self.settings.extra["window_geometry"] = bytes(self.saveGeometry().toBase64()).decode("ascii")
        self.settings.window_state = bytes(self.saveState().toBase64()).decode("ascii")
        self.settings.extra["main_splitter"] = bytes(self.splitter.saveState().toBase64()).decode("ascii")
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
        self.save_layout()
        self.player.shutdown()
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
