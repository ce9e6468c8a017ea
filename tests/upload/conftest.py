"""Fixtures for the upload tests: a real stand-in server, a profile, engines and publish queues."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from studio.sync.engine import SyncEngine
from studio.upload.queue import PublishQueue

# the sync tests' fixtures, shared as they are: the file vault, the stand-in, a profile, engines
from tests.sync.conftest import file_vault, make_engine, paths, stub  # noqa: F401


@pytest.fixture
def make_queue(make_engine: Callable[..., SyncEngine]) -> Iterator[Callable[..., PublishQueue]]:  # noqa: F811
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
