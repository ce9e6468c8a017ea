"""Project -> frames -> filters -> compositor -> encoder, for export and for the preview player.

Public API (loaded lazily so that ``creator-studio render --help`` stays fast)::

    render_project(project, out_path, preset=None, encoder=None, progress=cb, cancel=event) -> RenderResult
    render_project(..., hdr="hlg")   10-bit HLG HEVC (studio.render.hdr_export; refused before work)
    plan_export(project, preset=None, codec="h264", encoder=None) -> ExportPlan   (refuses before work)
    PreviewRenderer(project, scale=0.5).frame_at(t) -> Frame
    mix_project_audio(project, rate=48000) -> np.ndarray (n, 2) float32
    track_stems(project, rate=48000) -> dict[track id, np.ndarray (n, 2) float32]  (player stems)
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "render_project": "studio.render.export",
    "plan_export": "studio.render.export",
    "RenderProgress": "studio.render.export",
    "RenderResult": "studio.render.export",
    "ExportPlan": "studio.render.export",
    "PreviewRenderer": "studio.render.preview",
    "mix_project_audio": "studio.render.audio_mix",
    "track_stems": "studio.render.audio_mix",
    "PRESETS": "studio.render.presets",
    "Preset": "studio.render.presets",
    "RenderError": "studio.render.errors",
    "ProjectRefused": "studio.render.errors",
    "RenderCancelled": "studio.render.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'studio.render' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
