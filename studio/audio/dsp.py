"""Mixing tools as pure numpy functions on float32 (n, channels) arrays at a given ``rate``.

Every function returns a new array and leaves its input untouched. The export mix (studio.render)
and the playback stems call the same functions, so what the creator hears is what is exported.
Loudness follows EBU R128 / ITU-R BS.1770 through pyloudnorm; true peak is measured on a 4x
oversampled signal (scipy polyphase resampling), as BS.1770-4 Annex 2 describes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SILENCE_DB = -120.0
TARGET_LUFS = -14.0
TRUE_PEAK_CEILING_DB = -1.0


def db_to_gain(db: float) -> float:
    return 10.0 ** (db / 20.0)


def gain_to_db(gain: float) -> float:
    return 20.0 * math.log10(gain) if gain > 1e-6 else SILENCE_DB


def _as_2d(x: np.ndarray) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float32)
    return arr[:, None] if arr.ndim == 1 else arr


def apply_gain(x: np.ndarray, gain_db: float) -> np.ndarray:
    """Per-clip gain in dB."""
    return (np.asarray(x, dtype=np.float32) * np.float32(db_to_gain(gain_db))).astype(np.float32)


def fade(
    x: np.ndarray, rate: int, fade_in: float = 0.0, fade_out: float = 0.0, shape: str = "linear"
) -> np.ndarray:
    """Fade in over the first ``fade_in`` s and out over the last ``fade_out`` s.

    ``shape``: "linear" (gain ramp) or "equal_power" (sine ramp, for crossfades between clips).
    Fades longer than the clip are shortened to fit.
    """
    if shape not in ("linear", "equal_power"):
        raise ValueError(f"unknown fade shape {shape!r} (use 'linear' or 'equal_power')")
    out = np.array(x, dtype=np.float32, copy=True)
    n = len(out)
    for seconds, rising in ((fade_in, True), (fade_out, False)):
        k = min(n, round(max(0.0, seconds) * rate))
        if k <= 0:
            continue
        ramp = np.linspace(0.0, 1.0, k, endpoint=False, dtype=np.float32) + np.float32(0.5 / k)
        if shape == "equal_power":
            ramp = np.sin(ramp * np.float32(np.pi / 2))
        if not rising:
            ramp = ramp[::-1]
        segment = out[:k] if rising else out[n - k :]
        segment *= ramp if out.ndim == 1 else ramp[:, None]
    return out


def place(audio: np.ndarray, start: float, rate: int, length: int) -> np.ndarray:
    """Put a clip on a silent timeline of ``length`` frames starting at ``start`` seconds."""
    audio = _as_2d(audio)
    out = np.zeros((length, audio.shape[1]), dtype=np.float32)
    begin = round(start * rate)
    if begin >= length or begin + len(audio) <= 0:
        return out
    src = audio[max(0, -begin) : max(0, -begin) + length - max(0, begin)]
    out[max(0, begin) : max(0, begin) + len(src)] = src
    return out


def mix(tracks: Sequence[np.ndarray], gains: Sequence[float] | None = None) -> np.ndarray:
    """Sum (n_i, 2) tracks (linear ``gains``), padded with silence to the longest; no clipping."""
    if gains is not None and len(gains) != len(tracks):
        raise ValueError("mix: one gain per track")
    length = max((len(t) for t in tracks), default=0)
    channels = max((_as_2d(t).shape[1] for t in tracks), default=2)
    out = np.zeros((length, channels), dtype=np.float32)
    for i, track in enumerate(tracks):
        g = 1.0 if gains is None else float(gains[i])
        if g == 0.0:
            continue
        t = _as_2d(track)
        if g == 1.0:
            out[: len(t)] += t
        else:
            out[: len(t)] += t * np.float32(g)
    return out


@dataclass(frozen=True)
class ClipMix:
    """One clip for :func:`mix_clips`: decoded samples placed at ``start`` s on the timeline."""

    audio: np.ndarray  # float32 (n, 2) or (n,), already trimmed to the clip's in/out points
    start: float = 0.0
    gain_db: float = 0.0
    fade_in: float = 0.0
    fade_out: float = 0.0
    fade_shape: str = "linear"


_CHUNK = 32_768  # frames per in-cache step; large arrays are never copied whole


def _ramp(k: int, rising: bool, shape: str) -> np.ndarray:
    ramp = np.linspace(0.0, 1.0, k, endpoint=False, dtype=np.float32) + np.float32(0.5 / k)
    if shape == "equal_power":
        ramp = np.sin(ramp * np.float32(np.pi / 2))
    return ramp if rising else ramp[::-1]


def mix_clips(clips: Sequence[ClipMix], rate: int, length: int | None = None) -> np.ndarray:
    """Gain, fade and sum clips onto a stereo timeline of ``length`` frames (default: to the last
    clip's end) in one pass per clip, the same result as ``mix(place(fade(apply_gain(...))))``.

    Works in cache-sized chunks into a single output buffer, so a 3-minute 8-track mix allocates
    one array, not one per step.
    """
    placed = []
    for clip in clips:
        if clip.fade_shape not in ("linear", "equal_power"):
            raise ValueError(f"unknown fade shape {clip.fade_shape!r} (use 'linear' or 'equal_power')")
        audio = np.asarray(clip.audio, dtype=np.float32)
        if audio.ndim == 1:
            audio = audio[:, None]
        if audio.shape[1] == 1:
            audio = np.broadcast_to(audio, (len(audio), 2))
        placed.append((round(clip.start * rate), audio, clip))
    if length is None:
        length = max((max(0, b + len(a)) for b, a, _ in placed), default=0)
    out = np.zeros((length, 2), dtype=np.float32)
    tmp = np.empty((_CHUNK, 2), dtype=np.float32)
    for begin, audio, clip in placed:
        n = len(audio)
        gain = np.float32(db_to_gain(clip.gain_db))
        k_in = min(n, round(max(0.0, clip.fade_in) * rate))
        k_out = min(n - k_in, round(max(0.0, clip.fade_out) * rate))
        lo, hi = max(0, -begin), min(n, length - begin)  # clip-local frames that land on the timeline
        if hi <= lo:
            continue
        for a in range(lo, hi, _CHUNK):
            b = min(hi, a + _CHUNK)
            src, dst, t = audio[a:b], out[begin + a : begin + b], tmp[: b - a]
            np.multiply(src, gain, out=t)
            if a < k_in:
                e = min(b, k_in)
                t[: e - a] *= _ramp(k_in, True, clip.fade_shape)[a:e, None]
            if b > n - k_out:
                s0 = max(a, n - k_out)
                t[s0 - a :] *= _ramp(k_out, False, clip.fade_shape)[s0 - (n - k_out) : b - (n - k_out), None]
            np.add(dst, t, out=dst)
    return out


# ---------------------------------------------------------------------------- loudness
def integrated_loudness(x: np.ndarray, rate: int) -> float:
    """EBU R128 integrated loudness in LUFS (-inf for silence or clips shorter than 0.4 s)."""
    import pyloudnorm

    arr = _as_2d(x).astype(np.float64)
    if len(arr) < round(0.4 * rate) or not np.any(arr):
        return float("-inf")
    return float(pyloudnorm.Meter(rate).integrated_loudness(arr))


_PEAK_CHUNK = 1 << 18
_PEAK_PAD = 64  # context on each side of a chunk: the polyphase filter's reach at 4x


def oversampled_peaks(x: np.ndarray, oversample: int = 4) -> np.ndarray:
    """Per input sample, the largest |value| among its ``oversample`` interpolated samples (all
    channels), computed in chunks so a long mix is never oversampled whole."""
    from scipy.signal import resample_poly

    arr = _as_2d(x)
    n = len(arr)
    out = np.empty(n, dtype=np.float32)
    for a in range(0, n, _PEAK_CHUNK):
        b = min(n, a + _PEAK_CHUNK)
        lo, hi = max(0, a - _PEAK_PAD), min(n, b + _PEAK_PAD)
        over = np.abs(resample_poly(arr[lo:hi], oversample, 1, axis=0)).max(axis=1)
        seg = over[(a - lo) * oversample : (b - lo) * oversample]
        out[a:b] = seg.reshape(b - a, oversample).max(axis=1)
    return out


def true_peak_db(x: np.ndarray, rate: int, oversample: int = 4) -> float:
    """True peak in dBTP: the sample peak of the signal oversampled ``oversample`` times."""
    if len(x) == 0:
        return SILENCE_DB
    return gain_to_db(float(oversampled_peaks(x, oversample).max()))


def limit_true_peak(
    x: np.ndarray,
    rate: int,
    ceiling_db: float = TRUE_PEAK_CEILING_DB,
    lookahead: float = 0.005,
    peaks: np.ndarray | None = None,
) -> np.ndarray:
    """Look-ahead peak limiter that keeps the 4x-oversampled peak at or under ``ceiling_db``.

    The gain needed at each sample (from the oversampled peaks) is spread with a min filter over
    ``2 * lookahead`` and smoothed with a box average over ``lookahead``: the smoothed gain is
    never above the needed one, so the ceiling holds without hard clipping.
    """
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    arr = _as_2d(x)
    if len(arr) == 0:
        return arr.copy()
    ceiling = db_to_gain(ceiling_db)
    if peaks is None:
        peaks = oversampled_peaks(arr)
    need = np.minimum(np.float32(1.0), np.float32(ceiling) / np.maximum(peaks, np.float32(1e-12)))
    if need.min() >= 1.0:
        return arr.copy()
    width = max(1, round(lookahead * rate))
    gain = minimum_filter1d(need, size=2 * width + 1, mode="nearest")
    gain = uniform_filter1d(gain, size=width, mode="nearest")
    out = (arr * gain[:, None]).astype(np.float32)
    residual = true_peak_db(out, rate) - ceiling_db
    if residual > 0:
        out *= np.float32(db_to_gain(-residual - 0.01))
    return out


def normalize_loudness(
    x: np.ndarray,
    rate: int,
    target_lufs: float = TARGET_LUFS,
    true_peak_ceiling_db: float = TRUE_PEAK_CEILING_DB,
) -> np.ndarray:
    """Gain to ``target_lufs`` integrated loudness, then true-peak limit to the ceiling.

    Use per clip (before placing) and on the master. Silent or sub-0.4 s input is returned as is.
    A gain shifts loudness and true peak by exactly its dB, so both are measured once; only when
    the limiter had to act is the loudness measured again and the small shortfall made up.
    """
    arr = _as_2d(x)
    loudness = integrated_loudness(arr, rate)
    if not math.isfinite(loudness):
        return arr.copy()
    peaks = oversampled_peaks(arr)
    gain_db = target_lufs - loudness
    out = (arr * np.float32(db_to_gain(gain_db))).astype(np.float32)
    for _ in range(3):
        if gain_to_db(float(peaks.max())) + gain_db <= true_peak_ceiling_db:
            return out
        out = limit_true_peak(out, rate, true_peak_ceiling_db, peaks=peaks * np.float32(db_to_gain(gain_db)))
        shortfall = target_lufs - integrated_loudness(out, rate)
        if abs(shortfall) < 0.1:
            return out
        peaks = oversampled_peaks(out)
        gain_db = shortfall
        out = (out * np.float32(db_to_gain(gain_db))).astype(np.float32)
    return limit_true_peak(out, rate, true_peak_ceiling_db)


# ------------------------------------------------------------------ envelopes and dynamics
def short_term_level_db(x: np.ndarray, rate: int, window: float = 0.05, hop: float = 0.01) -> np.ndarray:
    """RMS level in dBFS of the channel-averaged signal over ``window`` s, one value per ``hop`` s."""
    from scipy.ndimage import uniform_filter1d

    arr = _as_2d(x)
    if len(arr) == 0:
        return np.zeros(0, dtype=np.float64)
    power = np.square(arr.mean(axis=1), dtype=np.float64)
    win = max(1, round(window * rate))
    step = max(1, round(hop * rate))
    smoothed = uniform_filter1d(power, size=win, mode="constant")[::step]
    return 10.0 * np.log10(np.maximum(smoothed, 1e-12))


def _smooth_db(target: np.ndarray, step_s: float, attack: float, release: float) -> np.ndarray:
    """One-pole smoothing of a gain curve in dB: ``attack`` while it falls, ``release`` while it rises."""
    a_att = 1.0 - math.exp(-step_s / max(attack, 1e-6))
    a_rel = 1.0 - math.exp(-step_s / max(release, 1e-6))
    out = np.empty_like(target)
    g = 0.0
    for i, t in enumerate(target.tolist()):
        g += (a_att if t < g else a_rel) * (t - g)
        out[i] = g
    return out


def _hold(active: np.ndarray, steps: int) -> np.ndarray:
    """Keep ``active`` true for ``steps`` more steps after each true value."""
    if steps <= 0 or not active.any():
        return active
    index = np.arange(len(active))
    last_true = np.maximum.accumulate(np.where(active, index, -(steps + 1)))
    return (index - last_true) <= steps


def _to_samples(curve_db: np.ndarray, step: int, n: int) -> np.ndarray:
    positions = np.arange(len(curve_db)) * step
    gains = np.power(10.0, curve_db / 20.0)
    return np.interp(np.arange(n), positions, gains).astype(np.float32)


def ducking_gain(
    voice: np.ndarray,
    rate: int,
    amount_db: float = 12.0,
    threshold_db: float = -40.0,
    attack: float = 0.08,
    release: float = 0.6,
    hold: float = 0.3,
    length: int | None = None,
) -> np.ndarray:
    """Linear gain (length,) for the music: ``-amount_db`` while the voice speaks, 0 dB otherwise.

    Speech is where the voice's short-term level (50 ms RMS) is above ``threshold_db``; ``hold``
    bridges pauses between words; ``attack``/``release`` are the time constants going down/up.
    """
    n = len(voice) if length is None else length
    hop = 0.01
    step = round(hop * rate)
    level = short_term_level_db(voice, rate, hop=hop)
    speech = _hold(level > threshold_db, round(hold / hop))
    target = np.where(speech, -abs(amount_db), 0.0)
    total = math.ceil(n / step) + 1
    target = np.pad(target[:total], (0, max(0, total - len(target))))
    curve = _smooth_db(target, hop, attack, release)
    return _to_samples(curve, step, n)


def duck(
    music: np.ndarray,
    voice: np.ndarray,
    rate: int,
    amount_db: float = 12.0,
    threshold_db: float = -40.0,
    attack: float = 0.08,
    release: float = 0.6,
    hold: float = 0.3,
) -> np.ndarray:
    """Music turned down by ``amount_db`` under speech in ``voice`` (same timeline and rate)."""
    arr = _as_2d(music)
    gain = ducking_gain(voice, rate, amount_db, threshold_db, attack, release, hold, length=len(arr))
    return (arr * gain[:, None]).astype(np.float32)


def noise_gate(
    x: np.ndarray,
    rate: int,
    threshold_db: float = -45.0,
    hysteresis_db: float = 6.0,
    attack: float = 0.005,
    release: float = 0.15,
    hold: float = 0.05,
    floor_db: float = -60.0,
) -> np.ndarray:
    """Silence (down to ``floor_db``) the parts of a voice-over below ``threshold_db``.

    The gate opens above the threshold and closes only below ``threshold_db - hysteresis_db``
    after ``hold`` s, so word tails are not chopped; gain moves with ``attack``/``release``.
    """
    arr = _as_2d(x)
    if len(arr) == 0:
        return arr.copy()
    hop = 0.0025
    step = max(1, round(hop * rate))
    level = short_term_level_db(arr, rate, window=0.01, hop=hop)
    above = level > threshold_db
    quiet = level < threshold_db - hysteresis_db
    state = np.empty(len(level), dtype=bool)
    is_open = False
    for i in range(len(level)):
        if above[i]:
            is_open = True
        elif quiet[i]:
            is_open = False
        state[i] = is_open
    state = _hold(state, round(hold / hop))
    target = np.where(state, 0.0, floor_db)
    # closing is the gain falling (the release of a gate), opening is it rising (the attack)
    curve = _smooth_db(target, hop, attack=release, release=attack)
    return (arr * _to_samples(curve, step, len(arr))[:, None]).astype(np.float32)
