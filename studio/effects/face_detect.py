"""Multi-view face detection with OpenCV's Haar cascades (they ship in the opencv wheel).

A frontal cascade alone loses a face once it turns past ~45° or tilts past ~20°. Here the
views are:

* ``frontal``: the frontal cascade on the small grey frame (as before);
* ``roll±15`` / ``roll±30``: the frontal cascade on the frame rotated by ±15° / ±30° (a
  further downscaled copy, ``rotated_scale``), boxes rotated back, the view's angle kept as
  the first guess of the roll;
* ``profile`` / ``profile-mirror``: the profile cascade (trained on faces looking one way)
  on the frame and on its mirror image, for faces turned either way;
* ``profile-lean15`` / ``profile-lean30``: the profile cascade, both ways, on the frame
  rotated so that a side-on face leant 15° / 30° towards where it looks comes out upright
  (clockwise for a face looking right, the other way for one looking left). A side-on face is
  seldom upright: someone filming, reading or looking at a phone leans their head forward
  (the cameraman of scikit-image's photo by about 20°), and the profile cascade, like the
  frontal one, only knows upright faces. ``profile-back15`` / ``profile-back30``: the same for
  a head leant back (looking up); rarer, so not part of the first round after a seek.

Every candidate is merged with non-maximum suppression. Near a face already being tracked, a
cheap search on an upright crop around it (at the tracked roll, then ±15°, then the profile
views) keeps the face while it keeps turning or tilting.

No ONNX face detector ships in a pip package under a licence we can redistribute with the
model inside (mediapipe ships TFLite graphs; insightface downloads non-commercial models at
run time), so this stays on the cascades.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from studio.effects.landmarks import EyeFit, fit_eyes, upright_matrix

FRONTAL = "haarcascade_frontalface_default.xml"
PROFILE = "haarcascade_profileface.xml"
EYE = "haarcascade_eye.xml"
ROTATED_VIEWS = (15.0, -15.0, 30.0, -30.0)
NEAR_CROP = 120  # px: the largest upright crop searched around a tracked face
EXTRA_VIEWS = (
    "roll15", "roll-15", "roll30", "roll-30", "profile", "profile-mirror",
    "profile-lean15", "profile-lean30", "profile-back15", "profile-back30",
)  # fmt: skip
# The views of the first round after a seek, until one finds a face with eyes (the rarer
# leant-back profiles wait for their turn: each costs as much as two other views).
FIRST_VIEWS = tuple(v for v in EXTRA_VIEWS if not v.startswith("profile-back"))
# A frontal hit is more trustworthy than a rotated one, and both more than a profile one.
VIEW_BONUS = {"frontal": 2.0, "rotated": 1.0, "profile": 0.0}


class Detection(NamedTuple):
    """A face in a small grey image: ``box`` (x, y, w, h) is the face's own square, centred on
    the face (for a rolled face it is the upright box, not its bounding box)."""

    box: np.ndarray
    angle: float
    eyes: EyeFit | None = None
    view: str = "frontal"
    score: float = 0.0

    @property
    def centre(self) -> tuple[float, float]:
        x, y, w, h = (float(v) for v in self.box)
        return x + w / 2, y + h / 2


_cascades: dict[str, cv2.CascadeClassifier] = {}
_cascade_lock = threading.Lock()


def cascade(name: str) -> cv2.CascadeClassifier:
    with _cascade_lock:
        if name not in _cascades:
            path = str(Path(cv2.data.haarcascades) / name)
            clf = cv2.CascadeClassifier(path)
            if clf.empty():
                raise RuntimeError(f"OpenCV's {name} is missing from {cv2.data.haarcascades}")
            _cascades[name] = clf
        return _cascades[name]


def _run(
    clf: cv2.CascadeClassifier,
    grey: np.ndarray,
    scale_factor: float,
    neighbours: int,
    min_side: int,
    max_side: int = 0,
) -> list[tuple[np.ndarray, float]]:
    """Boxes and their neighbour counts (the cascade's confidence)."""
    if min(grey.shape) < min_side:
        return []
    boxes, counts = clf.detectMultiScale2(
        grey,
        scaleFactor=scale_factor,
        minNeighbors=neighbours,
        minSize=(min_side, min_side),
        maxSize=(max_side, max_side) if max_side else (0, 0),
    )
    return [(np.asarray(b, np.float32), float(c)) for b, c in zip(boxes, np.ravel(counts), strict=False)]


def _rotated(grey: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """``grey`` rotated about its centre by ``angle`` (counter-clockwise on screen: a face
    rolled clockwise by ``angle`` comes out upright), and the map back."""
    h, w = grey.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(grey, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out, cv2.invertAffineTransform(m)


def _mapped(box: np.ndarray, m: np.ndarray, scale: float, side_scale: float | None = None) -> np.ndarray:
    """A box found in a warped image, as a square in the original image: its centre goes
    through ``m`` and is divided by ``scale``; its side is divided by ``side_scale``."""
    x, y, w, h = (float(v) for v in box)
    cx, cy = (m @ np.array([x + w / 2, y + h / 2, 1.0])) / scale
    return centred_square(float(cx), float(cy), w / (side_scale or scale))


def view_candidates(
    grey: np.ndarray,
    view: str,
    scale_factor: float,
    neighbours: int,
    min_face: float,
    work_scale: float = 1.0,
) -> list[Detection]:
    """Faces of one view on the whole frame, ``work_scale`` being an extra downscale."""
    small = grey
    if work_scale < 1.0:
        size = (max(1, round(grey.shape[1] * work_scale)), max(1, round(grey.shape[0] * work_scale)))
        small = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    min_side = max(20, int(min_face * min(grey.shape) * work_scale))
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    out: list[Detection] = []
    if view == "frontal":
        for box, n in _run(cascade(FRONTAL), small, scale_factor, neighbours, min_side):
            out.append(
                Detection(_mapped(box, identity, work_scale), 0.0, None, view, n + VIEW_BONUS["frontal"])
            )
    elif view.startswith("roll"):
        angle = float(view[4:])
        rotated, back = _rotated(small, angle)
        for box, n in _run(cascade(FRONTAL), rotated, scale_factor, neighbours, min_side):
            out.append(
                Detection(_mapped(box, back, work_scale), angle, None, view, n + VIEW_BONUS["rotated"])
            )
    elif view == "profile":
        for box, n in _run(cascade(PROFILE), small, scale_factor, neighbours, min_side):
            out.append(
                Detection(_mapped(box, identity, work_scale), 0.0, None, view, n + VIEW_BONUS["profile"])
            )
    elif view == "profile-mirror":
        w = small.shape[1]
        mirror = np.array([[-1.0, 0.0, w], [0.0, 1.0, 0.0]])
        flipped = np.ascontiguousarray(small[:, ::-1])
        for box, n in _run(cascade(PROFILE), flipped, scale_factor, neighbours, min_side):
            out.append(
                Detection(_mapped(box, mirror, work_scale), 0.0, None, view, n + VIEW_BONUS["profile"])
            )
    elif view.startswith(("profile-lean", "profile-back")):
        # The profile cascade knows faces looking left: one leant forward is rolled
        # anticlockwise (-angle); a face looking right is found in the mirror image, rolled
        # clockwise (+angle). Leant back: the other way round.
        lean = float(view[12:]) * (1.0 if view.startswith("profile-lean") else -1.0)
        for angle, flip in ((-lean, False), (lean, True)):
            rotated, back = _rotated(small, angle)
            if flip:  # the mirror image's boxes go back through the mirror, then the rotation
                w = rotated.shape[1]
                back = back @ np.array([[-1.0, 0.0, w], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
                rotated = np.ascontiguousarray(rotated[:, ::-1])
            for box, n in _run(cascade(PROFILE), rotated, scale_factor, neighbours, min_side):
                score = n + VIEW_BONUS["profile"]
                out.append(Detection(_mapped(box, back, work_scale), angle, None, view, score))
    else:
        raise ValueError(f"unknown face view {view!r}")
    return out


def search_near(
    grey: np.ndarray, box: np.ndarray, angle: float, scale_factor: float, neighbours: int
) -> list[Detection]:
    """The face tracked at ``box`` (x, y, w, h) with roll ``angle``, looked for on an upright
    crop around it: at that roll, then 15° either side, then as a profile either way."""
    x, y, w, h = (float(v) for v in box)
    cx, cy, side = x + w / 2, y + h / 2, max(w, h)
    span = side * 2.0
    out_px = int(min(NEAR_CROP, max(64, span)))
    scale = out_px / span
    min_side, max_side = max(20, int(side * 0.65 * scale)), int(side * 1.5 * scale) + 1
    for extra in (0.0, 15.0, -15.0):
        roll = angle + extra
        m = upright_matrix(cx, cy, span, roll, out_px)
        crop = cv2.warpAffine(
            grey, m, (out_px, out_px), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        hits = _run(cascade(FRONTAL), crop, scale_factor, max(2, neighbours - 2), min_side, max_side)
        if hits:
            back = cv2.invertAffineTransform(m)
            bonus = VIEW_BONUS["frontal" if abs(roll) < 7.5 else "rotated"]
            return [Detection(_mapped(b, back, 1.0, scale), roll, None, "near", n + bonus) for b, n in hits]
    m = upright_matrix(cx, cy, span, angle, out_px)
    crop = cv2.warpAffine(grey, m, (out_px, out_px), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    back = cv2.invertAffineTransform(m)
    out: list[Detection] = []
    for flip in (False, True):
        view = np.ascontiguousarray(crop[:, ::-1]) if flip else crop
        for b, n in _run(cascade(PROFILE), view, scale_factor, max(2, neighbours - 2), min_side, max_side):
            if flip:
                b = np.array([out_px - b[0] - b[2], b[1], b[2], b[3]], np.float32)
            out.append(Detection(_mapped(b, back, 1.0, scale), angle, None, "near-profile", n))
    return out


def iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return float(inter / (a[2] * a[3] + b[2] * b[3] - inter + 1e-6))


def suppress(found: list[Detection], overlap: float = 0.3) -> list[Detection]:
    """Non-maximum suppression: the best-scoring of each group of overlapping faces (or of
    faces whose centres lie within half a face of each other)."""
    kept: list[Detection] = []
    for det in sorted(found, key=lambda d: -d.score):
        cx, cy = det.centre
        side = float(det.box[2])
        clash = False
        for k in kept:
            kx, ky = k.centre
            near = math.hypot(cx - kx, cy - ky) < 0.5 * max(side, float(k.box[2]))
            if near or iou(det.box, k.box) > overlap:
                clash = True
                break
        if not clash:
            kept.append(det)
    return kept


def with_eyes(grey: np.ndarray, det: Detection) -> Detection:
    """``det`` with its eyes fitted and its roll taken from the eye line when they are found."""
    cx, cy = det.centre
    fit = fit_eyes(grey, cx, cy, float(det.box[2]), det.angle, cascade(EYE))
    return det._replace(eyes=fit, angle=fit.roll)


def centred_square(cx: float, cy: float, side: float) -> np.ndarray:
    return np.array([cx - side / 2, cy - side / 2, side, side], np.float32)
