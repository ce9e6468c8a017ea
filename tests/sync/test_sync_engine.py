"""The engine against the real stand-in: complete, idempotent, fault-tolerant, kill-safe."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from backend_stub.server import StubServer
from backend_stub.webhooks import signature_header
from studio.config import AppPaths
from studio.sync.engine import SyncEngine

from .conftest import START
from .records import configure_stand_in, stub_account, stub_videos


def add_posts(stub: StubServer, count: int) -> None:
    """More public posts for the demo creator, spread over the last 120 days."""
    open_id = stub.demo_accounts["demo.creator"]
    with stub.state.db.tx() as conn:
        for i in range(count):
            conn.execute(
                "INSERT INTO videos(id, open_id, create_time_ms, title, duration, width, height, privacy_level)"
                " VALUES(?, ?, ?, ?, ?, ?, ?, 'PUBLIC_TO_EVERYONE')",
                (
                    str(7_400_000_000_000_000_000 + i),
                    open_id,
                    int((START - 3600 - i * 86_400 * 120 / count) * 1000),
                    f"extra post {i} #bench",
                    20,
                    1080,
                    1920,
                ),
            )


def assert_synced_equals_stub(engine: SyncEngine, stub: StubServer) -> None:
    assert engine.store is not None
    [account] = engine.accounts()
    expected = stub_videos(stub, account.open_id)
    assert engine.store.latest_video_counters(account.id) == expected
    latest = engine.store.account_snapshots(account.id)[-1]
    record = stub_account(stub, account.open_id)
    for column in ("follower_count", "likes_count", "video_count", "following_count"):
        assert latest[column] == record[column], column
    shown = engine.accounts()[0]  # what the Accounts page shows
    assert shown.display_name == record["display_name"]
    assert shown.followers == record["follower_count"] and shown.likes == record["likes_count"]
    assert shown.post_count == len(expected) and shown.views == sum(
        v["view_count"] for v in expected.values()
    )
    assert f"{record['follower_count']:,} followers" in shown.numbers_text()


def test_one_pass_gets_everything_and_a_second_adds_nothing(
    make_engine: Callable[..., SyncEngine], stub: StubServer
) -> None:
    add_posts(stub, 50)
    engine = make_engine()
    account = engine.sign_in_demo()
    [(_, report)] = engine.run_once()
    assert not isinstance(report, Exception), report
    assert_synced_equals_stub(engine, stub)
    assert engine.store is not None
    snapshots = len(engine.store.video_snapshots(account.id))
    daily = engine.store.account_daily(account.id)
    assert snapshots == report.snapshots == len(stub_videos(stub, account.open_id))
    assert len(daily) == 365 and daily[-1]["source"] == "stand_in_extension"
    newest = engine.store.video_rows(account.id)[0]["video_id"]
    assert engine.store.video_daily(account.id, newest)  # the youngest posts' series come first
    avatar = Path(engine.accounts()[0].avatar_file)
    assert avatar.is_file() and avatar.read_bytes()[:2] == b"\xff\xd8"  # a JPEG kept on disk
    [(_, again)] = engine.run_once()
    assert not isinstance(again, Exception) and again.snapshots == 0 and again.new_posts == 0
    assert len(engine.store.video_snapshots(account.id)) == snapshots
    assert len(engine.store.account_snapshots(account.id)) == 1


def test_numbers_move_with_the_platform_clock(
    make_engine: Callable[..., SyncEngine], stub: StubServer, admin: httpx.Client
) -> None:
    engine = make_engine()
    account = engine.sign_in_demo()
    engine.run_once()
    admin.post("/_stub/clock", json={"advance_s": 8 * 86_400}).raise_for_status()
    [(_, report)] = engine.run_once()
    assert not isinstance(report, Exception), report
    assert report.snapshots > 0
    assert_synced_equals_stub(engine, stub)
    assert engine.store is not None
    assert len(engine.store.account_snapshots(account.id)) == 2


def test_sync_finishes_through_faults_with_the_stubs_data(
    make_engine: Callable[..., SyncEngine], stub: StubServer, admin: httpx.Client
) -> None:
    add_posts(stub, 80)
    engine = make_engine()
    engine.sign_in_demo()
    admin.post(
        "/_stub/faults",
        json={
            "error_rate": 0.1,
            "error_status": 503,
            "drop_rate": 0.1,
            "burst_429": 3,
            "paths": ["/v2/user/", "/v2/video/"],
            "expire_tokens_now": True,
        },
    ).raise_for_status()
    [(_, report)] = engine.run_once()
    admin.post("/_stub/faults", json={"clear": True}).raise_for_status()
    assert not isinstance(report, Exception), report
    assert_synced_equals_stub(engine, stub)
    assert engine.tokens is not None and engine.tokens.refreshes == 1


def _snapshot_count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM video_snapshots").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_sigkill_mid_sync_loses_nothing_and_duplicates_nothing(
    stub: StubServer, paths: AppPaths, admin: httpx.Client, studio_home: Path
) -> None:
    add_posts(stub, 120)
    configure_stand_in(paths, stub)
    engine = SyncEngine(paths, webhooks=False)  # the configured platform, as the CLI reads it
    engine.open()
    account = engine.sign_in_demo()
    engine.close()
    admin.post("/_stub/faults", json={"latency_ms": 400, "paths": ["/v2/video/"]}).raise_for_status()
    env = {**os.environ, "CREATOR_STUDIO_HOME": str(studio_home), "CREATOR_STUDIO_TOKEN_STORE": "file"}
    cli = [sys.executable, "-m", "studio", "sync", "--once"]
    db = paths.data / "sync" / "sync.sqlite3"
    child = subprocess.Popen(cli, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _snapshot_count(db) == 0 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(30)
    written = _snapshot_count(db)
    total = len(stub_videos(stub, account.open_id))
    assert 0 < written < total, (written, total)  # killed halfway through the listing
    admin.post("/_stub/faults", json={"clear": True}).raise_for_status()
    rerun = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert "posts checked" in rerun.stdout
    engine = SyncEngine(paths, webhooks=False)
    engine.open()
    try:
        assert_synced_equals_stub(engine, stub)
        assert engine.store is not None
        snaps = engine.store.video_snapshots(account.id)
        assert len(snaps) == total  # the frozen clock: one observation per post, never two
        assert engine.store.readers.get().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        engine.close()


def _deliver(receiver_url: str, secret: str, body: bytes) -> int:
    header = signature_header(secret, body, int(time.time()))
    return httpx.post(
        receiver_url, content=body, headers={"TikTok-Signature": header}, timeout=10
    ).status_code


def test_webhooks_mark_a_removed_account_and_ignore_stale_news(
    make_engine: Callable[..., SyncEngine], stub: StubServer, admin: httpx.Client
) -> None:
    import json

    engine = make_engine(webhooks=True)
    account = engine.sign_in_demo()
    assert engine.receiver is not None
    url = engine.receiver.url  # type: ignore[attr-defined]
    assert admin.get("/_stub/webhooks").json() == [{"client_key": stub.demo_client_key, "url": url}]
    old = json.dumps(
        {
            "client_key": stub.demo_client_key,
            "event": "authorization.removed",
            "create_time": int(START) - 3600,
            "user_openid": account.open_id,
            "content": json.dumps({"reason": 1}),
        }
    ).encode()
    assert _deliver(url, stub.demo_client_secret, old) == 200
    assert _deliver(url, "not-the-secret", old.replace(b"3600", b"3601")) == 401
    admin.post(f"/_stub/accounts/{account.open_id}/disconnect", json={"reason": 1}).raise_for_status()
    deadline = time.monotonic() + 20
    while engine.accounts()[0].health == "ok" and time.monotonic() < deadline:
        time.sleep(0.05)
    [current] = engine.accounts()
    assert current.health == "sign_in_again"
    assert "disconnected Creator Studio in the TikTok app" in current.health_reason
    assert engine.store is not None
    rows = engine.store.readers.get().execute("SELECT event, handled_at FROM webhook_events").fetchall()
    assert sorted(r[0] for r in rows) == ["authorization.removed", "authorization.removed"]
    assert all(r[1] is not None for r in rows)


@pytest.mark.parametrize("kind", ["offline"])
def test_the_engine_goes_offline_and_comes_back_by_itself(
    make_engine: Callable[..., SyncEngine], stub: StubServer, kind: str
) -> None:
    engine = make_engine()
    engine.sign_in_demo()
    statuses: list[str] = []
    engine.add_listener(lambda e: statuses.append(e.status.state) if e.status else None)
    import studio.sync.engine as engine_mod

    real = engine.client.config  # type: ignore[union-attr]
    dead = real.__class__(**{**real.__dict__, "api_base": "http://127.0.0.1:9"})
    engine.client.config = dead  # type: ignore[union-attr]
    engine_mod_backoff = engine_mod.OFFLINE_BACKOFF_S
    engine_mod.OFFLINE_BACKOFF_S = (0.2,)
    try:
        engine.start()
        deadline = time.monotonic() + 20
        while engine.status.state != "offline" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine.status.state == "offline" and engine.status.text().startswith("Offline since")
        engine.client.config = real  # type: ignore[union-attr]
        deadline = time.monotonic() + 20
        while engine.status.state != "synced" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine.status.state == "synced" and engine.status.text() == "Synced just now"
        assert statuses.index("offline") < statuses.index("synced")
    finally:
        engine_mod.OFFLINE_BACKOFF_S = engine_mod_backoff
        engine.stop()


def test_a_second_engine_reuses_the_demo_backend_and_leaves_its_webhooks_alone(paths: AppPaths) -> None:
    first = SyncEngine(paths)  # no platform configured: the embedded demo backend
    first.open()
    try:
        assert first.demo is not None and not first.demo.reused and first.receiver is not None
        second = SyncEngine(paths)
        second.open()
        try:
            assert second.demo is not None and second.demo.reused
            assert second.platform is not None and second.platform.api_base == first.platform.api_base  # type: ignore[union-attr]
            assert second.receiver is None
            with httpx.Client(base_url=first.platform.api_base, trust_env=False) as admin:  # type: ignore[union-attr]
                targets = admin.get("/_stub/webhooks").json()
            assert [t["url"] for t in targets] == [first.receiver.url]  # type: ignore[attr-defined]
            [(_, report)] = second.run_once()
            assert not isinstance(report, Exception)
        finally:
            second.close()
        assert first.demo.alive()  # the second engine did not stop what it did not start
    finally:
        first.close()
