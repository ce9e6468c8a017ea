"""Text items: rendered once with Pillow/FreeType to an RGBA sprite, converted once to YUV + alpha.

Per frame only the sprite's bounding box is blended into the canvas, scaled by the fade opacity;
word-by-word reveal hides the words not yet shown by zeroing their boxes in a copy of the alpha
(one copy per reveal step, cached).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

from studio.render.yuv import blend_sprite, rgb_to_i420_bt709

FONTS_DIR = Path(__file__).resolve().parents[2] / "resources" / "fonts"
REGULAR_FONT = FONTS_DIR / "DejaVuSans.ttf"
BOLD_FONT = FONTS_DIR / "DejaVuSans-Bold.ttf"


def resolve_font(name: str | None, bold: bool = False) -> Path:
    """A font file for a style's font name: a bundled DejaVu face, or an existing .ttf/.otf path."""
    if name:
        candidate = Path(name)
        if candidate.suffix.lower() in (".ttf", ".otf") and candidate.is_file():
            return candidate
        bundled = FONTS_DIR / f"{name}.ttf"
        if bundled.is_file():
            return bundled
        if "bold" in name.lower():
            return BOLD_FONT
    return BOLD_FONT if bold else REGULAR_FONT


@lru_cache(maxsize=32)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def parse_color(value: Any, default: tuple[int, int, int, int] | None) -> tuple[int, int, int, int] | None:
    """'#rgb', '#rrggbb', '#rrggbbaa', a CSS name or an (r, g, b[, a]) sequence -> RGBA; None/'' -> default."""
    if value is None or value == "" or value is False:
        return default
    if isinstance(value, (tuple, list)):
        vals = [int(v) for v in value]
        return (vals[0], vals[1], vals[2], vals[3] if len(vals) > 3 else 255)
    try:
        rgb = ImageColor.getrgb(str(value))
    except ValueError:
        raise ValueError(f"'{value}' is not a colour (use e.g. #ffffff)") from None
    return (rgb[0], rgb[1], rgb[2], rgb[3] if len(rgb) > 3 else 255)


@dataclass(frozen=True)
class TextLook:
    """What a sprite depends on (hashable, so sprites can be cached by look)."""

    text: str
    font_path: str
    size_px: int
    color: tuple[int, int, int, int]
    stroke: tuple[int, int, int, int] | None
    stroke_px: int
    background: tuple[int, int, int, int] | None
    align: str
    max_width_px: int
    line_spacing: float = 1.2
    padding_px: int = 16


class TextSprite:
    """A text block as YUV planes + float alpha, with word boxes for the reveal."""

    def __init__(self, look: TextLook) -> None:
        self.look = look
        rgba, self.word_boxes = _draw(look)
        h, w = rgba.shape[:2]
        self.width, self.height = w, h
        i420 = rgb_to_i420_bt709(np.ascontiguousarray(rgba[:, :, :3]))
        chroma = i420[h:].reshape(-1)
        q = (h // 2) * (w // 2)
        self.planes = (i420[:h], chroma[:q].reshape(h // 2, w // 2), chroma[q:].reshape(h // 2, w // 2))
        alpha = rgba[:, :, 3].astype(np.float32) / 255.0
        self._alpha = alpha
        self.alphas = (alpha, cv2.resize(alpha, (w // 2, h // 2), interpolation=cv2.INTER_AREA))
        self._stage: tuple[int, tuple[np.ndarray, np.ndarray]] | None = None

    def alphas_for_words(self, shown: int) -> tuple[np.ndarray, np.ndarray]:
        """Alpha planes with only the first ``shown`` words visible."""
        if shown >= len(self.word_boxes):
            return self.alphas
        if self._stage is not None and self._stage[0] == shown:
            return self._stage[1]
        alpha = self._alpha.copy()
        for x0, y0, x1, y1 in self.word_boxes[shown:]:
            alpha[y0:y1, x0:x1] = 0.0
        w, h = self.width, self.height
        pair = (alpha, cv2.resize(alpha, (w // 2, h // 2), interpolation=cv2.INTER_AREA))
        self._stage = (shown, pair)
        return pair

    def blend(
        self,
        canvas: np.ndarray,
        cw: int,
        ch: int,
        centre: tuple[float, float],
        opacity: float,
        shown_words: int | None = None,
    ) -> None:
        left = round((centre[0] * cw - self.width / 2.0) / 2.0) * 2
        top = round((centre[1] * ch - self.height / 2.0) / 2.0) * 2
        alphas = self.alphas if shown_words is None else self.alphas_for_words(shown_words)
        blend_sprite(canvas, cw, ch, self.planes, alphas, left, top, opacity)


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[list[str]]:
    lines: list[list[str]] = []
    for paragraph in text.split("\n"):
        words = paragraph.split()
        line: list[str] = []
        for word in words:
            trial = " ".join([*line, word])
            if line and font.getlength(trial) > max_width:
                lines.append(line)
                line = [word]
            else:
                line.append(word)
        lines.append(line)
    return lines


def _draw(look: TextLook) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    font = _font(look.font_path, look.size_px)
    ascent, descent = font.getmetrics()
    line_h = max(1, round(look.size_px * look.line_spacing))
    pad = look.stroke_px + (look.padding_px if look.background else 2)
    lines = _wrap(look.text, font, look.max_width_px)
    space = font.getlength(" ")
    widths = [font.getlength(" ".join(words)) for words in lines]
    block_w = int(max(widths, default=0)) + 2 * pad
    block_h = line_h * (len(lines) - 1) + ascent + descent + 2 * pad
    block_w += block_w % 2
    block_h += block_h % 2
    fill_mask = Image.new("L", (block_w, block_h), 0)
    shape_mask = Image.new("L", (block_w, block_h), 0)
    d_fill, d_shape = ImageDraw.Draw(fill_mask), ImageDraw.Draw(shape_mask)
    boxes: list[tuple[int, int, int, int]] = []
    for i, (words, width) in enumerate(zip(lines, widths, strict=True)):
        if look.align == "left":
            x = float(pad)
        elif look.align == "right":
            x = block_w - pad - width
        else:
            x = (block_w - width) / 2.0
        y = pad + i * line_h
        for word in words:
            d_fill.text((x, y), word, font=font, fill=255)
            if look.stroke is not None and look.stroke_px > 0:
                d_shape.text((x, y), word, font=font, fill=255, stroke_width=look.stroke_px, stroke_fill=255)
            wlen = font.getlength(word)
            boxes.append(
                (
                    max(0, int(x) - look.stroke_px - 1),
                    max(0, y - look.stroke_px),
                    min(block_w, int(x + wlen) + look.stroke_px + 2),
                    min(block_h, y + max(line_h, ascent + descent) + look.stroke_px),
                )
            )
            x += wlen + space
    f = np.asarray(fill_mask, np.float32) / 255.0
    shape = np.maximum(np.asarray(shape_mask, np.float32) / 255.0, f)
    fill_rgb = np.array(look.color[:3], np.float32)
    has_stroke = look.stroke is not None and look.stroke_px > 0
    stroke_rgb = np.array((look.stroke if has_stroke else look.color)[:3], np.float32)
    rgb = stroke_rgb * (1.0 - f[..., None]) + fill_rgb * f[..., None]
    alpha = shape * (look.color[3] / 255.0)
    text_rgba = np.dstack([rgb, alpha * 255.0]).round().astype(np.uint8)
    img = Image.fromarray(text_rgba, "RGBA")
    if look.background is not None:
        bg = Image.new("RGBA", (block_w, block_h), (0, 0, 0, 0))
        ImageDraw.Draw(bg).rounded_rectangle(
            (0, 0, block_w - 1, block_h - 1), radius=int(look.size_px * 0.25), fill=look.background
        )
        img = Image.alpha_composite(bg, img)
    return np.asarray(img), boxes


def fade_opacity(t: float, start: float, end: float, fade_in: float, fade_out: float) -> float:
    """Opacity at time t of an item shown for [start, end) with linear fades (0 outside)."""
    if not start <= t < end:
        return 0.0
    o = 1.0
    if fade_in > 0:
        o = min(o, (t - start) / fade_in)
    if fade_out > 0:
        o = min(o, (end - t) / fade_out)
    return max(0.0, min(1.0, o))


def words_shown(t: float, start: float, end: float, n_words: int) -> int:
    """Word-by-word reveal: word i appears at start + i * (end - start) / n."""
    if n_words <= 0:
        return 0
    step = (end - start) / n_words
    if step <= 0:
        return n_words
    return min(n_words, int((t - start) / step) + 1)
