"""Draft covers from the renderer: a new draft gets its first picture that is not black, the
creator can set the frame under the mouse as the cover, and hovering a draft scrubs its
filmstrip. The clips carry their frame index (tests.media.fixtures), so a picture says which
frame it is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from studio.core.edits import AddClip, History
from studio.core.project import Project, Track, VideoClip
from studio.drafts import DraftStore
from studio.render.filmstrip import is_black, render_frame, strip_times
from studio.ui.drafts import session as draft_session
from studio.ui.drafts.browser import DraftsBrowser
from studio.ui.drafts.covers import SCRUB_FRAMES
from studio.ui.editor.window.main_window import MainWindow
from tests.media.fixtures import read_index

pytestmark = pytest.mark.gui

FPS = 30.0


def _gray(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float32).mean(axis=2)


def _cover(store: DraftStore, draft_id: int) -> np.ndarray:
    path = store.get_draft(draft_id).cover_path
    assert path
    return np.asarray(Image.open(path).convert("RGB"))


def test_a_new_draft_whose_first_second_is_black_gets_a_cover_that_is_not(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]
) -> None:
    session, lock = draft_session.start(studio_window)
    assert session is not None and lock is not None
    try:
        studio_window.set_history(History(Project(tracks=[Track("v1", "video")])), None)
        clip = VideoClip("c1", str(ui_media["clip"]), 0.0, 2.0, 1.0)  # nothing before 1 s: black
        studio_window.timeline_model.do(AddClip("v1", clip))
        qtbot.waitUntil(
            lambda: (
                session.draft_id is not None and bool(session.store.get_draft(session.draft_id).cover_path)
            ),
            timeout=30000,
        )
        assert is_black(render_frame(studio_window.project, 0.5, 96))  # the premise: a black first second
        cover = _cover(session.store, session.draft_id)  # type: ignore[arg-type]
        gray = _gray(cover)
        assert cover.shape[:2] == (640, 360)
        assert not is_black(cover) and gray.std() > 30 and gray[320:].mean() > 80  # a real picture
        assert read_index(gray) == 0  # the first frame shown: the clip's first, at 1 s
    finally:
        session.close()
        session.store.close()
        lock.release()  # type: ignore[attr-defined]


def _doc(clip: Path) -> dict[str, Any]:
    return {
        "schema_version": 2,
        "title": "Dance",
        "canvas": {"width": 1080, "height": 1920, "fps": FPS},
        "tracks": [
            {
                "id": "v1",
                "kind": "video",
                "clips": [{"id": "c1", "source": str(clip), "in_point": 0.0, "out_point": 2.0, "start": 0.0}],
            }
        ],
    }


@pytest.fixture
def browser(qtbot: QtBot, tmp_path: Path, ui_media: dict[str, Path]) -> Iterator[DraftsBrowser]:
    store = DraftStore(tmp_path / "drafts.sqlite3")
    store.create_draft(_doc(ui_media["clip"]))
    widget = DraftsBrowser(store)
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: not widget.model.loading and widget.model.rowCount() == 1, timeout=10000)
    yield widget
    widget.close()
    store.close()


def _at(browser: DraftsBrowser, fraction: float) -> QPoint:
    rect = browser.view.visualRect(browser.model.index(0))
    return QPoint(rect.left() + int(rect.width() * fraction), rect.center().y())


def _frame_index_at(fraction: float, duration: float = 2.0) -> int:
    times = strip_times(duration, SCRUB_FRAMES)
    return int(times[int(fraction * SCRUB_FRAMES)] * FPS + 1e-6)


def test_set_as_cover_from_the_context_menu_takes_the_frame_under_the_mouse(
    qtbot: QtBot, browser: DraftsBrowser
) -> None:
    draft_id = browser.model.draft_at(0).id
    assert browser.store.get_draft(draft_id).cover_path is None
    chosen: list[str] = []

    def pick_set_as_cover() -> None:  # the creator clicks the item in the open menu
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(50, pick_set_as_cover)
            return
        action = next(a for a in menu.actions() if a.text().endswith("as cover"))
        chosen.append(action.text())
        menu.close()
        action.trigger()

    QTimer.singleShot(50, pick_set_as_cover)
    with qtbot.waitSignal(browser.changed, timeout=30000):
        browser._context_menu(_at(browser, 0.9))
    assert chosen == ["Set frame at 0:01 as cover"]
    assert browser.last_message == "Cover set to the frame at 0:01"
    cover = _cover(browser.store, draft_id)
    assert abs(read_index(_gray(cover)) - _frame_index_at(0.9)) <= 1  # that frame, not the first
    qtbot.waitUntil(lambda: browser.model.draft_at(0).cover_path is not None, timeout=10000)


def _move(browser: DraftsBrowser, pos: QPoint) -> None:
    viewport = browser.view.viewport()
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(pos),
        QPointF(viewport.mapToGlobal(pos)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, event)


def test_hovering_a_draft_scrubs_its_filmstrip(qtbot: QtBot, browser: DraftsBrowser) -> None:
    model = browser.model
    placeholder = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    _move(browser, _at(browser, 0.1))
    qtbot.waitUntil(lambda: model.scrub_frame is not None, timeout=30000)  # rendered in the background
    left = read_index(_gray(model.scrub_frame))
    shown = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    assert shown.cacheKey() != placeholder.cacheKey()
    _move(browser, _at(browser, 0.9))  # the strip is kept: the next frame shows at once
    right = read_index(_gray(model.scrub_frame))
    assert abs(left - _frame_index_at(0.1)) <= 1 and abs(right - _frame_index_at(0.9)) <= 1
    assert left < right
    QApplication.sendEvent(browser.view.viewport(), QEvent(QEvent.Type.Leave))
    assert model.scrub_frame is None  # the cover is back
