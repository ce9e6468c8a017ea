"""Text items: rendered once with Pillow/FreeType to an RGBA sprite, converted once to YUV + alpha.

Per frame only the sprite's bounding box is blended into the canvas, scaled by the fade opacity;
word-by-word reveal hides the words not yet shown by cutting their boxes out of the text layer
(the background box stays whole) and compositing again (once per reveal step, cached).
Characters the style's font lacks are drawn with a system font that has them (see
:mod:`studio.render.fonts`); lines wrap within ``max_width`` of the canvas, long words too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

from studio.render import fonts
from studio.render.yuv import blend_sprite, sprite_i420
from studio.resources import resource

log = logging.getLogger(__name__)

REGULAR_FONT_FILE = "DejaVuSans.ttf"
BOLD_FONT_FILE = "DejaVuSans-Bold.ttf"


def bundled_font(file_name: str) -> Path:
    """A font shipped with the app (see :mod:`studio.resources`)."""
    return resource("fonts", file_name)


def resolve_font(name: str | None, bold: bool = False) -> Path:
    """A font file for a style's font name: a bundled DejaVu face, or an existing .ttf/.otf path."""
    if name:
        candidate = Path(name)
        if candidate.suffix.lower() in (".ttf", ".otf") and candidate.is_file():
            return candidate
        bundled = bundled_font(f"{name}.ttf")
        if bundled.is_file():
            return bundled
        if "bold" in name.lower():
            return bundled_font(BOLD_FONT_FILE)
    return bundled_font(BOLD_FONT_FILE if bold else REGULAR_FONT_FILE)


@lru_cache(maxsize=32)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@lru_cache(maxsize=64)
def _try_font(path: str, size: int) -> ImageFont.FreeTypeFont | None:
    """A fallback font at ``size``, or None when it cannot be drawn so (e.g. a colour emoji
    font with fixed bitmap sizes)."""
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return None


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
    """A text block as YUV planes + float alpha, with word boxes for the reveal.

    The background box (if any) and the text are kept apart so a reveal can hide words while
    the box stays whole: a hidden word is cut out of the text layer only.
    """

    def __init__(self, look: TextLook, deep: bool = False) -> None:
        """``deep``: planes in the HDR export's 10-bit HLG space (``studio.media.hlg``)."""
        self.look = look
        self.deep = deep
        drawn = _draw(look)
        self.word_boxes = drawn.boxes
        self.missing = drawn.missing
        self._text, self._background = drawn.text, drawn.background
        h, w = drawn.text.shape[:2]
        self.width, self.height = w, h
        self.planes, self.alphas = _planes(_over(drawn.text, drawn.background), deep)
        self._stage: tuple[int, tuple[tuple[np.ndarray, ...], tuple[np.ndarray, np.ndarray]]] | None = None

    def stage(self, shown: int) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, np.ndarray]]:
        """(planes, alphas) with only the first ``shown`` words visible."""
        if shown >= len(self.word_boxes):
            return self.planes, self.alphas
        if self._stage is not None and self._stage[0] == shown:
            return self._stage[1]
        text = self._text.copy()
        for x0, y0, x1, y1 in self.word_boxes[shown:]:
            text[y0:y1, x0:x1, 3] = 0
        pair = _planes(_over(text, self._background), self.deep)
        self._stage = (shown, pair)
        return pair

    def alphas_for_words(self, shown: int) -> tuple[np.ndarray, np.ndarray]:
        """Alpha planes with only the first ``shown`` words visible."""
        return self.stage(shown)[1]

    def blend(
        self,
        canvas: np.ndarray,
        cw: int,
        ch: int,
        centre: tuple[float, float],
        opacity: float,
        shown_words: int | None = None,
    ) -> None:
        left, top = self.origin(cw, ch, centre)
        planes, alphas = (self.planes, self.alphas) if shown_words is None else self.stage(shown_words)
        blend_sprite(canvas, cw, ch, planes, alphas, left, top, opacity)

    def origin(self, cw: int, ch: int, centre: tuple[float, float]) -> tuple[int, int]:
        """Top-left corner (even) on a ``cw`` x ``ch`` canvas for a block centred at ``centre``."""
        left = round((centre[0] * cw - self.width / 2.0) / 2.0) * 2
        top = round((centre[1] * ch - self.height / 2.0) / 2.0) * 2
        return left, top


def _over(text: np.ndarray, background: np.ndarray | None) -> np.ndarray:
    if background is None:
        return text
    return np.asarray(Image.alpha_composite(Image.fromarray(background), Image.fromarray(text)))


def _planes(
    rgba: np.ndarray, deep: bool = False
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, np.ndarray]]:
    h, w = rgba.shape[:2]
    i420 = sprite_i420(np.ascontiguousarray(rgba[:, :, :3]), deep)
    chroma = i420[h:].reshape(-1)
    q = (h // 2) * (w // 2)
    planes = (i420[:h], chroma[:q].reshape(h // 2, w // 2), chroma[q:].reshape(h // 2, w // 2))
    alpha = rgba[:, :, 3].astype(np.float32) / 255.0
    return planes, (alpha, cv2.resize(alpha, (w // 2, h // 2), interpolation=cv2.INTER_AREA))


class _Shaper:
    """Measures and draws text at one size with the fallback chain (see :mod:`studio.render.fonts`)."""

    def __init__(self, primary: str, size: int) -> None:
        self.primary = primary
        self.size = size
        self.font = _font(primary, size)
        self.missing: list[str] = []

    def runs(self, text: str) -> list[tuple[str, ImageFont.FreeTypeFont]]:
        pieces, missing = fonts.runs(text, self.primary)
        out: list[tuple[str, ImageFont.FreeTypeFont]] = []
        for piece, path in pieces:
            font = _try_font(path, self.size) or self.font
            if font is self.font and path != self.primary:
                missing += piece  # a font that has the glyph but cannot be drawn at this size
            out.append((piece, font))
        self.missing.extend(c for c in missing if c not in self.missing)
        return out

    def length(self, text: str) -> float:
        return sum(font.getlength(piece) for piece, font in self.runs(text))


def _wrap(text: str, shaper: _Shaper, max_width: int) -> list[list[str]]:
    """Lines of words within ``max_width`` px; a word wider than that (or text without spaces,
    such as Chinese or Japanese) is broken between characters."""
    lines: list[list[str]] = []
    space = shaper.length(" ")
    for paragraph in text.split("\n"):
        line: list[str] = []
        width = 0.0
        for word in _pieces(paragraph.split(), shaper, max_width):
            w = shaper.length(word)
            if line and width + space + w > max_width:
                lines.append(line)
                line, width = [], 0.0
            width = w if not line else width + space + w
            line.append(word)
        lines.append(line)
    return lines


def _pieces(words: list[str], shaper: _Shaper, max_width: int) -> list[str]:
    out: list[str] = []
    for word in words:
        if shaper.length(word) <= max_width or len(word) == 1:
            out.append(word)
            continue
        piece = ""
        for ch in word:
            if piece and shaper.length(piece + ch) > max_width:
                out.append(piece)
                piece = ""
            piece += ch
        if piece:
            out.append(piece)
    return out


@dataclass
class _Drawn:
    text: np.ndarray  # RGBA uint8: the text (fill + stroke) alone
    background: np.ndarray | None  # RGBA uint8: the box alone
    boxes: list[tuple[int, int, int, int]]
    missing: str  # characters no installed font has


def _draw(look: TextLook) -> _Drawn:
    shaper = _Shaper(look.font_path, look.size_px)
    font = shaper.font
    ascent, descent = font.getmetrics()
    line_h = max(1, round(look.size_px * look.line_spacing))
    pad = look.stroke_px + (look.padding_px if look.background else 2)
    lines = _wrap(look.text, shaper, max(1, look.max_width_px - 2 * pad))
    space = shaper.length(" ")
    widths = [sum(shaper.length(w) for w in words) + space * max(0, len(words) - 1) for words in lines]
    block_w = int(max(widths, default=0)) + 2 * pad
    block_h = line_h * (len(lines) - 1) + ascent + descent + 2 * pad
    block_w += block_w % 2
    block_h += block_h % 2
    fill_mask = Image.new("L", (block_w, block_h), 0)
    shape_mask = Image.new("L", (block_w, block_h), 0)
    d_fill, d_shape = ImageDraw.Draw(fill_mask), ImageDraw.Draw(shape_mask)
    stroke = look.stroke is not None and look.stroke_px > 0
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
            x0 = x
            for piece, face in shaper.runs(word):
                # one baseline for every font of the chain
                d_fill.text((x, y + ascent), piece, font=face, fill=255, anchor="ls")
                if stroke:
                    d_shape.text(
                        (x, y + ascent),
                        piece,
                        font=face,
                        fill=255,
                        stroke_width=look.stroke_px,
                        stroke_fill=255,
                        anchor="ls",
                    )
                x += face.getlength(piece)
            boxes.append(
                (
                    max(0, int(x0) - look.stroke_px - 1),
                    max(0, y - look.stroke_px),
                    min(block_w, int(x) + look.stroke_px + 2),
                    min(block_h, y + max(line_h, ascent + descent) + look.stroke_px),
                )
            )
            x += space
    f = np.asarray(fill_mask, np.float32) / 255.0
    shape = np.maximum(np.asarray(shape_mask, np.float32) / 255.0, f)
    fill_rgb = np.array(look.color[:3], np.float32)
    stroke_rgb = np.array((look.stroke if stroke and look.stroke else look.color)[:3], np.float32)
    rgb = stroke_rgb * (1.0 - f[..., None]) + fill_rgb * f[..., None]
    alpha = shape * (look.color[3] / 255.0)
    text_rgba = np.dstack([rgb, alpha * 255.0]).round().astype(np.uint8)
    background = None
    if look.background is not None:
        bg = Image.new("RGBA", (block_w, block_h), (0, 0, 0, 0))
        ImageDraw.Draw(bg).rounded_rectangle(
            (0, 0, block_w - 1, block_h - 1), radius=int(look.size_px * 0.25), fill=look.background
        )
        background = np.asarray(bg)
    if shaper.missing:
        log.info("no installed font can draw %s", "".join(shaper.missing))
    return _Drawn(text_rgba, background, boxes, "".join(shaper.missing))


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
