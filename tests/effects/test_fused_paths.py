"""Each filter with an ONNX (fused) and an OpenCV path computes the same picture: the chain picks
the faster one per machine, so the export must not depend on which won."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest

from studio.core.frame import Frame
from studio.effects.chain import build_chain
from studio.effects.fused import FusedLook, structure
from tests.effects.helpers import astronaut, gradient, ref

W, H = 160, 96


def _frames() -> dict[str, Frame]:
    photo = Frame.from_rgb(cv2.resize(astronaut(), (W, H), interpolation=cv2.INTER_AREA))
    # as a decoder hands them over: I420 only
    return {
        name: Frame.from_i420(f.as_i420().copy(), W, H)
        for name, f in (("gradient", gradient(W, H)), ("photo", photo))
    }


def _both_paths(spec: dict[str, Any], frame: Frame) -> tuple[np.ndarray, np.ndarray]:
    chain = build_chain([spec], width=W, height=H, fps=30, fuse="never")
    plain = chain.process(frame, 0.0).as_i420().astype(int)
    values = chain._values(chain._steps[0], 0.0)
    look = FusedLook((structure(spec["id"], values, chain.ctx),), W, H)
    return look.run(frame.as_i420(), [values]).astype(int), plain


@pytest.mark.parametrize(
    "spec",
    [
        ref("studio.color", exposure=0.3, saturation=1.4, contrast=1.2, temperature=0.3, tint=-0.2),
        ref("studio.color", brightness=-0.2, saturation=0.0),
        ref("studio.vignette", amount=0.7, size=0.3, center=(0.4, 0.6)),
        ref("studio.blur", radius=3),
        ref("studio.blur", radius=60),
    ],
    ids=["colour", "colour-mono", "vignette", "blur-small", "blur-large"],
)
def test_fused_and_opencv_paths_agree_within_one_code(spec: dict[str, Any]) -> None:
    for name, frame in _frames().items():
        fused, plain = _both_paths(spec, frame)
        assert np.abs(fused - plain).max() <= 1, name


@pytest.mark.parametrize("look", ["warm-film", "teal-orange", "mono-contrast"])
def test_fused_lut_agrees_with_the_opencv_lut(look: str) -> None:
    # The graph repeats the OpenCV path's steps (8-bit table, 1/32-cell coordinates, each blue
    # slice rounded, the mix, Frame.as_i420); cv2.remap's 15-bit weights leave a few samples at 2.
    for name, frame in _frames().items():
        fused, plain = _both_paths(ref("studio.lut", look=look, intensity=0.8), frame)
        diff = np.abs(fused - plain)
        assert (diff <= 1).mean() >= 0.999 and diff.max() <= 2, name


def test_a_fused_run_matches_the_filters_one_by_one() -> None:
    specs = [
        ref("studio.color", exposure=0.3, saturation=1.4, contrast=1.2),
        ref("studio.vignette", amount=0.5),
        ref("studio.blur", radius=12),
    ]
    frame = _frames()["photo"]
    fused = build_chain(specs, width=W, height=H, fps=30, fuse="always").process(frame, 0.0).as_i420()
    plain = build_chain(specs, width=W, height=H, fps=30, fuse="never").process(frame, 0.0).as_i420()
    assert np.abs(fused.astype(int) - plain).max() <= 1
