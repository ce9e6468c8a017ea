"""The editor window's layout: the player box, the bin | player | side tabs splitter over the
timeline, the status bar's job indicator, and the window geometry and splitter state kept in the
settings (a part of :class:`~studio.ui.editor.window.main_window.MainWindow`)."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QApplication, QSplitter, QTabWidget, QVBoxLayout, QWidget

from studio.config import save_settings
from studio.ui.editor.inspector import Inspector
from studio.ui.editor.preview_mode import PreviewModeBar
from studio.ui.jobs import JobsStatus

log = logging.getLogger(__name__)


class LayoutMixin:
    """Mixed into MainWindow, which provides the widgets these lay out."""

    def _build_layout(self) -> None:
        player_box = QWidget()
        box = QVBoxLayout(player_box)
        box.setContentsMargins(0, 0, 0, 0)
        self.preview_bar = PreviewModeBar()
        box.addWidget(self.preview_bar)
        box.addWidget(self.player, 1)
        box.addWidget(self.audio_strip)
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

    def restore_layout(self, *, fill_screen: bool = True) -> None:
        """Window geometry and splitter/dock state from the settings (base64, Qt's own format), and
        the timeline's magnetic main track (on unless turned off); with none saved (the first
        start) the window fills the screen unless ``fill_screen`` is off."""
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
        self.timeline.view.set_magnetic(
            self.settings.extra.get("magnetic_main_track") is not False, quiet=True
        )

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
        self.settings.extra["magnetic_main_track"] = self.timeline_model.magnetic
        try:
            save_settings(self.paths, self.settings)
        except OSError as exc:
            log.warning("could not save the window layout: %s", exc)
