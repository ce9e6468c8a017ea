"""probe(): the fields a creator and the editor rely on, for every kind of file we make."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.media.errors import MediaError
from studio.media.probe import probe
from tests.media.fixtures import MediaLibrary, make_video, vfr_times


def test_vertical_h264_clip(clips: MediaLibrary) -> None:
    info = probe(clips.get("h264_916"))
    assert (info.kind, info.container) == ("video", "mp4")
    assert info.duration == pytest.approx(2.0, abs=0.05)
    assert info.size_bytes == clips.get("h264_916").stat().st_size
    v = info.video
    assert v is not None
    assert (v.codec, v.width, v.height, v.rotation) == ("h264", 72, 128, 0)
    assert (v.display_width, v.display_height) == (72, 128)
    assert v.fps == pytest.approx(30.0)
    assert not v.vfr
    assert (v.pix_fmt, v.bit_depth, v.frame_count) == ("yuv420p", 8, 60)
    a = info.audio
    assert a is not None
    assert (a.codec, a.sample_rate, a.channels, a.layout, a.damaged) == ("aac", 48000, 2, "stereo", False)
    assert info.warnings == []


def test_landscape_clip(clips: MediaLibrary) -> None:
    v = probe(clips.get("h264_169")).video
    assert v is not None
    assert (v.width, v.height, v.fps, v.frame_count) == (128, 72, 25.0, 25)


def test_hevc_clip(clips: MediaLibrary) -> None:
    info = probe(clips.get("hevc"))
    assert info.video is not None and info.video.codec == "hevc"
    assert info.video.frame_count == 30


@pytest.mark.parametrize(("name", "rotation"), [("rotated", 90), ("rotated_cw", 270)])
def test_rotated_phone_clip_swaps_display_size(clips: MediaLibrary, name: str, rotation: int) -> None:
    v = probe(clips.get(name)).video
    assert v is not None
    assert (v.width, v.height) == (128, 72)
    assert v.rotation == rotation
    assert (v.display_width, v.display_height) == (72, 128)


def test_variable_frame_rate_is_flagged(clips: MediaLibrary) -> None:
    v = probe(clips.get("vfr")).video
    assert v is not None
    assert v.vfr
    times = vfr_times(30, 2.0)
    assert v.frame_count == len(times)
    assert v.fps == pytest.approx(len(times) / 2.0, rel=0.05)


def test_constant_rate_mkv_is_not_flagged_vfr(tmp_path: Path) -> None:
    # Matroska stores milliseconds, so 30 fps steps are 33 and 34 ms: still constant.
    path = make_video(tmp_path / "cfr.mkv", 64, 64, 30, 1.0, audio=False)
    v = probe(path).video
    assert v is not None and not v.vfr


def test_matroska_clip(clips: MediaLibrary) -> None:
    info = probe(clips.get("matroska"))
    assert info.container == "matroska"
    v = info.video
    assert v is not None and not v.vfr and v.fps == pytest.approx(30.0)
    assert abs(v.frame_count - 60) <= 1  # Matroska has no frame count: estimated from the duration


def test_ten_bit_and_444(clips: MediaLibrary) -> None:
    v = probe(clips.get("ten_bit")).video
    assert v is not None and (v.pix_fmt, v.bit_depth) == ("yuv420p10le", 10)
    v = probe(clips.get("yuv444")).video
    assert v is not None and v.pix_fmt == "yuv444p"


def test_audio_only_file(clips: MediaLibrary) -> None:
    info = probe(clips.get("audio_only"))
    assert info.kind == "audio"
    assert info.video is None
    assert info.audio is not None and (info.audio.sample_rate, info.audio.channels) == (44100, 2)
    assert info.duration == pytest.approx(1.0, abs=0.05)


def test_still_image(clips: MediaLibrary) -> None:
    info = probe(clips.get("image"))
    assert (info.kind, info.container, info.duration) == ("image", "png", 0.0)
    assert info.video is not None and (info.video.width, info.video.height) == (90, 160)
    assert info.audio is None


def test_damaged_audio_keeps_video_with_a_warning(clips: MediaLibrary) -> None:
    info = probe(clips.get("damaged_audio"))
    assert info.kind == "video"
    assert info.video is not None and info.video.frame_count == 60
    assert info.audio is not None and info.audio.damaged
    assert info.warnings == ["the audio stream is damaged; the video can still be used"]


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("empty", "empty", "the file is empty"),
        ("text", "not_media", "this file is not a video"),
        ("truncated", "truncated", "the file is cut short"),
        ("truncated_faststart", "truncated", "the file is cut short"),
        ("truncated_mkv", "truncated", "the file is cut short"),
    ],
)
def test_unusable_files(clips: MediaLibrary, name: str, kind: str, message: str) -> None:
    path = clips.get(name)
    with pytest.raises(MediaError) as caught:
        probe(path)
    assert caught.value.kind == kind
    assert caught.value.message == message
    assert caught.value.path == str(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(MediaError) as caught:
        probe(tmp_path / "nope.mp4")
    assert caught.value.kind == "missing"
    with pytest.raises(MediaError) as caught:
        probe(tmp_path)
    assert caught.value.kind == "not_a_file"


def test_to_dict_is_json_ready(clips: MediaLibrary) -> None:
    import json

    doc = json.loads(json.dumps(probe(clips.get("rotated")).to_dict()))
    assert doc["video"]["rotation"] == 90
    assert doc["video"]["display_height"] == 128
    assert doc["audio"]["layout"] == "stereo"
