"""After a crash: show what an unsaved autosave changed and let the creator choose.

What changed is said in words (:mod:`studio.core.changes`); the raw JSON diff is behind
"Details", between a filmstrip of the saved version and one of the autosave rendered at the
same moments (in the background: :mod:`studio.ui.drafts.filmstrip`). Restore makes the autosave the draft's current version (a new revision, the saved one
stays in history); Keep both leaves the draft as saved and opens the autosave as a new draft;
Discard stops offering it (it stays in the history). Closing the dialog decides nothing: it is
offered again.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio import threadguard
from studio.core.changes import ChangeSummary, summarize_changes
from studio.drafts import DraftError, DraftStore
from studio.drafts import recovery as rec
from studio.ui.drafts.change_summary import ChangeSummaryView
from studio.ui.drafts.filmstrip import VersionsComparison, strip_cache
from studio.ui.jobs import make_gui_runner

if TYPE_CHECKING:
    from studio.config import AppPaths


AT_START = "crash recovery at start-up, before the editor opens"


class RecoveryDialog(QDialog):
    RESTORED, KEPT_BOTH, DISCARDED = "restored", "kept_both", "discarded"

    def __init__(self, store: DraftStore, offer: rec.RecoveryOffer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.offer = offer
        self.outcome: str | None = None
        self.draft_to_open: int | None = None
        self.setWindowTitle("Recover unsaved work")
        when = time.strftime("%H:%M:%S on %Y-%m-%d", time.localtime(offer.autosave_at))
        heading = QLabel(
            f"<b>Creator Studio closed unexpectedly.</b><br>Changes to “{offer.title or 'Untitled'}” "
            f"were autosaved at {when} but never saved. Nothing has been changed yet."
        )
        heading.setWordWrap(True)

        self.changes = QTableWidget(len(offer.changes), 3)
        self.changes.setHorizontalHeaderLabels(["", "Saved", "Autosave"])
        self.changes.verticalHeader().setVisible(False)
        self.changes.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, change in enumerate(offer.changes):
            for col, text in enumerate((change.what, change.before, change.after)):
                self.changes.setItem(row, col, QTableWidgetItem(text))
        self.changes.resizeColumnsToContents()
        self.changes.horizontalHeader().setStretchLastSection(True)
        rows_height = sum(self.changes.rowHeight(r) for r in range(self.changes.rowCount()))
        self.changes.setFixedHeight(self.changes.horizontalHeader().sizeHint().height() + rows_height + 4)
        self.changes.setVisible(bool(offer.changes))

        self.summary_view = ChangeSummaryView(
            "What the autosave changed since you last saved:", [self.changes]
        )
        self._docs: tuple[dict[str, Any], dict[str, Any]] | None = None
        self._base_dir: str | None = None
        self.summary_view.set_summary(self._summary(), offer.diff or "(the documents are identical)")
        self.summary = self.summary_view.summary
        self.diff = self.summary_view.diff
        self.comparison = VersionsComparison(self.summary_view, "Saved", "Autosave")
        self.strips = self.comparison.strips
        self.runner = make_gui_runner(self)
        if self._docs is not None:
            saved, recovered = self._docs
            self.comparison.compare(
                self.runner,
                ("Saved", saved),
                ("Autosave", recovered),
                base_dir=self._base_dir,
                cache=strip_cache(store.cache_dir),
            )

        buttons = QDialogButtonBox()
        self.restore_button = QPushButton("Restore autosave")
        self.keep_both_button = QPushButton("Keep both")
        self.discard_button = QPushButton("Discard autosave")
        self.restore_button.setDefault(True)
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.keep_both_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.discard_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.restore_button.clicked.connect(self.restore)
        self.keep_both_button.clicked.connect(self.keep_both)
        self.discard_button.clicked.connect(self.discard)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.comparison, 1)
        layout.addWidget(buttons)
        self.resize(760, 600)

    def _summary(self) -> ChangeSummary:
        offer = self.offer
        try:
            with threadguard.allowed(AT_START):
                saved = (
                    self.store.get_project_doc(offer.draft_id, offer.saved_revision_id)
                    if offer.saved_revision_id is not None
                    else {}
                )
                recovered = self.store.get_project_doc(offer.draft_id, offer.autosave_revision_id)
                base = self.store.base_dir(offer.draft_id)
        except DraftError:
            return ChangeSummary((), ("the versions could not be compared; see the details",))
        self._docs, self._base_dir = (saved, recovered), str(base) if base is not None else None
        return summarize_changes(saved, recovered)

    def done(self, result: int) -> None:
        """Closing (any choice, or the window) stops the filmstrips still being rendered."""
        self.comparison.cancel()
        self.runner.shutdown(wait=False, cancel=True)
        super().done(result)

    def restore(self) -> None:
        with threadguard.allowed(AT_START):
            rec.restore(self.store, self.offer)
        self.outcome, self.draft_to_open = self.RESTORED, self.offer.draft_id
        self.accept()

    def keep_both(self) -> None:
        with threadguard.allowed(AT_START):
            self.draft_to_open = rec.keep_both(self.store, self.offer)
        self.outcome = self.KEPT_BOTH
        self.accept()

    def discard(self) -> None:
        with threadguard.allowed(AT_START):
            rec.discard(self.store, self.offer)
        self.outcome = self.DISCARDED
        self.accept()


def offer_recovery(store: DraftStore, parent: QWidget | None = None) -> list[RecoveryDialog]:
    """Show a dialog for every draft with unsaved autosaves (call after
    :meth:`studio.drafts.recovery.SessionLock.acquire` reported a stale lock)."""
    dialogs = []
    with threadguard.allowed(AT_START):
        offers = rec.recovery_offers(store)
    for offer in offers:
        dialog = RecoveryDialog(store, offer, parent)
        dialog.exec()
        dialogs.append(dialog)
    return dialogs


def session_busy_box(exc: rec.SessionBusy, parent: QWidget | None = None) -> QMessageBox:
    """The message for a profile held by another instance; with an "Open anyway" button
    (object name ``openAnyway``) when the holder is another host's that cannot be checked."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Creator Studio is already running")
    if exc.can_open_anyway:
        box.setText(
            f"{exc}. If it is not open there any more, choose Open anyway; opening the same profile "
            "on two computers at once can lose autosaved work. Drafts stay off until then."
        )
        button = box.addButton("Open anyway", QMessageBox.ButtonRole.AcceptRole)
        button.setObjectName("openAnyway")
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
    else:
        box.setText(f"{exc}. Use that window, or start this one with another profile (--profile NAME).")
        box.addButton(QMessageBox.StandardButton.Ok)
    return box


def _ask(exc: rec.SessionBusy, parent: QWidget | None) -> bool:
    """Show the message; True when the creator chose Open anyway."""
    box = session_busy_box(exc, parent)
    box.exec()
    clicked = box.clickedButton()
    return exc.can_open_anyway and clicked is not None and clicked.objectName() == "openAnyway"


def start_drafts_session(
    store: DraftStore, paths: AppPaths, parent: QWidget | None = None
) -> tuple[rec.SessionLock | None, list[RecoveryDialog]]:
    """Take the profile's session lock at start-up; after an unclean exit, offer recovery.

    Returns the lock (release it on a clean exit) and the dialogs shown (their ``draft_to_open``
    says what to open). ``(None, [])`` when another running instance holds the profile: the
    creator was told, and this instance must not write autosaves over the other's.
    """
    lock = rec.SessionLock(paths.data)
    try:
        try:
            stale = lock.acquire()
        except rec.SessionBusy as exc:
            if not _ask(exc, parent):
                return None, []
            stale = lock.acquire(open_anyway=True)
    except rec.SessionBusy as exc:
        _ask(exc, parent)
        return None, []
    except OSError as exc:
        QMessageBox.warning(parent, "Drafts are unavailable", f"The session lock could not be taken: {exc}")
        return None, []
    return lock, offer_recovery(store, parent) if stale is not None else []
