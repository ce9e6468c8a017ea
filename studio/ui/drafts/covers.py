"""Draft covers from the renderer: made for new drafts, chosen by the creator, scrubbed on hover.

- :func:`make_cover` (the editor's draft session, after a draft is created or saved): when the
  draft has no cover yet, the first frame that is not black in its first seconds (else the frame
  a third of the way in) becomes its cover (``store.set_cover``).
- :func:`set_cover_at`: the frame at a chosen time becomes the cover ("Set as cover" in the
  drafts browser's context menu: the frame under the mouse).
- :class:`CoverScrubber`: hovering a draft in the browser shows, instead of its cover, the frame
  of its filmstrip under the mouse's x position.

Store reads and writes run in the job runner's ``"db"`` lane, rendering in the ``"filmstrip"``
lane (:mod:`studio.render.filmstrip`, the same renderer as the versions' filmstrips); the GUI
thread only puts the results on screen.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QIcon, QMouseEvent, QPixmap
from PySide6.QtWidgets import QListView

from studio.core.project import Project
from studio.drafts import DraftStore
from studio.jobs.runner import JobHandle, JobRunner
from studio.render.filmstrip import Filmstrip, cover_frame, render_filmstrip, render_frame, strip_times
from studio.ui.drafts.filmstrip import LANE, strip_cache, to_qimage
from studio.ui.jobs import Op

if TYPE_CHECKING:
    from studio.ui.drafts.model import DraftsModel

log = logging.getLogger(__name__)

SCRUB_FRAMES = 12
SCRUB_HEIGHT = 192  # the browser's cover cell
SCRUB_STRIPS = 32


def _run(op: Op[Any]) -> None:
    """Start the next step of a chain; none once the runner is shut down (the app is closing)."""
    try:
        op.run()
    except RuntimeError as exc:
        log.debug("not started: %s", exc)


def read_project(store: DraftStore, draft_id: int) -> Project:
    """The draft's current version as a project (call in the ``"db"`` lane)."""
    doc = store.get_project_doc(draft_id)
    base = store.base_dir(draft_id)
    return Project.from_dict(doc, base_dir=str(base) if base is not None else None)


def make_cover(
    runner: JobRunner,
    store: DraftStore,
    draft_id: int,
    doc: dict[str, Any],
    *,
    on_done: Callable[[bool], None] | None = None,
) -> JobHandle[bool]:
    """Give the draft a cover made from ``doc`` (its project as just stored) if it has none:
    checked in the ``"db"`` lane, rendered in the ``"filmstrip"`` lane, stored in ``"db"``.
    ``on_done(stored)`` follows on the GUI thread; a failure is logged (a cover is not worth a
    message)."""

    def finish(stored: bool) -> None:
        if on_done is not None:
            on_done(stored)

    def store_cover(found: tuple[np.ndarray, float] | None) -> None:
        if found is None:
            finish(False)  # nothing to show yet: the next save tries again
            return

        def write(_ctx: object) -> bool:
            if store.get_draft(draft_id).cover_path:
                return False  # chosen meanwhile
            store.set_cover(draft_id, found[0])
            return True

        _run(Op(runner, write, name="Store draft cover", lane="db").success(finish).failure(failed))

    def render(missing: bool) -> None:
        if not missing:
            finish(False)
            return

        def find(ctx: Any) -> tuple[np.ndarray, float] | None:
            return cover_frame(Project.from_dict(doc), check=ctx.check)

        _run(Op(runner, find, name="Render draft cover", lane=LANE).success(store_cover).failure(failed))

    def failed(exc: BaseException) -> None:
        log.warning("no cover for draft %s: %s", draft_id, exc)
        finish(False)

    return (
        Op(runner, lambda _ctx: not store.get_draft(draft_id).cover_path, name="Check draft cover", lane="db")
        .success(render)
        .failure(failed)
        .run()
    )


def set_cover_at(
    runner: JobRunner,
    store: DraftStore,
    draft_id: int,
    t: float,
    done: Callable[[float], None],
    failed: Callable[[BaseException], None],
) -> JobHandle[Project]:
    """Make the frame at ``t`` the draft's cover (read, render, store in the background);
    ``done(t)`` or ``failed(exc)`` follow on the GUI thread."""

    def rendered(rgb: np.ndarray) -> None:
        _run(
            Op(runner, lambda _ctx: store.set_cover(draft_id, rgb), name="Set cover", lane="db")
            .success(lambda _path: done(t))
            .failure(failed)
        )

    def render(project: Project) -> None:
        _run(
            Op(runner, lambda _ctx: render_frame(project, t), name="Render cover", lane=LANE)
            .success(rendered)
            .failure(failed)
        )

    return (
        Op(runner, lambda _ctx: read_project(store, draft_id), name="Read draft", lane="db")
        .success(render)
        .failure(failed)
        .run()
    )


class CoverScrubber(QObject):
    """Hovering a draft in ``view`` scrubs its filmstrip: the cell shows the frame under the
    mouse's x position (the strip is rendered in the background the first time, then kept)."""

    def __init__(self, view: QListView, model: DraftsModel, store: DraftStore, runner: JobRunner) -> None:
        super().__init__(view)
        self.view, self.model, self.store, self.runner = view, model, store, runner
        self.cache = strip_cache(store.cache_dir)
        self._strips: OrderedDict[tuple[int, float], Filmstrip] = OrderedDict()
        self._pending: set[tuple[int, float]] = set()
        self._hover: tuple[int, float] | None = None  # draft id, fraction of the cell's width
        view.setMouseTracking(True)
        view.viewport().setMouseTracking(True)
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            self.hover(event.position().toPoint())
        elif event.type() == QEvent.Type.Leave:
            self.leave()
        return False

    def position(self, pos: QPoint) -> tuple[int, float, float] | None:
        """(row, fraction of the cell's width, time shown there) under ``pos``, if over a draft."""
        index = self.view.indexAt(pos)
        if not index.isValid():
            return None
        rect = self.view.visualRect(index)
        fraction = min(1.0, max(0.0, (pos.x() - rect.left()) / max(1, rect.width())))
        draft = self.model.draft_at(index.row())
        times = strip_times(draft.duration, SCRUB_FRAMES)
        if not times:
            return index.row(), fraction, 0.0
        return index.row(), fraction, times[min(len(times) - 1, int(fraction * len(times)))]

    def hover(self, pos: QPoint) -> None:
        where = self.position(pos)
        if where is None:
            self.leave()
            return
        row, fraction, _t = where
        draft = self.model.draft_at(row)
        self._hover = (draft.id, fraction)
        key = (draft.id, draft.updated_at)
        strip = self._strips.get(key)
        if strip is None:
            self._request(key)
            return
        self._show(draft.id, strip, fraction)

    def leave(self) -> None:
        self._hover = None
        self.model.set_scrub(None)

    def _show(self, draft_id: int, strip: Filmstrip, fraction: float) -> None:
        frame = strip.frame_near(fraction)
        if frame is None:
            self.model.set_scrub(None)
            return
        image = to_qimage(frame).scaled(
            self.view.iconSize(),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        self.model.set_scrub(draft_id, QIcon(QPixmap.fromImage(image)), frame)

    def _request(self, key: tuple[int, float]) -> None:
        if key in self._pending:
            return
        self._pending.add(key)
        store, cache, draft_id = self.store, self.cache, key[0]

        def render(project: Project) -> None:
            _run(
                Op(
                    self.runner,
                    lambda ctx: render_filmstrip(
                        project, height=SCRUB_HEIGHT, count=SCRUB_FRAMES, cache=cache, check=ctx.check
                    ),
                    name="Draft filmstrip",
                    lane=LANE,
                )
                .success(lambda strip: self._arrived(key, strip))
                .failure(lambda exc: self._failed(key, exc))
            )

        _run(
            Op(self.runner, lambda _ctx: read_project(store, draft_id), name="Read draft", lane="db")
            .success(render)
            .failure(lambda exc: self._failed(key, exc))
        )

    def _failed(self, key: tuple[int, float], exc: BaseException) -> None:
        self._pending.discard(key)
        log.info("no filmstrip for draft %s: %s", key[0], exc)

    def _arrived(self, key: tuple[int, float], strip: Filmstrip) -> None:
        self._pending.discard(key)
        self._strips[key] = strip
        while len(self._strips) > SCRUB_STRIPS:
            self._strips.popitem(last=False)
        if self._hover is not None and self._hover[0] == key[0]:
            self._show(key[0], strip, self._hover[1])

    def strip_of(self, draft_id: int) -> Filmstrip | None:
        """The scrub strip of a draft, if rendered."""
        return next((s for (i, _u), s in self._strips.items() if i == draft_id), None)
