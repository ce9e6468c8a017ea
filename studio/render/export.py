"""Export: project -> MP4, checked before any work, pipelined, written atomically.

Three threads joined by bounded queues keep memory flat whatever the project's length:

    decode    per output frame, each active clip's source frame (sequential readers, no seeks)
    compose   filters, placement, transitions, text -> one I420 buffer
    encode    the MP4 writer (video + the matching slice of the mix, rendered 10 s at a time)

A fourth, short-lived thread measures the mix's loudness and true peak (pass 1) while the first
frames go through; the encoder waits for its gain only when the first audio is due.

The calling thread only watches: progress, cancel, and the first error from any stage. The file
is written to a hidden temp file in the target folder and renamed on success; a cancel or a
failure removes the temp file, so no half file ever carries the final name.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.core.frame import Frame
from studio.core.project import Project
from studio.render.audio_mix import RATE, TARGET_LUFS, AudioMix
from studio.render.checks import (
    file_name,
    output_clash,
    output_problem,
    unavailable_filters,
    unusable_sources,
)
from studio.render.compositor import Compositor, active_video_clips
from studio.render.errors import ProjectRefused, RenderCancelled, RenderError
from studio.render.hdr_export import HDR_CODEC, HDR_ENCODER, check_mode, hdr_problems
from studio.render.output import AtomicOutput, Mp4Writer, disk_full_error, is_disk_full, video_frame
from studio.render.presets import Preset, get_preset, platform_problems
from studio.render.sources import SequentialClipReader

log = logging.getLogger(__name__)

QUEUE_DEPTH = 6
_POLL_S = 0.1


@dataclass
class RenderProgress:
    frame: int
    total: int
    fps: float
    eta_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "frame": self.frame,
            "total": self.total,
            "fps": round(self.fps, 2),
            "eta_s": None if self.eta_s is None else round(self.eta_s, 1),
        }


@dataclass
class ExportPlan:
    preset: Preset
    width: int
    height: int
    fps: float
    total_frames: int
    duration: float
    codec: str
    encoder: str
    warnings: list[str] = field(default_factory=list)
    hdr: str | None = None  # "hlg": 10-bit HLG HEVC (``studio.render.hdr_export``)


@dataclass
class RenderResult:
    path: Path | None
    frames: int
    duration: float
    width: int
    height: int
    fps: float
    encoder: str
    seconds: float
    warnings: list[str] = field(default_factory=list)
    hdr: str | None = None


def plan_export(
    project: Project,
    preset: str | Preset | None = None,
    *,
    codec: str | None = None,
    encoder: str | None = None,
    check_platform: bool = True,
    out_path: str | os.PathLike[str] | None = None,
    protect: Sequence[str | os.PathLike[str]] = (),
    hdr: str | None = None,
) -> ExportPlan:
    """Everything the export will do, or :class:`ProjectRefused` listing every problem found.

    With ``out_path`` the output is checked too: its folder must exist and be writable, and it
    must not be one of the project's sources nor any file in ``protect`` (the project file, the
    drafts database): overwriting those would lose the creator's work. ``codec``: "h264" when
    None (HEVC for an HDR export). ``hdr="hlg"``: keep HLG in 10-bit HEVC, refused with every
    reason it cannot be (``studio.render.hdr_export.hdr_problems``).
    """
    from studio.media.encoders import pick_encoder
    from studio.media.errors import MediaError

    try:
        p = get_preset(preset)
    except ValueError as exc:
        raise ProjectRefused([str(exc)]) from None
    if out_path is not None:
        clash = output_clash(out_path, project.sources(), protect)
        if clash:
            raise ProjectRefused([clash])
        where = output_problem(out_path)
        if where:
            raise ProjectRefused([where])
    problems: list[str] = []
    warnings: list[str] = []
    width, height = p.output_size(project.canvas.width, project.canvas.height)
    fps = p.output_fps(project.canvas.fps)
    duration = project.duration
    total = math.ceil(duration * fps - 1e-6) if duration > 0 else 0
    if total <= 0:
        problems.append("the project is empty: add a clip or a text item first")
    folders = [source for source in project.sources() if os.path.isdir(source)]
    for folder in folders:
        problems.append(
            f"{file_name(folder)} is a folder, not a media file; pick a video, audio or image file"
        )
    missing = [s for s in project.sources() if not os.path.isfile(s) and s not in folders]
    if missing:
        problems.append("missing media files: " + ", ".join(file_name(m) for m in missing))
    missing.extend(folders)
    problems.extend(unusable_sources(project, set(missing), warnings))
    problems.extend(unavailable_filters(project))
    if check_platform:
        problems.extend(
            platform_problems(width, height, fps, total / fps if fps else 0, p.estimate_bytes(duration))
        )
    chosen = ""
    if hdr is not None:
        problems.extend(check_mode(hdr) or hdr_problems(project, codec, encoder))
        codec, chosen = HDR_CODEC, HDR_ENCODER
    else:
        codec = codec or "h264"
        try:
            chosen = pick_encoder(codec, encoder)
        except MediaError as exc:
            problems.append(exc.message)
    if problems:
        raise ProjectRefused(problems)
    return ExportPlan(p, width, height, fps, total, total / fps, codec, chosen, warnings, hdr)


class _Stop(Exception):
    """Another stage failed or the export was cancelled."""


class _Pipeline:
    def __init__(
        self, project: Project, plan: ExportPlan, writer: Any, audio: AudioMix, target_lufs: float | None
    ) -> None:
        self.project = project
        self.plan = plan
        self.writer = writer
        self.audio = audio
        self.target_lufs = target_lufs
        self.audio_gain: float | None = None
        self.gain_ready = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.frames_done = 0
        self.compositor_warnings: list[str] = []
        self.decoded: queue.Queue[Any] = queue.Queue(QUEUE_DEPTH)
        self.composed: queue.Queue[Any] = queue.Queue(QUEUE_DEPTH)
        self.threads = [
            threading.Thread(
                target=self._guard, args=(self._measure_audio,), name="render-audio", daemon=True
            ),
            threading.Thread(target=self._guard, args=(self._decode,), name="render-decode", daemon=True),
            threading.Thread(target=self._guard, args=(self._compose,), name="render-compose", daemon=True),
            threading.Thread(target=self._guard, args=(self._encode,), name="render-encode", daemon=True),
        ]

    def _guard(self, stage: Callable[[], None]) -> None:
        try:
            stage()
        except _Stop:
            return  # another stage failed first, or the export was cancelled
        except BaseException as exc:
            if self.error is None:
                self.error = exc
            self.stop.set()

    def _put(self, q: queue.Queue[Any], item: Any) -> None:
        while True:
            if self.stop.is_set():
                raise _Stop()
            try:
                q.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def _get(self, q: queue.Queue[Any]) -> Any:
        while True:
            if self.stop.is_set():
                raise _Stop()
            try:
                return q.get(timeout=_POLL_S)
            except queue.Empty:
                continue

    def _measure_audio(self) -> None:
        """Pass 1 of the mix (loudness + true peak) while the first frames decode and encode."""
        self.audio_gain = self.audio.normalising_gain(self.target_lufs)
        self.gain_ready.set()

    def _wait_gain(self) -> float:
        while not self.gain_ready.wait(_POLL_S):
            if self.stop.is_set():
                raise _Stop()
        assert self.audio_gain is not None
        return self.audio_gain

    def _decode(self) -> None:
        readers: dict[str, SequentialClipReader] = {}
        fps = self.plan.fps
        deep = self.plan.hdr is not None
        try:
            for i in range(self.plan.total_frames):
                t = i / fps
                sources: dict[str, Frame] = {}
                for clip in active_video_clips(self.project, t):
                    reader = readers.get(clip.id)
                    if reader is None:
                        reader = readers[clip.id] = SequentialClipReader(clip, deep=deep)
                    sources[clip.id] = reader.frame_at(clip.source_time(t))
                for clip_id in [k for k, r in readers.items() if r.clip.end <= t]:
                    readers.pop(clip_id).close()
                self._put(self.decoded, (i, t, sources))
            self._put(self.decoded, None)
        finally:
            for reader in readers.values():
                reader.close()

    def _compose(self) -> None:
        comp = Compositor(
            self.project,
            self.plan.width,
            self.plan.height,
            self.plan.fps,
            mode="export",
            quiet=True,
            deep=self.plan.hdr is not None,
        )
        self.compositor_warnings = comp.warnings
        previous: set[str] = set()
        try:
            while True:
                item = self._get(self.decoded)
                if item is None:
                    self._put(self.composed, None)
                    return
                i, t, sources = item
                self._put(self.composed, (i, comp.compose(t, sources)))
                for gone in previous - sources.keys():
                    comp.filters.release(gone)  # time only moves forward: that clip is over
                previous = set(sources)
        finally:
            comp.close()

    def _encode(self) -> None:
        fps = self.plan.fps
        chunks: Iterator[np.ndarray] | None = None
        pending = np.zeros((0, 2), np.float32)
        audio_pos, audio_len = 0, self.audio.length
        while True:
            item = self._get(self.composed)
            if item is None:
                break
            i, buf = item
            self.writer.write_video(buf)
            upto = min(audio_len, round((i + 1) / fps * RATE))
            if chunks is None and self.gain_ready.is_set():
                # until pass 1 is done the video goes on alone; the muxer holds a second or so
                # of packets and the audio catches up here
                chunks = self.audio.chunks(self._wait_gain())
            while chunks is not None and audio_pos + len(pending) < upto:
                pending = np.concatenate([pending, next(chunks)])
            if chunks is not None and upto > audio_pos:
                take = upto - audio_pos
                self.writer.write_audio(pending[:take])
                pending = pending[take:]
                audio_pos = upto
            self.frames_done = i + 1
        if chunks is None:
            chunks = self.audio.chunks(self._wait_gain())
        self.writer.write_audio(pending)
        for block in chunks:
            self.writer.write_audio(block)
        self.writer.finish()

    def run(self, progress: Callable[[RenderProgress], None] | None, cancel: threading.Event | None) -> None:
        started = time.monotonic()
        for th in self.threads:
            th.start()
        total = self.plan.total_frames
        last_report = -1
        try:
            while any(th.is_alive() for th in self.threads):
                self.threads[-1].join(timeout=0.25)  # the encoder: last to finish
                if cancel is not None and cancel.is_set():
                    self.stop.set()
                    break
                if self.stop.is_set():
                    break
                done = self.frames_done
                if progress is not None and done != last_report:
                    last_report = done
                    progress(_progress(done, total, time.monotonic() - started))
        finally:
            # every way out of the loop (done, cancel, error, KeyboardInterrupt) stops the stages
            self.stop.set()
            for th in self.threads:
                th.join()
        if self.error is not None:
            raise self.error
        if cancel is not None and cancel.is_set():
            raise RenderCancelled()
        if self.frames_done < total:
            raise RenderError(f"the export stopped after {self.frames_done} of {total} frames")
        if progress is not None and last_report != total:
            progress(_progress(total, total, time.monotonic() - started))


def _progress(done: int, total: int, elapsed: float) -> RenderProgress:
    fps = done / elapsed if elapsed > 0 else 0.0
    eta = (total - done) / fps if fps > 0 else None
    return RenderProgress(done, total, fps, eta)


class NullWriter:
    """Stands in for :class:`Mp4Writer` to time the pipeline without the encoder (bench only)."""

    def __init__(self) -> None:
        self.frames_written = 0

    def write_video(self, i420: np.ndarray) -> None:
        video_frame(i420)
        self.frames_written += 1

    def write_audio(self, samples: np.ndarray) -> None:
        return None

    def finish(self) -> None:
        return None

    def abort(self) -> None:
        return None


def _open_writer(
    target: AtomicOutput, plan: ExportPlan, chosen_by_user: bool, warnings: list[str]
) -> Mp4Writer:
    """The MP4 writer; a hardware encoder picked automatically that fails to start gives way to
    the software one (the probe used a tiny frame; a real size can still be refused)."""
    import av

    from studio.media.encoders import SOFTWARE

    def make(name: str) -> Mp4Writer:
        return Mp4Writer(
            target.temp,
            width=plan.width,
            height=plan.height,
            fps=plan.fps,
            encoder=name,
            preset=plan.preset,
            hdr=plan.hdr,
        )

    try:
        return make(plan.encoder)
    except av.FFmpegError as exc:
        software = SOFTWARE[plan.codec]
        reason = str(exc).split(";")[0]
        if chosen_by_user or plan.encoder == software:
            raise RenderError(
                f"the encoder {plan.encoder} could not start: {reason}", kind="encoder"
            ) from exc
        message = f"the {plan.encoder} encoder could not start ({reason}); {software} was used instead"
        log.info(message)  # the caller shows ``warnings``
        warnings.append(message)
        plan.encoder = software
        return make(software)


def render_project(
    project: Project,
    out_path: str | os.PathLike[str] | None,
    preset: str | Preset | None = None,
    encoder: str | None = None,
    progress: Callable[[RenderProgress], None] | None = None,
    cancel: threading.Event | None = None,
    *,
    codec: str | None = None,
    check_platform: bool = True,
    normalize_audio: bool = True,
    null_output: bool = False,
    protect: Sequence[str | os.PathLike[str]] = (),
    hdr: str | None = None,
) -> RenderResult:
    """Render ``project`` to ``out_path`` (MP4). Raises :class:`ProjectRefused` before any work
    when the project cannot be exported, :class:`RenderCancelled` when ``cancel`` is set, and
    :class:`RenderError` (with a creator-facing ``message``) for anything else.

    ``null_output`` composes every frame but encodes and writes nothing (benchmarks).
    ``protect``: files the output must never replace (the project file, the drafts database);
    the project's sources are always protected. ``hdr="hlg"``: 10-bit HLG HEVC (see
    :func:`plan_export`); the mix, checks and atomic output are the SDR export's.
    """
    from studio.effects.chain import FilterError
    from studio.media.errors import MediaError

    started = time.monotonic()
    plan = plan_export(
        project,
        preset,
        codec=codec,
        encoder=encoder,
        check_platform=check_platform,
        out_path=None if null_output else out_path,
        protect=protect,
        hdr=hdr,
    )
    warnings = list(plan.warnings)
    target: AtomicOutput | None = None
    writer: Any = None
    try:
        if not null_output:
            if out_path is None:
                raise RenderError("no output file was given", kind="bad_output")
            target = AtomicOutput(out_path)
        audio = AudioMix(project, RATE, duration=plan.duration, warnings=warnings)
        if cancel is not None and cancel.is_set():
            raise RenderCancelled()
        writer = NullWriter() if target is None else _open_writer(target, plan, encoder is not None, warnings)
        pipeline = _Pipeline(project, plan, writer, audio, TARGET_LUFS if normalize_audio else None)
        try:
            pipeline.run(progress, cancel)
        finally:
            warnings.extend(w for w in pipeline.compositor_warnings if w not in warnings)
        path = target.commit() if target is not None else None
    except BaseException as exc:
        if writer is not None:
            writer.abort()
        if target is not None:
            target.discard()
        if isinstance(exc, RenderError):
            raise
        if is_disk_full(exc):
            raise disk_full_error(out_path or ".") from exc
        if isinstance(exc, FilterError):
            raise RenderError(f"the filter {exc.filter_id} failed: {exc.message}", kind="filter") from exc
        if isinstance(exc, MediaError):
            raise RenderError(str(exc), kind="media") from exc
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        log.exception("export failed")
        raise RenderError(f"the export failed: {exc}", kind="failed") from exc
    return RenderResult(
        path=path,
        frames=plan.total_frames,
        duration=plan.duration,
        width=plan.width,
        height=plan.height,
        fps=plan.fps,
        encoder=plan.encoder,
        seconds=time.monotonic() - started,
        warnings=warnings,
        hdr=plan.hdr,
    )
