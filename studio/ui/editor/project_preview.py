"""The project as a player source: ``studio.render.PreviewRenderer`` behind the FrameSource slot.

The GUI hands over a snapshot of the project after each edit (:meth:`ProjectSource.update`,
``History.snapshot()``: unchanged clips are shared, nothing is copied here); the player thread
picks it up on its next frame, so the GUI never waits for a render. While playing
frames come from the half-scale renderer; when paused (``full_quality``) the same frame is drawn
again at full canvas size.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from studio.core.project import Project

if TYPE_CHECKING:
    from studio.core.frame import Frame

PREVIEW_SCALE = 0.5


class ProjectSource:
    """A FrameSource for a whole project; thread-safe hand-over of edited copies."""

    def __init__(self, project: Project, scale: float = PREVIEW_SCALE) -> None:
        """``project``: a snapshot (``History.snapshot()``) or a project nobody changes."""
        self.scale = scale
        self.full_quality = False
        self._lock = threading.Lock()
        self._project = project
        self._pending: Project | None = None
        self._renderers: dict[float, Any] = {}
        self.last_scale = scale

    def update(self, project: Project) -> None:
        """Show this state of the project from the next frame on (a snapshot nobody changes)."""
        with self._lock:
            self._project = project
            self._pending = project

    @property
    def project(self) -> Project:
        with self._lock:
            return self._project

    @property
    def duration(self) -> float:
        return self.project.duration

    @property
    def fps(self) -> float:
        return float(self.project.canvas.fps)

    @property
    def size(self) -> tuple[int, int]:
        canvas = self.project.canvas
        return canvas.width, canvas.height

    def _renderer(self, scale: float) -> Any:
        renderer = self._renderers.get(scale)
        if renderer is None:
            from studio.render.preview import PreviewRenderer

            renderer = PreviewRenderer(self.project, scale=scale)
            self._renderers[scale] = renderer
        return renderer

    def frame_at(self, t: float) -> Frame:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None:
            for renderer in self._renderers.values():
                renderer.set_project(pending)
        scale = 1.0 if self.full_quality else self.scale
        self.last_scale = scale
        return self._renderer(scale).frame_at(t)

    @property
    def problems(self) -> list[str]:
        out: list[str] = []
        for renderer in self._renderers.values():
            out += list(renderer.problems) + list(renderer.filter_problems)
        return out

    def close(self) -> None:
        """Close the renderers; the next frame reopens them (the player re-opens on length changes)."""
        renderers, self._renderers = self._renderers, {}
        for renderer in renderers.values():
            renderer.close()
