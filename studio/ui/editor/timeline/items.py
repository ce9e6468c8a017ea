"""What the timeline draws inside a clip: thumbnails and waveforms, computed in the background.

Pictures and peaks come from the app's one media cache (:func:`media_cache`,
``studio.media.cache``: memory LRU bounded by bytes + ``<cache>/media`` on disk, keyed by path,
size, mtime, kind and parameters), which the media bin and the effects panel use too, so a
thumbnail the bin made is not decoded again here. :class:`ThumbnailCache` keeps the draw-ready
``QPixmap`` s (scaled to the row height, a bounded LRU) of ``(source, time bucket)``; a missing
one is requested once on the job runner's ``thumbnails`` lane and the view repaints when it
arrives; until then a source shows its poster (the bin's thumbnail). :class:`WaveformStore`
does the same for audio peaks (``studio.audio.waveform``'s peaks when installed, else
``decode_audio`` and numpy min/max). Painting functions take everything they need and never block.
"""

from __future__ import annotations

import importlib.util
import logging
import math
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

from studio.jobs.runner import JobContext, JobRunner
from studio.media.cache import POSTER, MediaCache, shared_cache
from studio.media.cache import thumbnail as cached_thumbnail
from studio.ui.jobs import Op

log = logging.getLogger(__name__)

THUMB_LANE = "thumbnails"
WAVE_LANE = "waveforms"
MAX_PENDING = 24
MAX_PIXMAPS = 600  # draw-ready tiles kept (the arrays behind them live in the media cache)


def media_cache() -> MediaCache:
    """The profile's one media cache (``<cache>/media``), shared by the bin, timeline and effects."""
    from studio.config import app_paths

    return shared_cache(app_paths().cache / "media")


def bucket_step(seconds_per_tile: float) -> float:
    """Thumbnail time resolution: a power of two seconds at least one tile wide (>= 0.25 s)."""
    return 2.0 ** max(-2, math.ceil(math.log2(max(seconds_per_tile, 1e-3))))


def to_image(rgb: np.ndarray) -> QImage:
    h, w = rgb.shape[:2]
    rgb = np.ascontiguousarray(rgb)
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class ThumbnailCache(QObject):
    """Pixmaps of ``(source, time bucket)`` at a fixed height; fills itself in the background."""

    updated = Signal()

    def __init__(
        self,
        runner: JobRunner | None,
        height: int = 48,
        parent: QObject | None = None,
        *,
        cache: MediaCache | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.height = height
        self.media_cache = cache if cache is not None else media_cache()
        self._pixmaps: OrderedDict[tuple[str, float], QPixmap] = OrderedDict()
        self._any: dict[str, QPixmap] = {}
        self._pending: set[tuple[str, float]] = set()
        self._posters: set[str] = set()
        self._failed: set[str] = set()

    def __len__(self) -> int:
        return len(self._pixmaps)

    def _scaled(self, image: QImage) -> QPixmap:
        pixmap = QPixmap.fromImage(image)
        if pixmap.height() != self.height:
            pixmap = pixmap.scaledToHeight(self.height, Qt.TransformationMode.SmoothTransformation)
        return pixmap

    def put(self, source: str, t: float, image: QImage) -> None:
        pixmap = self._scaled(image)
        self._pixmaps[(source, t)] = pixmap
        self._pixmaps.move_to_end((source, t))
        while len(self._pixmaps) > MAX_PIXMAPS:
            self._pixmaps.popitem(last=False)
        self._any.setdefault(source, pixmap)

    def put_poster(self, source: str, image: QImage) -> None:
        """The source's default thumbnail (the bin's): its shape and the tile shown until frames arrive."""
        self._any[source] = self._scaled(image)

    def aspect(self, source: str) -> float:
        pixmap = self._any.get(source)
        return pixmap.width() / pixmap.height() if pixmap is not None and pixmap.height() else 9 / 16

    def get(self, source: str, t: float) -> QPixmap | None:
        """The pixmap for this bucket; else any of the source (requested meanwhile); else None."""
        key = (source, t)
        pixmap = self._pixmaps.get(key)
        if pixmap is not None:
            self._pixmaps.move_to_end(key)
            return pixmap
        if source not in self._any:
            self._request_poster(source)
        self._request(key)
        return self._any.get(source)

    def _request_poster(self, source: str) -> None:
        if self.runner is None or source in self._posters or source in self._failed:
            return
        self._posters.add(source)
        cache = self.media_cache

        def make(ctx: JobContext) -> QImage:
            ctx.check()
            return to_image(cached_thumbnail(cache, source, None, POSTER))

        def done(image: QImage) -> None:
            self.put_poster(source, image)
            self.updated.emit()

        try:
            Op(self.runner, make, name="Thumbnail", lane=THUMB_LANE).success(done).failure(
                lambda exc: log.info("no poster for %s: %s", Path(source).name, exc)
            ).run()
        except RuntimeError:  # the runner is shut down (window closing)
            pass

    def _request(self, key: tuple[str, float]) -> None:
        source, t = key
        if self.runner is None or key in self._pending or source in self._failed:
            return
        if len(self._pending) >= MAX_PENDING:
            return
        self._pending.add(key)
        height = self.height
        cache = self.media_cache

        def make(ctx: JobContext) -> QImage:
            ctx.check()
            return to_image(cached_thumbnail(cache, source, t, (height * 4, height)))

        def done(image: QImage) -> None:
            self._pending.discard(key)
            self.put(source, t, image)
            self.updated.emit()

        def failed(exc: BaseException) -> None:
            self._pending.discard(key)
            self._failed.add(source)
            log.info("no timeline thumbnail for %s: %s", Path(source).name, exc)

        try:
            Op(self.runner, make, name="Thumbnail", lane=THUMB_LANE).success(done).failure(failed).cancelled(
                lambda: self._pending.discard(key)
            ).run()
        except RuntimeError:  # the runner is shut down (window closing)
            self._pending.discard(key)


class Peaks:
    """Min/max per fixed block of samples; ``columns`` answers like ``Waveform.columns``."""

    def __init__(self, minmax: np.ndarray, rate: int, block: int) -> None:
        self.minmax, self.rate, self.block = minmax, rate, block

    @classmethod
    def from_samples(cls, samples: np.ndarray, rate: int, block: int = 256) -> Peaks:
        mono = samples.reshape(len(samples), -1)
        n = len(mono) // block
        if n == 0:
            return cls(np.zeros((0, 2), np.float32), rate, block)
        blocks = mono[: n * block].reshape(n, block * mono.shape[1])
        return cls(np.stack([blocks.min(axis=1), blocks.max(axis=1)], axis=1).astype(np.float32), rate, block)

    def columns(self, t0: float, t1: float, width: int) -> np.ndarray:
        out = np.zeros((max(0, width), 2), np.float32)
        if width <= 0 or t1 <= t0 or not len(self.minmax):
            return out
        edges = np.linspace(t0 * self.rate / self.block, t1 * self.rate / self.block, width + 1)
        lo = np.clip(np.floor(edges[:-1]).astype(np.int64), 0, len(self.minmax) - 1)
        hi = np.clip(np.maximum(np.ceil(edges[1:]).astype(np.int64), lo + 1), 1, len(self.minmax))
        inside = edges[:-1] < len(self.minmax)
        for i in np.nonzero(inside)[0]:
            part = self.minmax[lo[i] : hi[i]]
            out[i] = (part[:, 0].min(), part[:, 1].max())
        return out


WAVE_RATE = 8000  # the fallback peaks' sample rate (without studio.audio)


def _audio_waveform(source: str, ctx: JobContext) -> dict[str, np.ndarray]:
    """Worker side: ``studio.audio.waveform`` peaks of ``source`` (decoded in ~1 min chunks)."""
    from studio.audio import DEFAULT_RATE
    from studio.audio.sources import load_audio
    from studio.audio.waveform import CHUNK_FRAMES, compute_peaks

    rate, frames = DEFAULT_RATE, 0
    parts: dict[int, list[np.ndarray]] = {}
    while True:
        ctx.check()
        chunk = load_audio(source, start=frames / rate, duration=CHUNK_FRAMES / rate, rate=rate)[
            :CHUNK_FRAMES
        ]
        if len(chunk):
            for bucket, peaks in compute_peaks(chunk).items():
                parts.setdefault(bucket, []).append(peaks)
            frames += len(chunk)
        if len(chunk) < CHUNK_FRAMES - rate // 100:
            break
    levels = {b: np.concatenate(p) for b, p in parts.items()} if parts else compute_peaks(np.zeros((0, 2)))
    out = {f"b{bucket}": peaks for bucket, peaks in levels.items()}
    out["rate"], out["frames"] = np.array(rate), np.array(frames)
    return out


def _fallback_peaks(source: str) -> dict[str, np.ndarray]:
    from studio.media.audio import decode_audio

    peaks = Peaks.from_samples(decode_audio(source, rate=WAVE_RATE), WAVE_RATE, block=64)
    return {"minmax": peaks.minmax, "rate": np.array(peaks.rate), "block": np.array(peaks.block)}


def _peaks_of(source: str, cache: MediaCache, ctx: JobContext) -> Any:
    """Worker side: the source's waveform through the media cache (``Waveform`` of
    ``studio.audio.waveform`` when installed, else :class:`Peaks` from decode_audio)."""
    if importlib.util.find_spec("studio.audio.waveform") is not None:
        from studio.audio.waveform import FORMAT_VERSION, Waveform

        value = cache.get(source, "waveform", ("audio", FORMAT_VERSION), lambda p: _audio_waveform(p, ctx))
        assert isinstance(value, dict)
        levels = {int(k[1:]): v for k, v in value.items() if k.startswith("b")}
        return Waveform(int(value["rate"]), int(value["frames"]), levels)
    value = cache.get(source, "waveform", ("peaks", WAVE_RATE, 64), _fallback_peaks)
    assert isinstance(value, dict)
    return Peaks(value["minmax"], int(value["rate"]), int(value["block"]))


class WaveformStore(QObject):
    """Waveforms by source; each computed once in the background, kept in the media cache.

    ``cache_dir`` is no longer used (peaks live in the shared media cache, ``cache``, the
    profile's by default); it stays so existing callers keep working."""

    updated = Signal()

    def __init__(
        self,
        runner: JobRunner | None,
        cache_dir: Path | None = None,
        parent: QObject | None = None,
        *,
        cache: MediaCache | None = None,
    ):
        super().__init__(parent)
        self.runner = runner
        self.cache_dir = cache_dir
        self.media_cache = cache if cache is not None else media_cache()
        self._waves: dict[str, Any] = {}
        self._pending: set[str] = set()
        self._failed: set[str] = set()

    def put(self, source: str, wave: Any) -> None:
        self._waves[source] = wave

    def get(self, source: str) -> Any:
        wave = self._waves.get(source)
        if wave is None and self.runner is not None and source not in self._pending | self._failed:
            self._pending.add(source)
            cache = self.media_cache

            def done(result: Any) -> None:
                self._pending.discard(source)
                self._waves[source] = result
                self.updated.emit()

            def failed(exc: BaseException) -> None:
                self._pending.discard(source)
                self._failed.add(source)
                log.info("no waveform for %s: %s", Path(source).name, exc)

            try:
                Op(
                    self.runner,
                    lambda ctx: _peaks_of(source, cache, ctx),
                    name="Waveform",
                    lane=WAVE_LANE,
                ).success(done).failure(failed).run()
            except RuntimeError:
                self._pending.discard(source)
        return wave


def paint_thumbnails(
    painter: QPainter,
    cache: ThumbnailCache,
    clip: Any,
    rect: QRectF,
    visible_x: tuple[float, float],
    x_to_source: Callable[[float], float],
) -> None:
    """Tile the clip's body with thumbnails; tiles are anchored to the clip's left edge."""
    if rect.width() < 12:
        return
    tile_w = max(8.0, rect.height() * cache.aspect(clip.source))
    x_lo = max(rect.left(), visible_x[0])
    x_hi = min(rect.right(), visible_x[1])
    if x_hi <= x_lo:
        return
    first = int((x_lo - rect.left()) // tile_w)
    last = int((x_hi - rect.left()) // tile_w)
    step = bucket_step(abs(x_to_source(rect.left() + tile_w) - x_to_source(rect.left())))
    painter.setClipRect(rect)
    for k in range(first, last + 1):
        x = rect.left() + k * tile_w
        t = math.floor(max(0.0, x_to_source(x + tile_w / 2)) / step) * step
        pixmap = cache.get(clip.source, t)
        if pixmap is None:
            break
        painter.drawPixmap(round(x), round(rect.top()), pixmap)
    painter.setClipping(False)


def waveform_image(cols: np.ndarray, height: int, color: QColor) -> QImage:
    """Min/max columns (-1..1) as a transparent picture, one pixel column each (numpy, no loop)."""
    width = len(cols)
    mid = (height - 1) / 2
    top = np.floor(mid - np.clip(cols[:, 1], -1, 1) * mid)
    bottom = np.ceil(mid - np.clip(cols[:, 0], -1, 1) * mid)
    bottom = np.maximum(bottom, top + 1)
    ys = np.arange(height, dtype=np.float32)[:, None]
    mask = (ys >= top[None, :]) & (ys <= bottom[None, :])
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[mask] = (color.red(), color.green(), color.blue(), color.alpha())
    return QImage(rgba.data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()


MAX_WAVE_PX = 4096
WAVE_CACHE_ENTRIES = 96


class WaveformPainter:
    """Draws clip waveforms from cached pictures: one per clip and zoom level, so scrolling
    and playhead repaints only blit; very long clips at high zoom draw the visible part."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Any, ...], QPixmap] = {}

    def paint(
        self,
        painter: QPainter,
        wave: Any,
        clip: Any,
        rect: QRectF,
        visible_x: tuple[float, float],
        pps: float,
        color: QColor,
    ) -> None:
        height = max(4, int(rect.height()))
        total = math.ceil(rect.width())
        if total <= 0:
            return
        if total <= MAX_WAVE_PX:
            x0, width = 0, total
        else:
            x0 = int(max(0.0, visible_x[0] - rect.left()))
            width = int(min(rect.right(), visible_x[1]) - rect.left()) - x0
            if width <= 0:
                return
        key = (
            id(wave),
            clip.source,
            clip.in_point,
            clip.speed,
            round(pps, 6),
            total,
            x0,
            width,
            height,
            color.rgba(),
        )
        pixmap = self._cache.get(key)
        if pixmap is None:
            t0 = clip.in_point + x0 / pps * clip.speed
            t1 = clip.in_point + (x0 + width) / pps * clip.speed
            pixmap = QPixmap.fromImage(waveform_image(wave.columns(t0, t1, width), height, color))
            if len(self._cache) >= WAVE_CACHE_ENTRIES:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = pixmap
        painter.drawPixmap(QPointF(rect.left() + x0, rect.top()), pixmap)
