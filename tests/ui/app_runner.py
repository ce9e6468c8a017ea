"""Run the whole app in-process (``creator-studio gui``) until a condition holds, then close it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from studio.ui.editor.window.main_window import MainWindow


def run_app_until(
    monkeypatch: pytest.MonkeyPatch, done: Callable[[MainWindow], bool], timeout_ms: int = 60_000
) -> tuple[int, MainWindow]:
    """``gui.main`` with no files; every 100 ms ``done(window)`` is asked and, once true, the
    window is closed. A guard closes it after ``timeout_ms`` so a hang fails instead of stalling
    the suite (both timers are stopped before returning, so neither fires in a later test).
    Returns the exit code and the window."""
    import argparse

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.ui import app as gui

    monkeypatch.setattr(gui, "_route_qt_messages", lambda: None)  # keep pytest-qt's handler
    before = set(QApplication.topLevelWidgets())
    windows: list[MainWindow] = []

    def poll() -> None:
        window = next(
            (w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w not in before), None
        )
        if window is None:
            return
        if not windows:
            windows.append(window)
            window.confirm_unsaved = False
        if done(window):
            window.close()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(100)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(lambda: [w.close() for w in windows])
    guard.start(timeout_ms)
    code = gui.main(argparse.Namespace(files=[], quit_when_shown=False, screenshot=None))
    timer.stop()
    guard.stop()
    assert windows, "the app never showed its main window"
    return code, windows[0]
