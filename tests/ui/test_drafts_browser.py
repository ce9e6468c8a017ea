"""Drafts browser and recovery dialog, driven through their widgets (pytest-qt, offscreen)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox

from studio.config import app_paths
from studio.drafts import DraftStore
from studio.drafts import recovery as rec
from studio.ui.drafts.browser import DraftsBrowser
from studio.ui.drafts.model import DraftsModel
from studio.ui.drafts.recovery_dialog import RecoveryDialog, offer_recovery, start_drafts_session

pytestmark = pytest.mark.gui


def doc(title: str, clips: int = 1) -> dict:
    return {
        "schema_version": 1,
        "title": title,
        "canvas": {"width": 1080, "height": 1920, "fps": 30},
        "tracks": [
            {
                "kind": "video",
                "clips": [
                    {"source": f"{title}-{i}.mp4", "in": 0.0, "out": 2.0, "start": 2.0 * i}
                    for i in range(clips)
                ],
            }
        ],
    }


@pytest.fixture
def store(tmp_path: Path) -> DraftStore:
    s = DraftStore(tmp_path / "drafts.sqlite3")
    yield s
    s.close()


@pytest.fixture
def browser(qtbot, store: DraftStore) -> DraftsBrowser:
    for title, clips in [("Beach day", 3), ("Cooking pasta", 1), ("Another beach", 2)]:
        store.create_draft(doc(title, clips))
    store.set_cover(store.list_drafts(search="Cooking")[0].id, np.full((64, 36, 3), 90, np.uint8))
    widget = DraftsBrowser(store)
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    qtbot.waitExposed(widget)
    wait_loaded(qtbot, widget)
    return widget


def wait_loaded(qtbot, browser: DraftsBrowser) -> None:
    """The model reads the store in the background: wait until its rows arrived."""
    qtbot.waitUntil(lambda: not browser.model.loading, timeout=10000)


def titles(browser: DraftsBrowser) -> list[str]:
    model = browser.view.model()
    return [
        model.data(model.index(r), Qt.ItemDataRole.DisplayRole).split("\n")[0]
        for r in range(model.rowCount())
    ]


def select(browser: DraftsBrowser, title: str) -> None:
    row = titles(browser).index(title)
    browser.view.selectionModel().select(
        browser.model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )


def test_lists_with_duration_cover_and_searches(qtbot, browser: DraftsBrowser) -> None:
    assert titles(browser) == ["Another beach", "Cooking pasta", "Beach day"]
    model = browser.model
    assert model.data(model.index(2), Qt.ItemDataRole.DisplayRole).split("\n")[1].startswith("0:06")
    cover = model.draft_at(1).cover_path
    assert cover
    model.data(model.index(1), Qt.ItemDataRole.DecorationRole)  # painting asks; a worker decodes
    qtbot.waitUntil(lambda: model.has_cover(cover), timeout=10000)
    assert not model.data(model.index(1), Qt.ItemDataRole.DecorationRole).isNull()
    qtbot.keyClicks(browser.search, "beach")
    qtbot.waitUntil(lambda: titles(browser) == ["Another beach", "Beach day"])
    browser.search.clear()
    qtbot.keyClicks(browser.search, "zzz")
    qtbot.waitUntil(lambda: titles(browser) == [])
    assert browser.empty.isVisible() and "match" in browser.empty.text()


def test_sorts_by_title_and_duration(qtbot, browser: DraftsBrowser) -> None:
    browser.sort.setCurrentIndex(2)
    qtbot.waitUntil(lambda: titles(browser) == ["Another beach", "Beach day", "Cooking pasta"])
    browser.sort.setCurrentIndex(3)
    qtbot.waitUntil(lambda: titles(browser) == ["Beach day", "Another beach", "Cooking pasta"])


def test_rename_duplicate_trash_and_restore(qtbot, browser: DraftsBrowser, monkeypatch) -> None:
    select(browser, "Cooking pasta")
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Pasta night", True))
    with qtbot.waitSignal(browser.changed, timeout=10000):
        qtbot.mouseClick(browser.rename_button, Qt.MouseButton.LeftButton)
    wait_loaded(qtbot, browser)
    assert "Pasta night" in titles(browser) and "Cooking pasta" not in titles(browser)
    assert (
        browser.selected_ids() and browser.store.get_draft(browser.selected_ids()[0]).title == "Pasta night"
    )

    qtbot.mouseClick(browser.duplicate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Pasta night (copy)" in titles(browser), timeout=10000)

    select(browser, "Beach day")
    qtbot.mouseClick(browser.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Beach day" not in titles(browser), timeout=10000)
    qtbot.mouseClick(browser.trash_toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: titles(browser) == ["Beach day"], timeout=10000)
    assert browser.restore_button.isVisible()
    select(browser, "Beach day")
    qtbot.mouseClick(browser.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: titles(browser) == [], timeout=10000)
    assert "empty" in browser.empty.text()
    qtbot.mouseClick(browser.trash_toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Beach day" in titles(browser), timeout=10000)


def test_delete_forever_asks_first(qtbot, browser: DraftsBrowser, monkeypatch) -> None:
    select(browser, "Beach day")
    answers = iter([QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard])
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: next(answers))
    qtbot.mouseClick(browser.forever_button, Qt.MouseButton.LeftButton)
    assert "Beach day" in titles(browser)
    qtbot.mouseClick(browser.forever_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Erased" in browser.last_message, timeout=10000)
    wait_loaded(qtbot, browser)
    assert "Beach day" not in titles(browser)
    assert browser.store.count_drafts(trashed=True) == 0


def test_export_then_import_bundle(qtbot, browser: DraftsBrowser, tmp_path: Path) -> None:
    select(browser, "Beach day")
    out = tmp_path / "beach.csdraft"
    browser.export_selected(str(out), with_media=False)
    qtbot.waitUntil(lambda: "Exported" in browser.last_message, timeout=10000)
    browser.import_file(str(out))
    qtbot.waitUntil(lambda: titles(browser).count("Beach day") == 2, timeout=10000)
    browser.import_file(str(tmp_path / "missing.csdraft"))
    qtbot.waitUntil(lambda: "does not exist" in browser.last_message, timeout=10000)


def test_open_emits_the_draft_id(qtbot, browser: DraftsBrowser) -> None:
    select(browser, "Cooking pasta")
    with qtbot.waitSignal(browser.openRequested) as blocker:
        qtbot.mouseClick(browser.open_button, Qt.MouseButton.LeftButton)
    assert browser.store.get_draft(blocker.args[0]).title == "Cooking pasta"


def test_model_fetches_rows_lazily(qtbot, store: DraftStore) -> None:
    for i in range(DraftsModel.BATCH * 2 + 5):
        store.create_draft(doc(f"d{i}", 0))
    model = DraftsModel(store)
    assert model.rowCount() == 0 and not model.canFetchMore()  # nothing read yet
    with qtbot.waitSignal(model.loaded, timeout=10000):
        model.refresh()
    assert model.rowCount() == DraftsModel.BATCH and model.canFetchMore()
    model.fetchMore()
    assert model.loading and not model.canFetchMore()  # the page is read in the background
    model.fetchMore()  # asked again while loading: no second read of the same page
    qtbot.waitUntil(lambda: not model.loading, timeout=10000)
    assert model.rowCount() == DraftsModel.BATCH * 2 and model.canFetchMore()
    with qtbot.waitSignal(model.loaded, timeout=10000):
        model.fetchMore()
    assert model.rowCount() == DraftsModel.BATCH * 2 + 5 and not model.canFetchMore()
    assert len({model.draft_at(r).id for r in range(model.rowCount())}) == model.rowCount()
    model.runner.shutdown()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_recovery_dialog_after_a_crash_restores_the_autosave(
    qtbot, store: DraftStore, tmp_path: Path, monkeypatch
) -> None:
    draft_id = store.create_draft(doc("Saved", 1))
    store.autosave(draft_id, doc("Unsaved edits", 4))
    (tmp_path / rec.LOCK_NAME).write_text(
        json.dumps(
            {"pid": _dead_pid(), "start_time": 1.0, "hostname": socket.gethostname(), "created_at": 1.0}
        )
    )
    stale = rec.SessionLock(tmp_path).acquire()
    assert stale is not None  # the previous session did not exit cleanly

    [offer] = rec.recovery_offers(store)
    dialog = RecoveryDialog(store, offer)
    qtbot.addWidget(dialog)
    dialog.show()
    cells = {
        dialog.changes.item(r, 0).text(): (dialog.changes.item(r, 1).text(), dialog.changes.item(r, 2).text())
        for r in range(dialog.changes.rowCount())
    }
    assert cells["Title"] == ("Saved", "Unsaved edits") and cells["Clips and text items"] == ("1", "4")
    assert '+  "title": "Unsaved edits"' in dialog.diff.toPlainText()
    assert store.get_project_doc(draft_id)["title"] == "Saved"  # nothing changed by showing it
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert dialog.outcome == RecoveryDialog.RESTORED and dialog.draft_to_open == draft_id
    assert store.get_project_doc(draft_id)["title"] == "Unsaved edits"
    assert len(store.revisions(draft_id)) == 3
    monkeypatch.setattr(RecoveryDialog, "exec", lambda self: 0)
    assert offer_recovery(store) == []


def test_recovery_dialog_keep_both(qtbot, store: DraftStore) -> None:
    draft_id = store.create_draft(doc("Saved", 1))
    store.autosave(draft_id, doc("Unsaved edits", 2))
    [offer] = rec.recovery_offers(store)
    dialog = RecoveryDialog(store, offer)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.keep_both_button, Qt.MouseButton.LeftButton)
    assert dialog.outcome == RecoveryDialog.KEPT_BOTH
    assert store.get_project_doc(draft_id)["title"] == "Saved"
    assert store.get_draft(dialog.draft_to_open or 0).title == "Unsaved edits (recovered)"


def test_start_session_after_crash_offers_recovery_once(qtbot, store: DraftStore, monkeypatch) -> None:
    paths = app_paths().ensure()
    draft_id = store.create_draft(doc("Saved", 1))
    store.autosave(draft_id, doc("Lost in crash", 2))
    (paths.data / rec.LOCK_NAME).write_text(
        json.dumps(
            {"pid": _dead_pid(), "start_time": 1.0, "hostname": socket.gethostname(), "created_at": 1.0}
        )
    )
    monkeypatch.setattr(RecoveryDialog, "exec", lambda self: self.restore_button.click())
    lock, dialogs = start_drafts_session(store, paths)
    assert lock is not None and [d.outcome for d in dialogs] == [RecoveryDialog.RESTORED]
    assert store.get_project_doc(draft_id)["title"] == "Lost in crash"
    lock.release()
    lock, dialogs = start_drafts_session(store, paths)  # clean exit before: nothing offered
    assert lock is not None and dialogs == []
    lock.release()


def test_history_dialog_restores_an_earlier_version(qtbot, browser: DraftsBrowser) -> None:
    select(browser, "Beach day")
    draft_id = browser.selected_ids()[0]
    browser.store.save(draft_id, doc("Beach day v2", 5))
    with qtbot.waitSignal(browser.model.loaded, timeout=10000):
        browser.model.refresh()
    select(browser, "Beach day v2")
    dialog = browser.show_history(modal=False)
    assert dialog is not None
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=10000)
    assert not dialog.restore_button.isEnabled() and "Beach day v2" in dialog.windowTitle()
    dialog.table.selectRow(1)
    assert "Beach day v2 → Beach day" in dialog.diff.toPlainText()
    with qtbot.waitSignal(dialog.restored, timeout=10000):
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert browser.store.get_project_doc(draft_id)["title"] == "Beach day"
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 3 and "Beach day" in titles(browser), timeout=10000)


def test_covers_are_decoded_in_the_background_not_in_data(qtbot, store: DraftStore) -> None:
    draft_id = store.create_draft(doc("With cover", 1))
    store.set_cover(draft_id, np.full((64, 36, 3), 200, np.uint8))
    model = DraftsModel(store)
    with qtbot.waitSignal(model.loaded, timeout=10000):
        model.refresh()
    cover = model.draft_at(0).cover_path
    assert cover
    blank = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    assert not model.has_cover(cover)  # data() answered at once with the placeholder
    with qtbot.waitSignal(model.dataChanged, timeout=10000) as changed:
        pass
    assert changed.args[0].row() == 0 and model.has_cover(cover)
    icon = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    assert not icon.isNull() and icon.cacheKey() != blank.cacheKey()
    model.runner.shutdown()


def test_a_failed_rename_says_why(qtbot, browser: DraftsBrowser) -> None:
    select(browser, "Cooking pasta")
    with qtbot.waitSignal(browser.failed, timeout=10000) as failed:
        assert browser.rename_selected("   ")
    assert failed.args == ["a draft needs a title"] and browser.last_message == "a draft needs a title"
    assert "Cooking pasta" in titles(browser)
