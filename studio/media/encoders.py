"""Which video encoders really work on this machine.

A hardware encoder being compiled into FFmpeg says nothing about the driver or the device, so
each candidate is opened and fed one small frame, once per process. FFmpeg's log is captured
while probing (nothing reaches the terminal) and a failing encoder keeps the reason it gave.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from studio.media.errors import MediaError

HARDWARE: dict[str, tuple[str, ...]] = {
    "h264": ("h264_nvenc", "h264_qsv", "h264_vaapi", "h264_videotoolbox", "h264_amf"),
    "hevc": ("hevc_nvenc", "hevc_qsv", "hevc_vaapi", "hevc_videotoolbox", "hevc_amf"),
}
SOFTWARE: dict[str, str] = {"h264": "libx264", "hevc": "libx265"}
_QUIET_OPTIONS = {"libx265": {"x265-params": "log-level=none"}, "libx264": {"preset": "ultrafast"}}
PROBE_SIZE = (256, 256)


@dataclass(frozen=True)
class EncoderStatus:
    name: str
    codec: str
    hardware: bool
    works: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_lock = threading.Lock()
_results: dict[str, EncoderStatus] = {}


def _candidates() -> list[tuple[str, str, bool]]:
    out = []
    for codec in ("h264", "hevc"):
        out += [(name, codec, True) for name in HARDWARE[codec]]
        out.append((SOFTWARE[codec], codec, False))
    return out


def _reason(logs: list[tuple[int, str, str]], exc: Exception | None) -> str:
    import av

    lines = [msg.strip() for level, _, msg in logs if level <= av.logging.ERROR and msg.strip()]
    if not lines and exc is not None:
        lines.append(str(exc).split("; last error log:")[0].strip())
    unique = list(dict.fromkeys(lines))
    return "; ".join(unique[-3:]) or "the encoder produced no output"


def try_encoder(name: str) -> tuple[bool, str]:
    """Open ``name`` and encode one frame: (works, reason it does not)."""
    import av

    if name not in av.codecs_available:
        return False, "not in this FFmpeg build"
    try:
        codec = av.Codec(name, "w")
    except (av.FFmpegError, ValueError) as exc:
        return False, str(exc)
    formats = [f.name for f in (codec.video_formats or [])]
    pix_fmt = next((f for f in ("yuv420p", "nv12") if f in formats), None) if formats else "yuv420p"
    if pix_fmt is None:
        return False, f"needs hardware frames ({', '.join(formats)}), which this app does not feed"
    width, height = PROBE_SIZE
    previous_level = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        return _encode_one(codec, pix_fmt, width, height)
    finally:
        av.logging.set_level(previous_level)


def _encode_one(codec: Any, pix_fmt: str, width: int, height: int) -> tuple[bool, str]:
    import av
    import numpy as np

    name = codec.name
    with av.logging.Capture(local=False) as logs:
        try:
            ctx = av.CodecContext.create(codec)
            ctx.width, ctx.height, ctx.pix_fmt = width, height, pix_fmt
            ctx.time_base = Fraction(1, 30)
            ctx.framerate = Fraction(30, 1)
            ctx.options = dict(_QUIET_OPTIONS.get(name, {}))
            ctx.open()
            frame = av.VideoFrame(width, height, "yuv420p")
            for plane in frame.planes:
                np.frombuffer(plane, np.uint8)[:] = 128
            if pix_fmt != "yuv420p":
                frame = frame.reformat(format=pix_fmt)
            frame.pts = 0
            packets = list(ctx.encode(frame)) + list(ctx.encode(None))
        except (av.FFmpegError, OSError, ValueError, RuntimeError) as exc:
            return False, _reason(logs, exc)
    if not packets or not any(p.size for p in packets):
        return False, _reason(logs, None)
    return True, ""


def probe_video_encoders(refresh: bool = False) -> list[EncoderStatus]:
    """Every candidate encoder, hardware first, each really opened once per process."""
    with _lock:
        for name, codec, hardware in _candidates():
            if refresh or name not in _results:
                works, reason = try_encoder(name)
                _results[name] = EncoderStatus(name, codec, hardware, works, reason)
        return [_results[name] for name, _, _ in _candidates()]


def pick_encoder(codec: str = "h264", override: str | None = None) -> str:
    """The encoder to use for ``codec``: ``override`` if it works, else hardware first, then software.

    ``override`` of None or "auto" means choose. A named encoder that does not work is an error
    (the creator asked for it), not a silent fallback.
    """
    if codec not in SOFTWARE:
        raise MediaError("unsupported", message=f"videos cannot be made as {codec!r}: use h264 or hevc")
    statuses = probe_video_encoders()
    if override and override != "auto":
        match = next((s for s in statuses if s.name == override), None)
        if match is None:
            known = ", ".join(s.name for s in statuses if s.codec == codec)
            raise MediaError("unsupported", message=f"unknown encoder {override!r}; choose one of: {known}")
        if match.codec != codec:
            raise MediaError("unsupported", message=f"{override} makes {match.codec}, not {codec}")
        if not match.works:
            raise MediaError(
                "unsupported", message=f"the encoder {override} does not work here: {match.reason}"
            )
        return override
    for status in statuses:
        if status.codec == codec and status.works:
            return status.name
    raise MediaError("unsupported", message=f"no working {codec} encoder was found on this machine")
