"""An edit in the editor costs what it changes: no project copy on the GUI thread, no re-decode."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from studio.core.edits import History, SetParam
from studio.core.project import AudioClip, Canvas, Project, Track
from studio.ui.editor.window.main_window import MainWindow
from tests.media.fixtures import make_audio

RATE = 48000


def sound_project(folder: Path) -> Project:
    tone = make_audio(folder / "tone.wav", 4.0, rate=RATE, tone_hz=440.0, codec="pcm_s16le")
    clips = [AudioClip(f"m{i}", str(tone), 0.0, 1.0, 1.2 * i) for i in range(3)]
    return Project(title="Tones", canvas=Canvas(72, 128, 30.0), tracks=[Track("a1", "audio", clips=clips)])


def test_a_volume_edit_copies_no_project_and_decodes_nothing(
    qtbot: QtBot, studio_window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio.media import audio as media_audio

    window = studio_window
    with qtbot.waitSignal(window.audio.stemsReady, timeout=20000):
        window.set_history(History(sound_project(tmp_path)), None)
    qtbot.waitUntil(lambda: not window.audio.busy, timeout=20000)
    before = window.audio.stems["a1"].copy()

    deep: list[type] = []
    opens: list[str] = []
    real_copy, real_decode = copy.deepcopy, media_audio.decode_audio

    def counting_copy(obj: object, memo: object = None) -> object:
        deep.append(type(obj))
        return real_copy(obj, memo)  # type: ignore[arg-type]

    def counting_decode(path: str | Path, *args: object, **kwargs: object) -> np.ndarray:
        opens.append(str(path))
        return real_decode(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(copy, "deepcopy", counting_copy)
    monkeypatch.setattr(media_audio, "decode_audio", counting_decode)
    live = window.audio._live
    assert live is not None
    renders = live.renders
    with qtbot.waitSignal(window.audio.stemsReady, timeout=20000):
        window.timeline_model.do(SetParam("m1", "volume", 0.25, merge=True))
    qtbot.wait(50)  # the preview frame's hand-over too
    assert Project not in deep and Track not in deep
    assert opens == []
    assert live.renders == renders + 1  # only m1's buffer
    after = window.audio.stems["a1"]
    span = slice(round(1.2 * RATE), round(2.2 * RATE))
    np.testing.assert_allclose(after[span], before[span] * 0.25, atol=1e-6)
    np.testing.assert_array_equal(after[: span.start], before[: span.start])
    assert window.source.project.clip("m1").volume == 0.25  # the player thread's state too
