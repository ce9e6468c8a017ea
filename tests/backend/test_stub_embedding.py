"""What the sync engine relies on when it embeds the stand-in: a paused clock, and no orphans."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil

from backend_stub.server import StubServer

X = 1_790_000_000.0


def _saved_an_hour_ago(data: Path) -> None:
    StubServer(data).state.close()
    with sqlite3.connect(
        data / "backend_stub.sqlite3"
    ) as conn:  # as a server that stopped an hour ago left it
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'clock'", (json.dumps([X, time.time() - 3600, 1.0]),)
        )


def test_pause_while_down_resumes_where_the_clock_stopped(tmp_path: Path) -> None:
    _saved_an_hour_ago(tmp_path / "paused")
    paused = StubServer(tmp_path / "paused", resume_paused=True)
    assert X <= paused.state.now() < X + 60
    paused.state.close()
    _saved_an_hour_ago(tmp_path / "running")
    running = StubServer(tmp_path / "running")
    assert running.state.now() >= X + 3600  # the default: the platform's time went on
    running.state.close()


def test_an_embedded_backend_dies_with_its_killed_parent(studio_home: Path) -> None:
    env = {**os.environ, "CREATOR_STUDIO_HOME": str(studio_home), "CREATOR_STUDIO_TOKEN_STORE": "file"}
    parent = subprocess.Popen(
        [sys.executable, "-m", "studio", "sync"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    state = studio_home / "profiles" / "default" / "data" / "backend" / "backend.json"
    deadline = time.monotonic() + 90
    while not state.exists() and time.monotonic() < deadline and parent.poll() is None:
        time.sleep(0.1)
    try:
        child = psutil.Process(json.loads(state.read_text())["pid"])
        assert child.is_running()
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(30)
    child.wait(timeout=30)  # raises TimeoutExpired if the stand-in outlived its parent
    assert not child.is_running()
