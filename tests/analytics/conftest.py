"""Fixtures for the analytics tests: the real stand-in, synced twice, and its own records."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend_stub.server import StubServer
from studio.analytics.queries import Analytics
from studio.sync.engine import SyncEngine
from studio.sync.models import Account
from studio.sync.store import SyncStore
from tests.sync.conftest import START, admin, file_vault, make_engine, paths, stub  # noqa: F401

ADVANCE_S = 3 * 86_400 + 5 * 3_600  # the second sync: three days and five hours later


@dataclass
class Synced:
    stub: StubServer
    engine: SyncEngine
    account: Account
    analytics: Analytics
    times: tuple[float, float]  # the platform times of the two passes

    @property
    def store(self) -> SyncStore:
        assert self.engine.store is not None
        return self.engine.store


@pytest.fixture
def synced(
    stub: StubServer,  # noqa: F811
    make_engine: Callable[..., SyncEngine],  # noqa: F811
    admin: httpx.Client,  # noqa: F811
) -> Iterator[Synced]:
    engine = make_engine()
    account = engine.sign_in_demo()
    [(_, first)] = engine.run_once()
    assert not isinstance(first, Exception), first
    answer = admin.post("/_stub/clock", json={"advance_s": ADVANCE_S})
    assert answer.status_code == 200, answer.text
    [(account, second)] = engine.run_once()
    assert not isinstance(second, Exception), second
    assert engine.store is not None
    yield Synced(stub, engine, account, Analytics(engine.store), (START, START + ADVANCE_S))


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[SyncStore]:
    with SyncStore(tmp_path / "sync" / "sync.sqlite3") as store:
        yield store


def add_account(store: SyncStore, open_id: str = "creator-1") -> Account:
    return store.save_sign_in(
        platform_key="tiktok",
        platform_name="TikTok",
        stand_in=False,
        open_id=open_id,
        scopes=["user.info.basic", "user.info.stats", "video.list"],
        signed_in_at=START,
    )


# -- the stand-in's own records --------------------------------------------------------------


def stub_all_videos(server: StubServer, open_id: str) -> list[Any]:
    return server.state.db.all(
        "SELECT id, create_time_ms, duration FROM videos WHERE open_id = ?", (open_id,)
    )


def stub_day_sums(server: StubServer, open_id: str, days: list[int]) -> dict[int, dict[str, int]]:
    """Per UTC day number: the sum over the account's posts of the model's daily numbers."""
    state = server.state
    audience, now = state.audience(open_id), state.now()
    out = {d: dict.fromkeys(("views", "likes", "comments", "shares", "new_followers"), 0) for d in days}
    for v in stub_all_videos(server, open_id):
        for day, row in zip(
            days,
            state.model.daily(v["id"], v["create_time_ms"] / 1000, audience, v["duration"], days, now),
            strict=True,
        ):
            for k in out[day]:
                out[day][k] += int(row[k])  # type: ignore[call-overload]
    return out


def stub_followers_at(server: StubServer, open_id: str, t: float) -> int:
    state = server.state
    acc = state.db.one("SELECT base_followers FROM accounts WHERE open_id = ?", (open_id,))
    assert acc is not None
    audience = state.audience(open_id)
    t = min(t, state.now())
    return int(acc["base_followers"]) + sum(
        int(
            state.model.counters(v["id"], v["create_time_ms"] / 1000, audience, v["duration"], t)[
                "new_followers"
            ]
        )
        for v in stub_all_videos(server, open_id)
    )


def utc_day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def stub_views_at(server: StubServer, video: Any, t: float) -> int:
    state = server.state
    audience = state.audience(video["open_id"])
    return int(state.model.cumulative_views(video["id"], video["create_time_ms"] / 1000, audience, t))


def day_end(ts: float) -> float:
    return (math.floor(ts / 86_400) + 1) * 86_400.0
