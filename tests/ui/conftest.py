"""Fixtures for the UI tests: small clips made with PyAV and a main window driven offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from studio import threadguard
from studio.ui.editor.window.main_window import MainWindow
from tests.media.fixtures import make_text_file, make_truncated, make_video

CLIP_FPS = 30.0
CLIP_SECONDS = 2.0


@pytest.fixture(autouse=True)
def gui_thread_only_draws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A database wait, a query or a PyAV open by the UI on the GUI thread raises in every UI test."""
    monkeypatch.setenv(threadguard.ENV, "raise")
    threadguard.mark_gui_thread()
    yield
    threadguard.unmark_gui_thread()


@pytest.fixture(scope="session")
def ui_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 2 s 72x128 clip whose frames carry their index, a cut-short copy and a fake .mp4."""
    folder = tmp_path_factory.mktemp("ui-media")
    clip = make_video(folder / "dance.mp4", 72, 128, CLIP_FPS, CLIP_SECONDS, audio=False)
    return {
        "clip": clip,
        "second": make_video(folder / "intro.mp4", 72, 128, 25.0, 1.0, audio=False),
        "truncated": make_truncated(clip, folder / "broken.mp4", 0.4),
        "text": make_text_file(folder / "notes.mp4"),
    }


@pytest.fixture
def studio_window(qtbot: QtBot) -> Iterator[MainWindow]:
    """A real main window, shown offscreen; closed (threads stopped) after the test."""
    window = MainWindow()
    window.confirm_unsaved = False  # no "save changes?" box when the test closes it
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()
