"""The Effects panel: browse filters, build a clip's filter chain, edit the selected filter.

Three parts, top to bottom: the *browser* (every usable filter with a thumbnail of it applied
to the current frame, or to a generated sample picture when there is none; thumbnails are
rendered on the job runner), the selected clip's *chain* (order, on/off, remove, problems) and
the selected filter's *settings* (:class:`studio.ui.param_widgets.ParamsForm`).

Every change goes through the core ``History`` (AddFilter, RemoveFilter, MoveFilter,
SetParam, SetKeyframe/RemoveKeyframe), so undo covers all of it; the panel listens to the
history and redraws on every do/merge/undo/redo. A slider drag is one undo step: the edits of
one gesture are made with ``merge=True`` and the history is sealed when the gesture ends.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import shiboken6
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.edits import (
    AddFilter,
    Edit,
    History,
    MoveFilter,
    RemoveFilter,
    RemoveKeyframe,
    SetKeyframe,
    SetParam,
)
from studio.core.errors import ProjectError
from studio.core.frame import Frame
from studio.core.project import FilterRef, VideoClip
from studio.effects.api import ChoiceParam, Filter, FloatParam, ParamError
from studio.effects.registry import BUILTIN, Registry
from studio.jobs.runner import JobContext, JobHandle, JobRunner
from studio.media.cache import MediaCache
from studio.ui.jobs import Op, make_gui_runner
from studio.ui.param_widgets import ParamsForm, is_keyframable

log = logging.getLogger(__name__)

THUMB_W, THUMB_H = 72, 128
KEY_TOLERANCE = 1e-3
PROBLEM_COLOR = "#d9534f"
POLL_MS = 1000
ROLE_ID = Qt.ItemDataRole.UserRole


# ---------------------------------------------------------------------------- thumbnails


def sample_image(width: int = THUMB_W, height: int = THUMB_H) -> np.ndarray:
    """A small vertical picture with sky, sun, a face-like shape and saturated patches, so
    colour, blur, vignette and grain all show what they do (RGB uint8)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    fy, fx = ys / height, xs / width
    img = np.zeros((height, width, 3), np.float32)
    img[..., 0] = 70 + 150 * fy
    img[..., 1] = 120 + 70 * fy
    img[..., 2] = 230 - 110 * fy
    sun = (fx - 0.75) ** 2 + ((fy - 0.15) * height / width) ** 2 < 0.012
    img[sun] = (255, 230, 120)
    face = ((fx - 0.45) / 0.22) ** 2 + ((fy - 0.42) * height / width / 0.26) ** 2 < 1.0
    img[face] = (224, 172, 140)
    for ex in (0.37, 0.53):
        eye = (fx - ex) ** 2 + ((fy - 0.4) * height / width) ** 2 < 0.0012
        img[eye] = (40, 30, 30)
    ground = fy > 0.72 + 0.05 * np.sin(fx * 6.0)
    img[ground] = np.stack([40 + 20 * fx, 150 - 40 * fy, 60 + 0 * fx], -1)[ground]
    for i, color in enumerate(((220, 40, 40), (250, 200, 30), (40, 90, 220))):
        x0 = int(width * (0.08 + 0.3 * i))
        img[int(height * 0.84) : int(height * 0.94), x0 : x0 + width // 4] = color
    return np.clip(img, 0, 255).astype(np.uint8)


def fit_thumbnail(rgb: np.ndarray, width: int = THUMB_W, height: int = THUMB_H) -> np.ndarray:
    """Crop ``rgb`` to the thumbnail's shape (centre) and scale it down."""
    import cv2

    h, w = rgb.shape[:2]
    target = width / height
    if w / h > target:
        cw = max(2, round(h * target))
        rgb = rgb[:, (w - cw) // 2 : (w - cw) // 2 + cw]
    else:
        ch = max(2, round(w / target))
        rgb = rgb[(h - ch) // 2 : (h - ch) // 2 + ch]
    return cv2.resize(np.ascontiguousarray(rgb), (width, height), interpolation=cv2.INTER_AREA)


def showcase_values(cls: type[Filter]) -> list[dict[str, Any]]:
    """Settings to try, in order, for a thumbnail that shows the filter doing something: most
    filters do nothing at their defaults (amount 0), so strengths sitting at the bottom of
    their range go to 60 %, a "none" choice goes to the next one, and as a last resort the
    first number goes to 75 % of its range."""
    base = cls.defaults()
    first = dict(base)
    for p in cls.params:
        if isinstance(p, FloatParam):
            low, high = p.slider_range
            if low == p.default and high > low and high - low < 1e6:
                first[p.name] = low + 0.6 * (high - low)
    second = dict(first)
    for p in cls.params:
        if isinstance(p, ChoiceParam) and p.default == "none" and len(p.choices) > 1:
            second[p.name] = next(c for c in p.choices if c != "none")
    third = dict(second)
    floats = [p for p in cls.params if isinstance(p, FloatParam)]
    if floats:
        low, high = floats[0].slider_range
        if high > low and high - low < 1e6:
            third[floats[0].name] = low + 0.75 * (high - low)
    out: list[dict[str, Any]] = []
    for candidate in (first, second, third):
        if candidate not in out:
            out.append(candidate)
    return out


def render_filter_thumbnails(
    ctx: JobContext, classes: Sequence[type[Filter]], image: np.ndarray, registry: Registry
) -> dict[str, np.ndarray]:
    """Each filter applied to ``image`` (worker side). A filter that fails gets no entry.

    Every filter runs through a scratch registry holding only itself (same origin, so plugins
    stay isolated on their worker thread): a plugin that fails on the preview picture is not
    disabled for the session by a thumbnail.
    """
    from studio.effects.chain import build_chain

    frame = Frame.from_rgb(image)
    out: dict[str, np.ndarray] = {}
    for i, cls in enumerate(classes):
        ctx.check()
        ctx.progress(i / max(1, len(classes)), cls.name or cls.id)
        status = registry.status(cls.id)
        scratch = Registry()
        scratch.register(cls, status.origin if status else BUILTIN, status.source if status else "")
        result, failed = image, False
        try:
            for values in showcase_values(cls):
                ref = {"id": cls.id, "params": values, "version": cls.version}
                with build_chain(
                    [ref], width=frame.width, height=frame.height, fps=30.0, registry=scratch, fuse="never"
                ) as chain:
                    rendered = chain.process(frame, 0.0).as_rgb()
                    failed = bool(chain.problems)
                if failed:
                    break
                result = rendered
                if not np.array_equal(rendered, image):
                    break
        except Exception as exc:
            log.info("no thumbnail for %s: %s", cls.id, exc)
            continue
        if not failed:
            out[cls.id] = np.ascontiguousarray(result)
    return out


def _source_picture(
    cache: MediaCache, path: str, t: float, span: tuple[float, float], ctx: JobContext
) -> tuple[np.ndarray, bool]:
    """Worker side: the clip's picture at ``t`` for the filter thumbnails, through the media
    cache (``representative_rgb``: the frame, or a non-black one of the clip, and which)."""
    from studio.ui.representative_frame import representative_rgb

    def make(p: str) -> dict[str, np.ndarray]:
        rgb, at_time = representative_rgb(p, t, span, (THUMB_W * 2, THUMB_H * 2), ctx.check)
        return {"rgb": rgb, "at_time": np.array(at_time)}

    params = (round(t, 3), round(span[0], 3), round(span[1], 3), THUMB_W * 2, THUMB_H * 2)
    value = cache.get(path, "filter-source", params, make)
    assert isinstance(value, dict)
    return value["rgb"], bool(value["at_time"])


def _qimage(rgb: np.ndarray) -> QImage:
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


# ---------------------------------------------------------------------------- edits


class _KeyframeDrag(SetKeyframe):
    """SetKeyframe that merges with the next one on the same key, so dragging an animated
    setting's slider is one undo step like dragging a static one."""

    def merge(self, other: Edit) -> bool:
        if not (
            isinstance(other, _KeyframeDrag)
            and (other.target_id, other.param, other.filter_uid)
            == (self.target_id, self.param, self.filter_uid)
            and abs(other.t - self.t) <= KEY_TOLERANCE
        ):
            return False
        self.value = other.value
        return True


def _stored(value: Any) -> Any:
    """Tuples (points) are kept as lists, as the project document stores them."""
    return list(value) if isinstance(value, tuple) else value


def _checked_values(cls: type[Filter], raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` validated name by name; a value that cannot be used shows the default."""
    out = cls.defaults()
    for p in cls.params:
        if p.name in raw:
            try:
                out[p.name] = p.validate(raw[p.name])
            except (ParamError, TypeError, ValueError):
                out[p.name] = p.default_value
    return out


class _ChainList(QListWidget):
    """The chain, reorderable by dragging; after a drop ``dropped`` fires with the new order."""

    dropped = Signal()

    def dropEvent(self, event: Any) -> None:
        super().dropEvent(event)
        QTimer.singleShot(0, self.dropped.emit)


# ---------------------------------------------------------------------------- the panel


class EffectsPanel(QWidget):
    """Filters of the selected video clip. See the module docstring.

    Hook-up: ``set_clip(clip_id, local_time)`` on selection changes, ``set_playhead(t)`` (timeline
    seconds) when the playhead moves, ``set_frame(frame)`` with the shown frame for thumbnails,
    ``set_problems(list)`` with the preview renderer's filter problems; ``message`` carries
    refused edits for the status bar; ``set_history`` when another project is opened.
    """

    message = Signal(str)
    filterSelected = Signal(str)

    def __init__(
        self,
        registry: Registry,
        history: History,
        runner: JobRunner | None = None,
        parent: QWidget | None = None,
        *,
        cache: MediaCache | None = None,
    ) -> None:
        super().__init__(parent)
        from studio.ui.timeline.items import media_cache

        self.media_cache = cache if cache is not None else media_cache()
        self.registry = registry
        self.history = history
        self._own_runner = runner is None
        self.runner = runner if runner is not None else make_gui_runner(self)
        self.clip_id: str | None = None
        self.local_time = 0.0
        self._unsubscribe: Callable[[], None] | None = None
        self._gesture: tuple[str, str, str] | None = None
        self._form: ParamsForm | None = None
        self._form_key: tuple[str, str] | None = None
        self._external_problems: list[str] = []
        self._chain_signature: Any = None
        self._status_signature: Any = None
        self._frame_rgb: np.ndarray | None = None
        self._thumb_key: tuple[str, float] | None = None
        self._thumb_job: JobHandle[dict[str, np.ndarray]] | None = None
        self.thumbnails: dict[str, QImage] = {}
        self.thumbnails_ready = False
        self._filling = False

        self._build()
        self._thumb_timer = QTimer(self)
        self._thumb_timer.setSingleShot(True)
        self._thumb_timer.setInterval(250)
        self._thumb_timer.timeout.connect(self.render_thumbnails)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._poll_registry)
        self._poll.start()
        self.set_history(history)
        self.refresh_filters()

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search filters")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._apply_browser_filter)
        self.category = QComboBox()
        self.category.currentIndexChanged.connect(self._apply_browser_filter)
        self.plugins_button = QToolButton()
        self.plugins_button.setText("Plugins…")
        self.plugins_button.setToolTip("Installed filters, plugin errors, the plugins folder")
        self.plugins_button.clicked.connect(self.show_plugins)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.category)
        top.addWidget(self.plugins_button)

        self.browser = QListWidget()
        self.browser.setObjectName("filterBrowser")
        self.browser.setViewMode(QListWidget.ViewMode.IconMode)
        self.browser.setIconSize(QSize(THUMB_W * 3 // 4, THUMB_H * 3 // 4))
        self.browser.setGridSize(QSize(THUMB_W + 36, THUMB_H * 3 // 4 + 40))
        self.browser.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.browser.setMovement(QListWidget.Movement.Static)
        self.browser.setWordWrap(True)
        self.browser.itemDoubleClicked.connect(lambda item: self.add_filter(item.data(ROLE_ID)))
        self.browser.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.add_button = QPushButton("Add to clip")
        self.add_button.clicked.connect(self._add_current)
        self.thumb_source = QLabel()
        self.thumb_source.setEnabled(False)
        add_row = QHBoxLayout()
        add_row.addWidget(self.thumb_source, 1)
        add_row.addWidget(self.add_button)

        browse = QWidget()
        browse_layout = QVBoxLayout(browse)
        browse_layout.setContentsMargins(0, 0, 0, 0)
        browse_layout.addLayout(top)
        browse_layout.addWidget(self.browser, 1)
        browse_layout.addLayout(add_row)

        self.clip_label = QLabel()
        self.clip_label.setWordWrap(True)
        self.chain = _ChainList()
        self.chain.setObjectName("filterChain")
        self.chain.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.chain.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.chain.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.chain.setMaximumHeight(150)
        self.chain.currentItemChanged.connect(lambda *_: self._selection_changed())
        self.chain.itemChanged.connect(self._item_changed)
        self.chain.dropped.connect(self._order_dropped)
        self.up_button = self._tool(
            "▲", "Move the filter earlier (applied first)", lambda: self.move_selected(-1)
        )
        self.down_button = self._tool("▼", "Move the filter later", lambda: self.move_selected(1))
        self.remove_button = self._tool("Remove", "Remove the filter from the clip", self.remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.up_button)
        buttons.addWidget(self.down_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)

        self.filter_title = QLabel()
        self.filter_title.setWordWrap(True)
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(f"color: {PROBLEM_COLOR};")
        self.problem_label.hide()
        self.params_area = QScrollArea()
        self.params_area.setWidgetResizable(True)

        chain_box = QWidget()
        chain_layout = QVBoxLayout(chain_box)
        chain_layout.setContentsMargins(0, 0, 0, 0)
        chain_layout.addWidget(self.clip_label)
        chain_layout.addWidget(self.chain)
        chain_layout.addLayout(buttons)
        chain_layout.addWidget(self.filter_title)
        chain_layout.addWidget(self.problem_label)
        chain_layout.addWidget(self.params_area, 1)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(browse)
        splitter.addWidget(chain_box)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([380, 520])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

    @staticmethod
    def _tool(text: str, tip: str, slot: Callable[[], Any]) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    # ------------------------------------------------------------------ hook-up API

    def set_history(self, history: History) -> None:
        """Follow another project's history (a project was opened)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.history = history
        self._unsubscribe = history.add_listener(self._history_changed)
        self._gesture = None
        if self.clip_id is not None and self._clip() is None:
            self.clip_id = None
        self.refresh()

    def set_clip(self, clip_id: str | None, local_time: float = 0.0) -> None:
        """Show the filters of ``clip_id`` (a video clip; anything else shows the empty state)
        at clip-local time ``local_time``."""
        if clip_id != self.clip_id:
            self._end_gesture()
            self._form_key = None
        self.clip_id = clip_id
        self.local_time = float(local_time)
        self.refresh()
        self._schedule_thumbnails()

    def set_selection(self, element_ids: Sequence[str], timeline_time: float) -> None:
        """Timeline selection changed: show the first selected video clip (none: empty state),
        at the playhead ``timeline_time``."""
        project = self.history.project
        for element_id in element_ids:
            try:
                element = project.clip(element_id)
            except ProjectError:
                continue
            if isinstance(element, VideoClip):
                local = min(max(0.0, timeline_time - element.start), element.duration)
                self.set_clip(element.id, local)
                return
        self.set_clip(None)

    def set_local_time(self, local_time: float) -> None:
        """The playhead moved: show values (and keyframe buttons) at clip-local ``local_time``."""
        self.local_time = float(local_time)
        self._refresh_values()
        self._schedule_thumbnails()

    def set_playhead(self, timeline_time: float) -> None:
        """Same as :meth:`set_local_time`, given timeline seconds (clamped to the clip)."""
        clip = self._clip()
        if clip is not None:
            self.set_local_time(min(max(0.0, timeline_time - clip.start), clip.duration))

    def set_frame(self, frame: Frame | np.ndarray | None) -> None:
        """Render the browser's thumbnails on this picture (RGB array or Frame). Without one
        (None, the default) they show the selected clip's frame at the playhead, else a sample."""
        if isinstance(frame, Frame):
            frame = frame.as_rgb()
        self._frame_rgb = None if frame is None else fit_thumbnail(frame)
        self._thumb_timer.start()

    def set_problems(self, problems: Sequence[str]) -> None:
        """Problems reported by the preview (``FilterChain.problems``, ``ProjectSource.problems``)."""
        if list(problems) != self._external_problems:
            self._external_problems = list(problems)
            self._refresh_chain()

    def detach(self) -> None:
        """Stop listening and stop background work (call before dropping the panel)."""
        self._poll.stop()
        self._thumb_timer.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._thumb_job is not None:
            self._thumb_job.cancel()
        if self._own_runner:
            self.runner.shutdown(wait=True)

    # ------------------------------------------------------------------ browser

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

    # ------------------------------------------------------------------ chain

    def _clip(self) -> VideoClip | None:
        if self.clip_id is None:
            return None
        try:
            clip = self.history.project.clip(self.clip_id)
        except ProjectError:
            return None
        return clip if isinstance(clip, VideoClip) else None

    def selected_filter(self) -> FilterRef | None:
        clip = self._clip()
        item = self.chain.currentItem()
        if clip is None or item is None:
            return None
        uid = item.data(ROLE_ID)
        return next((f for f in clip.filters if f.uid == uid), None)

    def select_filter(self, uid: str) -> None:
        self._select_uid(uid)

    def _select_uid(self, uid: str) -> None:
        for i in range(self.chain.count()):
            if self.chain.item(i).data(ROLE_ID) == uid:
                self.chain.setCurrentRow(i)
                return

    def problems(self) -> dict[str, str]:
        """uid -> why that filter of the clip does not (fully) work right now."""
        clip = self._clip()
        out: dict[str, str] = {}
        if clip is None:
            return out
        for f in clip.filters:
            cls = self.registry.get(f.id)
            status = self.registry.status(f.id)
            reason = ""
            if cls is None:
                why = status.error if status is not None and status.error else "is not installed"
                reason = f"Disabled: {why}"
            elif status is not None and status.error:
                reason = f"Failed: {status.error}"
            elif f.version > cls.version:
                reason = f"Saved by a newer version (v{f.version}) than installed (v{cls.version})"
            reported = [p for p in self._external_problems if f.id in p]
            if reported and not reason:
                reason = reported[-1]
            if reason:
                out[f.uid] = reason
        return out

    def _display_name(self, f: FilterRef) -> str:
        cls = self.registry.get(f.id)
        if cls is not None:
            return cls.name or cls.id
        status = self.registry.status(f.id)
        return (status.name if status is not None and status.name else "") or f.id

    def refresh(self) -> None:
        self._refresh_chain(force=True)
        self._update_buttons()

    def _refresh_chain(self, force: bool = False) -> None:
        clip = self._clip()
        problems = self.problems()
        signature = (
            self.clip_id,
            tuple((f.uid, f.id, f.enabled) for f in clip.filters) if clip else (),
            tuple(sorted(problems.items())),
        )
        if force or signature != self._chain_signature:
            self._chain_signature = signature
            self._fill_chain(clip, problems)
        self._refresh_form()

    def _fill_chain(self, clip: VideoClip | None, problems: dict[str, str]) -> None:
        keep = self.chain.currentItem().data(ROLE_ID) if self.chain.currentItem() else None
        self._filling = True
        try:
            self.chain.clear()
            if clip is None:
                self.clip_label.setText("Select a video clip on the timeline to add filters.")
            else:
                n = len(clip.filters)
                self.clip_label.setText(
                    f"Filters on this clip, applied top to bottom ({n})"
                    if n
                    else "No filters on this clip yet."
                )
                for f in clip.filters:
                    problem = problems.get(f.uid, "")
                    item = QListWidgetItem(self._display_name(f) + (f"  ⚠ {problem}" if problem else ""))
                    item.setData(ROLE_ID, f.uid)
                    item.setFlags(
                        Qt.ItemFlag.ItemIsEnabled
                        | Qt.ItemFlag.ItemIsSelectable
                        | Qt.ItemFlag.ItemIsUserCheckable
                        | Qt.ItemFlag.ItemIsDragEnabled
                    )
                    item.setCheckState(Qt.CheckState.Checked if f.enabled else Qt.CheckState.Unchecked)
                    tip = f"{f.id} v{f.version}" + ("" if f.enabled else " (off)")
                    item.setToolTip(f"{tip}\n{problem}" if problem else tip)
                    if problem:
                        item.setForeground(QBrush(QColor(PROBLEM_COLOR)))
                    self.chain.addItem(item)
                uids = [f.uid for f in clip.filters]
                if keep in uids:
                    self._select_uid(keep)
                elif uids:
                    self.chain.setCurrentRow(0)
        finally:
            self._filling = False

    def _selection_changed(self) -> None:
        if self._filling:
            return
        self._end_gesture()
        self._refresh_form()
        self._update_buttons()
        f = self.selected_filter()
        self.filterSelected.emit(f.uid if f is not None else "")

    def _update_buttons(self) -> None:
        clip = self._clip()
        row = self.chain.currentRow()
        count = self.chain.count()
        has = clip is not None and row >= 0
        self.add_button.setEnabled(clip is not None and self.browser.currentItem() is not None)
        self.up_button.setEnabled(has and row > 0)
        self.down_button.setEnabled(has and row < count - 1)
        self.remove_button.setEnabled(has)

    def move_selected(self, delta: int) -> None:
        f, clip = self.selected_filter(), self._clip()
        if f is None or clip is None:
            return
        index = clip.filters.index(f) + delta
        if 0 <= index < len(clip.filters):
            self._do(MoveFilter(clip.id, f.uid, index), seal=True)
            self._select_uid(f.uid)

    def remove_selected(self) -> None:
        f, clip = self.selected_filter(), self._clip()
        if f is not None and clip is not None:
            self._do(RemoveFilter(clip.id, f.uid), seal=True)

    def set_enabled(self, uid: str, enabled: bool) -> None:
        clip = self._clip()
        if clip is None:
            return
        label = "Turn filter on" if enabled else "Turn filter off"
        self._do(SetParam(clip.id, f"filters.{uid}.enabled", bool(enabled), label=label), seal=True)

    def _item_changed(self, item: QListWidgetItem) -> None:
        if self._filling:
            return
        clip = self._clip()
        if clip is None:
            return
        uid = item.data(ROLE_ID)
        f = next((x for x in clip.filters if x.uid == uid), None)
        on = item.checkState() == Qt.CheckState.Checked
        if f is not None and f.enabled != on:
            self.set_enabled(uid, on)

    def _order_dropped(self) -> None:
        """After a drag in the chain list: one MoveFilter for the item that moved."""
        clip = self._clip()
        if clip is None:
            return
        new = [self.chain.item(i).data(ROLE_ID) for i in range(self.chain.count())]
        old = [f.uid for f in clip.filters]
        moved = next(
            (u for u in old if u in new and [x for x in old if x != u] == [x for x in new if x != u]), None
        )
        if moved is None or new == old or sorted(new) != sorted(old):
            self._refresh_chain(force=True)
            return
        self._do(MoveFilter(clip.id, moved, new.index(moved)), seal=True)
        self._select_uid(moved)

    # ------------------------------------------------------------------ settings

    def _refresh_form(self) -> None:
        f = self.selected_filter()
        cls = self.registry.get(f.id) if f is not None else None
        key = (f.uid, f.id) if f is not None else None
        if key != self._form_key:
            self._form_key = key
            self._end_gesture()
            if cls is None:
                self._form = None
                empty = QLabel(
                    "" if f is None else "This filter is not available, so its settings cannot be edited."
                )
                empty.setWordWrap(True)
                self.params_area.setWidget(empty)
            else:
                self._form = ParamsForm(cls.params)
                self._form.valueChanged.connect(self._param_edited)
                self._form.keyframeToggled.connect(self._key_toggled)
                self.params_area.setWidget(self._form)
        if f is None:
            self.filter_title.setText("")
        else:
            name = self._display_name(f)
            desc = cls.description if cls is not None else ""
            self.filter_title.setText(
                f"<b>{html.escape(name)}</b>" + (f"<br>{html.escape(desc)}" if desc else "")
            )
        problem = self.problems().get(f.uid, "") if f is not None else ""
        self.problem_label.setText(problem)
        self.problem_label.setVisible(bool(problem))
        self._refresh_values()

    def _refresh_values(self) -> None:
        f = self.selected_filter()
        if f is None or self._form is None:
            return
        cls = self.registry.get(f.id)
        if cls is None:
            return
        self._form.set_values(_checked_values(cls, f.values_at(self.local_time)))
        for p in cls.params:
            if is_keyframable(p):
                keys = f.keyframes.get(p.name, [])
                here = any(abs(k.t - self.local_time) <= KEY_TOLERANCE for k in keys)
                self._form.set_keyframe_state(p.name, bool(keys), here)

    @property
    def form(self) -> ParamsForm | None:
        return self._form

    def _end_gesture(self) -> None:
        if self._gesture is not None:
            self._gesture = None
            self.history.seal()

    def _param_edited(self, name: str, value: Any, final: bool) -> None:
        f, clip = self.selected_filter(), self._clip()
        if f is None or clip is None:
            return
        key = (clip.id, f.uid, name)
        if self._gesture != key:
            self._end_gesture()
            self.history.seal()
        cls = self.registry.get(f.id)
        param = next((p for p in cls.params if p.name == name), None) if cls is not None else None
        title = param.title if param is not None else name
        edit: Edit | None
        if f.keyframes.get(name):
            current = f.values_at(self.local_time).get(name)
            edit = (
                None
                if current == value and self._gesture != key
                else _KeyframeDrag(clip.id, name, self.local_time, float(value), filter_uid=f.uid)
            )
        else:
            current = f.params.get(name)
            same = _stored(current) == _stored(value)
            edit = (
                None
                if same and self._gesture != key
                else SetParam(
                    clip.id,
                    f"filters.{f.uid}.params.{name}",
                    _stored(value),
                    merge=True,
                    label=f"Change {title.lower()}",
                )
            )
        if edit is not None:
            self._gesture = key
            self._do(edit)
        if final:
            self._end_gesture()

    def _key_toggled(self, name: str, on: bool) -> None:
        f, clip = self.selected_filter(), self._clip()
        if f is None or clip is None:
            return
        self._end_gesture()
        keys = f.keyframes.get(name, [])
        here = [k for k in keys if abs(k.t - self.local_time) <= KEY_TOLERANCE]
        if on and not here:
            cls = self.registry.get(f.id)
            values = _checked_values(cls, f.values_at(self.local_time)) if cls is not None else {}
            value = values.get(name, f.params.get(name, 0.0))
            self._do(SetKeyframe(clip.id, name, self.local_time, float(value), filter_uid=f.uid), seal=True)
        elif not on and here:
            self._do(RemoveKeyframe(clip.id, name, here[0].t, filter_uid=f.uid), seal=True)
        else:
            self._refresh_values()

    # ------------------------------------------------------------------ history

    def _do(self, edit: Edit, *, seal: bool = False) -> bool:
        try:
            if seal:
                self.history.seal()
            self.history.do(edit)
        except ProjectError as exc:
            self.message.emit(exc.message)
            self._refresh_chain(force=True)
            return False
        finally:
            if seal:
                self.history.seal()
        return True

    def _history_changed(self, kind: str, _edit: Edit) -> None:
        if not shiboken6.isValid(self):  # the widget was deleted without detach()
            if self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None
            return
        if kind in ("undo", "redo"):
            self._gesture = None
        self._refresh_chain()
        self._update_buttons()

    def _poll_registry(self) -> None:
        """Notice plugins that were disabled (or re-enabled) while rendering."""
        signature = self._registry_signature()
        if signature != self._status_signature:
            old = self._status_signature or ()
            self._status_signature = signature
            if {(i, e) for i, e, _ in signature} != {(i, e) for i, e, _ in old}:
                self.refresh_filters()
            self._refresh_chain()

    def _registry_signature(self) -> tuple[tuple[str, bool, str], ...]:
        return tuple((s.id, s.enabled, s.error) for s in self.registry.statuses())

    def plugins_dialog(self) -> QWidget:
        """The Plugins dialog, wired so re-enabled filters come back to this panel."""
        from studio.ui.plugins_dialog import PluginsDialog

        dialog = PluginsDialog(self.registry, self)
        dialog.pluginsChanged.connect(self.refresh_filters)
        dialog.pluginsChanged.connect(self.refresh)
        return dialog

    def show_plugins(self) -> None:
        dialog = self.plugins_dialog()
        dialog.exec()  # type: ignore[attr-defined]
        dialog.deleteLater()
