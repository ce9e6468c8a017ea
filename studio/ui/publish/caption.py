"""The caption editor: #hashtags and @mentions highlighted, and TikTok's 2,200-unit counter.

TikTok counts a caption in UTF-16 code units (what JavaScript's ``length`` says): an emoji
outside the Basic Multilingual Plane counts 2, an accented letter 1.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

MAX_CAPTION = 2200
HASHTAG = re.compile(r"(?<![\w#])#\w+")
MENTION = re.compile(r"(?<![\w@])@[\w.]*\w")
OVER_STYLE = "color: #d93025; font-weight: bold;"


def utf16_units(text: str) -> int:
    """The caption's length as TikTok counts it."""
    return len(text.encode("utf-16-le")) // 2


def tags_in(text: str) -> tuple[list[str], list[str]]:
    """The hashtags and mentions a caption holds, in order (without the # or @)."""
    return [m.group(0)[1:] for m in HASHTAG.finditer(text)], [m.group(0)[1:] for m in MENTION.finditer(text)]


class CaptionHighlighter(QSyntaxHighlighter):
    """Colours #hashtags and @mentions as they are typed."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.hashtag_format = QTextCharFormat()
        self.hashtag_format.setForeground(QColor("#1a73e8"))
        self.hashtag_format.setFontWeight(QFont.Weight.DemiBold)
        self.mention_format = QTextCharFormat()
        self.mention_format.setForeground(QColor("#c2185b"))
        self.mention_format.setFontWeight(QFont.Weight.DemiBold)

    def highlightBlock(self, text: str) -> None:
        # Qt positions are UTF-16 units; Python's are code points: map them before formatting
        for pattern, form in ((HASHTAG, self.hashtag_format), (MENTION, self.mention_format)):
            for m in pattern.finditer(text):
                start = utf16_units(text[: m.start()])
                self.setFormat(start, utf16_units(m.group(0)), form)


class CaptionEditor(QWidget):
    """A plain-text editor with the highlighter and an "n / 2,200" counter below it."""

    changed = Signal(int)  # the caption's length in UTF-16 units

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QPlainTextEdit()
        self.edit.setObjectName("captionEdit")
        self.edit.setPlaceholderText("Write a caption: #hashtags and @mentions are highlighted")
        self.edit.setTabChangesFocus(True)
        self.edit.setMinimumHeight(90)
        self.highlighter = CaptionHighlighter(self.edit.document())
        self.counter = QLabel()
        self.counter.setObjectName("captionCounter")
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.hint, 1)
        row.addWidget(self.counter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addLayout(row)
        self.edit.textChanged.connect(self._update)
        self._update()

    @property
    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)

    @property
    def length(self) -> int:
        return utf16_units(self.text)

    @property
    def too_long(self) -> bool:
        return self.length > MAX_CAPTION

    def _update(self) -> None:
        length = self.length
        self.counter.setText(f"{length:,} / {MAX_CAPTION:,}")
        self.counter.setStyleSheet(OVER_STYLE if length > MAX_CAPTION else "")
        self.counter.setToolTip(
            f"{length - MAX_CAPTION:,} over TikTok's limit: shorten the caption"
            if length > MAX_CAPTION
            else "TikTok counts emoji as 2"
        )
        hashtags, mentions = tags_in(self.text)
        parts = []
        if hashtags:
            parts.append(f"{len(hashtags)} hashtag{'s' if len(hashtags) != 1 else ''}")
        if mentions:
            parts.append(f"{len(mentions)} mention{'s' if len(mentions) != 1 else ''}")
        self.hint.setText(" · ".join(parts))
        self.changed.emit(length)
