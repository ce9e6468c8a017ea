"""Relinking moved media: one undoable edit that points clips at their sources' new paths.

The edit lives here rather than in :mod:`studio.core.edits` so that the relink feature stays in
one place; it is an ordinary :class:`~studio.core.edits.Edit` and goes through ``History.do``
like every other change (one undo step for every file relinked at once). Finding the files is
I/O and lives in :mod:`studio.media.relink`.
"""

from __future__ import annotations

from collections.abc import Mapping

from studio.core.edits import Edit
from studio.core.errors import ProjectError
from studio.core.project import Project


class RelinkSources(Edit):
    """Replace clip sources: every clip whose source is a key of ``mapping`` gets the value."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = {old: new for old, new in mapping.items() if old != new}
        self._changed: list[tuple[str, str]] = []  # (clip id, old source)
        count = len(self.mapping)
        self.label = f"Relink {count} file{'s' if count != 1 else ''}"

    def apply(self, project: Project) -> None:
        changed = [(clip.id, clip.source) for _, clip in project.iter_clips() if clip.source in self.mapping]
        if not changed:
            raise ProjectError("no clip uses the files to relink")
        for clip_id, old in changed:
            project.clip(clip_id).source = self.mapping[old]
        self._changed = changed

    def revert(self, project: Project) -> None:
        for clip_id, old in self._changed:
            project.clip(clip_id).source = old
