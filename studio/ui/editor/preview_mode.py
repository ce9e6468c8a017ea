"""The preview's "Source | Project" switch (Shotcut's two tabs over its player).

Project mode plays the timeline; Source mode previews one bin file on its own. The bar shows
which one is on screen; the buttons ask the window to change it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QToolButton, QWidget

PROJECT, SOURCE = "project", "source"
SOURCE_STYLE = "QLabel { background: #c77c10; color: white; border-radius: 3px; padding: 1px 6px; }"


class PreviewModeBar(QWidget):
    """Two exclusive buttons and a label naming what the preview shows."""

    projectRequested = Signal()
    sourceRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewModeBar")
        self.source_button = self._button("Source", "Preview the bin clip on its own (double-click a clip)")
        self.project_button = self._button("Project", "Play the timeline")
        group = QButtonGroup(self)
        group.setExclusive(True)
        group.addButton(self.source_button)
        group.addButton(self.project_button)
        self.label = QLabel()
        self.label.setObjectName("previewModeLabel")
        self.source_button.clicked.connect(self._source_clicked)
        self.project_button.clicked.connect(self._project_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.source_button)
        layout.addWidget(self.project_button)
        layout.addWidget(self.label, 1)
        self.mode = ""
        self.set_mode(PROJECT, "")

    @staticmethod
    def _button(text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(True)
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    def set_mode(self, mode: str, name: str) -> None:
        """Show ``mode`` (PROJECT or SOURCE) with the project's title or the file's name."""
        self.mode = mode
        source = mode == SOURCE
        (self.source_button if source else self.project_button).setChecked(True)
        self.label.setText(f"Source: {name}" if source else f"Project: {name or 'Untitled'}")
        self.label.setStyleSheet(SOURCE_STYLE if source else "")
        self.label.setToolTip(
            "Previewing one file; click Project or the timeline to return"
            if source
            else "Playing the timeline"
        )

    def _source_clicked(self) -> None:
        if self.mode != SOURCE:
            self.sourceRequested.emit()

    def _project_clicked(self) -> None:
        if self.mode != PROJECT:
            self.projectRequested.emit()
