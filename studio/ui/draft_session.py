"""Ties the editor to the drafts store: every project being edited is a draft.

The first edit of a project creates its draft; after that each edit is autosaved (the document is
serialised on the GUI thread 100 ms after the edit — cheap, and it never races the editor — and
written by the :class:`~studio.drafts.autosave.Autosaver` thread within 2 s of the last edit).
File > Save also stores the draft's head revision. File > Drafts… opens the browser; a draft
opened there, or restored after a crash, replaces the editor's project.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QDialog, QVBoxLayout

from studio.core.edits import History
from studio.core.errors import ProjectError
from studio.core.project import Project
from studio.drafts import DraftError, DraftStore
from studio.drafts.autosave import Autosaver
from studio.ui.jobs import Op

if TYPE_CHECKING:
    from studio.ui.drafts_browser import DraftsBrowser
    from studio.ui.main_window import MainWindow

log = logging.getLogger(__name__)

SNAPSHOT_DELAY_MS = 100
AUTOSAVE_DEBOUNCE_S = 1.8  # + the snapshot delay: saved within 2 s of the last edit


class DraftSession(QObject):
    def __init__(self, window: MainWindow, store: DraftStore) -> None:
        super().__init__(window)
        self.window = window
        self.store = store
        self.draft_id: int | None = None
        self.autosaver: Autosaver | None = None
        self._bound: History | None = None
        self._next_draft: int | None = None
        self._text = ""
        self._lock = threading.Lock()
        self._browser: QDialog | None = None
        self._snapshot_timer = QTimer(self)
        self._snapshot_timer.setSingleShot(True)
        self._snapshot_timer.setInterval(SNAPSHOT_DELAY_MS)
        self._snapshot_timer.timeout.connect(self._snapshot)
        window.projectChanged.connect(self._changed)
        window.projectSaved.connect(self._saved)
        window.mediaCreated.connect(self.add_to_library)
        action = window._action("&Drafts…", self.show_browser)
        window.file_menu.insertAction(window.open_action, action)
        self.drafts_action = action
        self._bind(window.history)

    # ------------------------------------------------------------ binding a project to a draft

    def _bind(self, history: History) -> None:
        self._close_autosaver()
        self._bound = history
        self.draft_id, self._next_draft = self._next_draft, None
        if self.draft_id is not None:
            self._start_autosaver()

    def _start_autosaver(self) -> None:
        assert self.draft_id is not None
        self.autosaver = Autosaver(
            self.store,
            self.draft_id,
            self._document,
            debounce=AUTOSAVE_DEBOUNCE_S,
            on_error=lambda exc: log.error("autosave failed: %s", exc),
        )

    def _close_autosaver(self) -> None:
        if self.autosaver is not None:
            if self._snapshot_timer.isActive():
                self._snapshot_timer.stop()
                self._snapshot()
            self.autosaver.close(flush=True)
            self.autosaver = None

    def _document(self) -> str:
        with self._lock:
            return self._text

    def _changed(self) -> None:
        history = self.window.history
        if history is not self._bound:
            self._bind(history)
            return
        if not history.labels and not history.can_redo:
            return
        if self.draft_id is None:
            try:
                self.draft_id = self.store.create_draft(self._doc(), kind="new")
            except (DraftError, OSError) as exc:
                self.window.show_message(f"Autosave is off: the draft could not be stored ({exc})")
                return
            self._start_autosaver()
        self._snapshot_timer.start()

    def _doc(self) -> dict[str, object]:
        return self.window.project.to_dict()

    def _snapshot(self) -> None:
        text = json.dumps(self._doc(), separators=(",", ":"), sort_keys=True)
        with self._lock:
            self._text = text
        if self.autosaver is not None:
            self.autosaver.touch()

    def _saved(self) -> None:
        if self.draft_id is None:
            self._changed_to_draft()
            return
        draft_id, doc = self.draft_id, self._doc()
        Op(
            self.window.runner, lambda _ctx: self.store.save(draft_id, doc), name="Save draft", lane="db"
        ).failure(lambda exc: self.window.show_message(f"The draft was not stored: {exc}")).run()

    def _changed_to_draft(self) -> None:
        try:
            self.draft_id = self.store.create_draft(self._doc(), kind="save")
        except (DraftError, OSError) as exc:
            self.window.show_message(f"The draft was not stored: {exc}")
            return
        self._start_autosaver()

    def add_to_library(self, path: str) -> None:
        """A take the app recorded joins the media library (deduplicated by content)."""
        draft_id = self.draft_id
        Op(
            self.window.runner,
            lambda _ctx: self.store.media.import_file(path, draft_id=draft_id),
            name="Add to media library",
            lane="db",
        ).failure(lambda exc: self.window.show_message(f"Not added to the media library: {exc}")).run()

    # ------------------------------------------------------------ opening drafts

    def open_draft(self, draft_id: int) -> bool:
        """Load the draft's current revision into the editor (asks about unsaved changes first)."""
        try:
            doc = self.store.get_project_doc(draft_id)
            base = self.store.base_dir(draft_id)
            project = Project.from_dict(doc, base_dir=str(base) if base else None)
        except (DraftError, ProjectError) as exc:
            self.window.show_message(f"Cannot open the draft: {exc}")
            return False
        if not self.window.maybe_discard():
            return False
        self._next_draft = draft_id
        self.window.set_history(History(project), None)
        self.window.show_message(f"Opened draft “{project.title}”")
        return True

    def show_browser(self) -> DraftsBrowser:
        from studio.ui.drafts_browser import DraftsBrowser

        if self._browser is None:
            dialog = QDialog(self.window)
            dialog.setWindowTitle("Drafts")
            dialog.resize(820, 560)
            browser = DraftsBrowser(self.store, dialog)
            layout = QVBoxLayout(dialog)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(browser)
            browser.openRequested.connect(lambda draft_id: self.open_draft(draft_id) and dialog.accept())
            browser.publishRequested.connect(
                lambda draft_id: self.window.show_publish(draft_id=draft_id, draft_store=self.store)
            )
            dialog.browser = browser  # type: ignore[attr-defined]
            self._browser = dialog
        self._browser.browser.model.refresh()  # type: ignore[attr-defined]
        self._browser.show()
        self._browser.raise_()
        return self._browser.browser  # type: ignore[attr-defined,no-any-return]

    def save_now(self, timeout: float = 5.0) -> bool:
        """Autosave the editor's current state now and wait for it (before an error dialog);
        True when nothing is left unsaved."""
        if self.autosaver is None:
            return True
        self._snapshot_timer.stop()
        self._snapshot()
        return self.autosaver.flush(timeout)

    def close(self) -> None:
        """Flush the last edit to disk (called when the app quits)."""
        self._close_autosaver()


def start(window: MainWindow) -> tuple[DraftSession | None, object]:
    """Open the profile's store, take the session lock, offer recovery after a crash.

    Returns the session (None when the store cannot be opened: the editor still works, and the
    status bar says why) and the lock to release on a clean exit.
    """
    from studio.drafts import open_store
    from studio.ui.recovery_dialog import start_drafts_session

    try:
        store = open_store(window.paths)
    except (DraftError, OSError) as exc:
        window.show_message(f"Drafts are unavailable: {exc}")
        return None, None
    lock, dialogs = start_drafts_session(store, window.paths, window)
    if lock is None:
        store.close()
        return None, None
    session = DraftSession(window, store)
    for dialog in dialogs:
        draft_id = getattr(dialog, "draft_to_open", None)
        if draft_id is not None:
            session.open_draft(draft_id)
    return session, lock
