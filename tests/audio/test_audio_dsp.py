"""Mixing tools measured on arrays: ducking, loudness, true peak, fades, gate, mix."""

from __future__ import annotations

import numpy as np
import pytest

from studio.audio import dsp

RATE = 48000


def tone(seconds: float, freq: float, amp: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    mono = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([mono, mono], axis=1)


def level_db(x: np.ndarray, a: float, b: float) -> float:
    seg = x[round(a * RATE) : round(b * RATE)]
    return float(20 * np.log10(np.sqrt(np.mean(np.square(seg, dtype=np.float64))) + 1e-12))


def speech_like(seconds: float, start: float, end: float) -> np.ndarray:
    """Syllables of a 200 Hz buzz (150 ms on, 80 ms off) between start and end."""
    voice = np.zeros((round(seconds * RATE), 2), np.float32)
    t = start
    while t + 0.15 < end:
        a, b = round(t * RATE), round((t + 0.15) * RATE)
        voice[a:b] = tone(0.15, 200.0, 0.3)[: b - a]
        t += 0.23
    return voice


@pytest.mark.parametrize("amount", [6.0, 12.0, 18.0])
def test_music_drops_by_the_amount_under_speech_and_recovers(amount: float) -> None:
    music = tone(12.0, 440.0, 0.3)
    voice = speech_like(12.0, 3.0, 7.0)
    ducked = dsp.duck(music, voice, RATE, amount_db=amount)
    drop = lambda a, b: level_db(ducked, a, b) - level_db(music, a, b)  # noqa: E731
    assert drop(0.5, 2.9) == pytest.approx(0.0, abs=0.05)
    assert drop(4.0, 6.5) == pytest.approx(-amount, abs=0.3)
    assert drop(10.0, 12.0) == pytest.approx(0.0, abs=0.2)
    gain = dsp.ducking_gain(voice, RATE, amount_db=amount)
    assert np.all(np.abs(np.diff(gain)) < 0.01)  # smooth: attack/release, no steps


def test_ducking_attack_and_release_times() -> None:
    voice = speech_like(8.0, 2.0, 4.0)
    fast = dsp.ducking_gain(voice, RATE, amount_db=12, attack=0.02, release=0.2)
    slow = dsp.ducking_gain(voice, RATE, amount_db=12, attack=0.3, release=1.5)
    at = round(2.1 * RATE)
    assert fast[at] < slow[at]
    after = round(5.0 * RATE)
    assert fast[after] > slow[after]


@pytest.mark.parametrize(
    "signal",
    [tone(5.0, 1000.0, 0.05), np.random.default_rng(0).normal(0, 0.3, (5 * RATE, 2)).astype(np.float32)],
    ids=["quiet-tone", "loud-noise"],
)
def test_loudness_normalisation_reaches_minus_14_lufs(signal: np.ndarray) -> None:
    out = dsp.normalize_loudness(signal, RATE)
    assert dsp.integrated_loudness(out, RATE) == pytest.approx(-14.0, abs=0.3)
    assert dsp.true_peak_db(out, RATE) <= -1.0


def test_peaky_material_is_limited_to_minus_1_dbtp() -> None:
    x = tone(6.0, 300.0, 0.05)
    for k in range(1, 6):
        x[k * RATE : k * RATE + 20] += 0.9  # short clicks far above the programme
    assert dsp.true_peak_db(dsp.apply_gain(x, 20), RATE) > 0
    out = dsp.normalize_loudness(x, RATE)
    assert dsp.true_peak_db(out, RATE) <= -1.0
    assert dsp.integrated_loudness(out, RATE) == pytest.approx(-14.0, abs=0.5)


def test_true_peak_sees_intersample_peaks() -> None:
    t = np.arange(RATE) / RATE
    x = np.sin(2 * np.pi * (RATE / 4) * t + np.pi / 4).astype(np.float32)  # samples at 0.707 peaks at 1
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(-3.0, abs=0.1)
    assert dsp.true_peak_db(x, RATE) > -0.7


def test_fades_and_gain() -> None:
    x = np.ones((RATE, 2), np.float32)
    out = dsp.fade(x, RATE, fade_in=0.5, fade_out=0.25)
    assert out[0, 0] < 0.01 and out[RATE // 4, 0] == pytest.approx(0.5, abs=0.01)
    assert out[RATE // 2 + 10, 0] == 1.0 and out[-1, 0] < 0.01
    assert out[round(0.875 * RATE), 0] == pytest.approx(0.5, abs=0.01)
    eq = dsp.fade(x, RATE, fade_in=0.5, shape="equal_power")
    assert eq[RATE // 4, 0] == pytest.approx(np.sqrt(0.5), abs=0.01)
    assert x.min() == 1.0  # input untouched
    assert dsp.apply_gain(x, -6.0206)[0, 0] == pytest.approx(0.5, abs=1e-4)
    with pytest.raises(ValueError, match="fade shape"):
        dsp.fade(x, RATE, 0.1, shape="cubic")


def test_noise_gate_silences_hiss_between_words_and_keeps_words() -> None:
    voice = speech_like(4.0, 1.0, 3.0)
    hiss = np.random.default_rng(2).normal(0, 0.002, voice.shape).astype(np.float32)
    gated = dsp.noise_gate(voice + hiss, RATE, threshold_db=-40)
    assert level_db(gated, 0.1, 0.9) < level_db(hiss, 0.1, 0.9) - 40
    word = (1.0 + 0.03, 1.0 + 0.14)
    assert level_db(gated, *word) == pytest.approx(level_db(voice, *word), abs=0.5)


def test_place_and_mix_build_a_timeline() -> None:
    clip = np.ones((RATE, 2), np.float32)
    placed = dsp.place(clip, 0.5, RATE, 2 * RATE)
    assert placed[: RATE // 2].max() == 0 and placed[RATE // 2 : RATE // 2 * 3].min() == 1
    assert dsp.place(clip, -0.5, RATE, RATE)[: RATE // 2].min() == 1
    total = dsp.mix([placed, clip], gains=[0.5, 1.0])
    assert total.shape == (2 * RATE, 2)
    assert total[RATE // 4, 0] == 1.0 and total[RATE - 1, 0] == 1.5
    assert total[RATE * 3 // 2 - 1, 0] == 0.5 and total[-1, 0] == 0.0


def test_mix_clips_matches_the_step_by_step_mix() -> None:
    rng = np.random.default_rng(3)
    a = rng.uniform(-0.5, 0.5, (RATE + 12345, 2)).astype(np.float32)
    b = rng.uniform(-0.5, 0.5, (70_000,)).astype(np.float32)
    clips = [
        dsp.ClipMix(a, start=-0.25, gain_db=-6.0, fade_in=0.4, fade_out=0.3),
        dsp.ClipMix(b, start=0.5, gain_db=3.0, fade_in=0.1, fade_out=0.2, fade_shape="equal_power"),
    ]
    fast = dsp.mix_clips(clips, RATE, length=2 * RATE)
    slow_a = dsp.place(dsp.fade(dsp.apply_gain(a, -6.0), RATE, 0.4, 0.3), -0.25, RATE, 2 * RATE)
    b2 = np.stack([b, b], axis=1)
    slow_b = dsp.place(dsp.fade(dsp.apply_gain(b2, 3.0), RATE, 0.1, 0.2, "equal_power"), 0.5, RATE, 2 * RATE)
    np.testing.assert_allclose(fast, dsp.mix([slow_a, slow_b]), atol=1e-6)
    assert dsp.mix_clips(clips, RATE).shape == (round(0.5 * RATE) + 70_000, 2)
