"""The Qt side of the job runner: callbacks on the GUI thread, a fluent op, a status widget.

:class:`GuiDispatcher` is the runner's dispatcher. Like Anki's ``TaskManager.run_on_main`` it
hands closures from worker threads to the GUI thread through a queued signal, so every
``success``/``failure``/``progress`` callback and every runner listener runs where widgets
may be touched. :class:`Op` is the call-site shape (after Anki's ``CollectionOp``/``QueryOp``)::

    Op(runner, make_thumbnail, name="Thumbnail").success(show).failure(report).run()
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QProgressBar, QToolButton, QWidget

from studio.jobs.runner import (
    JobContext,
    JobHandle,
    JobRunner,
    JobState,
    Progress,
    RunnerClosed,
    cancelled_handle,
)

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Gate:
    """Whether the dispatcher's Qt object still exists; a plain Python object, so that a worker
    thread can ask it while the GUI thread is destroying the dispatcher."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open = True

    def close(self, *_args: object) -> None:
        with self.lock:
            self.open = False


class GuiDispatcher(QObject):
    """Runs posted closures on the thread this object lives in (create it on the GUI thread).

    A job may finish after the window that started it is gone (a dialog closed mid-render): the
    dispatcher goes with its parent, and a worker that posts to it afterwards must not touch the
    freed object (that crashed the process). ``destroyed`` closes a gate, under the same lock a
    poster holds while it emits, so a late answer is dropped instead.
    """

    _posted = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._gate = _Gate()
        self.destroyed.connect(self._gate.close, Qt.ConnectionType.DirectConnection)
        self._posted.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def __call__(self, fn: Callable[[], None]) -> None:
        gate = self._gate
        with gate.lock:
            if not gate.open:
                log.debug("a job finished after its window closed; its answer is dropped")
                return
            self._posted.emit(fn)

    @Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:
            log.exception("a job callback failed")


def close_bounded(close: Callable[[], None], what: str, timeout: float) -> bool:
    """At exit: run a blocking ``close`` on a helper thread, wait at most ``timeout`` seconds.
    Returns whether it finished (a stuck network call must not keep the app from quitting)."""

    def run() -> None:
        try:
            close()
        except Exception:
            log.exception("the %s did not close cleanly", what)

    closer = threading.Thread(target=run, name=f"close-{what.replace(' ', '-')}", daemon=True)
    closer.start()
    closer.join(timeout)
    if closer.is_alive():
        log.warning("the %s did not stop within %.0f s", what, timeout)
        return False
    return True


def make_gui_runner(parent: QObject | None = None, workers: int = 2) -> JobRunner:
    """A :class:`JobRunner` whose callbacks and listeners all run on the GUI thread."""
    dispatcher = GuiDispatcher(parent)
    runner = JobRunner(workers=workers, dispatcher=dispatcher)
    runner._gui_dispatcher = dispatcher  # type: ignore[attr-defined]  # keeps it alive with the runner
    return runner


class Op(Generic[T]):
    """A background operation with callbacks, configured fluently and started with :meth:`run`.

    ``fn`` runs on a worker and receives the :class:`JobContext` (``ctx.progress(...)``,
    ``ctx.check()``). Without a ``failure`` callback a failure is logged by the runner.
    """

    def __init__(
        self, runner: JobRunner, fn: Callable[[JobContext], T], *, name: str = "job", lane: str = "default"
    ) -> None:
        self._runner = runner
        self._fn = fn
        self._name = name
        self._lane = lane
        self._on_success: Callable[[T], None] | None = None
        self._on_failure: Callable[[BaseException], None] | None = None
        self._on_progress: Callable[[Progress], None] | None = None
        self._on_cancelled: Callable[[], None] | None = None

    def success(self, callback: Callable[[T], None]) -> Op[T]:
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> Op[T]:
        self._on_failure = callback
        return self

    def progress(self, callback: Callable[[Progress], None]) -> Op[T]:
        self._on_progress = callback
        return self

    def cancelled(self, callback: Callable[[], None]) -> Op[T]:
        self._on_cancelled = callback
        return self

    def run(self) -> JobHandle[T]:
        """Submit the job; after the runner shut down (a timer that fires while the window closes)
        the job never runs and a cancelled handle comes back instead of an exception."""
        try:
            return self._runner.submit(
                self._fn,
                name=self._name,
                lane=self._lane,
                on_success=self._on_success,
                on_failure=self._on_failure,
                on_progress=self._on_progress,
                on_cancelled=self._on_cancelled,
            )
        except RunnerClosed:
            log.debug("%s not started: the job runner is shut down", self._name)
            return cancelled_handle(self._name, self._lane)


def describe(handle: JobHandle[Any]) -> str:
    """One line for a running job: name, percentage, message."""
    parts = [handle.name]
    if handle.progress.fraction is not None:
        parts.append(f"{handle.progress.fraction * 100:.0f}%")
    if handle.progress.message:
        parts.append(handle.progress.message)
    return " · ".join(parts)


class JobsStatus(QWidget):
    """Status-bar widget: the newest running job with its progress and a cancel button; the
    list button opens every running job, each with its own cancel entry. Hidden when idle."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self.label = QLabel()
        self.label.setMaximumWidth(320)
        self.bar = QProgressBar()
        self.bar.setFixedWidth(140)
        self.bar.setMaximumHeight(16)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Cancel this job")
        self.cancel_button.clicked.connect(self._cancel_current)
        self.list_button = QToolButton()
        self.list_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.list_button.setToolTip("Running jobs")
        self._menu = QMenu(self)
        self._menu.aboutToShow.connect(self._fill_menu)
        self.list_button.setMenu(self._menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.label, self.bar, self.cancel_button, self.list_button):
            layout.addWidget(widget)
        self._current: JobHandle[Any] | None = None
        runner.add_listener(self._changed)
        self._refresh()

    @property
    def running(self) -> list[JobHandle[Any]]:
        return [h for h in self._runner.active if not h.finished]

    def _changed(self, _handle: JobHandle[Any]) -> None:
        self._refresh()

    def _refresh(self) -> None:
        jobs = self.running
        self.setVisible(bool(jobs))
        if not jobs:
            self._current = None
            return
        running = [h for h in jobs if h.state is JobState.RUNNING]
        self._current = (running or jobs)[-1]
        self.label.setText(describe(self._current))
        fraction = self._current.progress.fraction
        if fraction is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(round(fraction * 1000))
        self.list_button.setText(f"{len(jobs)} job{'s' if len(jobs) != 1 else ''}")

    def _cancel_current(self) -> None:
        if self._current is not None:
            self._current.cancel()
            self.label.setText(f"{self._current.name} · cancelling…")

    def _fill_menu(self) -> None:
        self._menu.clear()
        for handle in self.running:
            action = self._menu.addAction(f"Cancel {describe(handle)}")
            action.triggered.connect(lambda _checked=False, h=handle: h.cancel())
