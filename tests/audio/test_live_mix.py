"""The incremental preview mix: an edit re-decodes, re-renders and re-measures only what it changed,
and the result is what a mix from scratch (and the export's stems) gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from studio.audio.live_mix import LiveMix
from studio.audio.loudness_map import LoudnessMap
from studio.audio.pcm_cache import PcmCache
from studio.core.edits import History, MoveClip, SetParam, SetParams, TrimClip
from studio.core.project import AudioClip, AudioSettings, Canvas, Ducking, NoiseGate, Project, Track
from tests.media.fixtures import make_audio

RATE = 48000


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("live-mix")
    return {
        "music": make_audio(folder / "music.wav", 14.0, rate=RATE, tone_hz=220.0, codec="pcm_s16le"),
        "voice": make_audio(folder / "voice.wav", 8.0, rate=RATE, tone_hz=880.0, codec="pcm_s16le"),
        "fx": make_audio(folder / "fx.wav", 3.0, rate=RATE, tone_hz=1500.0, codec="pcm_s16le"),
    }


def project(sounds: dict[str, Path], *, ducking: bool = False, gate: bool = False) -> Project:
    music = AudioClip("music", str(sounds["music"]), 0.0, 12.0, 0.0, volume=0.5, fade_in=1.0, fade_out=2.0)
    fx = [AudioClip(f"fx{i}", str(sounds["fx"]), 0.2 * i, 2.2, 1.5 + 2.5 * i) for i in range(4)]
    voice = AudioClip("voice", str(sounds["voice"]), 0.5, 6.5, 3.0, role="voiceover")
    return Project(
        title="Mix",
        canvas=Canvas(72, 128, 30.0),
        tracks=[
            Track("a1", "audio", name="Music", clips=[music]),
            Track("a2", "audio", name="FX", clips=fx),
            Track("a3", "audio", name="Voice", clips=[voice]),
        ],
        audio=AudioSettings(
            ducking=Ducking() if ducking else None, noise_gate=NoiseGate(-60.0) if gate else None
        ),
    )


@pytest.fixture
def decoder_opens(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every decoder open (decode_audio and has_audio), by path."""
    from studio.media import audio as media_audio

    opened: list[str] = []
    decode, probe = media_audio.decode_audio, media_audio.has_audio

    def counting_decode(path: str | Path, *args: object, **kwargs: object) -> np.ndarray:
        opened.append(str(path))
        return decode(path, *args, **kwargs)  # type: ignore[arg-type]

    def counting_probe(path: str | Path) -> bool:
        opened.append(str(path))
        return probe(path)

    monkeypatch.setattr(media_audio, "decode_audio", counting_decode)
    monkeypatch.setattr(media_audio, "has_audio", counting_probe)
    yield opened


def fresh(state: Project, **kwargs: object) -> LiveMix:
    live = LiveMix(RATE, cache=PcmCache(), **kwargs)  # type: ignore[arg-type]
    live.update(state)
    return live


def test_a_volume_edit_decodes_nothing_and_renders_only_that_clip(
    sounds: dict[str, Path], decoder_opens: list[str]
) -> None:
    history = History(project(sounds))
    live = LiveMix(RATE, cache=PcmCache())
    first = live.update(history.snapshot())
    assert first.rendered == 6  # music, four effects, the voice
    assert decoder_opens  # the first mix decodes every clip once

    decoder_opens.clear()
    history.do(SetParam("fx2", "volume", 0.25, merge=True))
    result = live.update(history.snapshot())
    assert decoder_opens == []
    assert result.rendered == 1
    clip = history.project.clip("fx2")
    assert result.spans == [(round(clip.start * RATE), round(clip.end * RATE))]

    # a fade change, and a move along the timeline: still nothing decoded
    history.do(SetParams("music", {"fade_out": 3.0}))
    assert live.update(history.snapshot()).rendered == 1
    history.do(MoveClip("fx0", 0.75))
    assert live.update(history.snapshot()).rendered == 1
    history.do(TrimClip("voice", "out", 7.0))  # shorter: a slice of what was decoded
    assert live.update(history.snapshot()).rendered == 1
    assert decoder_opens == []


@pytest.mark.parametrize("settings", [{}, {"ducking": True}, {"ducking": True, "gate": True}])
def test_the_incremental_mix_equals_a_mix_from_scratch(
    sounds: dict[str, Path], settings: dict[str, bool]
) -> None:
    history = History(project(sounds, **settings))
    live = LiveMix(RATE, cache=PcmCache())
    live.update(history.snapshot())
    edits = [
        SetParam("fx1", "volume", 1.7),
        SetParam("voice", "volume", 0.3),  # moves the ducking curve under the music
        SetParams("music", {"fade_in": 2.0}),
        MoveClip("fx3", 11.0),  # the project gets longer
        TrimClip("music", "out", 9.0),
    ]
    for edit in edits:
        history.do(edit)
        result = live.update(history.snapshot())
        scratch = fresh(history.snapshot())
        assert set(result.stems) == set(scratch.stems)
        for track_id, stem in scratch.stems.items():
            assert result.stems[track_id].shape == stem.shape
            np.testing.assert_allclose(result.stems[track_id], stem, rtol=0, atol=1e-6)
        assert result.loudness == pytest.approx(scratch._map.loudness() if scratch._map else 0.0, abs=1e-6)
    history.undo()
    history.undo()
    result = live.update(history.snapshot())
    scratch = fresh(history.snapshot())
    for track_id, stem in scratch.stems.items():
        np.testing.assert_allclose(result.stems[track_id], stem, rtol=0, atol=1e-6)


def test_the_mix_follows_the_export_stems(sounds: dict[str, Path]) -> None:
    from studio.render.audio_mix import track_stems

    state = project(sounds, ducking=True)
    ours = fresh(state).stems
    export = track_stems(state, RATE, normalize=False)
    assert set(ours) == set(export)
    for track_id, stem in export.items():
        np.testing.assert_allclose(ours[track_id], stem, rtol=0, atol=1e-4)


def test_the_incremental_loudness_is_pyloudnorms(sounds: dict[str, Path]) -> None:
    import pyloudnorm

    history = History(project(sounds))
    live = LiveMix(RATE, cache=PcmCache())
    live.update(history.snapshot())
    for value in (2.0, 0.1, 3.5):
        history.do(SetParam("fx0", "volume", value))
        result = live.update(history.snapshot())
        total = np.sum(list(result.stems.values()), axis=0, dtype=np.float32).astype(np.float64)
        reference = pyloudnorm.Meter(RATE).integrated_loudness(total)
        assert result.loudness == pytest.approx(reference, abs=0.1)
        # the gain brings the mix to -14 LUFS unless the true peak stops it
        assert result.gain * result.true_peak <= 10 ** (-1 / 20) + 1e-9


def test_the_loudness_map_re_measures_only_the_changed_span() -> None:
    import pyloudnorm

    rng = np.random.default_rng(1)
    n = 30 * RATE
    signal = (rng.standard_normal((n, 2)) * 0.1).astype(np.float32)
    signal[10 * RATE : 12 * RATE] *= 0.01  # a quiet stretch the relative gate drops
    whole = LoudnessMap(n, RATE)
    whole.update(lambda lo, hi: signal[lo:hi], [(0, n)])
    assert whole.loudness() == pytest.approx(
        pyloudnorm.Meter(RATE).integrated_loudness(signal.astype(np.float64)), abs=0.1
    )

    lo, hi = 20 * RATE + 123, 21 * RATE + 4567
    signal[lo:hi] *= 3.0
    whole.measured = 0
    whole.update(lambda a, b: signal[a:b], [(lo, hi)])
    assert whole.measured < 2 * (hi - lo) + RATE  # the span and the filters' settling, not 30 s
    again = LoudnessMap(n, RATE)
    again.update(lambda a, b: signal[a:b], [(0, n)])
    assert whole.loudness() == pytest.approx(again.loudness(), abs=1e-9)
    assert whole.true_peak() == pytest.approx(again.true_peak(), rel=1e-6)
    np.testing.assert_allclose(whole.energies, again.energies, rtol=1e-9)


def test_the_pcm_cache_slices_what_it_holds_and_misses_a_changed_file(
    sounds: dict[str, Path], decoder_opens: list[str], tmp_path: Path
) -> None:
    from studio.media.audio import decode_audio

    cache = PcmCache()
    song = str(sounds["music"])
    whole = cache.decode(song, 1.0, 6.0, RATE)
    part = cache.decode(song, 2.5, 2.0, RATE)
    assert len(decoder_opens) == 1 and cache.hits == 1
    np.testing.assert_array_equal(part, decode_audio(song, start=2.5, duration=2.0, rate=RATE))
    assert not whole.flags.writeable
    copy = tmp_path / "song.wav"
    copy.write_bytes(Path(song).read_bytes())
    cache.decode(str(copy), 1.0, 2.0, RATE)
    copy.write_bytes(Path(sounds["voice"]).read_bytes())  # the same name, another file
    cache.decode(str(copy), 1.0, 2.0, RATE)
    assert cache.decodes == 3
