"""Preview proxies: small, short-GOP H.264 copies of large sources, for fast seeking in the player.

A proxy is the source's video decoded with :class:`VideoDecoder` (so rotation is already
applied), scaled to 540 px on the short side and encoded with a keyframe every few frames and no
B-frames. Every frame keeps its source timestamp (same time base), so ``frame_at(t)`` on a proxy
shows the same source frame as on the source, variable frame rate included. No audio.

Proxies live in one folder, named by a hash of (resolved path, size, mtime_ns) of the source, so
editing or replacing a source makes its old proxy unreachable (the LRU limit removes it later).
A build writes ``<name>.<random>.part`` and renames it when complete: a file named ``<hash>.mp4``
is always a whole proxy.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np

from studio.core.frame import Frame
from studio.media.colour import tag_stream
from studio.media.errors import MediaError
from studio.media.probe import MediaInfo, VideoStreamInfo

log = logging.getLogger(__name__)

PROXY_SHORT_SIDE = 540
PROXY_GOP = 10  # frames between keyframes; see bench/preview_seek.py for the measurement
PROXY_CRF = 23
PROXY_PRESET = "superfast"
DEFAULT_MAX_BYTES = 4 * 1024**3
STALE_PART_SECONDS = 600.0  # a .part untouched this long belongs to a build that died
HARD_CODECS = {"hevc", "h265", "vp9", "av1", "prores", "dnxhd"}
MAX_SHORT_SIDE = 1080

ProgressCallback = Callable[[float], None]


class ProxyCancelled(Exception):
    """A proxy build stopped because its cancel event was set; nothing was left behind."""


def proxy_size(width: int, height: int, short_side: int = PROXY_SHORT_SIDE) -> tuple[int, int]:
    """(width, height) of the proxy of a ``width`` x ``height`` picture: the short side at most
    ``short_side``, display aspect kept, both even (1080x1920 -> 540x960; never upscaled)."""
    short = min(width, height)
    factor = min(1.0, short_side / short) if short > 0 else 1.0
    return max(2, round(width * factor / 2) * 2), max(2, round(height * factor / 2) * 2)


def needs_proxy(
    info: MediaInfo | VideoStreamInfo,
    preview_size: tuple[int, int],
    short_side: int = PROXY_SHORT_SIDE,
) -> bool:
    """Whether a preview at ``preview_size`` seeks noticeably faster on a proxy of this source:
    sources larger than both the preview and the proxy (``short_side``), HEVC/VP9/AV1 (slow to
    decode) and anything above 1080p. Still images never need one."""
    video = info.video if isinstance(info, MediaInfo) else info
    if isinstance(info, MediaInfo) and info.kind == "image":
        return False
    if video is None:
        return False
    w, h = video.display_width, video.display_height
    if min(w, h) > MAX_SHORT_SIDE or video.codec.lower() in HARD_CODECS:
        return True
    pw, ph = preview_size
    return w * h > pw * ph and min(w, h) > short_side


class ProxyCache:
    """The proxy folder: lookup, build and an LRU size limit (by access time)."""

    def __init__(
        self,
        cache_dir: str | Path,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        short_side: int = PROXY_SHORT_SIDE,
        gop: int = PROXY_GOP,
    ) -> None:
        self.dir = Path(cache_dir)
        self.max_bytes = max_bytes
        self.short_side = short_side
        self.gop = gop
        self.dir.mkdir(parents=True, exist_ok=True)
        self.remove_stale_parts()

    def path_for(self, src: str | Path) -> Path:
        """Where the proxy of ``src`` as it is now lives (whether or not it exists)."""
        p = Path(src).resolve()
        try:
            st = p.stat()
        except OSError as exc:
            raise MediaError("missing", p) from exc
        # "colour2": proxies hold the working colour space, tagged (older untagged ones are not reused)
        key = f"{p}\0{st.st_size}\0{st.st_mtime_ns}\0colour2".encode()
        return self.dir / f"{hashlib.sha256(key).hexdigest()[:32]}.mp4"

    def get(self, src: str | Path) -> Path | None:
        """The complete proxy of ``src``, or None. Marks it as used (for the LRU limit)."""
        try:
            path = self.path_for(src)
        except MediaError:
            return None
        if not path.is_file():
            return None
        with contextlib.suppress(OSError):
            os.utime(path, (time.time(), path.stat().st_mtime))
        return path

    def build(
        self,
        src: str | Path,
        cancel: threading.Event | None = None,
        progress: ProgressCallback | None = None,
    ) -> Path:
        """Make (or reuse) the proxy of ``src`` and return its path.

        ``progress`` gets the fraction done (0..1); setting ``cancel`` stops the build with
        :class:`ProxyCancelled` and removes the partial file. A source that cannot be decoded
        raises :class:`MediaError`.
        """
        final = self.path_for(src)
        existing = self.get(src)
        if existing is not None:
            return existing
        part = final.with_name(f"{final.stem}.{uuid.uuid4().hex[:8]}.part")
        try:
            _encode_proxy(Path(src), part, self.short_side, self.gop, cancel, progress)
            os.replace(part, final)
        except BaseException:
            with contextlib.suppress(OSError):
                part.unlink()
            raise
        self.enforce_limit(keep=final)
        return final

    def entries(self) -> list[Path]:
        return sorted(self.dir.glob("*.mp4"))

    def total_bytes(self) -> int:
        return sum(_size(p) for p in self.entries())

    def enforce_limit(self, keep: Path | None = None) -> list[Path]:
        """Remove the least recently used proxies until the folder fits ``max_bytes``."""
        items = []
        for p in self.entries():
            with contextlib.suppress(OSError):
                st = p.stat()
                items.append((st.st_atime, st.st_size, p))
        total = sum(size for _, size, _ in items)
        removed = []
        for _, size, p in sorted(items, key=lambda item: item[0]):
            if total <= self.max_bytes:
                break
            if keep is not None and p == keep:
                continue
            with contextlib.suppress(OSError):
                p.unlink()
                total -= size
                removed.append(p)
        return removed

    def remove_stale_parts(self, max_age: float = STALE_PART_SECONDS) -> list[Path]:
        """Delete partial files left by builds that were killed (untouched for ``max_age`` s)."""
        now = time.time()
        removed = []
        for p in self.dir.glob("*.part"):
            with contextlib.suppress(OSError):
                if now - p.stat().st_mtime > max_age:
                    p.unlink()
                    removed.append(p)
        return removed


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0


def _scaled(frame: Frame, width: int, height: int) -> np.ndarray:
    """The I420 buffer of ``frame`` resized to ``width`` x ``height`` (plane by plane, area filter)."""
    import cv2

    if (frame.width, frame.height) == (width, height):
        return frame.as_i420()
    buf = np.empty((height * 3 // 2, width), np.uint8)
    chroma = buf[height:].reshape(-1)
    quarter = (height // 2) * (width // 2)
    targets = (
        buf[:height],
        chroma[:quarter].reshape(height // 2, width // 2),
        chroma[quarter:].reshape(height // 2, width // 2),
    )
    for plane, target in zip(frame.planes(), targets, strict=True):
        cv2.resize(plane, (target.shape[1], target.shape[0]), target, interpolation=cv2.INTER_AREA)
    return buf


def _encode_proxy(
    src: Path,
    out_path: Path,
    short_side: int,
    gop: int,
    cancel: threading.Event | None,
    progress: ProgressCallback | None,
) -> None:
    import av

    from studio.media.decode import VideoDecoder

    with VideoDecoder(src, cache_size=0) as decoder:
        if decoder.media.kind == "image":
            raise MediaError("unsupported", src)
        tb = Fraction(decoder._stream.time_base or Fraction(1, 90000))
        rate = decoder._stream.average_rate or decoder._stream.guessed_rate or Fraction(30)
        width, height = proxy_size(*decoder.size, short_side)
        duration = max(decoder.duration, 1e-6)
        with av.open(str(out_path), "w", format="mp4") as out:
            stream = out.add_stream("libx264", rate=rate)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.codec_context.time_base = tb
            stream.time_base = tb
            stream.gop_size = gop
            stream.max_b_frames = 0
            tag_stream(stream)  # the frames are the working space (BT.709 limited), whatever the source
            stream.options = {
                "preset": PROXY_PRESET,
                "crf": str(PROXY_CRF),
                "tune": "fastdecode",
                "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0",
            }
            last_pts: int | None = None
            step = max(1, round(float(rate) / 4))
            for count, (t, frame) in enumerate(decoder.frames()):
                if cancel is not None and cancel.is_set():
                    raise ProxyCancelled(str(src))
                pts = round(t * tb.denominator / tb.numerator)
                if last_pts is not None and pts <= last_pts:
                    continue  # a repeated timestamp: the source never shows this frame either
                last_pts = pts
                vf = av.VideoFrame.from_ndarray(_scaled(frame, width, height), format="yuv420p")
                vf.pts, vf.time_base = pts, tb
                out.mux(stream.encode(vf))
                if progress is not None and count % step == 0:
                    progress(min(1.0, t / duration))
            if last_pts is None:
                raise MediaError("video_damaged", src)
            out.mux(stream.encode(None))
    if progress is not None:
        progress(1.0)
