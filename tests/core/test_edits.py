from __future__ import annotations

from collections.abc import Callable

import pytest
from core_sample_project import make_project

from studio.core import FilterRef, Project, ProjectError, TextItem, Track, Transition, VideoClip
from studio.core.edits import (
    AddClip,
    AddFilter,
    AddText,
    AddTrack,
    Edit,
    EditText,
    History,
    MoveClip,
    MoveFilter,
    MoveTrack,
    RemoveClip,
    RemoveFilter,
    RemoveKeyframe,
    RemoveText,
    RemoveTrack,
    RippleDelete,
    SetKeyframe,
    SetParam,
    SetParams,
    SetSpeed,
    SplitClip,
    TrimClip,
)


def check_undo_redo(edit: Edit, then: Callable[[Project], None]) -> Project:
    p = make_project()
    h = History(p)
    before = p.to_dict()
    h.do(edit)
    then(p)
    after = p.to_dict()
    assert after != before
    p.validate()
    assert h.undo() == edit.label
    assert p.to_dict() == before
    assert h.redo() == edit.label
    assert p.to_dict() == after
    then(p)
    return p


def clip(p: Project, cid: str) -> VideoClip:
    return p.clip(cid)  # type: ignore[return-value]


def test_add_remove_move_track() -> None:
    check_undo_redo(
        AddTrack("audio", index=0, name="VO"), lambda p: p.tracks[0].name == "VO" or pytest.fail()
    )
    check_undo_redo(
        RemoveTrack("v2"), lambda p: [t.id for t in p.tracks] == ["v1", "t1", "a1"] or pytest.fail()
    )
    check_undo_redo(MoveTrack("a1", 0), lambda p: p.tracks[0].id == "a1" or pytest.fail())


def test_add_and_remove_clip_and_text() -> None:
    new = VideoClip("n", "/m/n.mp4", 0.0, 1.0, 5.0)

    def added(p: Project) -> None:
        assert [c.id for c in p.track("v1").clips] == ["a", "b", "n", "c"]  # kept in start order

    check_undo_redo(AddClip("v1", new), added)
    check_undo_redo(
        RemoveClip("b"), lambda p: [c.id for c in p.track("v1").clips] == ["a", "c"] or pytest.fail()
    )
    check_undo_redo(
        AddText("t1", TextItem("t2", "Follow", 4.0, 6.0)),
        lambda p: len(p.track("t1").items) == 2 or pytest.fail(),
    )
    check_undo_redo(RemoveText("ti"), lambda p: p.track("t1").items == [] or pytest.fail())
    p = make_project()
    with pytest.raises(ProjectError, match="cannot hold"):
        History(p).do(AddClip("t1", new))
    with pytest.raises(ProjectError, match="already used"):
        History(p).do(AddClip("v2", VideoClip("a", "/x.mp4", 0, 1, 0)))


def test_move_clip_within_and_between_tracks() -> None:
    def moved(p: Project) -> None:
        assert clip(p, "a").start == 10.0
        assert [c.id for c in p.track("v1").clips] == ["b", "c", "a"]

    check_undo_redo(MoveClip("a", 10.0), moved)

    def across(p: Project) -> None:
        assert [c.id for c in p.track("v2").clips] == ["b"] and clip(p, "b").start == 1.0

    check_undo_redo(MoveClip("b", 1.0, track_id="v2"), across)
    with pytest.raises(ProjectError, match="cannot go on a audio track"):
        History(make_project()).do(MoveClip("a", 0.0, track_id="a1"))


def test_split_clip() -> None:
    edit = SplitClip("b", 5.0)

    def split(p: Project) -> None:
        left, right = clip(p, "b"), clip(p, edit.new_id)
        assert (left.in_point, left.out_point, left.start, left.end) == (1.0, 2.0, 4.0, 5.0)
        assert (right.in_point, right.out_point, right.start, right.end) == (2.0, 5.0, 5.0, 8.0)
        assert left.transition_in is not None and right.transition_in is None
        assert [c.id for c in p.track("v1").clips] == ["a", "b", edit.new_id, "c"]

    check_undo_redo(edit, split)
    with pytest.raises(ProjectError, match="not inside the clip"):
        History(make_project()).do(SplitClip("b", 9.0))


def test_split_moves_keyframes_with_the_content() -> None:
    p = make_project()
    h = History(p)
    h.do(SetKeyframe("c", "volume", 0.0, 0.0))
    h.do(SetKeyframe("c", "volume", 2.0, 1.0))
    split = SplitClip("c", 9.0)
    h.do(split)
    right = clip(p, split.new_id)
    assert right.value_at("volume", 0.0) == pytest.approx(0.5)
    assert right.value_at("volume", 1.0) == pytest.approx(1.0)


def test_split_audio_and_text() -> None:
    e = SplitClip("mu", 4.0)
    check_undo_redo(
        e, lambda p: (p.clip("mu").fade_out, p.clip(e.new_id).fade_in) == (0.0, 0.0) or pytest.fail()
    )
    t = SplitClip("ti", 2.0)
    check_undo_redo(
        t, lambda p: (p.text_item("ti").end, p.text_item(t.new_id).start) == (2.0, 2.0) or pytest.fail()
    )


def test_trim_without_and_with_ripple() -> None:
    def head(p: Project) -> None:
        b = clip(p, "b")
        assert (b.start, b.in_point, b.end) == (4.5, 1.5, 8.0)
        assert clip(p, "c").start == 8.0

    check_undo_redo(TrimClip("b", "in", 4.5), head)

    def tail_ripple(p: Project) -> None:
        b = clip(p, "b")
        assert (b.out_point, b.end) == (4.0, 7.0)
        assert clip(p, "c").start == 7.0  # pulled left with the trim
        assert clip(p, "a").start == 0.0

    check_undo_redo(TrimClip("b", "out", 7.0, ripple=True), tail_ripple)

    def head_ripple(p: Project) -> None:
        b = clip(p, "b")
        assert (b.start, b.in_point, b.end) == (4.0, 2.0, 7.0)
        assert clip(p, "c").start == 7.0

    check_undo_redo(TrimClip("b", "in", 5.0, ripple=True), head_ripple)
    with pytest.raises(ProjectError, match="in point"):
        History(make_project()).do(TrimClip("b", "out", 3.0))
    with pytest.raises(ProjectError, match="cannot be negative"):
        History(make_project()).do(TrimClip("b", "in", 2.0))  # would need source before 0


def test_failed_edit_leaves_project_and_history_unchanged() -> None:
    p = make_project()
    h = History(p)
    before = p.to_dict()
    with pytest.raises(ProjectError):
        h.do(TrimClip("b", "out", 3.0, ripple=True))
    with pytest.raises(ProjectError):
        h.do(SetParam("a", "speed", 9.0))
    with pytest.raises(ProjectError):
        h.do(SetParam("a", "transform", {"x": 1}))
    assert p.to_dict() == before
    assert not h.can_undo and h.change_count == 0


def test_ripple_delete() -> None:
    def deleted(p: Project) -> None:
        assert [c.id for c in p.track("v1").clips] == ["a", "c"]
        assert clip(p, "c").start == 4.0

    check_undo_redo(RippleDelete("b"), deleted)


def test_change_speed() -> None:
    def faster(p: Project) -> None:
        b = clip(p, "b")
        assert (b.speed, b.duration, b.end) == (2.0, 2.0, 6.0)
        assert clip(p, "c").start == 6.0

    check_undo_redo(SetSpeed("b", 2.0, ripple=True), faster)
    with pytest.raises(ProjectError, match=r"speed 8x is outside 0\.25x\.\.4x"):
        History(make_project()).do(SetSpeed("b", 8.0))


def test_filters_add_remove_reorder_and_params() -> None:
    new = FilterRef("studio.vignette", {"amount": 0.3}, uid="fv")
    check_undo_redo(
        AddFilter("a", new, index=0),
        lambda p: [f.uid for f in clip(p, "a").filters] == ["fv", "fa", "fb"] or pytest.fail(),
    )
    check_undo_redo(
        RemoveFilter("a", "fa"), lambda p: [f.uid for f in clip(p, "a").filters] == ["fb"] or pytest.fail()
    )
    check_undo_redo(
        MoveFilter("a", "fb", 0),
        lambda p: [f.uid for f in clip(p, "a").filters] == ["fb", "fa"] or pytest.fail(),
    )
    check_undo_redo(
        SetParam("a", "filters.fa.params.saturation", 0.5),
        lambda p: clip(p, "a").filter("fa").params["saturation"] == 0.5 or pytest.fail(),
    )
    check_undo_redo(
        SetParam("a", "filters.fa.params.contrast", 1.1),  # a param not set before: undo removes it
        lambda p: clip(p, "a").filter("fa").params == {"saturation": 1.2, "contrast": 1.1} or pytest.fail(),
    )
    check_undo_redo(
        SetParam("a", "filters.fb.enabled", False),
        lambda p: not clip(p, "a").filter("fb").enabled or pytest.fail(),
    )


def test_set_any_parameter() -> None:
    check_undo_redo(
        SetParam("a", "transform.scale", 1.5), lambda p: clip(p, "a").transform.scale == 1.5 or pytest.fail()
    )
    check_undo_redo(SetParam("a", "fit", "crop"), lambda p: clip(p, "a").fit == "crop" or pytest.fail())
    check_undo_redo(
        SetParam("c", "transition_in", {"kind": "slide", "duration": 0.4}),
        lambda p: clip(p, "c").transition_in == Transition("slide", 0.4) or pytest.fail(),
    )
    check_undo_redo(
        SetParam("b", "transition_in", None), lambda p: clip(p, "b").transition_in is None or pytest.fail()
    )
    check_undo_redo(SetParam("canvas", "width", 720), lambda p: p.canvas.width == 720 or pytest.fail())
    check_undo_redo(SetParam("project", "title", "Mine"), lambda p: p.title == "Mine" or pytest.fail())
    check_undo_redo(
        SetParams("project", {"canvas.height": 1080, "canvas.fps": 60}),
        lambda p: (p.canvas.height, p.canvas.fps) == (1080, 60.0) or pytest.fail(),
    )
    check_undo_redo(SetParam("v1", "muted", True), lambda p: p.track("v1").muted or pytest.fail())
    check_undo_redo(
        SetParam("c", "start", 1.0),
        lambda p: [c.id for c in p.track("v1").clips] == ["a", "c", "b"] or pytest.fail(),
    )
    with pytest.raises(ProjectError, match="not a colour"):
        History(make_project()).do(SetParam("ti", "style.color", "red"))
    with pytest.raises(ProjectError, match="must be a number"):
        History(make_project()).do(SetParam("a", "volume", "loud"))
    with pytest.raises(ProjectError, match="no settable field"):
        History(make_project()).do(SetParam("a", "id", "zzz"))


def test_edit_text() -> None:
    def edited(p: Project) -> None:
        t = p.text_item("ti")
        assert (t.text, t.style.size, t.style.background, t.position) == ("Hi", 90.0, "#00000080", (0.5, 0.2))

    check_undo_redo(
        EditText(
            "ti", {"text": "Hi", "style.size": 90, "style.background": "#00000080", "position": [0.5, 0.2]}
        ),
        edited,
    )


def test_keyframes_set_and_remove() -> None:
    def keyed(p: Project) -> None:
        assert clip(p, "a").value_at("transform.x", 1.0) == 0.2

    check_undo_redo(SetKeyframe("a", "transform.x", 1.0, 0.2, "ease_in"), keyed)
    check_undo_redo(
        SetKeyframe("a", "saturation", 0.0, 0.0, filter_uid="fa"),
        lambda p: clip(p, "a").filter("fa").values_at(3)["saturation"] == 0.0 or pytest.fail(),
    )
    p = make_project()
    h = History(p)
    h.do(SetKeyframe("a", "opacity", 1.0, 0.5))
    before = p.to_dict()
    h.do(RemoveKeyframe("a", "opacity", 1.0))
    assert clip(p, "a").keyframes == {}
    h.undo()
    assert p.to_dict() == before
    with pytest.raises(ProjectError, match="no keyframe"):
        h.do(RemoveKeyframe("a", "opacity", 2.0))
    with pytest.raises(ProjectError, match="cannot be keyframed"):
        h.do(SetKeyframe("a", "fit", 0.0, 1.0))


def test_history_labels_listeners_dirty_and_merge() -> None:
    p = make_project()
    h = History(p)
    seen: list[tuple[str, str]] = []
    unsubscribe = h.add_listener(lambda kind, edit: seen.append((kind, edit.label)))
    assert not h.can_undo and h.undo() is None and h.redo() is None
    h.do(SplitClip("a", 2.0))
    h.mark_saved()
    assert not h.is_dirty
    h.do(TrimClip("b", "in", 4.5))
    assert h.is_dirty and h.undo_label == "Trim clip" and h.labels == ["Split clip", "Trim clip"]
    for v in (0.9, 0.8, 0.7):
        h.do(SetParam("a", "volume", v, merge=True))
    assert h.labels == ["Split clip", "Trim clip", "Change parameter"]  # one step for the drag
    h.seal()
    h.do(SetParam("a", "volume", 0.1, merge=True))
    assert len(h.labels) == 4
    h.undo()
    assert clip(p, "a").volume == 0.7
    h.undo()
    assert clip(p, "a").volume == 1.0
    assert h.redo_label == "Change parameter"
    h.undo()
    assert not h.is_dirty  # back at the saved state
    assert h.change_count == len(seen) == 9
    assert seen[2:4] == [("do", "Change parameter"), ("merge", "Change parameter")]
    unsubscribe()
    h.redo()
    assert len(seen) == 9
    h.do(RemoveClip("c"))
    assert not h.can_redo


def test_history_of_a_300_clip_project_stays_small() -> None:
    import tracemalloc

    from studio.core import new_id

    clips = [
        VideoClip(
            new_id(), f"/m/{i}.mp4", 0, 2, i * 2.0, filters=[FilterRef("studio.color", {"saturation": 1.0})]
        )
        for i in range(300)
    ]
    p = Project(tracks=[Track("v", "video", clips=clips)])
    h = History(p)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for i in range(100):
            c = clips[i % 300]
            h.do(TrimClip(c.id, "out", c.end - 0.01, ripple=True))  # moves every later clip
            h.do(SetParam(c.id, "volume", 0.5))
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    # a copy of the project per edit would be ~200 x 300 clips (tens of MB)
    assert grown < 8_000_000
    assert len(h.labels) == 200
