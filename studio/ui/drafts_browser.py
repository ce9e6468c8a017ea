"""The drafts browser: a lazily filled grid of drafts with search, sort, trash, import/export.

:class:`DraftsModel` fetches rows from the store in pages (``canFetchMore``/``fetchMore``), so
10,000 drafts open as fast as 100: the view asks for more only as it scrolls. Covers are loaded
from disk when a cell is first painted and kept in a small cache. Slow work (bundle export or
import with media) runs on the job runner and reports back on the GUI thread.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMetaMethod,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.drafts import DraftError, DraftInfo, DraftStore
from studio.jobs.runner import JobRunner

ModelIndex = QModelIndex | QPersistentModelIndex

SORTS = [
    ("Last edited", "updated", True),
    ("Newest", "created", True),
    ("Title", "title", False),
    ("Longest", "duration", True),
]
COVER_SIZE = QSize(108, 192)


def format_duration(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def format_ago(ts: float, now: float | None = None) -> str:
    age = max(0.0, (now or time.time()) - ts)
    if age < 60:
        return "just now"
    for unit, size in (("min", 60), ("h", 3600), ("d", 86400)):
        if age < size * (60 if unit == "min" else 24 if unit == "h" else 30):
            return f"{int(age // size)} {unit} ago"
    return time.strftime("%Y-%m-%d", time.localtime(ts))


class _GuiDispatcher(QObject):
    """Hands callables from worker threads to the GUI thread (the job runner's dispatcher)."""

    posted = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.posted.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def _run(self, fn: Callable[[], None]) -> None:
        fn()

    def post(self, fn: Callable[[], None]) -> None:
        self.posted.emit(fn)


class DraftsModel(QAbstractListModel):
    IdRole = Qt.ItemDataRole.UserRole + 1
    DraftRole = Qt.ItemDataRole.UserRole + 2
    BATCH = 120

    def __init__(self, store: DraftStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._rows: list[DraftInfo] = []
        self._exhausted = False
        self.search: str | None = None
        self.sort = "updated"
        self.descending = True
        self.trashed = False
        self._covers: OrderedDict[str, QIcon] = OrderedDict()
        self._blank_cover: QIcon | None = None

    # -- query ----------------------------------------------------------------------------
    def set_query(
        self,
        *,
        search: str | None = None,
        sort: str | None = None,
        descending: bool | None = None,
        trashed: bool | None = None,
    ) -> None:
        self.search = (search or None) if search is not None else self.search
        self.sort = sort or self.sort
        self.descending = self.descending if descending is None else descending
        self.trashed = self.trashed if trashed is None else trashed
        self.refresh()

    def refresh(self) -> None:
        """Re-read from the store, keeping as many rows loaded as before."""
        wanted = max(self.BATCH, len(self._rows))
        self.beginResetModel()
        self._rows = self.store.list_drafts(
            search=self.search, sort=self.sort, descending=self.descending, trashed=self.trashed, limit=wanted
        )
        self._exhausted = len(self._rows) < wanted
        self.endResetModel()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:
        if parent.isValid() or self._exhausted:
            return
        more = self.store.list_drafts(
            search=self.search,
            sort=self.sort,
            descending=self.descending,
            trashed=self.trashed,
            limit=self.BATCH,
            offset=len(self._rows),
        )
        self._exhausted = len(more) < self.BATCH
        if more:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(more) - 1)
            self._rows.extend(more)
            self.endInsertRows()

    def draft_at(self, row: int) -> DraftInfo:
        return self._rows[row]

    def row_of(self, draft_id: int) -> int | None:
        return next((i for i, d in enumerate(self._rows) if d.id == draft_id), None)

    # -- presentation ---------------------------------------------------------------------
    def _blank_cover_icon(self) -> QIcon:
        if self._blank_cover is None:
            pixmap = QPixmap(COVER_SIZE)
            pixmap.fill(QColor("#2b2d31"))
            painter = QPainter(pixmap)
            painter.setPen(QColor("#8a8f98"))
            painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "▶")
            painter.end()
            self._blank_cover = QIcon(pixmap)
        return self._blank_cover

    def _cover(self, draft: DraftInfo) -> QIcon:
        path = draft.cover_path
        if not path:
            return self._blank_cover_icon()
        icon = self._covers.get(path)
        if icon is None:
            image = QImage(path)
            if image.isNull():
                return self._blank_cover_icon()
            scaled = image.scaled(
                COVER_SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
            icon = QIcon(QPixmap.fromImage(scaled))
            self._covers[path] = icon
            if len(self._covers) > 400:
                self._covers.popitem(last=False)
        else:
            self._covers.move_to_end(path)
        return icon

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        draft = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            when = (
                f"deleted {format_ago(draft.deleted_at)}"
                if draft.deleted_at
                else format_ago(draft.updated_at)
            )
            return f"{draft.title or 'Untitled'}\n{format_duration(draft.duration)} · {when}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._cover(draft)
        if role == Qt.ItemDataRole.ToolTipRole:
            tags = f"\nTags: {', '.join(draft.tags)}" if draft.tags else ""
            return (
                f"{draft.title or 'Untitled'}\n{format_duration(draft.duration)}, {draft.clip_count} clips"
                f"\nLast edited {time.strftime('%Y-%m-%d %H:%M', time.localtime(draft.updated_at))}{tags}"
            )
        if role == self.IdRole:
            return draft.id
        if role == self.DraftRole:
            return draft
        return None


class DraftsBrowser(QWidget):
    """The drafts grid and its actions. ``openRequested(draft_id)`` asks the app to open one;
    ``publishRequested(draft_id)`` to publish one."""

    openRequested = Signal(int)
    publishRequested = Signal(int)
    changed = Signal()
    failed = Signal(str)

    def __init__(
        self, store: DraftStore, parent: QWidget | None = None, *, runner: JobRunner | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self._dispatcher = _GuiDispatcher(self)
        self._own_runner = runner is None
        self.runner = runner or JobRunner(workers=1, dispatcher=self._dispatcher.post)
        self.model = DraftsModel(store, self)
        self.last_message = ""

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search drafts, captions, tags")
        self.search.setClearButtonEnabled(True)
        self.sort = QComboBox()
        for label, _key, _desc in SORTS:
            self.sort.addItem(label)
        self.trash_toggle = QToolButton(text="Trash", checkable=True)
        self.view = QListView()
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setIconSize(COVER_SIZE)
        self.view.setGridSize(QSize(COVER_SIZE.width() + 48, COVER_SIZE.height() + 52))
        self.view.setWordWrap(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setModel(self.model)
        self.empty = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.status = QLabel()

        self.open_button = QPushButton("Open")
        self.publish_button = QPushButton("Publish…")
        self.publish_button.setToolTip("Publish the selected draft to TikTok")
        self.duplicate_button = QPushButton("Duplicate")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Move to trash")
        self.restore_button = QPushButton("Restore")
        self.forever_button = QPushButton("Delete forever…")
        self.export_button = QPushButton("Export…")
        self.history_button = QPushButton("History…")
        self.import_button = QPushButton("Import…")

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.sort)
        top.addWidget(self.trash_toggle)
        actions = QHBoxLayout()
        for button in (
            self.open_button,
            self.publish_button,
            self.duplicate_button,
            self.rename_button,
            self.history_button,
            self.delete_button,
            self.restore_button,
            self.forever_button,
            self.export_button,
            self.import_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)
        layout.addLayout(actions)
        layout.addWidget(self.status)

        self._search_timer = QTimer(self, singleShot=True, interval=150)
        self._search_timer.timeout.connect(self._apply_search)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.search.returnPressed.connect(self._apply_search)
        self.sort.currentIndexChanged.connect(self._apply_sort)
        self.trash_toggle.toggled.connect(self._apply_trash)
        self.view.doubleClicked.connect(
            lambda index: self._open_ids([self.model.data(index, DraftsModel.IdRole)])
        )
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.model.modelReset.connect(self._update_actions)
        self.model.rowsInserted.connect(lambda *_: self._update_actions())
        self.open_button.clicked.connect(self.open_selected)
        self.publish_button.clicked.connect(lambda: self.publish_selected())
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.duplicate_button.clicked.connect(self.duplicate_selected)
        self.rename_button.clicked.connect(lambda: self.rename_selected())
        self.delete_button.clicked.connect(self.delete_selected)
        self.restore_button.clicked.connect(self.restore_selected)
        self.forever_button.clicked.connect(lambda: self.delete_forever_selected())
        self.export_button.clicked.connect(lambda: self.export_selected())
        self.history_button.clicked.connect(lambda: self.show_history())
        self.import_button.clicked.connect(lambda: self.import_file())
        self.model.refresh()

    # -- state ----------------------------------------------------------------------------
    def _apply_search(self) -> None:
        self._search_timer.stop()
        self.model.set_query(search=self.search.text().strip())

    def _apply_sort(self, index: int) -> None:
        _label, key, descending = SORTS[index]
        self.model.set_query(sort=key, descending=descending)

    def _apply_trash(self, on: bool) -> None:
        self.model.set_query(trashed=on)

    def _update_actions(self) -> None:
        selected = bool(self.selected_ids())
        trash = self.model.trashed
        for button in (
            self.open_button,
            self.publish_button,
            self.duplicate_button,
            self.rename_button,
            self.history_button,
            self.export_button,
        ):
            button.setEnabled(selected and not trash)
            button.setVisible(not trash)
        self.delete_button.setVisible(not trash)
        self.delete_button.setEnabled(selected)
        self.restore_button.setVisible(trash)
        self.restore_button.setEnabled(selected)
        self.forever_button.setEnabled(selected)
        self.import_button.setVisible(not trash)
        empty = self.model.rowCount() == 0
        self.empty.setVisible(empty)
        if empty:
            self.empty.setText(
                "The trash is empty"
                if trash
                else "No drafts match your search"
                if self.model.search
                else "No drafts yet — start a project or import one"
            )

    def selected_ids(self) -> list[int]:
        rows = sorted(index.row() for index in self.view.selectionModel().selectedIndexes())
        return [self.model.draft_at(row).id for row in rows]

    def select_ids(self, ids: list[int]) -> None:
        selection = self.view.selectionModel()
        selection.clearSelection()
        for draft_id in ids:
            row = self.model.row_of(draft_id)
            if row is not None:
                selection.select(self.model.index(row), selection.SelectionFlag.Select)

    def _report(self, message: str) -> None:
        self.last_message = message
        self.status.setText(message)

    def _fail(self, exc: BaseException) -> None:
        message = str(exc) if isinstance(exc, DraftError | OSError) else f"Something went wrong: {exc}"
        self._report(message)
        self.failed.emit(message)

    def _after_change(self, message: str, select: list[int] | None = None) -> None:
        self.model.refresh()
        if select:
            self.select_ids(select)
        self._update_actions()
        self._report(message)
        self.changed.emit()

    # -- actions --------------------------------------------------------------------------
    def _open_ids(self, ids: list[int]) -> None:
        for draft_id in ids[:1]:
            self.openRequested.emit(int(draft_id))

    def open_selected(self) -> None:
        self._open_ids(self.selected_ids())

    def publish_selected(self) -> bool:
        """Publish the (first) selected draft: the app opens its publish dialog."""
        ids = self.selected_ids()
        if not ids or self.model.trashed:
            return False
        draft_id = ids[0]
        row = self.model.row_of(draft_id)
        title = self.model.draft_at(row).title if row is not None else ""
        if not self.isSignalConnected(QMetaMethod.fromSignal(self.publishRequested)):
            self._report(f"Publishing '{title}' is not available here")
            return False
        self.publishRequested.emit(draft_id)
        return True

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid() or self.model.trashed:
            return
        if index.row() not in {i.row() for i in self.view.selectionModel().selectedIndexes()}:
            self.select_ids([self.model.draft_at(index.row()).id])
        menu = QMenu(self)
        menu.addAction("Open", self.open_selected)
        menu.addAction("Publish…", lambda: self.publish_selected())
        menu.exec(self.view.viewport().mapToGlobal(pos))

    def duplicate_selected(self) -> list[int]:
        try:
            new = [self.store.duplicate(i) for i in self.selected_ids()]
        except DraftError as exc:
            self._fail(exc)
            return []
        self._after_change(f"Duplicated {len(new)} draft(s)", new)
        return new

    def rename_selected(self, title: str | None = None) -> bool:
        ids = self.selected_ids()
        if len(ids) != 1:
            return False
        current = self.store.get_draft(ids[0]).title
        if title is None:
            title, ok = QInputDialog.getText(self, "Rename draft", "Title:", text=current)
            if not ok:
                return False
        try:
            self.store.rename(ids[0], title)
        except DraftError as exc:
            self._fail(exc)
            return False
        self._after_change(f"Renamed to {title.strip()}", ids)
        return True

    def show_history(self, *, modal: bool = True) -> RevisionsDialog | None:
        ids = self.selected_ids()
        if len(ids) != 1:
            return None
        dialog = RevisionsDialog(self.store, ids[0], self)
        dialog.restored.connect(lambda _rev: self._after_change("Restored an earlier version", ids))
        if modal:
            dialog.exec()
        else:
            dialog.show()
        return dialog

    def delete_selected(self) -> None:
        ids = self.selected_ids()
        for draft_id in ids:
            self.store.trash(draft_id)
        self._after_change(f"Moved {len(ids)} draft(s) to the trash — restore them from Trash")

    def restore_selected(self) -> None:
        ids = self.selected_ids()
        for draft_id in ids:
            self.store.restore_from_trash(draft_id)
        self._after_change(f"Restored {len(ids)} draft(s)")

    def delete_forever_selected(self, *, confirm: bool = True) -> bool:
        ids = self.selected_ids()
        if not ids:
            return False
        if confirm:
            answer = QMessageBox.warning(
                self,
                "Delete forever",
                f"Erase {len(ids)} draft(s), their history and cached files? This cannot be undone.",
                QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Discard,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                return False
        self._report("Erasing…")
        self.runner.submit(
            lambda ctx: self.store.delete_forever(ids),
            name="delete drafts forever",
            on_success=lambda _: self._after_change(f"Erased {len(ids)} draft(s)"),
            on_failure=self._fail,
        )
        return True

    def export_selected(self, path: str | None = None, *, with_media: bool | None = None) -> None:
        ids = self.selected_ids()
        if len(ids) != 1:
            return
        draft = self.store.get_draft(ids[0])
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export draft", f"{draft.title or 'draft'}.csdraft", "Creator Studio drafts (*.csdraft)"
            )
            if not path:
                return
        if with_media is None:
            with_media = (
                QMessageBox.question(self, "Export draft", "Include the media files?")
                == QMessageBox.StandardButton.Yes
            )
        from studio.drafts.bundle import export_bundle

        target = path
        self._report("Exporting…")
        self.runner.submit(
            lambda ctx: export_bundle(self.store, draft.id, target, with_media=bool(with_media)),
            name="export draft",
            on_success=lambda out: self._report(f"Exported to {out}"),
            on_failure=self._fail,
        )

    def import_file(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Import draft", "", "Drafts and projects (*.csdraft *.json);;All files (*)"
            )
            if not path:
                return
        from studio.drafts.bundle import import_any

        source = path
        self._report("Importing…")
        self.runner.submit(
            lambda ctx: import_any(self.store, source),
            name="import draft",
            on_success=lambda new_id: self._after_change(f"Imported {Path(source).name}", [new_id]),
            on_failure=self._fail,
        )

    def closeEvent(self, event: Any) -> None:
        if self._own_runner:
            self.runner.shutdown(wait=True, cancel=False)
        super().closeEvent(event)


class RevisionsDialog(QDialog):
    """A draft's history, newest first: what each version changed against the current one, and
    "Restore this version" (a new current revision with the old content; nothing is lost)."""

    restored = Signal(int)

    def __init__(self, store: DraftStore, draft_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from studio.drafts.recovery import describe_changes, json_diff

        self._describe, self._diff = describe_changes, json_diff
        self.store = store
        self.draft_id = draft_id
        self.setWindowTitle(f"History of “{store.get_draft(draft_id).title or 'Untitled'}”")
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Saved", "Kind", "Note", "Size"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.diff = QPlainTextEdit(readOnly=True)
        self.diff.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.restore_button = QPushButton("Restore this version")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.restore_button.clicked.connect(self.restore_selected)
        self.table.itemSelectionChanged.connect(self._show_selected)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.diff)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self.resize(760, 560)
        self.reload()

    def reload(self) -> None:
        self.revisions = self.store.revisions(self.draft_id)
        self.table.setRowCount(len(self.revisions))
        for row, rev in enumerate(self.revisions):
            note = ("Current version. " if rev.is_head else "") + rev.label
            cells = (
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(rev.created_at)),
                rev.kind,
                note,
                f"{rev.size / 1024:.1f} KiB",
            )
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        if self.revisions:
            self.table.selectRow(0)

    def _show_selected(self) -> None:
        rows = {index.row() for index in self.table.selectedIndexes()}
        if not rows:
            return
        rev = self.revisions[min(rows)]
        self.restore_button.setEnabled(not rev.is_head)
        current = self.store.get_project_doc(self.draft_id)
        chosen = self.store.get_project_doc(self.draft_id, rev.id)
        changes = self._describe(current, chosen)
        summary = (
            "\n".join(f"{c.what}: {c.before} → {c.after}" for c in changes) or "Same title, length and clips."
        )
        body = self._diff(current, chosen) or "(identical to the current version)"
        self.diff.setPlainText(f"Compared with the current version:\n{summary}\n\n{body}")

    def restore_selected(self) -> int | None:
        rows = {index.row() for index in self.table.selectedIndexes()}
        if not rows:
            return None
        rev = self.revisions[min(rows)]
        new_rev = self.store.restore_revision(self.draft_id, rev.id)
        self.restored.emit(new_rev)
        self.reload()
        return new_rev
