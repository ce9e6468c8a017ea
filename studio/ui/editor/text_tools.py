"""Text on the video: add at the playhead, edit in place over the preview, SRT in and out.

:class:`InlineTextEditor` is a line edit laid over the preview at the text's position (the
item's ``position`` is the centre of the text block as fractions of the canvas); Enter commits
an ``EditText`` edit, Escape or losing focus without a change leaves the project alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget

from studio.core.captions import srt_to_track, track_to_srt
from studio.core.edits import AddText, AddTrack, Edit, EditText
from studio.core.errors import ProjectError
from studio.core.project import Project, TextItem, Track, new_id
from studio.ui.editor.timeline.model import Group

TEXT_SECONDS = 2.0
DEFAULT_TEXT = "Your text"


def add_text_edit(project: Project, at: float, text: str = DEFAULT_TEXT) -> tuple[Edit, str]:
    """The edit that adds a text item at ``at`` (on the top text track, made if missing)."""
    item = TextItem(new_id(), text, at, at + TEXT_SECONDS)
    tracks = project.text_tracks()
    if tracks:
        return AddText(tracks[-1].id, item), item.id
    add = AddTrack("text", name="Text")
    return Group([add, AddText(add.track.id, item)], "Add text"), item.id


def srt_import_edit(path: str | Path) -> AddTrack:
    """A new captions track from an SRT file; bad files raise ProjectError with the place."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ProjectError(f"the caption file cannot be read ({exc.strerror or exc})", str(p)) from None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    track = srt_to_track(text, name=p.stem or "Captions")
    if not track.items:
        raise ProjectError("the caption file holds no captions", str(p))
    edit = AddTrack("text", track=track)
    edit.label = "Import captions"
    return edit


def captions_track(project: Project, preferred: str | None = None) -> Track | None:
    """The text track to export: the one holding ``preferred`` (an element id), else the last."""
    tracks = project.text_tracks()
    for t in tracks:
        if any(i.id == preferred for i in t.items):
            return t
    return tracks[-1] if tracks else None


def export_srt(track: Track, path: str | Path) -> int:
    text = track_to_srt(track)
    Path(path).write_text(text, encoding="utf-8")
    return sum(1 for i in track.items if i.text.strip())


def text_at(project: Project, t: float, prefer: list[str]) -> TextItem | None:
    """The text item shown at ``t`` that a double-click means: a selected one first, else the
    topmost visible one."""
    visible = [i for track in project.text_tracks() for i in track.items_at(t)]
    for item in visible:
        if item.id in prefer:
            return item
    return visible[-1] if visible else None


def text_rect(item: TextItem, frame: QRect, canvas_w: int, canvas_h: int) -> QRect:
    """Where the item's text block sits in the preview, roughly (widget coordinates)."""
    scale = frame.width() / canvas_w
    height = max(
        24, round(item.style.size * item.style.line_spacing * scale * max(1, item.text.count("\n") + 1))
    )
    width = max(120, round(item.style.max_width * canvas_w * scale))
    cx = frame.left() + item.position[0] * frame.width()
    cy = frame.top() + item.position[1] * frame.height()
    return QRect(round(cx - width / 2), round(cy - height / 2), width, height)


class InlineTextEditor(QLineEdit):
    """A line edit over the preview; ``committed(item_id, text)`` on Enter."""

    committed = Signal(str, str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.item_id = ""
        self._original = ""
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet(
            "QLineEdit { background: rgba(0,0,0,170); color: white; border: 2px solid #ffd250; }"
        )
        self.hide()
        self.returnPressed.connect(self._commit)

    def open(self, item: TextItem, rect: QRect) -> None:
        self.item_id = item.id
        self._original = item.text
        self.setText(item.text.replace("\n", " "))
        font = self.font()
        font.setPixelSize(max(12, min(48, rect.height() - 8)))
        font.setBold(item.style.bold)
        self.setFont(font)
        self.setGeometry(rect)
        self.show()
        self.raise_()
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.selectAll()

    def _commit(self) -> None:
        text = self.text()
        self.hide()
        if text != self._original.replace("\n", " ") and text.strip():
            self.committed.emit(self.item_id, text)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: Any) -> None:
        super().focusOutEvent(event)
        if self.isVisible():
            self._commit()


class PreviewDoubleClicks(QObject):
    """Event filter on the preview: reports double-clicks with their position."""

    doubleClicked = Signal(QPoint)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonDblClick:
            self.doubleClicked.emit(event.position().toPoint())  # type: ignore[attr-defined]
            return True
        return False


def edit_text_edit(item_id: str, text: str) -> Edit:
    return EditText(item_id, {"text": text})
