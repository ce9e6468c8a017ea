"""The checks an export makes before any work: sources, clips past their file's end, filters
that are not installed, and outputs that would overwrite the creator's work or cannot be written.

Each problem is a sentence for the creator; ``studio.render.export.plan_export`` gathers them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from studio.core.project import Project, VideoClip

END_TOLERANCE_S = 0.05  # a clip may end this much (or one frame) after its file does


def unusable_sources(project: Project, missing: set[str], warnings: list[str]) -> list[str]:
    from studio.media.errors import MediaError
    from studio.media.probe import probe

    problems: list[str] = []
    needs_picture = {c.source for _, c in project.iter_clips() if isinstance(c, VideoClip)}
    for source in project.sources():
        name = os.path.basename(source)
        if source in missing:
            continue
        try:
            info = probe(source)
        except MediaError as exc:
            if source in needs_picture or exc.kind != "audio_damaged":
                problems.append(f"{name}: {exc.message}")
            elif (message := f"{exc}; its sound is left out") not in warnings:
                warnings.append(message)  # the same words the mix uses, so it is shown once
            continue
        if source in needs_picture and info.video is None:
            problems.append(f"{name}: this file has no picture, put it on an audio track")
        if info.kind != "image" and info.duration > 0:
            problems.extend(clips_past_end(project, source, info))
        if source not in needs_picture and info.audio is None:
            warnings.append(f"{name}: this file has no sound")
    return problems


def file_name(path: str) -> str:
    return os.path.basename(path.rstrip(os.sep)) or path


def clips_past_end(project: Project, source: str, info: Any) -> list[str]:
    """Clips of ``source`` that start or end after the file does (one frame / 50 ms allowed): the
    render would otherwise hold the last frame, or play silence, for the rest of the clip."""
    name = file_name(source)
    fps = info.video.fps if info.video is not None and info.video.fps else 0.0
    slack = max(END_TOLERANCE_S, 1.0 / fps if fps > 0 else 0.0)
    problems: list[str] = []
    for _, clip in project.iter_clips():
        if clip.source != source:
            continue
        if clip.in_point >= info.duration:
            problems.append(
                f"{name}: a clip starts at {clip.in_point:g} s but the file is only {info.duration:.2f} s long"
            )
        elif clip.out_point > info.duration + slack:
            problems.append(
                f"{name}: a clip (at {clip.start:g} s on the timeline) ends at {clip.out_point:g} s but "
                f"the file is only {info.duration:.2f} s long; trim its out point"
            )
    return problems


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def output_clash(
    out_path: str | os.PathLike[str], sources: Sequence[str], protect: Sequence[str | os.PathLike[str]] = ()
) -> str | None:
    """Why writing ``out_path`` would destroy an input (a source, the project file, the drafts
    database, or one of its -wal/-shm files), or None. Symlinks and hard links count."""
    target = Path(out_path).expanduser()
    for source in sources:
        if _same_file(target, Path(source)):
            return (
                f"the output {target.name} is one of the project's media files ({file_name(source)}); "
                "choose another output name"
            )
    for item in protect:
        guarded = Path(item).expanduser()
        for candidate in (
            guarded,
            Path(f"{guarded}-wal"),
            Path(f"{guarded}-shm"),
            Path(f"{guarded}-journal"),
        ):
            if _same_file(target, candidate):
                return (
                    f"the output {target.name} would overwrite {candidate.name}, which holds your "
                    "project; choose another output name"
                )
    return None


def output_problem(out_path: str | os.PathLike[str]) -> str | None:
    """Why ``out_path`` cannot be written (folder missing, not writable, a folder itself), or None."""
    target = Path(out_path).expanduser().resolve()
    folder = target.parent
    if not folder.is_dir():
        return f"the folder {folder} does not exist"
    if target.is_dir():
        return f"{target} is a folder; give a file name such as video.mp4"
    if not os.access(folder, os.W_OK):
        return f"cannot write into {folder} (permission denied)"
    if target.exists() and not os.access(target, os.W_OK):
        return f"{target.name} exists and is read-only"
    return None


def unavailable_filters(project: Project) -> list[str]:
    from studio.effects.registry import default_registry

    registry = default_registry()
    problems: list[str] = []
    for _, clip in project.iter_clips():
        if not isinstance(clip, VideoClip):
            continue
        for ref in clip.filters:
            if ref.enabled and registry.get(ref.id) is None:
                status = registry.status(ref.id)
                why = status.error if status is not None and status.error else "is not installed"
                problems.append(f"the filter {ref.id} on clip {os.path.basename(clip.source)} {why}")
    return problems
