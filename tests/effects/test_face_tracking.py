"""Face tracking on a real photo (NASA astronaut portrait) and the effects it drives."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from studio.core.frame import Frame
from studio.effects.chain import build_chain
from studio.effects.face import FACE_CACHE, DetectorSettings, FaceTracker, detect_faces, small_grey
from tests.effects.helpers import astronaut, ref

# Where the face is in the 512x512 photo (checked by eye): centre about (x 225, y 115).
FACE_CENTRE = (225, 115)


def moving_crops(n: int = 30) -> list[tuple[int, int, np.ndarray]]:
    """A 9:16 window panning across the photo by 3 px/frame, scaled to 180x320."""
    photo = astronaut()
    out = []
    for i in range(n):
        x0, y0 = 110 + 3 * i, 10 + i
        crop = np.ascontiguousarray(photo[y0 : y0 + 400, x0 : x0 + 225])
        out.append((x0, y0, cv2.resize(crop, (180, 320), interpolation=cv2.INTER_AREA)))
    return out


def test_detector_finds_the_face_in_the_photo() -> None:
    grey = small_grey(astronaut(), 270)
    faces = detect_faces(grey, DetectorSettings())
    assert len(faces) == 1
    x, y, w, h = faces[0][0] * (512 / 270)
    assert abs(x + w / 2 - FACE_CENTRE[0]) < 25 and abs(y + h / 2 - FACE_CENTRE[1]) < 30


def test_box_follows_a_moving_crop_without_jitter() -> None:
    tracker = FaceTracker(DetectorSettings(detect_every=5))
    centres = []
    for i, (x0, y0, frame) in enumerate(moving_crops()):
        boxes = tracker.update(frame, i / 30)
        assert len(boxes) == 1, f"frame {i}: {len(boxes)} faces"
        b = boxes[0]
        centres.append((x0 + b.cx * 225, y0 + b.cy * 400))
    centres_arr = np.array(centres)
    # In photo coordinates the face does not move: the box must stay put while the crop pans.
    assert np.abs(centres_arr - FACE_CENTRE).max() < 30
    steps = np.abs(np.diff(centres_arr, axis=0))
    assert steps.max() < 4.0, f"box jumps by up to {steps.max():.1f} px between frames"
    assert centres_arr.std(axis=0).max() < 5.0


def test_face_blur_pixelates_the_face_only() -> None:
    photo = astronaut()
    frame = Frame.from_rgb(photo)
    chain = build_chain(
        [ref("studio.face-blur", style="pixelate", strength=1.0)], width=512, height=512, fps=30
    )
    out = chain.process(frame, 0.0).as_rgb().astype(int)
    # The filter works on I420, so compare with the photo after the same YUV round trip.
    baseline = Frame.from_i420(frame.as_i420(), 512, 512).as_rgb().astype(int)
    diff = np.abs(out - baseline).sum(axis=2)
    fx, fy = FACE_CENTRE
    assert diff[fy - 30 : fy + 30, fx - 30 : fx + 30].mean() > 15
    assert diff[400:, :].max() == 0 and diff[:, :100].max() == 0


def test_sticker_lands_on_the_face_and_follows_it() -> None:
    chain = build_chain([ref("studio.face-sticker", sticker="sunglasses")], width=180, height=320, fps=30)
    frames = moving_crops(12)
    positions = []
    for i, (x0, y0, rgb) in enumerate(frames):
        out = chain.process(Frame.from_rgb(rgb), i / 30).as_rgb().astype(int)
        changed = np.argwhere(np.abs(out - rgb).sum(axis=2) > 60)
        assert len(changed) > 50, f"frame {i}: no sticker"
        cy, cx = changed.mean(axis=0)
        positions.append((x0 + cx * 225 / 180, y0 + cy * 400 / 320))
    pos = np.array(positions)
    # Sunglasses sit on the eyes: a little above the face centre, in the same place in the photo.
    assert np.abs(pos[:, 0] - FACE_CENTRE[0]).max() < 25
    assert (pos[:, 1] < FACE_CENTRE[1] + 5).all() and (pos[:, 1] > FACE_CENTRE[1] - 45).all()


def test_reframe_brings_an_off_centre_face_to_the_middle() -> None:
    # A 16:9 frame with the portrait on the right: the face is outside the centre 9:16 window.
    wide = np.full((576, 1024, 3), 90, np.uint8)
    wide[:, 448:] = cv2.resize(astronaut(), (576, 576), interpolation=cv2.INTER_AREA)
    face_x = 448 + FACE_CENTRE[0] * 576 / 512
    window = 576 * 9 / 16
    assert abs(face_x - 512) > window / 2
    chain = build_chain([ref("studio.reframe", aspect="9:16")], width=1024, height=576, fps=30)
    out = chain.process(Frame.from_rgb(wide), 0.0).as_rgb()
    faces = detect_faces(small_grey(out, 270), DetectorSettings())
    assert faces, "face lost after reframing"
    x, _, w, _ = faces[0][0] * (576 / 270)
    assert abs(x + w / 2 - 512) < 20


def test_export_reuses_the_boxes_preview_found_for_the_clip(tmp_path: pytest.TempPathFactory) -> None:
    FACE_CACHE.clear()
    frames = moving_crops(8)
    key = "clip-a.mp4|0.0|4.0"
    spec = [ref("studio.face-blur", strength=1.0)]
    preview = build_chain(spec, width=180, height=320, fps=30, clip_key=key, cache_dir=str(tmp_path))
    first = [preview.process(Frame.from_rgb(f), i / 30).as_rgb() for i, (_, _, f) in enumerate(frames)]
    preview.close()
    FACE_CACHE.clear()  # as in a separate export process: only the disk cache is left
    export = build_chain(
        spec, width=180, height=320, fps=30, mode="export", clip_key=key, cache_dir=str(tmp_path)
    )
    for i in (7, 3, 5):  # any order: each time gets the boxes preview saw
        out = export.process(Frame.from_rgb(frames[i][2]), i / 30).as_rgb()
        assert np.array_equal(out, first[i])
