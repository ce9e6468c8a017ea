"""A draft's details: title, caption and tags, the things the drafts search looks in.

Opened from the drafts browser (its context menu's "Details…", :func:`open_details`). The draft
is read and written in the job runner's ``"db"`` lane, never on the GUI thread: the dialog's
fields stay disabled until the draft has been read, and Save writes the title (a rename, only
when it changed), the caption and the tags, then reports ``saved(draft_id)``.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.drafts.store import DraftError, DraftInfo, DraftStore
from studio.jobs.runner import JobHandle, JobRunner
from studio.ui.jobs import Op

log = logging.getLogger(__name__)


def split_tags(text: str) -> list[str]:
    """Tags typed into the add field: separated by commas, a leading ``#`` dropped."""
    return [t.strip().lstrip("#").strip() for t in text.split(",") if t.strip().lstrip("#").strip()]


class DraftDetailsDialog(QDialog):
    """Edit one draft's title, caption and tags."""

    saved = Signal(int)
    loaded = Signal()

    def __init__(
        self, store: DraftStore, draft_id: int, runner: JobRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Draft details")
        self.store = store
        self.draft_id = draft_id
        self.runner = runner
        self.info: DraftInfo | None = None
        self.busy = True
        self.title = QLineEdit()
        self.caption = QPlainTextEdit()
        self.caption.setPlaceholderText("What the post says; the drafts search finds its words")
        self.caption.setMaximumHeight(120)
        self.tags = QListWidget()
        self.tags.setMaximumHeight(110)
        self.new_tag = QLineEdit()
        self.new_tag.setPlaceholderText("New tag (commas for several)")
        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(lambda: self.add_tags())
        self.new_tag.returnPressed.connect(lambda: self.add_tags())
        self.remove_button.clicked.connect(self.remove_selected_tags)
        self.tags.itemSelectionChanged.connect(self._sync)
        self.new_tag.textChanged.connect(lambda _text: self._sync())
        tag_row = QHBoxLayout()
        tag_row.addWidget(self.new_tag, 1)
        tag_row.addWidget(self.add_button)
        tag_row.addWidget(self.remove_button)
        tag_box = QVBoxLayout()
        tag_box.addWidget(self.tags)
        tag_box.addLayout(tag_row)
        form = QFormLayout()
        form.addRow("Title", self.title)
        form.addRow("Caption", self.caption)
        form.addRow("Tags", tag_box)
        self.status = QLabel("Reading the draft…")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(lambda: self.save())
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(460, 380)
        self._sync()
        Op(runner, lambda _ctx: store.get_draft(draft_id), name="Read draft", lane="db").success(
            self._show
        ).failure(self._failed).run()

    # -- state --------------------------------------------------------------------------
    def tag_list(self) -> list[str]:
        return [self.tags.item(i).text() for i in range(self.tags.count())]

    def _sync(self) -> None:
        ready = not self.busy and self.info is not None
        for widget in (self.title, self.caption, self.tags, self.new_tag):
            widget.setEnabled(ready)
        self.add_button.setEnabled(ready and bool(split_tags(self.new_tag.text())))
        self.remove_button.setEnabled(ready and bool(self.tags.selectedItems()))
        self.save_button.setEnabled(ready and bool(self.title.text().strip()))

    def _show(self, info: DraftInfo) -> None:
        self.info = info
        self.busy = False
        self.title.setText(info.title)
        self.caption.setPlainText(info.caption)
        self.tags.clear()
        for tag in info.tags:
            self.tags.addItem(QListWidgetItem(tag))
        self.status.setText("")
        self.title.textChanged.connect(lambda _text: self._sync())
        self._sync()
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        message = str(exc) if isinstance(exc, DraftError | OSError) else f"Something went wrong: {exc}"
        log.info("draft details: %s", message)
        self.status.setText(message)
        self._sync()

    # -- actions ------------------------------------------------------------------------
    def add_tags(self, text: str | None = None) -> list[str]:
        """Add the tags in ``text`` (the field's text when None); a tag already there is skipped."""
        typed = split_tags(self.new_tag.text() if text is None else text)
        have = {t.casefold() for t in self.tag_list()}
        added = []
        for tag in typed:
            if tag.casefold() not in have:
                have.add(tag.casefold())
                self.tags.addItem(QListWidgetItem(tag))
                added.append(tag)
        if text is None:
            self.new_tag.clear()
        self._sync()
        return added

    def remove_tag(self, tag: str) -> bool:
        for i in range(self.tags.count()):
            if self.tags.item(i).text().casefold() == tag.casefold():
                self.tags.takeItem(i)
                self._sync()
                return True
        return False

    def remove_selected_tags(self) -> None:
        for item in self.tags.selectedItems():
            self.tags.takeItem(self.tags.row(item))
        self._sync()

    def save(self) -> JobHandle[Any] | None:
        """Write the details in the background; the dialog closes when they are stored."""
        if self.info is None or self.busy:
            return None
        store, draft_id, before = self.store, self.draft_id, self.info
        title = self.title.text().strip()
        caption = self.caption.toPlainText().strip()
        tags = self.tag_list()
        if not title:
            self.status.setText("A draft needs a title")
            return None

        def write(_ctx: object) -> None:
            if title != before.title:
                store.rename(draft_id, title)
            if caption != before.caption:
                store.set_publish(draft_id, caption=caption)
            if tags != before.tags:
                store.set_tags(draft_id, tags)

        self.busy = True
        self.status.setText("Saving…")
        self._sync()
        return (
            Op(self.runner, write, name="Save draft details", lane="db")
            .success(self._saved)
            .failure(self._failed)
            .run()
        )

    def _saved(self, _result: object) -> None:
        self.busy = False
        self.status.setText("Saved")
        self.saved.emit(self.draft_id)
        self.accept()


def open_details(browser: Any, *, modal: bool = False) -> DraftDetailsDialog | None:
    """The details dialog of the drafts browser's single selected draft (None without one)."""
    ids = browser.selected_ids()
    if len(ids) != 1 or browser.model.trashed:
        return None
    dialog = DraftDetailsDialog(browser.store, ids[0], browser.runner, browser)
    dialog.saved.connect(lambda draft_id: browser._after_change("Saved the draft's details", [draft_id]))
    if modal:
        dialog.exec()
    else:
        dialog.show()
    return dialog
