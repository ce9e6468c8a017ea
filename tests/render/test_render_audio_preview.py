"""The audio mix (fades, speed, mute, true-peak safety) and the preview renderer (seeks)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from studio.render import PreviewRenderer, mix_project_audio
from studio.render.audio_mix import RATE, limit_true_peak, true_peak
from tests.media.fixtures import make_video, read_index
from tests.render.helpers import make_solid_video, make_tone, project

FPS = 24.0


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("render-audio-media")
    make_tone(d / "tone.m4a", seconds=2.0, amplitude=0.2)
    make_solid_video(d / "voice.mp4", (0, 0, 0), seconds=1.0, tone_hz=300.0)
    make_video(d / "index.mp4", width=72, height=128, fps=FPS, seconds=3.0, audio=False, gop=24)
    return d


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


def test_fades_volume_and_placement(media: Path) -> None:
    clip = {
        "source": "tone.m4a",
        "in_point": 0.0,
        "out_point": 2.0,
        "start": 0.5,
        "fade_in": 0.5,
        "volume": 0.5,
    }
    proj = project([{"kind": "audio", "clips": [clip]}], fps=FPS, base=media)
    mix = mix_project_audio(proj, normalize=False)
    assert mix.shape == (round(2.5 * RATE), 2) and mix.dtype == np.float32
    assert _rms(mix[: RATE // 2]) == 0.0  # nothing before the clip starts
    early = _rms(mix[int(0.55 * RATE) : int(0.6 * RATE)])
    full = _rms(mix[int(1.5 * RATE) : int(2.0 * RATE)])
    assert abs(full - 0.2 * 0.5 / np.sqrt(2)) < 0.01  # volume 0.5 of a 0.2 sine
    assert early < full * 0.25


def test_video_sound_is_mixed_unless_muted_and_speed_shortens_it(media: Path) -> None:
    clip = {"source": "voice.mp4", "in_point": 0.0, "out_point": 1.0, "start": 0.0, "speed": 2.0}
    proj = project([{"kind": "video", "clips": [clip]}], fps=FPS, base=media)
    mix = mix_project_audio(proj, normalize=False)
    assert len(mix) == RATE // 2
    assert _rms(mix[: RATE // 4]) > 0.1
    proj.tracks[0].muted = True
    assert not np.any(mix_project_audio(proj, normalize=False))


def test_true_peak_limit_never_clips() -> None:
    t = np.arange(RATE) / RATE
    loud = np.stack([1.7 * np.sin(2 * np.pi * 997 * t)] * 2, axis=1).astype(np.float32)
    limit_true_peak(loud, -1.0)
    assert 20 * np.log10(true_peak(loud)) <= -1.0 + 1e-3
    assert np.abs(loud).max() < 1.0


def test_preview_frames_after_random_seeks(media: Path) -> None:
    tracks = [{"kind": "video", "clips": [{"source": "index.mp4", "in_point": 0.0, "out_point": 3.0}]}]
    proj = project(tracks, width=144, height=256, fps=FPS, base=media)
    with PreviewRenderer(proj, scale=0.5) as preview:
        assert preview.size == (72, 128) and preview.fps == FPS and preview.duration == 3.0
        rnd = random.Random(7)
        times = [rnd.uniform(0, 2.9) for _ in range(12)] + [2.0, 0.0, 1.0]
        for t in times:
            frame = preview.frame_at(t)
            assert (frame.width, frame.height) == (72, 128)
            assert read_index(frame.planes()[0]) == int(t * FPS + 1e-6), t


def test_preview_draws_a_missing_source_as_nothing(media: Path) -> None:
    tracks = [{"kind": "video", "clips": [{"source": "gone.mp4", "in_point": 0.0, "out_point": 1.0}]}]
    proj = project(tracks, fps=FPS, base=media)
    with PreviewRenderer(proj) as preview:
        frame = preview.frame_at(0.5)
        assert frame.planes()[0].max() <= 20
        assert preview.problems and "gone.mp4" in preview.problems[0]


def test_streaming_loudness_meter_matches_pyloudnorm() -> None:
    from studio.render.audio_mix import LoudnessMeter, integrated_loudness

    rng = np.random.default_rng(5)
    t = np.arange(int(7.3 * RATE)) / RATE
    signal = np.stack([0.1 * np.sin(2 * np.pi * 220 * t), 0.05 * rng.standard_normal(len(t))], axis=1)
    signal[: RATE * 2] *= 0.01  # a quiet stretch the relative gate must drop
    signal = signal.astype(np.float32)
    meter = LoudnessMeter(RATE)
    for i in range(0, len(signal), 12345):  # odd chunk sizes: filter state and sub-blocks carry over
        meter.feed(signal[i : i + 12345])
    assert abs(meter.loudness() - integrated_loudness(signal)) < 0.02
