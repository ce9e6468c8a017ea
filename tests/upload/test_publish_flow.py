"""Publishing against the real stand-in: bytes, idempotency, creator_info rules, clear failures."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend_stub.server import StubServer
from studio.config import AppPaths, app_paths
from studio.sync.engine import SyncEngine
from studio.upload import states as S
from studio.upload.prepare import PrepareError
from studio.upload.queue import PublishQueue
from studio.upload.store import AlreadyPublished
from tests.sync.conftest import platform_of

from .kit import posts_with_caption, publishes, sha256, stored_upload, video

WAIT_S = 120.0


@pytest.fixture(autouse=True)
def _file_vault(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREATOR_STUDIO_TOKEN_STORE", "file")


@pytest.fixture
def stub_server(tmp_path: Path) -> Iterator[StubServer]:
    with StubServer(tmp_path / "stub", seed=7, auto_approve=True) as server:
        yield server


@pytest.fixture
def queue(stub_server: StubServer, studio_home: Path) -> Iterator[PublishQueue]:
    paths: AppPaths = app_paths().ensure()
    engine = SyncEngine(paths, platform=platform_of(stub_server))
    engine.open()
    engine.sign_in_demo()
    q = PublishQueue(engine, poll_every_s=0.2, retry_scale=0.01)
    yield q
    q.close()
    engine.close()


def run(queue: PublishQueue, job_id: int) -> object:
    return queue.run_until(job_id)


def test_a_300_mb_video_publishes_and_the_server_has_the_same_bytes(
    queue: PublishQueue, stub_server: StubServer, tmp_path: Path
) -> None:
    source = video(tmp_path / "big.mp4", pad_bytes=300_000_000)
    job, attached = queue.enqueue(file=source, caption="Big one #test", privacy="PUBLIC_TO_EVERYONE")
    assert not attached and job.state == S.QUEUED
    done = queue.run_until(job.id)
    assert done.state == S.PUBLISHED, (done.reason, [e["message"] for e in queue.store.events(job.id)])
    assert done.chunk_count and done.chunk_count > 1 and done.share_url.startswith(stub_server.base_url)
    assert sha256(stored_upload(stub_server, done.publish_id)) == sha256(source)
    [post] = posts_with_caption(stub_server, "Big one #test")
    assert done.post_id == post["id"]
    chunks = queue.store.chunks(job.id)
    assert [c["idx"] for c in chunks] == list(range(done.chunk_count))
    assert chunks[-1]["last"] == source.stat().st_size - 1
    log = [e["state"] for e in queue.store.events(job.id)]
    assert log[:1] == [S.QUEUED] and S.INITIALISING in log and log[-1] == S.PUBLISHED
    assert (
        log.index(S.CHECKING) < log.index(S.INITIALISING) < log.index(S.UPLOADING) < log.index(S.PROCESSING)
    )


def test_the_same_publish_attaches_and_a_published_one_asks_before_posting_again(
    queue: PublishQueue, stub_server: StubServer, tmp_path: Path
) -> None:
    source = video(tmp_path / "clip.mp4")
    first, _ = queue.enqueue(file=source, caption="Once #test", privacy="SELF_ONLY")
    again, attached = queue.enqueue(file=source, caption="Once #test", privacy="SELF_ONLY")
    assert attached and again.id == first.id
    assert queue.run_until(first.id).state == S.PUBLISHED
    with pytest.raises(AlreadyPublished) as asked:
        queue.enqueue(file=source, caption="Once #test", privacy="SELF_ONLY")
    assert "--again" in str(asked.value)
    other, attached = queue.enqueue(file=source, caption="Once, new caption", privacy="SELF_ONLY")
    assert not attached and other.id != first.id
    second, attached = queue.enqueue(file=source, caption="Once #test", privacy="SELF_ONLY", again=True)
    assert not attached and queue.run_until(second.id).state == S.PUBLISHED
    assert len(posts_with_caption(stub_server, "Once #test")) == 2  # asked for twice on purpose: twice


def test_only_the_privacy_options_creator_info_offers_are_used(
    queue: PublishQueue, stub_server: StubServer, tmp_path: Path
) -> None:
    job, _ = queue.enqueue(file=video(tmp_path / "p.mp4"), caption="Friends", privacy="FOLLOWER_OF_CREATOR")
    done = queue.run_until(job.id)
    assert done.state == S.FAILED and "not offered" in done.reason and "PUBLIC_TO_EVERYONE" in done.reason
    assert publishes(stub_server) == []  # refused before any init
    with pytest.raises(PrepareError):
        queue.enqueue(file=video(tmp_path / "q.mp4"), caption="no privacy")


def test_a_video_too_long_for_the_account_fails_with_a_sentence(
    queue: PublishQueue, stub_server: StubServer, tmp_path: Path
) -> None:
    stub_server.state.db.run("UPDATE accounts SET max_duration_s = 2 WHERE username = 'demo.creator'")
    job, _ = queue.enqueue(
        file=video(tmp_path / "long.mp4", seconds=4.0), caption="Long", privacy="SELF_ONLY"
    )
    done = queue.run_until(job.id)
    assert done.state == S.FAILED
    assert "4 s long" in done.reason and "up to 2 s" in done.reason and "Shorten" in done.reason
    assert publishes(stub_server) == []


def test_a_damaged_file_fails_with_a_sentence(
    queue: PublishQueue, stub_server: StubServer, tmp_path: Path
) -> None:
    bad = tmp_path / "holiday.mp4"
    good = video(tmp_path / "good.mp4")
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    job, _ = queue.enqueue(file=bad, caption="Broken", privacy="SELF_ONLY")
    done = queue.run_until(job.id)
    assert done.state == S.FAILED and "holiday.mp4" in done.reason and "Traceback" not in done.reason
    assert publishes(stub_server) == []


def test_inbox_uploads_wait_for_the_creator_then_count_as_published(
    queue: PublishQueue, stub_server: StubServer, tmp_path: Path
) -> None:
    job, _ = queue.enqueue(file=video(tmp_path / "i.mp4"), caption="To the inbox", mode="inbox")
    done = queue.run_until(job.id)
    assert done.state == S.INBOX
    # the move to the inbox tells the creator what to do (the webhook's own note may come after it)
    said = [e["message"] for e in queue.store.events(job.id) if e["state"] == S.INBOX]
    assert any("open TikTok" in message for message in said), said
    with httpx.Client(base_url=stub_server.base_url, trust_env=False) as admin:
        admin.post(
            f"/_stub/inbox/{done.publish_id}/post",
            json={"privacy_level": "SELF_ONLY", "title": "To the inbox"},
        ).raise_for_status()
    deadline = time.monotonic() + WAIT_S  # the webhook post.publish.complete settles it
    while queue.job(job.id).state != S.PUBLISHED and time.monotonic() < deadline:
        time.sleep(0.1)
    assert queue.job(job.id).state == S.PUBLISHED


def test_a_scheduled_job_waits_for_its_time(
    queue: PublishQueue, stub_server: StubServer, tmp_path: Path
) -> None:
    later = time.time() + 3600
    job, _ = queue.enqueue(
        file=video(tmp_path / "s.mp4"), caption="Tonight", privacy="SELF_ONLY", schedule_at=later
    )
    queue.start()
    time.sleep(1.0)
    assert queue.job(job.id).state == S.QUEUED and publishes(stub_server) == []
    assert queue.store.next_wake() == pytest.approx(later)
    soon, _ = queue.enqueue(
        file=video(tmp_path / "t.mp4"), caption="Now", privacy="SELF_ONLY", schedule_at=time.time() + 0.5
    )
    assert queue.run_until(soon.id).state == S.PUBLISHED
    assert queue.cancel(job.id).state == S.CANCELLED


def test_a_job_that_came_due_while_closed_waits_when_asked_to(queue: PublishQueue, tmp_path: Path) -> None:
    job, _ = queue.enqueue(
        file=video(tmp_path / "late.mp4"), caption="Late", privacy="SELF_ONLY", schedule_at=time.time() - 7200
    )
    queue.late_jobs = "ask"
    queue.start()
    time.sleep(0.5)
    waiting = queue.job(job.id)
    assert waiting.paused and waiting.state == S.QUEUED and "while the app was closed" in waiting.detail
    queue.resume(job.id)
    assert queue.run_until(job.id).state == S.PUBLISHED


def test_offline_pauses_and_the_network_coming_back_resumes(
    queue: PublishQueue, stub_server: StubServer, tmp_path: Path
) -> None:
    client = queue.posting.client
    real = client.config
    client.config = real.__class__(**{**real.__dict__, "api_base": "http://127.0.0.1:9"})
    job, _ = queue.enqueue(file=video(tmp_path / "o.mp4"), caption="Offline", privacy="SELF_ONLY")
    queue.start()
    deadline = time.monotonic() + WAIT_S
    while queue.offline_since is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert queue.offline_since is not None and "Offline" in queue.job(job.id).detail
    client.config = real
    assert queue.run_until(job.id).state == S.PUBLISHED
    assert queue.offline_since is None


def test_a_draft_is_exported_then_published_and_remembers_where(
    queue: PublishQueue, stub_server: StubServer, tmp_path: Path
) -> None:
    from studio.core.project import Canvas, Project, Track, VideoClip
    from studio.drafts.store import open_store
    from studio.media.probe import probe

    clip = video(tmp_path / "source.mp4", seconds=2.0)
    project = Project(
        title="My draft",
        canvas=Canvas(360, 640, 30.0),
        tracks=[Track("v1", "video", name="Video", clips=[VideoClip("c1", str(clip), 0.0, 2.0, 0.0)])],
    )
    store = open_store(queue.paths)
    try:
        draft_id = store.create_draft(project.to_dict())
    finally:
        store.close()
    job, _ = queue.enqueue(draft_id=draft_id, caption="From a draft #edit", privacy="PUBLIC_TO_EVERYONE")
    done = queue.run_until(job.id)
    assert done.state == S.PUBLISHED, (done.reason, [e["message"] for e in queue.store.events(job.id)])
    exported = Path(done.file_path)
    assert exported.is_relative_to(queue.paths.cache) and probe(exported).duration == pytest.approx(
        2.0, abs=0.1
    )
    assert sha256(stored_upload(stub_server, done.publish_id)) == sha256(exported)
    states = [e["state"] for e in queue.store.events(job.id)]
    assert states.index(S.EXPORTING) < states.index(S.CHECKING)
    store = open_store(queue.paths)
    try:
        [where] = store.publications(draft_id)
    finally:
        store.close()
    assert where["post_id"] == done.post_id and where["share_url"] == done.share_url


def test_a_broken_draft_fails_the_export_with_a_sentence(queue: PublishQueue, tmp_path: Path) -> None:
    from studio.core.project import Canvas, Project, Track, VideoClip
    from studio.drafts.store import open_store

    missing = tmp_path / "gone.mp4"
    project = Project(
        title="Broken",
        canvas=Canvas(360, 640, 30.0),
        tracks=[Track("v1", "video", name="Video", clips=[VideoClip("c1", str(missing), 0.0, 2.0, 0.0)])],
    )
    store = open_store(queue.paths)
    try:
        draft_id = store.create_draft(project.to_dict())
    finally:
        store.close()
    job, _ = queue.enqueue(draft_id=draft_id, caption="Broken draft", privacy="SELF_ONLY")
    done = queue.run_until(job.id)
    assert (
        done.state == S.FAILED and done.reason.startswith("The export failed:") and "gone.mp4" in done.reason
    )


@pytest.fixture
def tiny_exports(queue: PublishQueue) -> Iterator[Path]:
    """The export folder on a 64 KB tmpfs: a full disk, for real (needs root, as CI has)."""
    import os
    import subprocess

    folder = queue.paths.cache / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_during_export_fails_with_a_sentence(
    queue: PublishQueue, stub_server: StubServer, tmp_path: Path, tiny_exports: Path
) -> None:
    from studio.core.project import Canvas, Project, Track, VideoClip
    from studio.drafts.store import open_store

    clip = video(tmp_path / "source.mp4", seconds=3.0)
    project = Project(
        title="Full disk",
        canvas=Canvas(720, 1280, 30.0),
        tracks=[Track("v1", "video", name="Video", clips=[VideoClip("c1", str(clip), 0.0, 3.0, 0.0)])],
    )
    store = open_store(queue.paths)
    try:
        draft_id = store.create_draft(project.to_dict())
    finally:
        store.close()
    job, _ = queue.enqueue(draft_id=draft_id, caption="No room", privacy="SELF_ONLY")
    done = queue.run_until(job.id)
    assert done.state == S.FAILED and done.reason.startswith("The export failed:")
    assert "disk" in done.reason.lower() or "space" in done.reason.lower(), done.reason
    assert list(tiny_exports.iterdir()) == []  # no half-written video left behind
    assert publishes(stub_server) == []


def test_a_file_the_platform_would_refuse_is_re_encoded_not_failed(
    queue: PublishQueue, stub_server: StubServer, tmp_path: Path
) -> None:
    from studio.media.probe import probe
    from tests.media.fixtures import make_video

    slow = make_video(tmp_path / "slowmo.mp4", 360, 640, 15.0, 2.0)  # 15 fps: outside TikTok's 23-60
    job, _ = queue.enqueue(file=slow, caption="Fifteen fps", privacy="SELF_ONLY")
    done = queue.run_until(job.id)
    assert done.state == S.PUBLISHED, (done.reason, [e["message"] for e in queue.store.events(job.id)])
    sent = stored_upload(stub_server, done.publish_id)
    assert 23 <= probe(sent).video.fps <= 60  # type: ignore[union-attr]
    assert any("Re-encoding: the frame rate is 15 fps" in e["message"] for e in queue.store.events(job.id))
    ok = video(tmp_path / "fine.mp4")
    fine, _ = queue.enqueue(file=ok, caption="Already fine", privacy="SELF_ONLY")
    done = queue.run_until(fine.id)
    assert sha256(stored_upload(stub_server, done.publish_id)) == sha256(ok)  # checked, not re-encoded


def test_a_queued_draft_posts_the_revision_it_was_queued_with(queue: PublishQueue, tmp_path: Path) -> None:
    from studio.core.project import Canvas, Project, Track, VideoClip
    from studio.drafts.store import open_store
    from studio.media.probe import probe

    clip = video(tmp_path / "source.mp4", seconds=2.0)

    def project(length: float) -> dict[str, object]:
        clips = [VideoClip("c1", str(clip), 0.0, length, 0.0)]
        return Project(
            title="Versions",
            canvas=Canvas(360, 640, 30.0),
            tracks=[Track("v1", "video", name="Video", clips=clips)],
        ).to_dict()

    store = open_store(queue.paths)
    try:
        draft_id = store.create_draft(project(2.0))
        queued_revision = store.latest_revision(draft_id).id  # type: ignore[union-attr]
        store.save(draft_id, project(1.0))  # edited after it was queued
    finally:
        store.close()
    job, _ = queue.enqueue(
        draft_id=draft_id, revision_id=queued_revision, caption="As queued", privacy="SELF_ONLY"
    )
    done = queue.run_until(job.id)
    assert done.state == S.PUBLISHED
    assert probe(Path(done.file_path)).duration == pytest.approx(2.0, abs=0.1)


def test_two_queues_on_one_profile_never_run_a_job_twice(
    queue: PublishQueue, stub_server: StubServer, tmp_path: Path
) -> None:
    other_engine = SyncEngine(queue.paths, platform=platform_of(stub_server), webhooks=False)
    other_engine.open()
    other = PublishQueue(other_engine, poll_every_s=0.2, retry_scale=0.01)  # the app and `publish --wait`
    try:
        source = video(tmp_path / "both.mp4", pad_bytes=8_000_000)
        jobs = [queue.enqueue(file=source, caption=f"Both {i}", privacy="SELF_ONLY")[0] for i in range(3)]
        other.start()  # both dispatchers see the same due jobs at once
        queue.start()
        for job in jobs:
            deadline = time.monotonic() + WAIT_S
            while queue.job(job.id).state != S.PUBLISHED and time.monotonic() < deadline:
                other._wake.set()
                queue._wake.set()
                time.sleep(0.05)
            assert queue.job(job.id).state == S.PUBLISHED
            assert len(posts_with_caption(stub_server, job.caption)) == 1
            inits = [e for e in queue.store.events(job.id) if e["state"] == S.INITIALISING]
            assert len(inits) == 1  # one worker, one init
    finally:
        other.close()
        other_engine.close()
