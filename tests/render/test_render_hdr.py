"""The HDR export (``--hdr hlg``): 10-bit HLG HEVC, tagged in the container and the bitstream.

HLG sources keep their codes, PQ sources are transcoded to HLG by BT.2100 / BT.2408 (checked
against the formula written here from the standards' reference functions in
``tests.media.colour_fixtures``), SDR pictures and text land SDR white at the 75% HLG signal,
and a project with a look is refused before any work. Frames are 256x448, clips 1 s or less.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from studio.render import ProjectRefused, render_project
from studio.render.hdr_export import effects_sentence
from tests.media.colour_fixtures import (
    encode_hdr,
    hlg_display_to_scene,
    hlg_oetf,
    hlg_ramp,
    pq_code,
    pq_decode,
    rgb2020_to_yuv10,
    yuv10_to_rgb2020,
)
from tests.render.helpers import ffprobe, make_solid_video, project, stream

W, H = 256, 448
FPS = 10.0
# luma codes of 10 bits (0..1023): lossy x265 at the export's CRF on flat or smooth pictures
PIXEL_TOLERANCE = 3  # any pixel of the HLG ramp
MEAN_TOLERANCE = 1.0  # a row's mean (the ramp) or a band's mean (PQ, SDR white)
PQ_BANDS = (0.0, 0.5, 5.0, 20.0, 50.0, 100.0, 203.0, 400.0, 700.0, 1000.0, 4000.0)  # cd/m2


def _clip(
    source: Path, start: float = 0.0, seconds: float = 1.0, in_point: float = 0.0, **extra: object
) -> dict[str, object]:
    return {
        "source": str(source),
        "start": start,
        "in_point": in_point,
        "out_point": in_point + seconds,
        **extra,
    }


def _export(tmp: Path, tracks: list[dict[str, object]], name: str = "hdr.mp4") -> Path:
    out = tmp / name
    proj = project(tracks, width=W, height=H, fps=FPS, base=tmp)
    result = render_project(
        proj, out, preset="canvas", check_platform=False, normalize_audio=False, hdr="hlg"
    )
    assert result.hdr == "hlg" and result.encoder == "libx265"
    return out


def _frames10(path: Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every frame's Y, U, V as 10-bit codes, as the file holds them (no conversion)."""
    import av

    out = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            assert frame.format.name == "yuv420p10le"
            planes = []
            for i, plane in enumerate(frame.planes):
                arr = np.frombuffer(plane, np.uint16).reshape(plane.height, plane.line_size // 2)
                planes.append(arr[: H if i == 0 else H // 2, : W if i == 0 else W // 2].astype(np.int32))
            out.append((planes[0], planes[1], planes[2]))
    return out


def _bitstream_colour(path: Path, folder: Path) -> dict[str, str]:
    """The colour that the HEVC bitstream itself (its VUI) carries: the stream copied out of the
    MP4 as raw Annex B, where no container box can speak for it."""
    raw = folder / f"{path.stem}.hevc"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(path), "-map", "0:v", "-c", "copy", *ANNEX_B, str(raw)],
        check=True,
    )
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(raw)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)["streams"][0]


ANNEX_B = ("-bsf:v", "hevc_mp4toannexb", "-f", "hevc")
COLOUR_KEYS = ("pix_fmt", "color_space", "color_primaries", "color_transfer", "color_range")
HLG_COLOUR = ("yuv420p10le", "bt2020nc", "bt2020", "arib-std-b67", "tv")


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hdr-export")
    # a vertical ramp over all 876 limited-range luma codes: 448 rows, so 448 distinct codes
    ramp = np.ascontiguousarray(hlg_ramp(H, W).T)
    pq = np.empty((H, W), np.uint16)
    band = H // len(PQ_BANDS)
    for i, nits in enumerate(PQ_BANDS):
        pq[i * band : (i + 1) * band if i < len(PQ_BANDS) - 1 else H] = pq_code(nits)
    return {
        "folder": folder,
        "hlg": encode_hdr(folder / "hlg-ramp.mp4", ramp, transfer="hlg", frames=10),
        "pq": encode_hdr(folder / "pq-bands.mp4", pq, transfer="pq", frames=5),
        "white": make_solid_video(
            folder / "white.mp4", (255, 255, 255), width=W, height=H, fps=FPS, seconds=1.0
        ),
    }


def test_hlg_ramp_keeps_its_10_bit_codes_and_tags(clips: dict[str, Path], tmp_path: Path) -> None:
    out = _export(tmp_path, [{"kind": "video", "clips": [_clip(clips["hlg"])]}])
    info = ffprobe(out)
    v, a = stream(info, "video"), stream(info, "audio")
    assert (v["codec_name"], v["codec_tag_string"], v["profile"]) == ("hevc", "hvc1", "Main 10")
    assert tuple(v[k] for k in COLOUR_KEYS) == HLG_COLOUR
    assert a["codec_name"] == "aac"  # the SDR export's audio (silence here)
    vui = _bitstream_colour(out, tmp_path)
    assert tuple(vui[k] for k in COLOUR_KEYS) == HLG_COLOUR

    source = np.ascontiguousarray(hlg_ramp(H, W).T).astype(np.int32)
    frames = _frames10(out)
    assert len(frames) == 10
    for y, u, v_ in frames:
        assert np.abs(y - source).max() <= PIXEL_TOLERANCE
        assert np.abs(u - 512).max() <= PIXEL_TOLERANCE and np.abs(v_ - 512).max() <= PIXEL_TOLERANCE
        rows = y.mean(axis=1)
        assert np.abs(rows - source[:, 0]).max() <= MEAN_TOLERANCE
        levels = np.unique(np.rint(rows))
        # an 8-bit path could hold at most 220 luma levels, each a multiple of 4 in 10 bits
        assert len(levels) > 256 and np.count_nonzero(levels % 4) > 100


def _pq_to_hlg_reference(nits: float) -> float:
    """The 10-bit HLG luma code of a grey PQ band by BT.2100 / BT.2408, from the reference
    functions: PQ EOTF -> display light, limited to the 1000 cd/m2 HLG display, inverse OOTF
    (gamma 1.2) -> scene light, HLG OETF, BT.2020 luma."""
    code = pq_code(nits)
    rgb = yuv10_to_rgb2020(np.array([code, 512, 512], np.float64))
    light = np.minimum(pq_decode(np.clip(rgb, 0, 1)), 1000.0)
    signal = hlg_oetf(hlg_display_to_scene(light[None, :]))[0]
    return float(rgb2020_to_yuv10(signal)[0])


def test_pq_exports_to_hlg_by_the_bt2100_transcoding(clips: dict[str, Path], tmp_path: Path) -> None:
    out = _export(tmp_path, [{"kind": "video", "clips": [_clip(clips["pq"], seconds=0.5)]}])
    y, u, v = _frames10(out)[2]
    band = H // len(PQ_BANDS)
    got = [float(y[i * band + 8 : (i + 1) * band - 8, 8:-8].mean()) for i in range(len(PQ_BANDS))]
    want = [_pq_to_hlg_reference(n) for n in PQ_BANDS]
    print(
        "PQ bands -> HLG luma:",
        [(n, round(g, 1), round(w_, 1)) for n, g, w_ in zip(PQ_BANDS, got, want, strict=True)],
    )
    assert np.abs(np.array(got) - np.array(want)).max() <= MEAN_TOLERANCE + 1.0
    assert abs(got[PQ_BANDS.index(203.0)] - (64 + 876 * 0.75)) <= 3  # HDR reference white = HLG 75%
    assert abs(got[-1] - 940) <= 2  # above the HLG display's peak: clipped to the top code
    assert np.abs(u - 512).max() <= PIXEL_TOLERANCE and np.abs(v - 512).max() <= PIXEL_TOLERANCE


def test_sdr_clip_and_white_text_land_at_75_percent_hlg(clips: dict[str, Path], tmp_path: Path) -> None:
    hlg_white = 64 + 876 * 0.75  # BT.2408: SDR reference white -> 75% HLG signal (code 721)
    tracks = [
        {"kind": "video", "clips": [_clip(clips["hlg"], seconds=0.5)]},
        {
            "kind": "video",
            "clips": [_clip(clips["white"], seconds=0.5, fit="fit", transform={"scale": 0.5, "y": 0.75})],
        },
        {
            "kind": "text",
            "items": [
                {
                    "text": "HDR",
                    "start": 0.0,
                    "end": 0.5,
                    "position": {"x": 0.5, "y": 0.12},
                    "style": {"size": 80},
                }
            ],
        },
    ]
    out = _export(tmp_path, tracks)
    y, u, v = _frames10(out)[2]
    # the white clip: half size, centred at (0.5, 0.75)
    patch = y[3 * H // 4 - 40 : 3 * H // 4 + 40, W // 2 - 40 : W // 2 + 40]
    assert abs(patch.mean() - hlg_white) <= MEAN_TOLERANCE + 1.0
    chroma = (slice(3 * H // 8 - 10, 3 * H // 8 + 10), slice(W // 4 - 10, W // 4 + 10))
    assert (
        np.abs(u[chroma] - 512).max() <= PIXEL_TOLERANCE and np.abs(v[chroma] - 512).max() <= PIXEL_TOLERANCE
    )
    # the text (over the dark end of the ramp, below code 350): solid white strokes at HLG 75%
    text = y[: H // 4]
    strokes = text[text > 600]
    assert strokes.size > 200
    assert abs(np.median(strokes) - hlg_white) <= 2  # (x265 rings a little at glyph edges)


def test_deep_compositor_draws_white_text_at_hlg_75_percent_on_hlg_black(tmp_path: Path) -> None:
    """Before the encoder: the background is HLG black (64/512), the text's white exactly 721."""
    from studio.render.compositor import Compositor

    text = {"text": "HDR", "start": 0.0, "end": 1.0, "style": {"size": 80, "color": "#ffffff"}}
    proj = project([{"kind": "text", "items": [text]}], width=W, height=H, fps=FPS, base=tmp_path)
    comp = Compositor(proj, W, H, FPS, deep=True)
    try:
        buf = comp.compose(0.5, {})
    finally:
        comp.close()
    assert buf.dtype == np.uint16 and buf.shape == (H * 3 // 2, W)
    y = buf[:H]
    assert y.min() == 64 and y.max() == 721 and np.count_nonzero(y == 721) > 500
    assert set(np.unique(buf[H:])) == {512}


def test_crossfade_and_opacity_on_deep_frames(clips: dict[str, Path], tmp_path: Path) -> None:
    """Transitions and opacity mix 10-bit codes: halfway through a crossfade from the HLG ramp
    to SDR white, each row is the mean of the two."""
    tracks = [
        {
            "kind": "video",
            "clips": [
                _clip(clips["hlg"], seconds=1.0),
                _clip(
                    clips["white"],
                    start=1.0,
                    in_point=0.5,
                    seconds=0.5,
                    transition_in={"kind": "crossfade", "duration": 0.5},
                ),
            ],
        }
    ]
    out = _export(tmp_path, tracks)
    frames = _frames10(out)
    ramp = np.ascontiguousarray(hlg_ramp(H, W).T)[:, 0].astype(np.float64)
    assert len(frames) == 15
    y = frames[7][0]  # t = 0.7: 40% through the fade (it runs 0.5 .. 1.0)
    want = ramp * 0.6 + 721.0 * 0.4
    assert np.abs(y.mean(axis=1) - want).max() <= 2.0


def test_a_look_refuses_the_hdr_export_before_any_work(clips: dict[str, Path], tmp_path: Path) -> None:
    looks = [
        {"id": "studio.lut", "params": {"look": "teal-orange"}},
        {"id": "studio.color", "params": {"brightness": 0.2}},
    ]
    tracks = [{"kind": "video", "clips": [_clip(clips["hlg"], filters=looks)]}]
    out = tmp_path / "refused.mp4"
    with pytest.raises(ProjectRefused) as refused:
        render_project(
            project(tracks, width=W, height=H, fps=FPS, base=tmp_path),
            out,
            preset="canvas",
            check_platform=False,
            hdr="hlg",
        )
    # the colour filter runs on 10-bit frames; the LUT's tables are made for SDR
    assert effects_sentence(["LUT"]) in refused.value.problems
    assert "LUT works in SDR only: remove it or export in SDR." in refused.value.message
    assert effects_sentence(["LUT", "Glow", "Halo"]).startswith(
        "LUT, Glow and Halo work in SDR only: remove them or export in SDR. HDR export keeps"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_colour_and_vignette_grade_the_10_bit_hlg_picture(clips: dict[str, Path], tmp_path: Path) -> None:
    looks = [
        {"id": "studio.color", "params": {"brightness": 0.1, "temperature": 0.5}},
        {"id": "studio.vignette", "params": {"amount": 0.6}},
    ]
    out = _export(tmp_path, [{"kind": "video", "clips": [_clip(clips["hlg"], filters=looks)]}])
    assert tuple(stream(ffprobe(out), "video")[k] for k in COLOUR_KEYS) == HLG_COLOUR
    source = np.ascontiguousarray(hlg_ramp(H, W).T).astype(np.float64)
    # the colour filter's 8-bit maths on 10-bit codes: brightness 0.1 adds 0.1 * 876 codes,
    # temperature 0.5 moves U by -4 * 12 and V by +4 * 12
    want = np.clip(np.rint(source + 87.6), 64, 940)
    for y, u, v_ in _frames10(out):
        # the middle of the frame, where the vignette leaves the picture as it is
        mid = slice(H // 2 - 40, H // 2 + 40), slice(W // 2 - 40, W // 2 + 40)
        assert np.abs(y[mid] - want[mid]).max() <= PIXEL_TOLERANCE
        cmid = slice(H // 4 - 10, H // 4 + 10), slice(W // 4 - 10, W // 4 + 10)
        assert abs(u[cmid].mean() - 464) <= MEAN_TOLERANCE and abs(v_[cmid].mean() - 560) <= MEAN_TOLERANCE
        # the corners are pulled towards black (64) and their chroma towards grey (512)
        for corner in ((slice(0, 12), slice(0, 12)), (slice(H - 12, H), slice(W - 12, W))):
            assert (y[corner] - 64).mean() < 0.7 * (want[corner] - 64).mean()
        assert abs(u[:6, :6].mean() - 512) < abs(464 - 512) - 10
        # still 10 bits: the graded ramp's middle rows keep distinct levels an 8-bit path cannot
        levels = np.unique(np.rint(y[:, W // 2 - 8 : W // 2 + 8].mean(axis=1)))
        assert len(levels) > 256 and np.count_nonzero(levels % 4) > 100


def test_a_face_sticker_follows_the_face_in_the_hlg_export(tmp_path: Path) -> None:
    """An HLG clip of a face with the sunglasses sticker exports as 10-bit HLG with the dark
    lenses over the eyes' rows and the picture elsewhere as it was."""
    import cv2

    from studio.core.colour import i420_planes
    from studio.media.hlg import sdr_to_i420
    from tests.effects.helpers import astronaut

    face = np.ascontiguousarray(cv2.resize(astronaut(), (W, H), interpolation=cv2.INTER_AREA))
    y, u, v = i420_planes(sdr_to_i420(face), W, H)
    source = encode_hdr(tmp_path / "face-hlg.mp4", y, u, v, transfer="hlg", frames=5)
    sticker = [{"id": "studio.face-sticker", "params": {"sticker": "sunglasses"}}]
    out = _export(tmp_path, [{"kind": "video", "clips": [_clip(source, seconds=0.5, filters=sticker)]}])
    plain = _export(tmp_path, [{"kind": "video", "clips": [_clip(source, seconds=0.5)]}], "plain.mp4")
    assert tuple(stream(ffprobe(out), "video")[k] for k in COLOUR_KEYS) == HLG_COLOUR
    for (after, _, _), (before, _, _) in zip(_frames10(out), _frames10(plain), strict=True):
        darker = (before - after) > 100  # the lenses are near black; skin is bright
        assert darker.sum() > 250
        rows = np.nonzero(darker.any(axis=1))[0]
        assert H * 0.1 < rows.mean() < H * 0.45  # on the upper face, where the eyes are
        far = np.ones_like(darker)
        far[max(0, rows.min() - 20) : rows.max() + 20] = False
        # elsewhere the picture is as faithful to the source as without the sticker (the lossy
        # encoder spreads its bits differently, so not the same codes)
        source_y = y.astype(np.int32)[far]
        assert np.abs(after[far] - source_y).mean() <= np.abs(before[far] - source_y).mean() + MEAN_TOLERANCE


def test_an_sdr_only_project_is_refused(clips: dict[str, Path], tmp_path: Path) -> None:
    tracks = [{"kind": "video", "clips": [_clip(clips["white"])]}]
    with pytest.raises(ProjectRefused, match="needs at least one HDR"):
        render_project(
            project(tracks, width=W, height=H, fps=FPS, base=tmp_path),
            tmp_path / "x.mp4",
            check_platform=False,
            hdr="hlg",
        )
    assert not list(tmp_path.iterdir())


HDR_ARGS = ("--hdr", "hlg", "--progress", "json")


def test_cli_hdr_hlg_and_the_publish_check_takes_the_file(clips: dict[str, Path], tmp_path: Path) -> None:
    """``creator-studio render --hdr hlg`` writes the file; the publish path checks it and finds
    nothing to fix (HEVC is allowed), so it is uploaded as it is, not re-encoded."""
    import sys

    from studio.projectfile import save_project
    from studio.upload.prepare import check_video

    tracks = [{"kind": "video", "clips": [_clip(clips["hlg"], seconds=1.0)]}]
    # the platform's minimum side is 360: a 360x640 canvas
    proj = project(tracks, width=360, height=640, fps=FPS * 3, base=tmp_path)
    saved = tmp_path / "p.json"
    save_project(proj, saved)
    out = tmp_path / "cli.mp4"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio",
            "render",
            str(saved),
            "-o",
            str(out),
            "--preset",
            "canvas",
            *HDR_ARGS,
        ],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    done = json.loads(run.stdout.strip().splitlines()[-1])
    assert done["done"] and done["hdr"] == "hlg" and done["encoder"] == "libx265"
    v = stream(ffprobe(out), "video")
    assert tuple(v[k] for k in COLOUR_KEYS) == HLG_COLOUR
    checked = check_video(out, max_duration_s=600)
    assert checked.fixable == () and (checked.width, checked.height) == (360, 640)


@pytest.mark.parametrize(
    ("t", "second"),
    [
        (
            0.3,
            {"fit": "crop", "crop": {"left": 0.1, "top": 0.2}, "transform": {"rotation": 30.0, "scale": 0.7}},
        ),
        (
            0.6,
            {
                "fit": "fit",
                "transform": {"x": 0.3, "scale": 0.5},
                "keyframes": {"opacity": [{"t": 0.0, "value": 0.6}]},
            },
        ),
        (0.9, {"fit": "fill", "transition_in": {"kind": "slide", "duration": 0.4}}),
        (0.75, {"fit": "fill", "transition_in": {"kind": "dip_to_black", "duration": 0.4}}),
    ],
)
def test_deep_compositor_geometry_and_blends_match_the_8_bit_one(
    tmp_path: Path, t: float, second: dict[str, object]
) -> None:
    """Placement, crop, rotation, opacity and transitions do on 10-bit codes what they do on 8-bit
    ones: sources whose codes are 4x an 8-bit frame's compose to 4x the 8-bit result (background
    and black are 4x too: 64/512), within the 8-bit path's rounding."""
    from studio.core.frame import Frame
    from studio.render.compositor import Compositor

    rng = np.random.default_rng(7)
    small = rng.integers(20, 230, (H * 3 // 2 // 8, W // 8)).astype(np.uint8)
    sdr = {k: np.kron(small if k == "a" else 255 - small, np.ones((8, 8), np.uint8)) for k in ("a", "b")}
    b = {"source": "b.mp4", "start": 1.0, "in_point": 1.0, "out_point": 2.0, **second}
    tracks = [
        {"kind": "video", "clips": [{"source": "a.mp4", "start": 0.0, "in_point": 0.0, "out_point": 1.0}, b]}
    ]
    proj = project(tracks, width=W, height=H, fps=FPS, base=tmp_path)
    ids = {c.source.rsplit("/", 1)[-1][0]: c.id for _, c in proj.iter_clips()}
    results = {}
    for deep in (False, True):
        comp = Compositor(proj, W, H, FPS, deep=deep)
        frames = {
            ids[k]: Frame.from_i420(buf.astype(np.uint16) * 4 if deep else buf, W, H)
            for k, buf in sdr.items()
        }
        active = {c.id for c in proj.tracks[0].clips_at(t)}
        try:
            results[deep] = comp.compose(t, {i: f for i, f in frames.items() if i in active}).astype(np.int32)
        finally:
            comp.close()
    assert len(active) >= 1 and results[False][:H].std() > 10  # a picture, not the background
    assert results[True].max() <= 1023
    assert np.abs(results[True] - 4 * results[False]).max() <= 6
