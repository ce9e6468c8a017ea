"""The built-ins that run in the HDR export take 10-bit frames and keep their 10 bits.

Each one, on a picture and on the same picture with every code times 4 (the 10-bit codes of the
same limited-range values), gives the same result to within one 8-bit code, returns uint16
10-bit codes, and grades with steps an 8-bit path cannot make. Filters that work in SDR only
refuse a 10-bit frame with a sentence instead of silently dropping their look.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from studio.core.colour import rgb_to_i420
from studio.core.frame import Frame
from studio.effects.api import FilterError
from studio.effects.chain import build_chain
from studio.effects.imaging import i420_planes
from studio.effects.registry import default_registry
from tests.effects.helpers import astronaut, ref

W, H = 256, 448


def _picture() -> np.ndarray:
    """An I420 working frame with faces, skin, saturated colours and a smooth sky-like ramp."""
    import cv2

    rgb = cv2.resize(astronaut(), (W, H), interpolation=cv2.INTER_AREA)
    rgb[-H // 6 :] = np.linspace(20, 235, W, dtype=np.float32)[None, :, None].astype(np.uint8)
    return rgb_to_i420(np.ascontiguousarray(rgb))


def _run(buf: np.ndarray, refs: list[dict[str, Any]], t: float = 0.25) -> np.ndarray:
    chain = build_chain(refs, width=W, height=H, fps=30, mode="export", fuse="never")
    try:
        return chain.process(Frame.from_i420(buf, W, H), t).as_i420()
    finally:
        chain.close()


DEEP_CASES = [
    [ref("studio.color", brightness=0.1, contrast=1.3, saturation=1.4, temperature=0.3, tint=-0.2)],
    [ref("studio.color", exposure=-0.7, saturation=0.0)],
    [ref("studio.vignette", amount=0.8, size=0.3, softness=0.6, center=(0.4, 0.6))],
    [ref("studio.blur", radius=3)],
    [ref("studio.blur", radius=25)],
    [ref("studio.sharpen", amount=2.0, radius=2.0)],
    [ref("studio.grain", amount=0.6, size=2.0, seed=7)],
    [ref("studio.color", saturation=1.2, brightness=0.05), ref("studio.vignette", amount=0.5)],
    [ref("studio.face-blur", style="pixelate", strength=1.0)],  # found on the luma's top 8 bits
    [ref("studio.face-blur", style="blur", strength=0.8)],
    [ref("studio.reframe", aspect="1:1")],
]


@pytest.mark.parametrize(
    "refs",
    DEEP_CASES,
    ids=[f"{i}-" + "+".join(r["id"][7:] for r in refs) for i, refs in enumerate(DEEP_CASES)],
)
def test_a_deep_built_in_grades_10_bit_codes_as_it_grades_8_bit_ones(refs: list[dict[str, Any]]) -> None:
    frame8 = _picture()
    frame10 = frame8.astype(np.uint16) * 4
    out8 = _run(frame8, refs).astype(np.float64)
    out10 = _run(frame10, refs)
    assert out10.dtype == np.uint16 and out10.shape == frame10.shape
    assert int(out10.max()) <= 1023
    assert not np.array_equal(out10, frame10)  # it did something
    diff = np.abs(out10 / 4.0 - out8)
    # one 8-bit code: the 8-bit path rounds to a multiple of 4 what the 10-bit one keeps; the
    # sharpen also multiplies its rounded 8-bit blur (half a code) by its amount
    sharpen = [r["params"]["amount"] for r in refs if r["id"] == "studio.sharpen"]
    allowed = 0.5 + 0.5 * sharpen[0] if sharpen else 1.0
    assert diff.max() <= allowed + 1e-9, f"max {diff.max()} at {np.unravel_index(diff.argmax(), diff.shape)}"
    assert diff.mean() < 0.35


def test_a_10_bit_grade_makes_steps_an_8_bit_one_cannot() -> None:
    frame10 = _picture().astype(np.uint16) * 4
    out = _run(frame10, [ref("studio.color", contrast=1.37, brightness=0.02)])
    assert np.count_nonzero(out[:H] % 4) > out[:H].size // 2


def test_neutral_settings_leave_a_10_bit_frame_as_it_is() -> None:
    frame = Frame.from_i420(_picture().astype(np.uint16) * 4, W, H)
    chain = build_chain(
        [ref("studio.color"), ref("studio.vignette")], width=W, height=H, fps=30, mode="export"
    )
    try:
        assert chain.process(frame, 0.0) is frame
    finally:
        chain.close()


@pytest.mark.parametrize(
    ("refs", "name"),
    [
        ([ref("studio.lut", look="teal-orange")], "LUT"),
        ([ref("studio.color", saturation=1.2), ref("studio.lut", look="faded")], "LUT"),
    ],
)
def test_an_sdr_only_filter_refuses_a_10_bit_frame_with_a_sentence(
    refs: list[dict[str, Any]], name: str
) -> None:
    with pytest.raises(
        FilterError, match=f"{name} works on 8-bit SDR frames only and cannot run in the HDR export"
    ):
        _run(_picture().astype(np.uint16) * 4, refs)
    # the filter is not broken: it stays enabled for SDR work
    status = default_registry().status(refs[-1]["id"])
    assert status is not None and status.enabled


def test_which_built_ins_run_on_10_bit_frames() -> None:
    registry = default_registry()
    deep = {cls.id for cls in registry.classes() if registry.runs_deep(cls.id)}
    assert deep == {
        "studio.color",
        "studio.vignette",
        "studio.blur",
        "studio.sharpen",
        "studio.grain",
        "studio.face-blur",
        "studio.face-sticker",
        "studio.reframe",
        "studio.chromakey",
    }


def _deep_clip_filters(refs: list[dict[str, Any]], buf: np.ndarray, tmp_path: Path) -> np.ndarray:
    """``refs`` through the render's own chains for the HDR export (with the host's conversions)."""
    from studio.core.project import VideoClip
    from studio.render.filters import ClipFilters

    clip = VideoClip.from_dict(
        {"id": "c1", "source": "clip.mp4", "in_point": 0.0, "out_point": 1.0, "start": 0.0, "filters": refs},
        base_dir=str(tmp_path),
    )
    filters = ClipFilters(30.0, "export", deep=True)
    try:
        return filters.process(clip, Frame.from_i420(buf, W, H), 0.0).as_i420()
    finally:
        filters.close()


def test_a_green_screen_in_hlg_is_keyed_as_the_preview_shows_it(tmp_path: Path) -> None:
    """A green screen with a grey subject, as an HLG picture: keyed on the chroma the SDR preview
    shows, the screen becomes the background colour placed in HLG, the subject keeps its 10-bit
    codes, and the matte is the one the 8-bit key pulls from the SDR picture."""
    from studio.media.hlg import sdr_to_i420

    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[...] = (0, 177, 64)  # #00b140, the filter's default key
    rgb[H // 4 : 3 * H // 4, W // 4 : 3 * W // 4] = (150, 140, 130)
    deep = sdr_to_i420(rgb)
    refs = [ref("studio.chromakey", background="#ff0000")]
    out = _deep_clip_filters(refs, deep, tmp_path)
    assert out.dtype == np.uint16
    red = sdr_to_i420(np.full((H, W, 3), (255, 0, 0), np.uint8))
    screen = np.zeros((H, W), bool)
    screen[:, :8] = True  # a band of the screen well away from the subject's edge
    subject = np.zeros((H, W), bool)
    subject[H // 4 + 8 : 3 * H // 4 - 8, W // 4 + 8 : 3 * W // 4 - 8] = True
    y_out, y_red, y_in = out[:H].astype(int), red[:H].astype(int), deep[:H].astype(int)
    assert np.abs(y_out[screen] - y_red[screen]).max() <= 2
    assert np.abs(y_out[subject] - y_in[subject]).max() <= 2
    _, u_out, v_out = (p.astype(int) for p in i420_planes(out))
    _, u_red, v_red = (p.astype(int) for p in i420_planes(red))
    assert np.abs(u_out[:, :4] - u_red[:, :4]).max() <= 2 and np.abs(v_out[:, :4] - v_red[:, :4]).max() <= 2
    # the same matte as the 8-bit key on the SDR picture: the same pixels replaced
    from studio.core.colour import rgb_to_i420

    sdr_out = _run(rgb_to_i420(rgb), refs)[:H].astype(int)
    sdr_red = rgb_to_i420(np.full((H, W, 3), (255, 0, 0), np.uint8))[:H].astype(int)
    replaced_sdr = np.abs(sdr_out - sdr_red) <= 3
    replaced_deep = np.abs(y_out - y_red) <= 6
    assert (replaced_sdr == replaced_deep).mean() > 0.99


def test_a_sticker_on_a_10_bit_frame_is_placed_in_hlg_by_the_host(tmp_path: Path) -> None:
    """The render's filter chains hand a deep sticker the SDR -> HLG conversion: an opaque white
    sticker lands at SDR white's BT.2408 place, 75% HLG (luma 721, chroma 512), and nothing
    outside it changes."""
    import cv2

    sticker = tmp_path / "white.png"
    cv2.imwrite(str(sticker), np.full((64, 96, 4), 255, np.uint8))
    frame10 = _picture().astype(np.uint16) * 4
    out = _deep_clip_filters([ref("studio.face-sticker", file=str(sticker))], frame10, tmp_path)
    assert out.dtype == np.uint16
    y_in, y_out = frame10[:H].astype(int), out[:H].astype(int)
    changed = np.abs(y_out - y_in) > 8
    assert changed.sum() > 2000  # the sticker is on the face
    # every pixel is a blend of what was there and the sticker's white, placed at 75% HLG
    for before, after, white in ((y_in, y_out, 721), (frame10[H:].astype(int), out[H:].astype(int), 512)):
        assert (after >= np.minimum(before, white) - 1).all() and (
            after <= np.maximum(before, white) + 1
        ).all()
    assert (np.abs(y_out[changed] - 721) <= 1).mean() > 0.6  # the opaque inside is exactly there
    ys, xs = np.nonzero(changed)
    outside = np.ones_like(changed)
    outside[ys.min() - 2 : ys.max() + 3, xs.min() - 2 : xs.max() + 3] = False
    assert np.array_equal(y_out[outside], y_in[outside])


def test_without_the_hosts_conversion_a_deep_sticker_says_so() -> None:
    frame10 = _picture().astype(np.uint16) * 4
    with pytest.raises(FilterError, match="SDR -> HLG conversion"):
        _run(frame10, [ref("studio.face-sticker", sticker="sunglasses")])


def test_a_chain_without_a_clip_key_leaves_no_face_tracks_behind() -> None:
    """Such a chain's tracks are keyed by its filter's id(), which a later filter may be given:
    they must go when it closes, or that filter would see this picture's faces."""
    from studio.effects.face import FACE_CACHE

    before = set(FACE_CACHE.keys())
    for buf in (_picture(), _picture().astype(np.uint16) * 4):
        _run(buf, [ref("studio.face-blur", strength=1.0)])
    assert set(FACE_CACHE.keys()) == before
