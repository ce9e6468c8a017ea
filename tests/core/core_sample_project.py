"""A small project with every kind of track, shared by the core edit tests."""

from __future__ import annotations

from studio.core import AudioClip, FilterRef, Project, TextItem, Track, Transition, VideoClip


def make_project() -> Project:
    v1 = Track("v1", "video", clips=[
        VideoClip("a", "/m/a.mp4", 0.0, 4.0, 0.0, filters=[FilterRef("studio.color", {"saturation": 1.2}, uid="fa"),
                                                          FilterRef("studio.blur", {"radius": 2}, uid="fb")]),
        VideoClip("b", "/m/b.mp4", 1.0, 5.0, 4.0, transition_in=Transition("crossfade", 0.5)),
        VideoClip("c", "/m/c.mp4", 0.0, 2.0, 8.0),
    ])  # fmt: skip
    v2 = Track("v2", "video")
    text = Track("t1", "text", items=[TextItem("ti", "Hello creators", 0.5, 3.5)])
    audio = Track(
        "a1", "audio", clips=[AudioClip("mu", "/m/music.m4a", 0.0, 10.0, 0.0, fade_in=1.0, fade_out=1.0)]
    )
    p = Project(title="t", tracks=[v1, v2, text, audio])
    p.validate()
    return p
