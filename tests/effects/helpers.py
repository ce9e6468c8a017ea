"""Small builders shared by the effects tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from studio.core.frame import Frame

DATA = Path(__file__).parent / "data"


def solid(rgb: tuple[int, int, int], w: int = 64, h: int = 112) -> Frame:
    return Frame.from_rgb(np.full((h, w, 3), rgb, np.uint8))


def gradient(w: int = 64, h: int = 112) -> Frame:
    """A frame with every hue and tone: red across, green down, blue diagonal."""
    xs = np.linspace(0, 255, w)[None, :].repeat(h, 0)
    ys = np.linspace(0, 255, h)[:, None].repeat(w, 1)
    rgb = np.stack([xs, ys, (xs + ys) / 2], -1).astype(np.uint8)
    return Frame.from_rgb(rgb)


def astronaut() -> np.ndarray:
    """NASA portrait of Eileen Collins (public domain), as shipped by scikit-image."""
    return cv2.cvtColor(cv2.imread(str(DATA / "astronaut.jpg")), cv2.COLOR_BGR2RGB)


def ref(filter_id: str, **params: Any) -> dict[str, Any]:
    return {"id": filter_id, "params": params}
