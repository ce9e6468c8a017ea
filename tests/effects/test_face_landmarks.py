"""Faces that tilt: detection through ±30° of roll, landmarks, stickers that follow the roll.

The test face is the NASA astronaut portrait (tests/effects/data/astronaut.jpg), rotated
about the face by a known roll; the eye centres below were checked by eye on the photo.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from studio.core.frame import Frame
from studio.effects.chain import build_chain
from studio.effects.face import DetectorSettings, FaceTracker, detect_faces, small_grey
from tests.effects.helpers import astronaut, ref

FACE_CENTRE = (225.0, 113.0)
EYES = ((203.0, 101.0), (247.0, 102.0))  # image-left eye, image-right eye (512x512 photo)
NOSE, MOUTH = (223.0, 125.0), (223.0, 145.0)
BASE_ROLL = math.degrees(math.atan2(EYES[1][1] - EYES[0][1], EYES[1][0] - EYES[0][0]))
IOD = math.dist(*EYES)
# The 9:16 window of the photo each clip frame shows, and its size.
WINDOW = (112, 0, 225, 400)
SIZE = (180, 320)


def rolled(photo: np.ndarray, roll: float) -> tuple[np.ndarray, np.ndarray]:
    """The photo rotated about the face so the head tilts by ``roll`` degrees (clockwise),
    and the 2x3 map of photo points into it."""
    m = cv2.getRotationMatrix2D(FACE_CENTRE, -roll, 1.0)
    return cv2.warpAffine(photo, m, (512, 512), borderMode=cv2.BORDER_REFLECT), m


def clip_frame(photo: np.ndarray, roll: float) -> tuple[np.ndarray, np.ndarray]:
    """A 180x320 frame of the rolled photo, and the map of photo points into that frame."""
    image, m = rolled(photo, roll)
    x0, y0, w, h = WINDOW
    frame = cv2.resize(image[y0 : y0 + h, x0 : x0 + w], SIZE, interpolation=cv2.INTER_AREA)
    to_frame = np.diag([SIZE[0] / w, SIZE[1] / h]) @ (m - np.array([[0, 0, x0], [0, 0, y0]]))
    return frame, to_frame


def mapped(m: np.ndarray, point: tuple[float, float]) -> np.ndarray:
    return m @ np.array([point[0], point[1], 1.0])


def roll_clip(n: int = 61) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """(true roll, frame, photo-to-frame map): the head turns from -30° to +30° in 2 s."""
    photo = astronaut()
    out = []
    for a in np.linspace(-30.0, 30.0, n):
        frame, m = clip_frame(photo, float(a))
        out.append((float(a) + BASE_ROLL, frame, m))
    return out


def sticker_angle(before: np.ndarray, after: np.ndarray) -> tuple[float, int]:
    """Orientation (degrees, clockwise) of the long axis of what the sticker changed, and how
    many pixels it changed."""
    mask = (np.abs(after.astype(int) - before.astype(int)).sum(axis=2) > 60).astype(np.uint8)
    mo = cv2.moments(mask, binaryImage=True)
    if mo["m00"] == 0:
        return 0.0, 0
    return 0.5 * math.degrees(math.atan2(2 * mo["mu11"], mo["mu20"] - mo["mu02"])), int(mo["m00"])


def test_a_face_rolling_from_minus_30_to_30_degrees_is_kept_in_at_least_90_percent_of_frames() -> None:
    tracker = FaceTracker(DetectorSettings(detect_every=5))
    clip = roll_clip()
    kept = 0
    for i, (_, frame, m) in enumerate(clip):
        boxes = tracker.update(frame, i / 30)
        assert len(boxes) <= 1, f"frame {i}: {len(boxes)} faces"
        if boxes:
            centre = mapped(m, FACE_CENTRE)
            b = boxes[0]
            assert abs(b.cx * SIZE[0] - centre[0]) < 15 and abs(b.cy * SIZE[1] - centre[1]) < 15
            kept += 1
    assert kept >= 0.9 * len(clip), f"face kept in {kept} of {len(clip)} frames"


def test_the_tracked_roll_follows_the_head_within_8_degrees() -> None:
    tracker = FaceTracker(DetectorSettings(detect_every=5))
    errors = []
    for i, (roll, frame, _) in enumerate(roll_clip()):
        boxes = tracker.update(frame, i / 30)
        if boxes:
            errors.append(boxes[0].angle - roll)
    assert len(errors) > 50
    assert max(abs(e) for e in errors) <= 8.0, f"roll errors up to {max(errors, key=abs):.1f}°"


def test_the_detector_alone_finds_faces_tilted_by_30_degrees_either_way() -> None:
    photo = astronaut()
    for roll in (-30.0, -25.0, 25.0, 30.0):
        image, m = rolled(photo, roll)
        grey = small_grey(image, 270)
        faces = detect_faces(grey, DetectorSettings())
        assert len(faces) == 1, f"roll {roll}: {len(faces)} faces"
        centre = mapped(m, FACE_CENTRE) * 270 / 512
        assert math.dist(faces[0].centre, centre) < 12, f"roll {roll}: box off the face"
        assert abs(faces[0].angle - (roll + BASE_ROLL)) <= 8.0, f"roll {roll}: measured {faces[0].angle:.1f}"


def test_the_eye_landmarks_land_in_the_eyes_and_nose_and_mouth_below_them() -> None:
    photo = astronaut()
    for roll in (0.0, -25.0, 25.0):
        image, m = rolled(photo, roll)
        tracker = FaceTracker(DetectorSettings(detect_every=1))
        (face,) = tracker.update(image, 0.0)
        assert face.eyes_found, f"roll {roll}: eyes not seen"
        points = face.points(512, 512)
        for name, truth in (("eye_l", EYES[0]), ("eye_r", EYES[1])):
            error = math.dist(points[name], mapped(m, truth))
            # Inside the eye: within a quarter of the eye distance of its centre (~11 px).
            assert error < 0.25 * IOD, f"roll {roll}: {name} {error:.1f} px off"
        for name, truth in (("nose", NOSE), ("mouth", MOUTH)):
            error = math.dist(points[name], mapped(m, truth))
            assert error < 0.4 * IOD, f"roll {roll}: {name} {error:.1f} px off"
        assert abs(math.dist(points["eye_l"], points["eye_r"]) - IOD) < 0.2 * IOD


def test_the_sunglasses_turn_with_the_head_within_8_degrees() -> None:
    chain = build_chain(
        [ref("studio.face-sticker", sticker="sunglasses")], width=SIZE[0], height=SIZE[1], fps=30
    )
    clip = roll_clip()
    placed, errors = 0, []
    for i, (roll, frame, m) in enumerate(clip):
        out = chain.process(Frame.from_rgb(frame), i / 30).as_rgb()
        angle, pixels = sticker_angle(frame, out)
        if pixels < 200:
            continue
        placed += 1
        errors.append(angle - roll)
        # On the eyes: the middle of what changed is near the middle of the eyes.
        ys, xs = np.nonzero(np.abs(out.astype(int) - frame.astype(int)).sum(axis=2) > 60)
        eyes = (mapped(m, EYES[0]) + mapped(m, EYES[1])) / 2
        assert math.dist((xs.mean(), ys.mean()), eyes) < 0.3 * IOD * SIZE[0] / WINDOW[2] + 6
    assert placed >= 0.9 * len(clip)
    assert max(abs(e) for e in errors) <= 8.0, (
        f"sticker angle off the roll by up to {max(errors, key=abs):.1f}°"
    )


def test_a_sticker_that_does_not_follow_rotation_stays_level() -> None:
    chain = build_chain(
        [ref("studio.face-sticker", sticker="sunglasses", follow_rotation=False)],
        width=SIZE[0],
        height=SIZE[1],
        fps=30,
    )
    frame, _ = clip_frame(astronaut(), 25.0)
    angle, pixels = sticker_angle(frame, chain.process(Frame.from_rgb(frame), 0.0).as_rgb())
    assert pixels > 200 and abs(angle) < 3.0


def test_a_sticker_edge_has_no_dark_or_coloured_fringe(tmp_path: Path) -> None:
    """A white sticker, opaque to its border and tilted, over a face: blending white can only
    brighten luma and pull chroma towards grey. A sticker warped without premultiplied alpha
    interpolates its border towards transparent black and leaves a dark rim."""
    sticker = tmp_path / "white.png"
    rgba = np.full((64, 96, 4), 255, np.uint8)
    cv2.imwrite(str(sticker), rgba)
    frame, _ = clip_frame(astronaut(), 12.0)
    source = Frame.from_rgb(frame)
    chain = build_chain(
        [ref("studio.face-sticker", file=str(sticker), scale=0.8)], width=SIZE[0], height=SIZE[1], fps=30
    )
    try:
        out = chain.process(source, 0.0)
    finally:
        chain.close()
    before = [p.astype(int) for p in source.planes()]
    after = [p.astype(int) for p in out.planes()]
    assert (after[0] - before[0] > 60).sum() > 300  # the sticker is there
    assert (after[0] - before[0]).min() >= -1  # nothing got darker
    for b, a in zip(before[1:], after[1:], strict=True):
        assert (np.abs(a - 128) - np.abs(b - 128)).max() <= 1  # chroma only towards grey
