"""The Qt job bridge: callbacks arrive on the GUI thread, cancel stops a job, the status widget follows."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QStatusBar
from pytestqt.qtbot import QtBot

from studio.jobs.runner import JobContext, JobRunner, JobState, Progress
from studio.ui.jobs import JobsStatus, Op, make_gui_runner


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[JobRunner]:
    runner = make_gui_runner()
    yield runner
    runner.shutdown(wait=True)


def on_gui_thread() -> bool:
    return QThread.currentThread() is QApplication.instance().thread()


def test_success_arrives_on_the_gui_thread_with_the_result(qtbot: QtBot, runner: JobRunner) -> None:
    seen: list[tuple[object, bool, str]] = []

    def work(_ctx: JobContext) -> int:
        assert not on_gui_thread()
        return 6 * 7

    Op(runner, work, name="answer").success(
        lambda value: seen.append((value, on_gui_thread(), threading.current_thread().name))
    ).run()
    qtbot.waitUntil(lambda: bool(seen))
    value, gui, thread_name = seen[0]
    assert value == 42
    assert gui
    assert thread_name == threading.main_thread().name


def test_failure_arrives_on_the_gui_thread_with_the_exception(qtbot: QtBot, runner: JobRunner) -> None:
    seen: list[tuple[BaseException, bool]] = []

    def work(_ctx: JobContext) -> None:
        raise ValueError("the clip is cut short")

    succeeded: list[object] = []
    Op(runner, work).success(succeeded.append).failure(lambda exc: seen.append((exc, on_gui_thread()))).run()
    qtbot.waitUntil(lambda: bool(seen))
    exc, gui = seen[0]
    assert isinstance(exc, ValueError) and str(exc) == "the clip is cut short"
    assert gui
    assert succeeded == []


def test_progress_arrives_in_order_on_the_gui_thread(qtbot: QtBot, runner: JobRunner) -> None:
    seen: list[tuple[float | None, str, bool]] = []
    done: list[str] = []

    def work(ctx: JobContext) -> str:
        for i in range(5):
            ctx.progress(i / 4, f"step {i}", force=True)
        return "ok"

    Op(runner, work).progress(lambda p: seen.append((p.fraction, p.message, on_gui_thread()))).success(
        done.append
    ).run()
    qtbot.waitUntil(lambda: bool(done))
    assert [s[0] for s in seen] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert [s[1] for s in seen] == [f"step {i}" for i in range(5)]
    assert all(s[2] for s in seen)


def test_cancel_from_the_status_widget_stops_the_job(qtbot: QtBot, runner: JobRunner) -> None:
    status_bar = QStatusBar()
    qtbot.addWidget(status_bar)
    widget = JobsStatus(runner)
    status_bar.addPermanentWidget(widget)
    status_bar.show()
    started = threading.Event()
    steps: list[int] = []
    outcome: list[str] = []
    progress: list[Progress] = []

    def work(ctx: JobContext) -> str:
        started.set()
        for i in range(2000):
            ctx.check()
            steps.append(i)
            ctx.progress(i / 2000, "exporting")
            threading.Event().wait(0.005)
        return "finished"

    handle = (
        Op(runner, work, name="Export")
        .success(lambda _r: outcome.append("success"))
        .failure(lambda _e: outcome.append("failure"))
        .cancelled(lambda: outcome.append("cancelled"))
        .progress(progress.append)
        .run()
    )
    qtbot.waitUntil(lambda: widget.isVisible() and "Export" in widget.label.text())
    qtbot.waitUntil(lambda: bool(progress))
    assert widget.bar.maximum() == 1000
    widget.cancel_button.click()
    qtbot.waitUntil(lambda: bool(outcome))
    assert outcome == ["cancelled"]
    assert handle.cancel_event.is_set()
    assert len(steps) < 2000
    qtbot.waitUntil(lambda: not widget.isVisible())


def test_status_widget_lists_every_running_job(qtbot: QtBot, runner: JobRunner) -> None:
    widget = JobsStatus(runner)
    qtbot.addWidget(widget)
    widget.show()
    release = threading.Event()

    def wait_for_release(ctx: JobContext) -> None:
        while not release.wait(0.01):
            ctx.check()

    first = Op(runner, wait_for_release, name="Upload A").run()
    second = Op(runner, wait_for_release, name="Upload B").run()
    qtbot.waitUntil(lambda: widget.list_button.text() == "2 jobs")
    widget._fill_menu()
    labels = [a.text() for a in widget._menu.actions()]
    assert any("Upload A" in text for text in labels) and any("Upload B" in text for text in labels)
    widget._menu.actions()[0].trigger()
    qtbot.waitUntil(lambda: first.finished or second.finished)
    release.set()
    qtbot.waitUntil(lambda: first.finished and second.finished)
    assert {first.state.value, second.state.value} == {"cancelled", "done"}


def test_an_op_started_after_shutdown_never_runs_and_raises_nothing(qtbot: QtBot) -> None:
    """A debounce timer that fires while a window closes must not crash the event loop."""
    runner = make_gui_runner()
    runner.shutdown(wait=True)
    ran: list[str] = []
    handle = (
        Op(runner, lambda _ctx: ran.append("job"), name="late").success(lambda _r: ran.append("ok")).run()
    )
    assert handle.state is JobState.CANCELLED and handle.wait(0)
    qtbot.wait(20)
    assert ran == []
