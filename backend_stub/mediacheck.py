"""What the platform checks once the last chunk is in: container, codec, frame rate, size, duration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CONTAINERS = ("mp4", "mov", "webm")
CODECS = ("h264", "hevc", "vp8", "vp9")
MIN_FPS, MAX_FPS = 23.0, 60.0
MIN_SIDE, MAX_SIDE = 360, 4096


@dataclass(frozen=True)
class MediaInfo:
    duration_s: float
    width: int
    height: int
    fps: float
    codec: str


class MediaRejected(Exception):
    def __init__(self, fail_reason: str, detail: str) -> None:
        super().__init__(detail)
        self.fail_reason = fail_reason


def check_video(path: Path, max_duration_s: int) -> MediaInfo:
    """Probe ``path`` with PyAV; raise :class:`MediaRejected` with the platform's fail_reason."""
    import av

    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise MediaRejected("file_format_check_failed", f"not a readable video: {exc}") from None
    with container:
        formats = set(container.format.name.split(","))
        if not formats & set(CONTAINERS):
            raise MediaRejected(
                "file_format_check_failed", f"container {container.format.name} is not MP4, MOV or WebM"
            )
        if not container.streams.video:
            raise MediaRejected("file_format_check_failed", "the file has no video stream")
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        if codec not in CODECS:
            raise MediaRejected("file_format_check_failed", f"codec {codec} is not H.264, H.265, VP8 or VP9")
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        if not MIN_FPS <= fps <= MAX_FPS:
            raise MediaRejected("frame_rate_check_failed", f"{fps:.2f} fps is outside 23-60")
        width, height = stream.codec_context.width, stream.codec_context.height
        if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
            raise MediaRejected("picture_size_check_failed", f"{width}x{height} is outside 360-4096 per side")
        if container.duration is not None:
            duration = container.duration / 1_000_000
        elif stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = 0.0
        if duration <= 0 or duration > max_duration_s:
            raise MediaRejected(
                "duration_check_failed", f"duration {duration:.1f}s is outside 0-{max_duration_s}s"
            )
        return MediaInfo(duration, width, height, fps, codec)


def grab_frame(path: Path, at_ms: int, out: Path, max_side: int = 320) -> bool:
    """Save the frame at ``at_ms`` (first frame when out of range) as a small JPEG cover."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            if at_ms > 0 and stream.time_base:
                container.seek(int(at_ms / 1000 / stream.time_base), stream=stream)
            for frame in container.decode(stream):
                image = frame.to_image()
                image.thumbnail((max_side, max_side))
                image.save(out, "JPEG", quality=80)
                return True
    except (av.FFmpegError, OSError, IndexError):
        return False
    return False
