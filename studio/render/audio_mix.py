"""The project's sound: every audio clip and every video clip's own sound, mixed at 48 kHz stereo.

Gains follow the model (volume keyframes, fades via ``AudioClip.gain_at``; a video clip's sound
fades in over its transition window). The mix is normalised to an integrated loudness (-14 LUFS
by default, ITU-R BS.1770-4) and made true-peak safe: the peak of a 4x oversampled copy
(``scipy.signal.resample_poly``) is kept at or below -1 dBTP by lowering the gain, so nothing
clips. Speed changes resample the clip's sound (pitch follows speed).

Export streams the mix in 10 s chunks twice (measure, then encode), so memory does not grow with
the project's length. The loudness meter is a streaming form of pyloudnorm's: the same K-weighting
filters (pyloudnorm's coefficients, run with carried ``lfilter`` state) and the same 400 ms / 75 %
overlap gating, computed from 100 ms sub-block energies; tests hold it to pyloudnorm's result.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from studio.audio.live_mix import clip_gain, envelope, gain_for
from studio.audio.loudness_map import gated_loudness, oversampling_fir
from studio.core.project import AudioClip, Project, VideoClip

log = logging.getLogger(__name__)

RATE = 48000
TARGET_LUFS = -14.0
TRUE_PEAK_DBTP = -1.0
CHUNK_S = 10.0
ENVELOPE_RATE = 1000  # the voice level behind ducking: one power value per millisecond
GATE_LEAD_S = 1.0  # sound decoded before a chunk so the noise gate reaches its state
_PEAK_CONTEXT = 64
_SPEED_MARGIN_S = 0.05


@dataclass
class _Part:
    """One clip's sound on the timeline: samples [b0, b1) of the mix."""

    clip: VideoClip | AudioClip
    b0: int
    b1: int
    gain: Callable[[float], float]
    track_id: str
    role: str  # "music" | "voiceover" (audio clips) | "video" (a video clip's own sound)


class AudioMix:
    """The mix of a project, rendered on demand for any sample range (nothing kept between calls).

    ``project.audio`` switches on the noise gate (voice-over clips) and ducking (music clips under
    voice-over clips). Ducking needs the voice's level over the whole timeline: it is measured
    once, on first use, as a 1 kHz power envelope (a few MB for ten minutes), and the music's
    gain curve comes from ``studio.audio.dsp.ducking_gain`` on that envelope, so any range of
    the mix can still be rendered alone.
    """

    def __init__(
        self,
        project: Project,
        rate: int = RATE,
        *,
        duration: float | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        self.rate = rate
        total = project.duration if duration is None else duration
        self.length = round(total * rate)
        # warnings handed to a caller are shown by it; the log keeps them at info level
        self._caller_shows = warnings is not None
        self.warnings = warnings if warnings is not None else []
        self.settings = project.audio
        self._parts: list[_Part] = []
        self._duck: np.ndarray | None = None
        self._duck_lock = threading.Lock()
        for track in project.tracks:
            if track.muted or track.kind == "text":
                continue
            for clip in track.clips:
                part = self._part(clip, total, track.id)
                if part is not None:
                    self._parts.append(part)

    @property
    def track_ids(self) -> list[str]:
        """The tracks that have sound in the mix, bottom first."""
        return list(dict.fromkeys(p.track_id for p in self._parts))

    def _part(self, clip: VideoClip | AudioClip, total: float, track_id: str) -> _Part | None:
        from studio.media.audio import has_audio

        if isinstance(clip, VideoClip):
            begin, gain, role = clip.active_start, clip_gain(clip), "video"
        elif isinstance(clip, AudioClip):
            begin, gain, role = clip.start, clip.gain_at, clip.role
        else:
            return None
        end = min(clip.end, total)
        if end <= begin or (clip.volume <= 0 and not clip.keyframes.get("volume")):
            return None
        if not has_audio(clip.source):
            if isinstance(clip, AudioClip):
                self._warn(f"{clip.source.rsplit('/', 1)[-1]}: this file has no sound")
            return None
        return _Part(clip, round(begin * self.rate), round(end * self.rate), gain, track_id, role)

    def _warn(self, message: str) -> None:
        if message not in self.warnings:
            if self._caller_shows:
                log.info(message)
            else:
                log.warning(message)
            self.warnings.append(message)

    def render(self, start: int, count: int, *, track_id: str | None = None) -> np.ndarray:
        """Samples [start, start + count) of the mix (or of one track of it), before
        normalisation, float32 (count, 2)."""
        out = np.zeros((count, 2), np.float32)
        for part in list(self._parts):
            if track_id is not None and part.track_id != track_id:
                continue
            lo, hi = max(start, part.b0), min(start + count, part.b1)
            if hi > lo:
                self._add(out, part, lo, hi, start)
        return out

    def _add(self, out: np.ndarray, part: _Part, lo: int, hi: int, offset: int, *, duck: bool = True) -> None:
        samples = self._samples(part, lo, hi)
        if samples is None:
            return
        m = min(hi - lo, len(samples))
        if m <= 0:
            return
        env = envelope(part.gain, lo / self.rate, m, self.rate)
        if duck and part.role == "music" and self.settings.ducking is not None:
            env *= self._ducking_gain(lo, m)
        out[lo - offset : lo - offset + m] += samples[:m].astype(np.float32, copy=False) * env[:, None]

    def _samples(self, part: _Part, lo: int, hi: int) -> np.ndarray | None:
        """The clip's own sound for mix samples [lo, hi) (gated voice-over when the project says
        so), or None when it cannot be read (then it is left out, with one warning)."""
        from studio.media.errors import MediaError

        gate = self.settings.noise_gate if part.role == "voiceover" else None
        begin = lo if gate is None else max(part.b0, lo - round(GATE_LEAD_S * self.rate))
        try:
            samples = self._decode(part.clip, begin, hi - begin)
        except MediaError as exc:
            self._warn(f"{exc}; its sound is left out")
            if part in self._parts:
                self._parts.remove(part)
            return None
        if samples.ndim == 1:
            samples = np.stack([samples, samples], axis=1)
        if gate is not None and len(samples):
            from studio.audio.dsp import noise_gate

            # the gate's state settles within GATE_LEAD_S, so chunks join as one pass would
            samples = noise_gate(samples, self.rate, threshold_db=gate.threshold_db)[lo - begin :]
        return samples

    def _decode(self, clip: VideoClip | AudioClip, lo: int, n: int) -> np.ndarray:
        from studio.media.audio import decode_audio

        rate = self.rate
        t0 = lo / rate
        if abs(clip.speed - 1.0) <= 1e-6:
            return decode_audio(clip.source, start=clip.source_time(t0), duration=n / rate, rate=rate)
        return _decode_at_speed(clip, t0, n, rate)

    # ------------------------------------------------------------------ ducking

    def _ducking_gain(self, lo: int, n: int) -> np.ndarray:
        """The music's ducking gain for mix samples [lo, lo + n)."""
        curve = self._ducking_curve()
        at = (np.arange(lo, lo + n, dtype=np.float64)) * (ENVELOPE_RATE / self.rate)
        return np.interp(at, np.arange(len(curve)), curve).astype(np.float32)

    def _ducking_curve(self) -> np.ndarray:
        """Linear gain at ENVELOPE_RATE over the whole timeline (computed once)."""
        with self._duck_lock:
            if self._duck is None:
                from studio.audio.dsp import ducking_gain

                ducking = self.settings.ducking
                assert ducking is not None
                power = self._voice_envelope()
                self._duck = ducking_gain(
                    np.sqrt(power),
                    ENVELOPE_RATE,
                    amount_db=ducking.amount_db,
                    threshold_db=ducking.threshold_db,
                    length=len(power),
                )
            return self._duck

    def _voice_envelope(self) -> np.ndarray:
        """Mean power of the voice-over clips (channels averaged, as dsp measures speech) per
        1 ms: its square root has the same 50 ms RMS as the full-rate voice."""
        block = self.rate // ENVELOPE_RATE
        n_env = -(-self.length // block)
        power = np.zeros(n_env + 1, np.float64)
        voices = [p for p in self._parts if p.role == "voiceover"]
        if not voices:
            return power
        step = int(CHUNK_S * self.rate) // block * block
        for start in range(0, self.length, step):
            count = min(step, self.length - start)
            buf = np.zeros((count, 2), np.float32)
            for part in voices:
                lo, hi = max(start, part.b0), min(start + count, part.b1)
                if hi > lo:
                    self._add(buf, part, lo, hi, start, duck=False)
            mono = buf.mean(axis=1, dtype=np.float64)
            whole = -(-count // block) * block
            mono = np.pad(mono, (0, whole - count))
            k = start // block
            power[k : k + whole // block] = np.square(mono).reshape(-1, block).mean(axis=1)
        return power

    # ------------------------------------------------------------------ output

    def chunks(
        self, gain: float = 1.0, chunk_s: float = CHUNK_S, *, track_id: str | None = None
    ) -> Iterator[np.ndarray]:
        """The whole mix (or one track of it) in order, ``chunk_s`` seconds at a time, scaled by ``gain``."""
        step = max(1, int(chunk_s * self.rate))
        for start in range(0, self.length, step):
            block = self.render(start, min(step, self.length - start), track_id=track_id)
            if gain != 1.0:
                block *= np.float32(gain)
            yield block

    def normalising_gain(
        self, target_lufs: float | None = TARGET_LUFS, true_peak_db: float = TRUE_PEAK_DBTP
    ) -> float:
        """Pass 1: the gain that brings the mix to ``target_lufs`` (None: keep its loudness) without
        passing ``true_peak_db``."""
        meter = LoudnessMeter(self.rate)
        peak = TruePeak()
        for block in self.chunks():
            meter.feed(block)
            peak.feed(block)
        return gain_for(meter.loudness(), peak.value, target_lufs, true_peak_db)


def mix_project_audio(
    project: Project,
    rate: int = RATE,
    *,
    normalize: bool = True,
    target_lufs: float = TARGET_LUFS,
    true_peak_db: float = TRUE_PEAK_DBTP,
    warnings: list[str] | None = None,
    duration: float | None = None,
) -> np.ndarray:
    """The whole project's sound as float32 (n, 2) at ``rate`` (n = duration * rate), normalised.

    Sources whose sound cannot be read are treated as silence and named in ``warnings``.
    """
    mix = AudioMix(project, rate, duration=duration, warnings=warnings)
    out = np.concatenate([np.zeros((0, 2), np.float32), *mix.chunks()])
    gain = _whole_gain(out, rate, target_lufs if normalize else None, true_peak_db)
    if gain != 1.0:
        out *= np.float32(gain)
    return out


def track_stems(
    project: Project,
    rate: int = RATE,
    *,
    normalize: bool = True,
    target_lufs: float = TARGET_LUFS,
    true_peak_db: float = TRUE_PEAK_DBTP,
    warnings: list[str] | None = None,
) -> dict[str, np.ndarray]:
    """Per-track sound for the player: track id -> float32 (n, 2), n = duration * rate.

    Every track with sound (audio tracks, video tracks' own sound; muted tracks left out, as in
    the export) gets the export's gains, fades, noise gate and ducking; with ``normalize`` each
    stem is scaled by the export's normalising gain, so the stems sum to
    :func:`mix_project_audio`'s result and muting one in ``AudioEngine.set_tracks`` is exactly
    the export without that track's sound (ducking still follows the voice-over as exported).
    """
    mix = AudioMix(project, rate, warnings=warnings)
    stems = {
        track_id: np.concatenate([np.zeros((0, 2), np.float32), *mix.chunks(track_id=track_id)])
        for track_id in mix.track_ids
    }
    if normalize and stems:
        total = np.sum(list(stems.values()), axis=0, dtype=np.float32)
        gain = _whole_gain(total, rate, target_lufs, true_peak_db)
        if gain != 1.0:
            for stem in stems.values():
                stem *= np.float32(gain)
    return stems


def _whole_gain(samples: np.ndarray, rate: int, target_lufs: float | None, true_peak_db: float) -> float:
    meter = LoudnessMeter(rate)
    meter.feed(samples)
    return gain_for(meter.loudness(), true_peak(samples), target_lufs, true_peak_db)


def _decode_at_speed(clip: VideoClip | AudioClip, t0: float, n: int, rate: int) -> np.ndarray:
    """``n`` output samples from timeline time ``t0`` of a sped-up/slowed clip.

    A margin of source sound on each side keeps ``resample_poly``'s edges out of the result, so
    consecutive chunks join without clicks.
    """
    from scipy.signal import resample_poly

    from studio.media.audio import decode_audio

    speed = clip.speed
    src0 = clip.source_time(t0)
    lead = min(_SPEED_MARGIN_S, src0)
    src_len = n / rate * speed
    raw = decode_audio(clip.source, start=src0 - lead, duration=src_len + lead + _SPEED_MARGIN_S, rate=rate)
    if len(raw) == 0:
        return raw
    ratio = Fraction(1.0 / speed).limit_denominator(64)
    out = resample_poly(raw, ratio.numerator, ratio.denominator, axis=0).astype(np.float32)
    skip = round(lead * rate / speed)
    return out[skip : skip + n]


class TruePeak:
    """Running true-peak estimate: max |x| of a 4x oversampled copy, fed chunk by chunk."""

    def __init__(self) -> None:
        self.value = 0.0
        self._tail = np.zeros((0, 2), np.float32)

    def feed(self, block: np.ndarray) -> None:
        from scipy.signal import resample_poly

        if len(block) == 0:
            return
        data = np.concatenate([self._tail, block]) if len(self._tail) else block
        over = resample_poly(data.astype(np.float32, copy=False), 4, 1, axis=0, window=oversampling_fir())
        self.value = max(self.value, float(np.abs(over).max(initial=0.0)))
        self._tail = block[-_PEAK_CONTEXT:].copy()


def true_peak(samples: np.ndarray, chunk_s: float = CHUNK_S) -> float:
    """Linear true peak of a whole signal (computed in chunks)."""
    peak = TruePeak()
    step = int(chunk_s * RATE)
    for i in range(0, len(samples), step):
        peak.feed(samples[i : i + step])
    return peak.value


def limit_true_peak(samples: np.ndarray, true_peak_db: float = TRUE_PEAK_DBTP) -> float:
    """Lower the gain in place so the true peak is at most ``true_peak_db``; returns the gain applied."""
    g = gain_for(-math.inf, true_peak(samples), None, true_peak_db)
    if g != 1.0:
        samples *= np.float32(g)
    return g


class LoudnessMeter:
    """BS.1770-4 integrated loudness fed chunk by chunk (stereo; pyloudnorm's filters and gating)."""

    BLOCK_S = 0.4
    STEP_S = 0.1  # 75 % overlap

    def __init__(self, rate: int = RATE) -> None:
        import pyloudnorm

        self.rate = rate
        meter = pyloudnorm.Meter(rate)
        self._stages = [(f.b, f.a, f.passband_gain) for f in meter._filters.values()]
        self._state: list[np.ndarray | None] = [None] * len(self._stages)
        self._sub = round(self.STEP_S * rate)
        self._carry = np.zeros((0, 2), np.float64)
        self._energies: list[np.ndarray] = []  # per 100 ms sub-block: sum of squares per channel
        self.samples = 0

    def feed(self, block: np.ndarray) -> None:
        from scipy.signal import lfilter

        if len(block) == 0:
            return
        x = block.astype(np.float64)
        for k, (b, a, gain) in enumerate(self._stages):
            zi = self._state[k]
            if zi is None:
                zi = np.zeros((max(len(a), len(b)) - 1, x.shape[1]))  # rest, as pyloudnorm starts
            x, self._state[k] = lfilter(b, a, x, axis=0, zi=zi)
            x = x * gain
        self.samples += len(block)
        data = np.concatenate([self._carry, x]) if len(self._carry) else x
        whole = len(data) - len(data) % self._sub
        if whole:
            sq = np.square(data[:whole]).reshape(-1, self._sub, data.shape[1]).sum(axis=1)
            self._energies.append(sq)
        self._carry = data[whole:]

    def loudness(self) -> float:
        """Integrated loudness in LUFS (-inf for silence or less than 0.4 s of sound)."""
        parts = [*self._energies]
        if len(self._carry):
            parts.append(np.square(self._carry).sum(axis=0, keepdims=True))
        if not parts:
            return -math.inf
        return gated_loudness(np.concatenate(parts), self.samples, self.rate)


def integrated_loudness(samples: np.ndarray, rate: int = RATE) -> float:
    """pyloudnorm's integrated loudness of a whole signal (-inf for silence or < 0.4 s): the reference."""
    import pyloudnorm

    if len(samples) < int(0.4 * rate) + 1 or not np.any(samples):
        return -math.inf
    return float(pyloudnorm.Meter(rate).integrated_loudness(samples))
