"""The preview's mix, kept between edits: an edit costs what it changes.

``LiveMix.update(project)`` gives per-track stems (float32 (n, 2) at 48 kHz, before
normalisation) and the normalising gain, with the export's gains, fades, transitions, speed,
noise gate and ducking (``studio.render.audio_mix`` is the reference; the helpers below follow
it). Three levels of reuse:

1. **Decoded sound** per source segment, in the shared :class:`~studio.audio.pcm_cache.PcmCache`
   (a moved clip, or one trimmed shorter, decodes nothing).
2. **Rendered clip buffers**: each clip's sound times its gain envelope, keyed by every field
   that shapes it (:func:`part_key`: source identity, the source range, speed, placement,
   volume and its keyframes, fades, transition, role, noise gate). A volume or fade change
   re-renders that clip's buffer only, from cached sound.
3. **Stems and loudness**: the stems are rewritten only over the spans of clips that appeared,
   went or changed (and, with ducking, where the music's ducking curve moved). A span is
   rewritten as a fresh sum of the clips overlapping it, in project order, so the result is
   sample-for-sample what a mix from scratch gives. The loudness and true peak are re-measured
   only over those spans (:class:`~studio.audio.loudness_map.LoudnessMap`).

The stems are updated in place (the playback engine holding them hears an edit at once); a
change of the project's length allocates new ones. ``update`` is serialised by a lock; its
``check`` callback (e.g. a job's ``ctx.check``) may cancel it while it decodes and renders,
before it touches the stems, so a cancelled update leaves the mix as it was (plus warm caches).
``renders`` counts rendered clip buffers and ``cache.decodes`` counts decoder opens.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from studio.audio.loudness_map import LoudnessMap, merge_spans
from studio.audio.pcm_cache import PcmCache, shared_cache, source_id
from studio.core.project import AudioClip, Project, VideoClip

log = logging.getLogger(__name__)

RATE = 48000
TARGET_LUFS = -14.0
TRUE_PEAK_DBTP = -1.0
ENVELOPE_STEP_S = 0.01
ENVELOPE_RATE = 1000  # ducking: one voice power value per millisecond (as the export)
RENDERED_BUDGET = 1024 * 1024 * 1024
_SPEED_MARGIN_S = 0.05

Clip = VideoClip | AudioClip


@dataclass(eq=False)
class Part:
    """One clip's sound on the timeline: mix samples [b0, b1)."""

    clip: Clip
    track_id: str
    role: str  # "music" | "voiceover" | "video"
    b0: int
    b1: int
    key: Hashable = field(default=None)


# ------------------------------------------------------------------ shared with the export (studio.render.audio_mix)


def envelope(gain: Callable[[float], float], begin: float, length: int, rate: int) -> np.ndarray:
    """Per-sample gain from ``gain(t)`` sampled every 10 ms and linearly interpolated (as the export)."""
    step = max(1, int(rate * ENVELOPE_STEP_S))
    idx = np.arange(0, length + step, step)
    values = np.array([gain(begin + min(int(i), length - 1) / rate) for i in idx], np.float32)
    return np.interp(np.arange(length), idx, values).astype(np.float32)


def clip_gain(clip: Clip) -> Callable[[float], float]:
    """Gain at timeline time t: an audio clip's volume and fades, a video clip's volume times
    its transition's progress."""
    if isinstance(clip, AudioClip):
        return clip.gain_at

    def gain(t: float) -> float:
        if not clip.active_start <= t < clip.end:
            return 0.0
        g = clip.value_at("volume", t - clip.start)
        p = clip.transition_progress(t)
        return g * (p if p is not None else 1.0)

    return gain


def gain_for(loudness: float, peak: float, target_lufs: float | None, true_peak_db: float) -> float:
    """The gain to ``target_lufs`` that keeps the true peak at or below ``true_peak_db``."""
    g = 1.0
    if target_lufs is not None and math.isfinite(loudness):
        g = 10.0 ** ((target_lufs - loudness) / 20.0)
    limit = 10.0 ** (true_peak_db / 20.0)
    if peak * g > limit:
        g = limit / peak * 0.999
    return g


def _keys(clip: Clip) -> tuple[tuple[float, float, str], ...]:
    return tuple((k.t, k.value, k.interp) for k in clip.keyframes.get("volume", []))


def part_key(part: Part, rate: int, gate: float | None) -> Hashable:
    """Everything that shapes a part's rendered buffer (a changed field is a new key)."""
    clip = part.clip
    src = source_id(clip.source)
    t0 = part.b0 / rate
    n = part.b1 - part.b0
    if abs(clip.speed - 1.0) <= 1e-6:
        sound: tuple[object, ...] = (src, round(clip.source_time(t0) * rate), n, 1.0)
    else:
        sound = (src, clip.source_time(t0), n, clip.speed)
    if isinstance(clip, AudioClip):
        shape: tuple[object, ...] = (
            "audio",
            clip.start,
            clip.end,
            clip.volume,
            _keys(clip),
            clip.fade_in,
            clip.fade_out,
        )
    else:
        d = clip.transition_in.duration if clip.transition_in is not None else None
        shape = ("video", clip.start, clip.end, clip.volume, _keys(clip), d)
    return (sound, gate, part.b0, part.b1, part.role, shape, rate)


# ------------------------------------------------------------------ the mix


@dataclass
class MixResult:
    """What an update produced: stems (live arrays), the normalising gain and what it cost."""

    stems: dict[str, np.ndarray]
    gain: float
    loudness: float
    true_peak: float
    length: int
    rendered: int  # clip buffers rendered by this update
    spans: list[tuple[int, int]]  # timeline sample spans rewritten
    warnings: list[str]


class LiveMix:
    """Incremental stems + loudness for successive states of one project (see the module doc)."""

    def __init__(
        self,
        rate: int = RATE,
        *,
        cache: PcmCache | None = None,
        normalize: bool = True,
        target_lufs: float = TARGET_LUFS,
        true_peak_db: float = TRUE_PEAK_DBTP,
        rendered_budget: int = RENDERED_BUDGET,
    ) -> None:
        self.rate = rate
        self.cache = cache if cache is not None else shared_cache()
        self.target_lufs = target_lufs if normalize else None
        self.true_peak_db = true_peak_db
        self.budget = rendered_budget
        self.renders = 0
        self.warnings: list[str] = []
        self.length = 0
        self.stems: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._parts: list[Part] = []
        self._rendered: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._rendered_bytes = 0
        self._map: LoudnessMap | None = None
        self._ducking: tuple[float, float] | None = None
        self._voice_power: np.ndarray | None = None
        self._duck: np.ndarray | None = None

    # --------------------------------------------------------------- parts
    def _warn(self, message: str) -> None:
        if message not in self.warnings:
            log.info("%s", message)
            self.warnings.append(message)

    def _parts_of(self, project: Project, length: int) -> list[Part]:
        total = length / self.rate
        gate = project.audio.noise_gate
        out: list[Part] = []
        for track in project.tracks:
            if track.muted or track.kind == "text":
                continue
            for clip in track.clips:
                if isinstance(clip, VideoClip):
                    begin, role = clip.active_start, "video"
                elif isinstance(clip, AudioClip):
                    begin, role = clip.start, clip.role
                else:
                    continue
                end = min(clip.end, total)
                if end <= begin or (clip.volume <= 0 and not clip.keyframes.get("volume")):
                    continue
                if not self.cache.has_audio(clip.source):
                    if isinstance(clip, AudioClip):
                        self._warn(f"{clip.source.rsplit('/', 1)[-1]}: this file has no sound")
                    continue
                part = Part(clip, track.id, role, round(begin * self.rate), round(end * self.rate))
                threshold = gate.threshold_db if gate is not None and role == "voiceover" else None
                part.key = part_key(part, self.rate, threshold)
                out.append(part)
        return out

    # ------------------------------------------------------------- buffers
    def _sound(self, part: Part) -> np.ndarray:
        clip, rate = part.clip, self.rate
        t0, n = part.b0 / rate, part.b1 - part.b0
        if abs(clip.speed - 1.0) <= 1e-6:
            return self.cache.decode(clip.source, clip.source_time(t0), n / rate, rate)
        from scipy.signal import resample_poly

        speed = clip.speed
        src0 = clip.source_time(t0)
        lead = min(_SPEED_MARGIN_S, src0)
        raw = self.cache.decode(clip.source, src0 - lead, n / rate * speed + lead + _SPEED_MARGIN_S, rate)
        if len(raw) == 0:
            return raw
        ratio = Fraction(1.0 / speed).limit_denominator(64)
        out = resample_poly(raw, ratio.numerator, ratio.denominator, axis=0).astype(np.float32)
        skip = round(lead * rate / speed)
        return out[skip : skip + n]

    def _buffer(self, part: Part) -> np.ndarray | None:
        """The part's rendered buffer (sound x gain envelope, before ducking), or None when its
        sound cannot be read (then it is left out, with one warning)."""
        from studio.media.errors import MediaError

        hit = self._rendered.get(part.key)
        if hit is not None:
            self._rendered.move_to_end(part.key)
            return hit
        try:
            sound = self._sound(part)
        except MediaError as exc:
            self._warn(f"{exc}; its sound is left out")
            return None
        gate_db = part.key[1]  # type: ignore[index]
        if gate_db is not None and len(sound):
            from studio.audio.dsp import noise_gate

            sound = noise_gate(sound, self.rate, threshold_db=gate_db)
        m = min(part.b1 - part.b0, len(sound))
        env = envelope(clip_gain(part.clip), part.b0 / self.rate, m, self.rate)
        out = sound[:m] * env[:, None]
        out.flags.writeable = False
        self.renders += 1
        self._rendered[part.key] = out
        self._rendered_bytes += out.nbytes
        while self._rendered_bytes > self.budget and len(self._rendered) > 1:
            _, old = self._rendered.popitem(last=False)
            self._rendered_bytes -= old.nbytes
        return out

    # -------------------------------------------------------------- update
    def update(self, project: Project, check: Callable[[], None] = lambda: None) -> MixResult:
        """Bring the stems to this state of the project (a snapshot nobody changes meanwhile)."""
        with self._lock:
            rendered_before = self.renders
            length = round(project.duration * self.rate)
            parts = self._parts_of(project, length)
            buffers: dict[int, np.ndarray | None] = {}
            for part in parts:  # the slow part (decoding, rendering): cancellable
                check()
                buffers[id(part)] = self._buffer(part)
            parts = [p for p in parts if buffers[id(p)] is not None]
            check()
            spans = self._commit(project, parts, buffers, length)
            assert self._map is not None
            loudness, peak = self._map.loudness(), self._map.true_peak()
            return MixResult(
                stems=dict(self.stems),
                gain=gain_for(loudness, peak, self.target_lufs, self.true_peak_db),
                loudness=loudness,
                true_peak=peak,
                length=length,
                rendered=self.renders - rendered_before,
                spans=spans,
                warnings=list(self.warnings),
            )

    def _commit(
        self, project: Project, parts: list[Part], buffers: dict[int, np.ndarray | None], length: int
    ) -> list[tuple[int, int]]:
        rate = self.rate
        old_ids = {(p.track_id, p.key) for p in self._parts}
        new_ids = {(p.track_id, p.key) for p in parts}
        dirty: dict[str, list[tuple[int, int]]] = {}
        for p in self._parts:
            if (p.track_id, p.key) not in new_ids:
                dirty.setdefault(p.track_id, []).append((p.b0, p.b1))
        for p in parts:
            if (p.track_id, p.key) not in old_ids:
                dirty.setdefault(p.track_id, []).append((p.b0, p.b1))
        extra: list[tuple[int, int]] = []
        track_ids = list(dict.fromkeys(p.track_id for p in parts))
        if length != self.length or self._map is None:
            if self._map is None:
                self._map, grown = LoudnessMap(length, rate), (0, length)
            else:
                self._map, grown = self._map.resized(length)
            extra.append(grown)
            stems = {}
            for tid in track_ids:
                stem = np.zeros((length, 2), np.float32)
                if tid in self.stems:
                    keep = min(length, len(self.stems[tid]))
                    stem[:keep] = self.stems[tid][:keep]
                stems[tid] = stem
        else:
            stems = {tid: self.stems.get(tid, np.zeros((length, 2), np.float32)) for tid in track_ids}
        for tid in self.stems:
            if tid not in stems:  # a track that lost its sound: its old content leaves the sum
                extra.append((0, length))
        for tid in stems:
            if tid not in self.stems:
                dirty.setdefault(tid, []).append((0, length))
        self.stems, self.length = stems, length
        self._update_ducking(project, parts, buffers, dirty, length)
        by_track: dict[str, list[Part]] = {}
        for p in parts:
            by_track.setdefault(p.track_id, []).append(p)
        rewritten: list[tuple[int, int]] = []
        for tid, spans in dirty.items():
            if tid not in stems:
                rewritten += spans
                continue
            for lo, hi in merge_spans([(max(0, a), min(length, b)) for a, b in spans]):
                self._fill(stems[tid], by_track.get(tid, []), buffers, lo, hi)
                rewritten.append((lo, hi))
        self._parts = parts
        spans = merge_spans(rewritten + extra)
        self._map.update(self._signal, spans)
        return spans

    def _fill(
        self, stem: np.ndarray, parts: list[Part], buffers: dict[int, np.ndarray | None], lo: int, hi: int
    ) -> None:
        """Samples [lo, hi) of one stem as a fresh sum of its parts, in project order."""
        stem[lo:hi] = 0.0
        for p in parts:
            buf = buffers[id(p)]
            assert buf is not None
            a, b = max(lo, p.b0), min(hi, p.b0 + len(buf))
            if b <= a:
                continue
            piece = buf[a - p.b0 : b - p.b0]
            if p.role == "music" and self._duck is not None:
                piece = piece * self._duck_gain(a, b - a)[:, None]
            stem[a:b] += piece

    def _signal(self, lo: int, hi: int) -> np.ndarray:
        out = np.zeros((hi - lo, 2), np.float32)
        for stem in self.stems.values():
            out += stem[lo:hi]
        return out

    # ------------------------------------------------------------- ducking
    def _duck_gain(self, lo: int, n: int) -> np.ndarray:
        curve = self._duck
        assert curve is not None
        at = np.arange(lo, lo + n, dtype=np.float64) * (ENVELOPE_RATE / self.rate)
        return np.interp(at, np.arange(len(curve)), curve).astype(np.float32)

    def _update_ducking(
        self,
        project: Project,
        parts: list[Part],
        buffers: dict[int, np.ndarray | None],
        dirty: dict[str, list[tuple[int, int]]],
        length: int,
    ) -> None:
        """Keep the voice's 1 kHz power envelope and the music's ducking curve; where the curve
        moved, the music tracks' spans become dirty."""
        ducking = project.audio.ducking
        settings = (ducking.amount_db, ducking.threshold_db) if ducking is not None else None
        if settings is None:
            if self._duck is not None:
                for p in parts:
                    if p.role == "music":
                        dirty.setdefault(p.track_id, []).append((p.b0, p.b1))
            self._ducking = self._voice_power = self._duck = None
            return
        from studio.audio.dsp import ducking_gain

        block = self.rate // ENVELOPE_RATE
        n_env = -(-length // block)
        voices = [p for p in parts if p.role == "voiceover"]
        voice_tracks = {p.track_id for p in voices} | {
            p.track_id for p in self._parts if p.role == "voiceover"
        }
        power = self._voice_power
        if power is None or len(power) != n_env + 1:
            power, spans = np.zeros(n_env + 1, np.float64), [(0, length)]
        else:
            spans = merge_spans([s for tid in voice_tracks for s in dirty.get(tid, [])])
        for lo, hi in spans:
            k0, k1 = max(0, lo) // block, min(n_env, -(-hi // block))
            a, b = k0 * block, min(length, k1 * block)
            buf = np.zeros((b - a, 2), np.float32)
            for p in voices:
                data = buffers[id(p)]
                assert data is not None
                x0, x1 = max(a, p.b0), min(b, p.b0 + len(data))
                if x1 > x0:
                    buf[x0 - a : x1 - a] += data[x0 - p.b0 : x1 - p.b0]
            mono = buf.mean(axis=1, dtype=np.float64)
            mono = np.pad(mono, (0, (k1 - k0) * block - len(mono)))
            power[k0:k1] = np.square(mono).reshape(-1, block).mean(axis=1)
        self._voice_power = power
        if spans or settings != self._ducking or self._duck is None:
            curve = ducking_gain(
                np.sqrt(power),
                ENVELOPE_RATE,
                amount_db=settings[0],
                threshold_db=settings[1],
                length=len(power),
            )
            old = self._duck
            if old is None or len(old) != len(curve) or settings != self._ducking:
                moved = [(0, length)]
            else:
                idx = np.flatnonzero(old != curve)
                moved = [] if not len(idx) else [(int(idx[0] - 1) * block, int(idx[-1] + 2) * block)]
            self._duck, self._ducking = curve, settings
            for lo, hi in moved:
                for p in parts:
                    if p.role == "music" and p.b0 < hi and lo < p.b1:
                        dirty.setdefault(p.track_id, []).append((max(lo, p.b0), min(hi, p.b1)))
