"""Plugins: every filter the registry knows, where it came from, and why one is off.

One row per registry status (built-ins, entry-point packages, the plugins folder, models):
name, id, version, origin, state and the reason a plugin was disabled (an import error, a
crash while rendering, an overrun time budget). A plugin disabled during this session can be
switched back on; one that failed to import needs fixing and a restart (the row says so).
"Open plugins folder" shows the profile's folder in the file manager; in safe mode a banner
says third-party plugins were not loaded.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio import config
from studio.effects.registry import FilterStatus, Registry

COLUMNS = ("Name", "ID", "Version", "Origin", "State", "Problem")
PROBLEM_COLOR = "#d9534f"
ROLE_KEY = Qt.ItemDataRole.UserRole


def reenable_possible(registry: Registry, status: FilterStatus) -> bool:
    """A filter whose code loaded and failed later (it has a version and owns its id's row) can
    be switched back on in-process; an import failure, a bad class or a duplicate id cannot."""
    return not status.enabled and status.version > 0 and registry.status(status.id) is status


class PluginsDialog(QDialog):
    """The plugin list. ``pluginsChanged`` fires after a plugin was switched back on."""

    pluginsChanged = Signal()

    def __init__(
        self,
        registry: Registry,
        parent: QWidget | None = None,
        *,
        plugins_dir: Path | None = None,
        safe_mode: bool | None = None,
    ) -> None:
        super().__init__(parent)
        self.registry = registry
        self.plugins_dir = Path(plugins_dir) if plugins_dir is not None else config.app_paths().plugins
        self.safe_mode = config.safe_mode() if safe_mode is None else safe_mode
        self.setWindowTitle("Plugins")
        self.resize(820, 420)

        self.safe_banner = QLabel(
            "Safe mode: only the built-in filters (and models) are loaded; plugins from packages "
            "and the plugins folder are skipped. Start without --safe-mode to use them."
        )
        self.safe_banner.setWordWrap(True)
        self.safe_banner.setStyleSheet(
            "background: #fff3cd; color: #664d03; padding: 6px; border-radius: 4px;"
        )
        self.safe_banner.setVisible(self.safe_mode)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.folder_label = QLabel(f"Plugins folder: {self.plugins_dir}")
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reenable_button = QPushButton("Re-enable")
        self.reenable_button.setToolTip("Try this plugin again in this session")
        self.reenable_button.clicked.connect(self.reenable_selected)
        self.open_button = QPushButton("Open plugins folder")
        self.open_button.clicked.connect(self.open_plugins_folder)
        row = QHBoxLayout()
        row.addWidget(self.reenable_button)
        row.addStretch(1)
        row.addWidget(self.open_button)

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.safe_banner)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addLayout(row)
        layout.addWidget(self.folder_label)
        layout.addWidget(close)
        self.refresh()

    def statuses(self) -> list[FilterStatus]:
        return self.registry.statuses()

    def refresh(self) -> None:
        keep = self.selected_key()
        statuses = self.statuses()
        self.table.setRowCount(len(statuses))
        for r, status in enumerate(statuses):
            state = "Enabled" if status.enabled else "Disabled"
            if status.enabled and status.error:
                state = "Enabled (failed once)"
            version = str(status.version) if status.version else ""
            problem = status.error
            if not status.enabled and not self.reenable_possible(status):
                problem = f"{problem} — fix it and restart the app to load it again" if problem else problem
            cells = (status.name or status.id, status.id, version, status.origin, state, problem)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(ROLE_KEY, r)
                tip = status.source or status.origin
                item.setToolTip(f"{tip}\n{status.error}" if status.error else tip)
                if not status.enabled:
                    item.setForeground(QBrush(QColor(PROBLEM_COLOR)))
                self.table.setItem(r, c, item)
        self._rows = statuses
        if keep is not None:
            for r, status in enumerate(statuses):
                if status.id == keep:
                    self.table.selectRow(r)
        self._update_buttons()

    def row_of(self, filter_id: str) -> int:
        for r, status in enumerate(self._rows):
            if status.id == filter_id:
                return r
        return -1

    def selected_status(self) -> FilterStatus | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        r = rows[0].row()
        return self._rows[r] if 0 <= r < len(self._rows) else None

    def selected_key(self) -> str | None:
        status = self.selected_status() if hasattr(self, "_rows") else None
        return status.id if status is not None else None

    def reenable_possible(self, status: FilterStatus) -> bool:
        return reenable_possible(self.registry, status)

    def _update_buttons(self) -> None:
        status = self.selected_status()
        self.reenable_button.setEnabled(status is not None and self.reenable_possible(status))
        if status is None:
            self.detail.setText("")
            return
        lines = [f"<b>{html.escape(status.name or status.id)}</b> — {status.origin}"]
        if status.source:
            lines.append(f"From: {html.escape(status.source)}")
        if status.error:
            lines.append(f"<span style='color:{PROBLEM_COLOR}'>{html.escape(status.error)}</span>")
        if status.failures:
            lines.append(f"Failures this session: {status.failures}")
        self.detail.setText("<br>".join(lines))

    def reenable_selected(self) -> bool:
        status = self.selected_status()
        if status is None or not self.reenable_possible(status):
            return False
        self.registry.enable(status.id)
        self.refresh()
        self.pluginsChanged.emit()
        return True

    def open_plugins_folder(self) -> bool:
        """Show the plugins folder in the file manager (created first if missing)."""
        try:
            self.plugins_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.detail.setText(f"Cannot create the plugins folder {self.plugins_dir}: {exc.strerror}")
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.plugins_dir)))
