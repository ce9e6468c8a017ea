"""Fixtures for the upload tests: a real stand-in server, a profile, engines and publish queues."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backend_stub.server import StubServer
from studio.config import AppPaths, app_paths
from studio.sync.engine import SyncEngine
from studio.upload.queue import PublishQueue
from tests.sync.conftest import START, platform_of


@pytest.fixture(autouse=True)
def file_vault(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREATOR_STUDIO_TOKEN_STORE", "file")


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[StubServer]:
    """A private stand-in with auto-approve and a frozen clock at START."""
    with StubServer(tmp_path / "stub", seed=7, auto_approve=True, clock=START, clock_speed=0) as server:
        yield server


@pytest.fixture
def paths(studio_home: Path) -> AppPaths:
    return app_paths().ensure()


@pytest.fixture
def make_engine(stub: StubServer, paths: AppPaths) -> Iterator[Callable[..., SyncEngine]]:
    engines: list[SyncEngine] = []

    def make(**kwargs: Any) -> SyncEngine:
        kwargs.setdefault("webhooks", False)
        engine = SyncEngine(kwargs.pop("paths", paths), platform=platform_of(stub), **kwargs)
        engine.open()
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


@pytest.fixture
def make_queue(make_engine: Callable[..., SyncEngine]) -> Iterator[Callable[..., PublishQueue]]:
    """``make_queue(engine, **kw)`` -> ``PublishQueue(engine, **kw)``, closed at teardown (before
    the engines, which ``make_engine`` closes after this fixture's teardown)."""
    queues: list[PublishQueue] = []

    def make(engine: SyncEngine, **kwargs: Any) -> PublishQueue:
        queue = PublishQueue(engine, **kwargs)
        queues.append(queue)
        return queue

    yield make
    for queue in reversed(queues):
        queue.close()
