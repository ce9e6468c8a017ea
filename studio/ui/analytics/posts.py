"""The posts table: a model over :class:`PostRow`, sorted and filtered on the rows already
fetched (no query for a keystroke), with "Export CSV…" writing in a job."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio.analytics.models import PostRow

Index = QModelIndex | QPersistentModelIndex


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} s" if value < 60 else f"{int(value) // 60}:{int(value) % 60:02d}"


def posted(value: float) -> str:
    return dt.datetime.fromtimestamp(value).strftime("%d %b %Y %H:%M")


@dataclass(frozen=True)
class Column:
    key: str  # the PostRow field (and the CSV column)
    title: str
    show: Callable[[Any], str]
    tip: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("title", "Post", lambda v: v or "(untitled)"),
    Column("created_at", "Posted", posted, "Local time"),
    Column("views", "Views", count),
    Column("likes", "Likes", count),
    Column("comments", "Comments", count),
    Column("shares", "Shares", count),
    Column("engagement_rate", "Engagement", pct, "(likes + comments + shares) / views"),
    Column("avg_watch_time_s", "Avg watch", seconds, "Average watch time"),
    Column("full_watch_rate", "Full watch", pct, "Share of views that watched to the end"),
    Column("views_24h", "Views 24 h", count, "Views 24 hours after posting"),
    Column("views_72h", "Views 72 h", count, "Views 72 hours after posting"),
    Column("views_7d", "Views 7 d", count, "Views 7 days after posting"),
)
NUMERIC = {c.key for c in COLUMNS} - {"title"}
SAMPLES = {"created_at": "28 Sep 2026 23:59", "engagement_rate": "100.0%", "full_watch_rate": "100.0%"}


def sort_key(key: str) -> Callable[[PostRow], Any]:
    if key == "title":
        return lambda row: (row.title or "").casefold()
    return lambda row: -math.inf if getattr(row, key) is None else float(getattr(row, key))


def matches(row: PostRow, words: list[str]) -> bool:
    hay = " ".join((row.title, *row.hashtags, row.video_id)).casefold()
    return all(word in hay for word in words)


class PostsModel(QAbstractTableModel):
    """All the range's posts (``rows``) and those shown (``shown``: filtered, then sorted by
    Python's sort on the raw values; a proxy model would call ``data()`` n log n times)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[PostRow] = []
        self.shown: list[PostRow] = []
        self.sort_column = 2
        self.order = Qt.SortOrder.DescendingOrder
        self.words: list[str] = []

    def set_rows(self, rows: Sequence[PostRow]) -> None:
        self.rows = list(rows)
        self._refresh()

    def set_needle(self, text: str) -> None:
        self.words = text.strip().casefold().replace("#", " ").split()
        self._refresh()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sort_column, self.order = column, order
        self._refresh()

    def _refresh(self) -> None:
        shown = [r for r in self.rows if matches(r, self.words)] if self.words else list(self.rows)
        key = COLUMNS[self.sort_column].key
        descending = self.order == Qt.SortOrder.DescendingOrder
        shown.sort(key=sort_key(key), reverse=descending)
        if key != "title":  # unknown numbers last, whichever the order
            shown = [r for r in shown if getattr(r, key) is not None] + [
                r for r in shown if getattr(r, key) is None
            ]
        self.beginResetModel()
        self.shown = shown
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.shown)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self.shown[index.row()], COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.show(getattr(row, column.key))
        if role == Qt.ItemDataRole.TextAlignmentRole and column.key in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column.key == "title":
            tags = " ".join(f"#{t}" for t in row.hashtags)
            draft = f"\nFrom draft #{row.draft_id}" if row.draft_id is not None else ""
            return f"{row.title}{chr(10) + tags if tags else ''}{draft}\nDouble-click for the details"
        if role == Qt.ItemDataRole.UserRole:
            return row.video_id
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section].tip or None
        return None


class PostsPanel(QWidget):
    """Filter box, the table and Export CSV…; a double-click (or Enter) opens a post."""

    postActivated = Signal(str)  # video id
    exportRequested = Signal(list)  # the rows as shown (filtered and sorted)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PostsModel(self)
        self.filter = QLineEdit()
        self.filter.setObjectName("postsFilter")
        self.filter.setPlaceholderText("Filter posts by title or #hashtag")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter)
        self.count_label = QLabel()
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setObjectName("exportCsv")
        self.export_button.clicked.connect(lambda: self.exportRequested.emit(self.shown_rows()))
        self.table = QTableView()
        self.table.setObjectName("postsTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        # widths from the font, once: ResizeToContents would measure every row on each update
        metrics = self.table.fontMetrics()
        header.setMinimumSectionSize(60)
        for i, column in enumerate(COLUMNS[1:], start=1):
            sample = SAMPLES.get(column.key, "1,234,567")
            width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(column.title) + 22)
            header.resizeSection(i, width + 16)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.doubleClicked.connect(self._activated)
        self.table.activated.connect(self._activated)
        top = QHBoxLayout()
        title = QLabel("<b>Posts</b>")
        top.addWidget(title)
        top.addWidget(self.filter, 1)
        top.addWidget(self.count_label)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

    def sizeHint(self) -> QSize:
        return QSize(900, 340)

    def set_rows(self, rows: Sequence[PostRow]) -> None:
        self.model.set_rows(rows)
        self._update_count()

    def _filter(self, text: str) -> None:
        self.model.set_needle(text)
        self._update_count()

    def _update_count(self) -> None:
        shown, total = len(self.model.shown), len(self.model.rows)
        self.count_label.setText(f"{shown} of {total} posts" if shown != total else f"{total} posts")
        self.export_button.setEnabled(shown > 0)

    def shown_rows(self) -> list[PostRow]:
        return list(self.model.shown)

    def _activated(self, index: QModelIndex) -> None:
        video_id = index.data(Qt.ItemDataRole.UserRole)
        if video_id:
            self.postActivated.emit(str(video_id))
