"""Media made at test time with PyAV, for every area's tests.

Public helpers (import with ``from tests.media.fixtures import make_video, ...``)::

    make_video(path, width=72, height=128, fps=30.0, seconds=1.0, audio=True, codec="h264",
               pix_fmt="yuv420p", rotation=0, vfr=False, gop=12, audio_rate=48000,
               audio_channels=2, tone_hz=440.0, faststart=False) -> Path
        An MP4 (or .mov/.mkv by suffix). codec: "h264" | "hevc" (or any PyAV encoder name).
        Every frame carries its index as 8 bits in a 4x2 grid of white/black cells over the
        top half of the picture (read it back with ``read_index``); the bottom half is a
        gradient. rotation: display-matrix rotation in degrees (counter-clockwise, as ffprobe
        shows it). vfr=True spaces frames irregularly (see ``vfr_times``).
    make_audio(path, seconds=1.0, rate=44100, channels=2, tone_hz=440.0, codec="aac") -> Path
    make_image(path, width=90, height=160) -> Path            (PNG with the index-0 pattern)
    make_truncated(src, dst, keep=0.5) -> Path                (the first ``keep`` of the bytes)
    make_empty(path) -> Path                                  (zero bytes)
    make_text_file(path) -> Path                              (text, e.g. renamed notes.mp4)
    make_damaged_audio(src, dst) -> Path                      (video intact, audio packets garbage)
    frame_pattern(index, width, height) -> (y, u, v)          (uint8 planes of frame ``index``)
    read_index(y) -> int                                      (index from a Y plane / gray image)
    vfr_times(fps, seconds) -> list[float]                    (frame times used for vfr=True)
    MediaLibrary(folder).get(name) -> Path                    (the named standard clips, cached)

Indices are 8 bits, so a clip should have at most 256 frames.
"""

from __future__ import annotations

import random
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

WHITE, BLACK = 235, 16
GRID_COLS, GRID_ROWS = 4, 2


def frame_pattern(index: int, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y, U, V planes (4:2:0) of frame ``index``: index bits as cells on top, a gradient below."""
    y = np.empty((height, width), np.uint8)
    ramp = np.linspace(40, 200, width, dtype=np.float32)
    y[:] = ramp.astype(np.uint8)
    top = height // 2
    cw, ch = width // GRID_COLS, top // GRID_ROWS
    for bit in range(GRID_COLS * GRID_ROWS):
        r, c = divmod(bit, GRID_COLS)
        y[r * ch : (r + 1) * ch, c * cw : (c + 1) * cw] = WHITE if (index >> bit) & 1 else BLACK
    u = np.full((height // 2, width // 2), 128 + (index * 7) % 40 - 20, np.uint8)
    v = np.full((height // 2, width // 2), 128 - (index * 5) % 40 + 20, np.uint8)
    return y, u, v


def read_index(y: np.ndarray) -> int:
    """The index a frame made by :func:`frame_pattern` carries (from its upright Y plane)."""
    if y.ndim == 3:
        y = y.mean(axis=2)
    height, width = y.shape
    top = height // 2
    cw, ch = width // GRID_COLS, top // GRID_ROWS
    index = 0
    for bit in range(GRID_COLS * GRID_ROWS):
        r, c = divmod(bit, GRID_COLS)
        cell = y[r * ch + ch // 4 : (r + 1) * ch - ch // 4, c * cw + cw // 4 : (c + 1) * cw - cw // 4]
        if float(cell.mean()) > 128:
            index |= 1 << bit
    return index


def vfr_times(fps: float, seconds: float) -> list[float]:
    """Frame start times for a variable-rate clip: steps cycle through 1, 2 and 1.5 frame periods."""
    steps = (1.0, 2.0, 1.5)
    times, t, i = [], 0.0, 0
    while t < seconds - 1e-9:
        times.append(round(t, 3))
        t += steps[i % len(steps)] / fps
        i += 1
    return times


def _encoder(codec: str) -> str:
    return {"h264": "libx264", "hevc": "libx265", "h265": "libx265"}.get(codec, codec)


def make_video(
    path: str | Path,
    width: int = 72,
    height: int = 128,
    fps: float = 30.0,
    seconds: float = 1.0,
    audio: bool = True,
    codec: str = "h264",
    pix_fmt: str = "yuv420p",
    rotation: int = 0,
    vfr: bool = False,
    gop: int = 12,
    audio_rate: int = 48000,
    audio_channels: int = 2,
    tone_hz: float = 440.0,
    faststart: bool = False,
) -> Path:
    """Write a small test clip whose frames carry their index (see the module docstring)."""
    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"movflags": "+faststart"} if faststart else {}
    rate = Fraction(fps).limit_denominator(1001)
    if vfr:
        times = vfr_times(fps, seconds)
    else:
        count = round(seconds * fps)
        times = [i / float(rate) for i in range(count)]
    with av.open(str(path), "w", options=options) as out:
        encoder = _encoder(codec)
        vs = out.add_stream(encoder, rate=rate)
        vs.width, vs.height, vs.pix_fmt = width, height, pix_fmt
        vs.gop_size = gop
        if vfr:
            vs.codec_context.time_base = Fraction(1, 1000)
        opts = {"crf": "16"}
        if encoder == "libx264":
            opts["preset"] = "veryfast"
        elif encoder == "libx265":
            opts.update({"preset": "ultrafast", "x265-params": "log-level=error"})
        vs.options = opts
        if rotation:
            vs.set_display_rotation(rotation)
        streams = [vs]
        as_ = None
        if audio:
            as_ = out.add_stream("aac", rate=audio_rate)
            as_.layout = "stereo" if audio_channels == 2 else "mono"
            streams.append(as_)
        for i, t in enumerate(times):
            y, u, v = frame_pattern(i, width, height)
            frame = av.VideoFrame(width, height, "yuv420p")
            for plane, data in zip(frame.planes, (y, u, v), strict=True):
                view = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
                view[:, : data.shape[1]] = data
            if pix_fmt != "yuv420p":
                frame = frame.reformat(format=pix_fmt)
            if vfr:
                frame.pts, frame.time_base = round(t * 1000), Fraction(1, 1000)
            else:
                frame.pts, frame.time_base = i, 1 / rate
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        if as_ is not None:
            _encode_tone(out, as_, seconds, audio_rate, audio_channels, tone_hz)
    return path


def _encode_tone(out: Any, stream: Any, seconds: float, rate: int, channels: int, hz: float) -> None:
    import av

    total = round(seconds * rate)
    block = 1024
    for start in range(0, total, block):
        n = min(block, total - start)
        t = (np.arange(start, start + n) / rate).astype(np.float32)
        tone = (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
        data = np.repeat(tone[None, :], channels, axis=0)
        frame = av.AudioFrame.from_ndarray(data, format="fltp", layout="stereo" if channels == 2 else "mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def make_audio(
    path: str | Path,
    seconds: float = 1.0,
    rate: int = 44100,
    channels: int = 2,
    tone_hz: float = 440.0,
    codec: str = "aac",
) -> Path:
    """An audio-only file (.m4a for AAC, .wav for codec="pcm_s16le", ...)."""
    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "stereo" if channels == 2 else "mono"
        if codec != "aac":
            stream.format = stream.codec_context.codec.audio_formats[0].name
        _encode_tone_any(out, stream, seconds, rate, channels, tone_hz)
    return path


def _encode_tone_any(out: Any, stream: Any, seconds: float, rate: int, channels: int, hz: float) -> None:
    import av

    resampler = av.AudioResampler(
        format=stream.format.name,
        layout=stream.layout.name,
        rate=rate,
    )
    total = round(seconds * rate)
    block = 1024
    for start in range(0, total, block):
        n = min(block, total - start)
        t = (np.arange(start, start + n) / rate).astype(np.float32)
        tone = (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
        data = np.repeat(tone[None, :], channels, axis=0)
        frame = av.AudioFrame.from_ndarray(data, format="fltp", layout="stereo" if channels == 2 else "mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        for f in resampler.resample(frame):
            out.mux(stream.encode(f))
    for f in resampler.resample(None):
        out.mux(stream.encode(f))
    out.mux(stream.encode(None))


def make_image(path: str | Path, width: int = 90, height: int = 160) -> Path:
    """A PNG still showing the index-0 pattern."""
    import cv2
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    y, u, v = frame_pattern(0, width, height)
    i420 = np.concatenate([y.reshape(-1), u.reshape(-1), v.reshape(-1)]).reshape(height * 3 // 2, width)
    rgb = cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420)
    Image.fromarray(rgb).save(path)
    return path


def make_truncated(src: str | Path, dst: str | Path, keep: float = 0.5) -> Path:
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * keep)])
    return Path(dst)


def make_empty(path: str | Path) -> Path:
    Path(path).write_bytes(b"")
    return Path(path)


def make_text_file(path: str | Path) -> Path:
    Path(path).write_text("Shot list for Friday:\n- intro\n- dance\n- outro\n" * 20, encoding="utf-8")
    return Path(path)


def make_damaged_audio(src: str | Path, dst: str | Path, seed: int = 7) -> Path:
    """Copy ``src`` and overwrite the payload of every audio packet with random bytes in place."""
    import av

    shutil.copyfile(src, dst)
    spans = []
    with av.open(str(src)) as container:
        for packet in container.demux(container.streams.audio[0]):
            if packet.size and packet.pos is not None and packet.pos >= 0:
                spans.append((packet.pos, packet.size))
    rng = random.Random(seed)
    with open(dst, "r+b") as fh:
        for pos, size in spans:
            fh.seek(pos)
            fh.write(bytes(rng.getrandbits(8) for _ in range(size)))
    return Path(dst)


STANDARD = {
    "h264_916": "vertical 72x128 H.264/AAC, 30 fps, 2 s, keyframe every 12 frames",
    "h264_169": "landscape 128x72 H.264/AAC, 25 fps, 1 s",
    "hevc": "72x128 HEVC/AAC, 30 fps, 1 s",
    "vfr": "72x128 H.264, variable frame rate (see vfr_times(30, 2))",
    "rotated": "phone clip: coded 128x72, display matrix rotation 90 (shown 72x128)",
    "rotated_cw": "phone clip: coded 128x72, display matrix rotation -90",
    "ten_bit": "72x128 H.264 yuv420p10le, 1 s",
    "yuv444": "72x128 H.264 yuv444p, 1 s, no audio",
    "audio_only": "AAC 44.1 kHz stereo .m4a, 1 s",
    "image": "90x160 PNG",
    "matroska": "72x128 H.264/AAC in Matroska (.mkv, millisecond timestamps), 30 fps, 2 s",
    "truncated": "h264_916 cut at half its bytes",
    "truncated_mkv": "matroska cut at half its bytes",
    "truncated_faststart": "faststart clip (moov first) cut at 60% of its bytes",
    "empty": "zero-byte .mp4",
    "text": "a text file renamed .mp4",
    "damaged_audio": "h264_916 with every audio packet overwritten",
}


class MediaLibrary:
    """The standard clips, made on first use in ``folder`` and reused afterwards."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def get(self, name: str) -> Path:
        if name not in STANDARD:
            raise KeyError(f"no standard clip {name!r}; known: {', '.join(STANDARD)}")
        suffix = {"audio_only": ".m4a", "image": ".png", "matroska": ".mkv", "truncated_mkv": ".mkv"}.get(
            name, ".mp4"
        )
        path = self.folder / f"{name}{suffix}"
        if not path.exists():
            tmp = path.with_name(f"tmp-{path.name}")
            self._make(name, tmp)
            tmp.replace(path)
        return path

    def _make(self, name: str, path: Path) -> None:
        if name == "h264_916":
            make_video(path, 72, 128, 30, 2.0)
        elif name == "h264_169":
            make_video(path, 128, 72, 25, 1.0)
        elif name == "hevc":
            make_video(path, 72, 128, 30, 1.0, codec="hevc")
        elif name == "vfr":
            make_video(path, 72, 128, 30, 2.0, audio=False, vfr=True)
        elif name == "rotated":
            make_video(path, 128, 72, 30, 1.0, rotation=90)
        elif name == "rotated_cw":
            make_video(path, 128, 72, 30, 0.5, audio=False, rotation=-90)
        elif name == "ten_bit":
            make_video(path, 72, 128, 30, 1.0, pix_fmt="yuv420p10le")
        elif name == "yuv444":
            make_video(path, 72, 128, 30, 1.0, audio=False, pix_fmt="yuv444p")
        elif name == "audio_only":
            make_audio(path, 1.0, 44100, 2)
        elif name == "image":
            make_image(path)
        elif name == "matroska":
            make_video(path, 72, 128, 30, 2.0)
        elif name == "truncated_mkv":
            make_truncated(self.get("matroska"), path, 0.5)
        elif name == "truncated":
            make_truncated(self.get("h264_916"), path, 0.5)
        elif name == "truncated_faststart":
            full = self.folder / "faststart-full.mp4"
            make_video(full, 72, 128, 30, 2.0, faststart=True)
            make_truncated(full, path, 0.6)
        elif name == "empty":
            make_empty(path)
        elif name == "text":
            make_text_file(path)
        elif name == "damaged_audio":
            make_damaged_audio(self.get("h264_916"), path)

    def all(self) -> dict[str, Path]:
        return {name: self.get(name) for name in STANDARD}
