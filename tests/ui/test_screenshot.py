"""Makes the README screenshot (docs/images/main-window.png) by running the real app offscreen.

Three clips go in: two generated vertical videos and a text file named .mp4, so the picture
shows thumbnails, a previewed frame and how a damaged file looks in the bin.
"""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage

from tests.media.fixtures import make_text_file

ROOT = Path(__file__).resolve().parents[2]
README_IMAGE = ROOT / "docs" / "images" / "main-window.png"
# Tests write only into temporary folders; `make screenshot` sets this to refresh the README images.
REFRESH_DOCS = os.environ.get("CREATOR_STUDIO_SCREENSHOTS") == "1"
TOP, BOTTOM = (255, 94, 98), (255, 195, 113)  # sunset gradient, RGB


def make_showcase_clip(
    path: Path, title: str, top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> Path:
    """A 1.5 s 270x480 clip: a gradient, a moving sun and a title, like a creator's intro."""
    import av
    import cv2

    width, height, fps = 270, 480, 30
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    background = ((1 - ramp) * np.array(top, np.float32) + ramp * np.array(bottom, np.float32)).astype(
        np.uint8
    )
    background = np.repeat(background, width, axis=1)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "18", "preset": "veryfast"}
        for i in range(int(fps * 1.5)):
            rgb = background.copy()
            cx = 60 + i * 3
            cv2.circle(rgb, (cx, 130), 34, (255, 244, 214), -1, cv2.LINE_AA)
            cv2.rectangle(rgb, (0, 360), (width, height), (40, 36, 64), -1)
            cv2.putText(rgb, title, (18, 420), cv2.FONT_HERSHEY_DUPLEX, 1.0, (255, 255, 255), 2, cv2.LINE_AA)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def test_screenshot_shows_thumbnails_a_frame_and_a_damaged_file(tmp_path: Path) -> None:
    clips = [
        make_showcase_clip(tmp_path / "sunset-intro.mp4", "Golden hour", TOP, BOTTOM),
        make_showcase_clip(tmp_path / "city-walk.mp4", "City walk", (64, 120, 230), (150, 220, 255)),
        make_text_file(tmp_path / "notes.mp4"),
    ]
    out = tmp_path / "main-window.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "studio", "gui", "--screenshot", str(out), *map(str, clips)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    assert "screenshot taken before everything loaded" not in result.stderr

    image = QImage(str(out))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 500
    # The previewed frame sits in the right part of the window: its sunset colours must be there.
    warm = 0
    for x in range(image.width() // 3, image.width(), 4):
        for y in range(0, image.height(), 4):
            c = image.pixelColor(x, y)
            if c.red() > 200 and 70 < c.green() < 210 and c.blue() < 140:
                warm += 1
    assert warm > 500, warm
    # The thumbnails sit in the bin on the left: both gradients appear there too.
    blue = warm_left = 0
    for x in range(0, image.width() // 3, 2):
        for y in range(0, image.height(), 2):
            c = image.pixelColor(x, y)
            blue += c.blue() > 200 and c.red() < 170
            warm_left += c.red() > 200 and 70 < c.green() < 210 and c.blue() < 140
    assert blue > 50 and warm_left > 50, (blue, warm_left)
    if REFRESH_DOCS:
        README_IMAGE.write_bytes(out.read_bytes())
