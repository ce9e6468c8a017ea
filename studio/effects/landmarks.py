"""Face landmarks (eyes, nose, mouth) and the roll angle, from a face box.

The eyes come from OpenCV's eye cascade run on an upright, enlarged copy of the face (the
face box derotated by the angle it was detected at), or from a geometric prior when the
cascade does not find a plausible pair. The roll is the angle of the eye line. The nose and
the mouth follow from the eyes with the proportions of an average face: the nose tip about
0.55 and the mouth about 1.0 inter-ocular distance below the middle of the eyes.

Angles are in degrees, clockwise positive in image coordinates (y down): a head tilted
towards its left shoulder (the viewer's right) has a positive roll. "Left" and "right" are
the image's left and right (the subject's right eye is ``eye_l``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

# Eye centres relative to the face centre, in face sizes, in the face's own (rolled) frame.
PRIOR_EYE_U = 0.23
PRIOR_EYE_V = -0.13
NOSE_BELOW_EYES = 0.55  # inter-ocular distances
MOUTH_BELOW_EYES = 1.0
EYE_CROP = 96  # px: the upright face copy the eye cascade runs on
MAX_EYE_TILT = 25.0  # degrees of eye-line tilt inside an upright crop still taken as real


@dataclass(frozen=True)
class EyeFit:
    """Eyes of one face in the small image's pixels, and the roll they give."""

    eye_l: tuple[float, float]
    eye_r: tuple[float, float]
    roll: float
    found: bool


def rotate(u: float, v: float, angle: float) -> tuple[float, float]:
    """(u, v) rotated clockwise by ``angle`` degrees in image coordinates."""
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return u * c - v * s, u * s + v * c


def prior_eyes(
    cx: float, cy: float, size: float, angle: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where the eyes of an average face sit in a face box (centre, side, roll)."""
    out = []
    for u in (-PRIOR_EYE_U, PRIOR_EYE_U):
        du, dv = rotate(u * size, PRIOR_EYE_V * size, angle)
        out.append((cx + du, cy + dv))
    return out[0], out[1]


def upright_crop(grey: np.ndarray, cx: float, cy: float, size: float, angle: float, out: int) -> np.ndarray:
    """An ``out`` x ``out`` copy of the square (centre, side ``size``) of ``grey``, rotated
    back by ``angle`` so the face in it is upright."""
    m = upright_matrix(cx, cy, size, angle, out)
    return cv2.warpAffine(grey, m, (out, out), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def upright_matrix(cx: float, cy: float, size: float, angle: float, out: int) -> np.ndarray:
    """The 2x3 affine map from ``grey`` to the upright crop of :func:`upright_crop`."""
    scale = out / max(size, 1e-6)
    m = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    m[:, 2] += (out / 2 - cx, out / 2 - cy)
    return m


def fit_eyes(
    grey: np.ndarray, cx: float, cy: float, size: float, angle: float, eye_cascade: cv2.CascadeClassifier
) -> EyeFit:
    """Eyes and roll of the face at (cx, cy) of side ``size`` detected at roll ``angle``."""
    crop = upright_crop(grey, cx, cy, size, angle, EYE_CROP)
    top = crop[: int(EYE_CROP * 0.58)]
    found = eye_cascade.detectMultiScale(
        top, 1.1, 3, minSize=(EYE_CROP // 9, EYE_CROP // 9), maxSize=(EYE_CROP // 3, EYE_CROP // 3)
    )
    pair = _best_pair([(x + w / 2, y + h / 2, w) for x, y, w, h in found])
    if pair is None:
        eye_l, eye_r = prior_eyes(cx, cy, size, angle)
        return EyeFit(eye_l, eye_r, angle, False)
    inverse = cv2.invertAffineTransform(upright_matrix(cx, cy, size, angle, EYE_CROP))
    pts = np.array([[p[0], p[1], 1.0] for p in pair]) @ inverse.T
    (ax, ay), (bx, by) = (float(v) for v in pts[0]), (float(v) for v in pts[1])
    roll = math.degrees(math.atan2(by - ay, bx - ax))
    return EyeFit((ax, ay), (bx, by), roll, True)


def _best_pair(
    eyes: list[tuple[float, float, float]],
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The most face-like pair of eye candidates in an upright crop, left one first."""
    best, best_cost = None, math.inf
    n = EYE_CROP
    for i, a in enumerate(eyes):
        for b in eyes[i + 1 :]:
            (ax, ay, aw), (bx, by, bw) = sorted((a, b))
            dx, dy = bx - ax, by - ay
            if not (0.25 * n < dx < 0.7 * n) or ax > 0.55 * n or bx < 0.45 * n:
                continue
            if abs(math.degrees(math.atan2(dy, dx))) > MAX_EYE_TILT or max(aw, bw) > 2 * min(aw, bw):
                continue
            # Closest to the average face: eyes 0.46 face apart, level, either side of the middle.
            cost = abs(dx / n - 2 * PRIOR_EYE_U) + abs((ax + bx) / (2 * n) - 0.5) + abs(dy) / n
            if cost < best_cost:
                best, best_cost = ((ax, ay), (bx, by)), cost
    return best


def face_points(eye_l: tuple[float, float], eye_r: tuple[float, float]) -> dict[str, tuple[float, float]]:
    """Eyes, nose, mouth, cheeks and head top (pixels) from the two eye centres."""
    mx, my = (eye_l[0] + eye_r[0]) / 2, (eye_l[1] + eye_r[1]) / 2
    dx, dy = eye_r[0] - eye_l[0], eye_r[1] - eye_l[1]
    nx, ny = -dy, dx  # "down" in the face's frame, one inter-ocular distance long

    def below(k: float, side: float = 0.0) -> tuple[float, float]:
        return mx + k * nx + side * dx, my + k * ny + side * dy

    return {
        "eye_l": eye_l,
        "eye_r": eye_r,
        "eyes": (mx, my),
        "nose": below(NOSE_BELOW_EYES),
        "mouth": below(MOUTH_BELOW_EYES),
        "cheek_l": below(0.6, -0.65),
        "cheek_r": below(0.6, 0.65),
        "cheeks": below(0.6),
        "head_top": below(-1.6),
    }
