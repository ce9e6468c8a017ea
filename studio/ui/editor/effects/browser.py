"""The Effects panel's filter browser: the registry's usable filters by search and category,
their thumbnails rendered in the background, "Add to clip" (a part of
:class:`~studio.ui.editor.effects.panel.EffectsPanel`)."""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QListWidgetItem

from studio.core.edits import AddFilter
from studio.core.project import FilterRef
from studio.jobs.runner import JobContext
from studio.ui.editor.effects.chain import ROLE_ID
from studio.ui.editor.effects.settings import _stored
from studio.ui.editor.effects.thumbnails import (
    _qimage,
    _source_picture,
    fit_thumbnail,
    render_filter_thumbnails,
    sample_image,
)
from studio.ui.jobs import Op

log = logging.getLogger(__name__)


class BrowserMixin:
    """Mixed into EffectsPanel, which builds ``browser``, ``search`` and ``category``."""

    def refresh_filters(self) -> None:
        """Re-read the registry's usable filters (after plugins were re-enabled)."""
        current = self.browser.currentItem().data(ROLE_ID) if self.browser.currentItem() else None
        self._status_signature = self._registry_signature()
        self.browser.clear()
        classes = sorted(self.registry.classes(), key=lambda c: (c.category, c.name or c.id))
        categories = sorted({c.category for c in classes})
        chosen = self.category.currentData()
        self.category.blockSignals(True)
        self.category.clear()
        self.category.addItem("All", None)
        for cat in categories:
            self.category.addItem(cat, cat)
        self.category.setCurrentIndex(max(0, self.category.findData(chosen)))
        self.category.blockSignals(False)
        for cls in classes:
            item = QListWidgetItem(cls.name or cls.id)
            item.setData(ROLE_ID, cls.id)
            status = self.registry.status(cls.id)
            origin = status.origin if status is not None else ""
            item.setToolTip(f"{cls.name or cls.id} ({cls.category}, {origin})\n{cls.id}\n\n{cls.description}")
            image = self.thumbnails.get(cls.id)
            if image is not None:
                item.setIcon(QIcon(QPixmap.fromImage(image)))
            self.browser.addItem(item)
            if cls.id == current:
                self.browser.setCurrentItem(item)
        self._apply_browser_filter()
        self._update_buttons()
        self._thumb_timer.start()

    def browser_item(self, filter_id: str) -> QListWidgetItem | None:
        for i in range(self.browser.count()):
            item = self.browser.item(i)
            if item.data(ROLE_ID) == filter_id:
                return item
        return None

    def _apply_browser_filter(self) -> None:
        text = self.search.text().strip().lower()
        category = self.category.currentData()
        for i in range(self.browser.count()):
            item = self.browser.item(i)
            cls = self.registry.get(item.data(ROLE_ID))
            hay = f"{item.text()} {item.data(ROLE_ID)} {cls.description if cls else ''}".lower()
            hidden = (bool(text) and text not in hay) or (
                category is not None and cls is not None and cls.category != category
            )
            item.setHidden(hidden)

    def _preview_source(self) -> tuple[str, float] | None:
        """(media file, source seconds) of the selected clip at the current time."""
        clip = self._clip()
        if clip is None or not clip.source:
            return None
        return clip.source, round(clip.source_time(clip.start + self.local_time), 3)

    def _schedule_thumbnails(self) -> None:
        if self._frame_rgb is None and self._preview_source() != self._thumb_key:
            self._thumb_timer.start()

    def render_thumbnails(self) -> None:
        """Start rendering every filter's thumbnail in the background (replaces a running job).

        The picture is, in order: the one given to :meth:`set_frame`; the selected clip's source
        frame at the current time (decoded on the worker); the generated sample picture."""
        if self._thumb_job is not None and not self._thumb_job.finished:
            self._thumb_job.cancel()
        given = self._frame_rgb
        source = self._preview_source() if given is None else None
        self._thumb_key = source
        clip = self._clip()
        span = (clip.in_point, clip.out_point) if clip is not None else (0.0, 0.0)
        classes = list(self.registry.classes())
        registry, cache = self.registry, self.media_cache

        def job(ctx: JobContext) -> tuple[str, dict[str, np.ndarray]]:
            image, kind = (given, "current frame") if given is not None else (None, "")
            if image is None and source is not None:
                try:
                    rgb, at_time = _source_picture(cache, source[0], source[1], span, ctx)
                    image = fit_thumbnail(rgb)
                    kind = "current frame" if at_time else "a frame of the clip (black at the playhead)"
                except Exception as exc:
                    log.info("filter previews use the sample picture: %s", exc)
            if image is None:
                image, kind = sample_image(), "sample picture"
            return kind, render_filter_thumbnails(ctx, classes, image, registry)

        self.thumbnails_ready = False
        self._thumb_job = (
            Op(self.runner, job, name="Filter previews")
            .success(self._thumbnails_done)
            .failure(lambda exc: log.warning("filter previews failed: %s", exc))
            .run()
        )

    def _thumbnails_done(self, outcome: tuple[str, dict[str, np.ndarray]]) -> None:
        kind, result = outcome
        self.thumb_source.setText(f"Previews: {kind}")
        self.thumbnails = {fid: _qimage(rgb) for fid, rgb in result.items()}
        for fid, image in self.thumbnails.items():
            item = self.browser_item(fid)
            if item is not None:
                item.setIcon(QIcon(QPixmap.fromImage(image)))
        self.browser.viewport().update()
        self.thumbnails_ready = True

    def _add_current(self) -> None:
        item = self.browser.currentItem()
        if item is not None:
            self.add_filter(item.data(ROLE_ID))

    def add_filter(self, filter_id: str) -> str | None:
        """Add ``filter_id`` (at its defaults) to the end of the clip's chain; returns its uid."""
        clip = self._clip()
        cls = self.registry.get(filter_id)
        if clip is None or cls is None:
            return None
        params = {name: _stored(value) for name, value in cls.defaults().items()}
        ref = FilterRef(id=cls.id, params=params, version=cls.version)
        if self._do(AddFilter(clip.id, ref), seal=True):
            self._select_uid(ref.uid)
            return ref.uid
        return None
