"""The compositor on synthetic frames: placement, letterbox, rotation, opacity, text sprites."""

from __future__ import annotations

import cv2
import numpy as np

from studio.core.frame import Frame
from studio.core.project import Project
from studio.render.compositor import Compositor
from studio.render.text import TextLook, TextSprite, resolve_font
from studio.render.transitions import apply
from studio.render.yuv import black_i420, compute_placement


def _solid(rgb: tuple[int, int, int], w: int, h: int) -> Frame:
    img = np.empty((h, w, 3), np.uint8)
    img[:] = rgb
    return Frame.from_i420(cv2.cvtColor(img, cv2.COLOR_RGB2YUV_I420), w, h)


def _project(clip: dict, *, width: int = 180, height: int = 320, text: list | None = None) -> Project:
    base = {"source": "/nonexistent/x.mp4", "in_point": 0.0, "out_point": 2.0, "start": 0.0, "id": "c1"}
    base.update(clip)
    tracks = [{"kind": "video", "clips": [base]}]
    if text:
        tracks.append({"kind": "text", "items": text})
    return Project.from_dict({"canvas": {"width": width, "height": height, "fps": 30}, "tracks": tracks})


def _rgb(buf: np.ndarray, w: int, h: int) -> np.ndarray:
    return cv2.cvtColor(buf, cv2.COLOR_YUV2RGB_I420).reshape(h, w, 3)


def test_fit_letterboxes_and_fill_covers() -> None:
    square = _solid((0, 200, 0), 200, 200)
    comp = Compositor(_project({"fit": "fit"}), 180, 320, 30.0)
    rgb = _rgb(comp.compose(0.5, {"c1": square}), 180, 320)
    assert rgb[5, 90].max() < 10  # background band above
    assert rgb[160, 90, 1] > 180  # picture in the middle, 180x180
    assert rgb[315, 90].max() < 10
    comp = Compositor(_project({"fit": "fill"}), 180, 320, 30.0)
    rgb = _rgb(comp.compose(0.5, {"c1": square}), 180, 320)
    assert rgb[2, 2, 1] > 180 and rgb[317, 177, 1] > 180


def test_placement_maths() -> None:
    p = compute_placement(1920, 1080, 1080, 1920, fit="fit")
    assert p.dst == (0, 656, 1080, 1264)  # 1080 x 607.5 centred, snapped to even
    p = compute_placement(1920, 1080, 1080, 1920, fit="fill")
    assert p.covers_canvas and abs((p.src[2] - p.src[0]) - 607.5) < 1
    p = compute_placement(100, 100, 100, 100, fit="fill", x=1.0, scale=0.5)
    assert p.dst == (76, 24, 100, 76)  # right half of the 50x50 box is off canvas
    assert p.src[2] - p.src[0] < 60


def test_rotation_and_opacity() -> None:
    white = _solid((255, 255, 255), 100, 20)
    comp = Compositor(_project({"fit": "fit", "transform": {"rotation": 90}}), 180, 320, 30.0)
    rgb = _rgb(comp.compose(0.1, {"c1": white}), 180, 320)
    # a 100x20 bar fitted to 180x36, turned 90 degrees: a 36x180 vertical bar, rows 70..250
    assert rgb[160, 90].min() > 200 and rgb[80, 90].min() > 200 and rgb[240, 90].min() > 200
    assert rgb[60, 90].max() < 20 and rgb[260, 90].max() < 20
    assert rgb[160, 40].max() < 20 and rgb[160, 140].max() < 20
    comp = Compositor(_project({"fit": "fill", "opacity": 0.5}), 180, 320, 30.0)
    rgb = _rgb(comp.compose(0.1, {"c1": white}), 180, 320)
    assert 110 < rgb[160, 90].mean() < 145


def test_composed_frame_never_writes_into_the_source() -> None:
    src = _solid((10, 20, 30), 180, 320)
    before = src.as_i420().copy()
    text = [{"text": "Hello", "start": 0, "end": 1, "style": {"size": 40}}]
    comp = Compositor(_project({}, text=text), 180, 320, 30.0)
    comp.compose(0.5, {"c1": src})
    assert np.array_equal(src.as_i420(), before)


def test_text_sprite_is_blended_inside_its_box_only() -> None:
    look = TextLook(
        "Hi you",
        str(resolve_font("DejaVuSans")),
        40,
        (255, 255, 255, 255),
        (0, 0, 0, 255),
        3,
        None,
        "center",
        170,
    )
    sprite = TextSprite(look)
    canvas = black_i420(180, 320)
    before = canvas.copy()
    sprite.blend(canvas, 180, 320, (0.5, 0.5), 1.0)
    changed = np.argwhere(canvas[:320] != before[:320])
    left, top = round((90 - sprite.width / 2) / 2) * 2, round((160 - sprite.height / 2) / 2) * 2
    assert changed[:, 0].min() >= top and changed[:, 0].max() < top + sprite.height
    assert changed[:, 1].min() >= left and changed[:, 1].max() < left + sprite.width
    one_word = black_i420(180, 320)
    sprite.blend(one_word, 180, 320, (0.5, 0.5), 1.0, shown_words=1)
    assert 0 < int((one_word[:320] > 128).sum()) < int((canvas[:320] > 128).sum())


def test_slide_directions() -> None:
    a = np.full((6, 4), 10, np.uint8)
    b = np.full((6, 4), 200, np.uint8)
    left = apply("slide", a, b, 0.5, 4, 4, "left")
    assert left[:4, 0].max() == 10 and left[:4, 3].min() == 200
    right = apply("slide", a, b, 0.5, 4, 4, "right")
    assert right[:4, 0].min() == 200 and right[:4, 3].max() == 10
    up = apply("slide", a, b, 0.5, 4, 4, "up")
    assert up[0].max() == 10 and up[3].min() == 200
