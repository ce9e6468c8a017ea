"""The uploads in the status bar ("Uploading 1 of 2 · 43%") and the note when a job ends.

The indicator is computed from :attr:`PublishController.jobs` (no I/O) and hidden when no job
runs; a click opens the Uploads panel.

When a job ends (published, in the inbox, failed, cancelled, not confirmed) the creator is told
with a desktop notification: ``QSystemTrayIcon.showMessage`` where the desktop has a system
tray, because it is the one notification Qt offers on Windows, macOS and Linux alike without
another dependency, and it reaches the creator while the window is hidden or minimised. Where
there is no tray (some Wayland and GNOME sessions, offscreen) the same sentence goes to the
status bar instead, which is always there. The sentence is logged either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon, QToolButton, QWidget

from studio.ui.publish.controller import PublishController
from studio.upload import states as S
from studio.upload.store import Job

log = logging.getLogger(__name__)

NOTIFY_MS = 8000


def indicator_text(controller: PublishController) -> str:
    """'Uploading 1 of 2 · 43%' for the running jobs; '' when none runs."""
    jobs = controller.running()
    if not jobs:
        return ""
    working = [j for j in jobs if j.state != S.QUEUED]
    current = working[0] if working else jobs[0]
    position = jobs.index(current) + 1
    fraction = controller.fraction(current)
    if current.state == S.UPLOADING and fraction is not None:
        tail = f"{fraction * 100:.0f}%"
    else:
        tail = current.label
    return f"Uploading {position} of {len(jobs)} · {tail}"


def ended_text(job: Job) -> str:
    """The notification's sentence for a job that ended."""
    if job.state == S.PUBLISHED:
        return f"Published “{job.title}”" + (f": {job.share_url}" if job.share_url else ".")
    if job.state == S.INBOX:
        return f"“{job.title}” is in your TikTok inbox: open TikTok to finish the post."
    if job.state == S.FAILED:
        return f"“{job.title}” was not published: {job.reason or 'it failed'}"
    if job.state == S.CANCELLED:
        return f"The upload of “{job.title}” was cancelled."
    return f"TikTok did not confirm “{job.title}”: check your profile before posting again."


class UploadsIndicator(QToolButton):
    """Permanent status-bar widget; ``openRequested`` fires on click."""

    openRequested = Signal()

    def __init__(self, controller: PublishController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("uploadsStatus")
        self.setAutoRaise(True)
        self.controller = controller
        self.clicked.connect(lambda _checked=False: self.openRequested.emit())
        for signal in (controller.jobsChanged, controller.jobChanged, controller.progressed):
            signal.connect(lambda *_args: self.refresh())
        controller.statusChanged.connect(lambda _text: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        text = indicator_text(self.controller)
        self.setText(text)
        tip = [self.controller.status_text] if self.controller.status_text else []
        tip.append("Click to see the uploads")
        self.setToolTip("\n".join(tip))
        self.setVisible(bool(text))


class EndNotifier(QObject):
    """Tells the creator when a job ends: tray message, or ``fallback`` (the status bar)."""

    def __init__(
        self,
        controller: PublishController,
        fallback: Callable[[str], None],
        icon: QIcon | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.fallback = fallback
        self._icon = icon
        self.tray: QSystemTrayIcon | None = None
        self.sent: list[str] = []
        controller.jobEnded.connect(self.notify)

    def _tray(self) -> QSystemTrayIcon:
        if self.tray is None:
            icon = self._icon if self._icon is not None and not self._icon.isNull() else None
            if icon is None:
                app_icon = QApplication.windowIcon()
                icon = (
                    app_icon
                    if not app_icon.isNull()
                    else QApplication.style().standardIcon(QStyle.StandardPixmap.SP_ArrowUp)
                )
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("Creator Studio uploads")
        self.tray.show()
        return self.tray

    def notify(self, job: Job) -> None:
        text = ended_text(job)
        self.sent.append(text)
        log.info("publish job %s ended: %s", job.id, text)
        if QSystemTrayIcon.isSystemTrayAvailable():
            bad = job.state in (S.FAILED, S.UNCONFIRMED)
            kind = QSystemTrayIcon.MessageIcon.Warning if bad else QSystemTrayIcon.MessageIcon.Information
            self._tray().showMessage("Creator Studio", text, kind, NOTIFY_MS)
        else:
            self.fallback(text)
