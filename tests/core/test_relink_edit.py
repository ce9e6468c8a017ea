"""RelinkSources: one undoable edit for every clip of every relinked file."""

from __future__ import annotations

import pytest

from studio.core.edits import History
from studio.core.errors import ProjectError
from studio.core.project import AudioClip, Canvas, Project, Track, VideoClip
from studio.core.relink import RelinkSources


def project() -> Project:
    video = Track(
        "v1",
        "video",
        clips=[VideoClip("c1", "/old/a.mp4", 0.0, 1.0, 0.0), VideoClip("c2", "/old/a.mp4", 1.0, 2.0, 1.0)],
    )
    audio = Track("a1", "audio", clips=[AudioClip("m1", "/old/song.m4a", 0.0, 2.0, 0.0)])
    return Project(title="p", canvas=Canvas(1080, 1920, 30.0), tracks=[video, audio])


def test_relink_is_one_undo_step() -> None:
    history = History(project())
    history.do(RelinkSources({"/old/a.mp4": "/new/a.mp4", "/old/song.m4a": "/new/song.m4a"}))
    assert history.labels == ["Relink 2 files"]
    assert history.project.sources() == ["/new/a.mp4", "/new/song.m4a"]
    assert history.undo() == "Relink 2 files"
    assert history.project.sources() == ["/old/a.mp4", "/old/song.m4a"]
    history.redo()
    assert [c.source for _, c in history.project.iter_clips()] == [
        "/new/a.mp4",
        "/new/a.mp4",
        "/new/song.m4a",
    ]


def test_relink_of_unused_files_is_refused() -> None:
    history = History(project())
    with pytest.raises(ProjectError):
        history.do(RelinkSources({"/elsewhere/b.mp4": "/new/b.mp4"}))
    assert history.labels == [] and history.project.sources() == ["/old/a.mp4", "/old/song.m4a"]
