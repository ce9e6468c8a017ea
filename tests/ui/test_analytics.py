"""The analytics dashboard against a real engine synced from a real in-process stand-in and the
real queries: the cards, the charts, the heatmap and the table show what ``Analytics`` says, a
range change re-queries in a job (no SQLite on the GUI thread), the tab follows the accounts,
an account without numbers gets the empty state, and the suite saves a screenshot."""

from __future__ import annotations

import csv
import math
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from backend_stub.server import StubServer
from studio.analytics.models import Kpi
from studio.analytics.queries import Analytics
from studio.analytics.ranges import local_tz
from studio.sync.engine import SyncEngine
from studio.sync.platform import stand_in_config
from studio.ui.accounts.controller import SyncController
from studio.ui.analytics.charts import day_x
from studio.ui.analytics.dashboard import AnalyticsDashboard
from studio.ui.analytics.entry import ANALYTICS_TAB
from studio.ui.analytics.texts import NO_DATA
from studio.ui.editor.window.main_window import MainWindow
from tests.ui.test_accounts import auto_approve, gui_io, off_gui  # noqa: F401 (gui_io: a fixture)
from tests.ui.test_screenshot import REFRESH_DOCS, ROOT

pytestmark = pytest.mark.gui

START = 1_790_000_000.0
WAIT_MS = 30_000
DOCS_IMAGE = ROOT / "docs" / "images" / "analytics.png"


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[StubServer]:
    with StubServer(tmp_path / "stub", seed=7, auto_approve=True, clock=START, clock_speed=0) as server:
        yield server


@pytest.fixture
def engine(studio_window: MainWindow, stub: StubServer) -> SyncEngine:
    platform = stand_in_config(stub.base_url, stub.demo_client_key, stub.demo_client_secret)
    return SyncEngine(studio_window.paths.ensure(), platform=platform, open_browser=auto_approve)


@pytest.fixture
def synced(engine: SyncEngine) -> str:
    """The demo creator signed in and synced once, on a thread of its own; its account id."""

    def work() -> str:
        account = engine.sign_in_demo()
        [(_acc, report)] = engine.run_once()
        assert report.new_posts > 0, report  # type: ignore[union-attr]
        return account.id

    return off_gui(work)


def attach(window: MainWindow, engine: SyncEngine, start: bool = True) -> SyncController:
    ctl = SyncController.for_window(window, engine=engine)
    window.attach_sync(ctl)
    window.attach_analytics(ctl)
    if start:
        ctl.start()
    return ctl


@pytest.fixture
def controller(
    qtbot: QtBot,
    studio_window: MainWindow,
    engine: SyncEngine,
    synced: str,
    gui_io: list[str],  # noqa: F811
) -> Iterator[SyncController]:
    """Sync and analytics attached to the window, after the first sync (the guard is on now)."""
    ctl = attach(studio_window, engine)
    # the engine's own first pass (the stand-in's clock stands still: its numbers are the same)
    qtbot.waitUntil(lambda: ctl.status.state == "synced", timeout=WAIT_MS)
    yield ctl
    assert ctl.shutdown(timeout=20.0)


def expected(engine: SyncEngine, account_id: str, text: str) -> dict[str, Any]:
    """What the real queries say, asked on a worker thread with a fresh cache."""

    def ask() -> dict[str, Any]:
        queries = Analytics(engine.store)  # type: ignore[arg-type]
        rng = queries.range(account_id, text, local_tz())
        return {
            "range": rng,
            "overview": queries.overview(account_id, rng),
            "posts": queries.posts(account_id, rng),
            "top": queries.top_posts(account_id, rng, n=8),
            "best": queries.best_time(account_id, rng.tz),
        }

    return off_gui(ask)


def card_text(kpi: Kpi) -> str:
    if kpi.value is None:
        return "—"
    return f"+{kpi.value:,}" if kpi.metric == "net_new_followers" and kpi.value > 0 else f"{kpi.value:,}"


def open_dashboard(qtbot: QtBot, window: MainWindow) -> AnalyticsDashboard:
    tabs = window.main_tabs  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: tabs.isTabVisible(ANALYTICS_TAB), timeout=WAIT_MS)
    dashboard = window.show_analytics()
    assert isinstance(dashboard, AnalyticsDashboard) and dashboard.objectName() == "analyticsDashboard"
    assert tabs.currentWidget() is dashboard and dashboard.isVisible()
    return dashboard


def wait_for(qtbot: QtBot, dashboard: AnalyticsDashboard, label: str) -> None:
    qtbot.waitUntil(
        lambda: (
            dashboard.data is not None
            and dashboard.data.range.label == label
            and not dashboard.controller.busy
        ),
        timeout=WAIT_MS,
    )


def check_matches(dashboard: AnalyticsDashboard, want: dict[str, Any]) -> None:
    overview = want["overview"]
    assert dashboard.data is not None and dashboard.data.range == want["range"]
    # the cards: values as the labels read, and the change's direction
    for metric, kpi in overview.kpis.items():
        card = dashboard.kpis.cards[metric]
        assert card.value.text() == card_text(kpi), metric
        delta = card.delta.text()
        if kpi.delta is None:
            assert delta == "not available" and card.toolTip().strip(), metric
        elif kpi.delta > 0:
            assert delta.startswith("▲"), (metric, delta)
        elif kpi.delta < 0:
            assert delta.startswith("▼"), (metric, delta)
    profile = dashboard.kpis.cards["profile_views"]
    assert profile.delta.text() == "not available" and "profile views" in profile.toolTip()
    # the views chart is the overview's daily series, drawn as it is (gaps stay gaps)
    views = overview.daily["views"]
    assert dashboard.views_chart.data() == ([p.day for p in views], [p.value for p in views])
    _x, y = dashboard.views_chart.curve.getData()
    assert len(y) == len(views)
    for drawn, point in zip(y, views, strict=True):
        assert (math.isnan(drawn) and point.value is None) or drawn == point.value
    known = next(i for i, p in enumerate(views) if p.value is not None)
    dashboard.views_chart.hover_at(QPointF(day_x(views[known].day), 0.0))
    hover = dashboard.views_chart.hover.text()
    assert f"{views[known].day:%d %b %Y}" in hover and f"{views[known].value:,} views" in hover
    assert dashboard.views_chart.vline.isVisible() and dashboard.views_chart.vline.value() == day_x(
        views[known].day
    )
    # the heatmap: 7 x 24 cells, each one's sample count in its hover text
    heat = dashboard.heatmap
    assert heat.cell_count == 168 and heat.image.image.shape == (24, 7)
    for cell in want["best"].cells:
        text = heat.describe(cell.weekday, cell.hour)
        assert f"{cell.samples} post" in text if cell.samples else "0 samples" in text
    busiest = max(want["best"].cells, key=lambda c: c.samples)
    heat.hover_at(QPointF(busiest.hour + 0.5, busiest.weekday + 0.5))
    assert heat.hover.text() == heat.describe(busiest.weekday, busiest.hour)
    # the table: the rows of posts() for the range; the bars: the top posts
    model = dashboard.posts.model
    assert model.rows == want["posts"]
    assert dashboard.posts.table.model().rowCount() == len(want["posts"])
    assert dashboard.top_chart.keys == [p.video_id for p in want["top"]]


def test_the_dashboard_shows_the_real_queries_and_ranges_requery_in_a_job(
    qtbot: QtBot,
    studio_window: MainWindow,
    engine: SyncEngine,
    synced: str,
    controller: SyncController,
    gui_io: list[str],  # noqa: F811
) -> None:
    dashboard = open_dashboard(qtbot, studio_window)
    wait_for(qtbot, dashboard, "Last 28 days")
    want = expected(engine, synced, "28d")
    assert want["posts"] and want["overview"].kpis["views"].value
    check_matches(dashboard, want)
    assert dashboard.stack.currentWidget() is dashboard.scroll_area
    assert dashboard.sync_label.text().startswith(("Last synced", "Syncing"))

    jobs = dashboard.controller.jobs
    dashboard.set_range("7d")  # a new range: a new query, in a job
    assert dashboard.controller.busy or dashboard.data.range.label == "Last 7 days"  # type: ignore[union-attr]
    wait_for(qtbot, dashboard, "Last 7 days")
    assert dashboard.controller.jobs > jobs
    check_matches(dashboard, expected(engine, synced, "7d"))

    dashboard.set_range("all")
    wait_for(qtbot, dashboard, "All time")
    check_matches(dashboard, expected(engine, synced, "all"))

    # going back to a range answers from the cache; drawing it is only setData on the items
    jobs = dashboard.controller.jobs
    dashboard.set_range("28d")
    assert dashboard.data.range.label == "Last 28 days" and dashboard.controller.jobs == jobs  # type: ignore[union-attr]
    year = dashboard.controller.cached(synced, "all")
    assert year is not None
    dashboard.show_data(year)  # the chart update's time is a bench figure, not a test
    check_matches(dashboard, expected(engine, synced, "all"))

    custom = "2026-08-01..2026-09-15"
    dashboard.set_range(custom)
    wait_for(qtbot, dashboard, "2026-08-01 – 2026-09-15")
    check_matches(dashboard, expected(engine, synced, custom))
    assert dashboard.from_edit.isVisible() and dashboard.to_edit.isVisible()

    # filter and sort on the rows already there (no query)
    jobs = dashboard.controller.jobs
    panel = dashboard.posts
    tag = next(t for p in panel.model.rows for t in p.hashtags)
    panel.filter.setText(f"#{tag}")
    assert 0 < panel.table.model().rowCount() <= len(panel.model.rows)
    assert all(tag in row.hashtags or tag in row.title.lower() for row in panel.shown_rows())
    panel.filter.clear()
    panel.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)  # likes, ascending
    likes = [r.likes for r in panel.shown_rows() if r.likes is not None]
    assert likes == sorted(likes)
    assert dashboard.controller.jobs == jobs
    assert gui_io == []


def test_compare_a_post_and_the_previous_period(
    qtbot: QtBot,
    tmp_path: Path,
    studio_window: MainWindow,
    engine: SyncEngine,
    synced: str,
    controller: SyncController,
    gui_io: list[str],  # noqa: F811
) -> None:
    dashboard = open_dashboard(qtbot, studio_window)
    wait_for(qtbot, dashboard, "Last 28 days")
    dashboard.compare_box.setChecked(True)
    qtbot.waitUntil(
        lambda: dashboard.data is not None and dashboard.data.compare is not None, timeout=WAIT_MS
    )
    previous = dashboard.data.compare.daily["views"]  # type: ignore[union-attr]
    assert dashboard.views_chart.compare_values == [p.value for p in previous]
    assert "Previous period" in dashboard.views_chart.hover.text()

    first = dashboard.posts.model.rows[0]
    detail = dashboard.open_post(first.video_id)
    qtbot.waitUntil(lambda: detail.detail is not None, timeout=WAIT_MS)
    want = off_gui(lambda: Analytics(engine.store).post(synced, first.video_id, local_tz()))  # type: ignore[arg-type]
    assert detail.chart.values == [p.value for p in want.views_since_posting]
    assert detail.sources.topLevelItemCount() == max(1, len(want.traffic_sources))
    assert detail.territories.topLevelItemCount() == max(1, len(want.territories))
    assert "Came from" in detail.facts.itemAt(detail.facts.rowCount() * 2 - 2).widget().text()
    detail.compare_combo.setCurrentIndex(1)
    qtbot.waitUntil(lambda: bool(detail.chart.compare_values), timeout=WAIT_MS)
    assert "(day 1)" in detail.chart.describe(0)
    assert detail.grab().save(str(tmp_path / "post-detail.png"), "PNG")
    detail.close()
    assert gui_io == []


def test_export_round_trips_and_new_numbers_requery(
    qtbot: QtBot,
    studio_window: MainWindow,
    synced: str,
    controller: SyncController,
    tmp_path: Path,
    gui_io: list[str],  # noqa: F811
) -> None:
    dashboard = open_dashboard(qtbot, studio_window)
    wait_for(qtbot, dashboard, "Last 28 days")
    shown = dashboard.posts.shown_rows()
    target = tmp_path / "posts.csv"
    dashboard.export_rows(shown, str(target))  # in a job: the GUI thread writes no file
    qtbot.waitUntil(lambda: "Saved posts.csv" in dashboard.range_note.text(), timeout=WAIT_MS)
    with target.open(newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert [r["video_id"] for r in table] == [p.video_id for p in shown]
    for line, row in zip(table, shown, strict=True):
        for key in ("views", "likes", "comments", "shares", "views_24h", "views_72h", "views_7d"):
            value = getattr(row, key)
            assert line[key] == ("" if value is None else str(value)), key
    days = tmp_path / "days.csv"
    dashboard.export_rows(dashboard.data.overview, str(days))  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: "Saved days.csv" in dashboard.range_note.text(), timeout=WAIT_MS)
    with days.open(newline="", encoding="utf-8") as fh:
        total = next(r for r in csv.DictReader(fh) if r["day"] == "total")
    assert total["views"] == str(dashboard.data.overview.kpis["views"].value)  # type: ignore[union-attr]

    # the engine says the account has new numbers: the cache goes, the visible range re-queries
    jobs = dashboard.controller.jobs
    before = dashboard.data
    controller.dataChanged.emit(synced)
    assert dashboard.controller.cached(synced, "28d") is None and dashboard.controller.jobs == jobs + 1
    qtbot.waitUntil(lambda: dashboard.data is not before and not dashboard.controller.busy, timeout=WAIT_MS)
    assert dashboard.data.overview == before.overview  # type: ignore[union-attr]  # the clock stands still
    assert gui_io == []


def test_the_tab_appears_only_with_an_account(
    qtbot: QtBot,
    studio_window: MainWindow,
    engine: SyncEngine,
    gui_io: list[str],  # noqa: F811
) -> None:
    ctl = attach(studio_window, engine)
    tabs = studio_window.main_tabs  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: ctl.started and studio_window.sync_status.text() == "No account", timeout=WAIT_MS)
    assert not tabs.isTabVisible(ANALYTICS_TAB) and not tabs.tabBar().isVisible()
    assert studio_window.show_analytics() is None and tabs.currentIndex() == 0
    assert ctl.sign_in(threading.Event(), open_browser=auto_approve) is not None
    qtbot.waitUntil(lambda: tabs.isTabVisible(ANALYTICS_TAB), timeout=WAIT_MS)
    assert tabs.tabBar().isVisible() and tabs.tabText(ANALYTICS_TAB) == "Analytics"
    assert ctl.shutdown(timeout=20.0)
    assert gui_io == []


def test_an_account_without_numbers_gets_the_empty_state(
    qtbot: QtBot,
    studio_window: MainWindow,
    engine: SyncEngine,
    gui_io: list[str],  # noqa: F811
) -> None:
    off_gui(engine.sign_in_demo)  # signed in, never synced (the engine thread is not started)
    ctl = attach(studio_window, engine, start=False)
    ctl.refresh_accounts()
    dashboard = open_dashboard(qtbot, studio_window)
    qtbot.waitUntil(lambda: dashboard.data is not None, timeout=WAIT_MS)
    assert dashboard.data.empty  # type: ignore[union-attr]
    assert dashboard.stack.currentWidget() is dashboard.empty_page
    assert dashboard.empty_label.text() == NO_DATA and dashboard.empty_label.text().startswith(
        "No numbers yet"
    )
    assert dashboard.empty_button.text() == "Sync now"
    assert ctl.shutdown(timeout=20.0)
    assert gui_io == []


def test_analytics_screenshot_light_and_dark(
    qtbot: QtBot,
    studio_window: MainWindow,
    synced: str,
    controller: SyncController,
    tmp_path: Path,
) -> None:
    from studio.ui.theme import dark_palette, light_palette

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    studio_window.resize(1440, 1180)
    dashboard = open_dashboard(qtbot, studio_window)
    wait_for(qtbot, dashboard, "Last 28 days")
    shots: dict[str, Path] = {}
    try:
        for name, palette in (("light", light_palette()), ("dark", dark_palette())):
            app.setPalette(palette)
            qtbot.wait(200)
            shots[name] = tmp_path / f"analytics-{name}.png"
            assert studio_window.grab().save(str(shots[name]), "PNG")
    finally:
        app.setPalette(before)
    for name, path in shots.items():
        image = QImage(str(path))
        assert not image.isNull() and image.width() >= 1200, name
        pink = sum(
            1
            for x in range(0, image.width(), 6)
            for y in range(0, image.height(), 6)
            if (c := image.pixelColor(x, y)).red() > 200 and c.green() < 110 and c.blue() < 140
        )
        assert pink > 200, (name, pink)  # the accent-coloured series, bars and heatmap are drawn
    if REFRESH_DOCS:
        DOCS_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        DOCS_IMAGE.write_bytes(shots["light"].read_bytes())
