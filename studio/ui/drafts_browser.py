"""The drafts browser: a lazily filled grid of drafts with search, sort, trash, import/export.

:class:`DraftsModel` fetches rows from the store in pages (``canFetchMore``/``fetchMore``), so
10,000 drafts open as fast as 100: the view asks for more only as it scrolls. The GUI thread only
draws: every read and write of the store runs in the job runner's ``"db"`` lane and its result is
applied on the GUI thread when it arrives (pages are inserted as they come, the model says
``loading`` meanwhile). Covers are decoded on a worker when a cell is first painted and kept in a
small cache. Slow work (bundle export or import with media) runs on the job runner too.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
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
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.changes import ChangeSummary, summarize_changes
from studio.drafts import DraftError, DraftInfo, DraftStore, RevisionInfo
from studio.jobs.runner import JobHandle, JobRunner
from studio.ui.change_summary import ChangeSummaryView
from studio.ui.filmstrip import VersionsComparison, duration_of, format_length, strip_cache
from studio.ui.jobs import Op, make_gui_runner

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


class DraftsModel(QAbstractListModel):
    """The drafts of one query (search, sort, trash), read from the store in pages in the job
    runner's ``"db"`` lane: :meth:`refresh` and :meth:`fetchMore` return at once and the rows are
    put in when they arrive (``loading`` meanwhile; ``loaded`` after each page). Covers are decoded
    on a worker into a :class:`QImage` and cached; ``data()`` never touches the disk."""

    IdRole = Qt.ItemDataRole.UserRole + 1
    DraftRole = Qt.ItemDataRole.UserRole + 2
    BATCH = 120
    COVER_CACHE = 400

    loadingChanged = Signal(bool)
    loaded = Signal()
    failed = Signal(str)

    def __init__(
        self, store: DraftStore, parent: QObject | None = None, *, runner: JobRunner | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.runner = runner or make_gui_runner(self)
        self._rows: list[DraftInfo] = []
        self._exhausted = True  # nothing to fetch until the first refresh
        self._loading = False
        self._generation = 0  # bumped by each refresh: pages of an older query are dropped
        self.search: str | None = None
        self.sort = "updated"
        self.descending = True
        self.trashed = False
        self._covers: OrderedDict[str, QIcon] = OrderedDict()
        self._covers_pending: set[str] = set()
        self._covers_missing: set[str] = set()
        self._blank_cover: QIcon | None = None
        self._scrub: tuple[int, QIcon] | None = None  # hovered draft: the frame under the mouse
        self.scrub_frame: Any = None  # that frame's RGB array

    # -- query ----------------------------------------------------------------------------
    def set_query(
        self,
        *,
        search: str | None = None,
        sort: str | None = None,
        descending: bool | None = None,
        trashed: bool | None = None,
    ) -> JobHandle[list[DraftInfo]]:
        self.search = (search or None) if search is not None else self.search
        self.sort = sort or self.sort
        self.descending = self.descending if descending is None else descending
        self.trashed = self.trashed if trashed is None else trashed
        return self.refresh()

    @property
    def loading(self) -> bool:
        """A page is being read; the rows shown are the ones from before."""
        return self._loading

    def _set_loading(self, on: bool) -> None:
        if on != self._loading:
            self._loading = on
            self.loadingChanged.emit(on)

    def _list(self, limit: int, offset: int = 0) -> Op[list[DraftInfo]]:
        store, query = self.store, (self.search, self.sort, self.descending, self.trashed)
        search, sort, descending, trashed = query
        return Op(
            self.runner,
            lambda _ctx: store.list_drafts(
                search=search, sort=sort, descending=descending, trashed=trashed, limit=limit, offset=offset
            ),
            name="List drafts",
            lane="db",
        )

    def refresh(self) -> JobHandle[list[DraftInfo]]:
        """Re-read from the store in the background, keeping as many rows loaded as before; the
        rows shown stay until the new ones arrive."""
        wanted = max(self.BATCH, len(self._rows))
        self._generation += 1
        generation = self._generation
        self._set_loading(True)
        return (
            self._list(wanted)
            .success(lambda rows: self._reset(generation, rows, wanted))
            .failure(lambda exc: self._load_failed(generation, exc))
            .run()
        )

    def _reset(self, generation: int, rows: list[DraftInfo], wanted: int) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self.beginResetModel()
        self._rows = rows
        self._exhausted = len(rows) < wanted
        self.endResetModel()
        self.loadingChanged.emit(False)
        self.loaded.emit()

    def _load_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._set_loading(False)
        self.failed.emit(f"The drafts could not be read: {exc}")

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:
        """Read the next page in the background; its rows are inserted when it arrives."""
        if parent.isValid() or self._exhausted or self._loading:
            return
        generation, offset = self._generation, len(self._rows)
        self._set_loading(True)
        self._list(self.BATCH, offset).success(lambda more: self._append(generation, offset, more)).failure(
            lambda exc: self._load_failed(generation, exc)
        ).run()

    def _append(self, generation: int, offset: int, more: list[DraftInfo]) -> None:
        if generation != self._generation or offset != len(self._rows):
            return
        self._exhausted = len(more) < self.BATCH
        self._loading = False  # before the insert: the view may ask for the next page right away
        if more:
            self.beginInsertRows(QModelIndex(), offset, offset + len(more) - 1)
            self._rows.extend(more)
            self.endInsertRows()
        self.loadingChanged.emit(False)
        self.loaded.emit()

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

    def set_scrub(self, draft_id: int | None, icon: QIcon | None = None, frame: Any = None) -> None:
        """Show ``icon`` instead of the cover of ``draft_id`` (None: every draft its cover)."""
        changed = {d for d in (self._scrub[0] if self._scrub else None, draft_id) if d is not None}
        self._scrub = (draft_id, icon) if draft_id is not None and icon is not None else None
        self.scrub_frame = frame if self._scrub is not None else None
        for draft_id_changed in changed:
            row = self.row_of(draft_id_changed)
            if row is not None:
                self.dataChanged.emit(self.index(row), self.index(row), [Qt.ItemDataRole.DecorationRole])

    def has_cover(self, path: str) -> bool:
        """Whether the cover at ``path`` is decoded and cached."""
        return path in self._covers

    def _cover(self, draft: DraftInfo) -> QIcon:
        """The cached cover; the blank one while it is decoded in the background (or missing)."""
        path = draft.cover_path
        if not path or path in self._covers_missing:
            return self._blank_cover_icon()
        icon = self._covers.get(path)
        if icon is not None:
            self._covers.move_to_end(path)
            return icon
        if path not in self._covers_pending:
            self._covers_pending.add(path)
            Op(self.runner, lambda _ctx: _decode_cover(path), name="Draft cover").success(
                lambda image: self._cover_decoded(path, image)
            ).failure(lambda _exc: self._cover_decoded(path, QImage())).run()
        return self._blank_cover_icon()

    def _cover_decoded(self, path: str, image: QImage) -> None:
        self._covers_pending.discard(path)
        if image.isNull():
            self._covers_missing.add(path)
            return
        self._covers[path] = QIcon(QPixmap.fromImage(image))
        while len(self._covers) > self.COVER_CACHE:
            self._covers.popitem(last=False)
        for row, draft in enumerate(self._rows):
            if draft.cover_path == path:
                index = self.index(row)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

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
            if self._scrub is not None and self._scrub[0] == draft.id:
                return self._scrub[1]
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


def _decode_cover(path: str) -> QImage:
    """Read and scale a cover (on a worker: QImage needs no GUI thread); null when unreadable."""
    image = QImage(path)
    if image.isNull():
        return image
    return image.scaled(
        COVER_SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


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
        from studio.ui.draft_covers import CoverScrubber

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
        from studio.ui.draft_details_dialog import open_details  # title, caption, tags

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
        from studio.ui.draft_covers import set_cover_at

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
        ids = self.selected_ids()
        if not ids:
            return None
        store = self.store

        def trash() -> None:
            for draft_id in ids:
                store.trash(draft_id)

        return self._write(
            trash,
            "Move drafts to the trash",
            lambda _: self._after_change(f"Moved {len(ids)} draft(s) to the trash — restore them from Trash"),
        )

    def restore_selected(self) -> JobHandle[None] | None:
        ids = self.selected_ids()
        if not ids:
            return None
        store = self.store

        def restore() -> None:
            for draft_id in ids:
                store.restore_from_trash(draft_id)

        return self._write(
            restore, "Restore drafts", lambda _: self._after_change(f"Restored {len(ids)} draft(s)")
        )

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


HISTORY_READS = "the history dialog reads the versions it compares (one draft's, on demand)"


@dataclass
class _History:
    """A draft's history as read in the background: revisions newest first and their documents."""

    title: str
    revisions: list[RevisionInfo]
    docs: list[dict[str, Any]]
    summaries: list[ChangeSummary | None]
    durations: list[float | None]
    base_dir: str | None


class RevisionsDialog(QDialog):
    """A draft's history, newest first: what each version changed against the one before it, what
    going back to it would change, the raw difference behind "Details", and "Restore this version"
    (a new current revision with the old content; nothing is lost). Each chosen version shows a
    filmstrip with its length, the current one above it at the same moments (choose two rows to
    compare them with each other), the change summary between the two strips.

    The history is read in the job runner's ``"db"`` lane (``loaded`` when it is shown); restoring
    writes there too, then ``restored(revision_id)`` and the history is read again."""

    restored = Signal(int)
    loaded = Signal()

    def __init__(
        self,
        store: DraftStore,
        draft_id: int,
        parent: QWidget | None = None,
        *,
        runner: JobRunner | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(parent)
        from studio.drafts.recovery import describe_changes, json_diff

        self._describe, self._diff = describe_changes, json_diff
        self.store = store
        self.draft_id = draft_id
        self.runner = runner or make_gui_runner(self)
        self.revisions: list[RevisionInfo] = []
        self._docs: list[dict[str, Any]] = []
        self._base_dir: str | None = None
        self._generation = 0
        self._set_title(title)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["Saved", "Kind", "Note", "Changes", "Length", "Size"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.ExtendedSelection)
        self.summary_view = ChangeSummaryView(self.GOING_BACK)
        self.diff = self.summary_view.diff
        self.comparison = VersionsComparison(self.summary_view, "Current version", "This version")
        self.strips = self.comparison.strips
        self._strip_cache = strip_cache(store.cache_dir)
        self.status = QLabel()
        self.restore_button = QPushButton("Restore this version")
        self.restore_button.setEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.restore_button.clicked.connect(self.restore_selected)
        self.table.itemSelectionChanged.connect(self._show_selected)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.comparison)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(820, 680)
        self.reload()

    GOING_BACK = "Going back to this version would change:"
    BETWEEN = "From the older to the newer of the two versions:"

    def _set_title(self, title: str | None) -> None:
        self.setWindowTitle("History" if title is None else f"History of “{title or 'Untitled'}”")

    def reload(self) -> JobHandle[_History]:
        """Read the history in the background; the table is filled when it arrives."""
        store, draft_id = self.store, self.draft_id
        self._generation += 1
        generation = self._generation
        self.status.setText("Loading the history…")

        def read(_ctx: object) -> _History:
            title = store.get_draft(draft_id).title
            revisions = store.revisions(draft_id)
            docs = [store.get_project_doc(draft_id, rev.id) for rev in revisions]
            summaries = [
                summarize_changes(docs[row + 1], docs[row]) if row + 1 < len(docs) else None
                for row in range(len(docs))
            ]
            base = store.base_dir(draft_id)
            durations = [duration_of(d) for d in docs]
            return _History(title, revisions, docs, summaries, durations, str(base) if base else None)

        return (
            Op(self.runner, read, name="Read draft history", lane="db")
            .success(lambda history: self._show_history(generation, history))
            .failure(lambda exc: self._failed(generation, exc))
            .run()
        )

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self.status.setText(f"The history could not be read: {exc}")

    def _show_history(self, generation: int, history: _History) -> None:
        if generation != self._generation:
            return
        self.status.setText("")
        self._set_title(history.title)
        self.revisions, self._docs, self._base_dir = history.revisions, history.docs, history.base_dir
        self.table.setRowCount(len(self.revisions))
        for row, rev in enumerate(self.revisions):
            note = ("Current version. " if rev.is_head else "") + rev.label
            summary = history.summaries[row]
            cells = (
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(rev.created_at)),
                rev.kind,
                note,
                summary.text(3, "; ") if summary is not None else "first version",
                format_length(d) if (d := history.durations[row]) is not None else "?",
                f"{rev.size / 1024:.1f} KiB",
            )
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
            if summary is not None:
                self.table.item(row, 3).setToolTip(summary.text(None))
        self.table.resizeColumnsToContents()
        if self.revisions:
            self.table.clearSelection()
            self.table.selectRow(0)
        self.loaded.emit()

    def _selected_rows(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        return [r for r in rows if r < len(self.revisions)]

    def _version_name(self, row: int) -> str:
        rev = self.revisions[row]
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(rev.created_at))
        return f"{'Current version' if rev.is_head else 'Version'} of {when}"

    def _show_selected(self) -> None:
        rows = self._selected_rows()
        if not rows:
            return
        if len(rows) >= 2:  # two versions: the older one above, the newer one below
            newer, older = rows[0], rows[-1]
            self.restore_button.setEnabled(False)
            self.summary_view.heading.setText(self.BETWEEN)
            self._compare(self._docs[older], self._docs[newer], names=(older, newer))
            return
        row = rows[0]
        rev = self.revisions[row]
        self.restore_button.setEnabled(not rev.is_head)
        self.summary_view.heading.setText(self.GOING_BACK)
        head = next((i for i, r in enumerate(self.revisions) if r.is_head), None)
        chosen = self._docs[row]
        if head is not None:
            self._compare(self._docs[head], chosen, names=(head, row))
            return
        store, draft_id, generation = self.store, self.draft_id, self._generation
        Op(self.runner, lambda _ctx: store.get_project_doc(draft_id), name="Read draft", lane="db").success(
            lambda current: (
                self._compare(current, chosen, names=(None, row)) if generation == self._generation else None
            )
        ).failure(lambda exc: self._failed(generation, exc)).run()

    def _compare(
        self, current: dict[str, Any], chosen: dict[str, Any], *, names: tuple[int | None, int] | None = None
    ) -> None:
        if names is not None:
            first, second = names
            self.comparison.compare(
                self.runner,
                (self._version_name(first) if first is not None else "Current version", current),
                (self._version_name(second), chosen),
                base_dir=self._base_dir,
                cache=self._strip_cache,
            )
        changes = self._describe(current, chosen)
        facts = (
            "\n".join(f"{c.what}: {c.before} → {c.after}" for c in changes) or "Same title, length and clips."
        )
        body = self._diff(current, chosen) or "(identical to the current version)"
        self.summary_view.set_summary(
            summarize_changes(current, chosen), f"Compared with the current version:\n{facts}\n\n{body}"
        )

    def restore_selected(self) -> JobHandle[int] | None:
        """Restore the selected version in the background; ``restored`` and a reload follow."""
        rows = self._selected_rows()
        if len(rows) != 1:
            return None
        rev = self.revisions[rows[0]]
        store, draft_id = self.store, self.draft_id
        self.restore_button.setEnabled(False)
        self.status.setText("Restoring…")
        return (
            Op(
                self.runner,
                lambda _ctx: store.restore_revision(draft_id, rev.id),
                name="Restore version",
                lane="db",
            )
            .success(self._restored)
            .failure(lambda exc: self.status.setText(f"That version could not be restored: {exc}"))
            .run()
        )

    def done(self, result: int) -> None:
        self.comparison.cancel()  # the strips still being rendered are not needed any more
        super().done(result)

    def _restored(self, new_rev: int) -> None:
        self.restored.emit(new_rev)
        self.reload()
