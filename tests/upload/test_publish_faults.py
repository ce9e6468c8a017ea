"""Publishing through the stand-in's faults: everything finishes, nothing is posted twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend_stub.server import StubServer
from studio.config import app_paths
from studio.sync.engine import SyncEngine
from studio.upload import states as S
from studio.upload.queue import PublishQueue
from tests.sync.conftest import platform_of

from .kit import posts_with_caption, publishes, video


@pytest.fixture
def stub_server(tmp_path: Path) -> Iterator[StubServer]:
    with StubServer(tmp_path / "stub", seed=7, auto_approve=True) as server:
        server.settings.update(
            {
                "daily_post_cap": 100,
                "rate_limits": {"video_init": 100, "status_fetch": 300, "creator_info": 100},
            }
        )
        yield server


@pytest.fixture
def queue(
    stub_server: StubServer, studio_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PublishQueue]:
    monkeypatch.setenv("CREATOR_STUDIO_TOKEN_STORE", "file")
    engine = SyncEngine(app_paths().ensure(), platform=platform_of(stub_server))
    engine.open()
    engine.sign_in_demo()
    assert engine.client is not None
    # both sides' per-minute limits raised alike: ten posts a minute is more than one creator's 6 inits
    engine.client.limiter.limits.update({"video_init": 100, "status_fetch": 300, "creator_info": 100})
    engine.client.attempts = 8
    engine.client._sleep = lambda seconds: time.sleep(min(seconds, 0.05))  # same retries, shorter pauses
    q = PublishQueue(engine, concurrency=3, poll_every_s=0.2, retry_scale=0.02)
    q._reconciled_at = 1e18  # the periodic reconcile pass is tested on its own
    yield q
    q.close()
    engine.close()


def _faults(stub: StubServer, **faults: object) -> None:
    with httpx.Client(base_url=stub.base_url, trust_env=False) as admin:
        admin.post("/_stub/faults", json=faults).raise_for_status()


def test_ten_jobs_through_errors_drops_and_429_bursts_all_publish_once(
    queue: PublishQueue, stub_server: StubServer, tmp_path: Path
) -> None:
    source = video(tmp_path / "f.mp4", pad_bytes=12_000_000)  # two chunks each
    _faults(
        stub_server,
        error_rate=0.2,
        error_status=503,
        drop_rate=0.2,
        burst_429=4,
        paths=["/v2/post/", "/upload/"],
    )
    jobs = [queue.enqueue(file=source, caption=f"Faulty {i}", privacy="SELF_ONLY")[0] for i in range(10)]
    ended = [queue.run_until(job.id) for job in jobs]
    _faults(stub_server, clear=True)
    for job in ended:
        assert job.state == S.PUBLISHED, (
            job.id,
            job.reason,
            [e["message"] for e in queue.store.events(job.id)],
        )
        assert len(posts_with_caption(stub_server, job.caption)) == 1
    logs = " ".join(e["message"] for job in ended for e in queue.store.events(job.id))
    assert "TikTok already had" in logs or "starting again cannot post twice" in logs  # the faults were felt


def test_with_every_init_answer_lost_jobs_end_unconfirmed_never_posted_twice(
    queue: PublishQueue, stub_server: StubServer, tmp_path: Path
) -> None:
    source = video(tmp_path / "g.mp4")
    _faults(stub_server, drop_rate=1.0, paths=["/v2/post/publish/video/init/"])
    jobs = [queue.enqueue(file=source, caption=f"Lost {i}", privacy="SELF_ONLY")[0] for i in range(3)]
    ended = [queue.run_until(job.id) for job in jobs]
    _faults(stub_server, clear=True)
    for job in ended:
        said = [e["message"] for e in queue.store.events(job.id) if e["state"] == S.UNCONFIRMED]
        assert job.state == S.UNCONFIRMED and any(
            "Check your profile before posting again" in m for m in said
        )
        assert posts_with_caption(stub_server, job.caption) == []
    assert all(p["video_id"] is None for p in publishes(stub_server))  # inits reached it; nothing was posted
    # the creator checked their profile and asks again: one post, not more
    retried = queue.retry(ended[0].id, again=True)
    assert queue.run_until(retried.id).state == S.PUBLISHED
    assert len(posts_with_caption(stub_server, ended[0].caption)) == 1


def test_an_expired_upload_url_starts_again_only_when_nothing_was_created(
    queue: PublishQueue, stub_server: StubServer, tmp_path: Path
) -> None:
    source = video(tmp_path / "e.mp4", pad_bytes=12_000_000)
    job, _ = queue.enqueue(file=source, caption="Expired", privacy="SELF_ONLY")
    _faults(stub_server, latency_ms=300, paths=["/upload/"])
    queue.start()
    deadline = time.monotonic() + 60
    while queue.job(job.id).state != S.UPLOADING and time.monotonic() < deadline:
        time.sleep(0.02)
    _faults(stub_server, expire_upload_urls_now=True)
    done = queue.run_until(job.id)
    _faults(stub_server, clear=True)
    assert done.state == S.PUBLISHED
    events = " ".join(e["message"] for e in queue.store.events(job.id))
    assert "expired and nothing was created from it" in events
    assert len(posts_with_caption(stub_server, "Expired")) == 1
