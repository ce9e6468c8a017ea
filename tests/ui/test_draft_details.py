"""The drafts browser's Details… dialog: title, caption and tags, written in the background, and
the search then finds the draft by a tag or a caption word (real browser, offscreen)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from studio.drafts import DraftStore
from studio.ui.drafts.browser import DraftsBrowser
from studio.ui.drafts.details_dialog import DraftDetailsDialog, open_details, split_tags

pytestmark = pytest.mark.gui


def doc(title: str) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "title": title,
        "canvas": {"width": 1080, "height": 1920, "fps": 30},
        "tracks": [
            {"kind": "video", "clips": [{"source": f"{title}.mp4", "in": 0.0, "out": 2.0, "start": 0.0}]}
        ],
    }


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DraftStore]:
    s = DraftStore(tmp_path / "drafts.sqlite3")
    yield s
    s.close()


@pytest.fixture
def browser(qtbot: QtBot, store: DraftStore) -> DraftsBrowser:
    for title in ("Beach day", "Cooking pasta", "Gym routine"):
        store.create_draft(doc(title))
    store.set_tags(store.list_drafts(search="Cooking")[0].id, ["food"])
    widget = DraftsBrowser(store)
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: not widget.model.loading, timeout=10000)
    return widget


def titles(browser: DraftsBrowser) -> list[str]:
    model = browser.model
    return [
        model.data(model.index(r), Qt.ItemDataRole.DisplayRole).split("\n")[0]
        for r in range(model.rowCount())
    ]


def select(browser: DraftsBrowser, title: str) -> None:
    row = titles(browser).index(title)
    browser.view.selectionModel().select(
        browser.model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )


def search(qtbot: QtBot, browser: DraftsBrowser, text: str) -> list[str]:
    browser.search.setText(text)
    browser.search.returnPressed.emit()
    qtbot.waitUntil(
        lambda: not browser.model.loading and browser.model.search == (text or None), timeout=10000
    )
    return titles(browser)


def test_details_edit_caption_and_tags_then_search_finds_them(
    qtbot: QtBot, browser: DraftsBrowser, store: DraftStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    select(browser, "Cooking pasta")
    shown: list[list[str]] = []
    opened: list[DraftDetailsDialog | None] = []

    class Menu(QMenu):  # the context menu, without blocking: trigger "Details…"
        def exec(self, *_args: Any) -> None:  # type: ignore[override]
            texts = [a.text() for a in self.actions()]
            shown.append(texts)
            self.actions()[texts.index("Details…")].trigger()

    monkeypatch.setattr(
        "studio.ui.drafts.details_dialog.DraftDetailsDialog.show", lambda self: opened.append(self)
    )
    monkeypatch.setattr("studio.ui.drafts.browser.QMenu", Menu)
    index = browser.model.index(titles(browser).index("Cooking pasta"))
    browser._context_menu(browser.view.visualRect(index).center())
    assert "Details…" in shown[0] and len(opened) == 1
    dialog = opened[0]
    assert isinstance(dialog, DraftDetailsDialog)
    assert not dialog.title.isEnabled()  # read in the background first
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        pass
    assert dialog.title.text() == "Cooking pasta" and dialog.tag_list() == ["food"]

    dialog.title.setText("Pasta night")
    dialog.caption.setPlainText("Creamy carbonara in 10 minutes")
    dialog.new_tag.setText("#weeknight, quick")
    dialog.add_button.click()
    assert dialog.tag_list() == ["food", "weeknight", "quick"] and dialog.new_tag.text() == ""
    assert dialog.add_tags("Quick") == []  # already there, whatever the case
    dialog.tags.setCurrentRow(0)
    dialog.remove_button.click()
    assert dialog.tag_list() == ["weeknight", "quick"]
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        dialog.save_button.click()
    assert not dialog.isVisible()

    info = store.get_draft(dialog.draft_id)
    assert (info.title, info.caption, sorted(info.tags)) == (
        "Pasta night",
        "Creamy carbonara in 10 minutes",
        ["quick", "weeknight"],
    )
    assert search(qtbot, browser, "weeknight") == ["Pasta night"]
    assert search(qtbot, browser, "carbonara") == ["Pasta night"]
    assert search(qtbot, browser, "food") == []  # the removed tag no longer finds it
    assert "Beach day" in search(qtbot, browser, "")


def test_details_need_one_selected_draft(qtbot: QtBot, browser: DraftsBrowser) -> None:
    browser.view.selectionModel().clearSelection()
    assert open_details(browser) is None
    select(browser, "Gym routine")
    dialog = open_details(browser)
    assert dialog is not None
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.info is not None, timeout=10000)
    dialog.title.setText("   ")
    assert not dialog.save_button.isEnabled()
    dialog.reject()


def test_split_tags() -> None:
    assert split_tags(" #a, b ,,# , c d") == ["a", "b", "c d"]
