"""An exception in a slot: the draft is autosaved, one dialog names what failed, the log has it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from studio import logs
from studio.core.edits import SetParam
from studio.ui.crash_dialog import CrashReporter
from studio.ui.drafts import session as draft_session
from studio.ui.editor.window.main_window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.qt_no_exception_capture]  # the app's hook takes them


@pytest.fixture
def studio_log() -> Iterator[Path]:
    logs.reset()
    logs.setup(to_file=True)
    logs.install_crash_hooks()
    path = logs.log_file()
    assert path is not None
    yield path
    logs.reset()


def _error_dialogs() -> list[QMessageBox]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.isVisible() and w.windowTitle() == "Something went wrong"
    ]


def export_clicked() -> None:
    raise RuntimeError("export failed: Authorization: Bearer act.t0ken")


def test_a_slot_that_raises_autosaves_then_shows_one_dialog(
    qtbot: QtBot, studio_window: MainWindow, studio_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, lock = draft_session.start(studio_window)
    assert session is not None and lock is not None
    saves: list[int] = []

    def autosave() -> bool:
        saves.append(len(_error_dialogs()))  # how many dialogs were up when the save ran
        return session.save_now()

    reporter = CrashReporter(studio_window, studio_log, autosave=autosave)
    reporter.install()
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url) or True))
    button = QPushButton("Export", studio_window)
    button.clicked.connect(export_clicked)
    try:
        studio_window.timeline_model.do(SetParam("project", "title", "Unsaved when it failed"))
        button.click()
        assert saves == [0]  # saved before the dialog was shown
        assert session.draft_id is not None
        [revision] = [r for r in session.store.revisions(session.draft_id) if r.kind == "autosave"]
        assert (
            session.store.get_project_doc(session.draft_id, revision.id)["title"] == "Unsaved when it failed"
        )

        [dialog] = _error_dialogs()
        assert "export_clicked failed with RuntimeError" in dialog.text()
        assert "act.t0ken" not in dialog.text() + dialog.detailedText()
        assert "autosaved" in dialog.informativeText()
        button.click()  # a second failure while the dialog is open: logged, no second dialog
        assert len(_error_dialogs()) == 1 and saves == [0]

        dialog.findChild(QPushButton, "openLog").click()
        assert opened == [QUrl.fromLocalFile(str(studio_log))]
        qtbot.waitUntil(lambda: not _error_dialogs())
        text = studio_log.read_text(encoding="utf-8")
        assert text.count("uncaught RuntimeError") == 2 and "in export_clicked" in text
        assert "Bearer ***" in text and "act.t0ken" not in text

        button.click()  # once closed, the next failure gets its dialog again
        assert len(_error_dialogs()) == 1 and saves == [0, 0]
        _error_dialogs()[0].done(0)
    finally:
        reporter.uninstall()
        session.close()
        session.store.close()
        lock.release()  # type: ignore[attr-defined]


def test_without_the_gui_reporter_an_error_is_only_logged(studio_log: Path, qtbot: QtBot) -> None:
    try:
        raise RuntimeError("no window here: client_secret=hunter2")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    assert not _error_dialogs()
    text = studio_log.read_text(encoding="utf-8")
    assert "no window here" in text and "hunter2" not in text
