"""The LUT's I420 path (one lookup in a YUV -> YUV table) against the exact RGB path."""

from __future__ import annotations

import numpy as np
import pytest

from studio.core.colour import i420_to_rgb, rgb_to_i420
from studio.effects.builtins.lut import look_path
from studio.effects.cube import applier_for

W, H = 96, 64


def _buffers() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {
        "rgb-noise": rgb_to_i420(rng.integers(0, 256, (H, W, 3), np.uint8)),
        "yuv-noise": rng.integers(0, 256, (H * 3 // 2, W), np.uint8),  # out-of-gamut codes too
    }


@pytest.mark.parametrize("look", ["teal-orange", "faded"])
def test_table_path_matches_the_rgb_path(look: str) -> None:
    applier = applier_for(look_path(look))
    for name, buf in _buffers().items():
        for intensity in (1.0, 0.8, 0.3):
            exact = rgb_to_i420(applier.apply(i420_to_rgb(buf, W, H), intensity)).astype(int)
            diff = np.abs(applier.apply_i420(buf, W, H, intensity).astype(int) - exact)
            if intensity == 1.0:
                assert diff.max() == 0, name  # bit-identical at full intensity
            else:
                assert diff.max() <= 1 and diff.mean() <= 0.3, (name, intensity)
