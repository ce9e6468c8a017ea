"""The drafts browser: the grid of drafts (:class:`~studio.ui.drafts.model.DraftsModel`) with
search, sort, trash, and the actions on the selected drafts: open, publish, duplicate, rename,
history, trash and restore, delete forever, export and import of ``.csdraft`` bundles, covers.

The GUI thread only draws: every write of the store runs in the job runner's ``"db"`` lane and
its result is applied on the GUI thread when it arrives. Slow work (bundle export or import with
media) runs on the job runner too. The history dialog is :mod:`studio.ui.drafts.revisions_dialog`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMetaMethod, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.drafts import DraftError, DraftStore
from studio.jobs.runner import JobHandle, JobRunner
from studio.ui.drafts.model import COVER_SIZE, DraftsModel, format_duration
from studio.ui.drafts.revisions_dialog import RevisionsDialog
from studio.ui.jobs import Op, make_gui_runner

SORTS = [
    ("Last edited", "updated", True),
    ("Newest", "created", True),
    ("Title", "title", False),
    ("Longest", "duration", True),
]


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
        self._own_runner = runner is None
        self.runner = runner or make_gui_runner(self)
        self.model = DraftsModel(store, self, runner=self.runner)
        self.last_message = ""
        self._select_when_loaded: list[int] | None = None

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
        from studio.ui.drafts.covers import CoverScrubber

        self.scrubber = CoverScrubber(self.view, self.model, store, self.runner)
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
        self.model.loadingChanged.connect(lambda _on: self._update_actions())
        self.model.loaded.connect(self._rows_loaded)
        self.model.failed.connect(self._report)
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
                "Loading drafts…"
                if self.model.loading
                else "The trash is empty"
                if trash
                else "No drafts match your search"
                if self.model.search
                else "No drafts yet — start a project or import one"
            )

    def selected_ids(self) -> list[int]:
        rows = sorted(index.row() for index in self.view.selectionModel().selectedIndexes())
        return [self.model.draft_at(row).id for row in rows]

    def select_ids(self, ids: list[int]) -> None:
        """Select these drafts; those not loaded yet are selected when the next page arrives."""
        if self.model.loading:
            self._select_when_loaded = list(ids)
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

    def _rows_loaded(self) -> None:
        ids, self._select_when_loaded = self._select_when_loaded, None
        if ids:
            self.select_ids(ids)
        self._update_actions()

    def _after_change(self, message: str, select: list[int] | None = None) -> None:
        """A write finished (on the GUI thread): say so, re-read the list, select ``select`` in it."""
        self.model.refresh()
        self._select_when_loaded = list(select) if select else None
        self._update_actions()
        self._report(message)
        self.changed.emit()

    def _write(self, fn: Callable[[], Any], name: str, done: Callable[[Any], None]) -> JobHandle[Any]:
        """Run a store write in the ``"db"`` lane; ``done(result)`` or the error's sentence follow."""
        return (
            Op(self.runner, lambda _ctx: fn(), name=name, lane="db").success(done).failure(self._fail).run()
        )

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
        from studio.ui.drafts.details_dialog import open_details  # title, caption, tags

        menu.addAction("Details…", lambda: open_details(self))
        where = self.scrubber.position(pos)
        if where is not None:
            draft_id, t = self.model.draft_at(where[0]).id, where[2]
            menu.addAction(
                f"Set frame at {format_duration(t)} as cover", lambda: self.set_cover_at(draft_id, t)
            )
        menu.exec(self.view.viewport().mapToGlobal(pos))

    def set_cover_at(self, draft_id: int, t: float) -> JobHandle[Any]:
        """Make the draft's frame at ``t`` its cover (rendered and stored in the background)."""
        from studio.ui.drafts.covers import set_cover_at

        return set_cover_at(
            self.runner,
            self.store,
            draft_id,
            t,
            lambda at: self._after_change(f"Cover set to the frame at {format_duration(at)}", [draft_id]),
            self._fail,
        )

    def duplicate_selected(self) -> JobHandle[list[int]] | None:
        """Duplicate the selected drafts in the background; the copies are selected when listed."""
        ids = self.selected_ids()
        if not ids:
            return None
        store = self.store
        return self._write(
            lambda: [store.duplicate(i) for i in ids],
            "Duplicate drafts",
            lambda new: self._after_change(f"Duplicated {len(new)} draft(s)", new),
        )

    def rename_selected(self, title: str | None = None) -> bool:
        """Ask for a title (or take ``title``) and rename in the background; False when nothing
        is renamed (no single selection, or the creator cancelled)."""
        ids = self.selected_ids()
        if len(ids) != 1:
            return False
        row = self.model.row_of(ids[0])
        current = self.model.draft_at(row).title if row is not None else ""
        if title is None:
            title, ok = QInputDialog.getText(self, "Rename draft", "Title:", text=current)
            if not ok:
                return False
        store, new_title = self.store, title
        self._write(
            lambda: store.rename(ids[0], new_title),
            "Rename draft",
            lambda _rev: self._after_change(f"Renamed to {new_title.strip()}", ids),
        )
        return True

    def show_history(self, *, modal: bool = True) -> RevisionsDialog | None:
        ids = self.selected_ids()
        if len(ids) != 1:
            return None
        row = self.model.row_of(ids[0])
        title = self.model.draft_at(row).title if row is not None else None
        dialog = RevisionsDialog(self.store, ids[0], self, runner=self.runner, title=title)
        dialog.restored.connect(lambda _rev: self._after_change("Restored an earlier version", ids))
        if modal:
            dialog.exec()
        else:
            dialog.show()
        return dialog

    def delete_selected(self) -> JobHandle[None] | None:
        return self._each_selected(
            self.store.trash,
            "Move drafts to the trash",
            lambda n: f"Moved {n} draft(s) to the trash — restore them from Trash",
        )

    def restore_selected(self) -> JobHandle[None] | None:
        return self._each_selected(
            self.store.restore_from_trash, "Restore drafts", lambda n: f"Restored {n} draft(s)"
        )

    def _each_selected(
        self, change: Callable[[str], object], label: str, done: Callable[[int], str]
    ) -> JobHandle[None] | None:
        """``change(draft_id)`` for every selected draft in one write job (``label``), then
        the grid is refreshed and ``done(count)`` said."""
        ids = self.selected_ids()
        if not ids:
            return None

        def run() -> None:
            for draft_id in ids:
                change(draft_id)

        return self._write(run, label, lambda _: self._after_change(done(len(ids))))

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
        store = self.store
        self._write(
            lambda: store.delete_forever(ids),
            "Delete drafts forever",
            lambda _: self._after_change(f"Erased {len(ids)} draft(s)"),
        )
        return True

    def export_selected(self, path: str | None = None, *, with_media: bool | None = None) -> None:
        ids = self.selected_ids()
        if len(ids) != 1:
            return
        row = self.model.row_of(ids[0])
        title = self.model.draft_at(row).title if row is not None else ""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export draft", f"{title or 'draft'}.csdraft", "Creator Studio drafts (*.csdraft)"
            )
            if not path:
                return
        if with_media is None:
            with_media = (
                QMessageBox.question(self, "Export draft", "Include the media files?")
                == QMessageBox.StandardButton.Yes
            )
        from studio.drafts.bundle import export_bundle

        target, store, draft_id = path, self.store, ids[0]
        self._report("Exporting…")
        Op(
            self.runner,
            lambda _ctx: export_bundle(store, draft_id, target, with_media=bool(with_media)),
            name="Export draft",
        ).success(lambda out: self._report(f"Exported to {out}")).failure(self._fail).run()

    def import_file(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Import draft", "", "Drafts and projects (*.csdraft *.json);;All files (*)"
            )
            if not path:
                return
        from studio.drafts.bundle import import_any

        source, store = path, self.store
        self._report("Importing…")
        Op(self.runner, lambda _ctx: import_any(store, source), name="Import draft").success(
            lambda new_id: self._after_change(f"Imported {Path(source).name}", [new_id])
        ).failure(self._fail).run()

    def closeEvent(self, event: Any) -> None:
        if self._own_runner:
            self.runner.shutdown(wait=True, cancel=False)
        super().closeEvent(event)
