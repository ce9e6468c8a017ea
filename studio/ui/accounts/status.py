"""The sync state in the status bar: "Synced 2 min ago", "Offline since 14:05", "Sign in again".

The text is recomputed every 30 s from the last :class:`EngineStatus` the controller reported
(``ago`` is pure arithmetic: no engine call); a click opens the Accounts dialog.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QToolButton, QWidget

from studio.sync.engine import EngineStatus
from studio.ui.accounts.controller import SyncController

REFRESH_MS = 30_000

#: states whose engine message is a whole sentence: the status bar shows a short form of it
SHORT_TEXT = {
    "starting": "Starting sync…",
    "syncing": "Syncing…",
    "no_account": "No account",
    "error": "Sync is off",
    "stopped": "Sync stopped",
}


def status_text(status: EngineStatus, now: float | None = None) -> str:
    """The few words the status bar shows."""
    if status.state in ("synced", "offline", "sign_in_again"):
        return status.text(now)
    return SHORT_TEXT.get(status.state, status.text(now))


def status_tooltip(status: EngineStatus) -> str:
    lines = [status.message] if status.message else []
    if status.last_sync_at is not None:
        when = time.strftime("%H:%M", time.localtime(status.last_sync_at))
        lines.append(f"Last sync at {when}")
    if status.state == "offline" and status.offline_since is not None:
        lines.append("Creator Studio keeps trying and resumes by itself.")
    if status.state == "sign_in_again":
        lines.append("An account lost its sign-in: open Accounts and sign in again.")
    lines.append("Click to manage accounts")
    return "\n".join(lines)


class SyncStatusIndicator(QToolButton):
    """Permanent status-bar widget; ``openRequested`` fires on click."""

    openRequested = Signal()

    def __init__(self, controller: SyncController | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncStatus")
        self.setAutoRaise(True)
        self.status: EngineStatus | None = None
        self.setText("Sync not started")
        self.setToolTip("Click to manage accounts")
        self.clicked.connect(lambda _checked=False: self.openRequested.emit())
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh_text)
        self._timer.start()
        if controller is not None:
            controller.statusChanged.connect(self.set_status)
            self.set_status(controller.status)

    def set_status(self, status: EngineStatus) -> None:
        self.status = status
        self.setToolTip(status_tooltip(status))
        self.refresh_text()

    def refresh_text(self) -> None:
        if self.status is not None:
            self.setText(status_text(self.status))
