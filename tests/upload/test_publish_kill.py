"""A publishing child process SIGKILLed at 20 random points: every job finishes, posted once."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend_stub.server import StubServer
from studio.config import app_paths
from studio.sync.engine import SyncEngine
from tests.sync.records import configure_stand_in

from .kit import posts_with_caption, sha256, stored_upload, video

JOBS = 5


@pytest.fixture
def stub_server(tmp_path: Path) -> Iterator[StubServer]:
    with StubServer(tmp_path / "stub", seed=7, auto_approve=True) as server:
        yield server


def _row(db: Path, caption: str) -> tuple[str, str]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2) as conn:
            row = conn.execute(
                "SELECT state, detail FROM jobs WHERE caption = ? ORDER BY id DESC", (caption,)
            ).fetchone()
            return (row[0], row[1]) if row else ("not queued yet", "")
    except sqlite3.Error:
        return ("no database yet", "")


def _state(db: Path, caption: str) -> str:
    return _row(db, caption)[0]


# where each of a job's kills aims: between init and the first PUT, mid-chunk 1, mid-chunk 2,
# after the last PUT / during status polling
TARGETS = (("initialising", ""), ("uploading", "chunk 1"), ("uploading", "chunk 2"), ("processing", ""))
ORDER = [
    "not queued yet",
    "no database yet",
    "queued",
    "exporting",
    "checking",
    "initialising",
    "uploading",
    "processing",
    "published",
]


def _reached(row: tuple[str, str], target: tuple[str, str]) -> bool:
    state, detail = row
    if state not in ORDER:
        return True
    if ORDER.index(state) != ORDER.index(target[0]):
        return ORDER.index(state) > ORDER.index(target[0])
    return not target[1] or detail >= target[1]


def test_publishing_survives_sigkill_at_random_points(
    stub_server: StubServer, studio_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREATOR_STUDIO_TOKEN_STORE", "file")
    paths = app_paths().ensure()
    configure_stand_in(paths, stub_server)
    engine = SyncEngine(paths, webhooks=False)
    engine.open()
    engine.sign_in_demo()
    engine.close()
    with httpx.Client(base_url=stub_server.base_url, trust_env=False) as admin:  # stretch every step
        admin.post(
            "/_stub/faults", json={"latency_ms": 250, "paths": ["/v2/post/", "/upload/"]}
        ).raise_for_status()
    source = video(tmp_path / "kill.mp4", pad_bytes=36_000_000)  # two chunks
    env = {**os.environ, "CREATOR_STUDIO_HOME": str(studio_home), "CREATOR_STUDIO_TOKEN_STORE": "file"}
    db = paths.data / "uploads" / "uploads.sqlite3"
    rng = random.Random(20261201)
    seen_states: list[str] = []
    for n in range(JOBS):
        caption = f"Kill test {n} #resume"
        command = [
            sys.executable,
            "-m",
            "studio",
            "publish",
            str(source),
            "--caption",
            caption,
            "--privacy",
            "SELF_ONLY",
            "--wait",
            "--progress",
            "none",
        ]
        for target in TARGETS:
            child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while (
                not _reached(_row(db, caption), target)
                and child.poll() is None
                and time.monotonic() < deadline
            ):
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.2))  # somewhere inside that step
            os.kill(child.pid, signal.SIGKILL)
            child.wait(30)
            seen_states.append(_state(db, caption))
        finish = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
        if finish.returncode == 2:  # a kill came after it published: the rerun says so, posts nothing
            assert "already posted with this caption" in finish.stderr, finish.stderr
        else:
            assert finish.returncode == 0 and "Published" in finish.stdout, (finish.stdout, finish.stderr)
        assert _state(db, caption) == "published"
        [post] = posts_with_caption(stub_server, caption)  # exactly one post per job
        assert sha256(stored_upload(stub_server, str(post["publish_id"]))) == sha256(source)
    # the kills landed in different steps (the states written before each network step)
    assert len(seen_states) == JOBS * len(TARGETS) == 20
    assert {"initialising", "uploading", "processing"} <= set(seen_states), seen_states
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == JOBS  # reruns attached, never added
