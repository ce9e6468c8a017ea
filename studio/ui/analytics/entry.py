"""Where the dashboard is reached: an "Analytics" tab next to the editor (see dashboard.py's
docstring for why a tab), shown only while there is an account; View > Analytics goes there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QTabWidget

from studio.ui.analytics.controller import AnalyticsController
from studio.ui.analytics.dashboard import AnalyticsDashboard

if TYPE_CHECKING:
    from studio.ui.editor.window.main_window import MainWindow

EDITOR_TAB, ANALYTICS_TAB = 0, 1


def attach(window: MainWindow, sync: Any) -> AnalyticsDashboard:
    """Wrap the window's central widget in "Editor" / "Analytics" tabs; nothing is queried
    until the Analytics tab is shown with an account."""
    controller = AnalyticsController(window.runner, sync, window)
    dashboard = AnalyticsDashboard(controller, sync)
    dashboard.accountsRequested.connect(window.show_accounts)
    editor = window.takeCentralWidget()
    tabs = QTabWidget()
    tabs.setObjectName("mainTabs")
    tabs.setDocumentMode(True)
    tabs.addTab(editor, "Editor")
    tabs.addTab(dashboard, "Analytics")
    window.setCentralWidget(tabs)
    window.main_tabs = tabs
    window.analytics = dashboard

    def accounts_changed(accounts: list[Any]) -> None:
        there = bool(accounts)
        tabs.setTabVisible(ANALYTICS_TAB, there)
        tabs.tabBar().setVisible(there)
        action.setEnabled(there)
        if not there and tabs.currentIndex() == ANALYTICS_TAB:
            tabs.setCurrentIndex(EDITOR_TAB)

    action = window._action("&Analytics", lambda: show(window))
    window.menus["view"].addSeparator()
    window.menus["view"].addAction(action)
    window.analytics_action = action
    sync.accountsChanged.connect(accounts_changed)
    accounts_changed(list(sync.accounts))
    return dashboard


def show(window: MainWindow) -> AnalyticsDashboard | None:
    tabs = getattr(window, "main_tabs", None)
    if tabs is None or not tabs.isTabVisible(ANALYTICS_TAB):
        window.show_message("Analytics appear once an account is signed in (Account > Accounts…).")
        return None
    tabs.setCurrentIndex(ANALYTICS_TAB)
    return window.analytics  # type: ignore[no-any-return]


def analytics_visible(window: MainWindow) -> bool:
    tabs = getattr(window, "main_tabs", None)
    return tabs is not None and tabs.isTabVisible(ANALYTICS_TAB)
