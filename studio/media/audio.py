"""Audio decoding to the mix format: float32, stereo, 48 kHz (or any rate), shape (n, 2).

Resampling and channel mixing are PyAV's ``AudioResampler`` (libswresample through a filter
graph), which keeps timestamps, so samples are placed by time: a few damaged packets become
short silences instead of shifting everything after them. Too much damage is a MediaError.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from studio import threadguard
from studio.media.errors import MediaError
from studio.media.probe import check_file

log = logging.getLogger(__name__)

MAX_BAD_FRACTION = 0.1
PREROLL = 0.2  # seconds decoded before ``start``: codecs with overlapping frames (AAC) need them


def has_audio(path: str | Path) -> bool:
    """Whether the file has an audio stream (damaged or not); False for files that are not media."""
    import av

    try:
        p = check_file(path)
        threadguard.check("opening media with PyAV")
        with av.logging.Capture(), av.open(str(p), metadata_errors="ignore") as container:
            return bool(container.streams.audio)
    except (MediaError, av.FFmpegError):
        return False


def decode_audio(
    path: str | Path, start: float = 0.0, duration: float | None = None, rate: int = 48000
) -> np.ndarray:
    """Samples from ``start`` for ``duration`` seconds (to the end when None) as float32 (n, 2).

    The result is shorter than ``duration * rate`` only when the audio ends first.
    Raises MediaError: "no_audio" without an audio stream, "audio_damaged" when it cannot be decoded.
    """
    import av

    p = check_file(path)
    start = max(0.0, start)
    with av.logging.Capture():
        try:
            threadguard.check("opening media with PyAV")
            container = av.open(str(p), metadata_errors="ignore")
        except av.FFmpegError as exc:
            raise MediaError("not_media", p) from exc
        try:
            if not container.streams.audio:
                raise MediaError("no_audio", p)
            stream = container.streams.audio[0]
            stream.thread_type = "AUTO"
            return _decode(container, stream, p, start, duration, rate)
        finally:
            container.close()


def _decode(
    container: Any, stream: Any, p: Path, start: float, duration: float | None, rate: int
) -> np.ndarray:
    import av

    tb = float(stream.time_base)
    origin = stream.start_time or 0
    if start > PREROLL:
        container.seek(origin + int((start - PREROLL) / tb), stream=stream, backward=True)
    resampler = av.AudioResampler(format="flt", layout="stereo", rate=rate)
    wanted = None if duration is None else max(0, round(duration * rate))
    first = round(start * rate)
    chunks: list[tuple[int, np.ndarray]] = []
    packets = bad = 0
    end_sample = None if wanted is None else first + wanted
    if stream.duration:
        # Drop the encoder's padding after the last real sample.
        total = round(stream.duration * tb * rate)
        end_sample = total if end_sample is None else min(end_sample, total)

    def take(frames: list[Any]) -> None:
        for out in frames:
            data = out.to_ndarray().reshape(-1, 2)
            at = (
                round(out.pts * float(out.time_base) * rate) - round(origin * tb * rate)
                if out.pts is not None
                else None
            )
            if at is None:
                at = chunks[-1][0] + len(chunks[-1][1]) if chunks else first
            chunks.append((at, data))

    for packet in container.demux(stream):
        if packet.size:
            packets += 1
        try:
            decoded = packet.decode()
        except av.FFmpegError as exc:
            bad += 1
            log.debug("%s: skipped a damaged audio packet (%s)", p, exc)
            continue
        for frame in decoded:
            take(resampler.resample(frame))
        if end_sample is not None and chunks and chunks[-1][0] + len(chunks[-1][1]) >= end_sample:
            break
    else:
        take(resampler.resample(None))
    if packets and (bad > MAX_BAD_FRACTION * packets or not chunks):
        raise MediaError("audio_damaged", p, "the audio of this file is damaged and cannot be played")
    if bad:
        log.warning("%s: %d damaged audio packets were replaced by silence", p.name, bad)
    if not chunks:
        return np.zeros((0, 2), np.float32)
    last = max(at + len(data) for at, data in chunks)
    stop = last if end_sample is None else min(last, end_sample)
    out = np.zeros((max(0, stop - first), 2), np.float32)
    for at, data in chunks:
        lo, hi = max(at, first), min(at + len(data), stop)
        if hi > lo:
            out[lo - first : hi - first] = data[lo - at : hi - at]
    return out
