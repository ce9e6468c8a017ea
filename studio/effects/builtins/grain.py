"""``studio.grain``: film grain on luma, seeded by frame time so preview and export match.

A bank of Gaussian noise a little larger than the frame is made once per (size, grain size,
seed); each frame picks an offset from a hash of (t in milliseconds, seed), so a given time
always gets the same grain, whatever order frames are rendered in or how the clip's speed
changes. Adding is two saturating uint8 operations (uint16 on the HDR export's 10-bit frames,
with the noise in 10-bit codes).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np

from studio.effects.api import I420, Filter, FloatParam, IntParam
from studio.effects.imaging import i420_planes

PAD = 64


@functools.lru_cache(maxsize=4)
def noise_bank(width: int, height: int, grain: float, seed: int) -> np.ndarray:
    """float32 unit-variance noise of shape (height+PAD, width+PAD), blobs ``grain`` px wide."""
    rng = np.random.default_rng(seed)
    bw, bh = width + PAD, height + PAD
    if grain <= 1.0:
        return rng.standard_normal((bh, bw), dtype=np.float32)
    small = rng.standard_normal((max(2, int(bh / grain)), max(2, int(bw / grain))), dtype=np.float32)
    big = cv2.resize(small, (bw, bh), interpolation=cv2.INTER_CUBIC)
    return big / max(float(big.std()), 1e-6)


@functools.lru_cache(maxsize=4)
def signed_banks(
    width: int, height: int, grain: float, seed: int, amount: float, deep: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The noise in codes, split into its positive and negative parts (uint8, or uint16 in
    10-bit codes - four times larger - for ``deep`` frames)."""
    k, top, dtype = (4.0, 1023, np.uint16) if deep else (1.0, 255, np.uint8)
    noise = noise_bank(width, height, grain, seed) * (amount * 40.0 * k)
    pos = np.clip(np.rint(noise), 0, top).astype(dtype)
    neg = np.clip(np.rint(-noise), 0, top).astype(dtype)
    return pos, neg


def frame_offset(t: float, seed: int) -> tuple[int, int]:
    digest = hashlib.blake2b(f"{round(t * 1000)}:{seed}".encode(), digest_size=4).digest()
    return digest[0] % PAD, digest[1] % PAD


class GrainFilter(Filter):
    id = "studio.grain"
    name = "Film grain"
    description = "Adds moving film grain to brightness. The same time always gets the same grain."
    category = "Look"
    layout = I420
    deep = True
    params = (
        FloatParam("amount", default=0.0, minimum=0.0, maximum=1.0, help="Strength (1 is heavy)."),
        FloatParam("size", default=1.5, minimum=1.0, maximum=6.0, unit="px", help="Grain size in pixels of a 1080-wide frame."),
        IntParam("seed", default=0, minimum=0, maximum=9999, help="Another seed gives another grain pattern."),
    )  # fmt: skip

    def is_identity(self, values: Mapping[str, Any]) -> bool:
        return values["amount"] <= 0.0

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        h = image.shape[0] * 2 // 3
        w = image.shape[1]
        grain = max(1.0, values["size"] * self.ctx.scale)
        deep = image.dtype == np.uint16
        pos, neg = signed_banks(w, h, round(grain, 2), values["seed"], round(values["amount"], 3), deep)
        dy, dx = frame_offset(t, values["seed"])
        out = image.copy()
        y = i420_planes(out)[0]
        cv2.add(i420_planes(image)[0], pos[dy : dy + h, dx : dx + w], dst=y)
        cv2.subtract(y, neg[dy : dy + h, dx : dx + w], dst=y)
        if deep:
            np.minimum(y, 1023, out=y)
        return out
