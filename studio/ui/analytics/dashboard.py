"""The analytics dashboard: KPI cards, daily charts, top posts, the best-time heatmap and the
posts table for one account over a chosen range.

Where it lives: the window's central area becomes two tabs, "Editor" and "Analytics"
(:func:`studio.ui.analytics.entry.attach`). A dashboard needs the width and height the editor
has; a dock would squeeze both, and a separate window gets lost behind the editor. The tab bar
shows only while there is an account (the demo one counts); without one the editor looks as it
always did.

The GUI thread only draws: a range change, a new sync or a click on a post asks the
:class:`~studio.ui.analytics.controller.AnalyticsController`, which queries in a job (or answers
from its cache); :meth:`AnalyticsDashboard.show_data` then only sets data on existing items.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio.analytics.models import Overview
from studio.sync.engine import EngineStatus
from studio.ui.analytics.cards import KpiStrip
from studio.ui.analytics.charts import BarChart, HeatmapChart, SeriesChart
from studio.ui.analytics.controller import AnalyticsController, DashboardData
from studio.ui.analytics.posts import PostsPanel
from studio.ui.analytics.texts import NO_ACCOUNT, NO_DATA, banner_text, best_text, sync_line

RANGES = (
    ("7d", "Last 7 days"),
    ("28d", "Last 28 days"),
    ("60d", "Last 60 days"),
    ("365d", "Last 365 days"),
    ("all", "All time"),
    ("custom", "Custom…"),
)
DEFAULT_RANGE = "28d"
TICK_MS = 30_000


class AnalyticsDashboard(QWidget):
    """One account's numbers over one range; see the module docstring."""

    accountsRequested = Signal()
    postOpened = Signal(object)  # the PostDetailDialog shown

    def __init__(self, controller: AnalyticsController, sync: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("analyticsDashboard")
        self.controller = controller
        self.sync = sync
        self.account_id: str | None = None
        self.data: DashboardData | None = None
        self.stale = True
        self.detail: Any = None

        # header: account, range, comparison, sync state
        self.account_combo = QComboBox()
        self.account_combo.setObjectName("analyticsAccount")
        self.account_combo.currentIndexChanged.connect(self._account_chosen)
        self.account_label = QLabel()
        self.account_label.setObjectName("analyticsAccountLabel")
        self.range_combo = QComboBox()
        self.range_combo.setObjectName("analyticsRange")
        for key, label in RANGES:
            self.range_combo.addItem(label, key)
        self.range_combo.setCurrentIndex([k for k, _ in RANGES].index(DEFAULT_RANGE))
        self.range_combo.currentIndexChanged.connect(self._range_chosen)
        self.from_edit, self.to_edit = QDateEdit(), QDateEdit()
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
            edit.setVisible(False)
        today = QDate.currentDate()
        self.from_edit.setDate(today.addDays(-27))
        self.to_edit.setDate(today)
        self.apply_custom = QPushButton("Show")
        self.apply_custom.setVisible(False)
        self.apply_custom.clicked.connect(self.reload)
        self.compare_box = QCheckBox("Compare with the previous period")
        self.compare_box.setObjectName("analyticsCompare")
        self.compare_box.toggled.connect(lambda _on: self.reload())
        self.sync_label = QLabel()
        self.sync_label.setObjectName("analyticsSynced")
        self.busy_label = QLabel("Updating…")
        self.busy_label.setVisible(False)
        header = QHBoxLayout()
        title = QLabel("<span style='font-size:15pt; font-weight:600'>Analytics</span>")
        header.addWidget(title)
        header.addWidget(self.account_label)
        header.addWidget(self.account_combo)
        header.addStretch(1)
        header.addWidget(self.busy_label)
        header.addWidget(self.sync_label)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Range:"))
        controls.addWidget(self.range_combo)
        self._dash = QLabel("–")
        self._dash.setVisible(False)
        for w in (self.from_edit, self._dash, self.to_edit, self.apply_custom):
            controls.addWidget(w)
        controls.addSpacing(12)
        controls.addWidget(self.compare_box)
        controls.addStretch(1)
        self.range_note = QLabel()
        self.range_note.setObjectName("analyticsRangeNote")
        controls.addWidget(self.range_note)
        self.export_days = QPushButton("Export days CSV…")
        self.export_days.setToolTip(
            "Every day of the range with each metric, the totals and the previous period"
        )
        self.export_days.clicked.connect(
            lambda: self.data is not None and self.export_rows(self.data.overview)
        )
        controls.addWidget(self.export_days)

        self.offline_banner = QLabel()
        self.offline_banner.setObjectName("analyticsOffline")
        self.offline_banner.setWordWrap(True)
        self.offline_banner.setStyleSheet(
            "QLabel { background: rgba(255, 176, 32, 0.18); border: 1px solid rgba(255, 176, 32, 0.55);"
            " border-radius: 6px; padding: 6px 10px; }"
        )
        self.offline_banner.setVisible(False)

        # the empty state
        self.empty_page = QWidget()
        self.empty_label = QLabel(NO_ACCOUNT)
        self.empty_label.setObjectName("analyticsEmpty")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setMaximumWidth(520)
        self.empty_button = QPushButton("Open Accounts…")
        self.empty_button.clicked.connect(self._empty_action)
        empty = QVBoxLayout(self.empty_page)
        empty.addStretch(1)
        empty.addWidget(self.empty_label, 0, Qt.AlignmentFlag.AlignHCenter)
        empty.addWidget(self.empty_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty.addStretch(2)

        # the numbers
        self.kpis = KpiStrip()
        self.views_chart = SeriesChart("Views per day", "views")
        self.views_chart.setObjectName("viewsChart")
        self.followers_chart = SeriesChart("Followers", "followers", additive=False)
        self.followers_chart.setObjectName("followersChart")
        self.top_chart = BarChart("Top posts by views", "views")
        self.top_chart.setObjectName("topPostsChart")
        self.top_chart.barClicked.connect(self.open_post)
        self.heatmap = HeatmapChart("Best time to post")
        self.heatmap.setObjectName("bestTimeHeatmap")
        self.best_label = QLabel()
        self.best_label.setWordWrap(True)
        self.posts = PostsPanel()
        self.posts.postActivated.connect(self.open_post)
        self.posts.exportRequested.connect(self.export_rows)
        content = QWidget()
        grid = QGridLayout(content)
        grid.setContentsMargins(0, 0, 4, 0)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(14)
        grid.addWidget(self.kpis, 0, 0, 1, 2)
        grid.addWidget(self.views_chart, 1, 0)
        grid.addWidget(self.followers_chart, 1, 1)
        grid.addWidget(self.top_chart, 2, 0)
        heat = QVBoxLayout()
        heat.setSpacing(2)
        heat.addWidget(self.heatmap, 1)
        heat.addWidget(self.best_label)
        grid.addLayout(heat, 2, 1)
        grid.addWidget(self.posts, 3, 0, 1, 2)
        grid.setRowMinimumHeight(1, 240)
        grid.setRowMinimumHeight(2, 250)
        grid.setRowMinimumHeight(3, 300)
        for row in (1, 2, 3):
            grid.setRowStretch(row, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(content)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_page)
        self.stack.addWidget(self.scroll_area)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addLayout(header)
        layout.addLayout(controls)
        layout.addWidget(self.offline_banner)
        layout.addWidget(self.stack, 1)

        controller.loaded.connect(self._loaded)
        controller.failed.connect(self._failed)
        controller.invalidated.connect(self._invalidated)
        controller.busyChanged.connect(self.busy_label.setVisible)
        sync.statusChanged.connect(self._status_changed)
        sync.accountsChanged.connect(self.set_accounts)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._update_sync_line)
        self._tick.start()
        self.set_accounts(list(sync.accounts))
        self._status_changed(sync.status)

    # ------------------------------------------------------------------ choosing

    def range_text(self) -> str:
        key = str(self.range_combo.currentData())
        if key != "custom":
            return key
        first, last = self.from_edit.date().toPython(), self.to_edit.date().toPython()
        if first > last:
            first, last = last, first
        return f"{first:%Y-%m-%d}..{last:%Y-%m-%d}"

    def set_range(self, text: str) -> None:
        """Pick a range: a preset key or "FROM..TO" (ISO days)."""
        keys = [k for k, _ in RANGES]
        if text in keys:
            self.range_combo.setCurrentIndex(keys.index(text))
            return
        first, _, last = text.partition("..")
        self.range_combo.blockSignals(True)
        self.range_combo.setCurrentIndex(keys.index("custom"))
        self.range_combo.blockSignals(False)
        self._show_custom(True)
        self.from_edit.setDate(QDate(dt.date.fromisoformat(first)))
        self.to_edit.setDate(QDate(dt.date.fromisoformat(last)))
        self.reload()

    def _show_custom(self, custom: bool) -> None:
        for w in (self.from_edit, self.to_edit, self.apply_custom, self._dash):
            w.setVisible(custom)

    def _range_chosen(self, _index: int) -> None:
        custom = self.range_combo.currentData() == "custom"
        self._show_custom(custom)
        if custom and self.data is not None:  # start from the range shown
            self.from_edit.setDate(QDate(self.data.range.first))
            self.to_edit.setDate(QDate(self.data.range.last))
        self.reload()

    def set_accounts(self, accounts: list[Any]) -> None:
        accounts = list(accounts)
        self.account_combo.blockSignals(True)
        self.account_combo.clear()
        for account in accounts:
            self.account_combo.addItem(account.label, account.id)
        self.account_combo.blockSignals(False)
        ids = [a.id for a in accounts]
        if self.account_id not in ids:
            active = next((a.id for a in accounts if a.active), ids[0] if ids else None)
            self.account_id = active
            self.stale = True
        if self.account_id is not None:
            self.account_combo.setCurrentIndex(ids.index(self.account_id))
        self.account_combo.setVisible(len(accounts) > 1)
        self.account_label.setVisible(len(accounts) == 1)
        self.account_label.setText(accounts[0].label if len(accounts) == 1 else "")
        if self.account_id is None:
            self._show_empty(NO_ACCOUNT, "Open Accounts…")
        elif self.stale and self.isVisible():
            self.reload()

    def _account_chosen(self, index: int) -> None:
        account_id = self.account_combo.itemData(index)
        if account_id and account_id != self.account_id:
            self.account_id = str(account_id)
            self.reload()

    # ------------------------------------------------------------------ loading

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.stale:
            self.reload()

    def reload(self) -> None:
        """Ask for the chosen view (the cache answers at once; else a job does)."""
        if self.account_id is None:
            self._show_empty(NO_ACCOUNT, "Open Accounts…")
            return
        if not self.isVisible():
            self.stale = True
            return
        self.stale = False
        self.controller.load(self.account_id, self.range_text(), self.compare_box.isChecked())

    def _invalidated(self, account_id: str) -> None:
        if not account_id or account_id == self.account_id:
            self.stale = True
            if self.isVisible():
                self.reload()

    def _loaded(self, data: DashboardData) -> None:
        if data.account_id != self.account_id:
            return
        self.show_data(data)

    def _failed(self, account_id: str, text: str) -> None:
        if account_id == self.account_id:
            self.range_note.setText(text)

    # ------------------------------------------------------------------ drawing

    def show_data(self, data: DashboardData) -> None:
        """Put a queried view on screen: setData on the existing items, nothing rebuilt."""
        self.data = data
        if data.empty:
            self._show_empty(NO_DATA, "Sync now")
            self._update_sync_line()
            return
        self.stack.setCurrentWidget(self.scroll_area)
        overview = data.overview
        rng, prev = overview.range, overview.previous
        self.range_note.setText(
            f"{rng.first:%d %b %Y} – {rng.last:%d %b %Y} ({rng.days} days, {rng.tz}) · "
            f"compared with {prev.first:%d %b} – {prev.last:%d %b %Y}"
        )
        self.kpis.set_kpis(overview.kpis)
        self.views_chart.set_series(overview.daily.get("views", []), rng.label)
        followers = data.followers or overview.daily.get("followers", [])
        self.followers_chart.set_series(followers, rng.label)
        if data.compare is not None:
            self.views_chart.set_compare(data.compare.daily.get("views", []), "Previous period")
            self.followers_chart.set_compare(data.compare.daily.get("followers", []), "Previous period")
        else:
            self.views_chart.set_compare(None)
            self.followers_chart.set_compare(None)
        self.top_chart.set_bars([(p.video_id, p.title or "(untitled)", p.views or 0) for p in data.top])
        self.heatmap.set_cells(data.best.cells, data.best.tz)
        self.best_label.setText(best_text(data.best))
        self.posts.set_rows(data.posts)
        self._update_sync_line()

    def _show_empty(self, text: str, button: str) -> None:
        self.empty_label.setText(text)
        self.empty_button.setText(button)
        self.stack.setCurrentWidget(self.empty_page)

    def _empty_action(self) -> None:
        if self.empty_button.text() == "Sync now" and self.account_id is not None:
            self.sync.sync_now(self.account_id)
        else:
            self.accountsRequested.emit()

    def _status_changed(self, status: EngineStatus) -> None:
        banner = banner_text(status)
        self.offline_banner.setText(banner)
        self.offline_banner.setVisible(bool(banner))
        self._update_sync_line()

    def _update_sync_line(self) -> None:
        status = self.sync.status
        last = status.last_sync_at
        if last is None and self.data is not None:
            last = self.data.overview.last_synced_at
        text, tip = sync_line(status, last)
        self.sync_label.setText(text)
        self.sync_label.setToolTip(tip)

    # ------------------------------------------------------------------ posts

    def open_post(self, video_id: str) -> Any:
        """The detail for one post (queried in a job); the dialog fills in when it arrives."""
        if self.account_id is None:
            return None
        from studio.ui.analytics.detail import PostDetailDialog

        if self.detail is None:
            self.detail = PostDetailDialog(self.controller, self)
        rows = self.data.posts if self.data is not None else []
        self.detail.open_post(self.account_id, video_id, rows)
        self.detail.show()
        self.detail.raise_()
        self.postOpened.emit(self.detail)
        return self.detail

    def export_rows(self, rows: Any, path: str | None = None) -> None:
        """Posts (a list of rows) or the days of an overview as CSV; asks where without ``path``."""
        what = "days" if isinstance(rows, Overview) else "posts"
        if path is None:
            label = self.data.range.label if self.data is not None else ""
            name = f"{what}-{label.lower().replace(' ', '-')}.csv"
            path, _ = QFileDialog.getSaveFileName(self, f"Export {what} as CSV", name, "CSV files (*.csv)")
            if not path:
                return
        self.controller.export_csv(rows, path, self._said)

    def _said(self, text: str) -> None:
        self.range_note.setText(text)
        window = self.window()
        if hasattr(window, "show_message"):
            window.show_message(text)
