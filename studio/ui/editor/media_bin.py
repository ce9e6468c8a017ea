"""The media bin: imported files with a background thumbnail, duration and resolution.

Probing and thumbnailing run as jobs; the GUI only turns the finished ``QImage`` into an
icon. Thumbnails come from the app's one media cache (``studio.media.cache``, shared with the
timeline and the effects panel), so a file already thumbnailed is not decoded again. A file that cannot be used stays in the bin with the creator-facing reason
(``MediaError.message``) instead of a thumbnail, and :attr:`MediaBin.importFailed` tells the
window so it can say so in the status bar.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMimeData, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QStyle, QVBoxLayout, QWidget

from studio.jobs.runner import JobContext, JobRunner
from studio.media.cache import POSTER, MediaCache
from studio.ui.drops import local_paths
from studio.ui.editor.player import format_time
from studio.ui.jobs import Op

if TYPE_CHECKING:
    from studio.media.probe import MediaInfo

log = logging.getLogger(__name__)

THUMB_SIZE = QSize(54, 96)
PATH_ROLE = Qt.ItemDataRole.UserRole + 1

MEDIA_SUFFIXES = ("mp4", "mov", "m4v", "mkv", "webm", "avi", "mts", "m2ts", "3gp")
MEDIA_SUFFIXES += ("mp3", "m4a", "aac", "wav", "flac", "ogg", "opus", "png", "jpg", "jpeg", "webp", "bmp")


def file_filter() -> str:
    """The Import dialog's name filter."""
    patterns = " ".join(f"*.{s}" for s in MEDIA_SUFFIXES)
    return f"Video, audio and images ({patterns});;All files (*)"


@dataclass
class BinEntry:
    path: str
    state: str = "loading"  # "loading" | "ready" | "error"
    info: MediaInfo | None = None
    error: str = ""
    thumbnail: QImage | None = None

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def previewable(self) -> bool:
        return self.state == "ready" and self.info is not None and self.info.video is not None


def describe_info(info: MediaInfo) -> str:
    """``00:05.00 · 1080×1920 · 30 fps`` for video (``· HDR HLG`` for HDR clips), duration and
    channels for audio."""
    parts = [format_time(info.duration)] if info.kind != "image" else ["image"]
    if info.video is not None:
        parts.append(f"{info.video.display_width}×{info.video.display_height}")
        if info.kind == "video" and info.video.fps:
            parts.append(f"{info.video.fps:.3g} fps")
        if info.video.hdr:
            parts.append(f"HDR {info.video.hdr}")
    elif info.audio is not None:
        parts.append(f"audio · {info.audio.sample_rate / 1000:g} kHz")
    return " · ".join(parts)


@dataclass(frozen=True)
class Loaded:
    """What the import job found: info and thumbnail, or the reason the file cannot be used."""

    info: MediaInfo | None = None
    thumbnail: QImage | None = None
    error: str = ""


def _load(path: str, ctx: JobContext, cache: MediaCache) -> Loaded:
    """Worker side: probe, then a thumbnail (the cache's poster) for anything with a picture.
    A file that is not usable media is an expected outcome here, not a job failure."""
    from studio.media.cache import thumbnail
    from studio.media.errors import MediaError
    from studio.media.probe import probe

    try:
        info = probe(path)
        ctx.check()
        if info.video is None:
            return Loaded(info)
        rgb = thumbnail(cache, path, None, POSTER)
    except MediaError as exc:
        return Loaded(error=exc.message)
    h, w = rgb.shape[:2]
    image = QImage(rgb.tobytes(), w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    return Loaded(info, image)


class _BinList(QListWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIconSize(THUMB_SIZE)
        self.setSpacing(2)
        self.setUniformItemSizes(False)
        self.setWordWrap(True)
        self.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.setAcceptDrops(False)  # drops go to MediaBin, the parent that accepts them
        self.setDragEnabled(True)
        self.setDragDropMode(QListWidget.DragDropMode.DragOnly)

    def mimeData(self, items: Sequence[QListWidgetItem]) -> QMimeData:
        """Dragged entries travel as file URLs, so the timeline (or any app) can take them."""
        mime = super().mimeData(list(items))
        mime.setUrls([QUrl.fromLocalFile(item.data(PATH_ROLE)) for item in items if item.data(PATH_ROLE)])
        return mime


class MediaBin(QWidget):
    """A list of imported media. Drop files on it, or call :meth:`import_paths`."""

    importFailed = Signal(str, str)  # path, creator-facing message
    imported = Signal(str)  # path, once probed and thumbnailed
    openRequested = Signal(str)  # path of a clip to preview
    message = Signal(str)  # a line for the status bar

    def __init__(
        self, runner: JobRunner, parent: QWidget | None = None, *, cache: MediaCache | None = None
    ) -> None:
        super().__init__(parent)
        from studio.ui.editor.timeline.items import media_cache

        self._runner = runner
        self.media_cache = cache if cache is not None else media_cache()
        self._entries: dict[str, BinEntry] = {}
        self._items: dict[str, QListWidgetItem] = {}
        self.list = _BinList()
        self.hint = QLabel("Drop videos here, or use File › Import…")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setEnabled(False)
        title = QLabel("<b>Media</b>")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(title)
        layout.addWidget(self.hint)
        layout.addWidget(self.list, 1)
        self.setAcceptDrops(True)
        self.setMinimumWidth(220)
        self.list.itemActivated.connect(self._activated)
        self._sync_hint()

    @property
    def entries(self) -> list[BinEntry]:
        return list(self._entries.values())

    def entry(self, path: str | Path) -> BinEntry | None:
        return self._entries.get(_key(path))

    def item(self, path: str | Path) -> QListWidgetItem | None:
        return self._items.get(_key(path))

    def selected_entries(self) -> list[BinEntry]:
        """Selected entries in list order."""
        rows = sorted(self.list.row(item) for item in self.list.selectedItems())
        out = []
        for row in rows:
            entry = self._entries.get(self.list.item(row).data(PATH_ROLE))
            if entry is not None:
                out.append(entry)
        return out

    @property
    def busy(self) -> bool:
        return any(e.state == "loading" for e in self._entries.values())

    def import_paths(self, paths: Iterable[str | Path]) -> list[BinEntry]:
        """Add files (each probed and thumbnailed in the background). Re-importing a file that
        failed tries it again; one already in the bin is just selected."""
        added = []
        for raw in paths:
            key = _key(raw)
            existing = self._entries.get(key)
            if existing is not None and existing.state != "error":
                self.list.setCurrentItem(self._items[key])
                continue
            entry = BinEntry(key)
            self._entries[key] = entry
            item = self._items.get(key)
            if item is None:
                item = QListWidgetItem()
                item.setData(PATH_ROLE, key)
                self.list.addItem(item)
                self._items[key] = item
            self._render(entry)
            added.append(entry)
            Op(
                self._runner,
                lambda ctx, p=key: _load(p, ctx, self.media_cache),
                name=f"Thumbnail {entry.name}",
            ).success(lambda result, e=entry: self._loaded(e, result)).failure(
                lambda exc, e=entry: self._failed(e, exc)
            ).run()
        self._sync_hint()
        return added

    def _loaded(self, entry: BinEntry, result: Loaded) -> None:
        if result.error or result.info is None:
            self._show_error(entry, result.error or "the file cannot be used")
            return
        entry.info, entry.thumbnail = result.info, result.thumbnail
        entry.state = "ready"
        self._render(entry)
        self.imported.emit(entry.path)

    def _failed(self, entry: BinEntry, exc: BaseException) -> None:
        log.error("importing %s failed: %s", entry.path, exc, exc_info=exc)
        self._show_error(entry, f"could not be read ({exc})")

    def _show_error(self, entry: BinEntry, message: str) -> None:
        entry.error = message
        entry.state = "error"
        self._render(entry)
        self.importFailed.emit(entry.path, message)

    def _render(self, entry: BinEntry) -> None:
        item = self._items[entry.path]
        style = self.style()
        item.setForeground(QBrush())
        if entry.state == "loading":
            item.setText(f"{entry.name}\nreading…")
            item.setIcon(QIcon(_blank()))
            item.setToolTip(entry.path)
        elif entry.state == "error":
            item.setText(f"{entry.name}\n⚠ {entry.error}")
            item.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
            item.setForeground(QBrush(QColor(220, 60, 60)))
            item.setToolTip(f"{entry.path}\n{entry.error}")
        else:
            assert entry.info is not None
            item.setText(f"{entry.name}\n{describe_info(entry.info)}")
            if entry.thumbnail is not None:
                item.setIcon(QIcon(QPixmap.fromImage(entry.thumbnail)))
            else:
                item.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaVolume))
            tips = [entry.path, *entry.info.warnings]
            video = entry.info.video
            if video is not None and video.hdr:
                tips.append(
                    f"HDR ({video.hdr}, {video.bit_depth}-bit): tone-mapped to SDR in preview and export"
                )
            item.setToolTip("\n".join(tips))

    def _activated(self, item: QListWidgetItem) -> None:
        entry = self._entries.get(item.data(PATH_ROLE))
        if entry is None:
            return
        if entry.previewable:
            self.openRequested.emit(entry.path)
        elif entry.state == "error":
            self.message.emit(f"{entry.name}: {entry.error}")
        elif entry.state == "ready":
            self.message.emit(f"{entry.name} is audio only: there is no picture to preview")

    def _sync_hint(self) -> None:
        self.hint.setVisible(not self._entries)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)


def _key(path: str | Path) -> str:
    return str(Path(path).expanduser().absolute())


_blank_cache: dict[str, Any] = {}


def _blank() -> QPixmap:
    pixmap = _blank_cache.get("blank")
    if pixmap is None:
        pixmap = QPixmap(THUMB_SIZE)
        pixmap.fill(QColor(60, 60, 64))
        _blank_cache["blank"] = pixmap
    return pixmap
