"""A version of a project in pictures: a few frames evenly spaced over its duration, and covers.

Worker side only (it decodes; no Qt). Frames come from the preview renderer's graph
(:class:`~studio.render.preview.PreviewRenderer`: filters, compositor, text) at a small scale
(``height`` pixels tall), so a filmstrip shows what the player and the export show. Each source is
read through its preview proxy when one was already built (a keyframe every few frames: a seek
costs a few ms), else from the source itself on the fast seek path: a seek to the keyframe before
each time, then decoding forward to it, but at most :data:`FORWARD_BUDGET_S` past that keyframe
(so a source with a keyframe every 2 s may show a picture up to 1.5 s early; text, filters and
everything drawn over it are at the exact time, and two versions of a draft over the same media
get the same pictures). A filmstrip never starts a proxy build (that is the player's business).

Strips are cached by a content key (the document, the media files' size and mtime, the times and
the height): in memory (LRU) and on disk as ``.npz`` files in a cache folder, so a version seen
once shows at once the next time. Two versions compared side by side are rendered at the same
times (:func:`strip_times` of the longer one); a time past a version's end has no frame (None).

Covers: :func:`cover_frame` is the first frame that is not black in the first seconds, else the
frame a third of the way in.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.core.project import Project, VideoClip
from studio.media.decode import VideoDecoder
from studio.media.errors import MediaError
from studio.render.preview import PreviewRenderer

if TYPE_CHECKING:
    from studio.core.frame import Frame

log = logging.getLogger(__name__)

FORWARD_BUDGET_S = 0.5  # decoding forward from a keyframe stops this far past it
STRIP_FRAMES = 8
STRIP_HEIGHT = 96
CACHE_VERSION = 1
MEMORY_STRIPS = 96
COVER_HEIGHT = 640
COVER_SCAN_SECONDS = 3.0
COVER_SCAN_STEP = 0.25
BLACK_LUMA = 28.0  # mean luma (RGB, 0..255) below which a picture may be black...
BRIGHT_LUMA = 64.0  # ...if fewer than BRIGHT_SHARE of its pixels are brighter than this
BRIGHT_SHARE = 0.0005

FrameCallback = Callable[[int, float, "np.ndarray | None"], None]


def strip_times(duration: float, count: int = STRIP_FRAMES) -> list[float]:
    """``count`` moments evenly spaced over ``[0, duration)``: the middle of each of ``count``
    equal parts (never the very first or last frame, which are often black)."""
    if duration <= 0 or count <= 0:
        return []
    step = duration / count
    return [round((i + 0.5) * step, 6) for i in range(count)]


def is_black(rgb: np.ndarray) -> bool:
    """A picture that is dark all over (a black leader, a fade): a dark mean and next to no
    bright pixels (a title over black is a picture)."""
    luma = rgb.astype(np.float32) @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    return float(luma.mean()) < BLACK_LUMA and float((luma > BRIGHT_LUMA).mean()) < BRIGHT_SHARE


@dataclass(frozen=True)
class Filmstrip:
    """Frames of one version at ``times`` (RGB ``uint8``, all the same size; None past the end)."""

    key: str
    duration: float
    times: tuple[float, ...]
    frames: tuple[np.ndarray | None, ...]

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames; (0, 0) when there is none."""
        for frame in self.frames:
            if frame is not None:
                return frame.shape[1], frame.shape[0]
        return 0, 0

    def frame_near(self, fraction: float) -> np.ndarray | None:
        """The frame shown at ``fraction`` (0..1) of the strip's width (for scrubbing)."""
        if not self.frames:
            return None
        index = min(len(self.frames) - 1, max(0, int(fraction * len(self.frames))))
        return self.frames[index]


# -- keys and cache ---------------------------------------------------------------------------


def _media_stamps(project: Project) -> list[tuple[str, int, int]]:
    stamps = []
    for _track, clip in project.iter_clips():
        if not isinstance(clip, VideoClip):
            continue
        try:
            st = os.stat(clip.source)
            stamps.append((clip.source, st.st_size, st.st_mtime_ns))
        except OSError:
            stamps.append((clip.source, -1, -1))
    return sorted(set(stamps))


def filmstrip_key(project: Project, times: Sequence[float], height: int) -> str:
    """A content key: the same document, media, times and height always give the same key."""
    doc = project.to_dict()
    payload = json.dumps(
        [CACHE_VERSION, doc, _media_stamps(project), [round(t, 6) for t in times], height],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


class FilmstripCache:
    """Strips by key: an LRU in memory and ``<folder>/<key>.npz`` on disk (``folder`` None: memory
    only). Thread-safe."""

    def __init__(self, folder: str | os.PathLike[str] | None, memory: int = MEMORY_STRIPS) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.memory = memory
        self._strips: OrderedDict[str, Filmstrip] = OrderedDict()
        self._lock = threading.Lock()

    def _path(self, key: str) -> Path | None:
        return self.folder / f"{key}.npz" if self.folder is not None else None

    def get(self, key: str) -> Filmstrip | None:
        with self._lock:
            strip = self._strips.get(key)
            if strip is not None:
                self._strips.move_to_end(key)
                return strip
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            strip = _load(path, key)
        except (OSError, ValueError, KeyError) as exc:
            log.debug("filmstrip cache %s unreadable (%s); rendering again", path, exc)
            path.unlink(missing_ok=True)
            return None
        self._remember(strip)
        return strip

    def put(self, strip: Filmstrip) -> None:
        self._remember(strip)
        path = self._path(strip.key)
        if path is None:
            return
        try:
            _save(path, strip)
        except OSError as exc:
            log.warning("filmstrip not cached on disk: %s", exc)

    def _remember(self, strip: Filmstrip) -> None:
        with self._lock:
            self._strips[strip.key] = strip
            self._strips.move_to_end(strip.key)
            while len(self._strips) > self.memory:
                self._strips.popitem(last=False)

    def clear_memory(self) -> None:
        with self._lock:
            self._strips.clear()


def _save(path: Path, strip: Filmstrip) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = strip.size
    present = np.array([f is not None for f in strip.frames], bool)
    stack = np.zeros((len(strip.frames), height, width, 3), np.uint8)
    for i, frame in enumerate(strip.frames):
        if frame is not None:
            stack[i] = frame
    tmp = path.with_name(f".{path.stem}.{threading.get_ident()}.tmp.npz")
    np.savez(tmp, frames=stack, present=present, times=np.array(strip.times), duration=strip.duration)
    os.replace(tmp, path)


def _load(path: Path, key: str) -> Filmstrip:
    with np.load(path) as data:
        stack, present = data["frames"], data["present"]
        frames = tuple(stack[i].copy() if present[i] else None for i in range(len(present)))
        return Filmstrip(key, float(data["duration"]), tuple(float(t) for t in data["times"]), frames)


_caches: dict[str, FilmstripCache] = {}
_caches_lock = threading.Lock()


def shared_cache(folder: str | os.PathLike[str] | None) -> FilmstripCache:
    """One cache per folder for the whole process (so every view shares the memory LRU)."""
    name = str(folder) if folder is not None else ""
    with _caches_lock:
        cache = _caches.get(name)
        if cache is None:
            cache = _caches[name] = FilmstripCache(folder)
        return cache


# -- rendering --------------------------------------------------------------------------------


def _existing_proxies() -> Any:
    """The profile's proxy cache, looked up only (never built); None when unavailable."""
    from studio.config import ConfigError
    from studio.render.preview import ProxyBuilder, default_proxy_cache

    class LookupOnly(ProxyBuilder):
        def request(self, source: str) -> None:  # a filmstrip never starts a proxy build
            return None

    try:
        return LookupOnly(default_proxy_cache())
    except (ConfigError, OSError) as exc:
        log.debug("filmstrips read the sources: %s", exc)
        return None


class KeyframeSeekDecoder(VideoDecoder):
    """``frame_at(t)`` after a seek to the keyframe before ``t``, decoding forward at most
    ``budget`` seconds past that keyframe (the frame at ``t`` when it is within the budget)."""

    def __init__(self, path: str, *, budget: float | None = None, cache_size: int = 1) -> None:
        super().__init__(path, cache_size=cache_size)
        self.budget = FORWARD_BUDGET_S if budget is None else budget

    def frame_at(self, t: float) -> Frame:
        if self._still is not None:
            return super().frame_at(t)
        target = self._pts_of(max(0.0, t))
        self._seek(target)
        if self._ahead is None:
            return super().frame_at(t)
        limit = (
            target
            if math.isinf(self.budget)
            else min(target, self._ahead.pts + round(self.budget / self._tb))
        )
        return self._convert(self._advance(limit))


class StripRenderer(PreviewRenderer):
    """The preview renderer on the fast seek path: existing proxies, else the sources read by a
    :class:`KeyframeSeekDecoder` (no proxy build is ever requested)."""

    def _open(self, clip: VideoClip) -> tuple[str, str, object]:
        proxy = self._proxy_for(clip.source)
        if proxy is not None:
            try:
                return clip.source, proxy, VideoDecoder(proxy, cache_size=1)
            except MediaError as exc:
                self._no_proxy.add(clip.source)
                log.debug("%s: its proxy cannot be read (%s)", clip.source, exc)
        return clip.source, clip.source, KeyframeSeekDecoder(clip.source)


def open_renderer(project: Project, height: int, *, proxies: bool = True) -> PreviewRenderer:
    """A renderer drawing ``project`` ``height`` pixels tall on the fast seek path."""
    scale = min(1.0, max(height, 2) / max(project.canvas.height, 2))
    renderer = StripRenderer(project, scale, cache_size=1, proxies=None)
    if proxies and scale < 1.0:
        renderer.proxy_builder = _existing_proxies()
    return renderer


def render_filmstrip(
    project: Project,
    times: Sequence[float] | None = None,
    *,
    height: int = STRIP_HEIGHT,
    count: int = STRIP_FRAMES,
    cache: FilmstripCache | None = None,
    on_frame: FrameCallback | None = None,
    check: Callable[[], None] | None = None,
    proxies: bool = True,
) -> Filmstrip:
    """The strip of ``project`` at ``times`` (default: :func:`strip_times` of its duration).

    ``on_frame(index, t, rgb)`` is called as each frame is ready (all at once from the cache);
    ``check`` (``JobContext.check``) stops a cancelled render between frames."""
    duration = project.duration
    times = tuple(strip_times(duration, count) if times is None else times)
    key = filmstrip_key(project, times, height)
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        if on_frame is not None:
            for i, (t, frame) in enumerate(zip(cached.times, cached.frames, strict=True)):
                on_frame(i, t, frame)
        return cached
    frames: list[np.ndarray | None] = []
    with open_renderer(project, height, proxies=proxies) as renderer:
        for i, t in enumerate(times):
            if check is not None:
                check()
            frame = renderer.frame_at(t).as_rgb().copy() if t < duration else None
            frames.append(frame)
            if on_frame is not None:
                on_frame(i, t, frame)
    strip = Filmstrip(key, duration, times, tuple(frames))
    if cache is not None:
        cache.put(strip)
    return strip


def render_frame(project: Project, t: float, height: int = COVER_HEIGHT) -> np.ndarray:
    """One RGB frame of ``project`` at ``t``, ``height`` pixels tall (e.g. a chosen cover)."""
    with open_renderer(project, height) as renderer:
        return renderer.frame_at(t).as_rgb().copy()


def has_pictures(project: Project) -> bool:
    """Whether anything is ever drawn (a clip on a shown video track, or a text item)."""
    return any(
        track.elements for track in project.tracks if track.kind in ("video", "text") and not track.hidden
    )


def cover_frame(
    project: Project,
    *,
    height: int = COVER_HEIGHT,
    scan_seconds: float = COVER_SCAN_SECONDS,
    step: float = COVER_SCAN_STEP,
    check: Callable[[], None] | None = None,
) -> tuple[np.ndarray, float] | None:
    """(RGB picture, its time) for a cover: the first frame that is not black in the first
    ``scan_seconds`` (every ``step``), else the frame a third of the way in. None for a project
    with nothing to show."""
    duration = project.duration
    if duration <= 0 or not has_pictures(project):
        return None
    with open_renderer(project, height) as renderer:
        t = 0.0
        while t < min(scan_seconds, duration):
            if check is not None:
                check()
            rgb = renderer.frame_at(t).as_rgb()
            if not is_black(rgb):
                return rgb.copy(), t
            t = round(t + step, 6)
        third = duration / 3
        return renderer.frame_at(third).as_rgb().copy(), third
