"""Random edit sequences: undo all returns the original project, redo all the edited one, and a
rejected edit changes nothing."""

from __future__ import annotations

import copy

from core_sample_project import make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.core import FilterRef, Project, ProjectError, TextItem, VideoClip
from studio.core.edits import (
    AddClip,
    AddFilter,
    AddTrack,
    Edit,
    EditText,
    History,
    MoveClip,
    MoveFilter,
    RemoveClip,
    RemoveFilter,
    RemoveKeyframe,
    RemoveTrack,
    RippleDelete,
    SetKeyframe,
    SetParam,
    SetSpeed,
    SplitClip,
    TrimClip,
)

times = st.floats(min_value=-1.0, max_value=14.0, allow_nan=False).map(lambda x: round(x, 3))
speeds = st.sampled_from([0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 4.0, 5.0])


def draw_edit(data: st.DataObject, p: Project) -> Edit:
    tracks = [t.id for t in p.tracks]
    elements = [e.id for t in p.tracks for e in t.elements]
    clips = [c.id for _, c in p.iter_clips()]
    video = [c.id for _, c in p.iter_clips() if isinstance(c, VideoClip)]
    kinds = ["add_track", "set_title"]
    if tracks:
        kinds += ["remove_track", "add_clip", "add_text"]
    if elements:
        kinds += ["remove", "move", "split", "trim", "ripple_delete", "edit_text"]
    if clips:
        kinds += ["speed", "volume", "keyframe", "remove_keyframe"]
    if video:
        kinds += ["add_filter", "remove_filter", "move_filter", "filter_param", "filter_keyframe", "fit"]
    kind = data.draw(st.sampled_from(kinds), label="kind")
    pick = lambda xs: data.draw(st.sampled_from(xs))  # noqa: E731
    t = lambda: data.draw(times)  # noqa: E731
    if kind == "add_track":
        return AddTrack(pick(["video", "text", "audio"]), index=data.draw(st.integers(0, 5)))
    if kind == "set_title":
        return SetParam("project", "title", data.draw(st.text(max_size=5)))
    if kind == "remove_track":
        return RemoveTrack(pick(tracks))
    if kind == "add_clip":
        start = t()
        return AddClip(
            pick(tracks), VideoClip(f"n{data.draw(st.integers(0, 10**6))}", "/m/x.mp4", 0.0, 1.5, start)
        )
    if kind == "add_text":
        start = t()
        return AddClip(
            pick(tracks),
            TextItem(f"x{data.draw(st.integers(0, 10**6))}", "new words here", start, start + 1.0),
        )
    if kind == "remove":
        return RemoveClip(pick(elements))
    if kind == "move":
        return MoveClip(pick(elements), t(), track_id=pick([None, *tracks]))
    if kind == "split":
        return SplitClip(pick(elements), t())
    if kind == "trim":
        return TrimClip(pick(elements), pick(["in", "out"]), t(), ripple=data.draw(st.booleans()))
    if kind == "ripple_delete":
        return RippleDelete(pick(elements))
    if kind == "edit_text":
        return EditText(
            pick(elements),
            {"text": data.draw(st.text(max_size=8)), "style.size": data.draw(st.integers(0, 200))},
        )
    if kind == "speed":
        return SetSpeed(pick(clips), data.draw(speeds), ripple=data.draw(st.booleans()))
    if kind == "volume":
        return SetParam(
            pick(clips), "volume", data.draw(st.floats(0, 5).map(lambda x: round(x, 2))), merge=True
        )
    if kind == "keyframe":
        return SetKeyframe(pick(clips), "volume", t(), 0.5, pick(["linear", "hold", "ease_in_out"]))
    if kind == "remove_keyframe":
        clip_id = pick(clips)
        keyed = [k.t for k in p.clip(clip_id).keyframes.get("volume", [])]
        return RemoveKeyframe(clip_id, "volume", pick(keyed) if keyed else t())
    clip_id = pick(video)
    uids = [f.uid for f in p.clip(clip_id).filters]  # type: ignore[union-attr]
    if kind == "add_filter":
        return AddFilter(
            clip_id, FilterRef("studio.color", {"saturation": 1.0}), index=data.draw(st.integers(0, 3))
        )
    if kind == "fit":
        return SetParam(clip_id, "fit", pick(["fit", "fill", "crop", "zoom"]))
    if not uids:
        return RemoveFilter(clip_id, "missing")
    uid = pick(uids)
    if kind == "remove_filter":
        return RemoveFilter(clip_id, uid)
    if kind == "move_filter":
        return MoveFilter(clip_id, uid, data.draw(st.integers(0, 3)))
    if kind == "filter_param":
        return SetParam(clip_id, f"filters.{uid}.params.saturation", data.draw(st.floats(0, 2)), merge=True)
    return SetKeyframe(clip_id, "saturation", t(), 1.5, filter_uid=uid)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_undo_all_then_redo_all(data: st.DataObject) -> None:
    p = make_project()
    h = History(p)
    original = p.to_dict()
    n = data.draw(st.integers(1, 25), label="n")
    for _ in range(n):
        edit = draw_edit(data, p)
        before = p.to_dict()
        try:
            h.do(edit)
        except ProjectError:
            assert p.to_dict() == before  # a refused edit changes nothing
        else:
            p.validate()
            assert Project.from_dict(copy.deepcopy(p.to_dict())) == p
    edited = p.to_dict()
    steps = len(h.labels)
    while h.can_undo:
        h.undo()
    assert p.to_dict() == original
    while h.can_redo:
        h.redo()
    assert p.to_dict() == edited
    assert len(h.labels) == steps
    for _ in range(data.draw(st.integers(0, steps), label="partial")):
        h.undo()
    h.seal()
    p.validate()
