"""Settings > Accounts: the signed-in accounts, what each may do, and which platform to use.

Everything shown comes from the controller's signals; every button hands work to the
controller, which runs it in a job. Profile pictures are decoded with ``QImage`` in a job too
and only turned into a ``QPixmap`` here, on the GUI thread.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.sync.models import HEALTH_OK, HEALTH_SIGNED_OUT, Account
from studio.sync.platform import REAL_API_BASE
from studio.ui.accounts.controller import SyncController
from studio.ui.jobs import Op

AVATAR_PX = 48
FEATURE_CHECKS = ("stats", "posts", "upload", "publish")
SIGN_IN_NOTE = (
    "Your browser opens TikTok's consent page. Sign in there and allow what Creator Studio asks "
    "for; this window carries on by itself once TikTok sends you back. Your password never passes "
    "through Creator Studio."
)
DELETE_TEXT = (
    "Delete everything Creator Studio keeps for {label}?\n\n"
    "This removes from this computer:\n"
    "• the account's posts and their details,\n"
    "• its numbers history (follower, view and like snapshots and the daily series),\n"
    "• its cached pictures (profile picture and covers),\n"
    "• its sign-in (access is revoked at TikTok and the tokens are deleted).\n\n"
    "Your videos on TikTok are not touched. This cannot be undone."
)
SAVED_PLACEHOLDER = "saved"


def account_text(account: Account, now: float | None = None) -> str:
    """The list entry: label, health, permissions, last sync, and what is switched off and why."""
    lines = [account.label + ("  (active)" if account.active else "")]
    if account.username:
        lines[0] += f"  @{account.username}"
    lines.append(account.health_text(now))
    if account.numbers_text():
        lines.append(account.numbers_text())
    lines.append("Permissions: " + (", ".join(account.scopes) or "none"))
    if account.last_sync_at is not None:
        when = time.strftime("%H:%M on %Y-%m-%d", time.localtime(account.last_sync_at))
        lines.append(f"Last sync: {when}")
    else:
        lines.append("Last sync: never")
    if account.last_error:
        lines.append(f"Last problem: {account.last_error}")
    for feature in FEATURE_CHECKS:
        sentence = account.missing(feature)
        if sentence:
            lines.append(sentence)
    return "\n".join(lines)


def default_avatar(size: int = AVATAR_PX) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(150, 150, 155))
    painter.drawEllipse(0, 0, size, size)
    painter.end()
    return pixmap


def _decode(path: str) -> QImage | None:
    """In a job: read and scale the picture (QImage is safe off the GUI thread)."""
    image = QImage(path)
    if image.isNull():
        return None
    return image.scaled(
        AVATAR_PX,
        AVATAR_PX,
        Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation,
    )


class AccountsDialog(QDialog):
    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountsDialog")
        self.setWindowTitle("Accounts")
        self.controller = controller
        self._avatars: dict[str, QPixmap | None] = {}  # file -> pixmap (None: unreadable)
        self._loading: set[str] = set()
        self._default_avatar = default_avatar()
        self._cancel: threading.Event | None = None

        heading = QLabel(
            "The accounts Creator Studio keeps numbers for. Everything it syncs stays on this computer."
        )
        heading.setWordWrap(True)
        self.accounts_list = QListWidget()
        self.accounts_list.setObjectName("accountsList")
        self.accounts_list.setIconSize(QSize(AVATAR_PX, AVATAR_PX))
        self.accounts_list.setWordWrap(True)
        self.accounts_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.accounts_list.itemSelectionChanged.connect(self._update_buttons)
        self.empty_label = QLabel("No account yet: sign in to start syncing.")
        self.notice_label = QLabel()
        self.notice_label.setWordWrap(True)
        self.notice_label.hide()

        self.sign_in_button = QPushButton("Sign in…")
        self.cancel_sign_in_button = QPushButton("Cancel")
        self.sign_out_button = QPushButton("Sign out")
        self.active_button = QPushButton("Make active")
        self.sync_button = QPushButton("Sync now")
        self.delete_button = QPushButton("Delete all my data…")
        self.sign_in_button.clicked.connect(self.start_sign_in)
        self.cancel_sign_in_button.clicked.connect(self.cancel_sign_in)
        self.sign_out_button.clicked.connect(self.sign_out)
        self.active_button.clicked.connect(self.make_active)
        self.sync_button.clicked.connect(self.sync_now)
        self.delete_button.clicked.connect(self.delete_data)
        self.cancel_sign_in_button.hide()
        row = QHBoxLayout()
        for button in (
            self.sign_in_button,
            self.cancel_sign_in_button,
            self.sign_out_button,
            self.active_button,
            self.sync_button,
        ):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.delete_button)
        self.sign_in_note = QLabel(SIGN_IN_NOTE)
        self.sign_in_note.setWordWrap(True)
        self.sign_in_note.hide()

        self.status_label = QLabel()
        self.status_label.setObjectName("accountsStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.accounts_list, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.notice_label)
        layout.addLayout(row)
        layout.addWidget(self.sign_in_note)
        layout.addWidget(self._platform_group())
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)
        self.resize(640, 620)

        controller.accountsChanged.connect(self.set_accounts)
        controller.message.connect(self.show_status)
        controller.signInFinished.connect(self._sign_in_finished)
        controller.statusChanged.connect(lambda _status: self._status_changed())
        self.set_accounts(controller.accounts)
        self._status_changed()
        self._load_platform()

    # ------------------------------------------------------------------ platform group

    def _platform_group(self) -> QGroupBox:
        group = QGroupBox("Platform")
        self.demo_radio = QRadioButton("Demo (local backend, no set-up)")
        self.custom_radio = QRadioButton("My own TikTok developer app")
        self.client_key_edit = QLineEdit()
        self.client_secret_edit = QLineEdit()
        self.client_secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.port_spin = QSpinBox()
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText("0 (any free port)")
        self.port_note = QLabel()
        self.port_note.setWordWrap(True)
        self.api_base_edit = QLineEdit(REAL_API_BASE)
        self.apply_button = QPushButton("Apply")
        self.apply_button.clicked.connect(self.apply_platform)
        self.custom_radio.toggled.connect(self._mode_changed)
        self.port_spin.valueChanged.connect(self._port_changed)
        form = QFormLayout()
        form.addRow("Client key", self.client_key_edit)
        form.addRow("Client secret", self.client_secret_edit)
        form.addRow("Redirect port", self.port_spin)
        form.addRow("", self.port_note)
        form.addRow("API address", self.api_base_edit)
        self._custom_fields = QWidget()
        self._custom_fields.setLayout(form)
        box = QVBoxLayout(group)
        box.addWidget(self.demo_radio)
        box.addWidget(self.custom_radio)
        box.addWidget(self._custom_fields)
        apply_row = QHBoxLayout()
        apply_row.addStretch(1)
        apply_row.addWidget(self.apply_button)
        box.addLayout(apply_row)
        return group

    def _load_platform(self) -> None:
        """From the settings in memory; whether a secret is saved is asked in a job."""
        block = self.controller.platform_block()
        custom = block["mode"] == "custom"
        (self.custom_radio if custom else self.demo_radio).setChecked(True)
        self.client_key_edit.setText(str(block["client_key"] or ""))
        self.port_spin.setValue(int(block["redirect_port"] or 0))
        self.api_base_edit.setText(str(block["api_base"] or REAL_API_BASE))
        self._mode_changed(custom)
        self._port_changed(self.port_spin.value())
        key = self.client_key_edit.text().strip()
        if key:
            self.controller.check_secret(key, self._secret_known)

    def _secret_known(self, saved: bool) -> None:
        if not self.client_secret_edit.text():
            self.client_secret_edit.setPlaceholderText(SAVED_PLACEHOLDER if saved else "not saved yet")

    def _mode_changed(self, custom: bool) -> None:
        self._custom_fields.setEnabled(custom)

    def _port_changed(self, port: int) -> None:
        where = str(port) if port else "PORT"
        self.port_note.setText(
            f"Your app's registered redirect URI must be http://127.0.0.1:{where}/callback/ "
            "or http://127.0.0.1:*/callback/ (0 picks any free port: register the * form)."
        )

    def apply_platform(self) -> None:
        mode = "custom" if self.custom_radio.isChecked() else "demo"
        secret = self.client_secret_edit.text()
        handle = self.controller.apply_platform(
            mode,
            self.client_key_edit.text(),
            secret,
            self.port_spin.value(),
            self.api_base_edit.text(),
        )
        if handle is None:
            return
        self.client_secret_edit.clear()  # never shown back once saved
        if secret.strip():
            self.client_secret_edit.setPlaceholderText(SAVED_PLACEHOLDER)
        self.show_status("Saving the platform settings and restarting sync…")

    # ------------------------------------------------------------------ the list

    def set_accounts(self, accounts: list[Account]) -> None:
        chosen = self.selected_id()
        self.accounts_list.blockSignals(True)
        self.accounts_list.clear()
        for account in accounts:
            item = QListWidgetItem(account_text(account))
            item.setData(Qt.ItemDataRole.UserRole, account.id)
            item.setIcon(QIcon(self._avatar(account)))
            self.accounts_list.addItem(item)
            if account.id == chosen:
                item.setSelected(True)
                self.accounts_list.setCurrentItem(item)
        if chosen is None and self.accounts_list.count() == 1:
            self.accounts_list.item(0).setSelected(True)
        self.accounts_list.blockSignals(False)
        self.empty_label.setVisible(not accounts)
        self._update_buttons()

    def _avatar(self, account: Account) -> QPixmap:
        path = account.avatar_file
        if not path:
            return self._default_avatar
        if path in self._avatars:
            return self._avatars[path] or self._default_avatar
        if path not in self._loading:
            self._loading.add(path)

            def loaded(image: QImage | None, path: str = path) -> None:
                self._loading.discard(path)
                self._avatars[path] = QPixmap.fromImage(image) if image is not None else None
                self._show_avatar(path)

            def failed(_exc: BaseException, path: str = path) -> None:
                self._loading.discard(path)
                self._avatars[path] = None

            Op(self.controller.runner, lambda _ctx: _decode(path), name="Load profile picture").success(
                loaded
            ).failure(failed).run()
        return self._default_avatar

    def _show_avatar(self, path: str) -> None:
        pixmap = self._avatars.get(path)
        if pixmap is None:
            return
        for row in range(self.accounts_list.count()):
            item = self.accounts_list.item(row)
            account = self.controller.account(item.data(Qt.ItemDataRole.UserRole))
            if account is not None and account.avatar_file == path:
                item.setIcon(QIcon(pixmap))

    def avatar_loaded(self, account_id: str) -> bool:
        """Whether the account's real picture (not the default picture) is shown (for tests)."""
        account = self.controller.account(account_id)
        return account is not None and self._avatars.get(account.avatar_file) is not None

    def selected_id(self) -> str | None:
        items = self.accounts_list.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def selected_account(self) -> Account | None:
        chosen = self.selected_id()
        return self.controller.account(chosen) if chosen else None

    def select(self, account_id: str) -> None:
        for row in range(self.accounts_list.count()):
            item = self.accounts_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == account_id:
                self.accounts_list.setCurrentItem(item)
                item.setSelected(True)

    def item_texts(self) -> list[str]:
        return [self.accounts_list.item(r).text() for r in range(self.accounts_list.count())]

    def _status_changed(self) -> None:
        self.notice_label.setText(self.controller.notice)
        self.notice_label.setVisible(bool(self.controller.notice))
        self._update_buttons()

    def _update_buttons(self) -> None:
        account = self.selected_account()
        live = not self.controller.closed
        signing_in = self.controller.signing_in
        self.sign_in_button.setEnabled(live and not signing_in)
        self.cancel_sign_in_button.setVisible(signing_in)
        self.sign_in_note.setVisible(signing_in)
        self.sign_out_button.setEnabled(live and account is not None and account.health != HEALTH_SIGNED_OUT)
        self.active_button.setEnabled(live and account is not None and not account.active)
        self.delete_button.setEnabled(live and account is not None)
        usable = any(a.health == HEALTH_OK for a in self.controller.accounts)
        self.sync_button.setEnabled(live and self.controller.started and usable)

    # ------------------------------------------------------------------ actions

    def show_status(self, text: str) -> None:
        self.status_label.setText(text)

    def start_sign_in(self) -> None:
        self._cancel = threading.Event()
        if self.controller.sign_in(self._cancel) is None:
            return
        self.show_status("Waiting for the browser…")
        self._update_buttons()

    def cancel_sign_in(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self.show_status("Cancelling the sign-in…")

    def _sign_in_finished(self, account: Account | None, problem: str) -> None:
        self._cancel = None
        self.show_status(f"Signed in {account.label}." if account is not None else problem)
        self._update_buttons()
        if account is not None:
            self.select(account.id)

    def sign_out(self) -> None:
        account = self.selected_account()
        if account is not None:
            self.controller.sign_out(account.id)
            self.show_status(f"Signing out of {account.label}…")

    def make_active(self) -> None:
        account = self.selected_account()
        if account is not None:
            self.controller.set_active(account.id)

    def sync_now(self) -> None:
        account = self.selected_account()
        usable = account is not None and account.health == HEALTH_OK
        self.controller.sync_now(account.id if usable and account is not None else None)

    def confirm_delete(self, account: Account) -> bool:
        """The confirmation hook (tests replace it): says exactly what goes."""
        answer = QMessageBox.question(
            self,
            "Delete all data of this account?",
            DELETE_TEXT.format(label=account.label),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def delete_data(self) -> None:
        account = self.selected_account()
        if account is None or not self.confirm_delete(account):
            return
        self.controller.delete_data(account.id)
        self.show_status(f"Deleting everything kept for {account.label}…")

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._avatars.clear()  # pictures are refreshed daily: read them again on each opening
        self.controller.refresh_accounts()
