"""Draw the stickers that ship in studio/resources/stickers with Pillow, plus their face anchors.

Run: .venv/bin/python studio/resources/stickers/make_stickers.py
``stickers.json`` says where each sticker sits on a face: ``point`` (a landmark: eyes, cheeks,
head_top, nose, mouth), ``size`` in eye distances, ``offset`` along the face's vertical axis in
eye distances, ``rotate`` (turn with the head's roll); ``width``/``dy`` are the old box placement
(face widths, face heights) used where no landmark is known.
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

SIZE = 512


def sunglasses() -> Image.Image:
    im = Image.new("RGBA", (SIZE, SIZE // 2), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    for x0 in (24, 272):
        d.rounded_rectangle(
            (x0, 40, x0 + 216, 200), radius=60, fill=(15, 15, 20, 240), outline=(230, 190, 40, 255), width=10
        )
        d.ellipse((x0 + 40, 70, x0 + 100, 110), fill=(255, 255, 255, 90))
    d.rectangle((232, 80, 280, 100), fill=(230, 190, 40, 255))
    d.line((24, 90, 0, 70), fill=(230, 190, 40, 255), width=10)
    d.line((488, 90, 511, 70), fill=(230, 190, 40, 255), width=10)
    return im


def crown() -> Image.Image:
    im = Image.new("RGBA", (SIZE, SIZE // 2), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    points = [(40, 230), (40, 70), (150, 150), (256, 30), (362, 150), (472, 70), (472, 230)]
    d.polygon(points, fill=(250, 200, 30, 255), outline=(150, 100, 0, 255))
    d.rectangle((40, 200, 472, 240), fill=(220, 160, 20, 255))
    for cx, cy, col in ((40, 62, (220, 30, 60)), (256, 24, (40, 120, 230)), (472, 62, (220, 30, 60))):
        d.ellipse((cx - 20, cy - 20, cx + 20, cy + 20), fill=(*col, 255))
    for cx in (140, 256, 372):
        d.ellipse((cx - 16, 204, cx + 16, 236), fill=(40, 180, 90, 255))
    return im


def hearts() -> Image.Image:
    im = Image.new("RGBA", (SIZE, SIZE // 2), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    for cx in (128, 384):
        d.ellipse((cx - 100, 30, cx, 130), fill=(240, 40, 90, 255))
        d.ellipse((cx, 30, cx + 100, 130), fill=(240, 40, 90, 255))
        d.polygon([(cx - 97, 95), (cx + 97, 95), (cx, 220)], fill=(240, 40, 90, 255))
        d.ellipse((cx - 70, 50, cx - 40, 80), fill=(255, 200, 215, 255))
    return im


def blush() -> Image.Image:
    im = Image.new("RGBA", (SIZE, SIZE // 4), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    for cx in (70, 442):
        d.ellipse((cx - 60, 24, cx + 60, 104), fill=(255, 90, 120, 150))
    return im.filter(ImageFilter.GaussianBlur(10))


STICKERS = {
    "sunglasses": (
        sunglasses,
        {"point": "eyes", "size": 2.2, "offset": 0.05, "rotate": True, "width": 1.0, "dy": -0.08},
    ),
    "crown": (
        crown,
        {"point": "head_top", "size": 2.5, "offset": -0.25, "rotate": True, "width": 1.15, "dy": -0.8},
    ),
    "heart-eyes": (
        hearts,
        {"point": "eyes", "size": 2.0, "offset": 0.0, "rotate": True, "width": 0.85, "dy": -0.1},
    ),
    "blush": (
        blush,
        {"point": "cheeks", "size": 1.9, "offset": 0.0, "rotate": True, "width": 0.95, "dy": 0.15},
    ),
}


def main() -> None:
    folder = Path(__file__).resolve().parent
    anchors = {}
    for name, (draw, anchor) in STICKERS.items():
        draw().save(folder / f"{name}.png", optimize=True)
        anchors[name] = anchor
        print(f"wrote {name}.png")
    (folder / "stickers.json").write_text(json.dumps(anchors, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
