"""One post in detail: views since posting, traffic sources, territories, the draft it came
from, and a comparison with another post (its curve over the first, day by day since posting)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.analytics.models import PostDetail, PostRow, SeriesPoint
from studio.ui.analytics.charts import SeriesChart
from studio.ui.analytics.posts import count, pct, posted, seconds

SOURCE_NAMES = {
    "for_you": "For You feed",
    "fyp": "For You feed",
    "following": "Following feed",
    "profile": "Your profile",
    "search": "Search",
    "sound": "Sound page",
    "hashtag": "Hashtag page",
    "personal_profile": "Your profile",
    "other": "Other",
}


def label(key: str, names: dict[str, str] | None) -> str:
    """A source's name, a territory's ISO code as it is ("US"), anything else capitalised."""
    if names and key in names:
        return names[key]
    if len(key) == 2 and key.isalpha():
        return key.upper()
    return key.replace("_", " ").capitalize()


def share_rows(values: dict[str, int], names: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """``(name, count, share)`` per entry, largest first."""
    total = sum(values.values()) or 1
    rows = sorted(values.items(), key=lambda kv: -kv[1])
    return [(label(k, names), f"{v:,}", f"{v / total * 100:.1f}%") for k, v in rows]


def since_posting(points: Sequence[SeriesPoint], start: dt.date) -> list[SeriesPoint]:
    """Re-date a since-posting series to start at ``start`` (to overlay two posts by age)."""
    return [SeriesPoint(start + dt.timedelta(days=i), p.value, p.kind) for i, p in enumerate(points)]


class PostDetailDialog(QDialog):
    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("postDetail")
        self.setWindowTitle("Post details")
        self.resize(760, 600)
        self.controller = controller
        self.account_id = ""
        self.video_id = ""
        self.detail: PostDetail | None = None
        self.other: PostDetail | None = None
        self.rows: list[PostRow] = []
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.heading.setOpenExternalLinks(True)
        self.facts = QFormLayout()
        self.chart = SeriesChart("Views since posting", "views", additive=False)
        self.chart.setObjectName("postViewsChart")
        self.compare_combo = QComboBox()
        self.compare_combo.setObjectName("comparePost")
        self.compare_combo.currentIndexChanged.connect(self._compare_chosen)
        self.sources = self._tree("Traffic source")
        self.territories = self._tree("Territory")
        compare = QHBoxLayout()
        compare.addWidget(QLabel("Compare with:"))
        compare.addWidget(self.compare_combo, 1)
        tables = QHBoxLayout()
        tables.addWidget(self.sources)
        tables.addWidget(self.territories)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(self.facts)
        layout.addLayout(compare)
        layout.addWidget(self.chart, 1)
        layout.addLayout(tables)

    @staticmethod
    def _tree(what: str) -> QTreeWidget:
        tree = QTreeWidget()
        tree.setHeaderLabels([what, "Views", "Share"])
        tree.setRootIsDecorated(False)
        tree.setMaximumHeight(170)
        return tree

    def open_post(self, account_id: str, video_id: str, rows: Sequence[PostRow]) -> None:
        self.account_id, self.video_id = account_id, video_id
        self.rows = list(rows)
        self.detail = self.other = None
        self.heading.setText("Reading the post's numbers…")
        self.compare_combo.blockSignals(True)
        self.compare_combo.clear()
        self.compare_combo.addItem("(nothing)", "")
        for row in self.rows:
            if row.video_id != video_id:
                self.compare_combo.addItem(row.title or row.video_id, row.video_id)
        self.compare_combo.blockSignals(False)
        self.chart.set_compare(None)
        self.controller.post_detail(account_id, video_id, self._loaded, self.heading.setText)

    def _loaded(self, detail: PostDetail) -> None:
        if detail.row.video_id != self.video_id:
            return
        self.detail = detail
        row = detail.row
        link = f" · <a href='{row.share_url}'>open on the platform</a>" if row.share_url else ""
        self.heading.setText(f"<b>{row.title or '(untitled)'}</b><br>Posted {posted(row.created_at)}{link}")
        while self.facts.rowCount():
            self.facts.removeRow(0)
        draft = (
            f"Draft #{row.draft_id} (published from Creator Studio)"
            if row.draft_id is not None
            else "Not published from Creator Studio"
        )
        tags = " ".join(f"#{t}" for t in row.hashtags) or "—"
        for label, value in (
            (
                "Views · likes · comments · shares",
                " · ".join(count(v) for v in (row.views, row.likes, row.comments, row.shares)),
            ),
            (
                "Engagement · full watch · avg watch",
                f"{pct(row.engagement_rate)} · {pct(row.full_watch_rate)} · {seconds(row.avg_watch_time_s)}",
            ),
            (
                "Views at 24 h · 72 h · 7 d",
                " · ".join(count(v) for v in (row.views_24h, row.views_72h, row.views_7d)),
            ),
            ("Hashtags", tags),
            ("Came from", draft),
        ):
            self.facts.addRow(label + ":", QLabel(value))
        self.chart.set_series(detail.views_since_posting, row.title or "this post")
        self._fill(
            self.sources,
            detail.traffic_sources,
            SOURCE_NAMES,
            "The server gives no traffic sources for this post.",
        )
        self._fill(
            self.territories, detail.territories, None, "The server gives no territories for this post."
        )
        self._compare_chosen(self.compare_combo.currentIndex())

    @staticmethod
    def _fill(tree: QTreeWidget, values: dict[str, int], names: dict[str, str] | None, none: str) -> None:
        tree.clear()
        if not values:
            item = QTreeWidgetItem([none, "", ""])
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            tree.addTopLevelItem(item)
            return
        for name, views, share in share_rows(values, names):
            item = QTreeWidgetItem([name, views, share])
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight)
            tree.addTopLevelItem(item)
        tree.resizeColumnToContents(0)

    def _compare_chosen(self, index: int) -> None:
        other = self.compare_combo.itemData(index) if index >= 0 else ""
        if not other or self.detail is None:
            self.chart.set_compare(None)
            return

        def show(detail: PostDetail) -> None:
            if self.detail is None or self.compare_combo.currentData() != detail.row.video_id:
                return
            self.other = detail
            start = (
                self.detail.views_since_posting[0].day if self.detail.views_since_posting else dt.date.today()
            )
            self.chart.set_compare(
                since_posting(detail.views_since_posting, start),
                detail.row.title or "other post",
                dated=False,
            )

        self.controller.post_detail(self.account_id, str(other), show)
