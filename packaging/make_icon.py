"""Draws the app icon: ``packaging/linux/org.creatorstudio.CreatorStudio.png`` (256 px, the raster
twin of the SVG beside it) and ``packaging/windows/creator-studio.ico`` (16-256 px, the
installer's icon).

Both are committed; run this again only after changing the design (Pillow only, no SVG
renderer needed): ``.venv/bin/python packaging/make_icon.py``. PyInstaller turns the PNG into
the macOS ``.icns`` and the executable's Windows icon itself (with Pillow) at build time.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
OUT = HERE / "linux" / "org.creatorstudio.CreatorStudio.png"
ICO = HERE / "windows" / "creator-studio.ico"
SIZE = 256
SCALE = 4  # drawn large, then reduced: smooth edges


def _gradient(size: int) -> Image.Image:
    top, bottom = (0xFF, 0x4F, 0x7B), (0x5B, 0x3D, 0xF5)
    img = Image.new("RGB", (size, size))
    pixels = img.load()
    for y in range(size):
        for x in range(size):
            k = (x + y) / (2 * (size - 1))
            pixels[x, y] = tuple(round(a + (b - a) * k) for a, b in zip(top, bottom, strict=True))
    return img


def draw() -> Image.Image:
    s = SIZE * SCALE
    big = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    mask = Image.new("L", (s, s), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        [16 * SCALE, 16 * SCALE, 240 * SCALE, 240 * SCALE], 52 * SCALE, 255
    )
    big.paste(_gradient(s // 8).resize((s, s), Image.BILINEAR), (0, 0), mask)
    d = ImageDraw.Draw(big)
    d.rounded_rectangle(
        [70 * SCALE, 38 * SCALE, 186 * SCALE, 218 * SCALE], 22 * SCALE, outline="white", width=12 * SCALE
    )
    d.polygon([(112 * SCALE, 100 * SCALE), (156 * SCALE, 128 * SCALE), (112 * SCALE, 156 * SCALE)], "white")
    d.ellipse([182 * SCALE, 46 * SCALE, 210 * SCALE, 74 * SCALE], fill="#ffd84d")
    return big.resize((SIZE, SIZE), Image.LANCZOS)


if __name__ == "__main__":
    icon = draw()
    icon.save(OUT, optimize=True)
    icon.save(ICO, sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    print(OUT, ICO)
