"""The GUI thread only draws: database waits and media decoding ask here first.

The Qt layer marks its thread at start (:func:`mark_gui_thread`). The one writer's blocking
``call``, every read query and every PyAV open then call :func:`check`; made by the UI layer on the
GUI thread, that is a bug (the window freezes behind an autosave, a VACUUM or a slow disk). With
``CREATOR_STUDIO_THREAD_GUARD=raise`` (the test suite) it raises :class:`GuiThreadBlocked`, so a
test catches the call where it happens; otherwise it is logged once per kind of call with the
stack, and the app carries on.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback

ENV = "CREATOR_STUDIO_THREAD_GUARD"
UI_PACKAGE = "studio.ui"

log = logging.getLogger(__name__)
_gui: threading.Thread | None = None
_reported: set[str] = set()
_allowed = threading.local()


class GuiThreadBlocked(RuntimeError):
    """A blocking call (database, decoder) was made on the GUI thread."""


def mark_gui_thread() -> None:
    """The calling thread draws the UI from now on."""
    global _gui
    _gui = threading.current_thread()


def unmark_gui_thread() -> None:
    global _gui
    _gui = None


def on_gui_thread() -> bool:
    return _gui is not None and threading.current_thread() is _gui


class allowed:
    """``with allowed("why"):`` a deliberate blocking call on the GUI thread (start-up, shutdown)."""

    def __init__(self, why: str) -> None:
        self.why = why

    def __enter__(self) -> None:
        _allowed.depth = getattr(_allowed, "depth", 0) + 1

    def __exit__(self, *exc: object) -> None:
        _allowed.depth -= 1


def _from_ui() -> bool:
    """Whether the UI layer (``studio.ui``) made this call (a test's own check of the database
    on the main thread is not the window blocking)."""
    frame = sys._getframe(2)
    while frame is not None:
        if str(frame.f_globals.get("__name__", "")).startswith(UI_PACKAGE):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def check(what: str) -> None:
    """Raise or log if the UI layer makes ``what`` (a blocking call) on the GUI thread."""
    if not on_gui_thread() or getattr(_allowed, "depth", 0) or not _from_ui():
        return
    if os.environ.get(ENV, "") == "raise":
        raise GuiThreadBlocked(f"{what} on the GUI thread: run it in the job runner")
    if what not in _reported:
        _reported.add(what)
        log.warning(
            "%s on the GUI thread (the window may freeze):\n%s",
            what,
            "".join(traceback.format_stack(limit=12)),
        )
