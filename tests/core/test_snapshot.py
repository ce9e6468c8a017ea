"""History snapshots share what an edit did not touch: no whole-project copy per edit."""

from __future__ import annotations

import copy

import pytest

from studio.core.edits import AddFilter, Edit, History, MoveClip, RemoveClip, SetParam, SplitClip
from studio.core.project import AudioClip, Canvas, FilterRef, Project, Track, VideoClip


def big_project(clips: int = 100) -> Project:
    video = [VideoClip(f"c{i}", "/media/v.mp4", 0.0, 6.0, 6.0 * i) for i in range(clips)]
    music = AudioClip("m", "/media/m.wav", 0.0, 6.0 * clips, 0.0)
    return Project(
        title="Big",
        canvas=Canvas(1080, 1920, 30.0),
        tracks=[Track("v1", "video", clips=video), Track("a1", "audio", clips=[music])],
    )


def clip_objects(p: Project) -> dict[str, object]:
    return {c.id: c for t in p.tracks for c in t.clips}


def test_a_slider_edit_copies_one_clip_and_shares_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    history = History(big_project())
    before = history.snapshot()
    assert history.snapshot() is before  # nothing changed: the same snapshot
    copies = history.snapshot_copies

    deep: list[type] = []
    real = copy.deepcopy

    def counting(obj: object, memo: object = None) -> object:
        deep.append(type(obj))
        return real(obj, memo)  # type: ignore[arg-type]

    monkeypatch.setattr(copy, "deepcopy", counting)
    for value in (0.9, 0.8, 0.7):  # a drag: merged edits
        history.do(SetParam("c50", "volume", value, merge=True))
        after = history.snapshot()
    monkeypatch.setattr(copy, "deepcopy", real)
    assert Project not in deep and Track not in deep  # never the project, never a whole track
    assert history.snapshot_copies - copies == 3  # one clip per edit
    old, new = clip_objects(before), clip_objects(after)
    assert new["c50"] is not old["c50"]
    assert new["c50"].volume == 0.7 and old["c50"].volume == 1.0  # type: ignore[attr-defined]
    assert all(new[k] is old[k] for k in old if k != "c50")
    assert all(c is not history.project.clip(k) for k, c in new.items())  # never the live clips

    history.undo()
    undone = history.snapshot()
    assert clip_objects(undone)["c50"].volume == 1.0  # type: ignore[attr-defined]
    assert clip_objects(undone)["c49"] is old["c49"]


@pytest.mark.parametrize(
    "edit",
    [
        MoveClip("c3", 1000.0),
        SplitClip("c3", 20.0),
        RemoveClip("c3"),
        AddFilter("c3", FilterRef("exposure", {"ev": 1.0})),
    ],
)
def test_every_edit_kind_keeps_snapshots_true_to_the_project(edit: Edit) -> None:
    history = History(big_project(10))
    history.snapshot()
    history.do(edit)
    assert history.snapshot().to_dict() == history.project.to_dict()
    history.undo()
    assert history.snapshot().to_dict() == history.project.to_dict()
    history.redo()
    assert history.snapshot().to_dict() == history.project.to_dict()
    assert history.snapshot_copies <= 11 + 6  # the first snapshot (11 clips), then touched or new ones


def test_an_edit_that_cannot_say_what_it_touched_copies_everything() -> None:
    class Anything(Edit):
        def apply(self, project: Project) -> None:
            project.tracks[0].clips[0].volume = 0.5

        def revert(self, project: Project) -> None:
            project.tracks[0].clips[0].volume = 1.0

    history = History(big_project(10))
    history.snapshot()
    history.do(Anything())
    assert history.snapshot().tracks[0].clips[0].volume == 0.5
    assert history.snapshot_copies == 22  # 11 clips, twice
