"""What changed between two versions, in words, with the raw difference behind "Details"."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

from studio.core.changes import MAX_SENTENCES, ChangeSummary


def bullet_text(summary: ChangeSummary, limit: int | None = MAX_SENTENCES) -> str:
    return "\n".join(f"• {line}" for line in summary.lines(limit))


class ChangeSummaryView(QWidget):
    """The summary's sentences; a "Details" toggle shows ``diff`` (and any ``extra`` widgets)."""

    def __init__(
        self, heading: str, extra: list[QWidget] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.summary: ChangeSummary | None = None
        self.heading = QLabel(heading)
        self.sentences = QLabel()
        self.sentences.setObjectName("changeSummary")
        self.sentences.setTextFormat(Qt.TextFormat.PlainText)
        self.sentences.setWordWrap(True)
        self.sentences.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QToolButton()
        self.details_button.setObjectName("detailsToggle")
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.toggled.connect(self.show_details)
        self.diff = QPlainTextEdit(readOnly=True)
        self.diff.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.diff.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details = QWidget()
        details_layout = QVBoxLayout(self.details)
        details_layout.setContentsMargins(0, 0, 0, 0)
        for widget in [*(extra or []), self.diff]:
            details_layout.addWidget(widget)
        self.details.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.sentences)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.details, 1)

    def set_summary(self, summary: ChangeSummary, details: str) -> None:
        self.summary = summary
        self.sentences.setText(bullet_text(summary))
        self.diff.setPlainText(details)

    def show_details(self, on: bool) -> None:
        self.details.setVisible(on)
        self.details_button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        if self.details_button.isChecked() != on:
            self.details_button.setChecked(on)
