"""The timeline's view of a project: rows in display order, time-sorted indexes, snap points.

Everything that changes the project goes through :meth:`TimelineModel.do` (the core
``History``); the model listens to the history and rebuilds its indexes, so undo/redo, the
inspector and the timeline all see the same state. :class:`Group` folds several core edits
into one undo step (moving a multi-selection, pasting, deleting); :class:`SetMarkers` keeps
the markers in the project document (``extra["markers"]``) so they are saved and undone too.
"""

from __future__ import annotations

import bisect
import copy
import itertools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from studio.core.edits import Edit, History
from studio.core.errors import ProjectError
from studio.core.project import Project, TextItem, Track

log = logging.getLogger(__name__)

MARKERS_KEY = "markers"


class Group(Edit):
    """Several edits as one undo step; if one fails the ones before it are reverted."""

    def __init__(self, edits: Sequence[Edit], label: str) -> None:
        if not edits:
            raise ProjectError("nothing to change")
        self.edits = list(edits)
        self.label = label

    def apply(self, project: Project) -> None:
        done: list[Edit] = []
        try:
            for edit in self.edits:
                edit.apply(project)
                done.append(edit)
        except ProjectError:
            for edit in reversed(done):
                edit.revert(project)
            raise

    def revert(self, project: Project) -> None:
        for edit in reversed(self.edits):
            edit.revert(project)

    def touched(self) -> set[str] | None:
        out: set[str] = set()
        for edit in self.edits:
            ids = edit.touched()
            if ids is None:
                return None
            out |= ids
        return out


def project_markers(project: Project) -> list[float]:
    raw = project.extra.get(MARKERS_KEY, [])
    if not isinstance(raw, list):
        return []
    return sorted(float(m) for m in raw if isinstance(m, int | float) and not isinstance(m, bool))


class SetMarkers(Edit):
    """Replace the project's markers (timeline seconds)."""

    def __init__(self, markers: Iterable[float], label: str = "Add marker") -> None:
        self.markers = sorted({round(float(m), 6) for m in markers})
        self.label = label
        self._old: Any = None
        self._had = False

    def apply(self, project: Project) -> None:
        if any(m < 0 for m in self.markers):
            raise ProjectError("a marker cannot be before 0 s")
        self._had = MARKERS_KEY in project.extra
        self._old = copy.deepcopy(project.extra.get(MARKERS_KEY))
        project.extra[MARKERS_KEY] = list(self.markers)

    def revert(self, project: Project) -> None:
        if self._had:
            project.extra[MARKERS_KEY] = self._old
        else:
            project.extra.pop(MARKERS_KEY, None)

    def touched(self) -> set[str] | None:
        return set()  # the project's own fields only


@dataclass
class TrackIndex:
    """One track's elements sorted by start, with a running maximum of their ends so the
    elements overlapping a time window are found by two binary searches."""

    track: Track
    elements: list[Any]
    starts: list[float]
    max_ends: list[float]

    @classmethod
    def build(cls, track: Track) -> TrackIndex:
        elements = sorted(track.elements, key=lambda e: e.start)
        starts = [e.start for e in elements]
        max_ends = list(itertools.accumulate((e.end for e in elements), max))
        return cls(track, elements, starts, max_ends)

    def visible_range(self, t0: float, t1: float) -> range:
        """Indexes of elements that may overlap ``[t0, t1)``: those starting before ``t1``,
        from the first one after which something still reaches past ``t0``."""
        lo = bisect.bisect_right(self.max_ends, t0)
        hi = bisect.bisect_left(self.starts, t1)
        return range(lo, max(lo, hi))

    def visible(self, t0: float, t1: float) -> list[Any]:
        return [e for e in (self.elements[i] for i in self.visible_range(t0, t1)) if e.end > t0]

    def at(self, t: float) -> list[Any]:
        return [e for e in self.visible(t, t + 1e-9) if e.start <= t < e.end]


def display_order(project: Project) -> list[Track]:
    """Rows top to bottom: text and video tracks with the topmost layer first, then audio."""
    visual = [t for t in reversed(project.tracks) if t.kind != "audio"]
    return visual + [t for t in project.tracks if t.kind == "audio"]


def element_kind(element: Any) -> str:
    return "text" if isinstance(element, TextItem) else type(element).__name__


class TimelineModel(QObject):
    """Adapter between a core ``History`` and the timeline widgets."""

    changed = Signal()
    failed = Signal(str)

    def __init__(self, history: History | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: Any = None
        self.history = history or History(Project())
        self.rows: list[TrackIndex] = []
        self.markers: list[float] = []
        self.magnetic = True  # the main track packs its clips (timeline.magnetic)
        self.set_history(self.history)

    @property
    def project(self) -> Project:
        return self.history.project

    def set_history(self, history: History) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.history = history
        self._unsubscribe = history.add_listener(lambda _kind, _edit: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        self.rows = [TrackIndex.build(t) for t in display_order(self.project)]
        self.markers = project_markers(self.project)
        self.changed.emit()

    def do(self, edit: Edit) -> bool:
        """Apply ``edit`` through the history; a refused edit is reported on ``failed``."""
        try:
            self.history.do(edit)
        except ProjectError as exc:
            log.info("edit refused: %s", exc)
            self.failed.emit(exc.message if hasattr(exc, "message") else str(exc))
            return False
        return True

    def undo(self) -> str | None:
        return self.history.undo()

    def redo(self) -> str | None:
        return self.history.redo()

    def find(self, element_id: str) -> tuple[Track, Any] | None:
        try:
            return self.project.find(element_id)
        except ProjectError:
            return None

    def row_of(self, track_id: str) -> int:
        for i, row in enumerate(self.rows):
            if row.track.id == track_id:
                return i
        return -1

    def snap_points(self, exclude: set[str], playhead: float) -> list[float]:
        """Times a dragged edge snaps to: 0, the playhead, markers and other elements' edges."""
        points = {0.0, playhead, *self.markers}
        for row in self.rows:
            for e in row.elements:
                if e.id not in exclude:
                    points.add(e.start)
                    points.add(e.end)
        return sorted(points)

    @property
    def duration(self) -> float:
        return self.project.duration
