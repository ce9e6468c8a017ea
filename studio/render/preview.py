"""The player's renderer: the export graph at reduced scale, one frame at a time after any seek.

One ``VideoDecoder`` stays open per clip (its frame cache and forward-decode make scrubbing and
playback cheap). Below full scale a clip is decoded from its proxy (``studio.media.proxy``: 540p,
a keyframe every few frames, the source's own timestamps) when one exists; a large source without
one gets it built on a background thread, one at a time, while the source is shown, and the next
``frame_at`` after it is done switches to it. Full scale (a paused, full-quality frame) and export
always read the sources. Filters run in preview mode (a failing filter is switched off with a reason in
``problems`` instead of stopping the player); a source that cannot be decoded is drawn as nothing
and named in ``problems``.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from studio.core.frame import Frame
from studio.core.project import Project, VideoClip
from studio.render.compositor import Compositor, active_video_clips

if TYPE_CHECKING:
    from studio.media.proxy import ProxyCache

log = logging.getLogger(__name__)


def default_proxy_cache() -> ProxyCache:
    """The profile's proxy folder: ``<cache>/proxies``."""
    from studio.config import app_paths
    from studio.media.proxy import ProxyCache

    return ProxyCache(app_paths().cache / "proxies")


def _auto_cache() -> ProxyCache | None:
    """The profile's proxy cache, or None (sources only) when its folder cannot be made."""
    from studio.config import ConfigError

    try:
        return default_proxy_cache()
    except (ConfigError, OSError) as exc:
        log.warning("preview proxies are off: %s", exc)
        return None


class ProxyBuilder:
    """Builds proxies on one daemon thread, in request order; ``close()`` cancels the running build."""

    def __init__(self, cache: ProxyCache) -> None:
        self.cache = cache
        self.problems: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._requested: set[str] = set()
        self._ready: dict[str, Path] = {}
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._thread: threading.Thread | None = None

    def request(self, source: str) -> None:
        with self._lock:
            if source in self._requested or self._cancel.is_set():
                return
            self._requested.add(source)
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="proxy-builder", daemon=True)
                self._thread.start()
        self._queue.put(source)

    def ready(self, source: str) -> Path | None:
        """The finished proxy of ``source`` built by this builder, if any."""
        with self._lock:
            return self._ready.get(source)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every requested build has finished (or failed); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _run(self) -> None:
        from studio.media.errors import MediaError
        from studio.media.proxy import ProxyCancelled

        while True:
            source = self._queue.get()
            if source is None or self._cancel.is_set():
                return
            path = None
            try:
                path = self.cache.build(source, cancel=self._cancel)
            except ProxyCancelled:
                return
            except (MediaError, OSError, ValueError) as exc:
                message = f"{source}: no preview proxy ({exc}); the preview reads the original"
                log.warning(message)
                self.problems.append(message)
            except Exception as exc:  # an encoder failure must not kill the player
                message = f"{source}: no preview proxy ({type(exc).__name__}: {exc})"
                log.warning(message)
                self.problems.append(message)
            with self._idle:
                if path is not None:
                    self._ready[source] = path
                self._pending -= 1
                self._idle.notify_all()

    def close(self) -> None:
        self._cancel.set()
        self._queue.put(None)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        with self._idle:
            self._pending = 0
            self._idle.notify_all()


def _even(v: float) -> int:
    return max(2, round(v / 2.0) * 2)


class PreviewRenderer:
    """``frame_at(t)`` -> the project's frame at ``t`` as an I420 :class:`Frame` of ``size``."""

    def __init__(
        self,
        project: Project,
        scale: float = 0.5,
        *,
        cache_size: int = 8,
        proxies: ProxyCache | Literal["auto"] | None = "auto",
    ) -> None:
        """``proxies``: the proxy cache to read and fill, ``"auto"`` for the profile's
        (``<cache>/proxies``), or None to always decode the sources. Unused at scale 1.0."""
        if not 0 < scale <= 1.0:
            raise ValueError(f"preview scale must be in (0, 1], got {scale}")
        self.scale = scale
        self.cache_size = cache_size
        # clip id -> (source, file decoded: the source or its proxy, decoder)
        self._decoders: dict[str, tuple[str, str, object]] = {}
        self._proxy_checked: set[str] = set()
        self._no_proxy: set[str] = set()  # sources whose proxy could not be opened
        self.proxy_builder: ProxyBuilder | None = None
        if proxies is not None and scale < 1.0:
            cache = _auto_cache() if proxies == "auto" else proxies
            if cache is not None:
                self.proxy_builder = ProxyBuilder(cache)  # type: ignore[arg-type]
        self._lock = threading.Lock()
        self.problems: list[str] = []
        self._broken: set[str] = set()
        self.project = project
        self._compositor = self._make_compositor(project)

    def _make_compositor(self, project: Project) -> Compositor:
        w = _even(project.canvas.width * self.scale)
        h = _even(project.canvas.height * self.scale)
        return Compositor(project, w, h, project.canvas.fps, mode="preview")

    @property
    def size(self) -> tuple[int, int]:
        return self._compositor.width, self._compositor.height

    @property
    def fps(self) -> float:
        return self.project.canvas.fps

    @property
    def duration(self) -> float:
        return self.project.duration

    def set_project(self, project: Project) -> None:
        """Show an edited project; decoders of clips still present (same source) stay open."""
        with self._lock:
            self._compositor.close()
            self.project = project
            self._compositor = self._make_compositor(project)
            keep = {c.id: c.source for _, c in project.iter_clips() if isinstance(c, VideoClip)}
            for clip_id in list(self._decoders):
                if keep.get(clip_id) != self._decoders[clip_id][0]:
                    self._close_decoder(clip_id)
            self._broken.clear()

    def _proxy_for(self, source: str) -> str | None:
        """The proxy to decode for ``source`` (None: use the source itself)."""
        builder = self.proxy_builder
        if builder is None or source in self._no_proxy:
            return None
        ready = builder.ready(source)
        if ready is not None:
            return str(ready)
        if source in self._proxy_checked:
            return None
        self._proxy_checked.add(source)
        found = builder.cache.get(source)
        return str(found) if found is not None else None

    def _open(self, clip: VideoClip) -> tuple[str, str, object]:
        from studio.media.decode import VideoDecoder
        from studio.media.errors import MediaError
        from studio.media.proxy import needs_proxy

        proxy = self._proxy_for(clip.source)
        if proxy is not None:
            try:
                return clip.source, proxy, VideoDecoder(proxy, cache_size=self.cache_size)
            except MediaError as exc:
                self._no_proxy.add(clip.source)
                log.warning("%s: its preview proxy cannot be read (%s); using the original", clip.source, exc)
        decoder = VideoDecoder(clip.source, cache_size=self.cache_size)
        if self.proxy_builder is not None and needs_proxy(
            decoder.media, self.size, self.proxy_builder.cache.short_side
        ):
            self.proxy_builder.request(clip.source)
        return clip.source, clip.source, decoder

    def _decoder(self, clip: VideoClip) -> object:
        entry = self._decoders.get(clip.id)
        stale_source = entry is not None and entry[0] == entry[1] == clip.source
        if stale_source and self._proxy_for(clip.source) is not None:
            self._close_decoder(clip.id)  # the proxy is done: switch to it
            entry = None
        if entry is None or entry[0] != clip.source:
            if entry is not None:
                self._close_decoder(clip.id)
            entry = self._open(clip)
            self._decoders[clip.id] = entry
        return entry[2]

    def decoding(self, clip_id: str) -> str | None:
        """The file the clip's frames come from right now (its source or its proxy), if open."""
        with self._lock:
            entry = self._decoders.get(clip_id)
            return entry[1] if entry is not None else None

    def _close_decoder(self, clip_id: str) -> None:
        entry = self._decoders.pop(clip_id, None)
        if entry is not None:
            entry[2].close()  # type: ignore[attr-defined]

    def frame_at(self, t: float) -> Frame:
        from studio.media.errors import MediaError

        with self._lock:
            t = min(max(0.0, t), max(0.0, self.duration - 1e-6))
            sources: dict[str, Frame] = {}
            for clip in active_video_clips(self.project, t):
                if clip.id in self._broken:
                    continue
                try:
                    sources[clip.id] = self._decoder(clip).frame_at(clip.source_time(t))  # type: ignore[attr-defined]
                except MediaError as exc:
                    self._broken.add(clip.id)
                    message = f"{exc}; the clip is left out of the preview"
                    log.warning(message)
                    self.problems.append(message)
            comp = self._compositor
            buf = comp.compose(t, sources)
            if any(buf is f.as_i420() for f in sources.values()):
                buf = buf.copy()
            return Frame.from_i420(buf, comp.width, comp.height)

    @property
    def proxy_problems(self) -> list[str]:
        """Why a proxy could not be built (the preview then reads the original)."""
        return list(self.proxy_builder.problems) if self.proxy_builder is not None else []

    @property
    def filter_problems(self) -> list[str]:
        return list(self._compositor.filters.problems)

    def close(self) -> None:
        if self.proxy_builder is not None:
            self.proxy_builder.close()
        with self._lock:
            for clip_id in list(self._decoders):
                self._close_decoder(clip_id)
            self._compositor.close()

    def __enter__(self) -> PreviewRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
