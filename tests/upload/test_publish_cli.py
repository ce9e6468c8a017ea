"""`creator-studio publish` on a fresh profile: the embedded demo backend, JSON progress, reruns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .kit import video


def _publish(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CREATOR_STUDIO_HOME": str(home), "CREATOR_STUDIO_TOKEN_STORE": "file"}
    return subprocess.run(
        [sys.executable, "-m", "studio", "publish", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_publish_on_a_fresh_profile_posts_once_and_asks_before_posting_again(
    studio_home: Path, tmp_path: Path
) -> None:
    clip = str(video(tmp_path / "hello.mp4"))
    asked = _publish(studio_home, clip, "--caption", "Hello #first")
    assert asked.returncode == 2 and "choose who can see the post with --privacy" in asked.stderr
    assert "PUBLIC_TO_EVERYONE" in asked.stderr  # the options creator_info returned
    run = _publish(
        studio_home,
        clip,
        "--caption",
        "Hello #first",
        "--privacy",
        "PUBLIC_TO_EVERYONE",
        "--wait",
        "--progress",
        "json",
    )
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    states = [line["state"] for line in lines]
    assert states[-1] == "published" and lines[-1]["done"] and lines[-1]["share_url"]
    assert "uploading" in states and "processing" in states
    again = _publish(
        studio_home, clip, "--caption", "Hello #first", "--privacy", "PUBLIC_TO_EVERYONE", "--wait"
    )
    assert again.returncode == 2 and "already posted with this caption" in again.stderr
    on_purpose = _publish(
        studio_home, clip, "--caption", "Hello #first", "--privacy", "PUBLIC_TO_EVERYONE", "--wait", "--again"
    )
    assert on_purpose.returncode == 0 and "Published" in on_purpose.stdout, on_purpose.stderr
    bad = _publish(studio_home, clip, "--caption", "x", "--privacy", "SELF_ONLY", "--schedule", "tomorrow")
    assert bad.returncode == 2 and "--schedule takes a date and time" in bad.stderr
