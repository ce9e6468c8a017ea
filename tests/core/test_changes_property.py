"""Random edit sequences (the undo tests' strategy, plus a few more edit kinds): the change
summary of (before, after) names exactly the kinds of change the net difference holds, and none
that the edits made could not have caused.

The expected kinds are worked out here from the two Project models (attribute by attribute), not
from the summarizer's reading of the JSON, so the two must agree for the property to hold."""

from __future__ import annotations

import json
import math
from typing import Any

from core_sample_project import make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_edits_property import draw_edit

from studio.core import Keyframe, Project, ProjectError, TextItem, VideoClip
from studio.core.changes import KINDS, summarize_changes
from studio.core.edits import (
    AddClip,
    AddFilter,
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
    RemoveTrack,
    RippleDelete,
    SetKeyframe,
    SetParam,
    SetParams,
    SetSpeed,
    SplitClip,
    TrimClip,
)

ALLOWED: dict[type, set[str]] = {
    AddTrack: {"track.added"},
    RemoveTrack: {"track.removed"},
    MoveTrack: {"track.reordered"},
    RemoveClip: {"clip.removed", "text.removed"},
    MoveClip: {"clip.moved", "text.moved"},
    SplitClip: {"clip.trimmed", "clip.added", "clip.changed", "text.trimmed", "text.added", "text.styled"},
    TrimClip: {"clip.trimmed", "text.trimmed", "clip.moved", "text.moved"},
    RippleDelete: {"clip.removed", "text.removed", "clip.moved", "text.moved"},
    SetSpeed: {"clip.speed", "clip.moved"},
    AddFilter: {"filter.added"},
    RemoveFilter: {"filter.removed"},
    MoveFilter: {"filter.reordered"},
}
PATH_KINDS = {
    "title": "project.renamed",
    "volume": "clip.volume",
    "transition_in": "clip.transition",
    "fit": "clip.changed",
    "opacity": "clip.changed",
    "filters": "filter.changed",
    "text": "text.edited",
    "style": "text.styled",
    "position": "text.styled",
}


def allowed_kinds(edit: Edit, before: Project) -> set[str]:
    """Every summary kind this edit may cause (its own, and side effects such as a ripple)."""
    if isinstance(edit, AddClip):
        return {"text.added" if isinstance(edit.element, TextItem) else "clip.added"}
    if isinstance(edit, SetKeyframe | RemoveKeyframe):
        if edit.filter_uid:
            return {"filter.changed"}
        return {"text.styled" if isinstance(before.find(edit.target_id)[1], TextItem) else "clip.keyframes"}
    if isinstance(edit, SetParams):
        if edit.target_id == "canvas":
            return {"project.format"}
        if edit.target_id in {t.id for t in before.tracks}:
            return {"track.changed"}
        return {PATH_KINDS[path.split(".")[0]] for path in edit.changes}
    return ALLOWED[type(edit)]


def draw_more(data: st.DataObject, p: Project) -> Edit:
    """Edits the undo strategy makes rarely or never: trims and keyframes inside an element,
    track settings, frame rate, transitions, text words, moves and colour, track order, effects
    turned off."""
    pick = lambda xs: data.draw(st.sampled_from(xs))  # noqa: E731
    tracks = [t.id for t in p.tracks]
    video = [c for _, c in p.iter_clips() if isinstance(c, VideoClip)]
    texts = [i.id for t in p.text_tracks() for i in t.items]
    kinds = ["fps"] + (["mute", "track_name", "reorder"] if tracks else [])
    kinds += ["transition", "filter_enabled"] if video else []
    kinds += ["text_color", "text_words", "text_move"] if texts else []
    elements = [e for t in p.tracks for e in t.elements]
    kinds += ["trim_inside", "key_inside"] if elements else []
    kind = pick(kinds)
    inside = lambda e: round(e.start + data.draw(st.floats(0.05, 0.95)) * (e.end - e.start), 3)  # noqa: E731
    if kind == "trim_inside":
        e = pick(elements)
        return TrimClip(e.id, pick(["in", "out"]), inside(e), ripple=data.draw(st.booleans()))
    if kind == "key_inside":
        e = pick(elements)
        param = "position.x" if isinstance(e, TextItem) else "volume"
        return SetKeyframe(e.id, param, inside(e) - e.start, 0.5)
    if kind == "fps":
        return SetParam("canvas", "fps", pick([24.0, 30.0, 60.0]))
    if kind == "mute":
        return SetParam(pick(tracks), "muted", data.draw(st.booleans()))
    if kind == "track_name":
        return SetParam(pick(tracks), "name", pick(["", "B-roll", "Music"]))
    if kind == "reorder":
        return MoveTrack(pick(tracks), data.draw(st.integers(0, 5)))
    if kind == "text_words":
        return EditText(pick(texts), {"text": pick(["Hello creators", "Your text", "Bye"])})
    if kind == "text_move":
        return MoveClip(pick(texts), data.draw(st.floats(0, 12).map(lambda x: round(x, 2))))
    if kind == "text_color":
        return SetParam(pick(texts), "style.color", pick(["#ffffff", "#ff0000"]))
    clip = pick(video)
    if kind == "transition":
        value = pick([None, {"kind": "crossfade", "duration": 0.5}, {"kind": "slide", "duration": 1.0}])
        return SetParam(clip.id, "transition_in", value)
    if not clip.filters:
        return RemoveFilter(clip.id, "missing")
    return SetParam(
        clip.id, f"filters.{pick([f.uid for f in clip.filters])}.enabled", data.draw(st.booleans())
    )


# ------------------------------------------------------------------ the independent oracle


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, abs_tol=1e-6)


def _source_keys(clip: Any, keyframes: dict[str, list[Any]]) -> dict[str, list[tuple[float, float, str]]]:
    return {
        p: [(clip.in_point + k.t * clip.speed, k.value, k.interp) for k in keys]
        for p, keys in keyframes.items()
        if keys
    }


def _same_keys(a: dict[str, list[Any]], b: dict[str, list[Any]]) -> bool:
    return a.keys() == b.keys() and all(
        len(a[p]) == len(b[p])
        and all(
            _close(x[0], y[0]) and _close(x[1], y[1]) and x[2] == y[2]
            for x, y in zip(a[p], b[p], strict=True)
        )
        for p in a
    )


def _filter_kinds(a: VideoClip, b: VideoClip) -> set[str]:
    out: set[str] = set()
    fa, fb = {f.uid: f for f in a.filters}, {f.uid: f for f in b.filters}
    if fa.keys() - fb.keys():
        out.add("filter.removed")
    if fb.keys() - fa.keys():
        out.add("filter.added")
    for uid in fa.keys() & fb.keys():
        x, y = fa[uid], fb[uid]
        if (x.id, x.params, x.enabled, x.version) != (y.id, y.params, y.enabled, y.version) or not _same_keys(
            _source_keys(a, x.keyframes), _source_keys(b, y.keyframes)
        ):
            out.add("filter.changed")
    if [u for u in fa if u in fb] != [u for u in fb if u in fa]:
        out.add("filter.reordered")
    return out


def _clip_kinds(a: Any, b: Any, new_track: bool) -> set[str]:
    out: set[str] = set()
    trimmed = not (_close(a.in_point, b.in_point) and _close(a.out_point, b.out_point))
    follows_trim = _close(a.speed, b.speed) and _close(b.start - a.start, (b.in_point - a.in_point) / b.speed)
    checks = {
        "clip.source": a.source != b.source,
        "clip.trimmed": trimmed,
        "clip.moved": new_track or (not _close(a.start, b.start) and not (trimmed and follows_trim)),
        "clip.speed": not _close(a.speed, b.speed),
        "clip.volume": not _close(a.volume, b.volume),
        "clip.keyframes": not _same_keys(_source_keys(a, a.keyframes), _source_keys(b, b.keyframes)),
    }
    if isinstance(a, VideoClip):
        checks["clip.transition"] = a.transition_in != b.transition_in
        checks["clip.changed"] = (a.opacity, a.fit, a.transform, a.crop) != (
            b.opacity,
            b.fit,
            b.transform,
            b.crop,
        )
        out |= _filter_kinds(a, b)
    else:
        checks["clip.changed"] = (a.fade_in, a.fade_out, a.role) != (b.fade_in, b.fade_out, b.role)
    return out | {kind for kind, hit in checks.items() if hit}


def _text_kinds(a: TextItem, b: TextItem, new_track: bool) -> set[str]:
    checks = {
        "text.edited": a.text != b.text,
        "text.trimmed": not _close(a.end - a.start, b.end - b.start),
        "text.moved": new_track or (not _close(a.start, b.start) and not _close(a.end, b.end)),
        "text.styled": (a.style, a.position, a.fade_in, a.fade_out, a.reveal, a.keyframes)
        != (b.style, b.position, b.fade_in, b.fade_out, b.reveal, b.keyframes),
    }
    return {kind for kind, hit in checks.items() if hit}


def expected_kinds(p: Project, q: Project) -> set[str]:
    out: set[str] = set()
    if p.title != q.title:
        out.add("project.renamed")
    if p.canvas != q.canvas:
        out.add("project.format")
    tp, tq = {t.id: t for t in p.tracks}, {t.id: t for t in q.tracks}
    if tp.keys() - tq.keys():
        out.add("track.removed")
    if tq.keys() - tp.keys():
        out.add("track.added")
    if [t for t in tp if t in tq] != [t for t in tq if t in tp]:
        out.add("track.reordered")
    for tid in tp.keys() & tq.keys():
        a, b = tp[tid], tq[tid]
        if (a.name, a.muted, a.hidden, a.locked) != (b.name, b.muted, b.hidden, b.locked):
            out.add("track.changed")
    ep = {e.id: (t.id, e) for t in p.tracks for e in t.elements}
    eq = {e.id: (t.id, e) for t in q.tracks for e in t.elements}
    for eid, (tid, e) in ep.items():
        if eid not in eq and tid in tq:
            out.add("text.removed" if isinstance(e, TextItem) else "clip.removed")
    for eid, (tid, e) in eq.items():
        if eid not in ep:
            if tid in tp:
                out.add("text.added" if isinstance(e, TextItem) else "clip.added")
            continue
        old_tid, old = ep[eid]
        kinds = _text_kinds if isinstance(e, TextItem) else _clip_kinds
        out |= kinds(old, e, old_tid != tid)
    return out


# ------------------------------------------------------------------ the property


def keyed_project() -> Project:
    """The undo tests' project with keyframes on clips and an effect: trims and speed changes
    shift them with the content, which is not a keyframe change."""
    p = make_project()
    for clip_id in ("a", "b", "mu"):
        p.clip(clip_id).keyframes = {"volume": [Keyframe(0.5, 0.2), Keyframe(1.5, 0.9, "hold")]}
    p.clip("a").filters[0].keyframes = {"saturation": [Keyframe(1.0, 0.5)]}  # type: ignore[union-attr]
    p.validate()
    return p


def _check(before: Project, after: Project, allowed: set[str]) -> None:
    summary = summarize_changes(before.to_dict(), after)
    assert summary.kinds <= KINDS
    assert summary.kinds == expected_kinds(before, after)
    assert summary.kinds <= allowed, f"{sorted(summary.kinds - allowed)} was not made"
    assert bool(summary) == bool(summary.sentences)
    stored = json.loads(json.dumps(after.to_dict()))
    assert summarize_changes(before, stored).kinds == summary.kinds


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_summary_names_every_kind_of_change_and_nothing_else(data: st.DataObject) -> None:
    p = keyed_project()
    h = History(p)
    start = Project.from_dict(p.to_dict())
    made: set[str] = set()
    for _ in range(data.draw(st.integers(1, 12), label="n")):
        edit = draw_edit(data, p) if data.draw(st.booleans(), label="undo strategy") else draw_more(data, p)
        before = Project.from_dict(p.to_dict())
        try:
            h.do(edit)
        except ProjectError:
            continue
        kinds = allowed_kinds(edit, before)
        _check(before, p, kinds)
        made |= kinds
    _check(start, p, made)
    assert summarize_changes(p, p.to_dict()).lines() == ["no changes"]
