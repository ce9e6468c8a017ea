"""VideoDecoder: the exact frame after any seek, upright, in I420; the sequential export path."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from studio.core.frame import YUV420P
from studio.media.decode import VideoDecoder
from studio.media.errors import MediaError
from tests.media.fixtures import MediaLibrary, frame_pattern, make_video, read_index, vfr_times


def expected_index(t: float, fps: float, count: int) -> int:
    return min(int(t * fps + 1e-6), count - 1)


@pytest.mark.parametrize("name", ["h264_916", "hevc", "ten_bit", "yuv444", "h264_169"])
def test_random_seeks_return_the_exact_frame(clips: MediaLibrary, name: str) -> None:
    rng = random.Random(name)
    with VideoDecoder(clips.get(name), cache_size=4) as dec:
        count, fps = dec.info.frame_count, dec.fps
        times = [rng.uniform(0, dec.duration) for _ in range(25)]
        times += [0.0, dec.duration - 0.001, 0.5, 0.1, dec.duration + 3.0]  # backwards and past the end
        for t in times:
            frame = dec.frame_at(t)
            assert frame.layout == YUV420P
            assert read_index(frame.planes()[0]) == expected_index(t, fps, count), f"t={t}"


def test_matroska_seeks_follow_the_stored_timestamps(clips: MediaLibrary) -> None:
    rng = random.Random(11)
    with VideoDecoder(clips.get("matroska")) as dec:
        starts = [t for t, _ in dec.frames()]
        assert len(starts) == 60
        for t in [rng.uniform(0, 2.0) for _ in range(25)]:
            want = max(i for i, start in enumerate(starts) if start <= t)
            assert read_index(dec.frame_at(t).planes()[0]) == want, f"t={t}"


def test_frame_boundaries_are_exact(clips: MediaLibrary) -> None:
    with VideoDecoder(clips.get("h264_916")) as dec:
        for i in (11, 12, 13, 35, 36):  # around keyframes (every 12 frames)
            assert read_index(dec.frame_at(i / 30).planes()[0]) == i
            assert read_index(dec.frame_at(i / 30 - 0.001).planes()[0]) == i - 1


def test_stepping_forward_and_cache(clips: MediaLibrary) -> None:
    with VideoDecoder(clips.get("h264_916"), cache_size=3) as dec:
        seen = [read_index(dec.frame_at(i / 30 + 0.01).planes()[0]) for i in range(40)]
        assert seen == list(range(40))
        again = dec.frame_at(39 / 30)
        again.planes()[0][:] = 0  # a caller's change must not reach the cache
        assert read_index(dec.frame_at(39 / 30).planes()[0]) == 39


def test_variable_frame_rate_seek(clips: MediaLibrary) -> None:
    times = vfr_times(30, 2.0)
    rng = random.Random(5)
    with VideoDecoder(clips.get("vfr")) as dec:
        for t in [rng.uniform(0, 2.0) for _ in range(30)]:
            want = max(i for i, start in enumerate(times) if start <= t + 1e-9)
            assert read_index(dec.frame_at(t).planes()[0]) == want, f"t={t}"
        assert [round(t, 3) for t, _ in dec.frames()] == times


def test_frames_sequential_range(clips: MediaLibrary) -> None:
    with VideoDecoder(clips.get("h264_916")) as dec:
        got = [(t, read_index(f.planes()[0])) for t, f in dec.frames()]
        assert [i for _, i in got] == list(range(60))
        assert got[30][0] == pytest.approx(1.0)
        part = [(t, read_index(f.planes()[0])) for t, f in dec.frames(0.51, 1.0)]
        assert [i for _, i in part] == list(range(15, 30))  # the frame on screen at 0.51 s comes first
        assert read_index(dec.frame_at(0.2).planes()[0]) == 6  # frame_at still works afterwards


def test_rotation_matches_ffmpeg(clips: MediaLibrary) -> None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg CLI not installed")
    for name in ("rotated", "rotated_cw"):
        path = clips.get(name)
        with VideoDecoder(path) as dec:
            frame = dec.frame_at(0.0)
            assert (frame.width, frame.height) == (72, 128) == dec.size
            y = frame.planes()[0]
        raw = subprocess.run(
            [
                ffmpeg,
                "-v",
                "error",
                "-i",
                str(path),
                "-frames:v",
                "1",
                "-pix_fmt",
                "yuv420p",
                "-f",
                "rawvideo",
                "-",
            ],
            capture_output=True,
            check=True,
        ).stdout
        upright = np.frombuffer(raw, np.uint8)[: y.size].reshape(y.shape)
        assert np.abs(upright.astype(int) - y).max() <= 2, name


def test_rotated_frames_carry_index_after_unrotating(clips: MediaLibrary) -> None:
    with VideoDecoder(clips.get("rotated")) as dec:
        y = dec.frame_at(10 / 30).planes()[0]
        assert read_index(np.rot90(y, k=-1)) == 10  # undo the 90° counter-clockwise turn


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuv444p", "yuv422p", "yuv420p10le"])
def test_pixel_formats_convert_to_i420(tmp_path: Path, pix_fmt: str) -> None:
    path = make_video(tmp_path / f"{pix_fmt}.mp4", 72, 128, 30, 0.3, audio=False, pix_fmt=pix_fmt)
    _, u_want, v_want = frame_pattern(5, 72, 128)  # U 143, V 123: a swap or a lost plane shows
    with VideoDecoder(path) as dec:
        y, u, v = dec.frame_at(5 / 30 + 0.01).planes()
    assert read_index(y) == 5
    # chroma is flat in the pattern, so any correct 4:2:0 conversion keeps it (within coding loss)
    assert abs(float(u.mean()) - float(u_want.mean())) < 3
    assert abs(float(v.mean()) - float(v_want.mean())) < 3


def test_odd_size_is_cropped_even(tmp_path: Path) -> None:
    path = make_video(tmp_path / "odd.mp4", 66, 98, 30, 0.3, audio=False, pix_fmt="yuv444p")
    with VideoDecoder(path) as dec:
        frame = dec.frame_at(0.1)
        assert (frame.width, frame.height) == (66, 98)
        assert read_index(frame.planes()[0]) == 3


def test_still_image_is_one_frame_for_any_time(clips: MediaLibrary) -> None:
    with VideoDecoder(clips.get("image")) as dec:
        for t in (0.0, 1.5, 100.0):
            frame = dec.frame_at(t)
            assert (frame.width, frame.height) == (90, 160)
            assert read_index(frame.planes()[0]) == 0
        assert [t for t, _ in dec.frames()] == [0.0]


def test_rgb_conversion_of_decoded_frame(clips: MediaLibrary) -> None:
    with VideoDecoder(clips.get("h264_916")) as dec:
        rgb = dec.frame_at(5 / 30).as_rgb()
    assert rgb.shape == (128, 72, 3)
    assert read_index(rgb) == 5


def test_audio_only_file_has_no_picture(clips: MediaLibrary) -> None:
    with pytest.raises(MediaError) as caught:
        VideoDecoder(clips.get("audio_only"))
    assert caught.value.kind == "no_video"


def test_damaged_audio_clip_decodes_its_video(clips: MediaLibrary) -> None:
    with VideoDecoder(clips.get("damaged_audio")) as dec:
        assert len(list(dec.frames())) == 60
