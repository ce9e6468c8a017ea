"""One output frame from the project at time t, given each active clip's source frame.

The same code serves export (full size) and preview (reduced ``scale``). Tracks are drawn bottom
to top; a clip in its transition window is blended with the clip before it on the same track
(both drawn over what lies below, then mixed). Everything stays I420: resize per plane, filter
chain on the visible part of the clip, paste, text sprites blended inside their boxes.

With ``deep=True`` (the HDR export) every buffer is 10-bit HLG I420 (uint16, ``studio.media.hlg``):
the same placement, opacity, transitions and text, with the background and the text sprites
placed into HLG by the BT.2408 mapping, and the built-in filters that declare ``deep`` (colour,
vignette, blur, sharpen, grain, chroma key, face blur, face sticker, reframe) on 10-bit codes; any other filter on a
deep frame is an error
(``studio.render.hdr_export`` refuses such a project before any work).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping

import cv2
import numpy as np

from studio.core.frame import Frame
from studio.core.project import Project, TextItem, Track, VideoClip
from studio.render import transitions
from studio.render.filters import ClipFilters
from studio.render.text import TextLook, TextSprite, parse_color, resolve_font
from studio.render.yuv import (
    compute_placement,
    crop_frame,
    paste,
    planes_of,
    resize_region,
    sprite_i420,
    warp_onto,
)

_SPRITE_CACHE = 64

log = logging.getLogger(__name__)


def active_video_clips(project: Project, t: float) -> list[VideoClip]:
    """Every video clip whose picture is needed at ``t`` (hidden tracks left out)."""
    out: list[VideoClip] = []
    for track in project.video_tracks():
        if track.hidden:
            continue
        out.extend(c for c in track.clips_at(t) if isinstance(c, VideoClip))
    return out


def _background_i420(color: str, width: int, height: int, deep: bool = False) -> np.ndarray:
    rgba = parse_color(color, (0, 0, 0, 255)) or (0, 0, 0, 255)
    patch = np.empty((2, 2, 3), np.uint8)
    patch[:] = rgba[:3]
    yuv = sprite_i420(patch, deep).reshape(-1)
    buf = np.empty((height * 3 // 2, width), yuv.dtype)
    y, u, v = planes_of(buf, width, height)
    y[:] = yuv[0]
    u[:] = yuv[4]
    v[:] = yuv[5]
    return buf


class _Canvas:
    """An I420 buffer that may be borrowed (a decoder's frame): copied before the first write."""

    def __init__(self, buf: np.ndarray, owned: bool) -> None:
        self.buf = buf
        self.owned = owned

    def writable(self) -> np.ndarray:
        if not self.owned:
            self.buf = self.buf.copy()
            self.owned = True
        return self.buf


class Compositor:
    """Draws project frames at ``width`` x ``height`` (the canvas scaled; text and placement scale too)."""

    def __init__(
        self,
        project: Project,
        width: int,
        height: int,
        fps: float,
        mode: str = "export",
        *,
        quiet: bool = False,
        deep: bool = False,
    ) -> None:
        """``quiet``: warnings (text that cannot be drawn whole) go to ``warnings`` and the log's
        info level only, for a caller that shows them itself. ``deep``: compose 10-bit HLG frames
        (the HDR export); the sources must be deep frames too."""
        self.project = project
        self.deep = deep
        self.warnings: list[str] = []
        self._quiet = quiet
        self._warned: set[tuple[str, str]] = set()
        self.width, self.height = width, height
        self.fps = fps
        self.scale = width / project.canvas.width
        self.filters = ClipFilters(fps, mode, deep)
        self._background = _background_i420(project.canvas.background, width, height, deep)
        self._sprites: OrderedDict[tuple[str, TextLook], TextSprite] = OrderedDict()

    def close(self) -> None:
        self.filters.close()

    # ------------------------------------------------------------------ frames

    def compose(self, t: float, sources: Mapping[str, Frame]) -> np.ndarray:
        """The I420 buffer (h*3/2, w) of the output frame at timeline time ``t``.

        ``sources`` maps each active video clip's id to its source frame at ``clip.source_time(t)``.
        The returned buffer may be shared with a source frame; do not write to it.
        """
        canvas = _Canvas(self._background, owned=False)
        for track in self.project.tracks:
            if track.hidden:
                continue
            if track.kind == "video":
                self._draw_video_track(canvas, track, t, sources)
            elif track.kind == "text":
                for item in track.items_at(t):
                    self._draw_text(canvas, item, t)
        return canvas.buf

    def _draw_video_track(
        self, canvas: _Canvas, track: Track, t: float, sources: Mapping[str, Frame]
    ) -> None:
        active = [c for c in track.clips_at(t) if isinstance(c, VideoClip) and c.id in sources]
        if not active:
            return
        transition: tuple[VideoClip, VideoClip, float] | None = None
        for clip in active:
            p = clip.transition_progress(t)
            if p is None:
                continue
            prev = track.previous_clip(clip)
            if isinstance(prev, VideoClip) and any(c is prev for c in active):
                transition = (prev, clip, p)
        if transition is None:
            for clip in active:
                self._draw_clip(canvas, clip, t, sources[clip.id])
            return
        a_clip, b_clip, p = transition
        index_a = next(i for i, c in enumerate(active) if c is a_clip)
        for clip in active[:index_a]:
            self._draw_clip(canvas, clip, t, sources[clip.id])
        below = canvas.buf
        a = _Canvas(below, owned=False)
        self._draw_clip(a, a_clip, t, sources[a_clip.id])
        b = _Canvas(below, owned=False)
        self._draw_clip(b, b_clip, t, sources[b_clip.id])
        kind = b_clip.transition_in.kind if b_clip.transition_in else "crossfade"
        direction = b_clip.transition_in.direction if b_clip.transition_in else "left"
        canvas.buf = transitions.apply(
            kind, a.buf, b.buf, p, self.width, self.height, direction, bits=10 if self.deep else 8
        )
        canvas.owned = canvas.buf is not a.buf and canvas.buf is not b.buf and canvas.buf is not below
        for clip in active[index_a + 1 :]:
            if clip is not b_clip:
                self._draw_clip(canvas, clip, t, sources[clip.id])

    def _draw_clip(self, canvas: _Canvas, clip: VideoClip, t: float, frame: Frame) -> None:
        local = t - clip.start
        opacity = clip.value_at("opacity", local)
        if opacity <= 0.0:
            return
        crop = None
        if clip.fit == "crop":
            c = clip.crop
            crop = (c.left, c.top, 1.0 - c.left - c.right, 1.0 - c.top - c.bottom)
        placement = compute_placement(
            frame.width,
            frame.height,
            self.width,
            self.height,
            fit=clip.fit,
            x=clip.value_at("transform.x", local),
            y=clip.value_at("transform.y", local),
            scale=clip.value_at("transform.scale", local),
            rotation=clip.value_at("transform.rotation", local),
            crop=crop,
        )
        if not placement.visible:
            return
        if placement.matrix is not None:
            src = crop_frame(frame, placement.src)
            region = self._filter(clip, src, local)
            matrix = placement.matrix.copy()
            ox, oy = int(placement.src[0]) & ~1, int(placement.src[1]) & ~1
            matrix[:, 2] += matrix[:, 0] * ox + matrix[:, 1] * oy
            if opacity >= 1.0:
                warp_onto(canvas.writable(), self.width, self.height, region, matrix)
            else:
                layer = canvas.buf.copy()
                warp_onto(layer, self.width, self.height, region, matrix)
                canvas.buf = cv2.addWeighted(canvas.buf, 1.0 - opacity, layer, opacity, 0.0)
                canvas.owned = True
            return
        region = self._filter(clip, resize_region(frame, placement), local)
        if placement.covers_canvas and opacity >= 1.0:
            buf = region.as_i420()
            canvas.buf = buf
            canvas.owned = buf is not frame.as_i420() and region is not frame
            return
        if opacity >= 1.0:
            paste(canvas.writable(), self.width, self.height, region, placement.dst)
            return
        dst = canvas.writable()
        x0, y0, x1, y1 = placement.dst
        for d, s, div in zip(
            planes_of(dst, self.width, self.height), region.planes(), (1, 2, 2), strict=True
        ):
            roi = d[y0 // div : y1 // div, x0 // div : x1 // div]
            roi[...] = cv2.addWeighted(roi, 1.0 - opacity, s, opacity, 0.0)

    def _filter(self, clip: VideoClip, frame: Frame, local: float) -> Frame:
        """The clip's filter chain. On deep frames only filters that declare ``deep`` run; any
        other is a FilterError (the HDR export refuses such a project before it starts)."""
        return self.filters.process(clip, frame, local)

    # ------------------------------------------------------------------ text

    def text_look(self, item: TextItem, local_t: float) -> TextLook:
        style = item.style
        size = item.value_at("style.size", local_t) if item.keyframes.get("style.size") else style.size
        return TextLook(
            text=item.text,
            font_path=str(resolve_font(style.font, style.bold)),
            size_px=max(1, round(size * self.scale)),
            color=parse_color(style.color, (255, 255, 255, 255)) or (255, 255, 255, 255),
            stroke=parse_color(style.stroke, None) if style.stroke_width > 0 else None,
            stroke_px=round(style.stroke_width * self.scale) if style.stroke else 0,
            background=parse_color(style.background, None),
            align=style.align,
            max_width_px=max(1, int(style.max_width * self.width)),
            line_spacing=style.line_spacing,
            padding_px=round(style.background_padding * self.scale),
        )

    def sprite(self, item: TextItem, local_t: float = 0.0) -> TextSprite:
        key = (item.id, self.text_look(item, local_t))
        sprite = self._sprites.get(key)
        if sprite is None:
            sprite = TextSprite(key[1], deep=self.deep)
            self._sprites[key] = sprite
            if sprite.missing:
                self._warn(
                    item,
                    "glyphs",
                    f"no installed font can draw {sprite.missing} in the text {_quote(item.text)}; "
                    "they show as boxes (install a font that has them, e.g. Noto)",
                )
            while len(self._sprites) > _SPRITE_CACHE:
                self._sprites.popitem(last=False)
        else:
            self._sprites.move_to_end(key)
        return sprite

    def _draw_text(self, canvas: _Canvas, item: TextItem, t: float) -> None:
        opacity = item.opacity_at(t)
        if opacity <= 0.0 or not item.text.strip():
            return
        local = t - item.start
        sprite = self.sprite(item, local)
        shown = item.visible_word_count(t) if item.reveal == "word" else None
        if shown == 0:
            return
        centre = (item.value_at("position.x", local), item.value_at("position.y", local))
        top = sprite.origin(self.width, self.height, centre)[1]
        if top + sprite.height > self.height:
            self._warn(
                item,
                "bottom",
                f"the text {_quote(item.text)} runs off the bottom of the video; "
                "move it up, shorten it or make it smaller",
            )
        sprite.blend(canvas.writable(), self.width, self.height, centre, opacity, shown)

    def _warn(self, item: TextItem, what: str, message: str) -> None:
        if (item.id, what) in self._warned:
            return
        self._warned.add((item.id, what))
        self.warnings.append(message)
        (log.info if self._quiet else log.warning)(message)


def _quote(text: str, limit: int = 30) -> str:
    flat = " ".join(text.split())
    return f"'{flat if len(flat) <= limit else flat[: limit - 1] + '…'}'"
