"""Colour management: sources decode by their own tags into the BT.709 working space, the export
is tagged for what it holds, preview equals export, and HDR sources are tone-mapped to SDR."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from studio.core.colour import BT601, WORKING, convert_i420, i420_to_rgb, repeat_2x2, rgb_to_i420
from studio.media.decode import VideoDecoder
from studio.media.probe import probe
from tests.media.colour_fixtures import (
    BARS,
    bar_centres,
    bars_rgb,
    encode_hdr,
    encode_rgb,
    hlg_ramp,
    pq_code,
)


def _bars_of(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    return np.array([rgb[y - 4 : y + 4, x - 4 : x + 4].reshape(-1, 3).mean(0) for x, y in bar_centres(w, h)])


def _decoded_bars(path: Path) -> np.ndarray:
    with VideoDecoder(path) as dec:
        return _bars_of(dec.frame_at(0).as_rgb())


@pytest.mark.parametrize(
    ("name", "size", "matrix", "full", "tag"),
    [
        ("hd-bt709-tagged", (1280, 720), "bt709", False, True),
        ("sd-bt601-tagged", (640, 480), "bt601", False, True),
        ("sd-untagged-is-bt601", (640, 480), "bt601", False, False),
        ("hd-untagged-is-bt709", (1280, 720), "bt709", False, False),
        ("hd-bt709-full-range", (1280, 720), "bt709", True, True),
    ],
)
def test_sources_decode_by_their_tags_to_the_source_bars(
    tmp_path: Path, name: str, size: tuple[int, int], matrix: str, full: bool, tag: bool
) -> None:
    clip = encode_rgb(tmp_path / f"{name}.mp4", bars_rgb(*size), matrix=matrix, full_range=full, tag=tag)
    assert np.abs(_decoded_bars(clip) - np.array(BARS)).max() <= 2


def test_working_space_conversions_round_trip() -> None:
    rgb = bars_rgb(64, 32)
    i420 = rgb_to_i420(rgb)
    assert np.abs(i420_to_rgb(i420, 64, 32).astype(int) - rgb).max() <= 1
    assert np.array_equal(rgb_to_i420(i420_to_rgb(i420, 64, 32)), i420)
    # BT.601 -> BT.709 re-encoding keeps the RGB
    sd = rgb_to_i420(rgb, BT601)
    assert np.abs(i420_to_rgb(convert_i420(sd, 64, 32, BT601, WORKING), 64, 32).astype(int) - rgb).max() <= 2


def _ffprobe_video(path: Path) -> dict[str, str]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_streams", "-of", "json", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(out)["streams"][0]


def _ffmpeg_rgb(path: Path, w: int, h: int) -> np.ndarray:
    """The first frame as a player shows it: ffmpeg's BT.709 limited -> full-range RGB."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-frames:v", "1",
         "-vf", "scale=in_color_matrix=bt709:in_range=tv:out_range=pc:flags=accurate_rnd+full_chroma_int",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8)[: w * h * 3].reshape(h, w, 3)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from studio.render import render_project
    from tests.render.helpers import project

    folder = tmp_path_factory.mktemp("colour-export")
    clip = encode_rgb(folder / "bars.mp4", bars_rgb(1280, 720), frames=6)
    tracks = [
        {"kind": "video", "clips": [{"source": str(clip), "start": 0.0, "in_point": 0.0, "out_point": 0.5}]}
    ]
    proj = project(tracks, width=1280, height=720, fps=10.0, base=folder)
    out = folder / "out.mp4"
    render_project(proj, out, preset="canvas", check_platform=False, normalize_audio=False)
    return clip, out


def test_export_is_tagged_bt709_tv_and_plays_as_the_source_bars(exported: tuple[Path, Path]) -> None:
    _, out = exported
    tags = _ffprobe_video(out)
    assert (tags["color_space"], tags["color_transfer"], tags["color_primaries"], tags["color_range"]) == (
        "bt709", "bt709", "bt709", "tv",
    )  # fmt: skip
    assert np.abs(_bars_of(_ffmpeg_rgb(out, 1280, 720)) - np.array(BARS)).max() <= 3


def test_preview_frame_equals_the_exported_frame(exported: tuple[Path, Path]) -> None:
    from studio.render import PreviewRenderer
    from tests.render.helpers import project

    clip, out = exported
    tracks = [
        {"kind": "video", "clips": [{"source": str(clip), "start": 0.0, "in_point": 0.0, "out_point": 0.5}]}
    ]
    proj = project(tracks, width=1280, height=720, fps=10.0, base=clip.parent)
    with PreviewRenderer(proj, scale=1.0, proxies=None) as preview:
        shown = _bars_of(preview.frame_at(0.0).as_rgb())
    with VideoDecoder(out) as dec:
        written = _bars_of(dec.frame_at(0.0).as_rgb())
    assert np.abs(shown - written).max() <= 1
    assert np.abs(shown - _bars_of(_ffmpeg_rgb(out, 1280, 720))).max() <= 2  # another player's maths


@pytest.fixture(scope="module")
def hdr_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hdr")
    white = np.full((144, 256), pq_code(100), np.uint16)
    return {
        "hlg": encode_hdr(folder / "hlg-ramp.mp4", hlg_ramp(256, 144), transfer="hlg"),
        "pq": encode_hdr(folder / "pq-white.mp4", white, transfer="pq"),
    }


def test_probe_reports_hlg_and_pq(hdr_clips: dict[str, Path]) -> None:
    from studio.media.cli import describe

    for kind, transfer in (("hlg", "arib-std-b67"), ("pq", "smpte2084")):
        v = probe(hdr_clips[kind]).video
        assert v is not None
        assert (v.hdr, v.bit_depth, v.color_transfer) == (kind.upper(), 10, transfer)
        assert (v.color_primaries, v.color_space, v.wide_gamut) == ("bt2020", "bt2020nc", True)
        assert any(
            line.startswith(f"colour:    HDR {kind.upper()}, BT.2020, 10-bit")
            for line in describe(probe(hdr_clips[kind]))
        )
    sdr = probe(encode_rgb(hdr_clips["hlg"].parent / "sdr.mp4", bars_rgb(64, 32))).video
    assert sdr is not None and (sdr.hdr, sdr.wide_gamut) == ("", False)


def test_sdr_export_of_an_hlg_ramp_keeps_its_contrast(hdr_clips: dict[str, Path], tmp_path: Path) -> None:
    from studio.render import render_project
    from tests.render.helpers import project

    tracks = [
        {
            "kind": "video",
            "clips": [{"source": str(hdr_clips["hlg"]), "start": 0.0, "in_point": 0.0, "out_point": 0.3}],
        }
    ]
    proj = project(tracks, width=256, height=144, fps=10.0, base=tmp_path)
    out = render_project(proj, tmp_path / "hlg-sdr.mp4", preset="canvas", check_platform=False).path
    assert out is not None
    tags = _ffprobe_video(out)
    assert (tags["color_transfer"], tags["color_primaries"], tags["pix_fmt"]) == ("bt709", "bt709", "yuv420p")
    with VideoDecoder(out) as dec:
        luma = dec.frame_at(0.0).planes()[0].astype(int)
    row = luma[72, 8:-8]
    assert row.max() - row.min() > 150  # not flat: black to near white
    assert np.all(np.diff(row[::16]) >= -1)  # and still a ramp
    assert np.abs(luma[:, 8:-8].mean(axis=0) - row).max() <= 2


def test_pq_100_nit_white_maps_near_sdr_white(hdr_clips: dict[str, Path]) -> None:
    # BT.2390 EETF from a 1000 cd/m2 master to a 100 cd/m2 SDR display: the knee starts at
    # ~33 cd/m2, so 100 cd/m2 becomes 69.4 cd/m2, i.e. 255 * 0.694^(1/2.4) = 219 (86% white);
    # +-4 covers 8-bit rounding and 4:2:0. HDR reference white (203 cd/m2) lands at 242.
    with VideoDecoder(hdr_clips["pq"]) as dec:
        rgb = dec.frame_at(0.0).as_rgb().astype(int)
    assert np.abs(rgb - 219).max() <= 4
    assert np.ptp(rgb[72, 128]) <= 1  # stays neutral


@pytest.mark.parametrize(
    ("shape", "dtype"),
    [((5, 7), np.uint8), ((6, 3), np.uint16), ((4, 5, 2), np.int16), ((3, 9), np.float32),
     ((2, 3, 2), np.uint16), ((4, 4, 3), np.uint8), ((2, 3, 2), np.float32), ((960, 540), np.uint8)],
)  # fmt: skip
def test_chroma_is_repeated_over_2x2_blocks_exactly(shape: tuple[int, ...], dtype: type) -> None:
    rng = np.random.default_rng(sum(shape))
    a = (rng.random(shape) * 60000 - (30000 if dtype is np.int16 else 0)).astype(dtype)
    if dtype is np.uint8:
        a = rng.integers(0, 256, shape, dtype=np.uint8)
    want = np.repeat(np.repeat(a, 2, axis=0), 2, axis=1)
    got = repeat_2x2(a)
    assert got.dtype == a.dtype and got.shape == want.shape
    assert np.array_equal(got, want)
    # a view of a plane inside a bigger buffer (how I420 chroma is held) works the same
    buf = np.concatenate([a, a]) if a.ndim == 2 else a
    assert np.array_equal(repeat_2x2(buf[: shape[0]]), want)
