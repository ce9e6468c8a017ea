"""decode_audio(): stereo float32 at the asked rate, sample-accurate ranges, damage reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.media.audio import decode_audio, has_audio
from studio.media.errors import MediaError
from tests.media.fixtures import MediaLibrary, make_audio


def tone(start: float, n: int, rate: int) -> np.ndarray:
    return 0.3 * np.sin(2 * np.pi * 440 * (np.arange(n) / rate + start))


def test_whole_track_length_and_shape(clips: MediaLibrary) -> None:
    samples = decode_audio(clips.get("h264_916"))
    assert samples.dtype == np.float32
    assert samples.shape == (96000, 2)
    assert np.abs(samples[1000:2000, 0] - tone(1000 / 48000, 1000, 48000)).max() < 0.03


def test_resampled_from_44100(clips: MediaLibrary) -> None:
    samples = decode_audio(clips.get("audio_only"), rate=48000)
    assert samples.shape == (48000, 2)
    assert np.abs(samples[4800:6000, 1] - tone(0.1, 1200, 48000)).max() < 0.03
    assert decode_audio(clips.get("audio_only"), rate=22050).shape == (22050, 2)


def test_range_is_sample_accurate(clips: MediaLibrary) -> None:
    part = decode_audio(clips.get("h264_916"), start=0.5, duration=0.25)
    assert part.shape == (12000, 2)
    assert np.abs(part[:, 0] - tone(0.5, 12000, 48000)).max() < 0.03


def test_range_past_the_end_is_shorter(clips: MediaLibrary) -> None:
    assert decode_audio(clips.get("h264_916"), start=1.9, duration=1.0).shape == (4800, 2)


def test_mono_becomes_stereo(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "mono.wav", 0.5, 16000, 1, codec="pcm_s16le")
    samples = decode_audio(path)
    assert samples.shape == (24000, 2)
    assert np.allclose(samples[:, 0], samples[:, 1])


def test_damaged_and_absent_audio(clips: MediaLibrary) -> None:
    with pytest.raises(MediaError) as caught:
        decode_audio(clips.get("damaged_audio"))
    assert caught.value.kind == "audio_damaged"
    with pytest.raises(MediaError) as caught:
        decode_audio(clips.get("vfr"))
    assert caught.value.kind == "no_audio"
    assert has_audio(clips.get("h264_916"))
    assert not has_audio(clips.get("vfr"))
    assert not has_audio(clips.get("text"))
