"""Small media and project builders for the render tests (and the render benchmarks)."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.project import Project


def make_solid_video(
    path: Path,
    rgb: tuple[int, int, int],
    *,
    width: int = 180,
    height: int = 320,
    fps: float = 24.0,
    seconds: float = 1.0,
    tone_hz: float | None = None,
    gop: int = 12,
) -> Path:
    """An H.264 MP4 of one solid colour (optionally with a sine tone)."""
    import av
    import cv2

    rate = Fraction(fps).limit_denominator(1001)
    img = np.empty((height, width, 3), np.uint8)
    img[:] = rgb
    i420 = cv2.cvtColor(img, cv2.COLOR_RGB2YUV_I420)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=rate)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.gop_size = gop
        vs.options = {"crf": "10", "preset": "ultrafast"}
        a_s = None
        if tone_hz is not None:
            a_s = out.add_stream("aac", rate=48000)
            a_s.layout = "stereo"
        n = round(seconds * fps)
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(i420, format="yuv420p")
            frame.pts, frame.time_base = i, 1 / rate
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        if a_s is not None:
            total = round(seconds * 48000)
            t = np.arange(total) / 48000.0
            tone = (0.3 * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32)
            for i in range(0, total, 1024):
                chunk = np.ascontiguousarray(np.stack([tone[i : i + 1024]] * 2))
                af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
                af.sample_rate, af.pts, af.time_base = 48000, i, Fraction(1, 48000)
                out.mux(a_s.encode(af))
            out.mux(a_s.encode(None))
    return path


def make_tone(path: Path, seconds: float = 3.0, hz: float = 440.0, amplitude: float = 0.05) -> Path:
    """An AAC .m4a sine tone (quiet by default, so loudness normalisation has work to do)."""
    import av

    total = round(seconds * 48000)
    t = np.arange(total) / 48000.0
    tone = (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    with av.open(str(path), "w", format="mp4") as out:
        a_s = out.add_stream("aac", rate=48000)
        a_s.layout = "stereo"
        for i in range(0, total, 1024):
            chunk = np.ascontiguousarray(np.stack([tone[i : i + 1024]] * 2))
            af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            af.sample_rate, af.pts, af.time_base = 48000, i, Fraction(1, 48000)
            out.mux(a_s.encode(af))
        out.mux(a_s.encode(None))
    return path


def project(
    tracks: list[dict[str, Any]], *, width: int = 180, height: int = 320, fps: float = 24.0, base: Path
) -> Project:
    doc = {
        "schema_version": 2,
        "title": "t",
        "canvas": {"width": width, "height": height, "fps": fps},
        "tracks": tracks,
    }
    return Project.from_dict(doc, base_dir=str(base))


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_streams",
            "-show_format",
            "-count_frames",
            "-of",
            "json",
            str(path),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def stream(info: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(s for s in info["streams"] if s["codec_type"] == kind)


def decode_rgb(path: Path) -> list[np.ndarray]:
    """Every video frame of ``path`` as RGB arrays."""
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def decode_audio_all(path: Path) -> np.ndarray:
    import av

    with av.open(str(path)) as c:
        chunks = [f.to_ndarray() for f in c.decode(audio=0)]
    data = np.concatenate(chunks, axis=1)  # fltp: (channels, n)
    return data.T.astype(np.float32)
