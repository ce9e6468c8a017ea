"""The drafts browser's model: a lazily filled list of drafts (search, sort, trash).

:class:`DraftsModel` fetches rows from the store in pages (``canFetchMore``/``fetchMore``), so
10,000 drafts open as fast as 100: the view asks for more only as it scrolls. The GUI thread only
draws: every read of the store runs in the job runner's ``"db"`` lane and its result is applied
on the GUI thread when it arrives (pages are inserted as they come, the model says ``loading``
meanwhile). Covers are decoded on a worker when a cell is first painted and kept in a small cache.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap

from studio.drafts import DraftInfo, DraftStore
from studio.jobs.runner import JobHandle, JobRunner
from studio.ui.jobs import Op, make_gui_runner

ModelIndex = QModelIndex | QPersistentModelIndex

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
