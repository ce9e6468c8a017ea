"""`creator-studio probe` and `creator-studio doctor` as a creator runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from studio import cli
from tests.media.fixtures import MediaLibrary


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_probe_text_output(clips: MediaLibrary, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "probe", str(clips.get("rotated")))
    assert code == 0
    assert "container: mp4" in out
    assert "h264 128x72, rotation 90° -> shown 72x128, 30.000 fps" in out
    assert "aac 48000 Hz, 2 ch (stereo)" in out
    assert "duration:  1.000 s" in out


def test_probe_json_output(clips: MediaLibrary, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "probe", "--json", str(clips.get("vfr")))
    assert code == 0
    doc = json.loads(out)
    assert doc["video"]["vfr"] is True
    assert doc["audio"] is None
    assert doc["size_bytes"] == clips.get("vfr").stat().st_size


def test_probe_damaged_audio_warns_but_succeeds(
    clips: MediaLibrary, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "probe", str(clips.get("damaged_audio")))
    assert code == 0
    assert "warning:   the audio stream is damaged; the video can still be used" in out


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty", "the file is empty"),
        ("text", "this file is not a video"),
        ("truncated", "the file is cut short"),
    ],
)
def test_probe_unusable_file_fails_with_one_line(
    clips: MediaLibrary, capsys: pytest.CaptureFixture[str], name: str, message: str
) -> None:
    code, out, err = run(capsys, "probe", str(clips.get(name)))
    assert code != 0
    assert out == ""
    assert err.strip().splitlines() == [f"creator-studio probe: {clips.get(name).name}: {message}"]


def test_probe_json_error(clips: MediaLibrary, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "probe", "--json", str(clips.get("text")))
    assert code == 1
    assert json.loads(out)["error"] == {"kind": "not_media", "message": "this file is not a video"}


def test_probe_as_a_separate_process(clips: MediaLibrary) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "studio", "probe", str(clips.get("truncated_faststart"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "the file is cut short" in done.stderr


def test_doctor_json(capsys: pytest.CaptureFixture[str], studio_home: Path) -> None:
    code, out, _ = run(capsys, "doctor", "--json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) >= {"versions", "video_encoders", "onnxruntime", "audio", "paths"}
    versions = doc["versions"]
    assert versions["python"] == ".".join(map(str, sys.version_info[:3]))
    assert versions["pyav"] and versions["ffmpeg"] and versions["qt"] and versions["numpy"]
    encoders = {e["name"]: e for e in doc["video_encoders"]["encoders"]}
    assert encoders["libx264"]["works"] is True
    assert all(e["works"] or e["reason"] for e in encoders.values())
    assert doc["video_encoders"]["chosen"]["h264"] is not None
    providers = {p["provider"]: p for p in doc["onnxruntime"]["providers"]}
    assert providers["CPUExecutionProvider"]["works"] is True
    assert all(p["works"] or p["reason"] for p in providers.values())
    assert doc["audio"]["ok"] or doc["audio"]["reason"]
    assert Path(doc["paths"]["data"]).is_relative_to(studio_home.resolve())


def test_doctor_does_not_import_qt() -> None:
    code = (
        "import sys, studio.doctor as d; d.collect(); "
        "print(any(m.startswith(('PySide6', 'shiboken6')) for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"
