"""The GUI thread only draws: a database wait, a query or a PyAV open there is caught."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from studio import threadguard
from studio.dbwriter import Readers, Writer
from studio.media.probe import probe
from tests.media.fixtures import make_video


def from_ui(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` called from a function of a ``studio.ui`` module (the guard watches the UI layer)."""
    namespace: dict[str, Any] = {"__name__": "studio.ui.example", "fn": fn}
    exec("def call(*args, **kwargs):\n    return fn(*args, **kwargs)", namespace)
    return namespace["call"]  # type: ignore[no-any-return]


@pytest.fixture
def marked(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv(threadguard.ENV, "raise")
    threadguard.mark_gui_thread()
    yield
    threadguard.unmark_gui_thread()


def test_blocking_calls_on_the_marked_thread_raise_and_elsewhere_run(tmp_path: Path, marked: None) -> None:
    path = tmp_path / "s.sqlite3"
    with threadguard.allowed("opening the store at start"):
        writer = Writer(path, lambda c: c.execute("CREATE TABLE t (x)"))
    readers = Readers(path)
    clip = make_video(tmp_path / "c.mp4", 32, 32, 10.0, 0.5, audio=False)
    try:
        with pytest.raises(threadguard.GuiThreadBlocked, match="writer"):
            from_ui(writer.call)(lambda c: c.execute("INSERT INTO t VALUES (1)"))
        with pytest.raises(threadguard.GuiThreadBlocked, match="query"):
            from_ui(readers.get().execute)("SELECT * FROM t")
        with pytest.raises(threadguard.GuiThreadBlocked, match="PyAV"):
            from_ui(probe)(clip)
        assert (
            readers.get().execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
        )  # a test's own check is fine
        results: list[object] = []

        def worker() -> None:
            from_ui(writer.call)(lambda c: c.execute("INSERT INTO t VALUES (2)"))
            results.append(from_ui(readers.get().execute)("SELECT x FROM t").fetchall()[0][0])
            results.append(from_ui(probe)(clip).duration > 0)

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert results == [2, True]  # the same calls off the GUI thread are fine
        with threadguard.allowed("the store is closed at exit"):
            assert from_ui(readers.get().execute)("SELECT COUNT(*) FROM t").fetchone()[0] == 1
    finally:
        readers.close()
        writer.close()


def test_without_the_test_setting_it_logs_once_and_carries_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(threadguard.ENV, raising=False)
    threadguard.mark_gui_thread()
    path = tmp_path / "s.sqlite3"
    writer = Writer(path, lambda c: c.execute("CREATE TABLE t (x)"))
    readers = Readers(path)
    try:
        threadguard._reported.clear()
        for _ in range(3):
            assert from_ui(readers.get().execute)("SELECT COUNT(*) FROM t").fetchone()[0] == 0
        warnings = [r for r in caplog.records if "on the GUI thread" in r.getMessage()]
        assert len(warnings) == 1 and "database query" in warnings[0].getMessage()
    finally:
        threadguard.unmark_gui_thread()
        readers.close()
        writer.close()
