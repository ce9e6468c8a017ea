from __future__ import annotations

import dataclasses
import json

import pytest

from studio.core import (
    CANVAS_PRESETS,
    AudioClip,
    Canvas,
    Project,
    ProjectError,
    TextItem,
    Track,
    Transition,
    VideoClip,
)
from tests.shared_files import EXAMPLE


@pytest.fixture
def example_doc() -> dict:
    return json.loads(EXAMPLE.read_text())


def test_example_loads_with_absolute_sources_and_right_fields(example_doc: dict) -> None:
    p = Project.from_dict(example_doc, base_dir=str(EXAMPLE.parent))
    assert p.schema_version == 2
    assert (p.canvas.width, p.canvas.height, p.canvas.fps) == (1080, 1920, 30.0)
    video, text, audio = p.tracks
    assert [t.kind for t in p.tracks] == ["video", "text", "audio"]
    a, b = video.clips
    assert a.source == str(EXAMPLE.parent / "clip-a.mp4")
    assert (a.in_point, a.out_point, a.start, a.fit) == (0.0, 4.0, 0.0, "fill")
    assert a.filters[0].id == "studio.color"
    assert a.filters[0].params == {"saturation": 1.2, "brightness": 0.05}
    assert (b.in_point, b.out_point, b.start, b.fit) == (1.0, 5.0, 4.0, "fit")
    assert b.transition_in == Transition("crossfade", 0.5)
    item = text.items[0]
    assert item.text == "Hello #creators"
    assert (item.start, item.end, item.position) == (0.5, 3.5, (0.5, 0.8))
    assert (item.style.size, item.style.color, item.style.stroke) == (72.0, "#ffffff", "#000000")
    music = audio.clips[0]
    assert isinstance(music, AudioClip) and music.volume == 0.6 and music.role == "music"
    assert music.source == str(EXAMPLE.parent / "music.m4a")
    assert p.duration == 8.0
    ids = [t.id for t in p.tracks] + [e.id for t in p.tracks for e in t.elements]
    assert len(set(ids)) == len(ids) and all(len(i) == 12 for i in ids)


def test_round_trip_to_dict_from_dict(example_doc: dict) -> None:
    p = Project.from_dict(example_doc, base_dir="/media/proj")
    doc = p.to_dict(relative_to="/media/proj")
    assert doc["tracks"][0]["clips"][0]["source"] == "clip-a.mp4"
    again = Project.from_dict(json.loads(json.dumps(doc)), base_dir="/media/proj")
    assert again == p
    assert again.to_dict(relative_to="/media/proj") == doc


def test_relative_sources_outside_the_folder_use_dotdot() -> None:
    p = Project(tracks=[Track("t1", "video", clips=[VideoClip("c1", "/media/raw/a.mp4", 0, 1, 0)])])
    assert p.to_dict(relative_to="/media/proj")["tracks"][0]["clips"][0]["source"] == "../raw/a.mp4"
    assert p.to_dict()["tracks"][0]["clips"][0]["source"] == "/media/raw/a.mp4"


def test_unknown_keys_are_preserved(example_doc: dict) -> None:
    example_doc["x_app"] = {"zoom": 3}
    example_doc["tracks"][0]["clips"][0]["x_label"] = "red"
    example_doc["tracks"][1]["items"][0]["style"]["x_shadow"] = 2
    doc = Project.from_dict(example_doc).to_dict()
    assert doc["x_app"] == {"zoom": 3}
    assert doc["tracks"][0]["clips"][0]["x_label"] == "red"
    assert doc["tracks"][1]["items"][0]["style"]["x_shadow"] == 2


def test_newer_schema_version_is_a_clear_error(example_doc: dict) -> None:
    example_doc["schema_version"] = 99
    with pytest.raises(ProjectError, match="newer Creator Studio"):
        Project.from_dict(example_doc)


def _clip(**kw: object) -> dict:
    doc = {"source": "a.mp4", "in_point": 0.0, "out_point": 2.0, "start": 0.0}
    doc.update(kw)
    return doc


def _doc(clip: dict | None = None, kind: str = "video", **extra: object) -> dict:
    track: dict = {"kind": kind, "clips": [clip or _clip()]}
    return {"schema_version": 2, "tracks": [track], **extra}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_doc(_clip(speed=5.0)), r"speed 5x is outside 0.25x..4x"),
        (_doc(_clip(speed=0.1)), r"speed 0.1x is outside"),
        (_doc(_clip(in_point=3.0)), r"in point \(3 s\) must be before the out point"),
        (_doc(_clip(start=-1.0)), r"times cannot be negative"),
        (_doc(_clip(fit="stretch")), r"unknown fit mode 'stretch'"),
        (_doc(_clip(transition_in={"kind": "wipe", "duration": 1})), r"unknown transition 'wipe'"),
        (_doc(_clip(transition_in={"kind": "slide", "duration": 0})), r"transition duration"),
        (_doc(kind="subtitles"), r"unknown track kind 'subtitles'"),
        (_doc(_clip(in_point="zero")), r"'in_point' must be a number"),
        (_doc(_clip(source="")), r"no source"),
        (_doc(_clip(keyframes={"speed": [{"t": 0, "value": 1}]})), r"'speed' cannot be keyframed"),
        (_doc(canvas={"width": 1081, "height": 1920}), r"canvas width must be an even"),
        (
            {"schema_version": 2, "tracks": [{"kind": "text", "items": [
                {"text": "x", "start": 0, "end": 1, "style": {"color": "white"}}]}]},
            r"text colour 'white' is not a colour",
        ),
        (
            {"schema_version": 2, "tracks": [{"kind": "text", "items": [
                {"text": "x", "start": 2, "end": 1}]}]},
            r"starts \(2 s\) after it ends",
        ),
        (
            {"schema_version": 2, "tracks": [{"kind": "audio", "clips": [_clip(role="sfx")]}]},
            r"unknown audio role 'sfx'",
        ),
    ],
)  # fmt: skip
def test_validation_errors_are_clear(doc: dict, message: str) -> None:
    with pytest.raises(ProjectError, match=message) as info:
        Project.from_dict(doc)
    assert info.value.where  # says where in the document


def test_duplicate_ids_are_rejected() -> None:
    doc = {"schema_version": 2, "tracks": [{"kind": "video", "clips": [_clip(id="same"), _clip(id="same")]}]}
    with pytest.raises(ProjectError, match="used twice"):
        Project.from_dict(doc)


def test_canvas_defaults_and_presets() -> None:
    assert Canvas() == Canvas(1080, 1920, 30.0)
    assert CANVAS_PRESETS == {
        "1080x1920": (1080, 1920),
        "720x1280": (720, 1280),
        "1080x1080": (1080, 1080),
        "1920x1080": (1920, 1080),
    }
    c = Canvas.preset("720x1280", fps=25)
    assert (c.width, c.height, c.fps) == (720, 1280, 25)
    with pytest.raises(ProjectError, match="unknown canvas preset"):
        Canvas.preset("4k")


def test_source_time_respects_speed_and_clips_at() -> None:
    a = VideoClip("a", "/a.mp4", in_point=2.0, out_point=6.0, start=0.0, speed=2.0)
    b = VideoClip(
        "b", "/b.mp4", in_point=1.0, out_point=3.0, start=2.0, transition_in=Transition("crossfade", 0.5)
    )
    track = Track("v", "video", clips=[a, b])
    assert a.duration == 2.0 and a.end == 2.0
    assert a.source_time(1.0) == 4.0
    assert a.timeline_time(4.0) == 1.0
    assert [c.id for c in track.clips_at(1.0)] == ["a"]
    assert [c.id for c in track.clips_at(1.75)] == ["a", "b"]
    assert b.transition_progress(1.75) == pytest.approx(0.5)
    assert b.source_time(1.75) == pytest.approx(0.75)  # pre-roll from before the in point
    assert b.transition_progress(2.0) is None
    assert [c.id for c in track.clips_at(2.5)] == ["b"]
    assert track.clips_at(4.0) == []
    assert track.previous_clip(b) is a
    assert Project(tracks=[track]).duration == 4.0


def test_preroll_never_goes_below_zero() -> None:
    b = VideoClip(
        "b", "/b.mp4", in_point=0.0, out_point=2.0, start=3.0, transition_in=Transition("dip_to_black", 1)
    )
    assert b.active_start == 2.0
    assert b.source_time(2.5) == 0.0


def test_text_opacity_and_word_reveal() -> None:
    item = TextItem("t", "one two three four", start=1.0, end=5.0, fade_in=0.5, fade_out=1.0, reveal="word")
    assert item.opacity_at(0.9) == 0.0
    assert item.opacity_at(1.25) == pytest.approx(0.5)
    assert item.opacity_at(3.0) == 1.0
    assert item.opacity_at(4.5) == pytest.approx(0.5)
    assert item.opacity_at(5.0) == 0.0
    assert [item.visible_word_count(t) for t in (0.5, 1.0, 1.99, 2.0, 3.5, 4.99)] == [0, 1, 1, 2, 3, 4]
    assert item.visible_text(2.5) == "one two"
    plain = dataclasses.replace(item, reveal="none")
    assert plain.visible_word_count(1.0) == 4


def test_audio_gain_with_fades() -> None:
    clip = AudioClip("m", "/m.m4a", 0.0, 4.0, 1.0, volume=0.5, fade_in=1.0, fade_out=2.0)
    assert clip.gain_at(0.5) == 0.0
    assert clip.gain_at(1.5) == pytest.approx(0.25)
    assert clip.gain_at(3.0) == pytest.approx(0.5)
    assert clip.gain_at(4.0) == pytest.approx(0.25)
