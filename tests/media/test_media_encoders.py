"""Encoders really open; the pick prefers hardware and refuses a broken override; thumbnails."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from studio.media.encoders import pick_encoder, probe_video_encoders, try_encoder
from studio.media.errors import MediaError
from studio.media.thumbnails import thumbnail
from tests.media.fixtures import MediaLibrary, read_index


def test_every_candidate_is_reported_with_a_reason() -> None:
    statuses = probe_video_encoders()
    names = [s.name for s in statuses]
    assert {"h264_nvenc", "hevc_nvenc", "h264_qsv", "h264_vaapi", "h264_videotoolbox", "h264_amf"} <= set(
        names
    )
    assert names.index("h264_nvenc") < names.index("libx264")
    libx264 = next(s for s in statuses if s.name == "libx264")
    assert libx264.works and not libx264.hardware and libx264.codec == "h264"
    for status in statuses:
        assert status.works or status.reason, status.name
    assert probe_video_encoders() == statuses  # cached per process


def test_unknown_encoder_is_not_in_build() -> None:
    assert try_encoder("h264_doesnotexist") == (False, "not in this FFmpeg build")


def test_pick_prefers_working_hardware_then_software() -> None:
    statuses = probe_video_encoders()
    hardware = [s.name for s in statuses if s.codec == "h264" and s.hardware and s.works]
    assert pick_encoder("h264") == (hardware[0] if hardware else "libx264")
    assert pick_encoder("h264", override="libx264") == "libx264"
    assert pick_encoder("h264", override="auto") == pick_encoder("h264")


def test_pick_refuses_bad_overrides() -> None:
    with pytest.raises(MediaError, match="unknown encoder"):
        pick_encoder("h264", override="my_encoder")
    with pytest.raises(MediaError, match="makes hevc"):
        pick_encoder("h264", override="libx265")
    broken = [s for s in probe_video_encoders() if not s.works and s.codec == "h264"]
    if broken:
        with pytest.raises(MediaError, match="does not work here"):
            pick_encoder("h264", override=broken[0].name)
    with pytest.raises(MediaError):
        pick_encoder("vp9")


def test_picked_encoder_makes_a_playable_file(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream(pick_encoder("h264"), rate=30)
        stream.width, stream.height, stream.pix_fmt = 128, 128, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((128, 128, 3), i * 40, np.uint8), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with av.open(str(path)) as container:
        assert len(list(container.decode(video=0))) == 5


def test_thumbnail_fits_and_is_upright(clips: MediaLibrary) -> None:
    small = thumbnail(clips.get("rotated"), t=0.2, max_size=(36, 200))
    assert small.shape == (64, 36, 3) and small.dtype == np.uint8
    full = thumbnail(clips.get("h264_916"), t=4 / 30)
    assert full.shape == (128, 72, 3)
    assert read_index(full) == 4
    assert thumbnail(clips.get("image")).shape == (160, 90, 3)


def test_thumbnail_of_audio_only_is_an_error(clips: MediaLibrary) -> None:
    with pytest.raises(MediaError) as caught:
        thumbnail(clips.get("audio_only"))
    assert caught.value.kind == "no_video"
