"""The Qt-free job runner: progress, cancel, results and errors, one callback each."""

from __future__ import annotations

import threading
import time

import pytest

from studio.jobs import Cancelled, JobContext, JobRunner, JobState


@pytest.fixture
def runner():  # type: ignore[no-untyped-def]
    r = JobRunner(workers=2)
    yield r
    r.shutdown()


def test_result_and_progress_are_delivered(runner: JobRunner) -> None:
    seen: list[float | None] = []
    results: list[int] = []

    def work(ctx: JobContext) -> int:
        for i in range(5):
            ctx.progress(i / 4, f"step {i}", force=True)
        return 42

    handle = runner.submit(
        work, name="count", on_success=results.append, on_progress=lambda p: seen.append(p.fraction)
    )
    assert handle.wait(5)
    assert results == [42] and handle.state is JobState.DONE
    assert seen == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert runner.active == []


def test_errors_reach_on_failure(runner: JobRunner) -> None:
    errors: list[BaseException] = []

    def boom(ctx: JobContext) -> None:
        raise ValueError("the clip is damaged")

    handle = runner.submit(boom, on_failure=errors.append, on_success=lambda _: pytest.fail("no success"))
    assert handle.wait(5)
    assert handle.state is JobState.FAILED
    assert [str(e) for e in errors] == ["the clip is damaged"]


def test_cancel_stops_a_running_job(runner: JobRunner) -> None:
    started = threading.Event()
    cancelled: list[bool] = []
    steps: list[int] = []

    def slow(ctx: JobContext) -> None:
        started.set()
        for i in range(1000):
            ctx.check()
            steps.append(i)
            time.sleep(0.005)

    handle = runner.submit(slow, on_cancelled=lambda: cancelled.append(True))
    assert started.wait(5)
    handle.cancel()
    assert handle.wait(5)
    assert handle.state is JobState.CANCELLED and cancelled == [True]
    assert len(steps) < 1000


def test_queued_job_cancelled_before_start_never_runs() -> None:
    runner = JobRunner(workers=1)
    gate = threading.Event()
    ran: list[str] = []
    try:
        first = runner.submit(lambda ctx: gate.wait(5))
        second = runner.submit(lambda ctx: ran.append("second"))
        second.cancel()
        gate.set()
        assert first.wait(5) and second.wait(5)
        assert ran == [] and second.state is JobState.CANCELLED
    finally:
        runner.shutdown()


def test_db_lane_runs_one_job_at_a_time(runner: JobRunner) -> None:
    active = 0
    peak = 0
    lock = threading.Lock()

    def write(ctx: JobContext) -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.02)
        with lock:
            active -= 1

    handles = [runner.submit(write, lane="db") for _ in range(5)]
    assert all(h.wait(5) for h in handles)
    assert peak == 1


def test_dispatcher_receives_every_callback() -> None:
    posted: list[object] = []

    def dispatcher(fn):  # type: ignore[no-untyped-def]
        posted.append(fn)
        fn()

    runner = JobRunner(dispatcher=dispatcher)
    try:
        handle = runner.submit(lambda ctx: 1, on_success=lambda _: None)
        assert handle.wait(5)
        assert len(posted) >= 2
    finally:
        runner.shutdown()


def test_cancelled_exception_is_not_a_failure(runner: JobRunner) -> None:
    def quits(ctx: JobContext) -> None:
        raise Cancelled()

    handle = runner.submit(quits, on_failure=lambda e: pytest.fail("not a failure"))
    assert handle.wait(5)
    assert handle.state is JobState.CANCELLED


def test_failure_reaches_a_deferred_dispatcher() -> None:
    """A GUI dispatcher runs callbacks later, on another thread: the error must still arrive."""
    queue: list = []
    runner = JobRunner(dispatcher=queue.append)
    errors: list[BaseException] = []
    try:
        handle = runner.submit(lambda ctx: 1 / 0, on_failure=errors.append)
        deadline = time.monotonic() + 5
        while not handle.finished and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        for fn in list(queue):
            fn()
        assert handle.wait(1)
        assert len(errors) == 1 and isinstance(errors[0], ZeroDivisionError)
    finally:
        runner.shutdown()
