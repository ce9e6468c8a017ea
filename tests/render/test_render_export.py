"""Export end to end: real clips in, an MP4 out, checked with ffprobe and by decoding it."""

from __future__ import annotations

import errno
import threading
from pathlib import Path

import numpy as np
import pytest

from studio.core.keyframes import Keyframe
from studio.core.project import FilterRef
from studio.render import ProjectRefused, RenderCancelled, RenderError, render_project
from studio.render.audio_mix import integrated_loudness, true_peak
from studio.render.output import Mp4Writer
from tests.media.fixtures import make_video, read_index
from tests.render.helpers import (
    decode_audio_all,
    decode_rgb,
    ffprobe,
    make_solid_video,
    make_tone,
    project,
    stream,
)

FPS = 24.0


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("render-media")
    make_solid_video(d / "red.mp4", (255, 0, 0), seconds=1.5, tone_hz=440.0)
    make_solid_video(d / "blue.mp4", (0, 0, 255), seconds=1.5)
    make_solid_video(d / "black.mp4", (0, 0, 0), seconds=1.5)
    make_video(d / "index.mp4", width=72, height=128, fps=FPS, seconds=2.0, audio=False)
    make_tone(d / "tone.m4a", seconds=3.0, amplitude=0.05)
    return d


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".mp4" or ".part" in p.name)


def _two_clips(media: Path, transition: dict | None = None, extra_tracks: list | None = None):
    b = {"source": "blue.mp4", "in_point": 0.0, "out_point": 1.0, "start": 1.0}
    if transition:
        b["transition_in"] = transition
    tracks = [
        {
            "kind": "video",
            "clips": [{"source": "red.mp4", "in_point": 0.0, "out_point": 1.0, "start": 0.0}, b],
        }
    ]
    return project(tracks + (extra_tracks or []), fps=FPS, base=media)


def test_export_streams_frames_duration_and_faststart(media: Path, tmp_path: Path) -> None:
    text = {"kind": "text", "items": [{"text": "Hi there", "start": 0.2, "end": 1.2, "style": {"size": 30}}]}
    proj = _two_clips(media, {"kind": "crossfade", "duration": 0.5}, [text])
    out = tmp_path / "out.mp4"
    reports = []
    result = render_project(proj, out, preset="canvas", check_platform=False, progress=reports.append)
    info = ffprobe(out)
    v, a = stream(info, "video"), stream(info, "audio")
    assert v["codec_name"] == "h264" and a["codec_name"] == "aac"
    assert (v["width"], v["height"]) == (180, 320)
    assert int(v["nb_read_frames"]) == 48 == result.frames
    assert abs(float(info["format"]["duration"]) - 2.0) <= 1 / FPS
    assert int(a["sample_rate"]) == 48000 and int(a["channels"]) == 2
    head = out.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))
    assert reports[-1].frame == reports[-1].total == 48
    assert _leftovers(tmp_path) == ["out.mp4"]


def test_crossfade_middle_frame_is_the_mix_of_both_clips(media: Path, tmp_path: Path) -> None:
    proj = _two_clips(media, {"kind": "crossfade", "duration": 0.5})
    out = tmp_path / "xfade.mp4"
    render_project(proj, out, preset="canvas", check_platform=False)
    frames = decode_rgb(out)
    red = frames[0][160, 90].astype(float)
    blue = frames[-1][160, 90].astype(float)
    # window [0.5, 1.0): frame 18 (t = 0.75) is the middle, p = 0.5
    mid = frames[18][160, 90].astype(float)
    assert np.abs(mid - (red + blue) / 2).max() < 12, (red, blue, mid)
    assert np.abs(frames[11][160, 90].astype(float) - red).max() < 6  # before the window
    assert np.abs(frames[24][160, 90].astype(float) - blue).max() < 6  # after it


def test_dip_to_black_and_slide(media: Path, tmp_path: Path) -> None:
    out = tmp_path / "dip.mp4"
    render_project(
        _two_clips(media, {"kind": "dip_to_black", "duration": 0.5}),
        out,
        preset="canvas",
        check_platform=False,
    )
    frames = decode_rgb(out)
    assert frames[18][160, 90].max() < 20  # black at the middle of the dip
    out = tmp_path / "slide.mp4"
    render_project(
        _two_clips(media, {"kind": "slide", "duration": 0.5, "direction": "left"}),
        out,
        preset="canvas",
        check_platform=False,
    )
    mid = decode_rgb(out)[18]
    # the incoming blue clip has entered from the right: left half red, right half blue
    assert mid[160, 20, 0] > 200 and mid[160, 20, 2] < 40
    assert mid[160, 160, 2] > 200 and mid[160, 160, 0] < 40


def test_text_pixels_only_inside_the_items_time_range(media: Path, tmp_path: Path) -> None:
    tracks = [
        {
            "kind": "video",
            "clips": [{"source": "black.mp4", "in_point": 0.0, "out_point": 1.5, "start": 0.0}],
        },
        {"kind": "text", "items": [{"text": "HELLO", "start": 0.5, "end": 1.0, "style": {"size": 40}}]},
    ]
    out = tmp_path / "text.mp4"
    render_project(project(tracks, fps=FPS, base=media), out, preset="canvas", check_platform=False)
    frames = decode_rgb(out)
    bright = [int((f.max(axis=2) > 128).sum()) for f in frames]
    for i, count in enumerate(bright):
        inside = 12 <= i < 24
        assert (count > 100) == inside, (i, count)
    ys, xs = np.nonzero(frames[15].max(axis=2) > 128)
    assert abs(ys.mean() - 160) < 20 and abs(xs.mean() - 90) < 20  # centred at position (0.5, 0.5)


def test_speed_2x_halves_the_duration_and_skips_frames(media: Path, tmp_path: Path) -> None:
    tracks = [
        {"kind": "video", "clips": [{"source": "index.mp4", "in_point": 0.0, "out_point": 2.0, "speed": 2.0}]}
    ]
    out = tmp_path / "fast.mp4"
    result = render_project(
        project(tracks, width=72, height=128, fps=FPS, base=media), out, preset="canvas", check_platform=False
    )
    info = ffprobe(out)
    assert int(stream(info, "video")["nb_read_frames"]) == 24 == result.frames
    assert abs(float(info["format"]["duration"]) - 1.0) <= 1 / FPS
    indices = [read_index(f.mean(axis=2)) for f in decode_rgb(out)]
    assert indices == [2 * i for i in range(24)]


def test_colour_filter_is_applied(media: Path, tmp_path: Path) -> None:
    def clip(filters: list) -> list:
        return [
            {
                "kind": "video",
                "clips": [
                    {"source": "red.mp4", "in_point": 0, "out_point": 0.5, "start": 0, "filters": filters}
                ],
            }
        ]

    plain, bright = tmp_path / "plain.mp4", tmp_path / "bright.mp4"
    render_project(project(clip([]), fps=FPS, base=media), plain, preset="canvas", check_platform=False)
    f = [{"id": "studio.color", "params": {"brightness": 0.3}}]
    render_project(project(clip(f), fps=FPS, base=media), bright, preset="canvas", check_platform=False)
    assert decode_rgb(bright)[5].mean() > decode_rgb(plain)[5].mean() + 10


def test_audio_is_normalised_to_minus_14_lufs_and_true_peak_safe(media: Path, tmp_path: Path) -> None:
    tracks = [
        {"kind": "audio", "clips": [{"source": "tone.m4a", "in_point": 0.0, "out_point": 3.0, "start": 0.0}]}
    ]
    proj = project(tracks, fps=FPS, base=media)
    out = tmp_path / "loud.mp4"
    render_project(proj, out, preset="canvas", check_platform=False)
    samples = decode_audio_all(out)
    assert abs(integrated_loudness(samples) - (-14.0)) <= 1.0
    assert 20 * np.log10(true_peak(samples)) <= -0.5  # -1 dBTP before AAC, a little codec overshoot
    assert abs(len(samples) / 48000 - 3.0) < 0.05


def test_refuses_bad_projects_before_any_work(media: Path, tmp_path: Path) -> None:
    tracks = [
        {
            "kind": "video",
            "clips": [
                {"source": "gone-a.mp4", "in_point": 0, "out_point": 1, "start": 0},
                {"source": "red.mp4", "in_point": 0, "out_point": 1, "start": 1},
                {"source": "gone-b.mov", "in_point": 0, "out_point": 1, "start": 2},
            ],
        }
    ]
    out = tmp_path / "bad.mp4"
    with pytest.raises(ProjectRefused) as info:
        render_project(project(tracks, fps=15.0, base=media), out, preset="canvas")
    message = info.value.message
    assert "gone-a.mp4" in message and "gone-b.mov" in message and "red.mp4" not in message
    assert "15 fps" in message and "width 180 px" in message
    late = _two_clips(media)
    late.tracks[0].clips[0].in_point, late.tracks[0].clips[0].out_point = 5.0, 6.0
    with pytest.raises(ProjectRefused, match=r"red\.mp4: a clip starts at 5 s but the file is only 1\.5"):
        render_project(late, out, preset="canvas", check_platform=False)
    assert _leftovers(tmp_path) == []
    # too long for the platform: 11 minutes of a held frame
    long = [{"kind": "video", "clips": [{"source": "red.mp4", "in_point": 0, "out_point": 1, "speed": 0.25}]}]
    long_proj = project(long, width=360, height=640, fps=30.0, base=media)
    long_proj.tracks[0].clips[0].start = 660.0
    with pytest.raises(ProjectRefused, match="at most 10 min"):
        render_project(long_proj, out, preset="1080p30")
    bad = _two_clips(media)
    bad.tracks[0].clips[0].filters = [FilterRef("no.such-filter")]
    with pytest.raises(ProjectRefused, match=r"no\.such-filter"):
        render_project(bad, out, preset="canvas", check_platform=False)
    assert _leftovers(tmp_path) == []


def test_cancel_leaves_no_file(media: Path, tmp_path: Path) -> None:
    cancel = threading.Event()
    out = tmp_path / "cancelled.mp4"

    def on_progress(p: object) -> None:
        cancel.set()

    with pytest.raises(RenderCancelled):
        render_project(
            _two_clips(media), out, preset="canvas", check_platform=False, progress=on_progress, cancel=cancel
        )
    assert _leftovers(tmp_path) == []


def test_full_disk_gives_a_clear_error_and_no_file(
    media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Mp4Writer.write_video

    def write_video(self: Mp4Writer, buf: np.ndarray) -> None:
        if self.frames_written == 10:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, buf)

    monkeypatch.setattr(Mp4Writer, "write_video", write_video)
    out = tmp_path / "full.mp4"
    with pytest.raises(RenderError) as info:
        render_project(_two_clips(media), out, preset="canvas", check_platform=False)
    assert info.value.kind == "disk_full" and "full" in info.value.message
    assert _leftovers(tmp_path) == []


def test_hevc_option(media: Path, tmp_path: Path) -> None:
    tracks = [
        {"kind": "video", "clips": [{"source": "red.mp4", "in_point": 0, "out_point": 0.5, "start": 0}]}
    ]
    out = tmp_path / "hevc.mp4"
    render_project(
        project(tracks, fps=FPS, base=media), out, preset="canvas", codec="hevc", check_platform=False
    )
    v = stream(ffprobe(out), "video")
    assert v["codec_name"] == "hevc" and v["codec_tag_string"] == "hvc1"
    assert int(v["nb_read_frames"]) == 12


def test_preset_scales_to_the_platform_size(media: Path, tmp_path: Path) -> None:
    tracks = [
        {"kind": "video", "clips": [{"source": "red.mp4", "in_point": 0, "out_point": 0.2, "start": 0}]}
    ]
    out = tmp_path / "p720.mp4"
    result = render_project(project(tracks, fps=FPS, base=media), out, preset="small")
    v = stream(ffprobe(out), "video")
    assert (v["width"], v["height"]) == (720, 1280) == (result.width, result.height)
    assert v["r_frame_rate"] == "30/1" and int(v["nb_read_frames"]) == 6


def test_preview_at_full_scale_matches_the_export(media: Path, tmp_path: Path) -> None:
    from studio.render import PreviewRenderer

    text = {
        "kind": "text",
        "items": [{"text": "Same graph", "start": 0.0, "end": 2.0, "style": {"size": 30}}],
    }
    proj = _two_clips(media, {"kind": "crossfade", "duration": 0.5}, [text])
    proj.tracks[0].clips[1].filters = [FilterRef("studio.color", {"brightness": 0.2})]
    out = tmp_path / "same.mp4"
    render_project(proj, out, preset="canvas", check_platform=False)
    import av

    with av.open(str(out)) as c:
        exported = [f.to_ndarray(format="yuv420p").astype(float) for f in c.decode(video=0)]
    with PreviewRenderer(proj, scale=1.0) as preview:
        for i in (5, 18, 30):
            shown = preview.frame_at(i / FPS).as_i420().astype(float)
            assert np.abs(shown - exported[i]).mean() < 2, i


def test_a_filter_failing_mid_export_names_it_and_leaves_no_file(media: Path, tmp_path: Path) -> None:
    from studio.effects.api import Filter
    from studio.effects.registry import load_registry, set_default_registry

    class Exploding(Filter):
        id = "test.render-exploding"
        name = "Exploding"

        def process(self, image: np.ndarray, t: float, values: dict) -> np.ndarray:
            if t > 0.3:
                raise RuntimeError("boom")
            return image

    registry = load_registry(entry_points=False)
    registry.register(Exploding)
    proj = _two_clips(media)
    proj.tracks[0].clips[0].filters = [FilterRef("test.render-exploding")]
    out = tmp_path / "boom.mp4"
    set_default_registry(registry)
    try:
        with pytest.raises(RenderError) as info:
            render_project(proj, out, preset="canvas", check_platform=False)
    finally:
        set_default_registry(None)
    assert info.value.kind == "filter" and "test.render-exploding" in info.value.message
    assert _leftovers(tmp_path) == []


def test_animated_scale_rebuilds_the_filter_chain_per_size(media: Path, tmp_path: Path) -> None:
    proj = _two_clips(media)
    clip = proj.tracks[0].clips[0]
    clip.filters = [FilterRef("studio.color", {"brightness": 0.2})]
    clip.keyframes["transform.scale"] = [Keyframe(0.0, 1.0), Keyframe(1.0, 0.5)]
    out = tmp_path / "zoom.mp4"
    render_project(proj, out, preset="canvas", check_platform=False)
    frames = decode_rgb(out)
    # at t = 0.9 the red picture covers ~55 % of each side: corners show the black background
    assert frames[22][5, 5].max() < 30 and frames[22][160, 90, 0] > 200
    assert frames[0][5, 5, 0] > 200


def test_a_hardware_encoder_that_cannot_start_gives_way_to_libx264(
    media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import av

    if "h264_nvenc" not in av.codecs_available:
        pytest.skip("this FFmpeg build has no h264_nvenc to fail with")
    import studio.media.encoders as encoders

    if any(s.name == "h264_nvenc" and s.works for s in encoders.probe_video_encoders()):
        pytest.skip("NVENC really works on this machine")
    monkeypatch.setattr(encoders, "pick_encoder", lambda codec="h264", override=None: "h264_nvenc")
    out = tmp_path / "fallback.mp4"
    result = render_project(_two_clips(media), out, preset="canvas", check_platform=False)
    assert result.encoder == "libx264" and any("h264_nvenc" in w for w in result.warnings)
    assert stream(ffprobe(out), "video")["codec_name"] == "h264"
