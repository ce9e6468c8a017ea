"""Accounts UI against a real engine and a real local stand-in: sign-in, sign-out, deletion,
missing permissions, the platform switch, and no network, SQLite or vault on the GUI thread."""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from backend_stub.server import StubServer
from studio.config import load_settings
from studio.dbwriter import Readers, Writer
from studio.sync.demo import DemoError
from studio.sync.engine import SyncEngine
from studio.sync.platform import secret_key, stand_in_config
from studio.sync.vault import EncryptedFileVault, open_vault
from studio.ui.accounts.controller import SyncController
from studio.ui.accounts.page import AccountsDialog
from studio.ui.editor.window.main_window import MainWindow
from tests.ui.app_runner import run_app_until

pytestmark = pytest.mark.gui

T = TypeVar("T")
WAIT_MS = 30_000
LEFT = Qt.MouseButton.LeftButton


def auto_approve(url: str) -> None:
    """The 'browser' for the stand-in's auto-approve: follow its redirect to our loopback."""
    with httpx.Client(timeout=30.0, trust_env=False, follow_redirects=True) as http:
        http.get(url)


def consent_without(*refused: str) -> Callable[[str], None]:
    """A 'browser' that fills the stand-in's consent form, leaving the ``refused`` scopes unticked."""

    def browse(url: str) -> None:
        with httpx.Client(timeout=30.0, trust_env=False) as http:
            page = http.get(url + "&disable_auto_auth=1").text
            hidden = {
                name: html.unescape(value)
                for name, value in re.findall(r"<input type='hidden' name='([^']+)' value='([^']*)'>", page)
            }
            chosen = re.search(r"name='account' value='([^']+)' checked", page)
            assert hidden and chosen, page
            granted = [s for s in hidden["scope"].split(",") if s not in refused]
            answer = http.post(
                str(httpx.URL(url).join("/v2/auth/authorize/")),
                data={**hidden, "account": chosen.group(1), "decision": "allow", "granted_scope": granted},
            )
            assert answer.is_redirect, answer.text
            http.get(answer.headers["location"])  # the loopback listener

    return browse


def off_gui(fn: Callable[[], T]) -> T:
    """Run a check that reads the store or the vault on a thread of its own."""
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join(30)
    return out[0]  # type: ignore[no-any-return]


@pytest.fixture
def gui_io(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every network call, sync-store read or write and vault access on the GUI thread."""
    seen: list[str] = []

    def on_gui() -> bool:
        return threading.current_thread() is threading.main_thread()

    def wrap(cls: type, name: str, what: Callable[..., str | None]) -> None:
        real = getattr(cls, name)

        def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            label = what(self, *args, **kwargs)
            if label and on_gui():
                seen.append(label)
            return real(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, guarded)

    wrap(httpx.Client, "send", lambda _self, *a, **k: f"HTTP {(a[0] if a else k['request']).url}")
    wrap(Writer, "submit", lambda self, *_a, **_k: "sync write" if self._db_label == "sync" else None)
    wrap(Readers, "get", lambda self: "sync read" if self._path.name == "sync.sqlite3" else None)
    wrap(EncryptedFileVault, "_load", lambda _self: "vault read")
    wrap(EncryptedFileVault, "_update", lambda _self, *_a, **_k: "vault write")
    return seen


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[StubServer]:
    with StubServer(tmp_path / "stub", seed=7, auto_approve=True) as server:
        yield server


@pytest.fixture
def engine(request: pytest.FixtureRequest, studio_window: MainWindow, stub: StubServer) -> SyncEngine:
    """A real engine on the stand-in; ``parametrize("engine", [{...}], indirect=True)`` passes options."""
    platform = stand_in_config(stub.base_url, stub.demo_client_key, stub.demo_client_secret)
    options = getattr(request, "param", {})
    return SyncEngine(studio_window.paths.ensure(), platform=platform, open_browser=auto_approve, **options)


@pytest.fixture
def controller(studio_window: MainWindow, engine: SyncEngine, gui_io: list[str]) -> Iterator[SyncController]:
    ctl = SyncController.for_window(studio_window, engine=engine)
    studio_window.attach_sync(ctl)
    ctl.start()
    yield ctl
    assert ctl.shutdown(timeout=20.0)


def open_dialog(qtbot: QtBot, window: MainWindow, controller: SyncController) -> AccountsDialog:
    qtbot.waitUntil(lambda: controller.started, timeout=WAIT_MS)
    dialog = window.show_accounts()
    assert isinstance(dialog, AccountsDialog) and dialog.objectName() == "accountsDialog"
    qtbot.waitExposed(dialog)
    return dialog


def sign_in(qtbot: QtBot, dialog: AccountsDialog) -> str:
    """Sign in with the button; wait until the account has synced. Returns its id."""
    qtbot.mouseClick(dialog.sign_in_button, LEFT)
    qtbot.waitUntil(
        lambda: any("Demo Creator" in t and "Synced just now" in t for t in dialog.item_texts()),
        timeout=WAIT_MS,
    )
    account_id = dialog.selected_id()
    assert account_id is not None
    return account_id


def test_demo_sign_in_lists_the_account_and_the_status_says_synced(
    qtbot: QtBot, studio_window: MainWindow, controller: SyncController, gui_io: list[str]
) -> None:
    indicator = studio_window.sync_status
    assert indicator.objectName() == "syncStatus"
    qtbot.waitUntil(lambda: indicator.text() == "No account", timeout=WAIT_MS)
    qtbot.mouseClick(indicator, LEFT)  # the indicator opens the dialog
    dialog = studio_window.accounts_dialog
    assert isinstance(dialog, AccountsDialog)
    qtbot.waitExposed(dialog)
    assert dialog.empty_label.isVisible() and not dialog.delete_button.isEnabled()

    qtbot.mouseClick(dialog.sign_in_button, LEFT)
    assert "consent page" in dialog.sign_in_note.text()
    qtbot.waitUntil(
        lambda: any("Demo Creator" in t and "Synced just now" in t for t in dialog.item_texts()),
        timeout=WAIT_MS,
    )
    text = dialog.item_texts()[0]
    assert text.startswith("Demo account (local) · Demo Creator")
    assert "user.info.stats" in text and "is off for" not in text
    qtbot.waitUntil(lambda: indicator.text() == "Synced just now", timeout=WAIT_MS)
    assert "Click to manage accounts" in indicator.toolTip()
    account_id = dialog.selected_id()
    assert account_id is not None
    qtbot.waitUntil(lambda: dialog.avatar_loaded(account_id), timeout=WAIT_MS)
    assert dialog.sign_out_button.isEnabled() and dialog.delete_button.isEnabled()
    assert not dialog.active_button.isEnabled()  # the only account is the active one
    assert not dialog.cancel_sign_in_button.isVisible()
    qtbot.mouseClick(dialog.sync_button, LEFT)
    qtbot.waitUntil(lambda: "Syncing now" in dialog.status_label.text(), timeout=WAIT_MS)
    assert gui_io == []


def test_delete_all_my_data_removes_the_account_and_its_rows(
    qtbot: QtBot,
    studio_window: MainWindow,
    controller: SyncController,
    engine: SyncEngine,
    gui_io: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = open_dialog(qtbot, studio_window, controller)
    account_id = sign_in(qtbot, dialog)
    asked: list[str] = []

    def question(_parent: object, _title: str, text: str, *_args: object) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    qtbot.mouseClick(dialog.delete_button, LEFT)
    assert asked and all(w in asked[0] for w in ("posts", "numbers history", "cached pictures", "sign-in"))
    qtbot.waitUntil(lambda: dialog.item_texts() == [], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Deleted everything" in dialog.status_label.text(), timeout=WAIT_MS)
    assert dialog.empty_label.isVisible()
    assert gui_io == []
    assert engine.store is not None
    assert off_gui(engine.store.accounts) == []
    assert off_gui(lambda: engine.store.account(account_id)) is None  # type: ignore[union-attr]
    assert not (studio_window.paths.cache / "avatars" / f"{account_id}.jpg").exists()


def test_sign_out_marks_the_account_signed_out(
    qtbot: QtBot, studio_window: MainWindow, controller: SyncController, stub: StubServer, gui_io: list[str]
) -> None:
    dialog = open_dialog(qtbot, studio_window, controller)
    sign_in(qtbot, dialog)
    qtbot.mouseClick(dialog.sign_out_button, LEFT)
    qtbot.waitUntil(lambda: "Signed out" in dialog.item_texts()[0].splitlines()[1], timeout=WAIT_MS)
    assert not dialog.sign_out_button.isEnabled() and dialog.delete_button.isEnabled()
    qtbot.waitUntil(lambda: "Signed out of" in dialog.status_label.text(), timeout=WAIT_MS)

    def removal_delivered() -> bool:  # our own revoke comes back as authorization.removed
        rows = stub.state.db.all("SELECT event FROM webhook_events WHERE state = 'delivered'")
        return any(r["event"] == "authorization.removed" for r in rows)

    qtbot.waitUntil(removal_delivered, timeout=WAIT_MS)
    controller.refresh_accounts()
    qtbot.wait(300)
    assert "Signed out" in dialog.item_texts()[0].splitlines()[1]  # not "Sign in again"
    assert gui_io == []


def test_a_refused_permission_shows_what_is_off_and_why(
    qtbot: QtBot, studio_window: MainWindow, controller: SyncController, gui_io: list[str]
) -> None:
    dialog = open_dialog(qtbot, studio_window, controller)
    assert controller.sign_in(threading.Event(), open_browser=consent_without("user.info.stats"))
    qtbot.waitUntil(lambda: len(controller.accounts) == 1 and dialog.item_texts() != [], timeout=WAIT_MS)
    account = controller.accounts[0]
    sentence = account.missing("stats")
    assert sentence and "'user.info.stats'" in sentence and sentence.startswith("Follower and like counts")
    assert all(account.missing(f) is None for f in ("posts", "upload", "publish"))
    qtbot.waitUntil(lambda: sentence in dialog.item_texts()[0], timeout=WAIT_MS)
    assert "user.info.stats" not in dialog.item_texts()[0].split("Permissions: ")[1].splitlines()[0]
    assert gui_io == []


def test_cancel_stops_a_sign_in_waiting_for_the_browser(
    qtbot: QtBot, studio_window: MainWindow, controller: SyncController, engine: SyncEngine, gui_io: list[str]
) -> None:
    engine.open_browser = lambda _url: None  # the creator never answers the consent page
    dialog = open_dialog(qtbot, studio_window, controller)
    qtbot.mouseClick(dialog.sign_in_button, LEFT)
    assert dialog.cancel_sign_in_button.isVisible() and not dialog.sign_in_button.isEnabled()
    qtbot.mouseClick(dialog.cancel_sign_in_button, LEFT)
    qtbot.waitUntil(lambda: "cancelled" in dialog.status_label.text(), timeout=WAIT_MS)
    assert dialog.sign_in_button.isEnabled() and not dialog.cancel_sign_in_button.isVisible()
    assert dialog.item_texts() == []
    assert gui_io == []


def test_own_app_settings_keep_the_secret_in_the_vault_and_restart_sync(
    qtbot: QtBot, studio_window: MainWindow, controller: SyncController, stub: StubServer, gui_io: list[str]
) -> None:
    dialog = open_dialog(qtbot, studio_window, controller)
    old_engine = controller.engine
    dialog.custom_radio.setChecked(True)
    dialog.client_key_edit.setText(stub.demo_client_key)
    dialog.client_secret_edit.setText("s3cret-value")
    dialog.port_spin.setValue(8765)
    assert "http://127.0.0.1:8765/callback/" in dialog.port_note.text()
    dialog.api_base_edit.setText(stub.base_url)
    qtbot.mouseClick(dialog.apply_button, LEFT)
    assert dialog.client_secret_edit.text() == "" and dialog.client_secret_edit.placeholderText() == "saved"
    qtbot.waitUntil(lambda: controller.engine is not old_engine and controller.started, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: studio_window.sync_status.text() == "No account", timeout=WAIT_MS)
    notice = getattr(controller.engine, "notice", "")  # e.g. no webhooks from the real platform
    qtbot.waitUntil(lambda: dialog.notice_label.text() == notice, timeout=WAIT_MS)
    assert gui_io == []

    paths = studio_window.paths
    saved = json.loads(paths.settings_file.read_text(encoding="utf-8"))["platform"]
    assert saved == {
        "mode": "custom",
        "client_key": stub.demo_client_key,
        "redirect_port": 8765,
        "api_base": stub.base_url,
    }
    assert "s3cret-value" not in paths.settings_file.read_text(encoding="utf-8")
    assert load_settings(paths).extra["platform"]["mode"] == "custom"
    assert off_gui(lambda: open_vault(paths).get(secret_key(stub.demo_client_key))) == "s3cret-value"
    assert controller.engine.platform is not None and not controller.engine.platform.stand_in

    second = AccountsDialog(controller, studio_window)  # opened again: the secret is not shown back
    qtbot.addWidget(second)
    qtbot.waitUntil(lambda: second.client_secret_edit.placeholderText() == "saved", timeout=WAIT_MS)
    assert second.custom_radio.isChecked() and second.client_secret_edit.text() == ""


def test_an_engine_that_cannot_start_says_what_to_do(
    qtbot: QtBot,
    studio_window: MainWindow,
    engine: SyncEngine,
    gui_io: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> None:
        raise DemoError("port 8080 is taken")

    monkeypatch.setattr(engine, "open", broken)
    ctl = SyncController.for_window(studio_window, engine=engine)
    studio_window.attach_sync(ctl)
    messages: list[str] = []
    ctl.message.connect(messages.append)
    ctl.start()
    qtbot.waitUntil(lambda: studio_window.sync_status.text() == "Sync is off", timeout=WAIT_MS)
    assert messages == [
        "The local backend could not start: port 8080 is taken; sync is off. Restart the app to try again."
    ]
    assert "Restart the app" in studio_window.sync_status.toolTip()
    ctl.shutdown()
    assert gui_io == []


def test_accounts_menu_entry_without_sync_says_so(qtbot: QtBot, studio_window: MainWindow) -> None:
    menu = studio_window.menus["account"]
    action = next(a for a in menu.actions() if a.text() == "&Accounts…")
    action.trigger()
    assert studio_window.accounts_dialog is None
    assert "not available" in studio_window.statusBar().currentMessage()


@pytest.mark.slow
def test_the_app_starts_sync_after_the_first_paint_and_stops_it_at_exit(
    qtbot: QtBot, gui_io: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`creator-studio gui` in-process: the demo backend starts, the demo creator syncs, the
    indicator says so; closing the window stops the engine and the backend's child process."""
    from studio.config import app_paths

    seen: list[str] = []

    def synced(window: MainWindow) -> bool:
        indicator = getattr(window, "sync_status", None)
        if indicator is None:
            return False
        if indicator.text() not in seen[-1:]:
            seen.append(indicator.text())
        return indicator.text() == "Synced just now" and bool(window.sync.accounts)

    code, window = run_app_until(monkeypatch, synced)
    assert code == 0
    assert "Synced just now" in seen, seen
    assert window.sync.closed and window.sync.accounts[0].label == "Demo account (local) · Demo Creator"
    assert not (app_paths().data / "backend" / "backend.json").exists()  # the child was stopped
    assert gui_io == []
    window.deleteLater()


def test_quit_when_shown_does_not_start_sync(studio_home: Path) -> None:
    import os
    import subprocess
    import sys

    from studio.config import app_paths

    result = subprocess.run(
        [sys.executable, "-m", "studio", "gui", "--quit-when-shown"],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    data = app_paths().data
    assert not (data / "backend").exists() and not (data / "sync").exists()
