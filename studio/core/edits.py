"""Edits of a project with undo/redo (command pattern).

Every change the UI makes goes through :meth:`History.do` with one of the edit classes below.
An edit addresses tracks, clips and text items by id, so it stays valid across undo/redo. Each
edit keeps only what it needs to go back (the clips it touched, a track's clip order as a list
of references), never a copy of the whole project, so a 300-clip project with a long history
stays small. ``apply`` either succeeds or raises :class:`ProjectError` leaving the project as it
was; ids an edit creates are chosen when the edit is made, so redo recreates the same ids.
"""

from __future__ import annotations

import copy
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Any

from studio.core.errors import ProjectError
from studio.core.keyframes import INTERPOLATIONS, Keyframe, set_key
from studio.core.project import (
    AudioClip,
    FilterRef,
    Project,
    TextItem,
    Track,
    Transition,
    VideoClip,
    new_id,
)
from studio.core.snapshot import Snapshots

Element = VideoClip | AudioClip | TextItem
Listener = Callable[[str, "Edit"], None]

# ---------------------------------------------------------------------------- helpers


def _light(obj: Any) -> bool:
    """Tracks and the project are snapshotted without their lists of clips, items and tracks
    (edits that change those lists keep the old lists themselves)."""
    return isinstance(obj, Track | Project)


def _snapshot(obj: Any) -> Any:
    if not _light(obj):
        return copy.deepcopy(obj)
    snap = copy.copy(obj)
    for f in fields(obj):
        v = getattr(obj, f.name)
        if not isinstance(v, list):
            setattr(snap, f.name, copy.deepcopy(v))
    return snap


def _restore(live: Any, snapshot: Any) -> None:
    """Put ``snapshot``'s field values back into ``live`` (keeps the object's identity)."""
    for f in fields(live):
        v = getattr(snapshot, f.name)
        if _light(live) and isinstance(v, list):
            continue
        setattr(live, f.name, copy.deepcopy(v))


def _check(obj: Any, where: str) -> None:
    try:
        obj.validate(where)
    except (TypeError, ValueError, AttributeError) as e:
        raise ProjectError(f"a value has the wrong type ({e})", where) from None


def _shift_keys(element: Any, dt: float, factor: float = 1.0) -> None:
    """Move keyframes to follow the content when its clip-local timing changes: ``t*factor + dt``."""
    if dt == 0 and factor == 1.0:
        return
    holders = [element.keyframes] + [f.keyframes for f in getattr(element, "filters", [])]
    for kfs in holders:
        for name, keys in kfs.items():
            kfs[name] = [Keyframe(k.t * factor + dt, k.value, k.interp) for k in keys]


def _insert_sorted(elements: list[Any], element: Any) -> None:
    i = len(elements)
    while i > 0 and elements[i - 1].start > element.start:
        i -= 1
    elements.insert(i, element)


def _ids(project: Project) -> set[str]:
    return {t.id for t in project.tracks} | {e.id for t in project.tracks for e in t.elements}


def _set_start(element: Element, start: float) -> None:
    if isinstance(element, TextItem):
        element.end = start + element.duration
    element.start = start


class Edit(ABC):
    """One undoable change. Subclasses set ``label`` (for the Edit menu) and implement
    ``apply``/``revert``; ``merge`` may fold a following edit into this one."""

    label: str = "Edit"

    @abstractmethod
    def apply(self, project: Project) -> None:
        """Make the change, or raise ProjectError and leave ``project`` as it was."""

    @abstractmethod
    def revert(self, project: Project) -> None:
        """Undo the change (called only right after ``apply``, on the state it produced)."""

    def merge(self, other: Edit) -> bool:
        """Fold ``other`` (already applied) into this edit; True if it did."""
        return False

    def touched(self) -> set[str] | None:
        """Ids of the clips and text items this edit changes in place (asked right after
        ``apply`` and right before ``revert``); None when it cannot say (then every element
        counts as changed). Elements it adds or removes need not be named, nor tracks, the
        canvas or the project's own fields: ``studio.core.snapshot`` copies those anyway."""
        return None


class _TrackOrderEdit(Edit):
    """Base for edits that change one or more tracks' element lists: keeps the old lists (as
    references), snapshots of the elements it changes in place, and only the old times of
    elements a ripple moves (a ripple over 300 clips must not copy 300 clips)."""

    def __init__(self) -> None:
        self._orders: dict[str, list[Any]] = {}
        self._snaps: list[tuple[Any, Any]] = []
        self._moved: list[tuple[Any, float, float]] = []

    def _move(self, element: Any, start: float) -> None:
        self._moved.append((element, element.start, getattr(element, "end", 0.0)))
        _set_start(element, start)

    def _save_order(self, track: Track) -> None:
        self._orders.setdefault(track.id, list(track.elements))

    def _snap(self, element: Any) -> None:
        if all(live is not element for live, _ in self._snaps):
            self._snaps.append((element, _snapshot(element)))

    def _rollback(self, project: Project) -> None:
        for element, start, end in reversed(self._moved):
            element.start = start
            if isinstance(element, TextItem):
                element.end = end
        for live, snap in self._snaps:
            _restore(live, snap)
        for track_id, order in self._orders.items():
            project.track(track_id).elements[:] = order
        self._orders, self._snaps, self._moved = {}, [], []

    def revert(self, project: Project) -> None:
        self._rollback(project)

    def touched(self) -> set[str] | None:
        changed = [e for e, _ in self._snaps] + [e for e, _, _ in self._moved]
        return {e.id for e in changed if isinstance(e, VideoClip | AudioClip | TextItem)}

    def _guarded(self, project: Project, body: Callable[[], None]) -> None:
        self._orders, self._snaps, self._moved = {}, [], []
        try:
            body()
        except (ProjectError, TypeError, ValueError, AttributeError) as e:
            self._rollback(project)
            if isinstance(e, ProjectError):
                raise
            raise ProjectError(f"a value has the wrong type ({e})") from None


# ---------------------------------------------------------------------------- tracks


class AddTrack(Edit):
    label = "Add track"

    def __init__(
        self, kind: str, *, index: int | None = None, name: str = "", track: Track | None = None
    ) -> None:
        self.track = track if track is not None else Track(id=new_id(), kind=kind, name=name)
        self.index = index

    def apply(self, project: Project) -> None:
        _check(self.track, "track")
        clash = {self.track.id, *(e.id for e in self.track.elements)} & _ids(project)
        if clash:
            raise ProjectError(f"the id {sorted(clash)[0]!r} is already used in this project")
        idx = len(project.tracks) if self.index is None else max(0, min(self.index, len(project.tracks)))
        project.tracks.insert(idx, self.track)

    def revert(self, project: Project) -> None:
        project.tracks[:] = [t for t in project.tracks if t is not self.track]

    def touched(self) -> set[str] | None:
        return set()  # the track list changes; no element changes in place


class RemoveTrack(Edit):
    label = "Remove track"

    def __init__(self, track_id: str) -> None:
        self.track_id = track_id
        self._index = -1
        self._track: Track | None = None

    def apply(self, project: Project) -> None:
        track = project.track(self.track_id)
        self._index = project.tracks.index(track)
        self._track = track
        del project.tracks[self._index]

    def revert(self, project: Project) -> None:
        assert self._track is not None
        project.tracks.insert(self._index, self._track)

    def touched(self) -> set[str] | None:
        return set()  # the track list changes; no element changes in place


class MoveTrack(Edit):
    label = "Reorder tracks"

    def __init__(self, track_id: str, index: int) -> None:
        self.track_id, self.index = track_id, index
        self._old = -1

    def apply(self, project: Project) -> None:
        track = project.track(self.track_id)
        self._old = project.tracks.index(track)
        project.tracks.pop(self._old)
        project.tracks.insert(max(0, min(self.index, len(project.tracks))), track)

    def revert(self, project: Project) -> None:
        track = project.track(self.track_id)
        project.tracks.remove(track)
        project.tracks.insert(self._old, track)

    # ---------------------------------------------------------------------------- clips and items

    def touched(self) -> set[str] | None:
        return set()  # the track list changes; no element changes in place


class AddClip(_TrackOrderEdit):
    """Put a clip (on a video/audio track) or a text item (on a text track) on the timeline."""

    label = "Add clip"

    def __init__(self, track_id: str, element: Element) -> None:
        super().__init__()
        self.track_id, self.element = track_id, element

    def apply(self, project: Project) -> None:
        track = project.track(self.track_id)
        want = {"video": VideoClip, "audio": AudioClip, "text": TextItem}[track.kind]
        if not isinstance(self.element, want):
            raise ProjectError(f"a {track.kind} track cannot hold a {type(self.element).__name__}")
        _check(self.element, "clip")
        if self.element.id in _ids(project):
            raise ProjectError(f"the id {self.element.id!r} is already used")
        self._orders = {track.id: list(track.elements)}
        _insert_sorted(track.elements, self.element)


class AddText(AddClip):
    label = "Add text"


class RemoveClip(_TrackOrderEdit):
    label = "Delete clip"

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id

    def apply(self, project: Project) -> None:
        track, element = project.find(self.element_id)
        self._orders = {track.id: list(track.elements)}
        track.elements.remove(element)


class RemoveText(RemoveClip):
    label = "Delete text"


class MoveClip(_TrackOrderEdit):
    """Move a clip or text item to ``start``, optionally onto another track of the same kind."""

    label = "Move clip"

    def __init__(self, element_id: str, start: float, track_id: str | None = None) -> None:
        super().__init__()
        self.element_id, self.start, self.track_id = element_id, start, track_id

    def apply(self, project: Project) -> None:
        def body() -> None:
            src, element = project.find(self.element_id)
            dst = src if self.track_id is None else project.track(self.track_id)
            if dst.kind != src.kind:
                raise ProjectError(f"a {src.kind} clip cannot go on a {dst.kind} track")
            if self.start < 0:
                raise ProjectError("a clip cannot start before 0 s")
            self._save_order(src)
            self._save_order(dst)
            self._snap(element)
            src.elements.remove(element)
            _set_start(element, self.start)
            _insert_sorted(dst.elements, element)

        self._guarded(project, body)


def _later(track: Track, at: float, exclude: Any) -> list[Any]:
    return [e for e in track.elements if e is not exclude and e.start >= at - 1e-6]


class SplitClip(_TrackOrderEdit):
    """Cut a clip (or text item) in two at timeline time ``t``; the right part gets a new id
    (``new_id``), its keyframes follow the content, its transition and fade-in are dropped."""

    label = "Split clip"

    def __init__(self, element_id: str, t: float) -> None:
        super().__init__()
        self.element_id, self.t = element_id, t
        self.new_id = new_id()

    def apply(self, project: Project) -> None:
        def body() -> None:
            track, left = project.find(self.element_id)
            if not left.start + 1e-3 < self.t < left.end - 1e-3:
                raise ProjectError(f"{self.t:g} s is not inside the clip ({left.start:g}-{left.end:g} s)")
            self._save_order(track)
            self._snap(left)
            right = copy.deepcopy(left)
            right.id = self.new_id
            local = self.t - left.start
            if isinstance(left, TextItem):
                left.end = self.t
                right.start = self.t
                left.fade_out = right.fade_in = 0.0
                left.fade_in = min(left.fade_in, left.duration)
                right.fade_out = min(right.fade_out, right.duration)
            else:
                cut = left.in_point + local * left.speed
                left.out_point = cut
                right.in_point = cut
                right.start = self.t
                if isinstance(left, VideoClip):
                    right.transition_in = None
                if isinstance(left, AudioClip):
                    left.fade_out = right.fade_in = 0.0
                    left.fade_in = min(left.fade_in, left.duration)
                    right.fade_out = min(right.fade_out, right.duration)
            _shift_keys(right, -local)
            _check(left, "clip")
            _check(right, "clip")
            _insert_sorted(track.elements, right)

        self._guarded(project, body)


class TrimClip(_TrackOrderEdit):
    """Move a clip's ``edge`` ("in" = its start, "out" = its end) to timeline time ``t``.

    Without ripple the other edge stays where it is. With ``ripple=True`` the clip keeps its
    start, and every later clip on the same track (those starting at or after its old end) moves
    by the change in length, so no gap opens or closes."""

    label = "Trim clip"

    def __init__(self, element_id: str, edge: str, t: float, *, ripple: bool = False) -> None:
        super().__init__()
        if edge not in ("in", "out"):
            raise ProjectError(f"trim edge must be 'in' or 'out', not {edge!r}")
        self.element_id, self.edge, self.t, self.ripple = element_id, edge, t, ripple

    def apply(self, project: Project) -> None:
        def body() -> None:
            track, el = project.find(self.element_id)
            old_start, old_end = el.start, el.end
            if self.t < 0:
                raise ProjectError("a clip cannot start before 0 s")
            later = _later(track, old_end, el) if self.ripple else []
            self._save_order(track)
            self._snap(el)
            if self.edge == "in":
                delta = self.t - old_start  # timeline seconds cut from the head (negative: extended)
                if isinstance(el, TextItem):
                    el.start = self.t
                    if self.ripple:
                        el.start, el.end = old_start, old_end - delta
                else:
                    el.in_point += delta * el.speed
                    el.start = old_start if self.ripple else self.t
                    _shift_keys(el, -delta)
                change = -delta
            else:
                if isinstance(el, TextItem):
                    el.end = self.t
                else:
                    el.out_point = el.in_point + (self.t - old_start) * el.speed
                change = self.t - old_end
            for e in later:
                self._move(e, e.start + change)
                if e.start < -1e-9:
                    raise ProjectError("the ripple would move a clip before 0 s")
            _check(el, "clip")
            track.sort()

        self._guarded(project, body)


class RippleDelete(_TrackOrderEdit):
    """Delete a clip and pull every later clip on its track left by the clip's length."""

    label = "Ripple delete"

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id

    def apply(self, project: Project) -> None:
        def body() -> None:
            track, el = project.find(self.element_id)
            length = el.end - el.start
            later = _later(track, el.end, el)
            self._save_order(track)
            track.elements.remove(el)
            for e in later:
                self._move(e, max(0.0, e.start - length))
            track.sort()

        self._guarded(project, body)


class SetSpeed(_TrackOrderEdit):
    """Change a clip's speed (0.25x-4x). The source span stays; the clip's length changes and
    keyframes are rescaled to stay with the content. ``ripple=True`` moves later clips too."""

    label = "Change speed"

    def __init__(self, clip_id: str, speed: float, *, ripple: bool = False) -> None:
        super().__init__()
        self.clip_id, self.speed, self.ripple = clip_id, speed, ripple

    def apply(self, project: Project) -> None:
        def body() -> None:
            track, el = project.find(self.clip_id)
            if isinstance(el, TextItem):
                raise ProjectError("text has no speed")
            old_end = el.end
            later = _later(track, old_end, el) if self.ripple else []
            self._save_order(track)
            self._snap(el)
            factor = el.speed / self.speed
            el.speed = float(self.speed)
            _check(el, "clip")
            _shift_keys(el, 0.0, factor)
            for e in later:
                self._move(e, e.start + el.end - old_end)
            track.sort()

        self._guarded(project, body)


# ---------------------------------------------------------------------------- filters


def _video_clip(project: Project, clip_id: str) -> VideoClip:
    clip = project.clip(clip_id)
    if not isinstance(clip, VideoClip):
        raise ProjectError("filters go on video clips")
    return clip


class AddFilter(Edit):
    """Add a filter to a clip at ``index`` (end by default). Filters are addressed by uid and
    copied in and out, so later edits that restore a clip's fields cannot disturb undo."""

    label = "Add filter"

    def __init__(self, clip_id: str, filter: FilterRef, index: int | None = None) -> None:
        self.clip_id, self.index = clip_id, index
        self.filter = copy.deepcopy(filter)

    def apply(self, project: Project) -> None:
        clip = _video_clip(project, self.clip_id)
        self.filter.validate("filter")
        if any(f.uid == self.filter.uid for f in clip.filters):
            raise ProjectError(f"the clip already has a filter with uid {self.filter.uid!r}")
        idx = len(clip.filters) if self.index is None else max(0, min(self.index, len(clip.filters)))
        clip.filters.insert(idx, copy.deepcopy(self.filter))

    def revert(self, project: Project) -> None:
        clip = _video_clip(project, self.clip_id)
        clip.filters[:] = [f for f in clip.filters if f.uid != self.filter.uid]

    def touched(self) -> set[str] | None:
        return {self.clip_id}


class RemoveFilter(Edit):
    label = "Remove filter"

    def __init__(self, clip_id: str, uid: str) -> None:
        self.clip_id, self.uid = clip_id, uid
        self._index = -1
        self._filter: FilterRef | None = None

    def apply(self, project: Project) -> None:
        clip = _video_clip(project, self.clip_id)
        f = clip.filter(self.uid)
        self._index = clip.filters.index(f)
        self._filter = copy.deepcopy(f)
        clip.filters.pop(self._index)

    def revert(self, project: Project) -> None:
        assert self._filter is not None
        _video_clip(project, self.clip_id).filters.insert(self._index, copy.deepcopy(self._filter))

    def touched(self) -> set[str] | None:
        return {self.clip_id}


class MoveFilter(Edit):
    """Reorder a clip's filters: the filter ``uid`` goes to position ``index``."""

    label = "Reorder filters"

    def __init__(self, clip_id: str, uid: str, index: int) -> None:
        self.clip_id, self.uid, self.index = clip_id, uid, index
        self._old: list[str] = []

    def apply(self, project: Project) -> None:
        clip = _video_clip(project, self.clip_id)
        f = clip.filter(self.uid)
        self._old = [x.uid for x in clip.filters]
        clip.filters.remove(f)
        clip.filters.insert(max(0, min(self.index, len(clip.filters))), f)

    def revert(self, project: Project) -> None:
        clip = _video_clip(project, self.clip_id)
        by_uid = {f.uid: f for f in clip.filters}
        clip.filters[:] = [by_uid[u] for u in self._old]

    def touched(self) -> set[str] | None:
        return {self.clip_id}


# ---------------------------------------------------------------------------- parameters


_MISSING = object()


def _target(project: Project, target_id: str) -> tuple[Track | None, Any]:
    if target_id == "canvas":
        return None, project.canvas
    if target_id == "project":
        return None, project
    for t in project.tracks:
        if t.id == target_id:
            return None, t
    return project.find(target_id)


def _step(obj: Any, seg: str) -> Any:
    if isinstance(obj, dict):
        if seg not in obj:
            raise ProjectError(f"there is no parameter {seg!r}")
        return obj[seg]
    if isinstance(obj, list):
        for x in obj:
            if getattr(x, "uid", None) == seg:
                return x
        raise ProjectError(f"there is no filter {seg!r}")
    if not is_dataclass(obj) or seg not in {f.name for f in fields(obj)} or seg in ("id", "uid", "extra"):
        raise ProjectError(f"there is no settable field {seg!r}")
    return getattr(obj, seg)


def _get(root: Any, path: str) -> tuple[Any, str, Any]:
    """(parent, last segment, current value or _MISSING) for a dotted path."""
    segs = path.split(".")
    parent = root
    for seg in segs[:-1]:
        parent = _step(parent, seg)
    last = segs[-1]
    if isinstance(parent, dict):
        return parent, last, parent.get(last, _MISSING)
    return parent, last, _step(parent, last)


def _put(parent: Any, key: str, value: Any) -> None:
    if isinstance(parent, dict):
        if value is _MISSING:
            parent.pop(key, None)
        else:
            parent[key] = value
    else:
        setattr(parent, key, value)


def _coerce(old: Any, value: Any, path: str) -> Any:
    if path.endswith("transition_in"):
        if isinstance(value, dict):
            return Transition.from_dict(value, path)
        if value is None or isinstance(value, Transition):
            return value
    if path.endswith("position") and isinstance(value, list | tuple):
        return (float(value[0]), float(value[1]))
    if is_dataclass(old) and type(value) is not type(old):
        raise ProjectError(f"{path} must be a {type(old).__name__}, got {value!r}")
    if isinstance(old, bool):
        if not isinstance(value, bool):
            raise ProjectError(f"{path} must be true or false, got {value!r}")
        return value
    if isinstance(old, int | float) and old is not _MISSING:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ProjectError(f"{path} must be a number, got {value!r}")
        return float(value) if isinstance(old, float) else value
    if isinstance(old, str) and not isinstance(value, str) and value is not None:
        raise ProjectError(f"{path} must be text, got {value!r}")
    return value


class SetParams(_TrackOrderEdit):
    """Set one or more fields of a clip, text item, track, ``"canvas"`` or ``"project"`` by
    dotted path: ``"volume"``, ``"transform.scale"``, ``"style.color"``, ``"position"``,
    ``"transition_in"``, ``"filters.<uid>.params.saturation"``, ``"filters.<uid>.enabled"``...
    With ``merge=True`` a following SetParams on the same target and paths (also ``merge=True``)
    folds into this one, so a slider drag is one undo step."""

    label = "Change parameter"

    def __init__(
        self, target_id: str, changes: dict[str, Any], *, label: str | None = None, merge: bool = False
    ) -> None:
        super().__init__()
        if not changes:
            raise ProjectError("nothing to change")
        self.target_id, self.changes, self.can_merge = target_id, dict(changes), merge
        if label:
            self.label = label

    def apply(self, project: Project) -> None:
        def body() -> None:
            track, obj = _target(project, self.target_id)
            if track is not None:
                self._save_order(track)
            self._snap(obj)
            for path, value in self.changes.items():
                parent, key, old = _get(obj, path)
                _put(parent, key, _coerce(old, copy.deepcopy(value), path))
            if isinstance(obj, Project):
                obj.validate()
            else:
                _check(obj, self.target_id)
            if track is not None:
                track.sort()

        self._guarded(project, body)

    def merge(self, other: Edit) -> bool:
        if not (
            isinstance(other, SetParams)
            and self.can_merge
            and other.can_merge
            and other.target_id == self.target_id
            and other.changes.keys() == self.changes.keys()
        ):
            return False
        self.changes = dict(other.changes)
        return True


def SetParam(
    target_id: str, path: str, value: Any, *, merge: bool = False, label: str | None = None
) -> SetParams:
    """One field: ``SetParam(clip_id, "volume", 0.5)``."""
    return SetParams(target_id, {path: value}, merge=merge, label=label)


def EditText(item_id: str, changes: dict[str, Any], *, merge: bool = False) -> SetParams:
    """Change a text item's text, timing, style or position: ``{"text": "Hi", "style.size": 80}``."""
    return SetParams(item_id, changes, merge=merge, label="Edit text")


# ---------------------------------------------------------------------------- keyframes


def _keyframe_holder(project: Project, target_id: str, param: str, filter_uid: str | None) -> tuple[Any, Any]:
    _, el = project.find(target_id)
    if filter_uid is not None:
        if not isinstance(el, VideoClip):
            raise ProjectError("filters go on video clips")
        f = el.filter(filter_uid)
        static = f.params.get(param)
        if static is not None and (isinstance(static, bool) or not isinstance(static, int | float)):
            raise ProjectError(f"the filter parameter {param!r} is not a number and cannot be keyframed")
        return el, f
    if param not in el.KEYFRAMABLE:
        raise ProjectError(f"{param!r} cannot be keyframed (use one of {', '.join(el.KEYFRAMABLE)})")
    return el, el


class SetKeyframe(_TrackOrderEdit):
    """Add (or replace) a keyframe at clip-local time ``t`` on a clip/text parameter, or on a
    filter parameter when ``filter_uid`` is given."""

    label = "Set keyframe"

    def __init__(
        self,
        target_id: str,
        param: str,
        t: float,
        value: float,
        interp: str = "linear",
        *,
        filter_uid: str | None = None,
    ) -> None:
        super().__init__()
        self.target_id, self.param, self.t, self.value = target_id, param, t, value
        self.interp, self.filter_uid = interp, filter_uid

    def apply(self, project: Project) -> None:
        def body() -> None:
            if self.interp not in INTERPOLATIONS:
                raise ProjectError(f"unknown interpolation {self.interp!r}")
            el, holder = _keyframe_holder(project, self.target_id, self.param, self.filter_uid)
            key = Keyframe(float(self.t), float(self.value), self.interp)
            key.validate("keyframe")
            self._snap(el)
            holder.keyframes[self.param] = set_key(holder.keyframes.get(self.param, []), key)

        self._guarded(project, body)


class RemoveKeyframe(_TrackOrderEdit):
    label = "Remove keyframe"

    def __init__(self, target_id: str, param: str, t: float, *, filter_uid: str | None = None) -> None:
        super().__init__()
        self.target_id, self.param, self.t, self.filter_uid = target_id, param, t, filter_uid

    def apply(self, project: Project) -> None:
        def body() -> None:
            el, holder = _keyframe_holder(project, self.target_id, self.param, self.filter_uid)
            keys = holder.keyframes.get(self.param, [])
            kept = [k for k in keys if abs(k.t - self.t) > 1e-6]
            if len(kept) == len(keys):
                raise ProjectError(f"there is no keyframe of {self.param!r} at {self.t:g} s")
            self._snap(el)
            if kept:
                holder.keyframes[self.param] = kept
            else:
                del holder.keyframes[self.param]

        self._guarded(project, body)


# ---------------------------------------------------------------------------- history


class History:
    """Undo/redo stacks over one project.

    ``change_count`` goes up on every do/undo/redo (the UI re-renders, autosave debounces on
    it); listeners get ``(kind, edit)`` with kind ``"do"``, ``"merge"``, ``"undo"`` or
    ``"redo"``. ``is_dirty`` compares against the state at the last ``mark_saved()``."""

    def __init__(self, project: Project, *, limit: int = 1000) -> None:
        self.project = project
        self.limit = limit
        self._undo: list[tuple[Edit, int]] = []
        self._redo: list[tuple[Edit, int]] = []
        self._listeners: list[Listener] = []
        self._serial = 0
        self._saved_token = 0
        self._sealed = False
        self.change_count = 0
        self._snapshots = Snapshots(project)

    def snapshot(self) -> Project:
        """A frozen state of the project now for other threads (``studio.core.snapshot``): only
        the elements edits touched since the last one are copied, the rest is shared."""
        return self._snapshots.take()

    @property
    def snapshot_copies(self) -> int:
        """Element copies made by :meth:`snapshot` so far (what snapshots cost)."""
        return self._snapshots.copies

    def changed_outside(self) -> None:
        """The project was changed without an edit: the next snapshot copies everything."""
        self._snapshots.invalidate(None)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_label(self) -> str | None:
        return self._undo[-1][0].label if self._undo else None

    @property
    def redo_label(self) -> str | None:
        return self._redo[-1][0].label if self._redo else None

    @property
    def labels(self) -> list[str]:
        """Labels of the undo stack, oldest first."""
        return [e.label for e, _ in self._undo]

    def _token(self) -> int:
        return self._undo[-1][1] if self._undo else 0

    @property
    def is_dirty(self) -> bool:
        return self._token() != self._saved_token

    def mark_saved(self) -> None:
        self._saved_token = self._token()

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(kind, edit)`` after each change; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, kind: str, edit: Edit, touched: set[str] | None) -> None:
        self._snapshots.invalidate(touched)
        self.change_count += 1
        for listener in list(self._listeners):
            listener(kind, edit)

    def seal(self) -> None:
        """End a merge run (e.g. on mouse release): the next edit starts a new undo step."""
        self._sealed = True

    def do(self, edit: Edit) -> None:
        """Apply ``edit``; on ProjectError nothing changed and the stacks stay as they were."""
        edit.apply(self.project)
        self._redo.clear()
        self._serial += 1
        if (
            self._undo
            and not self._sealed
            and self._token() != self._saved_token
            and self._undo[-1][0].merge(edit)
        ):
            self._undo[-1] = (self._undo[-1][0], self._serial)
            self._sealed = False
            self._notify("merge", self._undo[-1][0], edit.touched())
            return
        self._sealed = False
        self._undo.append((edit, self._serial))
        if len(self._undo) > self.limit:
            del self._undo[0]
        self._notify("do", edit, edit.touched())

    def undo(self) -> str | None:
        """Undo the last edit; returns its label, or None when there is nothing to undo."""
        if not self._undo:
            return None
        edit, token = self._undo.pop()
        touched = edit.touched()
        edit.revert(self.project)
        self._redo.append((edit, token))
        self._sealed = True
        self._notify("undo", edit, touched)
        return edit.label

    def redo(self) -> str | None:
        if not self._redo:
            return None
        edit, token = self._redo.pop()
        edit.apply(self.project)
        self._undo.append((edit, token))
        self._sealed = True
        self._notify("redo", edit, edit.touched())
        return edit.label

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
        self._saved_token = 0
