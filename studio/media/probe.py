"""What a media file holds: container, duration, streams, and whether it can really be used.

Probing opens the file with PyAV, decodes the first video frame (that is where the display
rotation is found, and it proves the picture decodes) and a little of the audio (damaged audio
often has perfectly valid headers). Anything unusable becomes a :class:`MediaError`.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from studio import threadguard
from studio.media.errors import MediaError

log = logging.getLogger(__name__)

AUDIO_CHECK_PACKETS = 40
VFR_SAMPLE = 400
END_TOLERANCE = 0.5  # seconds of a promised duration that may be missing before a file counts as cut short
_ISO_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"styp"}
_IMAGE_DEMUXERS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "jpegls_pipe"}


@dataclass
class VideoStreamInfo:
    """One video stream. ``width``/``height`` are as coded; ``rotation`` is the display-matrix
    angle in degrees counter-clockwise, one of 0/90/180/270 (ffprobe shows 270 as -90); decoders
    turn the picture by it, giving ``display_width`` x ``display_height``."""

    codec: str
    width: int
    height: int
    rotation: int
    display_width: int
    display_height: int
    fps: float
    vfr: bool
    pix_fmt: str
    bit_depth: int
    frame_count: int
    index: int = 0
    # colour, as the file tags it (ffprobe's names; "" when untagged); ``hdr`` is "PQ", "HLG" or ""
    color_space: str = ""
    color_transfer: str = ""
    color_primaries: str = ""
    color_range: str = ""
    hdr: str = ""
    wide_gamut: bool = False

    @property
    def is_hdr(self) -> bool:
        return bool(self.hdr)


@dataclass
class AudioStreamInfo:
    codec: str
    sample_rate: int
    channels: int
    layout: str
    damaged: bool = False
    index: int = 0


@dataclass
class MediaInfo:
    path: str
    container: str
    kind: str
    duration: float
    size_bytes: int
    video: VideoStreamInfo | None = None
    audio: AudioStreamInfo | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_file(path: str | Path) -> Path:
    """The path if it names a readable, non-empty file; otherwise a MediaError saying why not."""
    p = Path(path)
    if not p.exists():
        raise MediaError("missing", p)
    if p.is_dir():
        raise MediaError("not_a_file", p)
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise MediaError("unreadable", p) from exc
    if size == 0:
        raise MediaError("empty", p)
    return p


def iso_bmff_state(path: Path) -> str:
    """For MP4/MOV files: "ok", "truncated" (a box runs past the end, or no index) or "other"."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 8 or head[4:8] not in _ISO_BOXES:
            return "other"
        pos, saw_moov = 0, False
        while pos < size:
            fh.seek(pos)
            header = fh.read(16)
            if len(header) < 8:
                return "truncated"
            box_size = int.from_bytes(header[:4], "big")
            box_type = header[4:8]
            if box_size == 1:
                if len(header) < 16:
                    return "truncated"
                box_size = int.from_bytes(header[8:16], "big")
            elif box_size == 0:
                box_size = size - pos
            if box_size < 8:
                return "other"
            if pos + box_size > size:
                return "truncated"
            saw_moov = saw_moov or box_type == b"moov"
            pos += box_size
        return "ok" if saw_moov else "truncated"


def _open(path: Path) -> Any:
    import av

    try:
        threadguard.check("opening media with PyAV")
        return av.open(str(path), metadata_errors="ignore")
    except av.FFmpegError as exc:
        if iso_bmff_state(path) == "truncated":
            raise MediaError("truncated", path) from exc
        raise MediaError("not_media", path) from exc


def _bit_depth(pix_fmt: str) -> int:
    import av

    try:
        return int(av.VideoFormat(pix_fmt).components[0].bits)
    except (ValueError, IndexError, TypeError):
        return 8


def _describe_colour(video: VideoStreamInfo, frame: Any, ctx: Any) -> None:
    """Fill the colour fields from the first decoded frame (the stream's tags where it has none)."""
    from studio.media.colour import MATRIX_NAMES, PRIMARIES_NAMES, TRANSFER_NAMES, frame_colour

    def tag(name: str, unspecified: int) -> int:
        value = int(getattr(frame, name, 0) or 0)
        if value in (0, unspecified):
            value = int(getattr(ctx, name, 0) or 0)
        return value

    video.color_space = MATRIX_NAMES.get(tag("colorspace", 2), "") if not frame.format.is_rgb else "gbr"
    video.color_transfer = TRANSFER_NAMES.get(tag("color_trc", 2), "")
    video.color_primaries = PRIMARIES_NAMES.get(tag("color_primaries", 2), "")
    video.color_range = {1: "tv", 2: "pc"}.get(tag("color_range", 0), "")
    colour = frame_colour(frame, ctx)
    video.hdr = colour.hdr
    video.wide_gamut = colour.primaries == "bt2020"


def _snap_rotation(degrees: float) -> int:
    return round(degrees / 90.0) * 90 % 360


def frame_timestamps(container: Any, stream: Any) -> list[int]:
    """Presentation order timestamps of (the first few hundred) video frames, without decoding."""
    entries = stream.index_entries
    if stream.frames and len(entries) >= stream.frames:  # a full sample index (MP4/MOV), not just keyframes
        return sorted(e.timestamp for e in entries[:VFR_SAMPLE] if not e.is_discard)
    stamps = []
    for packet in container.demux(stream):
        if packet.pts is not None:
            stamps.append(packet.pts)
        if len(stamps) >= VFR_SAMPLE:
            break
    container.seek(0)
    return sorted(stamps)


def _rate(container: Any, stream: Any) -> tuple[float, bool]:
    """(frames per second, variable frame rate?)."""
    stamps = frame_timestamps(container, stream)
    tb = float(stream.time_base)
    diffs = [b - a for a, b in itertools.pairwise(stamps) if b > a]
    vfr = False
    if len(diffs) >= 3:
        median = statistics.median(diffs)
        vfr = (max(diffs) - min(diffs)) > max(2, 0.1 * median)
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and float(rate) > 0:
            return float(rate), vfr
    if vfr:
        return len(diffs) / ((stamps[-1] - stamps[0]) * tb), True
    if diffs:
        return 1.0 / (statistics.median(diffs) * tb), False
    return 0.0, False


def ends_early(container: Any, stream: Any, duration: float) -> bool:
    """Whether the packets stop well before the duration the header promises (a cut-off file).

    MP4/MOV are checked by their box sizes instead; this is for Matroska, WebM, MPEG-TS, ...
    """
    import av

    if duration < 1.0:
        return False
    try:
        container.seek(int((duration - 0.5) / stream.time_base), stream=stream, backward=True)
        last = 0.0
        for n, packet in enumerate(container.demux()):
            if packet.pts is not None and packet.time_base:
                end = (packet.pts + (packet.duration or 0)) * packet.time_base
                last = max(last, float(end) - float(packet.stream.start_time or 0) * float(packet.time_base))
            if n > 200:
                break
    except av.FFmpegError:
        return True
    finally:
        with contextlib.suppress(av.FFmpegError):
            container.seek(0)
    return last < duration - END_TOLERANCE


def _first_video_frame(container: Any, stream: Any, path: Path) -> Any:
    import av

    errors = 0
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.FFmpegError:
            errors += 1
            if errors > 30:
                break
            continue
        if frames:
            return frames[0]
    raise MediaError(
        "truncated" if iso_bmff_state(path) == "truncated" else "video_damaged",
        path,
    )


def audio_is_damaged(path: str | Path, stream_index: int | None = None) -> bool:
    """Decode the first packets of the audio; any decode error, or no samples at all, means damage."""
    import av

    threadguard.check("opening media with PyAV")
    with av.logging.Capture(), av.open(str(path)) as container:
        streams = container.streams.audio
        if not streams:
            return False
        stream = streams[0] if stream_index is None else container.streams[stream_index]
        errors, samples, packets = 0, 0, 0
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            packets += 1
            try:
                for frame in packet.decode():
                    samples += frame.samples
            except av.FFmpegError:
                errors += 1
            if packets >= AUDIO_CHECK_PACKETS:
                break
        return errors > 0 or (packets > 0 and samples == 0)


def probe(path: str | Path, *, check_audio: bool = True) -> MediaInfo:
    """Describe ``path``; raises MediaError when it cannot be used at all.

    ``check_audio=False`` skips decoding the first audio packets (for callers that only want
    the picture, like the video decoder); damaged audio then goes unnoticed here.
    """
    import av

    p = check_file(path)
    size = p.stat().st_size
    if iso_bmff_state(p) == "truncated":
        raise MediaError("truncated", p)
    with av.logging.Capture():
        container = _open(p)
        try:
            return _describe(container, p, size, check_audio)
        except av.FFmpegError as exc:
            log.debug("probe of %s failed: %s", p, exc)
            raise MediaError("not_media", p) from exc
        finally:
            container.close()


def _container_name(names: str, path: Path) -> str:
    """ "mp4" for an .mp4 read by FFmpeg's "mov,mp4,m4a,3gp,3g2,mj2" demuxer, and so on."""
    if names.endswith("_pipe"):
        return names.removesuffix("_pipe")
    choices = names.split(",")
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in choices else choices[0]


def _describe(container: Any, p: Path, size: int, check_audio: bool = True) -> MediaInfo:
    fmt = _container_name(container.format.name, p)
    videos = [s for s in container.streams.video if not (s.disposition & s.disposition.attached_pic)]
    audios = list(container.streams.audio)
    is_image = container.format.name in _IMAGE_DEMUXERS
    info = MediaInfo(str(p), fmt, "video", 0.0, size)
    if container.duration:
        info.duration = container.duration / 1_000_000
    if videos:
        stream = videos[0]
        ctx = stream.codec_context
        fps, vfr = (0.0, False) if is_image else _rate(container, stream)
        frame = _first_video_frame(container, stream, p)
        rotation = _snap_rotation(getattr(frame, "rotation", 0) or 0)
        width, height = ctx.width or frame.width, ctx.height or frame.height
        swap = rotation in (90, 270)
        pix_fmt = ctx.pix_fmt or frame.format.name
        frames = stream.frames
        if not info.duration and stream.duration and stream.time_base:
            info.duration = float(stream.duration * stream.time_base)
        if not frames and fps and info.duration:
            frames = round(info.duration * fps)
        info.video = VideoStreamInfo(
            codec=ctx.name,
            width=width,
            height=height,
            rotation=rotation,
            display_width=height if swap else width,
            display_height=width if swap else height,
            fps=round(fps, 3),
            vfr=vfr,
            pix_fmt=pix_fmt,
            bit_depth=_bit_depth(pix_fmt),
            frame_count=1 if is_image else int(frames),
            index=stream.index,
        )
        _describe_colour(info.video, frame, ctx)
        if is_image:
            info.kind, info.duration = "image", 0.0
        elif iso_bmff_state(p) == "other" and ends_early(container, stream, info.duration):
            raise MediaError("truncated", p)
    if audios:
        stream = audios[0]
        ctx = stream.codec_context
        info.audio = AudioStreamInfo(
            codec=ctx.name,
            sample_rate=int(ctx.sample_rate or 0),
            channels=int(ctx.channels or 0),
            layout=ctx.layout.name if ctx.layout else "",
            index=stream.index,
        )
        if check_audio and audio_is_damaged(p, stream.index):
            info.audio.damaged = True
            if info.video is None:
                raise MediaError("audio_damaged", p, "the audio in this file is damaged and cannot be played")
            info.warnings.append(MediaError("audio_damaged", p).message)
        if info.video is None:
            info.kind = "audio"
    if info.video is None and info.audio is None:
        raise MediaError("not_media", p)
    return info
