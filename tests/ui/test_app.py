"""`creator-studio gui`: start-up, window layout restored, no display, menus that work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from studio.config import app_paths, load_settings
from studio.ui.editor.window.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]


def run_gui(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "studio", "gui", *args],
        cwd=ROOT,
        env=env if env is not None else base,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_quit_when_shown_exits_cleanly_and_saves_the_layout(studio_home: Path) -> None:
    result = run_gui("--quit-when-shown")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    settings = json.loads(app_paths().settings_file.read_text())
    assert settings["window_geometry"] and settings["window_state"]
    log = (app_paths().logs / "studio.log").read_text()
    assert "window shown" in log and str(app_paths().data) in log  # where data lives is logged


def test_without_a_display_it_says_so_in_one_line(studio_home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    result = run_gui("--quit-when-shown", env=env)
    assert result.returncode == 2
    assert "no display" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_window_geometry_is_restored(qtbot: QtBot) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.resize(700, 500)
    first.splitter.setSizes([300, 520])
    qtbot.waitUntil(lambda: first.width() == 700)
    first.close()
    assert load_settings(app_paths()).extra["window_geometry"]

    second = MainWindow()
    qtbot.addWidget(second)
    second.restore_layout()
    second.show()
    qtbot.waitUntil(lambda: second.width() == 700 and second.height() == 500)
    assert second.splitter.sizes()[0] == 300
    second.close()


def test_menus_hold_only_working_entries(
    qtbot: QtBot, studio_window: MainWindow, monkeypatch: object
) -> None:
    titles = [a.text().replace("&", "") for a in studio_window.menuBar().actions()]
    assert titles[0] == "File" and titles[-1] == "Help"
    file_menu = studio_window.menuBar().actions()[0].menu()
    entries = [a.text().replace("&", "") for a in file_menu.actions() if not a.isSeparator()]
    assert entries[:5] == ["New Project", "Open Project…", "Open Recent", "Save", "Save As…"]
    assert "Import Media…" in entries and "Export Video…" in entries and entries[-1] == "Quit"
    for menu_action in studio_window.menuBar().actions():
        for action in menu_action.menu().actions():
            assert (
                action.isSeparator() or action.menu() is not None or action.receivers("2triggered(bool)") > 0
            )

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda _parent, _title, text: shown.append(text))
    studio_window.show_about()
    assert str(app_paths().data) in shown[0]


def test_theme_choice_changes_the_palette_and_is_kept(qtbot: QtBot) -> None:
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from studio.ui.theme import ThemeController

    app = QApplication.instance()
    theme = ThemeController(app, "light")
    light = app.palette().color(QPalette.ColorRole.Window).lightness()
    window = MainWindow(theme=theme)
    qtbot.addWidget(window)
    window.set_theme("dark")
    dark = app.palette().color(QPalette.ColorRole.Window).lightness()
    assert dark < 80 < light
    window.close()
    assert load_settings(app_paths()).theme == "dark"
    theme.apply("light")


def test_doctor_report_runs_in_the_background_and_fills_the_dialog(
    qtbot: QtBot, studio_window: MainWindow
) -> None:
    """The report comes from a child `creator-studio doctor --json`; the window stays live meanwhile."""
    import platform

    help_menu = studio_window.menuBar().actions()[-1].menu()
    action = next(a for a in help_menu.actions() if "Doctor" in a.text())
    action.trigger()
    dialog = studio_window._doctor_dialog
    assert dialog is not None and dialog.isVisible()
    assert "Collecting" in dialog.text.toPlainText()
    qtbot.waitUntil(lambda: "libx264" in dialog.text.toPlainText(), timeout=60000)
    assert platform.python_version() in dialog.text.toPlainText()
    dialog.close()
