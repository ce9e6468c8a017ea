"""Every built-in on known pixels, through the same chain the renderer uses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.core.frame import Frame
from studio.effects.chain import build_chain
from studio.effects.cube import identity_table, write_cube
from tests.effects.helpers import gradient, ref, solid


def run(frame: Frame, *refs: dict, t: float = 0.0) -> np.ndarray:
    chain = build_chain(list(refs), width=frame.width, height=frame.height, fps=30, mode="export")
    try:
        return chain.process(frame, t).as_rgb().astype(int)
    finally:
        chain.close()


def test_colour_saturation_zero_gives_grey() -> None:
    out = run(solid((200, 40, 60)), ref("studio.color", saturation=0.0))
    assert np.ptp(out, axis=2).max() <= 2


def test_colour_exposure_brightens_and_darkens() -> None:
    frame = solid((90, 90, 90))
    assert run(frame, ref("studio.color", exposure=1.0)).mean() > 150
    assert run(frame, ref("studio.color", exposure=-1.0)).mean() < 60


def test_colour_accepts_the_example_projects_brightness_and_saturation() -> None:
    frame = solid((120, 80, 60))
    out = run(frame, ref("studio.color", saturation=1.2, brightness=0.05))
    assert out.mean() > frame.as_rgb().mean() + 5
    assert np.ptp(out[0, 0]) > np.ptp(frame.as_rgb()[0, 0])


def test_colour_contrast_temperature_and_tint_move_the_right_way() -> None:
    grey = solid((128, 128, 128))
    dark, light = solid((60, 60, 60)), solid((190, 190, 190))
    assert run(dark, ref("studio.color", contrast=1.5)).mean() < 60 - 10
    assert run(light, ref("studio.color", contrast=1.5)).mean() > 190 + 10
    warm = run(grey, ref("studio.color", temperature=0.8))[0, 0]
    assert warm[0] > warm[2] + 20
    magenta = run(grey, ref("studio.color", tint=0.8))[0, 0]
    assert magenta[1] < magenta[0] - 10 and magenta[1] < magenta[2] - 10


def test_neutral_colour_is_skipped_and_the_frame_is_the_same_object() -> None:
    frame = gradient()
    chain = build_chain([ref("studio.color")], width=frame.width, height=frame.height, fps=30)
    assert chain.process(frame, 0.0) is frame


def test_identity_lut_leaves_the_frame_unchanged(tmp_path: Path) -> None:
    cube = tmp_path / "identity.cube"
    write_cube(cube, identity_table(17))
    frame = gradient()
    out = run(frame, ref("studio.lut", file=str(cube), intensity=1.0))
    assert np.array_equal(out, frame.as_rgb())


def test_lut_applier_reproduces_identity_within_rounding(tmp_path: Path) -> None:
    from studio.effects.cube import CubeApplier, read_cube

    cube = tmp_path / "identity.cube"
    write_cube(cube, identity_table(33))
    rgb = np.random.default_rng(1).integers(0, 256, (50, 60, 3), np.uint8)
    out = CubeApplier(read_cube(cube)).apply(rgb)
    assert np.abs(out.astype(int) - rgb).max() <= 1


def test_inverting_lut_with_half_intensity_meets_in_the_middle(tmp_path: Path) -> None:
    cube = tmp_path / "invert.cube"
    write_cube(cube, 1.0 - identity_table(9))
    frame = solid((255, 0, 100))
    assert np.abs(run(frame, ref("studio.lut", file=str(cube)))[0, 0] - (0, 255, 155)).max() <= 2
    assert np.abs(run(frame, ref("studio.lut", file=str(cube), intensity=0.5))[0, 0] - 127.5).max() <= 2


@pytest.mark.parametrize("look", ["teal-orange", "warm-film", "faded", "mono-contrast"])
def test_shipped_looks_change_the_picture(look: str) -> None:
    frame = gradient()
    out = run(frame, ref("studio.lut", look=look))
    assert np.abs(out - frame.as_rgb()).mean() > 3


def test_mono_look_is_grey() -> None:
    out = run(gradient(), ref("studio.lut", look="mono-contrast"))
    assert np.ptp(out, axis=2).max() <= 2


def test_missing_lut_file_is_an_export_error_naming_the_filter(tmp_path: Path) -> None:
    from studio.effects.api import FilterError

    with pytest.raises(FilterError, match=r"studio\.lut.*not found"):
        run(gradient(), ref("studio.lut", file=str(tmp_path / "gone.cube")))


def test_blur_smooths_an_edge_and_sharpen_steepens_it() -> None:
    rgb = np.zeros((112, 64, 3), np.uint8)
    rgb[:, 32:] = 200
    frame = Frame.from_rgb(rgb)
    blurred = run(frame, ref("studio.blur", radius=150))  # ~9 px on a 64-px-wide frame
    assert 50 < blurred[50, 30, 0] < 150 and 50 < blurred[50, 34, 0] < 150
    sharp = run(frame, ref("studio.sharpen", amount=2.0, radius=20))
    assert sharp[50, 32].mean() > rgb[50, 32].mean() + 5
    assert sharp[50, 31].mean() < 5


def test_vignette_darkens_corners_not_centre() -> None:
    frame = solid((180, 180, 180))
    out = run(frame, ref("studio.vignette", amount=0.8, size=0.2, softness=0.3))
    assert abs(out[56, 32].mean() - 180) <= 2
    assert out[0, 0].mean() < 120


def test_grain_is_the_same_for_the_same_time_and_differs_between_times() -> None:
    frame = solid((120, 120, 120))
    a = run(frame, ref("studio.grain", amount=0.5), t=1.0)
    b = run(frame, ref("studio.grain", amount=0.5), t=1.0)
    c = run(frame, ref("studio.grain", amount=0.5), t=1.0 + 1 / 30)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.std() > 2 and abs(a.mean() - 120) < 4


def test_chroma_key_replaces_green_with_the_background_colour() -> None:
    rgb = np.zeros((112, 64, 3), np.uint8)
    rgb[:, :32] = (0, 180, 60)
    rgb[:, 32:] = (200, 150, 120)
    out = run(Frame.from_rgb(rgb), ref("studio.chromakey", background="#0000ff"))
    assert out[50, 10, 2] > 200 and out[50, 10, 1] < 40
    assert np.abs(out[50, 50] - (200, 150, 120)).max() < 25


def test_three_filter_chain_at_preview_scale_matches_export_shape() -> None:
    frame = gradient(180, 320)
    out = run(
        frame,
        ref("studio.color", saturation=1.3),
        ref("studio.vignette", amount=0.5),
        ref("studio.grain", amount=0.2),
    )
    assert out.shape == (320, 180, 3)


def test_cube_files_with_mistakes_are_refused_with_the_line(tmp_path: Path) -> None:
    from studio.effects.cube import CubeError, parse_cube

    with pytest.raises(CubeError, match="expected 8 rows"):
        parse_cube("LUT_3D_SIZE 2\n0 0 0\n1 1 1\n")
    with pytest.raises(CubeError, match="line 2"):
        parse_cube("LUT_3D_SIZE 2\n0 0 zero\n")
    with pytest.raises(CubeError, match="no LUT_3D_SIZE"):
        parse_cube("# just a comment\n")


def test_1d_cube_applies_per_channel_curves(tmp_path: Path) -> None:
    cube = tmp_path / "curve.cube"
    cube.write_text('TITLE "invert red"\nLUT_1D_SIZE 2\n1.0 0.0 0.0\n0.0 1.0 1.0\n')
    out = run(solid((200, 100, 50)), ref("studio.lut", file=str(cube)))
    assert np.abs(out[0, 0] - (55, 100, 50)).max() <= 3


def test_fused_auto_path_picks_one_and_still_renders_the_look() -> None:
    frame = gradient(96, 160)
    specs = [ref("studio.color", saturation=0.0), ref("studio.vignette", amount=0.9, size=0.1)]
    chain = build_chain(specs, width=96, height=160, fps=30, fuse="auto")
    out = chain.process(frame, 0.0).as_rgb().astype(int)
    assert np.ptp(out[80, 48]) <= 3 and out[0, 0].mean() < out[80, 48].mean()


@pytest.mark.parametrize(
    "params",
    [
        {"saturation": 1.5},
        {"saturation": 1.2, "brightness": 0.05, "contrast": 1.1},
        {"exposure": 0.4, "saturation": 0.3, "temperature": 0.5, "tint": -0.3},
        {"contrast": 0.37, "saturation": 2.71, "tint": 0.9},
    ],
)
def test_colour_at_full_size_is_each_planes_table(params: dict) -> None:
    # 1080x1920 takes the fast paths; codes outside the limited range
    # are clipped as the tables say. Every byte is the table's, except where a*x + b is exactly
    # a half (the float64 table rounded it by its own rounding error): there one code either way.
    from studio.effects.builtins.color import (
        ColorFilter,
        chroma_shift,
        chroma_tables,
        luma_affine,
        luma_table,
    )
    from studio.effects.imaging import i420_planes

    w, h = 1080, 1920
    buf = np.random.default_rng(3).integers(0, 256, (h * 3 // 2, w), dtype=np.uint8)
    values = ColorFilter.validate(params)
    chain = build_chain(
        [ref("studio.color", **params)], width=w, height=h, fps=30, mode="export", fuse="never"
    )
    try:
        out = chain.process(Frame.from_i420(buf.copy(), w, h), 0.0).as_i420()
    finally:
        chain.close()
    a, b = luma_affine(values["exposure"], values["brightness"], values["contrast"])
    du, dv = chroma_shift(values["temperature"], values["tint"])
    s = values["saturation"]
    codes = np.arange(256)
    expected = (
        (luma_table(values["exposure"], values["brightness"], values["contrast"]), codes * a + b),
        *zip(
            chroma_tables(s, values["temperature"], values["tint"]),
            (codes * s + 128 * (1 - s) + du, codes * s + 128 * (1 - s) + dv),
            strict=True,
        ),
    )
    for src, got, (lut, exact) in zip(i420_planes(buf), i420_planes(out), expected, strict=True):
        half = np.abs(exact - np.floor(exact) - 0.5) < 1e-9
        diff = np.abs(got.astype(int) - lut[src])
        assert diff.max() <= 1
        assert not diff[~half[src]].any()
