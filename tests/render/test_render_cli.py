"""`creator-studio render` as a creator runs it: JSON progress lines, one-line failures, drafts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.render.helpers import ffprobe, make_solid_video, stream

CLI = [sys.executable, "-m", "studio"]


def _doc(source: str = "red.mp4") -> dict:
    return {
        "schema_version": 2,
        "title": "cli",
        "canvas": {"width": 180, "height": 320, "fps": 24},
        "tracks": [
            {"kind": "video", "clips": [{"source": source, "in_point": 0.0, "out_point": 0.5, "start": 0.0}]}
        ],
    }


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("render-cli")
    make_solid_video(d / "red.mp4", (255, 0, 0), seconds=1.0)
    return d


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "render", *args], capture_output=True, text=True, timeout=120)


def test_json_progress_and_output(folder: Path, tmp_path: Path) -> None:
    proj = folder / "p.json"
    proj.write_text(json.dumps(_doc()))
    out = tmp_path / "out.mp4"
    r = _run(str(proj), "-o", str(out), "--preset", "canvas", "--no-platform-check", "--progress", "json")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert lines and all({"frame", "total", "fps", "eta_s"} <= set(line) for line in lines)
    assert lines[-1]["done"] is True and lines[-1]["frame"] == lines[-1]["total"] == 12
    assert int(stream(ffprobe(out), "video")["nb_read_frames"]) == 12


def test_refusal_is_one_line_and_non_zero(folder: Path, tmp_path: Path) -> None:
    proj = folder / "missing.json"
    proj.write_text(json.dumps(_doc("nowhere.mp4")))
    out = tmp_path / "out.mp4"
    r = _run(str(proj), "-o", str(out), "--progress", "json")
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "nowhere.mp4" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert not out.exists()
    r = _run(str(folder / "no-such-project.json"), "-o", str(out))
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_render_a_stored_draft(folder: Path, tmp_path: Path) -> None:
    from studio.drafts.store import open_store

    store = open_store()
    try:
        draft_id = store.create_draft(_doc(), base_dir=folder)
    finally:
        store.close()
    out = tmp_path / "draft.mp4"
    r = _run(
        "--draft",
        str(draft_id),
        "-o",
        str(out),
        "--preset",
        "canvas",
        "--no-platform-check",
        "--progress",
        "none",
    )
    assert r.returncode == 0, r.stderr
    assert stream(ffprobe(out), "video")["codec_name"] == "h264"
    r = _run("--draft", "9999", "-o", str(out))
    assert r.returncode == 2 and "9999" in r.stderr


def test_sigterm_cancels_and_leaves_no_file(folder: Path, tmp_path: Path) -> None:
    import signal

    doc = _doc()
    doc["canvas"] = {"width": 1080, "height": 1920, "fps": 30}  # slow enough to interrupt
    doc["tracks"][0]["clips"][0].update(out_point=1.0, speed=0.25)  # 4 s, 120 frames
    proj = folder / "long.json"
    proj.write_text(json.dumps(doc))
    out = tmp_path / "cancelled.mp4"
    args = [str(proj), "-o", str(out), "--preset", "canvas", "--progress", "json", "--no-platform-check"]
    child = subprocess.Popen(
        [*CLI, "render", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    first = json.loads(child.stdout.readline())
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)
    assert first["total"] == 120
    assert child.returncode == 130 and "cancelled" in err
    assert list(tmp_path.iterdir()) == []
