"""One job runner for all background work: thumbnails, waveforms, export, upload, sync.

Modelled on Anki's ``taskman`` (database work on a single-worker lane, everything else on
another) and napari's ``thread_worker`` (progress/result/error delivered as events). The
runner is plain Python; the Qt bridge in ``studio.ui.jobs`` passes a *dispatcher* that
re-posts every callback onto the GUI thread, so callbacks never run on a worker thread there.

A job is a callable taking a :class:`JobContext`. It reports progress with
``ctx.progress(fraction, message)`` and checks ``ctx.check()`` (raises :class:`Cancelled`)
at safe points. Exactly one of ``on_success``, ``on_failure`` or ``on_cancelled`` is called.
"""

from __future__ import annotations

import enum
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
Dispatcher = Callable[[Callable[[], None]], None]


class Cancelled(Exception):
    """Raised inside a job when its cancel was requested."""


class JobState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class Progress:
    fraction: float | None
    message: str = ""


class JobContext:
    """What a running job sees: progress reporting and its cancel flag."""

    def __init__(self, handle: JobHandle[Any], report: Callable[[Progress], None]) -> None:
        self._handle = handle
        self._report = report
        self._last_report = 0.0

    @property
    def cancelled(self) -> bool:
        return self._handle.cancel_event.is_set()

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled()

    def progress(self, fraction: float | None, message: str = "", *, force: bool = False) -> None:
        """Report progress; throttled to ~30 reports/s so a fast loop does not flood the GUI."""
        now = time.monotonic()
        if not force and fraction not in (0.0, 1.0) and now - self._last_report < 0.033:
            return
        self._last_report = now
        if fraction is not None:
            fraction = min(1.0, max(0.0, fraction))
        self._handle.progress = Progress(fraction, message)
        self._report(self._handle.progress)


@dataclass(eq=False)
class JobHandle(Generic[T]):
    id: int
    name: str
    lane: str
    state: JobState = JobState.QUEUED
    progress: Progress = field(default_factory=lambda: Progress(None))
    result: T | None = None
    error: BaseException | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    done_event: threading.Event = field(default_factory=threading.Event)
    future: Future[Any] | None = None

    def cancel(self) -> None:
        """Ask the job to stop. A queued job never starts; a running one stops at its next check."""
        self.cancel_event.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ended and its final callback ran (for CLIs and tests)."""
        return self.done_event.wait(timeout)

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class RunnerClosed(RuntimeError):
    """A job was submitted after :meth:`JobRunner.shutdown` (the app or its window is closing)."""


def cancelled_handle(name: str, lane: str) -> JobHandle[Any]:
    """A handle for a job that never ran: cancelled and done."""
    handle: JobHandle[Any] = JobHandle(0, name, lane, state=JobState.CANCELLED)
    handle.cancel_event.set()
    handle.done_event.set()
    return handle


def _call_inline(fn: Callable[[], None]) -> None:
    fn()


class JobRunner:
    """Runs jobs on named lanes. ``"db"`` has one worker (one writer per store); ``"default"``
    has ``workers``; other lanes are created on first use with one worker each."""

    def __init__(self, workers: int = 2, dispatcher: Dispatcher = _call_inline) -> None:
        self._dispatch = dispatcher
        self._lanes: dict[str, ThreadPoolExecutor] = {
            "default": ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job"),
            "db": ThreadPoolExecutor(max_workers=1, thread_name_prefix="job-db"),
        }
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._active: dict[int, JobHandle[Any]] = {}
        self._listeners: list[Callable[[JobHandle[Any]], None]] = []
        self._closed = False

    def add_listener(self, listener: Callable[[JobHandle[Any]], None]) -> None:
        """Called (through the dispatcher) whenever any job changes state or progress."""
        self._listeners.append(listener)

    @property
    def active(self) -> list[JobHandle[Any]]:
        with self._lock:
            return list(self._active.values())

    def submit(
        self,
        fn: Callable[[JobContext], T],
        *,
        name: str = "job",
        lane: str = "default",
        on_success: Callable[[T], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
    ) -> JobHandle[T]:
        if self._closed:
            raise RunnerClosed("the job runner is shut down")
        handle: JobHandle[T] = JobHandle(next(self._ids), name, lane)
        with self._lock:
            executor = self._lanes.get(lane)
            if executor is None:
                executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"job-{lane}")
                self._lanes[lane] = executor
            self._active[handle.id] = handle

        def notify() -> None:
            for listener in list(self._listeners):
                try:
                    listener(handle)
                except Exception:
                    log.exception("job listener failed")

        def report(progress: Progress) -> None:
            def deliver() -> None:
                if on_progress is not None:
                    on_progress(progress)
                notify()

            self._dispatch(deliver)

        def finish(callback: Callable[[], None] | None) -> None:
            def deliver() -> None:
                try:
                    if callback is not None:
                        callback()
                    elif handle.state is JobState.FAILED:
                        log.error("job %s failed: %s", name, handle.error, exc_info=handle.error)
                finally:
                    with self._lock:
                        self._active.pop(handle.id, None)
                    notify()
                    handle.done_event.set()

            self._dispatch(deliver)

        def run() -> None:
            if handle.cancel_event.is_set():
                handle.state = JobState.CANCELLED
                finish(on_cancelled)
                return
            handle.state = JobState.RUNNING
            self._dispatch(notify)
            ctx = JobContext(handle, report)
            try:
                result = fn(ctx)
            except Cancelled:
                handle.state = JobState.CANCELLED
                finish(on_cancelled)
            except BaseException as exc:
                error = exc  # `exc` is unbound when the except block ends; the callback runs later
                handle.state, handle.error = JobState.FAILED, error
                finish((lambda: on_failure(error)) if on_failure else None)
            else:
                if handle.cancel_event.is_set():
                    handle.state = JobState.CANCELLED
                    finish(on_cancelled)
                    return
                handle.state, handle.result = JobState.DONE, result
                finish((lambda: on_success(result)) if on_success else None)

        handle.future = executor.submit(run)
        return handle

    def cancel_all(self) -> None:
        for handle in self.active:
            handle.cancel()

    def shutdown(self, wait: bool = True, cancel: bool = True) -> None:
        self._closed = True
        if cancel:
            self.cancel_all()
        for executor in self._lanes.values():
            executor.shutdown(wait=wait, cancel_futures=cancel)
