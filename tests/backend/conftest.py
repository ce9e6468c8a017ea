"""Fixtures for the platform stand-in: running servers and signed-in clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from stubkit import START, Session, sign_in

from backend_stub.server import StubServer


@pytest.fixture(scope="session")
def shared_stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StubServer]:
    """One server for tests that do not touch the clock, settings or faults."""
    with StubServer(tmp_path_factory.mktemp("stub"), seed=7, clock=START, clock_speed=0) as server:
        yield server


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[StubServer]:
    """A private server with a frozen clock at START."""
    with StubServer(tmp_path / "stub", seed=7, clock=START, clock_speed=0) as server:
        yield server


@pytest.fixture
def http_for() -> Iterator[Callable[[StubServer], httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(server: StubServer) -> httpx.Client:
        client = httpx.Client(base_url=server.base_url, timeout=30, trust_env=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def session(shared_stub: StubServer, http_for: Callable[[StubServer], httpx.Client]) -> Session:
    return sign_in(shared_stub, http_for(shared_stub))
