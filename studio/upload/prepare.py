"""Before the upload: export a draft, check a file against the platform's rules, hash it.

A draft is rendered by the same worker the export dialog uses (``creator-studio render`` in a
child process, ``--progress json``), whose platform checks refuse before any work. A given file
is checked, not re-encoded, unless its format fails the checks (container, codec, frame rate,
picture size); then it is re-encoded through the same render path. A video too long for the
account fails with a sentence: shortening it is the creator's choice.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from studio.process import worker_command
from studio.upload.chunks import MAX_FILE

CONTAINERS = ("mp4", "mov", "webm")
CODECS = ("h264", "hevc", "vp8", "vp9")
MIN_FPS, MAX_FPS = 23.0, 60.0
MIN_SIDE, MAX_SIDE = 360, 4096


class PrepareError(Exception):
    """The video cannot be published as it is; the message says why and what to do."""


@dataclass(frozen=True)
class Checked:
    duration: float
    width: int
    height: int
    fps: float
    size: int
    fixable: tuple[str, ...]  # format problems a re-encode solves
    has_audio: bool = True


def check_video(path: Path, max_duration_s: int | None) -> Checked:
    from studio.media.errors import MediaError
    from studio.media.probe import probe

    try:
        info = probe(path)
    except MediaError as exc:
        raise PrepareError(f"{path.name}: {exc.message if hasattr(exc, 'message') else exc}") from None
    except OSError as exc:
        raise PrepareError(f"{path.name} cannot be read: {exc.strerror or exc}.") from None
    if info.video is None:
        raise PrepareError(f"{path.name} has no video picture; TikTok needs a video.")
    if info.size_bytes > MAX_FILE:
        raise PrepareError(f"{path.name} is larger than 4 GB; export it at a lower quality.")
    if info.duration <= 0:
        raise PrepareError(f"{path.name} has no length that can be read; it may be damaged.")
    if max_duration_s and info.duration > max_duration_s + 0.5:
        raise PrepareError(
            f"{path.name} is {info.duration:.0f} s long; this account may post videos up to "
            f"{max_duration_s} s. Shorten it in the editor and publish again."
        )
    v = info.video
    width, height = v.display_width or v.width, v.display_height or v.height
    fixable: list[str] = []
    if info.container not in CONTAINERS:
        fixable.append(f"the container is {info.container}, not MP4, MOV or WebM")
    if v.codec not in CODECS:
        fixable.append(f"the video codec is {v.codec}, not H.264, H.265, VP8 or VP9")
    if not MIN_FPS <= v.fps <= MAX_FPS:
        fixable.append(f"the frame rate is {v.fps:.0f} fps, outside 23-60")
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        fixable.append(f"the picture is {width}x{height}, outside 360-4096 pixels")
    return Checked(
        info.duration, width, height, v.fps, info.size_bytes, tuple(fixable), info.audio is not None
    )


def sha256_file(path: Path, cancel: threading.Event | None = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * 1024 * 1024):
            if cancel is not None and cancel.is_set():
                raise PrepareError("Cancelled while the file was read.")
            digest.update(chunk)
    return digest.hexdigest()


def render(
    args: list[str], out: Path, progress: Callable[[float, str], None], cancel: threading.Event
) -> Path:
    """``creator-studio render ARGS -o OUT --progress json`` in a child process."""
    out.parent.mkdir(parents=True, exist_ok=True)
    command = worker_command("render", *args, "-o", str(out), "--progress", "json")
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(child.stderr or []), daemon=True)  # type: ignore[arg-type]
    reader.start()
    assert child.stdout is not None
    for line in child.stdout:
        if cancel.is_set():
            child.terminate()
            break
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        total = doc.get("total") or 0
        if total:
            progress(min(1.0, doc.get("frame", 0) / total), f"frame {doc.get('frame', 0)} of {total}")
    code = child.wait()
    reader.join(5)
    if cancel.is_set():
        out.unlink(missing_ok=True)
        raise PrepareError("The export was cancelled.")
    if code != 0:
        said = " ".join(line.strip() for line in errors if line.strip())[-400:]
        said = said.removeprefix("creator-studio render: ")
        raise PrepareError(f"The export failed: {said or f'exit code {code}'}")
    return out


def export_draft(
    draft_id: int,
    out: Path,
    progress: Callable[[float, str], None],
    cancel: threading.Event,
    revision_id: int | None = None,
) -> Path:
    """The draft as it was queued (``revision_id``; the head when None)."""
    args = ["--draft", str(draft_id)] + (["--revision", str(revision_id)] if revision_id is not None else [])
    return render(args, out, progress, cancel)


def reencode_file(
    source: Path, checked: Checked, out: Path, progress: Callable[[float, str], None], cancel: threading.Event
) -> Path:
    """Re-encode a file whose format the platform refuses, through the same render path."""
    from studio.core.project import AudioClip, Canvas, Project, Track, VideoClip
    from studio.projectfile import save_project

    width, height = checked.width, checked.height
    scale = min(1.0, 1920 / max(width, height)) if max(width, height) > 1920 else 1.0
    if min(width, height) * scale < MIN_SIDE:
        scale = MIN_SIDE / min(width, height)
    w, h = int(width * scale) // 2 * 2, int(height * scale) // 2 * 2
    fps = min(MAX_FPS, max(MIN_FPS, round(checked.fps) or 30.0))
    d = checked.duration
    tracks = [
        Track("v1", "video", name="Video", clips=[VideoClip("c1", str(source), 0.0, d, 0.0, fit="fit")])
    ]
    if checked.has_audio:
        tracks.append(Track("a1", "audio", name="Audio", clips=[AudioClip("a1c", str(source), 0.0, d, 0.0)]))
    project = Project(title=source.stem, canvas=Canvas(w, h, fps), tracks=tracks)
    project_file = out.with_suffix(".project.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    save_project(project, project_file)
    try:
        return render([str(project_file), "--preset", "canvas"], out, progress, cancel)
    finally:
        project_file.unlink(missing_ok=True)
