"""The magnetic main track: the bottom video track holds its clips end to end from 0.

Dropping media on it inserts at the clip boundary nearest the drop and ripples the clips after
it; deleting from it closes the gap; dragging a clip along it moves it to the boundary nearest
where it is let go (the others close up around it); dragging one off it closes its gap, onto it
inserts it; trimming one of its clips ripples the clips after it. Other tracks (overlay video,
text, audio) keep free placement, and so does the main track when the timeline's "Magnetic Main
Track" is off. Everything here returns core edits, so each gesture stays one undo step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from studio.core.edits import AddClip, Edit, MoveClip
from studio.core.project import Project, Track

EPS = 1e-6


def main_track(project: Project) -> Track | None:
    """The first (bottom) video track, or None when the project has none."""
    return next((t for t in project.tracks if t.kind == "video"), None)


def is_main(project: Project, track_id: str | None) -> bool:
    main = main_track(project)
    return main is not None and main.id == track_id


def insertion_index(clips: Sequence[Any], at: float) -> int:
    """Where a drop at ``at`` goes among ``clips`` (sorted by start): the nearest boundary."""
    best, best_gap = 0, abs(at)
    for k in range(1, len(clips) + 1):
        for boundary in (clips[k - 1].end, clips[k].start if k < len(clips) else None):
            if boundary is not None and abs(at - boundary) < best_gap - EPS:
                best, best_gap = k, abs(at - boundary)
    return best


def pack_edits(order: Sequence[Any]) -> list[Edit]:
    """Moves that lay existing ``order`` end to end from 0 (only clips whose start changes)."""
    edits: list[Edit] = []
    t = 0.0
    for clip in order:
        if abs(clip.start - t) > EPS:
            edits.append(MoveClip(clip.id, t))
        t += clip.end - clip.start
    return edits


def insert_edits(project: Project, track_id: str, clips: Sequence[Any], at: float) -> list[Edit]:
    """Add ``clips`` (new, in order) to the main track at the boundary nearest ``at``, packed.
    The track may be one the same gesture is creating (then it is empty)."""
    track = next((t for t in project.tracks if t.id == track_id), None)
    existing = sorted(track.clips, key=lambda c: c.start) if track is not None else []
    k = insertion_index(existing, at)
    t = sum(c.end - c.start for c in existing[:k])
    edits: list[Edit] = pack_edits(existing[:k])
    for clip in clips:
        clip.start = t
        t += clip.end - clip.start
    moves: list[Edit] = []
    for clip in existing[k:]:
        if abs(clip.start - t) > EPS:
            moves.append(MoveClip(clip.id, t))
        t += clip.end - clip.start
    return edits + list(reversed(moves)) + [AddClip(track_id, clip) for clip in clips]


def move_edits(
    project: Project, clip_id: str, start: float, track_id: str | None = None
) -> list[Edit] | None:
    """The edits of dragging one clip to ``start`` on ``track_id`` (None: its own track) when the
    main track is involved: along it, the clip goes to the boundary nearest ``start`` and the
    track stays packed; off it, its gap closes; onto it, it is inserted at the nearest boundary
    and the clips after it ripple. None when the main track is not involved (a free move)."""
    main = main_track(project)
    if main is None:
        return None
    source, clip = project.find(clip_id)
    target = track_id or source.id
    if main.id not in (source.id, target):
        return None
    if target != main.id:  # off the main track
        rest = sorted((c for c in main.clips if c.id != clip_id), key=lambda c: c.start)
        return [MoveClip(clip_id, start, target), *pack_edits(rest)]
    others = sorted((c for c in main.clips if c.id != clip_id), key=lambda c: c.start)
    k = insertion_index(others, start)
    edits: list[Edit] = []
    t = 0.0
    for c in [*others[:k], clip, *others[k:]]:
        if c is clip and (source.id != main.id or abs(c.start - t) > EPS):
            edits.append(MoveClip(c.id, t, None if source.id == main.id else main.id))
        elif c is not clip and abs(c.start - t) > EPS:
            edits.append(MoveClip(c.id, t))
        t += c.end - c.start
    return edits


def group_move_edits(project: Project, moves: dict[str, float]) -> list[Edit]:
    """The edits of dragging several elements (id -> new start, each on its own track): off the
    main track they go where they are let go; on it the selected clips move as a block, in
    their order, to the boundary between the other clips nearest the block's new start, and the
    track stays packed."""
    main = main_track(project)
    main_ids = {c.id for c in main.clips} if main is not None else set()
    edits: list[Edit] = [MoveClip(i, start) for i, start in moves.items() if i not in main_ids]
    if main is None or not main_ids & moves.keys():
        return edits
    clips = sorted(main.clips, key=lambda c: c.start)
    block = [c for c in clips if c.id in moves]
    others = [c for c in clips if c.id not in moves]
    k = insertion_index(others, min(moves[c.id] for c in block))
    t = 0.0
    for c in [*others[:k], *block, *others[k:]]:
        if abs(c.start - t) > EPS:
            edits.append(MoveClip(c.id, t))
        t += c.end - c.start
    return edits


def remove_edits(project: Project, removed: set[str]) -> list[Edit]:
    """Moves that close the gaps left on the main track once ``removed`` ids are gone."""
    main = main_track(project)
    if main is None or not any(c.id in removed for c in main.clips):
        return []
    return pack_edits([c for c in sorted(main.clips, key=lambda c: c.start) if c.id not in removed])
