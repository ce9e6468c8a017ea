"""The pieces of multi-view face detection and of sticker anchoring, one at a time.

A real profile face (scikit-image's cameraman, both ways) is in test_face_profile.py; here the
profile views are tested for their geometry (the mirror pass maps boxes back onto the frame).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import cv2
import numpy as np
import pytest

from studio.effects.builtins.faces import ANCHOR_POINTS, sticker_anchors, sticker_placement
from studio.effects.face import DetectorSettings, FaceBox, FaceTracker, small_grey
from studio.effects.face_detect import (
    EXTRA_VIEWS,
    FIRST_VIEWS,
    Detection,
    _run,
    cascade,
    suppress,
    view_candidates,
)
from tests.effects.helpers import astronaut
from tests.effects.test_face_landmarks import FACE_CENTRE, mapped, rolled

STICKER_VALUES = {"follow_rotation": True, "scale": 1.0, "offset_y": 0.0}


def test_the_rotated_view_finds_a_tilted_face_the_frontal_view_misses() -> None:
    image, m = rolled(astronaut(), 30.0)
    grey = small_grey(image, 270)
    s = DetectorSettings()
    assert not view_candidates(grey, "frontal", s.scale_factor, s.min_neighbors, s.min_face)
    found = view_candidates(grey, "roll30", s.scale_factor, s.min_neighbors, s.min_face, s.rotated_scale)
    assert found, "the +30° view finds nothing"
    centre = mapped(m, FACE_CENTRE) * 270 / 512
    best = max(found, key=lambda d: d.score)
    assert math.dist(best.centre, centre) < 12 and best.angle == 30.0


def test_the_mirrored_profile_view_maps_its_boxes_back_onto_the_frame() -> None:
    grey = small_grey(astronaut(), 270)
    flipped = np.ascontiguousarray(grey[:, ::-1])
    # Few neighbours, so that the profile cascade fires at all on this frontal photo.
    direct = view_candidates(grey, "profile", 1.1, 1, 0.09)
    via_mirror = view_candidates(flipped, "profile-mirror", 1.1, 1, 0.09)
    assert direct, "no profile hit to compare"
    width = grey.shape[1]
    back = sorted((round(width - d.centre[0], 1), round(d.centre[1], 1)) for d in via_mirror)
    assert back == sorted((round(d.centre[0], 1), round(d.centre[1], 1)) for d in direct)
    raw = _run(cascade("haarcascade_profileface.xml"), grey, 1.1, 1, 24)
    assert len(raw) == len(direct)


def test_overlapping_views_of_one_face_merge_into_the_best_one() -> None:
    def det(x: float, score: float, view: str) -> Detection:
        return Detection(np.array([x, 10, 50, 50], np.float32), 0.0, None, view, score)

    kept = suppress(
        [det(10, 4, "roll15"), det(14, 7, "frontal"), det(200, 3, "profile"), det(18, 2, "profile")]
    )
    assert [(d.view, d.score) for d in kept] == [("frontal", 7), ("profile", 3)]


def test_landmarks_survive_the_disk_cache() -> None:
    tracker = FaceTracker(DetectorSettings(detect_every=1))
    (face,) = tracker.update(astronaut(), 0.0)
    back = FaceBox.from_dict(json.loads(json.dumps(asdict(face))))
    assert back == face and back.eye_l is not None and back.eyes_found


def test_an_old_cached_box_without_landmarks_gets_average_eyes() -> None:
    face = FaceBox.from_dict({"cx": 0.5, "cy": 0.5, "w": 0.4, "h": 0.4, "angle": 0.0, "track_id": 1})
    points = face.points(100, 100)
    assert points["eye_l"][0] < 50 < points["eye_r"][0]
    assert points["eye_l"][1] == pytest.approx(points["eye_r"][1]) and points["eye_l"][1] < 50
    assert points["eyes"][1] < points["nose"][1] < points["mouth"][1]


def _face(roll: float, scale: float = 1.0) -> FaceBox:
    """A face centred at (200, 200) of a 400x400 frame with eyes 40 px apart (x scale)."""
    half = 20 * scale
    c, s = math.cos(math.radians(roll)), math.sin(math.radians(roll))
    mid = (200.0, 190.0)
    eye_l = (mid[0] - half * c, mid[1] - half * s)
    eye_r = (mid[0] + half * c, mid[1] + half * s)
    return FaceBox(
        0.5, 0.5, 0.25 * scale, 0.25 * scale, roll, 1,
        eye_l=(eye_l[0] / 400, eye_l[1] / 400), eye_r=(eye_r[0] / 400, eye_r[1] / 400),
        eyes_found=True,
    )  # fmt: skip


def test_every_shipped_sticker_names_a_landmark() -> None:
    for name, anchor in sticker_anchors().items():
        assert anchor["point"] in ANCHOR_POINTS, name
        assert anchor["size"] > 0, name


def test_sunglasses_sit_on_the_eyes_turn_with_the_roll_and_scale_with_the_eye_distance() -> None:
    anchor = sticker_anchors()["sunglasses"]
    x, y, width, angle = sticker_placement(_face(20.0), anchor, 400, 400, STICKER_VALUES)
    assert angle == pytest.approx(20.0)
    assert math.dist((x, y), (200, 190)) < 0.2 * 40
    assert width == pytest.approx(anchor["size"] * 40, rel=0.01)
    _, _, bigger, _ = sticker_placement(_face(20.0, 1.5), anchor, 400, 400, STICKER_VALUES)
    assert bigger == pytest.approx(1.5 * width, rel=0.01)


def test_the_crown_goes_above_the_head_and_blush_on_the_cheeks_along_the_tilt() -> None:
    anchors = sticker_anchors()
    for roll in (0.0, 25.0):
        down = (-math.sin(math.radians(roll)), math.cos(math.radians(roll)))
        face = _face(roll)
        crown = sticker_placement(face, anchors["crown"], 400, 400, STICKER_VALUES)
        blush = sticker_placement(face, anchors["blush"], 400, 400, STICKER_VALUES)
        along = [(p[0] - 200) * down[0] + (p[1] - 190) * down[1] for p in (crown, blush)]
        assert along[0] < -1.5 * 40, "the crown is not above the head"
        assert 0.3 * 40 < along[1] < 0.9 * 40, "the blush is not on the cheeks"


def test_a_custom_png_without_a_landmark_is_centred_on_the_face_as_before() -> None:
    x, y, width, angle = sticker_placement(_face(10.0), {"width": 1.0, "dy": 0.0}, 400, 400, STICKER_VALUES)
    assert (x, y, width, angle) == pytest.approx((200, 200, 100, 10.0))


def test_the_first_round_after_a_seek_searches_the_first_views_then_one_every_other_round_while_steady() -> (
    None
):
    tracker = FaceTracker(DetectorSettings(detect_every=1))
    seen = []
    for i in range(7):
        seen.append(tracker._views())
        tracker.update(cv2.resize(astronaut(), (180, 180)), i / 30)
    assert seen[0] == FIRST_VIEWS and len(FIRST_VIEWS) == 8 and set(FIRST_VIEWS) < set(EXTRA_VIEWS)
    # The face is tracked (steady): one extra view every other round, each a different one.
    assert [len(v) for v in seen[1:]] == [0, 1, 0, 1, 0, 1] and len(set(seen[2::2])) == 3
    assert len(tracker._tracks) == 1 and tracker._tracks[0].misses == 0


def test_a_steady_track_skips_the_whole_frame_scan_and_most_eye_searches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import studio.effects.face as face_module

    calls: list[str] = []
    real_views, real_eyes = face_module.view_candidates, face_module.with_eyes

    def views(grey: np.ndarray, view: str, *args: float) -> list[Detection]:
        calls.append(view)
        return real_views(grey, view, *args)

    def eyes(grey: np.ndarray, det: Detection) -> Detection:
        calls.append("eyes")
        return real_eyes(grey, det)

    monkeypatch.setattr(face_module, "view_candidates", views)
    monkeypatch.setattr(face_module, "with_eyes", eyes)
    tracker = FaceTracker(DetectorSettings(detect_every=1, rescan_every=4, eye_every=2))
    frame = cv2.resize(astronaut(), (180, 180))
    for i in range(9):
        assert len(tracker.update(frame, i / 30)) == 1
    assert calls.count("frontal") == 3  # rounds 0, 4 and 8
    assert calls.count("eyes") <= 6
