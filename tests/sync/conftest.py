"""Fixtures for the sync tests: a real stand-in server, a profile, engines pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend_stub.server import StubServer
from studio.config import AppPaths, app_paths
from studio.sync.engine import SyncEngine
from studio.sync.platform import PlatformConfig, stand_in_config

START = 1_790_000_000.0  # a fixed platform time: the stand-in's numbers are reproducible


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


def platform_of(stub: StubServer) -> PlatformConfig:
    return stand_in_config(stub.base_url, stub.demo_client_key, stub.demo_client_secret)


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
def admin(stub: StubServer) -> Iterator[httpx.Client]:
    """The stand-in's admin API (clock, settings, faults)."""
    with httpx.Client(base_url=stub.base_url, timeout=30, trust_env=False) as client:
        yield client


def consent_browser(granted: list[str] | None = None, decision: str = "allow") -> Callable[[str], None]:
    """Plays the creator in a browser: opens the consent page, ticks ``granted`` scopes (all when
    None), answers, and follows the redirect to our loopback listener."""
    import re
    from html import unescape

    def browse(url: str) -> None:
        with httpx.Client(timeout=30, trust_env=False) as http:
            page = http.get(url + "&disable_auto_auth=1")
            assert page.status_code == 200, page.text
            hidden = dict(re.findall(r"<input type='hidden' name='([^']+)' value='([^']*)'>", page.text))
            hidden = {k: unescape(v) for k, v in hidden.items()}
            scopes = re.findall(r"name='granted_scope' value='([^']+)'", page.text)
            form: dict[str, str | list[str]] = {**hidden, "account": "demo.creator", "decision": decision}
            form["granted_scope"] = [s for s in scopes if granted is None or s in granted]
            action = url.split("/v2/auth/authorize/")[0] + "/v2/auth/authorize/"
            answer = http.post(action, data=form)
            assert answer.status_code == 302, answer.text
            http.get(answer.headers["location"])

    return browse
