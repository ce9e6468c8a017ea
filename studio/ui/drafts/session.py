"""Ties the editor to the drafts store: every project being edited is a draft.

The first edit of a project creates its draft; after that each edit is autosaved (the document is
serialised on the GUI thread 100 ms after the edit — cheap, and it never races the editor — and
written by the :class:`~studio.drafts.autosave.Autosaver` thread within 2 s of the last edit).
File > Save also stores the draft's head revision. File > Drafts… opens the browser; a draft
opened there, or restored after a crash, replaces the editor's project.

The GUI thread only draws: creating the draft, saving and loading a draft to open run in the job
runner's ``"db"`` lane, and their results are applied on the GUI thread when they arrive. The first
edit creates the draft once; edits made while it is being created are autosaved as soon as its id
is known.

A new draft gets a cover (:func:`studio.ui.drafts.covers.make_cover`): when it is created or
saved and has none yet, its first frame that is not black (else the frame a third of the way in)
is rendered in the background and stored. The creator can choose another frame in the drafts
browser ("Set frame at … as cover").
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QDialog, QVBoxLayout

from studio.core.edits import History
from studio.core.errors import ProjectError
from studio.core.project import Project
from studio.drafts import DraftError, DraftStore
from studio.drafts.autosave import Autosaver
from studio.jobs.runner import JobHandle, JobState
from studio.ui.jobs import Op

if TYPE_CHECKING:
    from studio.ui.drafts.browser import DraftsBrowser
    from studio.ui.editor.window.main_window import MainWindow

log = logging.getLogger(__name__)

SNAPSHOT_DELAY_MS = 100
AUTOSAVE_DEBOUNCE_S = 1.8  # + the snapshot delay: saved within 2 s of the last edit


class DraftSession(QObject):
    """``draftCreated(draft_id)``: the editor's project became a stored draft;
    ``draftOpened(draft_id)``: a draft was loaded into the editor."""

    draftCreated = Signal(int)
    draftOpened = Signal(int)

    def __init__(self, window: MainWindow, store: DraftStore) -> None:
        super().__init__(window)
        self.window = window
        self.store = store
        self.draft_id: int | None = None
        self.autosaver: Autosaver | None = None
        self._bound: History | None = None
        self._next_draft: int | None = None
        self._creating: JobHandle[int] | None = None  # the draft being created in the background
        self._edited_while_creating = False
        self._save_when_created = False
        self._text = ""
        self._lock = threading.Lock()
        self._browser: QDialog | None = None
        self._closing: list[threading.Thread] = []  # last saves of drafts left behind
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
        self._close_autosaver(wait=False)
        self._bound = history
        self._creating = None  # a draft still being created belongs to the project left behind
        self._edited_while_creating = self._save_when_created = False
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

    def _close_autosaver(self, *, wait: bool = True) -> None:
        """Save the draft being left. Switching projects (``wait=False``) leaves the last save to
        a background thread, so the GUI thread never waits on the disk; quitting waits for it
        and for every earlier one."""
        if self.autosaver is not None:
            if self._snapshot_timer.isActive():
                self._snapshot_timer.stop()
                self._snapshot()
            saver, self.autosaver = self.autosaver, None
            if wait:
                saver.close(flush=True)
            else:
                self._closing = [t for t in self._closing if t.is_alive()]
                self._closing.append(saver.close_later(self._document()))
        if wait:
            for closer in self._closing:
                closer.join()
            self._closing.clear()

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
            if self._creating is None:
                self._create_draft("new", "Autosave is off: the draft could not be stored ({exc})")
            else:
                self._edited_while_creating = True
        self._snapshot_timer.start()

    def _create_draft(self, kind: str, failure: str) -> None:
        """Store the project as a new draft in the background; the autosaver starts when its id
        arrives. ``failure`` is the message (with ``{exc}``) shown when it cannot be stored."""
        doc = self._doc()  # the project as it is now, serialised on the GUI thread
        handle: JobHandle[int] = (
            Op(
                self.window.runner,
                lambda _ctx: self.store.create_draft(doc, kind=kind),
                name="Create draft",
                lane="db",
            )
            .success(lambda draft_id: self._created(handle, draft_id))
            .failure(lambda exc: self._create_failed(handle, failure, exc))
            .run()
        )
        self._creating = handle

    def _created(self, handle: JobHandle[int], draft_id: int) -> None:
        if handle is not self._creating:
            return  # applied already (save_now), or the editor moved on to another project
        self._creating = None
        self.draft_id = draft_id
        self._start_autosaver()
        if self._edited_while_creating and not self._snapshot_timer.isActive():
            self._snapshot()  # the edits after the one stored at creation: autosave them now
        self._edited_while_creating = False
        self.draftCreated.emit(draft_id)
        self._make_cover(draft_id)
        if self._save_when_created:
            self._save_when_created = False
            self._saved()

    def _create_failed(self, handle: JobHandle[int], failure: str, exc: BaseException) -> None:
        if handle is not self._creating:
            return
        self._creating = None
        self._edited_while_creating = self._save_when_created = False
        self.window.show_message(failure.format(exc=exc))

    def _doc(self) -> dict[str, object]:
        """The bound project's document: while projects are switched, the window already shows
        the new one and the draft being left must still get its own last edit."""
        history = self._bound if self._bound is not None else self.window.history
        return history.project.to_dict()

    def _snapshot(self) -> None:
        text = json.dumps(self._doc(), separators=(",", ":"), sort_keys=True)
        with self._lock:
            self._text = text
        if self.autosaver is not None:
            self.autosaver.touch()

    def _saved(self) -> None:
        if self.draft_id is None:
            if self._creating is not None:
                self._save_when_created = True  # saved as soon as the draft exists
            else:
                self._create_draft("save", "The draft was not stored: {exc}")
            return
        draft_id, doc = self.draft_id, self._doc()
        Op(
            self.window.runner, lambda _ctx: self.store.save(draft_id, doc), name="Save draft", lane="db"
        ).success(lambda _rev: self._make_cover(draft_id, doc)).failure(
            lambda exc: self.window.show_message(f"The draft was not stored: {exc}")
        ).run()

    def _make_cover(self, draft_id: int, doc: dict[str, object] | None = None) -> None:
        """Give the draft a cover in the background if it has none (never on the GUI thread)."""
        from studio.ui.drafts.covers import make_cover

        make_cover(self.window.runner, self.store, draft_id, doc if doc is not None else self._doc())

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

    def open_draft(self, draft_id: int, on_opened: Callable[[], None] | None = None) -> JobHandle[Project]:
        """Load the draft's current revision in the background, then (on the GUI thread) ask
        about unsaved changes and put it in the editor; ``on_opened`` and ``draftOpened`` follow."""

        def load(_ctx: object) -> Project:
            doc = self.store.get_project_doc(draft_id)
            base = self.store.base_dir(draft_id)
            return Project.from_dict(doc, base_dir=str(base) if base else None)

        return (
            Op(self.window.runner, load, name="Open draft", lane="db")
            .success(lambda project: self._apply_opened(draft_id, project, on_opened))
            .failure(lambda exc: self._open_failed(exc))
            .run()
        )

    def _open_failed(self, exc: BaseException) -> None:
        if isinstance(exc, DraftError | ProjectError | OSError):
            self.window.show_message(f"Cannot open the draft: {exc}")
        else:
            self.window.show_message(f"Cannot open the draft: something went wrong ({exc})")

    def _apply_opened(self, draft_id: int, project: Project, on_opened: Callable[[], None] | None) -> None:
        if not self.window.maybe_discard():
            return
        self._next_draft = draft_id
        self.window.set_history(History(project), None)
        self.window.show_message(f"Opened draft “{project.title}”")
        self.draftOpened.emit(draft_id)
        if on_opened is not None:
            on_opened()

    def show_browser(self) -> DraftsBrowser:
        from studio.ui.drafts.browser import DraftsBrowser

        if self._browser is None:
            dialog = QDialog(self.window)
            dialog.setWindowTitle("Drafts")
            dialog.resize(820, 560)
            browser = DraftsBrowser(self.store, dialog, runner=self.window.runner)
            layout = QVBoxLayout(dialog)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(browser)
            browser.openRequested.connect(lambda draft_id: self.open_draft(draft_id, dialog.accept))
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
        True when nothing is left unsaved. A draft still being created is waited for first: this
        is the one deliberate wait (the crash path, before the error dialog)."""
        handle = self._creating
        if handle is not None and handle.future is not None:
            try:
                handle.future.result(timeout)  # the job ran; its callbacks are still queued
            except TimeoutError:
                return False
            if handle.state is JobState.DONE and handle.result is not None:
                self._created(handle, handle.result)
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
    from studio.ui.drafts.recovery_dialog import start_drafts_session

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
