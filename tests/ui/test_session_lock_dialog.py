"""The drafts' session lock at start-up: another host's stale lock can be opened anyway; a live one cannot."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton

from studio.config import app_paths
from studio.drafts import DraftStore
from studio.drafts import recovery as rec
from studio.ui.drafts.recovery_dialog import start_drafts_session

pytestmark = pytest.mark.gui


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DraftStore]:
    with DraftStore(tmp_path / "drafts.sqlite3") as store:
        yield store


def _answer(monkeypatch: pytest.MonkeyPatch, open_anyway: bool) -> list[QMessageBox]:
    """Instead of waiting for a click, each message box records itself and is answered."""
    shown: list[QMessageBox] = []

    def exec_(box: QMessageBox) -> int:
        shown.append(box)
        button = box.findChild(QPushButton, "openAnyway")
        if open_anyway and button is not None:
            button.click()
        else:
            box.buttons()[-1].click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return shown


def _foreign_lock() -> None:
    paths = app_paths().ensure()
    (paths.data / rec.LOCK_NAME).write_text(
        json.dumps({"pid": 4242, "start_time": 1.0, "hostname": "old-laptop-name", "created_at": 1.0})
    )


def test_another_hosts_lock_is_opened_when_the_creator_says_so(
    qtbot, store: DraftStore, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    _foreign_lock()
    shown = _answer(monkeypatch, open_anyway=True)
    lock, dialogs = start_drafts_session(store, app_paths())
    assert lock is not None and lock.held and dialogs == []
    [box] = shown
    assert "old-laptop-name" in box.text() and box.findChild(QPushButton, "openAnyway") is not None
    lock.release()


def test_another_hosts_lock_keeps_drafts_off_until_opened_anyway(
    qtbot, store: DraftStore, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    _foreign_lock()
    _answer(monkeypatch, open_anyway=False)
    assert start_drafts_session(store, app_paths()) == (None, [])
    assert rec.SessionLock(app_paths().data).read() is not None  # nothing was overwritten


def test_a_running_instance_offers_no_way_around_it(
    qtbot, store: DraftStore, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    holder = rec.SessionLock(app_paths().ensure().data)
    holder.acquire()
    shown = _answer(monkeypatch, open_anyway=True)
    try:
        assert start_drafts_session(store, app_paths()) == (None, [])
        [box] = shown
        assert "already running" in box.text() and box.findChild(QPushButton, "openAnyway") is None
    finally:
        holder.release()
