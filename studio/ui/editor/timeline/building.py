"""Edits that put media on the timeline: drops from the bin and "Quick video".

Each function returns core edits (one :class:`Group` per user action) built from probed media
(``studio.media.probe.MediaInfo``); nothing here touches the project directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from studio.core.edits import AddClip, AddTrack, Edit, SetParams
from studio.core.project import AudioClip, Project, VideoClip, new_id
from studio.ui.editor.timeline.magnetic import insert_edits, main_track
from studio.ui.editor.timeline.model import Group

STILL_SECONDS = 3.0
VERTICAL = (1080, 1920)


def media_length(info: Any) -> float:
    """Seconds a file fills on the timeline (stills get ``STILL_SECONDS``)."""
    if info.kind == "image" or not info.duration or info.duration <= 0:
        return STILL_SECONDS
    return float(info.duration)


def _track_for(
    project: Project, kind: str, wanted: str | None, edits: list[Edit], made: dict[str, str]
) -> str:
    if wanted is not None:
        for t in project.tracks:
            if t.id == wanted and t.kind == kind:
                return t.id
    for t in project.tracks:
        if t.kind == kind:
            return t.id
    if kind not in made:
        add = AddTrack(kind, name=kind.capitalize(), index=0 if kind == "video" else None)
        edits.append(add)
        made[kind] = add.track.id
    return made[kind]


def place_media(
    project: Project,
    media: Sequence[Any],
    at: float,
    track_id: str | None = None,
    *,
    fit: str = "fill",
    label: str = "Add clips",
    magnetic: bool = True,
) -> Group | None:
    """Clips for ``media`` (MediaInfo objects) end to end from ``at``: pictures on a video
    track (``track_id`` when it is one), audio-only files on an audio track. On the main video
    track (when ``magnetic``) they go in at the clip boundary nearest ``at`` and the clips after
    them ripple."""
    edits: list[Edit] = []
    made: dict[str, str] = {}
    t = {"video": at, "audio": at}
    main = main_track(project)
    on_main: list[VideoClip] = []
    for info in media:
        length = media_length(info)
        if info.video is not None:
            tid = _track_for(project, "video", track_id, edits, made)
            clip: Any = VideoClip(new_id(), info.path, 0.0, length, t["video"], fit=fit)
            t["video"] += length
            if magnetic and tid == (main.id if main is not None else made.get("video")):
                on_main.append(clip)
                continue
        elif info.audio is not None:
            tid = _track_for(project, "audio", track_id, edits, made)
            clip = AudioClip(new_id(), info.path, 0.0, length, t["audio"])
            t["audio"] += length
        else:
            continue
        edits.append(AddClip(tid, clip))
    if on_main:
        main_id = main.id if main is not None else made["video"]
        edits += insert_edits(project, main_id, on_main, at)
    return Group(edits, label) if edits else None


def quick_video(project: Project, media: Sequence[Any]) -> Group | None:
    """A vertical 9:16 canvas with ``media`` laid end to end after the last video, fill-cropped."""
    videos = [m for m in media if m.video is not None]
    if not videos:
        return None
    edits: list[Edit] = []
    canvas = project.canvas
    if (canvas.width, canvas.height) != VERTICAL:
        edits.append(
            SetParams("canvas", {"width": VERTICAL[0], "height": VERTICAL[1]}, label="Vertical canvas")
        )
    video_end = max((t.end for t in project.video_tracks()), default=0.0)
    placed = place_media(project, videos, video_end, fit="fill")
    if placed is not None:
        edits += placed.edits
    return Group(edits, "Quick video")
