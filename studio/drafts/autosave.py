"""Autosave: debounced, bounded, off the GUI thread (Qt-free).

The editor calls :meth:`Autosaver.touch` after every edit. A background thread saves
``debounce`` seconds after the last edit, and never later than ``max_interval`` seconds after
the first unsaved edit (a creator dragging a clip for two minutes still gets saved every 60 s).
``snapshot()`` runs on the autosave thread: it must return the project document (a dict, or
already-serialized JSON) without racing the editor — e.g. ``lambda: json.dumps(project.to_dict())``
behind the editor's lock, or a function that asks the GUI thread for a copy.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from studio.drafts.store import DraftStore

log = logging.getLogger(__name__)

Snapshot = Callable[[], "dict[str, Any] | str"]


class Autosaver:
    def __init__(
        self,
        store: DraftStore,
        draft_id: int,
        snapshot: Snapshot,
        *,
        debounce: float = 2.0,
        max_interval: float = 60.0,
        prune_every: float = 600.0,
        retry_after: float = 5.0,
        on_saved: Callable[[int], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.draft_id = draft_id
        self._snapshot = snapshot
        self.debounce = debounce
        self.max_interval = max_interval
        self.prune_every = prune_every
        self.retry_after = retry_after
        self._on_saved = on_saved
        self._on_error = on_error
        self._clock = clock
        self._cond = threading.Condition()
        self._dirty = False
        self._first_edit = 0.0
        self._last_edit = 0.0
        self._not_before = 0.0
        self._saving = False
        self._closed = False
        self._last_prune = clock()
        self.last_revision_id: int | None = None
        self.last_error: BaseException | None = None
        self.saves = 0
        self._thread = threading.Thread(target=self._run, name=f"autosave-{draft_id}", daemon=True)
        self._thread.start()

    @property
    def dirty(self) -> bool:
        with self._cond:
            return self._dirty or self._saving

    def touch(self) -> None:
        """Record an edit. Cheap: safe to call from the GUI thread on every change."""
        now = self._clock()
        with self._cond:
            if not self._dirty:
                self._first_edit = now
            self._dirty = True
            self._last_edit = now
            self._cond.notify()

    def _due(self, now: float) -> float:
        """Seconds until the pending save is due (<= 0: now)."""
        deadline = min(self._last_edit + self.debounce, self._first_edit + self.max_interval)
        return max(deadline, self._not_before) - now

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and not self._dirty:
                    self._cond.wait()
                if self._closed:
                    return
                wait = self._due(self._clock())
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                self._dirty = False
                self._saving = True
            self._save_once()

    def _save_once(self) -> int | None:
        try:
            rev = self.store.autosave(self.draft_id, self._snapshot())
        except BaseException as exc:
            with self._cond:
                self._saving = False
                if not self._dirty:
                    self._dirty, self._first_edit = True, self._clock()
                    self._last_edit = self._first_edit
                self._not_before = self._clock() + self.retry_after
            self.last_error = exc
            log.warning("autosave of draft %s failed, will retry: %s", self.draft_id, exc)
            if self._on_error is not None:
                self._on_error(exc)
            return None
        with self._cond:
            self._saving = False
            self._not_before = 0.0
            self._cond.notify_all()
        self.last_error = None
        if rev is not None:
            self.last_revision_id = rev
            self.saves += 1
            if self._on_saved is not None:
                self._on_saved(rev)
        self._maybe_prune()
        return rev

    def _maybe_prune(self) -> None:
        now = self._clock()
        if now - self._last_prune < self.prune_every:
            return
        self._last_prune = now
        try:
            self.store.prune_revisions(self.draft_id)
        except Exception as exc:
            log.warning("could not prune old revisions of draft %s: %s", self.draft_id, exc)

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Save pending edits now (e.g. before closing the draft); True when nothing is unsaved."""
        with self._cond:
            self._first_edit = self._last_edit = -1e18 if self._dirty else self._last_edit
            self._not_before = 0.0
            self._cond.notify_all()
            end = None if timeout is None else time.monotonic() + timeout
            while self._dirty or self._saving:
                remaining = None if end is None else end - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return self.last_error is None

    def close(self, *, flush: bool = True) -> None:
        if flush:
            self.flush()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()

    def close_later(self, final: dict[str, Any] | str) -> threading.Thread:
        """Close without waiting: a pending edit is saved as ``final`` (the document as it was
        when the creator left it; the editor may already show another project), then the autosave
        thread ends. Returns the closing thread: not a daemon, so a quitting process still waits
        for the save, and whoever closes the store joins it first."""
        self._snapshot = lambda: final
        closer = threading.Thread(
            target=self.close, kwargs={"flush": True}, name=f"autosave-{self.draft_id}-close", daemon=False
        )
        closer.start()
        return closer
