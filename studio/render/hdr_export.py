"""The HDR export option: when it is offered, what it refuses, and how its stream is encoded.

``--hdr hlg`` keeps HLG in 10-bit HEVC: decode, compositing and encoding run in the deep working
space of ``studio.media.hlg`` (I420 10-bit, BT.2020 NCL, limited range, HLG), and the file is
tagged so in the container and in the HEVC bitstream's VUI. It is offered when

* the project has at least one HDR (HLG or PQ) video clip: an all-SDR project would only gain a
  bigger file that looks the same;
* every enabled filter on a visible clip runs on 10-bit frames: the built-in colour, vignette,
  blur, sharpen, film grain, chroma key, face blur, face sticker and auto reframe do
  (``Filter.deep``); LUTs (their tables are made for SDR) and plugins work on the 8-bit SDR
  working frame, and dropping one silently would change the picture;
* PyAV's FFmpeg has libx265 with 10-bit 4:2:0 input.

Every reason it is not offered is a sentence, checked before any work.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from studio.core.project import Project, VideoClip
from studio.render.presets import Preset

HDR_MODES = ("hlg",)
HDR_ENCODER = "libx265"
HDR_CODEC = "hevc"
HDR_PIX_FMT = "yuv420p10le"
# x265's CRF for 10-bit HLG: 2 below the SDR HEVC export's (the preset's CRF + 4), so 22 for the
# 1080p presets: HLG highlights and smooth gradients need the bits. The preset's ceiling is the
# VBV maxrate, so the size estimate holds.
HDR_CRF_OFFSET = 2
VUI = "colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc:range=limited"


def check_mode(hdr: str | None) -> list[str]:
    if hdr is None or hdr in HDR_MODES:
        return []
    return [f"unknown HDR mode '{hdr}' (choose from {', '.join(HDR_MODES)})"]


def _clips(project: Project) -> list[VideoClip]:
    return [
        clip
        for track in project.video_tracks()
        if not track.hidden
        for clip in track.clips
        if isinstance(clip, VideoClip)
    ]


def hdr_clip_names(project: Project) -> list[str]:
    """File names of the visible video clips whose source is HDR (HLG or PQ); probes the files."""
    from studio.media.errors import MediaError
    from studio.media.probe import probe

    names: list[str] = []
    seen: set[str] = set()
    for clip in _clips(project):
        if clip.source in seen:
            continue
        seen.add(clip.source)
        try:
            video = probe(clip.source, check_audio=False).video
        except (MediaError, OSError):
            continue
        if video is not None and video.hdr in ("HLG", "PQ"):
            names.append(os.path.basename(clip.source))
    return names


def sdr_only_effects(project: Project) -> list[str]:
    """The names of the enabled filters on visible clips that cannot run on 10-bit frames (each
    once, in timeline order)."""
    from studio.effects.registry import default_registry

    registry = default_registry()
    names: list[str] = []
    for clip in _clips(project):
        for ref in clip.filters:
            if not ref.enabled or registry.runs_deep(ref.id):
                continue
            status = registry.status(ref.id)
            name = status.name if status is not None and status.name else ref.id
            if name not in names:
                names.append(name)
    return names


def effects_sentence(names: Sequence[str]) -> str:
    """What blocks the HDR export first (the effects by name), then what it does keep."""
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    verb, pronoun = ("works", "it") if len(names) == 1 else ("work", "them")
    return (
        f"{listed} {verb} in SDR only: remove {pronoun} or export in SDR. HDR export keeps 10-bit HLG "
        "through cuts, transitions, text, colour, vignette, blur, sharpen, grain, chroma key and "
        "face effects."
    )


def encoder_problem() -> str | None:
    """Why PyAV cannot encode 10-bit HEVC here, or None."""
    import av

    try:
        formats = [f.name for f in (av.Codec(HDR_ENCODER, "w").video_formats or [])]
    except (av.FFmpegError, ValueError):
        return "HDR export needs the libx265 encoder, which this installation's FFmpeg lacks; export in SDR"
    if HDR_PIX_FMT not in formats:
        return "HDR export needs libx265 with 10-bit support, which this installation lacks; export in SDR"
    return None


def hdr_problems(project: Project, codec: str | None = None, encoder: str | None = None) -> list[str]:
    """Every reason the project cannot be exported in 10-bit HLG (empty when it can)."""
    problems: list[str] = []
    if codec not in (None, HDR_CODEC):
        problems.append(f"HDR export is HEVC (H.265) only, not {codec}; drop --codec or choose hevc")
    if encoder not in (None, HDR_ENCODER):
        problems.append(f"HDR export uses the {HDR_ENCODER} encoder, not {encoder}")
    if not hdr_clip_names(project):
        problems.append(
            "HDR export needs at least one HDR (HLG or PQ) video clip; this project has none, export in SDR"
        )
    effects = sdr_only_effects(project)
    if effects:
        problems.append(effects_sentence(effects))
    why = encoder_problem()
    if why:
        problems.append(why)
    return problems


def unavailable_reason(project: Project) -> str | None:
    """For the export dialog: why the HDR option is off for this project (None: it is offered).
    Reads the media files and the filter registry: call it off the GUI thread."""
    problems = hdr_problems(project)
    return " ".join(p if p.endswith(".") else p + "." for p in problems) or None


def hdr_encoder_options(preset: Preset) -> dict[str, str]:
    """libx265 options of the HDR stream: CRF, preset, VBV ceiling, the HLG VUI."""
    return {
        "crf": str(preset.crf + 4 - HDR_CRF_OFFSET),
        "preset": preset.x264_preset,
        "maxrate": f"{preset.max_video_kbps}k",
        "bufsize": f"{preset.max_video_kbps * 2}k",
        "x265-params": f"log-level=error:{VUI}",
    }


def hdr_tags() -> dict[str, Any]:
    """The stream's colour tags (container ``colr`` box and codec context)."""
    from studio.media.hlg import DEEP_TAGS

    return dict(DEEP_TAGS)
